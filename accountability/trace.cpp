// Source-of-funds tracing: every amount paid on is attributed to the sources
// it came from — by funded-by where recorded, by the contract schedule's
// financer where funded-by is absent, pro rata over what the payer holds
// otherwise, and beyond that to the payer's own money. Exact integers;
// pro-rata parts by largest remainder. docs/map.md explains each step.
#include <algorithm>
#include <set>

#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map::detail {
namespace {

int64_t total_of(const Mix& mix) {
  int64_t t = 0;
  for (auto& [k, v] : mix) t += v;
  return t;
}

// `mix` scaled to `amount` (largest remainder over its keys in order).
Mix scaled(const Mix& mix, int64_t amount) {
  std::vector<int64_t> w;
  for (auto& [k, v] : mix) w.push_back(v);
  auto parts = largest_remainder(amount, w);
  Mix out;
  size_t i = 0;
  for (auto& [k, v] : mix) {
    if (parts[i]) out[k] = parts[i];
    ++i;
  }
  return out;
}

void add_mix(Mix& into, const Mix& mix) {
  for (auto& [k, v] : mix) into[k] += v;
}

// Takes up to `want[k]` of each source from `pot`; returns what it got.
Mix take_wanted(Mix& pot, const Mix& want) {
  Mix got;
  for (auto& [k, v] : want) {
    auto it = pot.find(k);
    if (it == pot.end()) continue;
    int64_t t = std::min(v, it->second);
    if (t <= 0) continue;
    got[k] = t;
    it->second -= t;
    if (it->second == 0) pot.erase(it);
  }
  return got;
}

// Takes up to `amount` from `pot` in proportion to what it holds of each source.
Mix take_pro_rata(Mix& pot, int64_t amount) {
  int64_t have = total_of(pot);
  Mix got = scaled(pot, std::min(amount, have));
  return take_wanted(pot, got);
}

const ScheduleRow* row_for(const Facts& f, const Money& mo) {
  auto it = f.contracts.find(mo.contract_seq);
  if (mo.contract_seq == 0 || it == f.contracts.end()) return nullptr;
  for (auto& r : it->second.schedule)
    if (r.milestone == mo.milestone && r.group == mo.group) return &r;
  return nullptr;
}

}  // namespace

bool schedule_says_own(const Facts& f, const Money& mo) {
  const ScheduleRow* row = mo.funded_by == FundedBy::unspecified ? row_for(f, mo) : nullptr;
  if (!row || row->financed_by_parent) return false;  // most payments: no party lookup
  const Party* payer = f.party(mo.from);
  return !(payer && (payer->kind == "pool" || is_origin_kind(payer->kind)));
}

std::string name_of(SourceType t) {
  return t == SourceType::own ? "own" : t == SourceType::loan ? "loan" : "funds";
}

Trace trace(const Facts& f, const std::set<std::string>& extra) {
  Trace t;
  auto origin = [&](const std::string& id) {
    const Party* p = f.party(id);
    return extra.count(id) || (p && is_origin_kind(p->kind));
  };
  // Attribution of the records money is traced back to: funded-by targets and,
  // for schedule rows financed by the parent contract, receipts under it.
  std::set<uint64_t> wanted;
  for (auto& mo : f.money)
    if (mo.funded_by == FundedBy::entry) wanted.insert(mo.funded_seq);
  std::map<std::string, uint64_t> contract_seq_of;
  for (auto& [seq, c] : f.contracts) contract_seq_of[c.reference] = seq;
  std::map<uint64_t, Mix> of_record;
  // (payee, contract seq) -> what it received under that contract, attributed
  std::map<std::pair<std::string, uint64_t>, Mix> under_contract;

  for (const Money& mo : f.money) {
    Mix mix;
    Mix& pot = t.held[mo.from];
    auto own = [&](int64_t amount, SourceType type) {
      if (amount <= 0) return;
      SourceKey k{mo.from, type};
      mix[k] += amount;
      t.paid_out[k] += amount;
      if (type != SourceType::funds) {
        uint32_t& first = t.first_own_date[mo.from];
        if (!first || mo.value_date < first) first = mo.value_date;
      }
    };
    auto from_pot = [&](const Mix* want) {
      int64_t got = 0;
      if (want) {
        Mix g = take_wanted(pot, scaled(*want, mo.amount));
        got = total_of(g);
        t.by_tag += got;
        add_mix(mix, g);
      }
      Mix rest = take_pro_rata(pot, mo.amount - got);
      t.pro_rata += total_of(rest);
      got += total_of(rest);
      add_mix(mix, rest);
      own(mo.amount - got, SourceType::own);
    };
    const ScheduleRow* row = mo.funded_by == FundedBy::unspecified ? row_for(f, mo) : nullptr;
    bool payer_finances = schedule_says_own(f, mo);
    if (origin(mo.from)) {
      own(mo.amount, SourceType::funds);
    } else if (mo.funded_by == FundedBy::own || payer_finances) {
      own(mo.amount, SourceType::own);
    } else if (mo.funded_by == FundedBy::loan) {
      own(mo.amount, SourceType::loan);
    } else if (mo.funded_by == FundedBy::entry && of_record.count(mo.funded_seq)) {
      from_pot(&of_record[mo.funded_seq]);
    } else if (row && row->financed_by_parent) {
      const Contract& c = f.contracts.at(mo.contract_seq);
      auto p = contract_seq_of.find(c.parent);
      auto it = p == contract_seq_of.end() ? under_contract.end() : under_contract.find({mo.from, p->second});
      from_pot(it == under_contract.end() || it->second.empty() ? nullptr : &it->second);
    } else {
      from_pot(nullptr);
    }
    if (pot.empty()) t.held.erase(mo.from);
    add_mix(t.held[mo.to], mix);
    add_mix(t.received[mo.to], mix);
    if (wanted.count(mo.seq)) of_record[mo.seq] = mix;
    if (mo.contract_seq) add_mix(under_contract[{mo.to, mo.contract_seq}], mix);
  }
  for (auto it = t.held.begin(); it != t.held.end();) it = it->second.empty() ? t.held.erase(it) : std::next(it);
  return t;
}

int64_t recovered(const Facts& f, const std::string& party, uint32_t since, int64_t cap) {
  if (cap <= 0) return 0;
  std::map<uint64_t, int64_t> passed_on;  // receipt seq -> paid on tagged to it
  int64_t passed_through = 0;             // paid on untagged where the schedule says the parent contract finances it
  for (auto& mo : f.money) {
    if (mo.from != party) continue;
    if (mo.funded_by == FundedBy::entry) passed_on[mo.funded_seq] += mo.amount;
    const ScheduleRow* row = mo.funded_by == FundedBy::unspecified ? row_for(f, mo) : nullptr;
    if (row && row->financed_by_parent && mo.value_date >= since) passed_through += mo.amount;
  }
  int64_t back = 0;
  for (auto& mo : f.money) {
    if (mo.to != party || mo.mechanism != "milestone" || mo.value_date < since) continue;
    back += std::max<int64_t>(0, mo.amount - passed_on[mo.seq]);
  }
  return std::clamp<int64_t>(back - passed_through, 0, cap);
}

}  // namespace fundtrail::map::detail
