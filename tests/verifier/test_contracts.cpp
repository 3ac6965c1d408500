// Contracts, party statuses and claims (docs/rules.md: rule 2's contract and
// status records, rules 9, 10 and 11). Every ledger here is written byte by
// byte (builder.h), not through the ledger's append path: for each rule one
// ledger where it holds (exit 0) and one where it is broken (exit 1, the
// failure naming the seq and the rule).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"
#include "verdict.h"

using namespace tb;
using M = schema::Mechanism;

namespace {

// The Work Programme shape: a department's head contract with an integrator,
// and two subcontracts the integrator holds with providers under it.
struct World {
  Ledger L;
  Keypair dept = Keypair::fromSeed("dept officer"), prime = Keypair::fromSeed("prime officer"),
          provA = Keypair::fromSeed("provider a officer"), provB = Keypair::fromSeed("provider b officer"),
          provC = Keypair::fromSeed("provider c officer");
  uint64_t head = 0, subA = 0, subB = 0;

  World() {
    using K = schema::PartyKind;
    using R = schema::Role;
    L.registerParty("dept", K::COMMISSIONER);
    L.registerParty("prime", K::INTEGRATOR);
    L.registerParty("prov-a", K::PROVIDER);
    L.registerParty("prov-b", K::PROVIDER);
    L.registerParty("prov-c", K::PROVIDER);
    L.registerParty("fund", K::POOL);
    L.grant("dept", dept, R::OFFICER);
    L.grant("prime", prime, R::OFFICER);
    L.grant("prov-a", provA, R::OFFICER);
    L.grant("prov-b", provB, R::OFFICER);
    L.grant("prov-c", provC, R::OFFICER);
    head = L.agree({.reference = "WP-HEAD", .payer = "dept", .payee = "prime", .cap = 100000000,
                    .schedule = {{"job-outcome", "", 100000}, {"job-outcome", "esa", 200000}, {"sustained", "", 50000}}},
                   {&dept});
    Ledger::Terms sub{.reference = "WP-SUB-A", .payer = "prime", .payee = "prov-a", .parent = "WP-HEAD", .cap = 300000,
                      .schedule = {{"start", "", 10000},
                                   {"job-outcome", "", 80000, true},
                                   {"job-outcome", "esa", 160000, true}}};
    subA = L.agree(sub, {&prime});
    sub.reference = "WP-SUB-B", sub.payee = "prov-b";
    subB = L.agree(sub, {&prime});
  }

  // A payment by the head contract's payer or an integrator, signed by its officer.
  const Keypair* keyOf(const std::string& party) const {
    return party == "dept" ? &dept : party == "prime" ? &prime : party == "prov-a" ? &provA
                                   : party == "prov-b" ? &provB : &provC;
  }
  uint64_t pay(Ledger& l, Ledger::Payment p) { return l.payment(p, {keyOf(p.from)}); }
  uint64_t outcome(Ledger& l, uint64_t contract, const std::string& from, const std::string& to, int64_t unitPrice,
                   std::vector<std::string> claims, const std::string& milestone = "job-outcome",
                   const std::string& group = "") {
    auto n = uint32_t(claims.size());
    return pay(l, {.from = from, .to = to, .amount = unitPrice * n, .mechanism = M::MILESTONE, .contractSeq = contract,
                   .milestone = milestone, .group = group, .outcomeCount = n, .claims = std::move(claims)});
  }
};

}  // namespace

TEST_CASE("contracts: a ledger with contracts, statuses, support, a transfer and claims passes") {
  World w;
  Ledger& L = w.L;
  w.outcome(L, w.head, "dept", "prime", 100000, {"c1", "c2"});
  w.outcome(L, w.subA, "prime", "prov-a", 80000, {"c1"});
  w.outcome(L, w.subB, "prime", "prov-b", 80000, {"c2"});
  w.pay(L, {.from = "prime", .to = "prov-b", .amount = 20000, .mechanism = M::MILESTONE, .contractSeq = w.subB,
            .milestone = "start", .outcomeCount = 2});
  L.status("prov-b", schema::PartyStatus::FINANCIAL_FAILURE, 20251001);
  w.pay(L, {.from = "prime", .to = "prov-b", .amount = 50000, .mechanism = M::SUPPORT, .valueDate = 20251002});
  L.endContract("WP-SUB-B", schema::EndReason::TRANSFERRED, "prov-c", {&w.prime});
  uint64_t subC = L.agree({.reference = "WP-SUB-C", .payer = "prime", .payee = "prov-c", .parent = "WP-HEAD",
                           .start = 20251201, .end = 0, .schedule = {{"job-outcome", "", 80000, true}}},
                          {&w.prime});
  w.pay(L, {.from = "prime", .to = "prov-c", .amount = 80000, .mechanism = M::MILESTONE, .valueDate = 20251215,
            .contractSeq = subC, .milestone = "job-outcome", .outcomeCount = 1, .claims = {"c3"}});
  for (bool dir : {false, true}) {
    Result r = verifyLedger(L, dir);
    CAPTURE(r.out);
    CHECK(r.rc == 0);
    CHECK(r.out.find("contracts 4,") != std::string::npos);
    for (const char* line : {"PASS  rule 9 ", "PASS  rule 10 ", "PASS  rule 11 "})
      CHECK_MESSAGE(r.out.find(line) != std::string::npos, "missing: " << line);
  }
  Result j = runVerify(quote([&] {
                         std::string p = tempDir() + "/l.bundle";
                         writeBundle(p, L.leaves());
                         return p;
                       }()) + " --json");
  auto json = nlohmann::json::parse(j.out);
  CHECK(json["counts"]["contracts"] == 4);
  CHECK(json["checks"].size() == 20);
}

TEST_CASE("rule 9: the total paid under a contract stays within its cap, as last varied") {
  World w;
  Ledger::Payment fee{.from = "prime", .to = "prov-a", .amount = 200000, .contractSeq = w.subA};
  w.pay(w.L, fee);

  Ledger good = w.L;
  fee.amount = 100000;  // exactly the cap of 3000.00
  w.pay(good, fee);
  good.vary("WP-SUB-A", 400000, 0, nullptr, {&w.prime});
  fee.amount = 100000;  // room made by the variation
  w.pay(good, fee);
  holds(good);

  Ledger over = w.L;
  fee.amount = 100001;
  uint64_t bad = w.pay(over, fee);
  broken(over, bad, 9, "paying 1000.01 would take the total paid under contract 'WP-SUB-A' (seq " +
                           std::to_string(w.subA) + ") to 3000.01, over its cap of 3000.00");

  Ledger lowered = w.L;
  uint64_t vary = lowered.vary("WP-SUB-A", 150000, 0, nullptr, {&w.prime});
  broken(lowered, vary, 2, "the new cap 1500.00 is below the 2000.00 already paid under contract 'WP-SUB-A'");
}

TEST_CASE("rule 9: a payment's value date lies within the contract's dates, the end as last varied") {
  World w;
  Ledger::Payment fee{.from = "prime", .to = "prov-a", .amount = 100, .contractSeq = w.subA};
  Ledger good = w.L;
  fee.valueDate = 20250401;  // the start
  w.pay(good, fee);
  fee.valueDate = 20270331;  // the end
  w.pay(good, fee);
  good.vary("WP-SUB-A", 0, 20280331, nullptr, {&w.prime});
  fee.valueDate = 20270401;  // after the first end, within the new one
  w.pay(good, fee);
  holds(good);

  Ledger early = w.L;
  fee.valueDate = 20250331;
  uint64_t bad = w.pay(early, fee);
  broken(early, bad, 9, "value date 2025-03-31 is outside contract 'WP-SUB-A' (seq " + std::to_string(w.subA) +
                            "), which runs from 2025-04-01 to 2027-03-31");

  Ledger late = w.L;
  fee.valueDate = 20270401;
  bad = w.pay(late, fee);
  broken(late, bad, 9, "value date 2027-04-01 is outside contract 'WP-SUB-A'");

  Ledger shortened = w.L;
  shortened.vary("WP-SUB-A", 0, 20260331, nullptr, {&w.prime});
  fee.valueDate = 20260401;
  bad = w.pay(shortened, fee);
  broken(shortened, bad, 9, "value date 2026-04-01 is outside contract 'WP-SUB-A'");
}

TEST_CASE("rule 9: a payment under a contract goes from its payer to its payee") {
  World w;
  Ledger good = w.L;
  w.pay(good, {.from = "prime", .to = "prov-a", .amount = 100, .contractSeq = w.subA});
  holds(good);

  Ledger other = w.L;
  uint64_t bad = w.pay(other, {.from = "prime", .to = "prov-b", .amount = 100, .contractSeq = w.subA});
  broken(other, bad, 9, "contract 'WP-SUB-A' (seq " + std::to_string(w.subA) +
                            ") is from 'prime' to 'prov-a', and this payment goes from 'prime' to 'prov-b'");

  Ledger payer = w.L;
  bad = w.pay(payer, {.from = "dept", .to = "prov-a", .amount = 100, .contractSeq = w.subA});
  broken(payer, bad, 9, "and this payment goes from 'dept' to 'prov-a'");
}

TEST_CASE("rule 9: no payment under a contract after its contractEnded, an unknown contract is refused") {
  World w;
  Ledger::Payment fee{.from = "prime", .to = "prov-a", .amount = 100, .contractSeq = w.subA};
  Ledger good = w.L;
  w.pay(good, fee);
  good.endContract("WP-SUB-A", schema::EndReason::COMPLETED, "", {&w.prime});
  holds(good);

  Ledger after = w.L;
  uint64_t end = after.endContract("WP-SUB-A", schema::EndReason::TERMINATED, "", {&w.prime});
  uint64_t bad = w.pay(after, fee);
  broken(after, bad, 9, "contract 'WP-SUB-A' (seq " + std::to_string(w.subA) + ") ended at seq " +
                            std::to_string(end) + ": no payment may be recorded under it");

  Ledger unknown = w.L;
  uint64_t plain = w.pay(unknown, {.from = "prime", .to = "prov-a", .amount = 100});
  bad = w.pay(unknown, {.from = "prime", .to = "prov-a", .amount = 100, .contractSeq = plain});
  uint64_t future = w.pay(unknown, {.from = "prime", .to = "prov-a", .amount = 100, .contractSeq = 999});
  broken(unknown, bad, 9, "unknown contract: seq " + std::to_string(plain) + " holds no earlier contractAgreed", 2);
  broken(unknown, future, 9, "unknown contract: seq 999", 2);
}

TEST_CASE("rule 9: a milestone payment's amount is the outcome count times the unit price") {
  World w;
  Ledger good = w.L;
  w.pay(good, {.from = "dept", .to = "prime", .amount = 300000, .mechanism = M::MILESTONE, .contractSeq = w.head,
               .milestone = "job-outcome", .outcomeCount = 3});
  holds(good);

  Ledger off = w.L;
  uint64_t bad = w.pay(off, {.from = "dept", .to = "prime", .amount = 299999, .mechanism = M::MILESTONE,
                             .contractSeq = w.head, .milestone = "job-outcome", .outcomeCount = 3});
  broken(off, bad, 9, "milestone 'job-outcome' without a group is priced at 1000.00 per outcome under contract "
                      "'WP-HEAD' (seq " + std::to_string(w.head) + "): 3 outcome(s) make 3000.00, not 2999.99");

  // count x unit price beyond int64: a refusal, not a wrap-around
  Ledger huge = w.L;
  huge.agree({.reference = "BIG", .payer = "dept", .payee = "prov-a", .schedule = {{"m", "", 4000000000000000000}}},
             {&w.dept});
  uint64_t big = huge.records.size() - 1;
  bad = w.pay(huge, {.from = "dept", .to = "prov-a", .amount = 3, .mechanism = M::MILESTONE, .contractSeq = big,
                     .milestone = "m", .outcomeCount = 3});
  broken(huge, bad, 9, "3 outcome(s) make more than 92233720368547758.07, not 0.03");
}

TEST_CASE("rule 9: a milestone payment matches a schedule row, a row without a group only matches no group") {
  World w;
  auto milestone = [&](Ledger& l, const std::string& m, const std::string& g, int64_t amount) {
    return w.pay(l, {.from = "dept", .to = "prime", .amount = amount, .mechanism = M::MILESTONE, .contractSeq = w.head,
                     .milestone = m, .group = g, .outcomeCount = 1});
  };
  Ledger good = w.L;
  milestone(good, "job-outcome", "esa", 200000);
  milestone(good, "job-outcome", "", 100000);
  milestone(good, "sustained", "", 50000);
  holds(good);

  Ledger noMilestone = w.L;
  uint64_t bad = milestone(noMilestone, "interview", "", 100000);
  broken(noMilestone, bad, 9, "contract 'WP-HEAD' (seq " + std::to_string(w.head) +
                                  ") has no schedule row for milestone 'interview' without a group");

  Ledger noGroup = w.L;
  bad = milestone(noGroup, "job-outcome", "jsa", 100000);
  broken(noGroup, bad, 9, "has no schedule row for milestone 'job-outcome' and group 'jsa'");

  Ledger groupOnGrouplessRow = w.L;  // 'sustained' has only a row without a group
  bad = milestone(groupOnGrouplessRow, "sustained", "esa", 50000);
  broken(groupOnGrouplessRow, bad, 9, "has no schedule row for milestone 'sustained' and group 'esa'");
}

TEST_CASE("rule 9: after a variation replaces the schedule, only the new rows count") {
  World w;
  std::vector<Ledger::Row> rows{{"job-outcome", "", 120000}};
  auto outcome = [&](Ledger& l, const std::string& g, int64_t amount) {
    return w.pay(l, {.from = "dept", .to = "prime", .amount = amount, .mechanism = M::MILESTONE, .contractSeq = w.head,
                     .milestone = "job-outcome", .group = g, .outcomeCount = 1});
  };
  Ledger good = w.L;
  outcome(good, "", 100000);  // the agreed price, before the variation
  good.vary("WP-HEAD", 0, 0, &rows, {&w.dept});
  outcome(good, "", 120000);
  holds(good);

  Ledger oldPrice = w.L;
  uint64_t vary = oldPrice.vary("WP-HEAD", 0, 0, &rows, {&w.dept});
  uint64_t bad = outcome(oldPrice, "", 100000);
  broken(oldPrice, bad, 9, "is priced at 1200.00 per outcome");

  Ledger oldRow = w.L;
  vary = oldRow.vary("WP-HEAD", 0, 0, &rows, {&w.dept});
  bad = outcome(oldRow, "esa", 200000);
  broken(oldRow, bad, 9, "has no schedule row for milestone 'job-outcome' and group 'esa' in its current schedule (seq " +
                             std::to_string(vary) + ")");
}

TEST_CASE("rule 10: a claim is paid once per milestone under one contract") {
  World w;
  uint64_t first = w.outcome(w.L, w.head, "dept", "prime", 100000, {"c1"});

  Ledger good = w.L;
  w.outcome(good, w.head, "dept", "prime", 50000, {"c1"}, "sustained");  // another milestone
  w.outcome(good, w.head, "dept", "prime", 100000, {"c2"});             // another claim
  holds(good);

  Ledger twice = w.L;
  uint64_t bad = w.outcome(twice, w.head, "dept", "prime", 100000, {"c2", "c1"});
  for (bool dir : {false, true})  // the hashed index's match is confirmed by re-reading: both kinds of input
    broken(twice, bad, 10, "claim id 'c1' for milestone 'job-outcome' was already paid under contract 'WP-HEAD' (seq " +
                               std::to_string(w.head) + ") at seq " + std::to_string(first), 1, dir);
}

TEST_CASE("rule 10: one claim along a chain of parent contracts is paid once at each level, two budgets are refused") {
  World w;
  Ledger chain = w.L;
  w.outcome(chain, w.head, "dept", "prime", 100000, {"c1"});
  w.outcome(chain, w.subA, "prime", "prov-a", 80000, {"c1"});
  // a third level: prov-a subcontracts under WP-SUB-A
  uint64_t subSub = chain.agree({.reference = "WP-SUB-A-1", .payer = "prov-a", .payee = "prov-c", .parent = "WP-SUB-A",
                                 .schedule = {{"job-outcome", "", 60000, true}}},
                                {&w.provA});
  w.outcome(chain, subSub, "prov-a", "prov-c", 60000, {"c1"});
  holds(chain);

  Ledger siblings = w.L;
  w.outcome(siblings, w.head, "dept", "prime", 100000, {"c1"});
  uint64_t first = w.outcome(siblings, w.subA, "prime", "prov-a", 80000, {"c1"});
  uint64_t bad = w.outcome(siblings, w.subB, "prime", "prov-b", 80000, {"c1"});
  broken(siblings, bad, 10, "claim id 'c1' for milestone 'job-outcome' was already paid under contract 'WP-SUB-A' at seq " +
                                std::to_string(first) + ", which is not on one chain of parent contracts with contract "
                                "'WP-SUB-B' (seq " + std::to_string(w.subB) + ")");

  // Two unrelated head contracts paying one outcome: refused too.
  Ledger budgets = w.L;
  uint64_t other = budgets.agree({.reference = "LA-GRANT", .payer = "dept", .payee = "prov-a",
                                  .schedule = {{"job-outcome", "", 70000}}},
                                 {&w.dept});
  w.outcome(budgets, w.subA, "prime", "prov-a", 80000, {"c9"});
  bad = w.outcome(budgets, other, "dept", "prov-a", 70000, {"c9"});
  broken(budgets, bad, 10, "was already paid under contract 'WP-SUB-A'");
}

TEST_CASE("rule 10: claim ids in a payment are distinct and as many as its outcome count") {
  World w;
  Ledger good = w.L;
  w.outcome(good, w.head, "dept", "prime", 100000, {"c1", "c2"});
  // outside any contract only distinctness is checked: the same claim twice is not a rule 10 failure
  w.pay(good, {.from = "dept", .to = "prov-a", .amount = 100, .mechanism = M::GRANT, .milestone = "job-outcome",
               .outcomeCount = 1, .claims = {"c1"}});
  w.pay(good, {.from = "dept", .to = "prov-a", .amount = 100, .mechanism = M::GRANT, .milestone = "job-outcome",
               .outcomeCount = 1, .claims = {"c1"}});
  holds(good);

  Ledger count = w.L;
  uint64_t bad = w.pay(count, {.from = "dept", .to = "prime", .amount = 200000, .mechanism = M::MILESTONE,
                               .contractSeq = w.head, .milestone = "job-outcome", .outcomeCount = 2, .claims = {"c1"}});
  broken(count, bad, 10, "the outcome count 2 is not the number of claim ids given (1)");

  Ledger dup = w.L;
  bad = w.pay(dup, {.from = "dept", .to = "prov-a", .amount = 100, .mechanism = M::GRANT, .outcomeCount = 2,
                    .claims = {"c1", "c1"}});
  broken(dup, bad, 10, "claim id 'c1' appears more than once in this payment");
}

TEST_CASE("rules 9 and 10: a reversal frees the contract's headroom and the payment's claim ids") {
  World w;
  // 3 x 800.00 = 2400.00 of WP-SUB-A's 3000.00 cap
  uint64_t first = w.outcome(w.L, w.subA, "prime", "prov-a", 80000, {"c1", "c2", "c3"});

  Ledger reversed = w.L;
  reversed.reverse(first, "prime", "prov-a", 240000, {&w.prime});
  w.outcome(reversed, w.subA, "prime", "prov-a", 80000, {"c1", "c2", "c3"});
  holds(reversed);

  Ledger again = w.L;
  uint64_t bad = w.outcome(again, w.subA, "prime", "prov-a", 80000, {"c1", "c2", "c3"});
  broken(again, bad, 9, "to 4800.00, over its cap of 3000.00", 4);
  broken(again, bad, 10, "claim id 'c3' for milestone 'job-outcome' was already paid under contract 'WP-SUB-A' (seq " +
                             std::to_string(w.subA) + ") at seq " + std::to_string(first), 4);
}

TEST_CASE("rule 11: a failed or exited party receives only support, and may still pay") {
  World w;
  w.L.status("prov-a", schema::PartyStatus::SERVICE_FAILURE, 20251001);
  Ledger::Payment toA{.from = "prime", .to = "prov-a", .amount = 5000};

  Ledger good = w.L;
  toA.valueDate = 20250930, toA.mechanism = M::FEE;  // before the failure
  w.pay(good, toA);
  toA.valueDate = 20251001, toA.mechanism = M::SUPPORT;  // rescue money, on the day
  w.pay(good, toA);
  w.pay(good, {.from = "prov-a", .to = "prime", .amount = 5000, .mechanism = M::CLAWBACK, .valueDate = 20251005});
  good.status("prov-a", schema::PartyStatus::ACTIVE, 20251101);  // recovered
  toA.valueDate = 20251101, toA.mechanism = M::FEE;
  w.pay(good, toA);
  holds(good);

  Ledger fee = w.L;
  toA.valueDate = 20251001, toA.mechanism = M::FEE;
  uint64_t bad = w.pay(fee, toA);
  broken(fee, bad, 11, "payee 'prov-a' has the status service failure at 2025-10-01: it may receive only 'support' "
                       "payments, not 'fee'");

  Ledger clawback = w.L;  // DESIGN.md: a clawback is money a failed party pays back, not money it receives
  toA.mechanism = M::CLAWBACK;
  bad = w.pay(clawback, toA);
  broken(clawback, bad, 11, "not 'clawback'");

  Ledger underContract = w.L;
  bad = w.outcome(underContract, w.subA, "prime", "prov-a", 80000, {"c1"});  // value date 2025-11-25
  broken(underContract, bad, 11, "payee 'prov-a' has the status service failure at 2025-11-25");

  // Ties on the date: the later record wins.
  Ledger tieExited = w.L;
  tieExited.status("prov-b", schema::PartyStatus::ACTIVE, 20251001);
  tieExited.status("prov-b", schema::PartyStatus::EXITED, 20251001);
  bad = w.pay(tieExited, {.from = "prime", .to = "prov-b", .amount = 100, .valueDate = 20251010});
  broken(tieExited, bad, 11, "payee 'prov-b' has the status exited");

  Ledger tieActive = w.L;
  tieActive.status("prov-b", schema::PartyStatus::EXITED, 20251001);
  tieActive.status("prov-b", schema::PartyStatus::ACTIVE, 20251001);
  w.pay(tieActive, {.from = "prime", .to = "prov-b", .amount = 100, .valueDate = 20251010});
  holds(tieActive);
}

TEST_CASE("rule 2: contract and party-status records are well founded") {
  World w;
  Ledger good = w.L;
  good.status("prov-b", schema::PartyStatus::FINANCIAL_FAILURE, 20251001);
  good.endContract("WP-SUB-B", schema::EndReason::TRANSFERRED, "prov-c", {&w.prime});
  good.agree({.reference = "WP-SUB-C", .payer = "prime", .payee = "prov-c", .parent = "WP-HEAD", .start = 20251201,
              .schedule = {{"job-outcome", "", 80000, true}, {"job-outcome", "esa", 160000, true}}},
             {&w.prime});
  good.vary("WP-SUB-A", 500000, 20271231, nullptr, {&w.prime}, "extension");
  holds(good);

  Ledger L = w.L;
  auto agree = [&](Ledger::Terms t, const Keypair* k) { return L.agree(t, {k}); };
  uint64_t wrongParent = agree({.reference = "X-PARENT", .payer = "prov-a", .payee = "prov-c", .parent = "WP-HEAD"}, &w.provA);
  uint64_t noParent = agree({.reference = "X-NOPARENT", .payer = "prov-a", .payee = "prov-c", .parent = "NOPE"}, &w.provA);
  uint64_t dupRef = agree({.reference = "WP-SUB-A", .payer = "prime", .payee = "prov-c"}, &w.prime);
  uint64_t backwards = agree({.reference = "X-DATES", .payer = "prime", .payee = "prov-c", .start = 20260101,
                              .end = 20251231}, &w.prime);
  uint64_t noStart = agree({.reference = "X-NOSTART", .payer = "prime", .payee = "prov-c", .start = 0}, &w.prime);
  uint64_t toPool = agree({.reference = "X-POOL", .payer = "prime", .payee = "fund"}, &w.prime);
  uint64_t self = agree({.reference = "X-SELF", .payer = "prime", .payee = "prime"}, &w.prime);
  uint64_t negCap = agree({.reference = "X-CAP", .payer = "prime", .payee = "prov-c", .cap = -1}, &w.prime);
  uint64_t noSubject = agree({.reference = "X-SUBJ", .payer = "prime", .payee = "prov-c", .subject = ""}, &w.prime);
  uint64_t emptyRef = agree({.reference = "", .payer = "prime", .payee = "prov-c"}, &w.prime);
  uint64_t parentRow = agree({.reference = "X-ROWS", .payer = "prime", .payee = "prov-c",
                              .schedule = {{"start", "", 100, true}, {"start", "", 200}, {"", "", 100}, {"end", "", 0}}},
                             &w.prime);
  uint64_t payeeSigned = agree({.reference = "X-SIGNER", .payer = "prime", .payee = "prov-c"}, &w.provC);
  uint64_t feeCap = L.add([&](schema::Entry::Builder e) {
    auto c = e.getBody().initContractAgreed();
    c.setReference("X-FEE");
    c.setPayer("prime");
    c.setPayee("prov-c");
    c.setSubject("fees");
    c.setStartDate(20250401);
    c.setHasFeeCap(true);
    c.setFeeCapBasisPoints(10001);
  }, {&w.prime});
  uint64_t noSuccessor = L.endContract("WP-SUB-B", schema::EndReason::TRANSFERRED, "", {&w.prime});
  uint64_t endedTwice = L.endContract("WP-SUB-B", schema::EndReason::COMPLETED, "", {&w.prime});
  uint64_t varyEnded = L.vary("WP-SUB-B", 0, 20280101, nullptr, {&w.prime});
  uint64_t completedSuccessor = L.endContract("WP-SUB-A", schema::EndReason::COMPLETED, "prov-c", {&w.prime});
  uint64_t unknownSuccessor = L.endContract("WP-HEAD", schema::EndReason::TRANSFERRED, "nobody", {&w.dept});
  uint64_t varyUnknown = L.vary("NOPE", 0, 20280101, nullptr, {&w.prime});
  uint64_t noReason = L.vary("X-DATES", 0, 0, nullptr, {&w.prime}, "");
  uint64_t endBeforeStart = L.vary("X-DATES", 0, 20250101, nullptr, {&w.prime});
  uint64_t ledgerStatus = L.status("ledger", schema::PartyStatus::EXITED, 20251001);
  uint64_t unknownStatus = L.status("nobody", schema::PartyStatus::EXITED, 20251001);
  uint64_t noDate = L.status("prov-a", schema::PartyStatus::EXITED, 0);
  uint64_t badDate = L.status("prov-a", schema::PartyStatus::EXITED, 20250230);
  uint64_t notAdmin = L.add([&](schema::Entry::Builder e) {
    auto s = e.getBody().initPartyStatusChanged();
    s.setParty("prov-a");
    s.setStatus(schema::PartyStatus::EXITED);
    s.setFrom(20251001);
  }, {&w.dept});

  Result r = verifyLedger(L);
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  struct Expected {
    uint64_t seq;
    std::string check, reason;
  };
  for (const Expected& e : std::vector<Expected>{
           {wrongParent, "rule 2", "parent contract 'WP-HEAD' pays 'prime', not this contract's payer 'prov-a'"},
           {noParent, "rule 2", "parent contract 'NOPE' does not exist"},
           {dupRef, "rule 2", "contract reference 'WP-SUB-A' is already used by the contract agreed at seq " +
               std::to_string(w.subA)},
           {backwards, "rule 2", "end date 2025-12-31 is before start date 2026-01-01"},
           {noStart, "format", "contractAgreed.startDate is missing"},
           {toPool, "rule 2", "payee 'fund' is a pool"},
           {self, "rule 2", "payer and payee are the same party 'prime'"},
           {negCap, "rule 2", "cap -0.01 is negative"},
           {noSubject, "format", "contractAgreed.subject is empty"},
           {emptyRef, "format", "contractAgreed.reference is empty"},
           {parentRow, "rule 2", "schedule row 1 ('start') is financed by the parent contract, but the contract has no parent"},
           {parentRow, "rule 2", "schedule row 2 ('start'): milestone 'start' without a group appears twice"},
           {parentRow, "format", "contractAgreed.schedule[2].milestone is empty"},
           {parentRow, "rule 2", "schedule row 4 ('end') has unit price 0.00, not above zero"},
           {payeeSigned, "rule 1", "is not an officer or approver key of 'prime'"},
           {feeCap, "rule 2", "fee cap of 10001 basis points is over 10000"},
           {noSuccessor, "rule 2", "contract 'WP-SUB-B' is transferred but names no successor"},
           {endedTwice, "rule 2", "contract 'WP-SUB-B' already ended at seq " + std::to_string(noSuccessor)},
           {varyEnded, "rule 2", "contract 'WP-SUB-B' ended at seq " + std::to_string(noSuccessor) +
               " and cannot be varied"},
           {completedSuccessor, "rule 2", "only a transferred contract names a successor"},
           {unknownSuccessor, "rule 2", "successor 'nobody' is not a registered party"},
           {varyUnknown, "rule 2", "there is no contract with reference 'NOPE'"},
           {noReason, "format", "contractVaried.reason is empty"},
           {endBeforeStart, "rule 2", "the new end date 2025-01-01 is before the contract's start 2026-01-01"},
           {ledgerStatus, "rule 2", "'ledger' has no status"},
           {unknownStatus, "rule 2", "party 'nobody' is not registered"},
           {noDate, "format", "partyStatusChanged.from is missing"},
           {badDate, "format", "partyStatusChanged.from 20250230 is not a real YYYYMMDD day"},
           {notAdmin, "rule 1", "is not an administrator key"},
       })
    CHECK_MESSAGE(hasFailure(r.out, e.seq, e.check, e.reason), "missing: seq " << e.seq << ": " << e.check << ": ... " << e.reason);
  CHECK(r.out.find("failures (29)") != std::string::npos);
}

TEST_CASE("verifier: the demo ledger made by the fundtrail command verifies clean") {
  struct stat st;
  if (stat(FUNDTRAIL_BIN, &st) != 0) {
    MESSAGE("fundtrail is not built (" FUNDTRAIL_BIN "): skipped");
    return;
  }
  std::string dir = tempDir() + "/demo";
  std::string cmd = "FUNDTRAIL_PASSPHRASE=demo-passphrase timeout 300 " + quote(FUNDTRAIL_BIN) + " demo " + quote(dir) +
                    " >/dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  Result r = runVerify(quote(dir) + " --json");
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.rc == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
  CHECK(j["counts"]["contracts"].get<int>() >= 3);  // a head contract, subcontracts, a transfer's successor
  for (const auto& c : j["checks"])
    if (c["name"] == "rule 9" || c["name"] == "rule 10" || c["name"] == "rule 11") CHECK(c["status"] == "pass");
}
