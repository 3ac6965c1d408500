// Tamper tests: each builds a ledger byte by byte (builder.h), damages it the
// way an attacker or a broken disk would, runs the built fundtrail-verify and
// checks its exit code and that it names the right seq and reason.
#include <doctest/doctest.h>
#include <capnp/message.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;

namespace {

std::string bundleOf(const std::vector<Bytes>& leaves) {
  std::string path = tempDir() + "/ledger.bundle";
  writeBundle(path, leaves);
  return path;
}

std::string dirOf(const std::vector<Bytes>& leaves) {
  std::string dir = tempDir() + "/ledger";
  writeLmdb(dir, leaves);
  return dir;
}

// Runs the verifier on both forms of the same records and checks both.
void expectBoth(const std::vector<Bytes>& leaves, int rc, const std::vector<std::string>& needles,
                const std::string& extra = "") {
  for (const std::string& input : {bundleOf(leaves), dirOf(leaves)}) {
    Result r = runVerify(quote(input) + " " + extra);
    CAPTURE(input);
    CAPTURE(r.out);
    CAPTURE(r.err);
    CHECK(r.rc == rc);
    for (const auto& n : needles) CHECK_MESSAGE(r.out.find(n) != std::string::npos, "missing: " << n);
  }
}

std::string seqRule(uint64_t seq, const std::string& rule) { return "seq " + std::to_string(seq) + ": " + rule + ": "; }

// Replaces the first occurrence of `from` in the file's bytes (same length).
void patchFile(const std::string& path, const std::string& from, const std::string& to) {
  std::string bytes = readFile(path);
  size_t at = bytes.find(from);
  REQUIRE(at != std::string::npos);
  REQUIRE(bytes.find(from, at + 1) == std::string::npos);
  bytes.replace(at, from.size(), to);
  writeFile(path, bytes);
}

}  // namespace

TEST_CASE("verifier: a clean ledger passes as a directory and as a bundle") {
  Standard s;
  expectBoth(s.L.leaves(), 0, {"result: CONSISTENT, not anchored (exit 0)", "riverside-pool: balance 328750.00", "consistent with itself only"});
}

TEST_CASE("verifier: --json gives the same report as one JSON object") {
  Standard s;
  Result r = runVerify(quote(bundleOf(s.L.leaves())) + " --json");
  REQUIRE(r.rc == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
  CHECK(j["exit_code"] == 0);
  CHECK(j["counts"]["records"] == s.L.records.size());
  CHECK(j["counts"]["parties"] == 6);
  CHECK(j["counts"]["keys"] == 7);
  CHECK(j["counts"]["signatures"] == s.L.records.size() + 1);  // one payment has two
  CHECK(j["currency"] == "GBP");
  bool found = false;
  for (const auto& t : j["totals"]) {
    if (t["party"] != "carers-trust") continue;
    found = true;
    CHECK(t["balance"] == "2750.00");
    CHECK(t["balance_minor"] == 275000);
  }
  CHECK(found);
  CHECK(j["failures"].empty());
  CHECK(j["checks"].size() == 20);
}

TEST_CASE("verifier: a flipped byte inside a stored record is found (LMDB file and bundle)") {
  Standard s;
  auto leaves = s.L.leaves();
  std::string dir = dirOf(leaves);
  patchFile(dir + "/data.mdb", "tamper-target-memo", "tamper-target-memO");
  Result r = runVerify(quote(dir));
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(r.out.find(seqRule(s.smallPayment, "rule 1") + "signature 1 (key " + s.pool.b64() +
                   ") does not verify over the entry bytes") != std::string::npos);
  CHECK(r.out.find(seqRule(s.smallPayment + 1, "rule 8") + "prevHash is not the leaf hash of record") != std::string::npos);

  std::string bundle = bundleOf(leaves);
  patchFile(bundle, "tamper-target-memo", "tamper-target-memO");
  r = runVerify(quote(bundle));
  CHECK(r.rc == 1);
  CHECK(r.out.find(seqRule(s.smallPayment, "rule 1")) != std::string::npos);
}

TEST_CASE("verifier: an amount changed and re-signed by a key not granted to the payer") {
  Standard s;
  auto& rec = s.L.records[s.smallPayment];
  // The attacker builds a new payment of 1,250.01 and signs it with the council's key,
  // then rebuilds the chain after it so that only the authority is wrong.
  Bytes forged = s.L.entry([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom("riverside-pool");
    p.setTo("carers-trust");
    p.setAmount(125001);
    p.setCurrency("GBP");
    p.setValueDate(20251125);
    p.setMechanism(schema::Mechanism::GRANT);
  }, "forged-payment");
  int64_t at = rec.recordedAt;
  rec = Ledger::sign(forged, {&s.council});
  rec.recordedAt = at;
  expectBoth(s.L.leaves(), 1,
             {seqRule(s.smallPayment, "rule 1") + "key " + s.council.b64() +
                  " is not an officer or approver key of 'riverside-pool'"});
}

TEST_CASE("verifier: records deleted at the end and an earlier checkpoint from the longer log") {
  Standard s;
  auto leaves = s.L.leaves();
  std::string dir = tempDir();
  writeFile(dir + "/cp", s.L.checkpoint(leaves.size()));
  auto shorter = leaves;
  shorter.resize(leaves.size() - 3);
  std::string args = "--checkpoint " + quote(dir + "/cp") + " --log-key " + quote(s.L.logKeyText());
  expectBoth(shorter, 1,
             {"consistency: " + dir + "/cp: it commits to " + std::to_string(leaves.size()) + " records but only " +
              std::to_string(shorter.size()) + " are present: records were removed"},
             args);
  // The same checkpoint against the whole ledger is fine, and the report says what that proves.
  expectBoth(leaves, 0, {"matches the records", "exactly the records the log committed to"}, args);
}

TEST_CASE("verifier: two records swapped") {
  Standard s;
  auto leaves = s.L.leaves();
  std::swap(leaves[12], leaves[13]);
  expectBoth(leaves, 1,
             {seqRule(12, "rule 8") + "the record says seq 13 but it is at position 12",
              seqRule(13, "rule 8") + "the record says seq 12 but it is at position 13"});
}

TEST_CASE("verifier: a record replaced by a validly signed record from another ledger") {
  Standard s;
  // Same keys, same parties, another origin: the other ledger's payment is signed correctly.
  Ledger other("example.gov.uk/fundtrail/elsewhere");
  Bytes foreign = other.entry([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom("riverside-pool");
    p.setTo("carers-trust");
    p.setAmount(125000);
    p.setCurrency("GBP");
    p.setValueDate(20251125);
    p.setMechanism(schema::Mechanism::GRANT);
  }, "elsewhere-1");
  int64_t at = s.L.records[s.smallPayment].recordedAt;
  s.L.records[s.smallPayment] = Ledger::sign(foreign, {&s.pool});
  s.L.records[s.smallPayment].recordedAt = at;
  expectBoth(s.L.leaves(), 1,
             {seqRule(s.smallPayment, "rule 8") +
              "origin 'example.gov.uk/fundtrail/elsewhere' is not this ledger's origin 'example.gov.uk/fundtrail/riverside'"});
  // Dropped in as the other ledger stored it, its chain breaks as well.
  Standard t;
  auto leaves = t.L.leaves();
  other.add(foreign, {&t.pool});
  leaves[1] = other.leaves()[1];
  expectBoth(leaves, 1, {seqRule(1, "rule 8") + "prevHash", seqRule(1, "rule 8") + "origin"});
}

TEST_CASE("verifier: a pool overspent by one penny") {
  Standard s;
  s.L.pay("riverside-pool", "carers-trust", 32875001, {&s.pool, &s.poolApprover});  // 328,750.01
  uint64_t seq = s.L.records.size() - 1;
  expectBoth(s.L.leaves(), 1, {seqRule(seq, "rule 4") + "pool 'riverside-pool' would go below zero by 0.01"});
}

TEST_CASE("verifier: a payment over the dual-control threshold with one signature") {
  Standard s;
  uint64_t seq = s.L.pay("riverside-pool", "prime-co", 1000000, {&s.pool});  // exactly 10,000.00
  expectBoth(s.L.leaves(), 1,
             {seqRule(seq, "rule 5") + "payment of 10000.00 is at or above the dual-control threshold 10000.00 but "
                                       "carries 1 valid key(s) of 'riverside-pool'"});
  // Two approvers are not enough either: one must be an officer.
  Standard t;
  Keypair second = Keypair::fromSeed("second approver");
  t.L.grant("riverside-pool", second, schema::Role::APPROVER);
  seq = t.L.pay("riverside-pool", "prime-co", 1000000, {&t.poolApprover, &second});
  expectBoth(t.L.leaves(), 1, {seqRule(seq, "rule 1") + "no signer holds an officer key of 'riverside-pool'",
                               seqRule(seq, "rule 5")});
}

TEST_CASE("verifier: a revoked key used after its revocation") {
  Standard s;
  uint64_t revokedAt = s.L.revoke("riverside-pool", s.pool);
  uint64_t seq = s.L.pay("riverside-pool", "carers-trust", 1000, {&s.pool});
  expectBoth(s.L.leaves(), 1,
             {seqRule(seq, "rule 1") + "key " + s.pool.b64() + " is not an officer or approver key of 'riverside-pool' "
                                       "(it was revoked at seq " + std::to_string(revokedAt) + ")"});
}

TEST_CASE("verifier: the other rules: wrong kinds and currency and reversals and idempotency and clocks") {
  Standard s;
  auto& L = s.L;
  uint64_t intoPool = L.pay("council", "riverside-pool", 100, {&s.council});
  uint64_t wrongCurrency = L.add([&](schema::Entry::Builder e) {
    auto c = e.getBody().initContribution();
    c.setFrom("council");
    c.setTo("riverside-pool");
    c.setAmount(100);
    c.setCurrency("EUR");
    c.setValueDate(20251124);
  }, {&s.council});
  uint64_t twice = L.reverse(17, "riverside-pool", "carers-trust", 50000, {&s.pool});
  uint64_t dup = L.add(L.entry([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom("council");
    p.setTo("carers-trust");
    p.setAmount(1);
    p.setCurrency("GBP");
    p.setValueDate(20251125);
  }, "req-1"), {&s.council});
  uint64_t badDate = L.add([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom("council");
    p.setTo("carers-trust");
    p.setAmount(1);
    p.setCurrency("GBP");
    p.setValueDate(20250230);
  }, {&s.council});
  L.clock += 10 * 60 * 1000;  // signed ten minutes in the future...
  Bytes late = L.entry([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom("council");
    p.setTo("carers-trust");
    p.setAmount(1);
    p.setCurrency("GBP");
    p.setValueDate(20251125);
  }, "from-the-future");
  L.clock -= 10 * 60 * 1000;  // ...recorded now
  uint64_t future = L.add(late, {&s.council});
  uint64_t contract = L.add([&](schema::Entry::Builder e) {
    e.getBody().initContractAgreed().setReference("C-1");
  }, {&s.council});
  expectBoth(L.leaves(), 1,
             {seqRule(intoPool, "rule 2") + "payee 'riverside-pool' is a pool",
              seqRule(wrongCurrency, "rule 3") + "currency 'EUR' is not the ledger's currency 'GBP'",
              seqRule(twice, "rule 7") + "seq 17 was already reversed",
              seqRule(dup, "rule 6") + "idempotency key 'req-1' was already used at seq 0",
              seqRule(badDate, "format") + "payment.valueDate 20250230 is not a real YYYYMMDD day",
              seqRule(future, "rule 8") + "createdAt",
              seqRule(contract, "rule 2") + "payer '' is not registered",
              seqRule(contract, "format") + "contractAgreed.startDate is missing"},
             "--max-failures 50");
}

TEST_CASE("verifier: non-canonical encodings are refused") {
  // An Entry whose texts are laid out out of order: valid Cap'n Proto, validly signed, not canonical.
  Standard s;
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Entry>();
  e.setIdempotencyKey("out-of-order");  // allocated before origin: not in pre-order
  e.setOrigin(s.L.origin);
  e.setCreatedAt(s.L.clock);
  auto p = e.getBody().initPayment();
  p.setFrom("council");
  p.setTo("carers-trust");
  p.setAmount(100);
  p.setCurrency("GBP");
  p.setValueDate(20251125);
  auto seg = m.getSegmentsForOutput()[0].asBytes();
  Bytes raw(reinterpret_cast<const char*>(seg.begin()), seg.size());
  uint64_t seq = s.L.add(raw, {&s.council});
  expectBoth(s.L.leaves(), 1, {seqRule(seq, "canonical") + "the Entry bytes are not in canonical form"});

  // A SignedEntry with a data word too many (not truncated as canonical form demands).
  Standard t;
  auto leaves = t.L.leaves();
  Bytes& last = leaves.back();
  // Root pointer: struct at offset 0 with data size 2 words; make it 3 and insert a zero word.
  uint64_t ptr;
  memcpy(&ptr, last.data(), 8);
  uint16_t dataWords = uint16_t(ptr >> 32);
  ptr = (ptr & ~(uint64_t(0xFFFF) << 32)) | (uint64_t(dataWords + 1) << 32);
  Bytes grown(reinterpret_cast<const char*>(&ptr), 8);
  grown += last.substr(8, 8 * dataWords) + Bytes(8, '\0') + last.substr(8 + 8 * dataWords);
  // Pointers in the pointer section are relative to their own position: unchanged.
  last = grown;
  expectBoth(leaves, 1, {seqRule(leaves.size() - 1, "canonical") + "the SignedEntry bytes are not in canonical form"});
}

TEST_CASE("verifier: unusable input is exit 2: truncated bundle or garbage appended or empty file or not a ledger") {
  Standard s;
  std::string bundle = bundleOf(s.L.leaves());
  std::string bytes = readFile(bundle);
  std::string dir = tempDir();

  writeFile(dir + "/truncated", bytes.substr(0, bytes.size() - 10));
  Result r = runVerify(quote(dir + "/truncated"));
  CHECK(r.rc == 2);
  CHECK(r.out.find("truncated bundle") != std::string::npos);
  CHECK(r.out.find("ends inside record " + std::to_string(s.L.records.size() - 1)) != std::string::npos);

  writeFile(dir + "/garbage", bytes + "trailing junk");
  r = runVerify(quote(dir + "/garbage"));
  CHECK(r.rc == 2);
  CHECK(r.out.find("garbage after the last record") != std::string::npos);
  CHECK(r.out.find("13 bytes") != std::string::npos);

  writeFile(dir + "/empty", "");
  r = runVerify(quote(dir + "/empty"));
  CHECK(r.rc == 2);
  CHECK(r.out.find("empty file") != std::string::npos);

  writeFile(dir + "/header-only", bytes.substr(0, 24));
  r = runVerify(quote(dir + "/header-only") + " --json");
  CHECK(r.rc == 2);
  CHECK(nlohmann::json::parse(r.out)["result"] == "unusable");

  writeFile(dir + "/text", "hello\n");
  CHECK(runVerify(quote(dir + "/text")).rc == 2);
  mkdir((dir + "/emptydir").c_str(), 0755);
  r = runVerify(quote(dir + "/emptydir"));
  CHECK(r.rc == 2);
  CHECK(r.out.find("no data.mdb") != std::string::npos);
  CHECK(runVerify(quote(dir + "/does-not-exist")).rc == 2);
}

TEST_CASE("verifier: exit 2: a newer formatVersion is unusable, an unknown body kind is a newer format") {
  Ledger L;
  L.records.clear();
  L.add([&](schema::Entry::Builder e) {
    auto g = e.getBody().initGenesis();
    g.setFormatVersion(3);  // 2 is read since payment runs
    g.setOrigin(L.origin);
    g.setLogPublicKey(capnp::Data::Reader(L.log.pk.data(), 32));
    g.initAdminKeys(1).set(0, capnp::Data::Reader(L.admin.pk.data(), 32));
    g.setCurrency("GBP");
  }, {&L.admin});
  expectBoth(L.leaves(), 2, {"formatVersion 3", "UNUSABLE INPUT"});

  Standard s;
  // A payment whose union discriminant (data word 1, bytes 8-9 of the struct) names kind 40.
  Bytes e = s.L.entry([&](schema::Entry::Builder b) {
    auto p = b.getBody().initPayment();
    p.setFrom("council");
    p.setTo("carers-trust");
    p.setAmount(100);
  }, "from-the-future");
  e[8 + 8] = 40, e[8 + 9] = 0;
  uint64_t seq = s.L.add(e, {&s.council});
  expectBoth(s.L.leaves(), 2,
             {"seq " + std::to_string(seq) + " (body kind 40) is of a newer format", "result: NEWER FORMAT (exit 2)"});
}

TEST_CASE("verifier: bad usage is exit 2 and --help is exit 0 and says what a clean run proves") {
  CHECK(runVerify("").rc == 2);
  CHECK(runVerify("--no-such-option x").rc == 2);
  CHECK(runVerify("x --witnesses-required 2 --witness a+00000000+AA== --checkpoint y").rc == 2);
  CHECK(runVerify("x --log-key not-a-key").rc == 2);
  Result r = runVerify("--help");
  CHECK(r.rc == 0);
  CHECK(r.out.find("consistent") != std::string::npos);
  CHECK(r.out.find("withheld") != std::string::npos);
  CHECK(r.out.find("wise") != std::string::npos);
  CHECK(runVerify("cosign --help").rc == 0);
}

TEST_CASE("verifier: a damaged LMDB file never crashes or hangs the verifier") {
  Standard s;
  std::string dir = dirOf(s.L.leaves());
  std::string pristine = readFile(dir + "/data.mdb");
  // Page headers and meta pages (4 KiB pages): flip bytes where LMDB keeps its structure.
  std::vector<size_t> spots;
  for (size_t page = 0; page * 4096 < pristine.size(); ++page)
    for (size_t off : {0, 8, 10, 12, 14, 16, 18, 20, 24, 32, 40, 48, 64, 80, 96, 120})
      spots.push_back(page * 4096 + off);
  int crashes = 0;
  for (size_t spot : spots) {
    std::string damaged = pristine;
    damaged[spot] = char(damaged[spot] ^ 0x5A);
    writeFile(dir + "/data.mdb", damaged);
    Result r = runVerify(quote(dir));
    CAPTURE(spot);
    CAPTURE(r.out);
    CHECK((r.rc == 0 || r.rc == 1 || r.rc == 2));
    if (r.out.find("crashed the reader") != std::string::npos) {
      ++crashes;
      CHECK(r.rc == 2);
      CHECK(r.out.find(dir + "/data.mdb") != std::string::npos);
    }
  }
  MESSAGE(crashes << " of " << spots.size() << " damaged files crashed the (isolated) reader");
  writeFile(dir + "/data.mdb", pristine);
  CHECK(runVerify(quote(dir)).rc == 0);
}

TEST_CASE("verifier: a read-only copy of a ledger directory verifies (no lock file is created)") {
  Standard s;
  std::string dir = dirOf(s.L.leaves());
  unlink((dir + "/lock.mdb").c_str());
  chmod((dir + "/data.mdb").c_str(), 0444);
  chmod(dir.c_str(), 0555);
  Result r = runVerify(quote(dir));
  CHECK(r.rc == 0);
  struct stat st;
  CHECK(stat((dir + "/lock.mdb").c_str(), &st) != 0);
  chmod(dir.c_str(), 0755);
}
