// Signed request files (issue 21): an officer signs with --sign-only, a
// second officer on another machine adds their signature with `cosign`, and
// `submit` records the file on a real `fundtrail serve` over 127.0.0.1 or in
// a local ledger.
#include <csignal>
#include <thread>

#include "servers.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

TEST_CASE("requests: two officers with separate key directories record a dual-control payment through the server") {
  Books b;
  ServeProcess server(b.ledger, b.root);
  // Each officer's machine: their own key, and nothing of the ledger.
  fs::path first = b.root / "officer-machine", second = b.root / "approver-machine";
  for (const auto& [dir, key] : {std::pair{first, "pool"}, std::pair{second, "approver"}}) {
    fs::create_directories(dir);
    fs::copy_file(b.key(key), dir / (std::string(key) + ".key"));
  }
  RunOptions officer, approver;
  officer.env["FUNDTRAIL_PASSPHRASE"] = approver.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  officer.cwd = first.string();
  approver.cwd = second.string();
  const std::string req = (first / "payment.json").string();

  RunResult signed_once = ft_raw({"pay", "--from", "pool", "--to", "ace", "--amount", "1500.00", "--mechanism", "block",
                                  "--date", "2025-04-02", "--key", (first / "pool.key").string(), "--server", server.url,
                                  "--sign-only", "--out", req},
                                 officer);
  INFO(signed_once);
  REQUIRE(signed_once.code == 0);
  CHECK(signed_once.out.empty());  // nothing recorded, so no seq
  CHECK(contains(signed_once.err, "signed request written to " + req));
  CHECK(b.size() == kStartSize);
  CHECK(!contains(read_file(req), kPass));  // a request file holds no secret

  // One signature is not enough at 1500.00: rule 5, exit 1, nothing written.
  RunResult refused = ft_raw({"submit", req, "--server", server.url});
  INFO(refused);
  CHECK(refused.code == 1);
  CHECK(contains(refused.err, "rule 5"));

  // The file travels to the approver (mail, a shared drive); they add their signature.
  fs::copy_file(req, second / "payment.json");
  const std::string theirs = (second / "payment.json").string();
  RunResult cosigned = ft_raw({"cosign", theirs, "--key", (second / "approver.key").string()}, approver);
  INFO(cosigned);
  REQUIRE(cosigned.code == 0);
  CHECK(contains(cosigned.err, "about to sign ledger " + kOrigin + ": "));
  CHECK(contains(cosigned.err, "1500.00"));
  CHECK(contains(cosigned.err, "now carries 2 signatures"));
  // The same key twice is not dual control.
  RunResult twice = ft_raw({"cosign", theirs, "--key", (second / "approver.key").string()}, approver);
  CHECK(twice.code == 2);
  CHECK(contains(twice.err, "already carries a signature by this key"));

  RunResult submitted = ft_raw({"submit", theirs, "--server", server.url}, approver);
  INFO(submitted);
  REQUIRE(submitted.code == 0);
  CHECK(submitted.out == std::to_string(kStartSize) + "\n");
  RunResult again = ft_raw({"submit", theirs, "--server", server.url});
  CHECK(again.code == 0);
  CHECK(again.out == std::to_string(kStartSize) + "\n");
  CHECK(contains(again.err, "already recorded as seq " + std::to_string(kStartSize)));

  json rec = b.ok_json({"show", std::to_string(kStartSize), "--json"});
  CHECK(rec["signatures"].size() == 2);
  verify_if_present({b.ledger.string()});
}

TEST_CASE("requests: every write command with --server prints and exits as a local write") {
  Books b;
  ServeProcess server(b.ledger, b.root);
  auto remote = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--server", server.url});
    return ft_raw(args);
  };
  auto recorded = [&](const RunResult& r, uint64_t seq) {
    INFO(r);
    CHECK(r.code == 0);
    CHECK(r.out == std::to_string(seq) + "\n");
  };
  uint64_t n = kStartSize;
  recorded(remote({"contribute", "--from", "council", "--to", "pool", "--amount", "10.00", "--date", "2025-04-02", "--key",
                   b.key("council")}),
           n++);
  recorded(remote({"pay", "--from", "pool", "--to", "ace", "--amount", "5.00", "--mechanism", "block", "--date",
                   "2025-04-02", "--key", b.key("pool")}),
           n++);
  // A rule refusal is exit 1 naming the rule; nothing written.
  RunResult overdraft = remote({"pay", "--from", "hope", "--to", "ace", "--amount", "5.00", "--mechanism", "block", "--key",
                                b.key("hope")});
  CHECK(overdraft.code == 1);
  CHECK(contains(overdraft.err, "rule 4"));
  RunResult unknown = remote({"pay", "--from", "pool", "--to", "ace", "--amount", "5.00", "--mechanism", "block",
                              "--contract", "NOPE", "--key", b.key("pool")});
  CHECK(unknown.code == 1);
  CHECK(contains(unknown.err, "rule 9"));
  // Idempotency by state, looked up on the server: revoke, grant, revoke.
  std::string text = trim(b.ok({"key", "public", b.key("stranger")}).out);
  recorded(remote({"grant-key", "police", text, "--role", "officer", "--key", b.key("admin")}), n++);
  recorded(remote({"revoke-key", "police", text, "--key", b.key("admin")}), n++);
  RunResult holds = remote({"revoke-key", "police", text, "--key", b.key("admin")});
  CHECK(holds.code == 0);
  CHECK(holds.out == std::to_string(n - 1) + "\n");  // the revocation just recorded
  CHECK(contains(holds.err, "already revoked"));
  recorded(remote({"grant-key", "police", text, "--role", "officer", "--key", b.key("admin")}), n++);
  recorded(remote({"revoke-key", "police", text, "--key", b.key("admin")}), n++);
  recorded(remote({"party", "status", "hope", "--status", "exited", "--from", "2025-06-01", "--key", b.key("admin")}), n++);
  recorded(remote({"contract", "agree", "C1", "--payer", "council", "--payee", "ace", "--subject", "support", "--from",
                   "2025-04-01", "--cap", "100.00", "--key", b.key("council")}),
           n++);
  RunResult same_terms = remote({"contract", "vary", "C1", "--cap", "100.00", "--reason", "none", "--key", b.key("council")});
  CHECK(same_terms.code == 0);
  CHECK(contains(same_terms.err, "already has these terms"));
  recorded(remote({"contract", "end", "C1", "--reason", "completed", "--key", b.key("council")}), n++);
  const uint64_t assignment = n++;
  recorded(remote({"assign", "--accountable", "council", "--responsible", "ace", "--subject", "support", "--kind", "contract",
                   "--key", b.key("council")}),
           assignment);
  recorded(remote({"end-assignment", std::to_string(assignment), "--reason", "done", "--key", b.key("council")}), n++);
  RunResult ended = remote({"end-assignment", std::to_string(assignment), "--reason", "done", "--key", b.key("council")});
  CHECK(ended.code == 0);
  CHECK(contains(ended.err, "has already ended"));
  // FUNDTRAIL_SERVER, and the usage errors.
  RunOptions env;
  env.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  env.env["FUNDTRAIL_SERVER"] = server.url;
  recorded(ft_raw({"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council")}, env), n++);
  expect_refused(b, {"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council"),
                     "--server", server.url},
                 2, "give --server or --ledger, not both");
  RunResult not_url = remote({"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council"),
                              "--server", "ledger.example"});
  CHECK(not_url.code == 2);
  RunResult nobody = ft_raw({"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council"),
                             "--server", "http://127.0.0.1:1"});
  CHECK(nobody.code == 2);
  CHECK(contains(nobody.err, "no answer from http://127.0.0.1:1"));
  CHECK(b.size() == n);
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

TEST_CASE("mirror: a verified copy that keeps up with the server, serves reads, and refuses a fork") {
  Books b;
  // A second ledger with the same origin and log key that went its own way.
  fs::path twin = b.root / "twin";
  fs::create_directories(twin);
  fs::copy_file(b.ledger / "data.mdb", twin / "data.mdb");
  fs::copy_file(b.ledger / "log.key", twin / "log.key");
  ft_raw({"--ledger", twin.string(), "contribute", "--from", "council", "--to", "pool", "--amount", "99.00", "--key",
          b.key("council")},
         [] {
           RunOptions o;
           o.env["FUNDTRAIL_PASSPHRASE"] = kPass;
           return o;
         }());
  const std::string log_key = trim(b.ok({"log-key"}).out);
  const std::string copy = (b.root / "copy").string();
  {
    ServeProcess server(b.ledger, b.root);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // its first checkpoint
    RunResult first = ft_raw({"mirror", server.url, copy, "--log-key", log_key});
    INFO(first);
    REQUIRE(first.code == 0);
    CHECK(first.out == std::to_string(kStartSize) + "\n");
    CHECK(contains(first.err, std::to_string(kStartSize) + " new records"));
    // More appends, then an incremental update.
    RunOptions pass;
    pass.env["FUNDTRAIL_PASSPHRASE"] = kPass;
    REQUIRE(ft_raw({"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council"),
                    "--server", server.url},
                   pass)
                .code == 0);
    std::string again_out;
    for (int i = 0; i < 50 && again_out != std::to_string(kStartSize + 1) + "\n"; ++i) {  // the checkpoint follows within a second
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      again_out = ft_raw({"mirror", server.url, copy, "--log-key", log_key}).out;
    }
    CHECK(again_out == std::to_string(kStartSize + 1) + "\n");
    CHECK(ft_raw({"--ledger", copy, "log", "--json"}).out == b.ok({"log", "--json"}).out);
  }
  verify_if_present({copy, "--log-key", log_key});
  // The twin serves another history under the same key: refused, the copy unchanged.
  const std::string before = read_file(fs::path(copy) / "data.mdb");
  {
    ServeProcess twin_server(twin, b.root, "twin");
    const std::string& url = twin_server.url;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    RunResult fork = ft_raw({"mirror", url, copy, "--log-key", log_key});
    INFO(fork);
    CHECK(fork.code == 1);
    bool named = contains(fork.err, "the mirror keeps what it had") || contains(fork.err, "forked");
    CHECK(named);
  }
  CHECK(read_file(fs::path(copy) / "data.mdb") == before);
  // A read replica: serve --read-only over the copy.
  ServeProcess replica(copy, b.root, "replica", {"--read-only"});
  const std::string& url = replica.url;
  RunResult write = ft_raw({"contribute", "--from", "council", "--to", "pool", "--amount", "1.00", "--key", b.key("council"),
                            "--server", url},
                           [] {
                             RunOptions o;
                             o.env["FUNDTRAIL_PASSPHRASE"] = kPass;
                             return o;
                           }());
  CHECK(write.code == 2);
  CHECK(contains(write.err, "read-only"));
}

