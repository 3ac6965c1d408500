// Issue 23 (auditor item): a clean run is only "PASS" when it is anchored, that
// is a trusted --log-key was given and at least one checkpoint was verified
// with it. Otherwise the records are only consistent with themselves, and the
// result line, the checkpoint lines and --json say so; --require-anchor turns
// that into exit 1. Every case runs the built fundtrail-verify.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;

namespace {

struct Fixture {
  Standard s;
  std::vector<Bytes> leaves = s.L.leaves();
  std::string dir = tempDir();
  std::string bundle = dir + "/ledger.bundle";
  std::string ledgerDir = dir + "/ledger";
  std::string cp = dir + "/checkpoint.txt";
  Fixture() {
    writeBundle(bundle, leaves);
    writeLmdb(ledgerDir, leaves);
    writeFile(cp, s.L.checkpoint(leaves.size()));
  }
  std::string logKey() const { return " --log-key " + quote(s.L.logKeyText()); }
  std::string checkpoint() const { return " --checkpoint " + quote(cp); }
  // The last record's seq, as the anchored report names it.
  std::string last() const { return std::to_string(leaves.size() - 1); }
};

bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

// The report's last line (the result line).
std::string lastLine(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  size_t nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

// The line of the checkpoints section about `file`.
std::string checkpointLine(const std::string& out, const std::string& file) {
  size_t at = out.find("\ncheckpoints\n");
  if (at == std::string::npos) return {};
  at = out.find("  " + file + ": ", at);
  if (at == std::string::npos) return {};
  return out.substr(at, out.find('\n', at) - at);
}

// Publishes the records as C2SP tlog-tiles for a tree of fewer than 256
// leaves: one partial entry bundle, one partial level-0 hash tile, and the
// checkpoint signed by the ledger's log key.
std::string publishTiles(const Fixture& f) {
  REQUIRE(f.leaves.size() < 256);
  std::string pub = f.dir + "/pub";
  std::string w = ".p/" + std::to_string(f.leaves.size());
  std::filesystem::create_directories(pub + "/tile/entries/000.p");
  std::filesystem::create_directories(pub + "/tile/0/000.p");
  Bytes bundle, hashes;
  for (const auto& leaf : f.leaves) {
    bundle += Bytes{char(leaf.size() >> 8), char(leaf.size() & 0xff)} + leaf;
    hashes += leafHash(leaf);
  }
  writeFile(pub + "/tile/entries/000" + w, bundle);
  writeFile(pub + "/tile/0/000" + w, hashes);
  writeFile(pub + "/checkpoint", f.s.L.checkpoint(f.leaves.size()));
  return pub;
}

}  // namespace

TEST_CASE("verifier: anchor: no --log-key ends CONSISTENT, not anchored with exit 0, for a directory and a bundle") {
  Fixture f;
  for (const std::string& input : {f.ledgerDir, f.bundle}) {
    Result r = runVerify(quote(input));
    CAPTURE(input);
    CAPTURE(r.out);
    CHECK(r.rc == 0);
    CHECK(lastLine(r.out) == "result: CONSISTENT, not anchored (exit 0)");
    CHECK_FALSE(has(r, "PASS (exit"));
    CHECK(has(r, "\nanchor\n  not anchored: no --log-key was given"));
    CHECK(has(r, "give --log-key KEY --checkpoint FILE"));
    CHECK(has(r, "consistent with itself only"));
  }
}

TEST_CASE("verifier: anchor: a --checkpoint without --log-key says it was not checked against a trusted key") {
  Fixture f;
  Result r = runVerify(quote(f.bundle) + f.checkpoint());
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  std::string line = checkpointLine(r.out, f.cp);
  CAPTURE(line);
  CHECK(line.find("size " + std::to_string(f.leaves.size()) + ", matches the records") != std::string::npos);
  CHECK(line.find("its signature was not checked against a trusted key") != std::string::npos);
  CHECK(line.find("so it ties nothing") != std::string::npos);
  CHECK(lastLine(r.out) == "result: CONSISTENT, not anchored (exit 0)");
  CHECK(has(r, "not anchored: no --log-key was given"));

  // The same checkpoint with the trusted key: its line carries no such warning.
  Result a = runVerify(quote(f.bundle) + f.checkpoint() + f.logKey());
  CAPTURE(a.out);
  CHECK(a.rc == 0);
  std::string trusted = checkpointLine(a.out, f.cp);
  CHECK(trusted.find("matches the records") != std::string::npos);
  CHECK(trusted.find("not checked against a trusted key") == std::string::npos);
}

TEST_CASE("verifier: anchor: --log-key with a checkpoint it signed ends PASS with exit 0") {
  Fixture f;
  for (const std::string& input : {f.ledgerDir, f.bundle}) {
    Result r = runVerify(quote(input) + f.logKey() + f.checkpoint());
    CAPTURE(input);
    CAPTURE(r.out);
    CHECK(r.rc == 0);
    CHECK(lastLine(r.out) == "result: PASS (exit 0)");
    CHECK_FALSE(has(r, "not anchored"));
    CHECK(has(r, "\nanchor\n  anchored: the trusted --log-key signed a checkpoint that matches records 0.." + f.last()));
  }
  // A checkpoint of an earlier size anchors the records up to it only, and says so.
  std::string early = f.dir + "/cp5";
  writeFile(early, f.s.L.checkpoint(5));
  Result r = runVerify(quote(f.bundle) + f.logKey() + " --checkpoint " + quote(early));
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(lastLine(r.out) == "result: PASS (exit 0)");
  CHECK(has(r, "anchored: the trusted --log-key signed a checkpoint that matches records 0..4"));
  CHECK(has(r, "Records 5.." + f.last() + " are checked but no trusted checkpoint vouches for them yet."));
}

TEST_CASE("verifier: anchor: --log-key without a checkpoint is not anchored") {
  Fixture f;
  Result r = runVerify(quote(f.bundle) + f.logKey());
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(lastLine(r.out) == "result: CONSISTENT, not anchored (exit 0)");
  CHECK(has(r, "not anchored: --log-key was given but no --checkpoint"));
  CHECK(has(r, "PASS  log key"));  // the key itself is the ledger's: only the checkpoint is missing
}

TEST_CASE("verifier: anchor: --require-anchor makes an unanchored run exit 1 and keeps an anchored one at 0") {
  Fixture f;
  struct Case {
    std::string args, why;
  };
  for (const Case& c : {Case{"", "no --log-key was given"}, Case{f.checkpoint(), "no --log-key was given"},
                        Case{f.logKey(), "--log-key was given but no --checkpoint"}}) {
    Result r = runVerify(quote(f.bundle) + c.args + " --require-anchor");
    CAPTURE(c.args);
    CAPTURE(r.out);
    CHECK(r.rc == 1);
    CHECK(lastLine(r.out) == "result: NOT ANCHORED (exit 1)");
    CHECK(has(r, "not anchored: " + c.why));
    CHECK(has(r, "--require-anchor was given and this run is not anchored: give --log-key KEY --checkpoint FILE"));
    CHECK_FALSE(has(r, "PASS (exit"));
    CHECK_FALSE(has(r, "(exit 0)"));
  }
  Result r = runVerify(quote(f.ledgerDir) + f.logKey() + f.checkpoint() + " --require-anchor");
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(lastLine(r.out) == "result: PASS (exit 0)");
  CHECK_FALSE(has(r, "--require-anchor was given"));

  // A checkpoint the trusted key did not sign anchors nothing: a failed check, still exit 1.
  Keypair stranger = Keypair::fromSeed("anchor stranger");
  std::string body = f.s.L.origin + "\n" + std::to_string(f.leaves.size()) + "\n" + b64(rootOf(f.leaves, f.leaves.size())) + "\n";
  std::string forged = f.dir + "/forged";
  writeFile(forged, signNote(body, f.s.L.origin, stranger));
  r = runVerify(quote(f.bundle) + f.logKey() + " --checkpoint " + quote(forged) + " --require-anchor");
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(lastLine(r.out) == "result: FAIL (exit 1)");
  CHECK(has(r, "not anchored: no --checkpoint given was verified against the --log-key"));
}

TEST_CASE("verifier: anchor: --json carries anchored, the result and the result text") {
  Fixture f;
  Result r = runVerify(quote(f.bundle) + f.checkpoint() + " --json");
  CAPTURE(r.out);
  REQUIRE(r.rc == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "consistent");
  CHECK(j["result_text"] == "CONSISTENT, not anchored (exit 0)");
  CHECK(j["exit_code"] == 0);
  CHECK(j["anchored"] == false);
  CHECK(j["anchor_required"] == false);
  CHECK(j["anchor"].get<std::string>().find("no --log-key was given") != std::string::npos);
  REQUIRE(j["checkpoints"].size() == 1);
  CHECK(j["checkpoints"][0]["status"] == "matches the records");
  CHECK(j["checkpoints"][0]["trusted_key"] == false);

  // The text report gives the same result line.
  Result text = runVerify(quote(f.bundle) + f.checkpoint());
  CHECK(lastLine(text.out) == "result: " + j["result_text"].get<std::string>());

  r = runVerify(quote(f.bundle) + f.checkpoint() + f.logKey() + " --json");
  CAPTURE(r.out);
  REQUIRE(r.rc == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "pass");
  CHECK(j["result_text"] == "PASS (exit 0)");
  CHECK(j["anchored"] == true);
  CHECK(j["anchor"].get<std::string>().find("records 0.." + f.last()) != std::string::npos);
  CHECK(j["checkpoints"][0]["trusted_key"] == true);

  r = runVerify(quote(f.bundle) + f.logKey() + " --require-anchor --json");
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "not-anchored");
  CHECK(j["exit_code"] == 1);
  CHECK(j["anchored"] == false);
  CHECK(j["anchor_required"] == true);
  CHECK(j["failure_count"] == 0);  // nothing failed: the run was only not anchored
}

TEST_CASE("verifier: anchor: --tiles is anchored by the published checkpoint only with the trusted --log-key") {
  Fixture f;
  std::string pub = publishTiles(f);
  Result r = runVerify("--tiles " + quote(pub) + f.logKey());
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(lastLine(r.out) == "result: PASS (exit 0)");
  CHECK(has(r, "anchored: the trusted --log-key signed a checkpoint that matches records 0.." + f.last()));

  r = runVerify("--tiles " + quote(pub));
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(lastLine(r.out) == "result: CONSISTENT, not anchored (exit 0)");
  CHECK(checkpointLine(r.out, pub + "/checkpoint").find("not checked against a trusted key") != std::string::npos);

  r = runVerify("--tiles " + quote(pub) + " --require-anchor --json");
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "not-anchored");
  CHECK(j["anchored"] == false);
}

TEST_CASE("verifier: anchor: --help names --require-anchor and shows an anchored example") {
  Result r = runVerify("--help");
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(has(r, "--require-anchor"));
  CHECK(has(r, "CONSISTENT, not anchored"));
  CHECK(has(r, "--log-key \"$(cat"));
}
