// import FILE.csv: whole-file validation, line numbers, re-runs (docs/import.md).
#include "fixture.h"

using namespace fundtrail::test;

namespace {
const std::string kHeader =
    "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key\n";

std::string csv(const std::vector<std::string>& rows) {
  std::string s = kHeader;
  for (auto& r : rows) s += r + "\n";
  return s;
}

std::vector<std::string> import_args(const Books& b, const std::string& file, const std::vector<std::string>& keys) {
  std::vector<std::string> a{"import", b.file(file)};
  for (auto& k : keys) a.insert(a.end(), {"--key", b.key(k)});
  return a;
}

// How many records carry each idempotency key.
std::map<std::string, int> key_counts(const json& log) {
  std::map<std::string, int> m;
  for (auto& r : log) ++m[r["idempotency_key"].get<std::string>()];
  return m;
}
}  // namespace

TEST_CASE("import: records every row and a re-run records nothing twice") {
  Books b;
  write_file(b.file("april.csv"),
             csv({"contribution,council,pool,250.00,GBP,2025-04-05,,,,,,,,S75 top-up,,",
                  "payment,pool,ace,120.00,,2025-04-06,block,,,,,,11,,\"Q1 block, first part\",",
                  "payment,ace,hope,50.00,GBP,2025-04-07,milestone,start,,2,jsa-18-24,c-001;c-002,own,,,",
                  "payment,ace,hope,10.00,GBP,2025-04-08,fee,,,,,,,,,",
                  "payment,ace,hope,10.00,GBP,2025-04-08,fee,,,,,,,,,"}));  // an identical row is a second payment
  RunResult r = b.ft(import_args(b, "april.csv", {"council", "pool", "ace"}));
  INFO(r);
  REQUIRE(r.code == 0);
  // One payment run: its batch record at seq 12, the rows 13 to 17.
  CHECK(r.out == "5 13 17\n");
  CHECK(contains(r.err, "recorded 5 rows as seq 13 to 17"));
  CHECK(b.balance("pool") == 500000 + 25000 - 12000);
  CHECK(b.balance("hope") == 5000 + 1000 + 1000);

  json pay = b.ok_json({"show", "14", "--json"})["body"];
  CHECK(pay["memo"] == "Q1 block, first part");
  CHECK(pay["currency"] == "GBP");
  CHECK(contains(pay["funded_by"].dump(), "11"));
  json ms = b.ok_json({"show", "15", "--json"})["body"];
  CHECK(ms["claim_ids"] == json::array({"c-001", "c-002"}));
  CHECK(ms["milestone"] == "start");
  CHECK(ms["outcome_count"] == 2);
  CHECK(ms["group"] == "jsa-18-24");
  CHECK(b.ok_json({"show", "13", "--json"})["body"]["reference"] == "S75 top-up");
  json log = b.log();
  CHECK(log[16]["idempotency_key"] != log[17]["idempotency_key"]);
  CHECK(log[16]["idempotency_key"].get<std::string>().rfind("import-", 0) == 0);

  // The same file again: every row is a retry.
  Snapshot before = b.snapshot();
  RunResult again = b.ft(import_args(b, "april.csv", {"council", "pool", "ace"}));
  INFO(again);
  CHECK(again.code == 0);
  CHECK(again.out == "0 - -\n");
  CHECK(contains(again.err, "5 rows were already recorded"));
  CHECK(b.snapshot() == before);

  // A corrected row is a new request; a row inserted above changes no other row's key.
  write_file(b.file("april.csv"),
             csv({"contribution,police,pool,1.00,GBP,2025-04-01,,,,,,,,late,,",
                  "contribution,council,pool,250.00,GBP,2025-04-05,,,,,,,,S75 top-up,,",
                  "payment,pool,ace,120.00,,2025-04-06,block,,,,,,11,,\"Q1 block, first part\",",
                  "payment,ace,hope,50.00,GBP,2025-04-07,milestone,start,,2,jsa-18-24,c-001;c-002,own,,,",
                  "payment,ace,hope,10.00,GBP,2025-04-08,fee,,,,,,,,,",
                  "payment,ace,hope,12.00,GBP,2025-04-08,fee,,,,,,,,,"}));
  std::string police = trim(b.ok({"key", "public", b.key("stranger")}).out);
  b.ok({"grant-key", "police", police, "--role", "officer", "--key", b.key("admin")});  // seq 18
  json j = b.ok_json({"import", b.file("april.csv"), "--key", b.key("council"), "--key", b.key("pool"), "--key", b.key("ace"),
                      "--key", b.key("stranger"), "--json"});
  CHECK(j["recorded"] == 2);
  CHECK(j["already_recorded"] == 4);
  CHECK(j["first_seq"] == 20);  // the run's batch record is seq 19
  CHECK(j["last_seq"] == 21);
  CHECK(b.size() == 22);
  verify_if_present({b.ledger.string()});
}

TEST_CASE("import: an interrupted import when re-run records nothing twice") {
  Books b;
  std::vector<std::string> rows = {
      "contribution,council,pool,100.00,GBP,2025-04-05,,,,,,,,top-up 1,,apr-0001",
      "payment,pool,ace,200.00,GBP,2025-04-06,block,,,,,,,,,apr-0002",
      "payment,pool,ace,300.00,GBP,2025-04-07,upfront,,,,,,,,,apr-0003",
      "payment,ace,hope,40.00,GBP,2025-04-08,milestone,start,,1,,c-9,own,,,apr-0004",
  };
  // The crash: only the first half was recorded.
  write_file(b.file("april-first-half.csv"), csv({rows[0], rows[1]}));
  write_file(b.file("april.csv"), csv(rows));
  RunResult half = b.ft(import_args(b, "april-first-half.csv", {"council", "pool"}));
  INFO(half);
  REQUIRE(half.code == 0);
  CHECK(half.out == "2 13 14\n");  // a payment run: its batch record is seq 12

  RunResult full = b.ft(import_args(b, "april.csv", {"council", "pool", "ace"}));
  INFO(full);
  REQUIRE(full.code == 0);
  CHECK(full.out == "2 16 17\n");  // a run of the two rows not yet recorded (batch seq 15)
  CHECK(contains(full.err, "2 rows were already recorded"));

  json log = b.log();
  REQUIRE(log.size() == kStartSize + 6);
  auto counts = key_counts(log);
  for (std::string k : {"apr-0001", "apr-0002", "apr-0003", "apr-0004"}) {
    CAPTURE(k);
    CHECK(counts[k] == 1);
  }
  CHECK(b.balance("pool") == 500000 + 10000 - 20000 - 30000);

  RunResult third = b.ft(import_args(b, "april.csv", {"council", "pool", "ace"}));
  CHECK(third.code == 0);
  CHECK(third.out == "0 - -\n");
  CHECK(b.size() == kStartSize + 6);

  // The same idempotency_key cell with a different row is refused, naming the seq.
  write_file(b.file("clash.csv"), csv({"payment,pool,ace,201.00,GBP,2025-04-06,block,,,,,,,,,apr-0002"}));
  expect_refused(b, import_args(b, "clash.csv", {"pool"}), 1, "seq 14");
}

TEST_CASE("import: a bad row in the middle names its line and nothing is written") {
  Books b;
  const std::string good1 = "payment,pool,ace,100.00,GBP,2025-04-05,block,,,,,,,,,";
  const std::string good3 = "payment,pool,ace,10.00,GBP,2025-04-07,block,,,,,,,,,";
  struct Bad {
    std::string name, row;
    int code;
    std::vector<std::string> why;
    std::vector<std::string> keys = {"pool"};  // each key costs an Argon2 unlock
  };
  const std::vector<Bad> bad = {
      {"wrong currency", "payment,pool,ace,10.00,EUR,2025-04-06,block,,,,,,,,,", 2, {"line 3", "currency 'EUR'"}},
      {"amount with three decimals", "payment,pool,ace,1.234,GBP,2025-04-06,block,,,,,,,,,", 2, {"line 3", "amount '1.234'"}},
      {"negative amount", "payment,pool,ace,-5,GBP,2025-04-06,block,,,,,,,,,", 2, {"line 3", "amount '-5'"}},
      {"exponent amount", "payment,pool,ace,1e3,GBP,2025-04-06,block,,,,,,,,,", 2, {"line 3", "amount '1e3'"}},
      {"unknown party", "payment,pool,nobody,10.00,GBP,2025-04-06,block,,,,,,,,,", 1, {"line 3", "nobody"}},
      {"overspending", "payment,hope,ace,10.00,GBP,2025-04-06,block,,,,,,,,,", 1, {"line 3", "rule 4"}, {"pool", "hope"}},
      {"no second key over the threshold", "payment,pool,ace,1000.00,GBP,2025-04-06,block,,,,,,,,,", 2,
       {"line 3", "dual-control", "second --key"}},
      {"a payer without a key given", "payment,ace,hope,10.00,GBP,2025-04-06,block,,,,,,,,,", 2, {"line 3", "'ace'"}},
      {"a bad date", "payment,pool,ace,10.00,GBP,2025-02-30,block,,,,,,,,,", 2, {"line 3", "date '2025-02-30'"}},
      {"an unknown mechanism", "payment,pool,ace,10.00,GBP,2025-04-06,bribe,,,,,,,,,", 2, {"line 3", "mechanism 'bribe'"}},
      {"a missing cell", "payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,", 2, {"line 3", "15 cells"}},
      {"funded by a missing record", "payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,999,,,", 1, {"line 3", "999"}},
      // Issue 20 defect 7: "a<NUL>b" was signed as "a".
      {"a NUL in the memo", std::string("payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,a") + '\0' + "b,", 2,
       {"line 3", "control character"}},
      {"--funded-by past 2^64", "payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,18446744073709551616,,,", 2,
       {"line 3", "funded_by", "18446744073709551616"}},
  };
  for (auto& c : bad) {
    CAPTURE(c.name);
    write_file(b.file("bad.csv"), csv({good1, c.row, good3}));
    Snapshot before = b.snapshot();
    RunResult r = b.ft(import_args(b, "bad.csv", c.keys));
    INFO(r);
    CHECK(r.code == c.code);
    for (auto& w : c.why) CHECK(contains(r.err, w));
    CHECK(!contains(r.err, "line 2"));
    CHECK(r.out.empty());
    CHECK(b.snapshot() == before);
  }

  // The file is checked before any passphrase is asked for: with none to be
  // had, a bad row is still named, and a dry run of a good file needs none.
  RunOptions no_pass;
  no_pass.unset = {"FUNDTRAIL_PASSPHRASE"};
  write_file(b.file("bad.csv"), csv({good1, "payment,pool,ace,1.234,GBP,2025-04-06,block,,,,,,,,,", good3}));
  RunResult early = b.ft(import_args(b, "bad.csv", {"pool"}), no_pass);
  INFO(early);
  CHECK(early.code == 2);
  CHECK(contains(early.err, "line 3"));
  CHECK(!contains(early.err, "passphrase"));
  write_file(b.file("good.csv"), csv({good1, good3}));
  std::vector<std::string> dry = import_args(b, "good.csv", {"pool"});
  dry.push_back("--dry-run");
  RunResult dry_run = b.ft(dry, no_pass);
  INFO(dry_run);
  CHECK(dry_run.code == 0);
  RunResult needs_pass = b.ft(import_args(b, "good.csv", {"pool"}), no_pass);
  CHECK(needs_pass.code == 2);
  CHECK(contains(needs_pass.err, "passphrase"));
  CHECK(b.size() == kStartSize);

  // A quoted cell over two lines: the bad row is named by the line it starts on.
  write_file(b.file("multiline.csv"),
             csv({"payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,\"memo over\ntwo lines\",",
                  "payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,,", "payment,pool,ace,10.00,USD,2025-04-06,block,,,,,,,,,"}));
  expect_refused(b, import_args(b, "multiline.csv", {"pool"}), 2, "line 5");
  CHECK(b.size() == kStartSize);
}

TEST_CASE("import: unusable files are refused before anything is signed") {
  Books b;
  struct Bad {
    std::string name, content, why;
  };
  const std::vector<Bad> bad = {
      {"empty", "", "empty"},
      {"unknown column", "kind,from,to,amount,date,colour\n", "unknown column 'colour'"},
      {"missing column", "kind,from,to,date\n", "lacks the column 'amount'"},
      {"unclosed quote", kHeader + "payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,\"unclosed,\n", "malformed CSV"},
      // Issue 20: the last of two columns of one name used to win, silently.
      {"a column named twice", "kind,from,to,amount,date,memo,memo\n", "names the column 'memo' twice"},
  };
  for (auto& c : bad) {
    CAPTURE(c.name);
    write_file(b.file("bad.csv"), c.content);
    expect_refused(b, import_args(b, "bad.csv", {"pool"}), 2, c.why);
  }
  expect_refused(b, import_args(b, "missing.csv", {"pool"}), 2, "missing.csv");
  // Issue 20: /dev/zero was read until memory ran out. A NUL stops the read at
  // once; any input is bounded (FUNDTRAIL_MAX_INPUT_BYTES, 1 GiB by default).
  RunOptions bounded;
  bounded.timeout_s = 20;
  expect_refused(b, {"import", "/dev/zero", "--key", b.key("pool")}, 2, "line 1: a NUL byte", bounded);
  write_file(b.file("big.csv"), csv(std::vector<std::string>(40, "payment,pool,ace,1.00,GBP,2025-04-06,block,,,,,,,,,")));
  bounded.env["FUNDTRAIL_MAX_INPUT_BYTES"] = "1000";
  expect_refused(b, import_args(b, "big.csv", {"pool"}), 2, "larger than 1000 bytes", bounded);
  bounded.env["FUNDTRAIL_MAX_INPUT_BYTES"] = "lots";
  expect_refused(b, import_args(b, "big.csv", {"pool"}), 2, "FUNDTRAIL_MAX_INPUT_BYTES", bounded);
  // A header-only file imports nothing.
  write_file(b.file("header-only.csv"), kHeader);
  RunResult none = b.ft(import_args(b, "header-only.csv", {"pool"}));
  INFO(none);
  CHECK(none.code == 0);
  CHECK(none.out == "0 - -\n");
  CHECK(b.size() == kStartSize);
}

TEST_CASE("import --dry-run: every problem the real import would meet is reported, by the ledger's own rules, and nothing is written") {
  Books b;
  std::string pool_balance = std::to_string(b.balance("pool") / 100 + 1) + ".00";
  write_file(b.file("problems.csv"),
             csv({"payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,,",
                  "payment,pool,nobody-registered,10.00,GBP,2025-04-06,block,,,,,,,,,",  // rule 2
                  "payment,pool,ace," + pool_balance + ",GBP,2025-04-06,block,,,,,,,,,",  // rule 4: overdraws the pool
                  "payment,pool,ace,11.00,GBP,2025-04-06,block,,,,,,,,,"}));
  Snapshot before = b.snapshot();
  std::vector<std::string> args = import_args(b, "problems.csv", {"pool", "approver"});
  args.push_back("--dry-run");
  RunResult dry = b.ft(args);
  INFO(dry);
  CHECK(dry.code == 1);
  CHECK(contains(dry.err, "line 3: rule 2"));
  CHECK(contains(dry.err, "line 4: rule 4"));
  CHECK(contains(dry.err, "these 2 problems"));
  CHECK(trim(dry.out) == "2 - -");  // the two good rows
  CHECK(b.snapshot() == before);
  args.push_back("--json");
  json j = json::parse(b.ft(args).out);
  CHECK(j["problem_count"] == 2);
  CHECK(j["problems"][0]["check"] == "rule 2");
  CHECK(j["problems"][1]["where"] == "line 4");
  // The real import meets the first of them and writes nothing.
  expect_refused(b, import_args(b, "problems.csv", {"pool", "approver"}), 1, "line 3");
}

TEST_CASE("import --rejects: the good rows are recorded and every bad row is listed with its line and reason") {
  Books b;
  write_file(b.file("mixed.csv"),
             csv({"payment,pool,ace,10.00,GBP,2025-04-06,block,,,,,,,,,",
                  "payment,pool,ace,1.234,GBP,2025-04-06,block,,,,,,,,,",              // line 3: three decimals
                  "payment,pool,ace,10.00,GBP,2025-04-06,block",                      // line 4: 7 cells
                  "payment,pool,nobody-registered,10.00,GBP,2025-04-06,block,,,,,,,,,",  // line 5: rule 2
                  "payment,pool,ace,12.00,GBP,2025-04-06,block,,,,,,,,,"}));
  std::vector<std::string> args = import_args(b, "mixed.csv", {"pool"});
  // Without --rejects nothing is written: the file's shape is checked first
  // (line 4's cell count), then each row's cells.
  expect_refused(b, args, 2, "line 4");
  args.insert(args.end(), {"--rejects", b.file("rejects.csv"), "--json"});
  json j = b.ok_json(args);
  CHECK(j["read"] == 5);
  CHECK(j["recorded"] == 2);
  CHECK(j["rejected"] == 3);
  std::string rejects = read_file(b.file("rejects.csv"));
  INFO(rejects);
  CHECK(rejects.rfind("kind,from,to,amount", 0) == 0);
  CHECK(contains(rejects, ",3,"));
  CHECK(contains(rejects, ",4,\"7 cells, the header has 16\""));
  CHECK(contains(rejects, ",5,rule 2: receiving party 'nobody-registered' is not registered"));
  // Again: the recorded rows are not recorded twice, the bad ones are still listed.
  json again = b.ok_json(args);
  CHECK(again["recorded"] == 0);
  CHECK(again["already_recorded"] == 2);
  CHECK(again["rejected"] == 3);
  verify_if_present({b.ledger.string()});
}
