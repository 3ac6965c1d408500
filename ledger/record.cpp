#include "ledger/record.h"

#include <capnp/message.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "ledger/error.h"

namespace fundtrail {
namespace {

Bytes to_bytes(const kj::Array<capnp::word>& words) {
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

// Holds word-aligned copy of canonical bytes and a reader over them.
struct Canonical {
  kj::Array<capnp::word> words;
  kj::ArrayPtr<const capnp::word> segments[1];
  std::unique_ptr<capnp::SegmentArrayMessageReader> reader;

  Canonical(std::span<const uint8_t> bytes, const char* what) {
    if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
      refuse(std::string(what) + " is not canonical: its length is not a positive multiple of 8 bytes");
    words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), bytes.data(), bytes.size());
    segments[0] = words.asPtr();
    reader = std::make_unique<capnp::SegmentArrayMessageReader>(kj::arrayPtr(segments, 1));
    bool canonical = false;
    try {
      canonical = reader->isCanonical();
    } catch (const kj::Exception& e) {
      refuse(std::string(what) + " cannot be decoded: " + e.getDescription().cStr());
    }
    if (!canonical) refuse(std::string(what) + " is not in Cap'n Proto canonical form");
  }
};

}  // namespace

Bytes build_entry(std::string_view origin, int64_t created_at_ms, std::string_view idempotency_key,
                  const std::function<void(schema::Entry::Body::Builder)>& fill) {
  capnp::MallocMessageBuilder message;
  auto entry = message.initRoot<schema::Entry>();
  entry.setOrigin(capnp::Text::Reader(origin.data(), origin.size()));
  entry.setCreatedAt(created_at_ms);
  entry.setIdempotencyKey(capnp::Text::Reader(idempotency_key.data(), idempotency_key.size()));
  fill(entry.initBody());
  return to_bytes(capnp::canonicalize(entry.asReader()));
}

EntrySignature sign_entry(std::span<const uint8_t> entry, const KeyPair& key) {
  EntrySignature s;
  s.pk = key.pk;
  crypto_sign_detached(s.sig.data(), nullptr, entry.data(), entry.size(), key.sk.data());
  return s;
}

Bytes build_leaf(uint64_t seq, const Hash& prev, int64_t recorded_at, const SignedRequest& request) {
  std::vector<EntrySignature> sigs = request.signatures;
  std::sort(sigs.begin(), sigs.end(), [](auto& a, auto& b) { return a.pk < b.pk; });
  capnp::MallocMessageBuilder message;
  auto leaf = message.initRoot<schema::SignedEntry>();
  leaf.setSeq(seq);
  leaf.setPrevHash(capnp::Data::Reader(prev.data(), prev.size()));
  leaf.setRecordedAt(recorded_at);
  leaf.setEntry(capnp::Data::Reader(request.entry.data(), request.entry.size()));
  auto list = leaf.initSignatures(sigs.size());
  for (size_t i = 0; i < sigs.size(); ++i) {
    list[i].setPublicKey(capnp::Data::Reader(sigs[i].pk.data(), sigs[i].pk.size()));
    list[i].setEd25519(capnp::Data::Reader(sigs[i].sig.data(), sigs[i].sig.size()));
  }
  return to_bytes(capnp::canonicalize(leaf.asReader()));
}

struct Record::Impl {
  Canonical leaf;
  std::unique_ptr<Canonical> entry;
  explicit Impl(std::span<const uint8_t> bytes) : leaf(bytes, "record") {
    auto data = leaf.reader->getRoot<schema::SignedEntry>().getEntry();
    entry = std::make_unique<Canonical>(std::span<const uint8_t>(data.begin(), data.size()), "record's entry");
  }
};

Record::Record(std::span<const uint8_t> bytes) : impl_(std::make_unique<Impl>(bytes)) {}
Record::~Record() = default;
Record::Record(Record&&) noexcept = default;
schema::SignedEntry::Reader Record::leaf() const { return impl_->leaf.reader->getRoot<schema::SignedEntry>(); }
schema::Entry::Reader Record::entry() const { return impl_->entry->reader->getRoot<schema::Entry>(); }

struct EntryView::Impl {
  Canonical entry;
  explicit Impl(std::span<const uint8_t> bytes) : entry(bytes, "entry") {}
};
EntryView::EntryView(std::span<const uint8_t> bytes) : impl_(std::make_unique<Impl>(bytes)) {}
EntryView::~EntryView() = default;
EntryView::EntryView(EntryView&&) noexcept = default;
schema::Entry::Reader EntryView::entry() const { return impl_->entry.reader->getRoot<schema::Entry>(); }

Hash request_body_hash(schema::Entry::Reader entry) {
  capnp::MallocMessageBuilder message;
  message.setRoot(entry);
  auto copy = message.getRoot<schema::Entry>();
  copy.setCreatedAt(0);
  auto words = capnp::canonicalize(copy.asReader());
  auto bytes = words.asBytes();
  return sha256(std::span<const uint8_t>(bytes.begin(), bytes.size()));
}

}  // namespace fundtrail
