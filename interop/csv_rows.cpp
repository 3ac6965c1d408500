#include "interop/csv_rows.h"

#include <csv.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "interop/input_file.h"
#include "ledger/error.h"

namespace fundtrail::interop {
namespace {

struct Collector {
  std::vector<CsvRow> rows;
  CsvRow current;
  size_t line = 1;       // line the parser has reached
  size_t row_start = 1;  // line the current row began on
};

void on_field(void* data, size_t len, void* out) {
  auto* c = static_cast<Collector*>(out);
  c->current.fields.emplace_back(data ? static_cast<const char*>(data) : "", data ? len : 0);
}

void on_row(int, void* out) {
  auto* c = static_cast<Collector*>(out);
  c->current.line = c->row_start;
  c->rows.push_back(std::move(c->current));
  c->current = CsvRow{};
}

int no_space(unsigned char) { return 0; }

}  // namespace

std::vector<CsvRow> parse_csv(std::string_view bytes, char delimiter, size_t first_line) {
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) unusable("cannot initialise the CSV parser");
  std::unique_ptr<csv_parser, void (*)(csv_parser*)> guard(&p, csv_free);
  csv_set_space_func(&p, no_space);
  csv_set_delim(&p, static_cast<unsigned char>(delimiter));
  Collector c;
  c.line = c.row_start = first_line;
  // Fed a line at a time, so each row is told the line it starts on.
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t nl = bytes.find('\n', pos);
    size_t end = nl == std::string_view::npos ? bytes.size() : nl + 1;
    // pstate 0 is libcsv's ROW_NOT_BEGUN: this line starts a row (a quoted
    // first field spanning lines leaves no fields to tell it by).
    if (p.pstate == 0 && c.current.fields.empty()) c.row_start = c.line;
    if (csv_parse(&p, bytes.data() + pos, end - pos, on_field, on_row, &c) != end - pos)
      unusable("line " + std::to_string(c.line) + ": malformed CSV (" + csv_strerror(csv_error(&p)) + ")");
    pos = end;
    ++c.line;
  }
  if (csv_fini(&p, on_field, on_row, &c) != 0) unusable("malformed CSV at the end of the file (an unclosed quote?)");
  for (auto& r : c.rows)
    if (!r.fields.empty() && !r.fields.back().empty() && r.fields.back().back() == '\r') r.fields.back().pop_back();
  return std::move(c.rows);
}

std::vector<CsvRow> read_csv(const std::string& path) {
  std::string bytes = read_input_file(path, "the CSV file");
  try {
    return parse_csv(bytes);
  } catch (const Error& e) {
    throw Error(e.kind, path + ": " + e.what());
  }
}

}  // namespace fundtrail::interop
