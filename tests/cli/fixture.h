// The fixture of the end-to-end tests: a temporary directory holding key files
// made by `fundtrail key generate --kdf interactive` and a ledger made by
// `fundtrail init ... --kdf interactive`, with a few parties already recorded.
//
// Unlocking a key costs Argon2id (~0.1 s per key per command), so the ledger
// every test starts from is built once, by the commands below, into a cache
// next to the test binary (rebuilt whenever the fundtrail binary changes, and
// guarded by a file lock so parallel CTest processes build it once). Each test
// gets its own copy in its own temporary directory.
//
// The starting ledger (origin kOrigin, GBP, dual control at 1000.00):
//   seq 0  genesis (admin.key)
//   seq 1  party council  commissioner        seq 6   council.key  officer of council
//   seq 2  party police   funder (no keys)    seq 7   pool.key     officer of pool
//   seq 3  party pool     pool                seq 8   approver.key approver of pool
//   seq 4  party ace      integrator          seq 9   ace.key      officer of ace
//   seq 5  party hope     provider, budget-   seq 10  hope.key     officer of hope
//                         limited
//   seq 11 contribution council -> pool 5000.00, value date 2025-04-01
// stranger.key is a key no party holds.
#pragma once
#include <doctest/doctest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run.h"

namespace fundtrail::test {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kBin = FUNDTRAIL_BIN;
inline const std::string kVerifyBin = FUNDTRAIL_VERIFY_BIN;
inline const std::string kPass = "correct horse battery staple";
inline const std::string kOrigin = "cli.test.fundtrail.example/books";
constexpr uint64_t kStartSize = 12;  // records in the starting ledger

inline bool verifier_present() { return ::access(kVerifyBin.c_str(), X_OK) == 0; }

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

inline std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

inline bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

// A fresh directory under $TMPDIR, removed (permissions restored first) at the
// end unless FUNDTRAIL_TEST_KEEP is set.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "fundtrail-cli-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    if (std::getenv("FUNDTRAIL_TEST_KEEP")) return;
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Runs fundtrail with FUNDTRAIL_PASSPHRASE set (unless env overrides it).
// (RunOptions::unset naming FUNDTRAIL_PASSPHRASE leaves it out.)
inline RunResult ft_raw(const std::vector<std::string>& args, RunOptions opt = {}) {
  bool unset = std::find(opt.unset.begin(), opt.unset.end(), "FUNDTRAIL_PASSPHRASE") != opt.unset.end();
  if (!unset && !opt.env.count("FUNDTRAIL_PASSPHRASE")) opt.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  return run(kBin, args, opt);
}

// What a failed command must leave unchanged.
struct Snapshot {
  std::string log;
  uintmax_t data_size = 0;
  size_t data_hash = 0;  // of data.mdb's bytes: an aborted LMDB write leaves them as they were
  bool operator==(const Snapshot&) const = default;
};
inline std::ostream& operator<<(std::ostream& os, const Snapshot& s) {
  return os << "data.mdb " << s.data_size << " bytes; log --json " << s.log.size() << " bytes";
}

struct Books {
  TempDir tmp;
  fs::path root = tmp.path;
  fs::path ledger = tmp.path / "books";
  fs::path keys = tmp.path / "keys";
  std::string log_key_text;  // as `fundtrail init` printed it

  Books();

  std::string key(const std::string& name) const { return (keys / (name + ".key")).string(); }
  std::string file(const std::string& name) const { return (root / name).string(); }

  // fundtrail --ledger <this ledger> args...
  RunResult ft(const std::vector<std::string>& args, RunOptions opt = {}) const {
    std::vector<std::string> all{"--ledger", ledger.string()};
    all.insert(all.end(), args.begin(), args.end());
    return ft_raw(all, opt);
  }
  // A command expected to succeed; its output.
  RunResult ok(const std::vector<std::string>& args, RunOptions opt = {}) const {
    RunResult r = ft(args, opt);
    INFO("fundtrail ", join(args), "\n", r);
    REQUIRE(r.code == 0);
    return r;
  }
  json ok_json(const std::vector<std::string>& args) const {
    RunResult r = ok(args);
    INFO(r.out);
    REQUIRE(json::accept(r.out));
    return json::parse(r.out);
  }
  json log() const { return ok_json({"log", "--json"}); }
  uint64_t size() const { return log().size(); }
  Snapshot snapshot() const {
    // The records (balances follow from them) and the file holding them.
    Snapshot s;
    s.log = ok({"log", "--json"}).out;
    s.data_size = fs::file_size(ledger / "data.mdb");
    s.data_hash = std::hash<std::string>{}(read_file(ledger / "data.mdb"));
    return s;
  }
  int64_t balance(const std::string& party) const {
    json b = ok_json({"balance", party, "--json"});
    REQUIRE(b.size() == 1);
    return b[0]["balance_minor"].get<int64_t>();
  }

  static std::string join(const std::vector<std::string>& args) {
    std::string s;
    for (auto& a : args) s += (s.empty() ? "" : " ") + a;
    return s;
  }
};

// A command that must fail with `code`, say `why` on stderr, print nothing on
// stdout and leave the ledger as it was.
inline void expect_refused(const Books& b, const std::vector<std::string>& args, int code, const std::string& why,
                           RunOptions opt = {}) {
  Snapshot before = b.snapshot();
  RunResult r = b.ft(args, opt);
  INFO("fundtrail ", Books::join(args), "\n", r);
  CHECK(r.code == code);
  CHECK(contains(r.err, why));
  if (std::find(args.begin(), args.end(), "--json") == args.end() || r.out.empty()) {
    // (export's --json names a file format, not the output of the command.)
    CHECK(r.out.empty());
  } else {
    // With --json the refusal is one JSON object on stdout (DESIGN.md "Refusals").
    INFO(r.out);
    REQUIRE(json::accept(r.out));
    json j = json::parse(r.out);
    CHECK(j["exit"] == code);
    CHECK(contains(j["error"].get<std::string>(), why));
  }
  CHECK(b.snapshot() == before);
}

// Runs fundtrail-verify, which must pass; the verifier is written separately
// and may not be built yet: then says so and skips.
inline void verify_if_present(const std::vector<std::string>& args) {
  if (!verifier_present()) {
    MESSAGE("fundtrail-verify not built (", kVerifyBin, "): skipping fundtrail-verify ", Books::join(args));
    return;
  }
  RunResult r = run(kVerifyBin, args);
  INFO("fundtrail-verify ", Books::join(args), "\n", r);
  CHECK(r.code == 0);
}

// --- the cached starting ledger --------------------------------------------

namespace detail {

inline RunResult must(const std::vector<std::string>& args, const std::string& cwd = "") {
  RunOptions opt;
  opt.cwd = cwd;
  RunResult r = ft_raw(args, opt);
  INFO("building the starting ledger: fundtrail ", Books::join(args), "\n", r);
  REQUIRE(r.code == 0);
  return r;
}

inline void build_template(const fs::path& dir) {
  fs::create_directories(dir / "keys");
  std::string books = (dir / "books").string();
  auto k = [&](const char* n) { return (dir / "keys" / (std::string(n) + ".key")).string(); };
  for (const char* n : {"admin", "council", "pool", "approver", "ace", "hope", "stranger"})
    must({"key", "generate", k(n), "--kdf", "interactive"});
  RunResult init = must({"init", books, "--origin", kOrigin, "--currency", "GBP", "--dual-control", "1000.00", "--key",
                         k("admin"), "--kdf", "interactive"});
  auto at = init.err.find("log key: ");
  REQUIRE(at != std::string::npos);
  write_file(dir / "log-key.txt", init.err.substr(at + 9, init.err.find('\n', at) - at - 9));
  auto w = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--ledger", books});
    must(args);
  };
  w({"party", "add", "council", "--name", "Riverside Council", "--kind", "commissioner", "--sector", "public", "--key", k("admin")});
  w({"party", "add", "police", "--name", "Riverside Police", "--kind", "funder", "--key", k("admin")});
  w({"party", "add", "pool", "--name", "Riverside Community Budget", "--kind", "pool", "--legal-basis",
     "section 75 agreement", "--host", "council", "--share", "council=60", "--share", "police=40", "--key", k("admin")});
  w({"party", "add", "ace", "--name", "ACE Integrator Ltd", "--kind", "integrator", "--sector", "private", "--key", k("admin")});
  w({"party", "add", "hope", "--name", "Hope Works", "--kind", "provider", "--sector", "voluntary", "--org-id",
     "GB-CHC-1164883", "--budget-limited", "--key", k("admin")});
  w({"grant-key", "council", k("council"), "--role", "officer", "--key", k("admin")});
  w({"grant-key", "pool", k("pool"), "--role", "officer", "--key", k("admin")});
  w({"grant-key", "pool", k("approver"), "--role", "approver", "--key", k("admin")});
  w({"grant-key", "ace", k("ace"), "--role", "officer", "--key", k("admin")});
  w({"grant-key", "hope", k("hope"), "--role", "officer", "--key", k("admin")});
  w({"contribute", "--from", "council", "--to", "pool", "--amount", "5000.00", "--date", "2025-04-01", "--reference",
     "S75 year 1", "--key", k("council")});
}

// The cache directory for the current fundtrail binary, built if absent.
inline fs::path template_dir() {
  constexpr int kRecipe = 1;  // bump when build_template changes
  struct stat st {};
  REQUIRE_MESSAGE(::stat(kBin.c_str(), &st) == 0, "the fundtrail binary is missing: ", kBin);
  std::string stamp = "r" + std::to_string(kRecipe) + "-" + std::to_string(st.st_mtim.tv_sec) + "." +
                      std::to_string(st.st_mtim.tv_nsec) + "-" + std::to_string(st.st_size);
  fs::path base = fs::read_symlink("/proc/self/exe").parent_path() / "cli-test-template";
  fs::create_directories(base);
  fs::path dir = base / stamp;
  if (fs::exists(dir / "done")) return dir;
  int lock = ::open((base / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(lock >= 0);
  ::flock(lock, LOCK_EX);
  if (!fs::exists(dir / "done")) {
    std::error_code ec;
    for (auto& e : fs::directory_iterator(base))
      if (e.is_directory()) fs::remove_all(e.path(), ec);  // older binaries' templates
    fs::path work = base / ("build-" + std::to_string(::getpid()));
    fs::remove_all(work, ec);
    build_template(work);
    fs::remove(work / "books" / "lock.mdb", ec);
    write_file(work / "done", stamp);
    fs::rename(work, dir);
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return dir;
}

}  // namespace detail

inline Books::Books() {
  fs::path t = detail::template_dir();
  fs::copy(t / "keys", keys, fs::copy_options::recursive);
  fs::create_directories(ledger);
  for (const char* f : {"data.mdb", "log.key"}) fs::copy_file(t / "books" / f, ledger / f);
  log_key_text = read_file(t / "log-key.txt");
}

}  // namespace fundtrail::test
