// ledger-cli (https://ledger-cli.org), what finance officers use today: a
// plain-text journal equivalent to a fundtrail ledger's money, so the bench
// can time `ledger bal` over the same transactions fundtrail-verify checks.
#pragma once
#include <cstdint>
#include <string>

#include "ledger/ledger.h"

namespace fundtrail::bench {

// Writes one transaction per contribution and payment of `ledger` (value
// date, payee, two postings: `Assets:<to>  X.XX GBP` and `Assets:<from>
// -X.XX GBP`), amounts printed from minor units. Returns how many.
uint64_t write_ledger_cli_journal(const Ledger& ledger, const std::string& path);

// The full path of `name` on $PATH, or "" when it is not there.
std::string find_on_path(const std::string& name);

}  // namespace fundtrail::bench
