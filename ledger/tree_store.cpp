#include "ledger/tree_store.h"

#include <string_view>

#include "ledger/assert.h"
#include "ledger/error.h"
#include "ledger/limits.h"
#include "ledger/record.h"

namespace fundtrail {

SubtreeReader tree_reader(const Txn& txn, std::atomic<uint64_t>* counter) {
  return [&txn, counter](unsigned level, uint64_t index) {
    if (counter) ++*counter;
    auto v = txn.get(txn.dbs().tree, index::tree_key(level, index));
    if (!v) unusable("the Merkle tree index lacks a stored hash; the ledger is damaged");
    return index::read_hash(*v, "tree index hash");
  };
}

Hash write_leaf(Txn& txn, index::Head& head, std::span<const uint8_t> leaf) {
  FT_REQUIRE(!leaf.empty() && leaf.size() <= kMaxLeafBytes, "a leaf is 1 to 65535 bytes");
  std::string_view bytes(reinterpret_cast<const char*>(leaf.data()), leaf.size());
  txn.put(txn.dbs().entries, index::seq_key(head.size), bytes, MDB_APPEND);
  Hash lh = leaf_hash(leaf);
  add_leaf(tree_reader(txn), head.size, lh, [&](unsigned level, uint64_t index, const Hash& h) {
    txn.put(txn.dbs().tree, index::tree_key(level, index), index::hash_value(h));
  });
  head.size += 1;
  FT_ASSERT(head.size != 0, "the ledger's size overflowed");
  head.hash = lh;
  return lh;
}

}  // namespace fundtrail
