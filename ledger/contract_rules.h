// Rules 9-11 (internal to ledger/): contracts, claims paid once, failed
// parties. Each rule is enforced here and only here on the writer's side.
#pragma once
#include "ledger/rule_support.h"

namespace fundtrail::rules {

void contract_agreed(Txn& txn, const LedgerFacts& facts, uint64_t seq, schema::Entry::Body::Reader body, SigList sigs);
void contract_varied(Txn& txn, const LedgerFacts& facts, uint64_t seq, schema::Entry::Body::Reader body, SigList sigs);
void contract_ended(Txn& txn, uint64_t seq, schema::Entry::Body::Reader body, SigList sigs);
void party_status_changed(Txn& txn, uint64_t seq, schema::Entry::Body::Reader body, SigList sigs);

// Rules 9, 10 and 11 for a payment (its own fields already checked), and
// their effects: the contract's paid total and the claims index.
void payment_rules(Txn& txn, const LedgerFacts& facts, uint64_t seq, schema::Payment::Reader p);

// Undoes a reversed payment's effects on its contract and claims.
void reverse_payment_rules(Txn& txn, uint64_t target_seq, schema::Payment::Reader p);

}  // namespace fundtrail::rules
