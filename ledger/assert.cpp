#include "ledger/assert.h"

#include <cstdio>
#include <cstdlib>

namespace fundtrail::detail {

void invariant_failed(const char* kind, const char* file, int line, const char* cond, const char* msg) {
  std::fprintf(stderr, "fundtrail: internal error: %s failed at %s:%d: %s (%s)\n", kind, file, line, cond, msg);
  std::fflush(stderr);
  std::abort();
}

}  // namespace fundtrail::detail
