// map who SUBJECT: the chain from each delivering party up to a named office
// holder, through the subject's own recorded lines only and, where none is
// recorded above a party, the implicit line to the commissioner (marked
// unrecorded). Lines for other subjects never make a body answerable here.
#include <algorithm>
#include <set>
#include <sstream>

#include "accountability/internal.h"
#include "ledger/limits.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// The recorded lines whose subject is `want` (lower case), seq order.
std::vector<Line> lines_for(const Map& m, const std::string& want) {
  std::vector<Line> out;
  for (auto& l : m.facts.lines)
    if (lower(l.subject) == want) out.push_back(l);
  return out;
}

// lower(text) == want, without making the lower-case copy (once per edge looked at).
bool lower_equals(const std::string& text, const std::string& want) {
  if (text.size() != want.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != want[i]) return false;
  }
  return true;
}

// The graph's edges that are the subject's own: recorded lines with it.
// (Contracts are no responsibility lines: docs/map.md, "Choices".)
struct SubjectEdges {
  const Map* m = nullptr;
  std::string want;  // lower case
  bool operator()(Edge e) const {
    const EdgeData& d = m->graph[e];
    return d.type == EdgeType::responsibility && d.recorded && lower_equals(d.subject.str(), want);
  }
};

// Breadth-first search over `g` from `start`, as Boost's (the same queue
// order, so the same tree), touching only what it reaches: `dist` and `pred`
// are sized to the graph, -1 / unset outside the reached vertices, and reset
// by the caller through the returned list (who climbs from thousands of
// deliverers; a search over the whole graph each time cost seconds).
template <class G>
std::vector<Vertex> reach(const G& g, Vertex start, std::vector<int>& dist, std::vector<Vertex>& pred) {
  std::vector<Vertex> seen{start};
  dist[start] = 0;
  pred[start] = start;
  for (size_t i = 0; i < seen.size(); ++i) {
    Vertex u = seen[i];
    for (auto [e, end] = out_edges(u, g); e != end; ++e) {
      Vertex v = target(*e, g);
      if (dist[v] >= 0) continue;
      dist[v] = dist[u] + 1;
      pred[v] = u;
      seen.push_back(v);
    }
  }
  return seen;
}

// Chains up the subject's lines, each ending where no line for it is recorded
// above (office holders and implicit hops still to add: finish()).
WhoAnswer climb(const Map& m, const std::string& subject) {
  WhoAnswer r;
  r.subject = subject;
  const std::string want = lower(subject);
  std::vector<Line> known = lines_for(m, want);
  std::set<std::string> responsible, accountable;
  for (auto& l : known) {
    r.found = true;
    accountable.insert(l.accountable);
    responsible.insert(l.responsible.begin(), l.responsible.end());
  }
  for (auto& [seq, c] : m.facts.contracts)  // contracts say who delivers, though they are no lines
    if (!c.ended && lower(c.subject) == want) {
      r.found = true;
      accountable.insert(c.payer);
      responsible.insert(c.payee);
    }
  if (!r.found) {
    r.subjects = subjects(m);
    return r;
  }
  for (auto& p : responsible)
    if (!accountable.count(p)) r.delivering.push_back(p);
  if (r.delivering.empty()) r.delivering.assign(responsible.begin(), responsible.end());

  // (accountable, responsible) -> the subject's lines between them, seq order.
  std::map<std::pair<std::string, std::string>, std::vector<const Line*>> between;
  for (auto& l : known)
    for (auto& p : l.responsible) {
      auto& v = between[{l.accountable, p}];
      if (v.empty() || v.back() != &l) v.push_back(&l);
    }
  const Graph& g = m.graph;
  boost::filtered_graph<Graph, SubjectEdges> lines(g, SubjectEdges{&m, want});
  auto up = boost::make_reverse_graph(lines);
  std::vector<int> dist(num_vertices(g), -1);
  std::vector<Vertex> pred(num_vertices(g));
  for (auto& d : r.delivering) {
    Vertex start = m.index.at(d);
    std::vector<Vertex> reached = reach(up, start, dist, pred);
    std::sort(reached.begin(), reached.end());  // tops in vertex order
    std::vector<Vertex> tops;
    int far = 0;
    for (Vertex v : reached) {
      far = std::max(far, dist[v]);
      if (out_degree(v, up) == 0) tops.push_back(v);
    }
    if (tops.empty())  // lines that loop back: stop at the farthest parties
      for (Vertex v : reached)
        if (dist[v] == far) tops.push_back(v);
    for (Vertex top : tops) {
      Chain c;
      c.top = g[top].id;
      std::vector<Vertex> path{top};
      while (path.back() != start) path.push_back(pred[path.back()]);
      std::reverse(path.begin(), path.end());
      for (size_t i = 0; i + 1 < path.size(); ++i) {
        Hop h{g[path[i]].id, g[path[i + 1]].id, {}};
        if (auto it = between.find({h.to, h.from}); it != between.end())
          for (const Line* l : it->second) h.lines.push_back(*l);
        c.hops.push_back(h);
      }
      r.chains.push_back(c);
    }
    for (Vertex v : reached) dist[v] = -1;
  }
  return r;
}

// A top that answers implicitly and has no line for the subject above it.
bool open_top(const Map& m, const Chain& c) {
  auto v = m.find(c.top);
  return v && answers_implicitly(m.graph[*v].kind);
}

// Each chain's implicit hop (where its top answers to no one for the subject)
// and office holders. `implicit`: whom each open top answers to by default.
void finish(const Map& m, WhoAnswer& r, const std::map<std::string, std::set<std::string>>& implicit) {
  std::map<std::string, std::vector<std::string>> offices;  // top -> its office holders (the same for many chains)
  // (accountable, responsible) -> the implicit lines between them, in the map's
  // order: looked up per open chain instead of walking every implicit line.
  std::map<std::pair<std::string, std::string>, std::vector<const Line*>> implicit_between;
  for (auto& l : m.implicit)
    for (auto& p : l.responsible) {
      auto& v = implicit_between[{l.accountable, p}];
      if (v.empty() || v.back() != &l) v.push_back(&l);
    }
  std::vector<Chain> done;
  for (Chain& c : r.chains) {
    auto it = open_top(m, c) ? implicit.find(c.top) : implicit.end();
    std::vector<Chain> out;
    if (it == implicit.end()) {
      out.push_back(c);
    } else {
      std::set<std::string> on_path{c.top};
      for (auto& h : c.hops) on_path.insert(h.from);
      for (auto& a : it->second) {
        if (on_path.count(a)) continue;  // it would answer to a party below it
        Chain x = c;
        Hop h{c.top, a, {}};
        // the line it answers by for every subject, when it has no recorded one
        if (auto at = implicit_between.find({a, c.top}); at != implicit_between.end())
          for (const Line* l : at->second) h.lines.push_back(*l);
        if (h.lines.empty()) {
          Line l;
          l.accountable = a;
          l.responsible = {c.top};
          l.subject = r.subject;
          l.kind = "implicit";
          l.recorded = false;
          h.lines.push_back(l);
        }
        x.hops.push_back(h);
        x.top = a;
        out.push_back(x);
      }
      if (out.empty()) out.push_back(c);
    }
    for (Chain& x : out) {
      auto [held, added] = offices.try_emplace(x.top);
      if (added) {
        auto v = m.find(x.top);
        held->second = v && m.graph[*v].kind == "office" ? std::vector<std::string>{x.top} : offices_of(m.facts, x.top);
      }
      x.office_holders = held->second;
      done.push_back(std::move(x));
    }
  }
  r.chains = std::move(done);
}

}  // namespace

std::vector<std::string> subjects(const Map& m) {
  std::set<std::string> s;
  for (auto& l : m.facts.lines) s.insert(l.subject);
  for (auto& [seq, c] : m.facts.contracts)
    if (!c.ended) s.insert(c.subject);
  return {s.begin(), s.end()};
}

std::vector<WhoAnswer> who_answers(const Map& m, const std::vector<std::string>& list) {
  std::vector<WhoAnswer> out;
  std::set<std::string> open;  // tops that answer implicitly: one trace finds whom, for every subject
  for (auto& subject : list) {
    out.push_back(climb(m, subject));
    for (auto& c : out.back().chains)
      if (open_top(m, c)) open.insert(c.top);
  }
  auto implicit = implicit_accountables(m, open);
  for (auto& r : out) finish(m, r, implicit);
  return out;
}

WhoAnswer who_answers(const Map& m, const std::string& subject) { return who_answers(m, std::vector<std::string>{subject})[0]; }

namespace {

nlohmann::json line_json(const Line& l) {
  return {{"seq", l.seq},       {"accountable", l.accountable}, {"responsible", l.responsible},
          {"kind", l.kind},     {"subject", l.subject},         {"recorded", l.recorded},
          {"joint", l.responsible.size() > 1}, {"start_date", date_text(l.start)}, {"end_date", date_text(l.end)}};
}

std::string line_text(const Line& l, const std::string& from) {
  std::string s = l.recorded ? l.kind + " line '" + l.subject + "' (seq " + std::to_string(l.seq) + ")"
                             : "UNRECORDED - implicit line to the commissioner";
  if (l.responsible.size() > 1) {
    std::vector<std::string> others;
    for (auto& p : l.responsible)
      if (p != from) others.push_back(p);
    s += ", held jointly with " + join(others, ", ");
  }
  return s;
}

}  // namespace

nlohmann::json to_json(const Map& m, const WhoAnswer& r) {
  nlohmann::json j{{"subject", r.subject}, {"found", r.found}, {"as_of", m.facts.as_of.text}, {"delivering", r.delivering}};
  j["chains"] = nlohmann::json::array();
  for (auto& c : r.chains) {
    nlohmann::json hops = nlohmann::json::array();
    for (auto& h : c.hops) {
      nlohmann::json lines = nlohmann::json::array();
      for (auto& l : h.lines) lines.push_back(line_json(l));
      hops.push_back({{"from", h.from}, {"answers_to", h.to}, {"lines", lines}});
    }
    j["chains"].push_back({{"from", c.hops.empty() ? c.top : c.hops.front().from}, {"hops", hops}, {"top", c.top},
                           {"office_holders", c.office_holders}});
  }
  if (!r.found) j["subjects"] = r.subjects;
  return j;
}

std::string to_text(const Map& m, const WhoAnswer& r, size_t limit) {
  std::ostringstream o;
  if (!r.found) {
    o << "No responsibility line or contract names the subject '" << r.subject << "' (" << as_of_text(m) << ").\n";
    if (!r.subjects.empty()) {
      o << "Subjects on record:\n";
      const auto listed = shown(r.subjects.size(), limit);
      for (size_t i : listed) o << "  " << r.subjects[i] << "\n";
      o << more(r.subjects.size() - listed.size(), "  ");
    }
    o << "Where nothing is recorded, the commissioner remains accountable (see 'fundtrail map gaps').\n";
    return o.str();
  }
  o << "Who answers for '" << r.subject << "' (" << as_of_text(m) << ")\n";
  o << "Delivered by: ";
  // The chains of the deliverers named (the first `limit`), each as a tree.
  std::vector<std::string> labels;
  std::set<std::string> named;
  for (size_t i : shown(r.delivering.size(), limit)) {
    labels.push_back(label(m, r.delivering[i]));
    named.insert(r.delivering[i]);
  }
  if (labels.size() < r.delivering.size())
    labels.push_back("and " + std::to_string(r.delivering.size() - labels.size()) + " more (--all for every one)");
  o << join(labels, "; ") << "\n";
  // Chains from one deliverer share their first hops: print them as a tree.
  std::set<std::string> printed;
  std::string current;
  for (auto& c : r.chains) {
    std::string from = c.hops.empty() ? c.top : c.hops.front().from;
    if (!named.count(from)) continue;
    if (from != current) {
      o << "\n  " << label(m, from) << "\n";
      current = from;
    }
    std::string path = from;
    size_t depth = 0;
    for (auto& h : c.hops) {
      path += ">" + h.to;
      ++depth;
      if (!printed.insert(path).second) continue;
      std::vector<std::string> by;
      for (auto& l : h.lines) by.push_back(line_text(l, h.from));
      o << std::string(2 + 2 * depth, ' ') << "answers to " << label(m, h.to) << " by " << join(by, "; ") << "\n";
    }
    std::string pad(4 + 2 * depth, ' ');
    if (c.hops.empty()) o << pad << "answers to no one on record\n";
    else if (open_top(m, c) && c.hops.back().lines.front().recorded)  // no implicit line either: no money reached it
      o << pad << "no line for '" << r.subject << "' is recorded above " << c.top << ", and no money reached it\n";
    if (!c.office_holders.empty()) {
      std::vector<std::string> names;
      for (auto& x : c.office_holders) names.push_back(label(m, x));
      o << pad << "named office holder: " << join(names, "; ") << "\n";
    } else {
      o << pad << "no named office holder is recorded for " << c.top << "\n";
    }
  }
  return o.str();
}

}  // namespace fundtrail::map
