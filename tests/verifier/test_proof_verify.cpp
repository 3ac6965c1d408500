// fundtrail-verify proof: inclusion and consistency proofs checked against
// checkpoints signed in the test. Proofs come from the known-answer vectors
// (tests/data/merkle.json, an independent implementation) and from RFC 6962's
// recursive PATH and PROOF definitions written out below.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;
using nlohmann::json;

namespace {

// RFC 6962 section 2.1 over leaf hashes: mthOfHashes and auditPath (builder.h), and here SUBPROOF.
std::vector<Bytes> subproof(const std::vector<Bytes>& lh, size_t m, size_t lo, size_t hi, bool b) {
  if (m == hi - lo) return b ? std::vector<Bytes>{} : std::vector<Bytes>{mthOfHashes(lh, lo, hi)};
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  std::vector<Bytes> p = m <= k ? subproof(lh, m, lo, lo + k, b) : subproof(lh, m - k, lo + k, hi, false);
  p.push_back(m <= k ? mthOfHashes(lh, lo + k, hi) : mthOfHashes(lh, lo, lo + k));
  return p;
}

json b64list(const std::vector<Bytes>& v) {
  json a = json::array();
  for (const auto& h : v) a.push_back(b64(h));
  return a;
}

struct Fixture {
  Standard s;
  std::vector<Bytes> leaves = s.L.leaves();
  std::vector<Bytes> lh;
  std::string dir = tempDir();
  Fixture() {
    for (const auto& l : leaves) lh.push_back(leafHash(l));
  }
  std::string file(const std::string& name, const std::string& text) {
    writeFile(dir + "/" + name, text);
    return dir + "/" + name;
  }
  json inclusion(size_t i, size_t n) {
    return {{"index", i}, {"tree_size", n}, {"leaf_hash", b64(lh[i])}, {"hashes", b64list(auditPath(lh, i, 0, n))}};
  }
  json consistency(size_t m, size_t n) {
    return {{"old_size", m}, {"new_size", n}, {"hashes", b64list(subproof(lh, m, 0, n, true))}};
  }
  std::string cp(size_t n) { return file("cp" + std::to_string(n), s.L.checkpoint(n)); }
  std::string leaf(size_t i) { return file("leaf" + std::to_string(i), leaves[i]); }
  Result run(const json& proof, const std::string& args) {
    return runVerify("proof " + quote(file("proof.json", proof.dump())) + " --log-key " + quote(s.L.logKeyText()) +
                     " " + args);
  }
  Result runIncl(const json& proof, size_t cpSize, size_t leafIndex) {
    return run(proof, "--checkpoint " + quote(cp(cpSize)) + " --leaf " + quote(leaf(leafIndex)));
  }
};

bool has(const Result& r, const std::string& s) { return r.all().find(s) != std::string::npos; }

json load(const std::string& name) {
  std::ifstream in(std::string(FUNDTRAIL_TEST_DATA) + "/" + name);
  REQUIRE(in);
  return json::parse(in);
}

}  // namespace

TEST_CASE("verifier: proof: every inclusion and consistency proof of merkle.json verifies") {
  json v = load("merkle.json");
  std::vector<Bytes> vl;
  for (int i = 0; i < 1000; ++i) vl.push_back("fundtrail leaf " + std::to_string(i));
  Ledger L;  // only its log key and origin
  std::string dir = tempDir();
  auto cpOf = [&](uint64_t n) {
    std::string body = L.origin + "\n" + std::to_string(n) + "\n" + b64(rootOf(vl, n)) + "\n";
    std::string f = dir + "/cp" + std::to_string(n);
    writeFile(f, signNote(body, L.origin, L.log));
    return f;
  };
  std::string key = quote(L.logKeyText());
  for (const auto& p : v["inclusion"]) {
    uint64_t i = p["index"], n = p["tree_size"];
    writeFile(dir + "/proof.json", p.dump());
    writeFile(dir + "/leaf", vl[i]);
    Result r = runVerify("proof " + quote(dir + "/proof.json") + " --checkpoint " + quote(cpOf(n)) + " --leaf " +
                         quote(dir + "/leaf") + " --log-key " + key);
    CAPTURE(p.dump());
    CAPTURE(r.all());
    CHECK(r.rc == 0);
    CHECK(has(r, "inclusion proof verified: record " + std::to_string(i) + " is in the tree of size " +
                     std::to_string(n)));
  }
  for (const auto& p : v["consistency"]) {
    uint64_t m = p["old_size"], n = p["new_size"];
    writeFile(dir + "/proof.json", p.dump());
    std::string o = cpOf(m), nw = cpOf(n);
    for (bool swap : {false, true}) {  // the checkpoints in either order
      Result r = runVerify("proof " + quote(dir + "/proof.json") + " --checkpoint " + quote(swap ? nw : o) +
                           " --checkpoint " + quote(swap ? o : nw) + " --log-key " + key);
      CAPTURE(p.dump());
      CAPTURE(r.all());
      CHECK(r.rc == 0);
      CHECK(has(r, "consistency proof verified: the tree of size " + std::to_string(n)));
    }
  }
}

TEST_CASE("verifier: proof: an inclusion proof for the wrong leaf or size or with a changed hash list is rejected") {
  Fixture f;
  size_t n = f.leaves.size();
  CHECK(f.runIncl(f.inclusion(5, n), n, 5).rc == 0);
  CHECK(f.runIncl(f.inclusion(n - 1, n), n, n - 1).rc == 0);

  Result r = f.runIncl(f.inclusion(5, n), n, 6);  // another record's bytes
  CHECK(r.rc == 1);
  CHECK(has(r, "proof rejected: the proof is for another leaf: " + f.dir + "/leaf6 hashes to " + b64(f.lh[6]) +
                   ", the proof's leaf_hash is " + b64(f.lh[5])));

  json p = f.inclusion(5, n);
  p["leaf_hash"] = b64(f.lh[6]);  // a proof claiming record 6 sits at index 5
  r = f.runIncl(p, n, 6);
  CHECK(r.rc == 1);
  CHECK(has(r, "is record seq 6, the proof is for index 5"));

  r = f.runIncl(f.inclusion(5, n), n - 1, 5);  // checkpoint of another size
  CHECK(r.rc == 1);
  CHECK(has(r, "the proof is for a tree of size " + std::to_string(n) + ", checkpoint " + f.dir + "/cp" +
                   std::to_string(n - 1) + " is for size " + std::to_string(n - 1)));

  p = f.inclusion(5, n);
  size_t len = p["hashes"].size();
  REQUIRE(len >= 2);
  p["hashes"].erase(len - 1);
  r = f.runIncl(p, n, 5);
  CHECK(r.rc == 1);
  CHECK(has(r, "the hash list is truncated: it has " + std::to_string(len - 1) + " hashes, an inclusion proof of "
               "index 5 in a tree of size " + std::to_string(n) + " has " + std::to_string(len)));

  p = f.inclusion(5, n);
  p["hashes"].push_back(b64(f.lh[0]));
  r = f.runIncl(p, n, 5);
  CHECK(r.rc == 1);
  CHECK(has(r, "the hash list is extended: it has " + std::to_string(len + 1) + " hashes"));

  p = f.inclusion(5, n);
  p["hashes"][1] = b64(f.lh[1]);
  r = f.runIncl(p, n, 5);
  CHECK(r.rc == 1);
  CHECK(has(r, "the hashes do not lead from the leaf to the root"));

  p = f.inclusion(5, n);
  p["index"] = n + 3;
  r = f.runIncl(p, n, 5);
  CHECK(r.rc == 1);
  CHECK(has(r, "index " + std::to_string(n + 3) + " is not in a tree of size " + std::to_string(n)));
}

TEST_CASE("verifier: proof: a checkpoint with a bad signature or wrong origin or malformed text is rejected") {
  Fixture f;
  size_t n = f.leaves.size();
  json p = f.inclusion(3, n);
  std::string good = f.s.L.checkpoint(n);
  std::string body = good.substr(0, good.find("\n\n") + 1);
  std::string sigs = good.substr(good.find("\n\n") + 2);
  auto check = [&](const std::string& note, const std::string& reason) {
    Result r = f.run(p, "--checkpoint " + quote(f.file("cp", note)) + " --leaf " + quote(f.leaf(3)));
    CAPTURE(note);
    CAPTURE(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "proof rejected: checkpoint " + f.dir + "/cp: " + reason));
  };
  std::string bad = good;
  bad[bad.size() - 10] = bad[bad.size() - 10] == 'A' ? 'B' : 'A';
  check(bad, "the log key's signature does not verify");
  std::string otherBody = "example.org/another/log\n" + body.substr(body.find('\n') + 1);
  check(signNote(otherBody, f.s.L.origin, f.s.L.log), "its origin 'example.org/another/log' is not the log key's name");
  check(signNote(body, f.s.L.origin, Keypair::fromSeed("not the log")), "it carries no signature by the log key");
  check(body + sigs, "not a signed note: no blank line before the signatures");
  check(body + "\n\n" + sigs, "not a checkpoint: empty extension line");
  std::string spaced = body;
  spaced.insert(spaced.find('\n', spaced.find('\n') + 1), " ");  // "20 " on the size line
  check(signNote(spaced, f.s.L.origin, f.s.L.log), "not a checkpoint: tree size '" + std::to_string(n) + " '");
  check(body + "\n " + sigs, "not a signed note: a signature line does not start with an em dash");
  check(body + "\n" + sigs.substr(0, sigs.size() - 1) + " \n", "not a signed note: malformed signature line");
}

TEST_CASE("verifier: proof: a consistency proof with the wrong sizes or a changed list or a forked history is rejected") {
  Fixture f;
  size_t n = f.leaves.size();
  auto run2 = [&](const json& p, size_t a, size_t b) {
    return f.run(p, "--checkpoint " + quote(f.cp(a)) + " --checkpoint " + quote(f.cp(b)));
  };
  Result r = run2(f.consistency(7, n), 7, n);
  CAPTURE(r.all());
  CHECK(r.rc == 0);
  CHECK(has(r, "extends the tree of size 7"));

  r = run2(f.consistency(7, n), 6, n);
  CHECK(r.rc == 1);
  CHECK(has(r, "the proof is for sizes 7 -> " + std::to_string(n) + ", the checkpoints are for sizes 6 and " +
                   std::to_string(n)));

  json p = f.consistency(7, n);
  size_t len = p["hashes"].size();
  REQUIRE(len >= 2);
  p["hashes"].erase(0);
  r = run2(p, 7, n);
  CHECK(r.rc == 1);
  CHECK(has(r, "the hash list is truncated: it has " + std::to_string(len - 1) + " hashes, a consistency proof from "
               "size 7 to " + std::to_string(n) + " has " + std::to_string(len)));
  p = f.consistency(7, n);
  p["hashes"].push_back(b64(f.lh[2]));
  r = run2(p, 7, n);
  CHECK(r.rc == 1);
  CHECK(has(r, "the hash list is extended"));

  // The old checkpoint signed over another history of 7 records: the new tree does not extend it.
  std::vector<Bytes> other = f.leaves;
  other[4][other[4].size() - 1] ^= 1;
  std::string forked = f.file("forked", signNote(f.s.L.origin + "\n7\n" + b64(rootOf(other, 7)) + "\n", f.s.L.origin,
                                                 f.s.L.log));
  r = f.run(f.consistency(7, n), "--checkpoint " + quote(forked) + " --checkpoint " + quote(f.cp(n)));
  CHECK(r.rc == 1);
  CHECK(has(r, "the newer tree does not extend the older one"));

  // A same-size pair needs an empty proof and equal roots.
  r = run2(json{{"old_size", n}, {"new_size", n}, {"hashes", json::array()}}, n, n);
  CHECK(r.rc == 0);
}

TEST_CASE("verifier: proof: unreadable or malformed input and bad usage are exit 2") {
  Fixture f;
  size_t n = f.leaves.size();
  std::string cp = quote(f.cp(n)), key = quote(f.s.L.logKeyText());
  auto run = [&](const std::string& proofText, const std::string& args) {
    return runVerify("proof " + quote(f.file("p.json", proofText)) + " " + args);
  };
  std::string incl = f.inclusion(2, n).dump();
  Result r = run(incl, "--checkpoint " + cp + " --log-key " + key);  // no --leaf
  CHECK(r.rc == 2);
  CHECK(has(r, "an inclusion proof needs --leaf FILE"));
  r = run("{\"index\": 2,", "--checkpoint " + cp + " --log-key " + key);
  CHECK(r.rc == 2);
  CHECK(has(r, "is not JSON"));
  r = run("{\"index\": 2, \"old_size\": 1}", "--checkpoint " + cp + " --log-key " + key);
  CHECK(r.rc == 2);
  CHECK(has(r, "is neither an inclusion proof"));
  json p = f.inclusion(2, n);
  p["hashes"][0] = "not base64!";
  r = run(p.dump(), "--checkpoint " + cp + " --log-key " + key + " --leaf " + quote(f.leaf(2)));
  CHECK(r.rc == 2);
  CHECK(has(r, "the proof's hash 0 is not standard base64 of 32 bytes"));
  p = f.inclusion(2, n);
  p["index"] = -2;
  r = run(p.dump(), "--checkpoint " + cp + " --log-key " + key + " --leaf " + quote(f.leaf(2)));
  CHECK(r.rc == 2);
  CHECK(has(r, "the proof's 'index' is not a non-negative whole number"));
  r = run(incl, "--checkpoint " + quote(f.dir + "/missing") + " --log-key " + key + " --leaf " + quote(f.leaf(2)));
  CHECK(r.rc == 2);
  CHECK(has(r, "cannot read " + f.dir + "/missing"));
  r = run(incl, "--checkpoint " + cp + " --log-key not-a-key --leaf " + quote(f.leaf(2)));
  CHECK(r.rc == 2);
  r = run(incl, "--checkpoint " + cp + " --checkpoint " + cp + " --log-key " + key + " --leaf " + quote(f.leaf(2)));
  CHECK(r.rc == 2);
  CHECK(has(r, "an inclusion proof is checked against one --checkpoint"));
  r = run(f.consistency(3, n).dump(), "--checkpoint " + cp + " --log-key " + key);
  CHECK(r.rc == 2);
  CHECK(has(r, "a consistency proof is checked against two --checkpoint files"));
  r = run(incl, "--log-key " + key + " --leaf " + quote(f.leaf(2)));  // no --checkpoint at all
  CHECK(r.rc == 2);
}

TEST_CASE("verifier: proof: --json gives the outcome as one object") {
  Fixture f;
  size_t n = f.leaves.size();
  Result r = f.run(f.inclusion(4, n), "--checkpoint " + quote(f.cp(n)) + " --leaf " + quote(f.leaf(4)) + " --json");
  CHECK(r.rc == 0);
  json j = json::parse(r.out);
  CHECK(j["result"] == "verified");
  CHECK(j["exit_code"] == 0);
  CHECK(j["kind"] == "inclusion");
  CHECK(j["verified"].get<std::string>().find("record 4 is in the tree of size " + std::to_string(n)) == 0);
  r = f.run(f.inclusion(4, n), "--checkpoint " + quote(f.cp(n)) + " --leaf " + quote(f.leaf(5)) + " --json");
  CHECK(r.rc == 1);
  j = json::parse(r.out);
  CHECK(j["result"] == "rejected");
  CHECK(j["exit_code"] == 1);
  CHECK(j["reason"].get<std::string>().find("the proof is for another leaf") == 0);
}
