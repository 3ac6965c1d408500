// SHA-256 for the verifier's hot path (a leaf hash per record, a node hash
// per record on average), from OpenSSL's libcrypto: it uses the CPU's SHA
// instructions where there are any, four times libsodium's portable code here
// (docs/performance.md). A second implementation from the writer's also means
// that a bug in one library's SHA-256 cannot hide in both.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <span>

namespace fv {

// out = SHA-256 of the concatenated parts. Safe to call from many threads;
// aborts if libcrypto cannot hash (it cannot fail on valid memory).
void sha256(std::initializer_list<std::span<const uint8_t>> parts, uint8_t out[32]);

}  // namespace fv
