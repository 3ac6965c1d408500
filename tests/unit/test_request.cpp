// The request API (ledger/request.h): every spec kind round-trips through its
// canonical bytes, derived idempotency keys are those older releases derived,
// an unknown contract reference has one answer, and --funded-by text parses.
#include <doctest/doctest.h>

#include <set>

#include "ledger/hash.h"
#include "ledger/request.h"
#include "test_ledger_support.h"

using namespace ft_test;

namespace {

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
PublicKey key_of(capnp::Data::Reader d) {
  PublicKey k{};
  REQUIRE(d.size() == k.size());
  std::copy(d.begin(), d.end(), k.begin());
  return k;
}
std::vector<std::string> strs(capnp::List<capnp::Text>::Reader l) {
  std::vector<std::string> out;
  for (auto t : l) out.push_back(str(t));
  return out;
}
std::vector<spec::ScheduleRow> rows_of(capnp::List<schema::ScheduleRow>::Reader l) {
  std::vector<spec::ScheduleRow> out;
  for (auto r : l) out.push_back({str(r.getMilestone()), str(r.getGroup()), r.getUnitPrice(), r.getFinancedBy()});
  return out;
}

// Read back with the schema's own readers, field by field, independently of
// the encoder: a field the encoder dropped or swapped shows as a difference.
spec::Body decode(schema::Entry::Body::Reader b) {
  using W = schema::Entry::Body;
  switch (b.which()) {
    case W::GENESIS: {
      auto g = b.getGenesis();
      CHECK(g.getFormatVersion() == kFormatVersion);
      std::vector<PublicKey> admins;
      for (auto k : g.getAdminKeys()) admins.push_back(key_of(k));
      return spec::Genesis{str(g.getOrigin()), key_of(g.getLogPublicKey()), admins, str(g.getCurrency()),
                           g.getDualControlThreshold()};
    }
    case W::PARTY_REGISTERED: {
      auto p = b.getPartyRegistered();
      spec::PartyRegistered s{str(p.getId()), str(p.getName()), p.getKind(), p.getSector(), strs(p.getOrgIds()),
                              str(p.getControlledBy()), str(p.getParent()), strs(p.getMembers()), p.getBudgetLimited()};
      if (p.hasPoolTerms()) {
        auto t = p.getPoolTerms();
        spec::PoolTerms terms{str(t.getLegalBasis()), str(t.getHost()), {}, str(t.getPlaceCode())};
        for (auto sh : t.getShares()) terms.shares.push_back({str(sh.getParty()), sh.getBasisPoints()});
        s.pool_terms = terms;
      }
      return s;
    }
    case W::PARTY_STATUS_CHANGED: {
      auto p = b.getPartyStatusChanged();
      return spec::PartyStatusChanged{str(p.getParty()), p.getStatus(), p.getFrom(), str(p.getNote())};
    }
    case W::CONTRACT_AGREED: {
      auto c = b.getContractAgreed();
      return spec::ContractAgreed{str(c.getReference()), str(c.getPayer()),   str(c.getPayee()),
                                  str(c.getSubject()),   c.getStartDate(),    c.getEndDate(),
                                  c.getCap(),            str(c.getParent()),  c.getModel(),
                                  c.getHasFeeCap(),      c.getFeeCapBasisPoints(), rows_of(c.getSchedule())};
    }
    case W::CONTRACT_VARIED: {
      auto c = b.getContractVaried();
      return spec::ContractVaried{str(c.getReference()), c.getNewCap(), c.getNewEndDate(), c.getReplaceSchedule(),
                                  rows_of(c.getSchedule()), str(c.getReason())};
    }
    case W::CONTRACT_ENDED: {
      auto c = b.getContractEnded();
      return spec::ContractEnded{str(c.getReference()), c.getReason(), str(c.getSuccessor()), c.getDate()};
    }
    case W::KEY_GRANTED: {
      auto k = b.getKeyGranted();
      return spec::KeyGranted{str(k.getParty()), key_of(k.getPublicKey()), k.getRole()};
    }
    case W::KEY_REVOKED: {
      auto k = b.getKeyRevoked();
      return spec::KeyRevoked{str(k.getParty()), key_of(k.getPublicKey())};
    }
    case W::CONTRIBUTION: {
      auto c = b.getContribution();
      return spec::Contribution{str(c.getFrom()), str(c.getTo()), c.getAmount(), str(c.getCurrency()), c.getValueDate(),
                                str(c.getReference())};
    }
    case W::PAYMENT: {
      auto p = b.getPayment();
      spec::FundedBy fb;
      auto f = p.getFundedBy();
      if (f.isEntry()) fb = spec::FundedBy::entry(f.getEntry());
      else if (f.isOwn()) fb = spec::FundedBy::own();
      else if (f.isLoan()) fb = spec::FundedBy::loan();
      return spec::Payment{str(p.getFrom()), str(p.getTo()),          p.getAmount(),       str(p.getCurrency()),
                           p.getValueDate(), p.getMechanism(),        str(p.getMilestone()), p.getContractSeq(),
                           p.getOutcomeCount(), str(p.getGroup()),    strs(p.getClaimIds()), fb,
                           str(p.getMemo())};
    }
    case W::RESPONSIBILITY_ASSIGNED: {
      auto r = b.getResponsibilityAssigned();
      return spec::ResponsibilityAssigned{str(r.getAccountable()), strs(r.getResponsible()), str(r.getSubject()),
                                          r.getKind(), r.getStartDate(), r.getEndDate(), str(r.getContractRef())};
    }
    case W::RESPONSIBILITY_ENDED: {
      auto r = b.getResponsibilityEnded();
      return spec::ResponsibilityEnded{r.getAssignmentSeq(), str(r.getReason())};
    }
    case W::REVERSAL: {
      auto r = b.getReversal();
      return spec::Reversal{r.getTargetSeq(), str(r.getReason())};
    }
    case W::BATCH: break;  // not a spec body: run_request builds it (test_batches.cpp)
  }
  FAIL("unknown body kind");
  return spec::Reversal{};
}

PublicKey pk(uint8_t fill) {
  PublicKey k{};
  k.fill(fill);
  k[31] = 0x01;
  return k;
}

// One spec of every kind, every field set to something other than its default.
std::vector<spec::Body> every_kind() {
  using namespace schema;
  std::vector<spec::ScheduleRow> rows = {{"start", "jsa-18-24", 50000, FinancedBy::PAYER},
                                         {"26 weeks", "", 250000, FinancedBy::PARENT}};
  return {
      spec::Genesis{"test.example/ledger", pk(7), {pk(1), pk(2)}, "GBP", 1000000},
      spec::PartyRegistered{"pool", "Riverside pool", PartyKind::POOL, Sector::PUBLIC, {"GB-LAE-RVS", "360G-x-Org_12"},
                            "council", "council-office", {"a", "b"}, true,
                            spec::PoolTerms{"section 75 agreement", "council", {{"council", 6000}, {"nhs", 4000}}, "E06000023"}},
      spec::PartyRegistered{"sme", "SME Ltd", PartyKind::PROVIDER},  // no pool terms at all
      spec::PartyStatusChanged{"sme", PartyStatus::FINANCIAL_FAILURE, 20251114, "entered administration"},
      spec::ContractAgreed{"WP-1", "council", "prime", "employment support", 20250401, 20270331, 300000, "HEAD",
                           IntegratorModel::BLENDED, true, 750, rows},
      spec::ContractVaried{"WP-1", 400000, 20280331, true, rows, "caseload up"},
      spec::ContractEnded{"WP-1", EndReason::TRANSFERRED, "newco", 20251130},
      spec::KeyGranted{"council", pk(3), Role::APPROVER},
      spec::KeyRevoked{"council", pk(4)},
      spec::Contribution{"council", "pool", 25000000, "GBP", 20250401, "S75 year 1"},
      spec::Payment{"pool", "prime", 120000, "GBP", 20250402, Mechanism::MILESTONE, "job entry", 17, 2, "jsa-18-24",
                    {"c-001", "c-002"}, spec::FundedBy::entry(11), "quarter 1"},
      spec::Payment{"prime", "sme", 500, "GBP", 20250403, Mechanism::LOAN, "", 0, 0, "", {}, spec::FundedBy::loan(), ""},
      spec::Payment{"prime", "sme", 600, "GBP", 20250403, Mechanism::FEE, "", 0, 0, "", {}, spec::FundedBy::own(), ""},
      spec::ResponsibilityAssigned{"council", {"prime", "sme"}, "employment support", ResponsibilityKind::LAST_RESORT,
                                   20250401, 20260331, "WP-1"},
      spec::ResponsibilityEnded{42, "recommissioned"},
      spec::Reversal{43, "keyed in error"},
  };
}

}  // namespace

TEST_CASE("request: every spec kind round-trips through its canonical Entry bytes") {
  auto kinds = every_kind();
  CHECK(kinds.size() >= std::variant_size_v<spec::Body>);
  for (const auto& body : kinds) {
    Bytes bytes = encode_entry("test.example/ledger", 1700000000123, "idem-1", body);
    EntryView view(bytes);  // canonical and typed, or it throws
    auto e = view.entry();
    CHECK(str(e.getOrigin()) == "test.example/ledger");
    CHECK(e.getCreatedAt() == 1700000000123);
    CHECK(str(e.getIdempotencyKey()) == "idem-1");
    CHECK_MESSAGE(decode(e.getBody()) == body, "body kind index " << body.index());
    // Equal specs, equal bytes: the derived key depends on it.
    CHECK(encode_entry("test.example/ledger", 1700000000123, "idem-1", body) == bytes);
  }
  std::set<size_t> seen;
  for (const auto& body : kinds) seen.insert(body.index());
  CHECK(seen.size() == std::variant_size_v<spec::Body>);
}

// The body hash from bytes skips the decode for every kind but genesis; it
// must be the hash of the decoded entry's canonical form with createdAt 0.
TEST_CASE("request: the body hash from canonical bytes equals the decoded one, for every kind") {
  int fast = 0;
  for (const auto& body : every_kind()) {
    Bytes bytes = encode_entry("test.example/ledger", 1700000000123, "idem-1", body);
    Hash from_bytes = request_body_hash(bytes);
    CHECK_MESSAGE(from_bytes == request_body_hash(EntryView(bytes).entry()), "body kind index " << body.index());
    // createdAt is not part of the request; the key and the body are.
    CHECK(request_body_hash(encode_entry("test.example/ledger", 1800000000000, "idem-1", body)) == from_bytes);
    CHECK(request_body_hash(encode_entry("test.example/ledger", 1700000000123, "idem-2", body)) != from_bytes);
    CHECK(request_body_hash(encode_entry("test.example/ledger", 0, "idem-1", body)) == from_bytes);
    fast += !std::holds_alternative<spec::Genesis>(body);
  }
  CHECK(fast >= 13);
}

TEST_CASE("request: the derived idempotency key is the one older releases derived") {
  spec::Payment p{"pool", "prime", 120000, "GBP", 20250402, schema::Mechanism::BLOCK, "", 0, 0, "", {},
                  spec::FundedBy::own(), "quarter 1"};
  // The old algorithm, as cli/context.cpp had it: the CLI's own body filler,
  // every field set, createdAt 0 and an empty key.
  Bytes old = build_entry("test.example/ledger", 0, "", [](schema::Entry::Body::Builder b) {
    auto x = b.initPayment();
    x.setFrom("pool");
    x.setTo("prime");
    x.setAmount(120000);
    x.setCurrency("GBP");
    x.setValueDate(20250402);
    x.setMechanism(schema::Mechanism::BLOCK);
    x.setMilestone("");
    x.setContractSeq(0);
    x.setOutcomeCount(0);
    x.setGroup("");
    x.initClaimIds(0);
    x.getFundedBy().setOwn();
    x.setMemo("quarter 1");
  });
  Hash h = sha256(old);
  std::string want = "auto-" + hex(std::span<const uint8_t>(h.data(), 16));
  CHECK(derived_idempotency_key("test.example/ledger", p) == want);
  CHECK(want.size() == 5 + 32);
  // Another origin, another key: no replay of a derived key across ledgers.
  CHECK(derived_idempotency_key("other.example/ledger", p) != want);
}

TEST_CASE("request: sign_request signs the entry once per key") {
  KeyPair a = generate_key("a"), b = generate_key("b");
  Bytes e = encode_entry("o", 1, "k", spec::Reversal{1, "r"});
  SignedRequest r = fundtrail::sign_request(e, {&a, &b});
  CHECK(r.entry == e);
  REQUIRE(r.signatures.size() == 2);
  CHECK(r.signatures[0].pk == a.pk);
  CHECK(r.signatures[1].pk == b.pk);
  CHECK(r.signatures[1].sig == sign_entry(e, b).sig);
}

TEST_CASE("request: contract_seq_for names a contract by reference, and refuses an unknown one by rule 9") {
  World w;
  ContractSpec c;
  c.reference = "WP-1";
  c.payer = "council";
  c.payee = "prime";
  uint64_t seq = w.append(contract_agreed(w, c, {w.council_off}));
  CHECK(contract_seq_for(w.L(), "WP-1") == seq);
  try {
    contract_seq_for(w.L(), "NOPE");
    FAIL("an unknown contract was accepted");
  } catch (const Error& e) {
    CHECK(e.kind == ErrorKind::refused);
    CHECK(e.check == "rule 9");
    CHECK(e.field == "contract");
    CHECK_FALSE(e.seq.has_value());
    CHECK(contains(e.what(), "rule 9: no contract with reference 'NOPE'"));
    CHECK(exit_code(e) == 1);
  }
}

TEST_CASE("request: --funded-by text") {
  CHECK(parse_funded_by("own") == spec::FundedBy::own());
  CHECK(parse_funded_by("loan") == spec::FundedBy::loan());
  CHECK(parse_funded_by("17") == spec::FundedBy::entry(17));
  CHECK(parse_funded_by("18446744073709551615") == spec::FundedBy::entry(UINT64_MAX));
  // Seq 0 parses: that genesis is no contribution, contract or payment is the writer's rule 2.
  CHECK(parse_funded_by("0") == spec::FundedBy::entry(0));

  auto refused = [](std::string_view text, std::string_view option = "--funded-by") {
    try {
      parse_funded_by(text, option);
    } catch (const Error& e) {
      CHECK(e.kind == ErrorKind::unusable);
      CHECK(exit_code(e) == 2);
      CHECK(e.check.empty());
      return std::string(e.what());
    }
    FAIL("accepted '" << std::string(text) << "'");
    return std::string();
  };
  std::string big = refused("18446744073709551616");
  CHECK(contains(big, "--funded-by '18446744073709551616'"));
  CHECK(contains(big, "18446744073709551615"));
  CHECK(contains(refused("-1"), "--funded-by '-1' must be a seq number, 'own' or 'loan'"));
  CHECK(contains(refused("12x"), "--funded-by '12x'"));
  CHECK(contains(refused(""), "--funded-by ''"));
  CHECK(contains(refused("OWN"), "'own'"));
  CHECK(contains(refused(" 12"), "--funded-by ' 12'"));
  CHECK(contains(refused("x", "funded_by"), "funded_by 'x'"));  // the import names its column
}

TEST_CASE("request: genesis_request lists and is signed by every administrator") {
  KeyPair log = generate_key("log"), a = generate_key("a"), b = generate_key("b");
  SignedRequest g = genesis_request({"o.example/l", log.pk, {pk(9)}, "GBP", 100}, {&a, &b}, 5);
  EntryView v(g.entry);
  CHECK(str(v.entry().getIdempotencyKey()) == "genesis");
  CHECK(decode(v.entry().getBody()) == spec::Body(spec::Genesis{"o.example/l", log.pk, {a.pk, b.pk}, "GBP", 100}));
  CHECK(g.signatures.size() == 2);
  TempDir tmp;
  Ledger l = Ledger::create(tmp.sub("l"), g);
  CHECK(l.facts().dual_control_threshold == 100);
}
