// Balances as of a point in the past, replayed from the records (the live
// balances are in the ledger's index; these answer "--as-of").
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

}  // namespace fundtrail
