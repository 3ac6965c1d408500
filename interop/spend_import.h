// import --format spend: a council's published spending CSV (DESIGN.md
// "Loading published spending"), read through a rules file
// (interop/spend_rules.h), turned into the requests an import appends:
// registrations of payees not yet in the ledger, then the file's payments,
// then its refunds (credit notes), so rule 12 sees every payment first.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "interop/import_job.h"

namespace fundtrail::interop {

// The job holds registrations, then payments, then refunds; `header` is the
// rules' `fields`; `skipped` counts rows a `skip` rule dropped.
struct SpendImport : RowsImport {
  size_t registrations = 0;  // requests that register a payee
};

// Reads FILE through RULES. Payees are matched by org id, then by exact name
// among parties without one; a payee not yet in the ledger is registered with
// `admin` (refused without it). A row that cannot be read (a wrong number of
// cells, an unreadable date or amount, a zero amount, no payee) is a usage
// error naming its line, unless `keep_going`: then it is listed in
// `unreadable`. Nothing is written.
SpendImport prepare_spend_import(const std::string& path, const std::string& rules_path, const Ledger& ledger,
                                 const std::vector<KeyPair>& keys, const KeyPair* admin, bool keep_going);

}  // namespace fundtrail::interop
