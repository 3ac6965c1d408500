#include "ledger/record.h"

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "ledger/assert.h"
#include "ledger/error.h"
#include "ledger/list_size.h"

namespace fundtrail {
namespace {

Bytes to_bytes(const kj::Array<capnp::word>& words) {
  auto bytes = words.asBytes();
  return Bytes(bytes.begin(), bytes.end());
}

// A reader over canonical bytes: over a word-aligned copy, or with `borrow`
// over the bytes themselves when they are word-aligned already (a record's
// entry inside the record's own copy: one copy per record read, not two).
struct Canonical {
  kj::Array<capnp::word> words;
  kj::ArrayPtr<const capnp::word> segments[1];
  std::unique_ptr<capnp::SegmentArrayMessageReader> reader;

  Canonical(std::span<const uint8_t> bytes, const char* what, std::optional<capnp::StructSchema> typed, bool borrow = false) {
    if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0)
      refuse("canonical", "", std::nullopt, std::string(what) + " is not canonical: its length is not a positive multiple of 8 bytes");
    if (borrow && reinterpret_cast<uintptr_t>(bytes.data()) % alignof(capnp::word) == 0) {
      segments[0] = kj::arrayPtr(reinterpret_cast<const capnp::word*>(bytes.data()), bytes.size() / sizeof(capnp::word));
    } else {
      words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
      std::memcpy(words.begin(), bytes.data(), bytes.size());
      segments[0] = words.asPtr();
    }
    reader = std::make_unique<capnp::SegmentArrayMessageReader>(kj::arrayPtr(segments, 1));
    bool canonical = false;
    try {
      canonical = reader->isCanonical();
      // Canonical form says nothing of types: a text field may point at a
      // struct. Reading every field once here, as the schema types it, makes
      // such bytes a refusal now instead of an exception from a getter later.
      if (canonical && typed) read_every_field(reader->getRoot<capnp::DynamicStruct>(*typed));
    } catch (const kj::Exception& e) {
      refuse("format", "", std::nullopt, std::string(what) + " cannot be decoded: " + e.getDescription().cStr());
    }
    if (!canonical) refuse("canonical", "", std::nullopt, std::string(what) + " is not in Cap'n Proto canonical form");
  }

  static void read_every_field(capnp::DynamicStruct::Reader s) {
    for (auto field : s.getSchema().getNonUnionFields())
      if (s.has(field)) read_value(s.get(field));
    KJ_IF_MAYBE (field, s.which()) {
      if (s.has(*field)) read_value(s.get(*field));
    }
  }
  static void read_value(capnp::DynamicValue::Reader v) {
    switch (v.getType()) {
      case capnp::DynamicValue::STRUCT: read_every_field(v.as<capnp::DynamicStruct>()); break;
      case capnp::DynamicValue::LIST:
        for (auto item : v.as<capnp::DynamicList>()) read_value(item);
        break;
      default: break;  // scalars, text and data were checked by get()
    }
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

Bytes build_leaf(uint64_t seq, const Hash& prev, int64_t recorded_at, const SignedRequest& request, uint64_t batch_seq) {
  return build_leaf(seq, prev, recorded_at, request.entry, request.signatures, batch_seq);
}

Bytes build_leaf(uint64_t seq, const Hash& prev, int64_t recorded_at, std::span<const uint8_t> entry,
                 std::span<const EntrySignature> signatures, uint64_t batch_seq) {
  std::vector<EntrySignature> sigs(signatures.begin(), signatures.end());
  std::sort(sigs.begin(), sigs.end(), [](auto& a, auto& b) { return a.pk < b.pk; });
  // The first segment sized to the leaf: capnp's default (1,024 words) is
  // zeroed on every call, more work than a payment's whole record.
  capnp::MallocMessageBuilder message(capnp::uint(entry.size() / 8 + 16 + 16 * sigs.size()));
  auto leaf = message.initRoot<schema::SignedEntry>();
  leaf.setSeq(seq);
  leaf.setPrevHash(capnp::Data::Reader(prev.data(), prev.size()));
  leaf.setRecordedAt(recorded_at);
  leaf.setBatchSeq(batch_seq);
  leaf.setEntry(capnp::Data::Reader(entry.data(), entry.size()));
  auto count = list_size(sigs.size());
  auto list = leaf.initSignatures(count);
  for (capnp::uint i = 0; i < count; ++i) {
    list[i].setPublicKey(capnp::Data::Reader(sigs[i].pk.data(), sigs[i].pk.size()));
    list[i].setEd25519(capnp::Data::Reader(sigs[i].sig.data(), sigs[i].sig.size()));
  }
  return to_bytes(capnp::canonicalize(leaf.asReader()));
}

struct Record::Impl {
  Canonical leaf;
  std::optional<Canonical> entry;  // borrows from `leaf`'s words
  Impl(std::span<const uint8_t> bytes, bool typed)
      : leaf(bytes, "record", typed ? std::optional(capnp::Schema::from<schema::SignedEntry>()) : std::nullopt) {
    capnp::Data::Reader data;
    try {
      data = leaf.reader->getRoot<schema::SignedEntry>().getEntry();
    } catch (const kj::Exception& e) {
      refuse("format", "", std::nullopt, std::string("record cannot be decoded: ") + e.getDescription().cStr());
    }
    entry.emplace(std::span<const uint8_t>(data.begin(), data.size()), "record's entry",
                  typed ? std::optional(capnp::Schema::from<schema::Entry>()) : std::nullopt, true);
  }
};

Record::Record(std::span<const uint8_t> bytes, bool typed) : impl_(std::make_unique<Impl>(bytes, typed)) {}
Record::~Record() = default;
Record::Record(Record&&) noexcept = default;
schema::SignedEntry::Reader Record::leaf() const { return impl_->leaf.reader->getRoot<schema::SignedEntry>(); }
schema::Entry::Reader Record::entry() const { return impl_->entry->reader->getRoot<schema::Entry>(); }

struct EntryView::Impl {
  Canonical entry;
  Impl(std::span<const uint8_t> bytes, bool typed)
      : entry(bytes, "entry", typed ? std::optional(capnp::Schema::from<schema::Entry>()) : std::nullopt) {}
};
EntryView::EntryView(std::span<const uint8_t> bytes, bool typed) : impl_(std::make_unique<Impl>(bytes, typed)) {}
EntryView::~EntryView() = default;
EntryView::EntryView(EntryView&&) noexcept = default;
schema::Entry::Reader EntryView::entry() const { return impl_->entry.reader->getRoot<schema::Entry>(); }

Hash request_body_hash(std::span<const uint8_t> entry) {
  // Canonical bytes put the root struct just after its pointer (word 0):
  // createdAt is data word 0 (bytes 8-16) and the body's union tag sits in
  // data word 1. When that word is non-zero, setting createdAt to 0 leaves
  // the data section's length alone, so the canonical form of the entry
  // with createdAt 0 is these bytes with bytes 8-16 zeroed: no decode, no
  // copy into a builder. Otherwise (genesis, tag 0) the general way.
  auto le64 = [&](size_t at) {  // Cap'n Proto words are little-endian
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) v |= uint64_t(entry[at + i]) << (8 * i);
    return v;
  };
  uint64_t root = entry.size() >= 24 ? le64(0) : 1, tag_word = entry.size() >= 24 ? le64(16) : 0;
  bool struct_at_offset_0 = (root & 0xffffffffu) == 0;  // kind 0 (struct), offset 0
  if (struct_at_offset_0 && ((root >> 32) & 0xffff) == 2 && tag_word != 0) {
    Bytes copy(entry.begin(), entry.end());
    std::memset(copy.data() + 8, 0, 8);
    return sha256(copy);
  }
  EntryView view(entry, false);
  return request_body_hash(view.entry());
}

Hash request_body_hash(schema::Entry::Reader entry) {
  capnp::MallocMessageBuilder message(capnp::uint(entry.totalSize().wordCount + 8));  // one segment, sized (see build_leaf)
  message.setRoot(entry);
  auto copy = message.getRoot<schema::Entry>();
  copy.setCreatedAt(0);
  auto words = capnp::canonicalize(copy.asReader());
  auto bytes = words.asBytes();
  return sha256(std::span<const uint8_t>(bytes.begin(), bytes.size()));
}

}  // namespace fundtrail
