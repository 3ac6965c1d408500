// Facts -> the Boost.Graph map: vertices, aggregated funding edges,
// responsibility lines (recorded, then implicit), contract edges, gap marks.
#include <algorithm>
#include <future>
#include <string_view>

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

// Funding edges are grouped by (payer vertex, payee vertex, mechanism) packed
// into 24 + 24 + 16 bits.
constexpr uint64_t kMaxPackedVertex = uint64_t(1) << 24, kMaxPackedMechanism = uint64_t(1) << 16;

// Payments grouped by funding edge: `of[i]` is payment i's group, and groups
// are numbered in the order of their first payments (`first`). Grouped by
// sorting packed integer keys: at a million payments a hash table keyed by
// strings cost a second of cache misses.
struct FundingGroups {
  std::vector<uint32_t> first;  // index of each group's first payment
  std::vector<uint32_t> of;     // per payment
};

FundingGroups group_funding(const std::vector<Money>& money, const std::vector<Vertex>& vertex_of) {
  std::vector<Name> mechanisms;                      // a handful
  std::vector<std::pair<uint64_t, uint32_t>> keyed;  // (payer, payee, mechanism) packed; payment index
  keyed.reserve(money.size());
  for (uint32_t i = 0; i < money.size(); ++i) {
    const Money& mo = money[i];
    const Vertex a = vertex_of[mo.from_ix], b = vertex_of[mo.to_ix];
    auto mech = size_t(std::find(mechanisms.begin(), mechanisms.end(), mo.mechanism) - mechanisms.begin());
    if (mech == mechanisms.size()) mechanisms.push_back(mo.mechanism);
    if (a >= kMaxPackedVertex || b >= kMaxPackedVertex || mech >= kMaxPackedMechanism)
      unusable("the map holds at most " + std::to_string(kMaxPackedVertex) + " parties");
    keyed.push_back({(uint64_t(a) << 40) | (uint64_t(b) << 16) | uint64_t(mech), i});
  }
  std::sort(keyed.begin(), keyed.end());  // by edge, then by payment order
  struct Run {
    uint32_t first;
    size_t begin, end;  // in `keyed`
  };
  std::vector<Run> runs;
  for (size_t i = 0, j; i < keyed.size(); i = j) {
    for (j = i + 1; j < keyed.size() && keyed[j].first == keyed[i].first;) ++j;
    runs.push_back({keyed[i].second, i, j});
  }
  std::sort(runs.begin(), runs.end(), [](const Run& x, const Run& y) { return x.first < y.first; });
  FundingGroups out;
  out.first.reserve(runs.size());
  out.of.resize(money.size());
  for (uint32_t gi = 0; gi < runs.size(); ++gi) {
    out.first.push_back(runs[gi].first);
    for (size_t k = runs[gi].begin; k < runs[gi].end; ++k) out.of[keyed[k].second] = gi;
  }
  return out;
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

Map build_map(const Ledger& ledger, const AsOf& as_of, BuildOptions options) {
  return build_map(load_facts(ledger, as_of), options);
}

Map build_map(Facts facts, BuildOptions options) {
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
  const std::vector<Money>& money = m.facts.money;
  // The trace behind the implicit lines reads only the facts, which nothing
  // below changes: it runs on another core while the graph is built, and is
  // kept for the analyses that follow the money (Map::by_natural_origins).
  const std::set<std::string> unrecorded = detail::receivers_without_line(m.facts);
  std::future<detail::Trace> traced = std::async(std::launch::async, [&] { return detail::trace(m.facts, {}); });
  // The pools' trace, when asked for, likewise: it too reads only the facts.
  // Three threads on two cores finish sooner than the two traces one after
  // the other beside the graph (docs/performance.md).
  if (options.trace_pools)
    m.pools_pending.hold(std::async(std::launch::async, [&m] {
                           return std::make_shared<const detail::Trace>(detail::trace_pools(m.facts));
                         }).share());

  // Funding: one edge per payer, payee and mechanism, made in the order of
  // each one's first payment. Vertices are made in payment order too.
  if (money.size() > UINT32_MAX) unusable("the map holds at most " + std::to_string(UINT32_MAX) + " payments");
  std::vector<Vertex> vertex_of(m.facts.ids.size(), Graph::null_vertex());
  for (const Money& mo : money)
    for (uint32_t ix : {mo.from_ix, mo.to_ix})
      if (vertex_of[ix] == Graph::null_vertex()) vertex_of[ix] = vertex(m.facts.ids[ix]);
  const FundingGroups groups = group_funding(money, vertex_of);
  // Room for every edge (the implicit lines: about one per party without a
  // recorded line): the edges live in one vector (map.h, Graph), and the
  // funding edges' descriptors below must not move, as they would if it grew
  // while they are added and summed.
  size_t edges = groups.first.size() + m.facts.contracts.size() + unrecorded.size();
  for (const Line& l : m.facts.lines) edges += l.responsible.size();
  g.m_edges.reserve(edges);
  std::vector<Edge> edge_of_group(groups.first.size());
  for (size_t gi = 0; gi < groups.first.size(); ++gi) {
    const Money& mo = money[groups.first[gi]];
    EdgeData d;
    d.type = EdgeType::funding;
    d.mechanism = mo.mechanism;
    d.first_date = mo.value_date;
    edge_of_group[gi] = add_edge(vertex_of[mo.from_ix], vertex_of[mo.to_ix], d, g).first;
  }

  // Amounts net of refunds (load.cpp, net_refunds): a refund is no edge of
  // its own but lowers what its payee paid its payer; `count` still counts
  // the payments, a fully refunded one included.
  std::map<uint64_t, int64_t> paid_under;  // contract seq -> paid under it
  for (uint32_t i = 0; i < money.size(); ++i) {
    const Money& mo = money[i];
    const int64_t net = mo.net();
    Vertex a = vertex_of[mo.from_ix], b = vertex_of[mo.to_ix];
    EdgeData& d = g[edge_of_group[groups.of[i]]];
    add(d.amount, net, [&] { return "money from " + mo.from + " to " + mo.to; });
    ++d.count;
    d.first_date = std::min(d.first_date, mo.value_date);
    d.last_date = std::max(d.last_date, mo.value_date);
    // Split by source of funds: funded-by, else what the contract's schedule says.
    bool own = mo.funded_by == FundedBy::own || detail::schedule_says_own(m.facts, mo);
    int64_t& split = mo.funded_by == FundedBy::entry ? d.tagged
                     : own                            ? d.own
                     : mo.funded_by == FundedBy::loan ? d.loan
                                                       : d.untagged;
    add(split, net, [&] { return "money from " + mo.from; });
    add(g[a].paid, net, [&] { return "money paid by " + mo.from; });
    add(g[b].received, net, [&] { return "money received by " + mo.to; });
    if (mo.contract_seq) add(paid_under[mo.contract_seq], net, [&] { return "a contract's payments"; });
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

  m.by_natural_origins = std::make_shared<const detail::Trace>(traced.get());
  m.implicit = implicit_lines(m, *m.by_natural_origins, unrecorded);
  for (const Line& l : m.implicit)
    for (auto& r : l.responsible) add_edge(vertex(l.accountable), vertex(r), line_edge(l, r), g);
  mark_gaps(m);
  return m;
}

}  // namespace fundtrail::map
