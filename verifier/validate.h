// Every field of one Entry checked on its own, with no ledger state: the
// `format` and `limits` rows of docs/rules.md's "Checks" table (the writer's
// twin is ledger/validate.cpp; the two are kept in agreement by the
// differential test, never by shared code). Rules that need the ledger's state
// (rules.cpp, contracts.cpp) run after this and trust nothing it found wrong.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "record.h"
#include "report.h"

namespace fv {

// Limits in UTF-8 bytes and list lengths (docs/rules.md, "Checks", `limits`).
namespace limit {
constexpr size_t kPartyId = 64, kClaimId = 64, kPlaceCode = 64;
constexpr size_t kOrgId = 200, kName = 200, kSubject = 200, kReference = 200, kLegalBasis = 200, kOrigin = 200;
constexpr size_t kMilestone = 100;  // milestones and participant groups
constexpr size_t kIdempotencyKey = 128;
constexpr size_t kMemo = 1000;      // memos, notes, reasons
constexpr size_t kCurrency = 16;
constexpr size_t kSignatures = 16, kAdminKeys = 16, kOrgIds = 16;
constexpr size_t kMembers = 256, kShares = 256, kResponsible = 256;
constexpr size_t kScheduleRows = 1024, kClaimIds = 1024;
constexpr uint32_t kContractDepth = 32;
constexpr uint32_t kBatchRecords = 10000;  // records in one payment run  // a head contract is depth 1
}  // namespace limit

struct FieldProblem {
  Check check;        // Format or Limits
  std::string field;  // schema path: "payment.memo", "partyRegistered.orgIds[2]"
  std::string reason;
};

struct Validation {
  std::vector<FieldProblem> problems;
  // Body kinds and enum values this verifier does not know, in field order
  // ("body kind 40", "payment.mechanism 12"): a record of a newer format.
  std::vector<std::string> unknown;
};

// Checks every field of `e` by its body kind. May throw kj::Exception when a
// pointer field is not of its schema type (the caller reports that as `format`).
Validation validateEntry(schema::Entry::Reader e);

bool validUtf8(std::string_view s);
bool isSlug(std::string_view s);  // [a-z0-9] then [a-z0-9._-]*
bool realDate(uint32_t yyyymmdd);  // a real calendar day in years 1900-2999

}  // namespace fv
