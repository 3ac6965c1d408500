// What an import (a fundtrail CSV file, a 360Giving file) asks the ledger to
// record: entries built but not yet signed, who signs each, and where in the
// file each came from. cli/cmd_import.cpp signs, appends and reports a job.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/request.h"

namespace fundtrail::interop {

struct ImportJob {
  std::vector<SignedRequest> requests;
  std::vector<std::vector<const KeyPair*>> signers;  // per request, officer first
  std::vector<std::string> where;                    // per request: "line 7", "line 7, grant 360G-x-1"
};

// Which of the given keys act for which party, by the ledger's unrevoked
// officer and approver grants now; each party's officers come first (the
// first signer of a record must be an officer).
using ActingKeys = std::map<std::string, std::vector<std::pair<const KeyPair*, schema::Role>>>;
ActingKeys acting_keys(const Ledger& ledger, const std::vector<KeyPair>& keys);

// The signer's clock for the entries an import builds (Unix ms).
int64_t import_clock_ms();

// An import of a file of rows (the plain CSV import, published spending):
// the requests, which row each came from, and the rows it could not read.
struct SourceRow {
  size_t line = 0;
  std::vector<std::string> cells;  // as read (UTF-8)
};
struct RowsImport {
  ImportJob job;
  std::vector<long> row_of;        // per request: index into `rows`, -1 when it is no row's (a registration)
  std::vector<SourceRow> rows;     // every row read (blank rows are not)
  std::vector<std::pair<size_t, std::string>> unreadable;  // row index, reason (when keeping going)
  std::vector<std::string> header; // a name per column, for a rejects file
  size_t skipped = 0;              // rows a rule dropped
};

// A rejects file: each rejected row's original cells, then its line number and
// the reason, as CSV (the header: `header`'s names, then "line" and "reason").
std::string rejects_csv(const std::vector<std::string>& header,
                        const std::vector<std::pair<const SourceRow*, std::string>>& rejects);

// A party as the ledger holds it now.
struct KnownParty {
  std::string id;
  schema::PartyKind kind = schema::PartyKind::OTHER;
  std::vector<std::string> org_ids;  // as registered
  std::string name;                  // as registered
};
// Every registered party, with the name and org ids its registration gave.
std::vector<KnownParty> known_parties(const Ledger& ledger);

// The keys among `acting` that sign payment `p`: an officer key of its acting
// party (the payer; for a refund, the payee that receives it), a second key
// of it at or above `threshold`, and for a refund an officer key of the payer
// when one is given (rule 12 asks for it when the payer holds keys). Throws
// Error(unusable), prefixed with `where`, when the keys given cannot sign it.
std::vector<const KeyPair*> payment_signers(const ActingKeys& acting, const spec::Payment& p, int64_t threshold,
                                            const std::string& where);

}  // namespace fundtrail::interop
