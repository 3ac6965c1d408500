#include "keyfile.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <vector>

#include "verify.h"

namespace fv {
namespace {

// The passphrase, from FUNDTRAIL_PASSPHRASE or typed on the terminal without echo.
std::string passphrase(const std::string& keyName) {
  if (const char* env = getenv("FUNDTRAIL_PASSPHRASE")) return env;
  int tty = isatty(STDIN_FILENO) ? open("/dev/tty", O_RDWR | O_CLOEXEC) : -1;
  if (tty < 0) throw KeyFileError("no passphrase: set FUNDTRAIL_PASSPHRASE or run on a terminal");
  std::string prompt = "passphrase for " + keyName + ": ";
  (void)!write(tty, prompt.data(), prompt.size());
  termios old{}, quiet{};
  tcgetattr(tty, &old);
  quiet = old;
  quiet.c_lflag &= ~tcflag_t(ECHO);
  tcsetattr(tty, TCSAFLUSH, &quiet);
  std::string pass;
  char c;
  while (read(tty, &c, 1) == 1 && c != '\n') pass.push_back(c);
  tcsetattr(tty, TCSAFLUSH, &old);
  (void)!write(tty, "\n", 1);
  close(tty);
  return pass;
}

std::vector<uint8_t> field(const std::string& line, const std::string& label, size_t size, const std::string& path) {
  auto raw = line.rfind(label + " ", 0) == 0 ? base64Decode(line.substr(label.size() + 1)) : std::nullopt;
  if (!raw || raw->size() != size)
    throw KeyFileError(path + ": line '" + label + "' is missing or not base64 of " + std::to_string(size) + " bytes");
  return *raw;
}

}  // namespace

std::unique_ptr<SecretKey> unlockKeyFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) throw KeyFileError("cannot read key file " + path + ": " + strerror(errno));
  if (st.st_mode & 077) {
    char mode[8];
    snprintf(mode, sizeof mode, "%04o", unsigned(st.st_mode & 0777));
    throw KeyFileError("key file " + path + " is open to group or others (mode " + mode +
                       "): refusing it; chmod 600 it");
  }
  std::string text;
  try {
    text = readFile(path);
  } catch (const std::exception& e) {
    throw KeyFileError(e.what());
  }
  std::vector<std::string> lines;
  for (size_t start = 0, nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(text.substr(start, nl - start));
  if (lines.size() != 7 || lines[0] != "fundtrail-secret-key v1")
    throw KeyFileError(path + " is not a fundtrail secret key file (fundtrail-secret-key v1, seven lines)");
  if (lines[1].rfind("name ", 0) != 0 || !validKeyName(lines[1].substr(5)))
    throw KeyFileError(path + ": the 'name' line is missing or names no valid key name");
  auto key = std::make_unique<SecretKey>();
  key->name = lines[1].substr(5);
  auto pub = field(lines[2], "public", 32, path);
  std::copy(pub.begin(), pub.end(), key->publicKey.begin());
  unsigned long long ops = 0;
  size_t mem = 0;
  {
    const std::string& l = lines[3];
    const char* prefix = "kdf argon2id13 ";
    size_t sp = l.rfind(' ');
    bool ok = l.rfind(prefix, 0) == 0 && sp > strlen(prefix);
    ok = ok && std::from_chars(l.data() + strlen(prefix), l.data() + sp, ops).ec == std::errc();
    ok = ok && std::from_chars(l.data() + sp + 1, l.data() + l.size(), mem).ec == std::errc();
    if (!ok || ops < crypto_pwhash_OPSLIMIT_MIN || ops > crypto_pwhash_OPSLIMIT_MAX ||
        mem < crypto_pwhash_MEMLIMIT_MIN || mem > (size_t(1) << 34))
      throw KeyFileError(path + ": the 'kdf argon2id13 <opslimit> <memlimit>' line is missing or out of range");
  }
  auto salt = field(lines[4], "salt", crypto_pwhash_SALTBYTES, path);
  auto nonce = field(lines[5], "nonce", crypto_secretbox_NONCEBYTES, path);
  auto sealed = field(lines[6], "sealed", crypto_secretbox_MACBYTES + crypto_sign_SEEDBYTES, path);

  std::string pass = passphrase(key->name);
  uint8_t boxKey[crypto_secretbox_KEYBYTES], seed[crypto_sign_SEEDBYTES];
  int rc = crypto_pwhash(boxKey, sizeof boxKey, pass.data(), pass.size(), salt.data(), ops, mem,
                         crypto_pwhash_ALG_ARGON2ID13);
  sodium_memzero(pass.data(), pass.size());
  if (rc != 0) throw KeyFileError(path + ": not enough memory for its Argon2id cost");
  rc = crypto_secretbox_open_easy(seed, sealed.data(), sealed.size(), nonce.data(), boxKey);
  sodium_memzero(boxKey, sizeof boxKey);
  if (rc != 0) throw KeyFileError(path + ": wrong passphrase (or the file was altered)");
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(pk, key->secret_, seed);
  sodium_memzero(seed, sizeof seed);
  if (memcmp(pk, key->publicKey.data(), sizeof pk) != 0) {
    key->wipe();
    throw KeyFileError(path + ": the sealed key does not match its 'public' line");
  }
  return key;
}

}  // namespace fv
