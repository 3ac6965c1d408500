// Source-of-funds tracing: every amount paid on is attributed to the sources
// it came from — by funded-by where recorded, by the contract schedule's
// financer where funded-by is absent, pro rata over what the payer holds
// otherwise, and beyond that to the payer's own money. Refunds carry back
// what they net against (see trace()). Exact integers; pro-rata parts by
// largest remainder. docs/map.md explains each step.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "accountability/internal.h"
#include "ledger/money.h"

namespace fundtrail::map::detail {
namespace {

// The trace runs once per payment over up to a million payments, so it works
// on party indices (in id order, so that index order is id order and ties in
// rounding fall as they would by id) and on mixes kept as sorted vectors:
// integer merges instead of string-keyed tree inserts (docs/performance.md).
using Part = SourcePart;
using Flat = Parts;  // sorted by key; no zero amounts

uint32_t key_of(uint32_t party, SourceType type) { return party * 3 + static_cast<uint32_t>(type); }

int64_t total_of(const Flat& mix) {
  int64_t t = 0;
  for (auto& p : mix) t += p.amount;
  return t;
}

// `into` += `add`: in place when `into` already holds every key of `add` (the
// usual case once a party has been paid a few times: a few binary searches,
// no copy), else as a sorted merge through `scratch`.
void add_flat(Flat& into, const Flat& add, Flat& scratch) {
  if (add.empty()) return;
  if (into.empty()) {
    into = add;
    return;
  }
  // Where each key of `add` sits in `into`: a linear walk when the two are
  // of a size (the usual mixes: tens of sources), binary searches when
  // `into` is much the longer.
  const bool walk = add.size() * 8 >= into.size();
  auto by_key = [](const Part& p, uint32_t key) { return p.key < key; };
  auto seek = [&](Flat::iterator from, uint32_t key) {
    if (!walk) return std::lower_bound(from, into.end(), key, by_key);
    while (from != into.end() && from->key < key) ++from;
    return from;
  };
  bool all_present = true;
  auto from = into.begin();
  for (auto& a : add) {
    from = seek(from, a.key);
    if (from == into.end() || from->key != a.key) {
      all_present = false;
      break;
    }
  }
  if (all_present) {
    auto at = into.begin();
    for (auto& a : add) {
      at = seek(at, a.key);
      at->amount += a.amount;
    }
    return;
  }
  scratch.clear();
  size_t i = 0, j = 0;
  while (i < into.size() || j < add.size()) {
    if (j == add.size() || (i < into.size() && into[i].key < add[j].key)) {
      scratch.push_back(into[i++]);
    } else if (i == into.size() || add[j].key < into[i].key) {
      scratch.push_back(add[j++]);
    } else {
      scratch.push_back({into[i].key, into[i].amount + add[j].amount});
      ++i, ++j;
    }
  }
  into.swap(scratch);
}

// `into` += `add`, taking `add`'s buffer when `into` is empty (most payments'
// mixes start so): no copy, no allocation.
void absorb(Flat& into, Flat&& add, Flat& scratch) {
  if (into.empty()) {
    into.swap(add);
    return;
  }
  add_flat(into, add, scratch);
}

// `mix` scaled to `amount` (largest remainder over its keys in order).
Flat scaled(const Flat& mix, int64_t amount, std::vector<int64_t>& weights) {
  weights.clear();
  for (auto& p : mix) weights.push_back(p.amount);
  auto parts = largest_remainder(amount, weights);
  Flat out;
  for (size_t i = 0; i < mix.size(); ++i)
    if (parts[i]) out.push_back({mix[i].key, parts[i]});
  return out;
}

// Takes up to `want` of each source from `pot`; returns what it got.
Flat take_wanted(Flat& pot, const Flat& want) {
  Flat got;
  size_t i = 0;
  for (auto& w : want) {
    while (i < pot.size() && pot[i].key < w.key) ++i;
    if (i == pot.size()) break;
    if (pot[i].key != w.key) continue;
    int64_t t = std::min(w.amount, pot[i].amount);
    if (t <= 0) continue;
    got.push_back({w.key, t});
    pot[i].amount -= t;
  }
  std::erase_if(pot, [](const Part& p) { return p.amount == 0; });
  return got;
}

// Takes up to `amount` from `pot` in proportion to what it holds of each source.
// take_wanted(pot, scaled(pot, ...)) in one walk: each part of the pot scaled
// to at most what the pot holds is never more than the pot's own amount of
// that source, so every part is taken whole.
Flat take_pro_rata(Flat& pot, int64_t amount, std::vector<int64_t>& weights) {
  int64_t have = total_of(pot);
  if (have <= 0 || amount <= 0) return {};
  weights.clear();
  for (auto& p : pot) weights.push_back(p.amount);
  const std::vector<int64_t> parts = largest_remainder(std::min(amount, have), weights);
  Flat got;
  for (size_t i = 0; i < pot.size(); ++i) {
    if (parts[i] <= 0) continue;
    got.push_back({pot[i].key, parts[i]});
    pot[i].amount -= parts[i];
  }
  std::erase_if(pot, [](const Part& p) { return p.amount == 0; });
  return got;
}

const ScheduleRow* row_for(const Facts& f, const Money& mo) {
  auto it = f.contracts.find(mo.contract_seq);
  if (mo.contract_seq == 0 || it == f.contracts.end()) return nullptr;
  for (auto& r : it->second.schedule)
    if (r.milestone == mo.milestone && r.group == mo.group) return &r;
  return nullptr;
}

bool holds_no_own_money(const Party* payer) { return payer && (payer->kind == "pool" || is_origin_kind(payer->kind)); }

Mix to_mix(const Flat& flat, const std::vector<std::string>& ids) {
  Mix out;
  for (auto& p : flat) out.emplace_hint(out.end(), SourceKey{ids[p.key / 3], SourceType(p.key % 3)}, p.amount);
  return out;
}

Mix mix_of(const Trace& t, const std::vector<Parts>& per_party, const std::string& party) {
  auto it = std::lower_bound(t.ids.begin(), t.ids.end(), party);
  if (it == t.ids.end() || *it != party) return {};
  const size_t i = static_cast<size_t>(it - t.ids.begin());
  return i < per_party.size() ? to_mix(per_party[i], t.ids) : Mix{};
}

}  // namespace

bool schedule_says_own(const Facts& f, const Money& mo) {
  const ScheduleRow* row = mo.funded_by == FundedBy::unspecified ? row_for(f, mo) : nullptr;
  if (!row || row->financed_by_parent) return false;  // most payments: no party lookup
  return !holds_no_own_money(f.party(mo.from));
}

std::string name_of(SourceType t) {
  return t == SourceType::own ? "own" : t == SourceType::loan ? "loan" : "funds";
}

Trace trace(const Facts& f, const std::set<std::string>& extra, const std::set<std::string>* received_by) {
  const std::vector<std::string>& ids = f.ids;
  const size_t n = ids.size();
  if (n > UINT32_MAX / 3) unusable("too many parties to trace money between");  // keys are 32-bit
  std::vector<char> origin(n), no_own_money(n);
  for (size_t i = 0; i < n; ++i) {
    const Party* p = f.party(ids[i]);
    origin[i] = extra.count(ids[i]) || (p && is_origin_kind(p->kind));
    no_own_money[i] = holds_no_own_money(p);
  }
  // Attribution of the records money is traced back to: funded-by targets and,
  // for schedule rows financed by the parent contract, receipts under it.
  std::unordered_map<uint64_t, Flat> of_record;
  for (auto& mo : f.money)
    if (mo.funded_by == FundedBy::entry) of_record.try_emplace(mo.funded_seq);
  std::map<std::string, uint64_t> contract_seq_of;
  for (auto& [seq, c] : f.contracts) contract_seq_of[c.reference] = seq;
  // (payee, contract seq) -> what it received under that contract, attributed
  std::map<std::pair<uint32_t, uint64_t>, Flat> under_contract;

  std::vector<Flat> held(n), received(n);
  std::vector<char> keep_received(n, received_by == nullptr);
  if (received_by)
    for (size_t i = 0; i < n; ++i) keep_received[i] = received_by->count(ids[i]) > 0;
  std::vector<int64_t> paid_out(3 * n);
  std::vector<uint32_t> first_own(n);
  int64_t by_tag = 0, pro_rata = 0;
  Flat mix, scratch;
  std::vector<int64_t> weights;
  // Refunds net against what their payee paid their payer and are never
  // money in (DESIGN.md). Payments are traced whole, so sources keep what they
  // paid out, and a refund carries back to its payee that payee's money, in
  // the attribution its payments to the payer had, as far as the payer still
  // holds it: it shows where it sits again (usually back where it started).
  // It is never the payer's own money nor its budget, so it makes no
  // pre-financing and no money in; what the payer no longer holds (passed on,
  // or paid outside an --as-of scope) is not carried back.
  // (payer, payee) -> what payer paid payee, attributed, less what came back;
  // only for the pairs a refund answers.
  std::map<std::pair<uint32_t, uint32_t>, Flat> refundable;
  for (const Money& r : f.refunds) refundable.try_emplace(std::pair{r.to_ix, r.from_ix});
  size_t next_refund = 0;
  auto refunds_before = [&](uint64_t seq) {
    for (; next_refund < f.refunds.size() && f.refunds[next_refund].seq < seq; ++next_refund) {
      const Money& r = f.refunds[next_refund];
      Flat& paid = refundable.at({r.to_ix, r.from_ix});
      Flat back = take_wanted(held[r.from_ix], scaled(paid, std::min(r.amount, total_of(paid)), weights));
      take_wanted(paid, back);
      add_flat(held[r.to_ix], back, scratch);
      if (auto it = of_record.find(r.seq); it != of_record.end()) it->second = back;
    }
  };
  for (const Money& mo : f.money) {
    refunds_before(mo.seq);
    const uint32_t from = mo.from_ix, to = mo.to_ix;
    mix.clear();
    Flat& pot = held[from];
    auto own = [&](int64_t amount, SourceType type) {
      if (amount <= 0) return;
      uint32_t k = key_of(from, type);
      // add_flat(mix, {{k, amount}}) without a one-part Flat per payment
      auto at = std::lower_bound(mix.begin(), mix.end(), k, [](const Part& p, uint32_t key) { return p.key < key; });
      if (at != mix.end() && at->key == k) at->amount += amount;
      else mix.insert(at, {k, amount});
      paid_out[k] += amount;
      if (type != SourceType::funds && (!first_own[from] || mo.value_date < first_own[from]))
        first_own[from] = mo.value_date;
    };
    auto from_pot = [&](const Flat* want) {
      int64_t got = 0;
      if (want) {
        Flat g = take_wanted(pot, scaled(*want, mo.amount, weights));
        got = total_of(g);
        by_tag += got;
        absorb(mix, std::move(g), scratch);
      }
      Flat rest = take_pro_rata(pot, mo.amount - got, weights);
      int64_t rest_total = total_of(rest);
      pro_rata += rest_total;
      got += rest_total;
      absorb(mix, std::move(rest), scratch);
      own(mo.amount - got, SourceType::own);
    };
    const ScheduleRow* row = mo.funded_by == FundedBy::unspecified ? row_for(f, mo) : nullptr;
    bool payer_finances = row && !row->financed_by_parent && !no_own_money[from];
    const Flat* tagged = nullptr;
    if (mo.funded_by == FundedBy::entry) {
      auto it = of_record.find(mo.funded_seq);
      if (it != of_record.end() && it->second.size()) tagged = &it->second;
    }
    if (origin[from]) {
      own(mo.amount, SourceType::funds);
    } else if (mo.funded_by == FundedBy::own || payer_finances) {
      own(mo.amount, SourceType::own);
    } else if (mo.funded_by == FundedBy::loan) {
      own(mo.amount, SourceType::loan);
    } else if (tagged) {
      from_pot(tagged);
    } else if (row && row->financed_by_parent) {
      const Contract& c = f.contracts.at(mo.contract_seq);
      auto p = contract_seq_of.find(c.parent);
      auto it = p == contract_seq_of.end() ? under_contract.end() : under_contract.find({from, p->second});
      from_pot(it == under_contract.end() || it->second.empty() ? nullptr : &it->second);
    } else {
      from_pot(nullptr);
    }
    add_flat(held[to], mix, scratch);
    if (keep_received[to]) add_flat(received[to], mix, scratch);
    if (auto it = of_record.find(mo.seq); it != of_record.end()) it->second = mix;
    if (mo.contract_seq) add_flat(under_contract[{to, mo.contract_seq}], mix, scratch);
    if (!refundable.empty())
      if (auto it = refundable.find({from, to}); it != refundable.end()) add_flat(it->second, mix, scratch);
  }
  refunds_before(UINT64_MAX);

  // Back to party ids only for the few totals; the mixes stay flat (Trace).
  Trace t;
  t.ids = f.ids;
  t.received = std::move(received);
  if (received_by) return t;
  t.held = std::move(held);
  t.by_tag = by_tag;
  t.pro_rata = pro_rata;
  for (uint32_t i = 0; i < n; ++i) {
    if (first_own[i]) t.first_own_date.emplace_hint(t.first_own_date.end(), ids[i], first_own[i]);
    for (uint32_t type = 0; type < 3; ++type)
      if (paid_out[3 * i + type])
        t.paid_out.emplace_hint(t.paid_out.end(), SourceKey{ids[i], SourceType(type)}, paid_out[3 * i + type]);
  }
  return t;
}

Mix Trace::held_by(const std::string& party) const { return mix_of(*this, held, party); }
Mix Trace::received_by(const std::string& party) const { return mix_of(*this, received, party); }

const Trace& natural_trace(const Map& m) {
  if (!m.by_natural_origins) m.by_natural_origins = std::make_shared<const Trace>(trace(m.facts, {}));
  return *m.by_natural_origins;
}

namespace {
std::set<std::string> pools_of(const Facts& f) {
  std::set<std::string> pools;
  for (auto& [id, p] : f.parties)
    if (p.kind == "pool") pools.insert(id);
  return pools;
}
}  // namespace

Trace trace_pools(const Facts& f) { return trace(f, pools_of(f)); }

const Trace& pool_trace(const Map& m) {
  if (!m.by_pools && m.pools_pending.started()) m.by_pools = m.pools_pending.take();
  if (!m.by_pools) m.by_pools = std::make_shared<const Trace>(trace_pools(m.facts));
  return *m.by_pools;
}

std::future<Trace> start_pool_trace(const Map& m) {
  if (m.by_pools || m.pools_pending.started()) return {};
  // Reads only the facts, which nothing changes while the analyses run.
  return std::async(std::launch::async, [&m] { return trace_pools(m.facts); });
}

void finish_pool_trace(const Map& m, std::future<Trace>& started) {
  if (started.valid()) m.by_pools = std::make_shared<const Trace>(started.get());
}

std::map<std::string, int64_t> recovered(const Facts& f, const std::map<std::string, std::pair<uint32_t, int64_t>>& since_and_cap) {
  // Each party in two passes over the payments for all of them, on indices.
  struct Row {
    uint32_t since = 0;
    int64_t cap = 0, back = 0, passed_through = 0;
  };
  std::vector<Row> rows(since_and_cap.size());
  std::vector<int> slot(f.ids.size(), -1);
  size_t i = 0;
  for (auto& [party, sc] : since_and_cap) {
    rows[i] = {sc.first, sc.second, 0, 0};
    auto it = std::lower_bound(f.ids.begin(), f.ids.end(), party);
    if (sc.second > 0 && it != f.ids.end() && *it == party) slot[it - f.ids.begin()] = static_cast<int>(i);
    ++i;
  }
  // (payer index, receipt seq) -> what the payer paid on tagged to that receipt
  std::map<std::pair<uint32_t, uint64_t>, int64_t> tagged;
  for (auto& mo : f.money) {
    const int row = slot[mo.from_ix];
    if (row < 0) continue;
    if (mo.funded_by == FundedBy::entry) tagged[{mo.from_ix, mo.funded_seq}] += mo.amount;
    const ScheduleRow* sr = mo.funded_by == FundedBy::unspecified ? row_for(f, mo) : nullptr;
    if (sr && sr->financed_by_parent && mo.value_date >= rows[row].since) rows[row].passed_through += mo.amount;
  }
  const Name milestone("milestone");
  for (auto& mo : f.money) {
    const int row = slot[mo.to_ix];
    if (row < 0 || mo.mechanism != milestone || mo.value_date < rows[row].since) continue;
    auto it = tagged.find({mo.to_ix, mo.seq});
    rows[row].back += std::max<int64_t>(0, mo.amount - (it == tagged.end() ? 0 : it->second));
  }
  std::map<std::string, int64_t> out;
  i = 0;
  for (auto& [party, sc] : since_and_cap) {
    const Row& r = rows[i++];
    out.emplace_hint(out.end(), party, r.cap <= 0 ? 0 : std::clamp<int64_t>(r.back - r.passed_through, 0, r.cap));
  }
  return out;
}

}  // namespace fundtrail::map::detail
