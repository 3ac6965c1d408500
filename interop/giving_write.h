// Writes grants in the 360Giving Data Standard: the JSON package
// {"grants": [...]} or the CSV spreadsheet layout with schema titles.
#pragma once
#include <string>
#include <vector>

namespace fundtrail::interop {

struct ExportGrant {
  std::string id, title, description, currency;
  std::string amount;      // exact decimal text, e.g. "1250.00": written as is, never through double
  std::string award_date;  // YYYY-MM-DD
  bool individual = false;
  std::string recipient_id, recipient_name;
  std::string funder_id, funder_name;
  std::string programme_code, programme_title;  // empty: no grant programme
  std::string regrant_type;                     // empty: none
  std::string date_modified;                    // RFC 3339 date-time
};

// {"grants": [ ... ]}: one grant per line, amountAwarded a JSON number with
// exactly the given digits; fields in schema order.
std::string write_giving_json(const std::vector<ExportGrant>& grants);

// Header of schema titles, then one row per grant; CRLF line ends; a field
// holding a comma, quote, line break or surrounding space is quoted.
std::string write_giving_csv(const std::vector<ExportGrant>& grants);

}  // namespace fundtrail::interop
