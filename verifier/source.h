// Where records come from: a ledger directory (LMDB, opened read-only) or a
// bundle file (docs/bundle.md). Both hand out the stored leaf bytes in seq
// order and give back the mapped pages they have passed, so a ledger's file
// pages never pile up in the verifier's memory.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace fv {

// Input that cannot be verified at all (exit 2): not a ledger, unreadable,
// truncated, garbage after the last record, a newer format...
struct Unusable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RawRecord {
  const uint8_t* data = nullptr;
  size_t size = 0;
  bool keyMatches = true;  // LMDB: the key is 8 bytes big-endian and equals the position
  std::string keyNote;     // what the key was when it does not match
};

class Source {
 public:
  virtual ~Source() = default;
  virtual const char* kind() const = 0;    // "ledger directory" or "bundle"
  virtual std::string file() const = 0;    // the file a crash would be blamed on
  virtual uint64_t expectedCount() const = 0;
  virtual bool next(RawRecord& r) = 0;     // false after the last record; throws Unusable
  virtual void releasePages() = 0;         // madvise(MADV_DONTNEED) what has been passed
  // A second, independent pass from record 0 (used rarely: to confirm a
  // repeated idempotency key). `fn` returns false to stop.
  virtual void rescan(const std::function<bool(uint64_t position, const RawRecord&)>& fn) = 0;
};

// Throws Unusable with a reason that names the path.
std::unique_ptr<Source> openSource(const std::string& path);

}  // namespace fv
