// A full disk and a full map (docs/reliability.md "Full disk and limits"): the
// write is refused with a clear message and exit 2, nothing of it is
// recorded, the ledger still verifies, and the same command succeeds once
// there is room. Oversize fields are refused with the limit stated.
#include "test_reliability_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

namespace {
std::vector<std::string> import_of(const Books& b, const std::string& file) {
  return {"--ledger", b.ledger.string(), "import", b.file(file), "--key", b.key("council")};
}

// After a refused write: the records are those of before and still verify.
void expect_intact(const Books& b, const std::string& log_before) {
  CHECK(b.ok({"log", "--json"}).out == log_before);
  verify_if_present({b.ledger.string()});
}
}  // namespace

TEST_CASE("full disk: a map capped by FUNDTRAIL_MAX_MAP_BYTES refuses an import with exit 2 and writes nothing") {
  Books b;
  write_file(b.file("big.csv"), payments_csv("council", "ace", "1.00", 3000, "m"));
  const std::string before = b.ok({"log", "--json"}).out;
  const auto cap = std::to_string(fs::file_size(b.ledger / "data.mdb") + 64 * 1024);
  RunOptions capped;
  capped.env["FUNDTRAIL_MAX_MAP_BYTES"] = cap;
  RunResult r = b.ft({"import", b.file("big.csv"), "--key", b.key("council")}, capped);
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "is full"));
  CHECK(contains(r.err, "FUNDTRAIL_MAX_MAP_BYTES=" + cap));
  CHECK(contains(r.err, "nothing was written"));
  CHECK(r.out.empty());
  expect_intact(b, before);
  // Small writes that fit still work under the cap, and with room the import completes.
  b.ok({"pay", "--from", "council", "--to", "hope", "--amount", "1.00", "--mechanism", "grant", "--key", b.key("council")},
       capped);
  RunResult again = b.ok({"import", b.file("big.csv"), "--key", b.key("council")});
  CHECK(again.out == "3000 14 3013\n");  // seq 13: the payment run's batch record
  verify_if_present({b.ledger.string()});
}

TEST_CASE("full disk: a file size limit (ulimit -f) makes the commit fail cleanly with exit 2") {
  Books b;
  write_file(b.file("big.csv"), payments_csv("council", "ace", "1.00", 3000, "f"));
  const std::string before = b.ok({"log", "--json"}).out;
  SpawnOptions opt;
  opt.file_size_limit = fs::file_size(b.ledger / "data.mdb") + 32 * 1024;
  opt.ignore_sigxfsz = true;  // as a full disk does: the write fails, the process lives
  RunResult r = finish(spawn(kBin, import_of(b, "big.csv"), b.root, "efbig", opt));
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "nothing was written"));
  CHECK(r.out.empty());
  expect_intact(b, before);

  // With SIGXFSZ at its default, a write that starts past the limit kills the
  // writer mid-commit (a crash); one that straddles it is cut short without a
  // signal, which LMDB reports as EIO. Which comes first depends on LMDB's
  // page layout; either way the ledger is as it was.
  opt.ignore_sigxfsz = false;
  RunResult killed = finish(spawn(kBin, import_of(b, "big.csv"), b.root, "sigxfsz", opt));
  INFO(killed);
  CHECK((killed.code == 128 + SIGXFSZ || (killed.code == 2 && contains(killed.err, "nothing was written"))));
  expect_intact(b, before);

  RunResult again = b.ok({"import", b.file("big.csv"), "--key", b.key("council")});
  CHECK(again.out == "3000 13 3012\n");  // seq 12: the payment run's batch record
  verify_if_present({b.ledger.string()});
}

TEST_CASE("full disk: a failed export-bundle leaves neither the bundle nor its temporary file") {
  Books b;
  write_file(b.file("rows.csv"), payments_csv("council", "ace", "1.00", 300, "x"));
  b.ok({"import", b.file("rows.csv"), "--key", b.key("council")});
  SpawnOptions opt;
  opt.file_size_limit = 16 * 1024;  // the bundle of 312 records is larger
  opt.ignore_sigxfsz = true;         // as a full disk does: the write fails, the process lives
  fs::path out = b.root / "out.bundle";
  RunResult r = finish(spawn(kBin, {"--ledger", b.ledger.string(), "export-bundle", out.string()}, b.root, "bundle", opt));
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "nothing was written"));
  CHECK(!fs::exists(out));
  CHECK(!fs::exists(out.string() + ".tmp"));  // issue 20: a 0-byte .tmp was left behind
  b.ok({"export-bundle", out.string()});
  CHECK(fs::file_size(out) > 16 * 1024);
  CHECK(!fs::exists(out.string() + ".tmp"));
}

TEST_CASE("limits: oversize names and memos and identifiers are refused with the limit stated") {
  Books b;
  const std::string before = b.ok({"log", "--json"}).out;
  struct Case {
    std::vector<std::string> args;
    std::string limit;  // the number the refusal must state
  };
  const std::string admin = b.key("admin"), council = b.key("council");
  std::vector<Case> cases = {
      {{"party", "add", std::string(65, 'p'), "--name", "P", "--kind", "provider", "--key", admin}, "64"},
      {{"party", "add", "longname", "--name", std::string(201, 'n'), "--kind", "provider", "--key", admin}, "200"},
      {{"party", "add", "longorg", "--name", "O", "--kind", "provider", "--org-id", "GB-CHC-" + std::string(194, '1'), "--key",
        admin},
       "200"},
      {{"pay", "--from", "council", "--to", "hope", "--amount", "1.00", "--mechanism", "grant", "--memo", std::string(1001, 'm'),
        "--key", council},
       "1000"},
      {{"pay", "--from", "council", "--to", "hope", "--amount", "1.00", "--mechanism", "milestone", "--milestone",
        std::string(101, 's'), "--key", council},
       "100"},
      {{"pay", "--from", "council", "--to", "hope", "--amount", "1.00", "--mechanism", "grant", "--idempotency-key",
        std::string(129, 'k'), "--key", council},
       "128"},
      {{"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--reference", std::string(201, 'r'), "--key",
        council},
       "200"},
      {{"assign", "--accountable", "council", "--responsible", "ace", "--subject", std::string(201, 's'), "--kind", "delivery",
        "--key", council},
       "200"},
  };
  for (auto& c : cases) {
    RunResult r = b.ft(c.args);
    INFO(Books::join(c.args).substr(0, 120), "\n", r);
    CHECK((r.code == 1 || r.code == 2));
    CHECK(contains(r.err, c.limit));
    CHECK(r.out.empty());
  }
  CHECK(b.ok({"log", "--json"}).out == before);
  // At the limit exactly, each is accepted.
  b.ok({"party", "add", std::string(64, 'p'), "--name", std::string(200, 'n'), "--kind", "provider", "--key", admin});
  b.ok({"pay", "--from", "council", "--to", "hope", "--amount", "1.00", "--mechanism", "grant", "--memo", std::string(1000, 'm'),
        "--idempotency-key", std::string(128, 'k'), "--key", council});
  // And in an import, a memo over the limit names its line.
  write_file(b.file("memo.csv"), kHeader + "payment,council,hope,1.00,GBP,2025-05-01,grant,,,,,,,," + std::string(1001, 'm') + ",\n");
  RunResult r = b.ft({"import", b.file("memo.csv"), "--key", council});
  INFO(r);
  CHECK((r.code == 1 || r.code == 2));
  CHECK(contains(r.err, "line 2"));
  CHECK(contains(r.err, "1000"));
  CHECK(b.size() == kStartSize + 2);
}
