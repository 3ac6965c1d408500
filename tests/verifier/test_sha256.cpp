// The verifier's SHA-256 (libcrypto) against libsodium's, a second
// implementation, on the inputs the hot path gives it: split parts, empty
// parts, and many threads each with their own context.
#include <doctest/doctest.h>
#include <sodium.h>

#include <array>
#include <thread>
#include <vector>

#include "merkle.h"
#include "sha256.h"

namespace {

std::array<uint8_t, 32> sodiumSha256(const std::vector<uint8_t>& bytes) {
  std::array<uint8_t, 32> h;
  crypto_hash_sha256(h.data(), bytes.data(), bytes.size());
  return h;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 31);
  return v;
}

}  // namespace

TEST_CASE("sha256 of parts equals libsodium's SHA-256 of their concatenation, at every block boundary") {
  REQUIRE(sodium_init() >= 0);
  for (size_t n : {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 391, 1000, 65535}) {
    CAPTURE(n);
    auto bytes = pattern(n, static_cast<uint8_t>(n));
    std::array<uint8_t, 32> whole, split, padded;
    fv::sha256({bytes}, whole.data());
    size_t cut = n / 3;
    fv::sha256({std::span(bytes).first(cut), std::span(bytes).subspan(cut)}, split.data());
    fv::sha256({{}, std::span(bytes).first(cut), {}, std::span(bytes).subspan(cut), {}}, padded.data());
    CHECK(whole == sodiumSha256(bytes));
    CHECK(split == whole);
    CHECK(padded == whole);
  }
}

TEST_CASE("leaf and node hashes carry RFC 6962's prefixes and agree across threads") {
  auto leaf = pattern(391, 7);
  std::vector<uint8_t> prefixed{0x00};
  prefixed.insert(prefixed.end(), leaf.begin(), leaf.end());
  const fv::Hash expectLeaf = sodiumSha256(prefixed);
  CHECK(fv::leafHash(leaf) == expectLeaf);

  std::vector<uint8_t> node{0x01};
  node.insert(node.end(), expectLeaf.begin(), expectLeaf.end());
  node.insert(node.end(), expectLeaf.begin(), expectLeaf.end());
  const fv::Hash expectNode = sodiumSha256(node);
  CHECK(fv::nodeHash(expectLeaf, expectLeaf) == expectNode);
  CHECK(fv::emptyRoot() == sodiumSha256({}));

  // Each thread owns a context: concurrent hashing must not mix states.
  std::vector<int> wrong(8, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i)
        wrong[t] += (fv::leafHash(leaf) != expectLeaf) + (fv::nodeHash(expectLeaf, expectLeaf) != expectNode);
    });
  for (auto& th : threads) th.join();
  for (int w : wrong) CHECK(w == 0);
}
