// Group commit (DESIGN.md "Serving a partnership"): requests submitted from
// any number of HTTP workers are committed together, in arrival order, by one
// thread calling Ledger::append_each, so many requests share one durable
// LMDB commit; each submitter gets its own outcome after that commit.
//
// Thread safety: submit() from any thread; the ledger is used by the
// committer thread alone while it runs (reads elsewhere use their own read
// transactions). stop() answers what is queued, then returns.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "ledger/ledger.h"

namespace fundtrail::server {

class GroupCommitter {
 public:
  // `after_commit(size)` runs on the committer thread after each commit that
  // appended something (the checkpointer hangs here). `ledger_lock` is held
  // exclusively around each commit (see service.h).
  GroupCommitter(Ledger& ledger, std::shared_mutex& ledger_lock, std::function<void(uint64_t)> after_commit,
                 size_t max_group = 4096);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  std::future<AppendOutcome> submit(SignedRequest request);
  void stop();
  uint64_t groups() const;  // commits made, for tests and the access log

 private:
  void run();
  struct Pending {
    SignedRequest request;
    std::promise<AppendOutcome> answer;
  };
  Ledger& ledger_;
  std::shared_mutex& ledger_lock_;
  std::function<void(uint64_t)> after_commit_;
  size_t max_group_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  uint64_t groups_ = 0;
  std::thread thread_;
};

}  // namespace fundtrail::server
