// Helpers of the witness tests: runs fundtrail-witness in the background,
// speaks raw HTTP/1.1 to it over 127.0.0.1, and computes everything the tests
// check against (key ids, signed notes, RFC 6962 roots and consistency proofs,
// cosignature/v1 checks) with libsodium alone, not with the code under test.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include <array>
#include <thread>

#include "fixture.h"

namespace fundtrail::test::witness {

inline const std::string kWitnessBin =
    (fs::path(FUNDTRAIL_VERIFY_BIN).parent_path() / "witness" / "fundtrail-witness").string();
inline const std::string kDash = "\xE2\x80\x94 ";

inline bool witness_present() { return ::access(kWitnessBin.c_str(), X_OK) == 0; }

// fundtrail-witness is another target; like fundtrail-verify it may not be
// built yet: then the test says so and does nothing.
#define SKIP_WITHOUT_WITNESS()                                                          \
  do {                                                                                  \
    if (!fundtrail::test::witness::witness_present()) {                                 \
      MESSAGE("fundtrail-witness not built: ", fundtrail::test::witness::kWitnessBin); \
      return;                                                                           \
    }                                                                                   \
  } while (0)

using Bytes = std::vector<uint8_t>;
using Hash = std::array<uint8_t, 32>;

inline std::string b64(const uint8_t* p, size_t n) {
  std::string out(sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), p, n, sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}
inline std::string b64(const Hash& h) { return b64(h.data(), h.size()); }
inline Bytes unb64(const std::string& s) {
  Bytes out(s.size());
  size_t len = 0;
  REQUIRE(sodium_base642bin(out.data(), out.size(), s.data(), s.size(), nullptr, &len, nullptr,
                            sodium_base64_VARIANT_ORIGINAL) == 0);
  out.resize(len);
  return out;
}

inline Hash sha256(const Bytes& b) {
  Hash h;
  crypto_hash_sha256(h.data(), b.data(), b.size());
  return h;
}

inline uint32_t key_id(const std::string& name, uint8_t type, const uint8_t* pk) {
  Bytes m(name.begin(), name.end());
  m.push_back('\n');
  m.push_back(type);
  m.insert(m.end(), pk, pk + 32);
  Hash h = sha256(m);
  return uint32_t(h[0]) << 24 | uint32_t(h[1]) << 16 | uint32_t(h[2]) << 8 | h[3];
}

inline std::string key_text(const std::string& name, uint8_t type, const uint8_t* pk) {
  char hex[9];
  snprintf(hex, sizeof hex, "%08x", key_id(name, type, pk));
  Bytes raw{type};
  raw.insert(raw.end(), pk, pk + 32);
  return name + "+" + hex + "+" + b64(raw.data(), raw.size());
}

// An Ed25519 key made here: the stand-in for a log key in the server tests.
struct TestKey {
  std::string name;
  uint8_t pk[32], sk[64];
  explicit TestKey(std::string n) : name(std::move(n)) { crypto_sign_keypair(pk, sk); }
  std::string text() const { return key_text(name, 0x01, pk); }
  std::string sig_line(const std::string& body) const {
    Bytes blob(4);
    uint32_t id = key_id(name, 0x01, pk);
    for (int i = 0; i < 4; ++i) blob[i] = uint8_t(id >> (24 - 8 * i));
    blob.resize(4 + 64);
    crypto_sign_detached(blob.data() + 4, nullptr, reinterpret_cast<const uint8_t*>(body.data()), body.size(), sk);
    return kDash + name + " " + b64(blob.data(), blob.size()) + "\n";
  }
  std::string sign(const std::string& body) const { return body + "\n" + sig_line(body); }
};

// --- RFC 6962 over leaves "leaf 0", "leaf 1", ... ---------------------------

inline Hash leaf(uint64_t i) {
  std::string s = "leaf " + std::to_string(i);
  Bytes b{0x00};
  b.insert(b.end(), s.begin(), s.end());
  return sha256(b);
}
inline Hash node(const Hash& l, const Hash& r) {
  Bytes b{0x01};
  b.insert(b.end(), l.begin(), l.end());
  b.insert(b.end(), r.begin(), r.end());
  return sha256(b);
}
inline uint64_t split_point(uint64_t n) {  // largest power of two below n
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
// MTH(D[lo:hi])
inline Hash mth(uint64_t lo, uint64_t hi) {
  if (hi == lo) return sha256({});
  if (hi - lo == 1) return leaf(lo);
  uint64_t k = split_point(hi - lo);
  return node(mth(lo, lo + k), mth(lo + k, hi));
}
// SUBPROOF(m, D[lo:hi], b), RFC 6962 section 2.1.2
inline void subproof(uint64_t m, uint64_t lo, uint64_t hi, bool b, std::vector<Hash>& out) {
  uint64_t n = hi - lo;
  if (m == n) {
    if (!b) out.push_back(mth(lo, hi));
    return;
  }
  uint64_t k = split_point(n);
  if (m <= k) {
    subproof(m, lo, lo + k, b, out);
    out.push_back(mth(lo + k, hi));
  } else {
    subproof(m - k, lo + k, hi, false, out);
    out.push_back(mth(lo, lo + k));
  }
}
inline std::vector<Hash> consistency(uint64_t m, uint64_t n) {
  std::vector<Hash> out;
  if (m > 0 && m < n) subproof(m, 0, n, true, out);
  return out;
}

inline std::string checkpoint_body(const std::string& origin, uint64_t size, const Hash& root) {
  return origin + "\n" + std::to_string(size) + "\n" + b64(root) + "\n";
}

inline std::string add_request(uint64_t old, const std::vector<Hash>& proof, const std::string& note) {
  std::string out = "old " + std::to_string(old) + "\n";
  for (auto& h : proof) out += b64(h) + "\n";
  return out + "\n" + note;
}

// True when `line` ("— name base64(...)\n") is a valid cosignature/v1 by the
// key (name, pk) on `body`; sets the timestamp.
inline bool cosignature_ok(const std::string& line, const std::string& name, const uint8_t* pk,
                           const std::string& body, uint64_t& ts) {
  std::string prefix = kDash + name + " ";
  if (line.rfind(prefix, 0) != 0 || line.back() != '\n') return false;
  Bytes blob = unb64(line.substr(prefix.size(), line.size() - prefix.size() - 1));
  if (blob.size() != 4 + 8 + 64) return false;
  uint32_t id = uint32_t(blob[0]) << 24 | uint32_t(blob[1]) << 16 | uint32_t(blob[2]) << 8 | blob[3];
  if (id != key_id(name, 0x04, pk)) return false;
  ts = 0;
  for (int i = 4; i < 12; ++i) ts = ts << 8 | blob[i];
  std::string msg = "cosignature/v1\ntime " + std::to_string(ts) + "\n" + body;
  return crypto_sign_verify_detached(blob.data() + 12, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(),
                                     pk) == 0;
}

// The public key of a fundtrail key file, read from its "public" line.
inline std::array<uint8_t, 32> key_file_public(const std::string& path) {
  for (auto& l : lines_of(read_file(path)))
    if (l.rfind("public ", 0) == 0) {
      Bytes raw = unb64(l.substr(7));
      REQUIRE(raw.size() == 32);
      std::array<uint8_t, 32> pk{};
      std::copy(raw.begin(), raw.end(), pk.begin());
      return pk;
    }
  FAIL("no public line in " << path);
  return {};
}

// --- raw HTTP/1.1 over 127.0.0.1 --------------------------------------------

struct Http {
  int status = 0;  // 0: no answer
  std::string content_type, body;
};
inline std::ostream& operator<<(std::ostream& os, const Http& h) {
  return os << "HTTP " << h.status << " (" << h.content_type << ")\n" << h.body;
}

inline Http http(int port, const std::string& method, const std::string& path, const std::string& body = "") {
  Http h;
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval tv{60, 0};  // a hang guard, not a timing assertion
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return h;
  }
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: " +
                    std::to_string(body.size()) + "\r\n\r\n" + body;
  for (size_t done = 0; done < req.size();) {
    ssize_t n = ::send(fd, req.data() + done, req.size() - done, MSG_NOSIGNAL);
    if (n <= 0) break;
    done += size_t(n);
  }
  std::string resp;
  char buf[8192];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) resp.append(buf, size_t(n));
  ::close(fd);
  size_t end = resp.find("\r\n\r\n");
  if (resp.rfind("HTTP/1.1 ", 0) != 0 || end == std::string::npos) return h;
  h.status = std::stoi(resp.substr(9, 3));
  std::string head = resp.substr(0, end);
  for (auto& l : lines_of(head)) {
    std::string lower = l;
    for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (lower.rfind("content-type:", 0) == 0) h.content_type = trim(l.substr(l.find(':') + 2));
  }
  h.body = resp.substr(end + 4);
  return h;
}

// --- fundtrail-witness in the background ------------------------------------

struct Witness {
  pid_t pid = -1;
  int port = 0;
  std::string key_text;  // as it printed it
  fs::path log;          // its stderr

  // Starts it and waits for its "listening on" line; returns false (with the
  // output in `why`) if it exits instead.
  bool start(const std::vector<std::string>& args, const fs::path& stderr_file, std::string& why) {
    log = stderr_file;
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    std::vector<std::string> argv_s{kWitnessBin};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_RDONLY);
      int err = ::open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(devnull, 0);
      ::dup2(out[1], 1);
      ::dup2(err, 2);
      ::setenv("FUNDTRAIL_PASSPHRASE", kPass.c_str(), 1);
      std::vector<char*> argv;
      for (auto& s : argv_s) argv.push_back(s.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string got;
    char buf[512];
    for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) {
      got.append(buf, size_t(n));
      if (got.find("listening on http://127.0.0.1:") != std::string::npos && got.back() == '\n') break;
    }
    ::close(out[0]);  // it writes nothing more to stdout
    auto at = got.find("listening on http://127.0.0.1:");
    if (at == std::string::npos) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      why = "exit " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ": " + got + read_file(stderr_file);
      pid = -1;
      return false;
    }
    port = std::stoi(got.substr(at + 30));
    auto k = got.find("witness key: ");
    if (k != std::string::npos) key_text = got.substr(k + 13, got.find('\n', k) - k - 13);
    return true;
  }
  // SIGTERM, then waits; returns the exit code.
  int stop() {
    if (pid < 0) return -1;
    ::kill(pid, SIGTERM);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  ~Witness() { stop(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
  Http post(const std::string& body) const { return http(port, "POST", "/add-checkpoint", body); }
};

// A witness key file, made by `fundtrail key generate`.
inline std::string make_witness_key(const fs::path& dir, const std::string& name) {
  std::string path = (dir / (name.substr(name.rfind('/') + 1) + ".key")).string();
  RunResult r = ft_raw({"key", "generate", path, "--name", name, "--kdf", "interactive"});
  INFO(r);
  REQUIRE(r.code == 0);
  return path;
}

}  // namespace fundtrail::test::witness
