// Payment runs (DESIGN.md "Payment runs"): the verifier's checks of batches,
// on ledgers built byte by byte (builder.h). Filled in by issue 24.
#include <doctest/doctest.h>
