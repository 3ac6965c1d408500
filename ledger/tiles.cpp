#include "ledger/tiles.h"

#include <cstdio>

#include "ledger/assert.h"
#include "ledger/ledger.h"

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

namespace {

// "x001/x234/067" -> 1234067; each group exactly three digits, all but the
// last prefixed x. Six groups reach 10^18 tiles, more than any tree holds.
std::optional<uint64_t> parse_index_path(std::string_view s) {
  uint64_t n = 0;
  for (int group = 0; group < 6; ++group) {
    bool last = s.size() == 3;
    if (!last && (s.size() < 5 || s[0] != 'x' || s[4] != '/')) return std::nullopt;
    std::string_view digits = last ? s : s.substr(1, 3);
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    n = n * 1000 + uint64_t((digits[0] - '0') * 100 + (digits[1] - '0') * 10 + (digits[2] - '0'));
    if (last) return n;
    s.remove_prefix(5);
  }
  return std::nullopt;
}

}  // namespace

std::optional<TileRef> parse_tile_path(std::string_view path) {
  if (path.size() > 64 || path.substr(0, 5) != "tile/") return std::nullopt;
  const std::string_view whole = path;
  path.remove_prefix(5);
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::string_view level = path.substr(0, slash), rest = path.substr(slash + 1);
  TileRef t;
  if (level == "entries") {
    t.level = -1;
  } else if (level.size() == 1 && level[0] >= '0' && level[0] <= '7') {
    t.level = level[0] - '0';
  } else {
    return std::nullopt;
  }
  t.width = kTileWidth;
  if (size_t p = rest.find(".p/"); p != std::string_view::npos) {
    std::string_view w = rest.substr(p + 3);
    if (w.empty() || w.size() > 3 || w[0] == '0') return std::nullopt;
    t.width = 0;
    for (char c : w) {
      if (c < '0' || c > '9') return std::nullopt;
      t.width = t.width * 10 + uint64_t(c - '0');
    }
    if (t.width >= kTileWidth) return std::nullopt;
    rest = rest.substr(0, p);
  }
  auto index = parse_index_path(rest);
  if (!index) return std::nullopt;
  t.index = *index;
  if (t.path() != whole) return std::nullopt;  // one spelling per tile
  return t;
}

bool tile_within(const TileRef& tile, uint64_t size) {
  unsigned shift = kTileHeight * static_cast<unsigned>(tile.level < 0 ? 0 : tile.level);
  uint64_t hashes = shift >= 64 ? 0 : size >> shift;
  if (tile.width == 0 || tile.width > kTileWidth || tile.index > hashes / kTileWidth) return false;
  return tile.index * kTileWidth + tile.width <= hashes;
}

std::string tile_bytes(const Ledger& ledger, const TileRef& tile) {
  FT_REQUIRE(tile_within(tile, ledger.size()), "the ledger holds the whole tile");
  if (tile.level >= 0)
    return hash_tile_bytes([&](unsigned level, uint64_t index) { return ledger.subtree_hash(level, index); }, tile);
  std::string out;
  ledger.for_each(tile.index * kTileWidth, tile.index * kTileWidth + tile.width, [&](uint64_t, std::span<const uint8_t> leaf) {
    append_bundle_entry(out, leaf);
    return true;
  });
  return out;
}

void append_bundle_entry(std::string& bundle, std::span<const uint8_t> leaf) {
  FT_REQUIRE(!leaf.empty() && leaf.size() <= kMaxLeafBytes, "a bundle entry is 1 to 65535 bytes");
  bundle += static_cast<char>(leaf.size() >> 8);
  bundle += static_cast<char>(leaf.size() & 0xff);
  bundle.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
}

std::optional<std::vector<Bytes>> split_entry_bundle(std::string_view b, uint64_t width, std::string& why) {
  std::vector<Bytes> out;
  size_t off = 0;
  for (uint64_t i = 0; i < width; ++i) {
    if (b.size() - off < 2) {
      why = "it ends after " + std::to_string(i) + " of its " + std::to_string(width) + " entries";
      return std::nullopt;
    }
    size_t len = size_t(uint8_t(b[off])) << 8 | uint8_t(b[off + 1]);
    if (len == 0 || b.size() - off - 2 < len) {
      why = "entry " + std::to_string(i) + " says " + std::to_string(len) + " bytes and " +
            std::to_string(b.size() - off - 2) + " remain";
      return std::nullopt;
    }
    out.emplace_back(b.begin() + off + 2, b.begin() + off + 2 + len);
    off += 2 + len;
  }
  if (off != b.size()) {
    why = std::to_string(b.size() - off) + " bytes follow its " + std::to_string(width) + " entries";
    return std::nullopt;
  }
  return out;
}

}  // namespace fundtrail
