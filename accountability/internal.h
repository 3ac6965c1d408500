// Shared by the accountability sources only (not a public header): text and
// JSON helpers for amounts, graph views, BFS, ownership groups, and the
// source-of-funds tracer behind follow_money, frontline and concentration.
#pragma once
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/reverse_graph.hpp>

#include <functional>
#include <future>
#include <set>

#include "accountability/map.h"

namespace fundtrail::map::detail {

// ---- amounts and ratios ---------------------------------------------------

std::string grouped(int64_t minor, int exponent);  // "1,250.00"
std::string money_text(const Map& m, int64_t minor);  // "GBP 1,250.00"
std::string pct(uint32_t bp);                         // 4467 -> "44.67%"
uint32_t ratio_bp(int64_t part, int64_t whole);       // part/whole in basis points, rounded half up; 0 when whole <= 0
void put_amount(nlohmann::json& j, const std::string& key, int64_t minor, int exponent);  // key + key_minor
std::string date_text(uint32_t yyyymmdd);             // "" for 0
// Parts of `total` in proportion to `weights` (all >= 0, sum > 0), each rounded
// down, the rest handed out one unit at a time by largest remainder, ties to
// the lower index (callers order by party id).
std::vector<int64_t> largest_remainder(int64_t total, const std::vector<int64_t>& weights);
std::string join(const std::vector<std::string>& v, const std::string& sep);
// The entries of a list of `n` that a text shows (map.h, kEveryEntry): all when
// `limit` is 0 or n <= limit, else the `limit` of largest `weight` (ties: the
// earlier; no weight: the first), always in the list's own order.
std::vector<size_t> shown(size_t n, size_t limit, const std::function<int64_t(size_t)>& weight = nullptr);
// "<indent>... and 9,850 more (--all for every one)\n" when `hidden` > 0, else "".
std::string more(size_t hidden, const std::string& indent);
std::string lower(std::string s);
std::string as_of_text(const Map& m);  // "as of seq 41" / "as of 2026-03-31" / "all 58 records"
// The exports' graph-level as_of: the --as-of the map was built at, as the
// option takes it ("2026-03-31", or "41" for records 0..41), or "all records".
std::string as_of_value(const Map& m);

// load_facts with the records decoded by `threads` threads, each over its own
// range of seqs (the public one picks the count; tests compare counts).
Facts load_facts(const Ledger& ledger, const AsOf& as_of, unsigned threads);

// ---- party facts ----------------------------------------------------------

bool is_origin_kind(const std::string& kind);    // commissioner, funder
bool is_provider_kind(const std::string& kind);  // provider, collaborative
// The party at the top of `id`'s controlled-by chain (itself when uncontrolled).
std::string controller_of(const Facts& f, const std::string& id);
// Same controlling group, and a control relation exists (not two independents).
bool same_group(const Facts& f, const std::string& a, const std::string& b);
// Offices whose parent organisation is `id`.
std::vector<std::string> offices_of(const Facts& f, const std::string& id);
// A label for text: "Hope Works (hope-charity)".
std::string label(const Map& m, const std::string& id);

// ---- graph views ----------------------------------------------------------

// Money that moves forward: funding edges except clawbacks (money going back)
// and edges refunds have netted to nothing. Refunds are no edges at all
// (Facts::refunds), so they never close a cycle.
struct ForwardMoney {
  const Graph* g = nullptr;
  bool operator()(Edge e) const {
    const EdgeData& d = (*g)[e];
    static const Name clawback("clawback");  // compared by pointer: this runs per edge, per view, per analysis
    return d.type == EdgeType::funding && d.mechanism != clawback && d.amount > 0;
  }
};
struct Responsibility {
  const Graph* g = nullptr;
  bool recorded_only = false;
  bool operator()(Edge e) const {
    return (*g)[e].type == EdgeType::responsibility && (!recorded_only || (*g)[e].recorded);
  }
};
using MoneyView = boost::filtered_graph<Graph, ForwardMoney>;
using ResponsibilityView = boost::filtered_graph<Graph, Responsibility>;

// Breadth-first search (Boost) from `sources`; distance per vertex, -1 unreached;
// `pred` (optional) gets the BFS tree.
template <class G>
std::vector<int> bfs_distances(const G& g, const std::vector<Vertex>& sources, std::vector<Vertex>* pred = nullptr);

// Distinct payers -> payees of forward money, as (source, target) vertex pairs.
std::vector<std::pair<Vertex, Vertex>> money_pairs(const Map& m);

// ---- source-of-funds tracing (docs/map.md, "Follow the money") ------------

enum class SourceType { funds, own, loan };
using map::name_of;
std::string name_of(SourceType t);
struct SourceKey {
  std::string party;
  SourceType type = SourceType::funds;
  auto operator<=>(const SourceKey&) const = default;
};
using Mix = std::map<SourceKey, int64_t>;

// A source's part of what a party holds or received: the source as
// party index (Facts::ids) * 3 + SourceType. Flat and by index: at a million
// payments a party's mix of string-keyed map nodes cost 100 MB a trace.
struct SourcePart {
  uint32_t key;
  int64_t amount;
};
using Parts = std::vector<SourcePart>;  // sorted by key, no zero amounts

struct Trace {
  std::vector<std::string> ids;  // the traced Facts::ids (a copy: a Map may move or go)
  std::vector<Parts> held;      // per party index: where each source's money sits now
  std::vector<Parts> received;  // per party index: all attributed money it received
  std::map<SourceKey, int64_t> paid_out;
  std::map<std::string, uint32_t> first_own_date;  // first value date an intermediary paid its own money
  int64_t by_tag = 0, pro_rata = 0;
  SourceKey source(const SourcePart& p) const { return {ids[p.key / 3], SourceType(p.key % 3)}; }
  // One party's, keyed by source ({} for a party the trace does not know).
  Mix held_by(const std::string& party) const;
  Mix received_by(const std::string& party) const;
};
// Origins: commissioners, funders and `extra` pay out of their own budgets;
// every other party pays out of what it received (by funded-by, else pro rata),
// and beyond that out of its own money.
// `received_by` (for the implicit lines, built with every map): fill only
// `received`, and only for those parties; the rest of Trace stays empty.
Trace trace(const Facts& f, const std::set<std::string>& extra, const std::set<std::string>* received_by = nullptr);

// Parties that receive money, answer to someone (not commissioners, funders,
// offices, boards, regulators, auditors) and are responsible on no recorded
// line: those the implicit lines are for.
std::set<std::string> receivers_without_line(const Facts& f);

// False for the kinds that sit at the top or beside the money (commissioners,
// funders, offices, boards, regulators, auditors): they answer implicitly to no one.
bool answers_implicitly(const std::string& kind);

// Whom each of `parties` answers to where no line is recorded (for any subject,
// or for the subject at hand): the commissioner whose money it mostly received,
// else such a funder, else its direct payers; ties: each. Parties that received
// no money are left out. One trace for all of them.
std::map<std::string, std::set<std::string>> implicit_accountables(const Map& m, const std::set<std::string>& parties);

// True when `mo` carries no funded-by and its contract's schedule row says the
// payer finances it: an intermediary's own money (a pool has none but what it
// holds; a commissioner's or funder's money is its budget, not pre-financing).
bool schedule_says_own(const Facts& f, const Money& mo);

// The map's shared traces (Map::by_natural_origins, Map::by_pools), made on
// first use: trace(m.facts, {}) and trace(m.facts, every pool). One thread.
// pool_trace takes Map::pools_pending when build_map started it.
const Trace& natural_trace(const Map& m);
const Trace& pool_trace(const Map& m);
Trace trace_pools(const Facts& f);  // trace(f, every pool)
// pool_trace made on another core while the caller does other work: start,
// work, finish (which keeps it in the map). Not started when the map has it
// or build_map started it.
std::future<Trace> start_pool_trace(const Map& m);
void finish_pool_trace(const Map& m, std::future<Trace>& started);

// For each party -> (since, cap): the outcome (milestone) payments it received
// on or after `since`, less what it passed on tagged to them: what came back of
// its pre-financing, capped at `cap` (0 when cap <= 0). All in two passes.
std::map<std::string, int64_t> recovered(const Facts& f, const std::map<std::string, std::pair<uint32_t, int64_t>>& since_and_cap);

}  // namespace fundtrail::map::detail

namespace fundtrail::map {
// Steps of build_map and of the analyses, each in its own file.
// An implicit line for each party of `unrecorded` (receivers_without_line),
// in vertex order. `t`: trace(m.facts, {}, &unrecorded), which needs only the
// facts, so build_map runs it beside the graph's construction.
std::vector<Line> implicit_lines(const Map& m, const detail::Trace& t,
                                 const std::set<std::string>& unrecorded);  // implicit.cpp
void mark_gaps(Map& m);                                // gaps.cpp
Dominators dominators(const Map& m);                   // dominators.cpp
void layers_and_cycles(const Map& m, Patterns& out);  // structure.cpp
// patterns(m) without the risk rows (a row per paying relation): what the summary reads.
Patterns patterns(const Map& m, bool with_risk);       // patterns.cpp
}  // namespace fundtrail::map

// ---- template definitions -------------------------------------------------
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>

namespace fundtrail::map::detail {

template <class G>
std::vector<int> bfs_distances(const G& g, const std::vector<Vertex>& sources, std::vector<Vertex>* pred) {
  size_t n = num_vertices(g);
  std::vector<int> dist(n, -1);
  if (sources.empty()) return dist;
  std::vector<Vertex> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = i;
  for (Vertex s : sources) dist[s] = 0;
  std::vector<boost::default_color_type> color(n, boost::white_color);
  boost::queue<Vertex> q;
  auto index = get(boost::vertex_index, g);
  auto vis = boost::make_bfs_visitor(std::make_pair(
      boost::record_distances(boost::make_iterator_property_map(dist.begin(), index), boost::on_tree_edge()),
      boost::record_predecessors(boost::make_iterator_property_map(p.begin(), index), boost::on_tree_edge())));
  boost::breadth_first_search(g, sources.begin(), sources.end(), q, vis,
                              boost::make_iterator_property_map(color.begin(), index));
  if (pred) *pred = std::move(p);
  return dist;
}

}  // namespace fundtrail::map::detail
