// contribute, pay, reverse, assign, end-assignment: writes and their refusals.
#include "fixture.h"

using namespace fundtrail::test;

namespace {
std::vector<std::string> pay_args(const std::string& from, const std::string& to, const std::string& amount,
                                  std::vector<std::string> keys, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"pay", "--from", from, "--to", to, "--amount", amount, "--mechanism", "block", "--date", "2025-04-02"};
  for (auto& k : keys) a.insert(a.end(), {"--key", k});
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}
}  // namespace

TEST_CASE("contribute: records money into a pool and refuses bad amounts and parties and keys and passphrases") {
  Books b;
  RunResult c = b.ft({"contribute", "--from", "council", "--to", "pool", "--amount", "250.50", "--date", "2025-05-01",
                      "--reference", "S75 top-up", "--key", b.key("council")});
  INFO(c);
  REQUIRE(c.code == 0);
  CHECK(c.out == "12\n");
  CHECK(c.err.empty());
  CHECK(b.balance("pool") == 525050);
  CHECK(b.balance("council") == -525050);
  json rec = b.ok_json({"show", "12", "--json"});
  CHECK(rec["kind"] == "contribution");
  CHECK(rec["body"]["from"] == "council");
  CHECK(rec["body"]["to"] == "pool");
  CHECK(rec["body"]["amount"] == "250.50");
  CHECK(rec["body"]["value_date"] == "2025-05-01");
  CHECK(rec["body"]["reference"] == "S75 top-up");

  json cj = b.ok_json({"contribute", "--from", "council", "--to", "pool", "--amount", "1", "--date", "2025-05-02", "--key",
                       b.key("council"), "--json"});
  CHECK(cj["seq"] == 13);
  CHECK(cj["retried"] == false);
  CHECK(cj["idempotency_key"].get<std::string>().rfind("auto-", 0) == 0);
  CHECK(cj["leaf_hash"] == b.ok_json({"show", "13", "--json"})["leaf_hash"]);

  auto contribute = [&](const std::string& from, const std::string& to, const std::string& amount, const std::string& key) {
    return std::vector<std::string>{"contribute", "--from", from, "--to", to, "--amount", amount, "--date", "2025-05-03", "--key", key};
  };
  // Malformed amounts: usage errors naming the option, before any key is unlocked.
  for (std::string amount : {"1.234", "-5", "1e3", "12,50", "", "ten", "0x10", "99999999999999999999"}) {
    CAPTURE(amount);
    expect_refused(b, contribute("council", "pool", amount, b.key("council")), 2, "--amount");
  }
  expect_refused(b, contribute("council", "pool", "0", b.key("council")), 1, "rule 3");
  expect_refused(b, contribute("council", "ace", "10.00", b.key("council")), 1, "rule 2");  // not a pool
  expect_refused(b, contribute("nobody", "pool", "10.00", b.key("council")), 1, "nobody");  // unknown party
  expect_refused(b, contribute("council", "nowhere", "10.00", b.key("council")), 1, "nowhere");
  expect_refused(b, contribute("council", "pool", "10.00", b.key("pool")), 1, "rule 1");      // a key of another party
  expect_refused(b, contribute("council", "pool", "10.00", b.key("stranger")), 1, "rule 1");  // a key of nobody
  expect_refused(b, {"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--date", "2025-02-30", "--key",
                     b.key("council")},
                 2, "--date");

  RunOptions wrong;
  wrong.env["FUNDTRAIL_PASSPHRASE"] = "not the passphrase";
  expect_refused(b, contribute("council", "pool", "10.00", b.key("council")), 2, "wrong passphrase", wrong);
  RunOptions none;
  none.unset = {"FUNDTRAIL_PASSPHRASE"};
  expect_refused(b, contribute("council", "pool", "10.00", b.key("council")), 2, "FUNDTRAIL_PASSPHRASE", none);
  expect_refused(b, contribute("council", "pool", "10.00", b.file("missing.key")), 2, "missing.key");
}

TEST_CASE("pay: a retry prints the original seq and the same key with another body is refused") {
  Books b;
  auto args = pay_args("pool", "ace", "100.00", {b.key("pool")}, {"--memo", "Q1 block"});
  RunResult first = b.ft(args);
  INFO(first);
  REQUIRE(first.code == 0);
  CHECK(first.out == "12\n");
  CHECK(first.err.empty());

  Snapshot before = b.snapshot();
  RunResult retry = b.ft(args);
  INFO(retry);
  CHECK(retry.code == 0);
  CHECK(retry.out == "12\n");
  CHECK(contains(retry.err, "already recorded as seq 12"));
  CHECK(contains(retry.err, "--idempotency-key"));  // how to record a second one on purpose
  CHECK(b.snapshot() == before);

  // A second identical payment on purpose, with its own key.
  auto with_key = args;
  with_key.insert(with_key.end(), {"--idempotency-key", "invoice-2025-017"});
  RunResult second = b.ft(with_key);
  INFO(second);
  CHECK(second.code == 0);
  CHECK(second.out == "13\n");
  RunResult second_retry = b.ft(with_key);
  INFO(second_retry);
  CHECK(second_retry.code == 0);
  CHECK(second_retry.out == "13\n");
  CHECK(contains(second_retry.err, "already recorded as seq 13"));
  CHECK(b.balance("pool") == 500000 - 20000);

  // The same key with a different body: refused, naming the seq that holds it.
  expect_refused(b, pay_args("pool", "ace", "150.00", {b.key("pool")}, {"--idempotency-key", "invoice-2025-017"}), 1, "seq 13");
  RunResult clash = b.ft(pay_args("pool", "ace", "150.00", {b.key("pool")}, {"--idempotency-key", "invoice-2025-017"}));
  CHECK(contains(clash.err, "rule 6"));

  // --json on a write.
  json j = b.ok_json(pay_args("pool", "ace", "1.00", {b.key("pool")}, {"--json"}));
  CHECK(j["seq"] == 14);
  CHECK(j["retried"] == false);
  CHECK(j["leaf_hash"] == b.ok_json({"show", "14", "--json"})["leaf_hash"]);
  json jr = b.ok_json(pay_args("pool", "ace", "1.00", {b.key("pool")}, {"--json"}));
  CHECK(jr["seq"] == 14);
  CHECK(jr["retried"] == true);
}

TEST_CASE("pay: a pool or budget-limited party cannot spend more than it holds") {
  Books b;
  // An integrator may pre-finance: its balance goes negative.
  CHECK(b.ok({"pay", "--from", "ace", "--to", "hope", "--amount", "999.00", "--mechanism", "upfront", "--funded-by", "own",
              "--key", b.key("ace")})
            .out == "12\n");
  CHECK(b.balance("ace") == -99900);
  CHECK(b.balance("hope") == 99900);
  // A pool may not.
  expect_refused(b, pay_args("pool", "ace", "5000.01", {b.key("pool"), b.key("approver")}), 1, "rule 4");
  CHECK(b.ok(pay_args("pool", "ace", "5000.00", {b.key("pool"), b.key("approver")})).out == "13\n");
  CHECK(b.balance("pool") == 0);
  RunResult r = b.ft(pay_args("pool", "ace", "0.01", {b.key("pool")}));
  CHECK(r.code == 1);
  CHECK(contains(r.err, "'pool' would go below zero"));
  // Nor may a budget-limited provider.
  expect_refused(b, pay_args("hope", "ace", "999.01", {b.key("hope")}), 1, "rule 4");
}

TEST_CASE("pay: at or above the dual-control threshold two distinct keys of the payer are needed") {
  Books b;
  RunResult one = b.ft(pay_args("pool", "ace", "1000.00", {b.key("pool")}));
  CHECK(contains(one.err, "second key"));
  expect_refused(b, pay_args("pool", "ace", "1000.00", {b.key("pool")}), 1, "rule 5");
  expect_refused(b, pay_args("pool", "ace", "1000.00", {b.key("pool"), b.key("pool")}), 2, "same key");
  expect_refused(b, pay_args("pool", "ace", "1000.00", {b.key("pool"), b.key("stranger")}), 1, "rule 1");
  expect_refused(b, pay_args("pool", "ace", "1000.00", {b.key("pool"), b.key("approver"), b.key("ace")}), 2, "at most two");
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("approver")}), 1, "rule 1");  // an approver only co-signs

  CHECK(b.ok(pay_args("pool", "ace", "999.99", {b.key("pool")})).out == "12\n");
  CHECK(b.ok(pay_args("pool", "ace", "1000.00", {b.key("pool"), b.key("approver")})).out == "13\n");
  CHECK(b.ok_json({"show", "13", "--json"})["signatures"].size() == 2);
  CHECK(b.ok_json({"show", "12", "--json"})["signatures"].size() == 1);
}

TEST_CASE("pay: parties must exist and fit and options are checked") {
  Books b;
  expect_refused(b, pay_args("pool", "nobody", "10.00", {b.key("pool")}), 1, "'nobody' is not registered");
  expect_refused(b, pay_args("nobody", "ace", "10.00", {b.key("pool")}), 1, "nobody");
  expect_refused(b, pay_args("council", "pool", "10.00", {b.key("council")}), 1, "rule 2");  // a pool is paid by contributions
  expect_refused(b, pay_args("pool", "ledger", "10.00", {b.key("pool")}), 1, "rule 2");
  expect_refused(b, pay_args("ace", "ace", "10.00", {b.key("ace")}), 1, "rule 2");
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("ace")}), 1, "rule 1");  // wrong key
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--funded-by", "999"}), 1, "999");
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--funded-by", "somewhere"}), 2, "--funded-by");
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--contract", "C-1"}), 1, "'C-1'");
  expect_refused(b, {"pay", "--from", "pool", "--to", "ace", "--amount", "10.00", "--mechanism", "bribe", "--key", b.key("pool")},
                 2, "bribe");
  expect_refused(b, pay_args("pool", "ace", "1.5.0", {b.key("pool")}), 2, "--amount");
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--date", "01/04/2025"}), 2, "--date");

  // Every field of a milestone payment is kept.
  RunResult ok = b.ft({"pay", "--from", "ace", "--to", "hope", "--amount", "1000.00", "--mechanism", "milestone", "--milestone",
                       "job entry", "--count", "2", "--group", "jsa-18-24", "--claim", "c-001", "--claim", "c-002", "--funded-by",
                       "own", "--memo", "two job entries", "--date", "2025-07-31", "--key", b.key("ace")});
  INFO(ok);
  REQUIRE(ok.code == 1);  // ace has one key only: dual control applies at 1000.00
  CHECK(ok.out.empty());
  b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "500.00", "--mechanism", "upfront", "--funded-by", "11", "--date",
        "2025-07-01", "--key", b.key("pool")});
  RunResult m = b.ok({"pay", "--from", "ace", "--to", "hope", "--amount", "999.00", "--mechanism", "milestone", "--milestone",
                      "job entry", "--count", "2", "--group", "jsa-18-24", "--claim", "c-001", "--claim", "c-002", "--funded-by",
                      "own", "--memo", "two job entries", "--date", "2025-07-31", "--key", b.key("ace")});
  CHECK(m.out == "13\n");
  json body = b.ok_json({"show", "13", "--json"})["body"];
  CHECK(body["mechanism"] == "milestone");
  CHECK(body["milestone"] == "job entry");
  CHECK(body["outcome_count"] == 2);
  CHECK(body["group"] == "jsa-18-24");
  CHECK(body["claim_ids"] == json::array({"c-001", "c-002"}));
  CHECK(body["memo"] == "two job entries");
  CHECK(body["value_date"] == "2025-07-31");
  CHECK(contains(body["funded_by"].dump(), "own"));
  CHECK(contains(b.ok_json({"show", "12", "--json"})["body"]["funded_by"].dump(), "11"));
}

TEST_CASE("reverse: cancels a payment and refuses a reversal or a missing seq or a second reversal") {
  Books b;
  REQUIRE(b.ok(pay_args("pool", "ace", "300.00", {b.key("pool")})).out == "12\n");
  RunResult rev = b.ft({"reverse", "12", "--reason", "paid to the wrong provider", "--key", b.key("pool")});
  INFO(rev);
  REQUIRE(rev.code == 0);
  CHECK(rev.out == "13\n");
  CHECK(rev.err.empty());
  CHECK(b.balance("pool") == 500000);
  CHECK(b.balance("ace") == 0);
  CHECK(b.ok_json({"show", "12", "--json"})["reversed"] == true);
  CHECK(contains(b.ok({"log"}).out, "[reversed]"));
  json r = b.ok_json({"show", "13", "--json"});
  CHECK(r["kind"] == "reversal");
  CHECK(contains(r["body"].dump(), "paid to the wrong provider"));

  expect_refused(b, {"reverse", "13", "--reason", "undo the undo", "--key", b.key("pool")}, 1, "rule 7");
  RunResult rr = b.ft({"reverse", "13", "--reason", "undo the undo", "--key", b.key("pool")});
  CHECK(contains(rr.err, "cannot be reversed"));
  expect_refused(b, {"reverse", "999", "--reason", "no such payment", "--key", b.key("pool")}, 1, "seq 999 does not exist");
  expect_refused(b, {"reverse", "12", "--reason", "again", "--key", b.key("pool")}, 1, "already reversed by seq 13");
  expect_refused(b, {"reverse", "5", "--reason", "not money", "--key", b.key("admin")}, 1, "rule 7");
  expect_refused(b, {"reverse", "11", "--reason", "wrong party's key", "--key", b.key("pool")}, 1, "rule 1");
  expect_refused(b, {"reverse", "11", "--key", b.key("council")}, 2, "--reason");
  expect_refused(b, {"reverse", "eleven", "--reason", "x", "--key", b.key("council")}, 2, "eleven");

  // The same reversal again is a retry.
  RunResult retry = b.ft({"reverse", "12", "--reason", "paid to the wrong provider", "--key", b.key("pool")});
  CHECK(retry.code == 0);
  CHECK(retry.out == "13\n");
  CHECK(contains(retry.err, "already recorded"));

  // Money the pool has spent cannot be taken back from it.
  REQUIRE(b.ok(pay_args("pool", "ace", "4500.00", {b.key("pool"), b.key("approver")})).out == "14\n");
  expect_refused(b, {"reverse", "11", "--reason", "contribution withdrawn", "--key", b.key("council")}, 1, "rule 4");
  verify_if_present({b.ledger.string()});
}

TEST_CASE("assign and end-assignment record responsibility lines") {
  Books b;
  RunResult a = b.ft({"assign", "--accountable", "council", "--responsible", "ace", "--subject", "employment support", "--kind",
                      "contract", "--from", "2025-04-01", "--to", "2026-03-31", "--key", b.key("council")});
  INFO(a);
  REQUIRE(a.code == 0);
  CHECK(a.out == "12\n");
  CHECK(a.err.empty());
  // Held jointly, signed by an administrator.
  CHECK(b.ok({"assign", "--accountable", "ace", "--responsible", "hope", "--responsible", "police", "--subject",
              "mental health pathway", "--kind", "delivery", "--key", b.key("admin")})
            .out == "13\n");
  json joint = b.ok_json({"show", "13", "--json"});
  CHECK(joint["body"]["responsible"] == json::array({"hope", "police"}));
  std::string kind = joint["kind"];
  CHECK(b.ok_json({"log", "--kind", kind, "--json"}).size() == 2);

  RunResult end = b.ft({"end-assignment", "12", "--reason", "contract ended", "--key", b.key("council")});
  INFO(end);
  REQUIRE(end.code == 0);
  CHECK(end.out == "14\n");
  CHECK(b.ok_json({"show", "14", "--json"})["body"].dump().find("contract ended") != std::string::npos);

  // Ending it again is idempotent by state (DESIGN.md "Idempotency"): the
  // effect holds, so the answer names the record that made it hold.
  uint64_t size = b.size();
  RunResult again = b.ft({"end-assignment", "12", "--reason", "ended twice", "--key", b.key("council")});
  CHECK(again.code == 0);
  CHECK(again.out == "14\n");
  CHECK(contains(again.err, "assignment 12 has already ended (seq 14); nothing new was written"));
  CHECK(b.size() == size);
  expect_refused(b, {"end-assignment", "11", "--reason", "not an assignment", "--key", b.key("council")}, 1,
                 "not a responsibility assignment");
  expect_refused(b, {"end-assignment", "13", "--reason", "wrong key", "--key", b.key("pool")}, 1, "rule 1");
  expect_refused(b, {"assign", "--accountable", "council", "--responsible", "nobody", "--subject", "s", "--kind", "oversight",
                     "--key", b.key("admin")},
                 1, "'nobody' is not registered");
  expect_refused(b, {"assign", "--accountable", "council", "--responsible", "ace", "--subject", "s", "--kind", "oversight", "--key",
                     b.key("ace")},
                 1, "rule 1");
  expect_refused(b, {"assign", "--accountable", "council", "--responsible", "ace", "--subject", "s", "--kind", "friendship",
                     "--key", b.key("admin")},
                 2, "friendship");
  expect_refused(b, {"assign", "--accountable", "council", "--responsible", "ace", "--subject", "s", "--kind", "oversight",
                     "--from", "2025-13-01", "--key", b.key("admin")},
                 2, "--from");
  expect_refused(b, {"assign", "--accountable", "council", "--responsible", "ace", "--subject", "s", "--kind", "oversight",
                     "--from", "2025-06-01", "--to", "2025-05-01", "--key", b.key("admin")},
                 1, "rule 2");
}

TEST_CASE("pay: an unknown contract is the writer's rule 9 and --funded-by is range-checked as a usage error") {
  Books b;
  // One answer for an unknown contract reference, from ledger/request.h's look-up: rule 9, exit 1.
  expect_refused(b, pay_args("council", "ace", "10.00", {b.key("council")}, {"--contract", "NOPE"}), 1, "rule 9");
  expect_refused(b, pay_args("council", "ace", "10.00", {b.key("council")}, {"--contract", "NOPE"}), 1,
                 "no contract with reference 'NOPE'");
  // A seq above 2^64-1 is no seq: a usage error naming the option (it was "error: stoull").
  for (std::string bad : {"18446744073709551616", "99999999999999999999999", "-1", "12x", ""}) {
    expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--funded-by", bad}), 2, "--funded-by '" + bad + "'");
  }
  // The largest seq parses; that it names no earlier money record is rule 2.
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--funded-by", "18446744073709551615"}), 1, "rule 2");
  // Seq 0 is genesis: it parses, and the writer refuses it by rule 2.
  expect_refused(b, pay_args("pool", "ace", "10.00", {b.key("pool")}, {"--funded-by", "0"}), 1, "rule 2");
}

TEST_CASE("pay: a purchase with a reference, and a supplier's credit note as a refund signed by the council") {
  Books b;
  b.ok({"party", "add", "royal-mail", "--name", "Royal Mail Group Ltd", "--kind", "provider", "--key", b.key("admin")});
  std::string seq = trim(b.ok({"pay", "--from", "council", "--to", "royal-mail", "--amount", "120.00", "--mechanism", "purchase",
                               "--reference", "INV-88213", "--key", b.key("council")})
                             .out);
  json shown = b.ok_json({"show", seq, "--json"});
  CHECK(shown["body"]["mechanism"] == "purchase");
  CHECK(shown["body"]["reference"] == "INV-88213");
  CHECK(contains(b.ok({"log"}).out, "purchase"));
  CHECK(contains(b.ok({"log"}).out, "ref INV-88213"));
  // The credit note: money back from the supplier, signed by the council receiving it.
  int64_t council = b.balance("council");
  b.ok({"pay", "--from", "royal-mail", "--to", "council", "--amount", "20.00", "--mechanism", "refund", "--reference",
        "CN-1", "--key", b.key("council")});
  CHECK(b.balance("council") == council + 2000);
  CHECK(b.balance("royal-mail") == 10000);
  // Above what the council paid: rule 12, exit 1, nothing written.
  expect_refused(b, {"pay", "--from", "royal-mail", "--to", "council", "--amount", "100.01", "--mechanism", "refund", "--key",
                     b.key("council")},
                 1, "rule 12");
  // Signed by the supplier's side only (here: a key of another party): rule 1.
  expect_refused(b, {"pay", "--from", "royal-mail", "--to", "council", "--amount", "1.00", "--mechanism", "refund", "--key",
                     b.key("ace")},
                 1, "rule 1");
  expect_refused(b, {"pay", "--from", "council", "--to", "royal-mail", "--amount", "1.00", "--mechanism", "purchase",
                     "--reference", std::string(201, 'r'), "--key", b.key("council")},
                 2, "reference");
  verify_if_present({b.ledger.string()});
}

TEST_CASE("pay, contribute and import: a value date more than a year ahead needs --future-date (a CLI policy, not a ledger rule)") {
  Books b;
  expect_refused(b, {"pay", "--from", "pool", "--to", "ace", "--amount", "1.00", "--mechanism", "block", "--date", "2052-12-05",
                     "--key", b.key("pool")},
                 2, "--future-date");
  expect_refused(b, {"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--date", "2052-12-05", "--key",
                     b.key("council")},
                 2, "more than a year after today");
  b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "1.00", "--mechanism", "block", "--date", "2052-12-05",
        "--future-date", "--key", b.key("pool")});
  write_file(b.file("future.csv"),
             "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,"
             "idempotency_key\npayment,pool,ace,2.00,GBP,2025-04-06,block,,,,,,,,,\npayment,pool,ace,2.00,GBP,2099-01-01,block,,,,,,,,,\n");
  expect_refused(b, {"import", b.file("future.csv"), "--key", b.key("pool")}, 2, "line 3: the value date 2099-01-01");
  b.ok({"import", b.file("future.csv"), "--key", b.key("pool"), "--future-date"});
}
