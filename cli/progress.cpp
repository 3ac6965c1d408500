#include "cli/progress.h"

#include <cstdio>

#include "cli/context.h"

namespace fundtrail::cli {

Progress::Progress(std::string label, size_t total) : label_(std::move(label)), total_(total), shown_(stderr_is_terminal()) {}

void Progress::update(size_t done) {
  if (!shown_ || total_ == 0) return;
  auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_ < std::chrono::milliseconds(100)) return;  // no flicker
  last_ = now;
  constexpr int width = 30;
  int filled = static_cast<int>(width * done / total_);
  std::fprintf(stderr, "\r%s [%.*s%*s] %zu/%zu", label_.c_str(), filled, "==============================", width - filled, "",
               done, total_);
  std::fflush(stderr);
}

void Progress::finish() {
  if (shown_ && total_) std::fprintf(stderr, "\n");
}

}  // namespace fundtrail::cli
