// What fundtrail-verify says of a ledger written byte by byte (builder.h):
// it holds (exit 0), or it is broken at a seq under a check, with a reason.
#pragma once
#include <doctest/doctest.h>

#include <string>

#include "builder.h"
#include "run.h"

namespace tb {

inline Result verifyLedger(const Ledger& L, bool asDirectory = false) {
  std::string path = tempDir() + (asDirectory ? "/ledger" : "/ledger.bundle");
  if (asDirectory) writeLmdb(path, L.leaves());
  else writeBundle(path, L.leaves());
  return runVerify(quote(path) + " --max-failures 50");
}

inline void holds(const Ledger& L) {
  Result r = verifyLedger(L);
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.rc == 0);
  CHECK(r.out.find("result: CONSISTENT, not anchored (exit 0)") != std::string::npos);  // no --log-key: clean, unanchored
}

// Is there a failure line "seq N: CHECK: ..." with `reason` somewhere after the prefix?
inline bool hasFailure(const std::string& out, uint64_t seq, const std::string& check, const std::string& reason) {
  std::string prefix = "  seq " + std::to_string(seq) + ": " + check + ": ";
  for (size_t at = out.find(prefix); at != std::string::npos; at = out.find(prefix, at + 1)) {
    std::string line = out.substr(at, out.find('\n', at) - at);
    if (line.find(reason, prefix.size()) != std::string::npos) return true;
  }
  return false;
}

// Broken at `seq` under `rule`, with `reason` in the failure line, and `count` failures in all.
inline void broken(const Ledger& L, uint64_t seq, int rule, const std::string& reason, int count = 1,
            bool asDirectory = false) {
  Result r = verifyLedger(L, asDirectory);
  CAPTURE(r.out);
  CAPTURE(r.err);
  CHECK(r.rc == 1);
  std::string check = "rule " + std::to_string(rule);
  CHECK_MESSAGE(hasFailure(r.out, seq, check, reason), "missing: seq " << seq << ": " << check << ": ... " << reason);
  CHECK_MESSAGE(r.out.find("failures (" + std::to_string(count) + ")") != std::string::npos, "expected " << count << " failure(s)");
}


}  // namespace tb
