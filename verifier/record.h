// One record's bytes: reading them as Cap'n Proto without a segment table, the
// canonical-form check, the leaf hash and the Ed25519 signature checks. This is
// the part that runs on every core (see pipeline.cpp); it needs no ledger state.
#pragma once
#include <capnp/message.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fundtrail.capnp.h"
#include "merkle.h"

namespace fv {

namespace schema = ::fundtrail::schema;

constexpr size_t kMaxRecordBytes = 65535;

// Reads a struct from canonical bytes: one segment, no segment table.
// `words` must be 8-byte aligned (copy the bytes into capnp::word storage first).
class SegmentReader {
 public:
  SegmentReader(const capnp::word* words, size_t count)
      : segment_{kj::ArrayPtr<const capnp::word>(words, count)}, message_(kj::arrayPtr(segment_, 1)) {}
  template <typename T>
  typename T::Reader root() { return message_.getRoot<T>(); }

 private:
  kj::ArrayPtr<const capnp::word> segment_[1];
  capnp::SegmentArrayMessageReader message_;
};

// What the parallel stage learns about one record.
struct Examined {
  Hash leaf{};                   // SHA-256(0x00 || stored bytes)
  bool tooBig = false;           // more than 65,535 bytes
  bool readable = false;         // the SignedEntry and the Entry could be read
  bool signedEntryCanonical = false;
  bool entryCanonical = false;
  std::string problem;           // why it is not readable
  std::vector<uint8_t> sigValid; // per signature: 1 if well-formed and verifies over the entry bytes
  // A batched record (batchSeq != 0): SHA-256(0x00 || Entry bytes), its leaf in
  // its batch's tree, hashed here on every core like the leaf hash.
  Hash entryLeaf{};
  bool hasEntryLeaf = false;
};

// `words` holds the record's bytes (size bytes, 8-byte aligned storage).
void examine(const capnp::word* words, size_t size, Examined& out);

// A text field's bytes (embedded NULs included).
inline std::string_view view(capnp::Text::Reader t) { return {t.cStr(), t.size()}; }

// The entry bytes inside a readable SignedEntry, as aligned words.
inline const capnp::word* entryWords(capnp::Data::Reader entry) {
  return reinterpret_cast<const capnp::word*>(entry.begin());
}

}  // namespace fv
