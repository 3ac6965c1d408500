// `fundtrail-verify proof`: checks an inclusion or consistency proof (the JSON
// `fundtrail proof` prints, DESIGN.md "Bytes, hashes, signatures") against
// checkpoints signed by the trusted log key, with no ledger at hand.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "note.h"

namespace fv {

struct ProofRequest {
  std::string proofFile;
  std::vector<std::string> checkpointFiles;  // inclusion: one; consistency: the old and the new, in any order
  VerifierKey logKey;                        // trusted; its name is the log's origin
  std::optional<std::string> leafFile;       // inclusion: the record's stored bytes (fundtrail show SEQ --raw)
};

struct ProofOutcome {
  int exitCode = 2;     // 0 verified, 1 rejected, 2 unusable input or bad usage
  std::string kind;     // "inclusion", "consistency", or empty when the proof could not be read
  std::string message;  // what was verified, or why not
  std::string json() const;
};

// Never throws: every outcome, unreadable files included, is a ProofOutcome.
ProofOutcome checkProof(const ProofRequest& request);

}  // namespace fv
