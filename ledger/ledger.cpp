#include "ledger/ledger.h"

#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <thread>
#include <unordered_set>

#include <kj/exception.h>

#include "ledger/assert.h"
#include "ledger/balances.h"
#include "ledger/batch.h"
#include "ledger/history.h"
#include "ledger/index.h"
#include "ledger/issued_checkpoints.h"
#include "ledger/leaf_chain.h"
#include "ledger/limits.h"
#include "ledger/merkle.h"
#include "ledger/refund_rules.h"
#include "ledger/reindex.h"
#include "ledger/money.h"
#include "ledger/rules.h"
#include "ledger/store.h"
#include "ledger/tree_store.h"
#include "ledger/validate.h"

namespace fundtrail {
namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::span<const uint8_t> as_span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

using index::Head;
using index::read_head;
using index::write_head;

// A request's Entry must be canonical (check `canonical`) and its fields of
// their schema types (check `format`): EntryView refuses both.
EntryView request_view(const SignedRequest& req, bool typed = true) { return EntryView(req.entry, typed); }

// Stateless checks of a request, safe on worker threads: every field of the
// Entry (ledger/validate.h), the signature list's size and, unless the caller
// checks them later, the signatures themselves.
void check_request(const SignedRequest& req, schema::Entry::Reader entry, bool at_genesis) {
  validate_entry(entry, at_genesis);
  if (req.signatures.size() > kMaxSignatures)
    refuse("limits", "signatures", std::nullopt,
           "the request carries " + std::to_string(req.signatures.size()) + " signatures; the limit is " +
               std::to_string(kMaxSignatures));
}

std::string text_of(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

// The same refusal, saying where it is: `where` is "request 3: ", ...
Error located(const std::string& where, const Error& e) {
  if (e.check.empty()) return Error(e.kind, where + e.what());
  return Error(e.check, e.field, e.seq, e.message, where);
}
// Which request of a batch a refusal is about.
Error in_request(size_t index, const Error& e) { return located("request " + std::to_string(index + 1) + ": ", e); }
// A payment run after its stateless checks (check_run_stateless, on every
// core): each record decoded, typed and validated once, with its request body
// hash where the idempotency index stores it, so the write lock is held only
// for what needs the ledger's state.
struct CheckedRun {
  std::vector<std::optional<EntryView>> views;
  std::vector<Hash> bodies;  // zero in a ledger whose idem values are the seq alone (Dbs::idem_seq_only)
  std::optional<size_t> first_repeat;  // the first record whose key an earlier record of the run holds
};

// Which record of a payment run a refusal is about.
Error in_run(size_t index, const Error& e) { return located("record " + std::to_string(index + 1) + " of the run: ", e); }

}  // namespace

struct Ledger::Impl {
  std::unique_ptr<Env> env;
  LedgerFacts facts;
  mutable std::atomic<uint64_t> subtree_reads{0};

  // A request whose key the idempotency index holds. The index is derived
  // and may be damaged, so the answer comes from the record it names: the
  // same key and body is a retry, the same key with another body is rule 6,
  // and a record with another key means the index lies (check "index").
  Appended answer_retry(const Txn& txn, const std::string& key, uint64_t seq, const Hash& body) {
    auto damaged = [&](const std::string& why) -> Appended {
      refuse("index", "idempotencyKey", seq,
             "the idempotency index names seq " + std::to_string(seq) + " for key '" + key + "', but " + why +
                 ": the index is damaged and nothing was written. Run 'fundtrail check', then 'fundtrail reindex'");
    };
    auto stored = txn.get(txn.dbs().entries, index::seq_key(seq));
    if (!stored) return damaged("the ledger has no such record");
    Hash stored_body;
    std::string stored_key;
    try {
      Record rec(as_span(*stored), false);
      stored_key = text_of(rec.entry().getIdempotencyKey());
      stored_body = request_body_hash(rec.entry());
    } catch (const kj::Exception&) {
      return damaged("that record cannot be read");
    } catch (const Error&) {
      return damaged("that record cannot be read");
    }
    if (stored_key != key) return damaged("that record holds key '" + stored_key + "'");
    if (stored_body != body)
      refuse("rule 6", "idempotencyKey", seq,
             "idempotency key '" + key + "' already holds a different request, seq " + std::to_string(seq));
    return {seq, fundtrail::leaf_hash(as_span(*stored)), true};
  }

  // Validates and writes one request inside `txn`. `verified`: signatures
  // already checked on a worker thread.
  Appended append_in(Txn& txn, Head& head, const SignedRequest& req, bool verified) {
    // A batch checked each request typed on every core before taking the
    // write lock (append_batch); doing it again here would serialise it.
    EntryView view = request_view(req, !verified);
    auto entry = view.entry();
    if (!verified) check_request(req, entry, false);
    if (text_of(entry.getOrigin()) != facts.origin)
      refuse("rule 8", "origin", std::nullopt,
             "the entry was signed for ledger '" + text_of(entry.getOrigin()) + "', not '" + facts.origin + "'");
    std::string key(entry.getIdempotencyKey().cStr(), entry.getIdempotencyKey().size());
    Hash body = request_body_hash(entry);
    if (auto prior = txn.get(txn.dbs().idem, key)) return answer_retry(txn, key, index::read_idem_seq(*prior), body);
    int64_t recorded_at = std::max(now_ms(), head.recorded_at);
    if (entry.getCreatedAt() > recorded_at + 300000)
      refuse("rule 8", "createdAt", std::nullopt,
             "the entry's createdAt is more than five minutes ahead of the ledger's clock; check the signer's clock");
    Bytes leaf = build_leaf(head.size, head.hash, recorded_at, req);
    if (leaf.size() > kMaxLeafBytes)
      refuse("limits", "", std::nullopt,
             "the record is " + std::to_string(leaf.size()) + " bytes; a record is at most 65535 bytes");
    Record rec(leaf, false);  // built just now from the entry checked above
    FT_ASSERT(rec.leaf().getSeq() == head.size && recorded_at >= head.recorded_at,
              "the leaf built for the head's seq carries another seq or an earlier clock");
    if (!verified) check_signatures(req.entry, rec.leaf().getSignatures());
    check_and_apply(txn, facts, head.size, recorded_at, entry, rec.leaf().getSignatures());
    Appended out{head.size, {}, false};
    txn.put(txn.dbs().idem, key, index::idem_value(head.size, body, txn.dbs().idem_seq_only));
    head.recorded_at = recorded_at;
    out.leaf_hash = write_leaf(txn, head, leaf);
    write_head(txn, head);
    return out;
  }

  // Validates and writes a payment run inside `txn` (DESIGN.md "Payment
  // runs"): its stateless checks passed (check_run_stateless, which made `checked`).
  RunAppended append_run_in(Txn& txn, Head& head, const BatchRequest& run, const CheckedRun& checked) {
    EntryView batch_view = request_view(run.batch, false);
    auto batch_entry = batch_view.entry();
    if (facts.format_version < kFirstBatchFormat)
      refuse("format", "body", std::nullopt,
             "this ledger has format version " + std::to_string(facts.format_version) +
                 ", made before payment runs: record each entry with its own signatures (--per-record-signatures)");
    if (text_of(batch_entry.getOrigin()) != facts.origin)
      refuse("rule 8", "origin", std::nullopt,
             "the payment run was signed for ledger '" + text_of(batch_entry.getOrigin()) + "', not '" + facts.origin + "'");
    std::string run_key = text_of(batch_entry.getIdempotencyKey());
    uint64_t count = batch_entry.getBody().getBatch().getCount();
    if (auto prior = txn.get(txn.dbs().idem, run_key)) {
      Appended again = answer_retry(txn, run_key, index::read_idem_seq(*prior), request_body_hash(batch_entry));
      return {again.seq, again.seq + 1, again.seq + count, true};
    }
    int64_t recorded_at = std::max(now_ms(), head.recorded_at);
    for (size_t i = 0; i < run.entries.size(); ++i) {
      try {
        auto entry = checked.views[i]->entry();
        if (text_of(entry.getOrigin()) != facts.origin)
          refuse("rule 8", "origin", std::nullopt, "the entry was signed for ledger '" + text_of(entry.getOrigin()) + "'");
        if (entry.getCreatedAt() > recorded_at + 300000)
          refuse("rule 8", "createdAt", std::nullopt,
                 "the entry's createdAt is more than five minutes ahead of the ledger's clock; check the signer's clock");
        std::string key = text_of(entry.getIdempotencyKey());
        if (auto prior = txn.get(txn.dbs().idem, key)) {
          uint64_t seq = index::read_idem_seq(*prior);
          refuse("rule 6", "idempotencyKey", seq,
                 "idempotency key '" + key + "' is already recorded, as seq " + std::to_string(seq) +
                     ": a payment run is recorded whole or not at all, so build runs from rows not yet recorded");
        }
      } catch (const Error& e) {
        throw in_run(i, e);
      } catch (const kj::Exception& e) {
        throw in_run(i, Error("format", "", std::nullopt, std::string("the entry cannot be decoded: ") + e.getDescription().cStr()));
      }
    }
    if (batch_entry.getCreatedAt() > recorded_at + 300000)
      refuse("rule 8", "createdAt", std::nullopt,
             "the payment run's createdAt is more than five minutes ahead of the ledger's clock; check the signer's clock");

    // The batch record, signed by the officers who approved the run.
    uint64_t batch_seq = head.size;
    Bytes batch_leaf = build_leaf(batch_seq, head.hash, recorded_at, run.batch);
    if (batch_leaf.size() > kMaxLeafBytes)
      refuse("limits", "", std::nullopt, "the payment run's record is " + std::to_string(batch_leaf.size()) + " bytes; a record is at most 65535 bytes");
    Record batch_rec(batch_leaf, false);
    BatchAuthority authority(batch_seq, batch_rec.leaf().getSignatures());
    txn.put(txn.dbs().idem, run_key, index::idem_value(batch_seq, request_body_hash(batch_entry), txn.dbs().idem_seq_only));
    head.recorded_at = recorded_at;
    write_leaf(txn, head, batch_leaf);

    // Its records, unsigned, each checked with the signers that act for it;
    // their leaves chained on another thread meanwhile.
    LeafChain chain(run.entries, head.size, head.hash, recorded_at, batch_seq);
    for (size_t i = 0; i < run.entries.size(); ++i) {
      try {
        auto entry = checked.views[i]->entry();
        uint64_t seq = head.size;
        check_and_apply(txn, facts, seq, recorded_at, entry, authority.signers_for(txn, entry));
        std::string key = text_of(entry.getIdempotencyKey());
        // Keys already in the ledger were refused above; a key repeated
        // within the run is refused here, where its second record comes.
        if (checked.first_repeat == i)
          refuse("rule 6", "idempotencyKey", std::nullopt, "idempotency key '" + key + "' is given twice in the run");
        txn.put(txn.dbs().idem, key, index::idem_value(seq, checked.bodies[i], txn.dbs().idem_seq_only));
        const LeafChain::Leaf& leaf = chain.at(i);
        FT_ASSERT(leaf.prev == head.hash, "a run's leaf was chained from another head than the ledger's");
        if (leaf.bytes.size() > kMaxLeafBytes)
          refuse("limits", "", std::nullopt, "the record is " + std::to_string(leaf.bytes.size()) + " bytes; a record is at most 65535 bytes");
        write_leaf(txn, head, leaf.bytes, leaf.hash);
      } catch (const Error& e) {
        throw in_run(i, e);
      } catch (const kj::Exception& e) {
        throw in_run(i, Error("format", "", std::nullopt, std::string("the entry cannot be decoded: ") + e.getDescription().cStr()));
      }
    }
    authority.check_every_signer_acted();
    FT_ASSERT(head.size == batch_seq + 1 + count, "a payment run wrote another number of records than its count");
    write_head(txn, head);
    return {batch_seq, batch_seq + 1, batch_seq + count, false};
  }

  template <class Fn>
  auto with_write(Fn&& fn) {
    if (env->read_only()) unusable("ledger '" + env->dir() + "' is opened read-only");
    for (int attempt = 0;; ++attempt) {
      try {
        std::optional<decltype(fn(std::declval<Txn&>()))> result;
        {
          Txn txn(*env, true);
          // Another process's reindex added the balance history since this
          // one opened the ledger: take it up, or appends would leave it out.
          if (env->history_current(txn)) {
            result.emplace(fn(txn));
            txn.commit();
          }
        }
        if (result) return std::move(*result);
        env->refresh_history();
      } catch (const MapFull&) {
        if (attempt >= 40) unusable("ledger '" + env->dir() + "': the LMDB map cannot grow further");
        env->grow();  // our transaction has ended; nothing of it was written
      }
    }
  }
};

Ledger::Ledger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ledger::~Ledger() = default;
Ledger::Ledger(Ledger&&) noexcept = default;

Ledger Ledger::create(const std::string& dir, const SignedRequest& genesis) {
  struct stat st;
  bool made_dir = false;
  if (::stat(dir.c_str(), &st) != 0) {
    if (::mkdir(dir.c_str(), 0755) != 0) unusable("cannot create ledger directory '" + dir + "': " + std::strerror(errno));
    made_dir = true;
  }
  if (::stat((dir + "/data.mdb").c_str(), &st) == 0) unusable("'" + dir + "' already holds a ledger; nothing was changed");
  auto impl = std::make_unique<Impl>();
  try {
    impl->env = std::make_unique<Env>(dir, false, true);
    impl->with_write([&](Txn& txn) {
      EntryView view = request_view(genesis);
      check_request(genesis, view.entry(), true);
      int64_t recorded_at = now_ms();  // the ledger's clock, not the signer's
      if (view.entry().getCreatedAt() > recorded_at + 300000)
        refuse("rule 8: the genesis createdAt is more than five minutes ahead of the ledger's clock; check the signer's clock");
      Bytes leaf = build_leaf(0, Hash{}, recorded_at, genesis);
      Record rec(leaf);
      check_signatures(genesis.entry, rec.leaf().getSignatures());
      impl->facts = apply_genesis(txn, view.entry(), rec.leaf().getSignatures());
      std::string key = text_of(view.entry().getIdempotencyKey());
      txn.put(txn.dbs().idem, key, index::idem_value(0, request_body_hash(view.entry()), txn.dbs().idem_seq_only));
      txn.put(txn.dbs().meta, index::kFormatKey, index::format_value(impl->facts.format_version));
      Head head;
      head.recorded_at = rec.leaf().getRecordedAt();
      write_leaf(txn, head, leaf);
      write_head(txn, head);
      return 0;
    });
  } catch (...) {
    // A refused genesis leaves no half-made ledger behind: the directory stays
    // free for a corrected `init`.
    impl.reset();
    ::unlink((dir + "/data.mdb").c_str());
    ::unlink((dir + "/lock.mdb").c_str());
    if (made_dir) ::rmdir(dir.c_str());
    throw;
  }
  return Ledger(std::move(impl));
}

Ledger Ledger::create_replica(const std::string& dir, std::span<const uint8_t> genesis_leaf) {
  struct stat st;
  bool made_dir = false;
  if (::stat(dir.c_str(), &st) != 0) {
    if (::mkdir(dir.c_str(), 0755) != 0) unusable("cannot create mirror directory '" + dir + "': " + std::strerror(errno));
    made_dir = true;
  }
  if (::stat((dir + "/data.mdb").c_str(), &st) == 0) unusable("'" + dir + "' already holds a ledger; nothing was changed");
  auto impl = std::make_unique<Impl>();
  try {
    impl->env = std::make_unique<Env>(dir, false, true);
    impl->with_write([&](Txn& txn) {
      Head head;
      BatchReplay no_batch;
      try {
        replay_record(txn, impl->facts, head, 0, std::string_view(reinterpret_cast<const char*>(genesis_leaf.data()), genesis_leaf.size()), no_batch);
      } catch (const ReplayRefused& r) {
        throw Error(ErrorKind::refused, "the source's " + std::string(r.what()) + "; no mirror was made");
      }
      txn.put(txn.dbs().meta, index::kFormatKey, index::format_value(impl->facts.format_version));
      write_head(txn, head);
      return 0;
    });
    impl->facts.exponent = currency_exponent(impl->facts.currency);
  } catch (...) {
    impl.reset();
    ::unlink((dir + "/data.mdb").c_str());
    ::unlink((dir + "/lock.mdb").c_str());
    if (made_dir) ::rmdir(dir.c_str());
    throw;
  }
  return Ledger(std::move(impl));
}

void Ledger::replicate(const std::vector<Bytes>& leaves, uint64_t size, const Hash& root) {
  impl_->with_write([&](Txn& txn) {
    Head head = read_head(txn);
    if (head.size + leaves.size() != size)
      unusable("replicate: " + std::to_string(leaves.size()) + " records do not take " + std::to_string(head.size) +
               " records to " + std::to_string(size));
    LedgerFacts facts = impl_->facts;
    BatchReplay batch;  // a run the last catch-up ended inside is picked up from the stored records
    for (const Bytes& leaf : leaves) {
      try {
        replay_record(txn, facts, head, head.size, std::string_view(reinterpret_cast<const char*>(leaf.data()), leaf.size()), batch);
      } catch (const ReplayRefused& r) {
        throw Error(ErrorKind::refused, "the source's " + std::string(r.what()) + "; the mirror keeps what it had");
      }
    }
    // The writer commits a run whole, so a checkpoint it serves never ends inside one.
    if (batch.open())
      throw Error(ErrorKind::refused, "the source's checkpoint of size " + std::to_string(size) + " ends inside payment run " +
                                          std::to_string(batch.batch_seq) + " (records " + std::to_string(batch.batch_seq + 1) +
                                          " to " + std::to_string(batch.last()) + "); the mirror keeps what it had");
    Hash ours = tree_root(tree_reader(txn), size);
    if (ours != root)
      throw Error(ErrorKind::refused, "the source's records do not have the root its checkpoint of size " + std::to_string(size) +
                                          " signs; the mirror keeps what it had");
    write_head(txn, head);
    return 0;
  });
}

Ledger Ledger::open(const std::string& dir, bool read_only) {
  auto impl = std::make_unique<Impl>();
  impl->env = std::make_unique<Env>(dir, read_only, false);
  // A ledger made before rule 12's flows index gets it now, from its records.
  if (!read_only && impl->env->dbs().flows == 0) impl->env->add_flows(rules::rebuild_flows);
  Txn txn(*impl->env, false);
  auto format = txn.get(txn.dbs().meta, index::kFormatKey);
  if (!format) unusable("'" + dir + "' is not a fundtrail ledger (no format version)");
  uint32_t version = 0;
  for (uint32_t v = kOldestFormatVersion; v <= kFormatVersion; ++v)
    if (*format == index::format_value(v)) version = v;
  if (version == 0)
    unusable("ledger '" + dir + "' has format version " + std::string(*format) + "; this fundtrail reads versions " +
             std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion) + " (upgrade fundtrail)");
  impl->facts.format_version = version;
  Head head = read_head(txn);
  auto genesis = txn.get(txn.dbs().entries, index::seq_key(0));
  if (!genesis || head.size == 0) unusable("ledger '" + dir + "' has no genesis record");
  auto damaged = [&](const std::string& what) {
    unusable("ledger '" + dir + "': " + what + "; run fundtrail-verify " + dir);
  };
  // A damaged genesis is unusable input (exit 2), not a rule refusal.
  try {
    Record rec(as_span(*genesis));
    if (!rec.entry().getBody().isGenesis()) damaged("record 0 is not a genesis record");
    auto g = rec.entry().getBody().getGenesis();
    if (g.getLogPublicKey().size() != 32) damaged("the genesis log key is not 32 bytes");
    if (g.getFormatVersion() != version) damaged("the stored format version differs from the genesis record's");
    impl->facts.origin = text_of(g.getOrigin());
    impl->facts.currency = text_of(g.getCurrency());
    impl->facts.exponent = currency_exponent(impl->facts.currency);
    impl->facts.dual_control_threshold = g.getDualControlThreshold();
    std::memcpy(impl->facts.log_key.data(), g.getLogPublicKey().begin(), 32);
  } catch (const Error& e) {
    if (e.kind == ErrorKind::unusable && e.check.empty()) throw;  // a check on the bytes: the record is damaged
    damaged(std::string("the genesis record is damaged: ") + e.what());
  }
  // A writer refuses to extend a head that does not check: the last record
  // is the stored head, sits at its seq and chains to the record before it.
  auto last = txn.get(txn.dbs().entries, index::seq_key(head.size - 1));
  if (!last || fundtrail::leaf_hash(as_span(*last)) != head.hash) damaged("the stored head does not match the last record");
  if (head.size > 1) {
    auto before = txn.get(txn.dbs().entries, index::seq_key(head.size - 2));
    try {
      Record rec(as_span(*last));
      Hash prev{};
      auto p = rec.leaf().getPrevHash();
      if (p.size() == 32) std::memcpy(prev.data(), p.begin(), 32);
      if (rec.leaf().getSeq() != head.size - 1 || !before || p.size() != 32 || prev != fundtrail::leaf_hash(as_span(*before)))
        damaged("the last record does not chain to the one before it");
    } catch (const Error& e) {
      if (e.kind == ErrorKind::unusable && e.check.empty()) throw;  // a check on the bytes: the record is damaged
      damaged(std::string("the last record is damaged: ") + e.what());
    }
  }
  return Ledger(std::move(impl));
}

const LedgerFacts& Ledger::facts() const { return impl_->facts; }
const std::string& Ledger::dir() const { return impl_->env->dir(); }

Appended Ledger::append(const SignedRequest& request) {
  return impl_->with_write([&](Txn& txn) {
    Head head = read_head(txn);
    check_issued_checkpoints(txn, head.size, tree_reader(txn, nullptr));
    return impl_->append_in(txn, head, request, false);
  });
}

namespace {

// The stateless checks of one request: fields, limits, canonical form and
// signatures. They need no ledger state.
void check_stateless(const SignedRequest& request) {
  try {
    EntryView view = request_view(request);
    check_request(request, view.entry(), false);
    Bytes leaf = build_leaf(0, Hash{}, 0, request);
    Record rec(leaf, false);  // built from the entry request_view just checked
    check_signatures(request.entry, rec.leaf().getSignatures());
  } catch (const kj::Exception& e) {
    throw Error("format", "", std::nullopt, std::string("the entry cannot be decoded: ") + e.getDescription().cStr());
  }
}

// check_stateless of each request on every core, before the write lock.
std::vector<std::optional<Error>> check_requests_in_parallel(const std::vector<SignedRequest>& requests) {
  std::vector<std::optional<Error>> errors(requests.size());
  unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), unsigned(requests.size())));
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < requests.size();) {
      try {
        check_stateless(requests[i]);
      } catch (const Error& e) {
        errors[i] = e;
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return errors;
}

}  // namespace

namespace {
// Thrown out of a write transaction that appended nothing, so it is aborted:
// a group of refusals and retries leaves the file as it was.
struct NothingWritten {
  std::vector<AppendOutcome> outcomes;
};
}  // namespace

CheckedRequest Ledger::precheck(SignedRequest request) {
  check_stateless(request);
  return CheckedRequest(std::move(request));
}

std::vector<AppendOutcome> Ledger::append_each(const std::vector<SignedRequest>& requests) {
  std::vector<std::optional<Error>> errors = check_requests_in_parallel(requests);
  std::vector<const SignedRequest*> each;
  for (const SignedRequest& r : requests) each.push_back(&r);
  try {
    return append_each_checked(each, errors);
  } catch (NothingWritten& none) {
    return std::move(none.outcomes);
  }
}

std::vector<AppendOutcome> Ledger::append_each(const std::vector<CheckedRequest>& requests) {
  std::vector<const SignedRequest*> each;
  for (const CheckedRequest& r : requests) each.push_back(&r.request());
  try {
    return append_each_checked(each, std::vector<std::optional<Error>>(requests.size()));
  } catch (NothingWritten& none) {
    return std::move(none.outcomes);
  }
}

std::vector<AppendOutcome> Ledger::dry_run_each(const std::vector<SignedRequest>& requests) {
  struct Done {};  // aborts the transaction: a dry run writes nothing
  std::vector<AppendOutcome> out(requests.size());
  try {
    impl_->with_write([&](Txn& txn) -> int {
      Head head = read_head(txn);
      for (size_t i = 0; i < requests.size(); ++i) {
        Head next = head;
        Txn one(txn);
        try {
          EntryView view = request_view(requests[i]);
          check_request(requests[i], view.entry(), false);
          out[i].appended = impl_->append_in(one, next, requests[i], true);
        } catch (const Error& e) {
          out[i].refused = e;
          continue;
        } catch (const kj::Exception& e) {
          out[i].refused = Error("format", "", std::nullopt, std::string("the entry cannot be decoded: ") + e.getDescription().cStr());
          continue;
        }
        one.commit();
        head = next;
      }
      throw Done{};
    });
  } catch (const Done&) {
  }
  return out;
}

std::vector<AppendOutcome> Ledger::append_each_checked(const std::vector<const SignedRequest*>& requests,
                                                      const std::vector<std::optional<Error>>& errors) {
  return impl_->with_write([&](Txn& txn) {
    Head head = read_head(txn);
    check_issued_checkpoints(txn, head.size, tree_reader(txn));
    std::vector<AppendOutcome> out(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      if (errors[i]) {
        out[i].refused = errors[i];
        continue;
      }
      Head next = head;
      Txn one(txn);  // undone unless the request is appended (or retried) whole
      try {
        out[i].appended = impl_->append_in(one, next, *requests[i], true);
      } catch (const Error& e) {
        out[i].refused = e;
        continue;
      }
      one.commit();
      head = next;
    }
    bool wrote = false;
    for (auto& o : out) wrote |= o.appended && !o.appended->retried;
    if (!wrote) throw NothingWritten{std::move(out)};
    return out;
  });
}

std::vector<Appended> Ledger::append_batch(const std::vector<SignedRequest>& requests) {
  std::vector<std::optional<Error>> errors = check_requests_in_parallel(requests);
  for (size_t i = 0; i < requests.size(); ++i)
    if (errors[i]) throw in_request(i, *errors[i]);

  return impl_->with_write([&](Txn& txn) {
    Head head = read_head(txn);
    check_issued_checkpoints(txn, head.size, tree_reader(txn, nullptr));
    std::vector<Appended> out;
    out.reserve(requests.size());
    for (size_t i = 0; i < requests.size(); ++i) {
      try {
        out.push_back(impl_->append_in(txn, head, requests[i], true));
      } catch (const Error& e) {
        throw in_request(i, e);
      }
    }
    return out;
  });
}

namespace {

// A run's checks that need no ledger state, on every core: the batch entry's
// fields and signatures, each record's canonical form and fields, the kinds a
// run may hold, the root its officers signed and its derived key.
CheckedRun check_run_stateless(const BatchRequest& run, bool body_hashes, unsigned max_threads = 0) {
  check_stateless(run.batch);
  EntryView batch_view = request_view(run.batch, false);
  auto body = batch_view.entry().getBody();
  if (!body.isBatch()) refuse("format", "body", std::nullopt, "a payment run's first entry is a batch record");
  uint32_t count = body.getBatch().getCount();
  if (run.entries.size() != count)
    refuse("format", "count", std::nullopt,
           "the payment run's batch record says " + std::to_string(count) + " records; " + std::to_string(run.entries.size()) +
               " were given");
  std::vector<Hash> leaves(run.entries.size());
  std::vector<std::optional<Error>> errors(run.entries.size());
  std::vector<std::string> keys(run.entries.size());
  CheckedRun checked;
  checked.views.resize(run.entries.size());
  checked.bodies.resize(run.entries.size());
  unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(), unsigned(run.entries.size() / 256 + 1)));
  if (max_threads) threads = std::min(threads, max_threads);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < run.entries.size();) {
      try {
        // Not typed by the dynamic reader (a quarter of a run's CPU): the
        // kinds a run holds have every pointer field read by validate_entry's
        // typed getters, which throw on a field of the wrong type, refused
        // here; any getter that still throws later refuses the whole run.
        EntryView& view = checked.views[i].emplace(run.entries[i], false);
        validate_entry(view.entry(), false);
        if (body_hashes) checked.bodies[i] = request_body_hash(run.entries[i]);
        if (!batchable(view.entry().getBody().which()))
          refuse("rule 1", "body", std::nullopt,
                 "a payment run holds only contributions, payments and party registrations; record this one on its own");
        keys[i] = text_of(view.entry().getIdempotencyKey());
        leaves[i] = batch_leaf_hash(run.entries[i]);
      } catch (const Error& e) {
        errors[i] = e;
      } catch (const kj::Exception& e) {
        errors[i] = Error("format", "", std::nullopt, std::string("the entry cannot be decoded: ") + e.getDescription().cStr());
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < errors.size(); ++i)
    if (errors[i]) throw in_run(i, *errors[i]);
  auto root = body.getBatch().getRoot();
  Hash ours = batch_root(leaves);
  if (std::memcmp(root.begin(), ours.data(), 32) != 0)
    refuse("rule 1", "root", std::nullopt,
           "the payment run's root does not match its records, so its signatures do not cover them (records added, "
           "removed, reordered or changed after signing)");
  BatchKey derived;
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < keys.size(); ++i) {
    derived.add(keys[i]);
    if (!seen.insert(keys[i]).second && !checked.first_repeat) checked.first_repeat = i;
  }
  if (text_of(batch_view.entry().getIdempotencyKey()) != derived.finish())
    refuse("rule 6", "idempotencyKey", std::nullopt,
           "a payment run's idempotency key is derived from its records' keys ('" + derived.finish() + "' for these), not '" +
               text_of(batch_view.entry().getIdempotencyKey()) + "'");
  return checked;
}

}  // namespace

RunAppended Ledger::append_run(const BatchRequest& run) {
  CheckedRun checked = check_run_stateless(run, !impl_->env->dbs().idem_seq_only);
  return impl_->with_write([&](Txn& txn) {
    Head head = read_head(txn);
    check_issued_checkpoints(txn, head.size, tree_reader(txn, nullptr));
    return impl_->append_run_in(txn, head, run, checked);
  });
}

RunsOutcome Ledger::append_runs(const std::vector<BatchRequest>& runs) {
  RunsOutcome out;
  // One run's stateless checks, kept as a value: a refusal is this run's.
  struct Checked {
    std::optional<CheckedRun> run;
    std::optional<Error> refused;
    std::exception_ptr failed;  // anything else stops the whole list
    bool ready = false;
  };
  std::vector<Checked> checks(runs.size());
  auto check = [&](size_t k, unsigned threads) {
    Checked& c = checks[k];
    try {
      c.run = check_run_stateless(runs[k], !impl_->env->dbs().idem_seq_only, threads);
    } catch (const Error& e) {
      c.refused = e;
    } catch (...) {
      c.failed = std::current_exception();
    }
    c.ready = true;
  };
  // A run refused inside a group's transaction: which, and why.
  struct RefusedInGroup {
    size_t index;
    Error error;
  };
  for (size_t k = 0; k < runs.size();) {
    // A group: the next runs holding at most kMaxBatchRecords records in all
    // (DESIGN.md: an import commits in transactions of at most 10,000
    // records, no run across two), in one write transaction with one commit,
    // so the hot pages of the indexes are written once per group, not once
    // per run. Each run is a nested transaction: a refused one is undone
    // alone and the group commits the runs before it.
    size_t end = k + 1, records = runs[k].entries.size();
    while (end < runs.size() && records + runs[end].entries.size() <= kMaxBatchRecords) records += runs[end++].entries.size();
    std::optional<Error> refused;
    std::vector<RunAppended> done;
    for (bool written = false; !written;) {
      try {
        done = impl_->with_write([&](Txn& txn) {
          std::vector<RunAppended> group;
          Head head = read_head(txn);
          check_issued_checkpoints(txn, head.size, tree_reader(txn, nullptr));
          for (size_t j = k; j < end; ++j) {
            if (!checks[j].ready) check(j, 0);
            std::thread ahead;  // the next run's stateless checks while this one is written
            if (j + 1 < runs.size() && !checks[j + 1].ready) ahead = std::thread(check, j + 1, 1u);
            struct Join {
              std::thread& t;
              ~Join() {
                if (t.joinable()) t.join();
              }
            } join{ahead};
            if (checks[j].failed) std::rethrow_exception(checks[j].failed);
            if (checks[j].refused) throw RefusedInGroup{j, *checks[j].refused};
            try {
              Txn run_txn(txn);
              group.push_back(impl_->append_run_in(run_txn, head, runs[j], *checks[j].run));
              run_txn.commit();
            } catch (const Error& e) {
              if (e.check.empty() || e.check == "checkpoint" || e.check == "index") throw;
              throw RefusedInGroup{j, e};
            }
          }
          return group;
        });
        written = true;
      } catch (const RefusedInGroup& r) {
        // The group's transaction was aborted: write the runs before the
        // refused one (checked already) and stop there.
        refused = r.error;
        end = r.index;
        written = end == k;
      }
    }
    for (size_t j = k; j < end; ++j) checks[j].run.reset();  // a group's decoded records, released
    out.done.insert(out.done.end(), done.begin(), done.end());
    if (refused) {
      out.refused = refused;
      return out;
    }
    k = end;
  }
  return out;
}

uint64_t Ledger::size() const {
  Txn txn(*impl_->env, false);
  return read_head(txn).size;
}

Bytes Ledger::leaf(uint64_t seq) const {
  Txn txn(*impl_->env, false);
  auto v = txn.get(txn.dbs().entries, index::seq_key(seq));
  if (!v) unusable("no record at seq " + std::to_string(seq) + " (the ledger has " + std::to_string(read_head(txn).size) + ")");
  return Bytes(v->begin(), v->end());
}

Hash Ledger::leaf_hash(uint64_t seq) const {
  Txn txn(*impl_->env, false);
  if (seq >= read_head(txn).size) unusable("no record at seq " + std::to_string(seq));
  return tree_reader(txn, &impl_->subtree_reads)(0, seq);
}

void Ledger::for_each(uint64_t from, uint64_t to, const std::function<bool(uint64_t, std::span<const uint8_t>)>& fn) const {
  Txn txn(*impl_->env, false);
  Cursor cur(txn, txn.dbs().entries);
  for (bool more = cur.seek(index::seq_key(from)); more; more = cur.next()) {
    if (cur.key().size() != 8) refuse("index", "", std::nullopt, "a key of 'entries' is not 8 bytes; run fundtrail-verify");
    uint64_t seq = index::read_seq(cur.key(), "entries key");
    if (seq >= to) break;
    if (!fn(seq, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(cur.value().data()), cur.value().size()))) break;
  }
}

namespace {
void need_size(uint64_t size, uint64_t have) {
  if (size > have)
    unusable("tree size " + std::to_string(size) + " is larger than the ledger (" + std::to_string(have) + " records)");
}
}  // namespace

Hash Ledger::root(uint64_t size) const {
  Txn txn(*impl_->env, false);
  need_size(size, read_head(txn).size);
  return tree_root(tree_reader(txn, &impl_->subtree_reads), size);
}

std::vector<Hash> Ledger::inclusion_proof(uint64_t index, uint64_t size) const {
  Txn txn(*impl_->env, false);
  need_size(size, read_head(txn).size);
  if (index >= size) unusable("seq " + std::to_string(index) + " is not inside a tree of size " + std::to_string(size));
  return fundtrail::inclusion_proof(tree_reader(txn, &impl_->subtree_reads), index, size);
}

std::vector<Hash> Ledger::consistency_proof(uint64_t old_size, uint64_t new_size) const {
  Txn txn(*impl_->env, false);
  need_size(new_size, read_head(txn).size);
  if (old_size > new_size) unusable("the old size " + std::to_string(old_size) + " is larger than the new size");
  return fundtrail::consistency_proof(tree_reader(txn, &impl_->subtree_reads), old_size, new_size);
}

uint64_t Ledger::subtree_reads() const { return impl_->subtree_reads; }

Hash Ledger::subtree_hash(unsigned level, uint64_t index) const {
  Txn txn(*impl_->env, false);
  return tree_reader(txn, &impl_->subtree_reads)(level, index);
}

std::optional<PartyState> Ledger::party(const std::string& id) const {
  Txn txn(*impl_->env, false);
  auto v = txn.get(txn.dbs().parties, id);
  if (!v) return std::nullopt;
  return index::read_party(id, *v);
}

namespace {
template <class Fn>
void scan(const Txn& txn, MDB_dbi dbi, Fn&& fn) {
  Cursor cur(txn, dbi);
  for (bool more = cur.first(); more; more = cur.next()) fn(cur.key(), cur.value());
}
}  // namespace

std::vector<PartyState> Ledger::parties() const {
  Txn txn(*impl_->env, false);
  std::vector<PartyState> out;
  scan(txn, txn.dbs().parties, [&](std::string_view k, std::string_view v) { out.push_back(index::read_party(k, v)); });
  return out;
}

std::vector<Grant> Ledger::grants() const {
  Txn txn(*impl_->env, false);
  std::vector<Grant> out;
  scan(txn, txn.dbs().grants, [&](std::string_view k, std::string_view v) { out.push_back(index::read_grant(k, v)); });
  return out;
}

std::optional<Grant> Ledger::grant(const std::string& party, const PublicKey& key) const {
  if (party.empty() || party.size() > 400) return std::nullopt;  // never an LMDB key
  Txn txn(*impl_->env, false);
  auto k = index::grant_key(party, key);
  auto v = txn.get(txn.dbs().grants, k);
  if (!v) return std::nullopt;
  return index::read_grant(k, *v);
}

std::vector<StatusChange> Ledger::status_changes(const std::string& party) const {
  std::vector<StatusChange> out;
  if (party.empty() || party.size() > 400) return out;
  Txn txn(*impl_->env, false);
  std::string prefix = index::status_prefix(party);
  Cursor cur(txn, txn.dbs().statuses);
  for (bool more = cur.seek(prefix); more && cur.key().starts_with(prefix); more = cur.next())
    out.push_back(index::read_status(cur.key(), cur.value()));
  return out;
}

std::optional<uint64_t> Ledger::assignment_ended_by(uint64_t seq) const {
  Txn txn(*impl_->env, false);
  auto v = txn.get(txn.dbs().ended, index::seq_key(seq));
  if (!v) return std::nullopt;
  return index::read_seq(*v, "ended value");
}

std::optional<uint64_t> Ledger::find_idempotency_key(const std::string& key) const {
  if (key.empty() || key.size() > kIdempotencyLimit) return std::nullopt;  // never stored (and not an LMDB key)
  Txn txn(*impl_->env, false);
  auto v = txn.get(txn.dbs().idem, key);
  if (!v) return std::nullopt;
  return index::read_idem_seq(*v);
}

bool Ledger::is_reversed(uint64_t seq) const {
  Txn txn(*impl_->env, false);
  return txn.get(txn.dbs().reversed, index::seq_key(seq)).has_value();
}

std::optional<ContractState> Ledger::contract(const std::string& reference) const {
  if (reference.empty() || reference.size() > 511) return std::nullopt;  // never an LMDB key
  Txn txn(*impl_->env, false);
  auto v = txn.get(txn.dbs().contracts, reference);
  if (!v) return std::nullopt;
  return index::read_contract(reference, *v);
}

std::vector<ContractState> Ledger::contracts() const {
  Txn txn(*impl_->env, false);
  std::vector<ContractState> out;
  scan(txn, txn.dbs().contracts, [&](std::string_view k, std::string_view v) { out.push_back(index::read_contract(k, v)); });
  return out;
}

namespace {

std::map<std::string, int64_t> replayed(const Ledger& ledger, const BalancePoint& at) {
  return at.by_date ? balances_at_date(ledger, at.date) : balances_at_size(ledger, at.seq + 1);
}

bool registered_at(const PartyState& p, const BalancePoint& at) { return at.by_date || p.registered_at <= at.seq; }

int64_t history_balance(const Txn& txn, const std::string& party, const BalancePoint& at) {
  return at.by_date ? history::balance_on(txn, party, at.date) : history::balance_after(txn, party, at.seq);
}

}  // namespace

bool Ledger::keeps_balance_history() const { return impl_->env->dbs().history_kept; }

std::optional<int64_t> Ledger::balance_at(const std::string& party, const BalancePoint& at) const {
  if (!at.by_date && at.seq >= size())
    unusable("no record at seq " + std::to_string(at.seq) + " (the ledger has " + std::to_string(size()) + ")");
  if (!keeps_balance_history()) {
    auto all = replayed(*this, at);
    auto it = all.find(party);
    if (it == all.end()) return std::nullopt;
    return it->second;
  }
  if (party.empty() || party.size() > 400) return std::nullopt;  // never an LMDB key
  Txn txn(*impl_->env, false);
  auto v = txn.get(txn.dbs().parties, party);
  if (!v || !registered_at(index::read_party(party, *v), at)) return std::nullopt;
  return history_balance(txn, party, at);
}

std::map<std::string, int64_t> Ledger::balances_at(const BalancePoint& at) const {
  if (!at.by_date && at.seq >= size())
    unusable("no record at seq " + std::to_string(at.seq) + " (the ledger has " + std::to_string(size()) + ")");
  if (!keeps_balance_history()) return replayed(*this, at);
  Txn txn(*impl_->env, false);
  std::map<std::string, int64_t> out;
  scan(txn, txn.dbs().parties, [&](std::string_view k, std::string_view v) {
    PartyState p = index::read_party(k, v);
    if (registered_at(p, at)) out.emplace_hint(out.end(), p.id, history_balance(txn, p.id, at));
  });
  return out;
}

IndexCheck Ledger::check_indexes(const std::string& tmp_parent, const IndexProgress& progress) const {
  Txn txn(*impl_->env, false);
  Rebuilt rebuilt(txn, tmp_parent, progress);
  Txn fresh(rebuilt.env(), false);
  return {rebuilt.records(), compare_derived(txn, fresh)};
}

IndexCheck Ledger::reindex(const std::string& tmp_parent, const IndexProgress& progress) {
  if (impl_->env->read_only()) unusable("ledger '" + impl_->env->dir() + "' is opened read-only");
  std::optional<Rebuilt> rebuilt;
  {
    Txn txn(*impl_->env, false);
    rebuilt.emplace(txn, tmp_parent, progress);
  }
  // A ledger made before the balance history gains it here: an empty,
  // unmarked database first, filled and marked with the other indexes.
  if (impl_->env->dbs().history == 0) impl_->env->add_history();
  IndexCheck before = impl_->with_write([&](Txn& txn) {
    Txn fresh(rebuilt->env(), false);
    // Records appended since the rebuild's snapshot would be left out.
    if (read_head(txn).size != rebuilt->records())
      unusable("records were appended while the indexes were rebuilt; run fundtrail reindex again");
    check_issued_checkpoints(txn, rebuilt->records(), tree_reader(fresh));  // the issued ones, the rebuilt tree
    IndexCheck differed{rebuilt->records(), compare_derived(txn, fresh)};
    replace_derived(txn, fresh);
    return differed;
  });
  impl_->env->refresh_history();  // the marker, committed, is taken up by this process too
  return before;
}

void Ledger::store_checkpoint(uint64_t size, const std::string& note) {
  impl_->with_write([&](Txn& txn) {
    // A payment run is recorded whole, so no checkpoint ends inside one: a
    // mirror or verifier stopping there would hold records no signature covers.
    uint64_t head_size = read_head(txn).size;
    if (size > 0 && size < head_size) {
      auto next = txn.get(txn.dbs().entries, index::seq_key(size));
      if (next) {
        Record rec(as_span(*next), false);
        if (uint64_t run = rec.leaf().getBatchSeq(); run != 0 && run < size) {
          auto batch = txn.get(txn.dbs().entries, index::seq_key(run));
          uint64_t last = run;
          if (batch) last += Record(as_span(*batch), false).entry().getBody().getBatch().getCount();
          unusable("a checkpoint of size " + std::to_string(size) + " would end inside payment run " + std::to_string(run) +
                   " (records " + std::to_string(run + 1) + " to " + std::to_string(last) + "), which is recorded whole: use --size " +
                   std::to_string(run) + " or " + std::to_string(last + 1));
        }
      }
    }
    check_new_checkpoint(txn, size, note, head_size, tree_reader(txn, nullptr));
    txn.put(txn.dbs().checkpoints, index::seq_key(size), note);
    return 0;
  });
}

std::vector<std::pair<uint64_t, std::string>> Ledger::checkpoints() const {
  Txn txn(*impl_->env, false);
  std::vector<std::pair<uint64_t, std::string>> out;
  scan(txn, txn.dbs().checkpoints, [&](std::string_view k, std::string_view v) { out.emplace_back(index::read_seq(k, "checkpoints key"), std::string(v)); });
  return out;
}

std::optional<std::pair<uint64_t, std::string>> Ledger::latest_checkpoint() const {
  Txn txn(*impl_->env, false);
  Cursor cur(txn, txn.dbs().checkpoints);
  if (!cur.last()) return std::nullopt;
  return std::make_pair(index::read_seq(cur.key(), "checkpoints key"), std::string(cur.value()));
}

}  // namespace fundtrail
