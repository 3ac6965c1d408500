// The fundtrail ledger: an append-only, hash-chained, signed log in LMDB.
//
//   Ledger::create(dir, genesis_request)   a new ledger from a signed genesis (request.h)
//   Ledger::open(dir)                      an existing one (format checked)
//   ledger.append(request)                 validate rules 1-8 and write, or refuse
//   ledger.root(n), inclusion_proof(...)   RFC 6962 tree over the stored leaves
//
// Every append is one LMDB write transaction holding the record, its tree
// hashes and the derived indexes: it commits whole or not at all. Refusals
// throw Error(refused) whose message starts "rule N:"; environment problems
// throw Error(unusable). See docs/rules.md for the rules to the letter.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger/contracts.h"
#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/record.h"

namespace fundtrail {

// The format `init` writes: 2 since payment runs (batches). A ledger whose
// genesis says 1 is still read and appended to, with per-record signatures.
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kOldestFormatVersion = 1;

struct LedgerFacts {  // from genesis
  std::string origin;
  std::string currency;
  int exponent = 2;
  int64_t dual_control_threshold = 0;
  PublicKey log_key{};
  uint32_t format_version = kFormatVersion;  // the genesis's: batches only from 2
};

struct PartyState {
  std::string id;
  schema::PartyKind kind = schema::PartyKind::OTHER;
  bool budget_limited = false;
  int64_t balance = 0;       // received - paid, reversals applied
  uint64_t registered_at = 0;  // seq of its partyRegistered (0 for `ledger`)
};

struct Grant {
  std::string party;
  PublicKey key{};
  schema::Role role = schema::Role::OFFICER;
  uint64_t granted_at = 0;
  bool revoked = false;
  uint64_t revoked_at = 0;  // the keyRevoked record, when revoked
};

// One partyStatusChanged: `status` from date `from` (YYYYMMDD), recorded at `seq`.
struct StatusChange {
  std::string party;
  uint32_t from = 0;
  uint64_t seq = 0;
  schema::PartyStatus status = schema::PartyStatus::ACTIVE;
};

// A derived database that differs from what the records imply
// (Ledger::check_indexes): counts of keys missing, extra and changed, and the
// first differing key, as hex.
struct IndexDifference {
  std::string database;  // "idem", "parties", "tree", "meta", ...
  uint64_t missing = 0, extra = 0, changed = 0;
  std::string first_key_hex;
};
struct IndexCheck {
  uint64_t records = 0;
  std::vector<IndexDifference> differences;  // empty: every index agrees
};
using IndexProgress = std::function<void(uint64_t done, uint64_t total)>;

// A point in the ledger's past for Ledger::balance_at: right after record
// `seq`, or (by_date) money counting from `date` (YYYYMMDD) or earlier, as
// balances_at_date (ledger/balances.h) counts it: a reversal from the later
// of the UTC day it was recorded and its target's value date.
struct BalancePoint {
  bool by_date = false;
  uint64_t seq = 0;
  uint32_t date = 0;
  static BalancePoint after(uint64_t seq) { return {false, seq, 0}; }
  static BalancePoint on(uint32_t yyyymmdd) { return {true, 0, yyyymmdd}; }
};

// A payment run's outcome: the batch record's seq and its records' first and
// last; `retried` when the same batch was recorded before.
struct RunAppended {
  uint64_t seq = 0, first = 0, last = 0;
  bool retried = false;
};

// Ledger::append_runs: the runs recorded, in order, and the first refused.
struct RunsOutcome {
  std::vector<RunAppended> done;
  std::optional<Error> refused;  // run done.size() of the list, when one was refused
};

struct Appended {
  uint64_t seq = 0;
  Hash leaf_hash{};
  bool retried = false;  // the idempotency key was already recorded with this body
};

// One request's outcome in Ledger::append_each: appended (or retried), or refused.
struct AppendOutcome {
  std::optional<Appended> appended;
  std::optional<Error> refused;
};

// A request whose stateless checks passed: every field, the limits, the
// canonical form and each signature. Only Ledger::precheck makes one, so
// nothing unchecked reaches append_each; a server runs those checks on its
// request threads, before any lock, while earlier groups commit.
class CheckedRequest {
 public:
  const SignedRequest& request() const { return request_; }

 private:
  friend class Ledger;
  explicit CheckedRequest(SignedRequest request) : request_(std::move(request)) {}
  SignedRequest request_;
};

class Ledger {
 public:
  // Creates DIR (empty or absent) with the signed genesis as record 0.
  static Ledger create(const std::string& dir, const SignedRequest& genesis);
  // A mirror (`fundtrail mirror`): creates DIR holding `genesis_leaf`, a
  // source's record 0 exactly as it is, checked as the writer checks one.
  // A bad record is Error(refused) (exit 1).
  static Ledger create_replica(const std::string& dir, std::span<const uint8_t> genesis_leaf);
  // Opens DIR; refuses a newer format or a directory that is not a ledger.
  static Ledger open(const std::string& dir, bool read_only = false);
  ~Ledger();
  Ledger(Ledger&&) noexcept;

  const LedgerFacts& facts() const;
  const std::string& dir() const;

  Appended append(const SignedRequest& request);
  // All or nothing: one transaction; a refusal names the request's index.
  std::vector<Appended> append_batch(const std::vector<SignedRequest>& requests);
  // A payment run (DESIGN.md "Payment runs"): the signed batch entry and its
  // records' Entry bytes, appended in one transaction or not at all. The
  // batch's key is checked first: the same batch again is a retry. A record
  // whose key the ledger already holds refuses the whole run (rule 6, naming
  // the seq), as does any record a rule refuses (the error names the record:
  // "record 3 of the run: "). Rules 1 and 5 for each record are met by the
  // batch's signers (ledger/batch.h). Refused (check format) in a ledger of
  // format version 1. Signatures and fields are checked on every core first.
  RunAppended append_run(const BatchRequest& run);
  // Payment runs in order, each checked as append_run, with the stateless
  // checks of the next run made on another thread while this one is written:
  // a bulk import's pipeline. Consecutive runs holding at most
  // kMaxBatchRecords records in all share one write transaction (each run
  // nested in it, so a refused run is undone alone). Stops at the first
  // refusal, the runs before it recorded; throws only what stops every run
  // (the environment, check `checkpoint`).
  RunsOutcome append_runs(const std::vector<BatchRequest>& runs);
  // Group commit (DESIGN.md "Serving a partnership"): each request validated
  // in order against the state the earlier ones leave, in one durable write
  // transaction; a refused request is left out (a nested transaction undoes
  // whatever it began) and does not spoil the others. Signatures are checked
  // on every core first. Throws only for what stops the whole group (the
  // environment, check `checkpoint`).
  std::vector<AppendOutcome> append_each(const std::vector<SignedRequest>& requests);
  // The same for requests already prechecked (their signatures are not
  // verified again); the ledger rules are checked here as for any append.
  std::vector<AppendOutcome> append_each(const std::vector<CheckedRequest>& requests);
  // What append_each would answer for `requests` now, in one write
  // transaction that is always aborted: nothing is written. For a dry run,
  // which has not signed: signatures are not verified (each request lists
  // its signers' public keys, with any signature bytes); every other check,
  // every ledger rule against the current state included, is made.
  std::vector<AppendOutcome> dry_run_each(const std::vector<SignedRequest>& requests);
  // The stateless checks of one request (what append checks before any
  // ledger state: fields, limits, canonical form, signatures); throws the
  // Error append would. Needs no ledger; safe from any thread.
  static CheckedRequest precheck(SignedRequest request);

  uint64_t size() const;
  Bytes leaf(uint64_t seq) const;
  Hash leaf_hash(uint64_t seq) const;
  // Calls fn for seq in [from, to) until it returns false; one read snapshot.
  void for_each(uint64_t from, uint64_t to, const std::function<bool(uint64_t, std::span<const uint8_t>)>& fn) const;

  Hash root(uint64_t size) const;
  std::vector<Hash> inclusion_proof(uint64_t index, uint64_t size) const;
  std::vector<Hash> consistency_proof(uint64_t old_size, uint64_t new_size) const;
  uint64_t subtree_reads() const;
  // The stored hash of the complete subtree at (level, index): tiles read these.
  Hash subtree_hash(unsigned level, uint64_t index) const;  // stored hashes read so far (for tests of O(log n))

  std::optional<PartyState> party(const std::string& id) const;
  std::vector<PartyState> parties() const;  // sorted by id bytewise
  std::vector<Grant> grants() const;
  std::optional<Grant> grant(const std::string& party, const PublicKey& key) const;
  // Every status change of `party`, by date then seq: the last one not after
  // a date is the status in force at that date (rule 11).
  std::vector<StatusChange> status_changes(const std::string& party) const;
  // The responsibilityEnded record that ended assignment `seq`, if any.
  std::optional<uint64_t> assignment_ended_by(uint64_t seq) const;
  std::optional<uint64_t> find_idempotency_key(const std::string& key) const;
  bool is_reversed(uint64_t seq) const;
  std::optional<ContractState> contract(const std::string& reference) const;
  std::vector<ContractState> contracts() const;  // by reference

  // Balances as of a point in the past (`balance --as-of`), read from the
  // balance history index: one seek per party for a seq, a scan of its value
  // days for a date. Equal, party for party, to the replays of
  // ledger/balances.h, which answer instead for a ledger made before the
  // index until `reindex` adds it (keeps_balance_history false). A seq at
  // or past size() is unusable (Error). balance_at: nullopt when `party` is
  // not registered at that point (after(seq): registered by record seq; on(date):
  // registered at all). balances_at: every party registered then, `ledger` included.
  std::optional<int64_t> balance_at(const std::string& party, const BalancePoint& at) const;
  std::map<std::string, int64_t> balances_at(const BalancePoint& at) const;
  bool keeps_balance_history() const;

  // A mirror's catch-up: appends `leaves` as records size().. exactly as the
  // source stored them, each checked as the writer checked it when it was
  // appended (chain, signatures, every rule), and requires the tree of
  // `size` records then to have `root` (the source's signed checkpoint). All
  // or nothing, in one transaction: a record that does not follow, or a root
  // that differs, is Error(refused) (exit 1) and the mirror keeps what it had.
  void replicate(const std::vector<Bytes>& leaves, uint64_t size, const Hash& root);

  // The derived indexes against what the records imply, rebuilt in a
  // temporary directory under `tmp_parent` through the writer's own rules;
  // writes nothing to the ledger. A record that fails its chain or rules is
  // unusable (Error; run fundtrail-verify).
  IndexCheck check_indexes(const std::string& tmp_parent, const IndexProgress& progress = {}) const;
  // Rebuilds every derived index the same way and, in one write transaction,
  // replaces them; entries, checkpoints and the format are kept. Refuses
  // (check "checkpoint") when the rebuilt tree conflicts with an issued
  // checkpoint. Returns what differed before.
  IndexCheck reindex(const std::string& tmp_parent, const IndexProgress& progress = {});

  // Issued checkpoints (signed notes) by tree size, kept beside the records.
  // Refuses (check "checkpoint", exit 2) a note that is not a checkpoint of
  // this tree at `size`, one inconsistent with the largest checkpoint issued,
  // or one whose body differs from the checkpoint already stored for `size`:
  // an issued checkpoint is never replaced (issued_checkpoints.h). append and
  // append_batch refuse likewise when the tree no longer extends the largest.
  void store_checkpoint(uint64_t size, const std::string& note);
  std::vector<std::pair<uint64_t, std::string>> checkpoints() const;
  // The checkpoint of the largest size issued, if any (one read, not a scan).
  std::optional<std::pair<uint64_t, std::string>> latest_checkpoint() const;

 private:
  // The group's write transaction, after the stateless checks (`errors`).
  std::vector<AppendOutcome> append_each_checked(const std::vector<const SignedRequest*>& requests,
                                                 const std::vector<std::optional<Error>>& errors);
  struct Impl;
  explicit Ledger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Money moved by a record: (party, signed delta). Used by the rules and by
// as-of replays so balances are derived in one place.
struct MoneyEffect {
  std::string party;
  int64_t delta;
};
std::vector<MoneyEffect> money_effects(schema::Entry::Reader entry);

}  // namespace fundtrail
