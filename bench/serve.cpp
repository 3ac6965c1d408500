#include "bench/serve.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/request.h"
#include "server/request_json.h"

namespace fundtrail::bench {
namespace {

using Clock = std::chrono::steady_clock;
const char* kPass = "bench";

// A ledger with a funded pool and its officer; the requests signed ahead.
std::vector<std::string> prepare(const std::string& dir, int count) {
  std::filesystem::remove_all(dir);
  KeyPair log = generate_key("log"), admin = generate_key("admin"), officer = generate_key("officer");
  std::string origin = "bench.fundtrail.example/serve";
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  Ledger l = Ledger::create(dir, genesis_request({origin, log.pk, {}, "GBP", 1000000000}, {&admin}, now));
  auto sign = [&](const spec::Body& b, const KeyPair& k, const std::string& key) {
    return sign_request(encode_entry(origin, now, key, b), {&k});
  };
  spec::PartyRegistered pool{.id = "pool", .name = "Pool", .kind = schema::PartyKind::POOL};
  pool.pool_terms = spec::PoolTerms{"section 75 agreement", "council", {{"council", 10000}}, "E06000023"};
  l.append(sign(spec::PartyRegistered{.id = "council", .name = "Council", .kind = schema::PartyKind::COMMISSIONER}, admin, "p1"));
  l.append(sign(pool, admin, "p2"));
  l.append(sign(spec::PartyRegistered{.id = "provider", .name = "Provider", .kind = schema::PartyKind::PROVIDER}, admin, "p3"));
  l.append(sign(spec::KeyGranted{"council", officer.pk, schema::Role::OFFICER}, admin, "g1"));
  l.append(sign(spec::KeyGranted{"pool", officer.pk, schema::Role::OFFICER}, admin, "g2"));
  l.append(sign(spec::Contribution{"council", "pool", int64_t(count) * 1000, "GBP", 20250401, ""}, officer, "c1"));
  save_key_file(dir + "/log.key", log, kPass, Kdf::interactive);
  std::vector<std::string> bodies;
  for (int i = 0; i < count; ++i) {
    spec::Payment p{.from = "pool", .to = "provider", .amount = 100 + i % 50, .currency = "GBP", .value_date = 20250402,
                    .mechanism = schema::Mechanism::BLOCK};
    bodies.push_back(wire::signed_request_json(sign(p, officer, "pay-" + std::to_string(i))));
  }
  return bodies;
}

// One kept-alive HTTP/1.1 connection posting pre-built requests. The load
// generator shares the two cores with the server it measures, so it must cost
// little, as wrk's does: httplib's client spent about 80 µs of CPU a request,
// a third of the server's own. It reads only the status and Content-Length.
class PostingClient {
 public:
  explicit PostingClient(int port) : port_(port) { connect(); }
  ~PostingClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  PostingClient(const PostingClient&) = delete;
  PostingClient& operator=(const PostingClient&) = delete;

  // The answer's status and body; status 0 when the connection failed.
  std::pair<int, std::string> post(const std::string& body) {
    if (fd_ < 0 && !connect()) return {0, "cannot connect"};
    std::string request = "POST /v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return {0, "send failed"};
      sent += size_t(n);
    }
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return {0, "connection closed before the answer's headers"};
    int status = buffer_.rfind("HTTP/1.1 ", 0) == 0 ? std::atoi(buffer_.c_str() + 9) : 0;
    size_t length_at = buffer_.find("Content-Length: ");
    if (status == 0 || length_at == std::string::npos || length_at > header_end) return {0, "not an HTTP/1.1 answer"};
    size_t length = std::strtoul(buffer_.c_str() + length_at + 16, nullptr, 10);
    while (buffer_.size() < header_end + 4 + length)
      if (!fill()) return {0, "connection closed inside the answer's body"};
    std::string answer = buffer_.substr(header_end + 4, length);
    // The server ends a kept-alive connection after so many requests.
    bool closing = buffer_.substr(0, header_end).find("Connection: close") != std::string::npos;
    buffer_.erase(0, header_end + 4 + length);
    if (closing) {
      ::close(fd_);
      fd_ = -1;
      buffer_.clear();
    }
    return {status, answer};
  }

 private:
  bool connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port_));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int yes = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return true;
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  bool fill() {
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, size_t(n));
    return true;
  }
  int port_;
  int fd_ = -1;
  std::string buffer_;
};

// CPU seconds (user + system) a process has used so far, from /proc.
double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t after_name = stat.rfind(')');
  if (after_name == std::string::npos) return 0;
  std::istringstream fields(stat.substr(after_name + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt: fields 3 to 13
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / double(::sysconf(_SC_CLK_TCK));
}

}  // namespace

nlohmann::json bench_serve(const std::string& serve_bin, const std::string& dir, int clients, int each) {
  std::vector<std::string> bodies = prepare(dir, clients * each);
  int out[2];
  if (::pipe(out) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    int log = ::open((dir + ".log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);  // the access log, as a host keeps it
    if (log >= 0) ::dup2(log, 2);
    ::setenv("FUNDTRAIL_PASSPHRASE", kPass, 1);
    ::execl(serve_bin.c_str(), serve_bin.c_str(), "--ledger", dir.c_str(), "--listen", "127.0.0.1:0",
            "--max-connections-per-address", "0", "--max-requests-per-second-per-address", "0", "--workers", "32",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string got;
  char buf[256];
  for (ssize_t n; got.find('\n') == std::string::npos && (n = ::read(out[0], buf, sizeof buf)) > 0;) got.append(buf, size_t(n));
  ::close(out[0]);
  auto at = got.find("127.0.0.1:");
  if (at == std::string::npos) return {{"serve_error", "fundtrail-serve did not start"}};
  int port = std::stoi(got.substr(at + 10));

  std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
  std::vector<int> failures(static_cast<size_t>(clients), 0);
  auto cpu_seconds = [](const rusage& u) {
    return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  };
  rusage clients_before{}, clients_after{};
  ::getrusage(RUSAGE_SELF, &clients_before);
  double server_before = process_cpu_seconds(pid);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      PostingClient http(port);
      for (int i = 0; i < each; ++i) {
        auto t = Clock::now();
        auto [status, answer] = http.post(bodies[size_t(c * each + i)]);
        latencies[size_t(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
        if (status != 201) {
          if (failures[size_t(c)]++ == 0)  // the first failure of each client, so a figure is never silently low
            std::cerr << "serve bench: client " << c << " request " << i << ": "
                      << (status ? "HTTP " + std::to_string(status) + " " : std::string()) << answer << "\n";
        }
      }
    });
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::getrusage(RUSAGE_SELF, &clients_after);
  double server_cpu = process_cpu_seconds(pid) - server_before;
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  int failed = 0;
  for (int f : failures) failed += f;
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * double(all.size())))]; };
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir + ".log");
  return {{"serve_appends_per_s", double(all.size() - size_t(failed)) / seconds},
          {"serve_append_ms_p50", pct(0.50)},
          {"serve_append_ms_p99", pct(0.99)},
          {"serve_append_ms_max", all.empty() ? 0.0 : all.back()},
          {"serve_clients", clients},
          // CPU per request under load: where the two cores went.
          {"serve_server_cpu_us_per_request", server_cpu * 1e6 / double(std::max<size_t>(1, all.size()))},
          {"serve_client_cpu_us_per_request",
           (cpu_seconds(clients_after) - cpu_seconds(clients_before)) * 1e6 / double(std::max<size_t>(1, all.size()))},
          {"serve_requests", all.size()},
          {"serve_failed", failed}};
}

}  // namespace fundtrail::bench
