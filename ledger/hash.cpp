// SHA-256 and the text encodings used around hashes and keys.
#include "ledger/hash.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>

namespace fundtrail {

namespace {

// Domain-separation prefixes of RFC 6962 section 2.1: a leaf can never be
// mistaken for an interior node (second-preimage resistance of the tree).
constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

}  // namespace

// No sodium_init() here: libsodium's SHA-256, base64 and hex have a single
// implementation and no global state, so they are safe before it.
Hash sha256(std::span<const uint8_t> data) {
  Hash out;
  crypto_hash_sha256(out.data(), data.data(), data.size());
  return out;
}

Hash leaf_hash(std::span<const uint8_t> leaf) {
  // Incremental, so a 64 KiB leaf is not copied just to prepend one byte.
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, &kLeafPrefix, 1);
  crypto_hash_sha256_update(&st, leaf.data(), leaf.size());
  Hash out;
  crypto_hash_sha256_final(&st, out.data());
  return out;
}

Hash node_hash(const Hash& left, const Hash& right) {
  uint8_t buf[1 + 32 + 32];
  buf[0] = kNodePrefix;
  std::copy(left.begin(), left.end(), buf + 1);
  std::copy(right.begin(), right.end(), buf + 33);
  Hash out;
  crypto_hash_sha256(out.data(), buf, sizeof buf);
  return out;
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
