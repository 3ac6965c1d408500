#include "money.h"

#include <array>

namespace fv {

int currencyExponent(std::string_view code) {
  static constexpr std::array<std::string_view, 17> zero = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY",
                                                           "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
                                                           "VND", "VUV", "XAF", "XOF", "XPF"};
  static constexpr std::array<std::string_view, 7> three = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (auto c : zero)
    if (c == code) return 0;
  for (auto c : three)
    if (c == code) return 3;
  if (code == "CLF" || code == "UYW") return 4;
  return 2;
}

bool looksLikeCurrencyCode(std::string_view code) {
  if (code.size() != 3) return false;
  for (char c : code)
    if (c < 'A' || c > 'Z') return false;
  return true;
}

std::string formatMinor(int64_t minor, int exponent) {
  // Work on the magnitude as unsigned so that INT64_MIN prints too.
  uint64_t mag = minor < 0 ? 0 - uint64_t(minor) : uint64_t(minor);
  std::string digits = std::to_string(mag);
  if (exponent > 0) {
    size_t e = size_t(exponent);
    if (digits.size() <= e) digits = std::string(e + 1 - digits.size(), '0') + digits;
    digits = digits.substr(0, digits.size() - e) + "." + digits.substr(digits.size() - e);
  }
  return minor < 0 ? "-" + digits : digits;
}

}  // namespace fv
