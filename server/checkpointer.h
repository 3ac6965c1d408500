// The server's checkpoints (DESIGN.md "Serving a partnership"): after each
// group commit the host signs a checkpoint of the new size with the log key,
// at most one a second, so what it serves at /checkpoint is never more than a
// second behind its records. Issued through keep_checkpoint, so the writer's
// checks (ledger/issued_checkpoints.h) hold as for `fundtrail checkpoint`.
//
// Thread safety: committed() from any thread; one thread of its own signs.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "ledger/keys.h"
#include "ledger/ledger.h"

namespace fundtrail::server {

class Checkpointer {
 public:
  // `ledger_lock` is taken exclusively while signing (see Service).
  Checkpointer(Ledger& ledger, KeyPair log_key, std::shared_mutex& ledger_lock,
               std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void committed(uint64_t size);  // the ledger now holds `size` records
  void stop();                     // signs what is pending, then returns
  uint64_t issued_size() const;    // size of the last checkpoint it signed

 private:
  void run();
  void issue(uint64_t size);
  Ledger& ledger_;
  KeyPair log_;
  std::shared_mutex& ledger_lock_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  uint64_t wanted_ = 0, issued_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace fundtrail::server
