// Money parsing (ledger/money.h): decimal text -> int64 minor units, never a
// double. The first byte picks the exponent (0-3); the rest is the text.
// Whatever parses formats back to the same number, and only digits and one
// '.' ever parse.
#include <cstdint>
#include <string>
#include <string_view>

#include "ledger/money.h"

using namespace fundtrail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  int exponent = data[0] % 4;
  std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  MoneyParse p = parse_money(text, exponent);
  if (!p.ok()) {
    if (p.message.empty()) __builtin_trap();  // every refusal says why
    return 0;
  }
  if (p.minor < 0) __builtin_trap();
  int dots = 0;
  for (char c : text) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') __builtin_trap();
  }
  if (dots > 1) __builtin_trap();
  std::string formatted = format_money(p.minor, exponent);
  MoneyParse back = parse_money(formatted, exponent);
  if (!back.ok() || back.minor != p.minor) __builtin_trap();
  int64_t sum;
  if (add_money(p.minor, p.minor, sum) && sum - p.minor != p.minor) __builtin_trap();
  (void)currency_exponent(text);
  return 0;
}
