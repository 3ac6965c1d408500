// Exact decimal money. Every step is integer arithmetic with explicit overflow
// checks: a ledger of public money must never round, wrap or saturate.
#include "ledger/money.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <limits>
#include <stdexcept>

namespace fundtrail {

namespace {

struct Currency {
  std::string_view code;
  int exponent;
};

// ISO 4217 minor units of the active currencies. Those that are not 2 are the
// ones that matter: a wrong 0 or 3 would scale every amount by 100 or 10.
constexpr std::array<Currency, 26> kNotTwo{{
    {"BHD", 3}, {"BIF", 0}, {"CLF", 4}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"IQD", 3},
    {"ISK", 0}, {"JOD", 3}, {"JPY", 0}, {"KMF", 0}, {"KRW", 0}, {"KWD", 3}, {"LYD", 3},
    {"OMR", 3}, {"PYG", 0}, {"RWF", 0}, {"TND", 3}, {"UGX", 0}, {"UYI", 0}, {"UYW", 4},
    {"VND", 0}, {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0},
}};

constexpr std::string_view kTwo[] = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BMD",
    "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CNY",
    "COP", "COU", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP",
    "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IRR",
    "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO",
    "NOK", "NPR", "NZD", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD",
    "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS",
    "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU", "UZS", "VED", "VES", "WST", "XCD",
    "XCG", "YER", "ZAR", "ZMW", "ZWG",
};

// 10^18 is the largest power of ten in an int64: beyond it no amount but zero
// could be represented, so such an exponent is not a currency we can hold.
constexpr int kMaxExponent = 18;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

MoneyParse fail(MoneyError e, std::string message) {
  MoneyParse p;
  p.error = e;
  p.message = std::move(message);
  return p;
}

std::string accepted(int exponent) {
  if (exponent == 0) return "digits only, such as 1250 (this currency has no minor unit)";
  return "digits with an optional '.' and at most " + std::to_string(exponent) + " decimal" +
         (exponent == 1 ? "" : "s") + ", such as 1250." + std::string(static_cast<size_t>(exponent), '0');
}

}  // namespace

int currency_exponent(std::string_view code) {
  for (const auto& c : kNotTwo)
    if (c.code == code) return c.exponent;
  for (auto c : kTwo)
    if (c == code) return 2;
  return -1;
}

MoneyParse parse_money(std::string_view text, int exponent) {
  if (exponent < 0 || exponent > kMaxExponent)
    return fail(MoneyError::unknown_currency, "unknown currency: its minor unit is not known");

  const std::string quoted = "'" + std::string(text) + "'";
  if (!text.empty() && (text.front() == '-' || text.front() == '+'))
    return fail(MoneyError::sign, "amount " + quoted + " has a sign; amounts are written without one: " +
                                      accepted(exponent));

  // Shape first (digits, one optional '.', digits on both sides), so that
  // "1.2.3" or "1e3" is reported as what it is rather than as too precise.
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view frac = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const bool shape_ok = !whole.empty() && std::all_of(whole.begin(), whole.end(), is_digit) &&
                        (dot == std::string_view::npos ||
                         (!frac.empty() && std::all_of(frac.begin(), frac.end(), is_digit)));
  if (!shape_ok) return fail(MoneyError::syntax, "amount " + quoted + " is not a decimal amount: " + accepted(exponent));

  if (frac.size() > static_cast<size_t>(exponent))
    return fail(MoneyError::too_many_decimals,
                "amount " + quoted + " has " + std::to_string(frac.size()) + " decimal" + (frac.size() == 1 ? "" : "s") +
                    ": " + accepted(exponent));

  // minor = whole * 10^exponent + frac * 10^(exponent - frac digits), built
  // one digit at a time so the first step that leaves int64 is caught.
  int64_t minor = 0;
  auto push = [&minor](int digit) {
    return !__builtin_mul_overflow(minor, int64_t{10}, &minor) && !__builtin_add_overflow(minor, int64_t{digit}, &minor);
  };
  bool fits = true;
  for (char c : whole) fits = fits && push(c - '0');
  for (char c : frac) fits = fits && push(c - '0');
  for (size_t i = frac.size(); i < static_cast<size_t>(exponent); ++i) fits = fits && push(0);
  if (!fits)
    return fail(MoneyError::overflow, "amount " + quoted + " is too large: the most a record can hold is " +
                                          format_money(std::numeric_limits<int64_t>::max(), exponent));

  assert(minor >= 0);
  MoneyParse p;
  p.minor = minor;
  return p;
}

std::string format_money(int64_t minor, int exponent) {
  if (exponent < 0 || exponent > kMaxExponent) throw std::invalid_argument("format_money: exponent out of range");
  // Work on the magnitude as unsigned so INT64_MIN has one too.
  const bool negative = minor < 0;
  uint64_t mag = negative ? uint64_t{0} - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);

  std::string digits;  // least significant first
  do {
    digits.push_back(static_cast<char>('0' + mag % 10));
    mag /= 10;
  } while (mag != 0);
  // At least one digit before the point.
  while (digits.size() < static_cast<size_t>(exponent) + 1) digits.push_back('0');

  std::string out;
  if (negative) out.push_back('-');
  for (size_t i = digits.size(); i-- > 0;) {
    out.push_back(digits[i]);
    if (i == static_cast<size_t>(exponent) && exponent > 0) out.push_back('.');
  }
  return out;
}

bool add_money(int64_t a, int64_t b, int64_t& out) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return false;
  out = r;
  return true;
}

bool sub_money(int64_t a, int64_t b, int64_t& out) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return false;
  out = r;
  return true;
}

}  // namespace fundtrail
