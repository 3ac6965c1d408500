// What `contract show` reports: a contract's money against its cap and
// schedule, replayed from the records.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "ledger/ledger.h"

namespace fundtrail {

struct MilestoneTotals {
  uint64_t outcomes = 0;
  int64_t amount = 0;
  uint64_t payments = 0;
};

struct ContractReport {
  ContractState state;
  std::string subject;
  schema::IntegratorModel model = schema::IntegratorModel::UNSPECIFIED;
  int64_t paid = 0;                 // not reversed
  int64_t remaining = -1;           // under the cap; -1 when there is no cap
  uint64_t payments = 0;
  // (milestone, group) -> outcomes and money
  std::map<std::pair<std::string, std::string>, MilestoneTotals> milestones;
  int64_t outcome_paid = 0;         // milestone payments: payable only on outcomes
  int64_t prefinanced = 0;          // the payer's own money ahead of the parent's outcome payments
  int64_t passed_through = 0;       // money passed down from the parent contract
  std::string prefinanced_by;       // the payer, when prefinanced > 0
  int64_t management_fees = 0;
  // Share of the money paid that was payable only on outcomes, in basis points.
  int64_t outcome_share_bp() const { return paid ? static_cast<int64_t>((static_cast<__int128>(outcome_paid) * 10000) / paid) : 0; }
};

// Throws Error(unusable) when the reference is unknown.
ContractReport contract_report(const Ledger& ledger, const std::string& reference);

}  // namespace fundtrail
