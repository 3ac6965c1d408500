// C2SP signed notes (c2sp.org/signed-note), checkpoints (c2sp.org/tlog-checkpoint)
// and Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1),
// written for the verifier alone. Parsing follows the specs and what Go's
// golang.org/x/mod/sumdb/note accepts; anything else is refused with a reason.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "merkle.h"

namespace fv {

using PublicKey = std::array<uint8_t, 32>;

constexpr uint8_t kSigEd25519 = 0x01;   // signed-note Ed25519 signature type
constexpr uint8_t kSigCosignV1 = 0x04;  // tlog-cosignature timestamped Ed25519

std::string base64Encode(std::span<const uint8_t> bytes);
// Standard base64 with padding, nothing else (no spaces, no stray bits).
std::optional<std::vector<uint8_t>> base64Decode(std::string_view text);

// key ID = SHA-256(name || 0x0A || type || public key)[:4], big-endian.
uint32_t keyId(std::string_view name, uint8_t type, const PublicKey& key);
// Non-empty, valid UTF-8, no Unicode space, no '+'.
bool validKeyName(std::string_view name);

// A verifier key as text: <name>+<8 hex digits of key id>+<base64(type || key)>.
struct VerifierKey {
  std::string name;
  uint32_t id = 0;
  uint8_t type = 0;
  PublicKey key{};
};
// Parses and checks the key id; the error says what is wrong.
std::optional<VerifierKey> parseVerifierKey(std::string_view text, std::string& error);
std::string formatVerifierKey(const VerifierKey& k);
VerifierKey makeVerifierKey(std::string name, uint8_t type, const PublicKey& key);

struct SignatureLine {
  std::string name;
  uint32_t id = 0;
  std::vector<uint8_t> sig;  // the bytes after the key id
  std::string line;          // the whole line with its newline
};

struct Note {
  std::string text;  // the signed text, with its final newline
  std::vector<SignatureLine> signatures;
};
std::optional<Note> parseNote(std::string_view msg, std::string& error);
// "— <name> <base64(id || sig)>\n"
std::string signatureLine(std::string_view name, uint32_t id, std::span<const uint8_t> sig);

enum class SigCheck { Verified, Missing, Bad };
// The Ed25519 (type 0x01) signature of `key` on the note: every line with the
// key's name and id must verify, and there must be at least one.
SigCheck checkNoteSignature(const Note& note, const VerifierKey& key);

// cosignature/v1 signed message: "cosignature/v1\ntime <t>\n" || checkpoint text.
std::string cosignatureMessage(std::string_view checkpointText, uint64_t timestamp);
// A witness' cosignature on the note; `timestamp` receives its time when verified.
SigCheck checkCosignature(const Note& note, const VerifierKey& witness, uint64_t* timestamp = nullptr);
// The signature bytes of a cosignature line (without key id): ts (8, BE) || ed25519 (64).
std::vector<uint8_t> cosignaturePayload(uint64_t timestamp, std::span<const uint8_t, 64> ed25519);

struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  Hash root{};
};
std::optional<Checkpoint> parseCheckpoint(std::string_view text, std::string& error);

// A whole checkpoint note as a relying party takes it: it parses as a signed
// note and a checkpoint, carries a valid Ed25519 signature by `logKey`, and
// names the key's name as its origin. The error says which of these failed.
std::optional<Checkpoint> openCheckpoint(std::string_view note, const VerifierKey& logKey, std::string& error);

// fundtrail statement of totals (docs/rules.md, end).
struct Statement {
  std::string origin;
  uint64_t size = 0;
  std::vector<std::pair<std::string, int64_t>> balances;  // sorted by id, bytewise
};
std::optional<Statement> parseStatement(std::string_view text, std::string& error);

}  // namespace fv
