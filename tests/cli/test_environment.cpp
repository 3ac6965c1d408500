// Where the ledger is: missing, not a ledger, not named, read-only.
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

using namespace fundtrail::test;

TEST_CASE("ledger dir: missing or not a ledger or not named is a usage error") {
  Books b;  // for key files
  fs::create_directories(b.root / "empty");
  fs::create_directories(b.root / "garbage");
  write_file(b.root / "garbage" / "data.mdb", std::string(8192, 'x'));
  write_file(b.root / "plain-file", "hello\n");
  struct Where {
    std::string dir, why;
  };
  const std::vector<Where> places = {{b.file("missing"), "does not exist"},
                                     {b.file("empty"), "is not a fundtrail ledger"},
                                     {b.file("garbage"), "not a fundtrail ledger"},
                                     {b.file("plain-file"), "not a directory"}};
  for (auto& w : places) {
    for (std::vector<std::string> cmd :
         {std::vector<std::string>{"log"},
          {"balance", "--json"},
          {"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council")},
          {"checkpoint"}}) {
      cmd.insert(cmd.begin(), {"--ledger", w.dir});
      RunResult r = ft_raw(cmd);
      INFO(Books::join(cmd), "\n", r);
      CHECK(r.code == 2);
      CHECK(contains(r.err, w.why));
      if (std::find(cmd.begin(), cmd.end(), "--json") == cmd.end()) {
        CHECK(r.out.empty());
      } else {  // with --json the error is one JSON object on stdout too
        REQUIRE(json::accept(r.out));
        CHECK(json::parse(r.out)["exit"] == 2);
      }
    }
  }
  CHECK(!fs::exists(b.root / "missing"));
  CHECK(fs::is_empty(b.root / "empty"));

  // Not named at all.
  RunResult none = ft_raw({"log"});
  INFO(none);
  CHECK(none.code == 2);
  CHECK(contains(none.err, "no ledger given"));
  CHECK(contains(none.err, "FUNDTRAIL_LEDGER"));

  // FUNDTRAIL_LEDGER names it; --ledger wins over it.
  RunOptions env;
  env.env["FUNDTRAIL_LEDGER"] = b.ledger.string();
  RunResult via_env = ft_raw({"log", "--json"}, env);
  INFO(via_env);
  CHECK(via_env.code == 0);
  CHECK(json::parse(via_env.out).size() == kStartSize);
  env.env["FUNDTRAIL_LEDGER"] = b.file("missing");
  CHECK(ft_raw({"--ledger", b.ledger.string(), "log"}, env).code == 0);
  CHECK(ft_raw({"log"}, env).code == 2);
}

TEST_CASE("ledger dir: read-only refuses writes and writes nothing while reads work") {
  Books b;
  Snapshot before = b.snapshot();
  std::string balances = b.ok({"balance", "--json"}).out;
  RunOptions as;
  if (::geteuid() == 0) {
    // Permissions do not bind root: run the commands as an unprivileged user
    // who owns the files, so that chmod a-w is what stops the writes.
    const uid_t nobody = 65534;
    bool owned = ::chown(b.root.c_str(), nobody, nobody) == 0;
    for (auto& e : fs::recursive_directory_iterator(b.root)) owned = owned && ::lchown(e.path().c_str(), nobody, nobody) == 0;
    as.run_as = nobody;
    RunResult probe = ft_raw({"--version"}, as);
    if (!owned || probe.code != 0) {
      MESSAGE("running as root and cannot drop to uid 65534 (", probe.err,
              "): permissions do not bind root, so the read-only ledger case is skipped");
      return;
    }
    fs::permissions(b.root, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                                fs::perms::others_exec);
  }
  auto read_only = [&](const fs::path& p) {
    fs::permissions(p, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write, fs::perm_options::remove);
  };
  read_only(b.ledger);
  for (auto& e : fs::directory_iterator(b.ledger)) read_only(e.path());

  const std::vector<std::vector<std::string>> writes = {
      {"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council")},
      {"party", "add", "newstart", "--name", "NewStart", "--kind", "provider", "--key", b.key("admin")},
      {"checkpoint"},
  };
  for (auto cmd : writes) {
    cmd.insert(cmd.begin(), {"--ledger", b.ledger.string()});
    RunResult r = ft_raw(cmd, as);
    INFO(Books::join(cmd), "\n", r);
    CHECK(r.code == 2);
    CHECK(contains(r.err, "read-only"));
    CHECK(r.out.empty());
  }
  // Reading a read-only ledger still works.
  RunResult log = ft_raw({"--ledger", b.ledger.string(), "log", "--json"}, as);
  INFO(log);
  CHECK(log.code == 0);
  CHECK(log.out == before.log);
  RunResult bal = ft_raw({"--ledger", b.ledger.string(), "balance", "--json"}, as);
  INFO(bal);
  CHECK(bal.code == 0);
  CHECK(bal.out == balances);

  fs::permissions(b.ledger, fs::perms::owner_write, fs::perm_options::add);
  for (auto& e : fs::directory_iterator(b.ledger)) fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  CHECK(b.snapshot() == before);
}
