// Where published tiles come from: a directory, a file:// URL or an http(s)://
// URL (libcurl). Only whole files are fetched, by their path under the prefix
// ("checkpoint", "tile/0/x001/234"), with a size limit each.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

namespace fv {

class Fetcher {
 public:
  enum class Status { Found, Missing, TooLong };
  struct Got {
    Status status = Status::Missing;
    std::string bytes;  // the file (Found), or its first maxBytes + 1 bytes (TooLong)
  };
  virtual ~Fetcher() = default;
  // Missing: no such file, or HTTP 404/410. Anything else that stops the
  // fetch (a refused connection, HTTP 500, a permission error) throws
  // Unusable (source.h): it says nothing about what the log published.
  virtual Got get(const std::string& path, size_t maxBytes) = 0;
  // The file's full name or URL, for messages.
  virtual std::string where(const std::string& path) const = 0;
};

// A directory, file:///abs/dir or http(s)://host[:port]/prefix[/]. Throws
// Unusable for a missing directory or an unsupported scheme.
std::unique_ptr<Fetcher> openFetcher(const std::string& dirOrUrl);

}  // namespace fv
