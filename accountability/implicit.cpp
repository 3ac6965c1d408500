// Implicit lines: a party that receives money without any recorded line
// answers, unrecorded, to the commissioner whose money it mostly is (by the
// same attribution as follow_money; ties: each of them). DESIGN.md: "An
// unrecorded line is not an unanswerable one".
#include <set>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// The parties of `kind` whose money makes up most of `mix`.
std::set<std::string> largest(const Facts& f, const Mix& mix, const std::string& kind) {
  std::map<std::string, int64_t> by_party;
  for (auto& [k, v] : mix) {
    const Party* p = f.party(k.party);
    if (p && p->kind == kind && k.type == SourceType::funds) by_party[k.party] += v;
  }
  std::set<std::string> out;
  int64_t best = 0;
  for (auto& [id, v] : by_party) {
    if (v > best) out.clear(), best = v;
    if (v == best && v > 0) out.insert(id);
  }
  return out;
}

// Whom `v` answers to when no line is recorded: the commissioners whose money
// `mix` (what it received) mostly is, else such funders, else its direct payers.
std::set<std::string> implicit_for(const Map& m, const Mix& mix, Vertex v) {
  const Graph& g = m.graph;
  std::set<std::string> found = largest(m.facts, mix, "commissioner");
  if (found.empty()) found = largest(m.facts, mix, "funder");
  if (found.empty())  // money from no commissioner or funder: its direct payers
    for (auto [e, end] = in_edges(v, g); e != end; ++e)
      if (g[*e].type == EdgeType::funding) found.insert(g[source(*e, g)].id);
  return found;
}

}  // namespace

bool detail::answers_implicitly(const std::string& kind) {
  return !(kind == "commissioner" || kind == "funder" || kind == "office" || kind == "board" || kind == "regulator" ||
           kind == "auditor");
}

std::map<std::string, std::set<std::string>> detail::implicit_accountables(const Map& m,
                                                                           const std::set<std::string>& parties) {
  std::map<std::string, std::set<std::string>> out;
  if (parties.empty()) return out;
  // The map's trace when an analysis made it already (summary), else one for these parties only.
  Trace own;
  if (!m.by_natural_origins) own = trace(m.facts, {}, &parties);
  const Trace& t = m.by_natural_origins ? *m.by_natural_origins : own;
  for (auto& id : parties) {
    auto v = m.find(id);
    if (!v) continue;
    std::set<std::string> found = implicit_for(m, t.received_by(id), *v);
    if (!found.empty()) out[id] = std::move(found);
  }
  return out;
}

std::set<std::string> detail::receivers_without_line(const Facts& f) {
  std::set<std::string> out, answering;
  for (const Line& l : f.lines)
    for (auto& r : l.responsible) answering.insert(r);
  std::vector<char> seen(f.ids.size());
  for (const Money& mo : f.money) {
    // A purchase is for the payer's own use and needs no line (DESIGN.md);
    // money refunds have netted to nothing moved none. (Refunds themselves
    // are not in f.money: receiving one is never receiving money.)
    if (seen[mo.to_ix] || mo.mechanism == "purchase" || mo.net() == 0) continue;
    seen[mo.to_ix] = 1;
    const Party* p = f.party(mo.to);
    if (p && answers_implicitly(p->kind) && !answering.count(mo.to)) out.insert(mo.to);
  }
  return out;
}

std::vector<Line> implicit_lines(const Map& m, const Trace& t, const std::set<std::string>& unrecorded) {
  const Graph& g = m.graph;
  std::vector<Line> out;
  for (Vertex v = 0; v < num_vertices(g); ++v) {
    const VertexData& d = g[v];
    if (!unrecorded.count(d.id)) continue;
    for (auto& a : implicit_for(m, t.received_by(d.id), v)) {
      Line l;
      l.accountable = a;
      l.responsible = {d.id};
      l.kind = "implicit";
      l.recorded = false;
      out.push_back(l);
    }
  }
  return out;
}

}  // namespace fundtrail::map
