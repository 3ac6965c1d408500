// "Unknown body kinds and enum values" (DESIGN.md, firm; docs/rules.md): a
// record of a newer format is checked as far as this verifier can — chain,
// signatures, that each signer holds some valid key — its effects skipped, and
// every later record and checkpoint still checked. Exit 2 when all of that
// passes; exit 1, naming the later failure, when anything fails.
#include <doctest/doctest.h>
#include <capnp/any.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;
using json = nlohmann::json;

namespace {

struct Case {
  std::string what;  // as the report names it: "payment.mechanism 99"
  std::function<uint64_t(Standard&)> add;
};

template <typename E>
E unknown() { return static_cast<E>(99); }

uint64_t payment(Standard& s, const std::function<void(schema::Payment::Builder)>& f,
                 std::vector<const Keypair*> signers = {}) {
  if (signers.empty()) signers = {&s.council};
  return s.L.add([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(100), p.setCurrency("GBP"), p.setValueDate(20251125);
    f(p);
  }, signers);
}

std::vector<Case> cases() {
  using K = schema::PartyKind;
  std::vector<Case> c;
  auto party = [](Standard& s, const std::function<void(schema::PartyRegistered::Builder)>& f) {
    return s.L.add([&](schema::Entry::Builder e) {
      auto p = e.getBody().initPartyRegistered();
      p.setId("newcomer"), p.setName("A newcomer"), p.setKind(K::PROVIDER);
      f(p);
    }, {&s.L.admin});
  };
  c.push_back({"partyRegistered.kind 99", [=](Standard& s) { return party(s, [](auto p) { p.setKind(unknown<K>()); }); }});
  c.push_back({"partyRegistered.sector 99",
               [=](Standard& s) { return party(s, [](auto p) { p.setSector(unknown<schema::Sector>()); }); }});
  c.push_back({"partyStatusChanged.status 99",
               [](Standard& s) { return s.L.status("prime-co", unknown<schema::PartyStatus>(), 20251001); }});
  auto contract = [](Standard& s, const std::function<void(schema::ContractAgreed::Builder)>& f) {
    return s.L.add([&](schema::Entry::Builder e) {
      auto x = e.getBody().initContractAgreed();
      x.setReference("C-NEW"), x.setPayer("council"), x.setPayee("prime-co"), x.setSubject("support");
      x.setStartDate(20250401);
      f(x);
    }, {&s.council});
  };
  c.push_back({"contractAgreed.model 99", [=](Standard& s) {
                 return contract(s, [](auto x) { x.setModel(unknown<schema::IntegratorModel>()); });
               }});
  c.push_back({"contractAgreed.schedule[0].financedBy 99", [=](Standard& s) {
                 return contract(s, [](auto x) {
                   auto row = x.initSchedule(1)[0];
                   row.setMilestone("start"), row.setUnitPrice(100), row.setFinancedBy(unknown<schema::FinancedBy>());
                 });
               }});
  c.push_back({"contractEnded.reason 99", [](Standard& s) {
                 s.L.agree({.reference = "C-END", .payer = "council", .payee = "prime-co"}, {&s.council});
                 return s.L.endContract("C-END", unknown<schema::EndReason>(), "", {&s.council});
               }});
  c.push_back({"keyGranted.role 99", [](Standard& s) {
                 return s.L.grant("council", Keypair::fromSeed("future role"), unknown<schema::Role>());
               }});
  c.push_back({"payment.mechanism 99",
               [](Standard& s) { return payment(s, [](auto p) { p.setMechanism(unknown<schema::Mechanism>()); }); }});
  c.push_back({"responsibilityAssigned.kind 99", [](Standard& s) {
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto a = e.getBody().initResponsibilityAssigned();
                   a.setAccountable("council"), a.initResponsible(1).set(0, "carers-trust"), a.setSubject("care");
                   a.setKind(unknown<schema::ResponsibilityKind>());
                 }, {&s.council});
               }});
  c.push_back({"payment.fundedBy 99", [](Standard& s) {
                 return payment(s, [](auto p) {
                   // The union's discriminant is the 8th UInt16 of Payment's data section (the generated which()).
                   auto copy = p;
                   auto data = capnp::AnyStruct::Builder(kj::mv(copy)).getDataSection();
                   REQUIRE(data.size() >= 16);
                   data[14] = 99, data[15] = 0;
                   REQUIRE(uint16_t(p.getFundedBy().which()) == 99);
                 });
               }});
  c.push_back({"body kind 40", [](Standard& s) {
                 // The Entry's union discriminant: data word 1 (bytes 8-9 of the struct, after the root pointer).
                 Bytes e = s.L.entry([&](schema::Entry::Builder b) {
                   auto p = b.getBody().initPayment();
                   p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(100);
                 }, "from-the-future");
                 e[8 + 8] = 40, e[8 + 9] = 0;
                 return s.L.add(e, {&s.council});
               }});
  return c;
}

Result verifyLeaves(const std::vector<Bytes>& leaves, const std::string& extra = "") {
  std::string path = tempDir() + "/ledger.bundle";
  writeBundle(path, leaves);
  return runVerify(quote(path) + " " + extra);
}

std::string newerText(uint64_t seq, const std::string& what) {
  return "seq " + std::to_string(seq) + " (" + what + ") is of a newer format";
}

bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

}  // namespace

TEST_CASE("newer format: an unknown value in every enum field, and an unknown body kind, is exit 2 when all else passes") {
  for (const Case& c : cases()) {
    CAPTURE(c.what);
    Standard s;
    uint64_t seq = c.add(s);
    s.L.pay("riverside-pool", "carers-trust", 100, {&s.pool});  // later records are still checked, and pass
    Result r = verifyLeaves(s.L.leaves());
    CAPTURE(r.out);
    CHECK(r.rc == 2);
    CHECK(has(r, newerText(seq, c.what)));
    CHECK(has(r, "result: NEWER FORMAT (exit 2)"));
    CHECK(!has(r, "FAIL"));
  }
}

TEST_CASE("newer format: a forged overdraft after the record is still found (exit 1, naming its seq)") {
  Keypair mallory = Keypair::fromSeed("mallory");
  for (const Case& c : cases()) {
    CAPTURE(c.what);
    Standard s;
    uint64_t seq = c.add(s);
    uint64_t forged = s.L.pay("riverside-pool", "carers-trust", 40000000, {&mallory});  // 400,000.00 of 328,750.00
    Result r = verifyLeaves(s.L.leaves());
    CAPTURE(r.out);
    CHECK(r.rc == 1);
    CHECK(has(r, "seq " + std::to_string(forged) + ": rule 1: key " + mallory.b64()));
    CHECK(has(r, "seq " + std::to_string(forged) + ": rule 4: pool 'riverside-pool' would go below zero"));
    CHECK(has(r, newerText(seq, c.what)));  // the report still says which records it could not fully check
    CHECK(has(r, "result: FAIL (exit 1)"));
  }
}

TEST_CASE("newer format: a checkpoint whose root does not match is still found (exit 1)") {
  for (const Case& c : cases()) {
    CAPTURE(c.what);
    Standard s;
    c.add(s);
    s.L.pay("riverside-pool", "carers-trust", 100, {&s.pool});
    size_t n = s.L.records.size();
    std::string dir = tempDir();
    writeFile(dir + "/good", s.L.checkpoint(n));
    writeFile(dir + "/bad", signNote(s.L.origin + "\n" + std::to_string(n) + "\n" + b64(sha256("another history")) + "\n",
                                     s.L.origin, s.L.log));
    std::string key = " --log-key " + quote(s.L.logKeyText());
    Result r = verifyLeaves(s.L.leaves(), "--checkpoint " + quote(dir + "/good") + key);
    CAPTURE(r.out);
    CHECK(r.rc == 2);  // the right checkpoint matches: the record itself is fine
    r = verifyLeaves(s.L.leaves(), "--checkpoint " + quote(dir + "/bad") + key);
    CAPTURE(r.out);
    CHECK(r.rc == 1);
    CHECK(has(r, "checkpoints: " + dir + "/bad: its root does not match records 0.." + std::to_string(n) + "-1"));
  }
}

TEST_CASE("newer format: its effects are skipped, its signers must hold some key, and --json names it") {
  // A payment of a newer mechanism that would overdraw the pool moves no money here.
  Standard s;
  uint64_t seq = payment(s, [](auto p) {
    p.setFrom("riverside-pool"), p.setAmount(40000000), p.setMechanism(unknown<schema::Mechanism>());
  }, {&s.pool, &s.poolApprover});
  uint64_t second = payment(s, [](auto p) { p.setMechanism(unknown<schema::Mechanism>()); });
  Result r = verifyLeaves(s.L.leaves(), "--json");
  REQUIRE(r.rc == 2);
  json j = json::parse(r.out);
  CHECK(j["result"] == "newer-format");
  CHECK(j["exit_code"] == 2);
  CHECK(j["failure_count"] == 0);
  CHECK(j["newer_format"]["count"] == 2);
  CHECK(j["newer_format"]["seqs"] == json::array({seq, second}));
  CHECK(j["newer_format"]["first"] == "payment.mechanism 99");
  for (const auto& t : j["totals"])
    if (t["party"] == "riverside-pool") CHECK(t["balance"] == "328750.00");
  for (const auto& c : j["checks"]) CHECK((c["status"] == "pass" || c["status"] == "skipped"));  // they all ran

  // Signed by a key no party holds: rule 1 at that seq, exit 1, and the JSON still well formed.
  Standard t;
  Keypair stranger = Keypair::fromSeed("stranger");
  uint64_t forged = payment(t, [](auto p) { p.setMechanism(unknown<schema::Mechanism>()); }, {&stranger});
  r = verifyLeaves(t.L.leaves(), "--json");
  REQUIRE(r.rc == 1);
  j = json::parse(r.out);
  CHECK(j["result"] == "fail");
  CHECK(j["newer_format"]["seqs"] == json::array({forged}));
  REQUIRE(j["failures"].size() == 1);
  CHECK(j["failures"][0]["seq"] == forged);
  CHECK(j["failures"][0]["check"] == "rule 1");

  // A key revoked before the record does not count either.
  Standard u;
  u.L.revoke("council", u.council);
  uint64_t late = payment(u, [](auto p) { p.setMechanism(unknown<schema::Mechanism>()); });
  r = verifyLeaves(u.L.leaves());
  CHECK(r.rc == 1);
  CHECK(has(r, "seq " + std::to_string(late) + ": rule 1: key " + u.council.b64() + " holds no key valid at this seq"));
}
