#include "fetch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "source.h"

namespace fv {
namespace {

// ---- a directory (also file:// URLs) ----
class DirFetcher : public Fetcher {
 public:
  explicit DirFetcher(std::string dir) : dir_(std::move(dir)) {
    struct stat st;
    if (stat(dir_.c_str(), &st) != 0) throw Unusable("cannot read " + dir_ + ": " + strerror(errno));
    if (!S_ISDIR(st.st_mode)) throw Unusable(dir_ + " is not a directory of published tiles");
  }
  Got get(const std::string& path, size_t maxBytes) override {
    std::string file = where(path);
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return {Status::Missing, {}};
      throw Unusable("cannot read " + file + ": " + strerror(errno));
    }
    Got g{Status::Found, {}};
    char buf[65536];
    for (;;) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int e = errno;
        close(fd);
        throw Unusable("cannot read " + file + ": " + strerror(e));
      }
      if (n == 0) break;
      g.bytes.append(buf, size_t(n));
      if (g.bytes.size() > maxBytes) {  // no need to read a file that is too long to the end
        g.bytes.resize(maxBytes + 1);
        g.status = Status::TooLong;
        break;
      }
    }
    close(fd);
    return g;
  }
  std::string where(const std::string& path) const override { return dir_ + "/" + path; }

 private:
  std::string dir_;
};

// ---- http:// and https:// (libcurl) ----
size_t collect(char* data, size_t, size_t n, void* user) {
  auto* g = static_cast<std::pair<Fetcher::Got*, size_t>*>(user);
  std::string& b = g->first->bytes;
  if (b.size() + n > g->second + 1) {  // past the limit: keep one byte more to show it, then stop
    b.append(data, g->second + 1 - b.size());
    g->first->status = Fetcher::Status::TooLong;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  b.append(data, n);
  return n;
}

class HttpFetcher : public Fetcher {
 public:
  explicit HttpFetcher(std::string prefix) : prefix_(std::move(prefix)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    curl_ = curl_easy_init();
    if (!curl_) throw Unusable("cannot start libcurl");
  }
  ~HttpFetcher() override { curl_easy_cleanup(curl_); }

  Got get(const std::string& path, size_t maxBytes) override {
    std::string url = where(path);
    Got g{Status::Found, {}};
    std::pair<Got*, size_t> sink{&g, maxBytes};
    char err[CURL_ERROR_SIZE] = {0};
    curl_easy_reset(curl_);  // one handle for the whole run: connections are reused
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl_, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl_, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "");  // gzip and identity, as tlog-tiles asks clients to offer
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled server is unusable, not a hang
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, 60L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_USERAGENT, "fundtrail-verify");
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, err);
    CURLcode rc = curl_easy_perform(curl_);
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (g.status == Status::TooLong) {
      if (status == 200) return g;
      g.bytes.clear();
      g.status = Status::Found;
    }
    if (rc != CURLE_OK)
      throw Unusable("cannot fetch " + url + ": " + (err[0] ? std::string(err) : curl_easy_strerror(rc)));
    if (status == 404 || status == 410) return {Status::Missing, {}};
    if (status != 200) throw Unusable("cannot fetch " + url + ": HTTP status " + std::to_string(status));
    return g;
  }
  std::string where(const std::string& path) const override { return prefix_ + path; }

 private:
  std::string prefix_;  // ends with '/'
  CURL* curl_ = nullptr;
};

bool startsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

}  // namespace

std::unique_ptr<Fetcher> openFetcher(const std::string& in) {
  if (startsWith(in, "http://") || startsWith(in, "https://")) {
    std::string prefix = in;
    if (prefix.find('?') != std::string::npos || prefix.find('#') != std::string::npos)
      throw Unusable(in + ": a tiles URL is a plain prefix, without a query or fragment");
    if (prefix.back() != '/') prefix += '/';
    return std::make_unique<HttpFetcher>(prefix);
  }
  std::string dir = in;
  if (startsWith(in, "file://")) {
    dir = in.substr(7);
    if (startsWith(dir, "localhost/")) dir = dir.substr(9);
    if (dir.empty() || dir[0] != '/') throw Unusable(in + ": a file URL is file:///absolute/path");
    if (dir.find('%') != std::string::npos) throw Unusable(in + ": percent-escapes in file URLs are not supported");
  } else if (in.find("://") != std::string::npos) {
    throw Unusable(in + ": only directories and file://, http:// and https:// URLs can be read");
  }
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return std::make_unique<DirFetcher>(dir);
}

}  // namespace fv
