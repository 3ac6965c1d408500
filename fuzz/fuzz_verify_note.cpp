// Verifier-side signed notes: checkpoints, statements, verifier keys and
// signature lines parse or are refused with a reason.
#include <cstdint>
#include <string>
#include <string_view>

#include "note.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string err;
  static const fv::VerifierKey key = [] {
    fv::PublicKey pk{};
    for (size_t i = 0; i < pk.size(); ++i) pk[i] = uint8_t(i * 7 + 1);
    return fv::makeVerifierKey("fuzz.example/log", 0x01, pk);
  }();
  if (auto note = fv::parseNote(text, err)) {
    (void)fv::parseCheckpoint(note->text, err);
    (void)fv::parseStatement(note->text, err);
    (void)fv::checkNoteSignature(*note, key);
    uint64_t ts = 0;
    (void)fv::checkCosignature(*note, key, &ts);
  }
  (void)fv::parseCheckpoint(text, err);
  (void)fv::parseStatement(text, err);
  (void)fv::openCheckpoint(text, key, err);
  if (auto k = fv::parseVerifierKey(text, err)) {
    // A key that parses formats back to text that parses to the same key.
    auto again = fv::parseVerifierKey(fv::formatVerifierKey(*k), err);
    if (!again || again->id != k->id || again->key != k->key || again->name != k->name) __builtin_trap();
  }
  return 0;
}
