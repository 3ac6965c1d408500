// JSON in NetworkX's node-link layout with the key names NetworkX 3.6 reads by
// default (`nx.node_link_graph(data)`): "nodes" with "id", "edges" with
// "source" and "target". A multigraph: two parties can have several edges
// (one per mechanism, a responsibility line, a contract), and NetworkX gives
// each edge without a "key" a key of its own, so it reads every edge.
#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map {

using namespace detail;

namespace {

// One element of a top-level list, as dump(2) of the whole document writes
// it at that depth (4 spaces in): the document is written element by element
// instead of built whole (2.3 GB at a million payments), byte for byte the same.
// `text` with `indent` after each newline (raw newlines are structure only:
// strings hold theirs escaped), written a line at a time.
void write_indented(std::ostream& out, const std::string& text, std::string_view indent) {
  size_t from = 0;
  for (size_t nl; (nl = text.find('\n', from)) != std::string::npos; from = nl + 1) {
    out.write(text.data() + from, static_cast<std::streamsize>(nl + 1 - from));
    out.write(indent.data(), static_cast<std::streamsize>(indent.size()));
  }
  out.write(text.data() + from, static_cast<std::streamsize>(text.size() - from));
}

void write_element(std::ostream& out, const nlohmann::json& element, bool first) {
  out << (first ? "\n    " : ",\n    ");
  write_indented(out, element.dump(2), "    ");
}

nlohmann::json node_json(const VertexData& d, int exp) {
  nlohmann::json n{{"id", d.id},        {"name", d.name},         {"kind", d.kind},     {"sector", d.sector},
                   {"controlled_by", d.controlled_by}, {"parent", d.parent}, {"status", d.status},
                   {"status_from", date_text(d.status_from)}, {"failed", d.failed}, {"gap", d.gap}};
  put_amount(n, "received", d.received, exp);
  put_amount(n, "paid", d.paid, exp);
  return n;
}

nlohmann::json edge_json(const Graph& g, Edge e, int exp) {
  const EdgeData& d = g[e];
  nlohmann::json l{{"source", g[source(e, g)].id}, {"target", g[target(e, g)].id}, {"type", name_of(d.type)}, {"gap", d.gap}};
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
  return l;
}

}  // namespace

void write_json(const Map& m, std::ostream& out) {
  const Graph& g = m.graph;
  const int exp = m.facts.exponent;
  // The object's keys in nlohmann's (sorted) order: directed, edges, graph, multigraph, nodes.
  out << "{\n  \"directed\": true,\n  \"edges\": [";
  bool first = true;
  for (auto [e, end] = edges(g); e != end; ++e, first = false) write_element(out, edge_json(g, *e, exp), first);
  out << (first ? "]" : "\n  ]");
  nlohmann::json graph{{"origin", m.facts.origin}, {"currency", m.facts.currency}, {"as_of", as_of_value(m)},
                       {"records", m.facts.records}};
  out << ",\n  \"graph\": ";
  write_indented(out, graph.dump(2), "  ");
  out << ",\n  \"multigraph\": true,\n  \"nodes\": [";
  first = true;
  for (Vertex v = 0; v < num_vertices(g); ++v, first = false) write_element(out, node_json(g[v], exp), first);
  out << (first ? "]" : "\n  ]") << "\n}\n";
}

}  // namespace fundtrail::map
