#include "ledger/balances.h"

#include <ctime>

#include "ledger/money.h"

namespace fundtrail {
namespace {

using schema::Entry;

void apply(std::map<std::string, int64_t>& out, const std::vector<MoneyEffect>& effects, int sign) {
  for (auto& e : effects) {
    int64_t& bal = out[e.party];
    if (!add_money(bal, sign * e.delta, bal)) throw Error(ErrorKind::unusable, "balance of '" + e.party + "' overflows");
  }
}

// `counts(record)` decides whether a record is inside the point in time.
template <class Counts>
std::map<std::string, int64_t> replay(const Ledger& ledger, uint64_t size, Counts&& counts) {
  std::map<std::string, int64_t> out{{"ledger", 0}};
  ledger.for_each(0, size, [&](uint64_t, std::span<const uint8_t> bytes) {
    Record rec(bytes);
    auto body = rec.entry().getBody();
    if (body.which() == Entry::Body::PARTY_REGISTERED) out.emplace(body.getPartyRegistered().getId().cStr(), 0);
    if (!counts(rec)) return true;
    if (body.which() == Entry::Body::REVERSAL) {
      Record target(ledger.leaf(body.getReversal().getTargetSeq()));
      if (counts(target)) apply(out, money_effects(target.entry()), -1);
    } else {
      apply(out, money_effects(rec.entry()), +1);
    }
    return true;
  });
  return out;
}

}  // namespace

uint32_t utc_day(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

uint32_t money_day(Entry::Reader entry, int64_t recorded_at) {
  auto b = entry.getBody();
  uint32_t d = 0;
  if (b.which() == Entry::Body::CONTRIBUTION) d = b.getContribution().getValueDate();
  if (b.which() == Entry::Body::PAYMENT) d = b.getPayment().getValueDate();
  return d ? d : utc_day(recorded_at);
}

std::map<std::string, int64_t> balances_at_size(const Ledger& ledger, uint64_t size) {
  return replay(ledger, size, [](const Record&) { return true; });
}

std::map<std::string, int64_t> balances_at_date(const Ledger& ledger, uint32_t date) {
  return replay(ledger, ledger.size(), [date](const Record& rec) { return money_day(rec.entry(), rec.leaf().getRecordedAt()) <= date; });
}

}  // namespace fundtrail
