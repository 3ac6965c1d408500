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

// A row of the file and what became of it.
struct SpendRow {
  size_t line = 0;
  std::vector<std::string> cells;  // as read (UTF-8)
};

struct SpendImport {
  ImportJob job;                   // registrations, payments, refunds
  std::vector<long> row_of;        // per request: index into `rows`, -1 for a registration
  std::vector<SpendRow> rows;      // every row read (blank rows are not)
  std::vector<std::pair<size_t, std::string>> unreadable;  // row index, reason (with keep_going)
  size_t skipped = 0;              // rows a `skip` rule dropped
  size_t registrations = 0;        // requests that register a payee
  int64_t total_minor = 0;         // payments minus refunds, of the rows recorded or to be
};

// Reads FILE through RULES. Payees are matched by org id, then by exact name
// among parties without one; a payee not yet in the ledger is registered with
// `admin` (refused without it). A row that cannot be read (a wrong number of
// cells, an unreadable date or amount, a zero amount, no payee) is a usage
// error naming its line, unless `keep_going`: then it is listed in
// `unreadable`. Nothing is written.
SpendImport prepare_spend_import(const std::string& path, const std::string& rules_path, const Ledger& ledger,
                                 const std::vector<KeyPair>& keys, const KeyPair* admin, bool keep_going);

// A rejects file: each rejected row's original cells, then its line number and
// the reason, as CSV (the header: the file's columns as `fields` names them,
// then "line" and "reason").
std::string spend_rejects_csv(const std::vector<std::string>& fields,
                              const std::vector<std::pair<const SpendRow*, std::string>>& rejects);

}  // namespace fundtrail::interop
