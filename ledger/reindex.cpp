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
                                {"statuses", &Dbs::statuses}, {"flows", &Dbs::flows}};
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

void replay_record(Txn& txn, LedgerFacts& facts, index::Head& head, uint64_t seq, std::string_view leaf) {
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
    check_signatures({entry_bytes.begin(), entry_bytes.size()}, l.getSignatures());
    if (seq == 0) {
      if (!entry.getBody().isGenesis()) bad_record(seq, "is not a genesis record");
      facts = apply_genesis(txn, entry, l.getSignatures());
    } else {
      check_and_apply(txn, facts, seq, entry, l.getSignatures());
    }
    std::string key(entry.getIdempotencyKey().cStr(), entry.getIdempotencyKey().size());
    if (txn.get(txn.dbs().idem, key)) bad_record(seq, "repeats the idempotency key '" + key + "' of an earlier record");
    txn.put(txn.dbs().idem, key, index::idem_value(seq, request_body_hash(entry)));
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
void replay(Txn& txn, LedgerFacts& facts, index::Head& head, uint64_t seq, std::string_view leaf) {
  try {
    replay_record(txn, facts, head, seq, leaf);
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
    uint64_t total = index::read_head(src).size;
    LedgerFacts facts;
    index::Head head;
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
            replay(txn, facts, head, seq, cur.value());
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
          more = cur.seek(first_key);
        }
      }
      records_ = head.size;
      if (progress) progress(head.size, total);
    }
    if (records_ != total)
      damaged_record(records_, "is missing: the head says the ledger holds " + std::to_string(total) + " records");
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
}

}  // namespace fundtrail
