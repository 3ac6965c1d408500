// libFuzzer target: the 360Giving CSV reader and the grant checks behind it
// must refuse any bytes with a usage error, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "interop/giving_csv.h"
#include "interop/giving_grant.h"
#include "ledger/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    fundtrail::interop::GivingFile f = fundtrail::interop::read_giving_csv(bytes);
    fundtrail::interop::check_grants(f);
  } catch (const fundtrail::Error&) {
    // refused: what bad input must get
  }
  return 0;
}
