#include "source.h"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fv {
namespace {

const char kMagic[] = "fundtrail-bundle/v1\n";
constexpr size_t kMagicLen = sizeof kMagic - 1;  // 20

uint64_t readBE64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

void dropPages(const void* addr, size_t len) {
  if (!addr || len == 0) return;
  long page = sysconf(_SC_PAGESIZE);
  auto a = reinterpret_cast<uintptr_t>(addr) & ~uintptr_t(page - 1);
  auto e = reinterpret_cast<uintptr_t>(addr) + len;
  madvise(reinterpret_cast<void*>(a), e - a, MADV_DONTNEED);
}

// ---- bundle: a memory-mapped file with length-prefixed records ----
class BundleSource : public Source {
 public:
  explicit BundleSource(const std::string& path) : path_(path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Unusable("cannot read " + path + ": " + strerror(errno));
    struct stat st;
    fstat(fd, &st);
    size_ = size_t(st.st_size);
    if (size_ == 0) {
      close(fd);
      throw Unusable(path + " is an empty file: neither a ledger directory nor a bundle");
    }
    void* m = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) throw Unusable("cannot map " + path + ": " + strerror(errno));
    base_ = static_cast<const uint8_t*>(m);
    size_t head = std::min(size_, kMagicLen);
    if (memcmp(base_, kMagic, head) != 0)
      throw Unusable(path + " is not a fundtrail bundle (it does not start with 'fundtrail-bundle/v1')");
    if (size_ < kMagicLen + 8)
      throw Unusable("truncated bundle " + path + ": the file ends inside its header");
    count_ = readBE64(base_ + kMagicLen);
    // Check the framing before any record is believed: truncation and
    // trailing garbage are unusable input, whatever the records say.
    size_t off = kMagicLen + 8;
    for (uint64_t i = 0; i < count_; ++i) {
      if (size_ - off < 2 || size_ - off - 2 < size_t(base_[off] << 8 | base_[off + 1]))
        throw Unusable("truncated bundle " + path + ": the header says " + std::to_string(count_) +
                       " records but the file ends inside record " + std::to_string(i) + " (byte offset " +
                       std::to_string(off) + ")");
      off += 2 + size_t(base_[off] << 8 | base_[off + 1]);
      if (i % 65536 == 65535) dropPages(base_, off);  // keep the file's pages out of memory
    }
    if (off != size_)
      throw Unusable("garbage after the last record of bundle " + path + ": " + std::to_string(size_ - off) +
                     " bytes follow record " + std::to_string(count_ ? count_ - 1 : 0) +
                     " (the header says " + std::to_string(count_) + " records)");
    if (count_ == 0) throw Unusable("bundle " + path + " holds no records (not even genesis)");
    dropPages(base_, size_);
    off_ = kMagicLen + 8;
  }
  ~BundleSource() override { munmap(const_cast<uint8_t*>(base_), size_); }

  const char* kind() const override { return "bundle"; }
  std::string file() const override { return path_; }
  uint64_t expectedCount() const override { return count_; }

  bool next(RawRecord& r) override {
    if (off_ >= size_) return false;
    size_t len = size_t(base_[off_] << 8 | base_[off_ + 1]);
    r = RawRecord{base_ + off_ + 2, len, true, {}};
    off_ += 2 + len;
    return true;
  }
  void releasePages() override { dropPages(base_, off_); }
  void rescan(const std::function<bool(uint64_t, const RawRecord&)>& fn) override {
    size_t off = kMagicLen + 8;
    for (uint64_t i = 0; off < size_; ++i) {
      size_t len = size_t(base_[off] << 8 | base_[off + 1]);
      if (!fn(i, RawRecord{base_ + off + 2, len, true, {}})) break;
      off += 2 + len;
    }
    dropPages(base_, size_);
  }

 private:
  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0, off_ = 0;
  uint64_t count_ = 0;
};

// ---- ledger directory: LMDB, read-only, no lock file (works on read-only media) ----
class LmdbSource : public Source {
 public:
  explicit LmdbSource(const std::string& dir) : dir_(dir), file_(dir + "/data.mdb") {
    struct stat st;
    if (stat(file_.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      throw Unusable(dir + " is not a fundtrail ledger directory: it has no data.mdb");
    if (access(file_.c_str(), R_OK) != 0) throw Unusable("cannot read " + file_ + ": " + strerror(errno));
    check(mdb_env_create(&env_), "create an LMDB environment");
    mdb_env_set_maxdbs(env_, 16);
    check(mdb_env_open(env_, dir.c_str(), MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0444), "open");
    check(mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn_), "begin a read transaction on");
    int rc = mdb_dbi_open(txn_, "entries", 0, &dbi_);
    if (rc == MDB_NOTFOUND) throw Unusable(dir + " is not a fundtrail ledger: it has no 'entries' database");
    check(rc, "open the 'entries' database of");
    MDB_stat ms;
    check(mdb_stat(txn_, dbi_, &ms), "read the size of");
    count_ = ms.ms_entries;
    if (count_ == 0) throw Unusable(dir + " holds no records (not even genesis)");
    check(mdb_cursor_open(txn_, dbi_, &cursor_), "open a cursor on");
  }
  ~LmdbSource() override {
    if (cursor_) mdb_cursor_close(cursor_);
    if (txn_) mdb_txn_abort(txn_);
    if (env_) mdb_env_close(env_);
  }

  const char* kind() const override { return "ledger directory"; }
  std::string file() const override { return file_; }
  uint64_t expectedCount() const override { return count_; }

  bool next(RawRecord& r) override { return step(cursor_, first_, position_, r); }
  // Gives back the pages that held the records read since the last call (the
  // span from the lowest to the highest byte read); a page the cursor still
  // needs is simply read again from the page cache.
  void releasePages() override {
    if (hi_ > lo_) dropPages(lo_, size_t(hi_ - lo_));
    lo_ = hi_ = nullptr;
  }
  void rescan(const std::function<bool(uint64_t, const RawRecord&)>& fn) override {
    MDB_cursor* c = nullptr;
    check(mdb_cursor_open(txn_, dbi_, &c), "open a cursor on");
    bool first = true;
    uint64_t pos = 0;
    RawRecord r;
    while (step(c, first, pos, r))
      if (!fn(pos - 1, r)) break;
    mdb_cursor_close(c);
    releasePages();
  }

 private:
  void check(int rc, const char* what) {
    if (rc != MDB_SUCCESS) throw Unusable(std::string("cannot ") + what + " " + dir_ + ": " + mdb_strerror(rc));
  }
  bool step(MDB_cursor* c, bool& first, uint64_t& position, RawRecord& r) {
    MDB_val k, v;
    int rc = mdb_cursor_get(c, &k, &v, first ? MDB_FIRST : MDB_NEXT);
    first = false;
    if (rc == MDB_NOTFOUND) return false;
    if (rc != MDB_SUCCESS) throw Unusable("cannot read " + file_ + " after record " + std::to_string(position) +
                                          ": " + mdb_strerror(rc));
    r = RawRecord{static_cast<const uint8_t*>(v.mv_data), v.mv_size, true, {}};
    for (const MDB_val* m : {&k, &v}) {
      auto* b = static_cast<const uint8_t*>(m->mv_data);
      if (!lo_ || b < lo_) lo_ = b;
      if (b + m->mv_size > hi_) hi_ = b + m->mv_size;
    }
    uint64_t key = k.mv_size == 8 ? readBE64(static_cast<const uint8_t*>(k.mv_data)) : ~uint64_t(0);
    if (k.mv_size != 8) r.keyMatches = false, r.keyNote = "a " + std::to_string(k.mv_size) + "-byte key";
    else if (key != position) r.keyMatches = false, r.keyNote = "key " + std::to_string(key);
    ++position;
    return true;
  }

  std::string dir_, file_;
  MDB_env* env_ = nullptr;
  MDB_txn* txn_ = nullptr;
  MDB_dbi dbi_ = 0;
  MDB_cursor* cursor_ = nullptr;
  const uint8_t *lo_ = nullptr, *hi_ = nullptr;  // span of the map read since the last release
  uint64_t count_ = 0, position_ = 0;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<Source> openSource(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) throw Unusable("cannot read " + path + ": " + strerror(errno));
  if (S_ISDIR(st.st_mode)) return std::make_unique<LmdbSource>(path);
  if (S_ISREG(st.st_mode)) return std::make_unique<BundleSource>(path);
  throw Unusable(path + " is neither a ledger directory nor a bundle file");
}

}  // namespace fv

