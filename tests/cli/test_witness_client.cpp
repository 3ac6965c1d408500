// fundtrail witness add against a running fundtrail-witness: the cosignature
// is checked and kept, fundtrail checkpoint prints it, the 409 retry, and
// every way a witness can fail the client.
#include <sys/socket.h>

#include "test_witness_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::witness;

namespace {

const std::string kWitnessName = "witness.test.fundtrail.example/auditor";

struct ClientSetup {
  Books b;
  std::string key_file = make_witness_key(b.root, kWitnessName);
  std::array<uint8_t, 32> pk = key_file_public(key_file);
  std::string witness_key = key_text(kWitnessName, 0x04, pk.data());
  fs::path state = b.root / "witness-state";
  Witness w;

  void start(const std::string& log_key) {
    std::string why;
    REQUIRE_MESSAGE(w.start({"--listen", "127.0.0.1:0", "--key", key_file, "--log-key", log_key, "--state",
                             state.string()},
                            b.root / "witness.log", why),
                    why);
  }
  RunResult add(const Books& books) const { return books.ft({"witness", "add", w.url(), "--witness-key", witness_key}); }
};

// The checkpoint body of a note (up to the blank line).
std::string body_of(const std::string& note) { return note.substr(0, note.find("\n\n") + 1); }

// The lines of `note` after its blank line that are by `name`.
std::vector<std::string> lines_by(const std::string& note, const std::string& name) {
  std::vector<std::string> out;
  for (auto& l : lines_of(note.substr(note.find("\n\n") + 2)))
    if (l.rfind(kDash + name + " ", 0) == 0) out.push_back(l + "\n");
  return out;
}

// A one-shot HTTP server answering every request with `response` (raw bytes).
struct FakeWitness {
  int fd = -1, port = 0;
  std::thread t;
  explicit FakeWitness(std::string response) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    t = std::thread([this, response] {
      for (;;) {
        int c = ::accept(fd, nullptr, nullptr);
        if (c < 0) return;
        std::string req;
        char buf[4096];
        // Read the head and Content-Length bytes of body, then answer.
        for (ssize_t n; (n = ::recv(c, buf, sizeof buf, 0)) > 0;) {
          req.append(buf, size_t(n));
          size_t end = req.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          std::string lower = req.substr(0, end);
          for (char& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
          size_t cl = lower.find("content-length: ");
          size_t want = cl == std::string::npos ? 0 : std::stoul(lower.substr(cl + 16));
          if (req.size() >= end + 4 + want) break;
        }
        ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
        ::close(c);
      }
    });
  }
  ~FakeWitness() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    t.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

std::string http_response(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

TEST_CASE("witness add: keeps the verified cosignature and checkpoint prints it") {
  SKIP_WITHOUT_WITNESS();
  ClientSetup s;
  s.start(s.b.log_key_text);
  std::string cp5 = s.b.ok({"checkpoint", "--size", "5"}).out;

  RunResult r = s.add(s.b);
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(r.out.rfind(cp5, 0) == 0);  // the log's checkpoint, then the cosignature
  auto mine = lines_by(r.out, kWitnessName);
  REQUIRE(mine.size() == 1);
  uint64_t ts = 0;
  CHECK(cosignature_ok(mine[0], kWitnessName, s.pk.data(), body_of(cp5), ts));
  CHECK(r.out == cp5 + mine[0]);

  // Kept: checkpoint list shows it, and issuing the same checkpoint again
  // prints it with the cosignature.
  json list = s.b.ok_json({"checkpoint", "list", "--json"});
  REQUIRE(list.size() == 1);
  CHECK(list[0]["checkpoint"] == r.out);
  CHECK(s.b.ok({"checkpoint", "--size", "5"}).out == r.out);

  // The newest checkpoint next: the witness moves from 5 with a proof.
  std::string cp12 = s.b.ok({"checkpoint"}).out;
  RunResult r12 = s.add(s.b);
  INFO(r12);
  REQUIRE(r12.code == 0);
  auto mine12 = lines_by(r12.out, kWitnessName);
  REQUIRE(mine12.size() == 1);
  CHECK(cosignature_ok(mine12[0], kWitnessName, s.pk.data(), body_of(cp12), ts));
  CHECK(contains(read_file(s.w.log), "add-checkpoint " + kOrigin + ": 200"));

  // Submitting again replaces the cosignature rather than piling them up.
  RunResult again = s.add(s.b);
  INFO(again);
  REQUIRE(again.code == 0);
  CHECK(lines_by(again.out, kWitnessName).size() == 1);
  CHECK(lines_by(again.out, kOrigin).size() == 1);
  CHECK(s.b.ok({"checkpoint"}).out == again.out);

  // An independent checker accepts the cosigned checkpoint.
  write_file(s.b.file("cp12.txt"), again.out);
  verify_if_present({s.b.ledger.string(), "--checkpoint", s.b.file("cp12.txt"), "--log-key", s.b.log_key_text,
                     "--witness", s.witness_key});
}

TEST_CASE("witness add: on 409 it proves from the witness's size and retries once") {
  SKIP_WITHOUT_WITNESS();
  ClientSetup s;
  s.start(s.b.log_key_text);
  // Another copy of the same ledger (same log key) gets the witness to 5.
  Books other;
  other.ok({"checkpoint", "--size", "5"});
  RunResult first = s.add(other);
  INFO(first);
  REQUIRE(first.code == 0);

  // This copy never heard from the witness: it sends old 0, hears 409 "5",
  // and retries with a proof from 5.
  std::string cp12 = s.b.ok({"checkpoint"}).out;
  RunResult r = s.add(s.b);
  INFO(r);
  REQUIRE(r.code == 0);
  uint64_t ts = 0;
  auto mine = lines_by(r.out, kWitnessName);
  REQUIRE(mine.size() == 1);
  CHECK(cosignature_ok(mine[0], kWitnessName, s.pk.data(), body_of(cp12), ts));
  std::string log = read_file(s.w.log);
  CHECK(contains(log, ": 409"));

  // Now the other copy is behind the witness (12 > 5): the retry cannot help,
  // and it says what to do.
  RunResult behind = s.add(other);
  INFO(behind);
  CHECK(behind.code == 1);
  CHECK(contains(behind.err, "larger than this checkpoint"));
  CHECK(behind.out.empty());
}

TEST_CASE("witness add: a refusal shows the status and body and keeps nothing") {
  SKIP_WITHOUT_WITNESS();
  ClientSetup s;
  // The witness trusts another log only.
  TestKey stranger{"stranger.example/log"};
  s.start(stranger.text());
  std::string cp = s.b.ok({"checkpoint"}).out;
  RunResult r = s.add(s.b);
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "HTTP 404"));
  CHECK(contains(r.err, "unknown log origin"));
  CHECK(r.out.empty());
  CHECK(s.b.ok_json({"checkpoint", "list", "--json"})[0]["checkpoint"] == cp);
}

TEST_CASE("witness add: a cosignature that does not verify under the witness key is not kept") {
  SKIP_WITHOUT_WITNESS();
  ClientSetup s;
  s.start(s.b.log_key_text);
  std::string cp = s.b.ok({"checkpoint"}).out;
  // A real witness, but the client was given another witness's key.
  std::string other_key = make_witness_key(s.b.root, "witness.test.fundtrail.example/other");
  auto other_pk = key_file_public(other_key);
  RunResult r = s.b.ft({"witness", "add", s.w.url(), "--witness-key", key_text("witness.test.fundtrail.example/other", 0x04, other_pk.data())});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.err, "no valid cosignature"));
  CHECK(s.b.ok_json({"checkpoint", "list", "--json"})[0]["checkpoint"] == cp);

  // A fake witness answering 200 with a line under the right name and key id
  // whose signature is wrong.
  Bytes blob(4 + 8 + 64, 0x5a);
  uint32_t id = key_id(kWitnessName, 0x04, s.pk.data());
  for (int i = 0; i < 4; ++i) blob[i] = uint8_t(id >> (24 - 8 * i));
  FakeWitness bad(http_response(200, kDash + kWitnessName + " " + b64(blob.data(), blob.size()) + "\n"));
  RunResult rb = s.b.ft({"witness", "add", bad.url(), "--witness-key", s.witness_key});
  INFO(rb);
  CHECK(rb.code == 1);
  CHECK(contains(rb.err, "does not verify"));
  // 200 with a body that is not signature lines; 409 without a size.
  FakeWitness junk(http_response(200, "hello\n"));
  RunResult rj = s.b.ft({"witness", "add", junk.url(), "--witness-key", s.witness_key});
  INFO(rj);
  CHECK(rj.code == 1);
  CHECK(contains(rj.err, "not note signature lines"));
  FakeWitness conflict(http_response(409, "twelve\n"));
  RunResult rc = s.b.ft({"witness", "add", conflict.url(), "--witness-key", s.witness_key});
  INFO(rc);
  CHECK(rc.code == 1);
  CHECK(contains(rc.err, "HTTP 409 without a size"));
  // A 409 twice: one retry only, then the status and body are shown.
  FakeWitness stubborn(http_response(409, "3\n"));
  RunResult rs = s.b.ft({"witness", "add", stubborn.url(), "--witness-key", s.witness_key});
  INFO(rs);
  CHECK(rs.code == 1);
  CHECK(contains(rs.err, "HTTP 409: 3"));
  CHECK(s.b.ok_json({"checkpoint", "list", "--json"})[0]["checkpoint"] == cp);

  // Several witnesses: the good one's cosignature is kept, the run still fails.
  RunResult mixed = s.b.ft({"witness", "add", junk.url(), s.w.url(), "--witness-key", s.witness_key, "--witness-key", s.witness_key});
  INFO(mixed);
  CHECK(mixed.code == 1);
  std::string kept = s.b.ok_json({"checkpoint", "list", "--json"})[0]["checkpoint"];
  CHECK(lines_by(kept, kWitnessName).size() == 1);
}

TEST_CASE("witness add: usage errors and an unreachable witness exit 2") {
  SKIP_WITHOUT_WITNESS();
  ClientSetup s;
  // No checkpoint issued yet.
  RunResult none = s.b.ft({"witness", "add", "http://127.0.0.1:9", "--witness-key", s.witness_key});
  INFO(none);
  CHECK(none.code == 2);
  CHECK(contains(none.err, "fundtrail checkpoint"));
  s.b.ok({"checkpoint"});
  struct Case {
    std::vector<std::string> args;
    std::string why;
  };
  std::vector<Case> cases = {
      {{"witness", "add", "http://127.0.0.1:9"}, "--witness-key"},
      {{"witness", "add", "http://127.0.0.1:9", "http://127.0.0.1:10", "--witness-key", s.witness_key}, "one --witness-key per URL"},
      {{"witness", "add", "http://127.0.0.1:9", "--witness-key", s.b.log_key_text}, "type 0x04"},
      {{"witness", "add", "http://127.0.0.1:9", "--witness-key", "nonsense"}, "--witness-key"},
      {{"witness", "add", "ftp://127.0.0.1:9", "--witness-key", s.witness_key}, "http"},
  };
  for (auto& c : cases) expect_refused(s.b, c.args, 2, c.why);

  // A port nobody listens on: bind one, close it, use its number.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  RunResult r = s.b.ft({"witness", "add", "http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)), "--witness-key", s.witness_key});
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "no answer"));
  CHECK(r.out.empty());
}

TEST_CASE("witness add: a witness run with --tiles cosigns only records that pass the full verifier") {
  SKIP_WITHOUT_WITNESS();
  ClientSetup s;
  std::string tiles = s.b.file("site");
  s.b.ok({"publish", "--tiles", tiles});  // signs and keeps the checkpoint of size 12
  std::string why;
  REQUIRE_MESSAGE(s.w.start({"--listen", "127.0.0.1:0", "--key", s.key_file, "--log-key", s.b.log_key_text, "--state",
                             s.state.string(), "--tiles", tiles},
                            s.b.root / "witness.log", why),
                  why);
  RunResult r = s.add(s.b);
  INFO(r, "\n", read_file(s.w.log));
  REQUIRE(r.code == 0);
  CHECK(lines_by(r.out, kWitnessName).size() == 1);

  // A record the council has checkpointed but not published: the witness
  // cannot check it, so it does not cosign.
  s.b.ok({"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--date", "2025-04-02", "--key",
          s.b.key("council")});
  std::string cp13 = s.b.ok({"checkpoint"}).out;
  RunResult unpublished = s.add(s.b);
  INFO(unpublished, "\n", read_file(s.w.log));
  CHECK(unpublished.code == 1);
  CHECK(contains(unpublished.err, "HTTP 4"));
  CHECK(s.b.ok({"checkpoint"}).out == cp13);  // nothing kept

  // Published, but a byte of the records changed on the web host: refused.
  s.b.ok({"publish", "--tiles", tiles});
  fs::path bundle = fs::path(tiles) / "tile" / "entries" / "000.p" / "13";
  REQUIRE(fs::exists(bundle));
  std::string bytes = read_file(bundle);
  bytes[bytes.size() - 5] ^= 1;
  write_file(bundle, bytes);
  RunResult tampered = s.add(s.b);
  INFO(tampered, "\n", read_file(s.w.log));
  CHECK(tampered.code == 1);
  CHECK(contains(tampered.err, "HTTP 422"));
  CHECK(contains(tampered.err, "full verifier"));

  // Put right, it cosigns from where it stood (12) with a consistency proof.
  bytes[bytes.size() - 5] ^= 1;
  write_file(bundle, bytes);
  RunResult fixed = s.add(s.b);
  INFO(fixed, "\n", read_file(s.w.log));
  CHECK(fixed.code == 0);
  auto mine = lines_by(fixed.out, kWitnessName);
  REQUIRE(mine.size() == 1);
  uint64_t ts = 0;
  CHECK(cosignature_ok(mine[0], kWitnessName, s.pk.data(), body_of(cp13), ts));
}
