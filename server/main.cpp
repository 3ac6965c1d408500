// fundtrail-serve: the ledger server behind `fundtrail serve` (docs/server.md).
// A program of its own so that cpp-httplib and OpenSSL load only here, not
// in every `fundtrail pay`; `fundtrail serve ARGS` runs it with ARGS.
#include <signal.h>
#include <sys/socket.h>
#include <sodium.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <thread>

#include "ledger/error.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "server/checkpointer.h"
#include "server/committer.h"
#include "server/guard.h"
#include "server/service.h"

using namespace fundtrail;
using namespace fundtrail::server;

namespace {

constexpr size_t kMaxBodyBytes = size_t(64) << 20;  // DESIGN.md: clients split larger batches

struct Listen {
  std::string host;
  int port = 0;
};

std::optional<Listen> parse_listen(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size()) return std::nullopt;
  Listen l;
  l.host = s.substr(0, colon);
  if (l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
  std::string port = s.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  l.port = std::stoi(port);
  if (l.port > 65535) return std::nullopt;
  return l;
}

const char* kAbout =
    "fundtrail serve: share one ledger between the organisations of a partnership. Officers sign on their own\n"
    "machines (fundtrail pay --server URL ...); the host holds no key but the ledger's log key, which signs a\n"
    "checkpoint after each group commit, at most one a second. docs/server.md: systemd, TLS, backups by mirror.\n"
    "Example: FUNDTRAIL_PASSPHRASE=... fundtrail serve --ledger books --listen 127.0.0.1:8470";

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 2;
  CLI::App app{kAbout, "fundtrail serve"};
  std::string ledger_dir, listen_text = "127.0.0.1:8470", cert, key;
  bool read_only = false;
  GuardOptions guard;
  guard.per_address = 64;
  guard.requests_per_second = 1000;
  size_t deadline_ms = 10000;
  size_t max_body = kMaxBodyBytes;
  app.add_option("--ledger", ledger_dir, "ledger directory (default: $FUNDTRAIL_LEDGER)")->envname("FUNDTRAIL_LEDGER");
  app.add_option("--listen", listen_text, "HOST:PORT to listen on (default 127.0.0.1:8470; port 0: any free port)");
  app.add_option("--tls-cert", cert, "TLS certificate chain (PEM); with --tls-key, serve HTTPS")->check(CLI::ExistingFile);
  app.add_option("--tls-key", key, "TLS private key (PEM)")->check(CLI::ExistingFile);
  app.add_flag("--read-only", read_only, "serve reads only (a mirror); writes are answered 503");
  app.add_option("--max-connections-per-address", guard.per_address,
                 "connections one address may hold at once, more are answered 503 (default 64; 0: no cap)");
  app.add_option("--max-requests-per-second-per-address", guard.requests_per_second,
                 "requests a second from one address, more are answered 429 (default 1000; 0: no limit)");
  app.add_option("--workers", guard.workers, "requests served at once (default 64)")->check(CLI::Range(size_t(1), size_t(4096)));
  // For tests: the request deadline and the body limit, small.
  app.add_option("--request-deadline-ms", deadline_ms)->check(CLI::Range(size_t(1), size_t(600000)))->group("");
  app.add_option("--max-body-bytes", max_body)->check(CLI::Range(size_t(1), kMaxBodyBytes))->group("");
  try {
    app.parse(argc, argv);
    if (ledger_dir.empty()) throw CLI::RequiredError("--ledger (or FUNDTRAIL_LEDGER)");
    if (cert.empty() != key.empty()) throw CLI::ValidationError("--tls-cert", "give --tls-cert and --tls-key together");
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  auto listen = parse_listen(listen_text);
  if (!listen) {
    std::cerr << "fundtrail serve: error: --listen '" << listen_text << "' is not HOST:PORT, e.g. 127.0.0.1:8470\n";
    return 2;
  }
  guard.request_deadline = std::chrono::milliseconds(deadline_ms);

  // Signals are taken by one thread, which stops the server cleanly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::optional<Ledger> ledger;
  std::shared_mutex ledger_lock;
  std::unique_ptr<Checkpointer> checkpointer;
  std::unique_ptr<GroupCommitter> committer;
  try {
    ledger.emplace(Ledger::open(ledger_dir, read_only));
    if (!read_only) {
      const char* pass = std::getenv("FUNDTRAIL_PASSPHRASE");
      if (!pass)
        throw Error(ErrorKind::unusable,
                    "the server signs checkpoints with the ledger's log key: set FUNDTRAIL_PASSPHRASE to its passphrase "
                    "in the service's environment (or serve a mirror with --read-only)");
      KeyPair log = load_key_file(ledger_dir + "/log.key", pass);
      if (log.pk != ledger->facts().log_key) throw Error(ErrorKind::unusable, "the sealed log key does not match the genesis log key");
      checkpointer = std::make_unique<Checkpointer>(*ledger, std::move(log), ledger_lock);
      committer = std::make_unique<GroupCommitter>(*ledger, ledger_lock,
                                                   [&](uint64_t size) { checkpointer->committed(size); });
      // A ledger written to while no server ran gets its checkpoint now.
      checkpointer->committed(ledger->size());
    }
  } catch (const std::exception& e) {
    std::cerr << "fundtrail serve: error: " << e.what() << "\n";
    return 2;
  }

  std::unique_ptr<httplib::Server> http;
  if (!cert.empty()) http = std::make_unique<httplib::SSLServer>(cert.c_str(), key.c_str());
  else http = std::make_unique<httplib::Server>();
  if (!http->is_valid()) {
    std::cerr << "fundtrail serve: error: cannot use the TLS certificate and key given\n";
    return 2;
  }
  http->set_payload_max_length(max_body);
  http->set_keep_alive_timeout(2);
  http->set_keep_alive_max_count(1000);  // httplib's 5 makes busy clients reconnect every few requests
  http->set_tcp_nodelay(true);  // answers are small: without it Nagle and delayed ACKs add ~40 ms to each
  ConnectionGuard guarded(*http, guard);
  add_routes(*http, *ledger, committer.get(), ledger_lock);
  http->set_logger([](const httplib::Request& req, const httplib::Response& res) {
    // One structured line per request: never a body, never a secret.
    nlohmann::json line{{"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()},
                        {"addr", req.remote_addr},
                        {"method", req.method},
                        {"path", req.path},
                        {"status", res.status},
                        {"bytes", res.body.size()}};
    std::fprintf(stderr, "%s\n", line.dump().c_str());
  });

  // cpp-httplib listens with a backlog of 5: a burst of clients connecting at
  // once overflows it, and the kernel drops SYNs that clients resend only a
  // second later. So: listen again on its socket with the system's maximum.
  // SO_REUSEADDR alone (httplib's default adds SO_REUSEPORT, which would let
  // a second server bind the same port and take half the connections).
  int listen_fd = -1;
  http->set_socket_options([&listen_fd](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listen_fd = sock;
  });
  int port = listen->port;
  if (port == 0) port = http->bind_to_any_port(listen->host);
  else if (!http->bind_to_port(listen->host, port)) port = -1;
  if (port > 0 && listen_fd >= 0) ::listen(listen_fd, SOMAXCONN);
  if (port <= 0) {
    std::cerr << "fundtrail serve: error: cannot listen on " << listen_text << " (in use, or not an address of this host)\n";
    return 2;
  }
  std::string host = listen->host.find(':') != std::string::npos ? "[" + listen->host + "]" : listen->host;
  std::printf("listening on %s://%s:%d\n", cert.empty() ? "http" : "https", host.c_str(), port);
  std::fflush(stdout);

  std::thread([&http, stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    http->stop();
  }).detach();
  bool ok = http->listen_after_bind();
  // Requests in flight were answered as the workers finished; now the queue.
  if (committer) {
    committer->stop();
    // One line for the operator: how well group commit shared the fsyncs.
    std::cerr << nlohmann::json{{"event", "stopped"}, {"requests_committed", committer->requests()}, {"groups", committer->groups()}}.dump()
              << "\n";
  }
  if (checkpointer) checkpointer->stop();
  return ok ? 0 : 2;
}
