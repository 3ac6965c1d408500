#include "interop/giving_grant.h"

#include <algorithm>
#include <cstdio>

#include "ledger/error.h"
#include "ledger/limits.h"
#include "ledger/money.h"

namespace fundtrail::interop {
namespace {

bool digits(const std::string& s, size_t from, size_t n) {
  if (from + n > s.size()) return false;
  return std::all_of(s.begin() + from, s.begin() + from + n, [](char c) { return c >= '0' && c <= '9'; });
}

// "HH:MM", "HH:MM:SS", "HH:MM:SS.fff", then "", "Z" or "+hh:mm"/"-hh:mm".
bool valid_time(const std::string& s, size_t at) {
  if (!digits(s, at, 2) || s.size() <= at + 2 || s[at + 2] != ':' || !digits(s, at + 3, 2)) return false;
  size_t i = at + 5;
  if (i < s.size() && s[i] == ':') {
    if (!digits(s, i + 1, 2)) return false;
    i += 3;
    if (i < s.size() && s[i] == '.') {
      size_t j = i + 1;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') ++j;
      if (j == i + 1) return false;
      i = j;
    }
  }
  if (i == s.size()) return true;
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return true;
  return (s[i] == '+' || s[i] == '-') && digits(s, i + 1, 2) && s.size() == i + 6 && s[i + 3] == ':' && digits(s, i + 4, 2);
}

const char* const kRegrantTypes[] = {"FRG010", "FRG020", "FRG030", "FRG040", "FRG050", "FRG060", "FRG070"};

}  // namespace

uint32_t parse_award_date(const std::string& text) {
  if (text.size() < 10) return 0;
  uint32_t d = parse_date(std::string_view(text).substr(0, 10));
  if (!d) return 0;
  if (text.size() == 10) return d;
  if ((text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !valid_time(text, 11)) return 0;
  return d;
}

GivingGrant check_grant(const GivingRecord& r) {
  // Issue 20 defect 7: a NUL (or another control character) would be signed
  // cut short or changed; published text holds none but tab and line breaks.
  for (const auto& [path, v] : r.fields) {
    if (v.type != GivingValue::Type::text) continue;
    for (char c : v.text) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t' && c != '\n' && c != '\r') || u == 0x7f) {
        char code[8];
        std::snprintf(code, sizeof code, "0x%02X", unsigned(u));
        giving_error(r, "'" + path + "' holds the control character " + code +
                            " (only tab and line breaks are allowed in published text)");
      }
    }
  }
  auto need = [&](const char* path, const char* title) -> const std::string& {
    if (r.text(path).empty())
      giving_error(r, std::string("the required field '") + path + "' (column '" + title + "') is missing");
    const GivingValue& v = r.fields.at(path);
    if (v.type != GivingValue::Type::text && std::string(path) != "amountAwarded")
      giving_error(r, std::string("'") + path + "' must be text, not " + v.text);
    if (!valid_utf8(v.text)) giving_error(r, std::string("'") + path + "' is not valid UTF-8");
    return v.text;
  };
  GivingGrant g;
  g.where = r.where;
  g.id = need("id", "Identifier");
  if (g.id.size() + 10 > kIdempotencyLimit)  // "360giving:" + id is the record's idempotency key
    giving_error(r, "the Identifier is " + std::to_string(g.id.size()) + " bytes; at most " +
                        std::to_string(kIdempotencyLimit - 10) + " fit the ledger");
  g.title = need("title", "Title");
  g.description = need("description", "Description");
  g.currency = need("currency", "Currency");
  int exponent = currency_exponent(g.currency);
  if (exponent < 0) giving_error(r, "unknown currency code '" + g.currency + "' (ISO 4217, e.g. GBP)");

  const std::string& amount = need("amountAwarded", "Amount Awarded");
  if (r.fields.at("amountAwarded").type == GivingValue::Type::other)
    giving_error(r, "amountAwarded must be a number, not " + amount);
  if (amount.find_first_of("eE") != std::string::npos)
    giving_error(r, "amount '" + amount + "' has an exponent; write it as plain decimal digits, e.g. 1000.00");
  MoneyParse m = parse_money(amount, exponent);
  if (!m.ok()) giving_error(r, m.message);
  if (m.minor == 0) giving_error(r, "amount '" + amount + "' is zero; a grant awards more than nothing");
  g.amount = m.minor;

  const std::string& date = need("awardDate", "Award Date");
  g.award_date = parse_award_date(date);
  if (!g.award_date)
    giving_error(r, "award date '" + date + "' is not YYYY-MM-DD (or a date-time such as 2014-03-17T00:00:00Z)");

  g.funder_id = need("fundingOrganization/0/id", "Funding Org:Identifier");
  g.funder_name = need("fundingOrganization/0/name", "Funding Org:Name");
  bool org = !r.text("recipientOrganization/0/id").empty() || !r.text("recipientOrganization/0/name").empty();
  bool ind = !r.text("recipientIndividual/id").empty() || !r.text("recipientIndividual/name").empty();
  if (org && ind) giving_error(r, "the grant names both a recipient organisation and a recipient individual");
  if (!org && !ind)
    giving_error(r, "the required recipient is missing: give 'Recipient Org:Identifier' and 'Recipient Org:Name' "
                    "(or 'Recipient Ind:Identifier' and 'Recipient Ind:Name')");
  g.individual = ind;
  g.recipient_id = org ? need("recipientOrganization/0/id", "Recipient Org:Identifier")
                       : need("recipientIndividual/id", "Recipient Ind:Identifier");
  g.recipient_name = org ? need("recipientOrganization/0/name", "Recipient Org:Name")
                         : need("recipientIndividual/name", "Recipient Ind:Name");
  for (const std::string* id : {&g.funder_id, &g.recipient_id})
    if (id->size() > kOrgIdLimit)
      giving_error(r, "organisation identifier '" + *id + "' is over " + std::to_string(kOrgIdLimit) +
                          " bytes, the longest org id a ledger holds");
  if (ascii_lower(g.funder_id) == ascii_lower(g.recipient_id))
    giving_error(r, "the funder and the recipient are the same organisation (" + g.funder_id + ")");

  if (r.has("regrantType")) {
    g.regrant_type = need("regrantType", "For Regrant Type");
    if (std::find(std::begin(kRegrantTypes), std::end(kRegrantTypes), g.regrant_type) == std::end(kRegrantTypes))
      giving_error(r, "regrant type '" + g.regrant_type + "' is not on the 360Giving codelist (FRG010 to FRG070)");
  }
  return g;
}

std::vector<GivingGrant> check_grants(const GivingFile& file, std::vector<std::pair<std::string, std::string>>* bad) {
  std::vector<GivingGrant> out;
  for (const GivingRecord& r : merge_by_id(file.records)) {
    try {
      out.push_back(check_grant(r));
    } catch (const Error& e) {
      if (!bad) throw;
      bad->push_back({r.where, e.what()});
    }
  }
  return out;
}

}  // namespace fundtrail::interop
