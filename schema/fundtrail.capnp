@0x8d59f2c1bb7b0452;
# fundtrail ledger records. The bytes of these structs, in Cap'n Proto canonical
# form, are what officers sign and what the ledger stores: a field is never
# renumbered, retyped or removed, only added (DESIGN.md, "Records").
#
# Conventions: dates are UInt32 YYYYMMDD (0 = not given); money is Int64 minor
# units of the ledger's single currency; parties are named by their slug id.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("fundtrail::schema");

struct Entry {
  # What the signers sign. Needs no ledger state, so it can be signed offline.
  origin @0 :Text;            # the ledger's origin name: no replay into another ledger
  createdAt @1 :Int64;        # signer's clock, Unix ms
  idempotencyKey @2 :Text;
  body :union {
    genesis @3 :Genesis;
    partyRegistered @4 :PartyRegistered;
    partyStatusChanged @5 :PartyStatusChanged;
    contractAgreed @6 :ContractAgreed;
    contractVaried @7 :ContractVaried;
    contractEnded @8 :ContractEnded;
    keyGranted @9 :KeyGranted;
    keyRevoked @10 :KeyRevoked;
    contribution @11 :Contribution;
    payment @12 :Payment;
    responsibilityAssigned @13 :ResponsibilityAssigned;
    responsibilityEnded @14 :ResponsibilityEnded;
    reversal @15 :Reversal;
    batch @16 :Batch;         # formatVersion 2: one approval for the next `count` records
  }
}

struct Signature {
  publicKey @0 :Data;         # 32 bytes: the Ed25519 key itself
  ed25519 @1 :Data;           # 64 bytes over exactly SignedEntry.entry
}

struct SignedEntry {
  # The Merkle leaf: what the ledger stores and tiles carry.
  seq @0 :UInt64;
  prevHash @1 :Data;          # leaf hash of seq-1; 32 zero bytes for genesis
  recordedAt @2 :Int64;       # ledger's clock, Unix ms, non-decreasing
  entry @3 :Data;             # canonical bytes of an Entry
  signatures @4 :List(Signature);  # sorted by publicKey, no key twice; empty in a batch
  batchSeq @5 :UInt64;        # in a payment run: the seq of its batch record (0: not batched)
}

struct Genesis {
  formatVersion @0 :UInt32;   # 1, or 2 from payment runs (batches) on
  origin @1 :Text;
  logPublicKey @2 :Data;      # 32 bytes
  adminKeys @3 :List(Data);   # granted to party "ledger" as administrator
  currency @4 :Text;          # ISO 4217
  dualControlThreshold @5 :Int64;  # minor units; payments at or above need two keys
}

enum PartyKind {
  commissioner @0; funder @1; pool @2; integrator @3; provider @4;
  collaborative @5; board @6; regulator @7; auditor @8; office @9; other @10;
}

enum Sector { unspecified @0; public @1; private @2; voluntary @3; mutual @4; }

struct PoolShare {
  party @0 :Text;
  basisPoints @1 :UInt32;     # percent × 100: 33.34% = 3334
}

struct PoolTerms {
  legalBasis @0 :Text;        # e.g. "section 75 agreement"
  host @1 :Text;
  shares @2 :List(PoolShare);
  placeCode @3 :Text;         # ONS geography code
}

struct PartyRegistered {
  id @0 :Text;
  name @1 :Text;
  kind @2 :PartyKind;
  sector @3 :Sector;
  orgIds @4 :List(Text);
  controlledBy @5 :Text;
  parent @6 :Text;            # the organisation an office belongs to
  members @7 :List(Text);     # a collaborative's members
  budgetLimited @8 :Bool;
  poolTerms @9 :PoolTerms;
}

enum PartyStatus { active @0; serviceFailure @1; financialFailure @2; exited @3; }

struct PartyStatusChanged {
  party @0 :Text;
  status @1 :PartyStatus;
  from @2 :UInt32;
  note @3 :Text;
}

enum IntegratorModel { unspecified @0; pure @1; blended @2; }
enum FinancedBy { payer @0; parent @1; }

struct ScheduleRow {
  milestone @0 :Text;
  group @1 :Text;             # empty: matches only payments without a group
  unitPrice @2 :Int64;
  financedBy @3 :FinancedBy;
}

struct ContractAgreed {
  reference @0 :Text;
  payer @1 :Text;
  payee @2 :Text;
  subject @3 :Text;
  startDate @4 :UInt32;
  endDate @5 :UInt32;
  cap @6 :Int64;              # 0: no cap
  parent @7 :Text;            # head contract's reference
  model @8 :IntegratorModel;
  hasFeeCap @9 :Bool;
  feeCapBasisPoints @10 :UInt32;
  schedule @11 :List(ScheduleRow);
}

struct ContractVaried {
  reference @0 :Text;
  newCap @1 :Int64;           # 0: unchanged
  newEndDate @2 :UInt32;      # 0: unchanged
  replaceSchedule @3 :Bool;
  schedule @4 :List(ScheduleRow);
  reason @5 :Text;
}

enum EndReason { completed @0; terminated @1; transferred @2; }

struct ContractEnded {
  reference @0 :Text;
  reason @1 :EndReason;
  successor @2 :Text;
  date @3 :UInt32;
}

enum Role { officer @0; approver @1; administrator @2; auditor @3; }

struct KeyGranted {
  party @0 :Text;
  publicKey @1 :Data;
  role @2 :Role;
}

struct KeyRevoked {
  party @0 :Text;
  publicKey @1 :Data;
}

struct Contribution {
  from @0 :Text;
  to @1 :Text;                # a pool
  amount @2 :Int64;
  currency @3 :Text;
  valueDate @4 :UInt32;
  reference @5 :Text;
}

enum Mechanism {
  block @0; grant @1; fee @2; upfront @3; milestone @4; managementFee @5;
  loan @6; support @7; clawback @8; other @9;
  purchase @10;  # goods and services bought for the payer's own use: no responsibility gap
  refund @11;    # money back to the payee (a supplier's credit note), signed by the payee
}

struct Payment {
  from @0 :Text;
  to @1 :Text;
  amount @2 :Int64;
  currency @3 :Text;
  valueDate @4 :UInt32;
  mechanism @5 :Mechanism;
  milestone @6 :Text;
  contractSeq @7 :UInt64;     # 0: not under a contract (seq 0 is genesis)
  outcomeCount @8 :UInt32;
  group @9 :Text;
  claimIds @10 :List(Text);   # salted hashes, never personal data
  fundedBy :union {
    unspecified @11 :Void;
    entry @12 :UInt64;        # the contribution, contract or payment it comes from
    own @13 :Void;
    loan @14 :Void;
  }
  memo @15 :Text;
  reference @16 :Text;        # the payer's own transaction or invoice number
}

enum ResponsibilityKind {
  contract @0; delivery @1; oversight @2; assurance @3; lastResort @4; informal @5;
}

struct ResponsibilityAssigned {
  accountable @0 :Text;
  responsible @1 :List(Text);  # several: held jointly
  subject @2 :Text;
  kind @3 :ResponsibilityKind;
  startDate @4 :UInt32;
  endDate @5 :UInt32;
  contractRef @6 :Text;
}

struct ResponsibilityEnded {
  assignmentSeq @0 :UInt64;
  reason @1 :Text;
}

struct Reversal {
  targetSeq @0 :UInt64;
  reason @1 :Text;
}

struct Batch {
  # A payment run (DESIGN.md "Payment runs"): the officers' one approval of
  # the `count` records that follow it contiguously, each stored with no
  # signatures and batchSeq = this record's seq. `root` is the RFC 6962
  # Merkle root over those records' canonical Entry bytes (leaf =
  # SHA-256(0x00 || Entry bytes)). Only in ledgers whose genesis says 2.
  count @0 :UInt32;           # 1 to 10,000
  root @1 :Data;              # 32 bytes
}
