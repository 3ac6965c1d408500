// The request API: how every front end (the CLI, the imports, the demo, the
// bench, the server, the writer's tests) asks for a record. One plain struct
// per body kind, holding every field of the schema's body (schema/fundtrail.capnp)
// in C++ types; encode_entry turns one into the canonical Entry bytes signers
// sign. Nothing here checks a rule: the writer validates every field and is
// the one answer (DESIGN.md "One request model").
//
// The schema's conventions hold in every struct: dates are YYYYMMDD (0 = not
// given); money is int64 minor units of the ledger's currency; empty text,
// an empty list or 0 means "not given" where the schema says so.
// Every member has a default initializer ({} where there is no other), so a
// designated initializer may name only the fields it sets.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fundtrail.capnp.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

namespace fundtrail::spec {

// Record 0. formatVersion is not a field: encode_entry writes kFormatVersion.
struct Genesis {
  std::string origin{};                 // the ledger's origin name (checkpoints)
  PublicKey log_public_key{};           // signs checkpoints
  std::vector<PublicKey> admin_keys{};  // granted to party "ledger" as administrator
  std::string currency{};               // ISO 4217, the ledger's one currency
  int64_t dual_control_threshold = 0;   // payments at or above it need two keys
  bool operator==(const Genesis&) const = default;
};

struct PoolShare {
  std::string party{};
  uint32_t basis_points = 0;  // percent x 100: 33.34% = 3334
  bool operator==(const PoolShare&) const = default;
};
struct PoolTerms {
  std::string legal_basis{};  // e.g. "section 75 agreement"
  std::string host{};         // party id
  std::vector<PoolShare> shares{};
  std::string place_code{};   // ONS geography code
  bool operator==(const PoolTerms&) const = default;
};
struct PartyRegistered {
  std::string id{}, name{};
  schema::PartyKind kind = schema::PartyKind::OTHER;
  schema::Sector sector = schema::Sector::UNSPECIFIED;
  std::vector<std::string> org_ids{};  // kept exactly as published
  std::string controlled_by{};         // party id, empty: none
  std::string parent{};                // the organisation an office belongs to
  std::vector<std::string> members{};  // a collaborative's members
  bool budget_limited = false;
  std::optional<PoolTerms> pool_terms{};  // a pool's terms; absent for any other party
  bool operator==(const PartyRegistered&) const = default;
};

struct PartyStatusChanged {
  std::string party{};
  schema::PartyStatus status = schema::PartyStatus::ACTIVE;
  uint32_t from = 0;  // the date it takes effect
  std::string note{};
  bool operator==(const PartyStatusChanged&) const = default;
};

struct ScheduleRow {
  std::string milestone{};
  std::string group{};  // empty: matches only payments without a group
  int64_t unit_price = 0;
  schema::FinancedBy financed_by = schema::FinancedBy::PAYER;
  bool operator==(const ScheduleRow&) const = default;
};
struct ContractAgreed {
  std::string reference{}, payer{}, payee{}, subject{};
  uint32_t start_date = 0, end_date = 0;
  int64_t cap = 0;       // 0: no cap
  std::string parent{};  // head contract's reference, empty: none
  schema::IntegratorModel model = schema::IntegratorModel::UNSPECIFIED;
  bool has_fee_cap = false;
  uint32_t fee_cap_basis_points = 0;
  std::vector<ScheduleRow> schedule{};
  bool operator==(const ContractAgreed&) const = default;
};
struct ContractVaried {
  std::string reference{};
  int64_t new_cap = 0;        // 0: unchanged
  uint32_t new_end_date = 0;  // 0: unchanged
  bool replace_schedule = false;
  std::vector<ScheduleRow> schedule{};  // the new schedule when replace_schedule
  std::string reason{};
  bool operator==(const ContractVaried&) const = default;
};
struct ContractEnded {
  std::string reference{};
  schema::EndReason reason = schema::EndReason::COMPLETED;
  std::string successor{};  // transferred: the party that takes it over
  uint32_t date = 0;
  bool operator==(const ContractEnded&) const = default;
};

struct KeyGranted {
  std::string party{};
  PublicKey public_key{};
  schema::Role role = schema::Role::OFFICER;
  bool operator==(const KeyGranted&) const = default;
};
struct KeyRevoked {
  std::string party{};
  PublicKey public_key{};
  bool operator==(const KeyRevoked&) const = default;
};

struct Contribution {
  std::string from{}, to{};  // to: a pool
  int64_t amount = 0;
  std::string currency{};
  uint32_t value_date = 0;
  std::string reference{};
  bool operator==(const Contribution&) const = default;
};

// Where a payment's money comes from (the schema's fundedBy union).
struct FundedBy {
  enum class Kind { unspecified, entry, own, loan };
  Kind kind = Kind::unspecified;
  uint64_t seq = 0;  // kind entry: the contribution, contract or payment it comes from
  static FundedBy entry(uint64_t s) { return {Kind::entry, s}; }
  static FundedBy own() { return {Kind::own, 0}; }
  static FundedBy loan() { return {Kind::loan, 0}; }
  bool operator==(const FundedBy&) const = default;
};
struct Payment {
  std::string from{}, to{};
  int64_t amount = 0;
  std::string currency{};
  uint32_t value_date = 0;
  schema::Mechanism mechanism = schema::Mechanism::OTHER;
  std::string milestone{};
  uint64_t contract_seq = 0;  // 0: not under a contract (seq 0 is genesis); see contract_seq_for
  uint32_t outcome_count = 0;
  std::string group{};
  std::vector<std::string> claim_ids{};  // salted hashes, never personal data
  FundedBy funded_by{};
  std::string memo{};
  std::string reference{};  // the payer's transaction or invoice number
  bool operator==(const Payment&) const = default;
};

struct ResponsibilityAssigned {
  std::string accountable{};
  std::vector<std::string> responsible{};  // several: held jointly
  std::string subject{};
  schema::ResponsibilityKind kind = schema::ResponsibilityKind::CONTRACT;
  uint32_t start_date = 0, end_date = 0;
  std::string contract_ref{};
  bool operator==(const ResponsibilityAssigned&) const = default;
};
struct ResponsibilityEnded {
  uint64_t assignment_seq = 0;
  std::string reason{};
  bool operator==(const ResponsibilityEnded&) const = default;
};

struct Reversal {
  uint64_t target_seq = 0;  // the money record it cancels
  std::string reason{};
  bool operator==(const Reversal&) const = default;
};

// In the schema's order of body kinds.
using Body = std::variant<Genesis, PartyRegistered, PartyStatusChanged, ContractAgreed, ContractVaried, ContractEnded,
                          KeyGranted, KeyRevoked, Contribution, Payment, ResponsibilityAssigned, ResponsibilityEnded,
                          Reversal>;

}  // namespace fundtrail::spec

namespace fundtrail {

// Canonical Entry bytes of `body`. Every text and list field is written, empty
// or not, so equal specs give equal bytes.
Bytes encode_entry(std::string_view origin, int64_t created_at_ms, std::string_view idempotency_key,
                   const spec::Body& body);

// The key a write without one is given: "auto-" + hex of the first 16 bytes
// of SHA-256 of the entry with createdAt 0 and an empty key. Stable across
// releases: a retry of a command recorded by an older fundtrail still matches.
std::string derived_idempotency_key(std::string_view origin, const spec::Body& body);

// The entry signed by each key (sign_entry), ready for Ledger::append.
SignedRequest sign_request(Bytes entry, const std::vector<const KeyPair*>& keys);

// A payment run of `entries` (canonical Entry bytes, 1 to 10,000, from
// encode_entry), approved by `keys`: the batch entry with its root over the
// entries and its idempotency key derived from theirs (ledger/batch.h),
// signed by each key, for Ledger::append_run. Each key must act for at least
// one entry's acting party, as the writer checks.
BatchRequest run_request(std::string_view origin, int64_t created_at_ms, std::vector<Bytes> entries,
                         const std::vector<const KeyPair*>& keys);

// The genesis request, listing and signed by every administrator in `admins`;
// g.admin_keys is ignored (the admins' keys are listed).
SignedRequest genesis_request(spec::Genesis g, const std::vector<const KeyPair*>& admins, int64_t created_at_ms);

// The seq of the contract agreed with `reference`, for Payment::contract_seq.
// The one place an unknown reference is answered, for every front end:
// refuses with check "rule 9", field "contract".
uint64_t contract_seq_for(const Ledger& ledger, const std::string& reference);

// "SEQ", "own" or "loan" as a user writes where the money comes from.
// Anything else ("", "-1", "12x", a number above 2^64-1) is a usage error
// (Error unusable) naming `option`. "0" is accepted as seq 0: whether a seq
// names a contribution, contract or payment is the writer's rule 2, and
// genesis is none of them.
spec::FundedBy parse_funded_by(std::string_view text, std::string_view option = "--funded-by");

}  // namespace fundtrail
