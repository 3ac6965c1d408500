// JSON in NetworkX's node-link layout with the key names NetworkX 3.6 reads by
// default (`nx.node_link_graph(data)`): "nodes" with "id", "edges" with
// "source" and "target". A multigraph: two parties can have several edges
// (one per mechanism, a responsibility line, a contract), and NetworkX gives
// each edge without a "key" a key of its own, so it reads every edge.
#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map {

using namespace detail;

void write_json(const Map& m, std::ostream& out) {
  const Graph& g = m.graph;
  const int exp = m.facts.exponent;
  nlohmann::json j{{"directed", true}, {"multigraph", true}};
  j["graph"] = {{"origin", m.facts.origin}, {"currency", m.facts.currency}, {"as_of", as_of_value(m)},
                {"records", m.facts.records}};
  j["nodes"] = nlohmann::json::array();
  for (Vertex v = 0; v < num_vertices(g); ++v) {
    const VertexData& d = g[v];
    nlohmann::json n{{"id", d.id},        {"name", d.name},         {"kind", d.kind},     {"sector", d.sector},
                     {"controlled_by", d.controlled_by}, {"parent", d.parent}, {"status", d.status},
                     {"status_from", date_text(d.status_from)}, {"failed", d.failed}, {"gap", d.gap}};
    put_amount(n, "received", d.received, exp);
    put_amount(n, "paid", d.paid, exp);
    j["nodes"].push_back(n);
  }
  j["edges"] = nlohmann::json::array();
  for (auto [e, end] = edges(g); e != end; ++e) {
    const EdgeData& d = g[*e];
    nlohmann::json l{{"source", g[source(*e, g)].id}, {"target", g[target(*e, g)].id}, {"type", name_of(d.type)}, {"gap", d.gap}};
    if (d.type == EdgeType::funding) {
      l["mechanism"] = d.mechanism;
      put_amount(l, "amount", d.amount, exp);
      l["count"] = d.count;
      l["first_date"] = date_text(d.first_date);
      l["last_date"] = date_text(d.last_date);
      put_amount(l, "tagged", d.tagged, exp);
      put_amount(l, "own", d.own, exp);
      put_amount(l, "loan", d.loan, exp);
      put_amount(l, "untagged", d.untagged, exp);
    } else if (d.type == EdgeType::responsibility) {
      l["kind"] = d.kind;
      l["subject"] = d.subject;
      l["recorded"] = d.recorded;
      l["joint"] = d.joint;
      l["joint_with"] = d.joint_with;
      l["start_date"] = date_text(d.start);
      l["end_date"] = date_text(d.end);
      l["seq"] = d.seq;
    } else {
      l["reference"] = d.reference;
      l["subject"] = d.subject;
      l["model"] = d.model;
      put_amount(l, "cap", d.cap, exp);
      put_amount(l, "paid", d.paid, exp);
      l["start_date"] = date_text(d.start);
      l["end_date"] = date_text(d.end);
      l["ended"] = d.ended;
      l["seq"] = d.seq;
    }
    j["edges"].push_back(l);
  }
  out << j.dump(2) << "\n";
}

}  // namespace fundtrail::map
