#include "ledger/contract_rules.h"

#include <set>

#include "ledger/contracts.h"
#include "ledger/index.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail {
namespace rules {
namespace {

using schema::Entry;

std::optional<ContractState> find_contract(const Txn& txn, const std::string& ref) {
  auto v = txn.get(txn.dbs().contracts, ref);
  if (!v) return std::nullopt;
  return index::read_contract(ref, *v);
}

ContractState need_contract(const Txn& txn, const std::string& ref, int rule) {
  auto c = find_contract(txn, ref);
  if (!c) fail(rule, "no contract with reference " + quoted(ref) + " (see 'fundtrail contract list')");
  return *c;
}

void put_contract(Txn& txn, const ContractState& c) { txn.put(txn.dbs().contracts, c.reference, index::contract_value(c)); }

void check_schedule(capnp::List<schema::ScheduleRow>::Reader rows, bool has_parent) {
  std::set<std::pair<std::string, std::string>> seen;
  for (auto r : rows) {
    if (r.getUnitPrice() <= 0) fail(2, "schedule row " + quoted(str(r.getMilestone())) + " needs a positive unit price");
    if (!seen.insert({str(r.getMilestone()), str(r.getGroup())}).second)
      fail(2, "schedule row " + quoted(str(r.getMilestone())) + " / group " + quoted(str(r.getGroup())) + " given twice");
    if (r.getFinancedBy() == schema::FinancedBy::PARENT && !has_parent)
      fail(2, "schedule row " + quoted(str(r.getMilestone())) + " is financed by the parent contract, but the contract has no parent");
  }
}

// The rows of the contract's current schedule.
Record schedule_record(const Txn& txn, const ContractState& c) {
  auto rec = read_record(txn, c.schedule_seq);
  if (!rec) unusable("contract " + c.reference + "'s schedule record is missing; the ledger is damaged");
  return std::move(*rec);
}

capnp::List<schema::ScheduleRow>::Reader rows_of(const Record& rec) {
  auto b = rec.entry().getBody();
  return b.which() == Entry::Body::CONTRACT_AGREED ? b.getContractAgreed().getSchedule() : b.getContractVaried().getSchedule();
}

// Contracts in the chain from `c` up to its head contract, `c` included. No
// stored chain is longer than kMaxContractDepth (contract_agreed refuses a
// deeper one), so a longer walk means a damaged index, never a silent stop.
size_t chain_depth(const Txn& txn, const ContractState& c) {
  size_t depth = 1;
  for (std::string up = c.parent; !up.empty(); ++depth) {
    if (depth >= kMaxContractDepth) refuse("index", "", std::nullopt, "contract chain above " + quoted(c.reference) +
                                                                   " is longer than any the writer records; run fundtrail-verify");
    auto p = find_contract(txn, up);
    if (!p) break;
    up = p->parent;
  }
  return depth;
}

// Is `a` an ancestor of `b`, or `b` itself, through parent links?
bool on_chain_above(const Txn& txn, const std::string& a, std::string b) {
  for (size_t depth = 0; !b.empty(); ++depth) {
    if (depth >= kMaxContractDepth) refuse("index", "", std::nullopt, "contract chain above " + quoted(b) +
                                                                   " is longer than any the writer records; run fundtrail-verify");
    if (a == b) return true;
    auto c = find_contract(txn, b);
    if (!c) return false;
    b = c->parent;
  }
  return false;
}

// Rule 11: the status in force for `party` at `date`, from the statuses index.
schema::PartyStatus status_at(const Txn& txn, const std::string& party, uint32_t date) {
  Cursor cur(txn, txn.dbs().statuses);
  std::string prefix = index::status_prefix(party);
  schema::PartyStatus status = schema::PartyStatus::ACTIVE;
  for (bool more = cur.seek(prefix); more; more = cur.next()) {
    if (cur.key().substr(0, prefix.size()) != prefix) break;
    index::StatusChange change = index::read_status(cur.key(), cur.value());
    if (change.from > date) break;  // keys sort by date, then seq: the last one not after `date` wins
    status = change.status;
  }
  return status;
}

}  // namespace

void contract_agreed(Txn& txn, const LedgerFacts&, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  auto c = body.getContractAgreed();
  std::string ref = str(c.getReference());
  if (c.getEndDate() && c.getEndDate() < c.getStartDate()) fail(2, "the contract ends before it starts");
  if (find_contract(txn, ref)) fail(2, "contract reference " + quoted(ref) + " is already used");
  std::string payer = str(c.getPayer()), payee = str(c.getPayee()), parent = str(c.getParent());
  need_party(txn, payer, "paying");
  PartyState to = need_party(txn, payee, "receiving");
  if (payer == payee) fail(2, "a contract needs two different parties");
  if (payer == "ledger" || payee == "ledger") fail(2, "party 'ledger' holds no contracts");
  if (to.kind == schema::PartyKind::POOL) fail(2, quoted(payee) + " is a pool: pools receive contributions, not contract payments");
  if (c.getCap() < 0) fail(2, "the cap cannot be negative");
  if (c.getHasFeeCap() && c.getFeeCapBasisPoints() > 10000) fail(2, "a fee cap is at most 100%");
  if (!parent.empty()) {
    ContractState p = need_contract(txn, parent, 2);
    if (p.payee != payer)
      fail(2, "parent contract " + quoted(parent) + " pays " + quoted(p.payee) + ", not this contract's payer " + quoted(payer));
    if (chain_depth(txn, p) >= kMaxContractDepth)
      refuse("limits", "parent", std::nullopt,
             "contract " + quoted(ref) + " would make its chain of parent contracts " +
                 std::to_string(kMaxContractDepth + 1) + " deep; a chain holds at most " + std::to_string(kMaxContractDepth));
  }
  check_schedule(c.getSchedule(), !parent.empty());
  signers_act_for(txn, payer, sigs, false);
  ContractState state;
  state.reference = ref;
  state.seq = seq;
  state.payer = payer;
  state.payee = payee;
  state.parent = parent;
  state.cap = c.getCap();
  state.start = c.getStartDate();
  state.end = c.getEndDate();
  state.schedule_seq = seq;
  state.changed_at = seq;
  put_contract(txn, state);
}

void contract_varied(Txn& txn, const LedgerFacts& facts, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  auto v = body.getContractVaried();
  ContractState c = need_contract(txn, str(v.getReference()), 2);
  if (c.ended) fail(2, "contract " + quoted(c.reference) + " has ended and cannot be varied");
  if (v.getNewCap() < 0) fail(2, "the cap cannot be negative");
  if (v.getNewCap() > 0 && v.getNewCap() < c.paid)
    fail(2, "the new cap " + format_money(v.getNewCap(), facts.exponent) + " is below what was already paid, " +
                format_money(c.paid, facts.exponent));
  if (v.getNewEndDate() && v.getNewEndDate() < c.start) fail(2, "the new end date is before the contract's start");
  if (v.getReplaceSchedule()) check_schedule(v.getSchedule(), !c.parent.empty());
  else if (v.getSchedule().size()) fail(2, "schedule rows are given without replacing the schedule");
  signers_act_for(txn, c.payer, sigs, false);
  if (v.getNewCap() > 0) c.cap = v.getNewCap();
  if (v.getNewEndDate()) c.end = v.getNewEndDate();
  if (v.getReplaceSchedule()) c.schedule_seq = seq;
  c.changed_at = seq;
  put_contract(txn, c);
}

void contract_ended(Txn& txn, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  auto e = body.getContractEnded();
  ContractState c = need_contract(txn, str(e.getReference()), 2);
  if (c.ended) fail(2, "contract " + quoted(c.reference) + " has already ended");
  std::string successor = str(e.getSuccessor());
  if (e.getReason() == schema::EndReason::TRANSFERRED) {
    if (successor.empty()) fail(2, "a transferred contract names its successor (--to PARTY)");
    need_party(txn, successor, "successor");
  } else if (!successor.empty()) {
    fail(2, "only a transferred contract names a successor");
  }
  signers_act_for(txn, c.payer, sigs, false);
  c.ended = true;
  c.changed_at = seq;
  put_contract(txn, c);
}

void party_status_changed(Txn& txn, uint64_t seq, Entry::Body::Reader body, SigList sigs) {
  signers_are_admins(txn, sigs, false);
  auto s = body.getPartyStatusChanged();
  std::string party = str(s.getParty());
  if (party == "ledger") fail(2, "party 'ledger' has no status");
  need_party(txn, party, "");
  txn.put(txn.dbs().statuses, index::status_key(party, s.getFrom(), seq), index::status_value(s.getStatus()));
}

void payment_rules(Txn& txn, const LedgerFacts& facts, uint64_t seq, schema::Payment::Reader p) {
  std::string from = str(p.getFrom()), to = str(p.getTo()), milestone = str(p.getMilestone()), group = str(p.getGroup());
  // Rule 11: a failed or exited party receives only rescue money.
  schema::PartyStatus status = status_at(txn, to, p.getValueDate());
  if (status != schema::PartyStatus::ACTIVE && p.getMechanism() != schema::Mechanism::SUPPORT)
    fail(11, quoted(to) + " has status " + name_of(status) + " at " + format_date(p.getValueDate()) +
                 ": it may receive only 'support' (rescue money)");

  std::set<std::string> claims;
  for (auto c : p.getClaimIds())
    if (!claims.insert(str(c)).second) fail(10, "claim id " + quoted(str(c)) + " appears twice in one payment");
  if (!claims.empty() && p.getOutcomeCount() != claims.size())
    fail(10, "the outcome count " + std::to_string(p.getOutcomeCount()) + " differs from the " +
                 std::to_string(claims.size()) + " claim ids given");
  if (p.getContractSeq() == 0) return;

  // Rule 9: the contract's parties, dates, end and cap; the schedule for milestones.
  auto rec = p.getContractSeq() < seq ? read_record(txn, p.getContractSeq()) : std::nullopt;
  if (!rec || rec->entry().getBody().which() != Entry::Body::CONTRACT_AGREED)
    fail(9, "seq " + std::to_string(p.getContractSeq()) + " is not a contract");
  ContractState c = need_contract(txn, str(rec->entry().getBody().getContractAgreed().getReference()), 9);
  if (from != c.payer || to != c.payee)
    fail(9, "contract " + quoted(c.reference) + " is between " + quoted(c.payer) + " and " + quoted(c.payee) + ", not " +
                quoted(from) + " and " + quoted(to));
  if (c.ended) fail(9, "contract " + quoted(c.reference) + " has ended: no payment may be recorded under it");
  if (p.getValueDate() < c.start || (c.end && p.getValueDate() > c.end))
    fail(9, "value date " + format_date(p.getValueDate()) + " is outside contract " + quoted(c.reference) + " (" +
                format_date(c.start) + " to " + (c.end ? format_date(c.end) : "open") + ")");
  int64_t paid;
  if (!add_money(c.paid, p.getAmount(), paid)) fail(9, "the total paid under the contract would overflow");
  if (c.cap > 0 && paid > c.cap)
    fail(9, "paying " + format_money(p.getAmount(), facts.exponent) + " would take contract " + quoted(c.reference) +
                " to " + format_money(paid, facts.exponent) + ", over its cap of " + format_money(c.cap, facts.exponent));
  if (p.getMechanism() == schema::Mechanism::MILESTONE) {
    Record sched = schedule_record(txn, c);
    bool matched = false;
    for (auto row : rows_of(sched)) {
      if (str(row.getMilestone()) != milestone || str(row.getGroup()) != group) continue;
      matched = true;
      __int128 due = static_cast<__int128>(p.getOutcomeCount()) * row.getUnitPrice();
      if (due != p.getAmount())
        fail(9, "milestone " + quoted(milestone) + (group.empty() ? "" : " for group " + quoted(group)) + " pays " +
                    format_money(row.getUnitPrice(), facts.exponent) + " per outcome: " + std::to_string(p.getOutcomeCount()) +
                    " outcomes make " +
                    (due > INT64_MAX ? std::string("more than the largest amount") : format_money(static_cast<int64_t>(due), facts.exponent)) +
                    ", not " + format_money(p.getAmount(), facts.exponent));
    }
    if (!matched)
      fail(9, "contract " + quoted(c.reference) + "'s schedule has no row for milestone " + quoted(milestone) +
                  (group.empty() ? " without a group" : " and group " + quoted(group)));
  }
  // Rule 10: each (claim, milestone) once per contract, and only along one chain of contracts.
  for (auto& claim : claims) {
    std::string key = index::claim_key(claim, milestone);
    auto prior = txn.get(txn.dbs().claims, key);
    auto list = prior ? index::read_claims(*prior) : std::vector<index::PaidClaim>{};
    for (auto& [ref, pseq] : list) {
      if (ref == c.reference)
        fail(10, "claim " + quoted(claim) + " for milestone " + quoted(milestone) + " was already paid under contract " +
                     quoted(ref) + " at seq " + std::to_string(pseq));
      if (!on_chain_above(txn, ref, c.reference) && !on_chain_above(txn, c.reference, ref))
        fail(10, "claim " + quoted(claim) + " for milestone " + quoted(milestone) + " was already paid under contract " +
                     quoted(ref) + " (seq " + std::to_string(pseq) + "), which is not on this contract's chain: one outcome, two budgets");
    }
    list.push_back({c.reference, seq});
    txn.put(txn.dbs().claims, key, index::claims_value(list));
  }
  c.paid = paid;
  put_contract(txn, c);
}

void reverse_payment_rules(Txn& txn, uint64_t target_seq, schema::Payment::Reader p) {
  if (p.getContractSeq() == 0) return;
  auto rec = read_record(txn, p.getContractSeq());
  if (!rec) unusable("contract record missing; the ledger is damaged");
  ContractState c = need_contract(txn, str(rec->entry().getBody().getContractAgreed().getReference()), 9);
  c.paid -= p.getAmount();
  put_contract(txn, c);
  for (auto claim : p.getClaimIds()) {
    std::string key = index::claim_key(str(claim), str(p.getMilestone()));
    auto prior = txn.get(txn.dbs().claims, key);
    if (!prior) continue;
    auto list = index::read_claims(*prior);
    std::erase_if(list, [&](auto& e) { return e.seq == target_seq; });
    if (list.empty()) txn.del(txn.dbs().claims, key);
    else txn.put(txn.dbs().claims, key, index::claims_value(list));
  }
}

}  // namespace rules
}  // namespace fundtrail
