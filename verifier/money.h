// Money as the verifier shows it: int64 minor units, printed as decimal text
// with the currency's ISO 4217 minor-unit exponent. No floating point.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fv {

// ISO 4217 minor-unit exponent (GBP 2, JPY 0, BHD 3, CLF 4); 2 for codes not listed.
int currencyExponent(std::string_view code);
bool looksLikeCurrencyCode(std::string_view code);  // three upper-case ASCII letters

// 125050 with exponent 2 -> "1250.50"; -1 -> "-0.01".
std::string formatMinor(int64_t minor, int exponent);

// a + b, or nothing on int64 overflow.
inline std::optional<int64_t> checkedAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace fv
