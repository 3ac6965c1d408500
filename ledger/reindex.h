// Rebuilding the derived indexes from `entries` (internal to ledger/; the
// public face is Ledger::check_indexes and Ledger::reindex). DESIGN.md
// "Storage": every database but entries and checkpoints (and meta's format)
// is derived from the records, so it can be rebuilt, and compared with what
// the records imply, without trusting what is stored.
//
// The rebuild replays every record through the writer's own rules
// (apply_genesis, check_signatures, check_and_apply) into a fresh LMDB
// environment in a temporary directory, committed every 10,000 records, so a
// ledger of any size is rebuilt in bounded transactions.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "ledger/batch.h"
#include "ledger/index.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

namespace fundtrail {

// A record that does not follow from the ones before it: the chain, the
// signatures, a rule, a repeated idempotency key.
struct ReplayRefused : std::runtime_error {
  uint64_t seq;
  std::string why;
  ReplayRefused(uint64_t s, const std::string& w)
      : std::runtime_error("record " + std::to_string(s) + " " + w), seq(s), why(w) {}
};

// Checks record `seq` (its stored leaf bytes) as the writer checked it when it
// was appended -- seq, prevHash and recordedAt against `head`, signatures,
// every rule, idempotency -- applies it to the derived indexes in `txn` and
// writes the leaf as it is (the rebuild, a mirror). `batch` carries an open
// payment run from record to record; when it does not hold the run a record
// claims (a catch-up that starts inside a run, a transaction retried), the
// run so far is read back from `txn`'s records. Throws ReplayRefused, or
// MapFull like Txn::put.
void replay_record(Txn& txn, LedgerFacts& facts, index::Head& head, uint64_t seq, std::string_view leaf,
                   BatchReplay& batch);

// A fresh environment holding the records of `src` (read through one read
// transaction) and every index they imply, in a new directory under
// `tmp_parent`; removed with everything in it when destroyed. A record that
// fails its own chain or rules is unusable input (the entries themselves are
// damaged, which fundtrail-verify reports in full).
class Rebuilt {
 public:
  Rebuilt(const Txn& src, const std::string& tmp_parent, const std::function<void(uint64_t, uint64_t)>& progress);
  ~Rebuilt();
  Rebuilt(const Rebuilt&) = delete;
  Rebuilt& operator=(const Rebuilt&) = delete;
  const Env& env() const { return *env_; }
  uint64_t records() const { return records_; }

 private:
  std::string dir_;
  std::unique_ptr<Env> env_;
  uint64_t records_ = 0;
};

// Where the stored derived databases of `stored` differ from `rebuilt`'s
// (the balance history only where `stored` keeps it).
std::vector<IndexDifference> compare_derived(const Txn& stored, const Txn& rebuilt);

// Replaces every derived database of `stored` with `rebuilt`'s and marks the
// balance history kept; `stored` must have a history database (a ledger made
// before it: Env::add_history first). Throws MapFull like Txn::put (the
// caller grows the map and retries).
void replace_derived(Txn& stored, const Txn& rebuilt);

}  // namespace fundtrail
