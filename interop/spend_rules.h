// Rules that map a council's published spending CSV onto fundtrail's fields:
// the subset of hledger's CSV rules in DESIGN.md "Loading published
// spending", plus the readers of the cells' published styles (amounts,
// dates, registry numbers). Every error is Error(ErrorKind::unusable): bad
// rules or bad input, exit 2; rules errors name the line ("rules line 7: ").
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace fundtrail::interop {

// The longest `if` pattern a rules file may hold, in bytes.
inline constexpr size_t kMaxPatternBytes = 128;

enum class SpendEncoding { utf8, windows1252, iso88591 };

// `value` may interpolate %NAME (a column named in `fields`) or %N (1-based
// column), each as the cell's trimmed text; %% is a literal %.
struct SpendAssignment { std::string field; std::string value; };
// `column`: "" matches the whole record, else a name from `fields` or a
// 1-based column number as text. `re`: `pattern`, case-insensitive ECMAScript,
// searched anywhere in the text (a trimmed cell, or the raw cells joined by ',').
struct SpendMatcher { std::string column; std::string pattern; std::regex re; };
// A block applies when any of its patterns matches (alternatives).
struct SpendBlock { std::vector<SpendMatcher> patterns; std::vector<SpendAssignment> assignments; bool skip = false; };

struct SpendRules {
  size_t skip = 0;                          // lines at the top of the file that are not rows
  char separator = ',';                     // ',' ';' or '\t'
  SpendEncoding encoding = SpendEncoding::utf8;
  std::string date_format = "%Y-%m-%d";     // %d %e %m %Y %y %b %B %% and literal characters
  char decimal_mark = '.';                  // '.' or ','
  std::vector<std::string> fields;          // one name per column, "" ignores a column
  std::vector<SpendAssignment> assignments; // top level, in file order
  std::vector<SpendBlock> blocks;           // in file order
};

// Parses rules text (UTF-8, CRLF or LF). `where` (the file's name) and the
// line number start every message. Refuses unknown directives and field
// names, directives given twice, bad regexes, unknown %NAME, if-blocks
// without assignments and indented lines outside a block.
SpendRules parse_spend_rules(std::string_view text, const std::string& where);

// The file's bytes as UTF-8: windows-1252 / iso-8859-1 converted with iconv
// (0xA3 -> "£"); utf8 validated and returned minus a leading BOM. Refuses
// bytes the encoding does not define, naming their line.
std::string spend_text_to_utf8(std::string_view bytes, SpendEncoding enc);

// What a row gives each known field (date, amount, payer, payee_name, ...):
// its column's trimmed cell, then top-level assignments, then each matching
// block's assignments in file order; later ones win. Known fields nothing
// gives are absent. Missing cells read as "". skip: a matching block says skip.
struct SpendValues { std::map<std::string, std::string> values; bool skip = false; };
SpendValues apply_spend_rules(const SpendRules& rules, const std::vector<std::string>& cells);

// Published amount text -> minor units, exactly (no floating point): spaces,
// a currency sign (£ $ € GBP) before or after, thousands separators in their
// places (',' for decimal mark '.'; '.' or ' ' for ','), at most `exponent`
// decimals, and a leading or trailing minus or parentheses for a negative
// (a credit note). Zero is returned as 0; the caller decides about it.
int64_t parse_spend_amount(std::string_view text, char decimal_mark, int exponent);

// Date text by `format` -> YYYYMMDD naming a real day in 1900-2999. %d %e %m
// take 1-2 digits, %Y 4, %y 2 (00-68 -> 20xx, 69-99 -> 19xx); %b and %B take a
// month name, full or 3 letters, any case. A time after a complete date
// (" 00:00:00", "T09:30") is ignored. A format without day, month and year
// or with another % directive is refused.
uint32_t parse_spend_date(std::string_view text, const std::string& format);

// Registry numbers -> org ids. Company: up to 2 letters then digits, at most 8
// characters, zero-padded to 8 ("1234567" -> "GB-COH-01234567", "sc123456" ->
// "GB-COH-SC123456"). Charity (England and Wales): digits, leading zeros
// dropped ("1164883" -> "GB-CHC-1164883"). Anything else, or zero, is refused.
std::string company_org_id(std::string_view number);
std::string charity_org_id(std::string_view number);

// A party id from a name: ASCII letters and digits lower-cased, every other
// run of bytes one '-', no '-' at either end, at most `limit` bytes (cut at
// the last '-' that keeps over half of `limit`, else mid-word); "" when the
// name has no ASCII letter or digit. Deterministic.
std::string party_slug_from_name(std::string_view name, size_t limit = 64);

}  // namespace fundtrail::interop
