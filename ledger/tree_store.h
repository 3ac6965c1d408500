// The stored Merkle tree and the records it covers, inside one transaction
// (internal to ledger/): how the writer and the index rebuild both append a
// record, so the tree is built one way only.
#pragma once
#include <atomic>
#include <cstdint>
#include <span>

#include "ledger/hash.h"
#include "ledger/index.h"
#include "ledger/merkle.h"
#include "ledger/store.h"

namespace fundtrail {

// Reads stored subtree hashes of `txn`'s tree database; counts reads in
// `counter` when given. A missing hash is unusable (the ledger is damaged).
// The reader refers to `txn`: use it only while `txn` is open.
SubtreeReader tree_reader(const Txn& txn, std::atomic<uint64_t>* counter = nullptr);

// The key of the subtree hash at (level, index) in `dbs`'s tree database:
// in completion order (the last leaf it covers, big-endian, then its level),
// so each append's puts come in key order and LMDB fills pages whole; in a
// ledger made before, (level, index).
std::string stored_tree_key(const Dbs& dbs, unsigned level, uint64_t index);

// Writes `leaf` as record head.size (MDB_APPEND), adds its hash to the tree
// and advances `head` (not written: the caller writes the head once). The
// caller has validated the leaf.
Hash write_leaf(Txn& txn, index::Head& head, std::span<const uint8_t> leaf);
// The same with the leaf's hash taken already (`hash` = leaf_hash(leaf)).
Hash write_leaf(Txn& txn, index::Head& head, std::span<const uint8_t> leaf, const Hash& hash);

}  // namespace fundtrail
