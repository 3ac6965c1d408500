// party add | list | show, grant-key, revoke-key.
#include "fixture.h"

using namespace fundtrail::test;

TEST_CASE("party: add then list and show") {
  Books b;
  RunResult add = b.ft({"party", "add", "newstart", "--name", "NewStart CIC", "--kind", "provider", "--sector", "voluntary",
                        "--org-id", "GB-COH-11223344", "--controlled-by", "ace", "--key", b.key("admin")});
  INFO(add);
  REQUIRE(add.code == 0);
  CHECK(add.out == std::to_string(kStartSize) + "\n");  // only the seq on a pipe
  CHECK(add.err.empty());

  json list = b.ok_json({"party", "list", "--json"});
  std::vector<std::string> ids;
  for (auto& p : list) ids.push_back(p["id"]);
  CHECK(ids == std::vector<std::string>{"ace", "council", "hope", "ledger", "newstart", "police", "pool"});
  RunResult list_text = b.ok({"party", "list"});
  CHECK(lines_of(list_text.out).size() == 7);
  CHECK(contains(list_text.out, "NewStart CIC"));

  json ns = b.ok_json({"party", "show", "newstart", "--json"});
  CHECK(ns["id"] == "newstart");
  CHECK(ns["name"] == "NewStart CIC");
  CHECK(ns["kind"] == "provider");
  CHECK(ns["controlled_by"] == "ace");
  CHECK(ns["org_ids"] == json::array({"GB-COH-11223344"}));
  CHECK(ns["registered_seq"] == kStartSize);
  CHECK(ns["keys"].empty());

  json pool = b.ok_json({"party", "show", "pool", "--json"});
  CHECK(pool["kind"] == "pool");
  CHECK(pool["balance_minor"] == 500000);
  CHECK(pool["balance"] == "5000.00");
  REQUIRE(pool["keys"].size() == 2);
  std::vector<std::string> roles{pool["keys"][0]["role"], pool["keys"][1]["role"]};
  std::sort(roles.begin(), roles.end());
  CHECK(roles == std::vector<std::string>{"approver", "officer"});
  CHECK(contains(pool.dump(), "section 75 agreement"));

  json hope = b.ok_json({"party", "show", "hope", "--json"});
  CHECK(hope["budget_limited"] == true);

  RunResult show_text = b.ok({"party", "show", "pool"});
  CHECK(contains(show_text.out, "kind:          pool"));
  CHECK(contains(show_text.out, "    approver "));
  CHECK(contains(show_text.out, "    officer "));

  // Failures write nothing.
  expect_refused(b, {"party", "add", "newstart", "--name", "Another NewStart", "--kind", "provider", "--key", b.key("admin")}, 1,
                 "newstart");
  expect_refused(b, {"party", "add", "x1", "--name", "X", "--kind", "provider", "--controlled-by", "nobody", "--key", b.key("admin")},
                 1, "nobody");
  expect_refused(b, {"party", "add", "x2", "--name", "X", "--kind", "provider", "--org-id", "gb-chc-1164883", "--key", b.key("admin")},
                 1, "rule 2");
  expect_refused(b, {"party", "add", "x3", "--name", "X", "--kind", "provider", "--key", b.key("council")}, 1, "rule 1");
  expect_refused(b, {"party", "add", "x4", "--name", "X", "--kind", "wizard", "--key", b.key("admin")}, 2, "wizard");
  expect_refused(b, {"party", "add", "Bad Id", "--name", "X", "--kind", "provider", "--key", b.key("admin")}, 2, "slug");  // a malformed id: check `format`, exit 2
  expect_refused(b, {"party", "add", "x5", "--name", "X", "--kind", "pool", "--share", "council", "--key", b.key("admin")}, 2,
                 "--share");
  expect_refused(b, {"party", "show", "nobody"}, 2, "no party 'nobody'");
}

TEST_CASE("grant-key and revoke-key decide who may sign") {
  Books b;
  std::string text = trim(b.ok({"key", "public", b.key("stranger")}).out);

  // Granted by its verifier text.
  RunResult grant = b.ft({"grant-key", "police", text, "--role", "officer", "--key", b.key("admin")});
  INFO(grant);
  REQUIRE(grant.code == 0);
  CHECK(grant.out == "12\n");
  CHECK(grant.err.empty());
  CHECK(b.ok({"contribute", "--from", "police", "--to", "pool", "--amount", "100.00", "--date", "2025-04-03", "--key",
              b.key("stranger")}).out == "13\n");
  json police = b.ok_json({"party", "show", "police", "--json"});
  REQUIRE(police["keys"].size() == 1);
  CHECK(police["keys"][0]["role"] == "officer");
  CHECK(police["keys"][0]["revoked"] == false);

  // Revoked by its key file.
  RunResult revoke = b.ft({"revoke-key", "police", b.key("stranger"), "--key", b.key("admin")});
  INFO(revoke);
  REQUIRE(revoke.code == 0);
  CHECK(revoke.out == "14\n");
  police = b.ok_json({"party", "show", "police", "--json"});
  CHECK(police["keys"][0]["revoked"] == true);

  // A revoked key signs nothing more.
  expect_refused(b, {"contribute", "--from", "police", "--to", "pool", "--amount", "200.00", "--date", "2025-04-03", "--key",
                     b.key("stranger")},
                 1, "rule 1");
  // Failures.
  expect_refused(b, {"grant-key", "police", "not-a-key", "--role", "officer", "--key", b.key("admin")}, 2, "not-a-key");
  expect_refused(b, {"grant-key", "council", text, "--role", "administrator", "--key", b.key("admin")}, 1, "rule 2");
  expect_refused(b, {"grant-key", "nobody", text, "--role", "officer", "--key", b.key("admin")}, 1, "nobody");
  expect_refused(b, {"grant-key", "council", text, "--role", "officer", "--key", b.key("council")}, 1, "rule 1");
  expect_refused(b, {"grant-key", "council", text, "--role", "boss", "--key", b.key("admin")}, 2, "boss");
  expect_refused(b, {"revoke-key", "council", text, "--key", b.key("admin")}, 1, "rule 2");
  expect_refused(b, {"revoke-key", "ledger", b.key("admin"), "--key", b.key("admin")}, 1, "administrator");
}
