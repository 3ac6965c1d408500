#include "cli/http_client.h"

#include "cli/curl_lazy.h"

namespace fundtrail::cli {
namespace {

struct Sink {
  std::string* out;
  size_t max_bytes;
};

size_t collect(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<Sink*>(user);
  if (sink->out->size() + size * n > sink->max_bytes) return 0;  // curl then fails the transfer
  sink->out->append(data, size * n);
  return size * n;
}

HttpAnswer perform(const std::string& url, const std::string* body, const std::string& content_type, long timeout_s,
                   size_t max_bytes = kMaxAnswerBytes) {
  const Curl& lib = cli::curl();
  HttpAnswer a;
  CURL* curl = lib.easy_init();
  if (!curl) return a.transport = "cannot start libcurl", a;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = "";
  lib.easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (body) {
    headers = lib.slist_append(nullptr, ("Content-Type: " + content_type).c_str());
    lib.easy_setopt(curl, CURLOPT_POST, 1L);
    lib.easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    lib.easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    lib.easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
  Sink sink{&a.body, max_bytes};
  lib.easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  lib.easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  lib.easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
  lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  lib.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  CURLcode rc = lib.easy_perform(curl);
  if (rc == CURLE_OK) lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.status);
  else a.transport = *error ? error : lib.easy_strerror(rc);
  if (headers) lib.slist_free_all(headers);
  lib.easy_cleanup(curl);
  return a;
}

}  // namespace

HttpAnswer http_post(const std::string& url, const std::string& body, const std::string& content_type, long timeout_s) {
  return perform(url, &body, content_type, timeout_s);
}

HttpAnswer http_get(const std::string& url, long timeout_s, size_t max_bytes) {
  return perform(url, nullptr, "", timeout_s, max_bytes);
}

std::string shown(const std::string& body) {
  std::string out;
  for (char c : body.substr(0, 2000)) out += (c == '\n' || (c >= 0x20 && c < 0x7f)) ? c : '?';
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.empty() ? "(empty body)" : out;
}

}  // namespace fundtrail::cli
