#include "ledger/leaf_chain.h"

#include "ledger/assert.h"

namespace fundtrail {
namespace {
// Below this many records a run's leaves are built inline: a thread's start
// and the waits cost more than building a few leaves.
constexpr size_t kThreadedRun = 64;
}  // namespace

LeafChain::LeafChain(std::span<const Bytes> entries, uint64_t first, const Hash& prev, int64_t recorded_at, uint64_t batch_seq)
    : entries_(entries), first_(first), prev_(prev), recorded_at_(recorded_at), batch_seq_(batch_seq), leaves_(entries.size()) {
  if (entries_.size() >= kThreadedRun) builder_ = std::thread([this] { build(); });
}

LeafChain::~LeafChain() {
  stop_.store(true, std::memory_order_relaxed);
  if (builder_.joinable()) builder_.join();
}

void LeafChain::build() {
  Hash prev = prev_;
  for (size_t i = 0; i < leaves_.size() && !stop_.load(std::memory_order_relaxed); ++i) {
    Leaf& leaf = leaves_[i];
    try {
      leaf.prev = prev;
      leaf.bytes = build_leaf(first_ + i, prev, recorded_at_, entries_[i], {}, batch_seq_);
      leaf.hash = leaf_hash(leaf.bytes);
    } catch (...) {
      failed_ = std::current_exception();
      failed_flag_.store(true, std::memory_order_release);
      events_.fetch_add(1, std::memory_order_release);
      events_.notify_one();
      return;
    }
    prev = leaf.hash;
    built_.store(i + 1, std::memory_order_release);
    events_.fetch_add(1, std::memory_order_release);
    events_.notify_one();
  }
}

const LeafChain::Leaf& LeafChain::at(size_t i) {
  FT_REQUIRE(i < leaves_.size(), "a leaf of the run");
  if (!builder_.joinable()) {  // inline: build up to i now
    for (size_t k = built_.load(std::memory_order_relaxed); k <= i; ++k) {
      Leaf& leaf = leaves_[k];
      leaf.prev = k == 0 ? prev_ : leaves_[k - 1].hash;
      leaf.bytes = build_leaf(first_ + k, leaf.prev, recorded_at_, entries_[k], {}, batch_seq_);
      leaf.hash = leaf_hash(leaf.bytes);
      built_.store(k + 1, std::memory_order_relaxed);
    }
    return leaves_[i];
  }
  for (;;) {
    uint64_t seen = events_.load(std::memory_order_acquire);  // before the checks: no event is missed
    if (built_.load(std::memory_order_acquire) > i) return leaves_[i];
    if (failed_flag_.load(std::memory_order_acquire)) std::rethrow_exception(failed_);
    events_.wait(seen, std::memory_order_acquire);
  }
}

}  // namespace fundtrail
