// The state rules 9, 10 and 11 (and rule 2's contract checks) of docs/rules.md
// need, rebuilt from the records alone: each contract's terms and what has been
// paid under it, each party's status changes, and an index of the claims paid.
// The checks themselves are Ledger member functions in contracts.cpp.
//
// Memory: per contract its reference, parties, dates, cap, paid total and
// current schedule rows; per status change 8 bytes; per payment under a
// contract 24 bytes, plus 8 bytes per claim id it carries and a 24-byte slot
// per claim in the claims index. Nothing grows with record bytes.
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "record.h"

namespace fv {

struct ScheduleRow {
  std::string milestone, group;  // group empty: matches only payments without a group
  int64_t unitPrice = 0;
};

struct Contract {
  std::string reference;
  uint64_t seq = 0;                // its contractAgreed
  uint32_t payer = 0, payee = 0;   // party indexes
  std::optional<uint32_t> parent;  // index of the head contract
  uint32_t depth = 0;              // parents above it (rules.md counts a head contract as depth 1: this + 1)
  uint32_t start = 0, end = 0;     // end as last varied; 0 = open
  int64_t cap = 0;                 // as last varied; 0 = no cap
  __int128 paid = 0;               // under it, reversals taken off (cannot overflow)
  std::optional<uint64_t> endedAt; // seq of its contractEnded
  uint64_t scheduleSeq = 0;        // the record whose schedule is current
  std::vector<ScheduleRow> schedule;

  // The row for (milestone, group): bytes equal, an empty group only matches an empty one.
  const ScheduleRow* row(std::string_view milestone, std::string_view group) const;
};

// Rule 11: each party's status changes, sorted by `from` date; records with
// the same date stay in seq order, so the later record wins a tie.
class StatusBook {
 public:
  void add(uint32_t party, uint32_t from, schema::PartyStatus status);
  // The status in force at `date`: the change with the latest `from` not after it.
  schema::PartyStatus at(uint32_t party, uint32_t date) const;

 private:
  struct Change {
    uint32_t from;
    schema::PartyStatus status;
  };
  std::unordered_map<uint32_t, std::vector<Change>> byParty_;
};

// Rule 10: the (claim id, milestone) pairs paid under contracts, kept as a
// keyed 64-bit hash (SipHash-2-4, random key per run) with the contract and
// the payment that paid it. An open-addressing multimap: one slot per claim.
//
// Why a hash is safe here: the same pair always has the same hash, so a
// genuine earlier payment of it is always found (no false pass). Two
// different pairs may share a hash; every hit that would fail a payment is
// confirmed by re-reading the earlier payment (Ledger::paymentHasClaim)
// before it is reported, so a collision cannot cause a false failure either.
class ClaimIndex {
 public:
  ClaimIndex();
  uint64_t hash(std::string_view claim, std::string_view milestone) const;
  struct Paid {
    uint32_t contract;
    uint64_t payment;  // seq of the payment
  };
  std::vector<Paid> find(uint64_t h) const;
  void insert(uint64_t h, uint32_t contract, uint64_t payment);
  void erase(uint64_t h, uint64_t payment);  // a reversal frees the claim
  size_t size() const { return live_; }

 private:
  struct Slot {
    uint64_t hash = 0;  // 0: never used
    uint64_t payment = 0;
    uint32_t contract = 0;
    bool dead = false;  // erased; the slot still carries the probe chain
  };
  void grow();
  std::vector<Slot> slots_;
  size_t used_ = 0, live_ = 0;
  uint8_t key_[16];
};

struct Contracts {
  std::vector<Contract> all;
  std::unordered_map<std::string, uint32_t> byReference;
  std::unordered_map<uint64_t, uint32_t> bySeq;  // seq of the contractAgreed -> index
  StatusBook statuses;
  ClaimIndex claims;

  // Payments applied under a contract, in seq order, for reversals: which
  // contract's headroom they took and which claims they hold.
  struct Payment {
    uint64_t seq;
    uint32_t contract;
    uint32_t claimCount;
    uint64_t claimStart;  // into claimHashes
  };
  std::deque<Payment> payments;
  std::deque<uint64_t> claimHashes;

  // Does one of a and b lie on the other's chain of parent contracts (or are they the same)?
  bool onOneChain(uint32_t a, uint32_t b) const;
};

}  // namespace fv
