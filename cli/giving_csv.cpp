#include "cli/giving_csv.h"

#include <csv.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "cli/context.h"
#include "ledger/limits.h"

namespace fundtrail::cli {
namespace {

struct Row {
  size_t line = 0;
  std::vector<std::string> cells;
};

struct Collector {
  std::vector<Row> rows;
  Row current;
  size_t line = 1;       // line the parser has reached
  size_t row_start = 1;  // line the current row began on
};

void on_field(void* data, size_t len, void* out) {
  auto* c = static_cast<Collector*>(out);
  c->current.cells.emplace_back(data ? static_cast<const char*>(data) : "", data ? len : 0);
}

void on_row(int, void* out) {
  auto* c = static_cast<Collector*>(out);
  c->current.line = c->row_start;
  c->rows.push_back(std::move(c->current));
  c->current = Row{};
}

int no_space(unsigned char) { return 0; }

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

std::vector<Row> parse(std::string_view bytes) {
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) usage_error("cannot initialise the CSV parser");
  std::unique_ptr<csv_parser, void (*)(csv_parser*)> guard(&p, csv_free);
  csv_set_space_func(&p, no_space);
  Collector c;
  // Fed a line at a time, so each row is told the line it starts on.
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    size_t end = nl == std::string_view::npos ? bytes.size() : nl + 1;
    // pstate 0 is libcsv's ROW_NOT_BEGUN: this line starts a row (a quoted
    // first field spanning lines leaves no cells to tell it by).
    if (p.pstate == 0 && c.current.cells.empty()) c.row_start = c.line;
    if (csv_parse(&p, bytes.data() + pos, end - pos, on_field, on_row, &c) != end - pos)
      usage_error("line " + std::to_string(c.line) + ": malformed CSV (" + csv_strerror(csv_error(&p)) + ")");
    pos = end;
    ++c.line;
  }
  if (csv_fini(&p, on_field, on_row, &c) != 0) usage_error("malformed CSV at the end of the file (an unclosed quote?)");
  return c.rows;
}

}  // namespace

GivingFile read_giving_csv(std::string_view bytes) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);  // byte-order mark
  std::vector<Row> rows = parse(bytes);
  if (rows.empty()) usage_error("the file is empty: a 360Giving CSV file starts with a header line of column titles");
  std::map<std::string, const char*> by_title;
  for (auto& f : giving_fields()) by_title[title_key(f.title)] = f.path;

  // Which column holds which field; the rest are reported, not refused.
  const Row& header = rows[0];
  std::vector<std::optional<std::string>> column(header.cells.size());
  std::map<std::string, size_t> used;  // path -> column
  GivingFile file;
  for (size_t k = 0; k < header.cells.size(); ++k) {
    auto it = by_title.find(title_key(header.cells[k]));
    if (it == by_title.end()) {
      std::string t = trim(header.cells[k]);
      if (!t.empty() && std::find(file.unused.begin(), file.unused.end(), t) == file.unused.end()) file.unused.push_back(t);
      continue;
    }
    if (!used.emplace(it->second, k).second)
      usage_error("line " + std::to_string(header.line) + ": the column '" + trim(header.cells[k]) + "' appears twice");
    column[k] = it->second;
  }
  if (!used.count("id"))
    usage_error("line " + std::to_string(header.line) +
                ": the header has no 'Identifier' column; is this a 360Giving file? (its first line must hold the "
                "column titles, e.g. Identifier,Title,Description,Currency,Amount Awarded,Award Date,...)");

  for (size_t i = 1; i < rows.size(); ++i) {
    const Row& row = rows[i];
    bool blank = std::all_of(row.cells.begin(), row.cells.end(), [](auto& c) { return trim(c).empty(); });
    if (blank) continue;  // spreadsheets leave rows of empty cells behind
    if (row.cells.size() > header.cells.size() &&
        std::any_of(row.cells.begin() + header.cells.size(), row.cells.end(), [](auto& c) { return !trim(c).empty(); }))
      usage_error("line " + std::to_string(row.line) + ": " + std::to_string(row.cells.size()) +
                  " cells, more than the header's " + std::to_string(header.cells.size()));
    GivingRecord r;
    r.where = "line " + std::to_string(row.line);
    for (size_t k = 0; k < std::min(row.cells.size(), column.size()); ++k) {
      if (!column[k]) continue;
      std::string v = trim(row.cells[k]);
      if (!v.empty()) r.fields[*column[k]] = GivingValue{GivingValue::Type::text, std::move(v)};
    }
    file.records.push_back(std::move(r));
  }
  return file;
}

}  // namespace fundtrail::cli
