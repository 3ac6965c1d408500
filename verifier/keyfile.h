// Reads a fundtrail secret key file (docs/keyfile.md) for `cosign`: refuses a
// file others can read, takes the passphrase from FUNDTRAIL_PASSPHRASE or a
// no-echo prompt, and wipes every secret it handled.
#pragma once
#include <sodium.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "note.h"

namespace fv {

struct KeyFileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class SecretKey {
 public:
  SecretKey() { sodium_mlock(secret_, sizeof secret_); }
  ~SecretKey() { sodium_munlock(secret_, sizeof secret_); }  // munlock zeroes it too
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;

  std::string name;
  PublicKey publicKey{};
  void sign(const std::string& message, uint8_t out[64]) const {
    crypto_sign_detached(out, nullptr, reinterpret_cast<const uint8_t*>(message.data()), message.size(), secret_);
  }
  void wipe() { sodium_memzero(secret_, sizeof secret_); }

 private:
  friend std::unique_ptr<SecretKey> unlockKeyFile(const std::string& path);
  uint8_t secret_[crypto_sign_SECRETKEYBYTES];
};

// Throws KeyFileError (exit 2) saying what is wrong.
std::unique_ptr<SecretKey> unlockKeyFile(const std::string& path);

}  // namespace fv
