// map frontline: per integrator, what it received and where that went —
// independent providers, its own group, management fees, kept — with the
// pure/blended declaration of its contracts checked against the flows.
#include <algorithm>
#include <set>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

using namespace detail;

// Self-delivery (kept + passed within the group) at or above this share of
// delivery money makes the flows look blended (docs/map.md).
constexpr uint32_t kBlendedBp = 500;

}  // namespace

std::vector<Frontline> frontline(const Map& m) {
  const Facts& f = m.facts;
  std::set<std::string> integrators;
  for (auto& [id, p] : f.parties)
    if (p.kind == "integrator") integrators.insert(id);
  std::map<std::string, std::set<std::string>> declared;
  for (auto& [seq, c] : f.contracts)
    if (!c.model.empty()) {
      declared[c.payee].insert(c.model);
      integrators.insert(c.payee);
    }
  const Trace& t = natural_trace(m);
  std::vector<Frontline> out(integrators.size());
  // Every integrator in two passes over the payments (not two per
  // integrator), on party indices: slot[ix] is the integrator's row.
  const size_t n = f.ids.size();
  std::vector<int> slot(n, -1);
  {
    size_t row = 0;
    for (auto& id : integrators) {
      out[row].integrator = id;
      auto it = std::lower_bound(f.ids.begin(), f.ids.end(), id);
      if (it != f.ids.end() && *it == id) slot[it - f.ids.begin()] = static_cast<int>(row);
      ++row;
    }
  }
  std::vector<std::string> controller(n);
  for (size_t i = 0; i < n; ++i) controller[i] = controller_of(f, f.ids[i]);
  auto same_group = [&](uint32_t a, uint32_t b) {  // detail::same_group, by index
    return a == b || (controller[a] == controller[b] && (controller[a] != f.ids[a] || controller[b] != f.ids[b]));
  };
  const Name clawback_mech("clawback"), fee_mech("management-fee");
  std::vector<std::map<std::string, int64_t>> to_group(out.size());
  std::vector<std::set<std::string>> passed_claims(out.size());
  for (const Money& mo : f.money) {
    // Net of refunds: a credit note to the integrator lowers what it passed
    // to that party, one from it what it received (refunds are not in f.money).
    const int64_t amount = mo.net();
    const bool clawback = mo.mechanism == clawback_mech;
    if (int row = slot[mo.to_ix]; row >= 0) {
      Frontline& r = out[row];
      if (clawback) {  // money coming back lowers what it passed to that party
        (same_group(mo.to_ix, mo.from_ix) ? r.passed_controlled : r.passed_independent) -= amount;
        if (same_group(mo.to_ix, mo.from_ix)) to_group[row][mo.from.str()] -= amount;
      } else {
        r.received += amount;
        if (mo.mechanism == fee_mech) r.fees += amount;
      }
    }
    if (int row = slot[mo.from_ix]; row >= 0 && mo.to_ix != mo.from_ix) {
      Frontline& r = out[row];
      if (clawback) {
        r.received -= amount;  // it handed money back up
      } else {
        if (same_group(mo.from_ix, mo.to_ix)) {
          r.passed_controlled += amount;
          to_group[row][mo.to.str()] += amount;
        } else {
          r.passed_independent += amount;
        }
        passed_claims[row].insert(mo.claims.begin(), mo.claims.end());
      }
    }
  }
  // Outcome payments it received for claims it passed to no one: it
  // delivered those outcomes itself. The rest of what it kept is still held.
  std::vector<int64_t> own_outcomes(out.size());
  for (const Money& mo : f.money) {
    const int row = slot[mo.to_ix];
    if (row < 0 || mo.from_ix == mo.to_ix || mo.mechanism == clawback_mech || mo.claims.empty() || mo.net() <= 0) continue;
    size_t unpassed = 0;
    for (auto& c : mo.claims) unpassed += !passed_claims[row].count(c);
    own_outcomes[row] += static_cast<int64_t>(static_cast<__int128>(mo.net()) * unpassed / mo.claims.size());
  }
  std::map<std::string, std::pair<uint32_t, int64_t>> prefinanced;  // integrator -> (first own date, prefinanced)
  for (auto& r : out) {
    auto own = t.paid_out.find({r.integrator, SourceType::own});
    auto loan = t.paid_out.find({r.integrator, SourceType::loan});
    r.prefinanced = (own == t.paid_out.end() ? 0 : own->second) + (loan == t.paid_out.end() ? 0 : loan->second);
    auto first = t.first_own_date.find(r.integrator);
    prefinanced[r.integrator] = {first == t.first_own_date.end() ? 0 : first->second, r.prefinanced};
  }
  const std::map<std::string, int64_t> came_back = recovered(f, prefinanced);
  for (size_t row = 0; row < out.size(); ++row) {
    Frontline& r = out[row];
    const std::string& id = r.integrator;
    r.kept = r.received - r.fees - r.passed_independent - r.passed_controlled;
    const int64_t kept = std::max<int64_t>(r.kept, 0), group = std::max<int64_t>(r.passed_controlled, 0);
    r.self_delivered = std::min(own_outcomes[row], kept);
    r.not_passed_on = kept - r.self_delivered;
    r.recovered = came_back.at(id);
    r.frontline_bp = ratio_bp(r.passed_independent, r.received);
    int64_t delivery = r.received - r.fees;
    r.self_bp = ratio_bp(kept + group, delivery);
    r.not_passed_on_bp = ratio_bp(r.not_passed_on, delivery);
    r.self_delivered_bp = ratio_bp(r.self_delivered, delivery);
    r.group_bp = ratio_bp(group, delivery);
    r.flows = delivery <= 0 ? "none" : r.self_bp >= kBlendedBp ? "blended" : "pure";
    auto d = declared.find(id);
    if (d != declared.end()) r.declared = d->second.size() == 1 ? *d->second.begin() : "mixed";
    r.contradicts = (r.declared == "pure" || r.declared == "blended") && r.flows != "none" && r.flows != r.declared;
    for (auto& [p, a] : to_group[row])
      if (a > 0) r.controlled.push_back({p, a});
  }
  return out;
}

nlohmann::json to_json(const Map& m, const std::vector<Frontline>& rows) {
  int exp = m.facts.exponent;
  nlohmann::json a = nlohmann::json::array();
  for (auto& r : rows) {
    nlohmann::json j{{"integrator", r.integrator}, {"declared", r.declared}, {"flows", r.flows},
                     {"contradicts_declaration", r.contradicts}, {"frontline_share", pct(r.frontline_bp)},
                     {"frontline_share_bp", r.frontline_bp}, {"self_delivery_share", pct(r.self_bp)},
                     {"self_delivery_share_bp", r.self_bp}};
    put_amount(j, "received", r.received, exp);
    put_amount(j, "management_fees", r.fees, exp);
    put_amount(j, "passed_to_independent_providers", r.passed_independent, exp);
    put_amount(j, "passed_within_own_group", r.passed_controlled, exp);
    put_amount(j, "kept", r.kept, exp);
    put_amount(j, "not_passed_on", r.not_passed_on, exp);
    put_amount(j, "self_delivered", r.self_delivered, exp);
    j["not_passed_on_share"] = pct(r.not_passed_on_bp);
    j["not_passed_on_share_bp"] = r.not_passed_on_bp;
    j["self_delivered_share"] = pct(r.self_delivered_bp);
    j["self_delivered_share_bp"] = r.self_delivered_bp;
    j["own_group_share"] = pct(r.group_bp);
    j["own_group_share_bp"] = r.group_bp;
    put_amount(j, "prefinanced", r.prefinanced, exp);
    put_amount(j, "recovered", r.recovered, exp);
    j["group_recipients"] = nlohmann::json::array();
    for (auto& c : r.controlled) {
      nlohmann::json x{{"party", c.party}};
      put_amount(x, "amount", c.amount, exp);
      j["group_recipients"].push_back(x);
    }
    a.push_back(j);
  }
  return {{"currency", m.facts.currency}, {"as_of", m.facts.as_of.text}, {"integrators", a}};
}

std::string to_text(const Map& m, const std::vector<Frontline>& rows, size_t limit) {
  std::ostringstream o;
  o << "Frontline share per integrator (" << as_of_text(m) << ")\n";
  if (rows.empty()) o << "\nNo integrator is registered.\n";
  const auto rows_shown = shown(rows.size(), limit, [&](size_t i) { return rows[i].received; });
  for (size_t ri : rows_shown) {
    const Frontline& r = rows[ri];
    o << "\n" << label(m, r.integrator) << "\n"
      << "  received                          " << money_text(m, r.received) << "\n"
      << "  passed to independent providers   " << money_text(m, r.passed_independent) << "  (frontline share "
      << pct(r.frontline_bp) << ")\n"
      << "  passed within its own group       " << money_text(m, r.passed_controlled) << "\n";
    const auto group = shown(r.controlled.size(), limit, [&](size_t i) { return r.controlled[i].amount; });
    for (size_t ci : group) o << "      " << money_text(m, r.controlled[ci].amount) << " to " << label(m, r.controlled[ci].party) << "\n";
    o << more(r.controlled.size() - group.size(), "      ");
    o << "  management fees                   " << money_text(m, r.fees) << "\n"
      << "  kept (not passed on)              " << money_text(m, r.kept)
      << (r.kept < 0 ? "  (negative: its own working capital is in the network)" : "") << "\n"
      << "      of which for outcomes it delivered itself (claims it paid no one for)  " << money_text(m, r.self_delivered)
      << "; not yet passed on " << money_text(m, r.not_passed_on) << "\n"
      << "  pre-financed from its own funds   " << money_text(m, r.prefinanced) << ", of which "
      << money_text(m, r.recovered) << " came back through outcome payments\n";
    o << "  model: " << (r.declared.empty() ? "none declared (no contract records one)" : "declared " + r.declared)
      << "; flows look " << (r.flows == "none" ? "- (no delivery money)" : r.flows) << " (self-delivery "
      << pct(r.self_bp) << " of delivery money)\n";
    if (r.contradicts && r.declared == "pure")
      o << "  ! declared pure, yet " << pct(r.self_bp)
        << " of the delivery money stayed with it or its group: self-delivery, or money not yet passed on - ask why\n";
    else if (r.contradicts)
      o << "  ! declared blended, yet it passed on nearly all delivery money\n";
    if (r.flows == "blended" && r.declared.empty())
      o << "  note: money not yet passed on counts as kept; read this at the end of a period (--as-of)\n";
  }
  if (rows.size() > rows_shown.size())
    o << "\n" << more(rows.size() - rows_shown.size(), "");
  return o.str();
}

}  // namespace fundtrail::map
