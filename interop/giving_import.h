// import --format 360giving: from a 360Giving file to the signed requests an
// import appends (cli/cmd_import.cpp signs, batches and reports them).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "interop/import_job.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"

namespace fundtrail::interop {

// The job, and for --rejects each request's grant (rows: one per grant or
// unreadable record, cells {place, identifier}; registrations have no row).
struct GivingImport : RowsImport {
  size_t grants = 0;
  std::map<std::string, int64_t> amount;  // per currency, minor units, every grant in the file
  std::vector<std::string> new_parties;   // party ids registered by this import
  std::vector<std::string> unused;        // columns / fields not used, for the report
};

// Reads FILE (.json as JSON, .csv as CSV, otherwise by its first character),
// checks every grant, matches parties by org id and builds: first a
// partyRegistered for each new recipient, signed by `admin` (an active
// administrator key; a usage error when needed and absent), then one
// payment (mechanism grant) or contribution per grant, signed by the given
// officer key of its funder and, at or above the dual-control threshold, a
// second key of the funder. Idempotency keys: "360giving:<grant id>",
// "360giving-party:<org id>" and "360giving-individual:<id>" (lower case).
// Nothing is written. Usage errors name the line (or grants[N]) and grant id.
// With `keep_going`, a grant that cannot be read or planned is listed in
// `unreadable` instead of stopping the import.
GivingImport prepare_giving_import(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys,
                                   const KeyPair* admin, bool keep_going = false);

}  // namespace fundtrail::interop
