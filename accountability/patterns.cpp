// map patterns: claims paid twice and near misses, free-riding, risk transfer
// per contract, layers and cycles (structure.cpp).
#include <algorithm>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// The same (claim, milestone) paid by several payments is legitimate only
// along one delivery chain: an outcome passed down is paid once at each level.
void paid_twice(const Map& m, Patterns& out) {
  const Graph& g = m.graph;
  MoneyView money(g, ForwardMoney{&g});
  std::map<std::pair<std::string, std::string>, std::vector<const Money*>> by_claim;
  for (auto& mo : m.facts.money)
    for (auto& c : mo.claims) by_claim[{c, mo.milestone}].push_back(&mo);
  std::map<Vertex, std::vector<int>> reach;  // BFS distances from a payee, cached
  auto reaches = [&](const std::string& a, const std::string& b) {
    Vertex va = m.index.at(a), vb = m.index.at(b);
    auto it = reach.find(va);
    if (it == reach.end()) it = reach.emplace(va, bfs_distances(money, {va})).first;
    return it->second[vb] >= 0;
  };
  for (auto& [key, pays] : by_claim) {
    if (pays.size() < 2) continue;
    bool chain = true;
    for (size_t i = 0; i < pays.size() && chain; ++i)
      for (size_t j = i + 1; j < pays.size() && chain; ++j)
        chain = reaches(pays[i]->to, pays[j]->from) || reaches(pays[j]->to, pays[i]->from);
    if (chain) continue;
    Patterns::PaidTwice p{key.first, key.second, {}};
    for (auto* mo : pays) p.seqs.push_back(mo->seq);
    out.paid_twice.push_back(p);
  }
}

// The index of `party` in the trace's ids, if the trace knows it.
std::optional<uint32_t> index_in(const Trace& t, const std::string& party) {
  auto it = std::lower_bound(t.ids.begin(), t.ids.end(), party);
  if (it == t.ids.end() || *it != party) return std::nullopt;
  return static_cast<uint32_t>(it - t.ids.begin());
}

// What `party` received of the source with part key `key` (Trace::received_by
// without making the party's whole Mix, once per line per pool): nullopt when
// none, as a Mix holds no zero amounts.
std::optional<int64_t> received_of(const Trace& t, const std::string& party, uint32_t key) {
  const std::optional<uint32_t> i = index_in(t, party);
  if (!i || *i >= t.received.size()) return std::nullopt;
  const Parts& parts = t.received[*i];
  auto it = std::lower_bound(parts.begin(), parts.end(), key, [](const SourcePart& p, uint32_t k) { return p.key < k; });
  if (it == parts.end() || it->key != key) return std::nullopt;
  return it->amount;
}

void free_riding(const Map& m, const Trace& by_pool, Patterns& out) {
  const Facts& f = m.facts;
  std::map<std::pair<std::string, std::string>, int64_t> contributed;  // (pool, party)
  std::map<std::string, int64_t> pool_total;
  for (auto& mo : f.money)
    if (mo.contribution) {
      contributed[{mo.to, mo.from}] += mo.amount;
      pool_total[mo.to] += mo.amount;
    }
  for (auto& [id, p] : f.parties) {
    if (p.kind != "pool" || p.shares.empty()) continue;
    int64_t total = pool_total[id];
    uint32_t sum_bp = 0;
    std::vector<std::pair<std::string, uint32_t>> shares = p.shares;
    std::sort(shares.begin(), shares.end());
    std::vector<int64_t> weights;
    for (auto& [party, bp] : shares) {
      sum_bp += bp;
      weights.push_back(bp);
    }
    std::vector<int64_t> expected;
    if (sum_bp == 10000) {
      expected = largest_remainder(total, weights);
    } else {  // shares short of 100%: each rounded down
      for (auto w : weights) expected.push_back(static_cast<int64_t>(static_cast<__int128>(total) * w / 10000));
    }
    for (size_t i = 0; i < shares.size(); ++i) {
      Patterns::ShareCheck s{id, shares[i].first, shares[i].second, expected[i], contributed[{id, shares[i].first}], false};
      s.free_rider = s.contributed < s.expected;
      out.shares.push_back(s);
    }
  }
  // Commissioners and funders answerable for parties the pool's money reached,
  // who put nothing into that pool.
  // Lines whose accountable is a commissioner or funder: the same for every pool.
  std::vector<char> by_origin(f.lines.size());
  for (size_t i = 0; i < f.lines.size(); ++i) {
    const Party* a = f.party(f.lines[i].accountable);
    by_origin[i] = a && is_origin_kind(a->kind);
  }
  for (auto& [pool, pp] : f.parties) {
    if (pp.kind != "pool") continue;
    const std::optional<uint32_t> pool_ix = index_in(by_pool, pool);  // none: the pool's money reached no one
    const uint32_t key = pool_ix ? *pool_ix * 3 + static_cast<uint32_t>(SourceType::funds) : 0;
    std::map<std::string, std::pair<std::set<std::string>, int64_t>> benefit;
    std::set<std::pair<std::string, std::string>> counted;
    for (size_t i = 0; i < f.lines.size(); ++i) {
      const Line& l = f.lines[i];
      if (!by_origin[i] || contributed[{pool, l.accountable}] > 0) continue;
      for (auto& r : l.responsible) {
        const std::optional<int64_t> got = pool_ix ? received_of(by_pool, r, key) : std::nullopt;
        if (!got) continue;
        auto& [via, amount] = benefit[l.accountable];
        via.insert(r);
        if (counted.insert({l.accountable, r}).second) amount += *got;
      }
    }
    for (auto& [party, b] : benefit)
      out.non_contributors.push_back({pool, party, join({b.first.begin(), b.first.end()}, ", "), b.second});
  }
}

// One subject whose responsible parties are reached by money from two pools.
void near_misses(const Map& m, const Trace& by_pool, Patterns& out) {
  std::map<std::string, std::set<std::string>> parties_of;  // subject -> responsible parties
  for (auto& l : m.facts.lines)
    if (l.kind == "delivery" || l.kind == "contract") parties_of[l.subject].insert(l.responsible.begin(), l.responsible.end());
  for (auto& [seq, c] : m.facts.contracts) parties_of[c.subject].insert(c.payee);
  // Per trace index: a pool's own money (its funds), read off the flat parts.
  std::vector<char> is_pool(by_pool.ids.size());
  for (size_t i = 0; i < by_pool.ids.size(); ++i) {
    const Party* p = m.facts.party(by_pool.ids[i]);
    is_pool[i] = p && p->kind == "pool";
  }
  for (auto& [subject, parties] : parties_of) {
    std::map<std::string, int64_t> pools;
    for (auto& r : parties) {
      const std::optional<uint32_t> i = index_in(by_pool, r);
      if (!i || *i >= by_pool.received.size()) continue;
      for (const SourcePart& part : by_pool.received[*i])
        if (part.key % 3 == static_cast<uint32_t>(SourceType::funds) && is_pool[part.key / 3])
          pools[by_pool.ids[part.key / 3]] += part.amount;
    }
    if (pools.size() < 2) continue;
    Patterns::NearMiss nm{subject, {}};
    for (auto& [p, v] : pools) nm.pools.push_back({p, v});
    out.near_misses.push_back(nm);
  }
}

// Share of each contract (or, without contracts, each paying relation) paid only on outcomes.
// Rows in (contract reference, payer, payee) order. Summed on integers (a row
// per paying relation: hundreds of thousands at a million payments):
// references by their rank, parties by index (id order).
void risk_transfer(const Map& m, Patterns& out) {
  const Facts& f = m.facts;
  std::set<std::string> refs{""};
  for (auto& [seq, c] : f.contracts) refs.insert(c.reference);
  std::map<uint64_t, uint32_t> ref_rank;  // contract seq -> rank of its reference
  for (auto& [seq, c] : f.contracts) ref_rank[seq] = static_cast<uint32_t>(std::distance(refs.begin(), refs.find(c.reference)));
  const std::vector<std::string> ref_of(refs.begin(), refs.end());
  struct Part {
    uint32_t rank, payer, payee;
    int64_t total, on_outcomes;
  };
  std::vector<Part> parts;  // a payment each, then sorted and summed per row
  parts.reserve(f.money.size());
  const Name clawback("clawback"), milestone("milestone");
  for (auto& mo : f.money) {
    if (mo.contribution || mo.mechanism == clawback) continue;
    uint32_t rank = 0;
    if (mo.contract_seq)
      if (auto it = ref_rank.find(mo.contract_seq); it != ref_rank.end()) rank = it->second;
    // net of refunds
    parts.push_back({rank, mo.from_ix, mo.to_ix, mo.net(), mo.mechanism == milestone ? mo.net() : 0});
  }
  auto key = [](const Part& p) { return std::tie(p.rank, p.payer, p.payee); };
  std::stable_sort(parts.begin(), parts.end(), [&](const Part& a, const Part& b) { return key(a) < key(b); });
  std::vector<Part> rows;
  for (auto& p : parts) {
    if (rows.empty() || key(rows.back()) != key(p)) rows.push_back({p.rank, p.payer, p.payee, 0, 0});
    rows.back().total += p.total;
    rows.back().on_outcomes += p.on_outcomes;
  }
  std::vector<Part>().swap(parts);
  out.risk.reserve(rows.size());
  for (auto& r : rows)
    out.risk.push_back({ref_of[r.rank], f.ids[r.payer], f.ids[r.payee], r.total, r.on_outcomes, ratio_bp(r.on_outcomes, r.total)});
}

}  // namespace

Patterns patterns(const Map& m) { return patterns(m, true); }

Patterns patterns(const Map& m, bool with_risk) {
  Patterns out;
  std::future<Trace> by_pools = start_pool_trace(m);  // on the other core meanwhile
  paid_twice(m, out);
  if (with_risk) risk_transfer(m, out);
  layers_and_cycles(m, out);
  finish_pool_trace(m, by_pools);
  const Trace& by_pool = pool_trace(m);
  near_misses(m, by_pool, out);
  free_riding(m, by_pool, out);
  return out;
}

nlohmann::json to_json(const Map& m, const Patterns& p) {
  int exp = m.facts.exponent;
  nlohmann::json j{{"currency", m.facts.currency}, {"as_of", m.facts.as_of.text}};
  j["paid_twice"] = nlohmann::json::array();
  for (auto& x : p.paid_twice) j["paid_twice"].push_back({{"claim", x.claim}, {"milestone", x.milestone}, {"seqs", x.seqs}});
  j["near_misses"] = nlohmann::json::array();
  for (auto& x : p.near_misses) {
    nlohmann::json pools = nlohmann::json::array();
    for (auto& a : x.pools) {
      nlohmann::json y{{"pool", a.party}};
      put_amount(y, "amount", a.amount, exp);
      pools.push_back(y);
    }
    j["near_misses"].push_back({{"subject", x.subject}, {"pools", pools}});
  }
  j["shares"] = nlohmann::json::array();
  for (auto& s : p.shares) {
    nlohmann::json y{{"pool", s.pool}, {"party", s.party}, {"agreed", pct(s.agreed_bp)}, {"agreed_bp", s.agreed_bp},
                     {"free_rider", s.free_rider}};
    put_amount(y, "expected", s.expected, exp);
    put_amount(y, "contributed", s.contributed, exp);
    j["shares"].push_back(y);
  }
  j["non_contributors"] = nlohmann::json::array();
  for (auto& b : p.non_contributors) {
    nlohmann::json y{{"pool", b.pool}, {"party", b.party}, {"answers_for", b.via}};
    put_amount(y, "pool_money_reaching_them", b.amount, exp);
    j["non_contributors"].push_back(y);
  }
  j["risk_transfer"] = nlohmann::json::array();
  for (auto& r : p.risk) {
    nlohmann::json y{{"contract", r.contract}, {"payer", r.payer}, {"payee", r.payee}, {"on_outcomes_share", pct(r.bp)},
                     {"on_outcomes_share_bp", r.bp}};
    put_amount(y, "total", r.total, exp);
    put_amount(y, "on_outcomes", r.on_outcomes, exp);
    j["risk_transfer"].push_back(y);
  }
  j["layers"] = p.layers;
  j["layer_of"] = p.layer_of;
  j["cycles"] = p.cycles;
  return j;
}

std::string to_text(const Map& m, const Patterns& p, size_t limit) {
  std::ostringstream o;
  o << "Failure patterns (" << as_of_text(m) << ")\n";
  o << "\nClaims paid twice (the same claim and milestone paid outside one delivery chain): "
    << (p.paid_twice.empty() ? "none" : std::to_string(p.paid_twice.size())) << "\n";
  const auto twice = shown(p.paid_twice.size(), limit);
  for (size_t i : twice) {
    const Patterns::PaidTwice& x = p.paid_twice[i];
    std::vector<std::string> seqs;
    for (auto s : x.seqs) seqs.push_back(std::to_string(s));
    o << "  ! claim " << x.claim << " '" << x.milestone << "' paid by seqs " << join(seqs, ", ") << "\n";
  }
  o << more(p.paid_twice.size() - twice.size(), "  ");
  o << "\nNear misses (one subject funded from two pools): " << (p.near_misses.empty() ? "none" : std::to_string(p.near_misses.size()))
    << "\n";
  const auto misses = shown(p.near_misses.size(), limit);
  for (size_t i : misses) {
    const Patterns::NearMiss& x = p.near_misses[i];
    std::vector<std::string> parts;
    for (auto& a : x.pools) parts.push_back(a.party + " " + money_text(m, a.amount));
    o << "  ? '" << x.subject << "': " << join(parts, "; ") << "\n";
  }
  o << more(p.near_misses.size() - misses.size(), "  ");
  o << "\nContributions against agreed pool shares\n";
  if (p.shares.empty()) o << "  no pool records agreed shares\n";
  const auto shares = shown(p.shares.size(), limit);
  for (size_t i : shares) {
    const Patterns::ShareCheck& s = p.shares[i];
    o << "  " << s.pool << ": " << s.party << " agreed " << pct(s.agreed_bp) << ", expected " << money_text(m, s.expected)
      << ", contributed " << money_text(m, s.contributed) << (s.free_rider ? "  ! short by " + money_text(m, s.expected - s.contributed) : "")
      << "\n";
  }
  o << more(p.shares.size() - shares.size(), "  ");
  o << "\nBenefiting without contributing: " << (p.non_contributors.empty() ? "none" : std::to_string(p.non_contributors.size())) << "\n";
  const auto riders = shown(p.non_contributors.size(), limit, [&](size_t i) { return p.non_contributors[i].amount; });
  for (size_t i : riders) {
    const Patterns::Beneficiary& b = p.non_contributors[i];
    o << "  ! " << label(m, b.party) << " put nothing into " << b.pool << " but answers for " << b.via << ", which "
      << money_text(m, b.amount) << " of the pool's money reached\n";
  }
  o << more(p.non_contributors.size() - riders.size(), "  ");
  o << "\nRisk transfer (share paid only on outcomes)\n";
  const auto risk = shown(p.risk.size(), limit, [&](size_t i) { return p.risk[i].total; });
  for (size_t i : risk) {
    const Patterns::Risk& r = p.risk[i];
    o << "  " << (r.contract.empty() ? "" : r.contract + ": ") << r.payer << " -> " << r.payee << ": " << pct(r.bp) << " of "
      << money_text(m, r.total) << "\n";
  }
  o << more(p.risk.size() - risk.size(), "  ");
  o << "\nLayers: money passes through at most " << std::max(0, p.layers - 1) << " intermediar"
    << (p.layers - 1 == 1 ? "y" : "ies") << " (" << p.layers << " payment steps from a first payer to its last recipient)\n";
  o << "\nCycles of money (clawbacks and refunds left out): " << (p.cycles.empty() ? "none" : std::to_string(p.cycles.size())) << "\n";
  const auto cycles = shown(p.cycles.size(), limit);
  for (size_t i : cycles) o << "  ! money goes round between " << join(p.cycles[i], ", ") << "\n";
  o << more(p.cycles.size() - cycles.size(), "  ");
  return o.str();
}

}  // namespace fundtrail::map
