// HTTP for the commands that speak to other hosts (witness add, submit),
// through libcurl loaded on first use (cli/curl_lazy.h). Answers are bounded:
// a hostile host cannot make the command hold more than 1 MiB of its reply.
#pragma once
#include <string>

namespace fundtrail::cli {

struct HttpAnswer {
  long status = 0;        // 0: no HTTP answer at all
  std::string body;
  std::string transport;  // curl's reason when status is 0
};

HttpAnswer http_post(const std::string& url, const std::string& body, const std::string& content_type, long timeout_s);
HttpAnswer http_get(const std::string& url, long timeout_s);

// A body safe to show on a terminal: printable ASCII and newlines, bounded.
std::string shown(const std::string& body);

}  // namespace fundtrail::cli
