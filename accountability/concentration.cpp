// map concentration: providers' shares of each pool's and commissioner's
// money (with the Herfindahl-Hirschman index), each provider's dependence on
// one payer, controlling groups, and dominators (dominators.cpp).
#include <algorithm>
#include <set>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

std::string level_of(uint32_t hhi) {
  if (hhi > 2500) return "highly concentrated";
  if (hhi >= 1500) return "moderately concentrated";
  return "unconcentrated";
}

// Providers' holdings of one source's money.
Market market(const Map& m, const Trace& t, const std::string& spender) {
  Market mk;
  mk.spender = spender;
  mk.spender_kind = m.facts.party(spender) ? m.facts.party(spender)->kind : "";
  const std::vector<std::string>& ids = m.facts.ids;
  auto at = std::lower_bound(ids.begin(), ids.end(), spender);
  if (at == ids.end() || *at != spender) return mk;
  const auto key = static_cast<uint32_t>(at - ids.begin()) * 3 + static_cast<uint32_t>(SourceType::funds);
  for (size_t i = 0; i < t.held.size(); ++i) {
    const Parts& mix = t.held[i];
    auto it = std::lower_bound(mix.begin(), mix.end(), key, [](const SourcePart& p, uint32_t k) { return p.key < k; });
    if (it == mix.end() || it->key != key || it->amount <= 0) continue;
    const Party* p = m.facts.party(ids[i]);
    if (!p || !is_provider_kind(p->kind)) continue;
    mk.shares.push_back({ids[i], it->amount});
    mk.total += it->amount;
  }
  std::sort(mk.shares.begin(), mk.shares.end(), [](auto& a, auto& b) {
    return a.amount != b.amount ? a.amount > b.amount : a.party < b.party;
  });
  std::vector<int64_t> amounts;
  for (auto& s : mk.shares) amounts.push_back(s.amount);
  mk.hhi = hhi(amounts);
  mk.level = level_of(mk.hhi);
  return mk;
}

}  // namespace

uint32_t hhi(const std::vector<int64_t>& amounts) {
  __int128 total = 0, squares = 0;
  for (int64_t a : amounts) {
    total += a;
    squares += static_cast<__int128>(a) * a;
  }
  if (total <= 0) return 0;
  __int128 den = total * total;
  return static_cast<uint32_t>((squares * 20000 + den) / (den * 2));  // 10000 * squares / den, rounded half up
}

Concentration concentration(const Map& m) {
  const Facts& f = m.facts;
  const Graph& g = m.graph;
  Concentration c;
  std::future<Trace> by_pools = start_pool_trace(m);  // on the other core, for the pools' markets below
  // Commissioners and funders: their money wherever it went.
  const Trace& natural = natural_trace(m);
  for (auto& [id, p] : f.parties)
    if (is_origin_kind(p.kind)) {
      Market mk = market(m, natural, id);
      if (mk.total > 0) c.markets.push_back(mk);
    }

  // Each provider's payers in id order, summed over their edges (net of
  // refunds): the forward money edges read once in the graph's own order
  // (one vector, map.h) and sorted by (provider, payer's rank by id), rather
  // than each provider's in-edges looked up across the graph and summed in
  // a map keyed by payer id.
  const size_t n = num_vertices(g);
  std::vector<Vertex> by_id(n);
  for (Vertex v = 0; v < n; ++v) by_id[v] = v;
  std::sort(by_id.begin(), by_id.end(), [&](Vertex a, Vertex b) { return g[a].id < g[b].id; });
  std::vector<uint32_t> rank(n);
  for (uint32_t r = 0; r < n; ++r) rank[by_id[r]] = r;
  std::vector<char> provider(n);
  for (Vertex v = 0; v < n; ++v) provider[v] = is_provider_kind(g[v].kind);
  struct Paid {
    Vertex to;
    uint32_t payer_rank;
    int64_t amount;
  };
  std::vector<Paid> paid;
  const ForwardMoney forward{&g};
  for (auto [e, end] = edges(g); e != end; ++e)
    if (provider[target(*e, g)] && forward(*e)) paid.push_back({target(*e, g), rank[source(*e, g)], g[*e].amount});
  std::sort(paid.begin(), paid.end(), [](const Paid& a, const Paid& b) {
    return a.to != b.to ? a.to < b.to : a.payer_rank < b.payer_rank;
  });
  for (size_t i = 0, j; i < paid.size(); i = j) {
    Dependence d;
    d.provider = g[paid[i].to].id;
    for (j = i; j < paid.size() && paid[j].to == paid[i].to;) {
      int64_t a = 0;  // one payer's edges
      const uint32_t payer = paid[j].payer_rank;
      for (; j < paid.size() && paid[j].to == paid[i].to && paid[j].payer_rank == payer; ++j) a += paid[j].amount;
      d.received += a;
      ++d.payers;
      if (a > d.top_amount) {
        d.top_amount = a;
        d.top_payer = g[by_id[payer]].id;
      }
    }
    if (d.received <= 0) continue;
    d.bp = ratio_bp(d.top_amount, d.received);
    c.dependence.push_back(d);
  }
  std::sort(c.dependence.begin(), c.dependence.end(), [](auto& a, auto& b) {
    return a.bp != b.bp ? a.bp > b.bp : a.provider < b.provider;
  });

  std::map<std::string, std::vector<std::string>> groups;
  for (auto& [id, p] : f.parties) groups[controller_of(f, id)].push_back(id);
  for (auto& [controller, members] : groups) {
    if (members.size() < 2) continue;
    Group gr;
    gr.controller = controller;
    gr.members = members;
    std::set<std::string> in(members.begin(), members.end());
    for (auto& mo : f.money)
      if (in.count(mo.to) && !in.count(mo.from)) gr.received += mo.net();  // net of refunds
    for (auto& [seq, k] : f.contracts)
      if (in.count(k.payee) && !k.ended) gr.contracts.push_back(k.reference);
    c.groups.push_back(gr);
  }
  c.dominators = dominators(m);

  // Pools: the same with every pool treated as the source of what it pays
  // (after the commissioners' and funders' markets).
  finish_pool_trace(m, by_pools);
  std::set<std::string> pools;
  for (auto& [id, p] : f.parties)
    if (p.kind == "pool") pools.insert(id);
  if (!pools.empty()) {
    const Trace& by_pool = pool_trace(m);
    for (auto& id : pools) {
      Market mk = market(m, by_pool, id);
      if (mk.total > 0) c.markets.push_back(mk);
    }
  }
  return c;
}

nlohmann::json to_json(const Map& m, const Concentration& c) {
  int exp = m.facts.exponent;
  nlohmann::json j{{"currency", m.facts.currency}, {"as_of", m.facts.as_of.text}};
  j["markets"] = nlohmann::json::array();
  for (auto& mk : c.markets) {
    nlohmann::json x{{"spender", mk.spender}, {"spender_kind", mk.spender_kind}, {"hhi", mk.hhi}, {"level", mk.level}};
    put_amount(x, "total", mk.total, exp);
    x["shares"] = nlohmann::json::array();
    for (auto& s : mk.shares) {
      nlohmann::json y{{"provider", s.party}, {"share", pct(ratio_bp(s.amount, mk.total))}, {"share_bp", ratio_bp(s.amount, mk.total)}};
      put_amount(y, "amount", s.amount, exp);
      x["shares"].push_back(y);
    }
    j["markets"].push_back(x);
  }
  j["dependence"] = nlohmann::json::array();
  for (auto& d : c.dependence) {
    nlohmann::json x{{"provider", d.provider}, {"top_payer", d.top_payer}, {"payers", d.payers}, {"share", pct(d.bp)}, {"share_bp", d.bp}};
    put_amount(x, "received", d.received, exp);
    put_amount(x, "from_top_payer", d.top_amount, exp);
    j["dependence"].push_back(x);
  }
  j["groups"] = nlohmann::json::array();
  for (auto& gr : c.groups) {
    nlohmann::json x{{"controller", gr.controller}, {"members", gr.members}, {"contracts", gr.contracts}};
    put_amount(x, "received", gr.received, exp);
    j["groups"].push_back(x);
  }
  nlohmann::json d{{"plain_tree", c.dominators.plain_tree}};
  d["merges"] = nlohmann::json::array();
  for (auto& mg : c.dominators.merges) d["merges"].push_back({{"party", mg.party}, {"payers", mg.payers}, {"dominator", mg.idom}});
  d["dominators"] = nlohmann::json::object();
  for (auto& [dom, below] : c.dominators.dominators) d["dominators"][dom] = below;
  j["dominators"] = d;
  return j;
}

std::string to_text(const Map& m, const Concentration& c, size_t limit) {
  std::ostringstream o;
  o << "Concentration and dependence (" << as_of_text(m) << ")\n";
  o << "\nProviders' shares of each spender's money that reached providers (HHI: 0-10000; above 2500 is highly concentrated)\n";
  if (c.markets.empty()) o << "  no money has reached a provider\n";
  const auto markets = shown(c.markets.size(), limit, [&](size_t i) { return c.markets[i].total; });
  for (size_t mi : markets) {
    const Market& mk = c.markets[mi];
    o << "  " << label(m, mk.spender) << " [" << mk.spender_kind << "]: " << money_text(m, mk.total) << ", HHI " << mk.hhi
      << " (" << mk.level << ")\n";
    const auto shares = shown(mk.shares.size(), limit, [&](size_t i) { return mk.shares[i].amount; });
    for (size_t si : shares) {
      const Amount& s = mk.shares[si];
      o << "      " << pct(ratio_bp(s.amount, mk.total)) << "  " << money_text(m, s.amount) << "  " << label(m, s.party) << "\n";
    }
    o << more(mk.shares.size() - shares.size(), "      ");
  }
  o << more(c.markets.size() - markets.size(), "  ");
  o << "\nEach provider's dependence on its largest payer\n";
  if (c.dependence.empty()) o << "  no provider has been paid\n";
  const auto dependence = shown(c.dependence.size(), limit);  // most dependent first
  for (size_t di : dependence) {
    const Dependence& d = c.dependence[di];
    o << "  " << label(m, d.provider) << ": " << pct(d.bp) << " of " << money_text(m, d.received) << " from " << d.top_payer
      << (d.payers == 1 ? " (its only payer)" : " (" + std::to_string(d.payers) + " payers)") << "\n";
  }
  o << more(c.dependence.size() - dependence.size(), "  ");
  o << "\nControlling groups\n";
  if (c.groups.empty()) o << "  no party is recorded as controlled by another\n";
  const auto groups = shown(c.groups.size(), limit, [&](size_t i) { return c.groups[i].received; });
  for (size_t gi : groups) {
    const Group& gr = c.groups[gi];
    o << "  " << label(m, gr.controller) << " controls " << join(gr.members, ", ") << ": received "
      << money_text(m, gr.received) << " from outside the group";
    if (!gr.contracts.empty()) o << "; holds " << gr.contracts.size() << " contract(s): " << join(gr.contracts, ", ");
    o << "\n";
  }
  o << more(c.groups.size() - groups.size(), "  ");
  o << "\nDominators (parties all the money to another party must pass through)\n";
  const Dominators& d = c.dominators;
  if (d.plain_tree) {
    o << "  The funding network is a plain tree: every party has one payer, so every intermediary is trivially\n"
         "  a dominator of everything below it. None is listed.\n";
  } else {
    const auto merges = shown(d.merges.size(), limit);
    for (size_t i : merges) {
      const Dominators::Merge& mg = d.merges[i];
      o << "  " << mg.party << " is paid by " << mg.payers.size() << " parties (" << join(mg.payers, ", ") << "): "
        << (mg.idom.empty() ? "no single party controls all its money" : "all of its money still passes through " + mg.idom)
        << "\n";
    }
    o << more(d.merges.size() - merges.size(), "  ");
    size_t listed = 0;
    for (auto& [dom, below] : d.dominators) {
      if (limit != kEveryEntry && listed == limit) break;
      ++listed;
      std::vector<std::string> names;
      for (size_t i : shown(below.size(), limit)) names.push_back(below[i]);
      if (names.size() < below.size()) names.push_back("... " + std::to_string(below.size() - names.size()) + " more");
      o << "  " << label(m, dom) << " is a real dominator: everything reaching " << join(names, ", ") << " passes through it\n";
    }
    o << more(d.dominators.size() - listed, "  ");
    if (d.dominators.empty()) o << "  No party dominates a party with several funding paths.\n";
    o << "  Elsewhere the network is a tree, where every intermediary is trivially a dominator (not listed).\n";
  }
  return o.str();
}

}  // namespace fundtrail::map
