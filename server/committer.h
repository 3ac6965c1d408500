// Group commit (DESIGN.md "Serving a partnership"): requests submitted from
// any number of HTTP workers are committed together, in arrival order, by one
// thread calling Ledger::append_each, so many requests share one durable
// LMDB commit; each submitter gets its own outcome after that commit. The
// stateless checks (signatures above all) run before, on the submitters'
// threads, so they overlap the commit of the group before. (A leader-based
// queue without this thread, as LevelDB's, was tried: 30% fewer appends a
// second in the serve benchmark, so the dedicated thread stays.)
//
// A payment run (Ledger::append_run) goes through the same queue and thread
// as a group of its own, in arrival order: one writer of the Ledger, and
// after_commit (the checkpointer) follows a run as it follows a group.
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
#include <variant>

#include "ledger/ledger.h"

namespace fundtrail::server {

// A payment run's outcome: recorded (or retried), or refused whole.
struct RunOutcome {
  std::optional<RunAppended> appended;
  std::optional<Error> refused;
};

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

  // `request` passed Ledger::precheck on the submitter's thread.
  std::future<AppendOutcome> submit(CheckedRequest request);
  // A run, checked and appended whole by Ledger::append_run on the committer
  // thread (its stateless checks are the ledger's own, inside append_run).
  std::future<RunOutcome> submit_run(BatchRequest run);
  void stop();
  uint64_t groups() const;    // groups taken from the queue, for tests and the shutdown line
  uint64_t requests() const;  // requests in them

 private:
  void run();
  struct Pending {
    CheckedRequest request;
    std::promise<AppendOutcome> answer;
  };
  struct PendingRun {
    BatchRequest run;
    std::promise<RunOutcome> answer;
  };
  void commit_group(std::vector<Pending>& group);
  void commit_run(PendingRun& run);
  void committed(bool appended);
  Ledger& ledger_;
  std::shared_mutex& ledger_lock_;
  std::function<void(uint64_t)> after_commit_;
  size_t max_group_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::variant<Pending, PendingRun>> queue_;
  bool stopping_ = false;
  uint64_t groups_ = 0, requests_ = 0;
  std::thread thread_;
};

}  // namespace fundtrail::server
