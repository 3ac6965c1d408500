// The map's graph: aggregation, reversals, ended lines, as-of by seq and by
// date, the export filters, and purchases and refunds (DESIGN.md: "Refunds
// net against what their payee paid their payer: never money in, never a
// gap; purchases need no responsibility line").
#include <sstream>

#include "accountability/internal.h"
#include "test_ledger_support.h"
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

// ---- purchases and refunds --------------------------------------------------
// Built on the ledger tests' World (test_ledger_support.h): a refund is signed
// by its payee's officer and co-signed by a payer that holds keys, which
// map_test::Books, signing every payment by its payer, cannot express.

namespace {

struct Shop : ft_test::World {
  uint64_t pay(const std::string& from, const std::string& to, int64_t pounds, Mechanism mech, const ft_test::Signers& signers,
               uint32_t date = ft_test::kDate) {
    return append(payment(from, to, gbp(pounds), signers, [&](spec::Payment& p) {
      p.mechanism = mech;
      p.value_date = date;
    }));
  }
  uint64_t purchase(const std::string& to, int64_t pounds, uint32_t date = ft_test::kDate) {
    return pay("council", to, pounds, Mechanism::PURCHASE, {council_off}, date);
  }
  // A credit note from `from` (which holds keys, so co-signs) back to `to`.
  uint64_t refund(const std::string& from, const std::string& to, int64_t pounds, const ft_test::Signers& signers,
                  uint32_t date = ft_test::kDate) {
    return pay(from, to, pounds, Mechanism::REFUND, signers, date);
  }
  map::Map map(const std::string& as_of = "") { return map::build_map(L(), map::parse_as_of(as_of, L())); }
};

int funding_between(const map::Map& m, const std::string& from, const std::string& to) {
  int n = 0;
  for (auto [e, end] = edges(m.graph); e != end; ++e)
    n += m.graph[*e].type == map::EdgeType::funding && m.graph[source(*e, m.graph)].id == from &&
         m.graph[target(*e, m.graph)].id == to;
  return n;
}

std::vector<map::Gap> gaps_of(const map::Map& m, const std::string& party) {
  std::vector<map::Gap> out;
  for (auto& g : map::find_gaps(m))
    if (g.party == party) out.push_back(g);
  return out;
}

}  // namespace

TEST_CASE("map refunds: a credit note nets against what its payee paid, and is no edge, cycle, gap or money in") {
  Shop w;
  w.purchase("sme", 1000);
  const std::string before_refund = std::to_string(w.L().size() - 1);
  w.refund("sme", "council", 300, {w.council_off, w.sme_off});
  map::Map m = w.map();

  REQUIRE(m.facts.refunds.size() == 1);
  REQUIRE(m.facts.money.size() == 1);  // the refund is no money of its own
  CHECK(m.facts.money[0].refunded == gbp(300));
  const map::EdgeData* bought = funding(m, "council", "sme", "purchase");
  REQUIRE(bought);
  CHECK(bought->amount == gbp(700));
  CHECK(bought->count == 1);
  CHECK(bought->untagged == gbp(700));
  CHECK(funding_between(m, "sme", "council") == 0);
  CHECK(m.graph[*m.find("sme")].received == gbp(700));
  CHECK(m.graph[*m.find("council")].paid == gbp(700));
  // The graph's totals are the ledger's balances, the refund included.
  CHECK(m.graph[*m.find("sme")].received - m.graph[*m.find("sme")].paid == w.balance("sme"));
  CHECK(m.graph[*m.find("council")].received - m.graph[*m.find("council")].paid == w.balance("council"));

  // No money goes round: council -> sme and sme -> council would be a cycle.
  map::Patterns p = map::patterns(m);
  CHECK(p.cycles.empty());
  CHECK(p.layer_of.at("sme") == 1);
  CHECK(gaps_of(m, "sme").empty());
  CHECK(gaps_of(m, "council").empty());
  CHECK(m.implicit.empty());

  // Money in is what the council paid out, with or without the credit note;
  // the 300 shows back where it started, and sme paid nothing of its own.
  nlohmann::json s = map::summary_json(m), then = map::summary_json(w.map(before_refund));
  CHECK(s["came_in_minor"] == gbp(1000));
  CHECK(s["came_in_minor"] == then["came_in_minor"]);
  REQUIRE(s["sources"].size() == 1);
  CHECK(s["sources"][0]["party"] == "council");
  CHECK(s["where_it_is"]["with providers"]["amount_minor"] == gbp(700));
  CHECK(s["where_it_is"]["came back to where it started"]["amount_minor"] == gbp(300));
  CHECK(s["prefinancing"].empty());
  map::MoneyReport r = map::follow_money(m);
  REQUIRE(r.sources.size() == 1);
  CHECK(r.sources[0].paid_out == gbp(1000));
  CHECK(amount_of(r.sources[0].held, "sme") == gbp(700));
  CHECK(amount_of(r.sources[0].held, "council") == gbp(300));
  CHECK(r.prefinancing.empty());
  std::string text = map::summary_text(m);
  CHECK(contains(text, "MONEY IN: GBP 1,000.00"));
  CHECK_FALSE(contains(text, "sme also paid"));
  CHECK_FALSE(contains(text, "round in a circle"));
  CHECK_FALSE(contains(text, "received money with no recorded responsibility line"));

  // Concentration sees the net: sme holds 700 of the council's money.
  map::Concentration c = map::concentration(m);
  REQUIRE(c.markets.size() == 1);
  CHECK(amount_of(c.markets[0].shares, "sme") == gbp(700));
  bool sme_dependence = false;
  for (auto& d : c.dependence)
    if (d.provider == "sme") {
      sme_dependence = true;
      CHECK(d.received == gbp(700));
      CHECK(d.payers == 1);
    }
  CHECK(sme_dependence);

  // Exports: no refund edge in any format, the purchase at its net.
  std::ostringstream graphml, js, csv, dot;
  map::write_graphml(m, graphml);
  map::write_json(m, js);
  map::write_csv(m, csv);
  map::write_dot(m, dot);
  CHECK_FALSE(contains(graphml.str(), "refund"));
  CHECK_FALSE(contains(graphml.str(), "source=\"sme\" target=\"council\""));
  CHECK(contains(graphml.str(), ">purchase</data>"));
  nlohmann::json j = nlohmann::json::parse(js.str());
  int purchases = 0;
  for (auto& l : j["edges"]) {
    CHECK(l.value("mechanism", "") != "refund");
    CHECK_FALSE((l["source"] == "sme" && l["target"] == "council"));
    if (l.value("mechanism", "") == "purchase") {
      ++purchases;
      CHECK(l["amount_minor"] == gbp(700));
    }
  }
  CHECK(purchases == 1);
  CHECK_FALSE(contains(csv.str(), "refund"));
  CHECK_FALSE(contains(csv.str(), "funding,sme,council"));
  CHECK(contains(csv.str(), "funding,council,sme,purchase,700.00,70000,1,"));
  CHECK_FALSE(contains(dot.str(), "refund"));
  CHECK(contains(dot.str(), "received GBP 700.00 (purchase)"));  // in the supplier's box, with the currency
}

TEST_CASE("map purchases: a party paid only by purchases needs no responsibility line nor operator of last resort") {
  Shop w;
  w.purchase("sme", 1000);
  w.pay("council", "charity", 500, Mechanism::GRANT, {w.council_off});
  map::Map m = w.map();

  // sme only sold to the council: no implicit line, no gap of any kind.
  CHECK(gaps_of(m, "sme").empty());
  REQUIRE(m.implicit.size() == 1);
  CHECK(m.implicit[0].responsible[0] == "charity");
  std::vector<std::string> charity_gaps;
  for (auto& g : gaps_of(m, "charity")) charity_gaps.push_back(g.type);
  CHECK(charity_gaps == std::vector<std::string>{"money-without-line", "no-last-resort"});
  CHECK_FALSE(m.graph[*m.find("sme")].gap);
  CHECK_FALSE(funding(m, "council", "sme", "purchase")->gap);
  CHECK(funding(m, "council", "charity", "grant")->gap);
  std::string text = map::summary_text(m);
  CHECK(contains(text, "1 party received money (purchases not counted) with no recorded responsibility line, so the "
                       "commissioner answers for it by default: charity GBP 500.00\n"));
  CHECK(contains(text, "no operator of last resort above it (no one is named to take over the service if the provider "
                       "fails): charity\n"));
  std::istringstream page(text);
  for (std::string line; std::getline(page, line);)  // what sme sold is no gap
    if (contains(line, "responsibility line") || contains(line, "last resort")) CHECK_FALSE(contains(line, "sme"));

  // Yet purchases are money: in money in, where it went, concentration and exports.
  map::MoneyReport r = map::follow_money(m);
  REQUIRE(r.sources.size() == 1);
  CHECK(r.sources[0].paid_out == gbp(1500));
  CHECK(amount_of(r.sources[0].held, "sme") == gbp(1000));
  map::Concentration c = map::concentration(m);
  REQUIRE(c.markets.size() == 1);
  CHECK(c.markets[0].total == gbp(1500));
  CHECK(amount_of(c.markets[0].shares, "sme") == gbp(1000));
  std::ostringstream js;
  map::write_json(m, js);
  nlohmann::json j = nlohmann::json::parse(js.str());
  bool saw = false;
  for (auto& l : j["edges"])
    if (l["source"] == "council" && l["target"] == "sme") {
      saw = true;
      CHECK(l["type"] == "funding");
      CHECK(l["mechanism"] == "purchase");
      CHECK(l["amount_minor"] == gbp(1000));
    }
  CHECK(saw);

  // Paid a grant too, sme wants a line for the grant only.
  w.pay("council", "sme", 200, Mechanism::GRANT, {w.council_off});
  map::Map both = w.map();
  std::map<std::string, int64_t> sme_gaps;
  for (auto& g : gaps_of(both, "sme")) sme_gaps[g.type] = g.amount;
  CHECK(sme_gaps.size() == 2);
  CHECK(sme_gaps["money-without-line"] == gbp(200));
  CHECK(sme_gaps.count("no-last-resort") == 1);
  CHECK_FALSE(funding(both, "council", "sme", "purchase")->gap);
  CHECK(funding(both, "council", "sme", "grant")->gap);
}

TEST_CASE("map refunds: the latest payments first, and as of a date never below zero") {
  Shop w;
  w.pay("council", "sme", 200, Mechanism::GRANT, {w.council_off}, 20250401);
  w.purchase("sme", 1000, 20250510);
  // A credit note dated before the invoice it credits (recorded after it: rule 12 goes by seq).
  w.refund("sme", "council", 300, {w.council_off, w.sme_off}, 20250420);

  map::Map all = w.map();
  CHECK(funding(all, "council", "sme", "purchase")->amount == gbp(700));  // the latest payment first
  CHECK(funding(all, "council", "sme", "grant")->amount == gbp(200));

  // As of 30 April the invoice is not yet paid: the credit note finds only
  // the 200 grant to net against, and the net stops at zero.
  map::Map april = w.map("2025-04-30");
  REQUIRE(april.facts.refunds.size() == 1);
  CHECK_FALSE(funding(april, "council", "sme", "purchase"));
  const map::EdgeData* grant = funding(april, "council", "sme", "grant");
  REQUIRE(grant);
  CHECK(grant->amount == 0);
  CHECK(grant->count == 1);
  CHECK(funding_between(april, "sme", "council") == 0);
  CHECK(april.graph[*april.find("sme")].received == 0);
  CHECK(april.graph[*april.find("council")].paid == 0);
  CHECK(april.implicit.empty());  // no money moved: no line wanted
  map::MoneyReport r = map::follow_money(april);
  REQUIRE(r.sources.size() == 1);
  CHECK(r.sources[0].paid_out == gbp(200));
  CHECK(amount_of(r.sources[0].held, "council") == gbp(200));  // all of it came back
  CHECK(amount_of(r.sources[0].held, "sme") == 0);
  CHECK(r.prefinancing.empty());  // the other 100 is not sme's own money paid out
  CHECK(map::patterns(april).cycles.empty());
}

TEST_CASE("map refunds: a refund to an integrator lowers what it passed on, and a reversed one nets nothing") {
  Shop w;
  w.pay("council", "prime", 1000, Mechanism::BLOCK, {w.council_off});
  w.pay("prime", "sme", 600, Mechanism::BLOCK, {w.prime_off});
  uint64_t back = w.refund("sme", "prime", 100, {w.prime_off, w.sme_off});
  map::Map m = w.map();
  CHECK(funding(m, "prime", "sme", "block")->amount == gbp(500));
  CHECK(funding_between(m, "sme", "prime") == 0);
  std::vector<map::Frontline> f = map::frontline(m);
  REQUIRE(f.size() == 1);
  CHECK(f[0].received == gbp(1000));
  CHECK(f[0].passed_independent == gbp(500));
  CHECK(f[0].kept == gbp(500));
  map::MoneyReport r = map::follow_money(m);
  REQUIRE(r.sources.size() == 1);
  CHECK(amount_of(r.sources[0].held, "prime") == gbp(500));  // 400 kept and 100 back
  CHECK(amount_of(r.sources[0].held, "sme") == gbp(500));
  CHECK(map::patterns(m).cycles.empty());

  w.append(w.reversal(back, {w.prime_off}));  // a refund's reversal is signed by its payee
  map::Map undone = w.map();
  CHECK(undone.facts.refunds.empty());
  CHECK(funding(undone, "prime", "sme", "block")->amount == gbp(600));
  CHECK(map::frontline(undone)[0].passed_independent == gbp(600));
}
