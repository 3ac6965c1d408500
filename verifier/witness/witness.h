// The witness of c2sp.org/tlog-witness: checks a submitted checkpoint against
// the log's trusted keys and the witness's own record of the log, and
// cosigns it (c2sp.org/tlog-cosignature, Ed25519 cosignature/v1) only if the
// log has grown consistently. HTTP-free, so tests and the server share it.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "keyfile.h"
#include "note.h"
#include "state.h"

namespace fv::witness {

struct Answer {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
};

// Checks the log's records up to a checkpoint before it is cosigned (--tiles).
// Returns 0 when every check passed, 1 when one failed, 2 when the records
// could not be checked; `detail` says why.
using RecordCheck = std::function<int(const std::string& checkpointNote, std::string& detail)>;

class Witness {
 public:
  // logKeys: type 0x01 keys; the key name is the origin it signs for (several
  // keys may share an origin). Loads each origin's state; throws if damaged.
  Witness(const SecretKey& key, const std::vector<VerifierKey>& logKeys, const StateDir& state,
          RecordCheck recordCheck = nullptr);

  // POST <prefix>/add-checkpoint. The check of the old size and the update
  // of the stored state are atomic per origin (one mutex each, held across
  // the proof check, the --tiles run, the fsync and the signature).
  Answer addCheckpoint(std::string_view body);
  // GET <prefix>/<origin hash>/checkpoint: the latest cosigned checkpoint.
  Answer latest(std::string_view originHashHex);

  const VerifierKey& publicKey() const { return me_; }

 private:
  struct Log {
    std::vector<VerifierKey> keys;
    std::mutex mu;
    LogState state;
  };
  // Runs the record check, signs, and persists: the caller holds log.mu.
  Answer cosign(Log& log, const Checkpoint& cp, const std::string& noteText,
                const std::vector<SignatureLine>& logLines);

  const SecretKey& key_;
  VerifierKey me_;
  const StateDir& state_;
  RecordCheck recordCheck_;
  std::map<std::string, std::unique_ptr<Log>, std::less<>> logs_;  // by origin
  std::map<std::string, std::string, std::less<>> byHash_;          // origin hash -> origin
};

}  // namespace fv::witness
