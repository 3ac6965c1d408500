// The spending rules subset (DESIGN.md "Loading published spending") and the
// readers of published amounts, dates, registry numbers and encodings.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "interop/spend_rules.h"
#include "ledger/error.h"

using namespace fundtrail::interop;
using fundtrail::Error;
using fundtrail::ErrorKind;

namespace {

// The message of the Error(unusable) that `f` throws, or "" when it throws none.
template <class F>
std::string refusal(F f) {
  try {
    f();
  } catch (const Error& e) {
    CHECK(e.kind == ErrorKind::unusable);
    return e.what();
  }
  return "";
}

std::string rules_refusal(const std::string& text) {
  return refusal([&] { parse_spend_rules(text, "council.rules"); });
}

}  // namespace

TEST_CASE("spend rules: every directive") {
  SpendRules r = parse_spend_rules(
      "# Riverside Council, payments over 500\n"
      "  ; an indented comment\n"
      "\n"
      "skip 2\r\n"
      "separator ;\n"
      "encoding windows-1252\n"
      "date-format %d/%m/%Y\n"
      "decimal-mark ,\n"
      "fields Date, , Supplier_Name, amount, expense_type\n"
      "payer riverside-council\n"
      "currency GBP\n",
      "council.rules");
  CHECK(r.skip == 2);
  CHECK(r.separator == ';');
  CHECK(r.encoding == SpendEncoding::windows1252);
  CHECK(r.date_format == "%d/%m/%Y");
  CHECK(r.decimal_mark == ',');
  CHECK(r.fields == std::vector<std::string>{"date", "", "supplier_name", "amount", "expense_type"});
  REQUIRE(r.assignments.size() == 2);
  CHECK(r.assignments[0].field == "payer");
  CHECK(r.assignments[0].value == "riverside-council");
  CHECK(r.blocks.empty());

  SpendRules d = parse_spend_rules("fields date\n", "x");
  CHECK(d.skip == 0);
  CHECK(d.separator == ',');
  CHECK(d.encoding == SpendEncoding::utf8);
  CHECK(d.date_format == "%Y-%m-%d");
  CHECK(d.decimal_mark == '.');
  CHECK(parse_spend_rules("separator TAB\n", "x").separator == '\t');
  CHECK(parse_spend_rules("encoding ISO-8859-1\n", "x").encoding == SpendEncoding::iso88591);
  CHECK(parse_spend_rules("skip\n", "x").skip == 1);  // hledger: a bare skip is one line
}

TEST_CASE("spend rules: fields by column, top-level assignments, blocks, and later assignments win") {
  SpendRules r = parse_spend_rules(
      "fields date, payee_name, amount, expense_type, ref\n"
      "payer riverside-council\n"
      "reference INV-%ref\n"
      "memo %expense_type for %2 (100%%)\n"
      "if %expense_type ^grant$\n"
      "  mechanism grant\n"
      "  memo grant\n"
      "if %payee_name royal mail\n"
      "  mechanism other\n"
      "  payee_company_number 4138203\n",
      "council.rules");
  REQUIRE(r.blocks.size() == 2);
  CHECK(r.blocks[0].patterns.size() == 1);
  CHECK(r.blocks[0].patterns[0].column == "expense_type");
  CHECK(r.blocks[0].patterns[0].pattern == "^grant$");

  SpendValues v = apply_spend_rules(r, {"05/04/2024", " Ace Employment ", "1,250.00", "Training", " 77 "});
  CHECK_FALSE(v.skip);
  CHECK(v.values["date"] == "05/04/2024");
  CHECK(v.values["payee_name"] == "Ace Employment");  // trimmed
  CHECK(v.values["amount"] == "1,250.00");
  CHECK(v.values["payer"] == "riverside-council");
  CHECK(v.values["reference"] == "INV-77");
  CHECK(v.values["memo"] == "Training for Ace Employment (100%)");
  CHECK(v.values.count("mechanism") == 0);  // nothing gave it
  CHECK(v.values.count("expense_type") == 0);  // a column name, not a field

  // Case-insensitive; a later matching block's assignment wins over an earlier one's and the top level's.
  SpendValues g = apply_spend_rules(r, {"05/04/2024", "Royal Mail Group", "12.00", "GRANT", ""});
  CHECK(g.values["mechanism"] == "other");
  CHECK(g.values["memo"] == "grant");
  CHECK(g.values["payee_company_number"] == "4138203");
  CHECK(g.values["reference"] == "INV-");

  // Later top-level assignments win too; missing cells read as "".
  SpendRules t = parse_spend_rules("fields a, b, c\nmemo first\nmemo %3 then %1\n", "x");
  CHECK(apply_spend_rules(t, {"one"}).values["memo"] == " then one");
}

TEST_CASE("spend rules: consecutive matcher lines are alternatives, whole-record patterns") {
  SpendRules r = parse_spend_rules(
      "fields date, payee_name, amount, kind\n"
      "if\n"
      "GRANT\n"
      "%payee_name ^hope\n"
      "%4 subsid\n"
      "  mechanism grant\n"
      "if royal mail,12\\.00\n"
      "  memo whole record\n",
      "x");
  REQUIRE(r.blocks.size() == 2);
  CHECK(r.blocks[0].patterns.size() == 3);
  CHECK(r.blocks[0].patterns[0].column.empty());
  CHECK(r.blocks[0].patterns[2].column == "4");
  CHECK(apply_spend_rules(r, {"d", "x", "1", "A Grant"}).values["mechanism"] == "grant");
  CHECK(apply_spend_rules(r, {"d", "Hope Trust", "1", "x"}).values["mechanism"] == "grant");
  CHECK(apply_spend_rules(r, {"d", "x", "1", "Subsidy"}).values["mechanism"] == "grant");
  CHECK(apply_spend_rules(r, {"d", "x", "1", "x"}).values.count("mechanism") == 0);
  // %payee_name matches the trimmed cell, so ^ anchors at the name.
  CHECK(apply_spend_rules(r, {"d", "  Hope", "1", "x"}).values["mechanism"] == "grant");
  // The whole record is the cells as read, joined by commas.
  CHECK(apply_spend_rules(r, {"d", "Royal Mail", "12.00", "x"}).values["memo"] == "whole record");
  CHECK(apply_spend_rules(r, {"d", "Royal Mail", "13.00", "x"}).values.count("memo") == 0);
}

TEST_CASE("spend rules: skip in a block drops matching rows") {
  SpendRules r = parse_spend_rules(
      "fields date, payee_name, amount\n"
      "if %payee_name ^(redacted|personal data)\n"
      "  skip\n"
      "if ^total\n"
      "  skip\n",
      "x");
  CHECK(r.blocks[0].skip);
  CHECK(apply_spend_rules(r, {"d", "REDACTED", "1"}).skip);
  CHECK(apply_spend_rules(r, {"Total", "", "1"}).skip);
  CHECK_FALSE(apply_spend_rules(r, {"d", "Ace", "1"}).skip);
}

TEST_CASE("spend rules: bad lines are refused naming their line and what is accepted") {
  struct Case { const char* text; const char* line; const char* says; };
  const Case cases[] = {
      {"fields date\nnewest-first\n", "rules line 2:", "unknown directive 'newest-first'"},
      {"fields date\naccount1 assets\n", "rules line 2:", "payee_name"},  // lists the fields
      {"skip x\n", "rules line 1:", "skip takes a number"},
      {"separator |\n", "rules line 1:", "accepted: , ; or TAB"},
      {"encoding utf-16\n", "rules line 1:", "utf-8, windows-1252 or iso-8859-1"},
      {"date-format %d/%m/%Q\n", "rules line 1:", "%Q"},
      {"date-format %d/%m\n", "rules line 1:", "needs a day"},
      {"decimal-mark x\n", "rules line 1:", "accepted: . or ,"},
      {"fields date, supplier name\n", "rules line 1:", "'supplier name'"},
      {"fields date, 2nd\n", "rules line 1:", "not starting with a digit"},
      {"fields date, amount, date\n", "rules line 1:", "two columns"},
      {"fields\n", "rules line 1:", "a name per column"},
      {"skip 1\n\nskip 2\n", "rules line 3:", "first at line 1"},
      {"fields a\nif (unclosed\n  memo x\n", "rules line 2:", "not a regular expression"},
      {"fields a\nif x\n\n  memo y\n", "rules line 2:", "a blank line or another if ends a block"},
      {"fields a\nif x\n", "rules line 2:", "if block has no assignments"},
      {"fields a\nif x\nif y\n  memo z\n", "rules line 2:", "no assignments"},
      {"fields a\n  memo x\n", "rules line 2:", "indented line"},
      {"fields a\nif x\n  memo y\n\n  memo z\n", "rules line 5:", "a blank line ends a block"},
      {"fields a\nif x\n  account1 y\n", "rules line 3:", "skip alone"},
      {"fields a\nif x\n  skip 2\n", "rules line 3:", "not an assignment"},
      {"fields a\nif\n  memo y\n", "rules line 2:", "if needs a pattern"},
      {"fields a\nif %b x\n  memo y\n", "rules line 2:", "%b names no column"},
      {"fields a\nif %a\n  memo y\n", "rules line 2:", "%NAME PATTERN"},
      {"fields a\nif x\n& y\n  memo y\n", "rules line 3:", "alternatives"},
      {"fields a\n\nmemo %b\n", "rules line 3:", "%b names no column"},
      {"fields a, b\nmemo %3\n", "rules line 2:", "column number 1-2"},
      {"fields a, a\nmemo %a\n", "rules line 2:", "two columns"},
      {"fields a\nmemo 50% off\n", "rules line 2:", "%% (a literal %)"},
      {"fields a\nif \xFF\n  memo y\n", "rules line 2:", "not UTF-8"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    std::string why = rules_refusal(c.text);
    CHECK(why.find(std::string("council.rules: ") + c.line) == 0);
    CHECK(why.find(c.says) != std::string::npos);
  }
  // %NAME may be used before the fields line that names it.
  CHECK(parse_spend_rules("memo %a\nfields a\n", "x").assignments.size() == 1);
}

TEST_CASE("spend amounts: published styles, read exactly") {
  CHECK(parse_spend_amount("1,234.56", '.', 2) == 123456);
  CHECK(parse_spend_amount("\xC2\xA3" "1,234.56", '.', 2) == 123456);
  CHECK(parse_spend_amount(" GBP 12 ", '.', 2) == 1200);
  CHECK(parse_spend_amount("12.00 gbp", '.', 2) == 1200);
  CHECK(parse_spend_amount("$5", '.', 2) == 500);
  CHECK(parse_spend_amount("\xE2\x82\xAC" "5.5", '.', 2) == 550);
  CHECK(parse_spend_amount("-12.00", '.', 2) == -1200);
  CHECK(parse_spend_amount("12.00-", '.', 2) == -1200);
  CHECK(parse_spend_amount("-\xC2\xA3" "12.00", '.', 2) == -1200);
  CHECK(parse_spend_amount("\xC2\xA3-12.00", '.', 2) == -1200);
  CHECK(parse_spend_amount("(1,200.00)", '.', 2) == -120000);
  CHECK(parse_spend_amount("(\xC2\xA3" "1,200.00)", '.', 2) == -120000);
  CHECK(parse_spend_amount("1,234,567.8", '.', 2) == 123456780);
  CHECK(parse_spend_amount(".50", '.', 2) == 50);
  CHECK(parse_spend_amount("1.234,56", ',', 2) == 123456);
  CHECK(parse_spend_amount("1 234,56", ',', 2) == 123456);
  CHECK(parse_spend_amount("1\xC2\xA0" "234,56", ',', 2) == 123456);  // a no-break space
  CHECK(parse_spend_amount("-12,5", ',', 2) == -1250);
  CHECK(parse_spend_amount("0.00", '.', 2) == 0);  // zero is read; the importer rejects it
  CHECK(parse_spend_amount("500", '.', 0) == 500);
  CHECK(parse_spend_amount("92233720368547758.07", '.', 2) == std::numeric_limits<int64_t>::max());

  struct Bad { const char* text; char mark; const char* says; };
  const Bad bad[] = {
      {"12.345", '.', "has 3 decimals"},
      {"abc", '.', "is not an amount"},
      {"", '.', "is empty"},
      {"92233720368547758.08", '.', "too large"},
      {"99999999999999999999", '.', "too large"},
      {"1,5", '.', "is not an amount"},        // the other decimal mark: never 15
      {"1,23,456.00", '.', "is not an amount"},  // separators out of place
      {"1 234.56", '.', "is not an amount"},
      {"1.234.56", ',', "is not an amount"},
      {"12.", '.', "is not an amount"},
      {"(12.00", '.', "unmatched parenthesis"},
      {"-(12.00)", '.', "more than one minus"},
      {"-12-", '.', "more than one minus"},
      {"1e3", '.', "is not an amount"},
      {"\xC2\xA3\xC2\xA3" "5", '.', "is not an amount"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.text);
    std::string why = refusal([&] { parse_spend_amount(b.text, b.mark, 2); });
    CHECK(why.find(b.says) != std::string::npos);
    CHECK(why.find("accepted:") != std::string::npos);
  }
}

TEST_CASE("spend dates: by the rules' format") {
  CHECK(parse_spend_date("05/04/2024", "%d/%m/%Y") == 20240405);
  CHECK(parse_spend_date("5/4/2024", "%d/%m/%Y") == 20240405);
  CHECK(parse_spend_date("2024-04-05", "%Y-%m-%d") == 20240405);
  CHECK(parse_spend_date("5-Apr-24", "%d-%b-%y") == 20240405);
  CHECK(parse_spend_date("05-APR-1999", "%d-%b-%Y") == 19990405);
  CHECK(parse_spend_date("5-apr-69", "%d-%b-%y") == 19690405);
  CHECK(parse_spend_date("5-apr-68", "%d-%b-%y") == 20680405);
  CHECK(parse_spend_date("5 September 2024", "%e %B %Y") == 20240905);
  CHECK(parse_spend_date("20240405", "%Y%m%d") == 20240405);
  CHECK(parse_spend_date("05/04/2024 00:00:00", "%d/%m/%Y") == 20240405);
  CHECK(parse_spend_date("2024-04-05T09:30", "%Y-%m-%d") == 20240405);
  CHECK(parse_spend_date(" 29/02/2024 ", "%d/%m/%Y") == 20240229);

  struct Bad { const char* text; const char* format; const char* says; };
  const Bad bad[] = {
      {"31/02/2024", "%d/%m/%Y", "is not a calendar day"},
      {"29/02/2023", "%d/%m/%Y", "is not a calendar day"},
      {"05/13/2024", "%d/%m/%Y", "is not a calendar day"},
      {"01/01/1899", "%d/%m/%Y", "1900-2999"},
      {"2024-04-05", "%d/%m/%Y", "(e.g. 05/04/2024)"},
      {"05/04/24", "%d/%m/%Y", "does not match"},
      {"05/04/2024 noon", "%d/%m/%Y", "does not match"},
      {"05/04/2024", "%d/%m/%Y/", "does not match"},
      {"5-Abr-24", "%d-%b-%y", "(e.g. 05-Apr-24)"},
      {"", "%d/%m/%Y", "does not match"},
      {"05/04/2024", "%d/%m/%H", "%H"},
  };
  for (const auto& b : bad) {
    CAPTURE(b.text);
    CHECK(refusal([&] { parse_spend_date(b.text, b.format); }).find(b.says) != std::string::npos);
  }
}

TEST_CASE("spend text: encodings to UTF-8") {
  CHECK(spend_text_to_utf8("\xA3" "5", SpendEncoding::windows1252) == "\xC2\xA3" "5");
  CHECK(spend_text_to_utf8("\x80" "5", SpendEncoding::windows1252) == "\xE2\x82\xAC" "5");  // the euro sign
  CHECK(spend_text_to_utf8("caf\xE9", SpendEncoding::iso88591) == "caf\xC3\xA9");
  CHECK(spend_text_to_utf8("\xEF\xBB\xBF" "a,b\n", SpendEncoding::utf8) == "a,b\n");
  CHECK(spend_text_to_utf8("\xC2\xA3" "5", SpendEncoding::utf8) == "\xC2\xA3" "5");
  CHECK(spend_text_to_utf8("", SpendEncoding::windows1252).empty());

  std::string why = refusal([] { spend_text_to_utf8("a\nb\n\xA3" "5\n", SpendEncoding::utf8); });
  CHECK(why.find("line 3:") == 0);
  CHECK(why.find("encoding windows-1252") != std::string::npos);
  CHECK(refusal([] { spend_text_to_utf8("\xED\xA0\x80", SpendEncoding::utf8); }).find("line 1:") == 0);  // a surrogate
  CHECK(refusal([] { spend_text_to_utf8("ok\n\x81", SpendEncoding::windows1252); }).find("line 2: byte 0x81") == 0);
  CHECK(refusal([] { spend_text_to_utf8("\xEF\xBB\xBFx", SpendEncoding::windows1252); }).find("say encoding utf-8") !=
        std::string::npos);
}

TEST_CASE("spend ids: company and charity numbers") {
  CHECK(company_org_id("1234567") == "GB-COH-01234567");
  CHECK(company_org_id("01234567") == "GB-COH-01234567");
  CHECK(company_org_id(" 4138203 ") == "GB-COH-04138203");
  CHECK(company_org_id("SC123456") == "GB-COH-SC123456");
  CHECK(company_org_id("sc1234") == "GB-COH-SC001234");
  CHECK(company_org_id("R0000123") == "GB-COH-R0000123");
  CHECK(charity_org_id("1164883") == "GB-CHC-1164883");
  CHECK(charity_org_id("0202918") == "GB-CHC-202918");
  for (const char* bad : {"", "0", "00000000", "123456789", "ABC12345", "12-34", "SC", "n/a"}) {
    CAPTURE(bad);
    CHECK(refusal([&] { company_org_id(bad); }).find("accepted:") != std::string::npos);
  }
  for (const char* bad : {"", "0", "SC012345", "1164883-1", "123456789", "n/a"}) {
    CAPTURE(bad);
    CHECK(refusal([&] { charity_org_id(bad); }).find("accepted:") != std::string::npos);
  }
}

TEST_CASE("spend slugs: new parties' ids from names") {
  CHECK(party_slug_from_name("Royal Mail Group Ltd") == "royal-mail-group-ltd");
  CHECK(party_slug_from_name("  A & B (Services) Ltd.  ") == "a-b-services-ltd");
  CHECK(party_slug_from_name("Caf\xC3\xA9 N\xC3\xBAmero 1") == "caf-n-mero-1");
  CHECK(party_slug_from_name("!!!").empty());
  CHECK(party_slug_from_name("").empty());
  CHECK(party_slug_from_name("Ace Employment") == party_slug_from_name("Ace Employment"));

  std::string words;
  while (words.size() < 300) words += "Riverside Community ";
  std::string s = party_slug_from_name(words);
  CHECK(s.size() <= 64);
  CHECK(s.back() != '-');
  CHECK(s.substr(s.rfind('-') + 1) == "community");  // cut between words
  CHECK(party_slug_from_name(std::string(300, 'x')) == std::string(64, 'x'));
  CHECK(party_slug_from_name("abc def", 5) == "abc");
  CHECK(party_slug_from_name("abcdefgh", 5) == "abcde");
}

TEST_CASE("spend rules: a pattern over 128 bytes is refused by its line, before libstdc++ compiles it recursively") {
  // fuzz_spend_rules: a 375-byte pattern overflowed the stack in std::regex's compiler.
  std::string rules = "fields date, payee_name, amount\nif %payee_name " + std::string(129, 'a') + "\n  mechanism grant\n";
  try {
    parse_spend_rules(rules, "long.rules");
    FAIL("a 129-byte pattern was accepted");
  } catch (const fundtrail::Error& e) {
    CHECK(std::string(e.what()).find("rules line 2") != std::string::npos);
    CHECK(std::string(e.what()).find("at most 128") != std::string::npos);
  }
  CHECK_NOTHROW(parse_spend_rules("fields date, payee_name, amount\nif %payee_name " + std::string(128, 'a') +
                                      "\n  mechanism grant\n",
                                  "ok.rules"));
}
