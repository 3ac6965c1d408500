// Where `fundtrail mirror` reads a log from: a ledger server or a static tile
// host (both answer "checkpoint" and the C2SP tlog-tiles paths under one base
// URL), or a directory `fundtrail publish --tiles` wrote. Everything read is
// hostile: bounded here, verified by the caller.
#pragma once
#include <cstddef>
#include <optional>
#include <string>

namespace fundtrail::cli {

class TileSource {
 public:
  // An http:// or https:// URL, else a directory that must exist.
  explicit TileSource(const std::string& source);

  // The file at PATH ("checkpoint", "tile/entries/000.p/7"), at most
  // max_bytes; nullopt when the source has none (HTTP 404, no such file).
  // Error(unusable) for a source that does not answer or answers otherwise.
  std::optional<std::string> get(const std::string& path, size_t max_bytes) const;

  // The URL or directory, as shown in messages.
  const std::string& name() const { return base_; }

 private:
  std::string base_;
  bool http_ = false;
};

}  // namespace fundtrail::cli
