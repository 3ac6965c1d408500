#include "ledger/store.h"

#include "ledger/assert.h"

#include <sys/stat.h>

#include <algorithm>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ledger/error.h"

namespace fundtrail {

std::string be64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

uint64_t read_be64(std::string_view s) {
  if (s.size() != 8) unusable("ledger index holds a malformed 8-byte integer");
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  return v;
}

void lmdb_fail(int rc, const std::string& doing, const std::string& dir) {
  std::string hint;
  if (rc == ENOSPC || rc == EDQUOT) hint = " (the disk is full: free space and try again; nothing was written)";
  // LMDB reports a short write (a filesystem that filled up mid-write) as EIO;
  // EFBIG is a file size limit (ulimit -f). Either way the commit did not happen.
  if (rc == EFBIG) hint = " (a file size limit was reached: nothing was written)";
  if (rc == EIO) hint = " (a write failed: the disk may be full or failing; nothing was written)";
  if (rc == EACCES || rc == EROFS) hint = " (the ledger directory is read-only for this user)";
  if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) hint = " (this is not a fundtrail ledger)";
  if (rc == ENOENT) hint = " (no such ledger directory; create one with 'fundtrail init')";
  unusable("ledger '" + dir + "': " + doing + " failed: " + mdb_strerror(rc) + hint);
}

namespace {
constexpr size_t kInitialMap = size_t(64) << 20;

// FUNDTRAIL_MAX_MAP_BYTES caps the LMDB map (docs/reliability.md): tests use
// it to reach "map full" without filling a disk; an operator may use it to
// keep a ledger from taking a shared volume. 0 or unset: no cap.
size_t map_cap() {
  const char* v = std::getenv("FUNDTRAIL_MAX_MAP_BYTES");
  if (!v || !*v) return 0;
  char* end = nullptr;
  errno = 0;
  unsigned long long n = std::strtoull(v, &end, 10);
  if (errno || *end || v[0] == '-')
    unusable(std::string("FUNDTRAIL_MAX_MAP_BYTES='") + v + "' is not a whole number of bytes");
  return static_cast<size_t>(n);
}

// LMDB maps the file and trusts its meta page: pages past the end of a
// truncated file would fault (SIGBUS) on first touch. Says why, or "".
std::string truncation(MDB_env* env, const std::string& dir) {
  MDB_envinfo info;
  MDB_stat st;
  struct stat fs;
  if (mdb_env_info(env, &info) || mdb_env_stat(env, &st) || ::stat((dir + "/data.mdb").c_str(), &fs) != 0) return "";
  uint64_t needed = (uint64_t(info.me_last_pgno) + 1) * st.ms_psize;
  if (uint64_t(fs.st_size) >= needed) return "";
  return "ledger '" + dir + "': data.mdb is truncated (" + std::to_string(fs.st_size) + " bytes; its last page ends at byte " +
         std::to_string(needed) + "); restore it from a copy and run fundtrail-verify " + dir;
}
}  // namespace

namespace {
constexpr std::string_view kTreeLayoutKey = "tree_layout";
constexpr std::string_view kTreeLayoutCompletion = "completion";
constexpr std::string_view kIdemLayoutKey = "idem_layout";
constexpr std::string_view kIdemLayoutSeq = "seq";

// A layout marker in meta: written by a new environment, read by any other.
// True when meta holds `key` = `value`; an LMDB error is returned in `rc`.
bool marker(MDB_txn* txn, MDB_dbi meta, std::string_view key, std::string_view value, bool create, int& rc) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{value.size(), const_cast<char*>(value.data())};
  rc = create ? mdb_put(txn, meta, &k, &v, 0) : mdb_get(txn, meta, &k, &v);
  bool held = rc == 0 && std::string_view(static_cast<const char*>(v.mv_data), v.mv_size) == value;
  if (rc == MDB_NOTFOUND) rc = 0;
  return held;
}
}  // namespace

Env::Env(const std::string& dir, bool read_only, bool create) : read_only_(read_only), dir_(dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    unusable("ledger '" + dir + "' does not exist or is not a directory; create one with 'fundtrail init " + dir + "'");
  if (!create) {
    std::string data = dir + "/data.mdb";
    if (::stat(data.c_str(), &st) != 0) unusable("'" + dir + "' is not a fundtrail ledger (it has no data.mdb)");
  }
  size_t cap = map_cap();  // before mdb_env_create: a bad value throws with nothing to close
  size_t map = kInitialMap;
  size_t file_size = 0;
  if (::stat((dir + "/data.mdb").c_str(), &st) == 0) file_size = size_t(st.st_size);
  if (file_size * 2 > map) map = file_size * 2;
  if (cap && map > cap) map = std::max(cap, file_size);  // never less than the file: LMDB maps it whole
  // A new handle, every setting checked; LMDB needs a fresh handle after a
  // failed mdb_env_open.
  auto make_handle = [&] {
    int r = mdb_env_create(&env_);
    if (r) lmdb_fail(r, "creating the environment", dir);
    if ((r = mdb_env_set_maxdbs(env_, 16)) || (r = mdb_env_set_mapsize(env_, map))) {
      mdb_env_close(env_);
      env_ = nullptr;
      lmdb_fail(r, "configuring the environment", dir);
    }
  };
  make_handle();
  // MDB_NOTLS: read transactions may be used from worker threads.
  unsigned flags = MDB_NOTLS | (read_only ? MDB_RDONLY : 0);
  int rc = mdb_env_open(env_, dir.c_str(), flags, 0644);
  if (rc == EACCES && read_only) {
    // A read-only directory (no writable lock file): read without the lock file.
    mdb_env_close(env_);
    env_ = nullptr;
    make_handle();
    rc = mdb_env_open(env_, dir.c_str(), flags | MDB_NOLOCK, 0644);
  }
  if (rc) {
    mdb_env_close(env_);
    env_ = nullptr;
    lmdb_fail(rc, "opening", dir);
  }
  if (std::string why = truncation(env_, dir); !why.empty()) {
    mdb_env_close(env_);
    env_ = nullptr;
    unusable(why);
  }
  // A process killed inside a read transaction leaves its reader slot behind;
  // until cleared, that slot pins old pages and the file only grows.
  if (!read_only) {
    if (int r = mdb_reader_check(env_, nullptr)) {
      mdb_env_close(env_);
      env_ = nullptr;
      lmdb_fail(r, "clearing stale readers", dir);
    }
  }
  MDB_txn* txn;
  rc = mdb_txn_begin(env_, nullptr, read_only ? MDB_RDONLY : 0, &txn);
  if (rc) {
    mdb_env_close(env_);
    env_ = nullptr;
    lmdb_fail(rc, "starting a transaction", dir);
  }
  auto close_all = [&] {  // before giving up on a half-opened environment
    mdb_txn_abort(txn);
    mdb_env_close(env_);
    env_ = nullptr;
  };
  auto open_db = [&](const char* name, MDB_dbi& dbi) {
    int r = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, &dbi);
    if (r) {
      close_all();
      if (r == MDB_NOTFOUND) unusable("'" + dir + "' is not a fundtrail ledger (no '" + name + "' database)");
      lmdb_fail(r, std::string("opening database ") + name, dir);
    }
  };
  open_db("entries", dbs_.entries);
  open_db("tree", dbs_.tree);
  open_db("meta", dbs_.meta);
  open_db("checkpoints", dbs_.checkpoints);
  open_db("idem", dbs_.idem);
  open_db("parties", dbs_.parties);
  open_db("orgids", dbs_.orgids);
  open_db("grants", dbs_.grants);
  open_db("reversed", dbs_.reversed);
  open_db("ended", dbs_.ended);
  open_db("contracts", dbs_.contracts);
  open_db("claims", dbs_.claims);
  open_db("statuses", dbs_.statuses);
  // Added after ledgers existed: a ledger made before has none (dbi 0, which
  // no named database has) — flows until Ledger::open adds and fills it, the
  // balance history (made with a new environment, marked in meta) until reindex.
  auto open_optional = [&](const char* name, MDB_dbi& dbi) {
    int r = mdb_dbi_open(txn, name, create ? MDB_CREATE : 0, &dbi);
    if (r == MDB_NOTFOUND) {
      dbi = 0;
    } else if (r) {
      close_all();
      lmdb_fail(r, std::string("opening database ") + name, dir);
    }
  };
  open_optional("flows", dbs_.flows);
  open_optional("history", dbs_.history);
  // Each marker says which layout of a derived database this environment
  // keeps; one made before a layout keeps its own (docs/decisions.md).
  const struct {
    std::string_view key, value;
    bool* held;
  } markers[] = {{kHistoryKey, kHistoryKept, &dbs_.history_kept},
                 {kTreeLayoutKey, kTreeLayoutCompletion, &dbs_.tree_in_completion_order},
                 {kIdemLayoutKey, kIdemLayoutSeq, &dbs_.idem_seq_only}};
  for (const auto& m : markers) {
    int r = 0;
    *m.held = marker(txn, dbs_.meta, m.key, m.value, create, r);
    if (r) {
      close_all();
      lmdb_fail(r, "reading the marker " + std::string(m.key), dir);
    }
  }
  dbs_.history_kept = dbs_.history_kept && dbs_.history != 0;
  rc = mdb_txn_commit(txn);
  if (rc) {
    mdb_env_close(env_);
    env_ = nullptr;
    lmdb_fail(rc, "opening databases", dir);
  }
}

void Env::use_tree_layout(bool completion_order) {
  Txn txn(*this, true);
  if (completion_order) txn.put(dbs_.meta, kTreeLayoutKey, kTreeLayoutCompletion);
  else txn.del(dbs_.meta, kTreeLayoutKey);
  txn.commit();
  dbs_.tree_in_completion_order = completion_order;
}

void Env::use_idem_layout(bool seq_only) {
  Txn txn(*this, true);
  if (seq_only) txn.put(dbs_.meta, kIdemLayoutKey, kIdemLayoutSeq);
  else txn.del(dbs_.meta, kIdemLayoutKey);
  txn.commit();
  dbs_.idem_seq_only = seq_only;
}

void Env::add_flows(const std::function<void(Txn&)>& fill) {
  FT_REQUIRE(!read_only_ && dbs_.flows == 0, "flows is added once, to a ledger opened for writing");
  Txn txn(*this, true);
  MDB_dbi dbi = 0;
  if (int r = mdb_dbi_open(txn.raw(), "flows", MDB_CREATE, &dbi)) lmdb_fail(r, "creating database flows", dir_);
  dbs_.flows = dbi;
  try {
    fill(txn);
    txn.commit();
  } catch (...) {
    dbs_.flows = 0;  // the aborted transaction took the new handle with it
    throw;
  }
}

void Env::add_history() {
  FT_REQUIRE(!read_only_ && dbs_.history == 0, "history is added once, to a ledger opened for writing");
  Txn txn(*this, true);
  MDB_dbi dbi = 0;
  if (int r = mdb_dbi_open(txn.raw(), "history", MDB_CREATE, &dbi)) lmdb_fail(r, "creating database history", dir_);
  txn.commit();  // throws before the handle is kept: an aborted transaction closes it
  dbs_.history = dbi;
}

void Env::refresh_history() {
  Txn txn(*this, false);
  bool marked = txn.get(dbs_.meta, kHistoryKey) == std::optional<std::string_view>(kHistoryKept);
  MDB_dbi dbi = 0;
  int r = mdb_dbi_open(txn.raw(), "history", 0, &dbi);
  if (r && r != MDB_NOTFOUND) lmdb_fail(r, "opening database history", dir_);
  if (marked && r == MDB_NOTFOUND)
    unusable("ledger '" + dir_ + "': meta says it keeps the balance history, but it has no history database; run fundtrail reindex");
  txn.commit();  // a read transaction's commit keeps the handle it opened
  if (r == 0) dbs_.history = dbi;
  dbs_.history_kept = marked;
}

bool Env::history_current(const Txn& txn) const {
  return dbs_.history_kept || txn.get(dbs_.meta, kHistoryKey) != std::optional<std::string_view>(kHistoryKept);
}

Env::~Env() {
  if (env_) mdb_env_close(env_);
}

void Env::grow() {
  MDB_envinfo info;
  if (int rc = mdb_env_info(env_, &info)) lmdb_fail(rc, "reading the map size", dir_);
  size_t next = info.me_mapsize * 2;
  size_t cap = map_cap();
  if (cap && next > cap) next = cap;
  if (next <= info.me_mapsize)
    unusable("ledger '" + dir_ + "' is full: its LMDB map has reached FUNDTRAIL_MAX_MAP_BYTES=" + std::to_string(cap) +
             " bytes; nothing was written (raise or unset the limit and try again)");
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc) lmdb_fail(rc, "growing the map", dir_);
}

Txn::Txn(const Env& env, bool write) : env_(env) {
  for (int attempt = 0;; ++attempt) {
    int rc = mdb_txn_begin(env.get(), nullptr, write ? 0 : MDB_RDONLY, &txn_);
    if (rc == MDB_MAP_RESIZED && attempt < 3) {  // another process grew the map
      if (int r = mdb_env_set_mapsize(env.get(), 0)) lmdb_fail(r, "adopting the grown map", env.dir());
      continue;
    }
    if (rc) lmdb_fail(rc, write ? "starting a write transaction" : "starting a read transaction", env.dir());
    return;
  }
}

Txn::Txn(Txn& parent) : env_(parent.env_), root_(parent.root_) {
  int rc = mdb_txn_begin(env_.get(), parent.txn_, 0, &txn_);
  if (rc == MDB_MAP_FULL) throw MapFull{};
  if (rc) lmdb_fail(rc, "starting a nested write transaction", env_.dir());
  // Deferred writes made later in this one start at 0 if none exist yet.
  if (Deferred* d = deferred()) deferred_mark_ = d->size();
}

Txn::~Txn() {
  if (!txn_) return;
  mdb_txn_abort(txn_);
  if (root_ != this && root_->deferred_) root_->deferred_->roll_back(deferred_mark_);
}

void Txn::defer(std::unique_ptr<Deferred> d) {
  FT_REQUIRE(!root_->deferred_ && d, "a transaction's deferred writes are set once");
  root_->deferred_ = std::move(d);
}

std::optional<std::string_view> Txn::get(MDB_dbi dbi, std::string_view key) const {
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::nullopt;
  if (rc) lmdb_fail(rc, "reading", env_.dir());
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

void Txn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{value.size(), const_cast<char*>(value.data())};
  int rc = mdb_put(txn_, dbi, &k, &v, flags);
  if (rc == MDB_MAP_FULL) throw MapFull{};
  if (rc) lmdb_fail(rc, "writing", env_.dir());
}

void Txn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc && rc != MDB_NOTFOUND) lmdb_fail(rc, "deleting", env_.dir());
}

void Txn::clear(MDB_dbi dbi) {
  int rc = mdb_drop(txn_, dbi, 0);
  if (rc == MDB_MAP_FULL) throw MapFull{};
  if (rc) lmdb_fail(rc, "emptying a database", env_.dir());
}

void Txn::commit() {
  if (root_ == this && deferred_) {
    std::unique_ptr<Deferred> d = std::move(deferred_);
    d->write(*this);  // throws (MapFull too) with the transaction still open: the caller's abort undoes all
  }
  int rc = mdb_txn_commit(txn_);
  txn_ = nullptr;
  // A nested commit that failed undid the nested transaction: its deferred writes go too.
  if (rc && root_ != this && root_->deferred_) root_->deferred_->roll_back(deferred_mark_);
  if (rc == MDB_MAP_FULL) throw MapFull{};
  if (rc) lmdb_fail(rc, "committing", env_.dir());
}

Cursor::Cursor(const Txn& txn, MDB_dbi dbi) : dir_(txn.dir()) {
  if (int rc = mdb_cursor_open(txn.raw(), dbi, &cur_)) lmdb_fail(rc, "opening a cursor", dir_);
}

Cursor::~Cursor() {
  if (cur_) mdb_cursor_close(cur_);
}

bool Cursor::step(MDB_cursor_op op, std::string_view key) {
  if (op == MDB_SET_RANGE) k_ = MDB_val{key.size(), const_cast<char*>(key.data())};
  int rc = mdb_cursor_get(cur_, &k_, &v_, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc) lmdb_fail(rc, "reading with a cursor", dir_);
  return true;
}

bool Cursor::first() { return step(MDB_FIRST); }
bool Cursor::last() { return step(MDB_LAST); }
bool Cursor::seek(std::string_view key) { return step(MDB_SET_RANGE, key); }
bool Cursor::next() { return step(MDB_NEXT); }
bool Cursor::prev() { return step(MDB_PREV); }
std::string_view Cursor::key() const { return {static_cast<const char*>(k_.mv_data), k_.mv_size}; }
std::string_view Cursor::value() const { return {static_cast<const char*>(v_.mv_data), v_.mv_size}; }

}  // namespace fundtrail
