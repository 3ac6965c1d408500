#include "ledger/refund_rules.h"

#include "ledger/index.h"
#include "ledger/money.h"

namespace fundtrail::rules {
namespace {

index::Flow flow_of(const Txn& txn, const std::string& payer, const std::string& payee) {
  auto v = txn.get(txn.dbs().flows, index::flow_key(payer, payee));
  return v ? index::read_flow(*v) : index::Flow{};
}

}  // namespace

bool holds_any_key(const Txn& txn, const std::string& party) {
  Cursor cur(txn, txn.dbs().grants);
  std::string prefix = party + '\0';
  for (bool more = cur.seek(prefix); more && cur.key().substr(0, prefix.size()) == prefix; more = cur.next())
    if (!index::read_grant(cur.key(), cur.value()).revoked) return true;
  return false;
}

void refund_rules(const Txn& txn, const LedgerFacts& facts, const PartyState& payer, const PartyState& payee,
                  schema::Payment::Reader p, SigList sigs) {
  // Rule 1: the payee receives the money back and signs for it; the payer's
  // officer may co-sign (rule 12 asks for it when the payer holds keys).
  size_t payee_keys = 0;
  bool payee_officer = false, payer_cosigned = false;
  for (auto s : sigs) {
    PublicKey key = key_of(s.getPublicKey());
    auto g = active_grant(txn, payee.id, key);
    if (g && (g->role == schema::Role::OFFICER || g->role == schema::Role::APPROVER)) {
      ++payee_keys;
      payee_officer |= g->role == schema::Role::OFFICER;
      continue;
    }
    auto h = active_grant(txn, payer.id, key);
    if (h && h->role == schema::Role::OFFICER) {
      payer_cosigned = true;
      continue;
    }
    fail(1, "key " + short_key(key) + " holds no valid officer or approver grant for " + quoted(payee.id) +
                " (a refund is signed by the party that receives the money back) nor an officer grant for " +
                quoted(payer.id));
  }
  if (!payee_officer)
    fail(1, "a refund is signed by an officer of the party that receives it, " + quoted(payee.id) +
                " (an approver only co-signs)");
  // Rule 5, with the payee as the acting party.
  if (p.getAmount() >= facts.dual_control_threshold && payee_keys < 2)
    fail(5, "a refund of " + format_money(p.getAmount(), facts.exponent) + " is at or above the dual-control threshold " +
                format_money(facts.dual_control_threshold, facts.exponent) + ": it needs a second key of " +
                quoted(payee.id) + ", the party receiving it");
  // Rule 12.
  if (payer.kind == schema::PartyKind::POOL) fail(12, "a refund is never drawn from a pool (" + quoted(payer.id) + ")");
  if (payer.budget_limited)
    fail(12, "a refund is never drawn from a budget-limited party (" + quoted(payer.id) + "); record a payment by it instead");
  if (p.getContractSeq() != 0 || p.getClaimIds().size() != 0 || p.getOutcomeCount() != 0)
    fail(12, "a refund is paid under no contract and claims no outcome");
  if (!payer_cosigned && holds_any_key(txn, payer.id))
    fail(12, quoted(payer.id) + " holds keys in this ledger, so a refund from it is co-signed by one of its officers");
  index::Flow back = flow_of(txn, payer.id, payee.id), paid = flow_of(txn, payee.id, payer.id);
  int64_t after = 0;
  if (!add_money(back.refunded, p.getAmount(), after) || after > paid.paid)
    fail(12, "refunds from " + quoted(payer.id) + " to " + quoted(payee.id) + " would come to " +
                 (after ? format_money(after, facts.exponent) : std::string("more")) + ", above the " +
                 format_money(paid.paid, facts.exponent) + " that " + quoted(payee.id) + " paid " + quoted(payer.id) +
                 " (net of reversals)");
}

void rebuild_flows(Txn& txn) {
  std::vector<std::pair<uint64_t, uint64_t>> reversals;  // reversal seq, target seq
  {
    Cursor cur(txn, txn.dbs().entries);
    for (bool more = cur.first(); more; more = cur.next()) {
      Record rec({reinterpret_cast<const uint8_t*>(cur.value().data()), cur.value().size()});
      auto body = rec.entry().getBody();
      if (body.isPayment()) add_flow(txn, body.getPayment(), +1);
      if (body.isReversal()) reversals.push_back({index::read_seq(cur.key(), "entries key"), body.getReversal().getTargetSeq()});
    }
  }
  for (auto [seq, target] : reversals) {
    auto rec = read_record(txn, target);
    if (rec && rec->entry().getBody().isPayment()) add_flow(txn, rec->entry().getBody().getPayment(), -1);
  }
}

void add_flow(Txn& txn, schema::Payment::Reader p, int sign) {
  std::string from = str(p.getFrom()), to = str(p.getTo());
  index::Flow f = flow_of(txn, from, to);
  int64_t& total = p.getMechanism() == schema::Mechanism::REFUND ? f.refunded : f.paid;
  int64_t next = 0;
  bool ok = sign > 0 ? add_money(total, p.getAmount(), next) : sub_money(total, p.getAmount(), next);
  if (!ok) fail(3, "the total paid from " + quoted(from) + " to " + quoted(to) + " would overflow");
  total = next;
  txn.put(txn.dbs().flows, index::flow_key(from, to), index::flow_value(f));
}

}  // namespace fundtrail::rules
