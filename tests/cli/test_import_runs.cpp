// Imports sign in payment runs by default (DESIGN.md "Payment runs", docs/import.md
// "Payment runs"): each transaction of up to 10,000 records is one batch
// record signed once by the keys its rows need, then its records unsigned,
// each naming the batch. The same files with --per-record-signatures give the
// same balances. Every format: the plain CSV, 360Giving, published spending.
// (A ledger of format version 1: tests/unit/test_import_v1.cpp.)
#include "fixture.h"

using namespace fundtrail::test;

namespace {

const std::string kHeader =
    "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key\n";
const fs::path kData = fs::path(FUNDTRAIL_TEST_DATA);
const fs::path kRules = kData / "../../examples/rules";

std::string csv(const std::vector<std::string>& rows) {
  std::string s = kHeader;
  for (auto& r : rows) s += r + "\n";
  return s;
}

std::vector<std::string> import_args(const Books& b, const std::string& file, const std::vector<std::string>& keys,
                                     const std::vector<std::string>& more = {}) {
  std::vector<std::string> a{"import", b.file(file)};
  for (auto& k : keys) a.insert(a.end(), {"--key", b.key(k)});
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// The seqs of the batch records in the log, and each record's batch_seq (0: none).
std::vector<uint64_t> batch_seqs(const json& log) {
  std::vector<uint64_t> out;
  for (auto& r : log)
    if (r["kind"] == "batch") out.push_back(r["seq"].get<uint64_t>());
  return out;
}
uint64_t batch_of(const json& record) { return record.contains("batch_seq") ? record["batch_seq"].get<uint64_t>() : 0; }

// Every record after `from` is either a batch record, signed and holding
// the count of records that follow it, or one of those, unsigned, naming it.
// Returns the number of batch records.
size_t check_runs_shape(const json& log, uint64_t from) {
  size_t runs = 0;
  for (uint64_t s = from; s < log.size();) {
    INFO("seq ", s, ": ", log[s].dump());
    REQUIRE(log[s]["kind"] == "batch");
    CHECK(!log[s]["signatures"].empty());
    CHECK(batch_of(log[s]) == 0);
    uint64_t count = log[s]["body"]["count"].get<uint64_t>();
    REQUIRE(s + count < log.size());
    for (uint64_t k = s + 1; k <= s + count; ++k) {
      CHECK(batch_of(log[k]) == s);
      CHECK(log[k]["signatures"].empty());
      CHECK(log[k]["kind"] != "batch");
    }
    ++runs;
    s += count + 1;
  }
  return runs;
}

json balances(const Books& b) { return b.ok_json({"balance", "--json"}); }

const std::vector<std::string> kApril = {
    "contribution,council,pool,250.00,GBP,2025-04-05,,,,,,,,S75 top-up,,",
    "payment,pool,ace,120.00,,2025-04-06,block,,,,,,11,,\"Q1 block, first part\",",
    "payment,ace,hope,50.00,GBP,2025-04-07,milestone,start,,2,jsa-18-24,c-001;c-002,own,,,",
    "payment,ace,hope,10.00,GBP,2025-04-08,fee,,,,,,,,,",
    "payment,ace,hope,10.00,GBP,2025-04-08,fee,,,,,,,,,"};

}  // namespace

TEST_CASE("import runs: a CSV file is one payment run, its records carry batch_seq, and the balances are those of per-record signatures") {
  Books runs, each;
  for (Books* b : {&runs, &each}) write_file(b->file("april.csv"), csv(kApril));
  RunResult r = runs.ft(import_args(runs, "april.csv", {"council", "pool", "ace"}));
  INFO(r);
  REQUIRE(r.code == 0);
  // The batch record takes seq 12; the rows follow it as 13 to 17.
  CHECK(r.out == "5 13 17\n");
  CHECK(contains(r.err, "recorded 5 rows as seq 13 to 17 in 1 payment run"));
  RunResult e = each.ft(import_args(each, "april.csv", {"council", "pool", "ace"}, {"--per-record-signatures"}));
  INFO(e);
  REQUIRE(e.code == 0);
  CHECK(e.out == "5 12 16\n");
  CHECK_FALSE(contains(e.err, "payment run"));

  json log = runs.log();
  REQUIRE(log.size() == kStartSize + 6);
  CHECK(check_runs_shape(log, kStartSize) == 1);
  CHECK(log[12]["body"]["count"] == 5);
  CHECK(log[12]["signatures"].size() == 3);  // council, pool and ace: once each for the whole run
  CHECK(log[13]["kind"] == "contribution");
  json shown = runs.ok_json({"show", "14", "--json"});
  CHECK(shown["batch_seq"] == 12);
  CHECK(shown["signatures"].empty());
  CHECK(shown["body"]["memo"] == "Q1 block, first part");
  CHECK_FALSE(runs.ok_json({"show", "12", "--json"}).contains("batch_seq"));
  // Per-record: no batch anywhere, every record signed.
  json plain = each.log();
  CHECK(batch_seqs(plain).empty());
  json single = each.ok_json({"show", "13", "--json"});
  CHECK_FALSE(single.contains("batch_seq"));
  CHECK(single["signatures"].size() == 1);

  CHECK(balances(runs) == balances(each));
  CHECK(runs.balance("pool") == 500000 + 25000 - 12000);
  CHECK(runs.balance("hope") == 5000 + 1000 + 1000);

  // A re-run records nothing twice, in either form.
  Snapshot before = runs.snapshot();
  json again = runs.ok_json(import_args(runs, "april.csv", {"council", "pool", "ace"}, {"--json"}));
  CHECK(again["recorded"] == 0);
  CHECK(again["already_recorded"] == 5);
  CHECK(again["payment_runs"] == 0);
  CHECK(again["runs"] == json::array());
  CHECK(again["first_seq"].is_null());
  CHECK(runs.snapshot() == before);
  RunResult again_each = runs.ft(import_args(runs, "april.csv", {"council", "pool", "ace"}, {"--per-record-signatures"}));
  CHECK(again_each.code == 0);
  CHECK(again_each.out == "0 - -\n");
  CHECK(runs.snapshot() == before);

  // A file holding recorded rows and new ones: the run holds the new ones only.
  std::vector<std::string> more = kApril;
  more.push_back("payment,council,ace,7.00,GBP,2025-04-09,fee,,,,,,,,,");
  write_file(runs.file("april.csv"), csv(more));
  json j = runs.ok_json(import_args(runs, "april.csv", {"council", "pool", "ace"}, {"--json"}));
  CHECK(j["recorded"] == 1);
  CHECK(j["already_recorded"] == 5);
  CHECK(j["payment_runs"] == 1);
  CHECK(j["runs"] == json::parse(R"([{"seq": 18, "first": 19, "last": 19}])"));
  CHECK(j["first_seq"] == 19);
  json last = runs.log();
  CHECK(last[18]["signatures"].size() == 1);  // only the council signs a run holding only its row
  CHECK(check_runs_shape(last, kStartSize) == 2);
  verify_if_present({runs.ledger.string()});
}

TEST_CASE("import runs: 10,001 rows make two runs, and a re-run records nothing twice") {
  Books b;
  std::string text = kHeader;
  const int n = 10001;
  for (int i = 0; i < n; ++i)
    text += "payment,council,ace,0." + std::to_string(10 + i % 90) + ",GBP,2025-04-06,fee,,,,,,,,row " + std::to_string(i) + ",\n";
  write_file(b.file("big.csv"), text);
  int64_t want = 0;
  for (int i = 0; i < n; ++i) want += 10 + i % 90;
  json j = b.ok_json(import_args(b, "big.csv", {"council"}, {"--json"}));
  CHECK(j["recorded"] == n);
  CHECK(j["payment_runs"] == 2);
  CHECK(j["runs"] == json::parse(R"([{"seq": 12, "first": 13, "last": 10012}, {"seq": 10013, "first": 10014, "last": 10014}])"));
  CHECK(j["first_seq"] == 13);
  CHECK(j["last_seq"] == 10014);
  CHECK(b.balance("ace") == want);
  CHECK(b.balance("council") == -500000 - want);  // it paid 5000.00 into the pool before
  json log = b.log();
  REQUIRE(log.size() == kStartSize + n + 2);
  CHECK(batch_seqs(log) == std::vector<uint64_t>{12, 10013});
  CHECK(log[12]["body"]["count"] == 10000);
  CHECK(log[10013]["body"]["count"] == 1);
  CHECK(batch_of(log[10012]) == 12);
  CHECK(batch_of(log[10014]) == 10013);

  Snapshot before = b.snapshot();
  RunResult again = b.ft(import_args(b, "big.csv", {"council"}));
  INFO(again);
  CHECK(again.code == 0);
  CHECK(again.out == "0 - -\n");
  CHECK(contains(again.err, "10001 rows were already recorded"));
  CHECK(b.snapshot() == before);
}

TEST_CASE("import runs: a row at or above the dual-control threshold needs the payer's second key, named by its line") {
  Books b;
  write_file(b.file("big.csv"), csv({"payment,council,ace,5.00,GBP,2025-04-06,fee,,,,,,,,,",
                                     "payment,pool,ace,1500.00,GBP,2025-04-06,block,,,,,,,,,"}));
  expect_refused(b, import_args(b, "big.csv", {"council", "pool"}), 2, "line 3");
  RunResult missing = b.ft(import_args(b, "big.csv", {"council", "pool"}));
  CHECK(contains(missing.err, "second --key"));
  RunResult r = b.ft(import_args(b, "big.csv", {"council", "pool", "approver"}));
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(r.out == "2 13 14\n");
  json log = b.log();
  CHECK(log[12]["kind"] == "batch");
  CHECK(log[12]["signatures"].size() == 3);  // council; pool's officer and its approver for dual control
  CHECK(b.balance("pool") == 500000 - 150000);
}

TEST_CASE("import runs: a run a rule refuses writes nothing and names the row's line") {
  Books b;
  // hope is budget-limited with nothing received: its payment (line 4) breaks rule 4.
  write_file(b.file("bad.csv"), csv({"payment,council,ace,10.00,GBP,2025-04-06,fee,,,,,,,,,",
                                     "payment,pool,ace,20.00,GBP,2025-04-06,block,,,,,,,,,",
                                     "payment,hope,ace,5.00,GBP,2025-04-06,fee,,,,,,,,,",
                                     "payment,council,ace,11.00,GBP,2025-04-07,fee,,,,,,,,,"}));
  std::vector<std::string> args = import_args(b, "bad.csv", {"council", "pool", "hope"});
  expect_refused(b, args, 1, "line 4: rule 4");
  RunResult r = b.ft(args);
  CHECK(contains(r.err, "nothing from this file was written"));
  CHECK_FALSE(contains(r.err, "of the run"));  // the row's line, not its place in the run
  args.push_back("--json");
  expect_refused(b, args, 1, "line 4");

  // The same idempotency key holding another body is refused naming the seq that holds it.
  write_file(b.file("one.csv"), csv({"payment,pool,ace,20.00,GBP,2025-04-06,block,,,,,,,,,apr-1"}));
  b.ok(import_args(b, "one.csv", {"pool"}));  // batch 12, record 13
  write_file(b.file("clash.csv"), csv({"payment,council,ace,1.00,GBP,2025-04-06,fee,,,,,,,,,apr-0",
                                       "payment,pool,ace,21.00,GBP,2025-04-06,block,,,,,,,,,apr-1"}));
  expect_refused(b, import_args(b, "clash.csv", {"council", "pool"}), 1, "seq 13");
  RunResult clash = b.ft(import_args(b, "clash.csv", {"council", "pool"}));
  CHECK(contains(clash.err, "line 3"));
}

TEST_CASE("import runs: --rejects records the good rows in a run and lists the refused ones") {
  Books b;
  write_file(b.file("bad.csv"), csv({"payment,council,ace,10.00,GBP,2025-04-06,fee,,,,,,,,,",
                                     "payment,pool,ace,20.00,GBP,2025-04-06,block,,,,,,,,,",
                                     "payment,hope,ace,5.00,GBP,2025-04-06,fee,,,,,,,,,",
                                     "payment,council,ace,11.00,GBP,2025-04-07,fee,,,,,,,,,"}));
  json j = b.ok_json(import_args(b, "bad.csv", {"council", "pool", "hope"}, {"--rejects", b.file("rejects.csv"), "--json"}));
  CHECK(j["read"] == 4);
  CHECK(j["recorded"] == 3);
  CHECK(j["rejected"] == 1);
  CHECK(j["payment_runs"] == 1);
  CHECK(j["runs"] == json::parse(R"([{"seq": 12, "first": 13, "last": 15}])"));
  std::string rejects = read_file(b.file("rejects.csv"));
  CHECK(contains(rejects, ",4,"));
  CHECK(contains(rejects, "rule 4"));
  CHECK(lines_of(rejects).size() == 2);
  json log = b.log();
  REQUIRE(log.size() == kStartSize + 4);
  CHECK(check_runs_shape(log, kStartSize) == 1);
  CHECK(log[12]["signatures"].size() == 2);  // council and pool: hope's row is not in the run
  CHECK(b.balance("ace") == 1000 + 2000 + 1100);
  // Again: the good rows are already recorded, the bad one rejected again.
  json again = b.ok_json(import_args(b, "bad.csv", {"council", "pool", "hope"}, {"--rejects", b.file("rejects.csv"), "--json"}));
  CHECK(again["recorded"] == 0);
  CHECK(again["already_recorded"] == 3);
  CHECK(again["rejected"] == 1);
  CHECK(again["payment_runs"] == 0);
  CHECK(b.size() == kStartSize + 4);
  verify_if_present({b.ledger.string()});
}

namespace {
// The funder of the 360Giving test files, as test_giving_cli.cpp adds it.
void add_trafford(const Books& b) {
  b.ok({"party", "add", "trafford", "--name", "Trafford Council", "--kind", "funder", "--sector", "public", "--org-id",
        "GB-LAE-TRF", "--key", b.key("admin")});
  b.ok({"grant-key", "trafford", b.key("stranger"), "--role", "officer", "--key", b.key("admin")});
  b.ok({"grant-key", "trafford", b.key("approver"), "--role", "approver", "--key", b.key("admin")});
}
std::vector<std::string> giving_args(const Books& b, const fs::path& file, const std::vector<std::string>& more = {}) {
  std::vector<std::string> a{"import", "--format", "360giving", file.string(), "--key", b.key("stranger"), "--key",
                             b.key("approver"), "--admin-key", b.key("admin")};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}
}  // namespace

TEST_CASE("import runs: a 360Giving file registers its recipients and pays its grants in one run, as per-record signatures would") {
  for (const char* name : {"trafford.csv", "trafford.json"}) {
    INFO(name);
    const fs::path file = kData / "360giving" / name;
    Books runs, each;
    add_trafford(runs);
    add_trafford(each);
    const uint64_t start = kStartSize + 3;
    json j = runs.ok_json(giving_args(runs, file, {"--json"}));
    json k = each.ok_json(giving_args(each, file, {"--json", "--per-record-signatures"}));
    const uint64_t n = j["recorded"].get<uint64_t>();  // new parties and grants
    CHECK(n == k["recorded"]);
    CHECK(n == j["grants"].get<uint64_t>() + j["new_parties"].size());
    CHECK(j["new_parties"].size() >= 1);
    CHECK(j["payment_runs"] == 1);
    CHECK(k["payment_runs"] == 0);
    CHECK(j["first_seq"] == start + 1);
    CHECK(j["last_seq"] == start + n);
    CHECK(balances(runs) == balances(each));
    CHECK(runs.balance("trafford") < 0);

    json log = runs.log();
    REQUIRE(log.size() == start + 1 + n);
    CHECK(check_runs_shape(log, start) == 1);
    CHECK(log[start + 1]["kind"] == "partyRegistered");  // the new recipients are in the run too
    CHECK(log[start]["signatures"].size() == 3);          // trafford's officer and approver, the administrator
    CHECK(batch_seqs(each.log()).empty());

    Snapshot before = runs.snapshot();
    json again = runs.ok_json(giving_args(runs, file, {"--json"}));
    CHECK(again["recorded"] == 0);
    CHECK(again["already_recorded"] == j["grants"]);  // the recipients are found by org id this time
    CHECK(again["payment_runs"] == 0);
    CHECK(runs.snapshot() == before);
    verify_if_present({runs.ledger.string()});
  }
}

namespace {
// A council party for a spending file's payer, as test_spend_import.cpp adds it.
void add_council(const Books& b, const std::string& id) {
  b.ok({"party", "add", id, "--name", id, "--kind", "commissioner", "--key", b.key("admin")});
  for (auto [file, role] : {std::pair{"council", "officer"}, std::pair{"approver", "approver"}})
    b.ok({"grant-key", id, trim(b.ok({"key", "public", b.key(file)}).out), "--role", role, "--key", b.key("admin")});
}
}  // namespace

TEST_CASE("import runs: a council's published spending is recorded in runs with the balances of per-record signatures") {
  const std::string id = "trafford-council";
  const fs::path file = kData / "spend" / id / "trafford-supplier-spend-2026-27.csv";
  Books runs, each;
  auto args = [&](const Books& b, const std::string& rejects, std::vector<std::string> more) {
    std::vector<std::string> a{"import", "--format", "spend", file.string(), "--rules", (kRules / (id + ".rules")).string(),
                               "--key", b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin"),
                               "--rejects", b.file(rejects), "--json"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  add_council(runs, id);
  add_council(each, id);
  const uint64_t start = kStartSize + 3;
  json j = runs.ok_json(args(runs, "rejects.csv", {}));
  json k = each.ok_json(args(each, "rejects.csv", {"--per-record-signatures"}));
  for (const char* key : {"read", "recorded", "rejected", "skipped", "parties_registered"}) {
    CAPTURE(key);
    CHECK(j[key] == k[key]);
  }
  CHECK(j["recorded"].get<int>() > 30);
  CHECK(j["payment_runs"] == 1);
  CHECK(k["payment_runs"] == 0);
  CHECK(read_file(runs.file("rejects.csv")) == read_file(each.file("rejects.csv")));
  CHECK(balances(runs) == balances(each));
  json log = runs.log();
  CHECK(check_runs_shape(log, start) == 1);
  CHECK(log[start]["body"]["count"] == j["recorded"].get<int>() + j["parties_registered"].get<int>());

  Snapshot before = runs.snapshot();
  json again = runs.ok_json(args(runs, "rejects-2.csv", {}));
  CHECK(again["recorded"] == 0);
  CHECK(again["parties_registered"] == 0);
  CHECK(again["already_recorded"] == j["recorded"]);
  CHECK(again["payment_runs"] == 0);
  CHECK(runs.snapshot() == before);
  verify_if_present({runs.ledger.string()});
}

TEST_CASE("import runs: a spending file without --rejects puts the new payee, its payment and its credit note in one run") {
  Books b;
  add_council(b, "trafford-council");
  write_file(b.file("rules"), "skip 1\nfields date, payee_name, amount, reference\npayer trafford-council\n");
  write_file(b.file("spend.csv"),
             "Date,Supplier,Amount,Transaction\r\n2025-04-01,Royal Mail Group Ltd,\"1,200.00\",T-1\r\n"
             "2025-04-20,Royal Mail Group Ltd,(200.00),T-2\r\n");
  std::vector<std::string> args{"import", "--format", "spend", b.file("spend.csv"), "--rules", b.file("rules"), "--key",
                                b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin")};
  RunResult r = b.ft(args);
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "read 2, recorded 2, already recorded 0, skipped 0, rejected 0, parties registered 1"));
  CHECK(contains(r.err, "in 1 payment run"));
  const uint64_t start = kStartSize + 3;
  json log = b.log();
  REQUIRE(log.size() == start + 4);
  CHECK(check_runs_shape(log, start) == 1);
  json refund = b.ok_json({"show", std::to_string(start + 3), "--json"});
  CHECK(refund["body"]["mechanism"] == "refund");
  CHECK(refund["batch_seq"] == start);
  CHECK(b.balance("royal-mail-group-ltd") == 100000);
  CHECK(b.balance("trafford-council") == -100000);

  // Only the officer's key: the 1,200.00 payment (line 2) lacks its second key.
  Books c;
  add_council(c, "trafford-council");
  std::vector<std::string> one_key{"import", "--format", "spend", b.file("spend.csv"), "--rules", b.file("rules"), "--key",
                                   c.key("council"), "--admin-key", c.key("admin")};
  expect_refused(c, one_key, 2, "line 2");
}
