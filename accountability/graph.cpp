// Facts -> the Boost.Graph map: vertices, aggregated funding edges,
// responsibility lines (recorded, then implicit), contract edges, gap marks.
#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map {
namespace {

// `what` names the total only when it overflows: building that text for each
// of a million payments cost more than the sums themselves.
template <typename What>
void add(int64_t& total, int64_t v, What&& what) {
  if (!add_money(total, v, total)) unusable("the total of " + std::string(what()) + " overflows");
}

VertexData vertex_data(const Party* p, const std::string& id) {
  VertexData v;
  v.id = id;
  if (!p) {  // `ledger`: the administrators acting for the ledger itself
    v.name = id == "ledger" ? "the ledger's administrators" : id;
    v.kind = "office";
    v.sector = "public";
    return v;
  }
  v.name = p->name;
  v.kind = p->kind;
  v.sector = p->sector;
  v.controlled_by = p->controlled_by;
  v.parent = p->parent;
  if (!p->statuses.empty()) {
    v.status = p->statuses.back().status;
    v.status_from = p->statuses.back().from;
    v.failed = p->failure() != nullptr;
  }
  return v;
}

EdgeData line_edge(const Line& l, const std::string& responsible) {
  EdgeData e;
  e.type = EdgeType::responsibility;
  e.kind = l.kind;
  e.subject = l.subject;
  e.recorded = l.recorded;
  e.joint = l.responsible.size() > 1;
  std::vector<std::string> others;
  for (auto& r : l.responsible)
    if (r != responsible) others.push_back(r);
  e.joint_with = detail::join(others, ";");
  e.start = l.start;
  e.end = l.end;
  e.seq = l.seq;
  return e;
}

}  // namespace

std::string name_of(EdgeType t) {
  switch (t) {
    case EdgeType::funding: return "funding";
    case EdgeType::responsibility: return "responsibility";
    case EdgeType::contract: return "contract";
  }
  return "funding";
}

Map build_map(const Ledger& ledger, const AsOf& as_of) { return build_map(load_facts(ledger, as_of)); }

Map build_map(Facts facts) {
  Map m;
  m.facts = std::move(facts);
  Graph& g = m.graph;
  auto vertex = [&](const std::string& id) {
    auto it = m.index.find(id);
    if (it != m.index.end()) return it->second;
    Vertex v = add_vertex(vertex_data(m.facts.party(id), id), g);
    m.index[id] = v;
    return v;
  };
  for (auto& [id, p] : m.facts.parties) vertex(id);

  // Funding: one edge per payer, payee and mechanism.
  std::map<std::tuple<Vertex, Vertex, std::string>, Edge> funding;
  std::map<uint64_t, int64_t> paid_under;  // contract seq -> paid under it
  for (const Money& mo : m.facts.money) {
    Vertex a = vertex(mo.from), b = vertex(mo.to);
    auto key = std::make_tuple(a, b, mo.mechanism);
    auto it = funding.find(key);
    if (it == funding.end()) {
      EdgeData d;
      d.type = EdgeType::funding;
      d.mechanism = mo.mechanism;
      d.first_date = mo.value_date;
      it = funding.emplace(key, add_edge(a, b, d, g).first).first;
    }
    EdgeData& d = g[it->second];
    add(d.amount, mo.amount, [&] { return "money from " + mo.from + " to " + mo.to; });
    ++d.count;
    d.first_date = std::min(d.first_date, mo.value_date);
    d.last_date = std::max(d.last_date, mo.value_date);
    // Split by source of funds: funded-by, else what the contract's schedule says.
    bool own = mo.funded_by == FundedBy::own || detail::schedule_says_own(m.facts, mo);
    int64_t& split = mo.funded_by == FundedBy::entry ? d.tagged
                     : own                            ? d.own
                     : mo.funded_by == FundedBy::loan ? d.loan
                                                       : d.untagged;
    add(split, mo.amount, [&] { return "money from " + mo.from; });
    add(g[a].paid, mo.amount, [&] { return "money paid by " + mo.from; });
    add(g[b].received, mo.amount, [&] { return "money received by " + mo.to; });
    if (mo.contract_seq) add(paid_under[mo.contract_seq], mo.amount, [&] { return "a contract's payments"; });
  }

  for (const Line& l : m.facts.lines)
    for (auto& r : l.responsible) add_edge(vertex(l.accountable), vertex(r), line_edge(l, r), g);

  for (auto& [seq, c] : m.facts.contracts) {
    EdgeData d;
    d.type = EdgeType::contract;
    d.reference = c.reference;
    d.subject = c.subject;
    d.model = c.model;
    d.cap = c.cap;
    d.start = c.start;
    d.end = c.end;
    d.seq = seq;
    d.ended = c.ended ? c.end_reason : "";
    d.paid = paid_under[seq];
    add_edge(vertex(c.payer), vertex(c.payee), d, g);
  }

  m.implicit = implicit_lines(m);
  for (const Line& l : m.implicit)
    for (auto& r : l.responsible) add_edge(vertex(l.accountable), vertex(r), line_edge(l, r), g);
  mark_gaps(m);
  return m;
}

}  // namespace fundtrail::map
