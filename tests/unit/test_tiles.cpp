// Tile layout of C2SP tlog-tiles: paths, which tiles a size publishes, bytes.
#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "ledger/tiles.h"

using namespace fundtrail;

namespace {

std::set<std::string> paths(uint64_t size) {
  std::set<std::string> out;
  for (auto& t : tiles_for_size(size)) out.insert(t.path());
  return out;
}

Hash h(const std::string& s) {
  Hash out;
  crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(s.data()), s.size());
  return out;
}

}  // namespace

TEST_CASE("tiles: index paths group digits in threes, all but the last prefixed x") {
  CHECK(tile_index_path(0) == "000");
  CHECK(tile_index_path(999) == "999");
  CHECK(tile_index_path(1000) == "x001/000");
  CHECK(tile_index_path(1234067) == "x001/x234/067");
}

TEST_CASE("tiles: sizes 0, 1, 255, 256 and 257") {
  CHECK(paths(0).empty());
  CHECK(paths(1) == std::set<std::string>{"tile/0/000.p/1", "tile/entries/000.p/1"});
  CHECK(paths(255) == std::set<std::string>{"tile/0/000.p/255", "tile/entries/000.p/255"});
  CHECK(paths(256) == std::set<std::string>{"tile/0/000", "tile/entries/000", "tile/1/000.p/1"});
  CHECK(paths(257) == std::set<std::string>{"tile/0/000", "tile/0/001.p/1", "tile/entries/000", "tile/entries/001.p/1",
                                            "tile/1/000.p/1"});
}

TEST_CASE("tiles: size 65536 has 256 full level-0 tiles, one full level-1 tile and a level-2 partial") {
  auto p = paths(65536);
  CHECK(p.count("tile/0/255"));
  CHECK(!p.count("tile/0/256"));
  CHECK(p.count("tile/1/000"));
  CHECK(p.count("tile/2/000.p/1"));
  CHECK(p.size() == 256 + 256 + 1 + 1);
}

TEST_CASE("tiles: size 70000 matches the issue's list") {
  auto tiles = tiles_for_size(70000);
  size_t full0 = std::count_if(tiles.begin(), tiles.end(), [](auto& t) { return t.level == 0 && t.width == 256; });
  CHECK(full0 == 273);
  auto p = paths(70000);
  CHECK(p.count("tile/0/273.p/112"));
  CHECK(p.count("tile/entries/273.p/112"));
  CHECK(p.count("tile/1/000"));
  CHECK(p.count("tile/1/001.p/17"));
  CHECK(p.count("tile/2/000.p/1"));
  CHECK(!p.count("tile/3/000.p/1"));
  CHECK(p.size() == 274 * 2 + 2 + 1);
}

TEST_CASE("tiles: a level-1 tile holds the roots of 256-leaf subtrees") {
  std::map<std::pair<unsigned, uint64_t>, Hash> store;
  SubtreeReader read = [&](unsigned level, uint64_t index) { return store.at({level, index}); };
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < 512; ++i) {
    leaves.push_back(h("leaf " + std::to_string(i)));
    add_leaf(read, i, leaves.back(), [&](unsigned l, uint64_t x, const Hash& v) { store[{l, x}] = v; });
  }
  // Independently: fold each 256-leaf block pairwise.
  auto block_root = [&](size_t start) {
    std::vector<Hash> level(leaves.begin() + static_cast<long>(start), leaves.begin() + static_cast<long>(start + 256));
    while (level.size() > 1) {
      std::vector<Hash> next;
      for (size_t i = 0; i < level.size(); i += 2) next.push_back(node_hash(level[i], level[i + 1]));
      level = next;
    }
    return level[0];
  };
  std::string tile = hash_tile_bytes(read, TileRef{1, 0, 2});
  REQUIRE(tile.size() == 64);
  Hash a = block_root(0), b = block_root(256);
  CHECK(tile.substr(0, 32) == std::string(reinterpret_cast<const char*>(a.data()), 32));
  CHECK(tile.substr(32, 32) == std::string(reinterpret_cast<const char*>(b.data()), 32));
  std::string level0 = hash_tile_bytes(read, TileRef{0, 1, 3});
  CHECK(level0.substr(0, 32) == std::string(reinterpret_cast<const char*>(leaves[256].data()), 32));
}

TEST_CASE("tiles: every path a size publishes parses back to its tile, and no other spelling parses") {
  for (uint64_t size : {1ull, 255ull, 256ull, 257ull, 70000ull, 1234567ull}) {
    for (const TileRef& t : tiles_for_size(size)) {
      auto back = parse_tile_path(t.path());
      INFO(t.path());
      REQUIRE(back);
      CHECK(back->level == t.level);
      CHECK(back->index == t.index);
      CHECK(back->width == t.width);
      CHECK(tile_within(t, size));
    }
  }
  for (const char* bad : {"", "tile/", "tile/0/", "tile/0/0", "tile/0/0000", "tile/0/x000/001", "tile/0/001.p/0",
                          "tile/0/001.p/256", "tile/0/001.p/016", "tile/0/001.p/", "tile/8/000", "tile/-1/000",
                          "tile/entry/000", "tile/0/x1000/000", "tile/0/00a", "tile/0/000/", "tile/0/000.p/1/",
                          "tile/0/x001/x002/x003/x004/x005/x006/007", "/tile/0/000", "tile/0/x001"}) {
    INFO(bad);
    CHECK(!parse_tile_path(bad));
  }
}

TEST_CASE("tiles: a tile is within a size only when that size holds all of it") {
  CHECK(tile_within(TileRef{-1, 0, 5}, 5));
  CHECK(!tile_within(TileRef{-1, 0, 6}, 5));
  CHECK(tile_within(TileRef{0, 0, 256}, 256));
  CHECK(!tile_within(TileRef{0, 1, 1}, 256));
  CHECK(tile_within(TileRef{1, 0, 1}, 256));
  CHECK(!tile_within(TileRef{1, 0, 2}, 511));
  CHECK(tile_within(TileRef{1, 0, 2}, 512));
  CHECK(tile_within(TileRef{7, 0, 255}, UINT64_MAX));  // 2^64 - 1 leaves: 255 subtrees of 2^56
  CHECK(!tile_within(TileRef{7, 0, 256}, UINT64_MAX));
  CHECK(!tile_within(TileRef{0, UINT64_MAX, 256}, UINT64_MAX));
}

TEST_CASE("tiles: an entry bundle splits back into its leaves, and bad framing is named") {
  std::string bundle;
  std::vector<Bytes> leaves{Bytes(1, 7), Bytes(300, 9), Bytes(kMaxLeafBytes, 1)};
  for (const Bytes& l : leaves) append_bundle_entry(bundle, l);
  std::string why;
  auto back = split_entry_bundle(bundle, 3, why);
  REQUIRE(back);
  CHECK(*back == leaves);
  CHECK(!split_entry_bundle(bundle, 2, why));
  CHECK(why.find("follow its 2 entries") != std::string::npos);
  CHECK(!split_entry_bundle(bundle, 4, why));
  CHECK(why.find("ends after 3") != std::string::npos);
  CHECK(!split_entry_bundle(bundle.substr(0, bundle.size() - 1), 3, why));
  CHECK(!split_entry_bundle(std::string("\0\0", 2), 1, why));  // an empty entry is no record
}
