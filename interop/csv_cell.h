// One cell of the CSV files fundtrail writes for spreadsheets (the map's edge
// list, the 360Giving grants).
//
// Quoting is RFC 4180's, also for cells with leading or trailing blanks that
// a reader would trim. And a cell that a spreadsheet would run as a formula
// (its text starts with = + - @, a tab or a carriage return: OWASP's "CSV
// injection") is written with a leading apostrophe, so a party name or a
// subject recorded as `=HYPERLINK(...)` shows as text instead of running in
// a researcher's spreadsheet. A plain number such as -1250 or -12.50 cannot
// be a formula and is left as it is. docs/decisions.md has the trade-off.
#pragma once
#include <string>
#include <string_view>

namespace fundtrail::interop {

// The cell as it goes between the commas: guarded, then quoted if needed.
std::string csv_cell(std::string_view text);

// Undoes csv_cell's guard: csv_unguard(unquoted csv_cell(t)) == t for every
// t. (Text that itself starts with an apostrophe before formula-like text,
// '=x, is written with one more, ''=x.) Readers of fundtrail's own CSV apply
// it after RFC 4180 unquoting, so exported text round-trips.
std::string_view csv_unguard(std::string_view cell);

}  // namespace fundtrail::interop
