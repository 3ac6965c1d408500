#include "sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace fv {
namespace {

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fundtrail-verify: libcrypto SHA-256 failed (%s)\n", what);
  std::abort();
}

// Fetching the algorithm and allocating a context cost more than hashing a
// leaf, so each thread keeps one of each for its whole life.
struct Context {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  Context() {
    if (!md || !ctx) fail("no SHA256 implementation");
  }
  ~Context() {
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
  }
};

}  // namespace

void sha256(std::initializer_list<std::span<const uint8_t>> parts, uint8_t out[32]) {
  thread_local Context c;
  if (EVP_DigestInit_ex2(c.ctx, c.md, nullptr) != 1) fail("init");
  for (auto part : parts)
    if (!part.empty() && EVP_DigestUpdate(c.ctx, part.data(), part.size()) != 1) fail("update");
  unsigned len = 0;
  if (EVP_DigestFinal_ex(c.ctx, out, &len) != 1 || len != 32) fail("final");
}

}  // namespace fv
