// C2SP tlog-tiles layout: which hash tiles and entry bundles a tree of a
// given size has, where they live, and their bytes.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ledger/merkle.h"

namespace fundtrail {

constexpr unsigned kTileHeight = 8;
constexpr uint64_t kTileWidth = 256;

// 1234067 -> "x001/x234/067": 3-digit groups, all but the last prefixed x.
std::string tile_index_path(uint64_t n);

struct TileRef {
  int level = 0;       // tile level; -1 for an entry bundle
  uint64_t index = 0;
  uint64_t width = 0;  // 256 for a full tile
  std::string path() const;  // "tile/0/273.p/112", "tile/entries/x001/000"
};

// Every hash tile and entry bundle a tree of `size` leaves publishes, full
// tiles before partial ones, level 0 first.
std::vector<TileRef> tiles_for_size(uint64_t size);

// The raw bytes of a hash tile: `width` 32-byte hashes at tree level 8·level.
std::string hash_tile_bytes(const SubtreeReader& read, const TileRef& tile);

}  // namespace fundtrail
