// Always-on checks (TigerBeetle's TIGER_STYLE, KJ's REQUIRE/ASSERT), in every
// build type, NDEBUG or not:
//   FT_REQUIRE(cond, msg)  a caller broke a precondition of the function;
//   FT_ASSERT(cond, msg)   an invariant of our own code does not hold.
// Either prints file, line, the condition and the message to stderr and
// aborts: a ledger must never be written by code whose invariants failed, and
// an abort leaves the last committed LMDB transaction intact. Damaged input
// is not a programming error: refuse it with an Error value instead.
#pragma once

namespace fundtrail::detail {
[[noreturn]] void invariant_failed(const char* kind, const char* file, int line, const char* cond, const char* msg);
}  // namespace fundtrail::detail

#define FT_ASSERT(cond, msg) \
  ((cond) ? static_cast<void>(0) : ::fundtrail::detail::invariant_failed("invariant", __FILE__, __LINE__, #cond, msg))
#define FT_REQUIRE(cond, msg) \
  ((cond) ? static_cast<void>(0) : ::fundtrail::detail::invariant_failed("precondition", __FILE__, __LINE__, #cond, msg))
