// The live state of a contract, kept in the ledger's `contracts` index and
// updated in the same transaction as the records that change it. Its stored
// layout is in ledger/index.h (index::contract_value / read_contract).
#pragma once
#include <cstdint>
#include <string>

namespace fundtrail {

struct ContractState {
  std::string reference;
  uint64_t seq = 0;           // its contractAgreed
  std::string payer, payee, parent;
  int64_t cap = 0;            // 0: no cap (as last varied)
  int64_t paid = 0;           // paid under it, reversals deducted
  uint32_t start = 0, end = 0;  // YYYYMMDD; end 0: open
  bool ended = false;
  uint64_t schedule_seq = 0;  // record holding the current price schedule
  uint64_t changed_at = 0;    // the last contractAgreed, contractVaried or contractEnded of it
};

}  // namespace fundtrail
