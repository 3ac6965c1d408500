// Refunds and purchases on the writer's side (DESIGN.md "Rules": a refund is
// signed by its payee, who receives the money back; rule 5 counts the
// payee's keys; rule 12), the flows index rule 12 reads, and a payment's
// reference. The verifier's side is tests/verifier/test_refunds.cpp.
#include <doctest/doctest.h>

#include "raw_lmdb.h"
#include "test_ledger_support.h"

using namespace ft_test;
using M = schema::Mechanism;

namespace {

struct Books : World {
  Books() { append(party("stationer", PartyKind::PROVIDER, {admin})); }  // no keys: only paid by the council
  SignedRequest purchase(const std::string& to, int64_t amount) {
    return payment("council", to, amount, {council_off}, [](spec::Payment& p) {
      p.mechanism = M::PURCHASE;
      p.reference = "INV-2025-0001";
    });
  }
  SignedRequest refund(const std::string& from, const std::string& to, int64_t amount, const Signers& signers,
                       const PaymentMore& more = {}) {
    return payment(from, to, amount, signers, [&](spec::Payment& p) {
      p.mechanism = M::REFUND;
      if (more) more(p);
    });
  }
};

}  // namespace

TEST_CASE("refunds: a credit note signed by the council alone moves money back, up to what the council paid") {
  Books b;
  b.append(b.purchase("stationer", 100000));
  int64_t council = b.balance("council");
  expect_appended(b.L(), b.refund("stationer", "council", 30000, {b.council_off}));
  CHECK(b.balance("council") == council + 30000);
  CHECK(b.balance("stationer") == 100000 - 30000);
  expect_appended(b.L(), b.refund("stationer", "council", 70000, {b.council_off}));  // exactly what was paid
  std::string msg = expect_refused(b.L(), b.refund("stationer", "council", 1, {b.council_off}), 12);
  CHECK(msg.find("above the 1000.00") != std::string::npos);
}

TEST_CASE("refunds: rule 12 counts payments net of reversals, and a refund's reversal is signed by its payee") {
  Books b;
  uint64_t pay = b.append(b.purchase("stationer", 100000));
  b.append(b.reversal(pay, {b.council_off}));
  expect_refused(b.L(), b.refund("stationer", "council", 100, {b.council_off}), 12);
  b.append(b.purchase("stationer", 5000));
  uint64_t back = expect_appended(b.L(), b.refund("stationer", "council", 5000, {b.council_off}));
  expect_refused(b.L(), b.reversal(back, {b.sme_off}), 1);  // not the refund's payee
  b.append(b.reversal(back, {b.council_off}));
  CHECK(b.balance("stationer") == 5000);
  expect_appended(b.L(), b.refund("stationer", "council", 5000, {b.council_off}));  // the reversed refund freed it
}

TEST_CASE("refunds: never drawn from a pool or a budget-limited party, and paid under no contract") {
  Books b;
  b.append(b.contribution("council", "pool", 500000, {b.council_off}));
  CHECK(expect_refused(b.L(), b.refund("pool", "council", 100, {b.council_off, b.pool_off}), 12).find("pool") !=
        std::string::npos);
  b.append(b.purchase("charity", 50000));
  CHECK(expect_refused(b.L(), b.refund("charity", "council", 100, {b.council_off, b.charity_off}), 12)
            .find("budget-limited") != std::string::npos);
  b.append(b.purchase("stationer", 50000));
  expect_refused(b.L(),
                 b.refund("stationer", "council", 100, {b.council_off},
                          [](spec::Payment& p) {
                            p.outcome_count = 1;
                            p.claim_ids = {"c-1"};
                          }),
                 12);
}

TEST_CASE("refunds: a payer with keys co-signs, the payee signs, and dual control counts the payee's keys") {
  Books b;
  b.append(b.purchase("sme", 50000));
  CHECK(expect_refused(b.L(), b.refund("sme", "council", 100, {b.council_off}), 12).find("co-signed") != std::string::npos);
  expect_appended(b.L(), b.refund("sme", "council", 100, {b.council_off, b.sme_off}));
  expect_refused(b.L(), b.refund("sme", "council", 100, {b.sme_off}), 1);       // no officer of the council
  expect_refused(b.L(), b.refund("sme", "council", 100, {b.council_off, b.prime_off}), 1);  // a stranger to both
  for (int i = 0; i < 2; ++i) b.append(b.purchase("stationer", 900000));
  expect_refused(b.L(), b.refund("stationer", "council", kThreshold, {b.council_off}), 5);
  expect_appended(b.L(), b.refund("stationer", "council", kThreshold, {b.council_off, b.council_off2}));
}

TEST_CASE("refunds: a refund may go back to a pool that paid") {
  Books b;
  b.append(b.contribution("council", "pool", 500000, {b.council_off}));
  b.append(b.payment("pool", "stationer", 20000, {b.pool_off}, [](spec::Payment& p) { p.mechanism = M::PURCHASE; }));
  expect_appended(b.L(), b.refund("stationer", "pool", 5000, {b.pool_off}));
  CHECK(b.balance("pool") == 500000 - 20000 + 5000);
  // A plain payment into a pool is still refused: money goes in by contribution.
  expect_refused(b.L(), b.payment("council", "pool", 100, {b.council_off}), 2);
}

TEST_CASE("payments: a reference of up to 200 bytes is kept, and a longer one is refused as limits") {
  Books b;
  uint64_t seq = expect_appended(b.L(), b.payment("council", "stationer", 100, {b.council_off}, [](spec::Payment& p) {
    p.mechanism = M::PURCHASE;
    p.reference = std::string(200, 'r');
  }));
  Record rec(b.L().leaf(seq));
  CHECK(std::string(rec.entry().getBody().getPayment().getReference().cStr()) == std::string(200, 'r'));
  expect_refused(b.L(),
                 b.payment("council", "stationer", 100, {b.council_off}, [](spec::Payment& p) { p.reference = std::string(201, 'r'); }),
                 "limits");
}

TEST_CASE("flows: a ledger made before the flows index gets it from its records when opened for writing") {
  Books b;
  b.append(b.purchase("stationer", 100000));
  uint64_t back = b.append(b.refund("stationer", "council", 40000, {b.council_off}));
  b.close();
  {
    RawEnv raw(b.dir);
    MDB_txn* txn;
    REQUIRE(mdb_txn_begin(raw.env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, "flows", 0, &dbi) == 0);
    REQUIRE(mdb_drop(txn, dbi, 1) == 0);  // as a ledger made before it
    REQUIRE(mdb_txn_commit(txn) == 0);
  }
  b.reopen(true);  // read-only: opens without it
  CHECK(b.L().size() == back + 1);
  b.reopen(false);  // for writing: rebuilt from the records
  expect_refused(b.L(), b.refund("stationer", "council", 60001, {b.council_off}), 12);
  expect_appended(b.L(), b.refund("stationer", "council", 60000, {b.council_off}));
  CHECK(b.L().check_indexes(b.tmp.path()).differences.empty());
}
