// LMDB storage (internal to ledger/): one environment per ledger directory,
// the named databases of DESIGN.md "Storage", and a thin transaction wrapper.
#pragma once
#include <lmdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fundtrail {

// Big-endian 8-byte integers sort numerically as LMDB keys. The primitive
// under ledger/index.h; other code names a layout through index::.
std::string be64(uint64_t v);
uint64_t read_be64(std::string_view s);

// The named databases of DESIGN.md "Storage". Their keys and values are laid
// out in ledger/index.h, and only built or read there.
struct Dbs {
  MDB_dbi entries = 0;
  MDB_dbi tree = 0;
  MDB_dbi meta = 0;
  MDB_dbi checkpoints = 0;
  MDB_dbi idem = 0;
  MDB_dbi parties = 0;
  MDB_dbi orgids = 0;
  MDB_dbi grants = 0;
  MDB_dbi reversed = 0;
  MDB_dbi ended = 0;
  MDB_dbi contracts = 0;
  MDB_dbi claims = 0;
  MDB_dbi statuses = 0;
  MDB_dbi flows = 0;
  // Per-party balance history (ledger/history.h). A ledger made before it
  // has no such database, or one without meta's marker, until `reindex`
  // fills it: until then appends leave it alone and as-of reads replay.
  MDB_dbi history = 0;
  bool history_kept = false;  // meta holds kHistoryKey: appends write it, reads trust it
  // The tree database's key layout (ledger/tree_store.cpp): subtrees keyed in
  // the order they complete, so every put appends; false for a ledger made
  // before (keys level, index), which keeps its layout.
  bool tree_in_completion_order = false;
  // The idem database's values: the seq alone, for a ledger made since the
  // writer stopped storing the request's body hash there (a retry re-reads
  // the record at that seq anyway); false: seq || body hash, as made before.
  bool idem_seq_only = false;
};

// meta's marker that the history database is complete and kept up to date
// (written with it by `init` and by `reindex`; docs/decisions.md, issue 25).
inline constexpr std::string_view kHistoryKey = "balance_history";
// "chunked" names ledger/index.h's layout of it; a ledger marked "kept" holds
// the first layout (a key per move) and answers by replay until reindex.
inline constexpr std::string_view kHistoryKept = "chunked";

class Txn;

class Env {
 public:
  Env(const std::string& dir, bool read_only, bool create);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  MDB_env* get() const { return env_; }
  const Dbs& dbs() const { return dbs_; }
  bool read_only() const { return read_only_; }
  const std::string& dir() const { return dir_; }
  void grow();  // doubles the map; no transaction of ours may be open
  // A ledger made before the flows database has none (dbs().flows == 0):
  // add_flows creates it and runs `fill` in one write transaction.
  void add_flows(const std::function<void(Txn&)>& fill);
  // A new environment that rebuilds another's indexes takes its tree layout.
  void use_tree_layout(bool completion_order);
  void use_idem_layout(bool seq_only);  // likewise for the idem values
  // A ledger made before the history database: creates it empty, unmarked
  // (reindex fills it and writes the marker in its own transaction).
  void add_history();
  // Reads the history marker (and opens the database) afresh: after this
  // process's reindex, or another process's, added them.
  void refresh_history();
  // False when `txn` sees the marker this environment has not taken up yet
  // (another process reindexed since it opened): the caller aborts `txn`,
  // refreshes and starts again, so no append leaves the history out.
  bool history_current(const Txn& txn) const;

 private:
  MDB_env* env_ = nullptr;
  Dbs dbs_;
  bool read_only_;
  std::string dir_;
};

class Txn;

// Writes a write transaction gathers and makes at its commit, in one sorted
// pass rather than one search per change (the balance history's moves,
// ledger/history.cpp). Owned by the outermost transaction; a nested one that
// ends uncommitted rolls back what was added since it began.
class Deferred {
 public:
  virtual ~Deferred() = default;
  virtual size_t size() const = 0;           // a mark to roll back to
  virtual void roll_back(size_t mark) = 0;   // forgets what was added after `mark`
  virtual void write(Txn& outermost) = 0;    // once, just before the outermost commit
};

class Txn {
 public:
  Txn(const Env& env, bool write);
  // A nested write transaction inside `parent` (a write transaction): its
  // changes reach `parent` only when it commits; destroyed uncommitted, they
  // vanish and `parent` goes on as before.
  explicit Txn(Txn& parent);
  ~Txn();
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  std::optional<std::string_view> get(MDB_dbi dbi, std::string_view key) const;
  void put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  void del(MDB_dbi dbi, std::string_view key);
  void clear(MDB_dbi dbi);  // empties the database (mdb_drop, keeping it)
  // Writes the deferred changes (outermost transaction), then commits.
  void commit();
  // The outermost transaction's deferred writes (null: none yet), and
  // setting them (once, on a write transaction).
  Deferred* deferred() const { return root_->deferred_.get(); }
  void defer(std::unique_ptr<Deferred> d);
  MDB_txn* raw() const { return txn_; }
  const Dbs& dbs() const { return env_.dbs(); }
  const std::string& dir() const { return env_.dir(); }

 private:
  const Env& env_;
  MDB_txn* txn_ = nullptr;
  Txn* root_ = this;                    // the outermost transaction (this one, unless nested)
  std::unique_ptr<Deferred> deferred_;  // only on the outermost
  size_t deferred_mark_ = 0;            // a nested one: deferred()'s size when it began
};

// A cursor over one database of `txn`, every LMDB return code checked: the
// walk ends at the end of the database, never at an error (which throws).
// Views it returns live until the cursor moves or the transaction ends.
class Cursor {
 public:
  Cursor(const Txn& txn, MDB_dbi dbi);
  ~Cursor();
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  bool first();                        // false: the database is empty
  bool last();                         // false: the database is empty
  bool seek(std::string_view key);     // first key >= `key`; false: none
  bool next();                         // false: no further key
  bool prev();                         // false: no earlier key
  std::string_view key() const;
  std::string_view value() const;

 private:
  bool step(MDB_cursor_op op, std::string_view key = {});
  MDB_cursor* cur_ = nullptr;
  MDB_val k_{}, v_{};
  std::string dir_;
};

// Thrown by Txn::put when the map is full; the caller aborts, grows, retries.
struct MapFull {};

// Raises Error(unusable) describing an LMDB failure (disk full, read-only...).
[[noreturn]] void lmdb_fail(int rc, const std::string& doing, const std::string& dir);

}  // namespace fundtrail
