// C2SP signed notes: tlog-checkpoint, its Ed25519 signature lines, and
// tlog-cosignature (cosignature/v1) witness lines. Format facts in
// DESIGN.md "Bytes, hashes, signatures" and docs/transparency.md.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ledger/hash.h"

namespace fundtrail {

using PublicKey = std::array<uint8_t, 32>;
using SecretKey = std::array<uint8_t, 64>;  // libsodium's seed||public form

// Key id = first 4 bytes of SHA-256(name || 0x0A || type || public key);
// type 0x01 for Ed25519 note keys, 0x04 for cosignature/v1 witness keys.
uint32_t note_key_id(std::string_view name, uint8_t type, const PublicKey& key);

// "<name>+<8 hex key id>+<base64(type || key)>"
std::string verifier_key_text(std::string_view name, uint8_t type, const PublicKey& key);

struct VerifierKey {
  std::string name;
  uint8_t type = 0;
  uint32_t id = 0;
  PublicKey key{};
};
// Parses verifier key text; checks the id matches. nullopt with `why` on error.
std::optional<VerifierKey> parse_verifier_key(std::string_view text, std::string& why);

// "<origin>\n<size>\n<base64 root>\n"
std::string checkpoint_body(std::string_view origin, uint64_t size, const Hash& root);

// Body + "\n" + "— <name> <base64(id || sig)>\n".
std::string sign_note(std::string_view body, std::string_view name, const SecretKey& sk, const PublicKey& pk);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
  std::string body;  // exact text the signatures cover, final newline included
};

struct NoteSignature {
  std::string name;
  uint32_t id = 0;
  std::string blob;  // decoded bytes after the id
};

// Splits a note into body and signature lines; strict about the blank line,
// the em dash, trailing newline and whitespace. nullopt with `why` on error.
std::optional<std::pair<std::string, std::vector<NoteSignature>>> split_note(std::string_view note, std::string& why);

// Parses a checkpoint body (origin, decimal size without leading zeros, root).
std::optional<Checkpoint> parse_checkpoint_body(std::string_view body, std::string& why);

// True when a signature line by `key` (type 0x01) verifies over the body.
bool note_signed_by(std::string_view note, const VerifierKey& key, std::string& why);

// cosignature/v1: message = "cosignature/v1\ntime <t>\n" + body.
std::string cosignature_line(std::string_view body, std::string_view witness_name, uint64_t timestamp,
                             const SecretKey& sk, const PublicKey& pk);
// True when a cosignature line by `key` (type 0x04) verifies; sets timestamp.
bool note_cosigned_by(std::string_view note, const VerifierKey& key, uint64_t& timestamp, std::string& why);

// Added: opens a checkpoint as a client must. The note splits strictly, a
// signature by `log_key` (type 0x01) verifies, the body parses, and its origin
// line is `origin`, so a checkpoint of another log is refused even when the
// same key signed it. nullopt with `why` on error.
std::optional<Checkpoint> open_checkpoint(std::string_view note, std::string_view origin, const VerifierKey& log_key,
                                          std::string& why);

}  // namespace fundtrail
