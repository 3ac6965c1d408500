#include "ledger/batch.h"

#include <cstring>

#include "ledger/assert.h"
#include "ledger/list_size.h"
#include "ledger/merkle.h"
#include "ledger/rule_support.h"

namespace fundtrail {
namespace {

using schema::Entry;
using rules::fail;
using rules::key_of;
using rules::quoted;
using rules::short_key;
using rules::str;

// Every complete subtree of the batch tree, level by level, so the shared
// RFC 6962 code (merkle.h) computes its root and paths.
struct Levels {
  std::vector<std::vector<Hash>> levels;
  explicit Levels(const std::vector<Hash>& leaves) {
    levels.push_back(leaves);
    while (levels.back().size() > 1) {
      const auto& below = levels.back();
      std::vector<Hash> up;
      for (size_t i = 0; i + 1 < below.size(); i += 2) up.push_back(node_hash(below[i], below[i + 1]));
      levels.push_back(std::move(up));
    }
  }
  SubtreeReader reader() const {
    return [this](unsigned level, uint64_t index) {
      FT_ASSERT(level < levels.size() && index < levels[level].size(), "batch tree read outside its subtrees");
      return levels[level][index];
    };
  }
};

// What a signer may do for a record: the roles that count and for whom.
struct Acting {
  std::string party;      // whose officer/approver keys count ("ledger": administrators)
  std::string co_signer;  // a refund's payer, whose officer keys may co-sign (rule 12)
  bool admin = false;
};

Acting acting_for(Entry::Reader entry) {
  auto body = entry.getBody();
  switch (body.which()) {
    case Entry::Body::PARTY_REGISTERED: return {"ledger", "", true};
    case Entry::Body::CONTRIBUTION: return {str(body.getContribution().getFrom()), "", false};
    case Entry::Body::PAYMENT: {
      auto p = body.getPayment();
      if (p.getMechanism() == schema::Mechanism::REFUND) return {str(p.getTo()), str(p.getFrom()), false};
      return {str(p.getFrom()), "", false};
    }
    default: break;
  }
  // Rule 1: a run's signatures authorise only these kinds (the verifier says the same).
  fail(1, "a payment run holds only contributions, payments and party registrations; this record is of another kind: "
          "record it on its own, with its own signatures");
}

}  // namespace

Hash batch_root(const std::vector<Hash>& leaves) {
  FT_ASSERT(!leaves.empty() && leaves.size() <= kMaxBatchRecords, "a batch tree of no leaves or too many");
  Levels levels(leaves);
  return tree_root(levels.reader(), leaves.size());
}

std::vector<Hash> batch_path(const std::vector<Hash>& leaves, uint64_t index) {
  FT_ASSERT(index < leaves.size() && leaves.size() <= kMaxBatchRecords, "a batch path outside its tree");
  Levels levels(leaves);
  return inclusion_proof(levels.reader(), index, leaves.size());
}

BatchKey::BatchKey() { crypto_hash_sha256_init(&state_); }

void BatchKey::add(std::string_view record_key) {
  uint8_t len[4] = {uint8_t(record_key.size() >> 24), uint8_t(record_key.size() >> 16), uint8_t(record_key.size() >> 8),
                    uint8_t(record_key.size())};
  crypto_hash_sha256_update(&state_, len, sizeof len);
  crypto_hash_sha256_update(&state_, reinterpret_cast<const uint8_t*>(record_key.data()), record_key.size());
}

std::string BatchKey::finish() const {
  crypto_hash_sha256_state copy = state_;
  Hash h;
  crypto_hash_sha256_final(&copy, h.data());
  return "batch-" + hex(std::span<const uint8_t>(h.data(), 16));
}

bool batchable(Entry::Body::Which kind) {
  return kind == Entry::Body::CONTRIBUTION || kind == Entry::Body::PAYMENT || kind == Entry::Body::PARTY_REGISTERED;
}

BatchAuthority::BatchAuthority(uint64_t batch_seq, capnp::List<schema::Signature>::Reader signatures)
    : batch_seq_(batch_seq) {
  auto copy = all_.initRoot<schema::SignedEntry>();
  copy.setSignatures(signatures);
}

capnp::List<schema::Signature>::Reader BatchAuthority::signers_for(const Txn& txn, Entry::Reader entry) {
  Acting acting = acting_for(entry);
  std::string cache_key = acting.party + '\0' + acting.co_signer;
  auto found = by_party_.find(cache_key);
  if (found == by_party_.end()) {
    auto all = all_.getRoot<schema::SignedEntry>().asReader().getSignatures();
    std::vector<unsigned> counting;
    for (unsigned i = 0; i < all.size(); ++i) {
      PublicKey key = key_of(all[i].getPublicKey());
      auto g = rules::active_grant(txn, acting.party, key);
      bool counts = acting.admin ? g && g->role == schema::Role::ADMINISTRATOR
                                 : g && (g->role == schema::Role::OFFICER || g->role == schema::Role::APPROVER);
      if (!counts && !acting.co_signer.empty()) {
        auto h = rules::active_grant(txn, acting.co_signer, key);
        counts = h && h->role == schema::Role::OFFICER;
      }
      if (counts) counting.push_back(i);
    }
    if (counting.empty())
      fail(1, acting.admin ? "no signer of payment run " + std::to_string(batch_seq_) +
                                 " holds an administrator key of this ledger, which a party registration needs"
                           : "no signer of payment run " + std::to_string(batch_seq_) + " holds an officer or approver key of " +
                                 quoted(acting.party) + " (granted keys: 'fundtrail party show " + acting.party + "')");
    auto message = std::make_unique<capnp::MallocMessageBuilder>();
    auto list = message->initRoot<schema::SignedEntry>().initSignatures(list_size(counting.size()));
    for (unsigned i = 0; i < counting.size(); ++i) list.setWithCaveats(i, all[counting[i]]);
    found = by_party_.emplace(cache_key, std::move(message)).first;
  }
  auto sigs = found->second->getRoot<schema::SignedEntry>().asReader().getSignatures();
  for (auto s : sigs) acted_.insert(key_of(s.getPublicKey()));
  return sigs;
}

void BatchAuthority::check_every_signer_acted() {
  for (auto s : all_.getRoot<schema::SignedEntry>().asReader().getSignatures()) {
    PublicKey key = key_of(s.getPublicKey());
    if (!acted_.count(key))
      fail(1, "key " + short_key(key) + " signed payment run " + std::to_string(batch_seq_) +
                  " but holds no key of any of its records' acting parties");
  }
}

}  // namespace fundtrail
