// Crash safety (docs/reliability.md "Crashes"): an import killed with SIGKILL
// at random points leaves a ledger that opens, verifies clean and holds whole
// batches only; running the same import again completes it, nothing twice.
#include <chrono>

#include "test_reliability_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

TEST_CASE("crash: imports killed with SIGKILL at random points leave whole batches and re-runs complete them") {
  if (!verifier_present()) {
    MESSAGE("fundtrail-verify not built (", kVerifyBin, "): skipped");
    return;
  }
  constexpr size_t kRows = 2000;  // one batch (an import commits up to 10,000 rows at once)
  constexpr int kRuns = 20;
  // Every row pays ace 1.00 from council, so ace's balance counts the rows recorded.
  auto write_csv = [&](const Books& b, const std::string& name) {
    write_file(b.file(name), payments_csv("council", "ace", "1.00", kRows, "r"));
  };
  auto import_args = [&](const Books& b, const std::string& name) {
    return std::vector<std::string>{"--ledger", b.ledger.string(), "import", b.file(name), "--key", b.key("council")};
  };

  // How long an uninterrupted import takes here.
  Books calib;
  write_csv(calib, "calibrate.csv");
  auto t0 = std::chrono::steady_clock::now();
  {
    RunResult r = calib.ok({"import", calib.file("calibrate.csv"), "--key", calib.key("council")});
    CHECK(contains(r.out, std::to_string(kRows) + " "));
  }
  const double whole_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();

  // A fixed seed: a failure names the run and its delay, and can be replayed.
  std::mt19937_64 rng(20250401);
  std::uniform_real_distribution<double> when(0.0, 1.1);
  int interrupted = 0, completed_before_kill = 0;
  for (int run_no = 0; run_no < kRuns; ++run_no) {
    // Each run starts from the starting ledger, so every verification is of
    // one batch's worth of records (and the suite stays fast).
    Books b;
    const int64_t ace_start = b.balance("ace");
    const uint64_t size = kStartSize;
    const std::string name = "batch-" + std::to_string(run_no) + ".csv";
    write_csv(b, name);
    const long delay_us = static_cast<long>(when(rng) * whole_us);
    CAPTURE(run_no);
    CAPTURE(delay_us);
    Spawned s = spawn(kBin, import_args(b, name), b.root, "import");
    sleep_us(delay_us);
    ::kill(s.pid, SIGKILL);
    int code = wait_for(s);
    INFO("import exit ", code, ": ", read_file(s.err));
    CHECK((code == 0 || code == 128 + SIGKILL));

    // The ledger opens (a write would be refused if the head did not check)
    // and verifies clean, holding either none or all of the payment run (its
    // batch record and its rows).
    Verdict v = verify(b.ledger.string());
    INFO(v.run);
    REQUIRE(v.run.code == 0);
    const uint64_t now = v.records();
    CHECK((now == size || now == size + kRows + 1));
    const uint64_t rows_in = now == size ? 0 : kRows;
    CHECK((b.balance("ace") - ace_start) / 100 == int64_t(rows_in));
    (now == size ? interrupted : completed_before_kill)++;

    // The same import again finishes the job: rows already recorded are skipped.
    RunResult again = b.ft({"import", b.file(name), "--key", b.key("council"), "--json"});
    INFO(again);
    REQUIRE(again.code == 0);
    json j = json::parse(again.out);
    CHECK(j["recorded"].get<uint64_t>() + j["already_recorded"].get<uint64_t>() == kRows);
    CHECK(j["already_recorded"].get<uint64_t>() == rows_in);
    CHECK(b.balance("ace") - ace_start == int64_t(kRows) * 100);

    // Every row once, and (last run) the whole ledger checks against a signed checkpoint.
    if (run_no == kRuns - 1) {
      RunResult cp = b.ok({"checkpoint"});
      write_file(b.file("cp.txt"), cp.out);
      Verdict all = verify(b.ledger.string(), b.file("cp.txt"), b.log_key_text);
      INFO(all.run);
      CHECK(all.run.code == 0);
      CHECK(all.records() == kStartSize + kRows + 1);
    }
  }
  MESSAGE(kRuns, " kills: ", interrupted, " before the batch committed, ", completed_before_kill,
          " after (an uninterrupted import takes ", whole_us / 1000, " ms)");
}
