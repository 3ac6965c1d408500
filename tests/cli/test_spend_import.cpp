// import --format spend (DESIGN.md "Loading published spending"): councils'
// real published files through the rules in examples/rules/, checked against
// totals computed here independently of the importer (Python's csv and
// Decimal), re-runs, rejects, and the verifier.
#include "fixture.h"

using namespace fundtrail::test;

namespace {

const fs::path kData = fs::path(FUNDTRAIL_TEST_DATA) / "spend";
const fs::path kRules = fs::path(FUNDTRAIL_TEST_DATA) / "../../examples/rules";

// A council party for the rules' payer, with the fixture's council key as
// its officer and its approver key as approver (payments at or above the
// fixture's dual-control threshold need both).
void add_council(const Books& b, const std::string& id) {
  b.ok({"party", "add", id, "--name", id, "--kind", "commissioner", "--key", b.key("admin")});
  for (auto [file, role] : {std::pair{"council", "officer"}, std::pair{"approver", "approver"}})
    b.ok({"grant-key", id, trim(b.ok({"key", "public", b.key(file)}).out), "--role", role, "--key", b.key("admin")});
}

// What the file's rows add up to, by Python: payments minus credit notes in
// minor units, leaving out the lines in `rejects` (a rejects file, may be
// absent) and rows whose column `skip_col` equals `skip_value`; and the
// payee (column `payee_col`) paid most, net.
struct Expected {
  int64_t total = 0;
  std::string biggest;
};
Expected expected(const fs::path& file, const std::string& encoding, int skip_lines, int amount_col, int payee_col,
                  const fs::path& rejects, int skip_col = -1, const std::string& skip_value = "") {
  const char* script = R"PY(
import csv, sys, io, decimal, collections, os
path, enc, skip, acol, pcol, rej, scol, sval = sys.argv[1:9]
skip, acol, pcol, scol = int(skip), int(acol), int(pcol), int(scol)
rejected = set()
if os.path.exists(rej):
    with open(rej, newline='', encoding='utf-8') as f:
        rows = list(csv.reader(f))
        for r in rows[1:]:
            rejected.add(int(r[-2]))
text = open(path, 'rb').read().decode(enc)
lines = text.splitlines(keepends=True)
reader = csv.reader(io.StringIO(''.join(lines[skip:])))
total = decimal.Decimal(0)
by = collections.Counter()
for row in reader:
    line = reader.line_num + skip
    if not any(c.strip() for c in row) or line in rejected:
        continue
    if scol >= 0 and row[scol] == sval:
        continue
    a = row[acol].replace('\u00a3', '').replace(',', '').strip()
    neg = a.startswith('(')
    a = decimal.Decimal(a.strip('()'))
    if neg: a = -a
    total += a
    by[row[pcol].strip()] += a
print(int(total * 100))
print(by.most_common(1)[0][0])
)PY";
  RunResult r = run("/usr/bin/python3", {"-c", script, file.string(), encoding, std::to_string(skip_lines),
                                         std::to_string(amount_col), std::to_string(payee_col), rejects.string(),
                                         std::to_string(skip_col), skip_value});
  INFO(r.err);
  REQUIRE(r.code == 0);
  Expected e;
  auto nl = r.out.find('\n');
  e.total = std::stoll(r.out.substr(0, nl));
  e.biggest = trim(r.out.substr(nl + 1));
  return e;
}

struct Council {
  std::string id, file, encoding;
  int skip, amount_col, payee_col, skip_col = -1;
  std::string skip_value = "";
};

}  // namespace

TEST_CASE("spend import: councils' published files add up, a re-run records nothing, the ledger verifies, and the map names the biggest supplier") {
  const std::vector<Council> councils = {
      {"trafford-council", "trafford-council/trafford-supplier-spend-2026-27.csv", "utf-8", 1, 8, 4},
      {"oxford-city-council", "oxford-city-council/expenditure-over-500-oct-dec-2016.csv", "utf-8", 1, 6, 9, 2,
       "Difference A/c"},
      {"hyndburn-borough-council", "hyndburn-borough-council/SpendOver250Feb24.csv", "cp1252", 2, 6, 4},
  };
  for (const Council& c : councils) {
    INFO(c.id);
    Books b;
    add_council(b, c.id);
    const fs::path file = kData / c.file, rejects = b.file(c.id + "-rejects.csv");
    json first = b.ok_json({"import", "--format", "spend", file.string(), "--rules", (kRules / (c.id + ".rules")).string(),
                            "--key", b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin"), "--rejects", rejects.string(), "--json"});
    INFO(first.dump());
    CHECK(first["read"] == first["recorded"].get<int>() + first["already_recorded"].get<int>() +
                               first["skipped"].get<int>() + first["rejected"].get<int>());
    CHECK(first["recorded"].get<int>() > 30);
    CHECK(first["parties_registered"].get<int>() > 10);
    Expected want = expected(file, c.encoding, c.skip, c.amount_col, c.payee_col, rejects, c.skip_col, c.skip_value);
    CHECK(-b.balance(c.id) == want.total);  // the council paid out exactly the file's recorded rows, net of credit notes
    // The map's summary names the supplier the council paid most, as Python totals it.
    json summary = b.ok_json({"map", "summary", "--json"});
    std::string biggest;
    for (auto& src : summary["sources"])
      if (src["party"] == c.id) biggest = src["biggest_recipients"][0]["party"].get<std::string>();
    std::string biggest_name;
    for (auto& p : b.ok_json({"party", "list", "--json"}))
      if (p["id"] == biggest) biggest_name = p["name"].get<std::string>();
    CHECK(biggest_name == want.biggest);

    json again = b.ok_json({"import", "--format", "spend", file.string(), "--rules", (kRules / (c.id + ".rules")).string(),
                            "--key", b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin"), "--rejects", rejects.string(), "--json"});
    CHECK(again["recorded"] == 0);
    CHECK(again["parties_registered"] == 0);
    CHECK(again["already_recorded"] == first["recorded"]);
    CHECK(again["read"] == first["read"]);
    verify_if_present({b.ledger.string()});
  }
}

TEST_CASE("spend import: a credit note becomes a refund signed by the council, and the balances reflect it") {
  Books b;
  add_council(b, "trafford-council");
  write_file(b.file("rules"), "skip 1\nfields date, payee_name, amount, reference\npayer trafford-council\n");
  write_file(b.file("spend.csv"),
             "Date,Supplier,Amount,Transaction\r\n2025-04-01,Royal Mail Group Ltd,\"1,200.00\",T-1\r\n"
             "2025-04-20,Royal Mail Group Ltd,(200.00),T-2\r\n");
  json j = b.ok_json({"import", "--format", "spend", b.file("spend.csv"), "--rules", b.file("rules"), "--key",
                      b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin"), "--json"});
  CHECK(j["recorded"] == 2);
  CHECK(j["parties_registered"] == 1);
  json log = b.log();
  json refund = log[log.size() - 1];
  CHECK(refund["kind"] == "payment");
  json shown = b.ok_json({"show", std::to_string(refund["seq"].get<uint64_t>()), "--json"});
  CHECK(shown["body"]["mechanism"] == "refund");
  CHECK(shown["body"]["from"] == "royal-mail-group-ltd");
  CHECK(shown["body"]["to"] == "trafford-council");
  CHECK(shown["body"]["reference"] == "T-2");
  CHECK(b.balance("royal-mail-group-ltd") == 100000);
  CHECK(b.balance("trafford-council") == -100000);
  verify_if_present({b.ledger.string()});
}

TEST_CASE("spend import: malformed rows stop the import naming the first, or go to --rejects with every other row recorded") {
  Books b;
  add_council(b, "trafford-council");
  write_file(b.file("rules"), "skip 1\ndate-format %d/%m/%Y\nfields date, payee_name, amount, reference\npayer trafford-council\n");
  write_file(b.file("bad.csv"),
             "Date,Supplier,Amount,Ref\n"
             "01/04/2025,Good Supplies Ltd,500.00,A-1\n"
             "02/04/2025,Merged Cells Ltd 600.00,A-2\n"   // a missing comma: 3 cells
             "03/04/2025,,700.00,A-3\n"                   // no supplier
             "31/02/2025,Bad Date Ltd,800.00,A-4\n"       // no such day
             "04/04/2025,Zero Ltd,0.00,A-5\n"             // zero
             "05/04/2025,Good Supplies Ltd,900.00,A-6\n");
  std::vector<std::string> args{"import", "--format", "spend", b.file("bad.csv"), "--rules", b.file("rules"),
                                "--key", b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin")};
  expect_refused(b, args, 2, "line 3:");
  // A dry run names every bad row, not only the first, and writes nothing.
  std::vector<std::string> dry = args;
  dry.push_back("--dry-run");
  Snapshot before = b.snapshot();
  RunResult d = b.ft(dry);
  INFO(d);
  CHECK(d.code == 1);
  for (const char* line : {"line 3:", "line 4:", "line 5:", "line 6:"}) CHECK(contains(d.err, line));
  CHECK(contains(d.out, "read 6, recorded 2, already recorded 0, skipped 0, rejected 4"));
  CHECK(b.snapshot() == before);
  args.insert(args.end(), {"--rejects", b.file("rejects.csv"), "--json"});
  json j = b.ok_json(args);
  CHECK(j["read"] == 6);
  CHECK(j["recorded"] == 2);
  CHECK(j["rejected"] == 4);
  CHECK(j["parties_registered"] == 1);
  std::string rejects = read_file(b.file("rejects.csv"));
  for (const char* want : {",3,", ",4,", ",5,", ",6,", "cells where the rules name 4", "no payee name", "31/02/2025",
                           "zero"})
    CHECK_MESSAGE(contains(rejects, want), "rejects file lacks " << want << ":\n" << rejects);
  CHECK(b.balance("trafford-council") == -140000);
}

TEST_CASE("spend import: 800 suppliers without org ids are registered in one run with one admin unlock") {
  Books b;
  add_council(b, "trafford-council");
  write_file(b.file("rules"), "skip 1\nfields date, payee_name, amount\npayer trafford-council\n");
  std::string csv = "Date,Supplier,Amount\n";
  for (int i = 0; i < 850; ++i) csv += "2025-05-01,Supplier number " + std::to_string(i) + " Ltd,5" + std::to_string(i % 10) + "0.00\n";
  write_file(b.file("many.csv"), csv);
  json j = b.ok_json({"import", "--format", "spend", b.file("many.csv"), "--rules", b.file("rules"), "--key",
                      b.key("council"), "--key", b.key("approver"), "--admin-key", b.key("admin"), "--json"});
  CHECK(j["recorded"] == 850);
  CHECK(j["parties_registered"] == 850);
  CHECK(b.ok_json({"balance", "--json"}).size() >= 850);
}
