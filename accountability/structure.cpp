// Layers and cycles of the funding network: Boost's strong_components finds
// money going round in circles (clawbacks, money going back, are left out,
// and refunds are no edges: they net against the money they answer);
// the condensation, topologically sorted, gives the longest chain of payers.
#include <boost/graph/create_condensation_graph.hpp>
#include <boost/graph/strong_components.hpp>
#include <boost/graph/topological_sort.hpp>

#include <algorithm>

#include "accountability/internal.h"

namespace fundtrail::map {

using namespace detail;

void layers_and_cycles(const Map& m, Patterns& out) {
  const Graph& g = m.graph;
  MoneyView money(g, ForwardMoney{&g});
  const size_t n = num_vertices(g);
  std::vector<size_t> comp(n);
  auto index = get(boost::vertex_index, money);
  size_t count = boost::strong_components(money, boost::make_iterator_property_map(comp.begin(), index));

  std::vector<std::vector<Vertex>> members(count);
  for (Vertex v = 0; v < n; ++v) members[comp[v]].push_back(v);
  for (auto& c : members)
    if (c.size() > 1) {
      std::vector<std::string> ids;
      for (Vertex v : c) ids.push_back(g[v].id);
      std::sort(ids.begin(), ids.end());
      out.cycles.push_back(ids);
    }
  std::sort(out.cycles.begin(), out.cycles.end());

  using C = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  C cg;
  boost::create_condensation_graph(money, members, boost::make_iterator_property_map(comp.begin(), index), cg);
  std::vector<C::vertex_descriptor> order;
  boost::topological_sort(cg, std::back_inserter(order));  // reverse topological order
  std::vector<int> depth(count, 0);
  for (auto it = order.rbegin(); it != order.rend(); ++it)
    for (auto [e, end] = out_edges(*it, cg); e != end; ++e)
      depth[target(*e, cg)] = std::max(depth[target(*e, cg)], depth[*it] + 1);
  for (Vertex v = 0; v < n; ++v) {
    if (in_degree(v, money) == 0 && out_degree(v, money) == 0) continue;  // outside the money
    out.layer_of[g[v].id] = depth[comp[v]];
    out.layers = std::max(out.layers, depth[comp[v]]);
  }
}

}  // namespace fundtrail::map
