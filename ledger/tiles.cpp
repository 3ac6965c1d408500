#include "ledger/tiles.h"

#include <cstdio>

namespace fundtrail {

std::string tile_index_path(uint64_t n) {
  std::vector<unsigned> groups;
  do {
    groups.push_back(static_cast<unsigned>(n % 1000));
    n /= 1000;
  } while (n > 0);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%s%03u", i > 0 ? "x" : "", groups[i]);
    out += buf;
    if (i > 0) out += '/';
  }
  return out;
}

std::string TileRef::path() const {
  std::string p = "tile/" + (level < 0 ? std::string("entries") : std::to_string(level)) + "/" + tile_index_path(index);
  if (width < kTileWidth) p += ".p/" + std::to_string(width);
  return p;
}

std::vector<TileRef> tiles_for_size(uint64_t size) {
  std::vector<TileRef> out;
  for (int level = 0;; ++level) {
    unsigned shift = kTileHeight * static_cast<unsigned>(level);
    uint64_t hashes = shift >= 64 ? 0 : size >> shift;  // complete subtrees at tree level 8·level
    if (hashes == 0) break;
    for (uint64_t i = 0; i < hashes / kTileWidth; ++i) out.push_back({level, i, kTileWidth});
    if (hashes % kTileWidth) out.push_back({level, hashes / kTileWidth, hashes % kTileWidth});
    if (level == 0)
      for (size_t k = 0, n = out.size(); k < n; ++k) out.push_back({-1, out[k].index, out[k].width});
  }
  return out;
}

std::string hash_tile_bytes(const SubtreeReader& read, const TileRef& tile) {
  std::string out;
  out.reserve(tile.width * 32);
  unsigned tree_level = kTileHeight * static_cast<unsigned>(tile.level);
  for (uint64_t i = 0; i < tile.width; ++i) {
    Hash h = read(tree_level, tile.index * kTileWidth + i);
    out.append(reinterpret_cast<const char*>(h.data()), h.size());
  }
  return out;
}

}  // namespace fundtrail
