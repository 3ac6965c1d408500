// Differential fuzzing of the writer against the verifier (DESIGN.md "One
// request model"): the input's bytes choose a sequence of requests, valid and
// broken (tests/differential/differential.h); each goes through
// Ledger::append, each refusal is cross-checked against fundtrail-verify's
// verdict on the same entry forced into the ledger, and the ledger the writer
// made must verify. Any disagreement aborts, so libFuzzer keeps the input.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "differential.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string dir = "/tmp/fundtrail-fuzz-differential-" + std::to_string(::getpid());
  using namespace fundtrail::differential;
  ByteChoices choices(data, size);
  Scenario scenario(dir);
  for (int steps = 0; steps < 40 && !choices.exhausted(); ++steps) scenario.step(choices);
  scenario.verify_whole_ledger();
  for (auto& d : scenario.summary().disagreements) std::fprintf(stderr, "disagreement: %s\n", d.c_str());
  if (!scenario.summary().disagreements.empty()) std::abort();
  return 0;
}
