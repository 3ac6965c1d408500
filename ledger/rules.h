// The append rules (internal to ledger/). One place enforces each rule; the
// verifier re-derives them independently. Messages start "rule N: ".
#pragma once
#include <span>

#include "fundtrail.capnp.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

namespace fundtrail {

// Rule 1's first half, with no ledger state: signatures sorted, distinct,
// well-sized and valid over the entry bytes. Safe to run on worker threads.
void check_signatures(std::span<const uint8_t> entry_bytes, capnp::List<schema::Signature>::Reader sigs);

// Validates record `seq` (its signatures already checked) against the state
// in `txn`, and applies its effects to the derived indexes in `txn`.
// `recorded_at` is its recordedAt (ms): the balance history dates a reversal,
// and money with no value date, by the UTC day it was recorded.
void check_and_apply(Txn& txn, const LedgerFacts& facts, uint64_t seq, int64_t recorded_at, schema::Entry::Reader entry,
                     capnp::List<schema::Signature>::Reader sigs);

// Registers the genesis facts, party `ledger` and its administrator keys.
LedgerFacts apply_genesis(Txn& txn, schema::Entry::Reader entry, capnp::List<schema::Signature>::Reader sigs);

}  // namespace fundtrail
