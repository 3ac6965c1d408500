// RFC 6962 / RFC 9162 Merkle tree algorithms over stored perfect-subtree hashes.
//
// The ledger stores, for every complete subtree, its hash at (level, index):
// level 0 holds leaf hashes, level L index i covers leaves [i*2^L, (i+1)*2^L).
// Every root and proof is assembled from O(log n) of those reads.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ledger/hash.h"

namespace fundtrail {

// Returns the stored hash of the complete subtree at (level, index).
using SubtreeReader = std::function<Hash(unsigned level, uint64_t index)>;

// MTH(D[begin:end)) for a range whose begin is a multiple of the largest power
// of two below (end - begin), as every range in RFC 6962's recursion is.
Hash range_hash(const SubtreeReader& read, uint64_t begin, uint64_t end);

Hash tree_root(const SubtreeReader& read, uint64_t size);  // size 0: empty root

// Audit path for leaf `index` in a tree of `size` leaves (RFC 9162 2.1.3.1).
std::vector<Hash> inclusion_proof(const SubtreeReader& read, uint64_t index, uint64_t size);

// Consistency proof from `old_size` to `new_size` (RFC 9162 2.1.4.1);
// empty when old_size == new_size or old_size == 0.
std::vector<Hash> consistency_proof(const SubtreeReader& read, uint64_t old_size, uint64_t new_size);

// Verification (RFC 9162 2.1.3.2 and 2.1.4.2). On failure `why` says what.
bool verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                      const Hash& root, std::string& why);
bool verify_consistency(uint64_t old_size, uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof, std::string& why);

// Proof JSON exactly as DESIGN.md: {"index","tree_size","leaf_hash","hashes"}
// and {"old_size","new_size","hashes"}, hashes in standard base64.
std::string inclusion_proof_json(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& proof);
std::string consistency_proof_json(uint64_t old_size, uint64_t new_size, const std::vector<Hash>& proof);

// Incremental builder used on append: feed leaf hashes in order; `store` is
// called for every complete subtree hash the new leaf completes (level 0 first).
// `read` is used to fetch left siblings already stored.
void add_leaf(const SubtreeReader& read, uint64_t index, const Hash& leaf,
              const std::function<void(unsigned level, uint64_t index, const Hash&)>& store);

}  // namespace fundtrail
