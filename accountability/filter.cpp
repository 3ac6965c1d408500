// Export filters: --kind, --pool, --depth, as a Boost filtered_graph copied
// into a map of its own.
#include <boost/graph/copy.hpp>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

struct KeepEdge {
  const Graph* g = nullptr;
  const Filter* f = nullptr;
  const std::vector<char>* keep = nullptr;
  bool operator()(Edge e) const {
    const EdgeData& d = (*g)[e];
    bool type_ok = (d.type == EdgeType::funding && f->funding) || (d.type == EdgeType::responsibility && f->responsibility) ||
                   (d.type == EdgeType::contract && f->contracts);
    return type_ok && (*keep)[source(e, *g)] && (*keep)[target(e, *g)];
  }
};

struct KeepVertex {
  const std::vector<char>* keep = nullptr;
  bool operator()(Vertex v) const { return (*keep)[v]; }
};

// Everyone the kept parties answer to, up the responsibility lines.
void add_answerable(const Graph& g, std::vector<char>& keep) {
  ResponsibilityView lines(g, Responsibility{&g, false});
  auto up = boost::make_reverse_graph(lines);
  std::vector<Vertex> from;
  for (Vertex v = 0; v < num_vertices(g); ++v)
    if (keep[v]) from.push_back(v);
  auto dist = bfs_distances(up, from);
  for (Vertex v = 0; v < num_vertices(g); ++v)
    if (dist[v] >= 0) keep[v] = 1;
}

}  // namespace

Filter parse_filter(const std::string& kind, const std::string& pool, int depth, const Map& m) {
  Filter f;
  if (kind == "funding") f.responsibility = f.contracts = false;
  else if (kind == "responsibility") f.funding = f.contracts = false;
  else if (kind == "contracts" || kind == "contract") f.funding = f.responsibility = false;
  else if (!kind.empty() && kind != "all")
    unusable("--kind '" + kind + "': choose funding, responsibility, contracts or all");
  if (!pool.empty()) {
    const Party* p = m.facts.party(pool);
    if (!p) unusable("--pool '" + pool + "': no such party (see 'fundtrail party list')");
    if (p->kind != "pool") unusable("--pool '" + pool + "' is a " + p->kind + ", not a pool");
  }
  if (depth < -1) unusable("--depth must be 0 or more");
  f.pool = pool;
  f.depth = depth;
  return f;
}

Map filtered(const Map& m, const Filter& f) {
  const Graph& g = m.graph;
  size_t n = num_vertices(g);
  std::vector<char> keep(n, 1);
  if (!f.pool.empty() || f.depth >= 0) {
    MoneyView money(g, ForwardMoney{&g});
    std::vector<Vertex> roots;
    if (!f.pool.empty()) {
      Vertex p = m.index.at(f.pool);
      roots.push_back(p);
    } else {
      for (Vertex v = 0; v < n; ++v)
        if (in_degree(v, money) == 0 && out_degree(v, money) > 0) roots.push_back(v);
    }
    auto dist = bfs_distances(money, roots);
    for (Vertex v = 0; v < n; ++v) keep[v] = dist[v] >= 0 && (f.depth < 0 || dist[v] <= f.depth);
    if (!f.pool.empty())  // the pool's contributors
      for (auto [e, end] = in_edges(roots[0], money); e != end; ++e) keep[source(*e, money)] = 1;
    if (f.responsibility) add_answerable(g, keep);
  }
  std::vector<char> kept = keep;
  if (!(f.funding && f.responsibility && f.contracts)) {  // drop parties left without an edge
    KeepEdge ke{&g, &f, &keep};
    std::vector<char> touched(n, 0);
    for (auto [e, end] = edges(g); e != end; ++e)
      if (ke(*e)) touched[source(*e, g)] = touched[target(*e, g)] = 1;
    for (Vertex v = 0; v < n; ++v) kept[v] = keep[v] && touched[v];
  }
  boost::filtered_graph<Graph, KeepEdge, KeepVertex> view(g, KeepEdge{&g, &f, &kept}, KeepVertex{&kept});
  Map out;
  out.facts = m.facts;
  boost::copy_graph(view, out.graph);
  for (Vertex v = 0; v < num_vertices(out.graph); ++v) out.index[out.graph[v].id] = v;
  for (const Line& l : m.implicit)
    if (f.responsibility && out.index.count(l.accountable) && out.index.count(l.responsible[0])) out.implicit.push_back(l);
  return out;
}

}  // namespace fundtrail::map
