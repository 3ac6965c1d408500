// The map's graph: aggregation, reversals, ended lines, as-of by seq and by
// date, and the export filters.
#include "accountability/internal.h"
#include "test_map_support.h"

using namespace map_test;

namespace {

const map::EdgeData* funding(const map::Map& m, const std::string& from, const std::string& to, const std::string& mech) {
  for (auto [e, end] = edges(m.graph); e != end; ++e) {
    const map::EdgeData& d = m.graph[*e];
    if (d.type == map::EdgeType::funding && d.mechanism == mech && m.graph[source(*e, m.graph)].id == from &&
        m.graph[target(*e, m.graph)].id == to)
      return &d;
  }
  return nullptr;
}

int count_type(const map::Map& m, map::EdgeType t) {
  int n = 0;
  for (auto [e, end] = edges(m.graph); e != end; ++e) n += m.graph[*e].type == t;
  return n;
}

}  // namespace

TEST_CASE("map graph: funding aggregated per payer, payee and mechanism, reversals and ended lines left out") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {});
  b.party("prime", PartyKind::INTEGRATOR);
  b.contribute("council", "pool", 5000);
  b.pay("pool", "prime", 1000, {Mechanism::BLOCK, 20250401});
  uint64_t wrong = b.pay("pool", "prime", 200, {Mechanism::BLOCK, 20250402});
  b.pay("pool", "prime", 300, {Mechanism::BLOCK, 20250601});
  b.pay("pool", "prime", 50, {Mechanism::FEE, 20250601});
  uint64_t line = b.assign("council", {"prime"}, "care", ResponsibilityKind::CONTRACT);
  uint64_t pool_line = b.assign("council", {"pool"}, "the budget", ResponsibilityKind::ASSURANCE);
  uint64_t before_reversal = b.ledger().size() - 1;
  b.reverse(wrong, "pool");
  b.end_line(line);
  map::Map m = b.map();

  CHECK(num_vertices(m.graph) == 3);  // a vertex per party; the ledger's own party has no edge
  const map::EdgeData* block = funding(m, "pool", "prime", "block");
  REQUIRE(block);
  CHECK(block->amount == gbp(1300));  // 1000 + 300; the reversed 200 is gone
  CHECK(block->count == 2);
  CHECK(block->first_date == 20250401);
  CHECK(block->last_date == 20250601);
  CHECK(block->untagged == gbp(1300));
  REQUIRE(funding(m, "pool", "prime", "fee"));
  const map::EdgeData* in = funding(m, "council", "pool", "contribution");
  REQUIRE(in);
  CHECK(in->amount == gbp(5000));
  CHECK(m.graph[*m.find("prime")].received == gbp(1350));
  CHECK(m.graph[*m.find("pool")].paid == gbp(1350));
  // The ended line is gone, so prime answers implicitly to the pool's host.
  REQUIRE(m.implicit.size() == 1);
  CHECK(m.implicit[0].accountable == "council");
  CHECK(m.implicit[0].responsible[0] == "prime");
  CHECK(count_type(m, map::EdgeType::responsibility) == 2);  // the pool's assurance line + prime's implicit one
  (void)pool_line;

  // As of the record before the reversal: the 200 counts, the line stands.
  map::Map then = b.map(std::to_string(before_reversal));
  CHECK(funding(then, "pool", "prime", "block")->amount == gbp(1500));
  CHECK(funding(then, "pool", "prime", "block")->count == 3);
  CHECK(then.implicit.empty());

  // As of a value date: the June payments are not yet made. (The reversal and
  // the ended line were recorded today, after 2025-05-01, so they do not count.)
  map::Map may = b.map("2025-05-01");
  CHECK(funding(may, "pool", "prime", "block")->amount == gbp(1200));
  CHECK_FALSE(funding(may, "pool", "prime", "fee"));
  CHECK(may.implicit.empty());

  CHECK_THROWS_AS(b.map("9999"), Error);
  CHECK_THROWS_AS(b.map("2025-13-01"), Error);
  CHECK_THROWS_AS(b.map("yesterday"), Error);
}

TEST_CASE("map graph: export filters by kind, pool and depth") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.pool("pool-a", "council", {});
  b.pool("pool-b", "nhs", {});
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  b.party("other", PartyKind::PROVIDER);
  b.party("director", PartyKind::OFFICE, [](spec::PartyRegistered& p) { p.parent = "council"; });
  b.contribute("council", "pool-a", 1000);
  b.contribute("nhs", "pool-b", 1000);
  b.pay("pool-a", "prime", 500);
  b.pay("prime", "care", 200);
  b.pay("pool-b", "other", 100);
  b.assign("council", {"prime"}, "care", ResponsibilityKind::CONTRACT);
  b.assign("prime", {"care"}, "care");
  b.assign("director", {"pool-a"}, "the budget", ResponsibilityKind::ASSURANCE);
  map::Map m = b.map();

  auto ids = [](const map::Map& x) {
    std::vector<std::string> v;
    for (auto& [id, vx] : x.index) v.push_back(id);
    return v;
  };
  map::Map only_a = map::filtered(m, map::parse_filter("all", "pool-a", -1, m));
  CHECK(ids(only_a) == std::vector<std::string>{"care", "council", "director", "pool-a", "prime"});
  map::Map shallow = map::filtered(m, map::parse_filter("funding", "pool-a", 1, m));
  CHECK(ids(shallow) == std::vector<std::string>{"council", "pool-a", "prime"});
  CHECK(count_type(shallow, map::EdgeType::responsibility) == 0);
  map::Map lines = map::filtered(m, map::parse_filter("responsibility", "", -1, m));
  CHECK(count_type(lines, map::EdgeType::funding) == 0);
  CHECK(num_vertices(lines.graph) == 8);  // every party has a line, recorded or implicit (nhs -> pool-b, other)
  CHECK_THROWS_AS(map::parse_filter("money", "", -1, m), Error);
  CHECK_THROWS_AS(map::parse_filter("all", "prime", -1, m), Error);
  CHECK_THROWS_AS(map::parse_filter("all", "nobody", -1, m), Error);
}

TEST_CASE("map load: records decoded by several threads give the same facts as one") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {});
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("hope", PartyKind::PROVIDER);
  b.contribute("council", "pool", 90000);
  b.contract("HEAD", "pool", "prime", "jobs", "", schema::IntegratorModel::BLENDED, {{"start", 100}});
  std::vector<uint64_t> paid;
  for (int i = 0; i < 40; ++i) {  // payments spread over every thread's range
    paid.push_back(b.pay("pool", "prime", 100 + i, {Mechanism::BLOCK, 20250401}));
    if (i % 3 == 0) b.pay("prime", "hope", 10 + i, {Mechanism::BLOCK, uint32_t(20250401 + i % 28)});
    if (i == 7) b.assign("prime", {"hope"}, "delivery", ResponsibilityKind::DELIVERY);
    if (i == 20) b.reverse(paid[5], "pool");  // a reversal decoded by another thread than its target
    if (i == 30) b.status("hope", schema::PartyStatus::SERVICE_FAILURE, 20250601);
  }
  b.end_contract("HEAD", "pool");

  for (const std::string& as_of : std::vector<std::string>{"", "2025-04-10", std::to_string(b.ledger().size() / 2)}) {
    CAPTURE(as_of);
    const map::AsOf a = map::parse_as_of(as_of, b.ledger());
    const map::Facts one = map::detail::load_facts(b.ledger(), a, 1);
    REQUIRE(one.money.size() > 10);
    for (unsigned threads : {2u, 3u, 7u, 200u}) {  // 200 threads: more than records; ranges may be empty
      CAPTURE(threads);
      const map::Facts many = map::detail::load_facts(b.ledger(), a, threads);
      CHECK(many.records == one.records);
      CHECK(many.ids == one.ids);
      REQUIRE(many.money.size() == one.money.size());
      for (size_t i = 0; i < one.money.size(); ++i) {
        CHECK(many.money[i].seq == one.money[i].seq);
        CHECK(many.money[i].amount == one.money[i].amount);
        CHECK(many.money[i].from_ix == one.money[i].from_ix);
        CHECK(many.money[i].to_ix == one.money[i].to_ix);
        CHECK(one.ids[one.money[i].from_ix] == one.money[i].from);
      }
      REQUIRE(many.lines.size() == one.lines.size());
      for (size_t i = 0; i < one.lines.size(); ++i) CHECK(many.lines[i].seq == one.lines[i].seq);
      REQUIRE(many.contracts.size() == one.contracts.size());
      for (auto& [seq, c] : one.contracts) CHECK(many.contracts.at(seq).ended == c.ended);
      CHECK(many.parties.at("hope").statuses.size() == one.parties.at("hope").statuses.size());
    }
  }
  // The reversed payment is gone whichever thread read the reversal.
  const map::Facts all = map::detail::load_facts(b.ledger(), {}, 4);
  CHECK(std::none_of(all.money.begin(), all.money.end(), [&](const map::Money& m) { return m.seq == paid[5]; }));
  CHECK(all.parties.at("hope").statuses.size() == 1);
}
