#include "records_check.h"

#include "verify.h"

namespace fv::witness {
namespace {

// What failed, in a few lines: the reason it could not run, or the first
// failures and how many there were.
std::string summary(const Report& r) {
  if (r.unusable) return *r.unusable;
  if (!r.failureCount && r.newerFormatCount) return r.newerFormatText();
  std::string s = std::to_string(r.failureCount) + " check(s) failed";
  for (size_t i = 0; i < r.failures.size() && i < 3; ++i) s += "; " + r.failures[i].text();
  return s;
}

}  // namespace

RecordCheck tilesCheck(std::string tiles, VerifierKey logKey) {
  return [tiles = std::move(tiles), logKey = std::move(logKey)](const std::string& checkpointNote, std::string& detail) {
    Options o;
    o.tiles = tiles;
    o.tilesCheckpoint = checkpointNote;  // the records up to the submitted size, not the published one
    o.logKey = logKey;
    try {
      Report r = verify(o);
      detail = summary(r);
      return r.exitCode();
    } catch (const std::exception& e) {
      detail = e.what();
      return 2;
    }
  };
}

}  // namespace fv::witness
