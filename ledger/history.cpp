#include "ledger/history.h"

#include "ledger/index.h"

namespace fundtrail::history {
namespace {

// Adds `delta` to the net under `key` (0 when absent) with one search: a
// cursor finds the key and overwrites its value where it is.
void add_to_day(Txn& txn, const std::string& key, int64_t delta) {
  struct Raw {
    MDB_cursor* c = nullptr;
    ~Raw() {
      if (c) mdb_cursor_close(c);
    }
  } cur;
  if (int rc = mdb_cursor_open(txn.raw(), txn.dbs().history, &cur.c)) lmdb_fail(rc, "opening a cursor", txn.dir());
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
  int rc = mdb_cursor_get(cur.c, &k, &v, MDB_SET_KEY);
  if (rc && rc != MDB_NOTFOUND) lmdb_fail(rc, "reading the balance history", txn.dir());
  uint64_t net = static_cast<uint64_t>(delta);  // modulo 2^64: a day's net may pass what one balance holds
  if (rc == 0) net += static_cast<uint64_t>(index::read_money({static_cast<const char*>(v.mv_data), v.mv_size}, "history day net"));
  std::string value = index::money_value(static_cast<int64_t>(net));
  MDB_val nv{value.size(), value.data()};
  k = MDB_val{key.size(), const_cast<char*>(key.data())};
  rc = mdb_cursor_put(cur.c, &k, &nv, rc == 0 ? MDB_CURRENT : 0);
  if (rc == MDB_MAP_FULL) throw MapFull{};
  if (rc) lmdb_fail(rc, "writing the balance history", txn.dir());
}

}  // namespace

void record_move(Txn& txn, std::string_view party, uint64_t seq, uint32_t day, int64_t balance_after, int64_t delta) {
  const Dbs& dbs = txn.dbs();
  if (!dbs.history_kept) return;
  txn.put(dbs.history, index::history_seq_key(party, seq), index::money_value(balance_after));
  add_to_day(txn, index::history_day_key(party, day), delta);
}

int64_t balance_after(const Txn& txn, std::string_view party, uint64_t seq) {
  Cursor cur(txn, txn.dbs().history);
  const uint64_t last = seq >> index::kHistoryEpochBits;
  // The party's last move at or before `seq`: in seq's epoch, else in the
  // latest earlier epoch that holds one (one seek each).
  for (uint64_t epoch = last;; --epoch) {
    std::string prefix = index::history_seq_prefix(party, epoch);
    std::string bound = prefix;  // the first key past its moves that count
    if (epoch == last) bound += index::seq_key(seq + 1);
    else bound.back() = '\x01';
    bool found = cur.seek(bound) ? cur.prev() : cur.last();
    if (found && cur.key().starts_with(prefix)) {
      index::read_history_seq(cur.key(), prefix.size());  // refuses a malformed key
      return index::read_money(cur.value(), "history balance");
    }
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
