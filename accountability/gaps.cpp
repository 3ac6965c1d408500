// Gaps: money without a recorded line, providers without an operator of last
// resort, payments after a failure, responsibility without money.
#include <set>
#include <sstream>

#include "accountability/internal.h"
#include "ledger/limits.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// The status in force on `date`: the latest (by seq) whose from-date has come.
const Status* status_on(const Party& p, uint32_t date) {
  const Status* s = nullptr;
  for (auto& st : p.statuses)
    if (st.from <= date) s = &st;
  return s && s->status != "active" ? s : nullptr;
}

// Providers reached, one step or more, from an operator of last resort along
// forward money or recorded lines.
std::set<Vertex> covered_by_last_resort(const Map& m, std::vector<std::string>& operators) {
  const Graph& g = m.graph;
  struct Down {
    const Graph* g = nullptr;
    bool operator()(Edge e) const {
      const EdgeData& d = (*g)[e];
      return ForwardMoney{g}(e) || (d.type == EdgeType::responsibility && d.recorded);
    }
  };
  boost::filtered_graph<Graph, Down> down(g, Down{&g});
  std::set<std::string> ops;
  for (const Line& l : m.facts.lines)
    if (l.kind == "last-resort")
      for (auto& r : l.responsible) ops.insert(r);
  operators.assign(ops.begin(), ops.end());
  std::set<Vertex> covered;
  for (auto& op : ops) {
    auto from = m.find(op);  // a filtered map may have left the operator out
    if (!from) continue;
    auto dist = bfs_distances(down, {*from});
    for (Vertex v = 0; v < num_vertices(g); ++v)
      if (dist[v] >= 1) covered.insert(v);
  }
  return covered;
}

// Purchases buy goods and services for the payer's own use, not a public
// service delivered on its behalf (DESIGN.md): they need no responsibility
// line and no operator of last resort.
bool is_purchase(const EdgeData& d) {
  static const Name purchase("purchase");  // compared by pointer
  return d.type == EdgeType::funding && d.mechanism == purchase;
}

// What `v` received that wants a responsibility line: all but purchases.
int64_t received_wanting_line(const Graph& g, Vertex v) {
  int64_t purchases = 0;
  for (auto [e, end] = in_edges(v, g); e != end; ++e)
    if (is_purchase(g[*e])) purchases += g[*e].amount;
  return g[v].received - purchases;
}

// Paid, and only by purchases: a supplier, not a provider of a service.
bool paid_only_by_purchases(const Graph& g, Vertex v) {
  bool paid = false;
  for (auto [e, end] = in_edges(v, g); e != end; ++e) {
    if (g[*e].type != EdgeType::funding) continue;
    if (!is_purchase(g[*e])) return false;
    paid = true;
  }
  return paid;
}

}  // namespace

std::vector<Gap> find_gaps(const Map& m) {
  const Graph& g = m.graph;
  const Facts& f = m.facts;
  std::vector<Gap> out;

  std::map<std::string, std::vector<std::string>> implicit;  // party -> its implicit accountables
  for (const Line& l : m.implicit) implicit[l.responsible[0]].push_back(l.accountable);
  for (auto& [party, to] : implicit) {
    Gap gap{"money-without-line", party, join(to, ", "), received_wanting_line(g, m.index.at(party)), 0, ""};
    gap.detail = "received money but answers to no one on record; implicitly to " + join(to, " and ");
    out.push_back(gap);
  }

  std::vector<std::string> operators;
  auto covered = covered_by_last_resort(m, operators);
  for (Vertex v = 0; v < num_vertices(g); ++v) {
    if (!is_provider_kind(g[v].kind) || covered.count(v) || paid_only_by_purchases(g, v)) continue;
    Gap gap{"no-last-resort", g[v].id, "", g[v].received, 0, ""};
    gap.detail = operators.empty() ? "no operator of last resort is recorded anywhere"
                                   : "no operator of last resort (" + join(operators, ", ") + ") stands above it";
    out.push_back(gap);
  }

  // Looked up by index: only parties with a status change can be paid after a failure.
  std::vector<const Party*> changed(f.ids.size());
  for (size_t i = 0; i < f.ids.size(); ++i)
    if (const Party* p = f.party(f.ids[i]); p && !p->statuses.empty()) changed[i] = p;
  for (const Money& mo : f.money) {
    const Party* p = changed[mo.to_ix];
    if (mo.contribution || !p) continue;
    const Status* s = status_on(*p, mo.value_date);
    if (!s) continue;
    Gap gap{"paid-after-failure", mo.to, mo.from, mo.amount, mo.seq, ""};
    gap.detail = mo.mechanism + " on " + format_date(mo.value_date) + " after " + s->status + " from " + format_date(s->from) +
                 (mo.mechanism == "support" ? " (support: rescue money, allowed)" : " (only support is allowed after a failure)");
    out.push_back(gap);
  }

  // Delivery and contract lines whose responsible party received no money
  // (directly, or through a collaborative it is a member of).
  std::set<std::string> paid;
  for (Vertex v = 0; v < num_vertices(g); ++v)
    if (g[v].received > 0) {
      paid.insert(g[v].id);
      if (const Party* p = f.party(g[v].id))
        for (auto& member : p->members) paid.insert(member);
    }
  for (const Line& l : f.lines) {
    if (l.kind != "delivery" && l.kind != "contract") continue;
    for (auto& r : l.responsible) {
      if (paid.count(r)) continue;
      Gap gap{"line-without-money", r, l.accountable, 0, l.seq, ""};
      gap.detail = l.kind + " line for '" + l.subject + "' (seq " + std::to_string(l.seq) + "), but no money reached " + r;
      out.push_back(gap);
    }
  }
  return out;
}

void mark_gaps(Map& m) {
  Graph& g = m.graph;
  for (const Gap& gap : find_gaps(m)) {
    Vertex v = m.index.at(gap.party);
    g[v].gap = true;
    for (auto [e, end] = in_edges(v, g); e != end; ++e) {
      EdgeData& d = g[*e];
      if (gap.type == "money-without-line" && d.type == EdgeType::funding && !is_purchase(d)) d.gap = true;
      if (gap.type == "paid-after-failure" && d.type == EdgeType::funding && g[source(*e, g)].id == gap.other) d.gap = true;
      if (gap.type == "line-without-money" && d.type == EdgeType::responsibility && d.seq == gap.seq) d.gap = true;
    }
  }
}

nlohmann::json to_json(const Map& m, const std::vector<Gap>& gaps) {
  nlohmann::json a = nlohmann::json::array();
  for (auto& g : gaps) {
    nlohmann::json j{{"type", g.type}, {"party", g.party}, {"other", g.other}, {"seq", g.seq}, {"detail", g.detail}};
    put_amount(j, "amount", g.amount, m.facts.exponent);
    a.push_back(j);
  }
  return {{"currency", m.facts.currency}, {"as_of", m.facts.as_of.text}, {"gaps", a}};
}

std::string to_text(const Map& m, const std::vector<Gap>& gaps, size_t limit) {
  std::ostringstream o;
  o << "Gaps in accountability (" << as_of_text(m) << ")\n";
  const std::pair<const char*, const char*> sections[] = {
      {"money-without-line", "Money without a recorded responsibility line (shown as implicit lines to the commissioner)"},
      {"no-last-resort", "Providers without an operator of last resort"},
      {"paid-after-failure", "Payments after a failure"},
      {"line-without-money", "Responsibility without money"}};
  for (auto& [type, title] : sections) {
    std::vector<const Gap*> here;
    for (auto& g : gaps)
      if (g.type == type) here.push_back(&g);
    o << "\n" << title << ": " << (here.empty() ? "none" : std::to_string(here.size())) << "\n";
    const auto listed = shown(here.size(), limit, [&](size_t i) { return here[i]->amount; });
    for (size_t i : listed) {
      const Gap* g = here[i];
      o << "  " << label(m, g->party);
      if (g->type == "money-without-line") o << ": received " << money_text(m, g->amount) << "; " << g->detail;
      else if (g->type == "paid-after-failure") o << ": " << money_text(m, g->amount) << " from " << g->other << " (seq " << g->seq << "), " << g->detail;
      else o << ": " << g->detail;
      o << "\n";
    }
    o << more(here.size() - listed.size(), "  ");
  }
  return o.str();
}

}  // namespace fundtrail::map
