// DOT through Boost's write_graphviz, styled for people: commissioners at
// the top, providers at the bottom, edge width by money, responsibility
// dashed, unrecorded (implicit) lines dotted grey, gaps red, failed parties
// marked.
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/function_property_map.hpp>

#include <algorithm>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// DOT string literal.
std::string q(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

int64_t isqrt(int64_t x) {
  if (x <= 0) return 0;
  int64_t r = 0;
  while ((r + 1) * (r + 1) <= x) ++r;
  return r;
}

int tier(const std::string& kind) {  // 0 top .. 3 bottom; -1 free
  if (kind == "commissioner" || kind == "funder" || kind == "office" || kind == "board" || kind == "regulator" ||
      kind == "auditor")
    return 0;
  if (kind == "pool") return 1;
  if (kind == "integrator") return 2;
  if (kind == "provider" || kind == "collaborative") return 3;
  return -1;
}

struct Style {
  const char* shape;
  const char* fill;
};
Style style_of(const std::string& kind) {
  if (kind == "commissioner" || kind == "funder") return {"box", "#dbe8f6"};
  if (kind == "pool") return {"cylinder", "#fff2c6"};
  if (kind == "integrator") return {"hexagon", "#e6ddf3"};
  if (kind == "provider") return {"box", "#ddeed6"};
  if (kind == "collaborative") return {"box3d", "#ddeed6"};
  if (kind == "office") return {"note", "#f2f2f2"};
  if (kind == "board" || kind == "regulator" || kind == "auditor") return {"tab", "#f2f2f2"};
  return {"ellipse", "#ffffff"};
}

struct VertexWriter {
  const Map* m;
  void operator()(std::ostream& out, Vertex v) const {
    const VertexData& d = m->graph[v];
    Style s = style_of(d.kind);
    std::string lbl = d.name.empty() ? d.id : d.name;
    lbl += "\n" + d.kind + (d.sector != "unspecified" && !d.sector.empty() ? ", " + d.sector : "");
    if (d.received) lbl += "\nreceived " + grouped(d.received, m->facts.exponent);
    if (!d.controlled_by.empty()) lbl += "\ncontrolled by " + d.controlled_by;
    std::string fill = s.fill;
    std::string extra;
    if (d.failed) {
      lbl = "FAILED: " + d.status + " from " + date_text(d.status_from) + "\n" + lbl;
      fill = "#f8c9c4";
      extra = " peripheries=2 fontcolor=\"#8b0000\"";
    }
    out << " [label=" << q(lbl) << " shape=" << s.shape << " style=\"filled" << (d.kind == "office" ? "" : ",rounded")
        << "\" fillcolor=" << q(fill) << " tooltip=" << q(d.id) << extra;
    if (d.gap) out << " color=\"#d00000\" penwidth=2";
    out << "]";
  }
};

// What the picture draws between two parties: one money edge (its mechanisms
// on separate label lines, width by the total), one edge for the recorded
// lines, one for an implicit line, one for the contracts.
struct Drawn {
  std::string label, style, colour;
  int64_t amount = 0;
  bool constraint = true, back = false;
};
using Drawing = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, Drawn>;

// Long label lines wrapped at spaces, so edges do not push parties apart.
std::string wrap(const std::string& text, size_t width = 32) {
  std::string out, line;
  std::istringstream words(text);
  std::string w;
  while (words >> w) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      out += (out.empty() ? "" : "\n") + line;
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  return out + (out.empty() ? "" : "\n") + line;
}

Drawing drawing(const Map& m) {
  const Graph& g = m.graph;
  const int exp = m.facts.exponent;
  Drawing d(num_vertices(g));
  // (source, target, what) -> the edges of the map drawn as one;
  // what: 0 money, 1 money going back, 2 recorded lines, 3 implicit line, 4 contracts
  std::map<std::tuple<Vertex, Vertex, int>, std::vector<Edge>> groups;
  for (auto [e, end] = edges(g); e != end; ++e) {
    const EdgeData& x = g[*e];
    int what = x.type == EdgeType::funding ? (x.mechanism == "clawback" ? 1 : 0)
               : x.type == EdgeType::contract ? 4
               : x.recorded ? 2
                            : 3;
    groups[{source(*e, g), target(*e, g), what}].push_back(*e);
  }
  auto contract_lines = [&](const std::vector<Edge>& list) {
    std::vector<std::string> lines;
    for (Edge e : list) {
      const EdgeData& x = g[e];
      std::string l = "contract " + x.reference + (x.ended.empty() ? "" : " (" + x.ended + ")");
      if (x.cap) l += ", cap " + grouped(x.cap, exp);
      if (!x.model.empty()) l += ", " + x.model;
      lines.push_back(l);
    }
    return lines;
  };
  for (auto& [key, list] : groups) {
    auto [a, b, what] = key;
    bool money_too = groups.count({a, b, 0}) > 0;
    if (what == 4 && money_too) continue;  // drawn on the money edge's label
    Drawn dr;
    bool gap = false;
    std::vector<std::string> lines;
    if (what == 0 || what == 1) {
      if (what == 0 && groups.count({a, b, 4})) lines = contract_lines(groups.at({a, b, 4}));
      std::vector<Edge> by_amount = list;
      std::stable_sort(by_amount.begin(), by_amount.end(), [&](Edge x, Edge y) { return g[x].amount > g[y].amount; });
      for (Edge e : by_amount) {
        const EdgeData& x = g[e];
        gap |= x.gap;
        dr.amount += x.amount;
        std::string l = x.mechanism + " " + grouped(x.amount, exp) + (x.count > 1 ? " (" + std::to_string(x.count) + ")" : "");
        if (x.own == x.amount) l += ", own funds";
        else if (x.own) l += ", " + grouped(x.own, exp) + " own funds";
        lines.push_back(l);
      }
    } else if (what == 4) {
      for (Edge e : list) gap |= g[e].gap;
      for (auto& l : contract_lines(list)) lines.push_back(wrap(l));
      dr.amount = -1;  // thin, with an open arrowhead
    } else {
      for (Edge e : list) {
        const EdgeData& x = g[e];
        gap |= x.gap;
        lines.push_back(x.recorded ? wrap(x.kind + ": " + x.subject + (x.joint ? " (jointly)" : "")) : "implicit, unrecorded");
      }
      std::sort(lines.begin(), lines.end());
      lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    }
    dr.label = join(lines, "\n");
    switch (what) {
      case 0: dr.colour = g[a].kind == "commissioner" || g[a].kind == "funder" ? "#2f6f3a" : "#404040"; dr.style = "solid"; break;
      case 1: dr.colour = "#8a8a8a"; dr.style = "solid"; dr.back = true; dr.constraint = false; break;
      case 2: dr.colour = "#1f5fa8"; dr.style = "dashed"; dr.constraint = false; break;
      case 3: dr.colour = "#9a9a9a"; dr.style = "dotted"; dr.constraint = false; break;
      default: dr.colour = "#8a5a00"; dr.style = "solid"; dr.constraint = false; break;
    }
    if (gap) dr.colour = "#d00000";
    add_edge(a, b, dr, d);
  }
  return d;
}

struct EdgeWriter {
  const Drawing* d;
  int64_t max_amount;
  void operator()(std::ostream& out, Drawing::edge_descriptor e) const {
    const Drawn& x = (*d)[e];
    out << " [label=" << q(x.label) << " color=" << q(x.colour) << " fontcolor=" << q(x.colour) << " style=" << x.style;
    if (x.amount > 0) {  // width 1 to 8 by the square root of the amount, in integer tenths
      int64_t tenths = 10 + (max_amount > 0 ? isqrt(static_cast<int64_t>(static_cast<__int128>(x.amount) * 4900 / max_amount)) : 0);
      out << " penwidth=" << tenths / 10 << "." << tenths % 10;
    } else {
      out << " penwidth=1.0";
    }
    if (x.amount < 0) out << " arrowhead=onormal";
    if (x.back) out << " arrowhead=empty";
    if (!x.constraint) out << " constraint=false";
    out << "]";
  }
};

struct GraphWriter {
  const Map* m;
  void operator()(std::ostream& out) const {
    const Graph& g = m->graph;
    std::string title = m->facts.origin + " - accountability map, " + as_of_text(*m);
    out << "graph [rankdir=TB newrank=true nodesep=0.5 ranksep=0.9 fontname=\"Helvetica\" labelloc=t fontsize=14 label="
        << q(title +
             "\nsolid: money (wider = more) | dashed blue: responsibility | dotted grey: implicit, unrecorded line | red: gap"
             " | double border: failed party")
        << "];\n";
    out << "node [fontname=\"Helvetica\" fontsize=10 margin=\"0.15,0.06\"];\n";
    out << "edge [fontname=\"Helvetica\" fontsize=8];\n";
    const char* ranks[] = {"min", "same", "same", "max"};
    for (int t = 0; t < 4; ++t) {
      std::string ids;
      for (Vertex v = 0; v < num_vertices(g); ++v)
        if (tier(g[v].kind) == t) ids += " " + q(g[v].id) + ";";
      if (!ids.empty()) out << "{rank=" << ranks[t] << ";" << ids << "}\n";
    }
  }
};

}  // namespace

void write_dot(const Map& m, std::ostream& out) {
  Drawing d = drawing(m);
  int64_t max_amount = 0;
  for (auto [e, end] = edges(d); e != end; ++e) max_amount = std::max(max_amount, d[*e].amount);
  auto ids = boost::make_function_property_map<Vertex>([&](Vertex v) { return m.graph[v].id; });
  boost::write_graphviz(out, d, VertexWriter{&m}, EdgeWriter{&d, max_amount}, GraphWriter{&m}, ids);
}

}  // namespace fundtrail::map
