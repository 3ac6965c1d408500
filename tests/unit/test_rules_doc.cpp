// docs/rules.md "Checks" is the table of every check: each check id the
// writer refuses with, or the verifier fails with, has its row (or, for the
// verifier's checks beyond records, its mention), and each row names a check
// the writer's Error knows.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "ledger/error.h"

namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::filesystem::path kRoot = FUNDTRAIL_SOURCE_DIR;

// Check ids the writer's code refuses with: refuse("id", ...), legacy
// refuse("id: ..."), and the rules' fail(N, ...).
std::set<std::string> writer_check_ids() {
  std::set<std::string> ids;
  std::regex api(R"re(refuse\("([a-z]+(?: [0-9]+)?)",)re");
  std::regex legacy(R"re(refuse\((?:std::string\()?"(rule [0-9]+|format|limits|canonical|index|checkpoint): )re");
  std::regex rule(R"re(\bfail\(([0-9]+),)re");
  for (const char* dir : {"ledger", "interop", "cli", "server"}) {
    if (!std::filesystem::exists(kRoot / dir)) continue;
    for (auto& e : std::filesystem::directory_iterator(kRoot / dir)) {
      if (e.path().extension() != ".cpp" && e.path().extension() != ".h") continue;
      std::string text = slurp(e.path());
      for (auto* re : {&api, &legacy})
        for (std::sregex_iterator it(text.begin(), text.end(), *re), end; it != end; ++it) ids.insert((*it)[1]);
      for (std::sregex_iterator it(text.begin(), text.end(), rule), end; it != end; ++it) ids.insert("rule " + (*it)[1].str());
    }
  }
  return ids;
}

// The verifier's check names, from its one table of them (verifier/report.cpp).
std::set<std::string> verifier_check_names() {
  std::string text = slurp(kRoot / "verifier/report.cpp");
  auto start = text.find("names[] = {");
  REQUIRE(start != std::string::npos);
  auto end = text.find("};", start);
  std::set<std::string> names;
  std::regex quoted(R"re("([^"]+)")re");
  std::string block = text.substr(start, end - start);
  for (std::sregex_iterator it(block.begin(), block.end(), quoted), e; it != e; ++it) names.insert((*it)[1]);
  return names;
}

std::set<std::string> table_rows(const std::string& doc) {
  std::set<std::string> rows;
  std::regex row(R"re(\n\| `([^`]+)` \|)re");
  for (std::sregex_iterator it(doc.begin(), doc.end(), row), e; it != e; ++it) rows.insert((*it)[1]);
  return rows;
}

}  // namespace

TEST_CASE("docs/rules.md: every check id used in code has its row in the check table") {
  std::string doc = slurp(kRoot / "docs/rules.md");
  auto rows = table_rows(doc);
  REQUIRE(rows.size() >= 17);  // canonical, format, limits, rules 1-12, index, checkpoint
  auto writer = writer_check_ids();
  CHECK(writer.size() >= 12);  // the scan found the writer's checks at all
  for (auto& id : writer) {
    INFO("writer check id '" << id << "' (docs/rules.md needs a row | `" << id << "` |)");
    CHECK(rows.count(id) == 1);
  }
  auto verifier = verifier_check_names();
  CHECK(verifier.size() >= 15);
  for (auto& name : verifier) {
    INFO("verifier check '" << name << "' (docs/rules.md must name it in backticks)");
    CHECK(doc.find("`" + name + "`") != std::string::npos);
  }
  for (auto& id : rows) {
    INFO("table row '" << id << "' is not a check id the writer knows");
    CHECK(fundtrail::is_known_check(id));
  }
}

TEST_CASE("refusals as values: exit codes and HTTP statuses follow from the check id") {
  using fundtrail::Error;
  Error rule4("rule 4", "amount", std::nullopt, "pool would go below zero");
  CHECK(fundtrail::exit_code(rule4) == 1);
  CHECK(fundtrail::http_status(rule4) == 422);
  CHECK(std::string(rule4.what()) == "rule 4: pool would go below zero");
  Error rule6("rule 6", "idempotencyKey", 17, "held by another request");
  CHECK(fundtrail::http_status(rule6) == 409);
  CHECK(fundtrail::refusal_json(rule6, true) ==
        R"({"error": "held by another request", "check": "rule 6", "field": "idempotencyKey", "seq": 17, "exit": 1})");
  for (const char* c : {"format", "limits", "canonical"}) {
    Error e(c, "", std::nullopt, "bad");
    CHECK(fundtrail::exit_code(e) == 2);
    CHECK(fundtrail::http_status(e) == 400);
  }
  for (const char* c : {"index", "checkpoint"}) {
    Error e(c, "", std::nullopt, "damaged");
    CHECK(fundtrail::exit_code(e) == 2);
    CHECK(fundtrail::http_status(e) == 500);
  }
  CHECK_FALSE(fundtrail::is_known_check("rule 13"));
  CHECK_FALSE(fundtrail::is_known_check("rule 0"));
  CHECK_THROWS_WITH_AS(fundtrail::refuse("rule 3: amounts are positive"), "rule 3: amounts are positive", Error);
  try {
    fundtrail::refuse("limits: memo is 1001 bytes");
  } catch (const Error& e) {
    CHECK(e.check == "limits");
    CHECK(e.message == "memo is 1001 bytes");
  }
  CHECK(fundtrail::refusal_json(Error("format", "memo", std::nullopt, "a \"quoted\"\nline"), false) ==
        R"({"error": "a \"quoted\"\u000aline", "check": "format", "field": "memo"})");
}
