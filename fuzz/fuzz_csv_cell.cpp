// CSV cells for spreadsheets (interop/csv_cell.h), read back with the
// project's own CSV reader (libcsv): the input, split at its first 0xFF byte
// into two texts, is written as one row of two cells. Both texts come back
// exactly after csv_unguard, and no cell, once unquoted, starts with what a
// spreadsheet would run as a formula unless it is a plain negative number.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "interop/csv_cell.h"
#include "interop/csv_rows.h"

using namespace fundtrail::interop;

namespace {

bool formula_start(const std::string& cell) {
  if (cell.empty() || std::string_view("=+-@\t\r").find(cell[0]) == std::string_view::npos) return false;
  if (cell[0] != '-' || cell.size() < 2) return true;
  size_t i = 1, digits = 0, dots = 0, after = 0;
  for (; i < cell.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(cell[i]))) ++(dots ? after : digits);
    else if (cell[i] == '.' && !dots) ++dots;
    else return true;
  }
  return digits == 0 || (dots && after == 0);  // "-12" and "-12.5" are numbers
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('\xFF');
  std::string a(in.substr(0, cut)), b(cut == std::string_view::npos ? "" : in.substr(cut + 1));
  // The CSV reader drops a CRLF row end's '\r' and cannot tell an empty row
  // from none, so the second cell ends with a marker.
  b += "|";
  std::string row = csv_cell(a) + "," + csv_cell(b) + "\r\n";
  std::vector<CsvRow> rows;
  try {
    rows = parse_csv(row);
  } catch (...) {
    __builtin_trap();  // whatever csv_cell writes is valid CSV
  }
  if (rows.size() != 1 || rows[0].fields.size() != 2) __builtin_trap();
  for (int k = 0; k < 2; ++k) {
    const std::string& cell = rows[0].fields[k];
    if (formula_start(cell)) __builtin_trap();
    if (csv_unguard(cell) != (k ? b : a)) __builtin_trap();
  }
  return 0;
}
