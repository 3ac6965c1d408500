// Field limits of DESIGN.md "Limits" and the checks of single fields that
// enforce them on write (refusals name check `format` or `limits`).
#pragma once
#include <capnp/blob.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fundtrail {

// Text limits in UTF-8 bytes (DESIGN.md "Limits"; docs/rules.md "Checks").
constexpr size_t kIdLimit = 64;          // party ids, claim ids, place codes
constexpr size_t kOrgIdLimit = 200;      // org ids: real 360Giving ids exceed 64
constexpr size_t kNameLimit = 200;
constexpr size_t kSubjectLimit = 200;    // subjects, references, legal basis, origin
constexpr size_t kMilestoneLimit = 100;  // milestones and participant groups
constexpr size_t kIdempotencyLimit = 128;
constexpr size_t kMemoLimit = 1000;      // memos, notes, reasons
constexpr size_t kCurrencyLimit = 16;

// List limits (docs/rules.md "Checks", check `limits`).
constexpr size_t kMaxSignatures = 16;
constexpr size_t kMaxAdminKeys = 16;
constexpr size_t kMaxOrgIds = 16;
constexpr size_t kMaxMembers = 256;
constexpr size_t kMaxShares = 256;
constexpr size_t kMaxResponsible = 256;
constexpr size_t kMaxScheduleRows = 1024;
constexpr size_t kMaxClaimIds = 1024;
// Contracts in one chain of parents, a head contract counting 1: a deeper
// contractAgreed is refused (check `limits`), on both sides of the verifier
// boundary, so no walk up a chain ever stops silently.
constexpr size_t kMaxContractDepth = 32;

// Dates: YYYYMMDD naming a real calendar day in these years (both sides).
constexpr uint32_t kFirstYear = 1900, kLastYear = 2999;

bool valid_utf8(std::string_view s);
std::string ascii_lower(std::string s);

// Free text may hold tab and newline; other text no C0 control or DEL.
enum class TextKind { plain, free };

// Refuses (check `format`) invalid UTF-8, control characters and empty text
// when required, and (check `limits`) text over `limit` bytes; `field` names it.
void check_text(capnp::Text::Reader text, size_t limit, const char* field, bool may_be_empty,
                TextKind kind = TextKind::plain);
// Party ids: [a-z0-9][a-z0-9._-]*, at most kIdLimit bytes (format / limits).
void check_slug(const std::string& id, const char* field);
// YYYYMMDD naming a real day in kFirstYear..kLastYear; 0 allowed unless required (format).
void check_date(uint32_t yyyymmdd, const char* field, bool required);
bool valid_date(uint32_t yyyymmdd);

// "2025-04-01" <-> 20250401; parse returns 0 on malformed text.
uint32_t parse_date(std::string_view text);
std::string format_date(uint32_t yyyymmdd);

}  // namespace fundtrail
