// Payment runs (DESIGN.md "Payment runs: one approval for many records"): a
// batch record signed by its officers, then `count` records with no
// signatures and batchSeq = the batch's seq. The verifier recomputes the RFC
// 6962 root over those records' Entry bytes as they stream past (a compact
// range: O(log count) hashes, never the records), the run's derived
// idempotency key, and rules 1 and 5 for each record from the signers of its
// batch, whose signatures were checked once, on the batch record.
#include <sodium.h>

#include <algorithm>

#include "note.h"
#include "rules.h"

namespace fv {

using schema::Entry;


namespace {

const char* bodyName(Entry::Body::Which w) {
  static const char* names[] = {"genesis",        "partyRegistered", "partyStatusChanged", "contractAgreed",
                                "contractVaried", "contractEnded",   "keyGranted",         "keyRevoked",
                                "contribution",   "payment",         "responsibilityAssigned",
                                "responsibilityEnded", "reversal",   "batch"};
  return uint16_t(w) < sizeof names / sizeof *names ? names[uint16_t(w)] : "record of an unknown kind";
}

std::string range(uint64_t seq, uint64_t last) {
  return "seq " + std::to_string(seq + 1) + ".." + std::to_string(last);
}

}  // namespace

uint64_t Ledger::batchSeqNow() const { return batch_ ? batch_->seq : 0; }

void Ledger::batch(schema::Entry::Reader e, schema::Batch::Reader r) {
  if (genesis_ && genesis_->formatVersion < 2)
    fail(Check::Format, "a batch record (a payment run) in a ledger whose genesis says formatVersion 1: payment runs "
                        "are recorded only in version-2 ledgers", "batch");
  if (r.getCount() == 0) return;  // format (validate.cpp): a run of nothing opens nothing
  auto b = std::make_unique<OpenBatch>();
  b->seq = pos_;
  b->count = r.getCount();
  b->last = pos_ + r.getCount();
  b->rootValid = r.getRoot().size() == 32;  // else format (validate.cpp)
  if (b->rootValid) std::copy(r.getRoot().begin(), r.getRoot().end(), b->root.begin());
  b->signers = signers_;
  b->used.assign(signers_.size(), 0);
  crypto_hash_sha256_init(&b->keys);
  b->key = std::string(view(e.getIdempotencyKey()));
  batchIndex_.push_back({b->seq, b->last});
  batch_ = std::move(b);
}

void Ledger::batchMembership(schema::SignedEntry::Reader se, const Examined& ex) {
  inBatch_ = false;
  const uint64_t claimed = se.getBatchSeq();
  if (claimed != 0 && genesis_ && genesis_->formatVersion < 2)
    fail(Check::Format, "the record says batchSeq " + std::to_string(claimed) +
                            " but the genesis says formatVersion 1, which has no payment runs", "batchSeq");
  if (batch_ && pos_ > batch_->seq && pos_ <= batch_->last) {
    if (claimed == batch_->seq) {
      inBatch_ = true;
    } else {
      fail(Check::Rule1, "batch " + std::to_string(batch_->seq) + " is incomplete: it approves " +
                             std::to_string(batch_->count) + " records (" + range(batch_->seq, batch_->last) +
                             ") but this record " +
                             (claimed ? "says batchSeq " + std::to_string(claimed) : std::string("is not batched (batchSeq 0)")) +
                             ": a record of the run was removed or one put in its place, or its count is wrong");
      batch_.reset();
    }
  }
  if (!inBatch_) {
    if (claimed == 0) return;
    auto it = std::lower_bound(batchIndex_.begin(), batchIndex_.end(), claimed,
                               [](const std::pair<uint64_t, uint64_t>& b, uint64_t s) { return b.first < s; });
    std::string why = it != batchIndex_.end() && it->first == claimed
                          ? "batch " + std::to_string(claimed) + " holds " + range(claimed, it->second)
                      : claimed >= pos_ ? "seq " + std::to_string(claimed) + " is not an earlier record"
                                        : "seq " + std::to_string(claimed) + " is not a batch record";
    fail(Check::Rule1, "the record claims batch " + std::to_string(claimed) + " it is not in (" + why +
                           "): no batch's signatures approve it");
    return;  // checked as a record of its own, on its own signatures
  }
  OpenBatch& b = *batch_;
  ++b.seen;
  if (ex.hasEntryLeaf) b.tree.append(ex.entryLeaf);
  if (auto n = se.getSignatures().size())
    fail(Check::Rule1, "a record of the payment run of batch " + std::to_string(b.seq) + " carries " + std::to_string(n) +
                           " signature(s): a run's records carry none, the batch's signatures approve them");
  signers_ = b.signers;  // narrowed to the record's acting party by batchSigners()
}

bool Ledger::batchEntry(schema::Entry::Reader e) {
  OpenBatch& b = *batch_;
  auto key = e.getIdempotencyKey();
  uint8_t len[4] = {uint8_t(key.size() >> 24), uint8_t(key.size() >> 16), uint8_t(key.size() >> 8), uint8_t(key.size())};
  crypto_hash_sha256_update(&b.keys, len, 4);
  crypto_hash_sha256_update(&b.keys, reinterpret_cast<const uint8_t*>(key.begin()), key.size());
  auto kind = e.getBody().which();
  if (kind == Entry::Body::CONTRIBUTION || kind == Entry::Body::PAYMENT || kind == Entry::Body::PARTY_REGISTERED)
    return true;
  if (uint16_t(kind) > uint16_t(Entry::Body::BATCH)) {  // a newer format's kind: reported as such by apply
    b.newer = true;
    return true;
  }
  fail(Check::Rule1, std::string("a payment run holds only contributions, payments and partyRegistered records, and "
                                 "this ") + bodyName(kind) + " is inside batch " + std::to_string(b.seq) +
                         ": its effects are not applied");
  return false;
}

bool Ledger::holdsKeyOf(const Key32& k, uint32_t p, bool officerOnly, bool admin) const {
  auto role = activeRole(p, k);
  if (!role) return false;
  if (admin) return *role == Administrator;
  return *role == Officer || (!officerOnly && *role == Approver);
}

void Ledger::batchSigners(schema::Entry::Reader e) {
  OpenBatch& b = *batch_;
  auto body = e.getBody();
  std::optional<uint32_t> acting, coSigner;  // coSigner: a refund's payer, by one of its officers (rule 12)
  bool admin = false;
  switch (body.which()) {
    case Entry::Body::PARTY_REGISTERED: acting = party("ledger"), admin = true; break;
    case Entry::Body::CONTRIBUTION: acting = party(view(body.getContribution().getFrom())); break;
    case Entry::Body::PAYMENT: {
      auto p = body.getPayment();
      if (p.getMechanism() == schema::Mechanism::REFUND) {
        acting = party(view(p.getTo()));
        coSigner = party(view(p.getFrom()));
      } else {
        acting = party(view(p.getFrom()));
      }
      break;
    }
    default: break;
  }
  signers_.clear();
  for (size_t i = 0; i < b.signers.size(); ++i) {
    const Key32& k = b.signers[i];
    if ((acting && holdsKeyOf(k, *acting, false, admin)) || (coSigner && holdsKeyOf(k, *coSigner, true, false))) {
      signers_.push_back(k);
      b.used[i] = 1;
    }
  }
}

void Ledger::closeBatch() {
  OpenBatch& b = *batch_;
  const std::string at = std::to_string(b.seq);
  if (b.rootValid && (b.tree.size() != b.count || b.tree.root() != b.root))
    report_.fail(b.seq, Check::Rule1,
                 "the Entry bytes of " + range(b.seq, b.last) + " do not give batch " + at + "'s root " +
                     base64Encode(b.root) + " (they give " + base64Encode(b.tree.root()) +
                     "): a record of the run was changed, added, removed or reordered after its officers signed it");
  uint8_t h[32];
  crypto_hash_sha256_final(&b.keys, h);
  static const char* hex = "0123456789abcdef";
  std::string derived = "batch-";
  for (int i = 0; i < 16; ++i) derived += hex[h[i] >> 4], derived += hex[h[i] & 15];
  if (b.key != derived)
    report_.fail(b.seq, Check::Rule6, "batch " + at + "'s idempotency key '" + b.key +
                                          "' is not the one its records' keys give ('" + derived + "')");
  if (!b.newer)
    for (size_t i = 0; i < b.signers.size(); ++i)
      if (!b.used[i])
        report_.fail(b.seq, Check::Rule1, "key " + base64Encode(b.signers[i]) + " signs batch " + at +
                                              " but holds no key, valid at seq " + at +
                                              ", of any of its records' acting parties");
  ++batches_;
  batchedRecords_ += b.count;
  batch_.reset();
}

void Ledger::finish() {
  if (!batch_) return;
  OpenBatch& b = *batch_;
  report_.fail(b.seq, Check::Rule1, "batch " + std::to_string(b.seq) + " is incomplete: it approves " +
                                        std::to_string(b.count) + " records (" + range(b.seq, b.last) +
                                        ") but the records end after " + std::to_string(b.seen) + " of them");
  batch_.reset();
}

}  // namespace fv
