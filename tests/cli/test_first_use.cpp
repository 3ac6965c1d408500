// First use (issue 23): what a new officer meets at a terminal — passphrases
// for new keys, retries at the prompt, an init that fails leaving nothing,
// messages that name the option given, party show for people, plurals, and
// the one-line summary of what was recorded. Terminal behaviour is driven
// through a pseudo-terminal, as a person would type.
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <regex>

#include "fixture.h"

namespace fundtrail::test {
namespace {

// fundtrail run on a pseudo-terminal (stdin, stdout and stderr): expect()
// waits for text in what it printed, send() types a line.
class Terminal {
 public:
  Terminal(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
           const std::string& cwd = "") {
    std::vector<std::string> argv_s{kBin};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<std::string> env_s = child_environment(env);
    std::vector<char*> argv, envp;
    for (auto& s : argv_s) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_s) envp.push_back(s.data());
    envp.push_back(nullptr);
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
      ::execve(kBin.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~Terminal() {
    if (pid_ > 0 && code_ < 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (master_ >= 0) ::close(master_);
  }

  // Waits (up to 30 s, a hang guard) until the output since the last expect()
  // holds `text`.
  void expect(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (seen_.find(text, mark_) == std::string::npos) {
      INFO("waiting for '", text, "'; the terminal shows:\n", seen_);
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      REQUIRE(read_some(200));
    }
    mark_ = seen_.find(text, mark_) + text.size();
  }
  void send(const std::string& line) {
    std::string l = line + "\n";
    REQUIRE(::write(master_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }
  // Reads to the end and returns the exit code.
  int finish() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && read_some(200)) {
    }
    int status = 0;
    REQUIRE(::waitpid(pid_, &status, 0) == pid_);
    code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return code_;
  }
  const std::string& transcript() const { return seen_; }

 private:
  // False at the end of the output (the child closed the terminal).
  bool read_some(int timeout_ms) {
    pollfd p{master_, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n == 0) return true;
    if (n < 0) return errno == EINTR;
    char buf[4096];
    ssize_t got = ::read(master_, buf, sizeof buf);
    if (got <= 0) return false;  // EIO once the child has gone
    seen_.append(buf, static_cast<size_t>(got));
    return true;
  }

  int master_ = -1;
  pid_t pid_ = -1;
  int code_ = -1;
  std::string seen_;
  size_t mark_ = 0;
};

RunOptions pass_env(const std::string& passphrase) {
  RunOptions o;
  o.env["FUNDTRAIL_PASSPHRASE"] = passphrase;
  return o;
}

}  // namespace

TEST_CASE("key generate: a passphrase shorter than 12 characters is refused unless --weak-passphrase, and nothing is written") {
  TempDir t;
  std::string file = (t.path / "short.key").string();
  RunResult r = run(kBin, {"key", "generate", file, "--kdf", "interactive"}, pass_env("hunter2"));
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "at least 12"));
  CHECK(contains(r.err, "--weak-passphrase"));
  CHECK(!fs::exists(file));

  RunResult empty = run(kBin, {"key", "generate", file, "--kdf", "interactive"}, pass_env(""));
  CHECK(empty.code == 2);
  CHECK(!fs::exists(file));

  // Eleven characters, counted as characters: "é" is two bytes but one character.
  std::string eleven = "ééééééééééé";
  RunResult multibyte = run(kBin, {"key", "generate", file, "--kdf", "interactive"}, pass_env(eleven));
  CHECK(multibyte.code == 2);
  CHECK(!fs::exists(file));

  RunResult weak = run(kBin, {"key", "generate", file, "--kdf", "interactive", "--weak-passphrase"},
                       pass_env("hunter2"));
  INFO(weak);
  CHECK(weak.code == 0);
  CHECK(fs::exists(file));

  std::string twelve = (t.path / "twelve.key").string();
  RunResult ok = run(kBin, {"key", "generate", twelve, "--kdf", "interactive"}, pass_env("twelve chars"));
  INFO(ok);
  CHECK(ok.code == 0);
  CHECK(fs::exists(twelve));
}

TEST_CASE("key generate at a terminal: asks twice, re-asks after a short or mismatched passphrase, gives up after three tries") {
  TempDir t;
  std::string file = (t.path / "alice.key").string();
  {
    Terminal term({"key", "generate", file, "--kdf", "interactive"}, {});
    term.expect("New passphrase");
    term.send("short");
    term.expect("at least 12");
    term.expect("New passphrase");
    term.send("a long enough passphrase");
    term.expect("again");
    term.send("a long enough passphrasf");
    term.expect("differ");
    term.expect("New passphrase");
    term.send("a long enough passphrase");
    term.expect("again");
    term.send("a long enough passphrase");
    INFO(term.transcript());
    CHECK(term.finish() == 0);
    CHECK(!contains(term.transcript(), "a long enough"));  // never echoed
  }
  REQUIRE(fs::exists(file));
  // The key opens with the passphrase typed (and not with the mistyped one).
  TempDir l;
  RunResult init = run(kBin, {"init", (l.path / "books").string(), "--origin", "first-use.example/books", "--dual-control",
                              "10.00", "--key", file, "--kdf", "interactive"},
                       pass_env("a long enough passphrase"));
  INFO(init);
  CHECK(init.code == 0);

  std::string never = (t.path / "never.key").string();
  Terminal term({"key", "generate", never, "--kdf", "interactive"}, {});
  for (int i = 0; i < 3; ++i) {
    term.expect("New passphrase");
    term.send("too short");
  }
  INFO(term.transcript());
  CHECK(term.finish() == 2);
  CHECK(contains(term.transcript(), "after 3 tries"));
  CHECK(!fs::exists(never));
}

TEST_CASE("a wrong passphrase at the prompt may be typed again, up to three times") {
  Books b;
  std::map<std::string, std::string> env{{"FUNDTRAIL_LEDGER", b.ledger.string()}};
  uint64_t before = b.size();
  {
    Terminal term({"pay", "--from", "pool", "--to", "ace", "--amount", "12.00", "--mechanism", "block", "--key",
                   b.key("pool")},
                  env);
    term.expect("Passphrase for key file");
    term.send("not it");
    term.expect("2 tries left");
    term.expect("Passphrase for key file");
    term.send(kPass);
    INFO(term.transcript());
    CHECK(term.finish() == 0);
    // The one-line summary of what was recorded, on the terminal.
    CHECK(std::regex_search(term.transcript(), std::regex("recorded as seq [0-9]+: payment pool -> ace 12\\.00 GBP block")));
  }
  CHECK(b.size() == before + 1);

  Terminal term({"pay", "--from", "pool", "--to", "ace", "--amount", "13.00", "--mechanism", "block", "--key",
                 b.key("pool")},
                env);
  for (int i = 0; i < 3; ++i) {
    term.expect("Passphrase for key file");
    term.send("still not it");
  }
  INFO(term.transcript());
  CHECK(term.finish() == 2);
  CHECK(contains(term.transcript(), "3 times; nothing was written"));
  CHECK(b.size() == before + 1);
}

TEST_CASE("recording prints the bare seq on stdout and, off a terminal, no summary") {
  Books b;
  RunResult r = b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "14.00", "--mechanism", "block", "--key", b.key("pool")});
  CHECK(std::regex_match(r.out, std::regex("[0-9]+\n")));
  CHECK(!contains(r.err, "recorded as seq"));
}

TEST_CASE("init: a failure leaves nothing behind, and each message names the option given") {
  TempDir t;
  std::string admin = (t.path / "admin.key").string();
  REQUIRE(run(kBin, {"key", "generate", admin, "--kdf", "interactive"}, pass_env(kPass)).code == 0);
  std::map<std::string, std::string> env{{"FUNDTRAIL_PASSPHRASE", kPass}};
  fs::path dir = t.path / "books";
  struct Case {
    const char* what;
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    const char* says;
  };
  std::vector<Case> cases = {
      {"an origin with a space", {"--origin", "Riverside budget", "--dual-control", "10.00"}, env, "--origin 'Riverside budget'"},
      {"an origin with a plus", {"--origin", "a+b.example", "--dual-control", "10.00"}, env, "--origin"},
      {"an unknown currency", {"--origin", "ok.example/b", "--currency", "POUNDS", "--dual-control", "10.00"}, env, "--currency"},
      {"a bad threshold", {"--origin", "ok.example/b", "--dual-control", "ten"}, env, "--dual-control"},
      {"a wrong admin passphrase", {"--origin", "ok.example/b", "--dual-control", "10.00"},
       {{"FUNDTRAIL_PASSPHRASE", "not the passphrase"}}, "wrong passphrase"},
  };
  for (auto& c : cases) {
    CAPTURE(c.what);
    std::vector<std::string> args{"init", dir.string(), "--key", admin, "--kdf", "interactive"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    RunOptions o;
    o.env = c.env;
    RunResult r = run(kBin, args, o);
    INFO(r);
    CHECK(r.code == 2);
    CHECK(contains(r.err, c.says));
    CHECK(!contains(r.err, "key name"));
    CHECK(!fs::exists(dir));
  }

  // A log-key passphrase too short (the admin key's own is long, but weak is weak):
  // with --weak-passphrase the same init works.
  std::string weak_admin = (t.path / "weak.key").string();
  REQUIRE(run(kBin, {"key", "generate", weak_admin, "--kdf", "interactive", "--weak-passphrase"},
              pass_env("pw"))
              .code == 0);
  std::vector<std::string> weak_args{"init", dir.string(), "--key", weak_admin, "--kdf", "interactive", "--origin", "ok.example/b",
                                     "--dual-control", "10.00"};
  RunResult r = run(kBin, weak_args, pass_env("pw"));
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "at least 12"));
  CHECK(!fs::exists(dir));
  weak_args.push_back("--weak-passphrase");
  RunResult weak = run(kBin, weak_args, pass_env("pw"));
  INFO(weak);
  CHECK(weak.code == 0);
  CHECK(fs::exists(dir / "data.mdb"));

  // A directory that existed (empty) before a failed init is kept, and stays empty.
  fs::path empty = t.path / "empty";
  fs::create_directory(empty);
  RunResult e = run(kBin, {"init", empty.string(), "--key", admin, "--kdf", "interactive", "--origin", "ok.example/b",
                           "--dual-control", "10.00"},
                    pass_env("not the passphrase"));
  CHECK(e.code == 2);
  CHECK(fs::is_directory(empty));
  CHECK(fs::is_empty(empty));
}

TEST_CASE("party add --share with a percent sign says how to write it, naming --share") {
  Books b;
  expect_refused(b,
                 {"party", "add", "pool2", "--name", "Pool two", "--kind", "pool", "--legal-basis", "s75", "--host", "council",
                  "--share", "council=50%", "--share", "police=50", "--key", b.key("admin")},
                 2, "--share 'council=50%': write the percent without '%', e.g. council=50");
}

TEST_CASE("party show: written for people, with key files named and grants by seq, while --json keeps the machine form") {
  Books b;
  b.ok({"party", "add", "pool2", "--name", "Pool two", "--kind", "pool", "--legal-basis", "s75 agreement", "--host", "council",
        "--share", "council=60", "--share", "police=40", "--key", b.key("admin")});
  b.ok({"grant-key", "pool2", b.key("pool"), "--role", "officer", "--key", b.key("admin")});
  json j = b.ok_json({"party", "show", "pool2", "--json"});
  REQUIRE(j["keys"].size() == 1);
  std::string b64 = j["keys"][0]["public_key"].get<std::string>();
  uint64_t granted = j["keys"][0]["granted_seq"].get<uint64_t>();

  RunOptions in_keys;
  in_keys.cwd = b.keys.string();
  RunResult r = b.ok({"party", "show", "pool2"}, in_keys);
  INFO(r.out);
  CHECK(!contains(r.out, "{"));  // no raw JSON fragments
  CHECK(!contains(r.out, b64));  // no bare 44-character keys
  CHECK(contains(r.out, "hosted by council"));
  CHECK(contains(r.out, "council 60.00%, police 40.00%"));
  CHECK(contains(r.out, "pool.key"));
  CHECK(contains(r.out, "granted at seq " + std::to_string(granted)));
  CHECK(contains(r.out, "officer"));

  // Elsewhere the key is shown by its first characters.
  RunResult away = b.ok({"party", "show", "pool2"});
  CHECK(contains(away.out, b64.substr(0, 8) + "…"));
  CHECK(!contains(away.out, "pool.key"));
}

TEST_CASE("human counts use the singular for one: an import of one row") {
  Books b;
  write_file(b.file("one.csv"), "kind,from,to,amount,date,mechanism\npayment,pool,ace,5.00,2025-05-01,block\n");
  RunResult r = b.ok({"import", b.file("one.csv"), "--key", b.key("pool")});
  INFO(r);
  CHECK(contains(r.err, "recorded 1 row "));
  CHECK(!contains(r.err, "1 rows"));
  RunResult again = b.ok({"import", b.file("one.csv"), "--key", b.key("pool")});
  INFO(again);
  CHECK(contains(again.err, "1 row was already recorded"));
  RunResult check = b.ok({"check"});
  CHECK(!contains(check.out, "1 records"));
}

}  // namespace fundtrail::test

namespace fundtrail::test {

// The README's "Using it" block, run as written in a fresh directory with the
// built programs first on PATH. The one line changed is the passphrase's
// `export FUNDTRAIL_PASSPHRASE=...`, whose value the reader chooses.
TEST_CASE("README: the Using it walk-through runs as written, and its verify line passes anchored") {
  fs::path readme = fs::path(FUNDTRAIL_TEST_DATA).parent_path().parent_path() / "README.md";
  std::string text = read_file(readme);
  REQUIRE(!text.empty());
  size_t section = text.find("\n## Using it");
  REQUIRE(section != std::string::npos);
  size_t open = text.find("```\n", section);
  REQUIRE(open != std::string::npos);
  size_t close = text.find("```", open + 4);
  REQUIRE(close != std::string::npos);
  std::string block = text.substr(open + 4, close - open - 4);

  std::string script = "set -euo pipefail\n";
  size_t exports = 0;
  for (auto& line : lines_of(block)) {
    if (line.rfind("export FUNDTRAIL_PASSPHRASE=", 0) == 0) {
      script += "export FUNDTRAIL_PASSPHRASE='" + kPass + "'\n";
      ++exports;
    } else {
      script += line + "\n";
    }
  }
  REQUIRE(exports == 1);
  CHECK(contains(script, "fundtrail-verify"));
  TempDir t;
  write_file(t.path / "walkthrough.sh", script);
  std::string path = fs::path(kBin).parent_path().string() + ":" + fs::path(kVerifyBin).parent_path().string() + ":" +
                     std::getenv("PATH");
  RunOptions opt;
  opt.cwd = t.path.string();
  opt.env["PATH"] = path;
  opt.timeout_s = 300;
  RunResult r = run("/bin/bash", {(t.path / "walkthrough.sh").string()}, opt);
  INFO(script, "\n", r);
  CHECK(r.code == 0);
  CHECK(fs::exists(t.path / "books" / "data.mdb"));
  CHECK(fs::exists(t.path / "checkpoint.txt"));
  // The walk-through ends with an anchored verification.
  CHECK(contains(r.out + r.err, "result: PASS"));
}

}  // namespace fundtrail::test

namespace fundtrail::test {

TEST_CASE("--json: a rule refusal and a usage error are each one JSON object on stdout with the exit code") {
  Books b;
  Snapshot before = b.snapshot();
  // Rule 1: the stranger's key acts for nobody.
  RunResult refused = b.ft({"pay", "--from", "pool", "--to", "ace", "--amount", "5.00", "--mechanism", "block", "--key",
                            b.key("stranger"), "--json"});
  INFO(refused);
  CHECK(refused.code == 1);
  REQUIRE(json::accept(refused.out));
  json r = json::parse(refused.out);
  CHECK(r["exit"] == 1);
  CHECK(r["check"] == "rule 1");
  CHECK(!r["error"].get<std::string>().empty());

  // A usage error found after parsing: an unknown party in a filter.
  RunResult usage = b.ft({"log", "--party", "pol", "--json"});
  INFO(usage);
  CHECK(usage.code == 2);
  REQUIRE(json::accept(usage.out));
  json u = json::parse(usage.out);
  CHECK(u["exit"] == 2);
  CHECK(!u.contains("check"));
  CHECK(contains(u["error"].get<std::string>(), "pol"));
  CHECK(b.snapshot() == before);
}

}  // namespace fundtrail::test

namespace fundtrail::test {

// docs/import.md once said the contract column was refused; it is read, and
// the page says what the import does.
TEST_CASE("import: the contract column names the contract a payment is made under, as docs/import.md says") {
  Books b;
  write_file(b.file("schedule.csv"), "milestone,group,unit_price,financed_by\njob entry,,100.00,payer\n");
  b.ok({"contract", "agree", "HEAD", "--payer", "council", "--payee", "ace", "--subject", "employment support", "--from",
        "2025-04-01", "--to", "2027-03-31", "--cap", "10000.00", "--schedule", b.file("schedule.csv"), "--key",
        b.key("council")});
  write_file(b.file("run.csv"),
             "kind,from,to,amount,date,mechanism,milestone,contract,count\n"
             "payment,council,ace,200.00,2025-05-01,milestone,job entry,HEAD,2\n");
  RunResult r = b.ok({"import", b.file("run.csv"), "--key", b.key("council")});
  INFO(r);
  CHECK(contains(b.ok({"contract", "show", "HEAD"}).out, "GBP 200.00 in 1 payment\n"));
  std::string doc = read_file(fs::path(FUNDTRAIL_TEST_DATA).parent_path().parent_path() / "docs" / "import.md");
  REQUIRE(!doc.empty());
  CHECK(contains(doc, "| `contract` |"));
  CHECK(!contains(doc, "not supported yet"));
}

}  // namespace fundtrail::test
