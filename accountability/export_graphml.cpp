// GraphML, written as it goes (a million payments make hundreds of thousands
// of edges: no copy of the file is held). The file is the one Boost's
// write_graphml wrote with two fix-ups that DESIGN.md makes firm, byte for
// byte: a node's id is the party id, and an edge carries only the attributes
// of its type. Keys are numbered as Boost numbers them (by attribute name,
// node before edge for a name both carry), values spelled as Boost spells them
// (booleans 0/1, strings with XML's five entities). One addition: the
// graph-level attributes (origin, currency, as_of, records) that say what the
// file covers, numbered after the node and edge keys so that those keep the
// ids they had before graph attributes existed.
#include <boost/property_tree/detail/xml_parser_utils.hpp>

#include <functional>

#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// A value as Boost's lexical_cast writes it, XML-escaped as Boost escapes it.
std::string text(const std::string& s) { return boost::property_tree::xml_parser::encode_char_entities(s); }
std::string text(bool b) { return b ? "1" : "0"; }
std::string text(int64_t v) { return std::to_string(v); }
std::string text(uint64_t v) { return std::to_string(static_cast<int64_t>(v)); }

enum Types : unsigned { kFunding = 1, kResponsibility = 2, kContract = 4, kEvery = 7 };

struct NodeKey {
  const char* name;
  const char* type;  // attr.type
  std::function<std::string(const VertexData&)> value;
};
struct EdgeKey {
  const char* name;
  const char* type;
  unsigned types;  // the edge types that carry it
  std::function<std::string(const EdgeData&)> value;
};
struct Key {  // one <key>, in Boost's order: by name, a node's before an edge's
  const char* name;
  bool node;
  size_t at;  // index into the node or edge keys
};

}  // namespace

void write_graphml(const Map& m, std::ostream& out) {
  const Graph& g = m.graph;
  const int exp = m.facts.exponent;
  auto money = [exp](int64_t v) { return text(format_money(v, exp)); };
  auto date = [](uint32_t d) { return text(date_text(d)); };
  const std::vector<NodeKey> node_keys = {
      {"controlled_by", "string", [](const VertexData& v) { return text(v.controlled_by); }},
      {"failed", "boolean", [](const VertexData& v) { return text(v.failed); }},
      {"gap", "boolean", [](const VertexData& v) { return text(v.gap); }},
      {"kind", "string", [](const VertexData& v) { return text(v.kind); }},
      {"name", "string", [](const VertexData& v) { return text(v.name); }},
      {"paid", "string", [&](const VertexData& v) { return money(v.paid); }},
      {"paid_minor", "long", [](const VertexData& v) { return text(v.paid); }},
      {"parent", "string", [](const VertexData& v) { return text(v.parent); }},
      {"received", "string", [&](const VertexData& v) { return money(v.received); }},
      {"received_minor", "long", [](const VertexData& v) { return text(v.received); }},
      {"sector", "string", [](const VertexData& v) { return text(v.sector); }},
      {"status", "string", [](const VertexData& v) { return text(v.status); }},
      {"status_from", "string", [&](const VertexData& v) { return date(v.status_from); }},
  };
  const std::vector<EdgeKey> edge_keys = {
      {"amount", "string", kFunding, [&](const EdgeData& e) { return money(e.amount); }},
      {"amount_minor", "long", kFunding, [](const EdgeData& e) { return text(e.amount); }},
      {"cap", "string", kContract, [&](const EdgeData& e) { return money(e.cap); }},
      {"cap_minor", "long", kContract, [](const EdgeData& e) { return text(e.cap); }},
      {"count", "long", kFunding, [](const EdgeData& e) { return text(e.count); }},
      {"end_date", "string", kResponsibility | kContract, [&](const EdgeData& e) { return date(e.end); }},
      {"ended", "string", kContract, [](const EdgeData& e) { return text(e.ended.str()); }},
      {"first_date", "string", kFunding, [&](const EdgeData& e) { return date(e.first_date); }},
      {"gap", "boolean", kEvery, [](const EdgeData& e) { return text(e.gap); }},
      {"joint", "boolean", kResponsibility, [](const EdgeData& e) { return text(e.joint); }},
      {"joint_with", "string", kResponsibility, [](const EdgeData& e) { return text(e.joint_with.str()); }},
      {"kind", "string", kResponsibility, [](const EdgeData& e) { return text(e.kind.str()); }},
      {"last_date", "string", kFunding, [&](const EdgeData& e) { return date(e.last_date); }},
      {"loan_minor", "long", kFunding, [](const EdgeData& e) { return text(e.loan); }},
      {"mechanism", "string", kFunding, [](const EdgeData& e) { return text(e.mechanism.str()); }},
      {"model", "string", kContract, [](const EdgeData& e) { return text(e.model.str()); }},
      {"own_minor", "long", kFunding, [](const EdgeData& e) { return text(e.own); }},
      {"paid", "string", kContract, [&](const EdgeData& e) { return money(e.paid); }},
      {"paid_minor", "long", kContract, [](const EdgeData& e) { return text(e.paid); }},
      {"recorded", "boolean", kResponsibility, [](const EdgeData& e) { return text(e.recorded); }},
      {"reference", "string", kContract, [](const EdgeData& e) { return text(e.reference.str()); }},
      {"seq", "long", kResponsibility | kContract, [](const EdgeData& e) { return text(e.seq); }},
      {"start_date", "string", kResponsibility | kContract, [&](const EdgeData& e) { return date(e.start); }},
      {"subject", "string", kResponsibility | kContract, [](const EdgeData& e) { return text(e.subject.str()); }},
      {"tagged_minor", "long", kFunding, [](const EdgeData& e) { return text(e.tagged); }},
      {"type", "string", kEvery, [](const EdgeData& e) { return text(name_of(e.type)); }},
      {"untagged_minor", "long", kFunding, [](const EdgeData& e) { return text(e.untagged); }},
  };
  std::vector<Key> keys;
  for (size_t i = 0; i < node_keys.size(); ++i) keys.push_back({node_keys[i].name, true, i});
  for (size_t i = 0; i < edge_keys.size(); ++i) keys.push_back({edge_keys[i].name, false, i});
  std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) { return std::string(a.name) < b.name; });
  std::vector<std::string> node_id(node_keys.size()), edge_id(edge_keys.size());

  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" "
         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
         "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns "
         "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n";
  size_t n = 0;
  for (const Key& k : keys) {
    std::string id = "key" + std::to_string(n++);
    (k.node ? node_id[k.at] : edge_id[k.at]) = id;
    out << "  <key id=\"" << id << "\" for=\"" << (k.node ? "node" : "edge") << "\" attr.name=\"" << k.name
        << "\" attr.type=\"" << (k.node ? node_keys[k.at].type : edge_keys[k.at].type) << "\" />\n";
  }
  const std::pair<const char*, std::pair<const char*, std::string>> graph_attributes[] = {
      {"origin", {"string", m.facts.origin}},
      {"currency", {"string", m.facts.currency}},
      {"as_of", {"string", as_of_value(m)}},
      {"records", {"long", std::to_string(m.facts.records)}}};
  std::string graph_data;
  for (auto& [name, typed] : graph_attributes) {
    std::string id = "key" + std::to_string(n++);
    out << "  <key id=\"" << id << "\" for=\"graph\" attr.name=\"" << name << "\" attr.type=\"" << typed.first << "\" />\n";
    graph_data += "    <data key=\"" + id + "\">" + text(typed.second) + "</data>\n";
  }
  out << "  <graph id=\"G\" edgedefault=\"directed\" parse.nodeids=\"free\" parse.edgeids=\"canonical\" "
         "parse.order=\"nodesfirst\">\n"
      << graph_data;

  std::string buf;  // one element at a time
  for (Vertex v = 0; v < num_vertices(g); ++v) {
    buf = "    <node id=\"" + g[v].id + "\">\n";
    for (size_t i = 0; i < node_keys.size(); ++i)
      buf += "      <data key=\"" + node_id[i] + "\">" + node_keys[i].value(g[v]) + "</data>\n";
    buf += "    </node>\n";
    out << buf;
  }
  // Each edge type's keys, in key order.
  std::map<unsigned, std::vector<size_t>> of_type;
  for (unsigned t : {kFunding, kResponsibility, kContract})
    for (const Key& k : keys)
      if (!k.node && (edge_keys[k.at].types & t)) of_type[t].push_back(k.at);
  size_t e_count = 0;
  for (auto [e, end] = edges(g); e != end; ++e) {
    const EdgeData& d = g[*e];
    const unsigned t = d.type == EdgeType::funding ? kFunding : d.type == EdgeType::responsibility ? kResponsibility : kContract;
    buf = "    <edge id=\"e" + std::to_string(e_count++) + "\" source=\"" + g[source(*e, g)].id + "\" target=\"" +
          g[target(*e, g)].id + "\">\n";
    for (size_t i : of_type[t]) buf += "      <data key=\"" + edge_id[i] + "\">" + edge_keys[i].value(d) + "</data>\n";
    buf += "    </edge>\n";
    out << buf;
  }
  out << "  </graph>\n</graphml>\n";
}

}  // namespace fundtrail::map
