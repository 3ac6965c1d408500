#include "pipeline.h"

#include <unistd.h>

#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

namespace fv {
namespace {

constexpr size_t kBatchRecords = 4096;
constexpr size_t kBatchBytes = 8 << 20;  // stop filling a batch past 8 MiB of record bytes
constexpr size_t kChunk = 32;            // records a worker takes at a time

struct Item {
  size_t offset = 0;  // in words, into the batch's arena
  size_t size = 0;    // bytes
  RawRecord raw;      // key facts only; raw.data is not used after filling
  Examined ex;
};

struct Batch {
  std::vector<uint64_t> arena;  // record bytes, each starting on a word boundary
  std::vector<Item> items;      // reused between batches
  size_t count = 0;
  size_t next = 0, done = 0;  // guarded by the workers' mutex
  const capnp::word* words(const Item& it) const {
    return reinterpret_cast<const capnp::word*>(arena.data() + it.offset);
  }
};

// Workers that run examine() on every record of the batches queued to them.
// Claims and completions are counted under one mutex, so a worker never holds
// a batch that this thread may be refilling.
class Workers {
 public:
  Workers() {
    unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Workers() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void submit(Batch& b) {
    {
      std::lock_guard l(m_);
      b.next = 0, b.done = 0;
      queue_.push_back(&b);
    }
    wake_.notify_all();
  }
  void wait(Batch& b) {
    std::unique_lock l(m_);
    finished_.wait(l, [&] { return b.done == b.count; });
  }

 private:
  void run() {
    std::unique_lock l(m_);
    for (;;) {
      wake_.wait(l, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;  // the run is over (or was abandoned): leave what is queued
      Batch* b = queue_.front();
      size_t begin = b->next, end = std::min(begin + kChunk, b->count);
      b->next = end;
      if (end == b->count) queue_.pop_front();
      l.unlock();
      for (size_t j = begin; j < end; ++j) {
        Item& it = b->items[j];
        if (!it.ex.tooBig) examine(b->words(it), it.size, it.ex);
      }
      l.lock();
      b->done += end - begin;
      if (b->done == b->count) finished_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable wake_, finished_;
  std::deque<Batch*> queue_;
  std::vector<std::thread> threads_;
  bool stop_ = false;
};

// Copies the next records into the batch (aligned), then gives the source's
// pages back. Returns false when there was nothing left to read.
bool fill(Source& source, Batch& b) {
  b.count = 0;
  size_t used = 0;
  RawRecord r;
  while (b.count < kBatchRecords && used * 8 < kBatchBytes && source.next(r)) {
    if (b.items.size() == b.count) b.items.emplace_back();
    Item& it = b.items[b.count++];
    it.size = r.size;
    it.raw = RawRecord{nullptr, r.size, r.keyMatches, r.keyNote};
    it.ex.tooBig = r.size > kMaxRecordBytes;
    if (it.ex.tooBig) {  // never copied: hashed in place and reported
      it.offset = 0;
      it.ex = Examined{};
      it.ex.tooBig = true;
      it.ex.leaf = leafHash({r.data, r.size});
      continue;
    }
    size_t words = (r.size + 7) / 8;
    it.offset = used;
    if (b.arena.size() < used + words) b.arena.resize(std::max(used + words, b.arena.size() * 2));
    if (words) {
      b.arena[used + words - 1] = 0;  // zero the padding of the last word
      memcpy(b.arena.data() + used, r.data, r.size);
    }
    used += words;
  }
  source.releasePages();
  return b.count > 0;
}

void showProgress(uint64_t done, uint64_t total) {
  int pct = total ? int(std::min<uint64_t>(100, done * 100 / total)) : 100;
  char bar[31];
  for (int i = 0; i < 30; ++i) bar[i] = i < pct * 30 / 100 ? '#' : '.';
  bar[30] = 0;
  fprintf(stderr, "\rverifying [%s] %3d%%  %llu / %llu records", bar, pct, (unsigned long long)done,
          (unsigned long long)total);
  fflush(stderr);
}

}  // namespace

void streamRecords(Source& source, Ledger& ledger, CompactRange& tree, const std::set<uint64_t>& marks,
                   const std::function<void(uint64_t)>& onMark, bool progress, uint64_t& pos) {
  Batch batches[2];
  Workers workers;  // declared after the batches: joined before they go
  uint64_t total = source.expectedCount();
  pos = 0;
  struct ClearBar {  // also when Unusable is thrown midway
    bool on;
    ~ClearBar() {
      if (on) fprintf(stderr, "\r\033[K");
    }
  } clear{progress};
  if (marks.count(0)) onMark(0);
  bool more = fill(source, batches[0]);
  if (more) workers.submit(batches[0]);
  for (int k = 0; more; k ^= 1) {
    Batch& cur = batches[k];
    Batch& nxt = batches[k ^ 1];
    // Let the workers start on the next batch while this thread applies the rules.
    more = fill(source, nxt);
    if (more) workers.submit(nxt);
    workers.wait(cur);
    for (size_t i = 0; i < cur.count; ++i) {
      const Item& it = cur.items[i];
      tree.append(it.ex.leaf);
      ledger.apply(pos, cur.words(it), it.size, it.ex, it.raw);
      ++pos;  // not counted when apply() throws Unusable
      if (marks.count(pos)) onMark(pos);
    }
    if (progress) showProgress(pos, std::max(pos, total));
  }
}

std::optional<uint64_t> findIdempotencyKey(Source& source, const std::string& key, uint64_t before) {
  std::optional<uint64_t> found;
  std::vector<uint64_t> buf;
  source.rescan([&](uint64_t pos, const RawRecord& r) {
    if (pos >= before) return false;
    if (r.size > kMaxRecordBytes || r.size % 8) return true;
    buf.assign(r.size / 8, 0);
    memcpy(buf.data(), r.data, r.size);
    try {
      SegmentReader outer(reinterpret_cast<const capnp::word*>(buf.data()), buf.size());
      auto bytes = outer.root<schema::SignedEntry>().getEntry();
      if (bytes.size() % 8) return true;
      SegmentReader inner(entryWords(bytes), bytes.size() / 8);
      auto k = inner.root<schema::Entry>().getIdempotencyKey();
      if (std::string_view(k.cStr(), k.size()) == key) {
        found = pos;
        return false;
      }
    } catch (const kj::Exception&) {
    }
    return true;
  });
  return found;
}

bool paymentHasClaim(Source& source, uint64_t seq, std::string_view claim, std::string_view milestone) {
  bool found = false;
  std::vector<uint64_t> buf;
  source.rescan([&](uint64_t pos, const RawRecord& r) {
    if (pos < seq) return true;
    if (pos > seq || r.size > kMaxRecordBytes || r.size % 8) return false;
    buf.assign(r.size / 8, 0);
    memcpy(buf.data(), r.data, r.size);
    try {
      SegmentReader outer(reinterpret_cast<const capnp::word*>(buf.data()), buf.size());
      auto bytes = outer.root<schema::SignedEntry>().getEntry();
      if (bytes.size() % 8) return false;
      SegmentReader inner(entryWords(bytes), bytes.size() / 8);
      auto body = inner.root<schema::Entry>().getBody();
      if (!body.isPayment()) return false;
      auto p = body.getPayment();
      if (std::string_view(p.getMilestone().cStr(), p.getMilestone().size()) != milestone) return false;
      for (auto c : p.getClaimIds())
        if (std::string_view(c.cStr(), c.size()) == claim) found = true;
    } catch (const kj::Exception&) {
    }
    return false;
  });
  return found;
}

}  // namespace fv
