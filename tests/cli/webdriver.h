// Debian's headless Chromium, driven through chromedriver's W3C WebDriver
// HTTP API on 127.0.0.1 (the report's tests open the page as a reader
// would). One Browser = one chromedriver process and one session, both ended
// by the destructor. Needs the chromium and chromium-driver packages
// (scripts/deps.sh installs them); without them the test fails, saying so.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "servers.h"

namespace fundtrail::test {

class Browser {
 public:
  Browser() {
    bool installed = ::access(kDriver, X_OK) == 0 && ::access(kChromium, X_OK) == 0;
    REQUIRE_MESSAGE(installed, "the report tests need Chromium and chromedriver: run 'bash scripts/deps.sh'");
    port_ = free_loopback_port();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 1);
      ::dup2(null, 2);
      std::string p = "--port=" + std::to_string(port_);
      ::execl(kDriver, kDriver, p.c_str(), static_cast<char*>(nullptr));  // listens on the loopback only
      ::_exit(127);
    }
    bool ready = false;
    for (int i = 0; i < 300 && !ready; ++i) {  // a hang guard, not a timing assertion
      auto r = request("GET", "/status", "");
      ready = r && r->contains("value") && (*r)["value"].value("ready", false);
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_MESSAGE(ready, "chromedriver did not start");
    json caps{{"capabilities",
               {{"alwaysMatch",
                 {{"browserName", "chrome"},
                  {"goog:chromeOptions",
                   {{"binary", kChromium},
                    {"args", {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"}}}},
                  {"goog:loggingPrefs", {{"browser", "ALL"}}}}}}}};
    auto s = request("POST", "/session", caps.dump());
    bool opened = s && (*s)["value"].contains("sessionId");
    REQUIRE_MESSAGE(opened, "chromedriver did not open a session: " << (s ? s->dump() : "no answer"));
    session_ = (*s)["value"]["sessionId"].get<std::string>();
    call("POST", "/timeouts", json{{"script", 120000}, {"pageLoad", 120000}});
  }
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;
  ~Browser() {
    if (!session_.empty()) request("DELETE", "/session/" + session_, "");
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void open(const fs::path& file) { call("POST", "/url", json{{"url", "file://" + fs::absolute(file).string()}}); }
  // Runs `script` as an async script: its last argument is the callback.
  json run_async(const std::string& script) { return call("POST", "/execute/async", json{{"script", script}, {"args", json::array()}}); }
  json run(const std::string& script) { return call("POST", "/execute/sync", json{{"script", script}, {"args", json::array()}}); }
  // The console's messages since the last call: [{level, message, ...}].
  json console() { return call("POST", "/se/log", json{{"type", "browser"}}); }

 private:
  static constexpr const char* kDriver = "/usr/bin/chromedriver";
  static constexpr const char* kChromium = "/usr/bin/chromium";
  pid_t pid_ = -1;
  int port_ = 0;
  std::string session_;

  json call(const std::string& method, const std::string& path, const json& body) {
    auto r = request(method, "/session/" + session_ + path, body.dump());
    REQUIRE_MESSAGE(r.has_value(), "no answer from chromedriver to " << path);
    INFO("chromedriver " << path << ": " << r->dump().substr(0, 2000));
    REQUIRE(r->contains("value"));
    if ((*r)["value"].is_object() && (*r)["value"].contains("error")) FAIL("chromedriver refused " << path);
    return (*r)["value"];
  }

  // One HTTP/1.1 exchange, the connection closed after it.
  std::optional<json> request(const std::string& method, const std::string& path, const std::string& body) {
    int c = ::socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0) return std::nullopt;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port_));
    if (::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(c);
      return std::nullopt;
    }
    std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    for (size_t sent = 0; sent < req.size();) {
      ssize_t n = ::send(c, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        ::close(c);
        return std::nullopt;
      }
      sent += static_cast<size_t>(n);
    }
    // chromedriver answers "Connection: close" and then keeps the connection
    // open: read to the end of the body its Content-Length gives.
    std::string got, lower_head;
    size_t split = std::string::npos, want = std::string::npos;
    char buf[65536];
    for (ssize_t n; (want == std::string::npos || got.size() < want) && (n = ::recv(c, buf, sizeof buf, 0)) > 0;) {
      got.append(buf, static_cast<size_t>(n));
      if (split == std::string::npos && (split = got.find("\r\n\r\n")) != std::string::npos) {
        lower_head = got.substr(0, split);
        for (auto& ch : lower_head) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        size_t at = lower_head.find("content-length:");
        if (at != std::string::npos) want = split + 4 + std::stoul(lower_head.substr(at + 15));
      }
    }
    ::close(c);
    if (split == std::string::npos) return std::nullopt;
    std::string payload = got.substr(split + 4);
    if (lower_head.find("transfer-encoding: chunked") != std::string::npos) {
      std::string joined;
      for (size_t at = 0;;) {
        size_t eol = payload.find("\r\n", at);
        if (eol == std::string::npos) break;
        size_t len = std::stoul(payload.substr(at, eol - at), nullptr, 16);
        if (len == 0) break;
        joined += payload.substr(eol + 2, len);
        at = eol + 2 + len + 2;
      }
      payload = joined;
    }
    if (!json::accept(payload)) return std::nullopt;
    return json::parse(payload);
  }
};

}  // namespace fundtrail::test
