// DOT through Boost's write_graphviz, laid out to be read on a screen and on
// an A4 page (docs/map.md "Picture"):
//
// - a title saying what the picture is, of which ledger, how many records
//   and parties, in which currency; a key listing every fill, outline and
//   line colour, line style and shape the picture uses, and no other;
// - parties in rows top to bottom: commissioners, funders and those who hold
//   others to account; pools; integrators, each with the parties it pays
//   under it; the rest. A row wider than the chosen width wraps, and the
//   width (and how long tables are) is chosen so the picture fits an A4 page,
//   portrait or landscape, at the largest scale, by estimating each box from
//   its text (Plan);
// - the parties one payer alone pays, when there are many (kGroupMin), are
//   one table under it, largest first: 300 parties make a page, not a strip;
// - arrows carry no text: what a party received and from whom, and whom it
//   answers to for what, is written in its box, so labels do not push boxes
//   apart (the arrow's tooltip says it too);
// - amounts with the ledger's currency; every red outline says which gap it
//   marks; an implicit (unrecorded) line is a note in the box of the party
//   it is for ("answers by default to ..."), not an arrow round the picture.
#include <algorithm>
#include <boost/graph/graphviz.hpp>
#include <boost/property_map/function_property_map.hpp>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// ---- text -----------------------------------------------------------------

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

// Text inside an HTML-like label.
std::string h(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\n':
      case '\r':
      case '\t':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Words wrapped into lines of at most `width` characters (a longer word stays whole).
std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) {
    // A currency code stays with its amount: "GBP 1,250.00" is not broken.
    const std::string& p = words.empty() ? w : words.back();
    if (!words.empty() && p.size() == 3 &&
        std::all_of(p.begin(), p.end(), [](char c) { return c >= 'A' && c <= 'Z'; }) &&
        (std::isdigit(static_cast<unsigned char>(w[0])) || w[0] == '-'))
      words.back() += " " + w;
    else
      words.push_back(w);
  }
  std::string line;
  for (const std::string& w : words) {
    if (!line.empty() && line.size() + 1 + w.size() > width) {
      out.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty() || out.empty()) out.push_back(line);
  return out;
}

// Width of `s` in points in Helvetica (or the sans font standing in for it)
// at `pt` points: per-character advance widths, in thousandths of an em,
// rounded up a little since DejaVu Sans, Graphviz's usual stand-in, is wider.
double text_width(const std::string& s, double pt, bool bold = false) {
  double em = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte
    if (c >= 0x80)
      em += 0.65;
    else if (c == ' ')
      em += 0.3;
    else if (std::string_view("il.,:;'|!()[]").find(static_cast<char>(c)) != std::string_view::npos)
      em += 0.3;
    else if (c >= 'A' && c <= 'Z')
      em += c == 'M' || c == 'W' ? 0.9 : 0.7;
    else if (c >= '0' && c <= '9')
      em += 0.62;
    else if (c == 'm' || c == 'w')
      em += 0.88;
    else
      em += 0.58;
  }
  return em * pt * (bold ? 1.08 : 1.0);
}

int64_t isqrt(int64_t x) {
  if (x <= 0) return 0;
  int64_t r = 0;
  while ((r + 1) * (r + 1) <= x) ++r;
  return r;
}

// ---- what each party looks like -------------------------------------------

constexpr double kNamePt = 12, kTextPt = 10.5;
constexpr double kNodesep = 0.22 * 72, kRanksep = 0.32 * 72;  // points
constexpr double kPassing = 0.55 * 72;  // what an arrow passing a level adds to its width, as dot draws it
constexpr double kA4Short = 7.48 * 72, kA4Long = 10.9 * 72;  // A4 less 1 cm margins, points
constexpr size_t kGroupMin = 10;  // parties one payer alone pays, drawn as one table from this many

const char* const kGap = "#d00000";
const char* const kFailedFill = "#f8c9c4";
const char* const kFailedText = "#8b0000";
const char* const kFrame = "#8c8c8c";  // a group table's frame

int tier(const std::string& kind) {  // 0 top .. 3 bottom; -1 anywhere
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
  const char* key;  // the key's words for it
};
Style style_of(const std::string& kind) {
  if (kind == "commissioner" || kind == "funder") return {"box", "#dbe8f6", "commissioner or funder (box)"};
  if (kind == "pool") return {"cylinder", "#fff2c6", "pooled budget (cylinder)"};
  if (kind == "integrator") return {"box", "#e6ddf3", "integrator (box with cut corners)"};
  if (kind == "provider") return {"box", "#ddeed6", "provider (box)"};
  if (kind == "collaborative") return {"box3d", "#ddeed6", "collaborative of providers (3-D box)"};
  if (kind == "office") return {"note", "#f2f2f2", "office holder (folded corner)"};
  if (kind == "board" || kind == "regulator" || kind == "auditor")
    return {"tab", "#f2f2f2", "board, regulator or auditor (tab)"};
  return {"ellipse", "#ffffff", "other party (ellipse)"};
}

// ---- what is drawn between parties ----------------------------------------

enum What { kMoney = 0, kBack = 1, kLine = 2, kImplicit = 3, kContract = 4 };

struct Drawn {
  Vertex from = 0, to = 0;
  int what = kMoney;
  std::vector<std::string> lines;  // what the arrow means, for the boxes and the tooltip
  std::string tooltip;
  int64_t amount = 0;  // money: width by amount; -1: a contract without money
  bool gap = false, from_origin = false;
  bool constraint = true;
};

// One edge per (payer, payee, what): mechanisms on separate lines, width by
// the total; one for the recorded lines; one for the contracts without money.
// Implicit lines are not edges: `implicit[v]` gets who v answers to by default.
std::vector<Drawn> draw_edges(const Map& m, std::vector<std::vector<std::string>>& implicit) {
  const Graph& g = m.graph;
  std::map<std::tuple<Vertex, Vertex, int>, std::vector<Edge>> groups;
  for (auto [e, end] = edges(g); e != end; ++e) {
    const EdgeData& x = g[*e];
    int what = x.type == EdgeType::funding    ? (x.mechanism == "clawback" ? kBack : kMoney)
               : x.type == EdgeType::contract ? kContract
               : x.recorded                   ? kLine
                                              : kImplicit;
    groups[{source(*e, g), target(*e, g), what}].push_back(*e);
  }
  auto contract_lines = [&](const std::vector<Edge>& list) {
    std::vector<std::string> lines;
    for (Edge e : list) {
      const EdgeData& x = g[e];
      std::string l = "contract " + x.reference + (x.ended.empty() ? "" : " (" + x.ended + ")");
      if (x.cap) l += ", cap " + money_text(m, x.cap);
      if (!x.model.empty()) l += ", " + x.model;
      lines.push_back(l);
    }
    return lines;
  };
  std::vector<Drawn> out;
  for (auto& [key, list] : groups) {
    auto [a, b, what] = key;
    if (what == kImplicit) {
      implicit[b].push_back(g[a].name.empty() ? g[a].id : g[a].name);
      continue;
    }
    if (what == kContract && groups.count({a, b, kMoney})) continue;  // on the money edge's label
    Drawn dr;
    dr.from = a;
    dr.to = b;
    dr.what = what;
    dr.from_origin = is_origin_kind(g[a].kind);
    if (what == kMoney || what == kBack) {
      if (what == kMoney && groups.count({a, b, kContract})) dr.lines = contract_lines(groups.at({a, b, kContract}));
      std::vector<Edge> by_amount = list;
      std::stable_sort(by_amount.begin(), by_amount.end(), [&](Edge x, Edge y) { return g[x].amount > g[y].amount; });
      for (Edge e : by_amount) {
        const EdgeData& x = g[e];
        dr.gap |= x.gap;
        dr.amount += x.amount;
        std::string l = x.mechanism + " " + money_text(m, x.amount) +
                        (x.count > 1 ? " (" + std::to_string(x.count) + " payments)" : "");
        if (x.own == x.amount)
          l += ", own funds";
        else if (x.own)
          l += ", " + money_text(m, x.own) + " own funds";
        dr.lines.push_back(l);
      }
    } else if (what == kContract) {
      for (Edge e : list) dr.gap |= g[e].gap;
      dr.lines = contract_lines(list);
      dr.amount = -1;
    } else {
      for (Edge e : list) {
        const EdgeData& x = g[e];
        dr.gap |= x.gap;
        dr.lines.push_back(x.kind + ": " + x.subject + (x.joint ? " (jointly)" : ""));
      }
      std::sort(dr.lines.begin(), dr.lines.end());
      dr.lines.erase(std::unique(dr.lines.begin(), dr.lines.end()), dr.lines.end());
    }
    out.push_back(std::move(dr));
  }
  return out;
}

// ---- the gaps each party is in, in words ----------------------------------

std::vector<std::vector<std::string>> gap_words(const Map& m, const std::vector<Gap>& gaps,
                                                const std::vector<std::vector<std::string>>& implicit) {
  const Graph& g = m.graph;
  std::vector<std::vector<std::string>> out(num_vertices(g));
  std::vector<std::set<std::string>> types(num_vertices(g));
  for (const Gap& gap : gaps) {
    auto v = m.find(gap.party);
    if (!v || !g[*v].gap || !types[*v].insert(gap.type + gap.other + std::to_string(gap.seq)).second) continue;
    if (gap.type == "money-without-line") {
      out[*v].push_back("GAP: no responsibility line on record");
    } else if (gap.type == "no-last-resort") {
      out[*v].push_back("GAP: no operator of last resort");
    } else if (gap.type == "paid-after-failure") {  // detail: "support on 2025-11-17 after ..."
      bool rescue = gap.detail.rfind("support ", 0) == 0;
      out[*v].push_back("GAP: paid " + money_text(m, gap.amount) + " after its failure" +
                        (rescue ? " (support: rescue money, allowed)" : ""));
    } else if (gap.type ==
               "line-without-money") {  // detail: "delivery line for 'meals' (seq 9), but no money reached x"
      out[*v].push_back("GAP: " + gap.detail.substr(0, gap.detail.find(" (seq")) + ", but no money reached it");
    }
  }
  for (Vertex v = 0; v < num_vertices(g); ++v) {
    if (!implicit[v].empty()) {
      bool said = false;
      for (auto& w : out[v]) said |= w == "GAP: no responsibility line on record";
      if (!said) out[v].insert(out[v].begin(), "GAP: no responsibility line on record");
    }
    if (g[v].gap && out[v].empty()) out[v].push_back("GAP: see 'fundtrail map gaps'");
  }
  return out;
}

// ---- boxes and tables -------------------------------------------------------

// One thing the picture places: a party's box, or the table of the parties
// a payer alone pays (a group).
struct Node {
  std::string id;       // DOT id: the party id, or "paid-only-by:PAYER"
  std::string attrs;    // inside [ ], the label included
  double w = 0, h = 0;  // estimated, points
  int group = -1;       // index into the groups when a table
};

struct TextLine {
  std::string text;
  double pt;
  bool bold = false;
  const char* colour = nullptr;
};

std::string pt_text(double pt) {
  std::ostringstream o;
  o << pt;
  return o.str();
}

// HTML lines, and their estimated width and height in points.
std::string lines_html(const std::vector<TextLine>& lines, double base_pt, double& w, double& hgt) {
  std::string html;
  w = hgt = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    const TextLine& l = lines[i];
    w = std::max(w, text_width(l.text, l.pt, l.bold));
    hgt += l.pt * 1.02 + 1;
    std::string t = h(l.text);
    if (l.bold) t = "<B>" + t + "</B>";
    std::string attrs;
    if (l.pt != base_pt) attrs += " POINT-SIZE=\"" + pt_text(l.pt) + "\"";
    if (l.colour) attrs += std::string(" COLOR=\"") + l.colour + "\"";
    if (!attrs.empty()) t = "<FONT" + attrs + ">" + t + "</FONT>";
    html += (i ? "<BR/>" : "") + t;
  }
  return html;
}

std::string plain(const std::vector<TextLine>& lines) {
  std::string out;
  for (auto& l : lines) out += (out.empty() ? "" : "\n") + l.text;
  return out;
}

// "GAP: ..." lines in red, with who a party answers to by default.
void add_gap_lines(std::vector<TextLine>& lines, const std::vector<std::string>& gaps,
                   const std::vector<std::string>& implicit, double pt, size_t width) {
  for (auto& gap : gaps) {
    for (auto& l : wrap(gap, width)) lines.push_back({l, pt, true, kGap});
    if (gap == "GAP: no responsibility line on record" && !implicit.empty())
      for (auto& l : wrap("(answers by default to " + join(implicit, " and ") + ")", width + 2))
        lines.push_back({l, pt - 1, false, kGap});
  }
}

// What a party's box says of the arrows that end at it: the picture's
// arrows carry no text, so boxes do not get pushed apart by labels.
struct Incoming {
  std::vector<const Drawn*> money;      // money and money paid back, largest first
  std::vector<const Drawn*> lines;      // recorded responsibility lines
  std::vector<const Drawn*> contracts;  // contracts with no money paid under them yet
};

std::string name_or_id(const VertexData& d) { return d.name.empty() ? d.id : d.name; }

// "oversight: charity governance (jointly)" from X -> "answers to X for charity governance (oversight, jointly)"
std::string answers_to(const std::string& accountable, const std::string& line) {
  size_t colon = line.find(": ");
  std::string kind = line.substr(0, colon), rest = colon == std::string::npos ? "" : line.substr(colon + 2);
  std::string joint;
  const std::string j = " (jointly)";
  if (rest.size() > j.size() && rest.compare(rest.size() - j.size(), j.size(), j) == 0)
    rest.resize(rest.size() - j.size()), joint = ", jointly";
  return "answers to " + accountable + " for " + rest + " (" + kind + joint + ")";
}

// "grant GBP 5.00 (3 payments)" -> " (grant, 3 payments)"; "" when the line says more than that.
std::string simple_mechanism(const Drawn& e) {
  if (e.lines.size() != 1 || e.lines[0].find("own funds") != std::string::npos || e.lines[0].rfind("contract ", 0) == 0)
    return "";
  const std::string& l = e.lines[0];
  size_t paren = l.find(" (");
  return " (" + l.substr(0, l.find(' ')) + (paren == std::string::npos ? ")" : ", " + l.substr(paren + 2));
}

Node party_node(const Map& m, Vertex v, const Incoming& in, const std::vector<std::string>& gaps,
                const std::vector<std::string>& implicit) {
  const Graph& g = m.graph;
  const VertexData& d = g[v];
  const double small = kTextPt - 1;
  std::vector<TextLine> lines;
  if (d.failed)
    lines.push_back({"FAILED: " + d.status + " from " + date_text(d.status_from), kTextPt, true, kFailedText});
  for (auto& l : wrap(name_or_id(d), 26)) lines.push_back({l, kNamePt, true});
  lines.push_back({d.kind + (d.sector != "unspecified" && !d.sector.empty() ? ", " + d.sector : ""), kTextPt});
  if (d.received) {
    std::string head = "received " + money_text(m, d.received);
    if (in.money.size() == 1) head += simple_mechanism(*in.money[0]);
    lines.push_back({head, kTextPt});
    bool simple = in.money.size() == 1 && !simple_mechanism(*in.money[0]).empty();
    for (const Drawn* e : in.money) {
      if (simple) break;
      std::string from = in.money.size() > 1 ? "from " + name_or_id(g[e->from]) : "";
      if (!from.empty() && e->lines.size() == 1) {
        for (auto& w : wrap(from + ": " + e->lines[0], 40)) lines.push_back({w, small});
        continue;
      }
      if (!from.empty())
        for (auto& w : wrap(from + ":", 40)) lines.push_back({w, small});
      for (auto& l : e->lines)
        for (auto& w : wrap(l, 40)) lines.push_back({w, small});
    }
  }
  if (d.paid && tier(d.kind) >= 0 && tier(d.kind) <= 2) lines.push_back({"paid " + money_text(m, d.paid), kTextPt});
  for (const Drawn* e : in.lines)
    for (auto& l : e->lines)
      for (auto& w : wrap(answers_to(name_or_id(g[e->from]), l), 40)) lines.push_back({w, small});
  for (const Drawn* e : in.contracts)
    for (auto& l : e->lines)
      for (auto& w : wrap(l + " with " + name_or_id(g[e->from]) + ", nothing paid yet", 40))
        lines.push_back({w, small});
  if (!d.controlled_by.empty()) lines.push_back({"controlled by " + d.controlled_by, small});
  add_gap_lines(lines, gaps, implicit, kTextPt, 40);

  Style s = style_of(d.kind);
  Node node;
  node.id = d.id;
  double w, hgt;
  std::string html = lines_html(lines, kTextPt, w, hgt);
  node.w = w + 2 * 9;
  node.h = hgt + 2 * 4;
  const std::string shape = s.shape;
  if (shape == "ellipse") node.w *= 1.4, node.h *= 1.4;
  if (shape == "cylinder") node.h += 22;
  if (shape == "box3d" || shape == "note" || shape == "tab") node.w += 6, node.h += 6;
  std::ostringstream a;
  a << "label=<" << html << "> shape=" << s.shape << " style=\"filled"
    << (d.kind == "office"       ? ""
        : d.kind == "integrator" ? ",diagonals"
                                 : ",rounded")
    << "\" fillcolor=" << q(d.failed ? kFailedFill : s.fill) << " tooltip=" << q(d.id + "\n" + plain(lines));
  if (d.failed) a << " peripheries=2";
  if (d.gap) a << " color=" << q(kGap) << " penwidth=2.5";
  if (shape == "cylinder") a << " margin=\"0.12,0.16\"";  // clear of the top ellipse
  node.attrs = a.str();
  return node;
}

// The parties one payer alone pays and that are tied to no one else, many
// of them: one table under the payer, largest amount first, down then across
// `cols` pairs of columns, each row the party's name (on its kind's colour)
// and what it received; gaps in red under the name.
struct Table {
  Vertex payer = 0;
  std::vector<Vertex> members;
  std::string id;
  std::vector<TextLine> header;              // title, total, lines and gaps all members share
  std::vector<std::vector<TextLine>> names;  // per member: name, its own gaps
  std::vector<std::string> amounts;          // per member
  std::vector<double> name_h;                // per member, points
  double name_w = 0, amount_w = 0, header_w = 0, header_h = 0;
};

constexpr double kRowPad = 1.5;  // CELLPADDING of the rows

Table make_table(const Map& m, Vertex payer, std::vector<Vertex> members, const std::vector<Incoming>& in,
                 const std::vector<std::vector<std::string>>& gaps,
                 const std::vector<std::vector<std::string>>& implicit) {
  const Graph& g = m.graph;
  Table t;
  t.payer = payer;
  std::stable_sort(members.begin(), members.end(), [&](Vertex a, Vertex b) { return g[a].received > g[b].received; });
  t.members = members;
  t.id = "paid-only-by:" + g[payer].id;
  std::set<std::string> mechanisms;
  std::map<std::string, size_t> line_count;
  int64_t total = 0;
  // Gaps every member has are said once, in the header.
  std::vector<std::string> common = gaps[members[0]];
  for (Vertex v : members) {
    std::vector<std::string> keep;
    for (auto& c : common)
      if (std::find(gaps[v].begin(), gaps[v].end(), c) != gaps[v].end()) keep.push_back(c);
    common = keep;
  }
  std::set<std::string> defaults;
  for (Vertex v : members) {
    const VertexData& d = g[v];
    std::vector<TextLine> lines;
    if (d.failed)
      lines.push_back({"FAILED: " + d.status + " from " + date_text(d.status_from), kTextPt - 1, true, kFailedText});
    for (auto& l : wrap(name_or_id(d), 34)) lines.push_back({l, kTextPt});
    std::vector<std::string> own;
    for (auto& gap : gaps[v])
      if (std::find(common.begin(), common.end(), gap) == common.end()) own.push_back(gap);
    add_gap_lines(lines, own, {}, kTextPt - 1, 40);
    for (auto& i : implicit[v]) defaults.insert(i);
    double w, hgt;
    lines_html(lines, kTextPt, w, hgt);
    t.name_w = std::max(t.name_w, w);
    t.name_h.push_back(hgt + 2 * kRowPad);
    t.names.push_back(std::move(lines));
    t.amounts.push_back(money_text(m, d.received));
    t.amount_w = std::max(t.amount_w, text_width(t.amounts.back(), kTextPt));
    total += d.received;
    for (const Drawn* e : in[v].money)
      for (auto& l : e->lines)
        if (l.rfind("contract ", 0) != 0) mechanisms.insert(l.substr(0, l.find(' ')));
    for (const Drawn* e : in[v].lines)
      for (auto& l : e->lines) ++line_count[l];
  }
  const std::string payer_name = name_or_id(g[payer]);
  t.header.push_back({std::to_string(members.size()) + " paid only by " + payer_name, kNamePt, true});
  t.header.push_back({money_text(m, total) + " in all" +
                          (mechanisms.size() <= 3
                               ? ", by " + join(std::vector<std::string>(mechanisms.begin(), mechanisms.end()), " and ")
                               : ""),
                      kTextPt});
  for (auto& [l, count] : line_count)
    for (auto& w : wrap((count == members.size() ? "all " : "") + std::to_string(count) + " " +
                            answers_to(payer_name, l).replace(0, 7, "answer"),
                        60))
      t.header.push_back({w, kTextPt - 1});
  for (auto& c : common) {
    std::string words = "GAP for all " + std::to_string(members.size()) + ": " + c.substr(5);
    if (c == "GAP: no responsibility line on record" && !defaults.empty())
      words +=
          "; by default they answer to " + join(std::vector<std::string>(defaults.begin(), defaults.end()), " and ");
    for (auto& w : wrap(words, 60)) t.header.push_back({w, kTextPt - 0.5, true, kGap});
  }
  lines_html(t.header, kTextPt, t.header_w, t.header_h);
  return t;
}

size_t table_rows(const Table& t, size_t cols) { return (t.members.size() + cols - 1) / cols; }

double table_w(const Table& t, size_t cols) {
  return std::max(t.header_w + 12, static_cast<double>(cols) * (t.name_w + t.amount_w + 4 * kRowPad + 24) + 6);
}

double table_h(const Table& t, size_t cols) {
  size_t rows = table_rows(t, cols);
  double hgt = t.header_h + 12;
  for (size_t r = 0; r < rows; ++r) {
    double row = 0;
    for (size_t c = 0; c < cols; ++c)
      if (c * rows + r < t.members.size()) row = std::max(row, t.name_h[c * rows + r]);
    hgt += row;
  }
  return hgt + 6;
}

// Lines of an HTML label, each left-aligned (a <BR/> aligns the line before it).
std::string left_aligned(const std::vector<TextLine>& lines) {
  double w, hgt;
  std::string html = lines_html(lines, kTextPt, w, hgt), out;
  for (size_t k = 0; k < html.size();) {
    if (html.compare(k, 5, "<BR/>") == 0) {
      out += "<BR ALIGN=\"LEFT\"/>";
      k += 5;
    } else {
      out += html[k++];
    }
  }
  return out + "<BR ALIGN=\"LEFT\"/>";
}

std::string table_attrs(const Map& m, const Table& t, size_t cols) {
  const Graph& g = m.graph;
  size_t rows = table_rows(t, cols);
  std::string html = std::string("<TABLE BORDER=\"1\" COLOR=\"") + kFrame +
                     "\" STYLE=\"rounded\" CELLBORDER=\"0\" CELLSPACING=\"0\" CELLPADDING=\"" + pt_text(kRowPad) +
                     "\" BGCOLOR=\"#ffffff\">";
  html += "<TR><TD COLSPAN=\"" + std::to_string(3 * cols - 1) + "\" ALIGN=\"LEFT\" CELLPADDING=\"4\">" +
          left_aligned(t.header) + "</TD></TR>";
  for (size_t r = 0; r < rows; ++r) {
    html += "<TR>";
    for (size_t c = 0; c < cols; ++c) {
      size_t i = c * rows + r;
      if (c) html += "<TD WIDTH=\"10\"></TD>";
      if (i >= t.members.size()) {
        html += "<TD></TD><TD></TD>";
        continue;
      }
      const VertexData& d = g[t.members[i]];
      std::string fill = d.failed ? kFailedFill : style_of(d.kind).fill;
      std::string tip = " TOOLTIP=\"" + h(d.id) + "\"";
      html += "<TD ALIGN=\"LEFT\" BGCOLOR=\"" + fill + "\"" + tip + ">" + left_aligned(t.names[i]) + "</TD>";
      html += "<TD ALIGN=\"RIGHT\" VALIGN=\"TOP\" BGCOLOR=\"" + fill + "\">" + h(t.amounts[i]) + "</TD>";
    }
    html += "</TR>";
  }
  html += "</TABLE>";
  return "label=<" + html + "> shape=plain tooltip=" + q(plain(t.header));
}

// ---- the layout -------------------------------------------------------------

// Something placed in a band: a party (with, for an integrator, the parties
// it pays placed under it: `under`, then its group's table), or a table.
struct Unit {
  int head = -1;           // node index
  std::vector<int> under;  // node indices, wrapped into rows
  int group = -1;          // group index (its node is group_node[group])
};

struct Layout {
  std::vector<std::vector<int>> levels;      // node indices per level, top first
  std::vector<std::vector<int>> ordered;     // rows drawn left to right as listed
  std::vector<std::pair<int, int>> stacked;  // (above, below): drawn one under the other
  std::vector<size_t> cols;                  // per group: column pairs
  double w = 0, h = 0;                       // estimated, points
  double scale = 0;                          // to fit A4, the larger of both orientations
};

struct Plan {
  const std::vector<Node>* nodes;
  const std::vector<Table>* groups;
  std::vector<int> group_node;
  std::vector<std::vector<Unit>> sections;  // top to bottom
  std::vector<std::pair<int, int>> links;   // node pairs an arrow joins
  double fixed_w = 0, fixed_h = 0;          // title (and the key on its own level)
  double key_w = 0, key_h = 0;              // the key, when in the first level (key_first)
  bool key_first = false;

  double node_w(int i, const Layout& l) const {
    const Node& nd = (*nodes)[i];
    return nd.group >= 0 ? table_w((*groups)[nd.group], l.cols[nd.group]) : nd.w;
  }
  double node_h(int i, const Layout& l) const {
    const Node& nd = (*nodes)[i];
    return nd.group >= 0 ? table_h((*groups)[nd.group], l.cols[nd.group]) : nd.h;
  }

  // Bands at most `width` points wide (a wider unit alone on its band);
  // tables about `rows` rows long, so tables side by side end together.
  Layout lay(double width, size_t table_rows_about) const {
    Layout out;
    out.cols.resize(groups->size());
    for (size_t i = 0; i < groups->size(); ++i) {
      size_t members = (*groups)[i].members.size();
      size_t c = std::max<size_t>(1, (members + table_rows_about - 1) / table_rows_about);
      while (c > 1 && table_w((*groups)[i], c) > width) --c;
      out.cols[i] = c;
    }
    // A unit's rows of nodes, and its width.
    auto unit_rows = [&](const Unit& u, double& uw) {
      std::vector<std::vector<int>> rows;
      uw = 0;
      if (u.head >= 0) rows.push_back({u.head}), uw = node_w(u.head, out);
      double table_w = u.group >= 0 ? node_w(group_node[u.group], out) : 0;
      double wrap_at = u.group >= 0 ? std::max(table_w, uw) : width;
      double rw = 0;
      bool fresh = true;
      for (int i : u.under) {
        double w = node_w(i, out);
        if (fresh || rw + kNodesep + w > wrap_at) {
          rows.emplace_back();
          rw = 0;
        }
        fresh = false;
        rw += (rows.back().empty() ? 0 : kNodesep) + w;
        rows.back().push_back(i);
        uw = std::max(uw, rw);
      }
      if (u.group >= 0) rows.push_back({group_node[u.group]}), uw = std::max(uw, table_w);
      return rows;
    };
    for (size_t si = 0; si < sections.size(); ++si) {
      const auto& section = sections[si];
      const bool in_columns = si >= 2;  // integrators and providers: bands in columns, in reading order
      std::vector<int> bottoms_above;
      size_t i = 0;
      while (i < section.size()) {
        std::vector<std::vector<std::vector<int>>> band;
        std::vector<const Unit*> units;
        double bw = 0;
        while (i < section.size()) {
          double uw;
          auto rows = unit_rows(section[i], uw);
          if (!band.empty() && bw + kNodesep + uw > width) break;
          bw += (band.empty() ? 0 : kNodesep) + uw;
          band.push_back(std::move(rows));
          units.push_back(&section[i]);
          ++i;
        }
        out.w = std::max(out.w, bw);
        size_t depth = 0;
        for (auto& rows : band) depth = std::max(depth, rows.size());
        size_t first = out.levels.size();
        out.levels.resize(first + depth);
        std::vector<int> heads, bottoms;
        for (size_t k = 0; k < band.size(); ++k) {
          auto& rows = band[k];
          for (size_t r = 0; r < rows.size(); ++r) {
            // A table ends its band, level with the other tables in it.
            size_t at = r + 1 == rows.size() && units[k]->group >= 0 ? depth - 1 : r;
            for (int nd : rows[r]) out.levels[first + at].push_back(nd);
            if (r > 0 && rows[r].size() > 1) out.ordered.push_back(rows[r]);
            if (r > 1) out.stacked.emplace_back(rows[r - 1].front(), rows[r].front());
          }
          heads.push_back(rows.front().front());
          bottoms.push_back(rows.back().front());
        }
        if (in_columns) {
          out.ordered.push_back(heads);
          for (size_t k = 0; k < std::min(heads.size(), bottoms_above.size()); ++k)
            out.stacked.emplace_back(bottoms_above[k], heads[k]);
        }
        bottoms_above = bottoms;
      }
    }
    // An arrow across levels passes each level between as a thin virtual node.
    std::vector<int> level_of(nodes->size(), -1);
    for (size_t l = 0; l < out.levels.size(); ++l)
      for (int nd : out.levels[l]) level_of[nd] = static_cast<int>(l);
    std::vector<double> passing(out.levels.size() + 1, 0);  // as differences, then summed
    for (auto [a, b] : links) {
      int la = std::min(level_of[a], level_of[b]), lb = std::max(level_of[a], level_of[b]);
      if (la < 0 || lb <= la + 1) continue;
      passing[static_cast<size_t>(la + 1)] += kPassing;
      passing[static_cast<size_t>(lb)] -= kPassing;
    }
    for (size_t l = 1; l < passing.size(); ++l) passing[l] += passing[l - 1];
    out.h = fixed_h;
    for (size_t l = 0; l < out.levels.size(); ++l) {
      double lh = 0, level_w = passing[l];
      if (l == 0 && key_first) lh = key_h, level_w += key_w + kNodesep;
      for (int nd : out.levels[l]) {
        lh = std::max(lh, node_h(nd, out));
        level_w += node_w(nd, out) + kNodesep;
      }
      out.h += lh + (l ? kRanksep : 0);
      out.w = std::max(out.w, level_w);
    }
    out.w = std::max(out.w, fixed_w) + 22;
    out.h += 22;
    double portrait = std::min(kA4Short / out.w, kA4Long / out.h);
    double landscape = std::min(kA4Long / out.w, kA4Short / out.h);
    out.scale = std::max(portrait, landscape);
    return out;
  }

  // The band width and table columns whose picture fits A4 at the largest scale.
  Layout best() const {
    double widest = fixed_w, total = 0;
    Layout one;
    one.cols.assign(groups->size(), 1);
    for (auto& section : sections)
      for (auto& u : section) {
        double w = u.head >= 0 ? node_w(u.head, one) : 0;
        for (int i : u.under) w = std::max(w, node_w(i, one)), total += node_w(i, one) + kNodesep;
        if (u.group >= 0) w = std::max(w, node_w(group_node[u.group], one));
        widest = std::max(widest, w);
        total += w + kNodesep;
      }
    Layout best;
    best.scale = -1;
    size_t most = 1;
    for (auto& gr : *groups) most = std::max(most, gr.members.size());
    std::set<size_t> row_counts;  // table lengths to try: 4 rows up to the longest table in one column
    for (double r = 4; r < static_cast<double>(most) * 1.15; r *= 1.15) row_counts.insert(static_cast<size_t>(r));
    row_counts.insert(most);
    const int steps = 48;
    for (int s = 0; s <= steps; ++s) {
      double width = widest * std::pow(std::max(total, widest) / widest, static_cast<double>(s) / steps);
      for (size_t rows : row_counts) {
        Layout l = lay(width, rows);
        if (l.scale > best.scale * 1.0001) best = std::move(l);
        if (groups->empty()) break;
      }
    }
    return best;
  }
};

// ---- the key ----------------------------------------------------------------

struct KeyEntry {
  std::string sample;  // a <TD> drawing it
  std::string words;
};

std::string key_html(const std::vector<KeyEntry>& entries, size_t cols) {
  std::string out =
      "<TABLE BORDER=\"1\" COLOR=\"#404040\" CELLBORDER=\"0\" CELLSPACING=\"3\" CELLPADDING=\"2\" BGCOLOR=\"#ffffff\">";
  out += "<TR><TD COLSPAN=\"" + std::to_string(2 * cols) + "\" ALIGN=\"LEFT\"><FONT POINT-SIZE=\"" + pt_text(kNamePt) +
         "\"><B>Key</B></FONT></TD></TR>";
  size_t rows = (entries.size() + cols - 1) / cols;
  for (size_t r = 0; r < rows; ++r) {
    out += "<TR>";
    for (size_t c = 0; c < cols; ++c) {
      size_t i = c * rows + r;
      if (i < entries.size())
        out += entries[i].sample + "<TD ALIGN=\"LEFT\">" + h(entries[i].words) + "</TD>";
      else
        out += "<TD></TD><TD></TD>";
    }
    out += "</TR>";
  }
  return out + "</TABLE>";
}

std::string fill_sample(const std::string& fill, const std::string& border = "#000000", int width = 1,
                        bool rounded = true, const std::string& inside = " ") {
  return "<TD BGCOLOR=\"" + fill + "\" COLOR=\"" + border + "\" BORDER=\"" + std::to_string(width) + "\"" +
         (rounded ? " STYLE=\"rounded\"" : "") + " WIDTH=\"46\" HEIGHT=\"16\">" + inside + "</TD>";
}
std::string line_sample(const std::string& colour, const std::string& style, int width) {
  return "<TD SIDES=\"B\" COLOR=\"" + colour + "\" BORDER=\"" + std::to_string(width) + "\"" +
         (style == "solid" ? "" : " STYLE=\"" + style + "\"") + " WIDTH=\"46\" HEIGHT=\"10\"></TD>";
}

// ---- writers for Boost ------------------------------------------------------

const char* edge_colour(const Drawn& x) {
  if (x.gap) return kGap;
  switch (x.what) {
    case kMoney:
      return x.from_origin ? "#2f6f3a" : "#404040";
    case kBack:
      return "#8a8a8a";
    case kLine:
      return "#1f5fa8";
    default:
      return "#8a5a00";
  }
}
const char* edge_style(const Drawn& x) { return x.what == kLine ? "dashed" : "solid"; }

struct Arrow {  // an edge of the picture, between nodes
  int from = 0, to = 0;
  Drawn d;
  bool reversed = false;  // drawn downwards, its arrowhead at the top (dir=back)
};

using Drawing = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, boost::no_property, Arrow>;

struct VertexWriter {
  const std::vector<Node>* nodes;
  void operator()(std::ostream& out, Drawing::vertex_descriptor v) const { out << " [" << (*nodes)[v].attrs << "]"; }
};

struct EdgeWriter {
  const Drawing* d;
  int64_t max_amount;
  void operator()(std::ostream& out, Drawing::edge_descriptor e) const {
    const Arrow& a = (*d)[e];
    const Drawn& x = a.d;
    // No label: what the arrow means is written in the box it points to (and in its tooltip).
    out << " [color=" << q(edge_colour(x)) << " style=" << edge_style(x);
    if (x.amount > 0) {  // width 1 to 8 by the square root of the amount, in integer tenths
      int64_t tenths =
          10 + (max_amount > 0 ? isqrt(static_cast<int64_t>(static_cast<__int128>(x.amount) * 4900 / max_amount)) : 0);
      out << " penwidth=" << tenths / 10 << "." << tenths % 10;
    } else {
      out << " penwidth=1.2";
    }
    const char* head = x.what == kContract ? "onormal" : x.what == kBack ? "empty" : nullptr;
    if (a.reversed)
      out << " dir=back" << (head ? std::string(" arrowtail=") + head : "");
    else if (head)
      out << " arrowhead=" << head;
    if (!x.tooltip.empty()) out << " tooltip=" << q(x.tooltip);
    if (!x.constraint) out << " constraint=false";
    out << "]";
  }
};

struct GraphWriter {
  std::string text;  // everything between "digraph G {" and the nodes
  void operator()(std::ostream& out) const { out << text; }
};

}  // namespace

void write_dot(const Map& m, std::ostream& out) { write_dot(m, out, PictureNotes{find_gaps(m), ""}); }

void write_dot(const Map& m, std::ostream& out, const PictureNotes& notes) {
  const Graph& g = m.graph;
  const size_t n = num_vertices(g);

  std::vector<std::vector<std::string>> implicit(n);
  std::vector<Drawn> drawn = draw_edges(m, implicit);
  std::vector<std::vector<std::string>> gaps = gap_words(m, notes.gaps, implicit);

  // What each box says of the arrows ending at it.
  std::vector<Incoming> in(n);
  std::vector<const Drawn*> main_payer(n, nullptr);
  for (const Drawn& e : drawn) {
    if (e.what == kMoney || e.what == kBack)
      in[e.to].money.push_back(&e);
    else if (e.what == kLine)
      in[e.to].lines.push_back(&e);
    else
      in[e.to].contracts.push_back(&e);
    if (e.what == kMoney && (!main_payer[e.to] || e.amount > main_payer[e.to]->amount)) main_payer[e.to] = &e;
  }
  for (auto& i : in)
    std::stable_sort(i.money.begin(), i.money.end(),
                     [](const Drawn* a, const Drawn* b) { return a->amount > b->amount; });

  // Tables: providers (and other parties) tied to one payer only, many of them.
  std::vector<std::set<Vertex>> partners(n);
  for (const Drawn& e : drawn) partners[e.from].insert(e.to), partners[e.to].insert(e.from);
  std::map<Vertex, std::vector<Vertex>> leaves;
  for (Vertex v = 0; v < n; ++v) {
    int t = tier(g[v].kind);
    if ((t == 3 || t == -1) && main_payer[v] && partners[v].size() == 1) leaves[main_payer[v]->from].push_back(v);
  }
  std::vector<Table> groups;
  std::vector<int> group_of(n, -1), group_by_payer(n, -1);
  for (auto& [payer, members] : leaves) {
    if (members.size() < kGroupMin) continue;
    for (Vertex v : members) group_of[v] = static_cast<int>(groups.size());
    group_by_payer[payer] = static_cast<int>(groups.size());
    groups.push_back(make_table(m, payer, members, in, gaps, implicit));
  }

  // Nodes: a box per party not in a table, a table per group.
  std::vector<Node> nodes;
  std::vector<int> node_of(n, -1);
  for (Vertex v = 0; v < n; ++v)
    if (group_of[v] < 0) {
      node_of[v] = static_cast<int>(nodes.size());
      nodes.push_back(party_node(m, v, in[v], gaps[v], implicit[v]));
    }
  std::vector<int> group_node(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) {
    Node nd;
    nd.id = groups[i].id;
    nd.group = static_cast<int>(i);
    group_node[i] = static_cast<int>(nodes.size());
    nodes.push_back(nd);
    for (Vertex v : groups[i].members) node_of[v] = group_node[i];
  }

  // Arrows between nodes, without text (the boxes say it; the text is the
  // arrow's tooltip): a payer's edges to its table become one per kind of
  // edge, gaps apart.
  std::vector<Arrow> arrows;
  std::map<std::tuple<int, int, int, bool>, size_t> merged;  // (from, to, what, gap) -> arrows index
  std::map<size_t, size_t> merged_count;
  for (const Drawn& e : drawn) {
    std::string tip = g[e.from].id + " to " + g[e.to].id + ":\n" + join(e.lines, "\n");
    if (group_of[e.to] < 0 && group_of[e.from] < 0) {
      Arrow a{node_of[e.from], node_of[e.to], e, false};
      a.d.tooltip = tip;
      a.d.lines.clear();
      arrows.push_back(std::move(a));
      continue;
    }
    auto key = std::make_tuple(node_of[e.from], node_of[e.to], e.what, e.gap);
    auto [it, fresh] = merged.try_emplace(key, arrows.size());
    if (fresh) {
      Arrow a{node_of[e.from], node_of[e.to], e, false};
      a.d.lines.clear();
      a.d.amount = e.amount < 0 ? -1 : 0;
      arrows.push_back(std::move(a));
    }
    Drawn& agg = arrows[it->second].d;
    if (agg.amount >= 0 && e.amount > 0) agg.amount += e.amount;
    ++merged_count[it->second];
    if (agg.tooltip.size() < 2000) agg.tooltip += (agg.tooltip.empty() ? "" : "\n") + tip;
  }
  for (auto& [i, count] : merged_count)
    arrows[i].d.tooltip = std::to_string(count) + (count == 1 ? " edge" : " edges") +
                          (arrows[i].d.amount > 0 ? ", " + money_text(m, arrows[i].d.amount) : "") + "\n" +
                          arrows[i].d.tooltip;

  // Sections, top to bottom, each in reading order: commissioners and
  // funders by money, then those who hold others to account; pools;
  // integrators, each with the parties it pays most (its boxes, then its
  // table) under it; and the rest, next to their main payers.
  auto weight = [&](Vertex v) { return g[v].received + g[v].paid; };
  std::vector<Vertex> order(n);
  for (Vertex v = 0; v < n; ++v) order[v] = v;
  std::stable_sort(order.begin(), order.end(), [&](Vertex a, Vertex b) {
    bool oa = is_origin_kind(g[a].kind), ob = is_origin_kind(g[b].kind);
    if (oa != ob) return oa;
    return weight(a) > weight(b);
  });
  Plan plan{&nodes, &groups, group_node, {}, {}, 0, 0, 0, 0, false};
  plan.sections.resize(4);
  std::vector<int> unit_of(n, -1), section_of(n, -1);
  for (Vertex v : order) {
    int t = tier(g[v].kind);
    if (group_of[v] >= 0 || t == 3 || t == -1) continue;
    Unit u;
    u.head = node_of[v];
    if (t == 2) u.group = group_by_payer[v];
    section_of[v] = t;
    unit_of[v] = static_cast<int>(plan.sections[t].size());
    plan.sections[t].push_back(u);
  }
  struct Bottom {
    int payer_section, payer_unit;
    int64_t amount;
    Unit u;
  };
  std::vector<Bottom> bottom;
  auto place = [&](Vertex payer_or_none, bool has_payer, int64_t amount, Unit u) {
    if (has_payer && section_of[payer_or_none] == 2 && u.group < 0) {  // under its integrator
      plan.sections[2][unit_of[payer_or_none]].under.push_back(u.head);
      return;
    }
    bottom.push_back({has_payer && section_of[payer_or_none] >= 0 ? section_of[payer_or_none] : 9,
                      has_payer && unit_of[payer_or_none] >= 0 ? unit_of[payer_or_none] : 0, amount, u});
  };
  for (Vertex v : order) {
    int t = tier(g[v].kind);
    if (group_of[v] >= 0 || !(t == 3 || t == -1)) continue;
    Unit u;
    u.head = node_of[v];
    place(main_payer[v] ? main_payer[v]->from : 0, main_payer[v] != nullptr, g[v].received, u);
  }
  for (size_t i = 0; i < groups.size(); ++i)
    if (tier(g[groups[i].payer].kind) != 2) {
      Unit u;
      u.group = static_cast<int>(i);
      int64_t amount = 0;
      for (Vertex v : groups[i].members) amount += g[v].received;
      place(groups[i].payer, true, amount, u);
    }
  std::stable_sort(bottom.begin(), bottom.end(), [](const Bottom& a, const Bottom& b) {
    return std::make_tuple(a.payer_section, a.payer_unit, -a.amount) <
           std::make_tuple(b.payer_section, b.payer_unit, -b.amount);
  });
  for (auto& b : bottom) plan.sections[3].push_back(b.u);

  for (const Arrow& a : arrows) plan.links.emplace_back(a.from, a.to);

  // Title and key.
  std::string currency = m.facts.currency.empty() ? "the ledger's currency" : m.facts.currency;
  std::vector<std::string> subtitle = {
      "Accountability map of the ledger " + m.facts.origin,
      as_of_text(m) + ", " + std::to_string(n) + (n == 1 ? " party" : " parties") + ", amounts in " + currency};
  if (!notes.filter.empty()) subtitle.push_back("showing " + notes.filter);
  const std::string heading = "Where the money went, and who answers for it";
  std::string title_html = "<FONT POINT-SIZE=\"24\"><B>" + heading + "</B></FONT>";
  for (auto& s : subtitle) title_html += "<BR/><FONT POINT-SIZE=\"14\">" + h(s) + "</FONT>";
  double title_w = text_width(heading, 24, true);
  for (auto& s : subtitle) title_w = std::max(title_w, text_width(s, 14));

  std::vector<KeyEntry> key;
  {
    std::set<std::string> kinds;
    bool failed = false, gap = false;
    for (Vertex v = 0; v < n; ++v) {
      kinds.insert(g[v].kind);
      failed |= g[v].failed;
      gap |= g[v].gap;
    }
    std::set<std::string> said;
    for (const char* kind : {"commissioner", "funder", "pool", "integrator", "provider", "collaborative", "office",
                             "board", "regulator", "auditor"})
      if (kinds.erase(kind) && said.insert(style_of(kind).key).second)
        key.push_back(
            {fill_sample(style_of(kind).fill, "#000000", 1, std::string(kind) != "office"), style_of(kind).key});
    if (!kinds.empty()) key.push_back({fill_sample(style_of("other").fill), style_of("other").key});
    if (failed)
      key.push_back(
          {fill_sample(kFailedFill, "#000000", 3, true,
                       std::string("<FONT COLOR=\"") + kFailedText + "\" POINT-SIZE=\"9\"><B>FAILED</B></FONT>"),
           "failed or exited party (double border)"});
    if (gap) key.push_back({fill_sample("#ffffff", kGap, 2), "red outline: a gap, named in red in the box"});
    if (!groups.empty())
      key.push_back({fill_sample("#ffffff", kFrame, 1), "grey table: parties paid by one payer only, largest first"});
    std::vector<const Arrow*> sorted;
    for (const Arrow& a : arrows) sorted.push_back(&a);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Arrow* a, const Arrow* b) {
      return std::make_tuple(a->d.gap, a->d.what, !a->d.from_origin) <
             std::make_tuple(b->d.gap, b->d.what, !b->d.from_origin);
    });
    std::set<std::string> seen;
    for (const Arrow* a : sorted) {
      const Drawn& e = a->d;
      std::string colour = edge_colour(e), style = edge_style(e);
      if (!seen.insert(colour + style + std::to_string(e.what)).second) continue;
      std::string words;
      if (e.gap)
        words = e.what == kLine ? "responsibility line with no money behind it" : "money to a party in a gap";
      else if (e.what == kMoney)
        words = e.from_origin ? "money from a commissioner or funder; wider = more" : "money paid on; wider = more";
      else if (e.what == kBack)
        words = "money paid back (clawback; hollow arrowhead)";
      else if (e.what == kLine)
        words = "responsibility line, from who holds to account to who answers";
      else
        words = "contract with no money paid under it yet (open arrowhead)";
      key.push_back({line_sample(colour, style, e.what == kMoney || e.what == kBack ? 3 : 1), words});
    }
    bool in_box = false, implicit_any = false;
    for (Vertex v = 0; v < n; ++v) in_box |= !in[v].money.empty(), implicit_any |= !implicit[v].empty();
    if (in_box)
      key.push_back({"<TD WIDTH=\"46\"><FONT POINT-SIZE=\"9\">received</FONT></TD>",
                     "what a box received, and from whom, is written in it"});
    if (implicit_any)
      key.push_back(
          {std::string("<TD WIDTH=\"46\"><FONT POINT-SIZE=\"9\" COLOR=\"") + kGap + "\">by default</FONT></TD>",
           "no line on record: it answers by default to the commissioner"});
  }
  double key_entry_w = 0;
  for (auto& e : key) key_entry_w = std::max(key_entry_w, 64 + text_width(e.words, kTextPt));
  const double key_row_h = kTextPt * 1.2 + 10;

  // Band width, table columns and key columns for the largest scale on A4.
  // The key above everything, or beside the first row when that is better.
  Layout layout;
  size_t key_cols = 1;
  bool key_first = false;
  const double title_h = 24 * 1.2 + static_cast<double>(subtitle.size()) * 14 * 1.2 + 8;
  for (int first = 0; first < 2; ++first)
    for (size_t kc = 1; kc <= 3; ++kc) {
      double kw = static_cast<double>(kc) * key_entry_w;
      double kh = static_cast<double>((key.size() + kc - 1) / kc + 1) * key_row_h;
      plan.key_first = first == 1 && n > 0;
      plan.key_w = kw;
      plan.key_h = kh;
      plan.fixed_w = plan.key_first ? title_w : std::max(title_w, kw);
      plan.fixed_h = title_h + (plan.key_first ? 0 : kh + kRanksep);
      Layout l = plan.best();
      if (layout.levels.empty() || l.scale > layout.scale * 1.0001)
        layout = std::move(l), key_cols = kc, key_first = plan.key_first;
    }
  for (size_t i = 0; i < groups.size(); ++i) {
    Node& nd = nodes[static_cast<size_t>(group_node[i])];
    nd.attrs = table_attrs(m, groups[i], layout.cols[i]);
  }

  // Arrows point down the page; one going up is drawn reversed (dir=back).
  std::vector<int> level_of(nodes.size(), -1);
  for (size_t l = 0; l < layout.levels.size(); ++l)
    for (int nd : layout.levels[l]) level_of[nd] = static_cast<int>(l);
  for (Arrow& a : arrows) {
    if (level_of[a.to] < level_of[a.from]) std::swap(a.from, a.to), a.reversed = true;
    a.d.constraint = level_of[a.to] > level_of[a.from];
  }

  std::ostringstream gw;
  gw.setf(std::ios::fixed);
  gw.precision(2);
  gw << "graph [rankdir=TB newrank=true nodesep=" << kNodesep / 72 << " ranksep=" << kRanksep / 72
     << " fontname=\"Helvetica\" labelloc=t labeljust=c pad=0.3 label=<" << title_html << ">];\n";
  gw.precision(1);
  gw << "node [fontname=\"Helvetica\" fontsize=" << kTextPt << " margin=\"0.12,0.05\" width=0.4 height=0.3];\n";
  gw << "edge [arrowsize=0.8];\n";
  gw << "Key [shape=plain tooltip=\"what the colours, outlines and lines mean\" label=<" << key_html(key, key_cols)
     << ">];\n";
  // Levels: each a rank, each below the one before (invisible edges); each
  // band's units stacked under the band above.
  for (size_t l = 0; l < layout.levels.size(); ++l) {
    gw << "{rank=same;" << (l == 0 && key_first ? " Key;" : "");
    for (int nd : layout.levels[l]) gw << " " << q(nodes[nd].id) << ";";
    gw << "}\n";
  }
  std::string above = key_first ? "" : "Key";
  for (auto& level : layout.levels) {
    if (!above.empty()) gw << q(above) << " -> " << q(nodes[level[0]].id) << " [style=invis weight=0];\n";
    above = nodes[level[0]].id;
  }
  for (auto& row : layout.ordered)
    for (size_t i = 0; i + 1 < row.size(); ++i)
      if (level_of[row[i]] == level_of[row[i + 1]])
        gw << q(nodes[row[i]].id) << " -> " << q(nodes[row[i + 1]].id) << " [style=invis];\n";
  for (auto [up, down] : layout.stacked)
    if (level_of[up] < level_of[down])
      gw << q(nodes[up].id) << " -> " << q(nodes[down].id) << " [style=invis weight=40];\n";

  Drawing d(nodes.size());
  int64_t max_amount = 0;
  for (Arrow& a : arrows) {
    max_amount = std::max(max_amount, a.d.amount);
    add_edge(static_cast<size_t>(a.from), static_cast<size_t>(a.to), a, d);
  }
  auto ids = boost::make_function_property_map<Drawing::vertex_descriptor>([&](size_t v) { return nodes[v].id; });
  boost::write_graphviz(out, d, VertexWriter{&nodes}, EdgeWriter{&d, max_amount}, GraphWriter{gw.str()}, ids);
}

}  // namespace fundtrail::map
