#include "ledger/history.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ledger/assert.h"
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
void add_to_day(RawCursor& cur, const std::string& key, uint64_t delta) {
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{};
  bool found = cur.get(k, v, MDB_SET_KEY);
  uint64_t net = delta;  // modulo 2^64: a day's net may pass what one balance holds
  if (found) net += static_cast<uint64_t>(index::read_money(view(v), "history day net"));
  cur.put(key, index::money_value(static_cast<int64_t>(net)), found ? MDB_CURRENT : 0);
}

struct Move {
  std::string party;
  uint64_t seq;
  uint32_t day;
  int64_t balance_after;
  int64_t delta;
};

// Appends one party's moves in one epoch (in seq order) to its last chunk
// there while it has room, then to new chunks: one search for the party, one
// write per chunk.
void add_moves(RawCursor& cur, std::span<const Move* const> moves) {
  const std::string& party = moves.front()->party;
  std::string prefix = index::history_seq_prefix(party, moves.front()->seq >> index::kHistoryEpochBits);
  std::string past = prefix;
  past.back() = '\x01';  // the first key after every chunk of the party in the epoch
  MDB_val k{past.size(), past.data()}, v{};
  bool found = cur.get(k, v, MDB_SET_RANGE) ? cur.get(k, v, MDB_PREV) : cur.get(k, v, MDB_LAST);
  std::string key, chunk;
  index::HistoryMove last{};
  bool open = false;  // `key` names a chunk stored already, being added to
  if (found && view(k).starts_with(prefix) && v.mv_size < index::kHistoryChunkBytes) {
    key = view(k);
    chunk = view(v);
    last = index::history_move_at(chunk, index::read_history_seq(key, prefix.size()), UINT64_MAX);
    if (last.seq > moves.front()->seq)  // moves come in seq order: a later one was written by something else
      refuse("index", "", std::nullopt, "the balance history of " + party + " is malformed; run fundtrail reindex");
    open = true;
  }
  for (const Move* m : moves) {
    if (key.empty() || chunk.size() >= index::kHistoryChunkBytes) {
      if (!key.empty()) cur.put(key, chunk, open ? MDB_CURRENT : 0);
      key = index::history_seq_key(party, m->seq);
      chunk.clear();
      last = {m->seq, 0};
      open = false;
    }
    index::append_history_move(chunk, last, {m->seq, m->balance_after});
    last = {m->seq, m->balance_after};
  }
  // The cursor still stands on the open chunk unless a new one was put since.
  cur.put(key, chunk, open ? MDB_CURRENT : 0);
}

// A write transaction's moves, written at its commit: sorted by key so each
// party's chunk is found and rewritten once, and each (party, day) net added
// to once, in key order (pages are visited once, in turn).
class PendingMoves final : public Deferred {
 public:
  std::vector<Move> moves;

  size_t size() const override { return moves.size(); }
  void roll_back(size_t mark) override { moves.resize(std::min(mark, moves.size())); }

  void write(Txn& txn) override {
    RawCursor cur(txn);
    std::vector<const Move*> order(moves.size());
    for (size_t i = 0; i < moves.size(); ++i) order[i] = &moves[i];
    // Chunks: by (epoch, party), each party's moves kept in seq order.
    auto epoch = [](const Move* m) { return m->seq >> index::kHistoryEpochBits; };
    std::stable_sort(order.begin(), order.end(), [&](const Move* a, const Move* b) {
      return epoch(a) != epoch(b) ? epoch(a) < epoch(b) : a->party < b->party;
    });
    for (size_t i = 0; i < order.size();) {
      size_t j = i;
      while (j < order.size() && epoch(order[j]) == epoch(order[i]) && order[j]->party == order[i]->party) ++j;
      add_moves(cur, std::span<const Move* const>(order.data() + i, j - i));
      i = j;
    }
    // Day nets: by (party, day), summed modulo 2^64 before one read and write.
    std::sort(order.begin(), order.end(), [](const Move* a, const Move* b) {
      return a->party != b->party ? a->party < b->party : a->day < b->day;
    });
    for (size_t i = 0; i < order.size();) {
      uint64_t net = 0;
      size_t j = i;
      for (; j < order.size() && order[j]->party == order[i]->party && order[j]->day == order[i]->day; ++j)
        net += static_cast<uint64_t>(order[j]->delta);
      add_to_day(cur, index::history_day_key(order[i]->party, order[i]->day), net);
      i = j;
    }
  }
};

}  // namespace

void record_move(Txn& txn, std::string_view party, uint64_t seq, uint32_t day, int64_t balance_after, int64_t delta) {
  if (!txn.dbs().history_kept) return;
  if (!txn.deferred()) txn.defer(std::make_unique<PendingMoves>());
  auto* pending = dynamic_cast<PendingMoves*>(txn.deferred());
  FT_ASSERT(pending, "a write transaction defers only the balance history's moves");
  pending->moves.push_back({std::string(party), seq, day, balance_after, delta});
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
