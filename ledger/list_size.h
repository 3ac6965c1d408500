// The element count of a Cap'n Proto list built from a std::vector.
#pragma once

#include <capnp/common.h>

#include <cstddef>

#include "ledger/assert.h"

namespace fundtrail {

// Cap'n Proto counts list elements in 29 bits (capnp/layout.h), so a list holds
// at most 2^29 - 1 of them; a record stays far below that (ledger/limits.h).
inline capnp::uint list_size(std::size_t n) {
  FT_REQUIRE(n < (std::size_t{1} << 29), "a Cap'n Proto list holds fewer than 2^29 elements");
  return static_cast<capnp::uint>(n);
}

}  // namespace fundtrail
