// Idempotency by state (DESIGN.md "Idempotency"): a state change whose effect
// already holds is a retry naming the record that made it hold; one whose
// effect does not hold is recorded, however often the same change was made
// before. Each case here was a silent no-op when retries were matched by
// content alone (issue 20, defect 1).
#include "fixture.h"

using namespace fundtrail::test;

namespace {

uint64_t seq_of(const RunResult& r) { return std::stoull(trim(r.out)); }

std::vector<std::string> police_pays(const Books& b, const std::string& amount) {
  return {"contribute", "--from", "police", "--to", "pool", "--amount", amount, "--date", "2025-04-03", "--key", b.key("stranger")};
}

// Exactly one record more than `before`, at seq `before`.
void recorded_next(const Books& b, const RunResult& r, uint64_t before) {
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(seq_of(r) == before);
  CHECK(b.size() == before + 1);
  CHECK(!contains(r.err, "nothing new was written"));
}

// Answered as a retry naming `seq`: nothing written, exit 0.
void answered_as(const Books& b, const RunResult& r, uint64_t seq, const std::string& what) {
  INFO(r);
  uint64_t size = b.size();
  CHECK(r.code == 0);
  CHECK(seq_of(r) == seq);
  CHECK(contains(r.err, what));
  CHECK(contains(r.err, "(seq " + std::to_string(seq) + "); nothing new was written"));
  CHECK(b.size() == size);
}

}  // namespace

TEST_CASE("revoke, grant, revoke again: the second revoke is recorded and the key can no longer sign") {
  Books b;
  std::string text = trim(b.ok({"key", "public", b.key("stranger")}).out);
  std::vector<std::string> grant{"grant-key", "police", text, "--role", "officer", "--key", b.key("admin")};
  std::vector<std::string> revoke{"revoke-key", "police", text, "--key", b.key("admin")};

  recorded_next(b, b.ft(grant), kStartSize);
  recorded_next(b, b.ft(revoke), kStartSize + 1);
  recorded_next(b, b.ft(grant), kStartSize + 2);  // grant -> revoke -> grant
  b.ok(police_pays(b, "1.00"));                    // active again
  recorded_next(b, b.ft(revoke), kStartSize + 4);  // the defect: this printed the first revoke's seq
  expect_refused(b, police_pays(b, "2.00"), 1, "rule 1");

  // Once more while it holds: a true retry, naming the revoke that made it hold.
  answered_as(b, b.ft(revoke), kStartSize + 4, "already revoked");
  // And a grant in the role it already holds, while it holds.
  recorded_next(b, b.ft(grant), kStartSize + 5);
  answered_as(b, b.ft(grant), kStartSize + 5, "already granted as officer");

  json json_retry = b.ok_json({"grant-key", "police", text, "--role", "officer", "--key", b.key("admin"), "--json"});
  CHECK(json_retry["seq"] == kStartSize + 5);
  CHECK(json_retry["retried"] == true);
  CHECK(contains(json_retry["already_holds"].get<std::string>(), "already granted"));
  verify_if_present({b.ledger.string()});
}

TEST_CASE("party status: exited, active, exited again leaves the party exited") {
  Books b;
  auto status = [&](const std::string& s) {
    return b.ft({"party", "status", "hope", "--status", s, "--from", "2025-06-01", "--key", b.key("admin")});
  };
  auto pay_hope = [&](const std::string& amount) {
    return std::vector<std::string>{"pay", "--from", "pool", "--to", "hope", "--amount", amount, "--mechanism", "block",
                                    "--date", "2025-06-02", "--key", b.key("pool")};
  };
  // Already active since it was registered (seq 5).
  answered_as(b, status("active"), 5, "already active on 2025-06-01");
  recorded_next(b, status("exited"), kStartSize);
  recorded_next(b, status("active"), kStartSize + 1);
  b.ok(pay_hope("1.00"));
  recorded_next(b, status("exited"), kStartSize + 3);  // the defect: answered with seq 12, party left active
  expect_refused(b, pay_hope("2.00"), 1, "rule 11");
  answered_as(b, status("exited"), kStartSize + 3, "already exited");
  json last = b.ok_json({"show", std::to_string(kStartSize + 3), "--json"});
  CHECK(last["body"]["status"] == "exited");
  verify_if_present({b.ledger.string()});
}

TEST_CASE("contract vary and end, end-assignment: a repeat names the record that made it hold") {
  Books b;
  b.ok({"contract", "agree", "C1", "--payer", "council", "--payee", "ace", "--subject", "support", "--from", "2025-04-01",
        "--to", "2026-03-31", "--cap", "1000.00", "--key", b.key("council")});
  uint64_t agreed = b.size() - 1;
  std::vector<std::string> to_2000{"contract", "vary", "C1", "--cap", "2000.00", "--reason", "more", "--key", b.key("council")};
  std::vector<std::string> to_1000{"contract", "vary", "C1", "--cap", "1000.00", "--reason", "less", "--key", b.key("council")};
  answered_as(b, b.ft(to_1000), agreed, "already has these terms");
  recorded_next(b, b.ft(to_2000), agreed + 1);
  answered_as(b, b.ft(to_2000), agreed + 1, "already has these terms");
  recorded_next(b, b.ft(to_1000), agreed + 2);
  recorded_next(b, b.ft(to_2000), agreed + 3);  // the same change as seq agreed+1, after the state moved on
  CHECK(b.ok_json({"contract", "show", "C1", "--json"})["committed"] == "2000.00");

  std::vector<std::string> end{"contract", "end", "C1", "--reason", "completed", "--key", b.key("council")};
  recorded_next(b, b.ft(end), agreed + 4);
  answered_as(b, b.ft(end), agreed + 4, "has already ended");
  // Ended for another reason: not this request's effect, so the writer refuses it.
  expect_refused(b, {"contract", "end", "C1", "--reason", "terminated", "--key", b.key("council")}, 1, "already ended");

  RunResult a = b.ok({"assign", "--accountable", "council", "--responsible", "ace", "--subject", "employment support",
                      "--kind", "contract", "--key", b.key("council")});
  std::string assignment = trim(a.out);
  std::vector<std::string> end_assignment{"end-assignment", assignment, "--reason", "done", "--key", b.key("council")};
  uint64_t size = b.size();
  recorded_next(b, b.ft(end_assignment), size);
  answered_as(b, b.ft(end_assignment), size, "has already ended");
  verify_if_present({b.ledger.string()});
}

TEST_CASE("a plain retry of a reversed payment says it was since reversed") {
  Books b;
  std::vector<std::string> pay{"pay", "--from", "pool", "--to", "hope", "--amount", "5.00", "--mechanism", "block", "--date",
                               "2025-04-02", "--key", b.key("pool")};
  uint64_t paid = seq_of(b.ok(pay));
  b.ok({"reverse", std::to_string(paid), "--reason", "duplicate", "--key", b.key("pool")});
  RunResult again = b.ft(pay);
  INFO(again);
  CHECK(again.code == 0);
  CHECK(seq_of(again) == paid);
  CHECK(contains(again.err, "already recorded as seq " + std::to_string(paid)));
  CHECK(contains(again.err, "and since reversed"));
  // ... and how to record the payment anew, which a plain retry never does.
  CHECK(contains(again.err, "--idempotency-key"));

  // With --json, the retry says the same for scripts.
  std::vector<std::string> pay_json = pay;
  pay_json.push_back("--json");
  RunResult j = b.ft(pay_json);
  INFO(j);
  REQUIRE(json::accept(j.out));
  CHECK(json::parse(j.out)["reversed"] == true);
}
