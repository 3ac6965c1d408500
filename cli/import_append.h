// How an import's requests reach the ledger, after the whole file was
// checked: in payment runs (the default since format version 2: one signed
// batch record per chunk of at most 10,000 requests, its records unsigned) or
// with per-record signatures (--per-record-signatures, and every version-1
// ledger). Both append in transactions of at most 10,000 requests, in file
// order, and name a refused request's place in the file.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "interop/import_job.h"
#include "ledger/ledger.h"

namespace fundtrail::cli {

constexpr size_t kImportChunk = 10000;  // one transaction; a run holds at most this many records

// What an import recorded. Rows only: registrations (row_of < 0) are counted
// apart and never as already recorded.
struct ImportCounts {
  size_t recorded = 0, already = 0, registered = 0;
  std::optional<uint64_t> first, last;                  // records (never a batch record)
  std::vector<std::pair<size_t, std::string>> refused;  // request index, why (keeping going)
  size_t run_count = 0;                                 // payment runs written by this import
  std::vector<RunAppended> runs;                        // the first kShownRuns of them
};
constexpr size_t kShownRuns = 200;

// Signs every request with its own signers on every core (per-record form).
void sign_each(interop::ImportJob& job);

// Per-record form: appends the signed requests in transactions of
// kImportChunk, all or nothing per transaction, or with `keep_going` each
// request on its own (a refusal is a value, the others are recorded).
ImportCounts append_signed(Ledger& ledger, const interop::ImportJob& job, const std::vector<long>& row_of,
                           bool keep_going);

// Payment runs: per chunk, the requests whose keys are not yet recorded, in
// one run signed once by each of their signers (deduplicated). Without
// `keep_going` a refusal stops the import naming the row; with it, requests a
// rule would refuse (Ledger::dry_run_each) are left out as refused and the
// rest go in the run, falling back to append_each for the chunk when the
// state moved in between. The job's requests need not be signed.
ImportCounts append_runs(Ledger& ledger, const interop::ImportJob& job, const std::vector<long>& row_of,
                         bool keep_going);

// A refusal of request `index` (or of the transaction starting at `start`
// when index is none) re-thrown naming the row's place in the file and what
// was written: "(nothing from this file was written ...)" for the first
// transaction, "(rows before ... were recorded ...)" after.
[[noreturn]] void throw_at_row(const interop::ImportJob& job, size_t start, std::optional<size_t> index,
                               const Error& e, const std::string& detail);

}  // namespace fundtrail::cli
