// Ledger::append_each, the group commit under `fundtrail serve`: requests are
// validated in order against the state the earlier ones leave, in one write
// transaction; a refused one leaves no trace and spoils nothing.
#include <doctest/doctest.h>

#include "test_ledger_support.h"

using namespace ft_test;

TEST_CASE("append_each: refusals are values, the rest are appended in order against the state before them") {
  World w;
  w.append(w.contribution("council", "pool", 1000, {w.council_off}));
  uint64_t start = w.L().size();
  SignedRequest first = w.payment("pool", "prime", 600, {w.pool_off});
  SignedRequest overdraft = w.payment("pool", "prime", 600, {w.pool_off});  // after `first`, the pool holds 400
  SignedRequest forged = w.payment("pool", "prime", 10, {w.stranger});
  SignedRequest fits = w.payment("pool", "prime", 400, {w.pool_off});
  SignedRequest again = first;                                             // the same request: a retry
  SignedRequest clash = w.payment("pool", "sme", 1, {w.pool_off}, {}, key(*idempotency_key_of(first)));
  std::vector<SignedRequest> group{first, overdraft, forged, fits, again, clash};
  std::vector<AppendOutcome> out = w.L().append_each(group);
  REQUIRE(out.size() == group.size());

  REQUIRE(out[0].appended);
  CHECK(out[0].appended->seq == start);
  REQUIRE(out[1].refused);
  CHECK(out[1].refused->check == "rule 4");
  REQUIRE(out[2].refused);
  CHECK(out[2].refused->check == "rule 1");
  REQUIRE(out[3].appended);
  CHECK(out[3].appended->seq == start + 1);  // the refusals took no seq
  REQUIRE(out[4].appended);
  CHECK(out[4].appended->retried);
  CHECK(out[4].appended->seq == start);
  REQUIRE(out[5].refused);
  CHECK(out[5].refused->check == "rule 6");
  CHECK(out[5].refused->seq == start);

  CHECK(w.L().size() == start + 2);
  CHECK(w.balance("pool") == 0);
  CHECK(w.balance("prime") == 1000);
  // A refused request left nothing: not even its idempotency key.
  CHECK(!w.L().find_idempotency_key(*idempotency_key_of(overdraft)));
  CHECK(!w.L().find_idempotency_key(*idempotency_key_of(forged)));
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
}

TEST_CASE("append_each: the same requests one at a time give the same ledger state") {
  World a, b;
  auto requests = [](World& w) {
    std::vector<SignedRequest> group;
    group.push_back(w.contribution("council", "pool", 5000, {w.council_off}));
    for (int i = 0; i < 20; ++i) group.push_back(w.payment("pool", i % 2 ? "prime" : "sme", 300 + i, {w.pool_off}));
    return group;
  };
  std::vector<AppendOutcome> out = a.L().append_each(requests(a));
  size_t refused = 0;
  for (auto& o : out) refused += o.refused.has_value();
  CHECK(refused > 0);  // the pool runs dry part-way
  for (auto& r : requests(b)) {
    try {
      b.L().append(r);
    } catch (const Error&) {
    }
  }
  CHECK(a.L().size() == b.L().size());
  for (const char* p : {"pool", "prime", "sme"}) CHECK(a.balance(p) == b.balance(p));
  CHECK(a.L().append_each(std::vector<SignedRequest>{}).empty());
}

TEST_CASE("precheck: what needs no ledger state is refused before any lock, and a prechecked group commits alike") {
  World w;
  w.append(w.contribution("council", "pool", 1000, {w.council_off}));
  uint64_t start = w.L().size();
  // A signature that does not verify.
  SignedRequest tampered = w.payment("pool", "prime", 10, {w.pool_off});
  tampered.signatures.at(0).sig[0] ^= 0x01;
  try {
    Ledger::precheck(tampered);
    FAIL("a bad signature passed precheck");
  } catch (const Error& e) {
    CHECK(e.check == "rule 1");
  }
  SignedRequest unsigned_request = w.payment("pool", "prime", 10, {});
  CHECK_THROWS_AS(Ledger::precheck(unsigned_request), Error);
  SignedRequest garbage{Bytes(24, 0xff), {}};
  try {
    Ledger::precheck(garbage);
    FAIL("bytes that are no entry passed precheck");
  } catch (const Error& e) {
    bool malformed = e.check == "canonical" || e.check == "format";
    CHECK(malformed);
  }
  CHECK(w.L().size() == start);  // precheck touches no ledger

  // A stranger's valid signature passes precheck (who may sign is a ledger
  // rule) and is refused by rule 1 in the group, as with append_each of
  // unchecked requests.
  std::vector<CheckedRequest> group;
  group.push_back(Ledger::precheck(w.payment("pool", "prime", 600, {w.pool_off})));
  group.push_back(Ledger::precheck(w.payment("pool", "prime", 10, {w.stranger})));
  group.push_back(Ledger::precheck(w.payment("pool", "prime", 600, {w.pool_off})));  // overdraws after the first
  std::vector<AppendOutcome> out = w.L().append_each(group);
  REQUIRE(out.size() == 3);
  REQUIRE(out[0].appended);
  CHECK(out[0].appended->seq == start);
  REQUIRE(out[1].refused);
  CHECK(out[1].refused->check == "rule 1");
  REQUIRE(out[2].refused);
  CHECK(out[2].refused->check == "rule 4");
  CHECK(w.L().size() == start + 1);
  CHECK(w.balance("prime") == 600);
}
