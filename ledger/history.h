// The balance history index (internal to ledger/): what each party held after
// each record that moved its money, and the net of its money by the day it
// counts from, so `balance --as-of` reads a few keys instead of replaying
// every record (docs/decisions.md, "Issue 25: balance history index"). The
// layout is in ledger/index.h ("history"). Written by rules::move_money, the
// one place balances change, inside the append's transaction: the writer, a
// mirror's replay and reindex's rebuild all write it alike.
#pragma once
#include <cstdint>
#include <string_view>

#include "ledger/store.h"

namespace fundtrail::history {

// `party`'s balance moved by `delta` to `balance_after` at record `seq`, its
// money counting from `day` (YYYYMMDD). Kept in `txn`'s deferred writes and
// written, sorted, when the outermost transaction commits (a nested one that
// ends uncommitted takes its moves with it): Txn::commit throws MapFull like
// Txn::put, and refuses a malformed stored chunk. Nothing in a ledger that
// does not keep the history (Dbs::history_kept).
void record_move(Txn& txn, std::string_view party, uint64_t seq, uint32_t day, int64_t balance_after, int64_t delta);

// `party`'s balance right after record `seq`: one cursor seek in seq's epoch
// (2^16 records), and one in each earlier epoch while none holds a move of
// `party`. 0 before its first move. The history must be kept (Dbs::history_kept).
int64_t balance_after(const Txn& txn, std::string_view party, uint64_t seq);

// The sum of `party`'s money counting from `day` or earlier: a scan of its
// days up to `day`. Exact whenever that sum fits in 64 bits (the per-day nets
// are kept modulo 2^64). The history must be kept.
int64_t balance_on(const Txn& txn, std::string_view party, uint32_t day);

}  // namespace fundtrail::history
