// Every field of an Entry checked on its own, before any ledger rule and with
// no ledger state (docs/rules.md "Checks": `format` and `limits`). An Entry
// from a file or the network is hostile until this has passed: a known body
// kind, every enum value in range, text within its limit with no control
// characters, required fields present, real dates, keys of 32 bytes, lists
// within their limits. Thread-safe (pure); refuses by throwing Error.
#pragma once
#include "fundtrail.capnp.h"

namespace fundtrail {

// Refuses with check `format` or `limits` naming the field. The genesis body
// is valid only at seq 0 and any other body only after it (`at_genesis`).
void validate_entry(schema::Entry::Reader entry, bool at_genesis);

}  // namespace fundtrail
