// One verification run: reads the trusted inputs (checkpoints, statements, log
// and witness keys), streams the records through every check, then compares
// what the records give with what the checkpoints and statements claim.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "note.h"
#include "report.h"

namespace fv {

struct Options {
  std::string input;                        // ledger directory or bundle file
  std::string tiles;                        // or published tiles: a directory or URL (--tiles)
  // With `tiles`: check the tiles against this checkpoint note rather than the
  // published <prefix>/checkpoint (a witness checking the checkpoint it was sent).
  std::optional<std::string> tilesCheckpoint;
  std::vector<std::string> checkpointFiles;
  std::vector<std::string> statementFiles;
  std::optional<VerifierKey> logKey;        // trusted, from --log-key
  std::vector<VerifierKey> witnesses;       // from --witness
  size_t witnessesRequired = 0;
  size_t maxFailures = 20;
  bool progress = false;
  bool requireAnchor = false;               // --require-anchor: an unanchored run is exit 1
};

Report verify(const Options& options);

// Reads a whole file; throws Unusable if it cannot.
std::string readFile(const std::string& path);

}  // namespace fv
