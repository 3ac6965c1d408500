// RFC 6962 / RFC 9162 Merkle tree, written for the verifier alone.
// leaf hash = SHA-256(0x00 || leaf), node hash = SHA-256(0x01 || left || right).
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace fv {

using Hash = std::array<uint8_t, 32>;

Hash leafHash(std::span<const uint8_t> leaf);
Hash nodeHash(const Hash& left, const Hash& right);
Hash emptyRoot();  // SHA-256 of the empty string: the root of a tree of size 0

// Streams leaves in order and keeps only the roots of the perfect subtrees that
// cover them (one per set bit of the size): memory O(log n).
class CompactRange {
 public:
  void append(const Hash& leaf);  // a leaf hash, not the leaf bytes
  uint64_t size() const { return size_; }
  Hash root() const;  // the RFC 6962 root of the leaves appended so far

 private:
  uint64_t size_ = 0;
  std::vector<Hash> stack_;  // left to right, largest subtree first
};

// Proof checks as RFC 9162 sections 2.1.3.2 and 2.1.4.2 define them.
bool verifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                     const Hash& root);
bool verifyConsistency(uint64_t oldSize, uint64_t newSize, const Hash& oldRoot, const Hash& newRoot,
                       const std::vector<Hash>& proof);

// How many hashes a correct proof holds, so a truncated or extended list can be
// named as such rather than merely failing: the audit path of leaf `index`
// (< size) in a tree of `size` leaves, and the consistency proof from `oldSize`
// to `newSize` (0 when oldSize is 0 or equal to newSize; oldSize <= newSize).
size_t inclusionProofSize(uint64_t index, uint64_t size);
size_t consistencyProofSize(uint64_t oldSize, uint64_t newSize);

// The root of a perfect subtree whose leaves (or lower subtrees) are `hashes`;
// their count must be a power of two.
Hash perfectRoot(std::span<const Hash> hashes);

}  // namespace fv
