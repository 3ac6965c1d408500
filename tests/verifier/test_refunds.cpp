// Refunds and purchases on the verifier's side (DESIGN.md "Rules": rule 1's
// acting party for a refund is its payee, rule 5 with the payee's keys, rule
// 12), and a payment's reference within its limit. Every ledger is written
// byte by byte (builder.h), so the verifier is checked against ledgers the
// writer would refuse.
#include <doctest/doctest.h>

#include "verdict.h"

using namespace tb;
using M = schema::Mechanism;
using K = schema::PartyKind;
using R = schema::Role;

namespace {

struct Books {
  Ledger L{"example.gov.uk/fundtrail/refunds", "GBP", 1000000};  // dual control at 10,000.00
  Keypair council = Keypair::fromSeed("refunds council officer"), council2 = Keypair::fromSeed("refunds council officer 2"),
          supplierOfficer = Keypair::fromSeed("refunds keyed supplier officer"),
          poolOfficer = Keypair::fromSeed("refunds pool officer");
  Books() {
    L.registerParty("council", K::COMMISSIONER);
    L.registerParty("stationer", K::PROVIDER);            // no keys: a supplier the council only pays
    L.registerParty("keyed-supplier", K::PROVIDER);       // signs for itself
    L.registerParty("limited", K::PROVIDER, true);        // budget-limited
    L.registerParty("pool", K::POOL);
    L.grant("council", council, R::OFFICER);
    L.grant("council", council2, R::OFFICER);
    L.grant("keyed-supplier", supplierOfficer, R::OFFICER);
    L.grant("pool", poolOfficer, R::OFFICER);
  }
  uint64_t purchase(const std::string& to, int64_t amount) {
    return L.payment({.from = "council", .to = to, .amount = amount, .mechanism = M::PURCHASE, .reference = "INV-1"},
                     {&council});
  }
  uint64_t refund(const std::string& from, const std::string& to, int64_t amount, std::vector<const Keypair*> signers) {
    return L.payment({.from = from, .to = to, .amount = amount, .mechanism = M::REFUND}, signers);
  }
};

}  // namespace

TEST_CASE("verifier: refunds: a credit note signed by the council alone, up to what it paid, passes") {
  Books b;
  b.purchase("stationer", 100000);
  b.refund("stationer", "council", 30000, {&b.council});
  b.refund("stationer", "council", 70000, {&b.council});  // exactly what was paid
  uint64_t pay = b.purchase("keyed-supplier", 50000);
  b.refund("keyed-supplier", "council", 20000, {&b.council, &b.supplierOfficer});
  b.L.reverse(pay + 1, "keyed-supplier", "council", 20000, {&b.council});  // the refund's payee reverses it
  holds(b.L);
}

TEST_CASE("verifier: refunds: above what was paid, net of reversals, is rule 12") {
  Books b;
  b.purchase("stationer", 100000);
  b.refund("stationer", "council", 60000, {&b.council});
  uint64_t over = b.refund("stationer", "council", 40001, {&b.council});
  broken(b.L, over, 12, "above the 1000.00");

  Books c;
  uint64_t pay = c.purchase("stationer", 100000);
  c.L.reverse(pay, "council", "stationer", 100000, {&c.council});
  uint64_t after = c.refund("stationer", "council", 100, {&c.council});
  broken(c.L, after, 12, "above the 0.00");
}

TEST_CASE("verifier: refunds: never from a pool or a budget-limited party, and under no contract") {
  Books b;
  b.L.contribute("council", "pool", 500000, {&b.council});
  uint64_t fromPool = b.refund("pool", "council", 100, {&b.council, &b.poolOfficer});
  broken(b.L, fromPool, 12, "a pool", 2);  // and nothing was paid to the pool: over the 0.00

  Books c;
  c.purchase("limited", 50000);
  uint64_t fromLimited = c.refund("limited", "council", 100, {&c.council});
  broken(c.L, fromLimited, 12, "budget-limited");

  Books d;
  d.purchase("stationer", 50000);
  uint64_t claimed = d.L.payment({.from = "stationer", .to = "council", .amount = 100, .mechanism = M::REFUND,
                                  .outcomeCount = 1, .claims = {"c-1"}},
                                 {&d.council});
  broken(d.L, claimed, 12, "contract or claims");
}

TEST_CASE("verifier: refunds: a payer that holds keys co-signs, the payee signs, dual control counts the payee's keys") {
  Books b;
  b.purchase("keyed-supplier", 50000);
  uint64_t alone = b.refund("keyed-supplier", "council", 100, {&b.council});
  broken(b.L, alone, 12, "none of its officers co-signed");

  Books c;
  c.purchase("stationer", 50000);
  uint64_t bySupplierKey = c.refund("stationer", "council", 100, {&c.supplierOfficer});
  broken(c.L, bySupplierKey, 1, "a refund is signed by its payee", 2);  // and no officer of the council signed

  Books d;  // purchases under the threshold, then a credit note at it
  for (int i = 0; i < 2; ++i) d.purchase("stationer", 900000);
  uint64_t one = d.refund("stationer", "council", 1000000, {&d.council});
  broken(d.L, one, 5, "valid key(s) of 'council'");
  Books e;
  for (int i = 0; i < 2; ++i) e.purchase("stationer", 900000);
  e.refund("stationer", "council", 1000000, {&e.council, &e.council2});
  holds(e.L);
}

TEST_CASE("verifier: a payment's reference is text of at most 200 bytes") {
  Books b;
  b.L.payment({.from = "council", .to = "stationer", .amount = 100, .mechanism = M::PURCHASE,
               .reference = std::string(200, 'r')},
              {&b.council});
  holds(b.L);
  uint64_t big = b.L.payment({.from = "council", .to = "stationer", .amount = 100, .mechanism = M::PURCHASE,
                              .reference = std::string(201, 'r')},
                             {&b.council});
  Result r = verifyLedger(b.L);
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(hasFailure(r.out, big, "limits", "payment.reference"));
}
