// Payment runs (DESIGN.md "Payment runs"): the verifier's checks of batches,
// on ledgers built byte by byte (builder.h): a batch record signed by its
// officers, then its records unsigned with batchSeq set. Every case runs the
// built fundtrail-verify on a bundle and on an LMDB directory; one runs on
// published tiles too; the last cases check `fundtrail-verify proof` with a
// batch proof computed here from RFC 6962's PATH definition.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"
#include "verdict.h"

using namespace tb;
using nlohmann::json;
using K = schema::PartyKind;
using R = schema::Role;

namespace {

// Both forms of the same records: bundle first, then directory.
std::vector<Result> both(const Ledger& L, const std::string& extra = "") {
  std::vector<Result> out;
  for (bool dir : {false, true}) {
    std::string path = tempDir() + (dir ? "/ledger" : "/ledger.bundle");
    if (dir) writeLmdb(path, L.leaves());
    else writeBundle(path, L.leaves());
    out.push_back(runVerify(quote(path) + " --max-failures 50 " + extra));
  }
  return out;
}

bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

// Passes on both forms; returns the bundle's report.
Result passes(const Ledger& L) {
  auto rs = both(L);
  for (const auto& r : rs) {
    CAPTURE(r.out);
    CAPTURE(r.err);
    CHECK(r.rc == 0);
    CHECK(has(r, "result: CONSISTENT, not anchored (exit 0)"));
  }
  return rs[0];
}

// Fails on both forms with a line "seq N: CHECK: ...reason...".
void fails(const Ledger& L, uint64_t seq, const std::string& check, const std::string& reason) {
  for (const auto& r : both(L)) {
    CAPTURE(r.out);
    CAPTURE(r.err);
    CHECK(r.rc == 1);
    CHECK_MESSAGE(hasFailure(r.out, seq, check, reason), "missing: seq " << seq << ": " << check << ": ... " << reason);
  }
}

// How many failure lines of a report name this seq under this check.
int failuresAt(const Result& r, uint64_t seq, const std::string& check) {
  int n = 0;
  std::string prefix = "  seq " + std::to_string(seq) + ": " + check + ": ";
  for (size_t at = r.out.find(prefix); at != std::string::npos; at = r.out.find(prefix, at + 1)) ++n;
  return n;
}

std::string seqs(uint64_t a) { return std::to_string(a); }

// The standard ledger and a run of three records: two payments from the pool
// and a contribution from the council, approved by the pool's and the
// council's officers.
struct Run {
  Standard s;
  std::vector<Bytes> entries;
  uint64_t b = 0;  // the batch record's seq
  explicit Run(bool add = true) {
    entries = s.L.collect([&] {
      s.L.pay("riverside-pool", "carers-trust", 1000, {});
      s.L.pay("riverside-pool", "prime-co", 2000, {});
      s.L.contribute("council", "riverside-pool", 500, {});
    });
    if (add) b = s.L.batch(entries, {&s.pool, &s.council});
  }
  // Re-chains nothing by hand: leaves() chains whatever `records` holds.
  std::vector<Record>& recs() { return s.L.records; }
};

// ---- published tiles (c2sp.org/tlog-tiles), for a ledger under 256 records ----

std::string tileName(const std::string& level, size_t width) {
  return "tile/" + level + "/000" + (width < 256 ? ".p/" + std::to_string(width) : "");
}

std::string publish(const Ledger& L) {
  auto leaves = L.leaves();
  REQUIRE(leaves.size() < 256);
  std::string dir = tempDir() + "/pub";
  std::map<std::string, Bytes> files;
  Bytes bundle, tile;
  for (const auto& l : leaves) {
    bundle += Bytes{char(l.size() >> 8), char(l.size() & 0xff)} + l;
    tile += leafHash(l);
  }
  files[tileName("entries", leaves.size())] = bundle;
  files[tileName("0", leaves.size())] = tile;
  files["checkpoint"] = L.checkpoint(leaves.size());
  for (const auto& [path, bytes] : files) {
    std::filesystem::create_directories(std::filesystem::path(dir + "/" + path).parent_path());
    writeFile(dir + "/" + path, bytes);
  }
  return dir;
}

}  // namespace

// ---- a clean run ----------------------------------------------------------------

TEST_CASE("batches: a payment run passes and its signatures are checked once per run") {
  Run r;
  Result out = passes(r.s.L);
  CHECK(has(out, "batches: 1 payment run holding 3 records, signatures checked once per run"));
  CHECK(has(out, "riverside-pool: balance 328725.00"));  // the standard 328,750.00, then the run's -10 -20 +5
  auto j = json::parse(both(r.s.L, "--json")[0].out);
  CHECK(j["counts"]["batches"] == 1);
  CHECK(j["counts"]["batched_records"] == 3);
  CHECK(j["counts"]["records"] == r.s.L.records.size());
  // Standard's 21 signatures (one payment has two) plus the batch's two; its records carry none.
  CHECK(j["counts"]["signatures"] == 21 + 2);
}

TEST_CASE("batches: a ledger mixing runs and per-record records passes, a run registering its payee included") {
  Standard s;
  Keypair other = Keypair::fromSeed("second pool officer");
  s.L.grant("riverside-pool", other, R::OFFICER);
  s.L.pay("riverside-pool", "carers-trust", 700, {&s.pool});
  auto run = s.L.collect([&] {
    s.L.registerParty("new-supplier", K::PROVIDER);
    s.L.pay("riverside-pool", "new-supplier", 3000, {});
    s.L.pay("riverside-pool", "prime-co", 2000000, {});  // at the threshold: officer + officer
  });
  uint64_t b1 = s.L.batch(run, {&s.L.admin, &s.pool, &other});
  s.L.pay("prime-co", "carers-trust", 100, {&s.prime});
  auto run2 = s.L.collect([&] { s.L.pay("prime-co", "carers-trust", 200, {}); });
  uint64_t b2 = s.L.batch(run2, {&s.prime});
  s.L.pay("riverside-pool", "carers-trust", 800, {&s.pool});
  CHECK(b2 > b1 + 3);
  Result out = passes(s.L);
  CHECK(has(out, "batches: 2 payment runs holding 4 records"));
  CHECK(has(out, "party  new-supplier (provider): balance 30.00"));
}

TEST_CASE("batches: a refund in a run counts the payee's officer and the payer's co-signing officer") {
  Standard s;
  auto refund = [&] {
    Ledger::Payment p;
    p.from = "prime-co", p.to = "riverside-pool", p.amount = 100000, p.mechanism = schema::Mechanism::REFUND;
    s.L.payment(p, {});
  };
  SUBCASE("co-signed by the payer: passes") {
    s.L.batch(s.L.collect(refund), {&s.pool, &s.prime});
    passes(s.L);
  }
  SUBCASE("without the payer's officer: rule 12 at the refund") {
    uint64_t b = s.L.batch(s.L.collect(refund), {&s.pool});
    fails(s.L, b + 1, "rule 12", "none of its officers co-signed this refund");
  }
}

// ---- who signs ---------------------------------------------------------------------

TEST_CASE("batches: a record whose acting party has no officer among the run's signers fails rule 1 at its seq") {
  Run r(false);
  SUBCASE("the council's contribution, signed for the pool only") {
    r.b = r.s.L.batch(r.entries, {&r.s.pool});
    fails(r.s.L, r.b + 3, "rule 1", "no signer of batch " + seqs(r.b) + " holds an officer key of 'council'");
    for (const auto& out : both(r.s.L)) CHECK(failuresAt(out, r.b + 1, "rule 1") == 0);  // the pool's are approved
  }
  SUBCASE("the council's approver alone: an approver only co-signs") {
    r.b = r.s.L.batch(r.entries, {&r.s.pool, &r.s.councilApprover});
    fails(r.s.L, r.b + 3, "rule 1", "holds an officer key of 'council'");
  }
  SUBCASE("a party registered in a run without an administrator among its signers") {
    auto run = r.s.L.collect([&] { r.s.L.registerParty("new-supplier", K::PROVIDER); });
    uint64_t b = r.s.L.batch(run, {&r.s.pool});
    fails(r.s.L, b + 1, "rule 1", "holds an administrator key of 'ledger'");
  }
}

TEST_CASE("batches: a signer acting for none of the run's records fails rule 1 at the batch naming the key") {
  Run r(false);
  r.b = r.s.L.batch(r.entries, {&r.s.pool, &r.s.council, &r.s.prime});
  fails(r.s.L, r.b, "rule 1", "key " + r.s.prime.b64() + " signs batch " + seqs(r.b) + " but holds no key");
  // A key revoked before the run counts for nothing either.
  Run q(false);
  q.s.L.revoke("council", q.s.council);
  q.b = q.s.L.batch(q.entries, {&q.s.pool, &q.s.council});
  fails(q.s.L, q.b, "rule 1", "key " + q.s.council.b64() + " signs batch " + seqs(q.b));
  fails(q.s.L, q.b + 3, "rule 1", "holds an officer key of 'council'");
}

TEST_CASE("batches: dual control in a run: officer and approver pass, one key fails rule 5") {
  Standard s;
  auto run = [&] {
    return s.L.collect([&] { s.L.pay("riverside-pool", "prime-co", 1500000, {}); });
  };
  SUBCASE("officer + approver") {
    s.L.batch(run(), {&s.pool, &s.poolApprover});
    passes(s.L);
  }
  SUBCASE("the officer alone") {
    uint64_t b = s.L.batch(run(), {&s.pool});
    fails(s.L, b + 1, "rule 5", "dual-control threshold");
  }
  SUBCASE("the officer and an officer of another party") {
    uint64_t b = s.L.batch(run(), {&s.pool, &s.council});
    fails(s.L, b + 1, "rule 5", "carries 1 valid key(s) of 'riverside-pool'");
    fails(s.L, b, "rule 1", "key " + s.council.b64() + " signs batch");
  }
}

// ---- the run's records, exactly ---------------------------------------------------

TEST_CASE("batches: a record claiming a batch it is not in fails with its seq") {
  Run r;
  uint64_t after = r.s.L.pay("riverside-pool", "carers-trust", 100, {&r.s.pool});
  SUBCASE("a later signed record claiming the run") {
    r.recs()[after].batchSeq = r.b;
    fails(r.s.L, after, "rule 1", "claims batch " + seqs(r.b) + " it is not in (batch " + seqs(r.b) + " holds seq " +
                                      seqs(r.b + 1) + ".." + seqs(r.b + 3) + ")");
  }
  SUBCASE("a record naming a seq that is not a batch") {
    r.recs()[after].batchSeq = 5;
    fails(r.s.L, after, "rule 1", "claims batch 5 it is not in (seq 5 is not a batch record)");
  }
  SUBCASE("a run's record naming another seq") {
    r.recs()[r.b + 2].batchSeq = r.b - 1;
    fails(r.s.L, r.b + 2, "rule 1", "batch " + seqs(r.b) + " is incomplete");
  }
}

TEST_CASE("batches: a record removed from a run, or the ledger ending mid-run, is an incomplete batch") {
  Run r;
  SUBCASE("the middle record removed, a signed record after the run") {
    uint64_t after = r.s.L.pay("riverside-pool", "carers-trust", 100, {&r.s.pool});
    r.recs().erase(r.recs().begin() + long(r.b + 2));
    fails(r.s.L, after - 1, "rule 1", "batch " + seqs(r.b) + " is incomplete: it approves 3 records");
  }
  SUBCASE("the last record removed at the end of the ledger") {
    r.recs().pop_back();
    fails(r.s.L, r.b, "rule 1", "batch " + seqs(r.b) + " is incomplete: it approves 3 records (seq " +
                                    seqs(r.b + 1) + ".." + seqs(r.b + 3) + ") but the records end after 2 of them");
  }
  SUBCASE("a signed record in the run's place, with signatures and batchSeq 0") {
    r.recs()[r.b + 2] = Ledger::sign(r.entries[1], {&r.s.pool});
    r.recs()[r.b + 2].recordedAt = r.recs()[r.b].recordedAt;
    fails(r.s.L, r.b + 2, "rule 1", "is not batched (batchSeq 0)");
  }
}

TEST_CASE("batches: records swapped, added or altered in a run fail the root check at the batch") {
  Run r;
  std::string rootFail = "do not give batch " + seqs(r.b) + "'s root";
  SUBCASE("two records swapped") {
    std::swap(r.recs()[r.b + 1], r.recs()[r.b + 2]);
    fails(r.s.L, r.b, "rule 1", rootFail);
  }
  SUBCASE("a record added in the middle") {
    auto extra = r.s.L.collect([&] { r.s.L.pay("riverside-pool", "carers-trust", 999, {}); });
    r.recs().insert(r.recs().begin() + long(r.b + 2), r.s.L.batched(extra[0], r.b));
    fails(r.s.L, r.b, "rule 1", rootFail);
    fails(r.s.L, r.b + 4, "rule 1", "claims batch " + seqs(r.b) + " it is not in");
  }
  SUBCASE("a record added after the last") {
    auto extra = r.s.L.collect([&] { r.s.L.pay("riverside-pool", "carers-trust", 999, {}); });
    r.recs().push_back(r.s.L.batched(extra[0], r.b));
    fails(r.s.L, r.b + 4, "rule 1", "claims batch " + seqs(r.b) + " it is not in");
    for (const auto& out : both(r.s.L)) CHECK(!has(out, rootFail));  // the three it approved are intact
  }
  SUBCASE("a record's amount altered") {
    auto altered = r.s.L.collect([&] { r.s.L.pay("riverside-pool", "carers-trust", 100000, {}); });
    r.recs()[r.b + 1].entry = altered[0];
    fails(r.s.L, r.b, "rule 1", rootFail);
  }
}

TEST_CASE("batches: a run's record carrying signatures fails at its seq") {
  Run r;
  r.recs()[r.b + 1].sigs = Ledger::sign(r.entries[0], {&r.s.pool}).sigs;
  fails(r.s.L, r.b + 1, "rule 1", "a record of the payment run of batch " + seqs(r.b) + " carries 1 signature(s)");
}

TEST_CASE("batches: a run holding a kind it may not hold fails at that record") {
  Standard s;
  Keypair k = Keypair::fromSeed("new council officer");
  SUBCASE("keyGranted") {
    auto run = s.L.collect([&] {
      s.L.grant("council", k, R::OFFICER);
      s.L.pay("riverside-pool", "carers-trust", 100, {});
    });
    uint64_t b = s.L.batch(run, {&s.L.admin, &s.pool});
    fails(s.L, b + 1, "rule 1", "this keyGranted is inside batch " + seqs(b));
  }
  SUBCASE("reversal") {
    auto run = s.L.collect([&] { s.L.reverse(s.smallPayment, "riverside-pool", "carers-trust", 125000, {}); });
    uint64_t b = s.L.batch(run, {&s.pool});
    fails(s.L, b + 1, "rule 1", "this reversal is inside batch " + seqs(b));
  }
  SUBCASE("another batch") {
    auto inner = s.L.collect([&] { s.L.pay("riverside-pool", "carers-trust", 100, {}); });
    Bytes nested = s.L.batchEntry(1, Ledger::batchRoot(inner), Ledger::batchKey(inner));
    std::vector<Bytes> run = {nested};
    uint64_t b = s.L.batch(run, {&s.pool});
    fails(s.L, b + 1, "rule 1", "this batch is inside batch " + seqs(b));
  }
}

TEST_CASE("batches: a run whose idempotency key is not the derived one fails rule 6 at the batch") {
  Run r(false);
  r.b = r.s.L.batch(r.entries, {&r.s.pool, &r.s.council}, "payment-run-2025-11");
  fails(r.s.L, r.b, "rule 6", "batch " + seqs(r.b) + "'s idempotency key 'payment-run-2025-11' is not the one its "
                                  "records' keys give ('" + Ledger::batchKey(r.entries) + "')");
}

TEST_CASE("batches: a run in a version-1 ledger fails, and a version-3 genesis is a newer format") {
  Run r(false);
  r.s.L.setFormatVersion(1);
  r.b = r.s.L.batch(r.entries, {&r.s.pool, &r.s.council});
  fails(r.s.L, r.b, "format", "a batch record (a payment run) in a ledger whose genesis says formatVersion 1");
  fails(r.s.L, r.b + 1, "format", "batchSeq " + seqs(r.b) + " but the genesis says formatVersion 1");
  Standard v3;
  v3.L.setFormatVersion(3);
  for (const auto& out : both(v3.L)) {
    CHECK(out.rc == 2);
    CHECK(has(out, "formatVersion 3"));
  }
  Standard v2;
  v2.L.setFormatVersion(2);
  passes(v2.L);
}

TEST_CASE("batches: a batch's count and root are checked as fields") {
  Standard s;
  auto run = s.L.collect([&] { s.L.pay("riverside-pool", "carers-trust", 100, {}); });
  SUBCASE("count 0") {
    uint64_t b = s.L.add(s.L.batchEntry(0, Ledger::batchRoot(run), Ledger::batchKey({})), {&s.pool});
    fails(s.L, b, "format", "batch.count is 0");
  }
  SUBCASE("a root of 31 bytes") {
    uint64_t b = s.L.batch(run, {&s.pool});
    s.L.records[b] = Ledger::sign(s.L.batchEntry(1, Ledger::batchRoot(run).substr(1), Ledger::batchKey(run)), {&s.pool});
    s.L.records[b].recordedAt = s.L.records[b + 1].recordedAt;
    fails(s.L, b, "format", "batch.root is 31 bytes, not 32");
  }
}

TEST_CASE("batches: a run of 10000 records passes with its one signature and 10001 is over the limit") {
  Standard s;
  auto run = s.L.collect([&] {
    for (int i = 0; i < 10000; ++i) s.L.pay("riverside-pool", "carers-trust", 1, {});
  });
  uint64_t b = s.L.batch(run, {&s.pool});
  auto j = json::parse(both(s.L, "--json")[1].out);  // the LMDB directory
  CHECK(j["exit_code"] == 0);
  CHECK(j["counts"]["batches"] == 1);
  CHECK(j["counts"]["batched_records"] == 10000);
  CHECK(j["counts"]["signatures"] == 21 + 1);
  auto more = s.L.collect([&] { s.L.pay("riverside-pool", "carers-trust", 1, {}); });
  run.push_back(more[0]);
  Standard t;
  uint64_t b2 = t.L.batch(run, {&t.pool});
  CHECK(b2 == b);
  fails(t.L, b2, "limits", "batch.count is 10001, over the limit of 10,000 records");
}

// ---- published tiles ------------------------------------------------------------------

TEST_CASE("batches: tiles: a run passes on published tiles and an altered record fails at its batch") {
  Run r;
  Result ok = runVerify("--tiles " + quote(publish(r.s.L)) + " --log-key " + quote(r.s.L.logKeyText()));
  CAPTURE(ok.out);
  CHECK(ok.rc == 0);
  CHECK(has(ok, "result: PASS (exit 0)"));
  CHECK(has(ok, "batches: 1 payment run holding 3 records"));
  auto altered = r.s.L.collect([&] { r.s.L.pay("riverside-pool", "prime-co", 2001, {}); });
  r.recs()[r.b + 2].entry = altered[0];
  Result bad = runVerify("--tiles " + quote(publish(r.s.L)) + " --log-key " + quote(r.s.L.logKeyText()));
  CAPTURE(bad.out);
  CHECK(bad.rc == 1);
  CHECK(hasFailure(bad.out, r.b, "rule 1", "do not give batch " + seqs(r.b) + "'s root"));
}

// ---- fundtrail-verify proof with a batch proof ---------------------------------------------

namespace {

struct ProofFixture {
  Standard s;
  std::vector<Bytes> entries, other;
  uint64_t b = 0, b2 = 0;
  std::vector<Bytes> leaves;
  std::string dir = tempDir();
  ProofFixture() {
    entries = s.L.collect([&] {
      for (int i = 1; i <= 5; ++i) s.L.pay("riverside-pool", "carers-trust", 100 * i, {});
    });
    b = s.L.batch(entries, {&s.pool, &s.poolApprover});
    other = s.L.collect([&] {
      for (int i = 1; i <= 5; ++i) s.L.pay("riverside-pool", "prime-co", 100 * i, {});
    });
    b2 = s.L.batch(other, {&s.pool});
    leaves = s.L.leaves();
  }
  json proof(const std::vector<Bytes>& es, uint64_t batchSeq, size_t i) {
    std::vector<Bytes> lh;
    for (const auto& e : es) lh.push_back(leafHash(e));
    json hashes = json::array();
    for (const auto& h : auditPath(lh, i, 0, lh.size())) hashes.push_back(b64(h));
    return {{"batch_seq", batchSeq}, {"index", i}, {"count", es.size()}, {"leaf_hash", b64(lh[i])}, {"hashes", hashes}};
  }
  std::string file(const std::string& name, const std::string& bytes) {
    writeFile(dir + "/" + name, bytes);
    return dir + "/" + name;
  }
  Result run(const json& p, uint64_t recordSeq, uint64_t batchSeq, const std::string& extra = "") {
    return run(p, leaves[recordSeq], leaves[batchSeq], extra);
  }
  Result run(const json& p, const Bytes& record, const Bytes& batchLeaf, const std::string& extra = "") {
    return runVerify("proof " + quote(file("proof.json", p.dump())) + " --leaf " + quote(file("record.bin", record)) +
                     " --batch-leaf " + quote(file("batch.bin", batchLeaf)) + " " + extra);
  }
};

}  // namespace

TEST_CASE("batches: proof: a batch proof verifies and names the keys that signed the run") {
  ProofFixture f;
  for (size_t i = 0; i < 5; ++i) {
    Result r = f.run(f.proof(f.entries, f.b, i), f.b + 1 + i, f.b);
    CAPTURE(i);
    CAPTURE(r.all());
    CHECK(r.rc == 0);
    CHECK(has(r, "batch proof verified: record " + seqs(f.b + 1 + i)));
    CHECK(has(r, f.s.pool.b64()));
    CHECK(has(r, f.s.poolApprover.b64()));
    CHECK(has(r, "fundtrail proof inclusion"));
  }
  Result j = f.run(f.proof(f.entries, f.b, 3), f.b + 4, f.b, "--json");
  CAPTURE(j.out);
  CHECK(j.rc == 0);
  auto o = json::parse(j.out);
  CHECK(o["kind"] == "batch");
  CHECK(o["result"] == "verified");
  CHECK(o["batch_signers"].size() == 2);
}

TEST_CASE("batches: proof: a flipped hash, a wrong index, another run's record and a bad batch signature are rejected") {
  ProofFixture f;
  SUBCASE("a flipped hash") {
    json p = f.proof(f.entries, f.b, 2);
    std::string first = p["hashes"][0];
    first[0] = first[0] == 'A' ? 'B' : 'A';
    p["hashes"][0] = first;
    Result r = f.run(p, f.b + 3, f.b);
    CAPTURE(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "do not lead from the record's Entry to batch " + seqs(f.b) + "'s root"));
  }
  SUBCASE("a wrong index") {
    json p = f.proof(f.entries, f.b, 2);
    p["index"] = 3;
    Result r = f.run(p, f.b + 3, f.b);
    CAPTURE(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "is not the record's place in batch"));
  }
  SUBCASE("a record from another run") {
    Result r = f.run(f.proof(f.entries, f.b, 2), f.b2 + 3, f.b);
    CAPTURE(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "is in batch " + seqs(f.b2) + ", the proof is for batch " + seqs(f.b)));
    // The other run's own proof against this run's batch record.
    Result q = f.run(f.proof(f.other, f.b2, 2), f.b2 + 3, f.b);
    CHECK(q.rc == 1);
  }
  SUBCASE("a batch record whose signature does not verify") {
    auto& sig = f.s.L.records[f.b].sigs[0].second;
    sig[5] = char(sig[5] ^ 0x01);
    auto leaves = f.s.L.leaves();
    Result r = f.run(f.proof(f.entries, f.b, 2), leaves[f.b + 3], leaves[f.b]);
    CAPTURE(r.all());
    CHECK(r.rc == 1);
    CHECK(has(r, "does not verify over its Entry bytes"));
  }
  SUBCASE("a count that is not the batch's") {
    json p = f.proof(f.entries, f.b, 2);
    p["count"] = 4;
    CHECK(f.run(p, f.b + 3, f.b).rc == 1);
  }
  SUBCASE("without --batch-leaf it is unusable (exit 2)") {
    json p = f.proof(f.entries, f.b, 2);
    Result r = runVerify("proof " + quote(f.file("p.json", p.dump())) + " --leaf " + quote(f.file("r.bin", f.leaves[f.b + 3])));
    CHECK(r.rc == 2);
  }
}
