#include "bench/serve.h"

#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
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

}  // namespace

nlohmann::json bench_serve(const std::string& serve_bin, const std::string& dir, int clients, int each) {
  std::vector<std::string> bodies = prepare(dir, clients * each);
  int out[2];
  if (::pipe(out) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
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
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client http("127.0.0.1", port);
      http.set_keep_alive(true);
      http.set_tcp_nodelay(true);
      for (int i = 0; i < each; ++i) {
        auto t = Clock::now();
        auto res = http.Post("/v1/entries", bodies[size_t(c * each + i)], "application/json");
        latencies[size_t(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t).count());
        if (!res || res->status != 201) ++failures[size_t(c)];
      }
    });
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::kill(pid, SIGTERM);
  ::waitpid(pid, nullptr, 0);
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  int failed = 0;
  for (int f : failures) failed += f;
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * double(all.size())))]; };
  std::filesystem::remove_all(dir);
  return {{"serve_appends_per_s", double(all.size() - size_t(failed)) / seconds},
          {"serve_append_ms_p50", pct(0.50)},
          {"serve_append_ms_p99", pct(0.99)},
          {"serve_clients", clients},
          {"serve_requests", all.size()},
          {"serve_failed", failed}};
}

}  // namespace fundtrail::bench
