// map summary: one page for a councillor — how much came in, where it is
// now (adding up to what came in, and to the balances), who answers for each
// service (only that service's own lines), what looks wrong — in plain words.
// One page at any size: each list shows its first few, then how many more and
// the command that lists them; --json carries the full lists.
#include <algorithm>
#include <functional>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

constexpr size_t kBiggest = 5;       // recipients named for each source (text and --json)
constexpr size_t kSources = 5;       // sources of funds on the page
constexpr size_t kFew = 5;           // parties named in each list of what looks wrong
constexpr size_t kFewItems = 3;      // examples of longer items (payments, integrators, markets)
constexpr size_t kPerService = 6;    // accountable parties shown under one service
constexpr size_t kServiceRows = 24;  // lines the services may take on the page

struct Service {
  std::string subject;
  std::vector<std::string> delivering, tops;  // tops: who is answerable at the top, annotated (--json "answerable")
  std::vector<Line> lines;                    // the responsibility lines recorded for it, seq order
  std::map<std::string, std::set<std::string>> implicit;  // party with no line for it above -> who answers by default
  std::map<std::string, std::vector<std::string>> offices;  // party at the top -> its office holders
  int64_t weight = 0;                                       // money its deliverers received: the page's order
};

struct Finding {  // one thing that looks wrong: the page's sentence, and everyone it concerns
  std::string type, text, command;
  std::vector<std::string> parties;
};

struct Summary {
  std::vector<Amount> came_in;                          // by source of funds, largest first
  std::map<std::string, std::vector<Amount>> biggest;   // source -> its biggest direct recipients, net of refunds
  std::map<std::string, size_t> recipients;             // source -> how many it paid directly
  int64_t total_in = 0;
  std::map<std::string, int64_t> held_by_kind;  // where the sources' money sits, by the holder's kind
  // Intermediaries' own money (pre-financing, loans) moves balances, not the total:
  std::map<std::string, int64_t> own_held, own_paid;   // holder group -> own money held there / paid out from there
  std::map<std::string, std::map<std::string, int64_t>> own_went;  // payer -> where its own money is -> amount
  int64_t fees = 0;
  std::vector<PreFinancing> prefinancing;
  std::vector<Service> services;
  std::vector<Finding> wrong;
};

const char* const kCameBack = "came back to where it started";

std::string holder_group(const std::string& kind, bool is_source) {
  if (is_source) return kCameBack;
  if (kind == "pool") return "unspent in pools";
  if (kind == "integrator") return "with integrators, not passed on";
  if (is_provider_kind(kind)) return "with providers";
  return "with others (" + kind + ")";
}

std::string group_of(const Map& m, const std::string& party, bool is_source) {
  const Party* p = m.facts.party(party);
  return holder_group(p ? p->kind : "other", is_source);
}

std::string plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// A list of parties on the page: whole when it has at most `few`; else the
// first `few` the page has not named yet (a long list would otherwise repeat
// the names above), how many more, and the command that lists them all.
// Those shown join `named`.
std::string examples(const std::vector<std::string>& ranked, size_t few, std::set<std::string>& named,
                     const std::string& command, const std::function<std::string(const std::string&)>& show) {
  std::vector<std::string> shown;
  for (auto& p : ranked) {
    if (shown.size() == few) break;
    if (named.insert(p).second || ranked.size() <= few) shown.push_back(show(p));
  }
  if (shown.empty()) return "all named above; the list: " + command;
  std::string s = join(shown, ", ");
  if (size_t more = ranked.size() - shown.size()) s += " and " + std::to_string(more) + " more: " + command;
  return s;
}

void money_in(const Map& m, Summary& s) {
  MoneyReport money = follow_money(m);
  for (auto& src : money.sources) {
    s.came_in.push_back({src.party, src.paid_out});
    s.total_in += src.paid_out;
    for (auto& h : src.held) s.held_by_kind[group_of(m, h.party, h.party == src.party)] += h.amount;
  }
  std::sort(s.came_in.begin(), s.came_in.end(),
            [](auto& a, auto& b) { return a.amount != b.amount ? a.amount > b.amount : a.party < b.party; });
  // Who each source paid most, as a councillor first asks of published spending.
  std::set<std::string> sources;
  for (auto& src : s.came_in) sources.insert(src.party);
  std::vector<char> is_source(m.facts.ids.size());
  for (size_t i = 0; i < m.facts.ids.size(); ++i) is_source[i] = sources.count(m.facts.ids[i]) > 0;
  std::map<std::string, std::map<std::string, int64_t>> paid;  // sources only
  for (auto& mo : m.facts.money)
    if (is_source[mo.from_ix] && !mo.contribution && mo.net() > 0) paid[mo.from.str()][mo.to.str()] += mo.net();
  for (auto& src : s.came_in) {
    std::vector<Amount> top;
    for (auto& [party, amount] : paid[src.party]) top.push_back({party, amount});
    std::sort(top.begin(), top.end(), [](auto& a, auto& b) { return a.amount != b.amount ? a.amount > b.amount : a.party < b.party; });
    s.recipients[src.party] = top.size();
    if (top.size() > kBiggest) top.resize(kBiggest);
    s.biggest[src.party] = std::move(top);
  }
  const Name fee("management-fee");
  for (auto& mo : m.facts.money)
    if (mo.mechanism == fee) s.fees += mo.net();
  s.prefinancing = money.prefinancing;
  for (auto& p : s.prefinancing) {
    s.own_paid[group_of(m, p.party, false)] += p.prefinanced + p.loan;
    for (auto& w : p.went_to) {
      std::string g = group_of(m, w.party, false);
      s.own_held[g] += w.amount;
      s.own_went[p.party][w.party == p.party ? "came back to it" : "is now " + g.substr(0, g.find(','))] += w.amount;
    }
  }
}

void who_answers_for_each(const Map& m, Summary& s) {
  for (WhoAnswer& w : who_answers(m, subjects(m))) {
    Service sv;
    sv.subject = w.subject;
    sv.delivering = w.delivering;
    const std::string want = lower(w.subject);
    for (auto& l : m.facts.lines)
      if (lower(l.subject) == want) sv.lines.push_back(l);
    for (auto& c : w.chains) {
      std::string top = c.top;
      if (!c.office_holders.empty()) top += " (" + join(c.office_holders, ", ") + ")";
      else top += " (no named office holder)";
      bool unrecorded = false;
      for (auto& h : c.hops)
        for (auto& l : h.lines)
          if (!l.recorded) {
            unrecorded = true;
            sv.implicit[h.from].insert(h.to);
          }
      if (unrecorded) top += " via an unrecorded line";
      if (std::find(sv.tops.begin(), sv.tops.end(), top) == sv.tops.end()) sv.tops.push_back(top);
      sv.offices[c.top] = c.office_holders;
    }
    for (auto& d : sv.delivering)
      if (auto v = m.find(d)) sv.weight += m.graph[*v].received;
    s.services.push_back(std::move(sv));
  }
  // The page keeps the services whose deliverers received most (services()).
  std::stable_sort(s.services.begin(), s.services.end(), [](auto& a, auto& b) { return a.weight > b.weight; });
}

// "a", "a and b", "a, b and c"
std::string and_list(const std::vector<std::string>& v) {
  if (v.size() < 2) return join(v, "");
  return join(std::vector<std::string>(v.begin(), v.end() - 1), ", ") + " and " + v.back();
}

// What looks wrong, each as one sentence of the page; `named`: parties the
// page has named already, left out of later lists of examples.
void what_looks_wrong(const Map& m, Summary& s, std::set<std::string>& named, std::future<Trace>& by_pools) {
  const int exp = m.facts.exponent;
  auto amount_of = [&](const std::vector<Gap>& gaps) {
    return [&m, gaps](const std::string& p) {
      for (auto& g : gaps)
        if (g.party == p) return p + " " + money_text(m, g.amount);
      return p;
    };
  };
  std::vector<Gap> gaps = find_gaps(m);
  auto of_type = [&](const char* type) {
    std::vector<Gap> v;
    for (auto& g : gaps)
      if (g.type == type) v.push_back(g);
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.amount > b.amount; });
    return v;
  };
  auto parties = [](const std::vector<Gap>& v) {  // each once, in the gaps' order
    std::vector<std::string> out;
    std::set<std::string> seen;
    for (auto& g : v)
      if (seen.insert(g.party).second) out.push_back(g.party);
    return out;
  };
  const std::string gaps_cmd = "fundtrail map gaps";
  if (auto v = of_type("money-without-line"); !v.empty()) {
    auto who = parties(v);
    s.wrong.push_back({"money-without-line",
                       plural(who.size(), "party", "parties") +
                           " received money (purchases not counted) with no recorded responsibility line, so the "
                           "commissioner answers for " + (who.size() == 1 ? "it" : "them") + " by default: " +
                           examples(who, kFew, named, gaps_cmd, amount_of(v)),
                       gaps_cmd, who});
  }
  if (auto v = of_type("no-last-resort"); !v.empty()) {
    auto who = parties(v);
    s.wrong.push_back({"no-last-resort",
                       plural(who.size(), "provider has", "providers have") +
                           " no operator of last resort above " + (who.size() == 1 ? "it" : "them") +
                           " (no one is named to take over the service if the provider fails): " +
                           examples(who, kFew, named, gaps_cmd, [](const std::string& p) { return p; }),
                       gaps_cmd, who});
  }
  if (auto v = of_type("paid-after-failure"); !v.empty()) {
    std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.seq < b.seq; });
    std::vector<std::string> shown, who;
    std::set<std::string> seen;
    for (auto& g : v) {
      if (shown.size() < kFewItems)
        shown.push_back(g.other + " paid " + g.party + " " + grouped(g.amount, exp) + " after its failure: " + g.detail);
      if (seen.insert(g.party).second) who.push_back(g.party);
    }
    std::string text = v.size() == 1 ? shown[0]
                                     : plural(v.size(), "payment", "payments") + " after a failure, such as " + join(shown, "; ");
    if (v.size() > shown.size()) text += "; and " + std::to_string(v.size() - shown.size()) + " more: " + gaps_cmd;
    s.wrong.push_back({"paid-after-failure", text, gaps_cmd, who});
  }
  if (auto v = of_type("line-without-money"); !v.empty()) {
    auto who = parties(v);
    s.wrong.push_back({"line-without-money",
                       plural(v.size(), "responsibility line names", "responsibility lines name") +
                           " a party no money reached: " +
                           examples(who, kFew, named, gaps_cmd, [](const std::string& p) { return p; }),
                       gaps_cmd, who});
  }

  // Integrators whose delivery money did not all reach independent providers.
  std::vector<Frontline> rows = frontline(m);
  std::stable_sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.received > b.received; });
  const std::string frontline_cmd = "fundtrail map frontline";
  size_t flagged = 0, unshown = 0;
  for (auto& f : rows) {
    std::string text;
    if (f.contradicts && f.declared == "blended") {
      text = f.integrator + " is declared blended (it delivers some of the service itself) but passed on nearly all delivery money";
    } else if ((f.contradicts && f.declared == "pure") || f.flows == "blended") {
      text = f.integrator +
             (f.contradicts ? " is declared pure (it should pass all delivery money on to providers), but "
                            : " has not passed on to independent providers ") +
             pct(f.self_bp) + " of the " + money_text(m, f.received - f.fees) + " of delivery money it received" +
             (f.contradicts ? " did not reach independent providers" : "") + ": " + pct(f.not_passed_on_bp) +
             " not yet passed on (still held by it), " + pct(f.self_delivered_bp) +
             " paid for outcomes it delivered itself (claims it paid no provider for), " + pct(f.group_bp) +
             " paid to its own subsidiaries";
    } else {
      continue;
    }
    if (++flagged > kFewItems) {
      ++unshown;
      continue;
    }
    s.wrong.push_back({"frontline", text, frontline_cmd, {f.integrator}});
  }
  if (unshown)
    s.wrong.push_back({"frontline", "and " + plural(unshown, "more integrator", "more integrators") + ": " + frontline_cmd,
                       frontline_cmd, {}});

  // Spenders whose money reaches providers in the same proportions (money
  // through one pool) are named together.
  finish_pool_trace(m, by_pools);
  Concentration c = concentration(m);
  struct Alike {
    uint32_t hhi = 0;
    std::vector<std::string> spenders;
  };
  std::map<std::vector<std::pair<std::string, uint32_t>>, Alike> alike;
  for (auto& mk : c.markets) {
    if (mk.hhi <= 2500 || mk.shares.size() < 2) continue;
    std::vector<std::pair<std::string, uint32_t>> key;
    for (auto& sh : mk.shares) key.push_back({sh.party, ratio_bp(sh.amount, mk.total)});
    alike[key].hhi = mk.hhi;
    alike[key].spenders.push_back(mk.spender);
  }
  std::vector<std::pair<std::vector<std::pair<std::string, uint32_t>>, Alike>> markets(alike.begin(), alike.end());
  std::stable_sort(markets.begin(), markets.end(), [](auto& a, auto& b) { return a.second.hhi > b.second.hhi; });
  const std::string concentration_cmd = "fundtrail map concentration";
  for (size_t i = 0; i < markets.size(); ++i) {
    auto& [key, a] = markets[i];
    if (i == kFewItems) {
      s.wrong.push_back({"concentration",
                         "and " + plural(markets.size() - i, "more highly concentrated market", "more highly concentrated markets") +
                             ": " + concentration_cmd,
                         concentration_cmd, {}});
      break;
    }
    std::vector<std::string> spenders(a.spenders.begin(), a.spenders.begin() + std::min(a.spenders.size(), kFew));
    std::string who = join(spenders, ", ");
    if (a.spenders.size() > spenders.size()) who += " and " + std::to_string(a.spenders.size() - spenders.size()) + " more";
    uint32_t equal = (10000 + a.hhi / 2) / a.hhi;  // the number of equal-sized providers with this HHI
    s.wrong.push_back({"concentration",
                       "the providers paid with the money of " + who + " are highly concentrated: HHI " +
                           std::to_string(a.hhi) + " is as concentrated as about " + std::to_string(equal) +
                           " equal-sized provider" + (equal == 1 ? "" : "s") +
                           " (HHI: 10,000 for one provider; above 2500 counts as highly concentrated); " + key[0].first +
                           " holds " + pct(key[0].second),
                       concentration_cmd, a.spenders});
  }

  // Patterns, each kind as one line.
  Patterns p = patterns(m, false);  // the page lists no risk rows
  const std::string patterns_cmd = "fundtrail map patterns";
  auto listed = [&](const char* type, size_t n, const std::string& head, std::vector<std::string> items,
                    std::vector<std::string> who) {
    if (!n) return;
    std::string text = head;
    size_t shown = std::min(items.size(), kFewItems);
    text += join(std::vector<std::string>(items.begin(), items.begin() + shown), "; ");
    if (n > shown) text += "; and " + std::to_string(n - shown) + " more: " + patterns_cmd;
    s.wrong.push_back({type, text, patterns_cmd, who});
  };
  {
    std::vector<std::string> items;
    for (auto& x : p.paid_twice) items.push_back("claim " + x.claim + " '" + x.milestone + "'");
    listed("paid-twice", items.size(), plural(items.size(), "claim was", "claims were") + " paid twice: ", items, {});
  }
  {
    std::vector<std::string> items;
    for (auto& x : p.near_misses) items.push_back("'" + x.subject + "' from " + std::to_string(x.pools.size()) + " pools");
    listed("near-miss", items.size(), plural(items.size(), "service is", "services are") + " funded from several pools: ",
           items, {});
  }
  {
    std::vector<std::string> items, who;
    for (auto& x : p.shares)
      if (x.free_rider) {
        items.push_back(x.party + " put " + grouped(x.contributed, exp) + " into " + x.pool + ", short of the " +
                        grouped(x.expected, exp) + " its agreed " + pct(x.agreed_bp) + " implies");
        who.push_back(x.party);
      }
    if (items.size() == 1) s.wrong.push_back({"free-rider", items[0], patterns_cmd, who});
    else listed("free-rider", items.size(), plural(items.size(), "party", "parties") + " paid less into a pool than agreed: ", items, who);
  }
  {
    std::vector<std::string> items, who;
    for (auto& x : p.non_contributors) {
      items.push_back(x.party + " benefits from " + x.pool + " (through " + x.via + ") without contributing");
      who.push_back(x.party);
    }
    if (items.size() == 1) s.wrong.push_back({"non-contributor", items[0], patterns_cmd, who});
    else listed("non-contributor", items.size(), plural(items.size(), "party benefits", "parties benefit") + " from a pool without contributing: ", items, who);
  }
  {
    std::vector<std::string> items, who;
    for (auto& x : p.cycles) {
      items.push_back(join(x, ", "));
      who.insert(who.end(), x.begin(), x.end());
    }
    listed("cycle", items.size(), plural(items.size(), "circle", "circles") + " of money going round: ", items, who);
  }
}

// The parties the page names in MONEY IN (so the lists below name others).
std::set<std::string> named_in_money_in(const Summary& s) {
  std::set<std::string> named;
  for (size_t i = 0; i < s.came_in.size() && i < kSources; ++i) {
    named.insert(s.came_in[i].party);
    for (auto& r : s.biggest.at(s.came_in[i].party)) named.insert(r.party);
  }
  return named;
}

Summary summarise(const Map& m) {
  Summary s;
  // The pools' trace (concentration and patterns read it) on the other core
  // while the money, the services and the gaps are summed up.
  std::future<Trace> by_pools = start_pool_trace(m);
  money_in(m, s);
  who_answers_for_each(m, s);
  std::set<std::string> named = named_in_money_in(s);
  what_looks_wrong(m, s, named, by_pools);
  return s;
}

// Balances by holder group: the sources' money there, plus intermediaries'
// own money held there, less the own money its members paid out.
std::vector<std::pair<std::string, int64_t>> balances(const Summary& s) {
  std::map<std::string, int64_t> by;
  for (auto& [g, v] : s.held_by_kind)
    if (g != kCameBack) by[g] += v;
  for (auto& [g, v] : s.own_held) by[g] += v;
  for (auto& [g, v] : s.own_paid) by[g] -= v;
  std::vector<std::pair<std::string, int64_t>> out(by.begin(), by.end());
  std::stable_sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return out;
}

// "(with integrators, not passed on)" -> "with integrators"
std::string short_group(const std::string& g) { return g.substr(0, g.find(',')); }

}  // namespace

nlohmann::json summary_json(const Map& m) {
  Summary s = summarise(m);
  int exp = m.facts.exponent;
  nlohmann::json j{{"origin", m.facts.origin}, {"currency", m.facts.currency}, {"as_of", m.facts.as_of.text},
                   {"records", m.facts.records}};
  put_amount(j, "came_in", s.total_in, exp);
  put_amount(j, "money_in", s.total_in, exp);  // DESIGN.md's name (the report shows it); came_in kept for scripts
  j["sources"] = nlohmann::json::array();
  for (auto& a : s.came_in) {
    nlohmann::json x{{"party", a.party}, {"recipients", s.recipients[a.party]}};
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
  // The holders' balances: where_it_is, with intermediaries' own money moved.
  j["balances"] = nlohmann::json::object();
  for (auto& [k, v] : balances(s)) {
    nlohmann::json x;
    put_amount(x, "amount", v, exp);
    put_amount(x, "sources_money", s.held_by_kind.count(k) ? s.held_by_kind.at(k) : 0, exp);
    put_amount(x, "own_money_held", s.own_held.count(k) ? s.own_held.at(k) : 0, exp);
    put_amount(x, "own_money_paid_out", s.own_paid.count(k) ? s.own_paid.at(k) : 0, exp);
    j["balances"][k] = x;
  }
  put_amount(j, "management_fees", s.fees, exp);
  j["prefinancing"] = to_json(m, MoneyReport{"", {}, s.prefinancing, 0, 0})["prefinancing"];
  j["services"] = nlohmann::json::array();
  for (auto& sv : s.services) {
    nlohmann::json lines = nlohmann::json::array();
    for (auto& l : sv.lines)
      lines.push_back({{"seq", l.seq},
                       {"accountable", l.accountable},
                       {"responsible", l.responsible},
                       {"kind", l.kind}});
    nlohmann::json implicit = nlohmann::json::array();
    for (auto& [party, to] : sv.implicit)
      implicit.push_back({{"party", party}, {"answers_to", std::vector<std::string>(to.begin(), to.end())}});
    j["services"].push_back({{"subject", sv.subject},
                             {"delivered_by", sv.delivering},
                             {"answerable", sv.tops},
                             {"lines", lines},
                             {"implicit", implicit}});
  }
  j["what_looks_wrong"] = nlohmann::json::array();
  j["findings"] = nlohmann::json::array();
  for (auto& f : s.wrong) {
    j["what_looks_wrong"].push_back(f.text);
    j["findings"].push_back({{"type", f.type}, {"text", f.text}, {"parties", f.parties}, {"details", f.command}});
  }
  return j;
}

std::string summary_text(const Map& m) {
  Summary s = summarise(m);
  std::ostringstream o;
  auto amount = [&](int64_t v) { return grouped(v, m.facts.exponent); };
  o << "Accountability map of " << m.facts.origin << " (" << as_of_text(m) << ")\n";

  o << "\nMONEY IN: " << money_text(m, s.total_in) << "\n";
  for (size_t i = 0; i < s.came_in.size(); ++i) {
    const Amount& a = s.came_in[i];
    if (i == kSources) {
      int64_t rest = 0;
      for (size_t k = i; k < s.came_in.size(); ++k) rest += s.came_in[k].amount;
      o << "  " << money_text(m, rest) << "  from " << s.came_in.size() - i << " more sources: fundtrail map money\n";
      break;
    }
    o << "  " << money_text(m, a.amount) << "  from " << label(m, a.party) << "\n";
    auto& top = s.biggest[a.party];
    if (top.empty()) continue;
    o << "    paid most to:";
    for (size_t k = 0; k < top.size(); ++k)
      o << (k ? "," : "") << " " << label(m, top[k].party) << " " << money_text(m, top[k].amount);
    if (size_t all = s.recipients[a.party]; all > top.size())
      o << " and " << all - top.size() << " more: fundtrail map money --from " << a.party;
    o << "\n";
  }

  o << "\nWHERE IT IS NOW (the money in, by who holds it)\n";
  std::vector<std::pair<std::string, int64_t>> where(s.held_by_kind.begin(), s.held_by_kind.end());
  std::stable_sort(where.begin(), where.end(), [](auto& a, auto& b) { return a.second > b.second; });
  for (auto& [k, v] : where) o << "  " << money_text(m, v) << "  " << pct(ratio_bp(v, s.total_in)) << "  " << k << "\n";
  o << "  " << money_text(m, s.total_in) << "  in all, the money in above\n";
  if (s.fees) o << "  Management fees paid to integrators, counted above: " << money_text(m, s.fees) << "\n";
  if (!s.prefinancing.empty()) {
    // Own money paid ahead of outcomes is not money in: it moves balances
    // from the intermediary to those it paid, so show how they add up.
    size_t shown = 0;
    for (auto& p : s.prefinancing) {
      if (shown++ == kFewItems) {
        o << "  and " << s.prefinancing.size() - kFewItems << " more paid their own money ahead of outcomes: fundtrail map money\n";
        break;
      }
      std::vector<std::pair<std::string, int64_t>> own(s.own_went[p.party].begin(), s.own_went[p.party].end());
      std::stable_sort(own.begin(), own.end(), [](auto& a, auto& b) { return a.second > b.second; });
      std::vector<std::string> went;
      for (auto& [how, v] : own) went.push_back(money_text(m, v) + " " + how);
      o << "  " << p.party << " also paid " << money_text(m, p.prefinanced + p.loan)
        << " of its own money ahead of outcomes (not money in): " << join(went, ", ") << "; "
        << (p.recovered ? "outcome payments since have repaid " + money_text(m, p.recovered) + " of it"
                        : "no outcome payment has repaid any of it yet")
        << "\n";
    }
    o << "  So the balances (fundtrail balance) are:\n";
    for (auto& [g, v] : balances(s)) {
      int64_t funds = s.held_by_kind.count(g) ? s.held_by_kind.at(g) : 0;
      int64_t in = s.own_held.count(g) ? s.own_held.at(g) : 0, out = s.own_paid.count(g) ? s.own_paid.at(g) : 0;
      o << "    " << money_text(m, v) << "  " << short_group(g);
      if (in || out) {
        o << " = " << amount(funds);
        if (out) o << " - " << amount(out) << " own money paid out";
        if (in) o << " + " << amount(in) << (out ? " of it come back" : " paid to them from others' own money");
      }
      o << "\n";
    }
    int64_t back = s.held_by_kind.count(kCameBack) ? s.held_by_kind.at(kCameBack) : 0;
    o << "    " << money_text(m, s.total_in - back) << "  in all" << (back ? " (the rest came back to where it started)" : "")
      << "\n";
  }

  o << "\nWHO ANSWERS FOR EACH SERVICE (the lines recorded for each service, and the commissioner by default where none"
       " is; the full chain: fundtrail map who SERVICE)\n";
  if (s.services.empty()) o << "  no responsibility line is recorded\n";
  std::vector<std::string> page;  // each service's lines, the services whose deliverers received most first
  size_t rows = 0;
  for (auto& sv : s.services) {
    // Rows: each accountable party, those at the top first, then in the order
    // of their first line, with whom it holds to account and how.
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::pair<std::string, std::vector<std::string>>>> held;  // party -> (how, whom)
    auto add = [&](const std::string& who, const std::string& how, const std::string& whom) {
      if (!held.count(who)) order.push_back(who);
      auto& v = held[who];
      auto it = std::find_if(v.begin(), v.end(), [&](auto& x) { return x.first == how; });
      if (it == v.end()) it = v.insert(v.end(), {how, {}});
      if (std::find(it->second.begin(), it->second.end(), whom) == it->second.end()) it->second.push_back(whom);
    };
    for (auto& l : sv.lines) {
      std::string how = l.kind + " line over";
      if (l.responsible.size() > 1) add(l.accountable, how, and_list(l.responsible) + " jointly");
      else
        for (auto& r : l.responsible) add(l.accountable, how, r);
    }
    for (auto& [party, to] : sv.implicit)
      for (auto& a : to) add(a, "answers by default for", party);
    std::stable_partition(order.begin(), order.end(), [&](auto& p) { return sv.offices.count(p) > 0; });
    std::vector<std::string> lines{"  " + sv.subject};
    for (size_t i = 0; i < order.size() && i < kPerService; ++i) {
      const std::string& who = order[i];
      std::string head = who;
      if (auto it = sv.offices.find(who); it != sv.offices.end())
        head += it->second.empty()               ? " (no named office holder)"
                : it->second == std::vector{who} ? " (a named office holder)"
                                                 : " (office holder: " + join(it->second, ", ") + ")";
      std::vector<std::string> parts;
      for (auto& [how, whom] : held[who]) {
        std::vector<std::string> names(whom.begin(), whom.begin() + std::min(whom.size(), kFew));
        if (whom.size() > names.size()) names.push_back(std::to_string(whom.size() - names.size()) + " more");
        std::string part = how + " " + and_list(names);
        if (how == "answers by default for")
          part += " (IMPLICIT: no line for this service is recorded above " + std::string(whom.size() == 1 ? "it" : "them") + ")";
        if (how == "last-resort line over")
          part += whom.size() == 1 ? ", the operator of last resort (named to take over the service if a provider fails)"
                                   : ", operators of last resort (named to take over the service if a provider fails)";
        parts.push_back(part);
      }
      lines.push_back("    " + head + ": " + join(parts, "; "));
    }
    if (order.size() > kPerService)
      lines.push_back("    and " + std::to_string(order.size() - kPerService) + " more: fundtrail map who '" + sv.subject + "'");
    if (rows + lines.size() > kServiceRows && !page.empty()) break;
    rows += lines.size();
    page.push_back(join(lines, "\n") + "\n");
  }
  // Shown in the order of their names, as a reader looks one up.
  std::vector<std::string> sorted = page;
  std::sort(sorted.begin(), sorted.end());
  for (auto& x : sorted) o << x;
  if (page.size() < s.services.size())
    o << "  and " << s.services.size() - page.size()
      << " more services: fundtrail map summary --json lists them all; fundtrail map who SERVICE for each\n";

  o << "\nWHAT LOOKS WRONG\n";
  if (s.wrong.empty()) o << "  nothing stands out\n";
  for (auto& w : s.wrong) o << "  - " << w.text << "\n";
  o << "\nDetails: fundtrail map money | frontline | who SERVICE | gaps | concentration | patterns\n";
  return o.str();
}

}  // namespace fundtrail::map
