// HTTP for the commands that speak to other hosts (witness add, submit),
// through libcurl loaded on first use (cli/curl_lazy.h). Answers are bounded:
// a hostile host cannot make the command hold more of its reply than asked
// (1 MiB unless a caller needs more, as for an entry bundle).
#pragma once
#include <cstddef>
#include <string>

namespace fundtrail::cli {

struct HttpAnswer {
  long status = 0;        // 0: no HTTP answer at all
  std::string body;
  std::string transport;  // curl's reason when status is 0
};

HttpAnswer http_post(const std::string& url, const std::string& body, const std::string& content_type, long timeout_s);
inline constexpr size_t kMaxAnswerBytes = size_t(1) << 20;

HttpAnswer http_get(const std::string& url, long timeout_s, size_t max_bytes = kMaxAnswerBytes);

// A body safe to show on a terminal: printable ASCII and newlines, bounded.
std::string shown(const std::string& body);

}  // namespace fundtrail::cli
