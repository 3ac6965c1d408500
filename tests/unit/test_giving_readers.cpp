// The 360Giving readers and checks on byte buffers (interop/giving_*.h):
// CSV and JSON shapes, exact amounts, merging rows, every rejection.
#include <doctest/doctest.h>

#include <string>

#include "interop/giving_csv.h"
#include "interop/giving_grant.h"
#include "interop/giving_json.h"
#include "ledger/error.h"
#include "test_giving_support.h"

using namespace fundtrail;
using namespace fundtrail::interop;

namespace {

using giving_test::error_of;
using giving_test::has;

const std::string kHeader =
    "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
    "Funding Org:Identifier,Funding Org:Name\n";

std::string row(const std::string& id, const std::string& amount, const std::string& date = "2024-01-02",
                const std::string& currency = "GBP") {
  return id + ",Title,Description," + currency + "," + amount + "," + date + ",GB-CHC-1,Charity,GB-LAE-TRF,Trafford\n";
}


std::string json_grant(const std::string& id, const std::string& amount_token, const std::string& extra = "") {
  return "{\"id\": \"" + id + "\", \"title\": \"T\", \"description\": \"D\", \"currency\": \"GBP\", \"amountAwarded\": " +
         amount_token +
         ", \"awardDate\": \"2024-01-02\", \"recipientOrganization\": [{\"id\": \"GB-CHC-1\", \"name\": \"C\"}], "
         "\"fundingOrganization\": [{\"id\": \"GB-LAE-TRF\", \"name\": \"T\"}]" +
         extra + "}";
}

}  // namespace

TEST_CASE("giving csv: BOM CRLF quoted fields and case-insensitive titles") {
  std::string text = "\xEF\xBB\xBFidentifier , TITLE,Description,Currency,amount awarded,Award Date,"
                     "Recipient Org : Identifier,Recipient Org:Name,Funding Org:Identifier,Funding Org:Name,My Column\r\n"
                     "360G-x-1,\"Food, bank\",\"Two\r\nlines, \"\"quoted\"\"\",GBP, 1250.50 ,2024-04-02,GB-CHC-1,C,GB-LAE-TRF,T,x\r\n"
                     "360G-x-2,B,D,GBP,3,2024-04-03,GB-CHC-2,C2,GB-LAE-TRF,T,y\r\n";
  GivingFile f = read_giving_csv(text);
  REQUIRE(f.records.size() == 2);
  CHECK(f.records[0].where == "line 2");
  CHECK(f.records[1].where == "line 4");  // the quoted line break moves the next row down
  CHECK(f.records[0].text("title") == "Food, bank");
  CHECK(f.records[0].text("description") == "Two\r\nlines, \"quoted\"");
  CHECK(f.records[0].text("amountAwarded") == "1250.50");  // spaces around a cell are trimmed
  CHECK(f.records[0].text("recipientOrganization/0/id") == "GB-CHC-1");
  CHECK(f.unused == std::vector<std::string>{"My Column"});
  auto grants = check_grants(f);
  REQUIRE(grants.size() == 2);
  CHECK(grants[0].amount == 125050);
  CHECK(grants[0].award_date == 20240402);
  CHECK(grants[1].amount == 300);
}

TEST_CASE("giving csv: a quoted first field over two lines") {
  GivingFile f = read_giving_csv("Identifier,Title\n\"360G-\nx-1\",T\n360G-x-2,U\n");
  REQUIRE(f.records.size() == 2);
  CHECK(f.records[0].where == "line 2");
  CHECK(f.records[0].text("id") == "360G-\nx-1");
  CHECK(f.records[1].where == "line 4");
}

TEST_CASE("giving csv: LF without BOM and a blank row") {
  GivingFile f = read_giving_csv(kHeader + row("360G-x-1", "10") + ",,,,,,,,,\n" + row("360G-x-2", "20"));
  REQUIRE(f.records.size() == 2);
  CHECK(f.records[1].where == "line 4");
  CHECK(f.unused.empty());
}

TEST_CASE("giving csv: several rows of one Identifier make one grant") {
  std::string extra = "360G-x-1,,,,,,,,,\n";  // a second row adding nothing the import uses
  GivingFile f = read_giving_csv(kHeader + row("360G-x-1", "10.00") + extra + row("360G-x-2", "1"));
  auto grants = check_grants(f);
  REQUIRE(grants.size() == 2);
  CHECK(grants[0].id == "360G-x-1");
  CHECK(grants[0].amount == 1000);
  CHECK(grants[0].where == "line 2");
}

TEST_CASE("giving csv: conflicting rows for one Identifier are refused") {
  GivingFile f = read_giving_csv(kHeader + row("360G-x-1", "10.00") + row("360G-x-1", "10.01"));
  std::string e = error_of([&] { check_grants(f); });
  CHECK(has(e, "line 3, grant 360G-x-1: conflicting rows for one Identifier"));
  CHECK(has(e, "at line 2"));
  // The same amount written the same way is no conflict.
  CHECK(check_grants(read_giving_csv(kHeader + row("360G-x-1", "10.00") + row("360G-x-1", "10.00"))).size() == 1);
}

TEST_CASE("giving csv: malformed files") {
  CHECK(has(error_of([] { read_giving_csv(""); }), "empty"));
  CHECK(has(error_of([] { read_giving_csv("Title,Amount Awarded\nx,1\n"); }), "no 'Identifier' column"));
  CHECK(has(error_of([] { read_giving_csv("Identifier,identifier\nx,y\n"); }), "appears twice"));
  CHECK(has(error_of([] { read_giving_csv(kHeader + "360G-x-1,\"unclosed\n"); }), "malformed CSV"));
  CHECK(has(error_of([] { read_giving_csv("Identifier\n360G-x-1,extra\n"); }), "line 2: 2 cells"));
  CHECK(has(error_of([] { read_giving_csv(kHeader + "a\"b,T\n"); }), "line 2: malformed CSV"));
}

TEST_CASE("giving grant: every amount rejection names the line and id") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"10.001", "has 3 decimals"},  {"1e3", "has an exponent"},       {"1E3", "has an exponent"},
      {"£10", "not a decimal amount"}, {"\"1,000\"", "not a decimal amount"}, {"0", "is zero"},
      {"0.00", "is zero"},           {"-1", "has a sign"},             {"+1", "has a sign"},
      {"92233720368547758.08", "too large"}, {"1.2.3", "not a decimal amount"}, {"", "required field 'amountAwarded'"},
  };
  for (auto& [amount, why] : cases) {
    CAPTURE(amount);
    GivingFile f = read_giving_csv(kHeader + row("360G-x-1", "1") + row("360G-x-7", amount));
    std::string e = error_of([&] { check_grants(f); });
    CHECK(has(e, "line 3, grant 360G-x-7: "));
    CHECK(has(e, why));
  }
  // The largest amount that fits, and currencies with other minor units.
  CHECK(check_grants(read_giving_csv(kHeader + row("360G-x-1", "92233720368547758.07")))[0].amount == INT64_MAX);
  CHECK(check_grants(read_giving_csv(kHeader + row("360G-x-1", "1500", "2024-01-02", "JPY")))[0].amount == 1500);
  CHECK(has(error_of([] { check_grants(read_giving_csv(kHeader + row("360G-x-1", "1.5", "2024-01-02", "JPY"))); }),
            "has 1 decimal"));
  CHECK(check_grants(read_giving_csv(kHeader + row("360G-x-1", "1.125", "2024-01-02", "BHD")))[0].amount == 1125);
}

TEST_CASE("giving grant: dates currencies and required fields") {
  auto err = [](const std::string& r) { return error_of([&] { check_grants(read_giving_csv(kHeader + r)); }); };
  CHECK(has(err(row("360G-x-1", "1", "17/03/2014")), "line 2, grant 360G-x-1: award date '17/03/2014' is not YYYY-MM-DD"));
  CHECK(has(err(row("360G-x-1", "1", "2014-02-30")), "is not YYYY-MM-DD"));
  CHECK(has(err(row("360G-x-1", "1", "2014-3-17")), "is not YYYY-MM-DD"));
  CHECK(has(err(row("360G-x-1", "1", "2014-03-17T25")), "is not YYYY-MM-DD"));
  CHECK(has(err(row("360G-x-1", "1", "2024-01-02", "XYZ")), "unknown currency code 'XYZ'"));
  CHECK(has(err(row("360G-x-1", "1", "2024-01-02", "gbp")), "unknown currency code 'gbp'"));
  CHECK(has(err(",T,D,GBP,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,T\n"), "line 2: the grant has no Identifier"));
  CHECK(has(err("360G-x-1,,D,GBP,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,T\n"), "the required field 'title'"));
  CHECK(has(err("360G-x-1,T,,GBP,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,T\n"), "the required field 'description'"));
  CHECK(has(err("360G-x-1,T,D,,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,T\n"), "the required field 'currency'"));
  CHECK(has(err("360G-x-1,T,D,GBP,1,2024-01-02,GB-CHC-1,C,,T\n"), "'fundingOrganization/0/id'"));
  CHECK(has(err("360G-x-1,T,D,GBP,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,\n"), "'fundingOrganization/0/name'"));
  CHECK(has(err("360G-x-1,T,D,GBP,1,2024-01-02,GB-CHC-1,,GB-LAE-TRF,T\n"), "'recipientOrganization/0/name'"));
  CHECK(has(err("360G-x-1,T,D,GBP,1,2024-01-02,,,GB-LAE-TRF,T\n"), "the required recipient is missing"));
  CHECK(has(err("360G-x-1,T,D,GBP,1,2024-01-02,gb-lae-trf,C,GB-LAE-TRF,T\n"), "are the same organisation"));
  std::string long_id(120, 'x');
  CHECK(has(err(row(long_id, "1")), "at most 118 fit"));

  CHECK(parse_award_date("2014-03-17") == 20140317);
  CHECK(parse_award_date("2014-03-17T00:00:00Z") == 20140317);
  CHECK(parse_award_date("2014-03-17T23:59:59.123+01:00") == 20140317);
  CHECK(parse_award_date("2014-03-17T10:00") == 20140317);
  CHECK(parse_award_date("2014-03-17T10:00:00+0100") == 0);
  CHECK(parse_award_date("2014-03-17 ") == 0);
  CHECK(parse_award_date("17/03/2014") == 0);
  CHECK(parse_award_date("") == 0);
}

TEST_CASE("giving grant: regrant types from the codelist only") {
  std::string header = "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,"
                       "Recipient Org:Name,Funding Org:Identifier,Funding Org:Name,For Regrant Type\n";
  auto g = check_grants(read_giving_csv(header + "360G-x-1,T,D,GBP,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,T,FRG040\n"));
  CHECK(g[0].regrant_type == "FRG040");
  CHECK(has(error_of([&] { check_grants(read_giving_csv(header + "360G-x-1,T,D,GBP,1,2024-01-02,GB-CHC-1,C,GB-LAE-TRF,T,FRG999\n")); }),
            "regrant type 'FRG999' is not on the 360Giving codelist"));
}

TEST_CASE("giving json: exact number tokens and flattened fields") {
  std::string text = "\xEF\xBB\xBF{\"version\": \"1.4\", \"grants\": [" + json_grant("360G-x-1", "1250.50") + ", " +
                     json_grant("360G-x-2", "300",
                                ", \"beneficiaryLocation\": [{\"geoCode\": \"E1\"}, {\"geoCode\": \"E2\"}], \"plannedDates\": null") +
                     ", " + json_grant("360G-x-3", "0.1") + "]}";
  GivingFile f = read_giving_json(text);
  REQUIRE(f.records.size() == 3);
  CHECK(f.records[0].where == "grants[0]");
  CHECK(f.records[0].text("amountAwarded") == "1250.50");  // the token, not a double's digits
  CHECK(f.records[0].fields.at("amountAwarded").type == GivingValue::Type::number);
  CHECK(f.records[2].text("amountAwarded") == "0.1");
  CHECK(f.unused == std::vector<std::string>{"beneficiaryLocation/0/geoCode", "beneficiaryLocation/n/geoCode"});
  auto grants = check_grants(f);
  CHECK(grants[0].amount == 125050);
  CHECK(grants[1].amount == 30000);
  CHECK(grants[2].amount == 10);
  CHECK(grants[0].funder_id == "GB-LAE-TRF");

  // A 20-digit integer is kept as written and refused as too large, never rounded.
  auto big = read_giving_json("{\"grants\": [" + json_grant("360G-x-1", "92233720368547758070") + "]}");
  CHECK(big.records[0].text("amountAwarded") == "92233720368547758070");
  CHECK(has(error_of([&] { check_grants(big); }), "too large"));
}

TEST_CASE("giving json: recipient individuals and a second funder") {
  std::string g = "{\"id\": \"360G-x-1\", \"title\": \"T\", \"description\": \"D\", \"currency\": \"GBP\", "
                  "\"amountAwarded\": 5, \"awardDate\": \"2024-01-02\", "
                  "\"recipientIndividual\": {\"id\": \"360G-x-IND-1\", \"name\": \"Individual\"}, "
                  "\"fundingOrganization\": [{\"id\": \"GB-LAE-TRF\", \"name\": \"T\"}, {\"id\": \"GB-CHC-9\", \"name\": \"N\"}]}";
  GivingFile f = read_giving_json("{\"grants\": [" + g + "]}");
  CHECK(f.unused == std::vector<std::string>{"fundingOrganization/n/id", "fundingOrganization/n/name"});
  auto grants = check_grants(f);
  CHECK(grants[0].individual);
  CHECK(grants[0].recipient_id == "360G-x-IND-1");
}

TEST_CASE("giving json: bad documents and bad grants") {
  auto read = [](const std::string& s) { return error_of([&] { read_giving_json(s); }); };
  CHECK(has(read(""), "not valid JSON"));
  CHECK(has(read("{\"grants\": [}"), "not valid JSON"));
  CHECK(has(read("{\"grants\": []} x"), "not valid JSON"));
  CHECK(has(read("[]"), "is an object"));
  CHECK(has(read("{\"version\": \"1.4\"}"), "no \"grants\" array"));
  CHECK(has(read("{\"grants\": {}}"), "must be an array"));
  CHECK(has(read("{\"grants\": 5}"), "must be an array"));
  CHECK(has(read("{\"grants\": [], \"grants\": []}"), "appears twice"));
  CHECK(has(read("{\"grants\": [1]}"), "grants[0] is not an object"));
  CHECK(has(read("{\"grants\": [{}, []]}"), "grants[1] is not an object"));
  CHECK(has(read("{\"grants\": [{\"id\": \"a\", \"id\": \"b\"}]}"), "grants[0]: the field 'id' is given twice"));
  CHECK(has(read("{\"grants\": [{\"x\": " + std::string(40, '[') + std::string(40, ']') + "}]}"), "nested deeper"));
  CHECK(has(read("{\"grants\": [{\"id\": \"\xff\"}]}"), "not valid JSON"));
  CHECK(read_giving_json("{\"grants\": []}").records.empty());

  auto check = [](const std::string& token) {
    return error_of([&] { check_grants(read_giving_json("{\"grants\": [" + json_grant("360G-x-1", token) + "]}")); });
  };
  CHECK(has(check("1e3"), "grants[0], grant 360G-x-1: amount '1e3' has an exponent"));
  CHECK(has(check("1.0E+2"), "has an exponent"));
  CHECK(has(check("-10"), "has a sign"));
  CHECK(has(check("-0.5"), "has a sign"));
  CHECK(has(check("0"), "is zero"));
  CHECK(has(check("10.005"), "has 3 decimals"));
  CHECK(has(check("true"), "must be a number"));
  CHECK(has(check("null"), "required field 'amountAwarded'"));
  CHECK(check("\"10.50\"").empty());  // a quoted amount is read as the same decimal text
  CHECK(has(error_of([] {
              check_grants(read_giving_json("{\"grants\": [" + json_grant("360G-x-1", "1") + "," +
                                            json_grant("360G-x-1", "2") + "]}"));
            }),
            "grants[1], grant 360G-x-1: conflicting rows"));
  std::string numeric_id = "{\"grants\": [{\"id\": 7, \"title\": \"T\"}]}";
  CHECK(has(error_of([&] { check_grants(read_giving_json(numeric_id)); }), "'id' must be text"));
}
