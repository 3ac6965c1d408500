#include "server/committer.h"

#include <exception>
#include <optional>
#include <vector>

namespace fundtrail::server {

GroupCommitter::GroupCommitter(Ledger& ledger, std::shared_mutex& ledger_lock, std::function<void(uint64_t)> after_commit,
                               size_t max_group)
    : ledger_(ledger), ledger_lock_(ledger_lock), after_commit_(std::move(after_commit)), max_group_(max_group) {
  thread_ = std::thread([this] { run(); });
}

GroupCommitter::~GroupCommitter() { stop(); }

std::future<AppendOutcome> GroupCommitter::submit(CheckedRequest request) {
  std::promise<AppendOutcome> answer;
  std::future<AppendOutcome> out = answer.get_future();
  {
    std::lock_guard<std::mutex> hold(mu_);
    if (stopping_) {
      AppendOutcome o;
      o.refused = Error(ErrorKind::unusable, "the server is shutting down; submit again to its successor");
      answer.set_value(o);
      return out;
    }
    queue_.push_back(Pending{std::move(request), std::move(answer)});
  }
  wake_.notify_one();
  return out;
}

std::future<RunOutcome> GroupCommitter::submit_run(BatchRequest run) {
  std::promise<RunOutcome> answer;
  std::future<RunOutcome> out = answer.get_future();
  {
    std::lock_guard<std::mutex> hold(mu_);
    if (stopping_) {
      answer.set_value(RunOutcome{std::nullopt, Error(ErrorKind::unusable, "the server is shutting down; submit again to its successor")});
      return out;
    }
    queue_.push_back(PendingRun{std::move(run), std::move(answer)});
  }
  wake_.notify_one();
  return out;
}

void GroupCommitter::stop() {
  {
    std::lock_guard<std::mutex> hold(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t GroupCommitter::groups() const {
  std::lock_guard<std::mutex> hold(mu_);
  return groups_;
}

uint64_t GroupCommitter::requests() const {
  std::lock_guard<std::mutex> hold(mu_);
  return requests_;
}

void GroupCommitter::run() {
  for (;;) {
    // The singles at the head of the queue, or the one run there: a run is a
    // group of its own, so arrival order holds across both.
    std::vector<Pending> group;
    std::optional<PendingRun> run;
    {
      std::unique_lock<std::mutex> hold(mu_);
      wake_.wait(hold, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued was answered
      if (auto* r = std::get_if<PendingRun>(&queue_.front())) {
        run.emplace(std::move(*r));
        queue_.pop_front();
      } else {
        while (!queue_.empty() && group.size() < max_group_ && std::holds_alternative<Pending>(queue_.front())) {
          group.push_back(std::move(std::get<Pending>(queue_.front())));
          queue_.pop_front();
        }
      }
    }
    if (run) commit_run(*run);
    else commit_group(group);
  }
}

void GroupCommitter::commit_group(std::vector<Pending>& group) {
  std::vector<CheckedRequest> requests;
  requests.reserve(group.size());
  for (auto& p : group) requests.push_back(std::move(p.request));
  std::vector<AppendOutcome> outcomes;
  bool appended = false;
  try {
    std::unique_lock<std::shared_mutex> exclusive(ledger_lock_);
    outcomes = ledger_.append_each(requests);
    for (auto& o : outcomes) appended |= o.appended && !o.appended->retried;
  } catch (const Error& e) {  // what stops the whole group: the environment, check "checkpoint"
    outcomes.assign(group.size(), AppendOutcome{std::nullopt, e});
  } catch (const std::exception& e) {
    outcomes.assign(group.size(), AppendOutcome{std::nullopt, Error(ErrorKind::unusable, e.what())});
  }
  {
    std::lock_guard<std::mutex> hold(mu_);
    ++groups_;
    requests_ += group.size();
  }
  for (size_t i = 0; i < group.size(); ++i) group[i].answer.set_value(std::move(outcomes[i]));
  committed(appended);
}

void GroupCommitter::commit_run(PendingRun& run) {
  RunOutcome outcome;
  try {
    // Held exclusively across the run's stateless checks too: they are hashes
    // and the batch's few signatures, and append_run offers no way to split them off.
    std::unique_lock<std::shared_mutex> exclusive(ledger_lock_);
    outcome.appended = ledger_.append_run(run.run);
  } catch (const Error& e) {
    outcome.refused = e;
  } catch (const std::exception& e) {
    outcome.refused = Error(ErrorKind::unusable, e.what());
  }
  bool appended = outcome.appended && !outcome.appended->retried;
  {
    std::lock_guard<std::mutex> hold(mu_);
    ++groups_;
    requests_ += 1;
  }
  run.answer.set_value(std::move(outcome));
  committed(appended);
}

// After a commit that appended something, the checkpointer learns the new size.
void GroupCommitter::committed(bool appended) {
  if (!appended || !after_commit_) return;
  uint64_t size;
  {
    std::shared_lock<std::shared_mutex> shared(ledger_lock_);
    size = ledger_.size();
  }
  after_commit_(size);
}

}  // namespace fundtrail::server
