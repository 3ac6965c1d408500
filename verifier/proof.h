// `fundtrail-verify proof`: checks an inclusion or consistency proof (the JSON
// `fundtrail proof` prints, DESIGN.md "Bytes, hashes, signatures") against
// checkpoints signed by the trusted log key, with no ledger at hand; and a
// batch proof (`fundtrail proof batch SEQ`): a record's path in its payment
// run's tree, from the record's leaf to the root its batch record's officers
// signed.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "note.h"

namespace fv {

struct ProofRequest {
  std::string proofFile;
  std::vector<std::string> checkpointFiles;  // inclusion: one; consistency: the old and the new, in any order
  std::optional<VerifierKey> logKey;         // trusted; its name is the log's origin (inclusion, consistency)
  std::optional<std::string> leafFile;       // inclusion, batch: the record's stored bytes (fundtrail show SEQ --raw)
  std::optional<std::string> batchLeafFile;  // batch: the batch record's stored bytes
};

struct ProofOutcome {
  int exitCode = 2;     // 0 verified, 1 rejected, 2 unusable input or bad usage
  std::string kind;     // "inclusion", "consistency", "batch", or empty when the proof could not be read
  std::string message;  // what was verified, or why not
  // batch, when verified: the keys (base64) whose signatures on the batch record verified
  std::vector<std::string> signers;
  std::string json() const;
};

// Never throws: every outcome, unreadable files included, is a ProofOutcome.
ProofOutcome checkProof(const ProofRequest& request);

}  // namespace fv
