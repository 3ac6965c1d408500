#include "ledger/limits.h"

#include <cstdio>

#include "ledger/error.h"

namespace fundtrail {

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = s[i];
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1f) : n == 3 ? (c & 0x0f) : (c & 0x07);
    for (size_t k = 1; k < n; ++k) {
      unsigned char d = s[i + k];
      if ((d >> 6) != 2) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static const uint32_t min_for[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;  // overlong, surrogates
    i += n;
  }
  return true;
}

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

void check_text(capnp::Text::Reader text, size_t limit, const char* field, bool may_be_empty, TextKind kind) {
  std::string_view s(text.cStr(), text.size());
  if (s.empty() && !may_be_empty) refuse("format", field, std::nullopt, std::string(field) + " must not be empty");
  if (s.size() > limit)
    refuse("limits", field, std::nullopt,
           std::string(field) + " is " + std::to_string(s.size()) + " bytes; the limit is " + std::to_string(limit) +
               " bytes of UTF-8");
  if (!valid_utf8(s)) refuse("format", field, std::nullopt, std::string(field) + " is not valid UTF-8");
  for (unsigned char c : s) {
    bool allowed = c >= 0x20 && c != 0x7f;
    if (kind == TextKind::free && (c == '\t' || c == '\n')) allowed = true;
    if (!allowed) {
      char code[8];
      std::snprintf(code, sizeof code, "0x%02X", c);
      refuse("format", field, std::nullopt,
             std::string(field) + " holds the control character " + code +
                 (kind == TextKind::free ? " (only tab and newline are allowed here)" : " (no control characters here)"));
    }
  }
}

void check_slug(const std::string& id, const char* field) {
  if (id.size() > kIdLimit)
    refuse("limits", field, std::nullopt,
           std::string(field) + " is " + std::to_string(id.size()) + " bytes; the limit is " + std::to_string(kIdLimit));
  auto ok_first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  bool ok = !id.empty() && ok_first(id[0]);
  for (char c : id) ok = ok && (ok_first(c) || c == '.' || c == '_' || c == '-');
  if (!ok)
    refuse("format", field, std::nullopt,
           std::string(field) + " '" + id +
               "' must be a slug of at most 64 bytes: lower-case letters and digits, then also '.', '_' or '-'");
}

bool valid_date(uint32_t d) {
  uint32_t y = d / 10000, m = d / 100 % 100, day = d % 100;
  if (y < kFirstYear || y > kLastYear || m < 1 || m > 12 || day < 1) return false;
  static const uint32_t days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return day <= days[m - 1] + (m == 2 && leap ? 1 : 0);
}

void check_date(uint32_t d, const char* field, bool required) {
  if (d == 0 && !required) return;
  if (d == 0) refuse("format", field, std::nullopt, std::string(field) + " is required");
  if (!valid_date(d))
    refuse("format", field, std::nullopt,
           std::string(field) + " " + std::to_string(d) + " is not a calendar day in the years " +
               std::to_string(kFirstYear) + "-" + std::to_string(kLastYear));
}

uint32_t parse_date(std::string_view t) {
  if (t.size() != 10 || t[4] != '-' || t[7] != '-') return 0;
  uint32_t v = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (t[i] < '0' || t[i] > '9') return 0;
    v = v * 10 + static_cast<uint32_t>(t[i] - '0');
  }
  return valid_date(v) ? v : 0;
}

std::string format_date(uint32_t d) {
  if (d == 0) return "";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u-%02u-%02u", d / 10000, d / 100 % 100, d % 100);
  return buf;
}

}  // namespace fundtrail
