// Servers the CLI tests talk to over 127.0.0.1, each stopped by its
// destructor: `fundtrail serve` over a ledger directory, and a static web
// server (python3 -m http.server) over a directory of published tiles.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <csignal>
#include <thread>

#include "test_reliability_support.h"

namespace fundtrail::test {

// `fundtrail serve --ledger DIR --listen 127.0.0.1:0 EXTRA...`; its output
// goes to ROOT/TAG.out and .err. `url` is what it printed after "listening on".
struct ServeProcess {
  rel::Spawned proc;
  std::string url;
  ServeProcess(const fs::path& ledger, const fs::path& root, const std::string& tag = "serve",
               const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"serve", "--ledger", ledger.string(), "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    proc = rel::spawn(kBin, args, root, tag);
    for (int i = 0; i < 300 && url.empty(); ++i) {  // a hang guard of 30 s, not a timing assertion
      std::string out = read_file(proc.out);
      auto at = out.find("listening on ");
      if (at != std::string::npos && out.find('\n', at) != std::string::npos)
        url = trim(out.substr(at + 13, out.find('\n', at) - at - 13));
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_MESSAGE(!url.empty(), "fundtrail serve did not start: " << read_file(proc.err));
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  ~ServeProcess() {
    ::kill(proc.pid, SIGTERM);
    rel::wait_for(proc);
  }
};

// A free port of 127.0.0.1: bind port 0, read what the kernel chose, let it go.
inline int free_loopback_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(s >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(s);
  return ntohs(a.sin_port);
}

// python3 -m http.server over DIR on a free port of 127.0.0.1.
struct StaticHttp {
  pid_t pid = -1;
  int port = 0;
  explicit StaticHttp(const std::string& dir) {
    port = free_loopback_port();
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int devnull = ::open("/dev/null", O_RDWR);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      std::string p = std::to_string(port);
      ::execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", p.c_str(), "--directory", dir.c_str(),
               static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Ready when it accepts a connection (a readiness wait, not a timing check).
    bool up = false;
    for (int i = 0; i < 300 && !up; ++i) {
      int c = ::socket(AF_INET, SOCK_STREAM, 0);
      up = ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      ::close(c);
      if (!up) ::usleep(50000);
    }
    REQUIRE_MESSAGE(up, "python3 -m http.server did not start");
  }
  StaticHttp(const StaticHttp&) = delete;
  StaticHttp& operator=(const StaticHttp&) = delete;
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/"; }
  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
  }
  ~StaticHttp() { stop(); }
};

}  // namespace fundtrail::test
