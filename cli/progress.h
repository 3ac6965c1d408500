// A progress bar on stderr, shown only when stderr is a terminal.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace fundtrail::cli {

class Progress {
 public:
  Progress(std::string label, size_t total);
  void update(size_t done);
  void finish();

 private:
  std::string label_;
  size_t total_;
  bool shown_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace fundtrail::cli
