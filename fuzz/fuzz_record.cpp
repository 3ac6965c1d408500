// Writer-side record decoding: stored leaf bytes (Record) and bare Entry
// bytes (EntryView) must decode or be refused with fundtrail::Error, and
// every field of what decodes must be readable.
#include <cstdint>
#include <span>

#include "ledger/error.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

using namespace fundtrail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> bytes(data, size);
  try {
    Record r(bytes);
    auto leaf = r.leaf();
    (void)leaf.getSeq();
    (void)leaf.getPrevHash().size();
    for (auto s : leaf.getSignatures()) (void)(s.getPublicKey().size() + s.getEd25519().size());
    request_body_hash(r.entry());
    money_effects(r.entry());
  } catch (const Error&) {
  }
  try {
    EntryView v(bytes);
    request_body_hash(v.entry());
    money_effects(v.entry());
  } catch (const Error&) {
  }
  return 0;
}
