// Writer-side signed notes (ledger/note.h): checkpoint notes, their bodies,
// verifier key text and cosignatures parse strictly or are refused.
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/keys.h"
#include "ledger/note.h"

using namespace fundtrail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const VerifierKey key = [] {
    std::array<uint8_t, 32> seed{};
    for (size_t i = 0; i < seed.size(); ++i) seed[i] = uint8_t(i + 1);
    KeyPair k = key_from_seed("fuzz.example/log", seed);
    std::string why;
    return *parse_verifier_key(verifier_key_text(k.name, 0x01, k.pk), why);
  }();
  std::string why;
  if (auto split = split_note(text, why)) {
    if (auto cp = parse_checkpoint_body(split->first, why)) {
      // A body that parses is rebuilt exactly from what was parsed.
      if (checkpoint_body(cp->origin, cp->size, cp->root) != split->first) __builtin_trap();
    }
  }
  (void)parse_checkpoint_body(text, why);
  (void)note_signed_by(text, key, why);
  uint64_t ts = 0;
  (void)note_cosigned_by(text, key, ts, why);
  (void)open_checkpoint(text, key.name, key, why);
  if (auto k = parse_verifier_key(text, why))
    if (verifier_key_text(k->name, k->type, k->key) != text) __builtin_trap();  // strict: one spelling per key
  return 0;
}
