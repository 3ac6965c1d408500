#include "server/committer.h"

#include <exception>
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
    queue_.push_back({std::move(request), std::move(answer)});
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
    std::vector<Pending> group;
    {
      std::unique_lock<std::mutex> hold(mu_);
      wake_.wait(hold, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued was answered
      while (!queue_.empty() && group.size() < max_group_) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
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
    if (appended && after_commit_) {
      uint64_t size;
      {
        std::shared_lock<std::shared_mutex> shared(ledger_lock_);
        size = ledger_.size();
      }
      after_commit_(size);
    }
  }
}

}  // namespace fundtrail::server
