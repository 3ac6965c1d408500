// Excel's "CSV UTF-8" (a byte-order mark and CRLF line ends) through every CSV
// reader of the project: fundtrail's own import, contract schedules, the
// 360Giving import and the spending import; and a Windows-1252 spending file
// whose £ signs survive as U+00A3.
#include "fixture.h"

using namespace fundtrail::test;

namespace {

const std::string kBom = "\xEF\xBB\xBF";

// The text as Excel writes it: a byte-order mark, and CRLF for every LF.
std::string excel(const std::string& text) {
  std::string out = kBom;
  for (char c : text) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
  return out;
}

}  // namespace

TEST_CASE("excel csv: fundtrail's own import reads a byte-order mark and CRLF, and keeps a £ in a memo") {
  Books b;
  write_file(b.file("april.csv"),
             excel("kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,"
                   "memo,idempotency_key\n"
                   "payment,pool,ace,12.00,,2025-04-06,block,,,,,,,INV-7,\"\xC2\xA3" "12 for stamps\",\n"));
  json j = b.ok_json({"import", b.file("april.csv"), "--key", b.key("pool"), "--json"});
  CHECK(j["recorded"] == 1);
  json shown = b.ok_json({"show", std::to_string(j["first_seq"].get<uint64_t>()), "--json"});
  CHECK(shown["body"]["memo"] == "\xC2\xA3" "12 for stamps");
  CHECK(shown["body"]["reference"] == "INV-7");
}

TEST_CASE("excel csv: a contract schedule with a byte-order mark and CRLF") {
  Books b;
  write_file(b.file("schedule.csv"), excel("milestone,group,unit_price,financed_by\nstart,,50.00,payer\njob entry,,100.00,payer\n"));
  b.ok({"contract", "agree", "HEAD", "--payer", "council", "--payee", "ace", "--subject", "employment support", "--from",
        "2025-04-01", "--to", "2027-03-31", "--cap", "10000.00", "--schedule", b.file("schedule.csv"), "--key",
        b.key("council")});
  // Rule 9 pays a milestone only at its schedule's unit price: the row was read
  // whole (a BOM in the header or a CR in the last cell would have refused it).
  b.ok({"pay", "--from", "council", "--to", "ace", "--amount", "100.00", "--mechanism", "milestone", "--contract", "HEAD",
        "--milestone", "job entry", "--count", "1", "--key", b.key("council")});
  CHECK(contains(b.ok({"contract", "show", "HEAD"}).out, "GBP 100.00 in 1 payment\n"));
}

TEST_CASE("excel csv: a 360Giving CSV file saved by Excel imports as the original does") {
  Books b;
  b.ok({"party", "add", "trafford", "--name", "Trafford Council", "--kind", "funder", "--sector", "public", "--org-id",
        "GB-LAE-TRF", "--key", b.key("admin")});
  b.ok({"grant-key", "trafford", b.key("stranger"), "--role", "officer", "--key", b.key("admin")});
  b.ok({"grant-key", "trafford", b.key("approver"), "--role", "approver", "--key", b.key("admin")});
  std::string original = read_file(std::string(FUNDTRAIL_TEST_DATA) + "/360giving/trafford.csv");
  std::string plain;
  for (char c : original)
    if (c != '\r') plain += c;
  write_file(b.file("excel.csv"), excel(plain));
  json j = b.ok_json({"import", "--format", "360giving", b.file("excel.csv"), "--key", b.key("stranger"), "--key",
                      b.key("approver"), "--admin-key", b.key("admin"), "--json"});
  CHECK(j["recorded"].get<int>() > 0);
  verify_if_present({b.ledger.string()});
}

TEST_CASE("excel csv: a spending file with a byte-order mark and CRLF, and a Windows-1252 one whose £ survives") {
  Books b;
  b.ok({"party", "add", "riverside-council", "--name", "Riverside", "--kind", "commissioner", "--key", b.key("admin")});
  b.ok({"grant-key", "riverside-council", trim(b.ok({"key", "public", b.key("council")}).out), "--role", "officer", "--key",
        b.key("admin")});
  write_file(b.file("utf8.rules"), "skip 1\nfields date, payee_name, amount, memo\npayer riverside-council\n");
  write_file(b.file("utf8.csv"), excel("Date,Supplier,Amount,Description\n2025-04-01,Royal Mail,41.20,Stamps\n"));
  json j = b.ok_json({"import", "--format", "spend", b.file("utf8.csv"), "--rules", b.file("utf8.rules"), "--key",
                      b.key("council"), "--admin-key", b.key("admin"), "--json"});
  CHECK(j["recorded"] == 1);
  CHECK(b.balance("royal-mail") == 4120);

  write_file(b.file("cp1252.rules"), "encoding windows-1252\nskip 1\nfields date, payee_name, amount, memo\npayer riverside-council\n");
  write_file(b.file("cp1252.csv"), "Date,Supplier,Amount,Description\r\n2025-04-02,Royal Mail,\xA3" "12.50,\xA3" "12.50 of stamps\r\n");
  j = b.ok_json({"import", "--format", "spend", b.file("cp1252.csv"), "--rules", b.file("cp1252.rules"), "--key",
                 b.key("council"), "--admin-key", b.key("admin"), "--json"});
  CHECK(j["recorded"] == 1);
  CHECK(j["parties_registered"] == 0);  // the same supplier, matched by name
  json shown = b.ok_json({"show", std::to_string(j["first_seq"].get<uint64_t>()), "--json"});
  CHECK(shown["body"]["memo"] == "\xC2\xA3" "12.50 of stamps");
  CHECK(b.balance("royal-mail") == 4120 + 1250);
}
