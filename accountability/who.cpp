// map who SUBJECT: the chain from each delivering party up to a named office
// holder, through recorded lines and, where none is recorded, the implicit
// line to the commissioner (marked unrecorded).
#include <algorithm>
#include <set>
#include <sstream>

#include "accountability/internal.h"
#include "ledger/limits.h"

namespace fundtrail::map {
namespace {

using namespace detail;

std::vector<Line> all_lines(const Map& m) {
  std::vector<Line> v = m.facts.lines;
  v.insert(v.end(), m.implicit.begin(), m.implicit.end());
  return v;
}

bool names(const Line& l, const std::string& id) {
  return std::find(l.responsible.begin(), l.responsible.end(), id) != l.responsible.end();
}

}  // namespace

std::vector<std::string> subjects(const Map& m) {
  std::set<std::string> s;
  for (auto& l : m.facts.lines) s.insert(l.subject);
  for (auto& [seq, c] : m.facts.contracts)
    if (!c.ended) s.insert(c.subject);
  return {s.begin(), s.end()};
}

WhoAnswer who_answers(const Map& m, const std::string& subject) {
  WhoAnswer r;
  r.subject = subject;
  const std::string want = lower(subject);
  std::set<std::string> responsible, accountable;
  for (auto& l : m.facts.lines)
    if (lower(l.subject) == want) {
      r.found = true;
      accountable.insert(l.accountable);
      responsible.insert(l.responsible.begin(), l.responsible.end());
    }
  for (auto& [seq, c] : m.facts.contracts)
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

  const Graph& g = m.graph;
  ResponsibilityView lines(g, Responsibility{&g, false});
  auto up = boost::make_reverse_graph(lines);
  std::vector<Line> known = all_lines(m);
  for (auto& d : r.delivering) {
    Vertex start = m.index.at(d);
    std::vector<Vertex> pred;
    auto dist = bfs_distances(up, {start}, &pred);
    std::vector<Vertex> tops;
    int far = 0;
    for (Vertex v = 0; v < num_vertices(g); ++v)
      if (dist[v] >= 0) {
        far = std::max(far, dist[v]);
        if (out_degree(v, up) == 0) tops.push_back(v);
      }
    if (tops.empty())  // lines that loop back: stop at the farthest parties
      for (Vertex v = 0; v < num_vertices(g); ++v)
        if (dist[v] == far) tops.push_back(v);
    for (Vertex top : tops) {
      Chain c;
      c.top = g[top].id;
      std::vector<Vertex> path{top};
      while (path.back() != start) path.push_back(pred[path.back()]);
      std::reverse(path.begin(), path.end());
      for (size_t i = 0; i + 1 < path.size(); ++i) {
        Hop h{g[path[i]].id, g[path[i + 1]].id, {}};
        for (auto& l : known)
          if (l.accountable == h.to && names(l, h.from)) h.lines.push_back(l);
        std::stable_sort(h.lines.begin(), h.lines.end(), [&](const Line& a, const Line& b) {
          return (lower(a.subject) == want) > (lower(b.subject) == want);
        });
        c.hops.push_back(h);
      }
      c.office_holders = g[top].kind == "office" ? std::vector<std::string>{c.top} : offices_of(m.facts, c.top);
      r.chains.push_back(c);
    }
  }
  return r;
}

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

std::string to_text(const Map& m, const WhoAnswer& r) {
  std::ostringstream o;
  if (!r.found) {
    o << "No responsibility line or contract names the subject '" << r.subject << "' (" << as_of_text(m) << ").\n";
    if (!r.subjects.empty()) {
      o << "Subjects on record:\n";
      for (auto& s : r.subjects) o << "  " << s << "\n";
    }
    o << "Where nothing is recorded, the commissioner remains accountable (see 'fundtrail map gaps').\n";
    return o.str();
  }
  o << "Who answers for '" << r.subject << "' (" << as_of_text(m) << ")\n";
  o << "Delivered by: ";
  std::vector<std::string> labels;
  for (auto& d : r.delivering) labels.push_back(label(m, d));
  o << join(labels, "; ") << "\n";
  // Chains from one deliverer share their first hops: print them as a tree.
  std::set<std::string> printed;
  std::string current;
  for (auto& c : r.chains) {
    std::string from = c.hops.empty() ? c.top : c.hops.front().from;
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
