// A payment run's records as leaves, built ahead on another thread
// (internal to ledger/): each leaf holds the hash of the one before, so the
// chain is built in order, but it needs nothing the rules decide, only where
// the run starts. The writer applies record i's rules while the chain
// builds i+1, i+2, ... and takes each leaf when it writes it.
#pragma once
#include <atomic>
#include <cstdint>
#include <exception>
#include <span>
#include <thread>
#include <vector>

#include "ledger/hash.h"
#include "ledger/record.h"

namespace fundtrail {

class LeafChain {
 public:
  struct Leaf {
    Hash prev{};  // the hash it chains from: the writer's head before it, or the chain was wrong
    Bytes bytes;
    Hash hash{};  // leaf_hash(bytes)
  };

  // The leaves of `entries` (unsigned records of the run `batch_seq`) from
  // seq `first` on, chained from `prev`, all recorded at `recorded_at`.
  // `entries` must outlive the chain. Small runs are built inline, on the
  // first call of at(), where a thread would cost more than it saves.
  LeafChain(std::span<const Bytes> entries, uint64_t first, const Hash& prev, int64_t recorded_at, uint64_t batch_seq);
  ~LeafChain();  // stops and joins the builder
  LeafChain(const LeafChain&) = delete;
  LeafChain& operator=(const LeafChain&) = delete;

  // Leaf i, once built (waits); rethrows what building it threw. Called by
  // one thread, with i rising.
  const Leaf& at(size_t i);

 private:
  void build();

  std::span<const Bytes> entries_;
  uint64_t first_;
  Hash prev_;
  int64_t recorded_at_;
  uint64_t batch_seq_;
  std::vector<Leaf> leaves_;
  std::exception_ptr failed_;      // what building leaf `built_` threw
  std::atomic<size_t> built_{0};   // leaves [0, built_) are ready (release/acquire)
  std::atomic<bool> failed_flag_{false};
  std::atomic<uint64_t> events_{0};  // bumped after each leaf and a failure: what at() waits on
  std::atomic<bool> stop_{false};
  std::thread builder_;
};

}  // namespace fundtrail
