#include "ledger/state_change.h"

#include <algorithm>
#include <type_traits>

#include "ledger/hash.h"
#include "ledger/limits.h"
#include "ledger/names.h"
#include "ledger/record.h"

namespace fundtrail {
namespace {

using schema::Entry;

std::string key_text(const std::string& party, const PublicKey& key) {
  return "key " + base64(key) + " of '" + party + "'";
}

StateNow key_granted(const StateSource& ledger, const spec::KeyGranted& g) {
  StateNow now;
  auto grant = ledger.grant(g.party, g.public_key);
  if (!grant) return now;
  now.version = std::max(grant->granted_at, grant->revoked_at);
  if (!grant->revoked && grant->role == g.role)
    now.holds = StateNow::Holds{grant->granted_at, key_text(g.party, g.public_key) + " is already granted as " + name_of(g.role)};
  return now;
}

StateNow key_revoked(const StateSource& ledger, const spec::KeyRevoked& r) {
  StateNow now;
  auto grant = ledger.grant(r.party, r.public_key);
  if (!grant) return now;
  now.version = std::max(grant->granted_at, grant->revoked_at);
  if (grant->revoked) now.holds = StateNow::Holds{grant->revoked_at, key_text(r.party, r.public_key) + " is already revoked"};
  return now;
}

// Rule 11's order: changes sort by date, then seq; the last one not after a
// date is in force then. A new change would sort after every change of its
// own date, so its effect holds exactly when the status in force at its date
// is the one it asks for.
StateNow party_status(const StateSource& ledger, const spec::PartyStatusChanged& s) {
  StateNow now;
  auto registered = ledger.registered_at(s.party);
  if (!registered) return now;
  auto changes = ledger.status_changes(s.party);
  schema::PartyStatus in_force = schema::PartyStatus::ACTIVE;
  uint64_t made_by = *registered;
  for (const auto& c : changes) {
    now.version = std::max(now.version, c.seq);
    if (c.from <= s.from) {
      in_force = c.status;
      made_by = c.seq;
    }
  }
  if (in_force == s.status)
    now.holds = StateNow::Holds{made_by, "party '" + s.party + "' is already " + name_of(s.status) + " on " + format_date(s.from)};
  return now;
}

bool same_schedule(const StateSource& ledger, uint64_t seq, const std::vector<spec::ScheduleRow>& wanted) {
  Record rec(ledger.leaf(seq));
  auto b = rec.entry().getBody();
  capnp::List<schema::ScheduleRow>::Reader rows;
  if (b.which() == Entry::Body::CONTRACT_AGREED) rows = b.getContractAgreed().getSchedule();
  else if (b.which() == Entry::Body::CONTRACT_VARIED) rows = b.getContractVaried().getSchedule();
  else return false;
  if (rows.size() != wanted.size()) return false;
  for (unsigned i = 0; i < rows.size(); ++i) {
    auto r = rows[i];
    const auto& w = wanted[i];
    if (std::string(r.getMilestone().cStr()) != w.milestone || std::string(r.getGroup().cStr()) != w.group ||
        r.getUnitPrice() != w.unit_price || r.getFinancedBy() != w.financed_by)
      return false;
  }
  return true;
}

StateNow contract_varied(const StateSource& ledger, const spec::ContractVaried& v) {
  StateNow now;
  auto c = ledger.contract(v.reference);
  if (!c) return now;
  now.version = c->changed_at;
  if (c->ended) return now;  // the writer refuses it, naming why
  bool cap = v.new_cap == 0 || v.new_cap == c->cap;
  bool end = v.new_end_date == 0 || v.new_end_date == c->end;
  bool schedule = !v.replace_schedule || same_schedule(ledger, c->schedule_seq, v.schedule);
  if (cap && end && schedule)
    now.holds = StateNow::Holds{c->changed_at, "contract '" + v.reference + "' already has these terms"};
  return now;
}

StateNow contract_ended(const StateSource& ledger, const spec::ContractEnded& e) {
  StateNow now;
  auto c = ledger.contract(e.reference);
  if (!c) return now;
  now.version = c->changed_at;
  if (!c->ended) return now;
  Record rec(ledger.leaf(c->changed_at));
  auto b = rec.entry().getBody();
  if (b.which() != Entry::Body::CONTRACT_ENDED) return now;
  auto ended = b.getContractEnded();
  // Ended for another reason or to another successor: not this request's
  // effect, so it is appended and the writer refuses it as already ended.
  if (ended.getReason() == e.reason && std::string(ended.getSuccessor().cStr()) == e.successor)
    now.holds = StateNow::Holds{c->changed_at, "contract '" + e.reference + "' has already ended"};
  return now;
}

StateNow responsibility_ended(const StateSource& ledger, const spec::ResponsibilityEnded& e) {
  StateNow now;
  if (auto by = ledger.assignment_ended_by(e.assignment_seq))
    now.holds = StateNow::Holds{*by, "assignment " + std::to_string(e.assignment_seq) + " has already ended"};
  return now;
}

}  // namespace

std::optional<StateNow> check_state_change(const StateSource& ledger, const spec::Body& body) {
  return std::visit(
      [&](const auto& s) -> std::optional<StateNow> {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, spec::KeyGranted>) return key_granted(ledger, s);
        else if constexpr (std::is_same_v<T, spec::KeyRevoked>) return key_revoked(ledger, s);
        else if constexpr (std::is_same_v<T, spec::PartyStatusChanged>) return party_status(ledger, s);
        else if constexpr (std::is_same_v<T, spec::ContractVaried>) return contract_varied(ledger, s);
        else if constexpr (std::is_same_v<T, spec::ContractEnded>) return contract_ended(ledger, s);
        else if constexpr (std::is_same_v<T, spec::ResponsibilityEnded>) return responsibility_ended(ledger, s);
        else return std::nullopt;
      },
      body);
}

namespace {
struct LedgerSource : StateSource {
  const Ledger& l;
  explicit LedgerSource(const Ledger& ledger) : l(ledger) {}
  std::optional<Grant> grant(const std::string& party, const PublicKey& key) const override { return l.grant(party, key); }
  std::optional<uint64_t> registered_at(const std::string& party) const override {
    auto p = l.party(party);
    return p ? std::optional<uint64_t>(p->registered_at) : std::nullopt;
  }
  std::vector<StatusChange> status_changes(const std::string& party) const override { return l.status_changes(party); }
  std::optional<ContractState> contract(const std::string& reference) const override { return l.contract(reference); }
  Bytes leaf(uint64_t seq) const override { return l.leaf(seq); }
  std::optional<uint64_t> assignment_ended_by(uint64_t seq) const override { return l.assignment_ended_by(seq); }
};
}  // namespace

std::optional<StateNow> check_state_change(const Ledger& ledger, const spec::Body& body) {
  return check_state_change(LedgerSource(ledger), body);
}

std::string state_idempotency_key(std::string_view origin, const spec::Body& body, uint64_t version) {
  std::string key = derived_idempotency_key(origin, body);
  if (version) key += "@" + std::to_string(version);
  return key;
}

}  // namespace fundtrail
