// Reading CSV (RFC 4180, via libcsv) into rows with their line numbers.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fundtrail::interop {

struct CsvRow {
  size_t line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// Parses CSV bytes strictly: a malformed quote is a usage error naming the
// line ("line N: ..."). Fields are kept exactly (no trimming, so " 5" stays
// " 5"), except that a CRLF line end's '\r' is dropped from the last field.
// A UTF-8 byte-order mark at the start is dropped (Excel's "CSV UTF-8" writes
// one). `delimiter`: ',', ';' or '\t'; `first_line`: the line number of the
// first byte (when lines above it were skipped).
std::vector<CsvRow> parse_csv(std::string_view bytes, char delimiter = ',', size_t first_line = 1);

// parse_csv of a whole file; errors are prefixed with the path.
std::vector<CsvRow> read_csv(const std::string& path);

}  // namespace fundtrail::interop
