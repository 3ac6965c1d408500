// map concentration: market shares with the Herfindahl-Hirschman index,
// dependence, and dominators (a plain tree beside a network with a real one).
#include "test_map_support.h"

using namespace map_test;

TEST_CASE("map concentration: HHI of providers' shares, computed exactly") {
  CHECK(map::hhi({}) == 0);
  CHECK(map::hhi({5}) == 10000);
  CHECK(map::hhi({1, 1, 1, 1}) == 2500);
  CHECK(map::hhi({1, 2}) == 5556);  // (1/3)^2 + (2/3)^2 = 5/9 = 5555.6

  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("a", PartyKind::PROVIDER);
  b.party("b", PartyKind::PROVIDER);
  b.party("c", PartyKind::PROVIDER);
  b.pay("council", "a", 600, {Mechanism::GRANT});
  b.pay("council", "b", 300, {Mechanism::GRANT});
  b.pay("council", "c", 100, {Mechanism::GRANT});
  map::Map m = b.map();
  map::Concentration c = map::concentration(m);
  REQUIRE(c.markets.size() == 1);
  const map::Market& mk = c.markets[0];
  CHECK(mk.spender == "council");
  CHECK(mk.total == gbp(1000));
  REQUIRE(mk.shares.size() == 3);
  CHECK(mk.shares[0].party == "a");
  CHECK(mk.shares[2].party == "c");
  CHECK(mk.hhi == 4600);  // 60^2 + 30^2 + 10^2
  CHECK(mk.level == "highly concentrated");
  std::string text = map::to_text(m, c);
  CHECK(contains(text, "HHI 4600 (highly concentrated)"));
  CHECK(contains(text, "60.00%  GBP 600.00"));
  // Each provider depends on one payer entirely.
  REQUIRE(c.dependence.size() == 3);
  for (auto& d : c.dependence) CHECK(d.bp == 10000);
}

TEST_CASE("map concentration: a pool's market is measured from the pool's own payments") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {});
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("sub", PartyKind::PROVIDER, [](spec::PartyRegistered& p) { p.controlled_by = "prime"; });
  b.party("indie", PartyKind::PROVIDER);
  b.contribute("council", "pool", 1000);
  b.pay("pool", "prime", 900);
  b.pay("prime", "sub", 600);
  b.pay("prime", "indie", 300);
  map::Map m = b.map();
  map::Concentration c = map::concentration(m);
  // Two markets, council's and the pool's, each 600 / 300: HHI 10000 * (36 + 9) / 81 = 5555.6.
  REQUIRE(c.markets.size() == 2);
  for (auto& mk : c.markets) {
    CHECK(mk.total == gbp(900));
    CHECK(mk.hhi == 5556);
    CHECK(amount_of(mk.shares, "sub") == gbp(600));
  }
}

TEST_CASE("map concentration: a plain tree lists no dominators and says every intermediary is trivially one") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("a", PartyKind::PROVIDER);
  b.party("b", PartyKind::PROVIDER);
  b.pay("council", "prime", 1000);
  b.pay("prime", "a", 400);
  b.pay("prime", "b", 400);
  b.pay("a", "prime", 50, {Mechanism::CLAWBACK});  // money going back is not a second funding path
  map::Map m = b.map();
  map::Concentration c = map::concentration(m);
  CHECK(c.dominators.plain_tree);
  CHECK(c.dominators.merges.empty());
  CHECK(c.dominators.dominators.empty());
  std::string text = map::to_text(m, c);
  CHECK(contains(text, "plain tree"));
  CHECK(contains(text, "trivially"));
  CHECK_FALSE(contains(text, "real dominator"));
  CHECK(map::to_json(m, c)["dominators"]["plain_tree"] == true);
}

TEST_CASE("map concentration: a network with two funding paths has a real dominator") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("a", PartyKind::PROVIDER);
  b.party("b", PartyKind::PROVIDER);
  b.party("x", PartyKind::PROVIDER);
  b.pay("council", "prime", 1000);
  b.pay("prime", "a", 400);
  b.pay("prime", "b", 400);
  b.pay("a", "x", 100);
  b.pay("b", "x", 100);
  map::Map m = b.map();
  map::Dominators d = map::concentration(m).dominators;
  CHECK_FALSE(d.plain_tree);
  REQUIRE(d.merges.size() == 1);
  CHECK(d.merges[0].party == "x");
  CHECK(d.merges[0].payers == std::vector<std::string>{"a", "b"});
  CHECK(d.merges[0].idom == "prime");  // both paths to x pass through prime
  REQUIRE(d.dominators.size() == 1);   // council starts the money: not a chokepoint
  CHECK(d.dominators.at("prime") == std::vector<std::string>{"x"});
  std::string text = map::to_text(m, map::concentration(m));
  CHECK(contains(text, "The prime (prime) is a real dominator: everything reaching x passes through it"));
}

TEST_CASE("map concentration: where two first payers meet, no single party dominates") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.party("care", PartyKind::PROVIDER);
  b.pay("council", "care", 100);
  b.pay("nhs", "care", 100);
  map::Dominators d = map::concentration(b.map()).dominators;
  CHECK_FALSE(d.plain_tree);
  REQUIRE(d.merges.size() == 1);
  CHECK(d.merges[0].idom.empty());
  CHECK(d.dominators.empty());
}
