// The ledger's state as the records alone define it, and the append rules 1-11
// of docs/rules.md re-derived from it, one record at a time, in seq order
// (contracts, party statuses and claims: contracts.h / contracts.cpp).
// Memory: parties, keys, grants and contracts, plus a few bytes per record (a
// hash of each idempotency key; seq, amount and parties of each money record;
// for a payment under a contract its contract and a hash per claim id).
#pragma once
#include <sodium.h>

#include <array>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "record.h"
#include "report.h"
#include "source.h"

namespace fv {

using Key32 = std::array<uint8_t, 32>;
struct Contract;
struct Contracts;
struct ScheduleRow;

struct GenesisInfo {
  std::string origin, currency;
  int exponent = 2;
  Key32 logKey{};
  bool logKeyValid = false;
  int64_t dualControl = 0;
  uint32_t formatVersion = 1;  // 2: payment runs (batches) may be recorded
};

class Ledger {
 public:
  explicit Ledger(Report& report);

  // Checks the record at `pos` against every rule and applies its effects.
  // `words`/`size`: its bytes (aligned); `ex`: what the parallel stage found.
  // Throws Unusable for a newer formatVersion or a body kind this verifier
  // does not know.
  void apply(uint64_t pos, const capnp::word* words, size_t size, const Examined& ex, const RawRecord& raw);

  // Finds the position of an earlier record with this idempotency key (a
  // second pass over the input, needed only when two key hashes collide).
  std::function<std::optional<uint64_t>(const std::string& key, uint64_t before)> findEarlierKey;
  // Does the payment at `seq` carry this claim id for this milestone? (A second
  // pass over the input, needed only to confirm a rule 10 failure, because the
  // claims index holds hashes; unset, every hash match counts as the claim.)
  std::function<bool(uint64_t seq, std::string_view claim, std::string_view milestone)> paymentHasClaim;

  const std::optional<GenesisInfo>& genesis() const { return genesis_; }
  uint64_t partyCount() const { return parties_.size(); }
  uint64_t keyCount() const { return distinctKeys_; }
  uint64_t grantCount() const { return grants_.size(); }
  uint64_t signatureCount() const { return signatures_; }
  uint64_t contractCount() const;
  uint64_t batchCount() const { return batches_; }               // payment runs checked to their end
  uint64_t batchedRecordCount() const { return batchedRecords_; }  // the records they hold
  // After the last record: a payment run the records end inside of is incomplete.
  void finish();
  std::vector<std::pair<std::string, int64_t>> balances() const;  // sorted by id, bytewise
  std::vector<PartyTotal> totals() const;

 private:
  enum Role : uint8_t { Officer = 0, Approver = 1, Administrator = 2, Auditor = 3 };
  struct Party {
    std::string id;
    schema::PartyKind kind;
    bool budgetLimited = false;
    int64_t balance = 0;
    __int128 received = 0, paid = 0;
    bool limited() const { return budgetLimited || kind == schema::PartyKind::POOL; }
  };
  struct Grant {
    Role role;
    bool active;
    uint64_t revokedAt;
  };
  static constexpr uint32_t kRefundBit = 1u << 31, kPaymentBit = 1u << 30;  // in Money::from
  struct Money {  // one contribution or payment, for reversals and fundedBy
    uint64_t seq;
    int64_t amount;
    uint32_t from;  // kPaymentBit: a payment; kRefundBit: a refund (its acting party is its payee)
    uint32_t to;    // top bit: reversed
  };
  struct Flow {  // rule 12: payments from one party to another, net of reversals
    int64_t paid = 0;      // other than refunds
    int64_t refunded = 0;  // refunds
  };
  struct Assignment {
    uint32_t accountable;
    bool ended;
  };
  class KeyHashSet;  // open addressing set of 64-bit idempotency key hashes

  // the record being applied
  uint64_t pos_ = 0;
  std::vector<Key32> signers_;  // keys whose signature verified
  void fail(Check c, std::string reason, std::string field = {}) {
    report_.fail(pos_, c, std::move(reason), std::move(field));
  }

  void applyRecord(const capnp::word* words, size_t size, const Examined& ex, const RawRecord& raw);
  void checkSignatures(schema::SignedEntry::Reader se, const Examined& ex);
  void checkChain(schema::SignedEntry::Reader se, const Examined& ex);
  // A record of a newer format: every signer holds a key valid now for some party, in any role.
  void signersHoldSomeKey();
  std::optional<uint32_t> party(std::string_view id);
  std::string describe(uint32_t p) const;
  std::string money(int64_t v) const;
  std::string money128(__int128 v) const;
  const Grant* grant(uint32_t party, const Key32& key) const;
  std::optional<Role> activeRole(uint32_t party, const Key32& key) const;
  std::string keyProblem(uint32_t party, const Key32& key, const char* wanted) const;
  bool actsFor(uint32_t party, bool report);  // officer/approver signers, one an officer
  bool actsAsAdmin(bool report);
  bool move(uint32_t from, uint32_t to, int64_t amount, const std::string& what);
  // Rules 1, 5 and 12 for a refund from `payer` to `payee`.
  void refundRules(schema::Payment::Reader r, uint32_t payer, uint32_t payee);
  bool holdsAnyKey(uint32_t party) const;
  // Adds (sign +1) or takes back (-1) a payment in flows_; false (rule 3 reported) on overflow.
  bool addFlow(uint32_t from, uint32_t to, bool refund, int64_t amount, int sign);

  void genesis(schema::Entry::Reader e, schema::Genesis::Reader g);
  void partyRegistered(schema::PartyRegistered::Reader r);
  void keyGranted(schema::KeyGranted::Reader r);
  void keyRevoked(schema::KeyRevoked::Reader r);
  void contribution(schema::Contribution::Reader r);
  void payment(schema::Payment::Reader r);
  void responsibilityAssigned(schema::ResponsibilityAssigned::Reader r);
  void responsibilityEnded(schema::ResponsibilityEnded::Reader r);
  void reversal(schema::Reversal::Reader r);
  void idempotency(std::string_view key);
  // Payment runs (DESIGN.md "Payment runs"): batch.cpp.
  void batch(schema::Entry::Reader e, schema::Batch::Reader b);
  // Called for every record before its signatures: batchSeq, membership of
  // the open run (sets inBatch_), its Entry hash into the run's tree, and the
  // run's signers standing in for the record's own.
  void batchMembership(schema::SignedEntry::Reader se, const Examined& ex);
  // A record of the open run: its key into the run's derived key; false when
  // its body is not to be applied (a kind a run may not hold).
  bool batchEntry(schema::Entry::Reader e);
  // The batch's signers that count for this batched record (rules 1, 5, 12).
  void batchSigners(schema::Entry::Reader e);
  void closeBatch();
  uint64_t batchSeqNow() const;  // the open run's batch seq  // the open run's last record was applied: root, key, signers
  bool holdsKeyOf(const Key32& k, uint32_t party, bool officerOnly, bool admin) const;
  bool amountOk(int64_t amount, std::string_view currency);

  // contracts.cpp: rule 2 for these records, rules 9-11 for payments
  void partyStatusChanged(schema::PartyStatusChanged::Reader r);
  void contractAgreed(schema::ContractAgreed::Reader r);
  void contractVaried(schema::ContractVaried::Reader r);
  void contractEnded(schema::ContractEnded::Reader r);
  std::vector<ScheduleRow> scheduleRows(capnp::List<schema::ScheduleRow>::Reader rows, bool hasParent);
  Contract* contractNamed(std::string_view ref);  // reports rule 2 when there is none
  // Rules 9-11 for a payment (payee: its index when registered); the contract it is under, when known.
  std::optional<uint32_t> paymentRules(schema::Payment::Reader r, std::optional<uint32_t> payee);
  void paidUnderContract(uint32_t contract, schema::Payment::Reader r);
  void reversedUnderContract(uint64_t target, int64_t amount);

  Report& report_;
  std::optional<GenesisInfo> genesis_;
  Hash prevLeaf_{};
  int64_t prevRecordedAt_ = INT64_MIN;
  std::vector<Party> parties_;
  std::unordered_map<std::string, uint32_t> partyIndex_;
  std::unordered_map<std::string, uint32_t> orgIds_;  // lower-cased org id -> party
  std::map<std::pair<uint32_t, Key32>, Grant> grants_;
  std::set<Key32> seenKeys_;
  uint64_t distinctKeys_ = 0, signatures_ = 0, activeAdmins_ = 0;
  std::deque<Money> money_;  // in seq order; a deque grows without copying
  std::map<std::pair<uint32_t, uint32_t>, Flow> flows_;  // (payer, payee)
  std::unordered_map<uint64_t, Assignment> assignments_;
  std::unique_ptr<KeyHashSet> idempotencyKeys_;
  std::unique_ptr<Contracts> contracts_;
  struct OpenBatch {  // the payment run whose records are being read (batch.cpp)
    uint64_t seq = 0, last = 0;  // the batch record and its last record
    uint32_t count = 0, seen = 0;
    Hash root{};
    bool rootValid = false;
    std::vector<Key32> signers;  // whose signature on the batch verified
    std::vector<uint8_t> used;   // per signer: it holds a key of some record's acting party
    CompactRange tree;           // leaves: SHA-256(0x00 || Entry bytes) of the records so far
    crypto_hash_sha256_state keys;  // over (4-byte big-endian length || key) of each record's idempotency key
    std::string key;             // the batch's own idempotency key
    bool newer = false;          // it holds a record of a newer format: signer coverage is not judged
  };
  std::unique_ptr<OpenBatch> batch_;
  std::vector<std::pair<uint64_t, uint64_t>> batchIndex_;  // (batch seq, its last record's seq), in seq order
  bool inBatch_ = false;     // the record being applied is one of the open run's
  uint64_t batches_ = 0, batchedRecords_ = 0;
 public:
  ~Ledger();
};

}  // namespace fv
