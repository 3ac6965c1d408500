#include "server/checkpointer.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "ledger/cosignatures.h"
#include "ledger/note.h"

namespace fundtrail::server {

using Clock = std::chrono::steady_clock;

Checkpointer::Checkpointer(Ledger& ledger, KeyPair log_key, std::shared_mutex& ledger_lock,
                           std::chrono::milliseconds interval)
    : ledger_(ledger), log_(std::move(log_key)), ledger_lock_(ledger_lock), interval_(interval) {
  if (auto latest = ledger_.latest_checkpoint()) issued_ = latest->first;
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::committed(uint64_t size) {
  {
    std::lock_guard<std::mutex> hold(mu_);
    if (size > wanted_) wanted_ = size;
  }
  wake_.notify_one();
}

void Checkpointer::stop() {
  {
    std::lock_guard<std::mutex> hold(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

uint64_t Checkpointer::issued_size() const {
  std::lock_guard<std::mutex> hold(mu_);
  return issued_;
}

void Checkpointer::issue(uint64_t size) {
  std::unique_lock<std::shared_mutex> exclusive(ledger_lock_);
  const std::string& origin = ledger_.facts().origin;
  std::string note = sign_note(checkpoint_body(origin, size, ledger_.root(size)), origin, log_.sk, log_.pk);
  keep_checkpoint(ledger_, size, note);
}

void Checkpointer::run() {
  auto last = Clock::now() - interval_;
  std::unique_lock<std::mutex> hold(mu_);
  for (;;) {
    wake_.wait(hold, [&] { return stopping_ || wanted_ > issued_; });
    if (wanted_ <= issued_) return;  // stopping, nothing pending
    // At most one a second: wait out the rest of the interval (a stop cuts it short).
    auto due = last + interval_;
    if (!stopping_ && Clock::now() < due) {
      wake_.wait_until(hold, due, [&] { return stopping_; });
    }
    uint64_t size = wanted_;
    hold.unlock();
    try {
      issue(size);
    } catch (const std::exception& e) {
      // The records are committed; a checkpoint that cannot be signed (a
      // conflict with an issued one, a full disk) is reported, and retried
      // after the next commit.
      std::fprintf(stderr, "%s\n",
                   nlohmann::json{{"event", "checkpoint failed"}, {"size", size}, {"error", e.what()}}.dump().c_str());
      hold.lock();
      last = Clock::now();
      if (stopping_) return;
      wake_.wait(hold, [&] { return stopping_ || wanted_ > size; });
      continue;
    }
    last = Clock::now();
    hold.lock();
    issued_ = size;
  }
}

}  // namespace fundtrail::server
