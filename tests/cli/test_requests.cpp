// Signed request files (issue 21): an officer signs with --sign-only, a
// second officer on another machine adds their signature with `cosign`, and
// `submit` records the file on a real `fundtrail serve` over 127.0.0.1 or in
// a local ledger.
#include <csignal>
#include <thread>

#include "test_reliability_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

namespace {

// `fundtrail serve` on a free port of 127.0.0.1, stopped with SIGTERM at the end.
struct RunningServer {
  Spawned proc;
  std::string url;
  explicit RunningServer(const Books& b) {
    proc = spawn(kBin, {"serve", "--ledger", b.ledger.string(), "--listen", "127.0.0.1:0"}, b.root, "serve");
    for (int i = 0; i < 300 && url.empty(); ++i) {  // a hang guard of 30 s, not a timing assertion
      std::string out = read_file(proc.out);
      auto at = out.find("listening on ");
      if (at != std::string::npos && out.find('\n', at) != std::string::npos)
        url = trim(out.substr(at + 13, out.find('\n', at) - at - 13));
      else std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE_MESSAGE(!url.empty(), "fundtrail serve did not start: " << read_file(proc.err));
  }
  ~RunningServer() {
    ::kill(proc.pid, SIGTERM);
    wait_for(proc);
  }
};

std::vector<std::string> big_payment(const Books& b, const std::string& out) {
  return {"pay", "--from", "pool", "--to", "ace", "--amount", "1500.00", "--mechanism", "block", "--date", "2025-04-02",
          "--key", b.key("pool"), "--sign-only", "--out", out};
}

}  // namespace

TEST_CASE("requests: two officers with separate key directories record a dual-control payment through the server") {
  Books b;
  // The second officer's machine: their own key, and nothing of the ledger.
  fs::path other = b.root / "approver-machine";
  fs::create_directories(other);
  fs::copy_file(b.key("approver"), other / "approver.key");
  const std::string req = (b.root / "payment.json").string();

  RunResult signed_once = b.ft(big_payment(b, req));
  INFO(signed_once);
  REQUIRE(signed_once.code == 0);
  CHECK(signed_once.out.empty());  // nothing recorded, so no seq
  CHECK(contains(signed_once.err, "signed request written to " + req));
  CHECK(b.size() == kStartSize);
  const std::string one_signature = read_file(req);
  CHECK(!contains(one_signature, kPass));  // a request file holds no secret

  RunningServer server(b);
  // One signature is not enough at 1500.00: rule 5, exit 1, nothing written.
  RunResult refused = ft_raw({"submit", req, "--server", server.url});
  INFO(refused);
  CHECK(refused.code == 1);
  CHECK(contains(refused.err, "rule 5"));

  RunOptions approver_machine;
  approver_machine.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  approver_machine.cwd = other.string();
  RunResult cosigned = ft_raw({"cosign", req, "--key", (other / "approver.key").string()}, approver_machine);
  INFO(cosigned);
  REQUIRE(cosigned.code == 0);
  CHECK(contains(cosigned.err, "about to sign ledger " + kOrigin + ": "));
  CHECK(contains(cosigned.err, "1500.00"));
  CHECK(contains(cosigned.err, "now carries 2 signatures"));
  // The same key twice is not dual control.
  RunResult twice = ft_raw({"cosign", req, "--key", (other / "approver.key").string()}, approver_machine);
  CHECK(twice.code == 2);
  CHECK(contains(twice.err, "already carries a signature by this key"));

  RunResult submitted = ft_raw({"submit", req, "--server", server.url});
  INFO(submitted);
  REQUIRE(submitted.code == 0);
  CHECK(submitted.out == std::to_string(kStartSize) + "\n");
  RunResult again = ft_raw({"submit", req, "--server", server.url});
  CHECK(again.code == 0);
  CHECK(again.out == std::to_string(kStartSize) + "\n");
  CHECK(contains(again.err, "already recorded as seq " + std::to_string(kStartSize)));

  json rec = b.ok_json({"show", std::to_string(kStartSize), "--json"});
  CHECK(rec["signatures"].size() == 2);
  verify_if_present({b.ledger.string()});
}

TEST_CASE("requests: submit to a local ledger, and every way a request file can be wrong") {
  Books b;
  const std::string req = (b.root / "contribution.json").string();
  b.ok({"contribute", "--from", "council", "--to", "pool", "--amount", "5.00", "--date", "2025-04-02", "--key",
        b.key("council"), "--sign-only", "--out", req});
  CHECK(b.size() == kStartSize);
  RunResult local = b.ft({"submit", req});
  INFO(local);
  CHECK(local.code == 0);
  CHECK(local.out == std::to_string(kStartSize) + "\n");

  expect_refused(b, {"pay", "--from", "pool", "--to", "ace", "--amount", "1.00", "--mechanism", "block", "--key", b.key("pool"), "--sign-only"}, 2,
                 "--sign-only needs --out");
  write_file(b.file("junk.json"), "{\"entry\": 1}");
  expect_refused(b, {"submit", b.file("junk.json")}, 2, "junk.json");
  expect_refused(b, {"cosign", b.file("junk.json"), "--key", b.key("approver")}, 2, "junk.json");
  auto refused_raw = [&](const std::vector<std::string>& args, const std::string& why) {
    RunResult r = ft_raw(args);
    INFO(r);
    CHECK(r.code == 2);
    CHECK(contains(r.err, why));
    CHECK(r.out.empty());
  };
  refused_raw({"submit", req, "--server", "ftp://example"}, "not an http:// or https:// URL");
  refused_raw({"submit", req, "--server", "http://127.0.0.1:1"}, "no answer from");
  expect_refused(b, {"submit", req, "--server", "http://127.0.0.1:1"}, 2, "give --server or --ledger, not both");
}
