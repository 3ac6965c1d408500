// End to end: tiles written by `fundtrail publish --tiles` and proofs printed
// by `fundtrail proof` are checked by `fundtrail-verify` (the two sides share
// no code), from a directory and over HTTP (python3 -m http.server).
#include "servers.h"

using namespace fundtrail::test;

namespace {

RunResult verify(const std::vector<std::string>& args) { return run(kVerifyBin, args); }

}  // namespace

TEST_CASE("verify --tiles: a published demo ledger served over HTTP passes and a missing tile is named") {
  REQUIRE(verifier_present());
  TempDir t;
  std::string dir = (t.path / "demo").string(), pub = (t.path / "pub").string();
  RunOptions slow;
  slow.timeout_s = 180;
  RunResult demo = ft_raw({"demo", dir}, slow);
  INFO(demo);
  REQUIRE(demo.code == 0);
  REQUIRE(ft_raw({"--ledger", dir, "publish", "--tiles", pub}).code == 0);
  std::string key = trim(ft_raw({"--ledger", dir, "log-key"}).out);
  uint64_t size = json::parse(ft_raw({"--ledger", dir, "log", "--json"}).out).size();

  StaticHttp server(pub);
  RunResult r = verify({"--tiles", server.url(), "--log-key", key});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "fundtrail-verify: tiles " + server.url()));
  CHECK(contains(r.out, "records " + std::to_string(size) + ","));
  CHECK(contains(r.out, "Records 0.." + std::to_string(size - 1) + " are exactly the records the log committed to"));

  // The level-0 partial tile the size needs: a 404 is a failed check naming the URL.
  std::string partial = "tile/0/000.p/" + std::to_string(size);
  REQUIRE(size < 256);
  REQUIRE(fs::exists(fs::path(pub) / partial));
  fs::remove(fs::path(pub) / partial);
  r = verify({"--tiles", server.url(), "--log-key", key});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "tiles: " + server.url() + partial + ": missing"));

  // No server: nothing can be said about the log.
  std::string url = server.url();
  server.stop();
  r = verify({"--tiles", url, "--log-key", key});
  CHECK(r.code == 2);
  CHECK(contains(r.out, "cannot fetch " + url + "checkpoint"));
}

TEST_CASE("verify --tiles: a log published twice extends its first checkpoint and a rollback is caught") {
  REQUIRE(verifier_present());
  Books b;
  std::string pub = b.file("pub");
  b.ok({"publish", "--tiles", pub});
  std::string first = read_file(fs::path(pub) / "checkpoint");
  write_file(b.file("first.cp"), first);
  b.ok({"pay", "--from", "pool", "--to", "hope", "--amount", "12.00", "--mechanism", "grant", "--key", b.key("pool")});
  b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "30.00", "--mechanism", "fee", "--key", b.key("pool")});
  b.ok({"publish", "--tiles", pub});
  std::string second = read_file(fs::path(pub) / "checkpoint");
  RunResult r = verify({"--tiles", pub, "--log-key", b.log_key_text, "--checkpoint", b.file("first.cp")});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "size " + std::to_string(kStartSize) + ", matches the records"));
  CHECK(contains(r.out, "The published log extends every older --checkpoint given"));

  // The first checkpoint put back as the published one, against the second as trusted: rolled back.
  write_file(b.file("second.cp"), second);
  write_file(fs::path(pub) / "checkpoint", first);
  r = verify({"--tiles", pub, "--log-key", b.log_key_text, "--checkpoint", b.file("second.cp")});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "the published log was rolled back"));
}

TEST_CASE("verify proof: proofs printed by fundtrail proof verify and a proof for another record does not") {
  REQUIRE(verifier_present());
  Books b;
  b.ok({"pay", "--from", "pool", "--to", "hope", "--amount", "12.00", "--mechanism", "grant", "--key", b.key("pool")});
  uint64_t n = b.size();
  write_file(b.file("old.cp"), b.ok({"checkpoint", "--size", "5"}).out);
  write_file(b.file("new.cp"), b.ok({"checkpoint"}).out);
  write_file(b.file("incl.json"), b.ok({"proof", "inclusion", "7"}).out);
  write_file(b.file("cons.json"), b.ok({"proof", "consistency", "5", std::to_string(n)}).out);
  write_file(b.file("r7.bin"), b.ok({"show", "7", "--raw"}).out);
  write_file(b.file("r8.bin"), b.ok({"show", "8", "--raw"}).out);

  RunResult r = verify({"proof", b.file("incl.json"), "--checkpoint", b.file("new.cp"), "--log-key", b.log_key_text,
                        "--leaf", b.file("r7.bin")});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "inclusion proof verified: record 7 is in the tree of size " + std::to_string(n)));
  r = verify({"proof", b.file("cons.json"), "--checkpoint", b.file("old.cp"), "--checkpoint", b.file("new.cp"),
              "--log-key", b.log_key_text});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(contains(r.out, "consistency proof verified: the tree of size " + std::to_string(n)));
  r = verify({"proof", b.file("incl.json"), "--checkpoint", b.file("new.cp"), "--log-key", b.log_key_text, "--leaf",
              b.file("r8.bin")});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.out, "the proof is for another leaf"));
}

TEST_CASE("verify --tiles over HTTP: every tampering of a served log fails and is named") {
  REQUIRE(verifier_present());
  Books b;
  const fs::path pub = b.file("pub");
  b.ok({"publish", "--tiles", pub.string(), "--size", "5"});
  std::string first = read_file(pub / "checkpoint");
  b.ok({"publish", "--tiles", pub.string()});
  const std::string tile = "tile/0/000.p/" + std::to_string(kStartSize);
  const std::string bundle = "tile/entries/000.p/" + std::to_string(kStartSize);
  write_file(b.file("newest.cp"), read_file(pub / "checkpoint"));

  StaticHttp server(pub.string());
  auto check = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args{"--tiles", server.url(), "--log-key", b.log_key_text};
    args.insert(args.end(), extra.begin(), extra.end());
    return verify(args);
  };
  RunResult clean = check({});
  INFO(clean);
  REQUIRE(clean.code == 0);

  // Each file flipped in turn (and put back): a failed check naming its URL.
  for (const std::string& name : {tile, bundle, std::string("checkpoint")}) {
    CAPTURE(name);
    fs::path p = pub / name;
    std::string good = read_file(p);
    std::string bad = good;
    bad[name == "checkpoint" ? 2 : bad.size() / 2] ^= 0x01;
    write_file(p, bad);
    RunResult r = check({});
    INFO(r);
    CHECK(r.code == 1);
    if (name != "checkpoint") CHECK(contains(r.out, server.url() + name));
    else CHECK(contains(r.out, "checkpoint"));
    write_file(p, good);
  }

  // A client holding the first checkpoint finds the served log extends it.
  write_file(b.file("first.cp"), first);
  RunResult extends = check({"--checkpoint", b.file("first.cp")});
  INFO(extends);
  CHECK(extends.code == 0);

  // The first checkpoint served again to a client that saw the newest: rolled back.
  write_file(pub / "checkpoint", first);
  RunResult back = check({"--checkpoint", b.file("newest.cp")});
  INFO(back);
  CHECK(back.code == 1);
  CHECK(contains(back.out, "rolled back"));
}
