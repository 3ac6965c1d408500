#include "cli/csv_rows.h"

#include <csv.h>

#include <fstream>

#include "cli/context.h"

namespace fundtrail::cli {
namespace {

struct Collector {
  std::vector<CsvRow> rows;
  CsvRow current;
  size_t line = 1;        // line the parser has reached
  size_t row_start = 1;   // line the current row began on
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

std::vector<CsvRow> read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read CSV file '" + path + "'");
  csv_parser p;
  if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) usage_error("cannot initialise the CSV parser");
  csv_set_space_func(&p, no_space);
  Collector c;
  std::string line;
  // Feed line by line so rows can be told their starting line.
  while (std::getline(in, line)) {
    if (c.current.fields.empty()) c.row_start = c.line;
    line += '\n';
    if (csv_parse(&p, line.data(), line.size(), on_field, on_row, &c) != line.size()) {
      std::string why = csv_strerror(csv_error(&p));
      csv_free(&p);
      usage_error(path + ": line " + std::to_string(c.line) + ": malformed CSV (" + why + ")");
    }
    ++c.line;
  }
  if (csv_fini(&p, on_field, on_row, &c) != 0) {
    csv_free(&p);
    usage_error(path + ": malformed CSV at the end of the file (an unclosed quote?)");
  }
  csv_free(&p);
  for (auto& r : c.rows)
    if (!r.fields.empty() && r.fields.back().size() && r.fields.back().back() == '\r') r.fields.back().pop_back();
  return c.rows;
}

}  // namespace fundtrail::cli
