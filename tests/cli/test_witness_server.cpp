// fundtrail-witness over 127.0.0.1: every status code of C2SP tlog-witness
// add-checkpoint, the cosignature it returns, concurrent submissions, and a
// restart. The log here is a key and a tree made by the test itself, so the
// test can sign anything a log could, split views included.
#include <atomic>
#include <memory>

#include "test_witness_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::witness;

namespace {

const std::string kLogOrigin = "witness.test.fundtrail.example/log";
const std::string kWitnessName = "witness.test.fundtrail.example/w1";

// A witness trusting one test log, in its own temporary directory.
struct Setup {
  TempDir tmp;
  TestKey log{kLogOrigin};
  std::string key_file = make_witness_key(tmp.path, kWitnessName);
  std::array<uint8_t, 32> witness_pk = key_file_public(key_file);
  fs::path state = tmp.path / "state";
  Witness w;

  std::vector<std::string> args() const {
    return {"--listen", "127.0.0.1:0", "--key", key_file, "--log-key", log.text(), "--state", state.string()};
  }
  void start() {
    std::string why;
    REQUIRE_MESSAGE(w.start(args(), tmp.path / "witness.log", why), why);
  }
  std::string note(uint64_t size) const { return log.sign(checkpoint_body(kLogOrigin, size, mth(0, size))); }
  // Submits the log's checkpoint of `size` with a proof from `old`.
  Http submit(uint64_t old, uint64_t size) const { return w.post(add_request(old, consistency(old, size), note(size))); }
  Http latest() const { return http(w.port, "GET", "/" + origin_hash() + "/checkpoint"); }
  static std::string origin_hash() {
    Hash h = sha256(Bytes(kLogOrigin.begin(), kLogOrigin.end()));
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, h.data(), h.size());
    return hex;
  }
};

void expect_cosigned(const Setup& s, const Http& r, uint64_t size) {
  INFO(r);
  REQUIRE(r.status == 200);
  uint64_t ts = 0;
  CHECK(std::count(r.body.begin(), r.body.end(), '\n') == 1);
  CHECK(cosignature_ok(r.body, kWitnessName, s.witness_pk.data(), checkpoint_body(kLogOrigin, size, mth(0, size)), ts));
  CHECK(ts > 0);
}

void expect_conflict(const Http& r, uint64_t size) {
  INFO(r);
  CHECK(r.status == 409);
  CHECK(r.content_type == "text/x.tlog.size");
  CHECK(r.body == std::to_string(size) + "\n");
}

}  // namespace

TEST_CASE("fundtrail-witness: 200 with a cosignature/v1 that verifies under the key it prints") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  CHECK(s.w.key_text == key_text(kWitnessName, 0x04, s.witness_pk.data()));
  CHECK(s.latest().status == 404);  // nothing cosigned yet

  expect_cosigned(s, s.submit(0, 5), 5);
  expect_cosigned(s, s.submit(5, 8), 8);    // with a consistency proof
  expect_cosigned(s, s.submit(8, 8), 8);    // the same checkpoint again
  expect_cosigned(s, s.submit(8, 16), 16);  // old size a power of two: the proof omits its root
  expect_cosigned(s, s.submit(16, 23), 23);

  // The monitoring API serves the latest checkpoint: the log's line and ours.
  Http latest = s.latest();
  INFO(latest);
  REQUIRE(latest.status == 200);
  std::string body = checkpoint_body(kLogOrigin, 23, mth(0, 23));
  REQUIRE(latest.body.rfind(s.note(23), 0) == 0);
  uint64_t ts = 0;
  CHECK(cosignature_ok(latest.body.substr(s.note(23).size()), kWitnessName, s.witness_pk.data(), body, ts));
  CHECK(http(s.w.port, "GET", "/" + std::string(64, 'a') + "/checkpoint").status == 404);

  // A checkpoint carrying other signatures too: unknown keys are ignored.
  TestKey other{"someone.else.example/key"};
  std::string signed_twice = s.note(23) + other.sig_line(body);
  expect_cosigned(s, s.w.post(add_request(23, {}, signed_twice)), 23);
}

TEST_CASE("fundtrail-witness: 400 for a malformed request or an old size above the new") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  expect_cosigned(s, s.submit(0, 4), 4);
  std::string cp6 = s.note(6);
  std::string proof = "";
  for (auto& h : consistency(4, 6)) proof += b64(h) + "\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"empty body", ""},
      {"no old line", proof + "\n" + cp6},
      {"leading zero", "old 04\n" + proof + "\n" + cp6},
      {"sign", "old +4\n" + proof + "\n" + cp6},
      {"two spaces", "old  4\n" + proof + "\n" + cp6},
      {"no newline after old", "old 4"},
      {"no empty line", "old 4\n" + proof + cp6},
      {"proof line not base64", "old 4\n" + proof + "not base64!\n\n" + cp6},
      {"proof line of 31 bytes", "old 4\n" + b64(Bytes(31, 7).data(), 31) + "\n\n" + cp6},
      {"64 proof lines", "old 4\n" + [] {
         std::string p;
         for (int i = 0; i < 64; ++i) p += b64(leaf(i)) + "\n";
         return p;
       }() + "\n" + cp6},
      {"no checkpoint", "old 4\n" + proof + "\n"},
      {"checkpoint without signatures", "old 4\n" + proof + "\n" + checkpoint_body(kLogOrigin, 6, mth(0, 6))},
      {"checkpoint size with a leading zero",
       "old 4\n" + proof + "\n" + s.log.sign(kLogOrigin + "\n06\n" + b64(mth(0, 6)) + "\n")},
      {"root not 32 bytes", "old 4\n" + proof + "\n" + s.log.sign(kLogOrigin + "\n6\n" + b64(leaf(0).data(), 31) + "\n")},
      {"old size above the new", "old 7\n\n" + cp6},
  };
  for (auto& [what, body] : bad) {
    INFO(what);
    Http r = s.w.post(body);
    INFO(r);
    CHECK(r.status == 400);
  }
  // None of them moved the witness: it still stands at 4.
  expect_conflict(s.submit(0, 6), 4);
  expect_cosigned(s, s.submit(4, 6), 6);
}

TEST_CASE("fundtrail-witness: 404 for an unknown origin and 403 without a valid log signature") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  // Another log, well signed by its own key: this witness does not know it.
  TestKey stranger{"stranger.example/log"};
  Http r404 = s.w.post(add_request(0, {}, stranger.sign(checkpoint_body("stranger.example/log", 3, mth(0, 3)))));
  INFO(r404);
  CHECK(r404.status == 404);

  std::string body = checkpoint_body(kLogOrigin, 3, mth(0, 3));
  // The right origin, signed by a key of the same name that is not the log's.
  TestKey impostor{kLogOrigin};
  Http r1 = s.w.post(add_request(0, {}, impostor.sign(body)));
  INFO(r1);
  CHECK(r1.status == 403);
  // The log's name and key id, but the signature is over another body.
  std::string forged = body + "\n" + s.log.sig_line(checkpoint_body(kLogOrigin, 3, mth(0, 2)));
  Http r2 = s.w.post(add_request(0, {}, forged));
  INFO(r2);
  CHECK(r2.status == 403);
  // A valid line and a failing one by the same key: the note is malformed.
  Http r3 = s.w.post(add_request(0, {}, s.log.sign(body) + s.log.sig_line(checkpoint_body(kLogOrigin, 3, mth(0, 2)))));
  INFO(r3);
  CHECK(r3.status == 403);
  CHECK(s.latest().status == 404);  // nothing was cosigned
  expect_cosigned(s, s.submit(0, 3), 3);
}

TEST_CASE("fundtrail-witness: 409 with the size it cosigned when old is not that size") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  expect_conflict(s.submit(3, 7), 0);  // never cosigned: its size is 0
  expect_cosigned(s, s.submit(0, 7), 7);
  expect_conflict(s.submit(0, 9), 7);
  expect_conflict(s.submit(5, 9), 7);
  expect_conflict(s.submit(8, 9), 7);
  expect_cosigned(s, s.submit(7, 9), 9);
}

TEST_CASE("fundtrail-witness: 422 for a bad proof and for a split view") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  // Old size 0 takes no proof; size 0 has the empty tree's root.
  Http nonempty = s.w.post(add_request(0, {leaf(0)}, s.note(5)));
  INFO(nonempty);
  CHECK(nonempty.status == 422);
  Http zero = s.w.post(add_request(0, {}, s.log.sign(checkpoint_body(kLogOrigin, 0, leaf(0)))));
  INFO(zero);
  CHECK(zero.status == 422);
  expect_cosigned(s, s.w.post(add_request(0, {}, s.note(0))), 0);
  expect_cosigned(s, s.submit(0, 5), 5);

  // A tampered proof, a proof of another size, and a tree that does not
  // extend the one cosigned (leaf 2 replaced): each 422.
  auto proof = consistency(5, 11);
  auto tampered = proof;
  tampered[0][0] ^= 1;
  for (const auto& p : {tampered, consistency(6, 11), std::vector<Hash>{}}) {
    Http r = s.w.post(add_request(5, p, s.note(11)));
    INFO(r);
    CHECK(r.status == 422);
  }
  // A tree that does not extend the cosigned one (leaf 2 replaced), sent
  // with the honest tree's proof: no proof can tie it to the cosigned root.
  Hash forked = node(node(node(leaf(0), leaf(1)), node(leaf(99), leaf(3))), mth(4, 8));
  Http fork = s.w.post(add_request(5, consistency(5, 8), s.log.sign(checkpoint_body(kLogOrigin, 8, forked))));
  INFO(fork);
  CHECK(fork.status == 422);
  expect_conflict(s.submit(0, 8), 5);  // and it still stands at 5

  // The log signs a second root for size 5: a split view, refused and kept.
  Http split = s.w.post(add_request(5, {}, s.log.sign(checkpoint_body(kLogOrigin, 5, mth(1, 6)))));
  INFO(split);
  CHECK(split.status == 422);
  CHECK(contains(split.body, "split view"));
  CHECK(!contains(split.body, s.state.string()));  // issue 20: the answer named the server's state path
  CHECK(!contains(split.body, "evidence/"));
  fs::path evidence = s.state / Setup::origin_hash() / "evidence";
  REQUIRE(fs::exists(evidence));
  size_t kept = 0;
  for (auto& e : fs::directory_iterator(evidence)) kept += contains(read_file(e.path()), b64(mth(1, 6)));
  CHECK(kept == 1);
  CHECK(contains(read_file(s.w.log), "split view"));
  // It still stands by the root it cosigned.
  Http latest = s.latest();
  CHECK(latest.body.rfind(s.note(5), 0) == 0);
  expect_cosigned(s, s.submit(5, 5), 5);
  expect_cosigned(s, s.submit(5, 11), 11);
}

namespace {

// A client that opens a connection to 127.0.0.1:`port` and sends a request's
// first line; drip() sends one more header line.
struct SlowClient {
  int fd = -1;
  explicit SlowClient(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    timeval tv{30, 0};  // a hang guard
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    send_text("GET /" + Setup::origin_hash() + "/checkpoint HTTP/1.1\r\n");
  }
  ~SlowClient() { ::close(fd); }
  bool send_text(const std::string& t) { return ::send(fd, t.data(), t.size(), MSG_NOSIGNAL) == ssize_t(t.size()); }
  bool drip(int i) { return send_text("X-Slow-" + std::to_string(i) + ": still here\r\n"); }
  // What the server sent before closing (empty: closed without a word).
  std::string read_to_close() {
    std::string got;
    char buf[512];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, size_t(n));
    return got;
  }
};

}  // namespace

TEST_CASE("fundtrail-witness: slow clients neither starve others nor hold a connection past the deadline") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  std::string why;
  auto args = s.args();
  args.insert(args.end(), {"--workers", "8", "--request-deadline-ms", "1500"});
  REQUIRE_MESSAGE(s.w.start(args, s.tmp.path / "witness.log", why), why);
  expect_cosigned(s, s.submit(0, 3), 3);

  // Eight clients, as many as its workers, each sending a header line every
  // 300 ms (the attack of issue 20 used 3 s): before the fix they held every
  // worker as long as they kept dripping, and a real request got no answer.
  std::vector<std::unique_ptr<SlowClient>> slow;
  for (int i = 0; i < 8; ++i) slow.push_back(std::make_unique<SlowClient>(s.w.port));
  std::atomic<bool> dripping{true};
  std::thread dripper([&] {
    for (int round = 0; dripping && round < 200; ++round) {
      for (auto& c : slow) c->drip(round);
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  Http latest = s.latest();  // under the hang guard of http(): 60 s
  dripping = false;
  dripper.join();
  INFO(latest);
  CHECK(latest.status == 200);
  CHECK(latest.body.rfind(s.note(3), 0) == 0);
  // Each slow connection was shut down at its deadline, without an answer.
  for (auto& c : slow) CHECK(c->read_to_close().find("200 OK") == std::string::npos);
}

TEST_CASE("fundtrail-witness: connections beyond the per-address cap are answered 503 at once") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  std::string why;
  auto args = s.args();
  args.insert(args.end(), {"--max-connections-per-address", "2", "--request-deadline-ms", "20000"});
  REQUIRE_MESSAGE(s.w.start(args, s.tmp.path / "witness.log", why), why);
  SlowClient a(s.w.port), b(s.w.port);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // both accepted before the third
  SlowClient c(s.w.port);
  std::string third = c.read_to_close();
  CHECK(third.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(contains(third, "too many connections from your address"));
  // Once they finish, the address is served again.
  a.send_text("Connection: close\r\n\r\n");
  CHECK(a.read_to_close().rfind("HTTP/1.1 404", 0) == 0);  // nothing cosigned yet
  b.send_text("Connection: close\r\n\r\n");
  CHECK(b.read_to_close().rfind("HTTP/1.1 404", 0) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(s.latest().status == 404);
}

TEST_CASE("fundtrail-witness: two concurrent submissions cannot roll its size back") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  expect_cosigned(s, s.submit(0, 1), 1);
  uint64_t size = 1;
  for (int round = 0; round < 12; ++round) {
    // Both start from the size the witness holds; one to size+1, one to size+2.
    uint64_t a = size + 1, b = size + 2;
    std::string ra = add_request(size, consistency(size, a), s.note(a));
    std::string rb = add_request(size, consistency(size, b), s.note(b));
    Http ha, hb;
    std::thread ta([&] { ha = s.w.post(ra); });
    std::thread tb([&] { hb = s.w.post(rb); });
    ta.join();
    tb.join();
    INFO("round ", round, "\n", ha, "\n", hb);
    // Exactly one wins; the other is told the winner's size, never a smaller one.
    REQUIRE(((ha.status == 200 && hb.status == 409) || (ha.status == 409 && hb.status == 200)));
    uint64_t winner = ha.status == 200 ? a : b;
    expect_conflict(ha.status == 409 ? ha : hb, winner);
    expect_cosigned(s, ha.status == 200 ? ha : hb, winner);
    expect_conflict(s.submit(0, winner), winner);
    size = winner;
  }
  CHECK(size > 12);
}

TEST_CASE("fundtrail-witness: a restarted witness keeps its state and one state has one witness") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  s.start();
  expect_cosigned(s, s.submit(0, 6), 6);

  // A second witness on the same state directory is refused.
  Witness second;
  std::string why;
  CHECK_FALSE(second.start(s.args(), s.tmp.path / "second.log", why));
  CHECK(contains(why, "exit 2"));
  CHECK(contains(why, "another fundtrail-witness"));

  CHECK(s.w.stop() == 0);
  s.start();
  expect_conflict(s.submit(0, 9), 6);
  Http latest = s.latest();
  CHECK(latest.body.rfind(s.note(6), 0) == 0);
  // The split-view check survives the restart too.
  Http split = s.w.post(add_request(6, {}, s.log.sign(checkpoint_body(kLogOrigin, 6, mth(1, 7)))));
  CHECK(split.status == 422);
  expect_cosigned(s, s.submit(6, 9), 9);
  CHECK(s.w.stop() == 0);

  // A damaged state is not taken for an empty one.
  fs::path file = s.state / Setup::origin_hash() / "checkpoint";
  write_file(file, "garbage\n");
  Witness damaged;
  CHECK_FALSE(damaged.start(s.args(), s.tmp.path / "damaged.log", why));
  CHECK(contains(why, "exit 2"));
  CHECK(contains(why, "damaged"));
}

TEST_CASE("fundtrail-witness: usage errors exit 2") {
  SKIP_WITHOUT_WITNESS();
  Setup s;
  auto base = s.args();
  auto with = [&](size_t at, const std::string& value) {
    auto a = base;
    a[at] = value;
    return a;
  };
  RunOptions pass;
  pass.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  struct Case {
    std::vector<std::string> args;
    std::string why;
  };
  std::vector<Case> cases = {
      {{"--listen", "127.0.0.1:0", "--key", s.key_file, "--state", s.state.string()}, "--log-key"},
      {with(1, "127.0.0.1"), "HOST:PORT"},
      {with(1, "127.0.0.1:70000"), "HOST:PORT"},
      {with(5, "not a key"), "--log-key"},
      {with(5, key_text(kLogOrigin, 0x04, s.log.pk)), "type 0x01"},
      {with(3, (s.tmp.path / "missing.key").string()), "missing.key"},
  };
  for (auto& c : cases) {
    RunResult r = run(kWitnessBin, c.args, pass);
    INFO(r);
    CHECK(r.code == 2);
    CHECK(contains(r.err + r.out, c.why));
  }
  RunOptions wrong;
  wrong.env["FUNDTRAIL_PASSPHRASE"] = "not the passphrase";
  RunResult r = run(kWitnessBin, base, wrong);
  INFO(r);
  CHECK(r.code == 2);
  CHECK(r.out.empty());
}
