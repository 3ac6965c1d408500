#include "ledger/history.h"

#include <cstdint>
#include <string>

#include "ledger/error.h"
#include "ledger/index.h"

namespace fundtrail::history {
namespace {

// A raw cursor on the history database, closed with its scope: the writer
// reads and rewrites a key in place, which Cursor does not offer.
struct RawCursor {
  MDB_cursor* c = nullptr;
  const Txn& txn;
  explicit RawCursor(const Txn& t) : txn(t) {
    if (int rc = mdb_cursor_open(t.raw(), t.dbs().history, &c)) lmdb_fail(rc, "opening a cursor", t.dir());
  }
  ~RawCursor() { mdb_cursor_close(c); }
  RawCursor(const RawCursor&) = delete;
  RawCursor& operator=(const RawCursor&) = delete;

  // Positions on `k` (MDB_SET_KEY) or the first key after it (MDB_SET_RANGE).
  bool get(MDB_val& k, MDB_val& v, MDB_cursor_op op) {
    int rc = mdb_cursor_get(c, &k, &v, op);
    if (rc && rc != MDB_NOTFOUND) lmdb_fail(rc, "reading the balance history", txn.dir());
    return rc == 0;
  }
  // Writes at the cursor (MDB_CURRENT) or anywhere (0).
  void put(std::string_view key, std::string_view value, unsigned flags) {
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v{value.size(), const_cast<char*>(value.data())};
    int rc = mdb_cursor_put(c, &k, &v, flags);
    if (rc == MDB_MAP_FULL) throw MapFull{};
    if (rc) lmdb_fail(rc, "writing the balance history", txn.dir());
  }
};

std::string_view view(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

// Adds `delta` to the net under `key` (0 when absent) with one search: the
// cursor finds the key and overwrites its value where it is.
void add_to_day(RawCursor& cur, const std::string& key, int64_t delta) {
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
  bool found = cur.get(k, v, MDB_SET_KEY);
  uint64_t net = static_cast<uint64_t>(delta);  // modulo 2^64: a day's net may pass what one balance holds
  if (found) net += static_cast<uint64_t>(index::read_money(view(v), "history day net"));
  cur.put(key, index::money_value(static_cast<int64_t>(net)), found ? MDB_CURRENT : 0);
}

// Appends the move to the party's last chunk in seq's epoch while that chunk
// has room, else starts a chunk at seq: two cursor steps and one write.
void add_move(RawCursor& cur, std::string_view party, uint64_t seq, int64_t balance_after) {
  std::string prefix = index::history_seq_prefix(party, seq >> index::kHistoryEpochBits);
  std::string past = prefix;
  past.back() = '\x01';  // the first key after every chunk of the party in the epoch
  MDB_val k{past.size(), past.data()}, v{};
  bool found = cur.get(k, v, MDB_SET_RANGE) ? cur.get(k, v, MDB_PREV) : cur.get(k, v, MDB_LAST);
  if (found && view(k).starts_with(prefix)) {
    std::string_view key = view(k);
    uint64_t first = index::read_history_seq(key, prefix.size());
    if (v.mv_size < index::kHistoryChunkBytes) {
      std::string chunk(view(v));
      index::HistoryMove last = index::history_move_at(chunk, first, UINT64_MAX);
      if (last.seq > seq)  // moves come in seq order: a later one was written by something else
        refuse("index", "", std::nullopt, "the balance history of " + std::string(party) + " is malformed; run fundtrail reindex");
      index::append_history_move(chunk, last, {seq, balance_after});
      cur.put(std::string(key), chunk, MDB_CURRENT);
      return;
    }
  }
  std::string chunk;
  index::append_history_move(chunk, {seq, 0}, {seq, balance_after});
  cur.put(index::history_seq_key(party, seq), chunk, 0);
}

}  // namespace

void record_move(Txn& txn, std::string_view party, uint64_t seq, uint32_t day, int64_t balance_after, int64_t delta) {
  if (!txn.dbs().history_kept) return;
  RawCursor cur(txn);
  add_move(cur, party, seq, balance_after);
  add_to_day(cur, index::history_day_key(party, day), delta);
}

int64_t balance_after(const Txn& txn, std::string_view party, uint64_t seq) {
  Cursor cur(txn, txn.dbs().history);
  const uint64_t last = seq >> index::kHistoryEpochBits;
  // The party's last chunk starting at or before `seq`: in seq's epoch, else
  // in the latest earlier epoch that holds one (one seek each).
  for (uint64_t epoch = last;; --epoch) {
    std::string prefix = index::history_seq_prefix(party, epoch);
    std::string bound = prefix;  // the first key past the chunks that count
    if (epoch == last && seq != UINT64_MAX) bound += index::seq_key(seq + 1);
    else bound.back() = '\x01';
    bool found = cur.seek(bound) ? cur.prev() : cur.last();
    if (found && cur.key().starts_with(prefix))
      return index::history_move_at(cur.value(), index::read_history_seq(cur.key(), prefix.size()), seq).balance;
    if (epoch == 0) return 0;  // it had not moved yet
  }
}

int64_t balance_on(const Txn& txn, std::string_view party, uint32_t day) {
  std::string prefix = index::history_day_prefix(party);
  Cursor cur(txn, txn.dbs().history);
  uint64_t sum = 0;  // modulo 2^64, as the nets are kept
  for (bool more = cur.seek(prefix); more && cur.key().starts_with(prefix); more = cur.next()) {
    if (index::read_history_day(cur.key(), prefix.size()) > day) break;
    sum += static_cast<uint64_t>(index::read_money(cur.value(), "history day net"));
  }
  return static_cast<int64_t>(sum);
}

}  // namespace fundtrail::history
