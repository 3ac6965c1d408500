// map frontline: what integrators pass on, to whom, and whether the flows
// look pure or blended. Figures worked out by hand in the comments.
//
// Not tested here: a *declared* model (pure/blended) contradicted by the flows.
// The declaration lives in contractAgreed, which the writer refuses until the
// contracts issue lands; frontline() reads it when present.
#include "test_map_support.h"

using namespace map_test;

TEST_CASE("map frontline: a prime paying its own subsidiary") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("prime", PartyKind::INTEGRATOR);
  b.party("prime-sub", PartyKind::PROVIDER, [](spec::PartyRegistered& p) { p.controlled_by = "prime"; });
  b.party("indie", PartyKind::PROVIDER);
  b.pay("council", "prime", 1000);
  b.pay("council", "prime", 100, {Mechanism::MANAGEMENT_FEE});
  b.pay("prime", "prime-sub", 600);
  b.pay("prime", "indie", 300);
  map::Map m = b.map();

  auto rows = map::frontline(m);
  REQUIRE(rows.size() == 1);
  const map::Frontline& f = rows[0];
  CHECK(f.integrator == "prime");
  CHECK(f.received == gbp(1100));
  CHECK(f.fees == gbp(100));
  CHECK(f.passed_controlled == gbp(600));
  CHECK(f.passed_independent == gbp(300));
  CHECK(f.kept == gbp(100));        // 1100 - 100 - 600 - 300
  CHECK(f.frontline_bp == 2727);    // 300 / 1100 = 27.27%
  CHECK(f.self_bp == 7000);         // (100 kept + 600 in the group) / (1100 - 100)
  CHECK(f.flows == "blended");
  CHECK(f.declared.empty());
  CHECK_FALSE(f.contradicts);
  REQUIRE(f.controlled.size() == 1);
  CHECK(f.controlled[0].party == "prime-sub");
  CHECK(f.controlled[0].amount == gbp(600));

  // The controlling group: prime and prime-sub, 1100 from outside the group.
  map::Concentration c = map::concentration(m);
  REQUIRE(c.groups.size() == 1);
  CHECK(c.groups[0].controller == "prime");
  CHECK(c.groups[0].members == std::vector<std::string>{"prime", "prime-sub"});
  CHECK(c.groups[0].received == gbp(1100));

  std::string text = map::to_text(m, rows);
  CHECK(contains(text, "passed within its own group       GBP 600.00"));
  CHECK(contains(text, "frontline share 27.27%"));
  nlohmann::json j = map::to_json(m, rows);
  CHECK(j["integrators"][0]["passed_within_own_group_minor"] == gbp(600));
  CHECK(j["integrators"][0]["flows"] == "blended");
}

TEST_CASE("map frontline: a prime whose flows show self-delivery beside one that passes everything on") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  b.party("prime-self", PartyKind::INTEGRATOR);
  b.party("prime-pure", PartyKind::INTEGRATOR);
  b.party("p1", PartyKind::PROVIDER);
  b.party("p2", PartyKind::PROVIDER);
  b.pay("council", "prime-self", 1000);
  b.pay("prime-self", "p1", 400);  // keeps 600 to deliver itself
  b.pay("council", "prime-pure", 1000);
  b.pay("council", "prime-pure", 50, {Mechanism::MANAGEMENT_FEE});
  b.pay("prime-pure", "p2", 1000);  // passes all delivery money on; the fee does not make it blended
  b.pay("p2", "prime-pure", 40, {Mechanism::CLAWBACK});  // money back lowers what it passed
  map::Map m = b.map();

  auto rows = map::frontline(m);
  REQUIRE(rows.size() == 2);
  const map::Frontline& pure = rows[0].integrator == "prime-pure" ? rows[0] : rows[1];
  const map::Frontline& self = rows[0].integrator == "prime-pure" ? rows[1] : rows[0];
  CHECK(self.received == gbp(1000));
  CHECK(self.kept == gbp(600));
  CHECK(self.self_bp == 6000);
  CHECK(self.flows == "blended");
  CHECK(self.frontline_bp == 4000);

  CHECK(pure.received == gbp(1050));
  CHECK(pure.fees == gbp(50));
  CHECK(pure.passed_independent == gbp(960));  // 1000 - 40 back
  CHECK(pure.kept == gbp(40));                 // 1050 - 50 - 960
  CHECK(pure.self_bp == 400);                  // 40 / 1000 = 4%: under the 5% line
  CHECK(pure.flows == "pure");
  CHECK(pure.frontline_bp == 9143);            // 960 / 1050 = 91.43%
}
