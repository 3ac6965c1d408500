// A 360Giving grant as read from a file, before any meaning is given to it:
// its fields flattened to the schema's JSON paths ("amountAwarded",
// "fundingOrganization/0/id"), each with the exact text published. Both
// readers (giving_csv.h, giving_json.h) produce these; giving_grant.h checks
// them. See docs/360giving.md.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace fundtrail::interop {

struct GivingValue {
  enum class Type { text, number, other };  // other: true/false
  Type type = Type::text;
  std::string text;  // a number keeps its exact token: "1250.50", "1e3"
};

struct GivingRecord {
  std::string where;  // "line 7" (CSV) or "grants[3]" (JSON), for messages
  std::map<std::string, GivingValue> fields;  // by JSON path; absent or null fields are missing

  // The field's text, or "" when it is missing.
  const std::string& text(const std::string& path) const;
  bool has(const std::string& path) const;
};

struct GivingFile {
  std::vector<GivingRecord> records;  // one per CSV row or JSON grant, in file order
  // Columns (CSV titles as written) or field paths (JSON, later array items as
  // "n") that the import does not use: reported once, never an error.
  std::vector<std::string> unused;
};

// The JSON paths the import uses, and the CSV column titles that stand for
// them (schema 1.4 titles; matched without regard to case).
struct GivingField {
  const char* path;
  const char* title;
};
const std::vector<GivingField>& giving_fields();

// Merges records that share an `id` into one (several CSV rows of one grant;
// a JSON grant listed twice). A field given by two of them with different
// text is refused naming both places; a record without an id is refused.
// The merged record keeps the place of the first.
std::vector<GivingRecord> merge_by_id(const std::vector<GivingRecord>& records);

// A usage error (exit 2) naming the record's place and grant id:
// "line 7, grant 360G-x-1: <why>".
[[noreturn]] void giving_error(const GivingRecord& r, const std::string& why);

}  // namespace fundtrail::interop
