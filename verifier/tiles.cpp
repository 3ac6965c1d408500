#include "tiles.h"

#include <cassert>
#include <cstdio>
#include <cstring>
#include <map>

#include "note.h"

namespace fv {
namespace {

std::string leafRange(int level, uint64_t index, uint64_t i) {
  unsigned shift = kTileHeight * unsigned(level);
  uint64_t first = (index * kTileWidth + i) << shift;
  if (level == 0) return "leaf " + std::to_string(first);
  return "leaves " + std::to_string(first) + ".." + std::to_string(first + (uint64_t(1) << shift) - 1);
}

}  // namespace

std::string tileIndexPath(uint64_t n) {
  std::vector<unsigned> groups;
  do {
    groups.push_back(unsigned(n % 1000));
    n /= 1000;
  } while (n > 0);
  std::string out;
  for (size_t i = groups.size(); i-- > 0;) {
    char buf[8];
    snprintf(buf, sizeof buf, "%s%03u", i > 0 ? "x" : "", groups[i]);
    out += buf;
    if (i > 0) out += '/';
  }
  return out;
}

std::string tilePath(int level, uint64_t index, uint64_t width) {
  assert(level >= -1 && level < 8 && width >= 1 && width <= kTileWidth);
  std::string p = "tile/" + (level < 0 ? std::string("entries") : std::to_string(level)) + "/" + tileIndexPath(index);
  if (width < kTileWidth) p += ".p/" + std::to_string(width);
  return p;
}

uint64_t tileWidth(uint64_t size, int level, uint64_t index) {
  unsigned shift = kTileHeight * unsigned(level < 0 ? 0 : level);
  uint64_t hashes = shift >= 64 ? 0 : size >> shift;  // complete subtrees of 256^level leaves
  uint64_t full = hashes / kTileWidth;
  return index < full ? kTileWidth : index == full ? hashes % kTileWidth : 0;
}

uint64_t tileCount(uint64_t size) {
  uint64_t n = 0;
  for (unsigned shift = 0; shift < 64 && (size >> shift) > 0; shift += kTileHeight) {
    uint64_t hashes = size >> shift;
    n += hashes / kTileWidth + (hashes % kTileWidth ? 1 : 0);
  }
  return n + size / kTileWidth + (size % kTileWidth ? 1 : 0);  // and the entry bundles
}

TileChecker::TileChecker(Fetcher& fetcher, uint64_t size, TileProblem problem)
    : fetcher_(fetcher), size_(size), problem_(std::move(problem)) {}

void TileChecker::addLeaf(const Hash& leaf) {
  assert(leaves_ < size_);
  ++leaves_;
  add(0, leaf);
}

void TileChecker::add(size_t level, const Hash& h) {
  if (open_.size() <= level) open_.resize(level + 1), index_.resize(level + 1);
  open_[level].push_back(h);
  if (open_[level].size() < kTileWidth) return;
  // A full tile: compare it, then its root is the next hash of the level above.
  compare(int(level), index_[level], open_[level]);
  Hash up = perfectRoot(open_[level]);
  open_[level].clear();
  ++index_[level];
  add(level + 1, up);
}

void TileChecker::finish() {
  assert(leaves_ == size_);
  for (size_t level = 0; level < open_.size(); ++level) {
    if (open_[level].empty()) continue;
    assert(open_[level].size() == tileWidth(size_, int(level), index_[level]));
    compare(int(level), index_[level], open_[level]);
  }
}

void TileChecker::compare(int level, uint64_t index, const std::vector<Hash>& hashes) {
  ++checked_;
  std::string path = tilePath(level, index, hashes.size());
  size_t want = hashes.size() * 32;
  Fetcher::Got got = fetcher_.get(path, want);
  auto bad = [&](const std::string& why) { problem_(fetcher_.where(path), why); };
  if (got.status == Fetcher::Status::Missing)
    return bad("missing: a tree of size " + std::to_string(size_) + " needs this tile");
  if (got.status == Fetcher::Status::TooLong)
    return bad("longer than " + std::to_string(want) + " bytes; a tile of " + std::to_string(hashes.size()) +
               " hashes is exactly that long");
  if (got.bytes.size() != want)
    return bad(std::to_string(got.bytes.size()) + " bytes; a tile of " + std::to_string(hashes.size()) +
               " hashes is " + std::to_string(want));
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (memcmp(got.bytes.data() + 32 * i, hashes[i].data(), 32) == 0) continue;
    Hash said;
    memcpy(said.data(), got.bytes.data() + 32 * i, 32);
    if (level == 0)
      return bad("hash " + std::to_string(i) + " is " + base64Encode(said) + " but record " +
                 std::to_string(index * kTileWidth + i) + " in " + fetcher_.where(tilePath(-1, index, hashes.size())) +
                 " hashes to " + base64Encode(hashes[i]) + ": the tile or the bundle was changed");
    return bad("hash " + std::to_string(i) + " (" + leafRange(level, index, i) + ") is " + base64Encode(said) +
               ", the entry bundles give " + base64Encode(hashes[i]));
  }
}

std::optional<Hash> rootFromTiles(Fetcher& fetcher, uint64_t size, uint64_t m, const TileProblem& problem) {
  assert(m <= size);
  if (m == 0) return emptyRoot();
  std::map<std::string, std::string> fetched;  // O(log m) tiles at most
  std::vector<Hash> parts;                     // the perfect subtrees of [0, m), largest first
  uint64_t start = 0;
  for (int h = 63; h >= 0; --h) {
    if (!(m >> h & 1)) continue;
    unsigned level = unsigned(h) / kTileHeight, r = unsigned(h) % kTileHeight;
    uint64_t first = (start >> h) << r;  // its first hash among the level's hashes
    uint64_t ti = first / kTileWidth, width = tileWidth(size, int(level), ti);
    assert(width > 0 && first % kTileWidth + (uint64_t(1) << r) <= width);
    std::string path = tilePath(int(level), ti, width);
    auto it = fetched.find(path);
    if (it == fetched.end()) {
      Fetcher::Got got = fetcher.get(path, width * 32);
      if (got.status == Fetcher::Status::Missing) {
        problem(fetcher.where(path), "missing: a tree of size " + std::to_string(size) + " needs this tile");
        return std::nullopt;
      }
      if (got.status == Fetcher::Status::TooLong || got.bytes.size() != width * 32) {
        problem(fetcher.where(path), "not " + std::to_string(width * 32) + " bytes long, as a tile of " +
                                         std::to_string(width) + " hashes is");
        return std::nullopt;
      }
      it = fetched.emplace(path, std::move(got.bytes)).first;
    }
    std::vector<Hash> run(size_t(1) << r);
    for (size_t i = 0; i < run.size(); ++i)
      memcpy(run[i].data(), it->second.data() + 32 * (first % kTileWidth + i), 32);
    parts.push_back(perfectRoot(run));
    start += uint64_t(1) << h;
  }
  Hash root = parts.back();
  for (size_t i = parts.size() - 1; i-- > 0;) root = nodeHash(parts[i], root);
  return root;
}

}  // namespace fv
