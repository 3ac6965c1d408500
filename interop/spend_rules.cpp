#include "interop/spend_rules.h"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <optional>

#include "ledger/error.h"
#include "ledger/limits.h"
#include "ledger/money.h"

namespace fundtrail::interop {
namespace {

// DESIGN.md's field names; any other name in `fields` only names a column.
constexpr std::array<std::string_view, 12> kKnownFields = {
    "date",         "amount",         "payer",     "payee_name", "payee_kind", "payee_org_id", "payee_company_number",
    "payee_charity_number", "reference", "memo", "mechanism", "currency"};
constexpr std::string_view kKnownFieldList =
    "date, amount, payer, payee_name, payee_kind, payee_org_id, payee_company_number, payee_charity_number, "
    "reference, memo, mechanism, currency";

bool is_known_field(std::string_view name) {
  return std::find(kKnownFields.begin(), kKnownFields.end(), name) != kKnownFields.end();
}
bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_alpha(c) || is_digit(c) || c == '_'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// The offset of the first byte that does not start or continue a valid UTF-8
// sequence, or npos; messages name its line instead of just "invalid".
size_t first_invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    while (n <= 4 && i + n <= s.size() && !valid_utf8(s.substr(i, n))) ++n;
    if (n > 4 || i + n > s.size()) return i;
    i += n;
  }
  return std::string_view::npos;
}

size_t line_of(std::string_view s, size_t offset) {
  return 1 + static_cast<size_t>(std::count(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
}

std::string hex_byte(unsigned char c) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", c);
  return buf;
}

// Why parse_spend_date cannot use `format`, or "" when it can: checked when
// the rules are read, so a bad format names its line rather than every row.
std::string date_format_problem(const std::string& format) {
  bool day = false, month = false, year = false;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    char d = ++i < format.size() ? format[i] : '\0';
    if (d == 'd' || d == 'e') day = true;
    else if (d == 'm' || d == 'b' || d == 'B') month = true;
    else if (d == 'Y' || d == 'y') year = true;
    else if (d != '%')
      return "date-format '" + format + "' holds %" + std::string(d ? 1 : 0, d) +
             ", which is not accepted; accepted: %d %e %m %Y %y %b %B %% and other characters as they are";
  }
  if (!day || !month || !year)
    return "date-format '" + format + "' needs a day (%d or %e), a month (%m, %b or %B) and a year (%Y or %y)";
  return "";
}

// ---- rules ----------------------------------------------------------------

// The column a matcher or %reference names: a 1-based number or a name from `fields`.
std::optional<size_t> column_index(const SpendRules& rules, const std::string& column) {
  if (all_digits(column)) {
    if (column.size() > 6) return std::nullopt;
    size_t n = std::stoul(column);
    if (n == 0) return std::nullopt;
    return n - 1;
  }
  auto it = std::find(rules.fields.begin(), rules.fields.end(), column);
  if (it == rules.fields.end()) return std::nullopt;
  return static_cast<size_t>(it - rules.fields.begin());
}

std::string cell_text(const std::vector<std::string>& cells, std::optional<size_t> index) {
  return index && *index < cells.size() ? std::string(trim(cells[*index])) : std::string();
}

class RulesParser {
 public:
  explicit RulesParser(const std::string& where) : where_(where) {}

  SpendRules parse(std::string_view text) {
    if (size_t bad = first_invalid_utf8(text); bad != std::string_view::npos)
      fail(line_of(text, bad), "the rules are not UTF-8 text (byte " + hex_byte(static_cast<unsigned char>(text[bad])) + ")");
    if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
    size_t n = 0;
    while (!text.empty()) {
      size_t eol = text.find('\n');
      std::string_view raw = text.substr(0, eol);
      text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
      line(++n, raw);
    }
    close_block();
    check_references();
    return std::move(rules_);
  }

 private:
  enum class State { none, matching, assigning };
  struct Reference { size_t line; std::string column; };

  [[noreturn]] void fail(size_t n, const std::string& why) const {
    throw Error(ErrorKind::unusable, (where_.empty() ? "" : where_ + ": ") + "rules line " + std::to_string(n) + ": " + why);
  }

  void line(size_t n, std::string_view raw) {
    std::string_view t = trim(raw);
    if (t.empty()) return close_block();  // hledger: a blank line ends a block
    if (t.front() == '#' || t.front() == ';') return;
    if (is_space(raw.front())) return block_line(n, t);
    if (state_ == State::matching) {
      if (t == "if" || t.substr(0, 3) == "if " || t.substr(0, 3) == "if\t") unassigned();
      return add_matcher(n, t);
    }
    close_block();
    size_t sp = std::min(t.find_first_of(" \t"), t.size());
    std::string word(t.substr(0, sp));
    std::string_view rest = trim(t.substr(sp));
    if (word == "if") {
      rules_.blocks.emplace_back();
      state_ = State::matching;
      block_line_ = n;
      if (!rest.empty()) add_matcher(n, rest);
      return;
    }
    if (is_known_field(word)) return rules_.assignments.push_back(assignment(n, word, rest));
    if (word != "skip" && word != "separator" && word != "encoding" && word != "date-format" && word != "decimal-mark" &&
        word != "fields")
      fail(n, "unknown directive '" + word +
                  "'; accepted: skip N, separator ,|;|TAB, encoding utf-8|windows-1252|iso-8859-1, date-format FORMAT, "
                  "decimal-mark .|,, fields NAME, ..., if PATTERN, if %NAME PATTERN, comments (# or ;) and FIELD VALUE "
                  "with FIELD one of " + std::string(kKnownFieldList));
    if (auto [it, fresh] = seen_.emplace(word, n); !fresh)
      fail(n, "'" + word + "' is given again (first at line " + std::to_string(it->second) + ")");
    directive(n, word, rest);
  }

  void directive(size_t n, const std::string& word, std::string_view rest) {
    if (word == "skip") {
      // hledger: a bare "skip" skips one line.
      if (rest.empty()) rest = "1";
      if (!all_digits(rest) || rest.size() > 9) fail(n, "skip takes a number of lines, e.g. skip 1");
      rules_.skip = std::stoul(std::string(rest));
    } else if (word == "separator") {
      if (rest == ",") rules_.separator = ',';
      else if (rest == ";") rules_.separator = ';';
      else if (iequals(rest, "TAB")) rules_.separator = '\t';
      else fail(n, "separator '" + std::string(rest) + "' is not accepted; accepted: , ; or TAB");
    } else if (word == "encoding") {
      if (iequals(rest, "utf-8")) rules_.encoding = SpendEncoding::utf8;
      else if (iequals(rest, "windows-1252")) rules_.encoding = SpendEncoding::windows1252;
      else if (iequals(rest, "iso-8859-1")) rules_.encoding = SpendEncoding::iso88591;
      else fail(n, "encoding '" + std::string(rest) + "' is not accepted; accepted: utf-8, windows-1252 or iso-8859-1");
    } else if (word == "date-format") {
      if (std::string why = date_format_problem(std::string(rest)); !why.empty()) fail(n, why);
      rules_.date_format = std::string(rest);
    } else if (word == "decimal-mark") {
      if (rest != "." && rest != ",") fail(n, "decimal-mark '" + std::string(rest) + "' is not accepted; accepted: . or ,");
      rules_.decimal_mark = rest.front();
    } else {  // fields
      if (rest.empty()) fail(n, "fields needs a name per column, e.g. fields date, _, payee_name, amount");
      std::string_view list = rest;
      while (true) {
        size_t comma = list.find(',');
        std::string name;
        for (char c : trim(list.substr(0, comma))) name += lower(c);
        bool ok = std::all_of(name.begin(), name.end(), is_name_char) && (name.empty() || !is_digit(name.front()));
        if (!ok)
          fail(n, "field name '" + name + "' is not accepted; names are letters, digits and '_', not starting with a digit");
        if (is_known_field(name) && std::count(rules_.fields.begin(), rules_.fields.end(), name))
          fail(n, "field '" + name + "' is named for two columns");
        rules_.fields.push_back(name);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
      }
    }
  }

  void block_line(size_t n, std::string_view t) {
    if (state_ == State::none)
      fail(n, "an indented line must follow an if line or another indented line (a blank line ends a block)");
    SpendBlock& b = rules_.blocks.back();
    if (b.patterns.empty()) fail(block_line_, "if needs a pattern: if PATTERN, or if %NAME PATTERN");
    state_ = State::assigning;
    if (t == "skip") {
      b.skip = true;
      return;
    }
    size_t sp = std::min(t.find_first_of(" \t"), t.size());
    std::string word(t.substr(0, sp));
    if (!is_known_field(word))
      fail(n, "'" + word + "' is not an assignment in an if block; accepted: skip alone, or FIELD VALUE with FIELD one of " +
                  std::string(kKnownFieldList));
    b.assignments.push_back(assignment(n, word, trim(t.substr(sp))));
  }

  SpendAssignment assignment(size_t n, const std::string& field, std::string_view value) {
    // Check %references now, so that a typo is a rules error, not a per-row surprise.
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] != '%') continue;
      size_t j = i + 1;
      if (j < value.size() && value[j] == '%') {
        i = j;
        continue;
      }
      bool number = j < value.size() && is_digit(value[j]);
      while (j < value.size() && (number ? is_digit(value[j]) : is_name_char(value[j]))) ++j;
      if (j == i + 1) fail(n, "a '%' starts %NAME (a column in fields), %N (a column number) or %% (a literal %)");
      std::string column;
      for (char c : value.substr(i + 1, j - i - 1)) column += lower(c);
      references_.push_back({n, column});
      i = j - 1;
    }
    return {field, std::string(value)};
  }

  void add_matcher(size_t n, std::string_view t) {
    SpendMatcher m;
    if (t.front() == '&' || t.front() == '!')
      fail(n, "'" + std::string(1, t.front()) + "' before a pattern is not supported; consecutive patterns are alternatives");
    if (t.front() == '%') {
      size_t sp = std::min(t.find_first_of(" \t"), t.size());
      for (char c : t.substr(1, sp - 1)) m.column += lower(c);
      t = trim(t.substr(sp));
      if (m.column.empty() || !std::all_of(m.column.begin(), m.column.end(), is_name_char) || t.empty())
        fail(n, "a cell matcher is %NAME PATTERN (NAME from fields, or a column number)");
      references_.push_back({n, m.column});
    }
    m.pattern = std::string(t);
    // libstdc++ compiles a regular expression recursively, a level per
    // character: a long pattern would overflow the stack (fuzz_spend_rules
    // found one of 375 bytes). Patterns that pick rows are short.
    if (m.pattern.size() > kMaxPatternBytes)
      fail(n, "pattern is " + std::to_string(m.pattern.size()) + " bytes; a pattern is at most " +
                  std::to_string(kMaxPatternBytes) + " (write several pattern lines, which are alternatives)");
    try {
      m.re = std::regex(m.pattern, std::regex::icase | std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      fail(n, "pattern '" + m.pattern + "' is not a regular expression (" + e.what() + ")");
    }
    rules_.blocks.back().patterns.push_back(std::move(m));
  }

  // Named at the if line: the line that ended the block (a blank line, another if, the end) is not the mistake.
  [[noreturn]] void unassigned() const {
    fail(block_line_, "this if block has no assignments; indent them under its patterns (FIELD VALUE or skip); a "
                      "blank line or another if ends a block");
  }

  void close_block() {
    if (state_ == State::matching) unassigned();
    state_ = State::none;
  }

  // After the whole file, so that `fields` may come after the lines that use it.
  void check_references() const {
    for (const auto& ref : references_) {
      auto index = column_index(rules_, ref.column);
      if (!index || (!rules_.fields.empty() && *index >= rules_.fields.size()))
        fail(ref.line, "%" + ref.column + " names no column; accepted: a name from fields (" + fields_list() +
                           ") or a column number" +
                           (rules_.fields.empty() ? "" : " 1-" + std::to_string(rules_.fields.size())));
      if (!all_digits(ref.column) && std::count(rules_.fields.begin(), rules_.fields.end(), ref.column) > 1)
        fail(ref.line, "%" + ref.column + " names two columns in fields; give them different names");
    }
  }

  std::string fields_list() const {
    std::string out;
    for (const auto& f : rules_.fields)
      if (!f.empty()) out += (out.empty() ? "" : ", ") + f;
    return out.empty() ? "none" : out;
  }

  std::string where_;
  SpendRules rules_;
  std::map<std::string, size_t> seen_;  // directive -> the line that gave it
  std::vector<Reference> references_;
  State state_ = State::none;
  size_t block_line_ = 0;
};

std::string interpolate(const std::string& value, const SpendRules& rules, const std::vector<std::string>& cells) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '%') {
      out += value[i];
      continue;
    }
    size_t j = i + 1;
    if (j < value.size() && value[j] == '%') {
      out += '%';
      i = j;
      continue;
    }
    bool number = j < value.size() && is_digit(value[j]);
    while (j < value.size() && (number ? is_digit(value[j]) : is_name_char(value[j]))) ++j;
    std::string column;
    for (char c : value.substr(i + 1, j - i - 1)) column += lower(c);
    out += cell_text(cells, column_index(rules, column));
    i = j - 1;
  }
  return out;
}

// ---- amounts --------------------------------------------------------------

[[noreturn]] void bad_amount(std::string_view text, const std::string& why, char mark) {
  std::string example = mark == '.' ? "£1,234.56, -12.00 or (1,234.56)" : "1.234,56 €, -12,00 or (1 234,56)";
  std::string groups = mark == '.' ? "','" : "'.' or ' '";
  throw Error(ErrorKind::unusable, "amount '" + std::string(text) + "' " + why + "; accepted: digits with '" +
                                       std::string(1, mark) + "' as the decimal mark, " + groups +
                                       " between thousands, a currency sign (£ $ € or GBP) and a minus or "
                                       "parentheses for a credit note, e.g. " + example);
}

bool strip_prefix(std::string_view& s, std::string_view p) {
  if (s.size() < p.size() || !iequals(s.substr(0, p.size()), p)) return false;
  s.remove_prefix(p.size());
  return true;
}
bool strip_suffix(std::string_view& s, std::string_view p) {
  if (s.size() < p.size() || !iequals(s.substr(s.size() - p.size()), p)) return false;
  s.remove_suffix(p.size());
  return true;
}
bool strip_currency(std::string_view& s, bool suffix) {
  for (std::string_view sign : {"\xC2\xA3", "$", "\xE2\x82\xAC", "GBP"})
    if (suffix ? strip_suffix(s, sign) : strip_prefix(s, sign)) return true;
  return false;
}

// Digits with thousands separators only where they belong ("1,234,567"), so
// that "1,5" written with the other decimal mark is refused, never read as 15.
bool grouped_digits(std::string_view s, std::string_view separators, std::string& digits) {
  size_t first = s.find_first_of(separators);
  if (first == std::string_view::npos) {
    digits = std::string(s);
    return std::all_of(s.begin(), s.end(), is_digit);
  }
  char sep = s[first];
  if (first == 0 || first > 3 || (s.size() - first) % 4 != 0) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool at_sep = i >= first && (i - first) % 4 == 0;
    if (at_sep ? s[i] != sep : !is_digit(s[i])) return false;
    if (!at_sep) digits += s[i];
  }
  return true;
}

// ---- dates ----------------------------------------------------------------

constexpr std::array<std::string_view, 12> kMonths = {"january", "february", "march",     "april",   "may",      "june",
                                                      "july",    "august",   "september", "october", "november", "december"};

size_t read_number(std::string_view s, size_t& i, size_t min_digits, size_t max_digits, bool& ok) {
  size_t v = 0, k = 0;
  while (k < max_digits && i < s.size() && is_digit(s[i])) v = v * 10 + static_cast<size_t>(s[i++] - '0'), ++k;
  ok = ok && k >= min_digits;
  return v;
}

// A month name, full or its first three letters ("Sept" too), any case.
size_t read_month_name(std::string_view s, size_t& i, bool& ok) {
  std::string word;
  while (i < s.size() && is_alpha(s[i])) word += lower(s[i++]);
  for (size_t m = 0; m < kMonths.size(); ++m)
    if (word == kMonths[m] || word == kMonths[m].substr(0, 3) || (m == 8 && word == "sept")) return m + 1;
  ok = false;
  return 0;
}

// 2024-04-05 written in the format, so a refusal shows what is expected.
std::string example_date(const std::string& format) {
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 == format.size()) {
      out += format[i];
      continue;
    }
    switch (format[++i]) {
      case 'd': out += "05"; break;
      case 'e': out += "5"; break;
      case 'm': out += "04"; break;
      case 'Y': out += "2024"; break;
      case 'y': out += "24"; break;
      case 'b': out += "Apr"; break;
      case 'B': out += "April"; break;
      default: out += format[i];
    }
  }
  return out;
}

}  // namespace

SpendRules parse_spend_rules(std::string_view text, const std::string& where) { return RulesParser(where).parse(text); }

std::string spend_text_to_utf8(std::string_view bytes, SpendEncoding enc) {
  if (enc == SpendEncoding::utf8) {
    if (size_t bad = first_invalid_utf8(bytes); bad != std::string_view::npos)
      throw Error(ErrorKind::unusable, "line " + std::to_string(line_of(bytes, bad)) + ": byte " +
                                           hex_byte(static_cast<unsigned char>(bytes[bad])) +
                                           " is not UTF-8; if the file was saved as windows-1252 (Excel's 'CSV'), "
                                           "say encoding windows-1252 in the rules");
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") bytes.remove_prefix(3);
    return std::string(bytes);
  }
  const char* name = enc == SpendEncoding::windows1252 ? "WINDOWS-1252" : "ISO-8859-1";
  const char* label = enc == SpendEncoding::windows1252 ? "windows-1252" : "iso-8859-1";
  // A UTF-8 byte order mark says the rules' encoding is wrong; converting it would garble the first cell.
  if (bytes.substr(0, 3) == "\xEF\xBB\xBF")
    throw Error(ErrorKind::unusable, std::string("line 1: the file starts with a UTF-8 byte order mark but the rules say "
                                                 "encoding ") + label + "; say encoding utf-8");
  iconv_t cd = iconv_open("UTF-8", name);
  if (cd == reinterpret_cast<iconv_t>(-1))
    throw Error(ErrorKind::unusable, std::string("this system's iconv cannot convert from ") + label);
  std::string in(bytes), out(bytes.size() * 3 + 4, '\0');  // each byte becomes at most 3 UTF-8 bytes
  char* src = in.data();
  char* dst = out.data();
  size_t src_left = in.size(), dst_left = out.size();
  size_t r = iconv(cd, &src, &src_left, &dst, &dst_left);
  int err = errno;
  iconv_close(cd);
  if (r == static_cast<size_t>(-1)) {
    size_t at = static_cast<size_t>(src - in.data());
    throw Error(ErrorKind::unusable, "line " + std::to_string(line_of(bytes, at)) + ": byte " +
                                         hex_byte(static_cast<unsigned char>(in[at])) + " is not " + label + " text" +
                                         (err == EILSEQ ? "" : " (" + std::to_string(err) + ")"));
  }
  out.resize(out.size() - dst_left);
  return out;
}

SpendValues apply_spend_rules(const SpendRules& rules, const std::vector<std::string>& cells) {
  SpendValues out;
  for (size_t i = 0; i < rules.fields.size(); ++i)
    if (is_known_field(rules.fields[i])) out.values[rules.fields[i]] = cell_text(cells, i);
  for (const auto& a : rules.assignments) out.values[a.field] = interpolate(a.value, rules, cells);
  std::string record;
  for (size_t i = 0; i < cells.size(); ++i) record += (i ? "," : "") + cells[i];
  for (const auto& block : rules.blocks) {
    bool match = std::any_of(block.patterns.begin(), block.patterns.end(), [&](const SpendMatcher& m) {
      return std::regex_search(m.column.empty() ? record : cell_text(cells, column_index(rules, m.column)), m.re);
    });
    if (!match) continue;
    out.skip = out.skip || block.skip;
    for (const auto& a : block.assignments) out.values[a.field] = interpolate(a.value, rules, cells);
  }
  return out;
}

int64_t parse_spend_amount(std::string_view text, char mark, int exponent) {
  // Spreadsheets write no-break spaces (U+00A0, U+202F) between thousands and around signs.
  std::string norm;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text.substr(i, 2) == "\xC2\xA0") norm += ' ', ++i;
    else if (text.substr(i, 3) == "\xE2\x80\xAF") norm += ' ', i += 2;
    else norm += text[i];
  }
  std::string_view s = trim(norm);
  if (s.empty()) bad_amount(text, "is empty", mark);
  // Signs, parentheses and a currency sign may come in either order around the number.
  int negatives = 0;
  bool currency = false, open = false;
  for (bool more = true; more;) {
    s = trim(s);
    more = false;
    if (!currency && strip_currency(s, false)) currency = more = true;
    else if (!s.empty() && s.front() == '-') s.remove_prefix(1), ++negatives, more = true;
    else if (!open && !s.empty() && s.front() == '(') s.remove_prefix(1), open = more = true, ++negatives;
  }
  bool closed = false;
  for (bool more = true; more;) {
    s = trim(s);
    more = false;
    if (!currency && strip_currency(s, true)) currency = more = true;
    else if (!s.empty() && s.back() == '-') s.remove_suffix(1), ++negatives, more = true;
    else if (open && !closed && !s.empty() && s.back() == ')') s.remove_suffix(1), closed = more = true;
  }
  if (open != closed) bad_amount(text, "has an unmatched parenthesis", mark);
  if (negatives > 1) bad_amount(text, "has more than one minus or parentheses", mark);

  size_t dot = s.find(mark);
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : s.substr(dot + 1);
  std::string digits;
  if (!grouped_digits(whole, mark == '.' ? "," : ". ", digits) || !std::all_of(frac.begin(), frac.end(), is_digit) ||
      (dot != std::string_view::npos && frac.empty()) || (whole.empty() && frac.empty()))
    bad_amount(text, "is not an amount", mark);
  if (digits.empty()) digits = "0";  // ".50"
  if (frac.size() > static_cast<size_t>(exponent))
    bad_amount(text, "has " + std::to_string(frac.size()) + " decimals but the currency has " + std::to_string(exponent),
               mark);
  MoneyParse p = parse_money(frac.empty() ? digits : digits + "." + std::string(frac), exponent);
  if (!p.ok()) bad_amount(text, p.error == MoneyError::overflow ? "is too large" : "is not an amount", mark);
  return negatives ? -p.minor : p.minor;
}

uint32_t parse_spend_date(std::string_view text, const std::string& format) {
  if (std::string why = date_format_problem(format); !why.empty()) throw Error(ErrorKind::unusable, why);
  std::string_view s = trim(text);
  size_t i = 0, day = 0, month = 0, year = 0;
  bool ok = true;
  for (size_t f = 0; f < format.size() && ok; ++f) {
    if (format[f] != '%') {
      ok = i < s.size() && s[i++] == format[f];
      continue;
    }
    switch (format[++f]) {
      case 'e':
        while (i < s.size() && s[i] == ' ') ++i;
        day = read_number(s, i, 1, 2, ok);
        break;
      case 'd': day = read_number(s, i, 1, 2, ok); break;
      case 'm': month = read_number(s, i, 1, 2, ok); break;
      case 'Y': year = read_number(s, i, 4, 4, ok); break;
      case 'y':
        year = read_number(s, i, 2, 2, ok);
        year += year <= 68 ? 2000 : 1900;
        break;
      case 'b':
      case 'B': month = read_month_name(s, i, ok); break;
      default: ok = i < s.size() && s[i++] == '%';  // %%, the only other directive date_format_problem lets through
    }
  }
  // Exports from finance systems often write a midnight time after the date.
  static const std::regex time(R"(^(\s+|T)\d{1,2}:\d{2}(:\d{2}(\.\d{1,9})?)?(\s*[ap]m)?Z?$)", std::regex::icase);
  ok = ok && (i == s.size() || std::regex_search(std::string(s.substr(i)), time));
  std::string shown = "date '" + std::string(text) + "'";
  if (!ok)
    throw Error(ErrorKind::unusable,
                shown + " does not match the date format '" + format + "' (e.g. " + example_date(format) + ")");
  uint32_t v = static_cast<uint32_t>(year * 10000 + month * 100 + day);
  if (!valid_date(v))
    throw Error(ErrorKind::unusable, shown + " is not a calendar day in the years " + std::to_string(kFirstYear) + "-" +
                                         std::to_string(kLastYear));
  return v;
}

std::string company_org_id(std::string_view number) {
  std::string_view s = trim(number);
  size_t letters = 0;
  while (letters < s.size() && letters < 2 && is_alpha(s[letters])) ++letters;
  std::string_view digits = s.substr(letters);
  if (s.size() > 8 || !all_digits(digits) || digits.find_first_not_of('0') == std::string_view::npos)
    throw Error(ErrorKind::unusable, "company number '" + std::string(number) +
                                         "' is not a Companies House number; accepted: up to 8 characters, digits "
                                         "after at most 2 letters, e.g. 01234567, 1234567 or SC123456");
  std::string out = "GB-COH-";
  for (char c : s.substr(0, letters)) out += upper(c);
  return out + std::string(8 - s.size(), '0') + std::string(digits);
}

std::string charity_org_id(std::string_view number) {
  std::string_view s = trim(number);
  size_t nonzero = s.find_first_not_of('0');
  std::string_view significant = nonzero == std::string_view::npos ? std::string_view{} : s.substr(nonzero);
  if (!all_digits(s) || significant.empty() || significant.size() > 8)
    throw Error(ErrorKind::unusable, "charity number '" + std::string(number) +
                                         "' is not a Charity Commission (England and Wales) number; accepted: its "
                                         "digits, e.g. 1164883");
  return "GB-CHC-" + std::string(significant);
}

std::string party_slug_from_name(std::string_view name, size_t limit) {
  std::string slug;
  for (char c : name) {
    if (is_alpha(c) || is_digit(c)) slug += lower(c);
    else if (!slug.empty() && slug.back() != '-') slug += '-';
  }
  if (slug.size() > limit) {
    // Cut between words when the cut would split one, unless that loses more
    // than half of what fits (one long word: keep its start instead).
    size_t dash = slug.rfind('-', limit);
    slug.resize(dash != std::string::npos && dash > limit / 2 ? dash : limit);
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace fundtrail::interop
