// fundtrail report --html (DESIGN.md "A report people read"), opened in
// Debian's headless Chromium through chromedriver: no console error, nothing
// loaded from outside, the headline equal to `map summary --json`, every
// listed payment proved by the page's own script (per-record signatures and
// payment runs), and a flipped byte in one embedded record failing that row
// and no other.
#include <sodium.h>

#include <algorithm>
#include <set>

#include "webdriver.h"

using namespace fundtrail::test;

namespace {

const std::string kDemoPass = "fundtrail-demo";  // what `fundtrail demo` seals its keys with

std::string b64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  size_t len = 0;
  REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.c_str(), text.size(), nullptr, &len,
                            nullptr, sodium_base64_VARIANT_ORIGINAL) == 0);
  out.resize(len);
  return out;
}
std::string b64_encode(const std::string& bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// The page's embedded data, and the page rebuilt around changed data.
const std::string kOpen = "<script type=\"application/json\" id=\"ft-data\">";
json page_data(const std::string& page) {
  size_t at = page.find(kOpen);
  REQUIRE(at != std::string::npos);
  at += kOpen.size();
  size_t end = page.find("</script>", at);
  REQUIRE(end != std::string::npos);
  return json::parse(page.substr(at, end - at));
}
std::string with_data(const std::string& page, const json& data) {
  size_t at = page.find(kOpen) + kOpen.size();
  size_t end = page.find("</script>", at);
  std::string text = data.dump(), safe;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += text[i];
    }
  }
  return page.substr(0, at) + safe + page.substr(end);
}

// What the page's script found: {checkpoint, rows: [{seq, status, why}], money_in_minor, interactive_ms}.
json page_result(Browser& browser, const fs::path& page) {
  browser.open(page);
  json r = browser.run_async(
      "const done = arguments[arguments.length - 1];"
      "window.fundtrailReport.ready.then(r => done(JSON.stringify(r)), e => done(JSON.stringify({error: String(e)})));");
  REQUIRE(r.is_string());
  return json::parse(r.get<std::string>());
}

// Console messages at level SEVERE (errors), as text.
std::vector<std::string> console_errors(Browser& browser) {
  std::vector<std::string> out;
  for (auto& m : browser.console())
    if (m.value("level", "") == "SEVERE") out.push_back(m.value("message", ""));
  return out;
}

// The page opened with no console error, its checkpoint (of the whole
// ledger) verified, and every payment it lists proved in it.
json opened_and_proved(Browser& browser, const fs::path& page, const json& data) {
  json result = page_result(browser, page);
  INFO(result.dump());
  CHECK(console_errors(browser).empty());
  CHECK(result["checkpoint"]["ok"] == true);
  CHECK(result["checkpoint"]["size"] == data["records"]);
  REQUIRE(result["rows"].size() == data["payments"].size());
  for (auto& row : result["rows"]) CHECK_MESSAGE(row["status"] == "verified", row.dump());
  return result;
}

std::map<uint64_t, json> rows_by_seq(const json& result) {
  std::map<uint64_t, json> out;
  for (auto& row : result["rows"]) out[row["seq"].get<uint64_t>()] = row;
  return out;
}

}  // namespace

TEST_CASE("report: the demo's page opens in Chromium with no console error, loads nothing, shows map summary's money in, and proves every payment it lists") {
  TempDir t;
  fs::path demo = t.path / "demo", page = t.path / "riverside.html";
  RunOptions as_demo;
  as_demo.env["FUNDTRAIL_PASSPHRASE"] = kDemoPass;
  REQUIRE(ft_raw({"demo", demo.string()}, as_demo).code == 0);
  RunResult cp = ft_raw({"--ledger", demo.string(), "checkpoint"}, as_demo);
  INFO(cp);
  REQUIRE(cp.code == 0);
  RunResult made = ft_raw({"--ledger", demo.string(), "report", "--html", page.string()});
  INFO(made);
  REQUIRE(made.code == 0);
  CHECK(contains(made.err, "payments proved against the checkpoint"));
  json summary = json::parse(ft_raw({"--ledger", demo.string(), "map", "summary", "--json"}).out);
  REQUIRE(summary.contains("money_in_minor"));
  json data = page_data(read_file(page));
  REQUIRE(data["payments"].size() > 10);
  CHECK(data["summary"] == summary);  // the page's figures are map summary's

  Browser browser;
  json result = opened_and_proved(browser, page, data);
  INFO(result.dump());
  CHECK(result["money_in_minor"] == summary["money_in_minor"]);
  // What a reader sees: the headline figure and the verifier's verdict beside the page's own.
  CHECK(browser.run("return document.getElementById('fig-money-in').dataset.minor") == std::to_string(summary["money_in_minor"].get<int64_t>()));
  // Every headline figure as the reader sees it, against map summary --json.
  json cards = browser.run("return [...document.querySelectorAll('.figure')].map(f => [f.querySelector('.label').textContent, Number(f.dataset.minor)])");
  std::map<std::string, int64_t> shown;
  for (auto& c : cards) shown[c[0].get<std::string>()] = c[1].get<int64_t>();
  CHECK(shown["Money in"] == summary["money_in_minor"].get<int64_t>());
  CHECK(shown["Management fees"] == summary["management_fees_minor"].get<int64_t>());
  REQUIRE(!summary["where_it_is"].empty());
  int64_t where_total = 0;
  for (auto& [group, v] : summary["where_it_is"].items()) {
    CHECK_MESSAGE(shown["Now " + group] == v["amount_minor"].get<int64_t>(), group);
    where_total += v["amount_minor"].get<int64_t>();
  }
  CHECK(where_total == summary["money_in_minor"].get<int64_t>());  // the page's own note says they add up
  int64_t prefinanced = 0;
  for (auto& p : summary["prefinancing"]) prefinanced += p["prefinanced_minor"].get<int64_t>();
  CHECK(shown["Pre-financed"] == prefinanced);
  CHECK(contains(browser.run("return document.getElementById('proof-status').textContent").get<std::string>(),
                 std::to_string(data["payments"].size()) + " of " + std::to_string(data["payments"].size()) + " payments"));
  CHECK(contains(browser.run("return document.getElementById('verifier-status').textContent").get<std::string>(), "PASS"));
  // Nothing was fetched: no resource entries at all (styles and scripts are inline).
  CHECK(browser.run("return performance.getEntriesByType('resource').length") == 0);

  SUBCASE("one byte flipped in one embedded record fails that row, and only that row") {
    json tampered = data;
    json& victim = tampered["payments"][3];
    std::string leaf = b64_decode(victim["proof"]["leaf"].get<std::string>());
    leaf[leaf.size() / 2] = static_cast<char>(leaf[leaf.size() / 2] ^ 0x01);
    victim["proof"]["leaf"] = b64_encode(leaf);
    fs::path bad = t.path / "tampered.html";
    write_file(bad, with_data(read_file(page), tampered));
    json r = page_result(browser, bad);
    INFO(r.dump());
    auto rows = rows_by_seq(r);
    uint64_t seq = victim["seq"].get<uint64_t>();
    CHECK(rows[seq]["status"] == "failed");
    CHECK(contains(rows[seq]["why"].get<std::string>(), "not in the log"));
    for (auto& [s, row] : rows)
      if (s != seq) CHECK_MESSAGE(row["status"] == "verified", row.dump());
    std::string cell = browser.run("return document.querySelector('#pay-" + std::to_string(seq) + " [data-status]').textContent");
    CHECK(contains(cell, "FAILED"));
    CHECK(console_errors(browser).empty());
  }

  SUBCASE("a row that says another amount than its signed record fails") {
    json tampered = data;
    tampered["payments"][0]["amount_minor"] = tampered["payments"][0]["amount_minor"].get<int64_t>() + 100;
    fs::path bad = t.path / "relabelled.html";
    write_file(bad, with_data(read_file(page), tampered));
    json r = page_result(browser, bad);
    auto rows = rows_by_seq(r);
    json row = rows[tampered["payments"][0]["seq"].get<uint64_t>()];
    CHECK(row["status"] == "failed");
    CHECK(contains(row["why"].get<std::string>(), "the record says"));
  }

  SUBCASE("a checkpoint with its signature broken proves nothing") {
    json tampered = data;
    std::string note = tampered["proof"]["checkpoint"];
    note[note.find('\n') + 1] = note[note.find('\n') + 1] == '8' ? '7' : '8';  // the size line
    tampered["proof"]["checkpoint"] = note;
    fs::path bad = t.path / "forged-checkpoint.html";
    write_file(bad, with_data(read_file(page), tampered));
    json r = page_result(browser, bad);
    CHECK(r["checkpoint"]["ok"] == false);
    for (auto& row : r["rows"]) CHECK(row["status"] == "failed");
    CHECK(contains(browser.run("return document.getElementById('proof-status').textContent").get<std::string>(), "does not verify"));
  }
}

TEST_CASE("report: payments of a payment run are proved with the run's signatures and their path to its root") {
  Books b;
  write_file(b.file("april.csv"),
             "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key\n"
             "contribution,council,pool,250.00,GBP,2025-04-05,,,,,,,,S75 top-up,,\n"
             "payment,pool,ace,120.00,,2025-04-06,block,,,,,,,,Q1 block,\n"
             "payment,ace,hope,50.00,GBP,2025-04-07,fee,,,,,,,,,\n");
  RunResult imported = b.ok({"import", b.file("april.csv"), "--key", b.key("council"), "--key", b.key("pool"), "--key", b.key("ace")});
  REQUIRE(contains(imported.err, "1 payment run"));
  b.ok({"checkpoint"});
  fs::path page = b.root / "april.html";
  b.ok({"report", "--html", page.string()});
  json data = page_data(read_file(page));
  size_t batched = 0;
  for (auto& p : data["payments"]) batched += p["proof"].contains("batch");
  REQUIRE(batched == 3);  // the three rows of the run

  Browser browser;
  json result = opened_and_proved(browser, page, data);
  INFO(result.dump());
  std::string shown = browser.run("return document.getElementById('payment-table').textContent");
  CHECK(contains(shown, "approved in the payment run of seq"));

  SUBCASE("a byte flipped in the run's batch record fails every payment of the run") {
    json tampered = data;
    std::string key = tampered["batches"].begin().key();
    std::string leaf = b64_decode(tampered["batches"][key]["leaf"].get<std::string>());
    leaf[leaf.size() - 5] = static_cast<char>(leaf[leaf.size() - 5] ^ 0x40);
    tampered["batches"][key]["leaf"] = b64_encode(leaf);
    fs::path bad = b.root / "tampered-run.html";
    write_file(bad, with_data(read_file(page), tampered));
    json r = page_result(browser, bad);
    INFO(r.dump());
    size_t failed = 0;
    for (auto& row : r["rows"]) failed += row["status"] == "failed";
    CHECK(failed == batched);
  }
}

TEST_CASE("report: with no checkpoint the page says so and proves nothing, and another log's checkpoint is refused") {
  Books b;
  fs::path page = b.root / "plain.html";
  RunResult made = b.ok({"report", "--html", page.string()});
  CHECK(contains(made.err, "no checkpoint issued"));
  json data = page_data(read_file(page));
  CHECK(data["proof"]["checkpoint"].is_null());
  Browser browser;
  json r = page_result(browser, page);
  CHECK(r["checkpoint"]["ok"] == false);
  for (auto& row : r["rows"]) CHECK(row["status"] == "unproved");
  CHECK(contains(browser.run("return document.getElementById('proof-status').textContent").get<std::string>(), "No checkpoint"));
  CHECK(console_errors(browser).empty());

  // A checkpoint of another ledger (the demo's) is not this log's: refused, nothing written.
  TempDir t;
  RunOptions as_demo;
  as_demo.env["FUNDTRAIL_PASSPHRASE"] = kDemoPass;
  REQUIRE(ft_raw({"demo", (t.path / "demo").string()}, as_demo).code == 0);
  RunResult cp = ft_raw({"--ledger", (t.path / "demo").string(), "checkpoint"}, as_demo);
  REQUIRE(cp.code == 0);
  write_file(t.path / "demo-cp.txt", cp.out);
  fs::path other = b.root / "other.html";
  RunResult refused = b.ft({"report", "--html", other.string(), "--checkpoint", (t.path / "demo-cp.txt").string()});
  INFO(refused);
  CHECK(refused.code == 2);
  CHECK(contains(refused.err, "not one of this ledger's log"));
  CHECK_FALSE(fs::exists(other));
}

namespace {

// A month of the Books ledger's money in one import: a contribution and 150
// small payments on each of two dates a month apart (all distinct amounts,
// under the dual-control threshold). Returns every amount the ledger now
// holds, in minor units, the Books' own 5,000.00 contribution included.
std::vector<int64_t> import_two_months(const Books& b) {
  std::string csv = "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key\n";
  std::vector<int64_t> amounts{500000};
  auto money = [](int64_t minor) { return std::to_string(minor / 100) + "." + (minor % 100 < 10 ? "0" : "") + std::to_string(minor % 100); };
  auto add = [&](const std::string& kind, const std::string& from, const std::string& to, int64_t minor, const std::string& date) {
    csv += kind + "," + from + "," + to + "," + money(minor) + ",GBP," + date + "," + (kind == "payment" ? "block" : "") +
           ",,,,,,,row " + std::to_string(amounts.size()) + ",,\n";
    amounts.push_back(minor);
  };
  add("contribution", "council", "pool", 50000, "2025-04-05");
  for (int i = 0; i < 150; ++i) add("payment", "pool", "ace", 100 + 2 * i, "2025-04-10");
  add("contribution", "council", "pool", 60000, "2025-05-01");
  for (int i = 0; i < 150; ++i) add("payment", "pool", "ace", 101 + 2 * i, "2025-05-10");
  write_file(b.file("two-months.csv"), csv);
  b.ok({"import", b.file("two-months.csv"), "--key", b.key("council"), "--key", b.key("pool")});
  b.ok({"checkpoint"});
  return amounts;
}

std::multiset<int64_t> listed_amounts(const json& data) {
  std::multiset<int64_t> out;
  for (auto& p : data["payments"]) out.insert(p["amount_minor"].get<int64_t>());
  return out;
}

}  // namespace

TEST_CASE("report: past 250 payments the page lists the 250 largest, says how many there are, and proves each") {
  Books b;
  std::vector<int64_t> amounts = import_two_months(b);
  fs::path page = b.root / "cut.html";
  b.ok({"report", "--html", page.string()});
  json data = page_data(read_file(page));
  REQUIRE(amounts.size() == 303);
  CHECK(data["payments_total"] == amounts.size());
  REQUIRE(data["payments"].size() == 250);
  // What looks wrong names no payment here, so the 250 are the largest.
  for (auto& g : data["gaps"]) CHECK_MESSAGE(!g.contains("seq"), g.dump());
  std::vector<int64_t> largest = amounts;
  std::sort(largest.begin(), largest.end(), std::greater<>());
  largest.resize(250);
  CHECK(listed_amounts(data) == std::multiset<int64_t>(largest.begin(), largest.end()));

  Browser browser;
  json result = opened_and_proved(browser, page, data);
  INFO(result.dump());
  CHECK(result["rows"].size() == 250);
  CHECK(browser.run("return document.querySelectorAll('#payment-table tbody tr').length") == 250);
  CHECK(contains(browser.run("return document.querySelector('#payment-table caption').textContent").get<std::string>(),
                 "250 of 303 payments"));
  CHECK(contains(browser.run("return document.getElementById('proof-status').textContent").get<std::string>(), "250 of 250 payments"));
}

TEST_CASE("report: --as-of shows the money as of that date and lists only its payments, proved against the latest checkpoint") {
  Books b;
  std::vector<int64_t> amounts = import_two_months(b);
  fs::path page = b.root / "april.html";
  b.ok({"report", "--html", page.string(), "--as-of", "2025-04-30"});
  json data = page_data(read_file(page));
  json april = b.ok_json({"map", "summary", "--as-of", "2025-04-30", "--json"});
  json now = b.ok_json({"map", "summary", "--json"});
  CHECK(data["summary"] == april);
  CHECK(april["money_in_minor"] == 500000 + 50000);  // the May contribution not yet
  CHECK(now["money_in_minor"] == 500000 + 50000 + 60000);
  CHECK(data["payments_total"] == 152);  // two contributions and April's 150 payments
  REQUIRE(data["payments"].size() == 152);
  for (auto& p : data["payments"]) CHECK_MESSAGE(p["date"].get<int64_t>() <= 20250430, p.dump());
  CHECK(data["records"].get<uint64_t>() > 300);  // the whole ledger, whose checkpoint proves them

  Browser browser;
  json result = opened_and_proved(browser, page, data);
  INFO(result.dump());
  CHECK(result["money_in_minor"] == april["money_in_minor"]);
  CHECK(browser.run("return document.getElementById('fig-money-in').dataset.minor") == std::to_string(april["money_in_minor"].get<int64_t>()));
  CHECK(contains(browser.run("return document.getElementById('subtitle').textContent").get<std::string>(), "as of 2025-04-30"));
  CHECK(result["rows"].size() == 152);
}
