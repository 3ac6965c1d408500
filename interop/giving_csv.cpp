#include "interop/giving_csv.h"

#include <algorithm>
#include <map>
#include <optional>

#include "interop/csv_cell.h"
#include "interop/csv_rows.h"
#include "ledger/error.h"
#include "ledger/limits.h"

namespace fundtrail::interop {
namespace {


std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

// "Recipient Org : Identifier " and "recipient org:identifier" are one title.
std::string title_key(std::string_view title) {
  std::string out;
  std::string t = ascii_lower(trim(title));
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == ':') {
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += ':';
      while (i + 1 < t.size() && t[i + 1] == ' ') ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

}  // namespace

GivingFile read_giving_csv(std::string_view bytes) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);  // byte-order mark
  std::vector<CsvRow> rows = parse_csv(bytes);
  if (rows.empty()) unusable("the file is empty: a 360Giving CSV file starts with a header line of column titles");
  std::map<std::string, const char*> by_title;
  for (auto& f : giving_fields()) by_title[title_key(f.title)] = f.path;

  // Which column holds which field; the rest are reported, not refused.
  const CsvRow& header = rows[0];
  std::vector<std::optional<std::string>> column(header.fields.size());
  std::map<std::string, size_t> used;  // path -> column
  GivingFile file;
  for (size_t k = 0; k < header.fields.size(); ++k) {
    auto it = by_title.find(title_key(header.fields[k]));
    if (it == by_title.end()) {
      std::string t = trim(header.fields[k]);
      if (!t.empty() && std::find(file.unused.begin(), file.unused.end(), t) == file.unused.end()) file.unused.push_back(t);
      continue;
    }
    if (!used.emplace(it->second, k).second)
      unusable("line " + std::to_string(header.line) + ": the column '" + trim(header.fields[k]) + "' appears twice");
    column[k] = it->second;
  }
  if (!used.count("id"))
    unusable("line " + std::to_string(header.line) +
                ": the header has no 'Identifier' column; is this a 360Giving file? (its first line must hold the "
                "column titles, e.g. Identifier,Title,Description,Currency,Amount Awarded,Award Date,...)");

  for (size_t i = 1; i < rows.size(); ++i) {
    const CsvRow& row = rows[i];
    bool blank = std::all_of(row.fields.begin(), row.fields.end(), [](auto& c) { return trim(c).empty(); });
    if (blank) continue;  // spreadsheets leave rows of empty cells behind
    if (row.fields.size() > header.fields.size() &&
        std::any_of(row.fields.begin() + header.fields.size(), row.fields.end(), [](auto& c) { return !trim(c).empty(); }))
      unusable("line " + std::to_string(row.line) + ": " + std::to_string(row.fields.size()) +
                  " cells, more than the header's " + std::to_string(header.fields.size()));
    GivingRecord r;
    r.where = "line " + std::to_string(row.line);
    for (size_t k = 0; k < std::min(row.fields.size(), column.size()); ++k) {
      if (!column[k]) continue;
      std::string v(csv_unguard(trim(row.fields[k])));  // our own export guards formula-like text
      if (!v.empty()) r.fields[*column[k]] = GivingValue{GivingValue::Type::text, std::move(v)};
    }
    file.records.push_back(std::move(r));
  }
  return file;
}

}  // namespace fundtrail::interop
