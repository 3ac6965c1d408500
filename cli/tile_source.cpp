#include "cli/tile_source.h"

#include <filesystem>
#include <fstream>

#include "cli/context.h"
#include "cli/http_client.h"
#include "cli/write_target.h"

namespace fundtrail::cli {

TileSource::TileSource(const std::string& source) {
  http_ = source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0;
  if (http_) {
    base_ = server_base_url(source);
    return;
  }
  base_ = source;
  std::error_code ec;
  if (!std::filesystem::is_directory(source, ec))
    usage_error("SOURCE '" + source + "' is neither an http(s) URL nor a directory of published tiles");
}

std::optional<std::string> TileSource::get(const std::string& path, size_t max_bytes) const {
  if (http_) {
    HttpAnswer a = http_get(base_ + "/" + path, 120, max_bytes);
    if (a.status == 404) return std::nullopt;
    if (a.status == 0) unusable("no whole answer from " + base_ + "/" + path + ": " + a.transport + "; the mirror keeps what it had");
    if (a.status != 200)
      unusable(base_ + "/" + path + " answered HTTP " + std::to_string(a.status) + ": " + shown(a.body) +
               "; the mirror keeps what it had");
    return std::move(a.body);
  }
  std::filesystem::path file = std::filesystem::path(base_) / path;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return std::nullopt;
  uintmax_t size = std::filesystem::file_size(file, ec);
  if (ec || size > max_bytes)
    unusable(file.string() + " is larger than such a file can be (" + std::to_string(max_bytes) + " bytes)");
  std::ifstream in(file, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) unusable("cannot read " + file.string());
  return bytes;
}

}  // namespace fundtrail::cli
