#include "ledger/reindex.h"

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <optional>

#include <kj/exception.h>

#include "ledger/hash.h"
#include "ledger/index.h"
#include "ledger/record.h"
#include "ledger/rules.h"
#include "ledger/tree_store.h"

namespace fundtrail {
namespace {

constexpr uint64_t kRecordsPerCommit = 10000;

std::span<const uint8_t> as_span(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

struct Derived {
  const char* name;
  MDB_dbi Dbs::*dbi;
};
// Every derived database; meta is compared and replaced key by key (its
// format version is not derived).
constexpr Derived kDerived[] = {{"tree", &Dbs::tree},         {"idem", &Dbs::idem},         {"parties", &Dbs::parties},
                                {"orgids", &Dbs::orgids},     {"grants", &Dbs::grants},     {"reversed", &Dbs::reversed},
                                {"ended", &Dbs::ended},       {"contracts", &Dbs::contracts}, {"claims", &Dbs::claims},
                                {"statuses", &Dbs::statuses}, {"flows", &Dbs::flows},         {"history", &Dbs::history}};
constexpr const char* kHeadKeys[] = {"size", "head", "recorded_at"};

[[noreturn]] void damaged_record(uint64_t seq, const std::string& why) {
  unusable("record " + std::to_string(seq) + " " + why +
           ": the records themselves are damaged, so no index can be rebuilt from them; run fundtrail-verify on this "
           "directory to see every failure");
}

std::string make_temp_dir(const std::string& parent) {
  std::string tmpl = parent + "/fundtrail-reindex-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data()))
    unusable("cannot create a temporary directory under '" + parent + "' to rebuild the indexes in: " +
             std::strerror(errno) + " (set TMPDIR to a directory with room for a copy of the ledger)");
  return buf.data();
}

[[noreturn]] void bad_record(uint64_t seq, const std::string& why) { throw ReplayRefused(seq, why); }

}  // namespace

namespace {

std::string text_of(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

// Opens `batch` as payment run `batch_seq`, which record `seq` claims, from
// the run's records already in `txn`.
void open_run_from_store(const Txn& txn, BatchReplay& batch, uint64_t batch_seq, uint64_t seq) {
  auto stored = txn.get(txn.dbs().entries, index::seq_key(batch_seq));
  std::optional<Record> rec;
  if (stored) rec.emplace(as_span(*stored), false);
  if (!rec || !rec->entry().getBody().isBatch() || batch_seq >= seq ||
      seq > batch_seq + rec->entry().getBody().getBatch().getCount())
    bad_record(seq, "claims payment run " + std::to_string(batch_seq) + ", which is not a payment run holding it");
  auto run = rec->entry().getBody().getBatch();
  batch = BatchReplay{};
  batch.batch_seq = batch_seq;
  batch.count = run.getCount();
  std::memcpy(batch.root.data(), run.getRoot().begin(), 32);
  batch.key = text_of(rec->entry().getIdempotencyKey());
  batch.keys = std::make_unique<BatchKey>();
  batch.authority = std::make_unique<BatchAuthority>(batch_seq, rec->leaf().getSignatures());
  for (uint64_t s = batch_seq + 1; s < seq; ++s) {
    auto earlier = txn.get(txn.dbs().entries, index::seq_key(s));
    if (!earlier) bad_record(seq, "follows record " + std::to_string(s) + ", which is missing");
    Record r(as_span(*earlier), false);
    auto e = r.leaf().getEntry();
    batch.leaves.push_back(batch_leaf_hash({e.begin(), e.size()}));
    batch.keys->add(text_of(r.entry().getIdempotencyKey()));
    batch.authority->signers_for(txn, r.entry());  // counts who acted, as when it was replayed
  }
}

// Record `seq` of an open run: rules 1 and 5 by the run's signers, then the
// root and the derived key when it is the run's last.
void replay_batched(Txn& txn, const LedgerFacts& facts, BatchReplay& batch, uint64_t seq, schema::SignedEntry::Reader l,
                    schema::Entry::Reader entry) {
  if (!batchable(entry.getBody().which()))
    bad_record(seq, "is of a kind a payment run does not hold (contributions, payments and party registrations only)");
  check_and_apply(txn, facts, seq, l.getRecordedAt(), entry, batch.authority->signers_for(txn, entry));
  auto e = l.getEntry();
  batch.leaves.push_back(batch_leaf_hash({e.begin(), e.size()}));
  batch.keys->add(text_of(entry.getIdempotencyKey()));
  if (seq != batch.last()) return;
  if (batch_root(batch.leaves) != batch.root)
    bad_record(batch.batch_seq, "is a payment run whose records do not have the root its officers signed");
  if (batch.keys->finish() != batch.key)
    bad_record(batch.batch_seq, "is a payment run whose idempotency key is not the one derived from its records' keys");
  batch.authority->check_every_signer_acted();
  batch = BatchReplay{};
}

}  // namespace

void replay_record(Txn& txn, LedgerFacts& facts, index::Head& head, uint64_t seq, std::string_view leaf, BatchReplay& batch) {
  try {
    Record rec(as_span(leaf));
    auto l = rec.leaf();
    auto entry = rec.entry();
    Hash prev{};
    if (l.getPrevHash().size() == 32) std::memcpy(prev.data(), l.getPrevHash().begin(), 32);
    if (l.getSeq() != seq) bad_record(seq, "says it is record " + std::to_string(l.getSeq()));
    if (l.getPrevHash().size() != 32 || prev != head.hash) bad_record(seq, "does not chain to the record before it");
    if (l.getRecordedAt() < head.recorded_at) bad_record(seq, "was recorded before the record before it");
    auto entry_bytes = l.getEntry();
    uint64_t in_run = l.getBatchSeq();
    bool is_run = entry.getBody().isBatch();
    if ((in_run || is_run) && facts.format_version < kFirstBatchFormat)
      bad_record(seq, "belongs to a payment run in a ledger of format version " + std::to_string(facts.format_version));
    if (batch.open() && in_run != batch.batch_seq)
      bad_record(seq, "is missing from payment run " + std::to_string(batch.batch_seq) + ", which holds records " +
                          std::to_string(batch.batch_seq + 1) + " to " + std::to_string(batch.last()));
    if (in_run) {
      if (l.getSignatures().size() != 0) bad_record(seq, "is in a payment run yet carries signatures of its own");
      if (!batch.open()) open_run_from_store(txn, batch, in_run, seq);
      replay_batched(txn, facts, batch, seq, l, entry);
    } else {
      check_signatures({entry_bytes.begin(), entry_bytes.size()}, l.getSignatures());
      if (seq == 0) {
        if (!entry.getBody().isGenesis()) bad_record(seq, "is not a genesis record");
        facts = apply_genesis(txn, entry, l.getSignatures());
      } else if (is_run) {
        auto run = entry.getBody().getBatch();
        if (run.getCount() < 1 || run.getCount() > kMaxBatchRecords || run.getRoot().size() != 32)
          bad_record(seq, "is a payment run with a count outside 1 to 10,000 or a root that is not 32 bytes");
        batch = BatchReplay{};
        batch.batch_seq = seq;
        batch.count = run.getCount();
        std::memcpy(batch.root.data(), run.getRoot().begin(), 32);
        batch.key = text_of(entry.getIdempotencyKey());
        batch.keys = std::make_unique<BatchKey>();
        batch.authority = std::make_unique<BatchAuthority>(seq, l.getSignatures());
      } else {
        check_and_apply(txn, facts, seq, l.getRecordedAt(), entry, l.getSignatures());
      }
    }
    std::string key(entry.getIdempotencyKey().cStr(), entry.getIdempotencyKey().size());
    if (txn.get(txn.dbs().idem, key)) bad_record(seq, "repeats the idempotency key '" + key + "' of an earlier record");
    const bool seq_only = txn.dbs().idem_seq_only;  // the body hash costs a re-encoding: only for the old layout
    txn.put(txn.dbs().idem, key, index::idem_value(seq, seq_only ? Hash{} : request_body_hash(entry), seq_only));
    head.recorded_at = l.getRecordedAt();
    write_leaf(txn, head, as_span(leaf));
  } catch (const MapFull&) {
    throw;
  } catch (const ReplayRefused&) {
    throw;
  } catch (const Error& e) {
    if (e.kind == ErrorKind::unusable && e.check.empty()) throw;
    bad_record(seq, std::string("fails a check: ") + e.what());
  } catch (const kj::Exception& e) {
    bad_record(seq, std::string("cannot be read: ") + e.getDescription().cStr());
  }
}

namespace {

// The rebuild's replay: a record that fails is damage in the ledger itself.
void replay(Txn& txn, LedgerFacts& facts, index::Head& head, uint64_t seq, std::string_view leaf, BatchReplay& batch) {
  try {
    replay_record(txn, facts, head, seq, leaf, batch);
  } catch (const ReplayRefused& r) {
    damaged_record(r.seq, r.why);
  }
}

std::string hex_of(std::string_view key) { return hex(as_span(key)); }

// Merge-walks one database of each side, counting the differences.
IndexDifference compare_db(const char* name, const Txn& stored, MDB_dbi a, const Txn& rebuilt, MDB_dbi b) {
  IndexDifference d{name, 0, 0, 0, ""};
  if (a == 0) {  // absent: a read-only open of a ledger made before the database existed
    Cursor cb(rebuilt, b);
    for (bool more = cb.first(); more; more = cb.next()) {
      if (d.first_key_hex.empty()) d.first_key_hex = hex_of(cb.key());
      ++d.missing;
    }
    return d;
  }
  Cursor ca(stored, a), cb(rebuilt, b);
  bool more_a = ca.first(), more_b = cb.first();
  auto note = [&](std::string_view key) {
    if (d.first_key_hex.empty()) d.first_key_hex = hex_of(key);
  };
  while (more_a || more_b) {
    int order = !more_a ? 1 : !more_b ? -1 : ca.key().compare(cb.key());
    if (order < 0) {
      ++d.extra;
      note(ca.key());
      more_a = ca.next();
    } else if (order > 0) {
      ++d.missing;
      note(cb.key());
      more_b = cb.next();
    } else {
      if (ca.value() != cb.value()) {
        ++d.changed;
        note(ca.key());
      }
      more_a = ca.next();
      more_b = cb.next();
    }
  }
  return d;
}

}  // namespace

Rebuilt::Rebuilt(const Txn& src, const std::string& tmp_parent, const std::function<void(uint64_t, uint64_t)>& progress)
    : dir_(make_temp_dir(tmp_parent)) {
  try {
    env_ = std::make_unique<Env>(dir_, false, true);
    env_->use_tree_layout(src.dbs().tree_in_completion_order);  // the rebuilt tree compares key by key
    env_->use_idem_layout(src.dbs().idem_seq_only);             // and its idempotency index value by value
    uint64_t total = index::read_head(src).size;
    LedgerFacts facts;
    index::Head head;
    BatchReplay batch;
    {
      Txn txn(*env_, true);
      txn.put(txn.dbs().meta, index::kFormatKey, index::format_value(kFormatVersion));
      txn.commit();
    }
    Cursor cur(src, src.dbs().entries);
    bool more = cur.first();
    while (more) {
      // One chunk per transaction; a full map grows and the chunk starts again.
      std::string first_key(cur.key());
      LedgerFacts facts_at_start = facts;
      index::Head head_at_start = head;
      for (int attempt = 0;; ++attempt) {
        try {
          Txn txn(*env_, true);
          for (uint64_t n = 0; more && n < kRecordsPerCommit; ++n) {
            uint64_t seq = index::read_seq(cur.key(), "entries key");
            if (seq != head.size) damaged_record(head.size, "is missing (the next stored record is " + std::to_string(seq) + ")");
            replay(txn, facts, head, seq, cur.value(), batch);
            more = cur.next();
          }
          index::write_head(txn, head);
          txn.commit();
          break;
        } catch (const MapFull&) {
          if (attempt >= 40) unusable("the rebuilt indexes do not fit in the LMDB map");
          env_->grow();
          facts = facts_at_start;
          head = head_at_start;
          batch = BatchReplay{};  // read back from the records when the chunk is replayed again
          more = cur.seek(first_key);
        }
      }
      records_ = head.size;
      if (progress) progress(head.size, total);
    }
    if (records_ != total)
      damaged_record(records_, "is missing: the head says the ledger holds " + std::to_string(total) + " records");
    if (batch.open())
      damaged_record(batch.batch_seq, "is a payment run of " + std::to_string(batch.count) + " records, but the ledger ends after " +
                                          std::to_string(records_ - batch.batch_seq - 1) + " of them");
  } catch (...) {
    env_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    throw;
  }
}

Rebuilt::~Rebuilt() {
  env_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<IndexDifference> compare_derived(const Txn& stored, const Txn& rebuilt) {
  std::vector<IndexDifference> out;
  for (const auto& d : kDerived) {
    // A ledger made before the balance history has none to compare (reindex adds it).
    if (d.dbi == &Dbs::history && !stored.dbs().history_kept) continue;
    IndexDifference diff = compare_db(d.name, stored, stored.dbs().*d.dbi, rebuilt, rebuilt.dbs().*d.dbi);
    if (diff.missing || diff.extra || diff.changed) out.push_back(diff);
  }
  IndexDifference meta{"meta", 0, 0, 0, ""};
  for (const char* key : kHeadKeys) {
    auto a = stored.get(stored.dbs().meta, key);
    auto b = rebuilt.get(rebuilt.dbs().meta, key);
    if (a == b) continue;
    (!a ? meta.missing : !b ? meta.extra : meta.changed) += 1;
    if (meta.first_key_hex.empty()) meta.first_key_hex = hex_of(key);
  }
  if (meta.missing || meta.extra || meta.changed) out.push_back(meta);
  return out;
}

void replace_derived(Txn& stored, const Txn& rebuilt) {
  for (const auto& d : kDerived) {
    MDB_dbi to = stored.dbs().*d.dbi;
    stored.clear(to);
    Cursor cur(rebuilt, rebuilt.dbs().*d.dbi);
    for (bool more = cur.first(); more; more = cur.next()) stored.put(to, cur.key(), cur.value(), MDB_APPEND);
  }
  for (const char* key : kHeadKeys) {
    auto v = rebuilt.get(rebuilt.dbs().meta, key);
    if (v) stored.put(stored.dbs().meta, key, *v);
  }
  stored.put(stored.dbs().meta, kHistoryKey, kHistoryKept);  // complete now, for a ledger made before it too
}

}  // namespace fundtrail
