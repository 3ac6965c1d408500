// RFC 6962 / RFC 9162 Merkle tree over stored perfect-subtree hashes.
//
// RFC 9162 defines MTH, PATH and SUBPROOF recursively over the leaf list.
// Every range that recursion visits is either a perfect subtree aligned to
// its size (one stored hash) or a right edge [b, e) whose hash folds at most
// log2(e - b) stored perfect subtrees, so nothing here ever touches O(n).
#include "ledger/merkle.h"

#include "ledger/assert.h"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace fundtrail {

namespace {

// Largest power of two strictly below n (n >= 2): RFC 9162's split point k.
uint64_t split_point(uint64_t n) {
  FT_ASSERT(n >= 2, "the split point of a tree of fewer than two leaves");
  return std::bit_floor(n - 1);
}

bool is_perfect_at(uint64_t begin, uint64_t n) { return std::has_single_bit(n) && begin % n == 0; }

unsigned log2_exact(uint64_t n) {
  FT_ASSERT(std::has_single_bit(n), "log2 of a size that is not a power of two");
  return static_cast<unsigned>(std::countr_zero(n));
}

std::string hash_list_json(const std::vector<Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i) out += ", ";
    out += '"' + base64(hashes[i]) + '"';
  }
  return out + "]";
}

}  // namespace

Hash range_hash(const SubtreeReader& read, uint64_t begin, uint64_t end) {
  if (begin >= end) throw std::invalid_argument("range_hash: empty range");
  const uint64_t n = end - begin;
  if (is_perfect_at(begin, n)) return read(log2_exact(n), begin >> log2_exact(n));
  // MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])). The left part is
  // perfect and aligned whenever begin meets the documented precondition.
  const uint64_t k = split_point(n);
  return node_hash(range_hash(read, begin, begin + k), range_hash(read, begin + k, end));
}

Hash tree_root(const SubtreeReader& read, uint64_t size) {
  if (size == 0) return empty_tree_root();
  return range_hash(read, 0, size);
}

std::vector<Hash> inclusion_proof(const SubtreeReader& read, uint64_t index, uint64_t size) {
  if (index >= size) throw std::out_of_range("inclusion_proof: index must be below the tree size");
  // Walk PATH(m, D[b:e]) from the root down, collecting each sibling; the RFC
  // lists them leaf first, so reverse at the end.
  std::vector<Hash> path;
  uint64_t b = 0, e = size;
  while (e - b > 1) {
    const uint64_t k = split_point(e - b);
    if (index < b + k) {
      path.push_back(range_hash(read, b + k, e));
      e = b + k;
    } else {
      path.push_back(range_hash(read, b, b + k));
      b = b + k;
    }
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<Hash> consistency_proof(const SubtreeReader& read, uint64_t old_size, uint64_t new_size) {
  if (old_size > new_size) throw std::out_of_range("consistency_proof: old size is above new size");
  std::vector<Hash> proof;
  if (old_size == 0 || old_size == new_size) return proof;
  // SUBPROOF(m, D[b:e], known) from the top; `known` is RFC 9162's b flag:
  // true while D[b:b+m] is still the whole old tree, whose root the verifier
  // already has.
  uint64_t b = 0, e = new_size, m = old_size;
  bool known = true;
  while (m != e - b) {
    const uint64_t k = split_point(e - b);
    if (m <= k) {
      proof.push_back(range_hash(read, b + k, e));
      e = b + k;
    } else {
      proof.push_back(range_hash(read, b, b + k));
      b = b + k;
      m -= k;
      known = false;
    }
  }
  if (!known) proof.push_back(range_hash(read, b, e));
  std::reverse(proof.begin(), proof.end());
  return proof;
}

bool verify_inclusion(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& proof,
                      const Hash& root, std::string& why) {
  // RFC 9162 section 2.1.3.2, step by step.
  if (index >= size) {
    why = "leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(size);
    return false;
  }
  uint64_t fn = index, sn = size - 1;
  Hash r = leaf;
  for (const Hash& p : proof) {
    if (sn == 0) {
      why = "inclusion proof has more hashes than a tree of size " + std::to_string(size) + " needs";
      return false;
    }
    if ((fn & 1) == 1 || fn == sn) {
      r = node_hash(p, r);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    why = "inclusion proof has fewer hashes than a tree of size " + std::to_string(size) + " needs";
    return false;
  }
  if (r != root) {
    why = "inclusion proof does not lead to the root: wrong leaf, index, size or root";
    return false;
  }
  why.clear();
  return true;
}

bool verify_consistency(uint64_t old_size, uint64_t new_size, const Hash& old_root, const Hash& new_root,
                        const std::vector<Hash>& proof, std::string& why) {
  if (old_size > new_size) {
    why = "old size " + std::to_string(old_size) + " is above new size " + std::to_string(new_size);
    return false;
  }
  // The two cases RFC 9162 leaves out: nothing to prove, so the proof must be
  // empty and the roots must be what the sizes say they are.
  if (old_size == 0 || old_size == new_size) {
    if (!proof.empty()) {
      why = "a consistency proof from size " + std::to_string(old_size) + " to " + std::to_string(new_size) +
            " must be empty";
      return false;
    }
    if (old_size == 0 && old_root != empty_tree_root()) {
      why = "old root is not the empty tree's root";
      return false;
    }
    if (old_size == new_size && old_root != new_root) {
      why = "trees of the same size have different roots";
      return false;
    }
    why.clear();
    return true;
  }

  // RFC 9162 section 2.1.4.2, step by step.
  if (proof.empty()) {
    why = "consistency proof is empty";
    return false;
  }
  std::vector<Hash> path;
  path.reserve(proof.size() + 1);
  if (std::has_single_bit(old_size)) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());

  uint64_t fn = old_size - 1, sn = new_size - 1;
  while ((fn & 1) == 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Hash& c = path[i];
    if (sn == 0) {
      why = "consistency proof has more hashes than sizes " + std::to_string(old_size) + " and " +
            std::to_string(new_size) + " need";
      return false;
    }
    if ((fn & 1) == 1 || fn == sn) {
      fr = node_hash(c, fr);
      sr = node_hash(c, sr);
      while ((fn & 1) == 0 && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) {
    why = "consistency proof has fewer hashes than sizes " + std::to_string(old_size) + " and " +
          std::to_string(new_size) + " need";
    return false;
  }
  if (fr != old_root) {
    why = "consistency proof does not lead to the old root";
    return false;
  }
  if (sr != new_root) {
    // With an old size that is a power of two the old root is itself the
    // path's first hash, so a wrong old root surfaces here.
    why = std::has_single_bit(old_size) ? "consistency proof and old root do not lead to the new root"
                                        : "consistency proof does not lead to the new root";
    return false;
  }
  why.clear();
  return true;
}

std::string inclusion_proof_json(uint64_t index, uint64_t size, const Hash& leaf, const std::vector<Hash>& proof) {
  // Hand-formatted: the key order is part of the published format, and a
  // JSON library's object would sort or hash it away.
  return "{\"index\": " + std::to_string(index) + ", \"tree_size\": " + std::to_string(size) +
         ", \"leaf_hash\": \"" + base64(leaf) + "\", \"hashes\": " + hash_list_json(proof) + "}";
}

std::string consistency_proof_json(uint64_t old_size, uint64_t new_size, const std::vector<Hash>& proof) {
  return "{\"old_size\": " + std::to_string(old_size) + ", \"new_size\": " + std::to_string(new_size) +
         ", \"hashes\": " + hash_list_json(proof) + "}";
}

void add_leaf(const SubtreeReader& read, uint64_t index, const Hash& leaf,
              const std::function<void(unsigned level, uint64_t index, const Hash&)>& store) {
  // Leaf `index` completes one perfect subtree per trailing 1 bit of index:
  // at each odd position the left sibling is already stored.
  store(0, index, leaf);
  Hash h = leaf;
  unsigned level = 0;
  uint64_t i = index;
  while ((i & 1) == 1) {
    FT_ASSERT(level < 64, "a subtree above level 63 cannot exist");
    h = node_hash(read(level, i - 1), h);
    ++level;
    i >>= 1;
    store(level, i, h);
  }
}

}  // namespace fundtrail
