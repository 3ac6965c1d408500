// TilesSource (tiles.h): records from published entry bundles.
#include <cassert>

#include "tiles.h"

namespace fv {
namespace {

size_t entryLength(const std::string& b, size_t off) {
  return size_t(uint8_t(b[off])) << 8 | uint8_t(b[off + 1]);
}

}  // namespace

TilesSource::TilesSource(Fetcher& fetcher, uint64_t size, TileProblem problem)
    : fetcher_(fetcher), size_(size), problem_(std::move(problem)), checker_(fetcher, size, problem_) {}

bool TilesSource::load(uint64_t index, std::string& out, const TileProblem* problem) {
  uint64_t width = tileWidth(size_, -1, index);
  assert(width > 0);
  std::string path = tilePath(-1, index, width);
  uint64_t first = index * kTileWidth;
  auto bad = [&](const std::string& why) {
    if (problem) (*problem)(fetcher_.where(path), why);
    return false;
  };
  Fetcher::Got got = fetcher_.get(path, width * (2 + 65535));
  if (got.status == Fetcher::Status::Missing)
    return bad("missing: a tree of size " + std::to_string(size_) + " needs this entry bundle (records " +
               std::to_string(first) + ".." + std::to_string(first + width - 1) + ")");
  if (got.status == Fetcher::Status::TooLong)
    return bad("longer than " + std::to_string(width) + " entries of at most 65,535 bytes can be");
  // Exactly `width` length-prefixed entries and nothing after them: a record
  // is believed only when the framing of its whole bundle holds.
  const std::string& b = got.bytes;
  size_t off = 0;
  for (uint64_t i = 0; i < width; ++i) {
    if (b.size() - off < 2)
      return bad("it ends after " + std::to_string(i) + " of its " + std::to_string(width) +
                 " entries (byte offset " + std::to_string(off) + ")");
    size_t len = entryLength(b, off);
    if (b.size() - off - 2 < len)
      return bad("entry " + std::to_string(i) + " (record " + std::to_string(first + i) + ") says " +
                 std::to_string(len) + " bytes but only " + std::to_string(b.size() - off - 2) +
                 " remain: the bundle is truncated or a length was changed");
    off += 2 + len;
  }
  if (off != b.size())
    return bad(std::to_string(b.size() - off) + " bytes follow its " + std::to_string(width) +
               " entries: garbage was appended or a length was changed");
  out = std::move(got.bytes);
  return true;
}

bool TilesSource::next(RawRecord& r) {
  if (stopped_ || finished_) return false;
  if (pos_ == size_) {
    checker_.finish();  // the partial tiles
    finished_ = true;
    return false;
  }
  if (pos_ % kTileWidth == 0) {
    if (!load(pos_ / kTileWidth, bundle_, &problem_)) {
      stopped_ = true;  // no record of an unreadable bundle is believed, nor any after it
      return false;
    }
    ++bundles_;
    off_ = 0;
  }
  size_t len = entryLength(bundle_, off_);
  r = RawRecord{reinterpret_cast<const uint8_t*>(bundle_.data()) + off_ + 2, len, true, {}};
  off_ += 2 + len;
  checker_.addLeaf(leafHash({r.data, r.size}));
  ++pos_;
  return true;
}

void TilesSource::rescan(const std::function<bool(uint64_t, const RawRecord&)>& fn) {
  std::string b;
  uint64_t pos = 0;
  for (uint64_t i = 0; pos < size_; ++i) {
    if (!load(i, b, nullptr)) return;  // reported on the first pass
    size_t off = 0;
    for (uint64_t k = tileWidth(size_, -1, i); k > 0; --k, ++pos) {
      size_t len = entryLength(b, off);
      if (!fn(pos, RawRecord{reinterpret_cast<const uint8_t*>(b.data()) + off + 2, len, true, {}})) return;
      off += 2 + len;
    }
  }
}

}  // namespace fv
