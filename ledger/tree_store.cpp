#include "ledger/tree_store.h"

#include <string_view>

#include "ledger/assert.h"
#include "ledger/error.h"
#include "ledger/limits.h"
#include "ledger/record.h"

namespace fundtrail {

std::string stored_tree_key(const Dbs& dbs, unsigned level, uint64_t index) {
  if (!dbs.tree_in_completion_order) return index::tree_key(level, index);
  FT_REQUIRE(level < 64 && index < (uint64_t(1) << (63 - level)), "a subtree inside a tree of at most 2^63 leaves");
  uint64_t last = ((index + 1) << level) - 1;  // the last leaf the subtree covers: it completes with it
  std::string key = index::seq_key(last);
  key.push_back(static_cast<char>(level));
  return key;
}

SubtreeReader tree_reader(const Txn& txn, std::atomic<uint64_t>* counter) {
  return [&txn, counter](unsigned level, uint64_t index) {
    if (counter) ++*counter;
    auto v = txn.get(txn.dbs().tree, stored_tree_key(txn.dbs(), level, index));
    if (!v) unusable("the Merkle tree index lacks a stored hash; the ledger is damaged");
    return index::read_hash(*v, "tree index hash");
  };
}

Hash write_leaf(Txn& txn, index::Head& head, std::span<const uint8_t> leaf) { return write_leaf(txn, head, leaf, leaf_hash(leaf)); }

Hash write_leaf(Txn& txn, index::Head& head, std::span<const uint8_t> leaf, const Hash& lh) {
  FT_REQUIRE(!leaf.empty() && leaf.size() <= kMaxLeafBytes, "a leaf is 1 to 65535 bytes");
  std::string_view bytes(reinterpret_cast<const char*>(leaf.data()), leaf.size());
  txn.put(txn.dbs().entries, index::seq_key(head.size), bytes, MDB_APPEND);
  // Completion order: the new leaf's subtrees complete level 0 first, each
  // key above every stored one, so each put appends.
  const unsigned flags = txn.dbs().tree_in_completion_order ? MDB_APPEND : 0;
  add_leaf(tree_reader(txn), head.size, lh, [&](unsigned level, uint64_t index, const Hash& h) {
    txn.put(txn.dbs().tree, stored_tree_key(txn.dbs(), level, index), index::hash_value(h), flags);
  });
  head.size += 1;
  FT_ASSERT(head.size != 0, "the ledger's size overflowed");
  head.hash = lh;
  return lh;
}

}  // namespace fundtrail
