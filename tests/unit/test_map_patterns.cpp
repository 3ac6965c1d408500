// map patterns: free-riding, claims paid twice and near misses, layers, cycles.
#include "test_map_support.h"

using namespace map_test;

TEST_CASE("map patterns: a free rider — short of its agreed share, and benefiting without contributing") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.party("police", PartyKind::FUNDER);
  b.pool("pool", "council", {{"council", 6000}, {"nhs", 4000}});
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  b.contribute("council", "pool", 900);
  b.contribute("nhs", "pool", 100);
  uint64_t p1 = b.pay("pool", "prime", 500);
  b.pay("prime", "care", 250, {Mechanism::BLOCK, 20250401, std::to_string(p1)});
  b.assign("council", {"prime"}, "care at home", ResponsibilityKind::CONTRACT);
  b.assign("prime", {"care"}, "care at home");
  b.assign("police", {"care"}, "community safety", ResponsibilityKind::INFORMAL);
  map::Map m = b.map();

  map::Patterns p = map::patterns(m);
  // 1000 contributed: a 60/40 split expects 600 and 400; nhs put in 100.
  REQUIRE(p.shares.size() == 2);
  const auto& council = p.shares[0].party == "council" ? p.shares[0] : p.shares[1];
  const auto& nhs = p.shares[0].party == "council" ? p.shares[1] : p.shares[0];
  CHECK(council.expected == gbp(600));
  CHECK(council.contributed == gbp(900));
  CHECK_FALSE(council.free_rider);
  CHECK(nhs.agreed_bp == 4000);
  CHECK(nhs.expected == gbp(400));
  CHECK(nhs.contributed == gbp(100));
  CHECK(nhs.free_rider);
  // police answers for care, which 250 of the pool's money reached, and put nothing in.
  REQUIRE(p.non_contributors.size() == 1);
  CHECK(p.non_contributors[0].pool == "pool");
  CHECK(p.non_contributors[0].party == "police");
  CHECK(p.non_contributors[0].via == "care");
  CHECK(p.non_contributors[0].amount == gbp(250));

  std::string text = map::to_text(m, p);
  CHECK(contains(text, "nhs agreed 40.00%, expected GBP 400.00, contributed GBP 100.00  ! short by GBP 300.00"));
  CHECK(contains(text, "put nothing into pool"));
  std::string summary = map::summary_text(m);
  CHECK(contains(summary, "police benefits from pool (through care) without contributing"));
  CHECK(contains(summary, "nhs put 100.00 into pool, short of the 400.00 its agreed 40.00% implies"));
}

TEST_CASE("map patterns: the same claim paid by two budgets, and the same claim passed down a chain") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  Pay outcome{Mechanism::MILESTONE, 20251001, "", "26 weeks", {"claim-1"}};
  uint64_t s1 = b.pay("council", "prime", 100, outcome);
  uint64_t s2 = b.pay("prime", "care", 60, outcome);  // passed down: paid once at each level
  Pay other{Mechanism::MILESTONE, 20251001, "", "26 weeks", {"claim-2"}};
  b.pay("council", "prime", 100, other);
  b.pay("prime", "care", 60, other);
  map::Patterns clean = map::patterns(b.map());
  CHECK(clean.paid_twice.empty());

  uint64_t s3 = b.pay("nhs", "prime", 100, outcome);  // a second budget pays the same outcome
  map::Patterns p = map::patterns(b.map());
  REQUIRE(p.paid_twice.size() == 1);
  CHECK(p.paid_twice[0].claim == "claim-1");
  CHECK(p.paid_twice[0].milestone == "26 weeks");
  CHECK(p.paid_twice[0].seqs == std::vector<uint64_t>{s1, s2, s3});
}

TEST_CASE("map patterns: a near miss — one subject funded from two pools") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.pool("pool-a", "council", {});
  b.pool("pool-b", "council", {});
  b.party("care", PartyKind::PROVIDER);
  b.contribute("council", "pool-a", 500);
  b.contribute("council", "pool-b", 500);
  b.pay("pool-a", "care", 100);
  b.pay("pool-b", "care", 70);
  b.assign("council", {"care"}, "meals");
  map::Patterns p = map::patterns(b.map());
  REQUIRE(p.near_misses.size() == 1);
  CHECK(p.near_misses[0].subject == "meals");
  REQUIRE(p.near_misses[0].pools.size() == 2);
  CHECK(amount_of(p.near_misses[0].pools, "pool-a") == gbp(100));
  CHECK(amount_of(p.near_misses[0].pools, "pool-b") == gbp(70));
}

TEST_CASE("map patterns: layers of intermediaries and cycles of money") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {});
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  b.party("sub", PartyKind::PROVIDER);
  b.contribute("council", "pool", 1000);
  b.pay("pool", "prime", 500);
  b.pay("prime", "care", 300);
  b.pay("care", "sub", 100);
  b.pay("sub", "care", 10, {Mechanism::CLAWBACK});  // money going back is not a cycle
  map::Patterns p = map::patterns(b.map());
  CHECK(p.layers == 4);  // council -> pool -> prime -> care -> sub
  CHECK(p.layer_of.at("council") == 0);
  CHECK(p.layer_of.at("prime") == 2);
  CHECK(p.layer_of.at("sub") == 4);
  CHECK(p.cycles.empty());

  b.pay("sub", "prime", 20, {Mechanism::FEE});  // now money goes round: prime -> care -> sub -> prime
  map::Patterns q = map::patterns(b.map());
  REQUIRE(q.cycles.size() == 1);
  CHECK(q.cycles[0] == std::vector<std::string>{"care", "prime", "sub"});
  CHECK(q.layers == 2);  // council -> pool -> {prime, care, sub}
  CHECK(contains(map::to_text(b.map(), q), "money goes round between care, prime, sub"));
}
