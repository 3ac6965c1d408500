// SHA-256 and the text encodings used around hashes and keys.
#include "ledger/hash.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cassert>

#include "ledger/assert.h"

namespace fundtrail {

namespace {

// Domain-separation prefixes of RFC 6962 section 2.1: a leaf can never be
// mistaken for an interior node (second-preimage resistance of the tree).
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

// SHA-256 by libcrypto, which uses the CPU's SHA extensions where it has
// them (several times libsodium's portable code: every record is hashed
// two or three times on append, docs/performance.md). Fetching the algorithm
// and allocating a context cost more than hashing a leaf, so each thread
// keeps one of each for its whole life.
struct Sha256Context {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Sha256Context() { FT_ASSERT(md && ctx, "libcrypto has no SHA-256"); }
  ~Sha256Context() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

Hash digest(std::initializer_list<std::span<const uint8_t>> parts) {
  thread_local Sha256Context c;
  bool ok = EVP_DigestInit_ex2(c.ctx, c.md, nullptr) == 1;
  for (auto part : parts) ok = ok && (part.empty() || EVP_DigestUpdate(c.ctx, part.data(), part.size()) == 1);
  Hash out;
  unsigned len = 0;
  ok = ok && EVP_DigestFinal_ex(c.ctx, out.data(), &len) == 1 && len == out.size();
  FT_ASSERT(ok, "libcrypto's SHA-256 failed");
  return out;
}

}  // namespace

Hash sha256(std::span<const uint8_t> data) { return digest({data}); }

Hash leaf_hash(std::span<const uint8_t> leaf) {
  // In parts, so a 64 KiB leaf is not copied just to prepend one byte.
  return digest({std::span<const uint8_t>(&kLeafPrefix, 1), leaf});
}

Hash node_hash(const Hash& left, const Hash& right) {
  return digest({std::span<const uint8_t>(&kNodePrefix, 1), std::span<const uint8_t>(left), std::span<const uint8_t>(right)});
}

Hash empty_tree_root() { return sha256({}); }

std::string base64(std::span<const uint8_t> data) {
  const size_t cap = sodium_base64_ENCODED_LEN(data.size(), sodium_base64_VARIANT_ORIGINAL);
  std::string out(cap, '\0');  // cap counts the terminating NUL
  sodium_bin2base64(out.data(), cap, data.data(), data.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(cap - 1);
  assert(out.size() % 4 == 0);
  return out;
}

bool from_base64(std::string_view text, std::string& out) {
  // Standard alphabet, padding required. libsodium also refuses non-zero
  // trailing bits, so every byte string has exactly one accepted text: a
  // signature or hash cannot be re-encoded into a second, different-looking
  // but equal form.
  if (text.size() % 4 != 0) return false;
  // libsodium passes over some bytes outside the alphabet (the fuzzer found an
  // em dash inside a root hash accepted), so the alphabet is checked here, and
  // the decoded bytes must encode back to exactly the text given.
  const size_t pad = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
  for (size_t i = 0; i + pad < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/'))
      return false;
  }
  if (text.empty()) {
    out.clear();
    return true;
  }
  std::string buf(text.size() / 4 * 3, '\0');
  size_t len = 0;
  // ignore = nullptr: whitespace is junk. b64_end = nullptr: libsodium then
  // fails unless it consumed the whole input.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(buf.data()), buf.size(), text.data(), text.size(),
                        nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0) {
    return false;
  }
  buf.resize(len);
  if (base64(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf.data()), buf.size())) != text) return false;
  out = std::move(buf);
  return true;
}

std::string hex(std::span<const uint8_t> data) {
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.pop_back();
  return out;
}

}  // namespace fundtrail
