// map money: follow the money, by funded-by and pro rata, with pre-financing
// shown apart. Every expected figure is worked out by hand in the comments.
#include "test_map_support.h"

using namespace map_test;

TEST_CASE("map money: a provider paid by two integrators") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("prime-a", PartyKind::INTEGRATOR);
  b.party("prime-b", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  b.pay("council", "prime-a", 1000);
  b.pay("council", "prime-b", 500);
  b.pay("prime-a", "care", 600);
  b.pay("prime-b", "care", 300);
  map::Map m = b.map();

  // council paid 1000 + 500; care holds 600 + 300, the primes what they kept.
  map::MoneyReport r = map::follow_money(m);
  REQUIRE(r.sources.size() == 1);
  CHECK(r.sources[0].party == "council");
  CHECK(r.sources[0].paid_out == gbp(1500));
  REQUIRE(r.sources[0].held.size() == 3);
  CHECK(r.sources[0].held[0].party == "care");
  CHECK(r.sources[0].held[0].amount == gbp(900));
  CHECK(amount_of(r.sources[0].held, "prime-a") == gbp(400));
  CHECK(amount_of(r.sources[0].held, "prime-b") == gbp(200));
  CHECK(r.prefinancing.empty());
  CHECK(r.pro_rata == gbp(900));  // the primes' untagged payments
  CHECK(r.followed_by_tag == 0);

  // care depends on prime-a for 600 of 900 = 66.67%.
  map::Concentration c = map::concentration(m);
  REQUIRE(c.dependence.size() == 1);
  CHECK(c.dependence[0].provider == "care");
  CHECK(c.dependence[0].top_payer == "prime-a");
  CHECK(c.dependence[0].received == gbp(900));
  CHECK(c.dependence[0].bp == 6667);
  CHECK(c.dependence[0].payers == 2);

  // Two funding edges end at care, one per integrator.
  auto v = *m.find("care");
  int funding_in = 0;
  for (auto [e, end] = in_edges(v, m.graph); e != end; ++e) funding_in += m.graph[*e].type == map::EdgeType::funding;
  CHECK(funding_in == 2);
  CHECK(m.graph[v].received == gbp(900));

  std::string text = map::to_text(m, r);
  CHECK(contains(text, "GBP 1,500.00"));
  CHECK(contains(text, "GBP 900.00  60.00%"));
  nlohmann::json j = map::to_json(m, r);
  CHECK(j["sources"][0]["paid_out"] == "1500.00");
  CHECK(j["sources"][0]["paid_out_minor"] == gbp(1500));
}

TEST_CASE("map money: milestones pre-financed by an integrator, later recovered by outcome payments") {
  Books b;
  b.party("dept", PartyKind::COMMISSIONER);
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("hope", PartyKind::PROVIDER);
  uint64_t block = b.pay("dept", "prime", 2000, {Mechanism::BLOCK, 20250410});
  b.pay("prime", "hope", 300, {Mechanism::MILESTONE, 20250501, "own", "start", {"c1", "c2", "c3"}});
  b.pay("prime", "hope", 400, {Mechanism::MILESTONE, 20250601, "own", "job entry", {"c1", "c2"}});
  uint64_t outcome = b.pay("dept", "prime", 1000, {Mechanism::MILESTONE, 20251001, "", "26 weeks", {"c1"}});
  b.pay("prime", "hope", 600, {Mechanism::MILESTONE, 20251005, std::to_string(outcome), "26 weeks", {"c1"}});
  b.pay("prime", "hope", 500, {Mechanism::BLOCK, 20251010, std::to_string(block)});
  map::Map m = b.map();

  map::MoneyReport r = map::follow_money(m);
  // dept paid 2000 + 1000. prime passed 600 (tagged to the outcome) and 500
  // (tagged to the block) of dept's money: 1900 stays with prime, 1100 with hope.
  REQUIRE(r.sources.size() == 1);
  CHECK(r.sources[0].paid_out == gbp(3000));
  CHECK(amount_of(r.sources[0].held, "prime") == gbp(1900));
  CHECK(amount_of(r.sources[0].held, "hope") == gbp(1100));
  CHECK(r.followed_by_tag == gbp(1100));
  CHECK(r.pro_rata == 0);
  // Pre-financing: 300 + 400 own funds, all now with hope. Outcome payments
  // received after the first pre-financed payment: 1000, of which 600 was
  // passed on tagged to it, so 400 came back and 300 is outstanding.
  REQUIRE(r.prefinancing.size() == 1);
  const map::PreFinancing& pf = r.prefinancing[0];
  CHECK(pf.party == "prime");
  CHECK(pf.prefinanced == gbp(700));
  CHECK(pf.loan == 0);
  CHECK(pf.recovered == gbp(400));
  CHECK(pf.outstanding == gbp(300));
  REQUIRE(pf.went_to.size() == 1);
  CHECK(pf.went_to[0].party == "hope");
  CHECK(pf.went_to[0].amount == gbp(700));
  CHECK(contains(map::to_text(m, r), "pre-financing"));

  // The funding edge prime -> hope (milestone) splits own 700 and tagged 600.
  for (auto [e, end] = edges(m.graph); e != end; ++e) {
    const map::EdgeData& d = m.graph[*e];
    if (d.type != map::EdgeType::funding || d.mechanism != "milestone" || m.graph[source(*e, m.graph)].id != "prime") continue;
    CHECK(d.amount == gbp(1300));
    CHECK(d.count == 3);
    CHECK(d.own == gbp(700));
    CHECK(d.tagged == gbp(600));
    CHECK(d.first_date == 20250501);
    CHECK(d.last_date == 20251005);
  }

  // The same figures in frontline: received 3000, passed 1800, kept 1200.
  auto f = map::frontline(m);
  REQUIRE(f.size() == 1);
  CHECK(f[0].received == gbp(3000));
  CHECK(f[0].passed_independent == gbp(1800));
  CHECK(f[0].kept == gbp(1200));
  CHECK(f[0].prefinanced == gbp(700));
  CHECK(f[0].recovered == gbp(400));
  CHECK(f[0].frontline_bp == 6000);

  // Risk transfer: dept -> prime 1000 of 3000 on outcomes (33.33%);
  // prime -> hope 1300 of 1800 (72.22%).
  map::Patterns p = map::patterns(m);
  REQUIRE(p.risk.size() == 2);
  for (auto& row : p.risk) {
    if (row.payer == "dept") {
      CHECK(row.total == gbp(3000));
      CHECK(row.on_outcomes == gbp(1000));
      CHECK(row.bp == 3333);
    } else {
      CHECK(row.total == gbp(1800));
      CHECK(row.on_outcomes == gbp(1300));
      CHECK(row.bp == 7222);
    }
  }
}

TEST_CASE("map money: a pool's untagged money is apportioned pro rata to its contributions") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {{"council", 6000}, {"nhs", 4000}});
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  b.contribute("council", "pool", 900);
  b.contribute("nhs", "pool", 100);
  uint64_t p1 = b.pay("pool", "prime", 500);             // 9:1 -> council 450, nhs 50
  b.pay("prime", "care", 250, {Mechanism::BLOCK, 20250401, std::to_string(p1)});  // half of p1: 225 / 25
  b.pay("pool", "care", 333);  // of the 500 left (450/50): council 299.7 -> 299.70, nhs 33.30
  map::Map m = b.map();

  map::MoneyReport r = map::follow_money(m);
  REQUIRE(r.sources.size() == 2);
  const map::SourceTrace& council = r.sources[0].party == "council" ? r.sources[0] : r.sources[1];
  const map::SourceTrace& nhs = r.sources[0].party == "council" ? r.sources[1] : r.sources[0];
  CHECK(council.paid_out == gbp(900));
  CHECK(nhs.paid_out == gbp(100));
  // council: pool 450 - 299.70 = 150.30; prime 450 - 225 = 225; care 225 + 299.70 = 524.70
  CHECK(amount_of(council.held, "pool") == 15030);
  CHECK(amount_of(council.held, "prime") == gbp(225));
  CHECK(amount_of(council.held, "care") == 52470);
  // nhs: pool 50 - 33.30 = 16.70; prime 25; care 25 + 33.30 = 58.30
  CHECK(amount_of(nhs.held, "pool") == 1670);
  CHECK(amount_of(nhs.held, "prime") == gbp(25));
  CHECK(amount_of(nhs.held, "care") == 5830);

  // Followed from the pool itself: 500 + 333 paid out.
  map::MoneyReport from_pool = map::follow_money(m, "pool");
  REQUIRE(from_pool.sources.size() == 1);
  CHECK(from_pool.sources[0].paid_out == gbp(833));
  CHECK(amount_of(from_pool.sources[0].held, "prime") == gbp(250));
  CHECK(amount_of(from_pool.sources[0].held, "care") == gbp(583));
  CHECK_THROWS_AS(map::follow_money(m, "nobody"), Error);
}

TEST_CASE("map money: pro-rata parts are whole pennies by largest remainder") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {});
  b.party("care", PartyKind::PROVIDER);
  b.contribute("council", "pool", 2);  // 200p
  b.contribute("nhs", "pool", 1);      // 100p
  b.pay_minor("pool", "care", 100);    // 66.67p and 33.33p: the penny left goes to the larger remainder
  map::Map m = b.map();
  map::MoneyReport r = map::follow_money(m);
  REQUIRE(r.sources.size() == 2);
  for (auto& s : r.sources) CHECK(amount_of(s.held, "care") == (s.party == "council" ? 67 : 33));
}
