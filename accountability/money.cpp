// map money: follow the money from each source (or one --from party) to
// where it sits now; pre-financing shown apart with what came back.
#include <algorithm>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

void sort_amounts(std::vector<Amount>& v) {
  std::sort(v.begin(), v.end(), [](const Amount& a, const Amount& b) {
    return a.amount != b.amount ? a.amount > b.amount : a.party < b.party;
  });
}

// Where each source's money is now, largest first: one pass over the holders
// for every source (not one per source).
using Holders = std::map<SourceKey, std::vector<Amount>>;
Holders holders_of(const Trace& t) {
  Holders out;
  std::map<uint32_t, std::vector<Amount>> by_key;  // flat source key -> holders, in party order
  for (size_t i = 0; i < t.held.size(); ++i)
    for (const SourcePart& p : t.held[i])
      if (p.amount > 0) by_key[p.key].push_back({t.ids[i], p.amount});
  for (auto& [key, v] : by_key) out.emplace(t.source({key, 0}), std::move(v));
  for (auto& [k, v] : out) sort_amounts(v);
  return out;
}

std::vector<Amount> held_of(const Holders& h, const SourceKey& k) {
  auto it = h.find(k);
  return it == h.end() ? std::vector<Amount>{} : it->second;
}

}  // namespace

MoneyReport follow_money(const Map& m, const std::string& from) {
  const Facts& f = m.facts;
  if (!from.empty() && !f.party(from)) unusable("--from '" + from + "': no such party (see 'fundtrail party list')");
  Trace from_trace;
  if (!from.empty()) from_trace = trace(f, {from});
  const Trace& t = from.empty() ? natural_trace(m) : from_trace;
  const Holders holders = holders_of(t);
  MoneyReport r;
  r.from = from;
  r.followed_by_tag = t.by_tag;
  r.pro_rata = t.pro_rata;
  for (auto& [k, amount] : t.paid_out) {
    if (k.type != SourceType::funds) continue;
    if (!from.empty() && k.party != from) continue;
    r.sources.push_back({k.party, name_of(k.type), amount, held_of(holders, k)});
  }
  std::set<std::string> intermediaries;
  for (auto& [k, amount] : t.paid_out)
    if (k.type != SourceType::funds) intermediaries.insert(k.party);
  for (auto& p : intermediaries) {
    if (!from.empty()) {  // only those `from`'s money reached
      if (!t.received_by(p).count(SourceKey{from, SourceType::funds})) continue;
    }
    PreFinancing pf;
    pf.party = p;
    auto own = t.paid_out.find({p, SourceType::own});
    auto loan = t.paid_out.find({p, SourceType::loan});
    pf.prefinanced = own == t.paid_out.end() ? 0 : own->second;
    pf.loan = loan == t.paid_out.end() ? 0 : loan->second;
    r.prefinancing.push_back(pf);
  }
  // What came back of each one's pre-financing, all in one pass.
  std::map<std::string, std::pair<uint32_t, int64_t>> since_and_cap;
  for (auto& pf : r.prefinancing) {
    auto first = t.first_own_date.find(pf.party);
    since_and_cap[pf.party] = {first == t.first_own_date.end() ? 0 : first->second, pf.prefinanced + pf.loan};
  }
  const std::map<std::string, int64_t> came_back = recovered(f, since_and_cap);
  for (PreFinancing& pf : r.prefinancing) {
    const std::string& p = pf.party;
    pf.recovered = came_back.at(p);
    pf.outstanding = pf.prefinanced + pf.loan - pf.recovered;
    pf.went_to = held_of(holders, {p, SourceType::own});
    for (auto& a : held_of(holders, {p, SourceType::loan})) pf.went_to.push_back(a);
    sort_amounts(pf.went_to);
  }
  return r;
}

nlohmann::json to_json(const Map& m, const MoneyReport& r) {
  int exp = m.facts.exponent;
  auto amounts = [&](const std::vector<Amount>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (auto& x : v) {
      nlohmann::json j{{"party", x.party}, {"kind", m.facts.party(x.party) ? m.facts.party(x.party)->kind : "office"}};
      put_amount(j, "amount", x.amount, exp);
      a.push_back(j);
    }
    return a;
  };
  nlohmann::json j{{"currency", m.facts.currency}, {"as_of", m.facts.as_of.text}, {"from", r.from}};
  put_amount(j, "followed_by_funded_by", r.followed_by_tag, exp);
  put_amount(j, "apportioned_pro_rata", r.pro_rata, exp);
  j["sources"] = nlohmann::json::array();
  for (auto& s : r.sources) {
    nlohmann::json x{{"party", s.party}, {"type", s.type}, {"held", amounts(s.held)}};
    put_amount(x, "paid_out", s.paid_out, exp);
    j["sources"].push_back(x);
  }
  j["prefinancing"] = nlohmann::json::array();
  for (auto& p : r.prefinancing) {
    nlohmann::json x{{"party", p.party}, {"went_to", amounts(p.went_to)}};
    put_amount(x, "prefinanced", p.prefinanced, exp);
    put_amount(x, "loan", p.loan, exp);
    put_amount(x, "recovered", p.recovered, exp);
    put_amount(x, "outstanding", p.outstanding, exp);
    j["prefinancing"].push_back(x);
  }
  return j;
}

std::string to_text(const Map& m, const MoneyReport& r, size_t limit) {
  std::ostringstream o;
  o << "Follow the money (" << as_of_text(m) << ")\n";
  if (r.sources.empty()) o << "\nNo money has been paid out" << (r.from.empty() ? "" : " by " + r.from) << ".\n";
  const auto sources = shown(r.sources.size(), limit, [&](size_t i) { return r.sources[i].paid_out; });
  for (size_t si : sources) {
    const SourceTrace& s = r.sources[si];
    o << "\n" << label(m, s.party) << " paid out " << money_text(m, s.paid_out) << ". Where it is now:\n";
    const auto held = shown(s.held.size(), limit, [&](size_t i) { return s.held[i].amount; });
    for (size_t hi : held) {
      const Amount& h = s.held[hi];
      const Party* p = m.facts.party(h.party);
      std::string kind = p ? p->kind : "";
      std::string note = h.party == s.party ? "  (came back)" : kind == "pool" ? "  (unspent in the pool)"
                         : kind == "integrator"                 ? "  (not passed on)"
                                                                : "";
      o << "  " << money_text(m, h.amount) << "  " << pct(ratio_bp(h.amount, s.paid_out)) << "  " << label(m, h.party)
        << (kind.empty() ? "" : " [" + kind + "]") << note << "\n";
    }
    o << more(s.held.size() - held.size(), "  ");
  }
  if (r.sources.size() > sources.size()) o << "\n" << more(r.sources.size() - sources.size(), "");
  if (!r.prefinancing.empty()) {
    o << "\nPaid from intermediaries' own money (pre-financing), shown apart:\n";
    const auto pfs = shown(r.prefinancing.size(), limit,
                           [&](size_t i) { return r.prefinancing[i].prefinanced + r.prefinancing[i].loan; });
    for (size_t pi : pfs) {
      const PreFinancing& p = r.prefinancing[pi];
      o << "  " << label(m, p.party) << ": " << money_text(m, p.prefinanced) << " own funds";
      if (p.loan) o << " + " << money_text(m, p.loan) << " borrowed";
      o << "; " << money_text(m, p.recovered) << " came back through outcome payments; " << money_text(m, p.outstanding)
        << " outstanding\n";
      const auto went = shown(p.went_to.size(), limit, [&](size_t i) { return p.went_to[i].amount; });
      for (size_t wi : went) o << "      " << money_text(m, p.went_to[wi].amount) << " now with " << label(m, p.went_to[wi].party) << "\n";
      o << more(p.went_to.size() - went.size(), "      ");
    }
    o << more(r.prefinancing.size() - pfs.size(), "  ");
  }
  o << "\nAttribution: " << money_text(m, r.followed_by_tag) << " followed by funded-by; " << money_text(m, r.pro_rata)
    << " untagged, apportioned pro rata to what the payer held.\n";
  return o.str();
}

}  // namespace fundtrail::map
