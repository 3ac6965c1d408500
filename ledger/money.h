// Money as exact integers: decimal major-unit text <-> int64 minor units.
// No floating point anywhere on this path (DESIGN.md, "Money").
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace fundtrail {

enum class MoneyError { none, syntax, sign, too_many_decimals, overflow, unknown_currency };

struct MoneyParse {
  int64_t minor = 0;
  MoneyError error = MoneyError::none;
  std::string message;  // for people: what was wrong and what is accepted
  bool ok() const { return error == MoneyError::none; }
};

// ISO 4217 minor-unit exponent of an upper-case currency code (GBP 2, JPY 0,
// BHD 3), or -1 when the code is unknown.
int currency_exponent(std::string_view code);

// Parses "1250", "1250.5", "1250.00": ASCII digits, at most one '.', at most
// `exponent` decimals, no sign, no spaces, no exponent; overflow is an error.
MoneyParse parse_money(std::string_view text, int exponent);

// Formats minor units with exactly `exponent` decimals; negatives get '-'.
std::string format_money(int64_t minor, int exponent);

// Checked arithmetic: false on overflow, result untouched.
bool add_money(int64_t a, int64_t b, int64_t& out);
bool sub_money(int64_t a, int64_t b, int64_t& out);

}  // namespace fundtrail
