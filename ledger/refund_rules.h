// Refunds (internal to ledger/): who signs one (rules 1 and 5 with the payee
// as the acting party) and rule 12 (DESIGN.md "Rules"), and the flows index
// rule 12 reads. Enforced here and only here on the writer's side; the
// verifier re-checks them in verifier/rules.cpp.
#pragma once
#include "ledger/rule_support.h"

namespace fundtrail::rules {

// Rules 1, 5 and 12 for a refund from `payer` to `payee` (parties already
// known): every signer holds an officer or approver key of the payee (one an
// officer) or an officer key of the payer; two distinct payee keys at or
// above the dual-control threshold; the payer is neither a pool nor budget
// limited and, if it holds any key, one of its officer keys co-signs; the
// refund is under no contract and claims no outcome; and the refunds from
// payer to payee stay within what the payee paid the payer.
void refund_rules(const Txn& txn, const LedgerFacts& facts, const PartyState& payer, const PartyState& payee,
                  schema::Payment::Reader p, SigList sigs);

// Adds a payment (sign +1) or its reversal (sign -1) to the flows index.
void add_flow(Txn& txn, schema::Payment::Reader p, int sign);

// Fills the flows index from the records: a ledger made before it had one.
void rebuild_flows(Txn& txn);

// Whether `party` holds any unrevoked key grant.
bool holds_any_key(const Txn& txn, const std::string& party);

}  // namespace fundtrail::rules
