// Exports: GraphML read back with Boost's read_graphml gives the same graph;
// CSV totals equal the ledger's balances; JSON and DOT carry the same edges.
#include <boost/graph/graphml.hpp>

#include <regex>
#include <sstream>

#include "ledger/balances.h"
#include "ledger/money.h"
#include "test_map_support.h"

using namespace map_test;

namespace {

// A small network with every kind of edge today's writer accepts.
void build(Books& b) {
  b.party("council", PartyKind::COMMISSIONER);
  b.party("nhs", PartyKind::COMMISSIONER);
  b.pool("pool", "council", {{"council", 5000}, {"nhs", 5000}});
  b.party("prime", PartyKind::INTEGRATOR, [](spec::PartyRegistered& p) { p.sector = schema::Sector::PRIVATE; });
  b.party("hope", PartyKind::PROVIDER, [](spec::PartyRegistered& p) {
    p.sector = schema::Sector::VOLUNTARY;
    p.name = "Hope Works, \"the\" charity";  // a comma and quotes, for CSV and XML
  });
  b.party("sub", PartyKind::PROVIDER, [](spec::PartyRegistered& p) { p.controlled_by = "prime"; });
  b.contribute("council", "pool", 700);
  b.contribute("nhs", "pool", 300);
  uint64_t block = b.pay("pool", "prime", 600);
  b.pay("prime", "hope", 250, {Mechanism::BLOCK, 20250401, std::to_string(block)});
  b.pay("prime", "hope", 125, {Mechanism::MILESTONE, 20250501, "own", "start", {"c1"}});
  b.pay_minor("prime", "sub", 3333);
  b.pay("hope", "prime", 10, {Mechanism::CLAWBACK});
  uint64_t wrong = b.pay("pool", "hope", 99);
  b.reverse(wrong, "pool");
  b.assign("council", {"prime"}, "care, at home", ResponsibilityKind::CONTRACT);
  b.assign("prime", {"hope", "sub"}, "care, at home");
}

struct RV {
  std::string name, kind, sector;
  long received_minor = 0;
  bool gap = false;
};
struct RE {
  std::string type, mechanism, kind, subject;
  long amount_minor = 0, count = 0;
  bool recorded = true, joint = false;
};
using ReadGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, RV, RE>;

}  // namespace

TEST_CASE("map export: GraphML read back with Boost's read_graphml gives the same graph") {
  Books b;
  build(b);
  map::Map m = b.map();
  std::ostringstream out;
  map::write_graphml(m, out);
  std::string xml = out.str();

  ReadGraph r;
  boost::dynamic_properties dp(boost::ignore_other_properties);
  dp.property("name", get(&RV::name, r));
  dp.property("kind", get(&RV::kind, r));
  dp.property("sector", get(&RV::sector, r));
  dp.property("received_minor", get(&RV::received_minor, r));
  dp.property("gap", get(&RV::gap, r));
  dp.property("type", get(&RE::type, r));
  dp.property("mechanism", get(&RE::mechanism, r));
  dp.property("kind", get(&RE::kind, r));
  dp.property("subject", get(&RE::subject, r));
  dp.property("amount_minor", get(&RE::amount_minor, r));
  dp.property("count", get(&RE::count, r));
  dp.property("recorded", get(&RE::recorded, r));
  dp.property("joint", get(&RE::joint, r));
  std::string origin, currency, as_of;
  long records = 0;
  dp.property("origin", boost::ref_property_map<ReadGraph*, std::string>(origin));
  dp.property("currency", boost::ref_property_map<ReadGraph*, std::string>(currency));
  dp.property("as_of", boost::ref_property_map<ReadGraph*, std::string>(as_of));
  dp.property("records", boost::ref_property_map<ReadGraph*, long>(records));
  std::istringstream in(xml);
  boost::read_graphml(in, r, dp);

  // The graph-level attributes: what the file covers.
  CHECK(origin == "test.example/map");
  CHECK(currency == "GBP");
  CHECK(as_of == "all records");
  CHECK(records == static_cast<long>(b.ledger().size()));

  REQUIRE(num_vertices(r) == num_vertices(m.graph));
  REQUIRE(num_edges(r) == num_edges(m.graph));
  for (map::Vertex v = 0; v < num_vertices(m.graph); ++v) {
    CHECK(r[v].name == m.graph[v].name);
    CHECK(r[v].kind == m.graph[v].kind);
    CHECK(r[v].sector == m.graph[v].sector);
    CHECK(r[v].received_minor == m.graph[v].received);
    CHECK(r[v].gap == m.graph[v].gap);
  }
  // Edges come back in the order written; compare them pairwise with endpoints.
  auto [ri, rend] = edges(r);
  int funding = 0, lines = 0, implicit = 0;
  for (auto [e, end] = edges(m.graph); e != end; ++e, ++ri) {
    REQUIRE(ri != rend);
    const map::EdgeData& d = m.graph[*e];
    const RE& x = r[*ri];
    CHECK(source(*ri, r) == source(*e, m.graph));
    CHECK(target(*ri, r) == target(*e, m.graph));
    CHECK(x.type == map::name_of(d.type));
    if (d.type == map::EdgeType::funding) {
      ++funding;
      CHECK(x.amount_minor == d.amount);
      CHECK(x.mechanism == d.mechanism);
      CHECK(x.count == d.count);
      CHECK(x.kind.empty());  // a funding edge carries no responsibility attributes
    } else {
      ++lines;
      implicit += !d.recorded;
      CHECK(x.kind == d.kind);
      CHECK(x.subject == d.subject);
      CHECK(x.recorded == d.recorded);
      CHECK(x.joint == d.joint);
      CHECK(x.amount_minor == 0);  // and a line no money attributes
    }
  }
  // Funding: 2 contributions, pool->prime block, prime->hope block and milestone,
  // prime->sub, hope->prime clawback (the reversed pool->hope payment is gone).
  CHECK(funding == 7);
  // Lines: council->prime, prime->hope, prime->sub, and the pool's implicit line to council.
  CHECK(lines == 4);
  CHECK(implicit == 1);

  // Node ids are the party ids (DESIGN.md: firm), edges name them as source and target.
  std::regex node_id("<node id=\"([^\"]+)\">");
  std::vector<std::string> ids;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), node_id); it != std::sregex_iterator(); ++it)
    ids.push_back((*it)[1]);
  REQUIRE(ids.size() == num_vertices(m.graph));
  for (map::Vertex v = 0; v < num_vertices(m.graph); ++v) CHECK(ids[v] == m.graph[v].id);
  CHECK(contains(xml, "source=\"pool\" target=\"prime\""));
  CHECK(contains(xml, "attr.name=\"amount_minor\" attr.type=\"long\""));
  CHECK(contains(xml, "attr.name=\"recorded\" attr.type=\"boolean\""));
  CHECK(contains(xml, "Hope Works, &quot;the&quot; charity"));
}

TEST_CASE("map export: CSV totals equal the ledger's balances") {
  Books b;
  build(b);
  map::Map m = b.map();
  std::ostringstream out;
  map::write_csv(m, out);
  std::istringstream in(out.str());
  std::string line;
  std::getline(in, line);
  CHECK(line.rfind("type,source,target,mechanism,amount,amount_minor,", 0) == 0);
  std::map<std::string, int64_t> totals;
  int rows = 0;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Split on commas outside quotes (RFC 4180).
    std::vector<std::string> cells{""};
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (c == '"' && quoted && i + 1 < line.size() && line[i + 1] == '"') cells.back() += '"', ++i;
      else if (c == '"') quoted = !quoted;
      else if (c == ',' && !quoted) cells.push_back("");
      else cells.back() += c;
    }
    REQUIRE(cells.size() == 22);
    ++rows;
    if (cells[0] != "funding") {
      CHECK(cells[5].empty());
      continue;
    }
    int64_t minor = std::stoll(cells[5]);
    CHECK(cells[4] == format_money(minor, 2));
    totals[cells[1]] -= minor;
    totals[cells[2]] += minor;
  }
  CHECK(rows == static_cast<int>(num_edges(m.graph)));
  for (auto& p : b.ledger().parties()) CHECK_MESSAGE(totals[p.id] == p.balance, p.id);
  // As of a seq, the same holds against balances replayed to that point.
  uint64_t seq = b.ledger().size() - 5;
  map::Map then = b.map(std::to_string(seq));
  std::ostringstream out2;
  map::write_csv(then, out2);
  std::map<std::string, int64_t> then_totals;
  for (auto [e, end] = edges(then.graph); e != end; ++e)
    if (then.graph[*e].type == map::EdgeType::funding) {
      then_totals[then.graph[source(*e, then.graph)].id] -= then.graph[*e].amount;
      then_totals[then.graph[target(*e, then.graph)].id] += then.graph[*e].amount;
    }
  for (auto& [id, bal] : balances_at_size(b.ledger(), seq + 1)) CHECK_MESSAGE(then_totals[id] == bal, id);
  CHECK(contains(out.str(), "\"care, at home\""));
}

TEST_CASE("map export: JSON nodes and edges, and DOT with the reader's styling") {
  Books b;
  build(b);
  map::Map m = b.map();
  std::ostringstream js;
  map::write_json(m, js);
  nlohmann::json j = nlohmann::json::parse(js.str());
  CHECK(j["nodes"].size() == num_vertices(m.graph));
  CHECK(j["edges"].size() == num_edges(m.graph));
  CHECK_FALSE(j.contains("links"));  // NetworkX 3.6 reads "edges" by default
  CHECK(j["directed"] == true);
  CHECK(j["multigraph"] == true);  // prime -> hope: a block and a milestone edge
  CHECK(j["graph"] == nlohmann::json{{"origin", "test.example/map"},
                                     {"currency", "GBP"},
                                     {"as_of", "all records"},
                                     {"records", b.ledger().size()}});
  bool saw_block = false;
  for (auto& l : j["edges"])
    if (l["source"] == "pool" && l["target"] == "prime") {
      saw_block = true;
      CHECK(l["amount"] == "600.00");
      CHECK(l["amount_minor"] == gbp(600));
    }
  CHECK(saw_block);
  // The as-of the map was built at, as --as-of takes it; records read.
  for (auto [as_of, records] : {std::pair<std::string, uint64_t>{"5", 6}, {"2025-04-30", b.ledger().size()}}) {
    std::ostringstream then;
    map::write_json(b.map(as_of), then);
    nlohmann::json t = nlohmann::json::parse(then.str());
    CHECK(t["graph"]["as_of"] == as_of);
    CHECK(t["graph"]["records"] == records);
  }

  std::ostringstream dot;
  map::write_dot(m, dot);
  std::string d = dot.str();
  CHECK(d.rfind("digraph G {", 0) == 0);
  // Commissioners on the first row, pool, integrator, then the providers it pays, below it.
  size_t top = d.find("{rank=same; \"council\"; \"nhs\";}"), pool = d.find("{rank=same; \"pool\";}"),
         prime = d.find("{rank=same; \"prime\";}");
  CHECK(top != std::string::npos);
  CHECK(pool > top);
  CHECK(prime > pool);
  CHECK(std::regex_search(d, std::regex("\\{rank=same; \"(hope\"; \"sub|sub\"; \"hope)\";\\}")));
  CHECK(d.find("{rank=same; \"hope\"") > prime);
  CHECK(contains(d, "Where the money went, and who answers for it"));  // the title
  CHECK(contains(d, "received GBP 1,000.00"));       // amounts with the currency (the pool)
  CHECK(contains(d, "Key [shape=plain"));            // the key
  CHECK(contains(d, "style=dashed"));                // recorded responsibility
  CHECK_FALSE(contains(d, "style=dotted"));          // the implicit line: a note in the box, not an edge
  CHECK(contains(d, "answers by default to"));
  CHECK(contains(d, "penwidth=8.0"));                // the largest amount is the widest
  CHECK(contains(d, "color=\"#d00000\""));           // gaps in red (no operator of last resort)
  CHECK(contains(d, "GAP: no operator of last resort"));

  // Filters apply to every format: funding only has no responsibility links.
  map::Map money = map::filtered(m, map::parse_filter("funding", "", -1, m));
  std::ostringstream js2;
  map::write_json(money, js2);
  // Held in a variable: a range-for over a member of a temporary reads freed memory (ASan found it).
  nlohmann::json funding_only = nlohmann::json::parse(js2.str());
  CHECK(!funding_only["edges"].empty());
  for (auto& l : funding_only["edges"]) CHECK(l["type"] == "funding");
}

TEST_CASE("map export: SVG through Graphviz when it is installed") {
  Books b;
  build(b);
  map::Map m = b.map();
  std::ostringstream svg;
  if (!map::graphviz_available()) {
    CHECK_THROWS_AS(map::write_svg(m, svg), Error);
    return;
  }
  map::write_svg(m, svg);
  CHECK(contains(svg.str(), "<svg"));
  CHECK(contains(svg.str(), "The council"));
}

TEST_CASE("map export: a subject a spreadsheet would run as a formula is guarded in CSV and kept as is elsewhere") {
  Books b;
  build(b);
  const std::string subject = "=HYPERLINK(\"http://evil.example\",\"care\")";
  b.assign("council", {"hope"}, subject, ResponsibilityKind::OVERSIGHT);
  map::Map m = b.map();
  std::ostringstream csv, graphml;
  map::write_csv(m, csv);
  map::write_graphml(m, graphml);
  CHECK(contains(csv.str(), ",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"care\"\")\","));
  CHECK(!contains(csv.str(), ",\"=HYPERLINK("));
  CHECK(contains(graphml.str(), "=HYPERLINK(&quot;http://evil.example&quot;,&quot;care&quot;)"));
  CHECK(!contains(graphml.str(), "'=HYPERLINK"));
}
