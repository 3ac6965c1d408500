// fundtrail serve over 127.0.0.1 (issue 21, DESIGN.md "Serving a
// partnership"): every status of POST /v1/entries with nothing written for
// any answer but 201, group commit under 16 concurrent clients, the reads,
// and clients that are slow or send too much.
#include <doctest/doctest.h>
#include <lmdb.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include <capnp/schema.h>

#include "ledger/index.h"
#include "server_support.h"

using namespace ft_server_test;
using nlohmann::json;

namespace {

// What the ledger holds, as a client sees it: its size and every record's bytes.
std::vector<std::string> records(const Server& s) {
  json state = json::parse(s.get("/v1/state").body);
  std::vector<std::string> out;
  for (uint64_t i = 0; i < state["size"].get<uint64_t>(); ++i) out.push_back(s.get("/v1/records/" + std::to_string(i)).body);
  return out;
}

int64_t balance(const Server& s, const std::string& party) {
  Http r = s.get("/v1/parties/" + party);
  REQUIRE(r.status == 200);
  return json::parse(r.body)["balance_minor"].get<int64_t>();
}

// Answers `bad` with `status`, and leaves the ledger's records as they were.
void refused_with(const Server& s, const std::string& body, int status, const std::string& check = "") {
  auto before = records(s);
  Http r = s.post(body);
  INFO(r.body);
  CHECK(r.status == status);
  if (!check.empty()) {
    REQUIRE(json::accept(r.body));
    CHECK(json::parse(r.body)["check"] == check);
  }
  CHECK(records(s) == before);
}

}  // namespace

TEST_CASE("serve: 201, 200 on a retry, 409, 422 and 400, with nothing written but for 201") {
  ServedWorld w;
  Server s(w.dir);
  SignedRequest c = w.contribution("council", "pool", 1000, {w.council_off});
  Http created = s.post(c);
  INFO(created.body);
  REQUIRE(created.status == 201);
  uint64_t seq = json::parse(created.body)["seq"];
  Http again = s.post(c);
  CHECK(again.status == 200);
  CHECK(json::parse(again.body) == json{{"seq", seq}, {"retried", true}});

  SignedRequest clash = w.contribution("council", "pool", 999, {w.council_off}, {}, key(*idempotency_key_of(c)));
  auto before = records(s);
  Http conflict = s.post(clash);
  CHECK(conflict.status == 409);
  CHECK(json::parse(conflict.body)["seq"] == seq);
  CHECK(json::parse(conflict.body)["check"] == "rule 6");
  CHECK(records(s) == before);

  refused_with(s, wire::signed_request_json(w.payment("pool", "prime", 5000, {w.pool_off})), 422, "rule 4");
  refused_with(s, wire::signed_request_json(w.payment("pool", "prime", 10, {w.stranger})), 422, "rule 1");
  refused_with(s, wire::signed_request_json(w.payment("pool", "prime", 10, {w.pool_off}, {}, origin_of("another.example/ledger"))),
               422, "rule 8");
  // An out-of-range enum and an unknown body kind, signed by a real officer.
  SignedRequest bad_role = sign_request(
      build_entry(w.origin, now_ms(), "bad-role",
                  [&](schema::Entry::Body::Builder b) {
                    auto g = b.initKeyGranted();
                    g.setParty("prime");
                    g.setPublicKey(data_of(w.stranger.pk));
                    g.setRole(static_cast<schema::Role>(256));
                  }),
      {w.admin});
  refused_with(s, wire::signed_request_json(bad_role), 400, "format");
  // A body kind this writer does not know: the union's tag patched in the
  // canonical bytes (no builder writes one), then signed by the council.
  Bytes unknown_kind = w.contribution("council", "pool", 7, {w.council_off}).entry;
  size_t tag_at = 8 + 2 * size_t(capnp::Schema::from<schema::Entry::Body>().getProto().getStruct().getDiscriminantOffset());
  REQUIRE(tag_at + 2 <= unknown_kind.size());
  unknown_kind[tag_at] = 200;
  unknown_kind[tag_at + 1] = 0;
  refused_with(s, wire::signed_request_json(sign_request(unknown_kind, {w.council_off})), 400, "format");
  // Malformed requests: not JSON, not the shape, bad base64, a non-canonical entry.
  refused_with(s, "not json", 400, "format");
  refused_with(s, "{\"entry\": \"AAAA\", \"signatures\": [], \"extra\": 1}", 400, "format");
  refused_with(s, "{\"entry\": \"!!\", \"signatures\": []}", 400, "format");
  refused_with(s, "{\"entry\": \"AAAA\", \"signatures\": [[[[[]]]]]}", 400, "format");
  refused_with(s, "{\"entry\": \"AAAAAAAAAAA=\", \"signatures\": []}", 400);
  std::string big(90000, 'A');  // 67,500 bytes of entry
  refused_with(s, "{\"entry\": \"" + big + "\", \"signatures\": []}", 400, "limits");
  CHECK(s.get("/v1/records/99999").status == 404);
}

TEST_CASE("serve: 413 for a body over the limit, 429 past the rate, 503 read-only, 500 for a damaged index") {
  ServedWorld w;
  {
    Server s(w.dir, {"--max-body-bytes", "4096"});
    std::string big = "{\"entry\": \"" + std::string(8000, 'A') + "\", \"signatures\": []}";
    refused_with(s, big, 413);
  }
  {
    Server s(w.dir, {"--max-requests-per-second-per-address", "5"});
    int limited = 0;
    for (int i = 0; i < 20; ++i) limited += s.get("/v1/state").status == 429;
    CHECK(limited >= 10);  // 5 a second, and 20 asked at once
  }
  SignedRequest r = w.payment("pool", "prime", 1, {w.pool_off});
  {
    // The idempotency index pointed at record 3 for this request's key.
    std::string key = *idempotency_key_of(r);
    MDB_env* env;
    REQUIRE(mdb_env_create(&env) == 0);
    REQUIRE(mdb_env_set_maxdbs(env, 16) == 0);
    REQUIRE(mdb_env_open(env, w.dir.c_str(), 0, 0644) == 0);
    MDB_txn* txn;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, "idem", 0, &dbi) == 0);
    std::string v = fundtrail::index::idem_value(3, request_body_hash(EntryView(r.entry).entry()), true);
    MDB_val k{key.size(), key.data()}, val{v.size(), v.data()};
    REQUIRE(mdb_put(txn, dbi, &k, &val, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(env);
  }
  {
    Server s(w.dir);
    refused_with(s, wire::signed_request_json(r), 500, "index");
  }
  {
    Server s(w.dir, {"--read-only"});
    refused_with(s, wire::signed_request_json(w.contribution("council", "pool", 5, {w.council_off})), 503);
    CHECK(s.get("/v1/state").status == 200);
  }
}

TEST_CASE("serve: 16 concurrent clients x 200 payments from one budget-limited pool lose and double nothing") {
  ServedWorld w;
  Server s(w.dir, {"--max-requests-per-second-per-address", "0", "--max-connections-per-address", "0"});
  REQUIRE(s.post(w.contribution("council", "pool", 250000, {w.council_off})).status == 201);
  constexpr int kClients = 16, kEach = 200;
  std::vector<std::vector<SignedRequest>> work(kClients);
  for (int c = 0; c < kClients; ++c)
    for (int i = 0; i < kEach; ++i) work[c].push_back(w.payment("pool", c % 2 ? "prime" : "charity", 100 + (i % 7), {w.pool_off}));
  std::mutex mu;
  std::map<uint64_t, int> answered;  // seq -> times
  std::atomic<int64_t> paid{0};
  std::atomic<int> refused{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      auto http = s.client();
      for (const auto& r : work[c]) {
        // A kept-alive connection the server closed between two requests is a
        // transport failure, not an answer: the same request again is safe
        // (its idempotency key), as any client would do.
        auto res = http.Post("/v1/entries", wire::signed_request_json(r), "application/json");
        for (int retry = 0; !res && retry < 3; ++retry) res = http.Post("/v1/entries", wire::signed_request_json(r), "application/json");
        if (!res) {
          ++other;
          continue;
        }
        if (res->status == 201 || res->status == 200) {  // 200: a retry after a lost answer
          std::lock_guard<std::mutex> hold(mu);
          ++answered[json::parse(res->body)["seq"].get<uint64_t>()];
          paid += EntryView(r.entry).entry().getBody().getPayment().getAmount();
        } else if (res->status == 422) {
          ++refused;
        } else {
          ++other;
          MESSAGE("unexpected answer ", res->status, ": ", res->body);
        }
      }
    });
  for (auto& t : clients) t.join();
  CHECK(other == 0);
  CHECK(refused > 0);  // 250000 covers fewer than 3200 payments of 100 to 106
  size_t appended = answered.size();
  for (auto& [seq, times] : answered) CHECK(times == 1);
  CHECK(appended + size_t(refused.load()) == size_t(kClients * kEach));
  CHECK(balance(s, "pool") == 250000 - paid.load());
  CHECK(balance(s, "pool") >= 0);
  CHECK(balance(s, "pool") < 100);  // it ran dry: every payment that fitted was made
  CHECK(balance(s, "prime") + balance(s, "charity") == paid.load());
  json state = json::parse(s.get("/v1/state").body);
  s.stop(SIGTERM);
  CHECK(state["size"].get<uint64_t>() == answered.rbegin()->first + 1);
  CHECK(verify(w.dir) == 0);
}

TEST_CASE("serve: SIGKILLed at random moments under load, every answered seq survives and retries get it again") {
  ServedWorld w;
  auto s = std::make_unique<Server>(w.dir, std::vector<std::string>{"--max-requests-per-second-per-address", "0"});
  REQUIRE(s->post(w.contribution("council", "pool", 10000000, {w.council_off})).status == 201);
  constexpr int kClients = 8, kEach = 120;
  std::vector<std::vector<SignedRequest>> work(kClients);
  for (int c = 0; c < kClients; ++c)
    for (int i = 0; i < kEach; ++i) work[c].push_back(w.payment("pool", c % 2 ? "prime" : "sme", 100 + i, {w.pool_off}));
  std::mutex mu;
  std::map<std::string, uint64_t> answered;  // idempotency key -> seq the server answered
  std::atomic<int> port{s->port()};
  std::atomic<bool> running{true};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c)
    clients.emplace_back([&, c] {
      for (const auto& r : work[c]) {
        // Retried with the same request (so the same idempotency key) until answered.
        for (int attempt = 0; attempt < 400; ++attempt) {
          httplib::Client http("127.0.0.1", port.load());
          http.set_read_timeout(30, 0);
          auto res = http.Post("/v1/entries", wire::signed_request_json(r), "application/json");
          if (res && (res->status == 201 || res->status == 200)) {
            uint64_t seq = json::parse(res->body)["seq"];
            std::lock_guard<std::mutex> hold(mu);
            auto [it, fresh] = answered.emplace(*idempotency_key_of(r), seq);
            CHECK(it->second == seq);  // a retry gets the original seq
            break;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
  std::mt19937 rng(20261207);
  int kills = 0;
  for (; kills < 10; ++kills) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 300));
    s->stop(SIGKILL);
    s = std::make_unique<Server>(w.dir, std::vector<std::string>{"--max-requests-per-second-per-address", "0"});
    port = s->port();
  }
  for (auto& t : clients) t.join();
  running = false;
  CHECK(kills == 10);
  CHECK(answered.size() == size_t(kClients * kEach));  // every request was answered in the end
  // Every answered seq holds exactly that request.
  std::map<std::string, SignedRequest> by_key;
  for (auto& list : work)
    for (auto& r : list) by_key.emplace(*idempotency_key_of(r), r);
  for (auto& [key, seq] : answered) {
    Http rec = s->get("/v1/records/" + std::to_string(seq));
    REQUIRE(rec.status == 200);
    Bytes leaf(rec.body.begin(), rec.body.end());
    Record stored(leaf);
    auto e = stored.leaf().getEntry();
    CHECK(Bytes(e.begin(), e.end()) == by_key.at(key).entry);
  }
  s->stop(SIGTERM);
  CHECK(verify(w.dir) == 0);
}

TEST_CASE("serve: a slow client and an oversized body do not stop others being served") {
  ServedWorld w;
  Server s(w.dir, {"--workers", "4", "--request-deadline-ms", "2000", "--max-body-bytes", "65536"});
  // Four slow clients, one byte a second, as many as the workers.
  std::vector<int> slow;
  for (int i = 0; i < 4; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(s.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    slow.push_back(fd);
  }
  std::atomic<bool> dripping{true};
  std::thread dripper([&] {
    const std::string req = "POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n";
    for (size_t i = 0; dripping && i < req.size(); ++i) {
      for (int fd : slow) ::send(fd, &req[i], 1, MSG_NOSIGNAL);
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
  // Meanwhile an oversized body is refused and a real request is served.
  Http big = s.post("{\"entry\": \"" + std::string(200000, 'A') + "\", \"signatures\": []}");
  CHECK(big.status == 413);
  Http ok = s.post(w.contribution("council", "pool", 10, {w.council_off}));
  INFO(ok.body);
  CHECK(ok.status == 201);
  dripping = false;
  dripper.join();
  for (int fd : slow) ::close(fd);
}

TEST_CASE("serve: connections past the per-address cap are answered 429 at once") {
  ServedWorld w;
  Server s(w.dir, {"--max-connections-per-address", "2"});
  auto connect = [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    timeval tv{30, 0};  // a hang guard
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(s.port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    return fd;
  };
  int a = connect(), b = connect();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // both accepted first
  int c = connect();
  std::string got;
  char buf[512];
  for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;) got.append(buf, size_t(n));
  CHECK(got.rfind("HTTP/1.1 429", 0) == 0);
  CHECK(got.find("too many connections") != std::string::npos);
  for (int fd : {a, b, c}) ::close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(s.get("/v1/state").status == 200);  // served again once they closed
}

TEST_CASE("serve: the reads a remote officer and a mirror use") {
  ServedWorld w;
  Server s(w.dir);
  REQUIRE(s.post(w.contribution("council", "pool", 1000, {w.council_off})).status == 201);
  json state = json::parse(s.get("/v1/state").body);
  CHECK(state["origin"] == w.origin);
  CHECK(state["currency"] == "GBP");
  CHECK(state["dual_control_minor"] == kThreshold);
  uint64_t size = state["size"];
  CHECK(json::parse(s.get("/v1/parties/pool").body)["balance_minor"] == 1000);
  CHECK(s.get("/v1/parties/nobody").status == 404);
  json bal = json::parse(s.get("/v1/balances").body);
  CHECK(bal.size() == json::parse(s.get("/v1/parties").body).size());
  json incl = json::parse(s.get("/v1/proof/inclusion?seq=3&size=" + std::to_string(size)).body);
  CHECK(incl["index"] == 3);
  CHECK(incl["tree_size"] == size);
  CHECK(s.get("/v1/proof/inclusion?seq=x").status == 400);
  json cons = json::parse(s.get("/v1/proof/consistency?old=5&new=" + std::to_string(size)).body);
  CHECK(cons["old_size"] == 5);
  // A checkpoint of the new size follows the commit within about a second.
  std::string cp;
  for (int i = 0; i < 100 && cp.find("\n" + std::to_string(size) + "\n") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    cp = s.get("/checkpoint").body;
  }
  CHECK(cp.find(w.origin + "\n" + std::to_string(size) + "\n") == 0);
}

TEST_CASE("serve: a second server on a port in use is refused at once, and the first keeps serving") {
  ServedWorld w;
  Server s(w.dir);
  // timeout(1) guards against a second server that would listen for ever.
  std::string cmd = "FUNDTRAIL_PASSPHRASE='" + kPassphrase + "' timeout 20 '" + kServeBin + "' --ledger '" + w.dir +
                    "' --listen 127.0.0.1:" + std::to_string(s.port()) + " > /dev/null 2> '" + w.dir + "/../second.err'";
  int rc = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 2);
  std::ifstream err(w.dir + "/../second.err");
  std::string said((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  CHECK(said.find("cannot listen on 127.0.0.1:" + std::to_string(s.port())) != std::string::npos);
  CHECK(s.get("/v1/state").status == 200);
}
