// The signed request as JSON (DESIGN.md "Serving a partnership", firm): the
// body of POST /v1/entries and the content of a request file (--sign-only,
// cosign, submit):
//   {"entry": "<base64 of the canonical Entry bytes>",
//    "signatures": [{"public_key": "<base64, 32 bytes>", "ed25519": "<base64, 64 bytes>"}]}
// and a payment run's (DESIGN.md "Payment runs", firm):
//   {"batch": <a signed request of the batch Entry>,
//    "entries": ["<base64 of a canonical Entry>", ...]}       (1 to 10,000)
// Only the shape is checked here; the writer validates each Entry, the
// batch's root and every signature (ledger/ledger.h). Thread safety: pure
// functions.
#pragma once
#include <string>
#include <string_view>
#include <variant>

#include "ledger/record.h"

namespace fundtrail::wire {

std::string signed_request_json(const SignedRequest& request);
std::string batch_request_json(const BatchRequest& run);

// Refuses (check "format", or "limits" for an entry over 65,535 bytes or more
// than 16 signatures) anything but exactly that shape: other or repeated
// members, JSON nested deeper than the shape, bad base64, wrong key or
// signature lengths.
SignedRequest parse_signed_request(std::string_view json);

// A single request or a payment run, told apart by its members: "entry" is a
// single request, "batch" a run; both or neither is refused (check
// "format"), as is anything parse_signed_request refuses in either. A run of
// more than 10,000 entries is refused (check "limits") while parsing, before
// its entries are held.
using AnyRequest = std::variant<SignedRequest, BatchRequest>;
AnyRequest parse_request(std::string_view json);

}  // namespace fundtrail::wire
