// Helpers of the server tests: a ledger made through the request API (the
// World of the ledger tests, with its log key sealed where `fundtrail serve`
// looks for it), a real fundtrail-serve process on 127.0.0.1 with a port of
// its own choosing, and HTTP through cpp-httplib's client.
#pragma once
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "../unit/test_ledger_support.h"
#include "server/request_json.h"

namespace ft_server_test {

using namespace ft_test;

inline const std::string kServeBin = FUNDTRAIL_SERVE_BIN;
inline const std::string kVerifyBin = FUNDTRAIL_VERIFY_BIN;
inline const std::string kPassphrase = "server test passphrase";

// A World whose ledger directory also holds log.key, as `init` leaves it.
struct ServedWorld : World {
  ServedWorld() {
    save_key_file(dir + "/log.key", log, kPassphrase, Kdf::interactive);
    close();  // the server opens it
  }
};

struct Http {
  int status = 0;  // 0: no answer
  std::string body;
};

// A fundtrail-serve process; stopped (SIGTERM) when destroyed.
class Server {
 public:
  Server(const std::string& dir, const std::vector<std::string>& extra = {}) : dir_(dir) { start(extra); }
  ~Server() { stop(SIGTERM); }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start(const std::vector<std::string>& extra = {}) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    std::vector<std::string> args{kServeBin, "--ledger", dir_, "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      int log = ::open((dir_ + "/../serve.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (log >= 0) ::dup2(log, 2);
      ::setenv("FUNDTRAIL_PASSPHRASE", kPassphrase.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string got;
    char buf[256];
    for (ssize_t n; got.find('\n') == std::string::npos && (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
    ::close(out[0]);
    auto at = got.find("listening on http://127.0.0.1:");
    REQUIRE_MESSAGE(at != std::string::npos, "fundtrail-serve did not start: " << got);
    port_ = std::stoi(got.substr(at + 30));
  }
  // Ends the process with `sig` and waits for it; returns its wait status.
  int stop(int sig) {
    if (pid_ <= 0) return 0;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  int port() const { return port_; }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);  // a hang guard, not a timing assertion
    c.set_connection_timeout(10, 0);
    return c;
  }
  Http post(const std::string& body) const {
    auto c = client();
    auto r = c.Post("/v1/entries", body, "application/json");
    return r ? Http{r->status, r->body} : Http{};
  }
  Http post(const SignedRequest& request) const { return post(fundtrail::wire::signed_request_json(request)); }
  Http get(const std::string& path) const {
    auto c = client();
    auto r = c.Get(path);
    return r ? Http{r->status, r->body} : Http{};
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// fundtrail-verify's exit code over a ledger directory.
inline int verify(const std::string& dir) {
  std::string cmd = "'" + kVerifyBin + "' '" + dir + "' > /dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace ft_server_test
