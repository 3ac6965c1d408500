#include "ledger/rules.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "ledger/balances.h"
#include "ledger/index.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/contract_rules.h"
#include "ledger/refund_rules.h"
#include "ledger/rule_support.h"

namespace fundtrail {
namespace {

using schema::Entry;
using namespace rules;

// ---- per-kind checks ------------------------------------------------------

void party_registered(Txn& txn, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  signers_are_admins(txn, sigs, false);
  auto p = body.getPartyRegistered();
  std::string id = str(p.getId());
  if (id == "ledger" || find_party(txn, id)) fail(2, "party id " + quoted(id) + " is already registered");
  auto optional_party = [&](capnp::Text::Reader t, const char* what) {
    if (t.size()) need_party(txn, str(t), what);
  };
  optional_party(p.getControlledBy(), "controlled-by");
  optional_party(p.getParent(), "parent");
  bool collaborative = p.getKind() == schema::PartyKind::COLLABORATIVE;
  if (p.getMembers().size() && !collaborative) fail(2, "only a collaborative has members");
  std::set<std::string> members;
  for (auto m : p.getMembers()) {
    need_party(txn, str(m), "member");
    if (!members.insert(str(m)).second) fail(2, "member " + quoted(str(m)) + " named twice");
  }
  bool pool = p.getKind() == schema::PartyKind::POOL;
  auto terms = p.getPoolTerms();
  bool has_terms = p.hasPoolTerms() &&
                   (terms.getLegalBasis().size() || terms.getHost().size() || terms.getShares().size() || terms.getPlaceCode().size());
  if (has_terms && !pool) fail(2, "only a pool has pool terms (legal basis, host, shares, place)");
  if (has_terms) {
    optional_party(terms.getHost(), "host");
    uint32_t total = 0;
    std::set<std::string> sharers;
    for (auto s : terms.getShares()) {
      need_party(txn, str(s.getParty()), "share");
      if (!sharers.insert(str(s.getParty())).second) fail(2, "share party " + quoted(str(s.getParty())) + " named twice");
      if (s.getBasisPoints() < 1 || s.getBasisPoints() > 10000) fail(2, "a share must be between 0.01% and 100%");
      total += s.getBasisPoints();
    }
    if (total > 10000) fail(2, "agreed shares add up to more than 100%");
  }
  std::set<std::string> seen;
  for (auto o : p.getOrgIds()) {
    std::string lower = ascii_lower(str(o));
    if (!seen.insert(lower).second) fail(2, "org id " + quoted(str(o)) + " given twice");
    if (auto owner = txn.get(txn.dbs().orgids, lower))
      fail(2, "org id " + quoted(str(o)) + " already belongs to party " + quoted(std::string(*owner)));
  }
  for (auto& lower : seen) txn.put(txn.dbs().orgids, lower, id);
  PartyState state;
  state.id = id;
  state.kind = p.getKind();
  state.budget_limited = p.getBudgetLimited();
  state.registered_at = seq;
  put_party(txn, state);
}

void key_granted(Txn& txn, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  signers_are_admins(txn, sigs, false);
  auto g = body.getKeyGranted();
  std::string party = str(g.getParty());
  need_party(txn, party, "");
  if (g.getPublicKey().size() != 32) fail(2, "a public key is 32 bytes");
  PublicKey key = key_of(g.getPublicKey());
  if (active_grant(txn, party, key)) fail(2, "key " + short_key(key) + " is already granted to " + quoted(party));
  bool admin = g.getRole() == schema::Role::ADMINISTRATOR;
  if (admin && party != "ledger") fail(2, "the administrator role acts for the ledger itself: grant it to party 'ledger'");
  if (party == "ledger" && !admin && g.getRole() != schema::Role::AUDITOR)
    fail(2, "party 'ledger' takes only administrator or auditor keys");
  Grant grant{party, key, g.getRole(), seq, false, 0};
  txn.put(txn.dbs().grants, index::grant_key(party, key), index::grant_value(grant));
}

size_t active_admins(const Txn& txn) {
  Cursor cur(txn, txn.dbs().grants);
  std::string prefix = index::grant_prefix("ledger");
  size_t count = 0;
  for (bool more = cur.seek(prefix); more; more = cur.next()) {
    if (cur.key().substr(0, prefix.size()) != prefix) break;
    Grant g = index::read_grant(cur.key(), cur.value());
    count += !g.revoked && g.role == schema::Role::ADMINISTRATOR;
  }
  return count;
}

void key_revoked(Txn& txn, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  signers_are_admins(txn, sigs, false);
  auto r = body.getKeyRevoked();
  std::string party = str(r.getParty());
  if (r.getPublicKey().size() != 32) fail(2, "a public key is 32 bytes");
  PublicKey key = key_of(r.getPublicKey());
  auto g = active_grant(txn, party, key);
  if (!g) fail(2, "key " + short_key(key) + " holds no active grant for " + quoted(party));
  if (g->role == schema::Role::ADMINISTRATOR && active_admins(txn) <= 1)
    fail(2, "this is the ledger's last administrator key: grant another before revoking it");
  g->revoked = true;
  g->revoked_at = seq;
  txn.put(txn.dbs().grants, index::grant_key(party, key), index::grant_value(*g));
}

void contribution(Txn& txn, const LedgerFacts& facts, const MoneyAt& at, Entry::Body::Reader body, SigList sigs) {
  auto c = body.getContribution();
  std::string from = str(c.getFrom()), to = str(c.getTo());
  PartyState payer = need_party(txn, from, "contributing");
  PartyState pool = need_party(txn, to, "receiving");
  if (pool.kind != schema::PartyKind::POOL) fail(2, "contributions go into pools; " + quoted(to) + " is not a pool");
  if (payer.kind == schema::PartyKind::POOL) fail(2, "a pool cannot contribute to a pool; pay it instead");
  if (from == to) fail(2, "a party cannot contribute to itself");
  check_amount(c.getAmount(), c.getCurrency(), facts);
  signers_act_for(txn, from, sigs, false);
  move_money(txn, facts, payer, -c.getAmount(), at);
  move_money(txn, facts, pool, c.getAmount(), at);
}

void payment(Txn& txn, const LedgerFacts& facts, const MoneyAt& at, Entry::Body::Reader body, SigList sigs) {
  uint64_t seq = at.seq;
  auto p = body.getPayment();
  std::string from = str(p.getFrom()), to = str(p.getTo());
  bool refund = p.getMechanism() == schema::Mechanism::REFUND;
  PartyState payer = need_party(txn, from, "paying");
  PartyState payee = need_party(txn, to, "receiving");
  if (from == to) fail(2, "a party cannot pay itself");
  if (payee.kind == schema::PartyKind::POOL && !refund)  // a refund goes back to whoever paid, a pool included
    fail(2, quoted(to) + " is a pool: money goes into a pool by 'contribute'");
  if (from == "ledger" || to == "ledger") fail(2, "party 'ledger' neither pays nor receives money");
  if (p.getFundedBy().isEntry()) {
    uint64_t src = p.getFundedBy().getEntry();
    auto rec = src < seq ? read_record(txn, src) : std::nullopt;
    if (!rec || !is_money(rec->entry().getBody()))
      fail(2, "funded-by seq " + std::to_string(src) + " is not an earlier contribution or payment");
  }
  check_amount(p.getAmount(), p.getCurrency(), facts);
  if (refund) {
    refund_rules(txn, facts, payer, payee, p, sigs);  // rules 1, 5 and 12 with the payee acting
  } else {
    signers_act_for(txn, from, sigs, false);
    if (p.getAmount() >= facts.dual_control_threshold && sigs.size() < 2)
      fail(5, "a payment of " + format_money(p.getAmount(), facts.exponent) + " is at or above the dual-control threshold " +
                  format_money(facts.dual_control_threshold, facts.exponent) + ": it needs a second key of " +
                  quoted(from) + " (pay ... --key OFFICER_KEY --key SECOND_KEY)");
  }
  payment_rules(txn, facts, seq, p);
  move_money(txn, facts, payer, -p.getAmount(), at);
  move_money(txn, facts, payee, p.getAmount(), at);
  add_flow(txn, p, +1);
}

void responsibility_assigned(Txn& txn, Entry::Body::Reader body, SigList sigs) {
  auto r = body.getResponsibilityAssigned();
  std::string accountable = str(r.getAccountable());
  need_party(txn, accountable, "accountable");
  if (r.getResponsible().size() == 0) fail(2, "at least one responsible party is needed");
  std::set<std::string> seen;
  for (auto t : r.getResponsible()) {
    need_party(txn, str(t), "responsible");
    if (!seen.insert(str(t)).second) fail(2, "responsible party " + quoted(str(t)) + " named twice");
  }
  if (r.getStartDate() && r.getEndDate() && r.getStartDate() > r.getEndDate()) fail(2, "the assignment ends before it starts");
  signers_act_for_or_admin(txn, accountable, sigs);
}

void responsibility_ended(Txn& txn, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  auto e = body.getResponsibilityEnded();
  uint64_t target = e.getAssignmentSeq();
  auto rec = target < seq ? read_record(txn, target) : std::nullopt;
  if (!rec || rec->entry().getBody().which() != Entry::Body::RESPONSIBILITY_ASSIGNED)
    fail(2, "seq " + std::to_string(target) + " is not a responsibility assignment");
  if (txn.get(txn.dbs().ended, index::seq_key(target))) fail(2, "assignment " + std::to_string(target) + " has already ended");
  signers_act_for_or_admin(txn, str(rec->entry().getBody().getResponsibilityAssigned().getAccountable()), sigs);
  txn.put(txn.dbs().ended, index::seq_key(target), index::seq_key(seq));
}

void reversal(Txn& txn, const LedgerFacts& facts, uint64_t seq, int64_t recorded_at, Entry::Body::Reader body, SigList sigs) {
  auto r = body.getReversal();
  uint64_t target = r.getTargetSeq();
  auto rec = target < seq ? read_record(txn, target) : std::nullopt;
  if (!rec) fail(7, "seq " + std::to_string(target) + " does not exist");
  auto tbody = rec->entry().getBody();
  if (!is_money(tbody)) fail(7, "seq " + std::to_string(target) + " is not a contribution or payment (a reversal cannot be reversed)");
  if (auto by = txn.get(txn.dbs().reversed, index::seq_key(target)))
    fail(7, "seq " + std::to_string(target) + " was already reversed by seq " +
                std::to_string(index::read_seq(*by, "reversed index value")));
  // The acting party of the record reversed: a refund's is its payee.
  std::string actor = tbody.which() != Entry::Body::PAYMENT ? str(tbody.getContribution().getFrom())
                      : tbody.getPayment().getMechanism() == schema::Mechanism::REFUND ? str(tbody.getPayment().getTo())
                                                                                       : str(tbody.getPayment().getFrom());
  signers_act_for(txn, actor, sigs, false);
  // The original recipient pays the amount back; rule 4 applies to it as to any payment.
  // By value date it goes back once both the reversal and its target count.
  MoneyAt at{seq, std::max(utc_day(recorded_at), money_day(rec->entry(), rec->leaf().getRecordedAt()))};
  for (auto& e : money_effects(rec->entry())) move_money(txn, facts, e.party, -e.delta, at);
  if (tbody.which() == Entry::Body::PAYMENT) {
    reverse_payment_rules(txn, target, tbody.getPayment());
    add_flow(txn, tbody.getPayment(), -1);
  }
  txn.put(txn.dbs().reversed, index::seq_key(target), index::seq_key(seq));
}

}  // namespace

// ---- public ---------------------------------------------------------------

void check_signatures(std::span<const uint8_t> entry, SigList sigs) {
  if (sigs.size() == 0) fail(1, "the record carries no signature");
  for (unsigned i = 0; i < sigs.size(); ++i) {
    auto s = sigs[i];
    if (s.getPublicKey().size() != 32 || s.getEd25519().size() != 64)
      fail(1, "signature " + std::to_string(i) + " has a malformed key or signature length");
    if (i > 0) {
      auto prev = sigs[i - 1].getPublicKey();
      if (std::memcmp(prev.begin(), s.getPublicKey().begin(), 32) >= 0)
        fail(1, "signatures must be sorted by public key with no key twice");
    }
    if (crypto_sign_verify_detached(s.getEd25519().begin(), entry.data(), entry.size(), s.getPublicKey().begin()) != 0)
      fail(1, "signature by key " + short_key(key_of(s.getPublicKey())) + " does not verify over the entry");
  }
}

LedgerFacts apply_genesis(Txn& txn, Entry::Reader entry, SigList sigs) {
  auto body = entry.getBody();
  if (body.which() != Entry::Body::GENESIS) fail(2, "record 0 must be genesis");
  auto g = body.getGenesis();
  if (g.getFormatVersion() < kOldestFormatVersion || g.getFormatVersion() > kFormatVersion)
    unusable("genesis has format version " + std::to_string(g.getFormatVersion()) + "; this fundtrail reads versions " +
             std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion));
  LedgerFacts facts;
  facts.format_version = g.getFormatVersion();
  facts.origin = str(g.getOrigin());
  facts.currency = str(g.getCurrency());
  facts.exponent = currency_exponent(facts.currency);
  facts.dual_control_threshold = g.getDualControlThreshold();
  if (facts.origin.empty() || facts.origin != str(entry.getOrigin())) fail(8, "genesis origin must be set and match the entry's origin");
  if (facts.origin.find_first_of(" +\n") != std::string::npos) fail(2, "the origin names a signed-note key: no spaces, '+' or newlines");
  if (facts.exponent < 0) fail(3, "unknown ISO 4217 currency " + quoted(facts.currency));
  if (facts.dual_control_threshold <= 0) fail(5, "the dual-control threshold must be positive");
  if (g.getLogPublicKey().size() != 32) fail(2, "the log public key is 32 bytes");
  facts.log_key = key_of(g.getLogPublicKey());
  if (g.getAdminKeys().size() == 0) fail(2, "genesis names no administrator key");
  std::set<PublicKey> admins;
  for (auto k : g.getAdminKeys()) {
    if (k.size() != 32) fail(2, "an administrator key is 32 bytes");
    if (!admins.insert(key_of(k)).second) fail(2, "administrator key given twice");
  }
  for (auto s : sigs)
    if (!admins.count(key_of(s.getPublicKey()))) fail(1, "genesis is signed by a key that is not one of its administrators");
  PartyState ledger;
  ledger.id = "ledger";
  ledger.kind = schema::PartyKind::OFFICE;
  put_party(txn, ledger);
  for (auto& k : admins)
    txn.put(txn.dbs().grants, index::grant_key("ledger", k), index::grant_value({"ledger", k, schema::Role::ADMINISTRATOR, 0, false, 0}));
  return facts;
}

void check_and_apply(Txn& txn, const LedgerFacts& facts, uint64_t seq, int64_t recorded_at, Entry::Reader entry, SigList sigs) {
  auto body = entry.getBody();
  switch (body.which()) {
    case Entry::Body::GENESIS: fail(2, "only record 0 is genesis");
    case Entry::Body::PARTY_REGISTERED: return party_registered(txn, seq, body, sigs);
    case Entry::Body::KEY_GRANTED: return key_granted(txn, seq, body, sigs);
    case Entry::Body::KEY_REVOKED: return key_revoked(txn, seq, body, sigs);
    case Entry::Body::CONTRIBUTION: return contribution(txn, facts, {seq, money_day(entry, recorded_at)}, body, sigs);
    case Entry::Body::PAYMENT: return payment(txn, facts, {seq, money_day(entry, recorded_at)}, body, sigs);
    case Entry::Body::RESPONSIBILITY_ASSIGNED: return responsibility_assigned(txn, body, sigs);
    case Entry::Body::RESPONSIBILITY_ENDED: return responsibility_ended(txn, seq, body, sigs);
    case Entry::Body::REVERSAL: return reversal(txn, facts, seq, recorded_at, body, sigs);
    case Entry::Body::PARTY_STATUS_CHANGED: return party_status_changed(txn, seq, body, sigs);
    case Entry::Body::CONTRACT_AGREED: return contract_agreed(txn, facts, seq, body, sigs);
    case Entry::Body::CONTRACT_VARIED: return contract_varied(txn, facts, seq, body, sigs);
    case Entry::Body::CONTRACT_ENDED: return contract_ended(txn, seq, body, sigs);
    case Entry::Body::BATCH:  // its records are checked one by one with the batch's signers (ledger/batch.h)
      refuse("format", "body", std::nullopt, "a payment run (batch) is appended together with its records");
  }
  unusable("record " + std::to_string(seq) + " has a body kind this fundtrail does not know");
}

std::vector<MoneyEffect> money_effects(Entry::Reader entry) {
  auto body = entry.getBody();
  if (body.which() == Entry::Body::CONTRIBUTION) {
    auto c = body.getContribution();
    return {{str(c.getFrom()), -c.getAmount()}, {str(c.getTo()), c.getAmount()}};
  }
  if (body.which() == Entry::Body::PAYMENT) {
    auto p = body.getPayment();
    return {{str(p.getFrom()), -p.getAmount()}, {str(p.getTo()), p.getAmount()}};
  }
  return {};
}

}  // namespace fundtrail
