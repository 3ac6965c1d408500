// The server's request decoder (server/request_json.h), the first thing a
// hostile client reaches: any bytes are either refused as an Error with a
// check id, or decode to a request that encodes back to JSON that decodes to
// the same request.
#include <cstdint>
#include <string_view>

#include "ledger/error.h"
#include "server/request_json.h"

using namespace fundtrail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  SignedRequest r;
  try {
    r = wire::parse_signed_request(text);
  } catch (const Error& e) {
    if (e.check != "format" && e.check != "limits") __builtin_trap();  // a refusal always names its check
    return 0;
  }
  SignedRequest again = wire::parse_signed_request(wire::signed_request_json(r));
  if (again.entry != r.entry || again.signatures.size() != r.signatures.size()) __builtin_trap();
  for (size_t i = 0; i < r.signatures.size(); ++i)
    if (again.signatures[i].pk != r.signatures[i].pk || again.signatures[i].sig != r.signatures[i].sig) __builtin_trap();
  return 0;
}
