// map who and map gaps: chains up to an office holder, joint lines, the
// implicit line to the commissioner where none is recorded, and the gaps.
//
// Not tested here: payments after a failure. They need a partyStatusChanged
// record, which the writer refuses until the contracts issue lands;
// find_gaps() reads statuses when present.
#include "test_map_support.h"

using namespace map_test;

TEST_CASE("map who: an unrecorded line is shown as implicit to the commissioner") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("director", PartyKind::OFFICE, [](spec::PartyRegistered& p) { p.parent = "council"; });
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("care", PartyKind::PROVIDER);
  b.pay("council", "prime", 1000);
  b.pay("prime", "care", 400);
  uint64_t line = b.assign("prime", {"care"}, "meals");
  map::Map m = b.map();

  // prime received money but no one recorded whom it answers to.
  REQUIRE(m.implicit.size() == 1);
  CHECK(m.implicit[0].accountable == "council");
  CHECK(m.implicit[0].responsible == std::vector<std::string>{"prime"});
  CHECK_FALSE(m.implicit[0].recorded);
  int implicit_edges = 0;
  for (auto [e, end] = edges(m.graph); e != end; ++e) {
    const map::EdgeData& d = m.graph[*e];
    if (d.type != map::EdgeType::responsibility || d.recorded) continue;
    ++implicit_edges;
    CHECK(m.graph[source(*e, m.graph)].id == "council");
    CHECK(m.graph[target(*e, m.graph)].id == "prime");
    CHECK(d.kind == "implicit");
  }
  CHECK(implicit_edges == 1);

  map::WhoAnswer w = map::who_answers(m, "Meals");  // subjects match without regard to case
  CHECK(w.found);
  CHECK(w.delivering == std::vector<std::string>{"care"});
  REQUIRE(w.chains.size() == 1);
  const map::Chain& c = w.chains[0];
  REQUIRE(c.hops.size() == 2);
  CHECK(c.hops[0].from == "care");
  CHECK(c.hops[0].to == "prime");
  REQUIRE(c.hops[0].lines.size() == 1);
  CHECK(c.hops[0].lines[0].seq == line);
  CHECK(c.hops[0].lines[0].recorded);
  CHECK(c.hops[1].from == "prime");
  CHECK(c.hops[1].to == "council");
  REQUIRE(c.hops[1].lines.size() == 1);
  CHECK_FALSE(c.hops[1].lines[0].recorded);
  CHECK(c.top == "council");
  CHECK(c.office_holders == std::vector<std::string>{"director"});
  std::string text = map::to_text(m, w);
  CHECK(contains(text, "UNRECORDED - implicit line to the commissioner"));
  CHECK(contains(text, "named office holder: The director (director)"));

  auto gaps = map::find_gaps(m);
  int without_line = 0, no_last_resort = 0;
  for (auto& g : gaps) {
    if (g.type == "money-without-line") {
      ++without_line;
      CHECK(g.party == "prime");
      CHECK(g.other == "council");
      CHECK(g.amount == gbp(1000));
    }
    if (g.type == "no-last-resort") {
      ++no_last_resort;
      CHECK(g.party == "care");
    }
    CHECK(g.type != "line-without-money");
  }
  CHECK(without_line == 1);
  CHECK(no_last_resort == 1);
  CHECK(m.graph[*m.find("prime")].gap);
}

TEST_CASE("map who: joint lines, oversight and a chain without an office holder") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("board", PartyKind::BOARD);
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("hope", PartyKind::PROVIDER);
  b.party("bridge", PartyKind::PROVIDER);
  b.pay("council", "prime", 1000);
  b.pay("prime", "hope", 200);
  b.pay("prime", "bridge", 200);
  b.assign("council", {"prime"}, "pathway", ResponsibilityKind::CONTRACT);
  b.assign("board", {"prime"}, "pathway", ResponsibilityKind::OVERSIGHT);
  b.assign("prime", {"hope", "bridge"}, "pathway");  // held jointly
  b.assign("council", {"prime"}, "pathway continuity", ResponsibilityKind::LAST_RESORT);
  map::Map m = b.map();
  CHECK(m.implicit.empty());

  map::WhoAnswer w = map::who_answers(m, "pathway");
  CHECK(w.delivering == std::vector<std::string>{"bridge", "hope"});
  // Each deliverer reaches two tops: council and board. Of the council's two
  // lines to prime only the contract line is for pathway: the last-resort line
  // is for 'pathway continuity', another service, so it is not shown here.
  REQUIRE(w.chains.size() == 4);
  for (auto& c : w.chains) {
    REQUIRE(c.hops.size() == 2);
    REQUIRE(c.hops[0].lines.size() == 1);
    CHECK(c.hops[0].lines[0].responsible.size() == 2);  // joint
    if (c.top == "council") {
      REQUIRE(c.hops[1].lines.size() == 1);
      CHECK(c.hops[1].lines[0].kind == "contract");
      CHECK(c.office_holders.empty());
    } else {
      CHECK(c.top == "board");
    }
  }
  std::string text = map::to_text(m, w);
  CHECK(contains(text, "held jointly with hope"));
  CHECK(contains(text, "no named office holder is recorded"));

  // prime is the operator of last resort: both providers are covered.
  for (auto& g : map::find_gaps(m)) CHECK(g.type != "no-last-resort");

  map::WhoAnswer none = map::who_answers(m, "parking");
  CHECK_FALSE(none.found);
  CHECK(none.subjects == std::vector<std::string>{"pathway", "pathway continuity"});
}

TEST_CASE("map gaps: responsibility without money") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("care", PartyKind::PROVIDER);
  uint64_t line = b.assign("council", {"care"}, "meals", ResponsibilityKind::CONTRACT);
  b.assign("council", {"care"}, "meals quality", ResponsibilityKind::OVERSIGHT);  // oversight expects no money
  map::Map m = b.map();
  auto gaps = map::find_gaps(m);
  int found = 0;
  for (auto& g : gaps)
    if (g.type == "line-without-money") {
      ++found;
      CHECK(g.party == "care");
      CHECK(g.seq == line);
    }
  CHECK(found == 1);
  // The line is marked as a gap on the graph.
  for (auto [e, end] = edges(m.graph); e != end; ++e)
    if (m.graph[*e].type == map::EdgeType::responsibility) CHECK(m.graph[*e].gap == (m.graph[*e].seq == line));
  CHECK(contains(map::to_text(m, gaps), "Responsibility without money: 1"));
}
