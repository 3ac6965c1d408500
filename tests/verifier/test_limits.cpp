// The `format` and `limits` rows of docs/rules.md's Checks table, field by
// field: every text and list limit at its limit passes and one over fails
// `limits` naming the field; control characters, dates, keys, required text
// and createdAt fail `format`; a contract chain of 32 passes and 33 fails.
// Ledgers are written byte by byte (builder.h), never through ledger/.
#include <doctest/doctest.h>

#include <functional>

#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;
using K = schema::PartyKind;
using json = nlohmann::json;

namespace {

json verifyJson(const std::vector<Bytes>& leaves, bool asDirectory = false) {
  std::string path = tempDir() + (asDirectory ? "/ledger" : "/ledger.bundle");
  if (asDirectory) writeLmdb(path, leaves);
  else writeBundle(path, leaves);
  Result r = runVerify(quote(path) + " --json --max-failures 100000");
  CAPTURE(r.err);
  REQUIRE(!r.out.empty());
  json j = json::parse(r.out);
  REQUIRE(j["exit_code"] == r.rc);
  return j;
}

// Does the report hold a failure of `check` at `seq` (about `field`, when given)?
bool failed(const json& j, uint64_t seq, const std::string& check, const std::string& field = "") {
  for (const auto& f : j["failures"])
    if (f["seq"] == seq && f["check"] == check && (field.empty() || f["field"] == field)) return true;
  return false;
}

std::string failuresText(const json& j) {
  std::string s;
  for (const auto& f : j["failures"]) s += f["text"].get<std::string>() + "\n";
  return s;
}

// `tag` padded with 'a' to exactly n bytes.
std::string fill(const std::string& tag, size_t n) { return n <= tag.size() ? tag.substr(0, n) : tag + std::string(n - tag.size(), 'a'); }

capnp::Data::Reader data(const Bytes& b) { return {reinterpret_cast<const kj::byte*>(b.data()), b.size()}; }

struct Case {
  std::string field;
  size_t limit;
  // Appends what the case needs with a text of n bytes (or a list of n entries); returns the seq to look at.
  std::function<uint64_t(Standard&, size_t)> add;
};

uint64_t register_(Standard& s, const std::function<void(schema::PartyRegistered::Builder)>& fill) {
  return s.L.add([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPartyRegistered();
    p.setName("A party");
    p.setKind(K::PROVIDER);
    fill(p);
  }, {&s.L.admin});
}

uint64_t pool(Standard& s, const std::string& id, const std::function<void(schema::PoolTerms::Builder)>& terms) {
  return register_(s, [&](auto p) {
    p.setId(id), p.setKind(K::POOL);
    terms(p.initPoolTerms());
  });
}

std::vector<Case> cases() {
  using P = Ledger::Payment;
  std::vector<Case> c;
  // Text limits in UTF-8 bytes.
  c.push_back({"partyRegistered.id", 64, [](Standard& s, size_t n) { return s.L.registerParty(fill("id", n), K::PROVIDER); }});
  c.push_back({"payment.to", 64, [](Standard& s, size_t n) {
                 s.L.registerParty(fill("to", n), K::PROVIDER);
                 return s.L.pay("council", fill("to", n), 100, {&s.council});
               }});
  c.push_back({"payment.claimIds[0]", 64, [](Standard& s, size_t n) {
                 return s.L.payment(P{.from = "council", .to = "carers-trust", .amount = 100,
                                      .outcomeCount = 1, .claims = {fill("claim", n)}}, {&s.council});
               }});
  c.push_back({"partyRegistered.poolTerms.placeCode", 64, [](Standard& s, size_t n) {
                 return pool(s, "place-pool", [&](auto t) { t.setPlaceCode(fill("E", n)); });
               }});
  c.push_back({"partyRegistered.orgIds[0]", 200, [](Standard& s, size_t n) {
                 return s.L.registerParty("org-party", K::PROVIDER, false, {fill("360G-fund-", n)});
               }});
  c.push_back({"partyRegistered.name", 200, [](Standard& s, size_t n) {
                 return register_(s, [&](auto p) { p.setId("named"), p.setName(fill("Name ", n)); });
               }});
  c.push_back({"partyRegistered.poolTerms.legalBasis", 200, [](Standard& s, size_t n) {
                 return pool(s, "basis-pool", [&](auto t) { t.setLegalBasis(fill("section 75 ", n)); });
               }});
  c.push_back({"contractAgreed.subject", 200, [](Standard& s, size_t n) {
                 return s.L.agree({.reference = "C-SUBJ", .payer = "council", .payee = "prime-co", .subject = fill("S", n)},
                                  {&s.council});
               }});
  c.push_back({"contractAgreed.reference", 200, [](Standard& s, size_t n) {
                 return s.L.agree({.reference = fill("C-REF-", n), .payer = "council", .payee = "prime-co"}, {&s.council});
               }});
  c.push_back({"contractAgreed.parent", 200, [](Standard& s, size_t n) {
                 s.L.agree({.reference = fill("C-HEAD-", n), .payer = "council", .payee = "prime-co"}, {&s.council});
                 return s.L.agree({.reference = "C-SUB", .payer = "prime-co", .payee = "carers-trust",
                                   .parent = fill("C-HEAD-", n)}, {&s.prime});
               }});
  c.push_back({"contribution.reference", 200, [](Standard& s, size_t n) {
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto x = e.getBody().initContribution();
                   x.setFrom("council"), x.setTo("riverside-pool"), x.setAmount(100), x.setCurrency("GBP");
                   x.setValueDate(20251124), x.setReference(fill("INV-", n));
                 }, {&s.council});
               }});
  c.push_back({"responsibilityAssigned.contractRef", 200, [](Standard& s, size_t n) {
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto a = e.getBody().initResponsibilityAssigned();
                   a.setAccountable("council"), a.initResponsible(1).set(0, "carers-trust"), a.setSubject("care");
                   a.setContractRef(fill("REF-", n));
                 }, {&s.council});
               }});
  c.push_back({"payment.milestone", 100, [](Standard& s, size_t n) {
                 return s.L.payment(P{.from = "council", .to = "carers-trust", .amount = 100, .milestone = fill("m", n)},
                                    {&s.council});
               }});
  c.push_back({"payment.group", 100, [](Standard& s, size_t n) {
                 return s.L.payment(P{.from = "council", .to = "carers-trust", .amount = 100, .group = fill("g", n)},
                                    {&s.council});
               }});
  c.push_back({"contractAgreed.schedule[0].milestone", 100, [](Standard& s, size_t n) {
                 return s.L.agree({.reference = "C-MS", .payer = "council", .payee = "prime-co",
                                   .schedule = {{fill("ms", n), "", 100}}}, {&s.council});
               }});
  c.push_back({"contractAgreed.schedule[0].group", 100, [](Standard& s, size_t n) {
                 return s.L.agree({.reference = "C-GR", .payer = "council", .payee = "prime-co",
                                   .schedule = {{"start", fill("gr", n), 100}}}, {&s.council});
               }});
  c.push_back({"idempotencyKey", 128, [](Standard& s, size_t n) {
                 return s.L.add(s.L.entry([&](schema::Entry::Builder e) {
                   auto p = e.getBody().initPayment();
                   p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(100), p.setCurrency("GBP");
                   p.setValueDate(20251125);
                 }, fill("key-", n)), {&s.council});
               }});
  c.push_back({"payment.memo", 1000, [](Standard& s, size_t n) {
                 return s.L.pay("council", "carers-trust", 100, {&s.council}, fill("memo ", n));
               }});
  c.push_back({"partyStatusChanged.note", 1000, [](Standard& s, size_t n) {
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto x = e.getBody().initPartyStatusChanged();
                   x.setParty("prime-co"), x.setFrom(20300101), x.setNote(fill("note ", n));
                 }, {&s.L.admin});
               }});
  c.push_back({"reversal.reason", 1000, [](Standard& s, size_t n) {
                 uint64_t p = s.L.pay("council", "carers-trust", 100, {&s.council});
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto r = e.getBody().initReversal();
                   r.setTargetSeq(p), r.setReason(fill("reason ", n));
                 }, {&s.council});
               }});
  c.push_back({"contractVaried.reason", 1000, [](Standard& s, size_t n) {
                 s.L.agree({.reference = "C-VARY", .payer = "council", .payee = "prime-co"}, {&s.council});
                 return s.L.vary("C-VARY", 0, 20271231, nullptr, {&s.council}, fill("why ", n));
               }});
  c.push_back({"responsibilityEnded.reason", 1000, [](Standard& s, size_t n) {
                 uint64_t a = s.L.assign("council", "carers-trust", "respite care", {&s.council});
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto x = e.getBody().initResponsibilityEnded();
                   x.setAssignmentSeq(a), x.setReason(fill("ended ", n));
                 }, {&s.council});
               }});
  // List limits.
  c.push_back({"signatures", 16, [](Standard& s, size_t n) {
                 std::vector<Keypair> keys;
                 for (size_t i = 0; i < n; ++i) keys.push_back(Keypair::fromSeed("nhs key " + std::to_string(i)));
                 std::vector<const Keypair*> signers;
                 for (const auto& k : keys) s.L.grant("nhs", k, schema::Role::OFFICER), signers.push_back(&k);
                 return s.L.pay("nhs", "carers-trust", 100, signers);
               }});
  c.push_back({"partyRegistered.orgIds", 16, [](Standard& s, size_t n) {
                 std::vector<std::string> ids;
                 for (size_t i = 0; i < n; ++i) ids.push_back("GB-MANY-" + std::to_string(i));
                 return s.L.registerParty("many-ids", K::PROVIDER, false, ids);
               }});
  c.push_back({"partyRegistered.members", 256, [](Standard& s, size_t n) {
                 return register_(s, [&](auto p) {
                   p.setId("collab"), p.setKind(K::COLLABORATIVE);
                   auto m = p.initMembers(unsigned(n));
                   for (unsigned i = 0; i < n; ++i) m.set(i, "m" + std::to_string(i));
                 });
               }});
  c.push_back({"partyRegistered.poolTerms.shares", 256, [](Standard& s, size_t n) {
                 return pool(s, "shared-pool", [&](auto t) {
                   auto sh = t.initShares(unsigned(n));
                   for (unsigned i = 0; i < n; ++i) sh[i].setParty("m" + std::to_string(i)), sh[i].setBasisPoints(1);
                 });
               }});
  c.push_back({"responsibilityAssigned.responsible", 256, [](Standard& s, size_t n) {
                 return s.L.add([&](schema::Entry::Builder e) {
                   auto a = e.getBody().initResponsibilityAssigned();
                   a.setAccountable("council"), a.setSubject("everyone");
                   auto r = a.initResponsible(unsigned(n));
                   for (unsigned i = 0; i < n; ++i) r.set(i, "m" + std::to_string(i));
                 }, {&s.council});
               }});
  c.push_back({"contractAgreed.schedule", 1024, [](Standard& s, size_t n) {
                 Ledger::Terms t{.reference = "C-ROWS", .payer = "council", .payee = "prime-co"};
                 for (size_t i = 0; i < n; ++i) t.schedule.push_back({"row" + std::to_string(i), "", 100});
                 return s.L.agree(t, {&s.council});
               }});
  c.push_back({"payment.claimIds", 1024, [](Standard& s, size_t n) {
                 P p{.from = "council", .to = "carers-trust", .amount = 100, .outcomeCount = uint32_t(n)};
                 for (size_t i = 0; i < n; ++i) p.claims.push_back("claim-" + std::to_string(i));
                 return s.L.payment(p, {&s.council});
               }});
  return c;
}

// The standard ledger and 257 registered parties m0..m256 for the list cases.
void withMembers(Standard& s) {
  for (int i = 0; i <= 256; ++i) s.L.registerParty("m" + std::to_string(i), K::PROVIDER);
}

}  // namespace

TEST_CASE("limits: every text and list at its limit passes") {
  Standard s;
  withMembers(s);
  for (const Case& c : cases()) c.add(s, c.limit);
  json j = verifyJson(s.L.leaves());
  CAPTURE(failuresText(j));
  CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
  CHECK(j["failure_count"] == 0);
}

TEST_CASE("limits: every text and list one over its limit fails `limits`, naming the field") {
  Standard s;
  withMembers(s);
  std::vector<std::pair<const Case*, uint64_t>> at;
  std::vector<Case> all = cases();
  for (const Case& c : all) at.emplace_back(&c, c.add(s, c.limit + 1));
  json j = verifyJson(s.L.leaves());
  CAPTURE(failuresText(j));
  CHECK(j["exit_code"] == 1);
  for (auto [c, seq] : at) CHECK_MESSAGE(failed(j, seq, "limits", c->field), "seq " << seq << ": limits: " << c->field);
  // Over a limit is `limits`, never `format`, for these fields.
  for (auto [c, seq] : at) CHECK_MESSAGE(!failed(j, seq, "format", c->field), "seq " << seq << ": format: " << c->field);
}

TEST_CASE("limits: origin 200, genesis administrator keys 16, currency 16 bytes") {
  for (size_t n : {size_t(200), size_t(201)}) {
    Ledger L(fill("example.gov.uk/", n));
    L.registerParty("council", K::COMMISSIONER);
    json j = verifyJson(L.leaves());
    CAPTURE(failuresText(j));
    if (n == 200) CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
    else CHECK((failed(j, 0, "limits", "genesis.origin") && failed(j, 0, "limits", "origin") &&
                failed(j, 1, "limits", "origin")));
  }
  for (size_t n : {size_t(16), size_t(17)}) {
    Ledger L;
    L.records.clear();
    std::vector<Keypair> admins;
    for (size_t i = 0; i < n; ++i) admins.push_back(Keypair::fromSeed("admin " + std::to_string(i)));
    L.add([&](schema::Entry::Builder e) {
      auto g = e.getBody().initGenesis();
      g.setFormatVersion(1), g.setOrigin(L.origin), g.setLogPublicKey(data(L.log.pub()));
      auto keys = g.initAdminKeys(unsigned(n));
      for (unsigned i = 0; i < n; ++i) keys.set(i, data(admins[i].pub()));
      g.setCurrency("GBP"), g.setDualControlThreshold(1000);
    }, {&admins[0]});
    json j = verifyJson(L.leaves());
    CAPTURE(failuresText(j));
    if (n == 16) CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
    else CHECK(failed(j, 0, "limits", "genesis.adminKeys"));
  }
  // A payment's currency of 16 bytes is within its limit (and fails rule 3: not the ledger's); 17 is over.
  Standard s;
  auto pay = [&](size_t n) {
    return s.L.add([&](schema::Entry::Builder e) {
      auto p = e.getBody().initPayment();
      p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(100), p.setCurrency(fill("GBP", n));
      p.setValueDate(20251125);
    }, {&s.council});
  };
  uint64_t at16 = pay(16), at17 = pay(17);
  json j = verifyJson(s.L.leaves());
  CHECK(failed(j, at16, "rule 3"));
  CHECK(!failed(j, at16, "limits"));
  CHECK(failed(j, at17, "limits", "payment.currency"));
}

TEST_CASE("limits: a SignedEntry of at most 65,535 bytes passes, a larger one fails `limits`") {
  // A payment of n 64-byte claim ids (80 bytes each) and a memo (8-byte steps): find 65,528 bytes exactly.
  auto build = [](Standard& s, size_t claims, size_t memo) {
    Ledger::Payment p{.from = "council", .to = "carers-trust", .amount = 100, .outcomeCount = uint32_t(claims)};
    for (size_t i = 0; i < claims; ++i) p.claims.push_back(fill("claim-" + std::to_string(i) + "-", 64));
    uint64_t seq = s.L.payment(p, {&s.council});
    s.L.records[seq].entry = s.L.entry([&](schema::Entry::Builder e) {
      auto b = e.getBody().initPayment();
      b.setFrom(p.from), b.setTo(p.to), b.setAmount(p.amount), b.setCurrency("GBP"), b.setValueDate(20251125);
      b.setOutcomeCount(p.outcomeCount), b.setMemo(std::string(memo, 'x'));
      auto ids = b.initClaimIds(unsigned(claims));
      for (unsigned i = 0; i < claims; ++i) ids.set(i, p.claims[i]);
    }, "big-" + std::to_string(claims) + "-" + std::to_string(memo));
    Record r = Ledger::sign(s.L.records[seq].entry, {&s.council});
    r.recordedAt = s.L.records[seq].recordedAt;
    s.L.records[seq] = r;
    return seq;
  };
  auto sizeOf = [&](size_t claims, size_t memo) {
    Standard s;
    uint64_t seq = build(s, claims, memo);
    return s.L.leaves()[seq].size();
  };
  size_t claims = 700;
  while (sizeOf(claims + 1, 0) <= 65528) ++claims;
  size_t memo = 0;
  while (sizeOf(claims, memo) < 65528) memo += 8;
  REQUIRE(sizeOf(claims, memo) == 65528);  // the largest whole number of words within 65,535
  Standard ok, big;
  uint64_t fits = build(ok, claims, memo);
  uint64_t over = build(big, claims, memo + 8);
  REQUIRE(big.L.leaves()[over].size() == 65536);
  json j = verifyJson(ok.L.leaves(), true);
  CAPTURE(failuresText(j));
  CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
  CHECK(!failed(j, fits, "limits"));
  j = verifyJson(big.L.leaves(), true);
  CHECK(j["exit_code"] == 1);
  CHECK(failed(j, over, "limits"));
  CHECK(!failed(j, over, "canonical"));
}

TEST_CASE("format: control characters, UTF-8, required text, slugs, keys, dates in 1900-2999, createdAt") {
  Standard good;
  auto& G = good.L;
  G.pay("council", "carers-trust", 100, {&good.council}, "line one\nline two\twith a tab");
  register_(good, [](auto p) { p.setId("tabbed"), p.setName("Name\twith a tab\nand a newline"); });
  for (uint32_t d : {19000101u, 29991231u, 20240229u}) {
    G.add([&](schema::Entry::Builder e) {
      auto p = e.getBody().initPayment();
      p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(1), p.setCurrency("GBP"), p.setValueDate(d);
    }, {&good.council});
  }
  json j = verifyJson(G.leaves());
  CAPTURE(failuresText(j));
  CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key

  Standard bad;
  auto& L = bad.L;
  auto payWith = [&](const std::function<void(schema::Payment::Builder)>& f) {
    return L.add([&](schema::Entry::Builder e) {
      auto p = e.getBody().initPayment();
      p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(1), p.setCurrency("GBP"), p.setValueDate(20251125);
      f(p);
    }, {&bad.council});
  };
  struct Expected {
    uint64_t seq;
    std::string field;
  };
  std::vector<Expected> want{
      // (a std::string would stop at the NUL)
      {payWith([](auto p) { p.setMemo(capnp::Text::Reader("a\0b", 3)); }), "payment.memo"},
      {payWith([](auto p) { p.setMemo("carriage\rreturn"); }), "payment.memo"},
      {payWith([](auto p) { p.setMemo("delete\x7F"); }), "payment.memo"},
      {payWith([](auto p) { p.setMemo("\xFF\xFE not UTF-8"); }), "payment.memo"},
      {payWith([](auto p) { p.setMilestone("tab\tin a milestone"); }), "payment.milestone"},
      {payWith([](auto p) { p.setTo("carers-trust\n"); }), "payment.to"},
      {payWith([](auto p) { p.setFrom(""); }), "payment.from"},
      {payWith([](auto p) { p.setValueDate(18991231); }), "payment.valueDate"},
      {payWith([](auto p) { p.setValueDate(30000101); }), "payment.valueDate"},
      {payWith([](auto p) { p.setValueDate(20250229); }), "payment.valueDate"},
      {payWith([](auto p) { p.setValueDate(0); }), "payment.valueDate"},
      {register_(bad, [](auto p) { p.setId("new\nline"); }), "partyRegistered.id"},
      {register_(bad, [](auto p) { p.setId("Upper-Case"); }), "partyRegistered.id"},
      {register_(bad, [](auto p) { p.setId("nameless"), p.setName(""); }), "partyRegistered.name"},
      {L.add([&](schema::Entry::Builder e) {
         auto g = e.getBody().initKeyGranted();
         g.setParty("council"), g.setPublicKey(data(Bytes(31, 'k'))), g.setRole(schema::Role::OFFICER);
       }, {&L.admin}), "keyGranted.publicKey"},
      {L.add([&](schema::Entry::Builder e) {
         e.setCreatedAt(-1);
         auto p = e.getBody().initPayment();
         p.setFrom("council"), p.setTo("carers-trust"), p.setAmount(1), p.setCurrency("GBP"), p.setValueDate(20251125);
       }, {&bad.council}), "createdAt"},
  };
  j = verifyJson(L.leaves());
  CAPTURE(failuresText(j));
  CHECK(j["exit_code"] == 1);
  for (const auto& w : want) CHECK_MESSAGE(failed(j, w.seq, "format", w.field), "seq " << w.seq << ": format: " << w.field);
}

TEST_CASE("limits: a contract chain of 32 passes, a 33rd contract fails `limits` and is still checked against") {
  Ledger L;
  Keypair officer = Keypair::fromSeed("chain officer");
  for (int i = 0; i <= 34; ++i) {
    L.registerParty("c" + std::to_string(i), K::INTEGRATOR);
    L.grant("c" + std::to_string(i), officer, schema::Role::OFFICER);
  }
  std::vector<uint64_t> seqs;
  auto link = [&](int i) {  // contract i: c(i-1) pays c(i), under contract i-1
    seqs.push_back(L.agree({.reference = "K" + std::to_string(i), .payer = "c" + std::to_string(i - 1),
                            .payee = "c" + std::to_string(i), .parent = i > 1 ? "K" + std::to_string(i - 1) : ""},
                           {&officer}));
  };
  for (int i = 1; i <= 32; ++i) link(i);
  json j = verifyJson(L.leaves());
  CAPTURE(failuresText(j));
  CHECK(j["result"] == "consistent");  // clean, not anchored: no --log-key
  CHECK(j["counts"]["contracts"] == 32);

  link(33);
  uint64_t under = L.payment({.from = "c32", .to = "c33", .amount = 100, .contractSeq = seqs.back()}, {&officer});
  link(34);
  j = verifyJson(L.leaves());
  CAPTURE(failuresText(j));
  CHECK(j["exit_code"] == 1);
  CHECK(failed(j, seqs[32], "limits", "contractAgreed.parent"));
  CHECK(failed(j, seqs[33], "limits", "contractAgreed.parent"));
  // The 33rd is kept: a payment under it is checked as usual, not refused as under an unknown contract.
  CHECK(j["failure_count"] == 2);
  CHECK(!failed(j, under, "rule 9"));
}
