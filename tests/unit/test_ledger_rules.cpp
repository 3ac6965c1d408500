// Append rules 1-8 (docs/rules.md): for each, a request where it holds and
// requests that break it. Every refusal must be Error(refused) whose message
// starts "rule N:", and must leave the ledger exactly as it was (size, root,
// head, balances, grants, reversals): expect_refused checks all of that.
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <limits>

#include "test_ledger_support.h"

using namespace ft_test;

// ---------------------------------------------------------------- genesis ---

TEST_CASE("genesis: record 0 registers party 'ledger' and its administrator keys") {
  Fixture f;
  CHECK(f.L().size() == 1);
  CHECK(f.L().facts().origin == "test.example/ledger");
  CHECK(f.L().facts().currency == "GBP");
  CHECK(f.L().facts().exponent == 2);
  CHECK(f.L().facts().dual_control_threshold == kThreshold);
  CHECK(f.L().facts().log_key == f.log.pk);
  auto ledger = f.L().party("ledger");
  REQUIRE(ledger);
  CHECK(ledger->kind == PartyKind::OFFICE);
  CHECK(ledger->balance == 0);
  auto grants = f.L().grants();
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].party == "ledger");
  CHECK(grants[0].key == f.admin.pk);
  CHECK(grants[0].role == Role::ADMINISTRATOR);
  CHECK(grants[0].granted_at == 0);
  CHECK_FALSE(grants[0].revoked);
  CHECK(f.L().find_idempotency_key("genesis") == std::optional<uint64_t>(0));
  Record r(f.L().leaf(0));
  CHECK(r.leaf().getSeq() == 0);
  CHECK(r.entry().getBody().isGenesis());
}

namespace {
// Ledger::create must refuse `genesis` by that check and leave no ledger behind.
std::string expect_genesis_refused(const SignedRequest& genesis, CheckId rule) {
  TempDir tmp;
  std::string dir = tmp.sub("ledger");
  std::string msg;
  try {
    Ledger::create(dir, genesis);
    FAIL("genesis accepted, expected " << rule.id);
  } catch (const Error& e) {
    msg = e.what();
    CHECK(e.check == rule.id);
    CHECK(e.kind == kind_of_check(rule.id));
  }
  CHECK_MESSAGE(starts_with(msg, rule.id + ":"), msg);
  CHECK_THROWS_AS(Ledger::open(dir), Error);
  return msg;
}
}  // namespace

TEST_CASE("genesis: refusals name their rule") {
  KeyPair log = generate_key("log"), admin = generate_key("admin"), other = generate_key("other");
  SUBCASE("rule 1: signed by a key that is not one of its administrators") {
    expect_genesis_refused(genesis_request(log, {admin.pk}, {other}), 1);
  }
  SUBCASE("rule 1: a signature that does not verify") {
    auto g = genesis_request(log, {admin.pk}, {admin});
    g.signatures[0].sig[5] ^= 1;
    expect_genesis_refused(g, 1);
  }
  SUBCASE("rule 1: no signature at all") { expect_genesis_refused(genesis_request(log, {admin.pk}, {}), 1); }
  SUBCASE("rule 3: unknown currency") {
    GenesisOptions o;
    o.currency = "ZZZ";
    CHECK(contains(expect_genesis_refused(genesis_request(log, {admin.pk}, {admin}, o), 3), "ZZZ"));
  }
  SUBCASE("rule 5: the dual-control threshold must be positive") {
    GenesisOptions o;
    o.threshold = 0;
    expect_genesis_refused(genesis_request(log, {admin.pk}, {admin}, o), 5);
  }
  SUBCASE("rule 8: the entry's origin differs from the genesis origin") {
    GenesisOptions o;
    o.entry_origin = "elsewhere";
    expect_genesis_refused(genesis_request(log, {admin.pk}, {admin}, o), 8);
  }
  SUBCASE("rule 8: createdAt far ahead of the ledger's clock") {
    GenesisOptions o;
    o.created_at = now_ms() + 24 * 3600 * 1000LL;
    expect_genesis_refused(genesis_request(log, {admin.pk}, {admin}, o), 8);
  }
  SUBCASE("canonical: non-canonical genesis bytes") {
    auto g = genesis_request(log, {admin.pk}, {admin});
    g.entry.insert(g.entry.end(), 8, 0);
    expect_genesis_refused(sign_request(g.entry, {admin}), "canonical");
  }
  SUBCASE("format: no administrator key") { expect_genesis_refused(genesis_request(log, {}, {admin}), "format"); }
  SUBCASE("rule 2: an administrator key given twice") {
    expect_genesis_refused(genesis_request(log, {admin.pk, admin.pk}, {admin}), 2);
  }
  SUBCASE("rule 2: an origin that cannot name a signed-note key") {
    GenesisOptions o;
    o.origin = "has space";
    expect_genesis_refused(genesis_request(log, {admin.pk}, {admin}, o), 2);
  }
  SUBCASE("format: record 0 must be genesis") {
    auto e = encode_entry("test.example/ledger", now_ms(), "k", spec::PartyRegistered{.id = "council", .name = "Council"});
    expect_genesis_refused(sign_request(e, {admin}), "format");
  }
}

TEST_CASE("genesis: createdAt a little ahead is accepted and recordedAt is the ledger's own clock") {
  TempDir tmp;
  KeyPair log = generate_key("log"), admin = generate_key("admin");
  GenesisOptions o;
  o.created_at = now_ms() + 60 * 1000;
  int64_t before = now_ms();
  Ledger l = Ledger::create(tmp.sub("l"), genesis_request(log, {admin.pk}, {admin}, o));
  int64_t after = now_ms();
  Record r(l.leaf(0));
  CHECK(r.leaf().getRecordedAt() >= before);
  CHECK(r.leaf().getRecordedAt() <= after);
}

TEST_CASE("genesis: a newer formatVersion is unusable input") {
  TempDir tmp;
  KeyPair log = generate_key("log"), admin = generate_key("admin");
  GenesisOptions o;
  o.format_version = kFormatVersion + 1;
  std::string newer = "format version " + std::to_string(kFormatVersion + 1);
  try {
    Ledger::create(tmp.sub("l"), genesis_request(log, {admin.pk}, {admin}, o));
    FAIL("accepted a newer format version genesis");
  } catch (const Error& e) {
    CHECK(e.kind == ErrorKind::unusable);
    CHECK(contains(e.what(), newer));
  }
}

TEST_CASE("genesis: a refused genesis leaves the directory free for a corrected one") {
  TempDir tmp;
  KeyPair log = generate_key("log"), admin = generate_key("admin");
  std::string dir = tmp.sub("l");
  GenesisOptions bad;
  bad.currency = "ZZZ";
  CHECK_THROWS_AS(Ledger::create(dir, genesis_request(log, {admin.pk}, {admin}, bad)), Error);
  struct stat st;
  CHECK(::stat(dir.c_str(), &st) != 0);  // the directory it made is gone again
  // a directory that existed before is kept, and left empty
  REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
  KeyPair not_admin = generate_key("not-admin");
  CHECK_THROWS_AS(Ledger::create(dir, genesis_request(log, {admin.pk}, {not_admin})), Error);
  REQUIRE(::stat(dir.c_str(), &st) == 0);
  CHECK(std::filesystem::is_empty(dir));
  Ledger l = Ledger::create(dir, genesis_request(log, {admin.pk}, {admin}));
  CHECK(l.size() == 1);
  CHECK(l.facts().currency == "GBP");
}

TEST_CASE("genesis: only record 0 is genesis (format)") {
  Fixture f;
  GenesisOptions o;
  o.idempotency_key = "second-genesis";
  expect_refused(f.L(), genesis_request(f.log, {f.admin.pk}, {f.admin}, o), "format");
}

TEST_CASE("create refuses a directory that already holds a ledger") {
  Fixture f;
  auto before = snapshot(f.L());
  GenesisOptions o;
  try {
    Ledger::create(f.dir, genesis_request(f.log, {f.admin.pk}, {f.admin}, o));
    FAIL("created over an existing ledger");
  } catch (const Error& e) {
    CHECK(e.kind == ErrorKind::unusable);
    CHECK(contains(e.what(), "already holds a ledger"));
  }
  CHECK(snapshot(f.L()) == before);
}

// ----------------------------------------------------------------- rule 1 ---

TEST_CASE("rule 1 holds: an officer of the payer signs") {
  World w;
  expect_appended(w.L(), w.contribution("council", "pool", 5000, {w.council_off}));
  CHECK(w.balance("pool") == 5000);
  CHECK(w.balance("council") == -5000);
}

TEST_CASE("rule 1: a signature that does not verify") {
  World w;
  auto r = w.contribution("council", "pool", 5000, {w.council_off});
  r.signatures[0].sig[0] ^= 0x80;
  CHECK(contains(expect_refused(w.L(), r, 1), "does not verify"));
}

TEST_CASE("rule 1: entry bytes changed after signing") {
  World w;
  auto r = w.contribution("council", "pool", 5000, {w.council_off});
  auto other = w.contribution("council", "pool", 500000, {w.council_off});
  r.entry = other.entry;  // signature was over the 5000 entry
  expect_refused(w.L(), r, 1);
}

TEST_CASE("rule 1: no signature") {
  World w;
  expect_refused(w.L(), w.contribution("council", "pool", 5000, {}), 1);
}

TEST_CASE("rule 1: the same key twice") {
  World w;
  auto r = w.payment("council", "sme", kThreshold, {w.council_off, w.council_off});
  CHECK(contains(expect_refused(w.L(), r, 1), "no key twice"));
}

TEST_CASE("rule 1: signer not granted for the acting party") {
  World w;
  SUBCASE("a key never granted") { expect_refused(w.L(), w.contribution("council", "pool", 5000, {w.stranger}), 1); }
  SUBCASE("another party's officer") {
    CHECK(contains(expect_refused(w.L(), w.contribution("council", "pool", 5000, {w.nhs_off}), 1), "'council'"));
  }
  SUBCASE("an administrator does not act for a payer") {
    expect_refused(w.L(), w.payment("council", "sme", 100, {w.admin}), 1);
  }
  SUBCASE("the payee's officer cannot pay out of the payer") {
    expect_refused(w.L(), w.payment("council", "sme", 100, {w.sme_off}), 1);
  }
}

TEST_CASE("rule 1: an approver only co-signs") {
  World w;
  expect_refused(w.L(), w.payment("council", "sme", 100, {w.council_appr}), 1);
  expect_appended(w.L(), w.payment("council", "sme", 100, {w.council_appr, w.council_off}));
}

TEST_CASE("rule 1: a revoked key signs nothing after its revocation") {
  World w;
  KeyPair k = generate_key("temp-officer");
  expect_appended(w.L(), w.grant("council", k.pk, Role::OFFICER, {w.admin}));
  expect_appended(w.L(), w.payment("council", "sme", 100, {k}));
  uint64_t rev = expect_appended(w.L(), w.revoke("council", k.pk, {w.admin}));
  bool found = false;
  for (auto& g : w.L().grants())
    if (g.party == "council" && g.key == k.pk) {
      found = true;
      CHECK(g.revoked);
    }
  CHECK(found);
  CHECK(rev > 0);
  expect_refused(w.L(), w.payment("council", "sme", 100, {k}), 1);
  // and it cannot reverse the payment it signed before
  expect_refused(w.L(), w.reversal(rev - 1, {k}), 1);
  // granting it again makes it valid again from that seq on
  expect_appended(w.L(), w.grant("council", k.pk, Role::OFFICER, {w.admin}));
  expect_appended(w.L(), w.payment("council", "sme", 100, {k}));
}

TEST_CASE("rule 1: validity is judged at each seq inside one batch") {
  World w;
  KeyPair k = generate_key("batch-officer");
  // granted at request 1, used at request 2: valid (granted at a lower seq)
  auto out = w.L().append_batch({w.grant("council", k.pk, Role::OFFICER, {w.admin}), w.payment("council", "sme", 7, {k})});
  REQUIRE(out.size() == 2);
  CHECK(out[1].seq == out[0].seq + 1);
  // revoked at request 1, used at request 2: the whole batch is refused
  auto msg = expect_refused_by(w.L(), 1, [&] {
    try {
      w.L().append_batch({w.revoke("council", k.pk, {w.admin}), w.payment("council", "sme", 7, {k})});
    } catch (const Error& e) {
      // batch refusals say which request they are about, apart from the check
      CHECK(e.context == "request 2: ");
      throw;
    }
  });
  CHECK_FALSE(msg.empty());
}

TEST_CASE("rule 1: records only an administrator may sign, signed by an officer") {
  World w;
  KeyPair k = generate_key("k");
  SUBCASE("party registration") { expect_refused(w.L(), w.party("newco", PartyKind::PROVIDER, {w.council_off}), 1); }
  SUBCASE("key grant") { expect_refused(w.L(), w.grant("council", k.pk, Role::OFFICER, {w.council_off}), 1); }
  SUBCASE("key revocation") { expect_refused(w.L(), w.revoke("council", w.council_off2.pk, {w.council_off}), 1); }
  SUBCASE("an administrator plus an officer") {
    expect_refused(w.L(), w.party("newco", PartyKind::PROVIDER, {w.admin, w.council_off}), 1);
  }
  SUBCASE("held: an administrator alone") {
    expect_appended(w.L(), w.party("newco", PartyKind::PROVIDER, {w.admin}));
  }
}

TEST_CASE("rule 1: a revoked administrator key registers nothing") {
  World w;
  KeyPair admin2 = generate_key("admin2");
  expect_appended(w.L(), w.grant("ledger", admin2.pk, Role::ADMINISTRATOR, {w.admin}));
  expect_appended(w.L(), w.party("a1", PartyKind::OTHER, {admin2}));
  expect_appended(w.L(), w.revoke("ledger", w.admin.pk, {admin2}));
  expect_refused(w.L(), w.party("a2", PartyKind::OTHER, {w.admin}), 1);
  expect_appended(w.L(), w.party("a2", PartyKind::OTHER, {admin2}));
}

// ----------------------------------------------------------------- rule 2 ---

TEST_CASE("rule 2: unknown parties") {
  World w;
  SUBCASE("contribution from an unknown party") {
    CHECK(contains(expect_refused(w.L(), w.contribution("nobody", "pool", 10, {w.council_off}), 2), "'nobody'"));
  }
  SUBCASE("contribution to an unknown pool") {
    expect_refused(w.L(), w.contribution("council", "nopool", 10, {w.council_off}), 2);
  }
  SUBCASE("payment to an unknown party") {
    CHECK(contains(expect_refused(w.L(), w.payment("council", "ghost", 10, {w.council_off}), 2), "'ghost'"));
  }
  SUBCASE("grant to an unknown party") {
    expect_refused(w.L(), w.grant("ghost", w.stranger.pk, Role::OFFICER, {w.admin}), 2);
  }
  SUBCASE("assignment naming an unknown responsible party") {
    expect_refused(w.L(), w.assign("council", {"ghost"}, "reablement", {w.council_off}), 2);
  }
  SUBCASE("registration controlled by an unknown party") {
    expect_refused(w.L(),
                   w.party("sub", PartyKind::PROVIDER, {w.admin},
                           [](spec::PartyRegistered& p) { p.controlled_by = "ghost"; }),
                   2);
  }
}

TEST_CASE("rule 2: parties must fit the record") {
  World w;
  SUBCASE("contribution to a non-pool") {
    CHECK(contains(expect_refused(w.L(), w.contribution("council", "sme", 10, {w.council_off}), 2), "not a pool"));
  }
  SUBCASE("a pool contributing to a pool") {
    expect_appended(w.L(), w.party("pool2", PartyKind::POOL, {w.admin}));
    expect_refused(w.L(), w.contribution("pool", "pool2", 10, {w.pool_off}), 2);
  }
  SUBCASE("payment to a pool") {
    CHECK(contains(expect_refused(w.L(), w.payment("council", "pool", 10, {w.council_off}), 2), "is a pool"));
  }
  SUBCASE("payment to oneself") { expect_refused(w.L(), w.payment("council", "council", 10, {w.council_off}), 2); }
  SUBCASE("payment to party 'ledger'") { expect_refused(w.L(), w.payment("council", "ledger", 10, {w.council_off}), 2); }
  SUBCASE("funded-by naming a record that is not money") {
    expect_refused(w.L(),
                   w.payment("council", "sme", 10, {w.council_off},
                             [](spec::Payment& p) { p.funded_by = spec::FundedBy::entry(1); }),
                   2);
  }
  SUBCASE("funded-by naming a later seq") {
    expect_refused(w.L(),
                   w.payment("council", "sme", 10, {w.council_off},
                             [&](spec::Payment& p) { p.funded_by = spec::FundedBy::entry(w.L().size() + 5); }),
                   2);
  }
  SUBCASE("held: funded-by naming an earlier contribution") {
    uint64_t c = expect_appended(w.L(), w.contribution("council", "pool", 500, {w.council_off}));
    expect_appended(w.L(), w.payment("pool", "sme", 200, {w.pool_off},
                                     [&](spec::Payment& p) { p.funded_by = spec::FundedBy::entry(c); }));
  }
}

TEST_CASE("rule 2: party registration") {
  World w;
  SUBCASE("an id already taken") {
    CHECK(contains(expect_refused(w.L(), w.party("council", PartyKind::COMMISSIONER, {w.admin}), 2), "already"));
  }
  SUBCASE("the reserved id 'ledger'") { expect_refused(w.L(), w.party("ledger", PartyKind::OFFICE, {w.admin}), 2); }
  SUBCASE("bad slugs") {
    for (std::string id : {"Council", "-council", "", "coun cil", "council!", "ñ"})
      CHECK(contains(expect_refused(w.L(), w.party(id, PartyKind::PROVIDER, {w.admin}), "format"), "slug"));
  }
  SUBCASE("a good slug with every allowed character") {
    expect_appended(w.L(), w.party("0a.b_c-d", PartyKind::PROVIDER, {w.admin}));
  }
  SUBCASE("an empty name") {
    expect_refused(w.L(),
                   w.party("newco", PartyKind::PROVIDER, {w.admin}, [](spec::PartyRegistered& p) { p.name = ""; }),
                   "format");
  }
  SUBCASE("members only for a collaborative") {
    auto more = [](spec::PartyRegistered& p) { p.members = {"charity", "sme"}; };
    expect_refused(w.L(), w.party("notcollab", PartyKind::PROVIDER, {w.admin}, more), 2);
    expect_appended(w.L(), w.party("collab", PartyKind::COLLABORATIVE, {w.admin}, more));
  }
  SUBCASE("pool terms only for a pool") {
    expect_refused(w.L(),
                   w.party("notpool", PartyKind::PROVIDER, {w.admin},
                           [](spec::PartyRegistered& p) { p.pool_terms = spec::PoolTerms{.legal_basis = "s75"}; }),
                   2);
  }
  SUBCASE("pool shares over 100%") {
    expect_refused(w.L(),
                   w.party("pool3", PartyKind::POOL, {w.admin},
                           [](spec::PartyRegistered& p) {
                             p.pool_terms = spec::PoolTerms{.shares = {{"council", 6000}, {"nhs", 4001}}};
                           }),
                   2);
  }
  SUBCASE("org ids are unique without regard to case") {
    auto msg = expect_refused(w.L(),
                              w.party("copycat", PartyKind::PROVIDER, {w.admin},
                                      [](spec::PartyRegistered& p) { p.org_ids = {"gb-chc-1164883"}; }),
                              2);
    CHECK(contains(msg, "'charity'"));
  }
  SUBCASE("an org id given twice in one record, differing only in case") {
    expect_refused(w.L(),
                   w.party("twice", PartyKind::PROVIDER, {w.admin},
                           [](spec::PartyRegistered& p) { p.org_ids = {"GB-COH-01234567", "gb-coh-01234567"}; }),
                   2);
  }
  SUBCASE("held: an org id is kept exactly as published") {
    expect_appended(w.L(), w.party("fund2", PartyKind::FUNDER, {w.admin}, [](spec::PartyRegistered& p) {
                      p.org_ids = {"360G-examplefund-Org_12"};
                    }));
    Record r(w.L().leaf(w.L().size() - 1));
    CHECK(std::string(r.entry().getBody().getPartyRegistered().getOrgIds()[0].cStr()) == "360G-examplefund-Org_12");
    expect_refused(w.L(),
                   w.party("fund3", PartyKind::FUNDER, {w.admin},
                           [](spec::PartyRegistered& p) { p.org_ids = {"360g-EXAMPLEFUND-org_12"}; }),
                   2);
  }
}

TEST_CASE("rule 2: key grants and revocations") {
  World w;
  KeyPair k = generate_key("k");
  SUBCASE("administrator role only for 'ledger'") {
    expect_refused(w.L(), w.grant("council", k.pk, Role::ADMINISTRATOR, {w.admin}), 2);
  }
  SUBCASE("'ledger' takes no officer") { expect_refused(w.L(), w.grant("ledger", k.pk, Role::OFFICER, {w.admin}), 2); }
  SUBCASE("a grant already active") {
    CHECK(contains(expect_refused(w.L(), w.grant("council", w.council_off.pk, Role::APPROVER, {w.admin}), 2), "already"));
  }
  SUBCASE("held: one key granted to two parties") {
    expect_appended(w.L(), w.grant("nhs", w.council_off.pk, Role::OFFICER, {w.admin}));
    expect_appended(w.L(), w.contribution("nhs", "pool", 10, {w.council_off}));
  }
  SUBCASE("revoking a key never granted") { expect_refused(w.L(), w.revoke("council", k.pk, {w.admin}), 2); }
  SUBCASE("revoking twice") {
    expect_appended(w.L(), w.revoke("council", w.council_off2.pk, {w.admin}));
    expect_refused(w.L(), w.revoke("council", w.council_off2.pk, {w.admin}), 2);
  }
  SUBCASE("revoking the last administrator key") {
    CHECK(contains(expect_refused(w.L(), w.revoke("ledger", w.admin.pk, {w.admin}), 2), "last administrator"));
    KeyPair admin2 = generate_key("admin2");
    expect_appended(w.L(), w.grant("ledger", admin2.pk, Role::ADMINISTRATOR, {w.admin}));
    expect_appended(w.L(), w.revoke("ledger", w.admin.pk, {admin2}));
    expect_refused(w.L(), w.revoke("ledger", admin2.pk, {admin2}), 2);
  }
  SUBCASE("an auditor key of 'ledger' does not count as an administrator") {
    expect_appended(w.L(), w.grant("ledger", k.pk, Role::AUDITOR, {w.admin}));
    expect_refused(w.L(), w.revoke("ledger", w.admin.pk, {w.admin}), 2);
    expect_refused(w.L(), w.party("newco", PartyKind::OTHER, {k}), 1);
  }
}

TEST_CASE("rule 2: text limits in UTF-8 bytes, stated in the refusal") {
  World w;
  SUBCASE("name: 200 bytes accepted, 201 refused") {
    auto named = [&](std::string id, size_t n) {
      return w.party(id, PartyKind::PROVIDER, {w.admin},
                     [n](spec::PartyRegistered& p) { p.name = std::string(n, 'n'); });
    };
    auto msg = expect_refused(w.L(), named("longname", 201), "limits");
    CHECK(contains(msg, "201"));
    CHECK(contains(msg, "200"));
    expect_appended(w.L(), named("longname", 200));
  }
  SUBCASE("name: the limit counts bytes, not characters") {
    std::string pounds;
    for (int i = 0; i < 101; ++i) pounds += "\xC2\xA3";  // 101 x U+00A3 = 202 bytes
    expect_refused(w.L(),
                   w.party("pounds", PartyKind::PROVIDER, {w.admin},
                           [&](spec::PartyRegistered& p) { p.name = pounds; }),
                   "limits");
  }
  SUBCASE("memo: 1000 bytes accepted, 1001 refused") {
    auto memo = [&](size_t n) {
      return w.payment("council", "sme", 10, {w.council_off},
                       [n](spec::Payment& p) { p.memo = std::string(n, 'm'); });
    };
    auto msg = expect_refused(w.L(), memo(1001), "limits");
    CHECK(contains(msg, "memo"));
    CHECK(contains(msg, "1000"));
    expect_appended(w.L(), memo(1000));
  }
  SUBCASE("party id: 64 bytes accepted, 65 refused") {
    auto msg = expect_refused(w.L(), w.party(std::string(65, 'p'), PartyKind::PROVIDER, {w.admin}), "limits");
    CHECK(contains(msg, "64"));
    expect_appended(w.L(), w.party(std::string(64, 'p'), PartyKind::PROVIDER, {w.admin}));
  }
  SUBCASE("org id: 200 bytes accepted, 201 refused") {
    auto org = [&](std::string id, size_t n) {
      return w.party(id, PartyKind::PROVIDER, {w.admin},
                     [n](spec::PartyRegistered& p) { p.org_ids = {std::string(n, 'o')}; });
    };
    auto msg = expect_refused(w.L(), org("orga", 201), "limits");
    CHECK(contains(msg, "201"));
    CHECK(contains(msg, "200"));
    expect_appended(w.L(), org("orga", 200));
  }
  SUBCASE("idempotency key: 128 bytes accepted, 129 refused, empty refused") {
    auto msg = expect_refused(w.L(), w.contribution("council", "pool", 1, {w.council_off}, {}, key(std::string(129, 'k'))), "limits");
    CHECK(contains(msg, "idempotency key"));
    CHECK(contains(msg, "128"));
    auto empty = sign_request(encode_entry(w.origin, now_ms(), "", spec::Contribution{"council", "pool", 1, "GBP", kDate, ""}),
                              {w.council_off});
    expect_refused(w.L(), empty, "format");
    expect_appended(w.L(), w.contribution("council", "pool", 1, {w.council_off}, {}, key(std::string(128, 'k'))));
  }
  SUBCASE("subject: 200 accepted, 201 refused") {
    expect_refused(w.L(), w.assign("council", {"sme"}, std::string(201, 's'), {w.council_off}), "limits");
    expect_appended(w.L(), w.assign("council", {"sme"}, std::string(200, 's'), {w.council_off}));
  }
  SUBCASE("milestone: 100 accepted, 101 refused") {
    auto ms = [&](size_t n) {
      return w.payment("council", "sme", 10, {w.council_off},
                       [n](spec::Payment& p) { p.milestone = std::string(n, 'x'); });
    };
    expect_refused(w.L(), ms(101), "limits");
    expect_appended(w.L(), ms(100));
  }
  SUBCASE("reference: 200 accepted, 201 refused") {
    auto ref = [&](size_t n) {
      return w.contribution("council", "pool", 10, {w.council_off},
                            [n](spec::Contribution& c) { c.reference = std::string(n, 'r'); });
    };
    expect_refused(w.L(), ref(201), "limits");
    expect_appended(w.L(), ref(200));
  }
  SUBCASE("reversal reason: 1000 accepted, 1001 refused") {
    uint64_t p1 = expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off}));
    expect_refused(w.L(), w.reversal(p1, {w.council_off}, std::string(1001, 'r')), "limits");
    expect_appended(w.L(), w.reversal(p1, {w.council_off}, std::string(1000, 'r')));
  }
}

TEST_CASE("limits: a record over 65535 bytes is refused") {
  World w;
  // 1024 claim ids of 64 bytes, each field within its limit, make the record
  // larger than a leaf may be.
  auto big = w.payment("council", "sme", 10, {w.council_off}, [](spec::Payment& p) {
    for (unsigned i = 0; i < 1024; ++i) {
      std::string id = "claim-" + std::to_string(i);
      id.resize(64, 'x');
      p.claim_ids.push_back(id);
    }
    p.outcome_count = 1024;
  });
  REQUIRE(big.entry.size() > 65535);
  CHECK(contains(expect_refused(w.L(), big, "limits"), "65535"));
}

TEST_CASE("format: invalid UTF-8 is refused") {
  World w;
  for (std::string bad : {std::string("\xff"), std::string("caf\xc3"), std::string("\xc0\xaf"),  // lone, truncated, overlong
                          std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80")}) {  // surrogate, > U+10FFFF
    CAPTURE(bad.size());
    auto msg = expect_refused(w.L(),
                              w.payment("council", "sme", 10, {w.council_off},
                                        [&](spec::Payment& p) { p.memo = bad; }),
                              "format");
    CHECK(contains(msg, "UTF-8"));
    expect_refused(w.L(),
                   w.party("utf", PartyKind::PROVIDER, {w.admin},
                           [&](spec::PartyRegistered& p) { p.name = "Name " + bad; }),
                   "format");
  }
  // and valid multi-byte text is fine
  expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off}, [](spec::Payment& p) {
                    p.memo = "Caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x92\xB7";
                  }));
}

TEST_CASE("format: dates name real calendar days") {
  World w;
  for (uint32_t bad : {20250230u, 20230229u, 20251301u, 20250001u, 20250400u, 12345u, 99999999u}) {
    CAPTURE(bad);
    auto msg = expect_refused(
        w.L(), w.payment("council", "sme", 10, {w.council_off}, [bad](spec::Payment& p) { p.value_date = bad; }),
        "format");
    CHECK(contains(msg, std::to_string(bad)));
  }
  SUBCASE("a value date is required") {
    expect_refused(w.L(),
                   w.contribution("council", "pool", 10, {w.council_off},
                                  [](spec::Contribution& c) { c.value_date = 0; }),
                   "format");
  }
  SUBCASE("held: 29 February of a leap year") {
    expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off},
                                     [](spec::Payment& p) { p.value_date = 20240229; }));
  }
}

// Contract and party-status records were refused as "not supported yet" until
// the contracts issue; their rules (9-11) are now enforced and tested with it.
// What stays here: a payment naming a seq that is not a contract.
TEST_CASE("rule 9: a payment's contractSeq must name a contractAgreed") {
  World w;
  expect_refused(w.L(),
                 w.payment("council", "prime", 10, {w.council_off}, [](spec::Payment& p) { p.contract_seq = 3; }),
                 9);
  expect_refused(w.L(),
                 w.payment("council", "prime", 10, {w.council_off},
                           [&](spec::Payment& p) { p.contract_seq = w.L().size() + 7; }),
                 9);
}

TEST_CASE("canonical: non-canonical entry bytes") {
  World w;
  auto good = w.contribution("council", "pool", 10, {w.council_off});
  SUBCASE("a trailing zero word") {
    Bytes e = good.entry;
    e.insert(e.end(), 8, 0);
    expect_refused(w.L(), sign_request(e, {w.council_off}), "canonical");
  }
  SUBCASE("a length that is not whole words") {
    Bytes e = good.entry;
    e.push_back(0);
    expect_refused(w.L(), sign_request(e, {w.council_off}), "canonical");
  }
  SUBCASE("the same Entry laid out out of pre-order (decodable, not canonical)") {
    capnp::MallocMessageBuilder mb;
    auto e = mb.initRoot<schema::Entry>();
    e.setIdempotencyKey("out-of-order");  // allocated before the origin: not canonical order
    auto c = e.getBody().initContribution();
    c.setCurrency("GBP");
    c.setTo("pool");
    c.setFrom("council");
    c.setAmount(10);
    c.setValueDate(kDate);
    e.setOrigin(text_of(w.origin));
    e.setCreatedAt(now_ms());
    auto segments = mb.getSegmentsForOutput();
    REQUIRE(segments.size() == 1);
    auto bytes = segments[0].asBytes();
    Bytes raw(bytes.begin(), bytes.end());
    // it is the same Entry: canonicalising it gives different bytes that decode alike
    auto canon_words = capnp::canonicalize(e.asReader());
    auto canon = canon_words.asBytes();
    REQUIRE(Bytes(canon.begin(), canon.end()) != raw);
    CHECK_THROWS_AS(EntryView{raw}, Error);
    expect_refused(w.L(), sign_request(raw, {w.council_off}), "canonical");
    expect_appended(w.L(), sign_request(Bytes(canon.begin(), canon.end()), {w.council_off}));
  }
  SUBCASE("in a batch the refusal names the request and its check") {
    Bytes e = good.entry;
    e.insert(e.end(), 8, 0);
    auto before = snapshot(w.L());
    try {
      w.L().append_batch({good, sign_request(e, {w.council_off})});
      FAIL("accepted");
    } catch (const Error& err) {
      CHECK(err.check == "canonical");
      CHECK(err.kind == ErrorKind::unusable);
      CHECK_MESSAGE(starts_with(err.what(), "request 2: canonical:"), std::string(err.what()));
    }
    CHECK(snapshot(w.L()) == before);
  }
  SUBCASE("empty bytes") { expect_refused(w.L(), sign_request(Bytes{}, {w.council_off}), "canonical"); }
}

// ---------------------------------------------------------------- responsibility

TEST_CASE("responsibility: assigned by the accountable party's officer or by an administrator") {
  World w;
  uint64_t a1 = expect_appended(w.L(), w.assign("council", {"prime"}, "employment support", {w.council_off}));
  uint64_t a2 = expect_appended(w.L(), w.assign("council", {"charity", "sme"}, "reablement", {w.admin}));
  Record r(w.L().leaf(a2));
  CHECK(r.entry().getBody().getResponsibilityAssigned().getResponsible().size() == 2);
  SUBCASE("refused: another party's officer (rule 1)") {
    expect_refused(w.L(), w.assign("council", {"prime"}, "x", {w.nhs_off}), 1);
  }
  SUBCASE("refused: an administrator and an officer mixed (rule 1)") {
    expect_refused(w.L(), w.assign("council", {"prime"}, "x", {w.admin, w.council_off}), 1);
  }
  SUBCASE("refused: an approver alone (rule 1)") {
    expect_refused(w.L(), w.assign("council", {"prime"}, "x", {w.council_appr}), 1);
  }
  SUBCASE("refused: no responsible party (rule 2)") { expect_refused(w.L(), w.assign("council", {}, "x", {w.council_off}), 2); }
  SUBCASE("refused: a responsible party twice (rule 2)") {
    expect_refused(w.L(), w.assign("council", {"sme", "sme"}, "x", {w.council_off}), 2);
  }
  SUBCASE("refused: empty subject (format)") {
    expect_refused(w.L(), w.assign("council", {"sme"}, "", {w.council_off}), "format");
  }
  SUBCASE("refused: unknown accountable party (rule 2)") {
    expect_refused(w.L(), w.assign("minister", {"sme"}, "x", {w.admin}), 2);
  }
  SUBCASE("refused: ends before it starts (rule 2)") {
    expect_refused(w.L(),
                   w.assign("council", {"sme"}, "x", {w.council_off},
                            [](spec::ResponsibilityAssigned& ra) { ra.end_date = 20200101; }),
                   2);
  }
  SUBCASE("ended by the accountable party's officer, then ending it twice is refused") {
    expect_appended(w.L(), w.end_assignment(a1, {w.council_off}));
    CHECK(contains(expect_refused(w.L(), w.end_assignment(a1, {w.council_off}), 2), "already ended"));
    CHECK(contains(expect_refused(w.L(), w.end_assignment(a1, {w.admin}), 2), "already ended"));
  }
  SUBCASE("ended by an administrator") { expect_appended(w.L(), w.end_assignment(a2, {w.admin})); }
  SUBCASE("ending by another party's officer is refused (rule 1)") {
    expect_refused(w.L(), w.end_assignment(a1, {w.prime_off}), 1);
  }
  SUBCASE("ending a record that is not an assignment (rule 2)") {
    expect_refused(w.L(), w.end_assignment(1, {w.admin}), 2);
    expect_refused(w.L(), w.end_assignment(w.L().size() + 3, {w.admin}), 2);
  }
}

// ----------------------------------------------------------------- rule 3 ---

TEST_CASE("rule 3: amounts are positive and in the ledger's currency") {
  World w;
  SUBCASE("held") {
    expect_appended(w.L(), w.contribution("council", "pool", 1, {w.council_off}));
    expect_appended(w.L(), w.payment("council", "sme", 1, {w.council_off}));
  }
  SUBCASE("zero") {
    CHECK(contains(expect_refused(w.L(), w.contribution("council", "pool", 0, {w.council_off}), 3), "positive"));
    expect_refused(w.L(), w.payment("council", "sme", 0, {w.council_off}), 3);
  }
  SUBCASE("negative") {
    expect_refused(w.L(), w.contribution("council", "pool", -100, {w.council_off}), 3);
    expect_refused(w.L(), w.payment("council", "sme", -1, {w.council_off}), 3);
    expect_refused(w.L(), w.payment("council", "sme", std::numeric_limits<int64_t>::min(), {w.council_off}), 3);
  }
  SUBCASE("wrong currency") {
    auto eur = [](auto& b) { b.currency = "EUR"; };
    auto msg = expect_refused(
        w.L(), w.contribution("council", "pool", 100, {w.council_off}, [&](spec::Contribution& c) { eur(c); }), 3);
    CHECK(contains(msg, "EUR"));
    CHECK(contains(msg, "GBP"));
    expect_refused(w.L(), w.payment("council", "sme", 100, {w.council_off}, [&](spec::Payment& p) { eur(p); }), 3);
    expect_refused(w.L(),
                   w.payment("council", "sme", 100, {w.council_off}, [](spec::Payment& p) { p.currency = "gbp"; }),
                   3);
    expect_refused(w.L(),
                   w.payment("council", "sme", 100, {w.council_off}, [](spec::Payment& p) { p.currency = ""; }),
                   "format");
  }
}

// ----------------------------------------------------------------- rule 4 ---

TEST_CASE("rule 4: a pool never goes below zero") {
  World w;
  expect_appended(w.L(), w.contribution("council", "pool", 60000, {w.council_off}));
  expect_appended(w.L(), w.contribution("nhs", "pool", 40000, {w.nhs_off}));
  CHECK(w.balance("pool") == 100000);
  auto msg = expect_refused(w.L(), w.payment("pool", "prime", 100001, {w.pool_off}), 4);
  CHECK(contains(msg, "'pool'"));
  expect_appended(w.L(), w.payment("pool", "prime", 99999, {w.pool_off}));
  expect_refused(w.L(), w.payment("pool", "sme", 2, {w.pool_off}), 4);
  expect_appended(w.L(), w.payment("pool", "sme", 1, {w.pool_off}));  // exactly to zero
  CHECK(w.balance("pool") == 0);
  expect_refused(w.L(), w.payment("pool", "sme", 1, {w.pool_off}), 4);
  CHECK(w.balance("prime") == 99999);
  CHECK(w.balance("sme") == 1);
  CHECK(w.balance("council") == -60000);
  CHECK(w.balance("nhs") == -40000);
}

TEST_CASE("rule 4: a budget-limited party never goes below zero") {
  World w;
  expect_appended(w.L(), w.payment("council", "charity", 500, {w.council_off}));
  expect_refused(w.L(), w.payment("charity", "sme", 501, {w.charity_off}), 4);
  expect_appended(w.L(), w.payment("charity", "sme", 500, {w.charity_off}));
  CHECK(w.balance("charity") == 0);
  expect_refused(w.L(), w.payment("charity", "sme", 1, {w.charity_off}), 4);
}

TEST_CASE("rule 4: commissioners, funders and integrators may go negative") {
  World w;
  expect_appended(w.L(), w.payment("prime", "sme", 700, {w.prime_off}));  // pre-financing
  CHECK(w.balance("prime") == -700);
  CHECK(w.balance("sme") == 700);
  expect_appended(w.L(), w.contribution("fund", "pool", 300, {w.fund_off}));
  CHECK(w.balance("fund") == -300);
  expect_appended(w.L(), w.payment("council", "prime", 900, {w.council_off}));
  CHECK(w.balance("prime") == 200);
  CHECK(w.balance("council") == -900);
  // an unlimited provider may go negative too (only pools and budget-limited parties are limited)
  expect_appended(w.L(), w.payment("sme", "charity", 701, {w.sme_off}));
  CHECK(w.balance("sme") == -1);
  // money is conserved: every balance adds up to zero
  int64_t total = 0;
  for (auto& p : w.L().parties()) total += p.balance;
  CHECK(total == 0);
}

TEST_CASE("rule 4: a balance overflowing int64 is refused") {
  World w;
  const int64_t max = std::numeric_limits<int64_t>::max();
  expect_appended(w.L(), w.payment("council", "sme", max, {w.council_off, w.council_appr}));
  CHECK(w.balance("sme") == max);
  CHECK(w.balance("council") == -max);
  CHECK(contains(expect_refused(w.L(), w.payment("nhs", "sme", 1, {w.nhs_off}), 4), "overflow"));
  // council at -max may still pay 1 (reaching INT64_MIN) but not 2
  expect_refused(w.L(), w.payment("council", "prime", 2, {w.council_off}), 4);
  expect_appended(w.L(), w.payment("council", "prime", 1, {w.council_off}));
  CHECK(w.balance("council") == std::numeric_limits<int64_t>::min());
}

// ----------------------------------------------------------------- rule 5 ---

TEST_CASE("rule 5: dual control at or above the threshold") {
  World w;
  SUBCASE("one below the threshold needs one officer") {
    expect_appended(w.L(), w.payment("council", "prime", kThreshold - 1, {w.council_off}));
  }
  SUBCASE("exactly the threshold with one officer is refused") {
    auto msg = expect_refused(w.L(), w.payment("council", "prime", kThreshold, {w.council_off}), 5);
    CHECK(contains(msg, "10000.00"));
    CHECK(contains(msg, "'council'"));
  }
  SUBCASE("above the threshold with one officer is refused") {
    expect_refused(w.L(), w.payment("council", "prime", kThreshold * 50, {w.council_off}), 5);
  }
  SUBCASE("officer + approver") {
    expect_appended(w.L(), w.payment("council", "prime", kThreshold, {w.council_off, w.council_appr}));
  }
  SUBCASE("officer + officer") {
    expect_appended(w.L(), w.payment("council", "prime", kThreshold, {w.council_off2, w.council_off}));
  }
  SUBCASE("two approvers, neither an officer: refused (rule 1: an approver only co-signs)") {
    expect_refused(w.L(), w.payment("council", "prime", kThreshold, {w.council_appr, w.council_appr2}), 1);
  }
  SUBCASE("a second key that is not the payer's: refused (rule 1)") {
    expect_refused(w.L(), w.payment("council", "prime", kThreshold, {w.council_off, w.nhs_off}), 1);
  }
  SUBCASE("contributions are not payments: no dual control") {
    expect_appended(w.L(), w.contribution("council", "pool", kThreshold * 3, {w.council_off}));
  }
  SUBCASE("a pool's large payment needs two of its own keys") {
    expect_appended(w.L(), w.contribution("council", "pool", kThreshold * 3, {w.council_off}));
    expect_refused(w.L(), w.payment("pool", "prime", kThreshold, {w.pool_off}), 5);
    expect_appended(w.L(), w.payment("pool", "prime", kThreshold, {w.pool_off, w.pool_off2}));
  }
}

// ----------------------------------------------------------------- rule 6 ---

TEST_CASE("rule 6: the same idempotency key with the same body is a retry") {
  World w;
  auto first = w.payment("council", "sme", 1250, {w.council_off}, {}, key("pay-1"));
  uint64_t seq = expect_appended(w.L(), first);
  auto before = snapshot(w.L());
  SUBCASE("the identical request") {
    auto a = w.L().append(first);
    CHECK(a.retried);
    CHECK(a.seq == seq);
    CHECK(a.leaf_hash == w.L().leaf_hash(seq));
  }
  SUBCASE("re-signed later (createdAt differs) by another of the payer's keys") {
    auto again = w.payment("council", "sme", 1250, {w.council_off2}, {}, key("pay-1").at(now_ms() + 1000));
    REQUIRE(again.entry != first.entry);
    auto a = w.L().append(again);
    CHECK(a.retried);
    CHECK(a.seq == seq);
  }
  SUBCASE("in a batch, between new records") {
    auto out = w.L().append_batch({w.payment("council", "sme", 1, {w.council_off}), first});
    REQUIRE(out.size() == 2);
    CHECK_FALSE(out[0].retried);
    CHECK(out[1].retried);
    CHECK(out[1].seq == seq);
    CHECK(w.L().size() == before.size + 1);
    return;
  }
  CHECK(snapshot(w.L()) == before);
  CHECK(w.balance("sme") == 1250);
}

TEST_CASE("rule 6: the same idempotency key with a different body is refused naming the seq") {
  World w;
  uint64_t seq = expect_appended(w.L(), w.payment("council", "sme", 1250, {w.council_off}, {}, key("pay-1")));
  auto msg = expect_refused(w.L(), w.payment("council", "sme", 1251, {w.council_off}, {}, key("pay-1")), 6);
  CHECK(contains(msg, "pay-1"));
  CHECK(contains(msg, "seq " + std::to_string(seq)));
  // a different kind of record under the same key
  expect_refused(w.L(), w.contribution("council", "pool", 1250, {w.council_off}, {}, key("pay-1")), 6);
  // genesis's key is taken too
  CHECK(contains(expect_refused(w.L(), w.payment("council", "sme", 5, {w.council_off}, {}, key("genesis")), 6), "seq 0"));
  // keys are compared exactly: another key is a new request
  expect_appended(w.L(), w.payment("council", "sme", 1251, {w.council_off}, {}, key("PAY-1")));
}

TEST_CASE("format: an idempotency key with a NUL byte is refused, so it never truncates to its prefix") {
  World w;
  std::string k1("abc\0def", 7);
  CHECK(contains(expect_refused(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, key(k1)), "format"),
                 "control character"));
  CHECK_FALSE(w.L().find_idempotency_key("abc").has_value());
  expect_appended(w.L(), w.payment("council", "sme", 11, {w.council_off}, {}, key("abc")));
}

TEST_CASE("rule 6: a batch with a duplicate key inside it") {
  World w;
  auto a = w.payment("council", "sme", 10, {w.council_off}, {}, key("row-1"));
  auto b = w.payment("council", "sme", 20, {w.council_off}, {}, key("row-2"));
  SUBCASE("same body: the second is a retry of the first") {
    uint64_t start = w.L().size();
    auto out = w.L().append_batch({a, b, a});
    REQUIRE(out.size() == 3);
    CHECK(out[0].seq == start);
    CHECK(out[1].seq == start + 1);
    CHECK(out[2].seq == start);
    CHECK(out[2].retried);
    CHECK(out[2].leaf_hash == out[0].leaf_hash);
    CHECK(w.L().size() == start + 2);
    CHECK(w.balance("sme") == 30);
  }
  SUBCASE("different body: the whole batch is refused") {
    auto a2 = w.payment("council", "sme", 11, {w.council_off}, {}, key("row-1"));
    auto before = snapshot(w.L());
    try {
      w.L().append_batch({a, b, a2});
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind == ErrorKind::refused);
      CHECK(starts_with(e.what(), "request 3: rule 6:"));
    }
    CHECK(snapshot(w.L()) == before);
    CHECK_FALSE(w.L().find_idempotency_key("row-1").has_value());
  }
}

// ----------------------------------------------------------------- rule 7 ---

TEST_CASE("rule 7: reversals") {
  World w;
  uint64_t c = expect_appended(w.L(), w.contribution("council", "pool", 5000, {w.council_off}));
  uint64_t p = expect_appended(w.L(), w.payment("council", "sme", 300, {w.council_off}));
  SUBCASE("held: reversing a payment moves the money back") {
    uint64_t r = expect_appended(w.L(), w.reversal(p, {w.council_off}));
    CHECK(w.L().is_reversed(p));
    CHECK_FALSE(w.L().is_reversed(r));
    CHECK(w.balance("sme") == 0);
    CHECK(w.balance("council") == -5000);
    SUBCASE("twice: refused naming the first reversal") {
      CHECK(contains(expect_refused(w.L(), w.reversal(p, {w.council_off}), 7), "seq " + std::to_string(r)));
    }
    SUBCASE("a reversal of a reversal") {
      CHECK(contains(expect_refused(w.L(), w.reversal(r, {w.council_off}), 7), "not a contribution or payment"));
    }
  }
  SUBCASE("held: reversing a contribution, by another officer of the contributor") {
    expect_appended(w.L(), w.reversal(c, {w.council_off2}));
    CHECK(w.balance("pool") == 0);
    CHECK(w.balance("council") == -300);
  }
  SUBCASE("a seq that does not exist") {
    CHECK(contains(expect_refused(w.L(), w.reversal(w.L().size() + 10, {w.council_off}), 7), "does not exist"));
    expect_refused(w.L(), w.reversal(w.L().size(), {w.council_off}), 7);  // its own seq
  }
  SUBCASE("a record that is not money") {
    expect_refused(w.L(), w.reversal(0, {w.council_off}), 7);
    expect_refused(w.L(), w.reversal(1, {w.council_off}), 7);
  }
  SUBCASE("signed by the recipient instead of the payer (rule 1)") {
    expect_refused(w.L(), w.reversal(p, {w.sme_off}), 1);
  }
  SUBCASE("reversing a contribution the pool already spent (rule 4)") {
    expect_appended(w.L(), w.payment("pool", "charity", 4000, {w.pool_off}));
    CHECK(contains(expect_refused(w.L(), w.reversal(c, {w.council_off}), 4), "'pool'"));
    // once the pool has the money again it can be reversed
    expect_appended(w.L(), w.contribution("nhs", "pool", 4000, {w.nhs_off}));
    expect_appended(w.L(), w.reversal(c, {w.council_off}));
    CHECK(w.balance("pool") == 0);
    CHECK(w.balance("charity") == 4000);
  }
  SUBCASE("reversing a payment a budget-limited recipient already spent (rule 4)") {
    uint64_t pc = expect_appended(w.L(), w.payment("council", "charity", 800, {w.council_off}));
    expect_appended(w.L(), w.payment("charity", "sme", 500, {w.charity_off}));
    expect_refused(w.L(), w.reversal(pc, {w.council_off}), 4);
  }
}

// ----------------------------------------------------------------- rule 8 ---

TEST_CASE("rule 8: origin is this ledger's") {
  World w;
  auto msg = expect_refused(w.L(),
                            w.payment("council", "sme", 10, {w.council_off}, {}, origin_of(std::string("other.example/ledger"))),
                            8);
  CHECK(contains(msg, "other.example/ledger"));
  // an origin that merely starts with this ledger's, after a NUL byte
  expect_refused(w.L(),
                 w.payment("council", "sme", 10, {w.council_off}, {}, origin_of(w.origin + std::string("\0x", 2))), "format");
  expect_refused(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, origin_of(std::string(""))), "format");
  expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, origin_of(w.origin)));
}

TEST_CASE("rule 8: createdAt no later than recordedAt plus five minutes") {
  World w;
  auto msg = expect_refused(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, at(now_ms() + 10 * 60 * 1000)), 8);
  CHECK(contains(msg, "clock"));
  expect_refused(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, at(now_ms() + 301 * 1000)), 8);
  uint64_t s = expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, at(now_ms() + 240 * 1000)));
  Record r(w.L().leaf(s));
  CHECK(r.entry().getCreatedAt() <= r.leaf().getRecordedAt() + 300000);
  // the past is fine: an officer may sign offline and submit later
  expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, at(0)));
  expect_appended(w.L(), w.payment("council", "sme", 10, {w.council_off}, {}, at(now_ms() - 86400000LL * 365)));
}

// ------------------------------------------------------------ append_batch ---

TEST_CASE("append_batch is all or nothing") {
  World w;
  auto before = snapshot(w.L());
  auto good1 = w.contribution("council", "pool", 100, {w.council_off});
  auto good3 = w.payment("council", "sme", 5, {w.council_off});
  auto expect_batch_refused = [&](const SignedRequest& bad, const std::string& prefix) {
    try {
      w.L().append_batch({good1, bad, good3});
      FAIL("batch accepted");
    } catch (const Error& e) {
      CHECK(e.kind == ErrorKind::refused);
      CHECK_MESSAGE(starts_with(e.what(), prefix), std::string(e.what()));
    }
    CHECK(snapshot(w.L()) == before);
    CHECK_FALSE(w.L().find_idempotency_key(*idempotency_key_of(good1)).has_value());
  };
  SUBCASE("a rule refusal in the middle") {
    expect_batch_refused(w.payment("pool", "sme", 101, {w.pool_off}), "request 2: rule 4:");
  }
  SUBCASE("a bad signature in the middle") {
    auto bad = w.payment("council", "sme", 5, {w.council_off});
    bad.signatures[0].sig[63] ^= 1;
    expect_batch_refused(bad, "request 2: rule 1:");
  }
  SUBCASE("an unknown party in the middle") {
    expect_batch_refused(w.payment("council", "ghost", 5, {w.council_off}), "request 2: rule 2:");
  }
  SUBCASE("the last one refused") {
    try {
      w.L().append_batch({good1, good3, w.payment("council", "sme", 0, {w.council_off})});
      FAIL("batch accepted");
    } catch (const Error& e) {
      CHECK(starts_with(e.what(), "request 3: rule 3:"));
    }
    CHECK(snapshot(w.L()) == before);
  }
  SUBCASE("held: all three go in, in order") {
    auto pool_pay = w.payment("pool", "sme", 60, {w.pool_off});  // needs good1's money first
    auto out = w.L().append_batch({good1, pool_pay, good3});
    REQUIRE(out.size() == 3);
    for (size_t i = 0; i < 3; ++i) {
      CHECK(out[i].seq == before.size + i);
      CHECK_FALSE(out[i].retried);
      CHECK(out[i].leaf_hash == w.L().leaf_hash(out[i].seq));
    }
    CHECK(w.balance("pool") == 40);
    CHECK(w.balance("sme") == 65);
  }
  SUBCASE("an empty batch writes nothing") {
    CHECK(w.L().append_batch({}).empty());
    CHECK(snapshot(w.L()) == before);
  }
}
