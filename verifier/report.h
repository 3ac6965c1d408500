// What a run found, and how it is shown: text for people, --json for machines
// (fields documented in docs/verifier.md).
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fv {

// The checks, in the order the report lists them.
enum class Check {
  Canonical, Format, Limits, Rule1, Rule2, Rule3, Rule4, Rule5, Rule6, Rule7, Rule8, Rule9, Rule10, Rule11, Rule12,
  LogKey, Checkpoints, Consistency, Witnesses, Statement,
  Tiles,  // listed only in a --tiles run (Report::tilesRun)
  Count
};
const char* checkName(Check c);   // "canonical", "rule 4", ...
const char* checkTitle(Check c);  // one line on what it checks

// Text from records made safe to print: valid UTF-8 kept, anything else as \xNN.
std::string printable(std::string_view s);

struct Failure {
  std::optional<uint64_t> seq;  // the record's position, when the failure is about one record
  Check check;
  std::string reason;
  std::string field;            // the Entry field it is about (format, limits), else empty
  std::string text() const;     // "seq 7: rule 4: pool 'riverside-pool' would go below zero by 0.01"
};

struct PartyTotal {
  std::string id, kind;
  bool pool = false, budgetLimited = false;
  int64_t balance = 0;
  __int128 received = 0, paid = 0;
};

struct CheckpointResult {
  std::string file;
  std::optional<uint64_t> size;
  std::string root;                 // base64, as the checkpoint states it
  std::string status;               // "matches", "mismatch", "beyond the records", "bad signature", ...
  std::vector<std::string> witnesses;  // names of witnesses whose cosignature verified
  // Its signature was checked against a trusted --log-key. False when no
  // --log-key was given (the key genesis names was used, which ties nothing).
  bool trustedKey = false;
  std::string trustNote;  // when !trustedKey: what its signature was checked against, and that it ties nothing
};

struct Report {
  std::string input, inputKind;
  bool tilesRun = false;                // --tiles: the `tiles` check is listed
  std::string origin, currency;
  int exponent = 2;
  uint64_t records = 0, parties = 0, keys = 0, grants = 0, signatures = 0, contracts = 0;
  uint64_t batches = 0, batchedRecords = 0;  // payment runs checked, and the records they hold
  std::optional<std::string> unusable;  // set: exit 2
  size_t maxFailures = 20;
  std::vector<Failure> failures;        // the first maxFailures
  uint64_t failureCount = 0;
  std::map<Check, uint64_t> failuresPerCheck;
  std::map<Check, std::string> skipped;  // check -> why it did not run
  // Records of a newer format (an unknown body kind or enum value): checked as
  // far as this verifier can, their effects skipped. Exit 2 unless a check failed.
  std::vector<uint64_t> newerFormat;     // the first maxFailures seqs
  uint64_t newerFormatCount = 0;
  std::string newerFormatFirst;          // what the first one holds: "body kind 40", "payment.mechanism 12"
  std::vector<PartyTotal> totals;        // sorted by id
  std::vector<CheckpointResult> checkpoints;
  std::string logKeyTrust;               // "trusted (--log-key)", "from genesis only", "none"
  std::vector<std::string> trust;        // plain sentences on what this run proves
  // Anchored: a trusted --log-key was given and at least one checkpoint (in a
  // --tiles run the published one counts) verified with it vouches for records.
  // Without that a clean run shows the records consistent with themselves
  // only, and says so; --require-anchor makes that exit 1.
  bool anchored = false;
  bool anchorRequired = false;           // --require-anchor
  std::string anchorNote = "not anchored: no verdict on the records";  // "anchored: ..." or "not anchored: <why>"

  void fail(std::optional<uint64_t> seq, Check check, std::string reason, std::string field = {});
  void newer(uint64_t seq, const std::string& what);
  bool missingAnchor() const { return anchorRequired && !anchored; }
  int exitCode() const {
    return unusable ? 2 : failureCount ? 1 : missingAnchor() ? 1 : newerFormatCount ? 2 : 0;
  }
  // The result line after "result: ", e.g. "PASS (exit 0)" or "CONSISTENT, not anchored (exit 0)".
  std::string resultText() const;
  std::string newerFormatText() const;  // "seq 7 (body kind 40) and 2 more records are of a newer format ..." 
  std::string text() const;
  std::string json() const;
};

}  // namespace fv
