#include "ledger/contract_report.h"

namespace fundtrail {
namespace {

using schema::Entry;
std::string s(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

// Who was meant to bear a milestone: the financer in the row of the schedule
// held by record `schedule_seq` (the one in force when the payment was made).
std::optional<schema::FinancedBy> row_financer(const Ledger& ledger, uint64_t schedule_seq, const std::string& milestone,
                                               const std::string& group) {
  Record rec(ledger.leaf(schedule_seq));
  auto b = rec.entry().getBody();
  auto rows = b.which() == Entry::Body::CONTRACT_AGREED ? b.getContractAgreed().getSchedule() : b.getContractVaried().getSchedule();
  for (auto r : rows)
    if (s(r.getMilestone()) == milestone && s(r.getGroup()) == group) return r.getFinancedBy();
  return std::nullopt;
}

}  // namespace

ContractReport contract_report(const Ledger& ledger, const std::string& reference) {
  auto state = ledger.contract(reference);
  if (!state) throw Error(ErrorKind::unusable, "no contract with reference '" + reference + "' (see 'fundtrail contract list')");
  ContractReport r;
  r.state = *state;
  Record agreed(ledger.leaf(state->seq));
  r.subject = s(agreed.entry().getBody().getContractAgreed().getSubject());
  r.model = agreed.entry().getBody().getContractAgreed().getModel();
  uint64_t schedule_seq = state->seq;  // the schedule in force as the records are replayed
  ledger.for_each(state->seq + 1, ledger.size(), [&](uint64_t seq, std::span<const uint8_t> bytes) {
    Record rec(bytes);
    auto b = rec.entry().getBody();
    if (b.which() == Entry::Body::CONTRACT_VARIED && b.getContractVaried().getReplaceSchedule() &&
        s(b.getContractVaried().getReference()) == reference)
      schedule_seq = seq;
    if (b.which() != Entry::Body::PAYMENT) return true;
    auto p = b.getPayment();
    if (p.getContractSeq() != state->seq || ledger.is_reversed(seq)) return true;
    r.paid += p.getAmount();
    ++r.payments;
    if (p.getMechanism() == schema::Mechanism::MANAGEMENT_FEE) r.management_fees += p.getAmount();
    if (p.getMechanism() != schema::Mechanism::MILESTONE) {
      if (p.getFundedBy().isEntry()) r.passed_through += p.getAmount();
      return true;
    }
    auto& m = r.milestones[{s(p.getMilestone()), s(p.getGroup())}];
    m.outcomes += p.getOutcomeCount();
    m.amount += p.getAmount();
    ++m.payments;
    r.outcome_paid += p.getAmount();
    // funded-by says where the money came from; without it, the schedule says who was meant to bear it.
    auto fb = p.getFundedBy();
    bool own = fb.isOwn() || fb.isLoan();
    bool parent = fb.isEntry();
    if (fb.isUnspecified() && !state->parent.empty()) {
      auto financer = row_financer(ledger, schedule_seq, s(p.getMilestone()), s(p.getGroup()));
      own = financer == schema::FinancedBy::PAYER;
      parent = financer == schema::FinancedBy::PARENT;
    }
    if (own) r.prefinanced += p.getAmount();
    if (parent) r.passed_through += p.getAmount();
    return true;
  });
  if (r.prefinanced) r.prefinanced_by = state->payer;
  r.remaining = state->cap > 0 ? state->cap - r.paid : -1;
  return r;
}

}  // namespace fundtrail
