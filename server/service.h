// The HTTP API of `fundtrail serve` (DESIGN.md "Serving a partnership", firm
// shapes): POST /v1/entries (a signed request or a payment run) through the
// group committer, and the reads a remote officer's look-ups and a mirror
// need. Statuses follow the refusal
// (ledger/error.h http_status): 201 recorded, 200 retried, 400, 409, 413,
// 422, 429 (the guard), 500 (index, checkpoint), 503 (read-only, disk).
//
// Thread safety: handlers run on the server's workers. Reads take
// `ledger_lock` shared and writes (the committer, the checkpointer) take it
// exclusively, because growing the LMDB map needs no read transaction open
// in the process.
#pragma once
#include <httplib.h>

#include <shared_mutex>

#include "ledger/ledger.h"
#include "server/committer.h"

namespace fundtrail::server {

// Registers every route on `http`. `committer` null: read-only (writes 503).
void add_routes(httplib::Server& http, Ledger& ledger, GroupCommitter* committer, std::shared_mutex& ledger_lock);

// The body of an answer to POST /v1/entries, and its status.
struct Answer {
  int status = 500;
  std::string body;
};
Answer answer_of(const AppendOutcome& outcome);
// A payment run's: 201 {"seq", "first", "last"}, 200 with "retried": true,
// or the refusal of the whole run.
Answer answer_of(const RunOutcome& outcome);

}  // namespace fundtrail::server
