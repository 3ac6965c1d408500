// Payment runs (DESIGN.md "Payment runs", internal to ledger/ but for the
// helpers request.cpp and the CLI's `proof batch` need): a `batch` record is
// the officers' one approval of the `count` records that follow it. This file
// holds what the writer's append, its replay (reindex, check, mirror) and its
// proofs share: the batch tree, the derived idempotency key, and rules 1 and 5
// for a batched record.
//
// The verifier writes the same algorithms again on its side of the boundary
// (verifier/), on purpose.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <capnp/message.h>
#include <sodium.h>

#include "fundtrail.capnp.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

namespace fundtrail {

constexpr uint32_t kMaxBatchRecords = 10000;  // DESIGN.md: count 1 to 10,000
constexpr uint32_t kFirstBatchFormat = 2;     // batches only in ledgers whose genesis says 2 or more

// The batch tree's leaf: SHA-256(0x00 || canonical Entry bytes).
inline Hash batch_leaf_hash(std::span<const uint8_t> entry_bytes) { return leaf_hash(entry_bytes); }

// The RFC 6962 tree over a batch's leaf hashes (at most kMaxBatchRecords).
Hash batch_root(const std::vector<Hash>& leaves);
// The path of leaf `index` to batch_root(leaves), laid out as an RFC 9162
// inclusion proof of a tree of leaves.size() leaves.
std::vector<Hash> batch_path(const std::vector<Hash>& leaves, uint64_t index);

// The batch's idempotency key, derived from its records' keys in order:
// "batch-" + lower-case hex of the first 16 bytes of SHA-256 over, for each
// record, its key's length (4 bytes, big-endian) then the key's bytes. Fed
// one key at a time, so replay needs no list of keys.
class BatchKey {
 public:
  BatchKey();
  void add(std::string_view record_key);
  std::string finish() const;

 private:
  crypto_hash_sha256_state state_;
};

// Whether a record of this body kind may sit in a batch: contributions,
// payments (refunds included) and the partyRegistered records an import
// makes for new payees.
bool batchable(schema::Entry::Body::Which kind);

// Rules 1 and 5 for the records of one batch (DESIGN.md "Payment runs"): for
// each record, the batch's signers that hold a key of its acting party valid
// now (grants cannot change inside a batch: it holds no key records), as a
// signature list the per-kind rules (rules.cpp) then check as if the record
// carried exactly those signatures; and at the end, that every signer acted
// for at least one record. Owns copies of what it keeps; not thread-safe.
class BatchAuthority {
 public:
  BatchAuthority(uint64_t batch_seq, capnp::List<schema::Signature>::Reader signatures);
  // The signers that count for `entry` (refuses rule 1 when none does).
  capnp::List<schema::Signature>::Reader signers_for(const Txn& txn, schema::Entry::Reader entry);
  // Refuses rule 1 naming a signer that acts for none of the batch's records.
  void check_every_signer_acted();

 private:
  uint64_t batch_seq_;
  capnp::MallocMessageBuilder all_;  // the batch's signatures
  std::map<std::string, std::unique_ptr<capnp::MallocMessageBuilder>> by_party_;  // "role\0party" -> the signers that count
  std::set<PublicKey> acted_;
};

// The state of the batch being replayed (reindex, check, mirror), between
// records. Empty between batches.
struct BatchReplay {
  uint64_t batch_seq = 0;  // 0: none open
  uint32_t count = 0;
  Hash root{};
  std::string key;  // the batch record's idempotency key
  std::vector<Hash> leaves;
  std::unique_ptr<BatchKey> keys;
  std::unique_ptr<BatchAuthority> authority;
  bool open() const { return batch_seq != 0; }
  uint64_t last() const { return batch_seq + count; }
};

}  // namespace fundtrail
