// C2SP tlog-tiles (c2sp.org/tlog-tiles) from the reader's side, written for the
// verifier alone: where each hash tile and entry bundle of a tree lives, and a
// checker that rebuilds every hash tile from the leaf hashes, in order, and
// compares it with the published one.
//
// Tiles have height 8: the hashes of a tile at level L are the roots of
// consecutive perfect subtrees of 256^L leaves; a full tile holds 256 of them
// (8,192 bytes), the rightmost one of a level is partial (1..255 hashes,
// ".p/<W>"). An entry bundle holds the leaves of one level-0 tile, each after
// a big-endian 16-bit length.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fetch.h"
#include "merkle.h"
#include "source.h"

namespace fv {

constexpr unsigned kTileHeight = 8;
constexpr uint64_t kTileWidth = 256;
constexpr size_t kTileBytes = kTileWidth * 32;
constexpr size_t kMaxBundleBytes = kTileWidth * (2 + 65535);

// 1234067 -> "x001/x234/067": 3-digit groups, all but the last prefixed 'x'.
std::string tileIndexPath(uint64_t n);
// "tile/<level>/<N>[.p/<W>]"; level -1 is "tile/entries/<N>[.p/<W>]".
std::string tilePath(int level, uint64_t index, uint64_t width);
// How many hashes tile `index` of `level` holds in a tree of `size` leaves:
// 256 (full), 1..255 (partial) or 0 (the tree has no such tile).
uint64_t tileWidth(uint64_t size, int level, uint64_t index);
// How many tiles (hash tiles of every level, and entry bundles) a tree of `size` has.
uint64_t tileCount(uint64_t size);

// A published file that is missing or wrong. `where` is the file or URL.
using TileProblem = std::function<void(const std::string& where, const std::string& reason)>;

// Fed every leaf hash of a tree of `size` leaves in order, it rebuilds each
// hash tile as it completes (full tiles, then at finish() the partial ones)
// and fetches and compares the published tile: missing, a wrong length, or
// the first hash that differs from what the leaves give is a problem.
class TileChecker {
 public:
  TileChecker(Fetcher& fetcher, uint64_t size, TileProblem problem);
  void addLeaf(const Hash& leaf);
  void finish();  // after all `size` leaves
  uint64_t tilesChecked() const { return checked_; }

 private:
  void add(size_t level, const Hash& h);
  void compare(int level, uint64_t index, const std::vector<Hash>& hashes);

  Fetcher& fetcher_;
  uint64_t size_;
  TileProblem problem_;
  uint64_t leaves_ = 0, checked_ = 0;
  std::vector<std::vector<Hash>> open_;  // per level: the hashes of the tile being filled
  std::vector<uint64_t> index_;          // per level: that tile's index
};

// The root of the first `m` leaves of the tree of `size` (m <= size), read
// from that tree's published hash tiles alone (no entry bundle): the perfect
// subtrees that make up [0, m) are hashes in those tiles, or roots of a few
// consecutive ones. nullopt, after telling `problem`, when a tile it needs is
// missing or of the wrong length.
std::optional<Hash> rootFromTiles(Fetcher& fetcher, uint64_t size, uint64_t m, const TileProblem& problem);

// The records of a published tree of `size` leaves, read from its entry bundles
// in order (one bundle in memory at a time). Each record's leaf hash goes
// through a TileChecker, so every hash tile is checked on the way. A bundle
// that is missing or mis-framed (not exactly its width of length-prefixed
// entries) is a problem and ends the records there: complete() tells.
class TilesSource : public Source {
 public:
  TilesSource(Fetcher& fetcher, uint64_t size, TileProblem problem);
  const char* kind() const override { return "tiles"; }
  std::string file() const override { return fetcher_.where("tile/entries"); }
  uint64_t expectedCount() const override { return size_; }
  bool next(RawRecord& r) override;
  void releasePages() override {}
  void rescan(const std::function<bool(uint64_t position, const RawRecord&)>& fn) override;
  bool complete() const { return finished_; }
  uint64_t tilesChecked() const { return checker_.tilesChecked() + bundles_; }

 private:
  // Fetches bundle `index` into `out` and checks its framing; false (after
  // telling `problem`, if given) when it is missing or mis-framed.
  bool load(uint64_t index, std::string& out, const TileProblem* problem);

  Fetcher& fetcher_;
  uint64_t size_;
  TileProblem problem_;
  TileChecker checker_;
  std::string bundle_;  // the current bundle
  size_t off_ = 0;      // next entry's length prefix in bundle_
  uint64_t pos_ = 0, bundles_ = 0;
  bool stopped_ = false, finished_ = false;
};

}  // namespace fv
