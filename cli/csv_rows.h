// Reading CSV files (RFC 4180, via libcsv) into rows with their line numbers.
#pragma once
#include <string>
#include <vector>

namespace fundtrail::cli {

struct CsvRow {
  size_t line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// Reads the whole file strictly: a malformed quote is a usage error naming
// the line. Fields are kept exactly (no trimming), so " 5" stays " 5".
std::vector<CsvRow> read_csv(const std::string& path);

}  // namespace fundtrail::cli
