// Bundle reading and the whole verifier over it: any file must give a report
// (pass, fail or unusable) and an exit code of 0, 1 or 2, never a fault.
#include <cstdint>

#include "fuzz_support.h"
#include "verify.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile file("bundle");
  fv::Options o;
  o.input = file.write(data, size);
  fv::Report r = fv::verify(o);
  int code = r.exitCode();
  if (code < 0 || code > 2) __builtin_trap();
  (void)r.text();
  (void)r.json();
  return 0;
}
