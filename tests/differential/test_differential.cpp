// The writer and the verifier agree (DESIGN.md "One request model"): seeded
// scenarios of generated requests, valid and broken, through Ledger::append;
// each refusal cross-checked against fundtrail-verify's verdict on the same
// entry forced into the ledger, and each ledger so made verified whole.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "differential.h"

using namespace fundtrail::differential;

namespace {

std::string scratch(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("fundtrail-differential-" + std::to_string(::getpid()) + "-" + name);
  return dir.string();
}

std::string report(const Summary& s) {
  std::string out;
  for (auto& d : s.disagreements) out += "\n  " + d;
  return out;
}

}  // namespace

TEST_CASE("differential: generated requests, every refusal named alike by the writer and the verifier") {
  // Bounded and seeded: FUNDTRAIL_DIFFERENTIAL_SEEDS widens a local run.
  uint64_t seeds = 24;
  if (const char* env = std::getenv("FUNDTRAIL_DIFFERENTIAL_SEEDS")) seeds = std::strtoull(env, nullptr, 10);
  Summary total;
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    Scenario s(scratch("seed" + std::to_string(seed)));
    SeededChoices c(seed);
    for (int i = 0; i < 80; ++i) s.step(c);
    s.verify_whole_ledger();
    auto& sum = s.summary();
    INFO("seed " << seed << report(sum));
    CHECK(sum.disagreements.empty());
    total.accepted += sum.accepted;
    total.refused += sum.refused;
    total.newer_format += sum.newer_format;
    total.runs_accepted += sum.runs_accepted;
    total.runs_refused += sum.runs_refused;
    for (auto& [check, n] : sum.refused_by_check) total.refused_by_check[check] += n;
  }
  std::string by_check;
  for (auto& [check, n] : total.refused_by_check) by_check += " " + check + "=" + std::to_string(n);
  MESSAGE("accepted " << total.accepted << ", refused " << total.refused << " (newer format " << total.newer_format
                      << "); payment runs accepted " << total.runs_accepted << ", refused " << total.runs_refused
                      << "); refused by check:" << by_check);
  // The generator must reach both sides of every kind of check, or this test
  // could pass by generating nothing interesting.
  CHECK(total.accepted > 200);
  CHECK(total.newer_format > 0);
  CHECK(total.runs_accepted > 5);
  CHECK(total.runs_refused > 5);
  for (const char* check : {"format", "limits", "rule 1", "rule 2", "rule 3", "rule 4", "rule 5", "rule 6", "rule 7", "rule 8", "rule 9",
                            "rule 12"}) {
    INFO("check " << check);
    CHECK(total.refused_by_check[check] > 0);
  }
}

TEST_CASE("differential: a contract chain at the depth bound, and one deeper, alike on both sides") {
  Scenario s(scratch("chain"));
  for (int depth = 1; depth <= 32; ++depth) {
    INFO("depth " << depth << report(s.summary()));
    REQUIRE(s.deepen_contract_chain());
  }
  CHECK_FALSE(s.deepen_contract_chain());  // the 33rd: refused as `limits`, and the verifier says `limits` too
  INFO(report(s.summary()));
  CHECK(s.summary().disagreements.empty());
  CHECK(s.summary().refused_by_check.at("limits") == 1);
  s.verify_whole_ledger();
  CHECK(s.summary().disagreements.empty());
}
