#include "record.h"

#include <sodium.h>

#include <cstring>

namespace fv {
namespace {

// Canonical = exactly the bytes capnp::canonicalize() gives for the same struct.
template <typename Reader>
bool sameAsCanonical(Reader r, const void* bytes, size_t size) {
  kj::Array<capnp::word> canon = capnp::canonicalize(r);
  return canon.asBytes().size() == size && memcmp(canon.begin(), bytes, size) == 0;
}

}  // namespace

void examine(const capnp::word* words, size_t size, Examined& out) {
  out = Examined{};
  const auto* bytes = reinterpret_cast<const uint8_t*>(words);
  out.leaf = leafHash({bytes, size});
  if (size > kMaxRecordBytes) {
    out.tooBig = true;
    return;
  }
  if (size == 0 || size % 8 != 0) {
    out.problem = "its " + std::to_string(size) + " bytes are not a whole number of 8-byte words";
    return;
  }
  try {
    SegmentReader outer(words, size / 8);
    auto se = outer.root<schema::SignedEntry>();
    out.signedEntryCanonical = sameAsCanonical(se, bytes, size);
    capnp::Data::Reader entry = se.getEntry();
    if (entry.size() == 0 || entry.size() % 8 != 0 || reinterpret_cast<uintptr_t>(entry.begin()) % 8 != 0) {
      out.problem = "its entry is " + std::to_string(entry.size()) + " bytes, not a whole number of words";
      return;
    }
    SegmentReader inner(entryWords(entry), entry.size() / 8);
    out.entryCanonical = sameAsCanonical(inner.root<schema::Entry>(), entry.begin(), entry.size());
    if (se.getBatchSeq() != 0) {
      out.entryLeaf = leafHash({entry.begin(), entry.size()});
      out.hasEntryLeaf = true;
    }
    auto sigs = se.getSignatures();
    out.sigValid.assign(sigs.size(), 0);
    for (unsigned i = 0; i < sigs.size(); ++i) {
      auto pk = sigs[i].getPublicKey();
      auto sig = sigs[i].getEd25519();
      out.sigValid[i] = pk.size() == crypto_sign_PUBLICKEYBYTES && sig.size() == crypto_sign_BYTES &&
                        crypto_sign_verify_detached(sig.begin(), entry.begin(), entry.size(), pk.begin()) == 0;
    }
    out.readable = true;
  } catch (const kj::Exception& e) {
    out.problem = "it is not a readable Cap'n Proto SignedEntry (" + std::string(e.getDescription().cStr()) + ")";
  }
}

}  // namespace fv
