#include "interop/csv_cell.h"

#include <algorithm>
#include <cctype>

namespace fundtrail::interop {
namespace {

bool starts_formula(std::string_view s) {
  return !s.empty() && std::string_view("=+-@\t\r").find(s.front()) != std::string_view::npos;
}

// -1250, -12.50: what a spreadsheet reads as a number, never as a formula.
bool negative_number(std::string_view s) {
  if (s.size() < 2 || s.front() != '-') return false;
  s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot), frac = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  auto digits = [](std::string_view d) {
    return !d.empty() && std::all_of(d.begin(), d.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  return digits(whole) && (dot == std::string_view::npos || digits(frac));
}

// Whether csv_cell writes an apostrophe first. Text that already starts with
// apostrophes before formula-like text gets one more, so that csv_unguard
// can always tell a guard from the text's own apostrophe.
bool needs_guard(std::string_view text) {
  std::string_view rest = text.substr(std::min(text.find_first_not_of('\''), text.size()));
  return starts_formula(rest) && !negative_number(rest);
}

}  // namespace

std::string csv_cell(std::string_view text) {
  std::string cell;
  if (needs_guard(text)) cell += '\'';
  cell += text;
  bool quote = cell.find_first_of(",\"\r\n") != std::string::npos ||
               (!cell.empty() && (cell.front() == ' ' || cell.back() == ' ' || cell.front() == '\t' || cell.back() == '\t'));
  if (!quote) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string_view csv_unguard(std::string_view cell) {
  if (!cell.empty() && cell.front() == '\'' && needs_guard(cell.substr(1))) cell.remove_prefix(1);
  return cell;
}

}  // namespace fundtrail::interop
