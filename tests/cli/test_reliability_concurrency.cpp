// Concurrent writers (docs/reliability.md "Several writers"): processes that
// append to one ledger at once are ordered by LMDB's writer lock; nothing is
// lost or recorded twice, the chain and tree check, and a pool that the
// combined payments would overspend refuses exactly the excess ones.
#include <set>

#include "test_reliability_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

TEST_CASE("concurrency: 4 import processes of 1000 payments each at once record exactly 4000") {
  constexpr int kProcs = 4;
  constexpr size_t kRows = 1000;
  Books b;
  const int64_t council = b.balance("council"), ace = b.balance("ace");
  // Process p pays ace (p+1).00 per row, so the balances say which rows landed.
  for (int p = 0; p < kProcs; ++p)
    write_file(b.file("p" + std::to_string(p) + ".csv"),
               payments_csv("council", "ace", std::to_string(p + 1) + ".00", kRows, "p" + std::to_string(p) + "-"));
  std::vector<Spawned> kids;
  for (int p = 0; p < kProcs; ++p)
    kids.push_back(spawn(kBin,
                         {"--ledger", b.ledger.string(), "import", b.file("p" + std::to_string(p) + ".csv"), "--key",
                          b.key("council"), "--json"},
                         b.root, "import-" + std::to_string(p)));
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (auto& k : kids) {
    RunResult r = finish(k);
    INFO(r);
    REQUIRE(r.code == 0);
    json j = json::parse(r.out);
    CHECK(j["recorded"] == kRows);
    CHECK(j["already_recorded"] == 0);
    ranges.emplace_back(j["first_seq"].get<uint64_t>(), j["last_seq"].get<uint64_t>());
  }
  // Each import is one payment run in one transaction: its batch record, then
  // its rows, contiguous; the four runs tile the seqs after the starting
  // ledger exactly.
  std::sort(ranges.begin(), ranges.end());
  uint64_t next = kStartSize;
  for (auto& [first, last] : ranges) {
    CHECK(first == next + 1);  // next: the run's batch record
    CHECK(last - first + 1 == kRows);
    next = last + 1;
  }
  CHECK(next == kStartSize + kProcs * (kRows + 1));
  CHECK(b.balance("ace") - ace == int64_t(kRows) * 100 * (1 + 2 + 3 + 4));
  CHECK(council - b.balance("council") == int64_t(kRows) * 100 * (1 + 2 + 3 + 4));

  // A checkpoint over all of it: the verifier re-derives the chain, every
  // signature and rule, and the Merkle root the log signed.
  RunResult cp = b.ok({"checkpoint"});
  write_file(b.file("cp.txt"), cp.out);
  if (verifier_present()) {
    Verdict v = verify(b.ledger.string(), b.file("cp.txt"), b.log_key_text);
    INFO(v.run);
    CHECK(v.run.code == 0);
    CHECK(v.records() == kStartSize + kProcs * (kRows + 1));
  }
  // An inclusion proof of a record from the middle checks against that checkpoint.
  uint64_t mid = kStartSize + 2 * (kRows + 1) + 7;
  RunResult proof = b.ok({"proof", "inclusion", std::to_string(mid)});
  write_file(b.file("proof.json"), proof.out);
  write_file(b.file("leaf.bin"), b.ok({"show", std::to_string(mid), "--raw"}).out);
  b.ok({"proof", "check", b.file("proof.json"), "--checkpoint", b.file("cp.txt"), "--log-key", b.log_key_text, "--leaf",
        b.file("leaf.bin")});
}

TEST_CASE("concurrency: pay processes racing to overspend a pool are refused exactly for the excess") {
  // The pool holds 5000.00; 4 writers each try 5 payments of 300.00 (6000.00):
  // exactly 16 fit, exactly 4 are refused by rule 4, whoever comes last.
  constexpr int kProcs = 4, kEach = 5, kFit = 16;
  Books b;
  REQUIRE(b.balance("pool") == 500000);
  const uint64_t start = b.size();
  std::vector<int> ok(kProcs, 0), refused(kProcs, 0), other(kProcs, 0);
  std::vector<std::string> odd(kProcs);
  std::vector<std::thread> writers;
  for (int p = 0; p < kProcs; ++p)
    writers.emplace_back([&, p] {
      for (int i = 0; i < kEach; ++i) {
        // A distinct idempotency key: these are 32 payments, not retries of one.
        RunResult r = b.ft({"pay", "--from", "pool", "--to", "hope", "--amount", "300.00", "--mechanism", "grant", "--key",
                            b.key("pool"), "--idempotency-key", "race-" + std::to_string(p) + "-" + std::to_string(i)});
        if (r.code == 0) ++ok[p];
        else if (r.code == 1 && contains(r.err, "rule 4")) ++refused[p];
        else ++other[p], odd[p] += r.err;
      }
    });
  for (auto& t : writers) t.join();
  int total_ok = 0, total_refused = 0;
  for (int p = 0; p < kProcs; ++p) {
    INFO(odd[p]);
    CHECK(other[p] == 0);
    total_ok += ok[p];
    total_refused += refused[p];
  }
  CHECK(total_ok == kFit);
  CHECK(total_refused == kProcs * kEach - kFit);
  CHECK(b.balance("pool") == 500000 - kFit * 30000);
  CHECK(b.balance("hope") == kFit * 30000);
  CHECK(b.size() == start + kFit);
  verify_if_present({b.ledger.string()});
}
