// demo DIR: the embedded community-budget scenario.
#include "fixture.h"

using namespace fundtrail::test;

TEST_CASE("demo: builds a ledger that fundtrail reads and extends and fundtrail-verify accepts") {
  TempDir t;
  std::string dir = (t.path / "demo").string();
  RunOptions slow;
  slow.timeout_s = 180;
  RunResult demo = ft_raw({"demo", dir}, slow);
  INFO(demo);
  REQUIRE(demo.code == 0);
  CHECK(demo.out == dir + "\n");
  CHECK(contains(demo.err, "records"));
  CHECK(contains(demo.err, "fundtrail --ledger " + dir + " log"));

  RunResult log = ft_raw({"--ledger", dir, "log", "--json"});
  REQUIRE(log.code == 0);
  json records = json::parse(log.out);
  CHECK(records.size() >= 40);
  std::map<std::string, int> kinds;
  bool dual = false;
  for (auto& r : records) {
    ++kinds[r["kind"].get<std::string>()];
    if (r["kind"] == "payment" && r["signatures"].size() == 2) dual = true;
  }
  CHECK(kinds["reversal"] == 1);
  CHECK(kinds["contribution"] == 3);
  CHECK(kinds["payment"] >= 10);
  CHECK(dual);
  CHECK(ft_raw({"--ledger", dir, "log"}).code == 0);

  json parties = json::parse(ft_raw({"--ledger", dir, "party", "list", "--json"}).out);
  std::map<std::string, std::string> kind_of;
  for (auto& p : parties) kind_of[p["id"]] = p["kind"];
  int providers = 0;
  for (auto& [id, k] : kind_of) providers += k == "provider";
  CHECK(providers >= 5);
  CHECK(kind_of["riverside-pool"] == "pool");
  CHECK(kind_of["ace-integrator"] == "integrator");
  json balances = json::parse(ft_raw({"--ledger", dir, "balance", "--json"}).out);
  for (auto& bal : balances)
    if (kind_of[bal["party"]] == "pool") CHECK(bal["balance_minor"].get<int64_t>() >= 0);

  // Its keys are kept, sealed with FUNDTRAIL_PASSPHRASE, so one can go on recording.
  RunResult keys = ft_raw({"key", "list", dir + "/keys", "--json"});
  REQUIRE(keys.code == 0);
  CHECK(json::parse(keys.out).size() >= 10);
  RunResult more = ft_raw({"--ledger", dir, "pay", "--from", "riverside-pool", "--to", "ace-integrator", "--amount", "1.00",
                           "--mechanism", "fee", "--date", "2026-04-01", "--key", dir + "/keys/pool-officer.key"});
  INFO(more);
  CHECK(more.code == 0);
  CHECK(more.out == std::to_string(records.size()) + "\n");

  // A second demo into the same directory changes nothing.
  RunResult again = ft_raw({"demo", dir});
  INFO(again);
  CHECK(again.code == 2);
  CHECK(contains(again.err, "already holds a ledger"));

  verify_if_present({dir});
}
