// What a witness remembers of each log: the latest checkpoint it cosigned,
// kept as the signed note itself (log signature and our cosignature) in
// STATE_DIR/<hex SHA-256 of the origin>/checkpoint, the path the C2SP
// monitoring API serves. Writes are durable before they return: temporary
// file, fsync, rename, fsync of the directory.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "merkle.h"

namespace fv::witness {

struct LogState {
  uint64_t size = 0;  // 0 and no note: never cosigned
  Hash root{};
  std::string note;   // the cosigned checkpoint, as served to monitors
};

// Lower-case hex SHA-256 of the origin line (without its newline).
std::string originHash(std::string_view origin);

class StateDir {
 public:
  // Creates DIR if needed and takes an exclusive lock on DIR/lock, so two
  // witnesses can never share one state; throws std::runtime_error otherwise.
  explicit StateDir(std::string dir);
  ~StateDir();
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  // The stored state of `origin`; a state that exists but does not parse, or
  // names another origin, throws: a witness that forgot its state could be
  // led to sign a second root for a size it has already cosigned.
  LogState load(std::string_view origin) const;
  // Durably replaces the stored state; throws std::runtime_error on failure.
  void store(std::string_view origin, const std::string& note) const;
  // Keeps a request that proves the log misbehaved (a split view); best effort.
  std::string keepEvidence(std::string_view origin, uint64_t size, const std::string& request) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int lockFd_ = -1;
};

}  // namespace fv::witness
