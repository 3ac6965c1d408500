// The signed request as JSON (DESIGN.md "Serving a partnership", firm): the
// body of POST /v1/entries and the content of a request file (--sign-only,
// cosign, submit):
//   {"entry": "<base64 of the canonical Entry bytes>",
//    "signatures": [{"public_key": "<base64, 32 bytes>", "ed25519": "<base64, 64 bytes>"}]}
// Only the shape is checked here; the writer validates the Entry and every
// signature (ledger/ledger.h). Thread safety: pure functions.
#pragma once
#include <string>
#include <string_view>

#include "ledger/record.h"

namespace fundtrail::wire {

std::string signed_request_json(const SignedRequest& request);

// Refuses (check "format", or "limits" for an entry over 65,535 bytes or more
// than 16 signatures) anything but exactly that shape: other or repeated
// members, JSON nested deeper than the shape, bad base64, wrong key or
// signature lengths.
SignedRequest parse_signed_request(std::string_view json);

}  // namespace fundtrail::wire
