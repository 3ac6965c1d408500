#include "ledger/keys.h"

#include <sodium.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sstream>
#include <vector>

#include "ledger/error.h"
#include "ledger/hash.h"

namespace fundtrail {
namespace {

constexpr const char* kMagic = "fundtrail-secret-key v1";

void init_sodium() {
  if (sodium_init() < 0) unusable("libsodium failed to initialise");
}

struct Wiped {  // a secret buffer that is zeroed however the scope ends
  std::vector<uint8_t> bytes;
  explicit Wiped(size_t n) : bytes(n) {}
  ~Wiped() { sodium_memzero(bytes.data(), bytes.size()); }
};

void kdf_limits(Kdf kdf, unsigned long long& ops, size_t& mem) {
  switch (kdf) {
    case Kdf::interactive: ops = crypto_pwhash_OPSLIMIT_INTERACTIVE; mem = crypto_pwhash_MEMLIMIT_INTERACTIVE; return;
    case Kdf::moderate: ops = crypto_pwhash_OPSLIMIT_MODERATE; mem = crypto_pwhash_MEMLIMIT_MODERATE; return;
    case Kdf::sensitive: ops = crypto_pwhash_OPSLIMIT_SENSITIVE; mem = crypto_pwhash_MEMLIMIT_SENSITIVE; return;
  }
}

void derive_box_key(uint8_t out[crypto_secretbox_KEYBYTES], const std::string& passphrase, const uint8_t* salt,
                    unsigned long long ops, size_t mem) {
  if (crypto_pwhash(out, crypto_secretbox_KEYBYTES, passphrase.data(), passphrase.size(), salt, ops, mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    unusable("not enough memory for the key file's Argon2id cost");
}

std::string b64(const uint8_t* p, size_t n) { return base64(std::span<const uint8_t>(p, n)); }

bool decode_fixed(const std::string& text, uint8_t* out, size_t n) {
  std::string raw;
  if (!from_base64(text, raw) || raw.size() != n) return false;
  std::memcpy(out, raw.data(), n);
  return true;
}

struct ParsedFile {
  std::string name, pub, salt, nonce, sealed;
  unsigned long long ops = 0;
  size_t mem = 0;
};

ParsedFile parse_text(const std::string& path, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  auto bad = [&](const std::string& why) -> ParsedFile { unusable("'" + path + "' is not a fundtrail key file: " + why); };
  if (!std::getline(in, line) || line != kMagic) return bad("its first line is not '" + std::string(kMagic) + "'");
  ParsedFile f;
  auto field = [&](const char* tag, std::string& out) {
    std::string prefix = std::string(tag) + " ";
    if (!std::getline(in, line) || line.rfind(prefix, 0) != 0) bad(std::string("missing '") + tag + "' line");
    out = line.substr(prefix.size());
  };
  std::string kdf;
  field("name", f.name);
  field("public", f.pub);
  field("kdf", kdf);
  field("salt", f.salt);
  field("nonce", f.nonce);
  field("sealed", f.sealed);
  std::istringstream ks(kdf);
  std::string alg;
  if (!(ks >> alg >> f.ops >> f.mem) || alg != "argon2id13") bad("unknown kdf line '" + kdf + "'");
  return f;
}

// Reads a key file through one descriptor, so the mode checked is the mode of
// the file read (no window for a swap between the check and the read).
std::string read_key_text(const std::string& path, bool must_be_private) {
  // O_NONBLOCK: opening a FIFO (or a device) for reading would otherwise wait
  // for a writer forever, before the type check below could refuse it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) unusable("cannot read key file '" + path + "': " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    unusable("key file '" + path + "' is not a regular file (a FIFO, device or directory): give the key file itself");
  }
  if (must_be_private && (st.st_mode & (S_IRWXG | S_IRWXO))) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 07777));
    unusable("key file '" + path + "' is readable by others (mode " + mode + "); run: chmod 600 " + path);
  }
  constexpr size_t kMaxKeyFile = 4096;  // a key file is ~300 bytes; refuse anything that is plainly not one
  std::string text;
  char buf[1024];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      unusable("cannot read key file '" + path + "': " + std::strerror(e));
    }
    text.append(buf, size_t(n));
    if (text.size() > kMaxKeyFile) {
      ::close(fd);
      unusable("'" + path + "' is not a fundtrail key file: it is larger than " + std::to_string(kMaxKeyFile) + " bytes");
    }
  }
  ::close(fd);
  return text;
}

ParsedFile parse_file(const std::string& path, bool must_be_private) {
  return parse_text(path, read_key_text(path, must_be_private));
}

}  // namespace

KeyPair::KeyPair(const KeyPair& o) : name(o.name), pk(o.pk), sk(o.sk) {}
KeyPair& KeyPair::operator=(const KeyPair& o) {
  name = o.name;
  pk = o.pk;
  sk = o.sk;
  return *this;
}
KeyPair::~KeyPair() { sodium_memzero(sk.data(), sk.size()); }

KeyPair generate_key(std::string name) {
  init_sodium();
  KeyPair k;
  k.name = std::move(name);
  crypto_sign_keypair(k.pk.data(), k.sk.data());
  return k;
}

KeyPair key_from_seed(std::string name, const std::array<uint8_t, 32>& seed) {
  init_sodium();
  KeyPair k;
  k.name = std::move(name);
  crypto_sign_seed_keypair(k.pk.data(), k.sk.data(), seed.data());
  return k;
}

void save_key_file(const std::string& path, const KeyPair& key, const std::string& passphrase, Kdf kdf) {
  init_sodium();
  if (key.name.empty() || key.name.find_first_of(" +\n") != std::string::npos)
    unusable("key name '" + key.name + "' must be non-empty without spaces, '+' or newlines (signed-note rule)");
  unsigned long long ops = 0;
  size_t mem = 0;
  kdf_limits(kdf, ops, mem);
  uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES];
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  Wiped box_key(crypto_secretbox_KEYBYTES);
  derive_box_key(box_key.bytes.data(), passphrase, salt, ops, mem);
  uint8_t sealed[32 + crypto_secretbox_MACBYTES];
  // libsodium's secret key is seed || public key: only the seed is sealed.
  crypto_secretbox_easy(sealed, key.sk.data(), 32, nonce, box_key.bytes.data());

  std::ostringstream out;
  out << kMagic << "\nname " << key.name << "\npublic " << b64(key.pk.data(), 32) << "\nkdf argon2id13 " << ops << " "
      << mem << "\nsalt " << b64(salt, sizeof salt) << "\nnonce " << b64(nonce, sizeof nonce) << "\nsealed "
      << b64(sealed, sizeof sealed) << "\n";
  std::string text = out.str();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    unusable("cannot create key file '" + path + "': " + std::strerror(errno) +
             (errno == EEXIST ? " (it exists; keys are never overwritten)" : ""));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    unusable("cannot write key file '" + path + "': " + std::strerror(errno));
  }
}

KeyFileInfo read_key_public(const std::string& path) {
  ParsedFile f = parse_file(path, false);
  KeyFileInfo info;
  info.name = f.name;
  if (!decode_fixed(f.pub, info.pk.data(), 32)) unusable("'" + path + "' has a malformed public line");
  return info;
}

KeyPair load_key_file(const std::string& path, const std::string& passphrase) {
  std::optional<KeyPair> k = open_key_file(path, passphrase);
  if (!k) unusable("wrong passphrase for key file '" + path + "' (set FUNDTRAIL_PASSPHRASE or type it at the prompt)");
  return *k;
}

std::optional<KeyPair> open_key_file(const std::string& path, const std::string& passphrase) {
  init_sodium();
  ParsedFile f = parse_file(path, true);
  uint8_t salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES], sealed[32 + crypto_secretbox_MACBYTES];
  PublicKey declared;
  if (!decode_fixed(f.salt, salt, sizeof salt) || !decode_fixed(f.nonce, nonce, sizeof nonce) ||
      !decode_fixed(f.sealed, sealed, sizeof sealed) || !decode_fixed(f.pub, declared.data(), 32))
    unusable("'" + path + "' has a malformed field");
  if (f.ops < crypto_pwhash_OPSLIMIT_MIN || f.ops > crypto_pwhash_OPSLIMIT_SENSITIVE || f.mem < crypto_pwhash_MEMLIMIT_MIN ||
      f.mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
    unusable("'" + path + "' names Argon2id limits outside libsodium's range");
  Wiped box_key(crypto_secretbox_KEYBYTES), seed(32);
  derive_box_key(box_key.bytes.data(), passphrase, salt, f.ops, f.mem);
  if (crypto_secretbox_open_easy(seed.bytes.data(), sealed, sizeof sealed, nonce, box_key.bytes.data()) != 0)
    return std::nullopt;
  KeyPair k;
  k.name = f.name;
  crypto_sign_seed_keypair(k.pk.data(), k.sk.data(), seed.bytes.data());
  if (k.pk != declared) unusable("key file '" + path + "' is inconsistent: its sealed key does not match its public line");
  return k;
}

std::string public_key_text(const KeyFileInfo& k) { return verifier_key_text(k.name, 0x01, k.pk); }

PublicKey parse_public_key_arg(const std::string& arg) {
  std::string why;
  if (arg.find('+') != std::string::npos && access(arg.c_str(), R_OK) != 0) {
    auto vk = parse_verifier_key(arg, why);
    if (!vk) unusable("cannot read public key '" + arg + "': " + why);
    if (vk->type != 0x01) unusable("public key '" + arg + "' is not an Ed25519 note key (type 0x01)");
    return vk->key;
  }
  return read_key_public(arg).pk;
}

}  // namespace fundtrail
