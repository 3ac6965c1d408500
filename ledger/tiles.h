// C2SP tlog-tiles layout: which hash tiles and entry bundles a tree of a
// given size has, where they live, and their bytes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/merkle.h"
#include "ledger/record.h"

namespace fundtrail {

class Ledger;

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

// The tile a path names, "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]",
// exactly as TileRef::path() writes it (no other spelling of the same tile);
// nullopt for anything else. Untrusted input: bounded, never throws.
std::optional<TileRef> parse_tile_path(std::string_view path);

// Whether a tree of `size` leaves holds every hash (or entry) of the tile, so
// its bytes are fixed for good.
bool tile_within(const TileRef& tile, uint64_t size);

// The bytes of a hash tile or entry bundle the ledger holds whole
// (tile_within(tile, ledger.size())): what `publish --tiles` writes and
// `serve` answers. The caller holds the ledger against concurrent writes.
std::string tile_bytes(const Ledger& ledger, const TileRef& tile);

// Entry bundles: each leaf as a 2-byte big-endian length and its bytes.
constexpr size_t kMaxBundleBytes = kTileWidth * (2 + kMaxLeafBytes);
void append_bundle_entry(std::string& bundle, std::span<const uint8_t> leaf);
// Exactly `width` entries and nothing after them, each 1 to 65535 bytes;
// nullopt (with `why`) for any other framing.
std::optional<std::vector<Bytes>> split_entry_bundle(std::string_view bundle, uint64_t width, std::string& why);

}  // namespace fundtrail
