// Field limits of DESIGN.md "Limits", in UTF-8 bytes, and the checks that
// enforce them on write (refusals name rule 2: the record's own fields).
#pragma once
#include <capnp/blob.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace fundtrail {

constexpr size_t kIdLimit = 64;          // party ids, org ids, claim ids, place codes
constexpr size_t kNameLimit = 200;
constexpr size_t kSubjectLimit = 200;    // subjects, references, legal basis, origin
constexpr size_t kMilestoneLimit = 100;  // milestones and participant groups
constexpr size_t kIdempotencyLimit = 128;
constexpr size_t kMemoLimit = 1000;      // memos, notes, reasons

bool valid_utf8(std::string_view s);
std::string ascii_lower(std::string s);

// Refuses text over `limit` bytes, invalid UTF-8, or empty when required.
void check_text(capnp::Text::Reader text, size_t limit, const char* what, bool may_be_empty);
// Party ids: [a-z0-9][a-z0-9._-]*, at most kIdLimit bytes.
void check_slug(const std::string& id, const char* what);
// YYYYMMDD naming a real day; 0 allowed unless required.
void check_date(uint32_t yyyymmdd, const char* what, bool required);
bool valid_date(uint32_t yyyymmdd);

// "2025-04-01" <-> 20250401; parse returns 0 on malformed text.
uint32_t parse_date(std::string_view text);
std::string format_date(uint32_t yyyymmdd);

}  // namespace fundtrail
