// Canonical record bytes: build and sign an Entry, wrap it in a SignedEntry
// (the Merkle leaf), and decode stored bytes with the canonical-form check.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "fundtrail.capnp.h"
#include "ledger/hash.h"
#include "ledger/keys.h"

namespace fundtrail {

using Bytes = std::vector<uint8_t>;

constexpr size_t kMaxLeafBytes = 65535;  // must fit a tile entry bundle's 16-bit length

// Canonical bytes of an Entry whose body `fill` sets. The low level under
// encode_entry (request.h), which front ends use; kept public for tests that
// build deliberately malformed entries.
Bytes build_entry(std::string_view origin, int64_t created_at_ms, std::string_view idempotency_key,
                  const std::function<void(schema::Entry::Body::Builder)>& fill);

struct EntrySignature {
  PublicKey pk{};
  std::array<uint8_t, 64> sig{};
};
EntrySignature sign_entry(std::span<const uint8_t> entry, const KeyPair& key);

// What a signer hands to the ledger: signing needs no ledger state.
struct SignedRequest {
  Bytes entry;
  std::vector<EntrySignature> signatures;
};

// A payment run as a signer hands it over (DESIGN.md "Payment runs"): the
// signed `batch` entry and the canonical Entry bytes of its records, in order.
struct BatchRequest {
  SignedRequest batch;
  std::vector<Bytes> entries;
};

// The leaf: signatures sorted by public key, canonical form. A record of a
// payment run has no signatures and `batch_seq` = its batch record's seq.
Bytes build_leaf(uint64_t seq, const Hash& prev, int64_t recorded_at, const SignedRequest& request, uint64_t batch_seq = 0);
// The same from the Entry bytes and signatures in place (a payment run's
// records: no copy of each entry).
Bytes build_leaf(uint64_t seq, const Hash& prev, int64_t recorded_at, std::span<const uint8_t> entry,
                 std::span<const EntrySignature> signatures, uint64_t batch_seq = 0);

// A decoded record. Refuses (Error kind refused) bytes that are not canonical
// and, unless `typed` is false, bytes whose fields do not have their schema
// types (read once, field by field). typed = false is for bulk reads of the
// ledger's own records, checked when appended: there a getter may throw
// kj::Exception on damaged bytes, which the caller must turn into an Error.
class Record {
 public:
  explicit Record(std::span<const uint8_t> leaf_bytes, bool typed = true);
  ~Record();
  Record(Record&&) noexcept;
  schema::SignedEntry::Reader leaf() const;
  schema::Entry::Reader entry() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes and canonical-checks bare Entry bytes (a request not yet appended);
// `typed` as for Record (false only where the same bytes were checked typed).
class EntryView {
 public:
  explicit EntryView(std::span<const uint8_t> entry_bytes, bool typed = true);
  ~EntryView();
  EntryView(EntryView&&) noexcept;
  schema::Entry::Reader entry() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// SHA-256 of the Entry's canonical bytes with createdAt set to 0: two
// requests with equal body hashes are the same request (rule 6).
Hash request_body_hash(schema::Entry::Reader entry);
// The same from canonical Entry bytes (checked canonical by an EntryView):
// no decode for every body kind but genesis.
Hash request_body_hash(std::span<const uint8_t> canonical_entry);

}  // namespace fundtrail
