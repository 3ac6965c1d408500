// import FILE.csv: fundtrail's own CSV columns (docs/import.md) turned into
// the requests an import appends. The header is
//   kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key
// (any order; kind, from, to, amount and date required); each row is a
// contribution or a payment.
#pragma once
#include <string>
#include <vector>

#include "interop/import_job.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"

namespace fundtrail::interop {

// Reads and checks the whole file, then builds one request per row, signed
// (later, by the caller) with an officer key of the row's payer among `keys`
// and, for a payment at or above the dual-control threshold, a second key of
// the payer. A row without an idempotency_key gets a derived one:
// "import-" + hex of SHA-256 of the file's name, the row's cells and how many
// identical rows came before it, so a corrected row is a new request and an
// inserted row changes no other key. Nothing is written. Errors (exit 2)
// name the file and line, or the line.
ImportJob prepare_csv_import(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys);

// The same, keeping each request's row: with `keep_going`, a row that cannot
// be read or signed is listed in `unreadable` instead of stopping the import
// (import --rejects).
RowsImport prepare_csv_rows(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys,
                            bool keep_going);

}  // namespace fundtrail::interop
