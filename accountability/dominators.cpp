// Dominators of the funding network (Boost's Lengauer-Tarjan): a party d
// dominates v when every path money can take to v passes through d. In a
// plain tree that is trivially true of every intermediary, so only merge
// points (parties with several payers) and their dominators are reported.
#include <boost/graph/dominator_tree.hpp>

#include <set>

#include "accountability/internal.h"

namespace fundtrail::map {

using namespace detail;

Dominators dominators(const Map& m) {
  using D = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS>;
  const Graph& g = m.graph;
  const size_t n = num_vertices(g);
  D d(n + 1);
  const Vertex root = n;  // a virtual root paying every first payer
  // Each party's payers, ascending: money_pairs is sorted and unique, so a
  // vector per party is a set without a node per payer.
  std::vector<std::vector<Vertex>> payers(n);
  std::vector<char> has_out(n, 0);
  for (auto [a, b] : money_pairs(m)) {
    add_edge(a, b, d);
    payers[b].push_back(a);
    has_out[a] = 1;
  }
  for (Vertex v = 0; v < n; ++v)
    if (payers[v].empty() && has_out[v]) add_edge(root, v, d);

  std::vector<D::vertex_descriptor> idom(n + 1, boost::graph_traits<D>::null_vertex());
  boost::lengauer_tarjan_dominator_tree(d, root, boost::make_iterator_property_map(idom.begin(), get(boost::vertex_index, d)));

  Dominators out;
  std::map<std::string, std::set<std::string>> dominated;
  for (Vertex v = 0; v < n; ++v) {
    if (payers[v].size() < 2) continue;
    out.plain_tree = false;
    Dominators::Merge mg;
    mg.party = g[v].id;
    for (Vertex p : payers[v]) mg.payers.push_back(g[p].id);
    std::sort(mg.payers.begin(), mg.payers.end());
    Vertex i = idom[v];
    if (i != root && i != boost::graph_traits<D>::null_vertex()) mg.idom = g[i].id;
    // Every intermediary (a party that itself receives money) above v in the dominator tree.
    for (; i != root && i != boost::graph_traits<D>::null_vertex(); i = idom[i])
      if (!payers[i].empty()) dominated[g[i].id].insert(g[v].id);
    out.merges.push_back(mg);
  }
  for (auto& [dom, below] : dominated) out.dominators[dom] = {below.begin(), below.end()};
  return out;
}

}  // namespace fundtrail::map
