// Published spending (interop/spend_rules.h): rules text, and the cells a
// council's file holds, are hostile input. The input, split at its first
// 0xFF byte, is a rules file and a CSV file: the rules are parsed (an Error is
// a refusal, anything else a finding), and each row of the file is read
// through them, with the amount and date readers run on every cell. Amounts
// must come back exactly: a parsed amount printed and parsed again is the
// same number.
#include <cstdint>
#include <string>
#include <string_view>

#include "interop/csv_rows.h"
#include "interop/spend_rules.h"
#include "ledger/error.h"
#include "ledger/money.h"

using namespace fundtrail;
using namespace fundtrail::interop;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t cut = in.find('\xFF');
  std::string_view rules_text = in.substr(0, cut), csv_text = cut == std::string_view::npos ? "" : in.substr(cut + 1);
  SpendRules rules;
  try {
    rules = parse_spend_rules(rules_text, "fuzz.rules");
  } catch (const Error&) {
    return 0;
  }
  std::vector<CsvRow> rows;
  try {
    rows = parse_csv(spend_text_to_utf8(csv_text, rules.encoding), rules.separator);
  } catch (const Error&) {
    return 0;
  }
  for (auto& r : rows) {
    SpendValues v = apply_spend_rules(rules, r.fields);
    for (auto& cell : r.fields) {
      try {
        int64_t a = parse_spend_amount(cell, rules.decimal_mark, 2);
        if (a != INT64_MIN) {
          std::string back = format_money(a < 0 ? -a : a, 2);
          if (rules.decimal_mark == ',') for (char& c : back) c = c == '.' ? ',' : c;
          if (parse_spend_amount(back, rules.decimal_mark, 2) != (a < 0 ? -a : a)) __builtin_trap();
        }
      } catch (const Error&) {
      }
      try {
        parse_spend_date(cell, rules.date_format);
      } catch (const Error&) {
      }
    }
    (void)v;
  }
  return 0;
}
