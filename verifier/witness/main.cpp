// fundtrail-witness: a C2SP tlog-witness (c2sp.org/tlog-witness) for fundtrail
// logs, run by an auditor. It cosigns a council's checkpoint only when the log
// has grown consistently with everything it cosigned before, so a council
// cannot show two different histories to two audiences. docs/publishing.md.
#include <httplib.h>
#include <sys/socket.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <thread>

#include "guarded_server.h"
#include "keyfile.h"
#include "request.h"
#include "records_check.h"
#include "witness.h"

using namespace fv;
using namespace fv::witness;

namespace {

const char* kAbout = R"(fundtrail-witness: cosign the checkpoints of fundtrail logs (C2SP tlog-witness).

A log submits POST /add-checkpoint: the size it believes this witness last
cosigned, a consistency proof from that size, and its new checkpoint. The
witness answers 200 with an Ed25519 cosignature/v1 line only if the checkpoint
is signed by a --log-key, and extends the one it cosigned last (same size: same
root); it then remembers the new size and root in --state DIR, durably, before
it answers. It never cosigns two roots for one size: a request that asks it to
is a split view, refused with 422 and kept in DIR as evidence.
Answers: 400 malformed, or old size above the new; 403 no valid log signature;
404 unknown origin; 409 (body: the size it has) when the old size is not the
one it cosigned last; 422 bad proof, split view, or (--tiles) a failed check;
503 (--tiles) the records could not be fetched.
GET /<hex SHA-256 of the origin>/checkpoint serves the latest cosigned checkpoint.
The key file's passphrase comes from FUNDTRAIL_PASSPHRASE or a prompt.)";

struct Listen {
  std::string host;
  int port = 0;
};

std::optional<Listen> parseListen(const std::string& s) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  Listen l;
  l.host = s.substr(0, colon);
  if (l.host.size() > 2 && l.host.front() == '[' && l.host.back() == ']') l.host = l.host.substr(1, l.host.size() - 2);
  auto port = parseSize(s.substr(colon + 1));
  if (!port || *port > 65535) return std::nullopt;
  l.port = int(*port);
  return l;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 2;
  CLI::App app{kAbout, "fundtrail-witness"};
  app.get_formatter()->column_width(30);
  std::string listenText, keyFile, stateDir, tilesUrl;
  std::vector<std::string> logKeyTexts;
  app.add_option("--listen", listenText, "address to serve on, HOST:PORT (port 0: any free port, printed)")
      ->required()
      ->type_name("ADDR");
  app.add_option("--key", keyFile, "the witness's secret key file (fundtrail key generate); its name is the witness name")
      ->required()
      ->type_name("FILE");
  app.add_option("--log-key", logKeyTexts, "a log key this witness trusts, as `fundtrail log-key` prints it; repeatable")
      ->required()
      ->type_name("KEY");
  app.add_option("--state", stateDir, "directory of the witness's durable state (one per witness)")
      ->required()
      ->type_name("DIR");
  app.add_option("--tiles", tilesUrl, "the log's published tiles (directory or URL): run the full verifier over "
                                     "the records up to each checkpoint before cosigning it")
      ->type_name("URL");
  GuardOptions guard;
  size_t deadlineMs = size_t(guard.request_deadline.count());
  app.add_option("--max-connections-per-address", guard.per_address,
                 "connections one client address may hold at once; more are answered 503 (default 16)")
      ->check(CLI::Range(size_t(1), size_t(1) << 16))
      ->type_name("N");
  app.add_option("--workers", guard.workers, "requests served at once (default 64)")
      ->check(CLI::Range(size_t(1), size_t(4096)))
      ->type_name("N");
  // For tests: the total time a client has to send one request (default 10000).
  app.add_option("--request-deadline-ms", deadlineMs)->check(CLI::Range(size_t(1), size_t(600000)))->group("");
  std::vector<VerifierKey> logKeys;
  std::optional<Listen> listen;
  try {
    app.parse(argc, argv);
    listen = parseListen(listenText);
    if (!listen) throw CLI::ValidationError("--listen", "expected HOST:PORT, e.g. 127.0.0.1:8080");
    for (const auto& t : logKeyTexts) {
      std::string err;
      auto k = parseVerifierKey(t, err);
      if (!k) throw CLI::ValidationError("--log-key", err);
      if (k->type != kSigEd25519) throw CLI::ValidationError("--log-key", "a log key has signature type 0x01");
      logKeys.push_back(*k);
    }
    if (!tilesUrl.empty() && logKeys.size() != 1)
      throw CLI::ValidationError("--tiles", "--tiles checks one log: give exactly one --log-key");
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  // Signals are taken by one thread, which stops the server cleanly.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::unique_ptr<SecretKey> key;
  std::unique_ptr<StateDir> state;
  std::unique_ptr<Witness> witness;
  try {
    key = unlockKeyFile(keyFile);
    state = std::make_unique<StateDir>(stateDir);
    RecordCheck check;
    if (!tilesUrl.empty()) check = tilesCheck(tilesUrl, logKeys[0]);
    witness = std::make_unique<Witness>(*key, logKeys, *state, check);
  } catch (const std::exception& e) {
    fprintf(stderr, "fundtrail-witness: %s\n", e.what());
    return 2;
  }

  httplib::Server server;
  server.set_payload_max_length(kMaxRequestBytes);
  guard.request_deadline = std::chrono::milliseconds(deadlineMs);
  ConnectionGuard guarded(server, guard);
  auto reply = [](httplib::Response& res, const Answer& a) {
    res.status = a.status;
    res.set_content(a.body, a.contentType.c_str());
  };
  server.Post("/add-checkpoint", [&](const httplib::Request& req, httplib::Response& res) {
    requestReadWhole();
    reply(res, witness->addCheckpoint(req.body));
  });
  server.Get(R"(/([0-9a-f]{64})/checkpoint)", [&](const httplib::Request& req, httplib::Response& res) {
    requestReadWhole();
    reply(res, witness->latest(req.matches[1].str()));
  });

  // SO_REUSEADDR alone: httplib's default adds SO_REUSEPORT, which would let
  // a second process bind this port and take half the cosigning requests.
  // And a backlog larger than httplib's 5, which drops SYNs of a burst.
  int listenFd = -1;
  server.set_socket_options([&listenFd](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    listenFd = sock;
  });
  int port = listen->port;
  if (port == 0) port = server.bind_to_any_port(listen->host);
  else if (!server.bind_to_port(listen->host, port)) port = -1;
  if (port > 0 && listenFd >= 0) ::listen(listenFd, SOMAXCONN);
  if (port <= 0) {
    fprintf(stderr, "fundtrail-witness: cannot listen on %s\n", listenText.c_str());
    return 2;
  }
  std::string host = listen->host.find(':') != std::string::npos ? "[" + listen->host + "]" : listen->host;
  printf("witness key: %s\nlistening on http://%s:%d\n", formatVerifierKey(witness->publicKey()).c_str(),
         host.c_str(), port);
  fflush(stdout);

  std::thread([&server, stopSignals] {
    int sig = 0;
    sigwait(&stopSignals, &sig);
    server.stop();
  }).detach();
  bool ok = server.listen_after_bind();
  key->wipe();
  return ok ? 0 : 2;
}
