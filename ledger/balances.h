// Balances as of a point in the past, replayed from the records: the
// reference for the balance history index (Ledger::balance_at answers from
// it, and replays through these for a ledger made before it).
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include "ledger/ledger.h"

namespace fundtrail {

// Balance of every party registered in records [0, size), `ledger` included.
std::map<std::string, int64_t> balances_at_size(const Ledger& ledger, uint64_t size);

// Money with a value date on or before `yyyymmdd`; a reversal counts from the
// UTC day it was recorded, since that is when the money went back.
std::map<std::string, int64_t> balances_at_date(const Ledger& ledger, uint32_t yyyymmdd);

// UTC calendar day (YYYYMMDD) of a Unix-ms timestamp.
uint32_t utc_day(int64_t unix_ms);

// The day a record's money counts from in balances_at_date: a contribution's
// or payment's value date; any other record's (or one with no value date)
// UTC day of `recorded_at`, its recordedAt. A reversal counts once both it
// and its target count: from the later of their days.
uint32_t money_day(schema::Entry::Reader entry, int64_t recorded_at);

}  // namespace fundtrail
