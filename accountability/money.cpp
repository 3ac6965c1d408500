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

std::vector<Amount> held_of(const Trace& t, const SourceKey& k) {
  std::vector<Amount> out;
  for (auto& [party, mix] : t.held) {
    auto it = mix.find(k);
    if (it != mix.end() && it->second > 0) out.push_back({party, it->second});
  }
  sort_amounts(out);
  return out;
}

}  // namespace

MoneyReport follow_money(const Map& m, const std::string& from) {
  const Facts& f = m.facts;
  if (!from.empty() && !f.party(from)) unusable("--from '" + from + "': no such party (see 'fundtrail party list')");
  std::set<std::string> extra;
  if (!from.empty()) extra.insert(from);
  Trace t = trace(f, extra);
  MoneyReport r;
  r.from = from;
  r.followed_by_tag = t.by_tag;
  r.pro_rata = t.pro_rata;
  for (auto& [k, amount] : t.paid_out) {
    if (k.type != SourceType::funds) continue;
    if (!from.empty() && k.party != from) continue;
    r.sources.push_back({k.party, name_of(k.type), amount, held_of(t, k)});
  }
  std::set<std::string> intermediaries;
  for (auto& [k, amount] : t.paid_out)
    if (k.type != SourceType::funds) intermediaries.insert(k.party);
  for (auto& p : intermediaries) {
    if (!from.empty()) {  // only those `from`'s money reached
      auto it = t.received.find(p);
      if (it == t.received.end() || !it->second.count(SourceKey{from, SourceType::funds})) continue;
    }
    PreFinancing pf;
    pf.party = p;
    auto own = t.paid_out.find({p, SourceType::own});
    auto loan = t.paid_out.find({p, SourceType::loan});
    pf.prefinanced = own == t.paid_out.end() ? 0 : own->second;
    pf.loan = loan == t.paid_out.end() ? 0 : loan->second;
    pf.recovered = recovered(f, p, t.first_own_date[p], pf.prefinanced + pf.loan);
    pf.outstanding = pf.prefinanced + pf.loan - pf.recovered;
    pf.went_to = held_of(t, {p, SourceType::own});
    for (auto& a : held_of(t, {p, SourceType::loan})) pf.went_to.push_back(a);
    sort_amounts(pf.went_to);
    r.prefinancing.push_back(pf);
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

std::string to_text(const Map& m, const MoneyReport& r) {
  std::ostringstream o;
  o << "Follow the money (" << as_of_text(m) << ")\n";
  if (r.sources.empty()) o << "\nNo money has been paid out" << (r.from.empty() ? "" : " by " + r.from) << ".\n";
  for (auto& s : r.sources) {
    o << "\n" << label(m, s.party) << " paid out " << money_text(m, s.paid_out) << ". Where it is now:\n";
    for (auto& h : s.held) {
      const Party* p = m.facts.party(h.party);
      std::string kind = p ? p->kind : "";
      std::string note = h.party == s.party ? "  (came back)" : kind == "pool" ? "  (unspent in the pool)"
                         : kind == "integrator"                 ? "  (not passed on)"
                                                                : "";
      o << "  " << money_text(m, h.amount) << "  " << pct(ratio_bp(h.amount, s.paid_out)) << "  " << label(m, h.party)
        << (kind.empty() ? "" : " [" + kind + "]") << note << "\n";
    }
  }
  if (!r.prefinancing.empty()) {
    o << "\nPaid from intermediaries' own money (pre-financing), shown apart:\n";
    for (auto& p : r.prefinancing) {
      o << "  " << label(m, p.party) << ": " << money_text(m, p.prefinanced) << " own funds";
      if (p.loan) o << " + " << money_text(m, p.loan) << " borrowed";
      o << "; " << money_text(m, p.recovered) << " came back through outcome payments; " << money_text(m, p.outstanding)
        << " outstanding\n";
      for (auto& w : p.went_to) o << "      " << money_text(m, w.amount) << " now with " << label(m, w.party) << "\n";
    }
  }
  o << "\nAttribution: " << money_text(m, r.followed_by_tag) << " followed by funded-by; " << money_text(m, r.pro_rata)
    << " untagged, apportioned pro rata to what the payer held.\n";
  return o.str();
}

}  // namespace fundtrail::map
