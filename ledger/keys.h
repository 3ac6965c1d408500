// Ed25519 keys and passphrase-sealed key files (layout: docs/keyfile.md).
#pragma once
#include <optional>
#include <string>

#include "ledger/note.h"

namespace fundtrail {

enum class Kdf { interactive, moderate, sensitive };

// An unlocked key. The secret half is wiped when it goes out of scope.
struct KeyPair {
  std::string name;
  PublicKey pk{};
  SecretKey sk{};
  KeyPair() = default;
  KeyPair(const KeyPair&);
  KeyPair& operator=(const KeyPair&);
  ~KeyPair();
};

KeyPair generate_key(std::string name);
KeyPair key_from_seed(std::string name, const std::array<uint8_t, 32>& seed);

// Writes FILE (mode 0600, refuses to overwrite). Throws Error(unusable).
void save_key_file(const std::string& path, const KeyPair& key, const std::string& passphrase, Kdf kdf);

// Reads the public half without a passphrase.
struct KeyFileInfo {
  std::string name;
  PublicKey pk{};
};
KeyFileInfo read_key_public(const std::string& path);

// Unlocks FILE. Refuses group/world-readable files and wrong passphrases
// with Error(unusable) and a message saying what to do.
KeyPair load_key_file(const std::string& path, const std::string& passphrase);
// As load_key_file, but a wrong passphrase is nullopt rather than an error, so
// a prompt can ask again; every other problem still throws.
std::optional<KeyPair> open_key_file(const std::string& path, const std::string& passphrase);

// Ed25519 note verifier key text for an officer or log key (type 0x01).
std::string public_key_text(const KeyFileInfo& k);

// Accepts verifier key text ("name+id+base64") or a key file path.
PublicKey parse_public_key_arg(const std::string& text_or_path);

}  // namespace fundtrail
