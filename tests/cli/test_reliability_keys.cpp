// Secret keys (docs/reliability.md "Keys"): a key file others can read or
// write is refused before any passphrase is tried, a wrong passphrase is a
// clear error, and neither writes anything; both programs agree.
#include <sys/stat.h>

#include "test_reliability_support.h"

using namespace fundtrail::test;

namespace {
std::vector<std::string> pay_with(const std::string& key) {
  return {"pay", "--from", "council", "--to", "hope", "--amount", "5.00", "--mechanism", "grant", "--key", key};
}
}  // namespace

TEST_CASE("keys: group- or world-accessible key files are refused by every command that unlocks them") {
  Books b;
  const std::string key = b.key("council");
  const Snapshot before = b.snapshot();
  write_file(b.file("one.csv"), rel::kHeader + "payment,council,hope,5.00,GBP,2025-05-01,grant,,,,,,,,,\n");
  // group read, other read, group write, other write, group execute
  for (mode_t mode : {0640, 0604, 0620, 0602, 0610}) {
    CAPTURE(mode);
    REQUIRE(::chmod(key.c_str(), mode) == 0);
    for (auto args : {pay_with(key), std::vector<std::string>{"import", b.file("one.csv"), "--key", key}}) {
      RunResult r = b.ft(args);
      INFO(r);
      CHECK(r.code == 2);
      CHECK(contains(r.err, "readable by others"));
      CHECK(contains(r.err, "chmod 600 " + key));
      CHECK(r.out.empty());
    }
  }
  CHECK(b.snapshot() == before);
  REQUIRE(::chmod(key.c_str(), 0600) == 0);
  b.ok(pay_with(key));
  // 0400 (read-only for the owner) is private too.
  REQUIRE(::chmod(key.c_str(), 0400) == 0);
  RunResult r = b.ft({"pay", "--from", "council", "--to", "hope", "--amount", "6.00", "--mechanism", "grant", "--key", key});
  INFO(r);
  CHECK(r.code == 0);

  // The verifier's cosign refuses an exposed key file as well.
  if (verifier_present()) {
    std::string witness = b.file("witness.key");
    b.ok({"key", "generate", witness, "--kdf", "interactive"});
    write_file(b.file("cp.txt"), b.ok({"checkpoint"}).out);
    REQUIRE(::chmod(witness.c_str(), 0644) == 0);
    RunOptions opt;
    opt.env["FUNDTRAIL_PASSPHRASE"] = kPass;
    RunResult c = run(kVerifyBin, {"cosign", b.file("cp.txt"), b.ledger.string(), "--key", witness}, opt);
    INFO(c);
    CHECK(c.code == 2);
    CHECK(c.out.empty());
  }
}

TEST_CASE("keys: a wrong or missing passphrase is a clear error and writes nothing") {
  Books b;
  RunOptions wrong;
  wrong.env["FUNDTRAIL_PASSPHRASE"] = "Tr0ub4dor&3";
  expect_refused(b, pay_with(b.key("council")), 2, "wrong passphrase for key file", wrong);
  expect_refused(b, {"grant-key", "ace", b.key("stranger"), "--role", "officer", "--key", b.key("admin")}, 2,
                 "wrong passphrase", wrong);
  RunOptions none;
  none.unset = {"FUNDTRAIL_PASSPHRASE"};
  expect_refused(b, pay_with(b.key("council")), 2, "FUNDTRAIL_PASSPHRASE", none);
  // An empty passphrase is a passphrase, and not this one.
  RunOptions empty;
  empty.env["FUNDTRAIL_PASSPHRASE"] = "";
  expect_refused(b, pay_with(b.key("council")), 2, "wrong passphrase", empty);
  // A sealed key that was altered is refused the same way (the MAC fails).
  std::string text = read_file(b.key("ace"));
  size_t at = text.find("sealed ") + 10;
  text[at] = text[at] == 'A' ? 'B' : 'A';
  write_file(b.file("altered.key"), text);
  REQUIRE(::chmod(b.file("altered.key").c_str(), 0600) == 0);
  expect_refused(b,
                 {"pay", "--from", "ace", "--to", "hope", "--amount", "5.00", "--mechanism", "grant", "--key",
                  b.file("altered.key")},
                 2, "key file");
}

TEST_CASE("keys: something that is not a key file is refused without a crash") {
  Books b;
  for (const std::string& junk : {std::string(""), std::string("fundtrail-secret-key v1\n"), std::string(100000, 'k'),
                                  std::string("fundtrail-secret-key v1\nname x\npublic !!\nkdf argon2id13 1 1\nsalt a\nnonce b\nsealed c\n")}) {
    write_file(b.file("junk.key"), junk);
    REQUIRE(::chmod(b.file("junk.key").c_str(), 0600) == 0);
    expect_refused(b, pay_with(b.file("junk.key")), 2, "junk.key");
  }
  fs::create_directories(b.root / "dir.key");
  expect_refused(b, pay_with((b.root / "dir.key").string()), 2, "dir.key");
  // Issue 20: a FIFO blocked the command forever (open waits for a writer).
  std::string fifo = (b.root / "fifo.key").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  RunOptions bounded;
  bounded.timeout_s = 20;
  expect_refused(b, pay_with(fifo), 2, "not a regular file", bounded);
  expect_refused(b, {"key", "public", fifo}, 2, "not a regular file", bounded);
}
