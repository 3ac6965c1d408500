// Crash isolation (cli/isolate.h, issue 20 defect 5): a damaged page can make
// LMDB fault inside any command; the command runs in a child process, so a
// fault is reported as unusable input (exit 2) naming the file and what to
// run next, and never reaches the shell as a signal.
#include <csignal>

#include "test_reliability_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

namespace {
bool clean_exit(const RunResult& r) { return !r.timed_out && r.code >= 0 && r.code <= 2; }
}  // namespace

TEST_CASE("isolation: a fault in the command is exit 2 naming data.mdb, fundtrail-verify and reindex") {
  Books b;
  RunOptions opt;
  opt.env["FUNDTRAIL_TEST_FAULT"] = "segv";
  RunResult r = ft_raw({"--ledger", b.ledger.string(), "balance", "pool"}, opt);
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, b.ledger.string() + "/data.mdb"));
  // SIGSEGV, or SIGABRT where a sanitizer caught the fault first and aborted.
  bool named = contains(r.err, "signal " + std::to_string(SIGSEGV)) || contains(r.err, "signal " + std::to_string(SIGABRT));
  CHECK(named);
  CHECK(contains(r.err, "fundtrail-verify " + b.ledger.string()));
  CHECK(contains(r.err, "reindex"));
  CHECK(r.out.empty());

  // Without isolation (for a debugger) the same fault is the process's own.
  opt.env["FUNDTRAIL_NO_ISOLATION"] = "1";
  RunResult raw = ft_raw({"--ledger", b.ledger.string(), "balance", "pool"}, opt);
  CHECK(raw.code != 0);
  CHECK(raw.code != 2);
}

TEST_CASE("isolation: a command's own exit codes and output pass through unchanged") {
  Books b;
  RunResult ok = b.ft({"balance", "pool", "--json"});
  CHECK(ok.code == 0);
  CHECK(json::accept(ok.out));
  RunResult refused = b.ft({"pay", "--from", "pool", "--to", "hope", "--amount", "999999.00", "--mechanism", "block", "--date",
                            "2025-04-02", "--key", b.key("pool")});
  CHECK(refused.code == 1);
  CHECK(contains(refused.err, "rule"));
  RunResult usage = b.ft({"pay", "--from"});
  CHECK(usage.code == 2);
}

TEST_CASE("isolation: damaged page headers in every page never crash pay or checkpoint") {
  Books b;
  b.ok({"checkpoint"});  // a checkpoints page too
  const std::string data = read_file(b.ledger / "data.mdb");
  const size_t page = 4096, pages = data.size() / page;
  REQUIRE(pages > 4);
  int refused = 0, wrote = 0;
  RunOptions with_pass;
  with_pass.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  // LMDB's page header: page number (8 bytes), pad (2), flags (2), lower and
  // upper free-space bounds (2 + 2). Pages 0 and 1 are the meta pages.
  for (size_t p = 2; p < pages; ++p) {
    for (size_t offset : {size_t(12), size_t(0)}) {
      std::string bytes = data;
      bytes[p * page + offset] = static_cast<char>(0xff);
      bytes[p * page + offset + 1] = static_cast<char>(0x7f);
      fs::path dir = b.root / ("page-" + std::to_string(p) + "-" + std::to_string(offset));
      fs::create_directories(dir);
      write_file(dir / "data.mdb", bytes);
      fs::copy_file(b.ledger / "log.key", dir / "log.key");
      CAPTURE(p);
      CAPTURE(offset);
      RunResult pay = ft_raw({"--ledger", dir.string(), "pay", "--from", "council", "--to", "hope", "--amount", "1.00",
                              "--mechanism", "grant", "--idempotency-key", "page", "--key", b.key("council")},
                             with_pass);
      INFO(pay);
      CHECK(clean_exit(pay));
      (pay.code == 0 ? wrote : refused)++;
      RunResult cp = ft_raw({"--ledger", dir.string(), "checkpoint"}, with_pass);
      INFO(cp);
      CHECK(clean_exit(cp));
      fs::remove_all(dir);
    }
  }
  size_t damaged = pages - 2;
  MESSAGE(damaged, " pages damaged two ways: pay refused ", refused, " and wrote ", wrote, ", none crashed");
}
