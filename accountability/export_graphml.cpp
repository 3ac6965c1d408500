// GraphML through Boost's write_graphml and dynamic_properties. Two fix-ups
// on Boost's output (DESIGN.md makes both firm): a node's id is the party id
// (Boost writes "n" + index), and an edge carries only the attributes of its
// type (Boost writes every key on every edge). One addition: the graph-level
// attributes (origin, currency, as_of, records) that say what the file covers.
#include <boost/graph/graphml.hpp>
#include <boost/property_map/function_property_map.hpp>

#include <set>
#include <sstream>

#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map {
namespace {

using namespace detail;

const std::map<std::string, std::set<std::string>> kEdgeKeys = {
    {"funding", {"amount_minor", "amount", "mechanism", "count", "first_date", "last_date", "tagged_minor", "own_minor",
                 "loan_minor", "untagged_minor"}},
    {"responsibility", {"kind", "subject", "recorded", "joint", "joint_with", "start_date", "end_date", "seq"}},
    {"contract", {"reference", "subject", "model", "cap_minor", "cap", "paid_minor", "paid", "start_date", "end_date",
                  "ended", "seq"}},
};

std::string attr(const std::string& line, const std::string& name) {
  std::string k = name + "=\"";
  size_t a = line.find(k);
  if (a == std::string::npos) return "";
  a += k.size();
  return line.substr(a, line.find('"', a) - a);
}

struct GraphAttribute {
  std::string name, type, value;  // type: a GraphML attr.type
};

// Rewrites Boost's output: ids, per-type edge attributes, and the graph-level
// attributes. Those are added here rather than as Boost graph properties,
// which Boost would number among the node and edge keys (it numbers keys in
// name order): appended after Boost's keys, numbered on from them, they leave
// every node and edge key the id it had before graph attributes existed.
std::string tidy(const std::string& boost_out, const std::vector<GraphAttribute>& graph_attributes) {
  std::istringstream in(boost_out);
  std::ostringstream out;
  std::map<std::string, std::string> edge_key_name;  // "key7" -> "amount"
  std::string type_key;
  std::vector<std::string> edge;  // the lines of the edge being read
  std::string line;
  int keys = 0;
  using boost::property_tree::xml_parser::encode_char_entities;
  auto flush_edge = [&] {
    std::string type;
    for (auto& l : edge)
      if (attr(l, "key") == type_key) type = l.substr(l.find('>') + 1, l.rfind("</data>") - l.find('>') - 1);
    auto allowed = kEdgeKeys.find(type);
    for (auto& l : edge) {
      std::string key = attr(l, "key");
      if (!key.empty() && edge_key_name.count(key)) {
        const std::string& name = edge_key_name[key];
        bool common = name == "type" || name == "gap";
        if (!common && (allowed == kEdgeKeys.end() || !allowed->second.count(name))) continue;
      }
      out << l << "\n";
    }
    edge.clear();
  };
  while (std::getline(in, line)) {
    if (line.rfind("  <graph id=", 0) == 0) {
      std::vector<std::string> data;
      for (auto& a : graph_attributes) {
        std::string id = "key" + std::to_string(keys++);
        out << "  <key id=\"" << id << "\" for=\"graph\" attr.name=\"" << a.name << "\" attr.type=\"" << a.type
            << "\" />\n";
        data.push_back("    <data key=\"" + id + "\">" + encode_char_entities(a.value) + "</data>");
      }
      out << line << "\n";
      for (auto& d : data) out << d << "\n";
      continue;
    }
    if (line.find("<key ") != std::string::npos) ++keys;
    if (line.find("<key ") != std::string::npos && attr(line, "for") == "edge") {
      edge_key_name[attr(line, "id")] = attr(line, "attr.name");
      if (attr(line, "attr.name") == "type") type_key = attr(line, "id");
    }
    if (line.rfind("    <node id=\"n", 0) == 0) line.erase(line.find("id=\"n") + 4, 1);
    if (line.rfind("    <edge id=\"", 0) == 0) {
      line.erase(line.find("source=\"n") + 8, 1);
      line.erase(line.find("target=\"n") + 8, 1);
      edge.push_back(line);
      continue;
    }
    if (!edge.empty()) {
      edge.push_back(line);
      if (line.find("</edge>") != std::string::npos) flush_edge();
      continue;
    }
    out << line << "\n";
  }
  return out.str();
}

template <class F>
auto vmap(F f) {
  return boost::make_function_property_map<Vertex>(f);
}
template <class F>
auto emap(F f) {
  return boost::make_function_property_map<Edge>(f);
}

}  // namespace

void write_graphml(const Map& m, std::ostream& out) {
  const Graph& g = m.graph;
  const int exp = m.facts.exponent;
  boost::dynamic_properties dp;
  // Nodes.
  dp.property("name", vmap([&](Vertex v) { return g[v].name; }));
  dp.property("kind", vmap([&](Vertex v) { return g[v].kind; }));
  dp.property("sector", vmap([&](Vertex v) { return g[v].sector; }));
  dp.property("controlled_by", vmap([&](Vertex v) { return g[v].controlled_by; }));
  dp.property("parent", vmap([&](Vertex v) { return g[v].parent; }));
  dp.property("status", vmap([&](Vertex v) { return g[v].status; }));
  dp.property("status_from", vmap([&](Vertex v) { return date_text(g[v].status_from); }));
  dp.property("failed", vmap([&](Vertex v) { return g[v].failed; }));
  dp.property("gap", vmap([&](Vertex v) { return g[v].gap; }));
  dp.property("received_minor", vmap([&](Vertex v) { return static_cast<long>(g[v].received); }));
  dp.property("received", vmap([&](Vertex v) { return format_money(g[v].received, exp); }));
  dp.property("paid_minor", vmap([&](Vertex v) { return static_cast<long>(g[v].paid); }));
  dp.property("paid", vmap([&](Vertex v) { return format_money(g[v].paid, exp); }));
  // Edges. GraphML keys are per graph element kind, so "gap" can name both.
  dp.property("type", emap([&](Edge e) { return name_of(g[e].type); }));
  dp.property("gap", emap([&](Edge e) { return g[e].gap; }));
  dp.property("amount_minor", emap([&](Edge e) { return static_cast<long>(g[e].amount); }));
  dp.property("amount", emap([&](Edge e) { return format_money(g[e].amount, exp); }));
  dp.property("mechanism", emap([&](Edge e) { return g[e].mechanism; }));
  dp.property("count", emap([&](Edge e) { return static_cast<long>(g[e].count); }));
  dp.property("first_date", emap([&](Edge e) { return date_text(g[e].first_date); }));
  dp.property("last_date", emap([&](Edge e) { return date_text(g[e].last_date); }));
  dp.property("tagged_minor", emap([&](Edge e) { return static_cast<long>(g[e].tagged); }));
  dp.property("own_minor", emap([&](Edge e) { return static_cast<long>(g[e].own); }));
  dp.property("loan_minor", emap([&](Edge e) { return static_cast<long>(g[e].loan); }));
  dp.property("untagged_minor", emap([&](Edge e) { return static_cast<long>(g[e].untagged); }));
  dp.property("kind", emap([&](Edge e) { return g[e].kind; }));
  dp.property("subject", emap([&](Edge e) { return g[e].subject; }));
  dp.property("recorded", emap([&](Edge e) { return g[e].recorded; }));
  dp.property("joint", emap([&](Edge e) { return g[e].joint; }));
  dp.property("joint_with", emap([&](Edge e) { return g[e].joint_with; }));
  dp.property("start_date", emap([&](Edge e) { return date_text(g[e].start); }));
  dp.property("end_date", emap([&](Edge e) { return date_text(g[e].end); }));
  dp.property("seq", emap([&](Edge e) { return static_cast<long>(g[e].seq); }));
  dp.property("reference", emap([&](Edge e) { return g[e].reference; }));
  dp.property("model", emap([&](Edge e) { return g[e].model; }));
  dp.property("cap_minor", emap([&](Edge e) { return static_cast<long>(g[e].cap); }));
  dp.property("cap", emap([&](Edge e) { return format_money(g[e].cap, exp); }));
  dp.property("paid_minor", emap([&](Edge e) { return static_cast<long>(g[e].paid); }));
  dp.property("paid", emap([&](Edge e) { return format_money(g[e].paid, exp); }));
  dp.property("ended", emap([&](Edge e) { return g[e].ended; }));

  std::ostringstream raw;
  boost::write_graphml(raw, g, vmap([&](Vertex v) { return g[v].id; }), dp, false);
  out << tidy(raw.str(), {{"origin", "string", m.facts.origin},
                          {"currency", "string", m.facts.currency},
                          {"as_of", "string", as_of_value(m)},
                          {"records", "long", std::to_string(m.facts.records)}});
}

}  // namespace fundtrail::map
