// Verifier-side record decoding (verifier/record.h): examine() must classify
// any bytes as readable or not, canonical or not, without faulting.
#include <capnp/common.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > fv::kMaxRecordBytes + 8) return 0;  // the reader refuses larger records before decoding
  std::vector<capnp::word> words((size + 7) / 8);
  if (size) std::memcpy(words.data(), data, size);
  fv::Examined out;
  fv::examine(words.data(), size, out);
  if (out.readable && out.problem.size() > 100000) __builtin_trap();
  return 0;
}
