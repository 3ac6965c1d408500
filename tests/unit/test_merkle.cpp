// Merkle tree: merkle.json byte for byte, an independent RFC 6962 reference
// for every proof up to 64 leaves, O(log n) reads at a million leaves, and
// the hash/base64 primitives underneath.
#include <doctest/doctest.h>
#include <sodium.h>

#include <bit>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ledger/hash.h"
#include "ledger/merkle.h"

using namespace fundtrail;

namespace {

std::span<const uint8_t> bytes(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// ---- Independent reference: RFC 6962 section 2.1 read literally, over a
// plain vector, hashing with libsodium directly (not ledger/hash.cpp).
namespace rfc {

Hash sha(std::string_view prefix, std::string_view data) {
  std::string buf = std::string(prefix) + std::string(data);
  Hash h;
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(buf.data()), buf.size());
  return h;
}
Hash leaf(std::string_view d) { return sha(std::string(1, '\0'), d); }
Hash node(const Hash& l, const Hash& r) {
  unsigned char buf[65] = {0x01};
  std::copy(l.begin(), l.end(), buf + 1);
  std::copy(r.begin(), r.end(), buf + 33);
  Hash h;
  crypto_hash_sha256(h.data(), buf, sizeof buf);
  return h;
}

// k: the largest power of two smaller than n.
size_t k_of(size_t n) {
  size_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// D holds MTH({d(i)}) = HASH(0x00 || d(i)) for every leaf.
Hash MTH(const std::vector<Hash>& D, size_t b, size_t e) {
  const size_t n = e - b;
  if (n == 0) return sha("", "");
  if (n == 1) return D[b];
  const size_t k = k_of(n);
  return node(MTH(D, b, b + k), MTH(D, b + k, e));
}

std::vector<Hash> PATH(size_t m, const std::vector<Hash>& D, size_t b, size_t e) {
  const size_t n = e - b;
  if (n == 1) return {};
  const size_t k = k_of(n);
  std::vector<Hash> r;
  if (m < k) {
    r = PATH(m, D, b, b + k);
    r.push_back(MTH(D, b + k, e));
  } else {
    r = PATH(m - k, D, b + k, e);
    r.push_back(MTH(D, b, b + k));
  }
  return r;
}

std::vector<Hash> SUBPROOF(size_t m, const std::vector<Hash>& D, size_t b, size_t e, bool flag) {
  const size_t n = e - b;
  if (m == n) return flag ? std::vector<Hash>{} : std::vector<Hash>{MTH(D, b, e)};
  const size_t k = k_of(n);
  std::vector<Hash> r;
  if (m <= k) {
    r = SUBPROOF(m, D, b, b + k, flag);
    r.push_back(MTH(D, b + k, e));
  } else {
    r = SUBPROOF(m - k, D, b + k, e, false);
    r.push_back(MTH(D, b, b + k));
  }
  return r;
}

std::vector<Hash> PROOF(size_t m, const std::vector<Hash>& D, size_t n) {
  if (m == 0 || m == n) return {};
  return SUBPROOF(m, D, 0, n, true);
}

}  // namespace rfc

// The ledger's `tree` database in memory: (level, index) -> hash, filled only
// by add_leaf. at(n) reads the tree as it was at n leaves and throws on any
// subtree reaching past n, which would leak later leaves into an old root.
struct MapTree {
  std::map<std::pair<unsigned, uint64_t>, Hash> nodes;
  uint64_t size = 0;
  size_t reads = 0;

  SubtreeReader at(uint64_t n) {
    return [this, n](unsigned level, uint64_t index) {
      ++reads;
      if ((index + 1) << level > n) throw std::logic_error("read of a subtree past the tree size");
      auto it = nodes.find({level, index});
      if (it == nodes.end()) throw std::logic_error("read of a subtree that was never stored");
      return it->second;
    };
  }
  void append(const Hash& leaf) {
    add_leaf(at(size), size, leaf, [this](unsigned level, uint64_t index, const Hash& h) {
      if (!nodes.emplace(std::make_pair(level, index), h).second) throw std::logic_error("subtree stored twice");
    });
    ++size;
  }
};

std::string leaf_text(size_t i) { return "fundtrail leaf " + std::to_string(i); }

nlohmann::json load_merkle_vectors() {
  std::ifstream in(std::string(FUNDTRAIL_TEST_DATA) + "/merkle.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

Hash b64hash(const std::string& text) {
  std::string raw;
  REQUIRE(from_base64(text, raw));
  REQUIRE(raw.size() == 32);
  Hash h;
  std::copy(raw.begin(), raw.end(), h.begin());
  return h;
}

std::vector<Hash> b64hashes(const nlohmann::json& list) {
  std::vector<Hash> out;
  for (const auto& s : list) out.push_back(b64hash(s.get<std::string>()));
  return out;
}

// Keys appear in exactly this order, each once.
void check_key_order(const std::string& json, std::initializer_list<const char*> keys) {
  size_t at = 0;
  for (const char* k : keys) {
    const size_t pos = json.find(std::string("\"") + k + "\":", at);
    REQUIRE_MESSAGE(pos != std::string::npos, "key " << k << " missing or out of order in " << json);
    at = pos + 1;
  }
  CHECK(nlohmann::json::parse(json).size() == keys.size());
}

struct Fixture {
  MapTree tree;
  std::vector<Hash> leaves;  // for the reference implementation
  explicit Fixture(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      leaves.push_back(rfc::leaf(leaf_text(i)));
      tree.append(leaf_hash(bytes(leaf_text(i))));
    }
  }
};

}  // namespace

TEST_CASE("hash: SHA-256, leaf and node hashes against libsodium directly") {
  CHECK(base64(empty_tree_root()) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  CHECK(hex(sha256(bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(leaf_hash(bytes("fundtrail leaf 0")) == rfc::leaf("fundtrail leaf 0"));
  const std::string big(70000, 'x');  // bigger than any leaf may be
  CHECK(leaf_hash(bytes(big)) == rfc::leaf(big));
  const Hash a = sha256(bytes("a")), b = sha256(bytes("b"));
  CHECK(node_hash(a, b) == rfc::node(a, b));
  CHECK(node_hash(a, b) != node_hash(b, a));
  const uint8_t hx[] = {0x00, 0xab, 0x01, 0xff};
  CHECK(hex(hx) == "00ab01ff");
  CHECK(hex({}) == "");
}

TEST_CASE("hash: base64 is standard, padded and strict") {
  for (size_t n = 0; n <= 40; ++n) {
    std::string raw;
    for (size_t i = 0; i < n; ++i) raw.push_back(static_cast<char>(i * 37 + 11));
    const std::string text = base64(bytes(raw));
    CHECK(text.size() == (n + 2) / 3 * 4);
    std::string back = "junk";
    REQUIRE(from_base64(text, back));
    CHECK(back == raw);
  }
  CHECK(base64(bytes("\xfb\xff")) == "+/8=");  // standard alphabet, not URL-safe

  std::string out = "unchanged";
  for (const char* bad : {"A", "AA", "AAA", "AA=", "AA=A", "AAA==", "AAAA=", "AAAA====", "====", "A===",
                          " AAA", "AAA ", "AA\n==", "AA\r\n==", "AAAA\n", "-_8=", "AB==", "AAB=", "AA==AA==",
                          "é"}) {
    INFO("input '" << bad << "'");
    CHECK_FALSE(from_base64(bad, out));
  }
  CHECK_FALSE(from_base64(std::string_view("QUJD\0", 5), out));
  CHECK(out == "unchanged");
  CHECK(from_base64("", out));
  CHECK(out.empty());
  CHECK(from_base64("QUJD", out));
  CHECK(out == "ABC");
}

TEST_CASE("merkle: roots, inclusion and consistency proofs of merkle.json, byte for byte") {
  const auto v = load_merkle_vectors();
  Fixture f(1000);

  CHECK(base64(f.tree.at(1)(0, 0)) == v["leaf_hash_0"].get<std::string>());

  REQUIRE(v["roots"].size() == 17);
  for (const auto& r : v["roots"]) {
    const uint64_t n = r["tree_size"];
    INFO("tree size " << n);
    CHECK(base64(tree_root(f.tree.at(n), n)) == r["root"].get<std::string>());
  }

  REQUIRE(v["inclusion"].size() == 21);
  for (const auto& c : v["inclusion"]) {
    const uint64_t i = c["index"], n = c["tree_size"];
    INFO("inclusion " << i << " in " << n);
    const Hash leaf = f.tree.at(n)(0, i);
    const auto proof = inclusion_proof(f.tree.at(n), i, n);
    CHECK(proof == b64hashes(c["hashes"]));
    const std::string json = inclusion_proof_json(i, n, leaf, proof);
    CHECK(nlohmann::json::parse(json) == c);
    check_key_order(json, {"index", "tree_size", "leaf_hash", "hashes"});
    std::string why;
    CHECK_MESSAGE(verify_inclusion(i, n, leaf, proof, tree_root(f.tree.at(n), n), why), why);
  }

  REQUIRE(v["consistency"].size() == 9);
  for (const auto& c : v["consistency"]) {
    const uint64_t m = c["old_size"], n = c["new_size"];
    INFO("consistency " << m << " to " << n);
    const auto proof = consistency_proof(f.tree.at(n), m, n);
    CHECK(proof == b64hashes(c["hashes"]));
    const std::string json = consistency_proof_json(m, n, proof);
    CHECK(nlohmann::json::parse(json) == c);
    check_key_order(json, {"old_size", "new_size", "hashes"});
    std::string why;
    CHECK_MESSAGE(verify_consistency(m, n, tree_root(f.tree.at(m), m), tree_root(f.tree.at(n), n), proof, why), why);
  }
}

TEST_CASE("merkle: proof JSON layout") {
  const Hash h = sha256(bytes("x"));
  CHECK(inclusion_proof_json(3, 7, h, {h, h}) == "{\"index\": 3, \"tree_size\": 7, \"leaf_hash\": \"" + base64(h) +
                                                      "\", \"hashes\": [\"" + base64(h) + "\", \"" + base64(h) + "\"]}");
  CHECK(consistency_proof_json(8, 8, {}) == "{\"old_size\": 8, \"new_size\": 8, \"hashes\": []}");
}

TEST_CASE("merkle: every root and proof up to 64 leaves matches the RFC reference") {
  Fixture f(64);
  for (uint64_t n = 0; n <= 64; ++n) {
    const Hash root = tree_root(f.tree.at(n), n);
    CHECK(root == rfc::MTH(f.leaves, 0, n));
    for (uint64_t i = 0; i < n; ++i) {
      const auto proof = inclusion_proof(f.tree.at(n), i, n);
      REQUIRE_MESSAGE(proof == rfc::PATH(i, f.leaves, 0, n), "inclusion " << i << " in " << n);
      std::string why;
      CHECK_MESSAGE(verify_inclusion(i, n, f.leaves[i], proof, root, why), why);
    }
    for (uint64_t m = 0; m <= n; ++m) {
      const auto proof = consistency_proof(f.tree.at(n), m, n);
      REQUIRE_MESSAGE(proof == rfc::PROOF(m, f.leaves, n), "consistency " << m << " to " << n);
      std::string why;
      CHECK_MESSAGE(verify_consistency(m, n, rfc::MTH(f.leaves, 0, m), root, proof, why), why);
    }
  }
}

TEST_CASE("merkle: range_hash over aligned ranges equals the reference") {
  Fixture f(64);
  for (uint64_t b = 0; b < 64; ++b)
    for (uint64_t e = b + 1; e <= 64; ++e) {
      const uint64_t n = e - b;
      const uint64_t k = n == 1 ? 1 : std::bit_floor(n - 1);
      if (b % k != 0 || (std::has_single_bit(n) && b % n != 0)) continue;  // outside the precondition
      CHECK(range_hash(f.tree.at(64), b, e) == rfc::MTH(f.leaves, b, e));
    }
  CHECK_THROWS_AS(range_hash(f.tree.at(64), 5, 5), std::invalid_argument);
}

TEST_CASE("merkle: add_leaf stores each leaf and every complete subtree, level 0 first") {
  MapTree t;
  std::vector<std::pair<unsigned, uint64_t>> order;
  for (uint64_t i = 0; i < 8; ++i) {
    order.clear();
    add_leaf(t.at(i), i, rfc::leaf(leaf_text(i)), [&](unsigned level, uint64_t index, const Hash& h) {
      order.emplace_back(level, index);
      t.nodes.emplace(std::make_pair(level, index), h);
    });
    t.size = i + 1;
  }
  // Leaf 7 completes [6,8), [4,8) and [0,8).
  CHECK(order == std::vector<std::pair<unsigned, uint64_t>>{{0, 7}, {1, 3}, {2, 1}, {3, 0}});

  Fixture f(100);
  // A tree of n leaves has floor(n / 2^L) complete subtrees at level L.
  CHECK(f.tree.nodes.size() == 2 * 100 - std::popcount(100u));
  for (const auto& [key, h] : f.tree.nodes) {
    const auto [level, index] = key;
    CHECK(h == rfc::MTH(f.leaves, index << level, (index + 1) << level));
  }
}

TEST_CASE("merkle: inclusion verification rejects what does not match") {
  Fixture f(64);
  auto refuses = [](uint64_t i, uint64_t n, const Hash& leaf, const std::vector<Hash>& p, const Hash& root,
                    const char* expect) {
    std::string why;
    const bool ok = verify_inclusion(i, n, leaf, p, root, why);
    CHECK_MESSAGE(!ok, "accepted index " << i << " size " << n);
    CHECK_MESSAGE(why.find(expect) != std::string::npos, why);
  };
  for (uint64_t n = 1; n <= 64; ++n) {
    const Hash root = rfc::MTH(f.leaves, 0, n);
    for (uint64_t i = 0; i < n; ++i) {
      INFO("index " << i << " size " << n);
      const auto p = inclusion_proof(f.tree.at(n), i, n);
      Hash bad_leaf = f.leaves[i];
      bad_leaf[0] ^= 1;
      refuses(i, n, bad_leaf, p, root, "does not lead to the root");
      Hash bad_root = root;
      bad_root[31] ^= 0x80;
      refuses(i, n, f.leaves[i], p, bad_root, "does not lead to the root");
      refuses(n, n, f.leaves[i], p, root, "not below tree size");
      if (i + 1 < n) refuses(i + 1, n, f.leaves[i], p, root, "");
      if (i > 0) refuses(i - 1, n, f.leaves[i], p, root, "");
      if (i > 0) refuses(i - 1, n, f.leaves[i - 1], p, root, "");  // the other leaf, this leaf's proof
      if (!p.empty()) {
        refuses(i, n, f.leaves[i], {p.begin(), p.end() - 1}, root, "fewer hashes");
        refuses(i, n, f.leaves[i], {p.begin() + 1, p.end()}, root, "");
        auto swapped = p;
        swapped.front()[0] ^= 1;
        refuses(i, n, f.leaves[i], swapped, root, "does not lead to the root");
      }
      auto longer = p;
      longer.push_back(root);
      refuses(i, n, f.leaves[i], longer, root, "more hashes");
      auto prefixed = p;
      prefixed.insert(prefixed.begin(), f.leaves[i]);
      refuses(i, n, f.leaves[i], prefixed, root, "");
    }
  }
  // Wrong tree sizes. A proof fixes the leaf's position and the path's
  // shape, and a few other sizes share that shape (index 0 of 3 and of 4:
  // two left turns), so the size is bound by the signed checkpoint that names
  // both size and root, not by the proof. Sizes of a different shape fail:
  const struct { uint64_t i, n, wrong_n; } cases[] = {{6, 7, 8},  {6, 7, 13},  {12, 13, 14},  {12, 13, 16},
                                                      {0, 8, 9},  {5, 13, 17}, {63, 64, 65},  {0, 2, 1}};
  for (const auto& c : cases) {
    INFO("index " << c.i << " size " << c.n << " claimed " << c.wrong_n);
    const auto p = inclusion_proof(f.tree.at(c.n), c.i, c.n);
    std::string why;
    CHECK_FALSE(verify_inclusion(c.i, c.wrong_n, f.leaves[c.i], p, rfc::MTH(f.leaves, 0, c.n), why));
    CHECK_FALSE(why.empty());
  }
  {
    // The shape-sharing case, shown so nobody mistakes it for a bug.
    const auto p = inclusion_proof(f.tree.at(3), 0, 3);
    std::string why;
    CHECK(verify_inclusion(0, 4, f.leaves[0], p, rfc::MTH(f.leaves, 0, 3), why));
  }
  CHECK_THROWS_AS(inclusion_proof(f.tree.at(5), 5, 5), std::out_of_range);
}

TEST_CASE("merkle: consistency verification rejects what does not match") {
  Fixture f(64);
  auto refuses = [](uint64_t m, uint64_t n, const Hash& r1, const Hash& r2, const std::vector<Hash>& p,
                    const char* expect) {
    std::string why;
    CHECK_MESSAGE(!verify_consistency(m, n, r1, r2, p, why), "accepted " << m << " to " << n);
    CHECK_MESSAGE(why.find(expect) != std::string::npos, why);
  };
  for (uint64_t n = 1; n <= 64; ++n) {
    const Hash r2 = rfc::MTH(f.leaves, 0, n);
    for (uint64_t m = 1; m < n; ++m) {
      INFO("consistency " << m << " to " << n);
      const Hash r1 = rfc::MTH(f.leaves, 0, m);
      const auto p = consistency_proof(f.tree.at(n), m, n);
      Hash bad = r1;
      bad[0] ^= 1;
      refuses(m, n, bad, r2, p, std::has_single_bit(m) ? "old root do not lead to the new root" : "the old root");
      bad = r2;
      bad[0] ^= 1;
      refuses(m, n, r1, bad, p, "new root");
      refuses(m, n, r1, r2, {}, "empty");
      refuses(m, n, r1, r2, {p.begin(), p.end() - 1}, "");
      refuses(m, n, r1, r2, {p.begin() + 1, p.end()}, "");
      auto longer = p;
      longer.push_back(r2);
      refuses(m, n, r1, r2, longer, "more hashes");
      auto changed = p;
      changed.back()[5] ^= 1;
      refuses(m, n, r1, r2, changed, "");
      refuses(n, m, r2, r1, p, "above new size");
      // The same roots under other sizes: the old root no longer fits.
      if (m + 1 < n) refuses(m + 1, n, r1, r2, p, "");
      if (m > 1) refuses(m - 1, n, r1, r2, p, "");
    }
    // Nothing to prove: the proof must be empty and the roots must agree.
    std::string why;
    CHECK(verify_consistency(n, n, r2, r2, {}, why));
    CHECK(verify_consistency(0, n, empty_tree_root(), r2, {}, why));
    refuses(n, n, r2, r2, {r2}, "must be empty");
    Hash other = r2;
    other[0] ^= 1;
    refuses(n, n, r2, other, {}, "different roots");
    refuses(0, n, other, r2, {}, "empty tree");
  }
  CHECK_THROWS_AS(consistency_proof(f.tree.at(8), 9, 8), std::out_of_range);
}

TEST_CASE("merkle: a million leaves, proofs read O(log n) stored hashes") {
  // Synthetic leaf hashes (no record bytes to hash), stored level by level as
  // the `tree` database would hold them.
  struct VecTree {
    std::vector<std::vector<Hash>> levels;
    size_t reads = 0;
    SubtreeReader reader() {
      return [this](unsigned level, uint64_t index) {
        ++reads;
        return levels.at(level).at(index);
      };
    }
  } t;
  const uint64_t N = 1'000'000;
  std::vector<Hash> leaves(N);
  const SubtreeReader read = t.reader();
  const auto store = [&t](unsigned level, uint64_t index, const Hash& h) {
    if (t.levels.size() <= level) t.levels.resize(level + 1);
    if (t.levels[level].size() != index) throw std::logic_error("subtree stored out of order");
    t.levels[level].push_back(h);
  };
  for (uint64_t i = 0; i < N; ++i) {
    Hash& h = leaves[i];
    for (int b = 0; b < 8; ++b) h[b] = static_cast<uint8_t>(i >> (8 * b));
    h[31] = 0x5a;
    add_leaf(read, i, h, store);
  }
  REQUIRE(t.levels[0].size() == N);

  const Hash root = tree_root(read, N);
  CHECK(root == rfc::MTH(leaves, 0, N));

  const size_t log2n = std::bit_width(N);  // 20
  t.reads = 0;
  tree_root(read, N);
  CHECK(t.reads == static_cast<size_t>(std::popcount(N)));

  size_t most_inclusion = 0, most_consistency = 0;
  for (uint64_t i : {uint64_t{0}, uint64_t{1}, uint64_t{123'456}, uint64_t{524'287}, uint64_t{524'288}, N - 2, N - 1}) {
    t.reads = 0;
    const auto p = inclusion_proof(read, i, N);
    most_inclusion = std::max(most_inclusion, t.reads);
    INFO("inclusion " << i << ": " << t.reads << " reads, " << p.size() << " hashes");
    CHECK(t.reads <= 2 * log2n);
    std::string why;
    CHECK_MESSAGE(verify_inclusion(i, N, leaves[i], p, root, why), why);
  }
  for (uint64_t m : {uint64_t{1}, uint64_t{2}, uint64_t{7}, uint64_t{524'288}, uint64_t{777'777}, N - 1}) {
    t.reads = 0;
    const auto p = consistency_proof(read, m, N);
    const size_t proof_reads = t.reads;
    most_consistency = std::max(most_consistency, proof_reads);
    INFO("consistency " << m << ": " << proof_reads << " reads, " << p.size() << " hashes");
    CHECK(proof_reads <= 2 * log2n + 1);
    std::string why;
    CHECK_MESSAGE(verify_consistency(m, N, tree_root(read, m), root, p, why), why);
  }
  MESSAGE("at " << N << " leaves (log2 " << log2n << "): an inclusion proof read at most " << most_inclusion
                << " stored hashes, a consistency proof at most " << most_consistency);
}
