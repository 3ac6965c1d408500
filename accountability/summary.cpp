// map summary: one page for a councillor — how much came in, where it is
// now, who answers for each service, what looks wrong.
#include <algorithm>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

constexpr size_t kBiggest = 5;  // recipients named for each source of funds

struct Summary {
  std::vector<Amount> came_in;  // by source of funds
  std::map<std::string, std::vector<Amount>> biggest;  // source -> its biggest direct recipients, net of refunds
  int64_t total_in = 0;
  std::map<std::string, int64_t> held_by_kind;  // where the sources' money sits, by the holder's kind
  int64_t fees = 0;
  std::vector<PreFinancing> prefinancing;
  struct Service {
    std::string subject;
    std::vector<std::string> delivering, tops;
  };
  std::vector<Service> services;
  std::vector<std::string> wrong;
};

std::string holder_group(const std::string& kind, bool is_source) {
  if (is_source) return "came back to where it started";
  if (kind == "pool") return "unspent in pools";
  if (kind == "integrator") return "with integrators, not passed on";
  if (is_provider_kind(kind)) return "with providers";
  return "with others (" + kind + ")";
}

Summary summarise(const Map& m) {
  Summary s;
  MoneyReport money = follow_money(m);
  for (auto& src : money.sources) {
    s.came_in.push_back({src.party, src.paid_out});
    s.total_in += src.paid_out;
    for (auto& h : src.held) {
      const Party* p = m.facts.party(h.party);
      s.held_by_kind[holder_group(p ? p->kind : "other", h.party == src.party)] += h.amount;
    }
  }
  std::sort(s.came_in.begin(), s.came_in.end(), [](auto& a, auto& b) { return a.amount > b.amount; });
  // Who each source paid most, as a councillor first asks of published spending.
  for (auto& src : s.came_in) {
    std::map<std::string, int64_t> paid;
    for (auto& mo : m.facts.money)
      if (!mo.contribution && mo.from == src.party && mo.net() > 0) paid[mo.to] += mo.net();
    std::vector<Amount> top;
    for (auto& [party, amount] : paid) top.push_back({party, amount});
    std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.amount != b.amount ? a.amount > b.amount : a.party < b.party; });
    if (top.size() > kBiggest) top.resize(kBiggest);
    s.biggest[src.party] = std::move(top);
  }
  for (auto& mo : m.facts.money)
    if (mo.mechanism == "management-fee") s.fees += mo.net();
  s.prefinancing = money.prefinancing;

  for (auto& subject : subjects(m)) {
    WhoAnswer w = who_answers(m, subject);
    Summary::Service sv{subject, w.delivering, {}};
    for (auto& c : w.chains) {
      std::string top = c.top;
      if (!c.office_holders.empty()) top += " (" + join(c.office_holders, ", ") + ")";
      else top += " (no named office holder)";
      bool unrecorded = false;
      for (auto& h : c.hops)
        for (auto& l : h.lines) unrecorded |= !l.recorded;
      if (unrecorded) top += " via an unrecorded line";
      if (std::find(sv.tops.begin(), sv.tops.end(), top) == sv.tops.end()) sv.tops.push_back(top);
    }
    s.services.push_back(sv);
  }

  auto gaps = find_gaps(m);
  auto count = [&](const char* type) {
    std::vector<std::string> who;
    for (auto& g : gaps)
      if (g.type == type) who.push_back(g.party);
    return who;
  };
  if (auto v = count("money-without-line"); !v.empty())
    s.wrong.push_back(std::to_string(v.size()) + " part" + (v.size() == 1 ? "y" : "ies") +
                      " received money with no recorded responsibility line: " + join(v, ", ") +
                      " (the commissioner answers for them by default)");
  if (auto v = count("no-last-resort"); !v.empty())
    s.wrong.push_back(std::to_string(v.size()) + " provider(s) have no operator of last resort above them: " + join(v, ", "));
  for (auto& g : gaps)
    if (g.type == "paid-after-failure")
      s.wrong.push_back(g.other + " paid " + g.party + " " + grouped(g.amount, m.facts.exponent) + " after its failure: " + g.detail);
  if (auto v = count("line-without-money"); !v.empty())
    s.wrong.push_back(std::to_string(v.size()) + " responsibility line(s) name a party no money reached: " + join(v, ", "));
  for (auto& f : frontline(m)) {
    if (f.contradicts && f.declared == "pure")
      s.wrong.push_back(f.integrator + " is declared pure but kept or passed within its own group " + pct(f.self_bp) +
                        " of the delivery money it received (self-delivery, or not yet passed on)");
    else if (f.contradicts)
      s.wrong.push_back(f.integrator + " is declared blended but passed on nearly all delivery money");
    else if (f.flows == "blended")
      s.wrong.push_back(f.integrator + " has kept or passed within its own group " + pct(f.self_bp) +
                        " of the delivery money it received (self-delivery, or not yet passed on)");
  }
  // Spenders whose money reaches providers in the same proportions (money
  // through one pool) are named together.
  Concentration c = concentration(m);
  std::map<std::vector<std::pair<std::string, uint32_t>>, std::pair<uint32_t, std::vector<std::string>>> alike;
  for (auto& mk : c.markets) {
    if (mk.hhi <= 2500 || mk.shares.size() < 2) continue;
    std::vector<std::pair<std::string, uint32_t>> key;
    for (auto& sh : mk.shares) key.push_back({sh.party, ratio_bp(sh.amount, mk.total)});
    alike[key].first = mk.hhi;
    alike[key].second.push_back(mk.spender);
  }
  for (auto& [key, v] : alike)
    s.wrong.push_back("the providers paid with the money of " + join(v.second, ", ") + " are highly concentrated (HHI " +
                      std::to_string(v.first) + "; " + key[0].first + " holds " + pct(key[0].second) + ")");
  Patterns p = patterns(m);
  for (auto& x : p.paid_twice) s.wrong.push_back("claim " + x.claim + " '" + x.milestone + "' was paid twice");
  for (auto& x : p.near_misses) s.wrong.push_back("'" + x.subject + "' is funded from " + std::to_string(x.pools.size()) + " pools");
  for (auto& x : p.shares)
    if (x.free_rider)
      s.wrong.push_back(x.party + " put " + grouped(x.contributed, m.facts.exponent) + " into " + x.pool + ", short of the " +
                        grouped(x.expected, m.facts.exponent) + " its agreed " + pct(x.agreed_bp) + " implies");
  for (auto& x : p.non_contributors)
    s.wrong.push_back(x.party + " benefits from " + x.pool + " (through " + x.via + ") without contributing");
  for (auto& x : p.cycles) s.wrong.push_back("money goes round in a circle between " + join(x, ", "));
  return s;
}

}  // namespace

nlohmann::json summary_json(const Map& m) {
  Summary s = summarise(m);
  int exp = m.facts.exponent;
  nlohmann::json j{{"origin", m.facts.origin}, {"currency", m.facts.currency}, {"as_of", m.facts.as_of.text},
                   {"records", m.facts.records}};
  put_amount(j, "came_in", s.total_in, exp);
  j["sources"] = nlohmann::json::array();
  for (auto& a : s.came_in) {
    nlohmann::json x{{"party", a.party}};
    put_amount(x, "amount", a.amount, exp);
    x["biggest_recipients"] = nlohmann::json::array();
    for (auto& r : s.biggest[a.party]) {
      nlohmann::json y{{"party", r.party}};
      put_amount(y, "amount", r.amount, exp);
      x["biggest_recipients"].push_back(y);
    }
    j["sources"].push_back(x);
  }
  j["where_it_is"] = nlohmann::json::object();
  for (auto& [k, v] : s.held_by_kind) {
    nlohmann::json x;
    put_amount(x, "amount", v, exp);
    j["where_it_is"][k] = x;
  }
  put_amount(j, "management_fees", s.fees, exp);
  j["prefinancing"] = to_json(m, MoneyReport{"", {}, s.prefinancing, 0, 0})["prefinancing"];
  j["services"] = nlohmann::json::array();
  for (auto& sv : s.services)
    j["services"].push_back({{"subject", sv.subject}, {"delivered_by", sv.delivering}, {"answerable", sv.tops}});
  j["what_looks_wrong"] = s.wrong;
  return j;
}

std::string summary_text(const Map& m) {
  Summary s = summarise(m);
  std::ostringstream o;
  o << "Accountability map of " << m.facts.origin << " (" << as_of_text(m) << ")\n";
  o << "\nMONEY IN: " << money_text(m, s.total_in) << "\n";
  for (auto& a : s.came_in) {
    o << "  " << money_text(m, a.amount) << "  from " << label(m, a.party) << "\n";
    auto& top = s.biggest[a.party];
    if (top.empty()) continue;
    o << "    paid most to:";
    for (size_t i = 0; i < top.size(); ++i)
      o << (i ? "," : "") << " " << label(m, top[i].party) << " " << money_text(m, top[i].amount);
    o << "\n";
  }
  o << "\nWHERE IT IS NOW\n";
  std::vector<std::pair<std::string, int64_t>> where(s.held_by_kind.begin(), s.held_by_kind.end());
  std::sort(where.begin(), where.end(), [](auto& a, auto& b) { return a.second > b.second; });
  for (auto& [k, v] : where) o << "  " << money_text(m, v) << "  " << pct(ratio_bp(v, s.total_in)) << "  " << k << "\n";
  if (s.fees) o << "  (management fees paid to integrators: " << money_text(m, s.fees) << ")\n";
  for (auto& p : s.prefinancing)
    o << "  " << p.party << " also paid " << money_text(m, p.prefinanced + p.loan) << " of its own money ahead of outcomes; "
      << money_text(m, p.recovered) << " has come back\n";
  o << "\nWHO ANSWERS FOR EACH SERVICE\n";
  if (s.services.empty()) o << "  no responsibility line is recorded\n";
  for (auto& sv : s.services)
    o << "  " << sv.subject << ": delivered by " << join(sv.delivering, ", ") << "; answerable: " << join(sv.tops, "; ") << "\n";
  o << "\nWHAT LOOKS WRONG\n";
  if (s.wrong.empty()) o << "  nothing stands out\n";
  for (auto& w : s.wrong) o << "  - " << w << "\n";
  o << "\nDetails: fundtrail map money | frontline | who SUBJECT | gaps | concentration | patterns\n";
  return o.str();
}

}  // namespace fundtrail::map
