// How records read to people (one-line summaries) and to scripts (JSON).
#pragma once
#include <nlohmann/json.hpp>

#include <string>

#include "ledger/ledger.h"

namespace fundtrail::cli {

// {"seq","recorded_at","kind","leaf_hash","prev_hash","origin","created_at",
//  "idempotency_key","body":{...},"signatures":[{"public_key"}]}: amounts as
// decimal text plus "*_minor" integers, dates as YYYY-MM-DD, keys in base64.
nlohmann::json record_json(const Record& rec, const LedgerFacts& facts);

// "payment riverside-pool -> ace-integrator 1250.00 GBP block 2025-04-01"
std::string record_summary(const Record& rec, const LedgerFacts& facts);
// The same for an Entry not yet recorded (a request's body).
std::string entry_summary(schema::Entry::Reader entry, const LedgerFacts& facts);

// Parties a record names (for `log --party`).
std::vector<std::string> record_parties(const Record& rec);

}  // namespace fundtrail::cli
