#include "merkle.h"

#include "sha256.h"

#include <cassert>

namespace fv {

Hash leafHash(std::span<const uint8_t> leaf) {
  static constexpr uint8_t kLeafPrefix = 0x00;
  Hash h;
  sha256({{&kLeafPrefix, 1}, leaf}, h.data());
  return h;
}

Hash nodeHash(const Hash& left, const Hash& right) {
  static constexpr uint8_t kNodePrefix = 0x01;
  Hash h;
  sha256({{&kNodePrefix, 1}, left, right}, h.data());
  return h;
}

Hash emptyRoot() {
  Hash h;
  sha256({}, h.data());
  return h;
}

void CompactRange::append(const Hash& leaf) {
  stack_.push_back(leaf);
  // Each trailing 1 bit of the old size is a perfect subtree that now has a
  // right sibling of the same height: merge them.
  for (uint64_t s = size_; s & 1; s >>= 1) {
    Hash right = stack_.back();
    stack_.pop_back();
    stack_.back() = nodeHash(stack_.back(), right);
  }
  ++size_;
}

Hash CompactRange::root() const {
  if (stack_.empty()) return emptyRoot();
  // MTH(D[0:n]) = H(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two
  // below n: fold the subtrees from the right.
  Hash r = stack_.back();
  for (size_t i = stack_.size() - 1; i-- > 0;) r = nodeHash(stack_[i], r);
  return r;
}

bool verifyInclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                     const Hash& root) {
  if (index >= size) return false;
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = nodeHash(p, r);
      if (!(fn & 1))
        while (fn != 0 && !(fn & 1)) fn >>= 1, sn >>= 1;
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1, sn >>= 1;
  }
  return sn == 0 && r == root;
}

bool verifyConsistency(uint64_t oldSize, uint64_t newSize, const Hash& oldRoot, const Hash& newRoot,
                       const std::vector<Hash>& proof) {
  if (oldSize > newSize) return false;
  if (oldSize == newSize) return proof.empty() && oldRoot == newRoot;
  if (oldSize == 0) return proof.empty();  // the empty tree is a prefix of every tree
  std::vector<Hash> path = proof;
  // If the old size is a power of two the old root is the first node of the path.
  if ((oldSize & (oldSize - 1)) == 0) path.insert(path.begin(), oldRoot);
  if (path.empty()) return false;
  uint64_t fn = oldSize - 1, sn = newSize - 1;
  while (fn & 1) fn >>= 1, sn >>= 1;
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = nodeHash(path[i], fr);
      sr = nodeHash(path[i], sr);
      if (!(fn & 1))
        while (fn != 0 && !(fn & 1)) fn >>= 1, sn >>= 1;
    } else {
      sr = nodeHash(sr, path[i]);
    }
    fn >>= 1, sn >>= 1;
  }
  return fr == oldRoot && sr == newRoot && sn == 0;
}

// Both walk the same steps as the checks above, counting instead of hashing:
// a list that verifies has exactly this many hashes.
size_t inclusionProofSize(uint64_t index, uint64_t size) {
  if (index >= size) return 0;
  uint64_t fn = index, sn = size - 1;
  size_t n = 0;
  while (sn != 0) {
    ++n;
    if (!(fn & 1) && fn == sn)
      while (fn != 0 && !(fn & 1)) fn >>= 1, sn >>= 1;
    fn >>= 1, sn >>= 1;
  }
  return n;
}

size_t consistencyProofSize(uint64_t oldSize, uint64_t newSize) {
  if (oldSize == 0 || oldSize >= newSize) return 0;
  uint64_t fn = oldSize - 1, sn = newSize - 1;
  while (fn & 1) fn >>= 1, sn >>= 1;
  size_t n = 1;  // the first node of the path: the old root itself when oldSize is a power of two
  while (sn != 0) {
    ++n;
    if (!(fn & 1) && fn == sn)
      while (fn != 0 && !(fn & 1)) fn >>= 1, sn >>= 1;
    fn >>= 1, sn >>= 1;
  }
  return (oldSize & (oldSize - 1)) == 0 ? n - 1 : n;
}

Hash perfectRoot(std::span<const Hash> hashes) {
  assert(!hashes.empty() && (hashes.size() & (hashes.size() - 1)) == 0);
  std::vector<Hash> level(hashes.begin(), hashes.end());
  while (level.size() > 1) {
    for (size_t i = 0; i < level.size() / 2; ++i) level[i] = nodeHash(level[2 * i], level[2 * i + 1]);
    level.resize(level.size() / 2);
  }
  return level[0];
}

}  // namespace fv
