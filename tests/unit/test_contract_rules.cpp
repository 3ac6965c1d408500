// Contracts and payment by results (docs/rules.md rule 2's contract and status
// checks, rules 9, 10 and 11; docs/contracts.md): for each, a request where
// the rule holds and requests that break it. Every refusal must be
// Error(refused) whose message starts "rule N:" and must leave the ledger and
// its contracts exactly as they were (expect_refused_c). The last cases check
// contract_report's figures against sums done by hand.
#include <doctest/doctest.h>

#include <limits>

#include "ledger/contract_report.h"
#include "test_ledger_support.h"

using namespace ft_test;
using schema::EndReason;
using schema::Mechanism;
using schema::PartyStatus;

namespace {

// Prices in minor units (pence): £500.00 = 50000.
constexpr int64_t kStartYoung = 50000, kStartPlain = 40000, k26Young = 250000, kHead26Young = 400000, kHead26Plain = 300000;

// The World plus a Work Programme-like chain of contracts:
//   HEAD        council -> prime, 2025-04-01 to 2027-03-31, cap 50,000.00;
//               26 weeks [young] 4,000.00, 26 weeks [no group] 3,000.00
//   SUB-CHARITY prime -> charity under HEAD, cap 20,000.00;
//   SUB-SME     prime -> sme under HEAD, cap 20,000.00; both with
//               start [young] 500.00 (payer), start [no group] 400.00 (payer),
//               26 weeks [young] 2,500.00 (parent)
struct Chain : World {
  uint64_t head = 0, sub_charity = 0, sub_sme = 0;

  static std::vector<RowSpec> sub_rows() {
    return {{"start", "young", kStartYoung, false}, {"start", "", kStartPlain, false}, {"26 weeks", "young", k26Young, true}};
  }
  ContractSpec head_spec() {
    ContractSpec c;
    c.reference = "HEAD";
    c.payer = "council";
    c.payee = "prime";
    c.end = 20270331;
    c.cap = 5000000;
    c.rows = {{"26 weeks", "young", kHead26Young, false}, {"26 weeks", "", kHead26Plain, false}};
    return c;
  }
  ContractSpec sub_spec(const std::string& ref, const std::string& payee) {
    ContractSpec c;
    c.reference = ref;
    c.payer = "prime";
    c.payee = payee;
    c.parent = "HEAD";
    c.end = 20270331;
    c.cap = 2000000;
    c.rows = sub_rows();
    return c;
  }

  Chain() {
    head = expect_appended(L(), contract_agreed(*this, head_spec(), {council_off}));
    sub_charity = expect_appended(L(), contract_agreed(*this, sub_spec("SUB-CHARITY", "charity"), {prime_off}));
    sub_sme = expect_appended(L(), contract_agreed(*this, sub_spec("SUB-SME", "sme"), {prime_off}));
  }

  // A contract agreed by the council with sme, with the given terms.
  uint64_t council_sme(const std::string& ref, int64_t cap, uint32_t start, uint32_t end, std::vector<RowSpec> rows = {}) {
    ContractSpec c;
    c.reference = ref;
    c.payer = "council";
    c.payee = "sme";
    c.cap = cap;
    c.start = start;
    c.end = end;
    c.rows = std::move(rows);
    return expect_appended(L(), contract_agreed(*this, c, {council_off}));
  }

  SignedRequest council_pays(const std::string& to, int64_t amount, const UnderSpec& u) {
    return payment("council", to, amount, {council_off}, under(u));
  }
  SignedRequest prime_pays(const std::string& to, int64_t amount, const UnderSpec& u) {
    return payment("prime", to, amount, {prime_off}, under(u));
  }
  UnderSpec block(uint64_t contract, uint32_t date = kDate) {
    UnderSpec u;
    u.contract_seq = contract;
    u.date = date;
    return u;
  }
  ContractState state(const std::string& ref) {
    auto c = L().contract(ref);
    REQUIRE_MESSAGE(c.has_value(), "no contract " << ref);
    return *c;
  }
};

UnderSpec dated(UnderSpec u, uint32_t date) {
  u.date = date;
  return u;
}

UnderSpec with_mechanism(UnderSpec u, Mechanism m) {
  u.mechanism = m;
  return u;
}

}  // namespace

// ------------------------------------------------------ rule 2: contractAgreed

TEST_CASE("rule 2 holds: contractAgreed records the contract's terms") {
  Chain w;
  auto head = w.state("HEAD");
  CHECK(head.seq == w.head);
  CHECK(head.payer == "council");
  CHECK(head.payee == "prime");
  CHECK(head.parent.empty());
  CHECK(head.cap == 5000000);
  CHECK(head.paid == 0);
  CHECK(head.start == kDate);
  CHECK(head.end == 20270331);
  CHECK_FALSE(head.ended);
  CHECK(head.schedule_seq == w.head);
  auto sub = w.state("SUB-CHARITY");
  CHECK(sub.parent == "HEAD");
  CHECK(sub.seq == w.sub_charity);
  auto all = w.L().contracts();
  REQUIRE(all.size() == 3);
  CHECK(all[0].reference == "HEAD");  // by reference
  CHECK(all[1].reference == "SUB-CHARITY");
  CHECK(all[2].reference == "SUB-SME");
  Record rec(w.L().leaf(w.head));
  CHECK(rec.entry().getBody().isContractAgreed());

  SUBCASE("no cap, no end, no schedule, a fee cap of exactly 100%, one day long") {
    ContractSpec c;
    c.reference = "OPEN";
    c.payer = "council";
    c.payee = "sme";
    c.fee_cap_bp = 10000;
    expect_appended(w.L(), contract_agreed(w, c, {w.council_off}));
    c.reference = "ONE-DAY";
    c.end = c.start;
    expect_appended(w.L(), contract_agreed(w, c, {w.council_off}));
  }
  SUBCASE("one milestone priced per group, and once without a group") {
    ContractSpec c;
    c.reference = "GROUPS";
    c.payer = "council";
    c.payee = "sme";
    c.rows = {{"start", "young", 1, false}, {"start", "older", 2, false}, {"start", "", 3, false}};
    expect_appended(w.L(), contract_agreed(w, c, {w.council_off}));
  }
  SUBCASE("a grandchild: a subcontract under a subcontract") {
    ContractSpec c;
    c.reference = "SUB-SUB";
    c.payer = "charity";
    c.payee = "sme";
    c.parent = "SUB-CHARITY";
    c.rows = {{"start", "young", 100, true}};
    expect_appended(w.L(), contract_agreed(w, c, {w.charity_off}));
    CHECK(w.state("SUB-SUB").parent == "SUB-CHARITY");
  }
}

TEST_CASE("rule 2: contractAgreed refusals") {
  Chain w;
  ContractSpec c;
  c.reference = "NEW";
  c.payer = "council";
  c.payee = "sme";
  c.end = 20260331;
  auto refused = [&](const ContractSpec& spec, const Signers& s, CheckId rule = 2) {
    return expect_refused_c(w.L(), contract_agreed(w, spec, s), rule);
  };
  SUBCASE("a reference already used") {
    c.reference = "HEAD";
    CHECK(contains(refused(c, {w.council_off}), "already used"));
  }
  SUBCASE("an empty reference") {
    c.reference = "";
    refused(c, {w.council_off}, "format");
  }
  SUBCASE("an unknown payer or payee") {
    c.payee = "nobody";
    CHECK(contains(refused(c, {w.council_off}), "'nobody'"));
    c.payee = "sme";
    c.payer = "nobody";
    refused(c, {w.council_off});
  }
  SUBCASE("payer and payee the same") {
    c.payee = "council";
    refused(c, {w.council_off});
  }
  SUBCASE("party 'ledger'") {
    c.payee = "ledger";
    refused(c, {w.council_off});
  }
  SUBCASE("the payee is a pool") {
    c.payee = "pool";
    CHECK(contains(refused(c, {w.council_off}), "pool"));
  }
  SUBCASE("an empty subject") {
    c.subject = "";
    refused(c, {w.council_off}, "format");
  }
  SUBCASE("no start date, or not a real one") {
    c.start = 0;
    refused(c, {w.council_off}, "format");
    c.start = 20250230;
    refused(c, {w.council_off}, "format");
  }
  SUBCASE("an end before the start") {
    c.end = 20250331;  // the day before kDate
    CHECK(contains(refused(c, {w.council_off}), "ends before it starts"));
  }
  SUBCASE("a negative cap") {
    c.cap = -1;
    refused(c, {w.council_off});
  }
  SUBCASE("a fee cap over 100%") {
    c.fee_cap_bp = 10001;
    refused(c, {w.council_off});
  }
  SUBCASE("an unknown parent") {
    c.parent = "NO-SUCH";
    CHECK(contains(refused(c, {w.council_off}), "'NO-SUCH'"));
  }
  SUBCASE("a parent contract whose payee is not this contract's payer") {
    c.parent = "HEAD";  // HEAD pays prime; this contract's payer is council
    CHECK(contains(refused(c, {w.council_off}), "not this contract's payer 'council'"));
    // and a subcontract of a subcontract must be paid by that subcontract's payee
    c.payer = "prime";
    c.parent = "SUB-CHARITY";
    refused(c, {w.prime_off});
  }
  SUBCASE("schedule rows: a price of zero or below") {
    c.rows = {{"start", "", 0, false}};
    CHECK(contains(refused(c, {w.council_off}), "positive unit price"));
    c.rows = {{"start", "young", -500, false}};
    refused(c, {w.council_off});
  }
  SUBCASE("schedule rows: the same (milestone, group) twice") {
    c.rows = {{"start", "young", 100, false}, {"start", "young", 200, false}};
    CHECK(contains(refused(c, {w.council_off}), "given twice"));
    c.rows = {{"start", "", 100, false}, {"job entry", "", 100, false}, {"start", "", 100, false}};
    refused(c, {w.council_off});
  }
  SUBCASE("schedule rows: an empty milestone") {
    c.rows = {{"", "young", 100, false}};
    refused(c, {w.council_off}, "format");
  }
  SUBCASE("schedule rows: financed by the parent without a parent") {
    c.rows = {{"26 weeks", "young", 100, true}};
    CHECK(contains(refused(c, {w.council_off}), "has no parent"));
  }
  SUBCASE("rule 1: signed by the payee, not the payer") {
    refused(c, {w.sme_off}, 1);
    refused(c, {w.stranger}, 1);
  }
}

// ------------------------------------------------------ rule 2: contractVaried

TEST_CASE("rule 2 holds: contractVaried changes the cap, the end date and the schedule") {
  Chain w;
  VarySpec v;
  v.reference = "SUB-SME";
  v.new_cap = 3000000;
  v.new_end = 20280331;
  uint64_t s = expect_appended(w.L(), contract_varied(w, v, {w.prime_off}));
  auto c = w.state("SUB-SME");
  CHECK(c.cap == 3000000);
  CHECK(c.end == 20280331);
  CHECK(c.schedule_seq == w.sub_sme);  // not replaced
  CHECK(s == w.L().size() - 1);

  VarySpec sched;
  sched.reference = "SUB-SME";
  sched.schedule = std::vector<RowSpec>{{"start", "young", 60000, false}};
  uint64_t s2 = expect_appended(w.L(), contract_varied(w, sched, {w.prime_off}));
  CHECK(w.state("SUB-SME").schedule_seq == s2);
  CHECK(w.state("SUB-SME").cap == 3000000);  // 0: unchanged

  SUBCASE("a varied end may be earlier, down to the start itself") {
    VarySpec e;
    e.reference = "SUB-SME";
    e.new_end = kDate;
    expect_appended(w.L(), contract_varied(w, e, {w.prime_off}));
    CHECK(w.state("SUB-SME").end == kDate);
  }
}

TEST_CASE("rule 2: contractVaried refusals") {
  Chain w;
  VarySpec v;
  v.reference = "SUB-SME";
  v.new_cap = 3000000;
  SUBCASE("an unknown contract") {
    v.reference = "NO-SUCH";
    CHECK(contains(expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2), "'NO-SUCH'"));
  }
  SUBCASE("a variation of an ended contract") {
    expect_appended(w.L(), contract_ended(w, "SUB-SME", EndReason::COMPLETED, "", {w.prime_off}));
    CHECK(contains(expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2), "has ended"));
  }
  SUBCASE("an empty reason") {
    v.reason = "";
    expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), "format");
  }
  SUBCASE("a negative cap") {
    v.new_cap = -5;
    expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2);
  }
  SUBCASE("a new cap below what has been paid; equal to it is held") {
    expect_appended(w.L(), w.prime_pays("sme", 300000, w.block(w.sub_sme)));
    v.new_cap = 299999;
    CHECK(contains(expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2), "below what was already paid, 3000.00"));
    v.new_cap = 300000;
    expect_appended(w.L(), contract_varied(w, v, {w.prime_off}));
    CHECK(w.state("SUB-SME").cap == 300000);
    expect_refused_c(w.L(), w.prime_pays("sme", 1, w.block(w.sub_sme)), 9);  // at the cap now
  }
  SUBCASE("a new end before the start, or not a real date") {
    v.new_end = 20250331;
    CHECK(contains(expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2), "before the contract's start"));
    v.new_end = 20260230;
    expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), "format");
  }
  SUBCASE("a replacement schedule with a bad row") {
    v.schedule = std::vector<RowSpec>{{"start", "young", 0, false}};
    expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2);
    v.schedule = std::vector<RowSpec>{{"start", "young", 1, false}, {"start", "young", 2, false}};
    expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2);
  }
  SUBCASE("a replacement schedule financed by a parent the contract does not have") {
    w.council_sme("PLAIN", 0, kDate, 0, {{"start", "", 100, false}});
    VarySpec p;
    p.reference = "PLAIN";
    p.schedule = std::vector<RowSpec>{{"start", "", 100, true}};
    expect_refused_c(w.L(), contract_varied(w, p, {w.council_off}), 2);
  }
  SUBCASE("schedule rows given without replacing the schedule") {
    v.stray_rows = {{"start", "young", 100, false}};
    expect_refused_c(w.L(), contract_varied(w, v, {w.prime_off}), 2);
  }
  SUBCASE("rule 1: signed by the payee") { expect_refused_c(w.L(), contract_varied(w, v, {w.sme_off}), 1); }
}

// ------------------------------------------------------- rule 2: contractEnded

TEST_CASE("rule 2: contractEnded") {
  Chain w;
  SUBCASE("held: completed, with a date") {
    expect_appended(w.L(), contract_ended(w, "SUB-SME", EndReason::COMPLETED, "", {w.prime_off}, 20260331));
    CHECK(w.state("SUB-SME").ended);
    SUBCASE("ending it again") {
      CHECK(contains(expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::TERMINATED, "", {w.prime_off}), 2),
                     "already ended"));
    }
  }
  SUBCASE("held: transferred to a registered successor") {
    expect_appended(w.L(), contract_ended(w, "SUB-SME", EndReason::TRANSFERRED, "charity", {w.prime_off}));
    CHECK(w.state("SUB-SME").ended);
  }
  SUBCASE("transferred without a successor") {
    CHECK(contains(expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::TRANSFERRED, "", {w.prime_off}), 2),
                   "successor"));
  }
  SUBCASE("transferred to an unregistered successor") {
    expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::TRANSFERRED, "nobody", {w.prime_off}), 2);
  }
  SUBCASE("a successor on a contract that was not transferred") {
    expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::COMPLETED, "charity", {w.prime_off}), 2);
    expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::TERMINATED, "charity", {w.prime_off}), 2);
  }
  SUBCASE("an unknown contract") {
    expect_refused_c(w.L(), contract_ended(w, "NO-SUCH", EndReason::COMPLETED, "", {w.prime_off}), 2);
  }
  SUBCASE("a date that is not a real day") {
    expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::COMPLETED, "", {w.prime_off}, 20260431), "format");
  }
  SUBCASE("rule 1: signed by the payee") {
    expect_refused_c(w.L(), contract_ended(w, "SUB-SME", EndReason::COMPLETED, "", {w.sme_off}), 1);
  }
}

// -------------------------------------------------- rule 2: partyStatusChanged

TEST_CASE("rule 2: partyStatusChanged") {
  World w;
  SUBCASE("held: an administrator records a status, with a note") {
    expect_appended(w.L(), status_changed(w, "charity", PartyStatus::SERVICE_FAILURE, 20250601, {w.admin},
                                          "CQC rated inadequate"));
    expect_appended(w.L(), status_changed(w, "charity", PartyStatus::ACTIVE, 20250901, {w.admin}));
  }
  SUBCASE("party 'ledger'") {
    expect_refused_c(w.L(), status_changed(w, "ledger", PartyStatus::EXITED, kDate, {w.admin}), 2);
  }
  SUBCASE("an unknown party") {
    expect_refused_c(w.L(), status_changed(w, "nobody", PartyStatus::EXITED, kDate, {w.admin}), 2);
  }
  SUBCASE("no date, or not a real day") {
    expect_refused_c(w.L(), status_changed(w, "charity", PartyStatus::EXITED, 0, {w.admin}), "format");
    expect_refused_c(w.L(), status_changed(w, "charity", PartyStatus::EXITED, 20250229, {w.admin}), "format");
  }
  SUBCASE("a note over 1,000 bytes; exactly 1,000 is held") {
    expect_refused_c(w.L(), status_changed(w, "charity", PartyStatus::EXITED, kDate, {w.admin}, std::string(1001, 'n')), "limits");
    expect_appended(w.L(), status_changed(w, "charity", PartyStatus::EXITED, kDate, {w.admin}, std::string(1000, 'n')));
  }
  SUBCASE("rule 1: signed by an officer, not an administrator") {
    expect_refused_c(w.L(), status_changed(w, "charity", PartyStatus::EXITED, kDate, {w.council_off}), 1);
    expect_refused_c(w.L(), status_changed(w, "charity", PartyStatus::EXITED, kDate, {w.charity_off}), 1);
  }
}

// ---------------------------------------------------------------- rule 9 ---

TEST_CASE("rule 9: the cap, and exactly at the cap") {
  Chain w;
  uint64_t k = w.council_sme("CAPPED", 100000, kDate, 0);
  uint64_t first = expect_appended(w.L(), w.council_pays("sme", 60000, w.block(k)));
  CHECK(w.state("CAPPED").paid == 60000);
  auto msg = expect_refused_c(w.L(), w.council_pays("sme", 40001, w.block(k)), 9);
  CHECK(contains(msg, "over its cap of 1000.00"));
  expect_appended(w.L(), w.council_pays("sme", 40000, w.block(k)));
  CHECK(w.state("CAPPED").paid == 100000);
  expect_refused_c(w.L(), w.council_pays("sme", 1, w.block(k)), 9);

  SUBCASE("a reversal frees the headroom it took") {
    expect_appended(w.L(), w.reversal(first, {w.council_off}));
    CHECK(w.state("CAPPED").paid == 40000);
    expect_refused_c(w.L(), w.council_pays("sme", 60001, w.block(k)), 9);
    expect_appended(w.L(), w.council_pays("sme", 60000, w.block(k)));
    CHECK(w.state("CAPPED").paid == 100000);
  }
  SUBCASE("a variation raising the cap makes room") {
    VarySpec v;
    v.reference = "CAPPED";
    v.new_cap = 150000;
    expect_appended(w.L(), contract_varied(w, v, {w.council_off}));
    expect_appended(w.L(), w.council_pays("sme", 50000, w.block(k)));
    expect_refused_c(w.L(), w.council_pays("sme", 1, w.block(k)), 9);
  }
  SUBCASE("payments outside the contract are not counted against it") {
    expect_appended(w.L(), w.payment("council", "sme", 70000, {w.council_off}));
    CHECK(w.state("CAPPED").paid == 100000);
  }
  SUBCASE("no cap: any amount") {
    uint64_t open = w.council_sme("UNCAPPED", 0, kDate, 0);
    expect_appended(w.L(), w.council_pays("sme", 999999, w.block(open)));
    expect_appended(w.L(), w.council_pays("sme", 999999, w.block(open)));
    CHECK(w.state("UNCAPPED").paid == 1999998);
  }
}

TEST_CASE("rule 9: the value date within the contract's dates") {
  Chain w;
  uint64_t k = w.council_sme("DATED", 0, 20250401, 20260331);
  SUBCASE("before the start") {
    CHECK(contains(expect_refused_c(w.L(), w.council_pays("sme", 100, w.block(k, 20250331)), 9), "outside contract"));
  }
  SUBCASE("held: on the first and on the last day") {
    expect_appended(w.L(), w.council_pays("sme", 100, w.block(k, 20250401)));
    expect_appended(w.L(), w.council_pays("sme", 100, w.block(k, 20260331)));
  }
  SUBCASE("after the end; held once a variation extends it") {
    expect_refused_c(w.L(), w.council_pays("sme", 100, w.block(k, 20260401)), 9);
    VarySpec v;
    v.reference = "DATED";
    v.new_end = 20260430;
    expect_appended(w.L(), contract_varied(w, v, {w.council_off}));
    expect_appended(w.L(), w.council_pays("sme", 100, w.block(k, 20260401)));
    expect_refused_c(w.L(), w.council_pays("sme", 100, w.block(k, 20260501)), 9);
  }
  SUBCASE("after a variation shortening it") {
    VarySpec v;
    v.reference = "DATED";
    v.new_end = 20251231;
    expect_appended(w.L(), contract_varied(w, v, {w.council_off}));
    expect_refused_c(w.L(), w.council_pays("sme", 100, w.block(k, 20260101)), 9);
    expect_appended(w.L(), w.council_pays("sme", 100, w.block(k, 20251231)));
  }
  SUBCASE("an open end") {
    uint64_t open = w.council_sme("OPEN", 0, 20250401, 0);
    expect_appended(w.L(), w.council_pays("sme", 100, w.block(open, 20991231)));
    expect_refused_c(w.L(), w.council_pays("sme", 100, w.block(open, 20250331)), 9);
  }
}

TEST_CASE("rule 9: only between the contract's payer and payee") {
  Chain w;
  SUBCASE("held") { expect_appended(w.L(), w.council_pays("prime", 100, w.block(w.head))); }
  SUBCASE("another payee") {
    CHECK(contains(expect_refused_c(w.L(), w.council_pays("sme", 100, w.block(w.head)), 9),
                   "between 'council' and 'prime', not 'council' and 'sme'"));
  }
  SUBCASE("another payer") {
    expect_refused_c(w.L(), w.payment("nhs", "prime", 100, {w.nhs_off}, under(w.block(w.head))), 9);
  }
  SUBCASE("the other way round") {
    expect_refused_c(w.L(), w.payment("prime", "council", 100, {w.prime_off}, under(w.block(w.head))), 9);
  }
  SUBCASE("a subcontract's money under the head contract") {
    expect_refused_c(w.L(), w.prime_pays("charity", 100, w.block(w.head)), 9);
  }
  SUBCASE("a seq that holds another kind of record, or a variation") {
    VarySpec v;
    v.reference = "HEAD";
    v.new_cap = 6000000;
    uint64_t varied = expect_appended(w.L(), contract_varied(w, v, {w.council_off}));
    expect_refused_c(w.L(), w.council_pays("prime", 100, w.block(varied)), 9);
    expect_refused_c(w.L(), w.council_pays("prime", 100, w.block(1)), 9);
  }
}

TEST_CASE("rule 9: nothing is paid under a contract once it has ended") {
  Chain w;
  uint64_t before = expect_appended(w.L(), w.prime_pays("sme", 100, w.block(w.sub_sme)));
  expect_appended(w.L(), contract_ended(w, "SUB-SME", EndReason::TERMINATED, "", {w.prime_off}, 20250501));
  SUBCASE("a payment dated within its dates, even before the end date recorded") {
    CHECK(contains(expect_refused_c(w.L(), w.prime_pays("sme", 100, w.block(w.sub_sme, 20250415)), 9), "has ended"));
    expect_refused_c(w.L(), w.prime_pays("sme", kStartYoung, milestone_of(w.sub_sme, "start", "young", 1)), 9);
  }
  SUBCASE("held: an earlier payment may still be reversed, and other contracts go on") {
    expect_appended(w.L(), w.reversal(before, {w.prime_off}));
    CHECK(w.state("SUB-SME").paid == 0);
    expect_appended(w.L(), w.prime_pays("charity", 100, w.block(w.sub_charity)));
  }
}

TEST_CASE("rule 9: a milestone payment matches a schedule row: amount = count x unit price") {
  Chain w;
  SUBCASE("held: 3 x 500.00") {
    expect_appended(w.L(), w.prime_pays("charity", 3 * kStartYoung, milestone_of(w.sub_charity, "start", "young", 3)));
  }
  SUBCASE("one penny short or over") {
    auto msg = expect_refused_c(w.L(), w.prime_pays("charity", 3 * kStartYoung - 1, milestone_of(w.sub_charity, "start", "young", 3)), 9);
    CHECK(contains(msg, "500.00 per outcome: 3 outcomes make 1500.00, not 1499.99"));
    expect_refused_c(w.L(), w.prime_pays("charity", 3 * kStartYoung + 1, milestone_of(w.sub_charity, "start", "young", 3)), 9);
  }
  SUBCASE("the right amount for another count") {
    expect_refused_c(w.L(), w.prime_pays("charity", 3 * kStartYoung, milestone_of(w.sub_charity, "start", "young", 2)), 9);
  }
  SUBCASE("no outcome count") {
    expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0)), 9);
  }
  SUBCASE("the other group's price") {
    expect_refused_c(w.L(), w.prime_pays("charity", 2 * kStartPlain, milestone_of(w.sub_charity, "start", "young", 2)), 9);
    expect_appended(w.L(), w.prime_pays("charity", 2 * kStartPlain, milestone_of(w.sub_charity, "start", "", 2)));
  }
  SUBCASE("count x price beyond int64 is a refusal, not a wrap") {
    uint64_t big = w.council_sme("BIG", 0, kDate, 0, {{"big", "", std::numeric_limits<int64_t>::max() / 2, false}});
    auto msg = expect_refused_c(w.L(), w.council_pays("sme", 100, milestone_of(big, "big", "", 3)), 9);
    CHECK(contains(msg, "more than the largest amount"));
    // 2^32-1 outcomes at a large price: the product needs 128 bits
    expect_refused_c(w.L(), w.council_pays("sme", 100, milestone_of(big, "big", "", std::numeric_limits<uint32_t>::max())), 9);
  }
  SUBCASE("other mechanisms under a contract are not matched against the schedule") {
    UnderSpec u = w.block(w.sub_charity);
    u.milestone = "not in the schedule";
    expect_appended(w.L(), w.prime_pays("charity", 12345, u));
    expect_appended(w.L(), w.prime_pays("charity", 777, with_mechanism(w.block(w.sub_charity), Mechanism::UPFRONT)));
  }
}

TEST_CASE("rule 9: the milestone and group must be in the schedule") {
  Chain w;
  SUBCASE("a milestone not in the schedule") {
    auto msg = expect_refused_c(w.L(), w.prime_pays("charity", 100000, milestone_of(w.sub_charity, "job entry", "young", 2)), 9);
    CHECK(contains(msg, "no row for milestone 'job entry' and group 'young'"));
  }
  SUBCASE("a group not in the schedule") {
    expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "older", 1)), 9);
  }
  SUBCASE("milestones compare exactly (case, spaces)") {
    expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "Start", "young", 1)), 9);
    expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start ", "young", 1)), 9);
  }
  SUBCASE("a row without a group matches only payments without one") {
    uint64_t plain = w.council_sme("PLAIN", 0, kDate, 0, {{"start", "", 40000, false}});
    expect_appended(w.L(), w.council_pays("sme", 40000, milestone_of(plain, "start", "", 1)));
    expect_refused_c(w.L(), w.council_pays("sme", 40000, milestone_of(plain, "start", "young", 1)), 9);
    // HEAD prices 26 weeks with and without a group: each payment finds its own row
    expect_appended(w.L(), w.council_pays("prime", kHead26Plain, milestone_of(w.head, "26 weeks", "", 1)));
    expect_appended(w.L(), w.council_pays("prime", kHead26Young, milestone_of(w.head, "26 weeks", "young", 1)));
    expect_refused_c(w.L(), w.council_pays("prime", kHead26Young, milestone_of(w.head, "26 weeks", "", 1)), 9);
  }
  SUBCASE("a row with a group does not match a payment without one") {
    uint64_t grouped = w.council_sme("GROUPED", 0, kDate, 0, {{"start", "young", 50000, false}});
    auto msg = expect_refused_c(w.L(), w.council_pays("sme", 50000, milestone_of(grouped, "start", "", 1)), 9);
    CHECK(contains(msg, "without a group"));
    expect_appended(w.L(), w.council_pays("sme", 50000, milestone_of(grouped, "start", "young", 1)));
  }
  SUBCASE("a contract without a schedule pays no milestones") {
    uint64_t none = w.council_sme("NONE", 0, kDate, 0);
    expect_refused_c(w.L(), w.council_pays("sme", 100, milestone_of(none, "start", "", 1)), 9);
  }
}

TEST_CASE("rule 9: after a variation replaces the schedule, its rows are used") {
  Chain w;
  expect_appended(w.L(), w.prime_pays("sme", kStartYoung, milestone_of(w.sub_sme, "start", "young", 1)));
  VarySpec v;
  v.reference = "SUB-SME";
  v.schedule = std::vector<RowSpec>{{"start", "young", 60000, false}, {"job entry", "young", 100000, false}};
  expect_appended(w.L(), contract_varied(w, v, {w.prime_off}));
  // the old price and the dropped rows no longer match
  expect_refused_c(w.L(), w.prime_pays("sme", kStartYoung, milestone_of(w.sub_sme, "start", "young", 1)), 9);
  expect_refused_c(w.L(), w.prime_pays("sme", kStartPlain, milestone_of(w.sub_sme, "start", "", 1)), 9);
  expect_appended(w.L(), w.prime_pays("sme", 60000, milestone_of(w.sub_sme, "start", "young", 1)));
  expect_appended(w.L(), w.prime_pays("sme", 200000, milestone_of(w.sub_sme, "job entry", "young", 2)));
  SUBCASE("a later variation that changes only the cap keeps the replaced schedule") {
    VarySpec cap;
    cap.reference = "SUB-SME";
    cap.new_cap = 2500000;
    expect_appended(w.L(), contract_varied(w, cap, {w.prime_off}));
    expect_appended(w.L(), w.prime_pays("sme", 60000, milestone_of(w.sub_sme, "start", "young", 1)));
    expect_refused_c(w.L(), w.prime_pays("sme", kStartYoung, milestone_of(w.sub_sme, "start", "young", 1)), 9);
  }
  SUBCASE("the sibling contract keeps its own schedule") {
    expect_appended(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 1)));
  }
}

// ---------------------------------------------------------------- rule 10 ---

TEST_CASE("rule 10: a claim is paid once per milestone under one contract") {
  Chain w;
  uint64_t first = expect_appended(w.L(), w.prime_pays("charity", 2 * kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c1", "c2"})));
  SUBCASE("the same claim and milestone again") {
    auto msg = expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c2"})), 10);
    CHECK(contains(msg, "already paid under contract 'SUB-CHARITY' at seq " + std::to_string(first)));
    // also inside a payment with new claims, and in the other group of the same milestone
    expect_refused_c(w.L(), w.prime_pays("charity", 2 * kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c3", "c1"})), 10);
    expect_refused_c(w.L(), w.prime_pays("charity", kStartPlain, milestone_of(w.sub_charity, "start", "", 0, {"c1"})), 10);
  }
  SUBCASE("held: the same claim at another milestone") {
    expect_appended(w.L(), w.prime_pays("charity", k26Young, milestone_of(w.sub_charity, "26 weeks", "young", 0, {"c1"})));
  }
  SUBCASE("held: a new claim") {
    expect_appended(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c3"})));
  }
  SUBCASE("a reversal frees its claim ids") {
    expect_appended(w.L(), w.reversal(first, {w.prime_off}));
    expect_appended(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c1"})));
    // c1 is taken again; c2 is still free
    expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c1"})), 10);
    expect_appended(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c2"})));
  }
}

TEST_CASE("rule 10: claim ids in one payment and the outcome count") {
  Chain w;
  SUBCASE("a claim id twice in one payment") {
    CHECK(contains(expect_refused_c(w.L(), w.prime_pays("charity", 2 * kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"c1", "c1"})), 10),
                   "appears twice"));
  }
  SUBCASE("an outcome count that is not the number of claim ids") {
    UnderSpec u = milestone_of(w.sub_charity, "start", "young", 0, {"c1", "c2"});
    u.count = 3;
    CHECK(contains(expect_refused_c(w.L(), w.prime_pays("charity", 3 * kStartYoung, u), 10), "differs from the 2 claim ids"));
    u.count = 1;
    expect_refused_c(w.L(), w.prime_pays("charity", kStartYoung, u), 10);
    u.count = 2;
    expect_appended(w.L(), w.prime_pays("charity", 2 * kStartYoung, u));
  }
  SUBCASE("held: a milestone payment without claim ids") {
    expect_appended(w.L(), w.prime_pays("charity", 5 * kStartYoung, milestone_of(w.sub_charity, "start", "young", 5)));
  }
  SUBCASE("outside any contract: distinct and counted, but not checked against earlier payments") {
    auto no_contract = [&](std::vector<std::string> claims, uint32_t count) {
      return w.payment("council", "sme", 1000, {w.council_off}, [claims, count](spec::Payment& p) {
        p.mechanism = Mechanism::MILESTONE;
        p.milestone = "start";
        p.outcome_count = count;
        p.claim_ids = claims;
      });
    };
    expect_appended(w.L(), no_contract({"x1"}, 1));
    expect_appended(w.L(), no_contract({"x1"}, 1));
    expect_refused_c(w.L(), no_contract({"x2", "x2"}, 2), 10);
    expect_refused_c(w.L(), no_contract({"x2", "x3"}, 1), 10);
    // and a claim paid outside contracts does not block one under a contract
    expect_appended(w.L(), w.prime_pays("charity", kStartYoung, milestone_of(w.sub_charity, "start", "young", 0, {"x1"})));
  }
}

TEST_CASE("rule 10: one outcome from two budgets is refused, down one chain of contracts it is paid at each level") {
  Chain w;
  auto head26 = [&](std::vector<std::string> claims) {
    return w.council_pays("prime", kHead26Young * static_cast<int64_t>(claims.size()), milestone_of(w.head, "26 weeks", "young", 0, claims));
  };
  auto sub26 = [&](const std::string& to, uint64_t contract, std::vector<std::string> claims) {
    return w.prime_pays(to, k26Young * static_cast<int64_t>(claims.size()), milestone_of(contract, "26 weeks", "young", 0, claims));
  };
  SUBCASE("held: head contract then subcontract (parent -> child)") {
    expect_appended(w.L(), head26({"p1"}));
    expect_appended(w.L(), sub26("charity", w.sub_charity, {"p1"}));
    SUBCASE("a sibling subcontract claiming it too") {
      auto msg = expect_refused_c(w.L(), sub26("sme", w.sub_sme, {"p1"}), 10);
      CHECK(contains(msg, "'SUB-CHARITY'"));
      CHECK(contains(msg, "two budgets"));
    }
    SUBCASE("the head contract claiming it a second time") { expect_refused_c(w.L(), head26({"p1"}), 10); }
  }
  SUBCASE("held: subcontract first, then the head contract (child -> parent)") {
    expect_appended(w.L(), sub26("charity", w.sub_charity, {"p1"}));
    expect_appended(w.L(), head26({"p1"}));
  }
  SUBCASE("two sibling subcontracts") {
    expect_appended(w.L(), sub26("charity", w.sub_charity, {"p1"}));
    expect_refused_c(w.L(), sub26("sme", w.sub_sme, {"p1"}), 10);
    SUBCASE("once the first is reversed, the sibling may be paid") {
      uint64_t paid = w.L().size() - 1;
      expect_appended(w.L(), w.reversal(paid, {w.prime_off}));
      expect_appended(w.L(), sub26("sme", w.sub_sme, {"p1"}));
      expect_refused_c(w.L(), sub26("charity", w.sub_charity, {"p1"}), 10);
    }
  }
  SUBCASE("two unrelated head contracts (two commissioners' budgets)") {
    ContractSpec other;
    other.reference = "NHS-HEAD";
    other.payer = "nhs";
    other.payee = "prime";
    other.rows = {{"26 weeks", "young", kHead26Young, false}};
    uint64_t nhs = expect_appended(w.L(), contract_agreed(w, other, {w.nhs_off}));
    expect_appended(w.L(), head26({"p1"}));
    expect_refused_c(w.L(),
                     w.payment("nhs", "prime", kHead26Young, {w.nhs_off}, under(milestone_of(nhs, "26 weeks", "young", 0, {"p1"}))),
                     10);
  }
  SUBCASE("three levels: head, subcontract and its own subcontract, all on one chain") {
    ContractSpec c;
    c.reference = "SUB-SUB";
    c.payer = "charity";
    c.payee = "sme";
    c.parent = "SUB-CHARITY";
    c.rows = {{"26 weeks", "young", 100000, true}};
    uint64_t subsub = expect_appended(w.L(), contract_agreed(w, c, {w.charity_off}));
    expect_appended(w.L(), head26({"p1"}));
    expect_appended(w.L(), sub26("charity", w.sub_charity, {"p1"}));
    expect_appended(w.L(), w.payment("charity", "sme", 100000, {w.charity_off}, under(milestone_of(subsub, "26 weeks", "young", 0, {"p1"}))));
    // the other branch under HEAD is still another budget
    expect_refused_c(w.L(), sub26("sme", w.sub_sme, {"p1"}), 10);
  }
}

// ---------------------------------------------------------------- rule 11 ---

TEST_CASE("rule 11: a failed or exited party receives only support") {
  Chain w;
  // The charity has money of its own before it fails.
  expect_appended(w.L(), w.payment("council", "charity", 50000, {w.council_off}));
  expect_appended(w.L(), status_changed(w, "charity", PartyStatus::FINANCIAL_FAILURE, 20250601, {w.admin}, "administration"));
  auto grant_on = [&](uint32_t date, Mechanism m = Mechanism::GRANT) {
    return w.payment("council", "charity", 1000, {w.council_off}, [date, m](spec::Payment& p) {
      p.value_date = date;
      p.mechanism = m;
    });
  };
  SUBCASE("held: money dated before the status's date") { expect_appended(w.L(), grant_on(20250531)); }
  SUBCASE("on and after its date, anything but support is refused") {
    auto msg = expect_refused_c(w.L(), grant_on(20250601), 11);
    CHECK(contains(msg, "'charity' has status financial-failure at 2025-06-01"));
    for (Mechanism m : {Mechanism::BLOCK, Mechanism::FEE, Mechanism::UPFRONT, Mechanism::LOAN, Mechanism::CLAWBACK,
                        Mechanism::MANAGEMENT_FEE, Mechanism::OTHER}) {
      CAPTURE(static_cast<int>(m));
      expect_refused_c(w.L(), grant_on(20250715, m), 11);
    }
    expect_refused_c(w.L(),
                     w.prime_pays("charity", kStartYoung, dated(milestone_of(w.sub_charity, "start", "young", 1), 20250701)), 11);
  }
  SUBCASE("held: support (rescue money), under its contract or not") {
    expect_appended(w.L(), grant_on(20250601, Mechanism::SUPPORT));
    expect_appended(w.L(), w.prime_pays("charity", 3000, with_mechanism(w.block(w.sub_charity, 20250610), Mechanism::SUPPORT)));
  }
  SUBCASE("held: the failed party may still pay (clawback, settlements)") {
    expect_appended(w.L(), w.payment("charity", "council", 20000, {w.charity_off}, [](spec::Payment& p) {
      p.value_date = 20250701;
      p.mechanism = Mechanism::CLAWBACK;
    }));
    CHECK(w.balance("charity") == 30000);
  }
  SUBCASE("a status back to active: payments from its date are accepted again") {
    expect_appended(w.L(), status_changed(w, "charity", PartyStatus::ACTIVE, 20250901, {w.admin}, "rescued"));
    expect_appended(w.L(), grant_on(20250901));
    expect_appended(w.L(), grant_on(20251231));
    expect_refused_c(w.L(), grant_on(20250831), 11);  // judged by the value date
    expect_appended(w.L(), grant_on(20250531));
  }
  SUBCASE("a later record with the same date wins the tie") {
    expect_appended(w.L(), status_changed(w, "charity", PartyStatus::ACTIVE, 20250601, {w.admin}, "recorded in error"));
    expect_appended(w.L(), grant_on(20250601));
    expect_appended(w.L(), status_changed(w, "charity", PartyStatus::EXITED, 20250601, {w.admin}));
    expect_refused_c(w.L(), grant_on(20250601), 11);
  }
  SUBCASE("a status recorded later but dated earlier still applies to later value dates") {
    expect_appended(w.L(), status_changed(w, "sme", PartyStatus::EXITED, 20250401, {w.admin}));
    expect_refused_c(w.L(), w.payment("council", "sme", 100, {w.council_off}), 11);
    // other parties are not affected
    expect_appended(w.L(), w.payment("council", "prime", 100, {w.council_off}));
  }
}

TEST_CASE("rule 11: service failure and exit block payments too") {
  for (PartyStatus s : {PartyStatus::SERVICE_FAILURE, PartyStatus::EXITED}) {
    CAPTURE(static_cast<int>(s));
    World x;
    expect_appended(x.L(), status_changed(x, "sme", s, kDate, {x.admin}));
    expect_refused_c(x.L(), x.payment("council", "sme", 100, {x.council_off}), 11);
    expect_appended(x.L(), x.payment("council", "sme", 100, {x.council_off}, [](spec::Payment& p) {
      p.mechanism = Mechanism::SUPPORT;
    }));
  }
}

// ------------------------------------------------------------ contract_report

namespace {

// A small chain with every kind of figure, worked out by hand below.
//   HEAD council -> prime, cap 20,000.00; 26 weeks [young] 4,000.00
//   SUB  prime -> charity under HEAD, cap 10,000.00;
//        start [young] 500.00 payer, 13 weeks [young] 1,000.00 payer, 26 weeks [young] 2,500.00 parent
struct Reported : World {
  uint64_t head = 0, sub = 0, block = 0, outcome = 0;
  Reported() {
    ContractSpec h;
    h.reference = "HEAD";
    h.payer = "council";
    h.payee = "prime";
    h.cap = 2000000;
    h.fee_cap_bp = 500;
    h.rows = {{"26 weeks", "young", 400000, false}};
    head = expect_appended(L(), contract_agreed(*this, h, {council_off}));
    ContractSpec s;
    s.reference = "SUB";
    s.payer = "prime";
    s.payee = "charity";
    s.parent = "HEAD";
    s.cap = 1000000;
    s.rows = {{"start", "young", 50000, false}, {"13 weeks", "young", 100000, false}, {"26 weeks", "young", 250000, true}};
    sub = expect_appended(L(), contract_agreed(*this, s, {prime_off}));

    UnderSpec b;
    b.contract_seq = head;
    block = append(payment("council", "prime", 300000, {council_off}, under(b)));  // block 3,000.00
    UnderSpec up;
    up.contract_seq = sub;
    up.mechanism = schema::Mechanism::UPFRONT;
    up.funded_by_entry = block;
    append(payment("prime", "charity", 100000, {prime_off}, under(up)));  // upfront 1,000.00 passed down
    append(payment("prime", "charity", 150000, {prime_off},
                   under(milestone_of(sub, "start", "young", 0, {"a", "b", "c"}))));  // 3 starts, schedule: payer
    UnderSpec w13 = milestone_of(sub, "13 weeks", "young", 2);
    w13.funded_own = true;
    append(payment("prime", "charity", 200000, {prime_off}, under(w13)));  // 2 x 13 weeks, own money
    uint64_t wrong = append(payment("prime", "charity", 50000, {prime_off}, under(milestone_of(sub, "start", "young", 0, {"d"}))));
    append(reversal(wrong, {prime_off}));  // not counted
    outcome = append(payment("council", "prime", 400000, {council_off}, under(milestone_of(head, "26 weeks", "young", 0, {"a"}))));
    UnderSpec o26 = milestone_of(sub, "26 weeks", "young", 0, {"a"});
    o26.funded_by_entry = outcome;
    append(payment("prime", "charity", 250000, {prime_off}, under(o26)));  // passed down, said so
    append(payment("prime", "charity", 250000, {prime_off},
                   under(milestone_of(sub, "26 weeks", "young", 0, {"b"}))));  // passed down, by the schedule
    UnderSpec fee;
    fee.contract_seq = head;
    fee.mechanism = schema::Mechanism::MANAGEMENT_FEE;
    append(payment("council", "prime", 20000, {council_off}, under(fee)));  // fee 200.00
    append(payment("council", "prime", 99999, {council_off}));               // not under a contract
  }
};

}  // namespace

TEST_CASE("contract_report: a subcontract's figures, by hand") {
  Reported w;
  ContractReport r = contract_report(w.L(), "SUB");
  CHECK(r.state.reference == "SUB");
  CHECK(r.state.parent == "HEAD");
  CHECK(r.subject == "employment support");
  // paid: 1,000 upfront + 1,500 starts + 2,000 at 13 weeks + 2 x 2,500 at 26 weeks (the reversed 500 not)
  CHECK(r.paid == 100000 + 150000 + 200000 + 250000 + 250000);
  CHECK(r.paid == 950000);
  CHECK(r.state.paid == 950000);  // the live index agrees with the replay
  CHECK(r.payments == 5);
  CHECK(r.remaining == 1000000 - 950000);
  REQUIRE(r.milestones.size() == 3);
  auto m = [&](const char* milestone) { return r.milestones.at({milestone, "young"}); };
  CHECK(m("start").outcomes == 3);
  CHECK(m("start").amount == 150000);
  CHECK(m("start").payments == 1);
  CHECK(m("13 weeks").outcomes == 2);
  CHECK(m("13 weeks").amount == 200000);
  CHECK(m("26 weeks").outcomes == 2);
  CHECK(m("26 weeks").amount == 500000);
  CHECK(m("26 weeks").payments == 2);
  // payable only on outcomes: the three milestones; not the upfront money
  CHECK(r.outcome_paid == 850000);
  // 8,500 / 9,500 = 89.47...% -> 8947 basis points (rounded down)
  CHECK(r.outcome_share_bp() == 8947);
  // the payer's own money: starts (schedule: payer) and 13 weeks (funded by own)
  CHECK(r.prefinanced == 350000);
  CHECK(r.prefinanced_by == "prime");
  // passed down: the upfront payment funded by the block, and both 26-week payments
  CHECK(r.passed_through == 100000 + 500000);
  CHECK(r.management_fees == 0);
}

TEST_CASE("contract_report: a head contract's figures, by hand") {
  Reported w;
  ContractReport r = contract_report(w.L(), "HEAD");
  CHECK(r.paid == 300000 + 400000 + 20000);
  CHECK(r.payments == 3);
  CHECK(r.remaining == 2000000 - 720000);
  REQUIRE(r.milestones.size() == 1);
  CHECK(r.milestones.at({"26 weeks", "young"}).outcomes == 1);
  CHECK(r.milestones.at({"26 weeks", "young"}).amount == 400000);
  CHECK(r.outcome_paid == 400000);
  CHECK(r.outcome_share_bp() == 5555);  // 4,000 / 7,200 = 55.55...%
  CHECK(r.prefinanced == 0);
  CHECK(r.prefinanced_by.empty());
  CHECK(r.passed_through == 0);
  CHECK(r.management_fees == 20000);
}

TEST_CASE("contract_report: no cap, nothing paid, an unknown reference") {
  Reported w;
  ContractSpec c;
  c.reference = "EMPTY";
  c.payer = "council";
  c.payee = "sme";
  expect_appended(w.L(), contract_agreed(w, c, {w.council_off}));
  ContractReport r = contract_report(w.L(), "EMPTY");
  CHECK(r.paid == 0);
  CHECK(r.remaining == -1);
  CHECK(r.outcome_share_bp() == 0);
  CHECK(r.milestones.empty());
  try {
    contract_report(w.L(), "NO-SUCH");
    FAIL("an unknown reference was reported");
  } catch (const Error& e) {
    CHECK(e.kind == ErrorKind::unusable);
    CHECK(contains(e.what(), "NO-SUCH"));
  }
}

TEST_CASE("contract_report: who financed a milestone is judged by the schedule in force when it was paid") {
  Reported w;
  // The starts move to being financed by the parent, and 13 weeks is dropped.
  VarySpec v;
  v.reference = "SUB";
  v.schedule = std::vector<RowSpec>{{"start", "young", 50000, true}, {"26 weeks", "young", 250000, true}};
  expect_appended(w.L(), contract_varied(w, v, {w.prime_off}));
  w.append(w.payment("prime", "charity", 50000, {w.prime_off}, under(milestone_of(w.sub, "start", "young", 0, {"e"}))));
  ContractReport r = contract_report(w.L(), "SUB");
  CHECK(r.paid == 1000000);
  // the first starts were the payer's to finance when paid; the new one the parent's
  CHECK(r.prefinanced == 350000);
  CHECK(r.passed_through == 600000 + 50000);
  CHECK(r.milestones.at({"start", "young"}).outcomes == 4);
}
