#include "ledger/rule_support.h"

#include <cstring>

#include "ledger/history.h"
#include "ledger/index.h"
#include "ledger/money.h"

namespace fundtrail::rules {

using schema::Entry;

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string quoted(const std::string& s) { return "'" + s + "'"; }

[[noreturn]] void fail(int rule, const std::string& why) { refuse("rule " + std::to_string(rule), "", std::nullopt, why); }

PublicKey key_of(capnp::Data::Reader d) {
  PublicKey k{};
  std::memcpy(k.data(), d.begin(), k.size());
  return k;
}

// ---- derived state access -------------------------------------------------

std::optional<PartyState> find_party(const Txn& txn, const std::string& id) {
  auto v = txn.get(txn.dbs().parties, id);
  if (!v) return std::nullopt;
  return index::read_party(id, *v);
}

PartyState need_party(const Txn& txn, const std::string& id, const char* role) {
  auto p = find_party(txn, id);
  if (!p) fail(2, std::string(role) + " party " + quoted(id) + " is not registered (see 'fundtrail party list')");
  return *p;
}

std::optional<Grant> active_grant(const Txn& txn, const std::string& party, const PublicKey& key) {
  std::string k = index::grant_key(party, key);
  auto v = txn.get(txn.dbs().grants, k);
  if (!v) return std::nullopt;
  Grant g = index::read_grant(k, *v);
  if (g.revoked) return std::nullopt;
  return g;
}

std::string short_key(const PublicKey& k) { return base64(std::span<const uint8_t>(k.data(), k.size())).substr(0, 12) + "…"; }

// Every signer acts for `party`: officers and approvers, at least one officer.
// Returns false (without throwing) when `soft`, so callers can try another party.
bool signers_act_for(const Txn& txn, const std::string& party, SigList sigs, bool soft) {
  bool officer = false;
  for (auto s : sigs) {
    auto g = active_grant(txn, party, key_of(s.getPublicKey()));
    if (!g || (g->role != schema::Role::OFFICER && g->role != schema::Role::APPROVER)) {
      if (soft) return false;
      fail(1, "key " + short_key(key_of(s.getPublicKey())) + " holds no valid officer or approver grant for " +
                  quoted(party) + " (granted keys: 'fundtrail party show " + party + "')");
    }
    officer |= g->role == schema::Role::OFFICER;
  }
  if (!officer) {
    if (soft) return false;
    fail(1, "an approver only co-signs: at least one signature must be an officer's of " + quoted(party));
  }
  return true;
}

bool signers_are_admins(const Txn& txn, SigList sigs, bool soft) {
  for (auto s : sigs) {
    auto g = active_grant(txn, "ledger", key_of(s.getPublicKey()));
    if (!g || g->role != schema::Role::ADMINISTRATOR) {
      if (soft) return false;
      fail(1, "key " + short_key(key_of(s.getPublicKey())) +
                  " is not a valid administrator key of this ledger: parties, keys and statuses need an administrator");
    }
  }
  return true;
}

void signers_act_for_or_admin(const Txn& txn, const std::string& party, SigList sigs) {
  if (signers_act_for(txn, party, sigs, true) || signers_are_admins(txn, sigs, true)) return;
  fail(1, "signers must all hold officer/approver keys of " + quoted(party) + " (one an officer) or all be administrators");
}

void put_party(Txn& txn, const PartyState& p) { txn.put(txn.dbs().parties, p.id, index::party_value(p)); }

void move_money(Txn& txn, const LedgerFacts& facts, const std::string& id, int64_t delta, const MoneyAt& at) {
  PartyState p = need_party(txn, id, "");
  move_money(txn, facts, p, delta, at);
}

void move_money(Txn& txn, const LedgerFacts& facts, PartyState& p, int64_t delta, const MoneyAt& at) {
  int64_t next;
  if (!add_money(p.balance, delta, next)) fail(4, "balance of " + quoted(p.id) + " would overflow");
  bool limited = p.kind == schema::PartyKind::POOL || p.budget_limited;
  if (limited && next < 0)
    fail(4, std::string(p.kind == schema::PartyKind::POOL ? "pool " : "budget-limited party ") + quoted(p.id) +
                " would go below zero: it holds " + format_money(p.balance, facts.exponent) + " and this moves " +
                format_money(-delta, facts.exponent) + " out");
  p.balance = next;
  put_party(txn, p);
  history::record_move(txn, p.id, at.seq, at.day, p.balance, delta);
}

void check_amount(int64_t amount, capnp::Text::Reader currency, const LedgerFacts& facts) {
  if (amount <= 0) fail(3, "amount must be positive");
  if (str(currency) != facts.currency)
    fail(3, "currency " + quoted(str(currency)) + " is not this ledger's currency " + quoted(facts.currency));
}

bool is_money(Entry::Body::Reader body) {
  return body.which() == Entry::Body::CONTRIBUTION || body.which() == Entry::Body::PAYMENT;
}

std::optional<Record> read_record(const Txn& txn, uint64_t seq) {
  auto v = txn.get(txn.dbs().entries, index::seq_key(seq));
  if (!v) return std::nullopt;
  return Record(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(v->data()), v->size()));
}

}  // namespace fundtrail::rules
