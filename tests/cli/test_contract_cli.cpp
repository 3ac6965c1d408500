// Contracts and payment by results through the built `fundtrail` binary:
// contract agree (with a --schedule CSV), pay --contract, contract show/list/
// vary/end, party status, claim-id; bad schedule files and unknown contracts
// refused with nothing written; and the demo's `contract show` figures,
// worked out by hand from the scenario in cli/cmd_demo.cpp.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run.h"

namespace {

namespace fs = std::filesystem;
using fundtrail::test::RunOptions;
using fundtrail::test::RunResult;
using nlohmann::json;

const std::string kFt = FUNDTRAIL_BIN;
const std::string kPassphrase = "contract tests passphrase";

bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

std::string describe(const std::vector<std::string>& args, const RunResult& r) {
  std::string s = "fundtrail";
  for (auto& a : args) s += " " + a;
  std::ostringstream os;
  os << s << "\n" << r;
  return os.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

struct Scratch {
  fs::path path;
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "fundtrail-contracts-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

// fundtrail with FUNDTRAIL_PASSPHRASE set (run() drops every other FUNDTRAIL_*).
RunResult ft(const std::vector<std::string>& args, double timeout_s = 60) {
  RunOptions o;
  o.env["FUNDTRAIL_PASSPHRASE"] = kPassphrase;
  o.timeout_s = timeout_s;
  return fundtrail::test::run(kFt, args, o);
}

// A small ledger made by the binary (each signed command costs an Argon2id
// unlock, ~0.1-0.4 s, so the tests keep to the commands that matter):
//   parties council (commissioner), ace (integrator), hope (provider,
//   budget-limited), newstart (provider); officer keys for council, ace, hope.
//   Minimal: council and ace only, and only council's officer key.
struct Books {
  Scratch tmp;
  fs::path dir = tmp.path / "books";
  fs::path keys = tmp.path / "keys";

  std::string key(const std::string& name) const { return (keys / (name + ".key")).string(); }
  std::string file(const std::string& name) const { return (tmp.path / name).string(); }

  RunResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--ledger", dir.string()});
    return ft(args);
  }
  RunResult ok(const std::vector<std::string>& args) const {
    RunResult r = run(args);
    INFO(describe(args, r));
    REQUIRE(r.code == 0);
    return r;
  }
  uint64_t seq_of(const std::vector<std::string>& args) const {
    RunResult r = ok(args);
    return std::stoull(r.out);
  }
  json ok_json(const std::vector<std::string>& args) const {
    RunResult r = ok(args);
    INFO(r.out);
    REQUIRE(json::accept(r.out));
    return json::parse(r.out);
  }
  // What a refused command must leave as it was: every record, and the file.
  std::pair<std::string, uintmax_t> state() const { return {ok({"log", "--json"}).out, fs::file_size(dir / "data.mdb")}; }

  // The command fails with `code`, says each of `why` on stderr, prints
  // nothing on stdout and writes nothing.
  void refused(const std::vector<std::string>& args, int code, const std::vector<std::string>& why) const {
    auto before = state();
    RunResult r = run(args);
    INFO(describe(args, r));
    CHECK(r.code == code);
    for (auto& w : why) CHECK_MESSAGE(has(r.err, w), "stderr lacks: " << w);
    CHECK(r.out.empty());
    CHECK(state() == before);
  }

  explicit Books(bool minimal = false) {
    fs::create_directories(keys);
    std::vector<std::string> names{"admin", "council"};
    if (!minimal) names.insert(names.end(), {"ace", "hope"});
    for (auto& n : names) {
      std::vector<std::string> a{"key", "generate", key(n), "--kdf", "interactive"};
      RunResult r = ft(a);
      INFO(describe(a, r));
      REQUIRE(r.code == 0);
    }
    std::vector<std::string> init{"init", dir.string(), "--origin", "contracts.test.fundtrail.example/books", "--currency",
                                  "GBP", "--dual-control", "100000.00", "--key", key("admin"), "--kdf", "interactive"};
    RunResult r = ft(init);
    INFO(describe(init, r));
    REQUIRE(r.code == 0);
    std::string a = key("admin");
    ok({"party", "add", "council", "--name", "Riverside Council", "--kind", "commissioner", "--sector", "public", "--key", a});
    ok({"party", "add", "ace", "--name", "ACE Integrator Ltd", "--kind", "integrator", "--sector", "private", "--key", a});
    ok({"grant-key", "council", key("council"), "--role", "officer", "--key", a});
    if (minimal) return;
    ok({"party", "add", "hope", "--name", "Hope Works", "--kind", "provider", "--sector", "voluntary", "--budget-limited",
        "--key", a});
    ok({"party", "add", "newstart", "--name", "NewStart CIC", "--kind", "provider", "--key", a});
    ok({"grant-key", "ace", key("ace"), "--role", "officer", "--key", a});
    ok({"grant-key", "hope", key("hope"), "--role", "officer", "--key", a});
  }
};

const char* kHeadCsv =
    "milestone,group,unit_price,financed_by\n"
    "26 weeks,jsa,400.00,payer\n"
    "26 weeks,,300.00,payer\n";
const char* kSubCsv =
    "milestone,group,unit_price,financed_by\n"
    "start,jsa,50.00,payer\n"
    "job entry,jsa,100.00,payer\n"
    "26 weeks,jsa,250.00,parent\n";

// HEAD: council -> ace, cap 10,000.00, a pure integrator with a 5% fee cap.
// SUB:  ace -> hope under HEAD, cap 3,000.00.
void agree_head_and_sub(const Books& b) {
  write_text(b.file("head.csv"), kHeadCsv);
  write_text(b.file("sub.csv"), kSubCsv);
  b.ok({"contract", "agree", "HEAD", "--payer", "council", "--payee", "ace", "--subject", "employment support", "--from",
        "2025-04-01", "--to", "2027-03-31", "--cap", "10000.00", "--model", "pure", "--fee-cap", "5", "--schedule",
        b.file("head.csv"), "--key", b.key("council")});
  b.ok({"contract", "agree", "SUB", "--payer", "ace", "--payee", "hope", "--subject", "employment support", "--from",
        "2025-04-01", "--to", "2027-03-31", "--cap", "3000.00", "--parent", "HEAD", "--schedule", b.file("sub.csv"), "--key",
        b.key("ace")});
}

std::string hmac_hex(const std::string& salt, const std::string& msg) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(salt.data()), salt.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()), msg.size());
  crypto_auth_hmacsha256_final(&st, mac);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : mac) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

const json* milestone_row(const json& report, const std::string& milestone, const std::string& group) {
  for (auto& m : report["milestones"])
    if (m["milestone"] == milestone && m["group"] == group) return &m;
  return nullptr;
}

}  // namespace

TEST_CASE("contracts end to end: agree with a schedule, pay by results, show, list, vary, status, end") {
  Books b;
  agree_head_and_sub(b);
  // Claim ids from the partnership's salt, never the participants' references.
  std::string salt = b.file("partnership.salt");
  write_text(salt, std::string("0123456789abcdef0123456789abcdef"));
  auto claim = [&](const std::string& who) {
    RunResult r = ft({"claim-id", "--salt-file", salt, who});
    REQUIRE(r.code == 0);
    return r.out.substr(0, r.out.size() - 1);
  };
  std::string p1 = claim("JS-0001"), p2 = claim("JS-0002"), p3 = claim("JS-0003"), p4 = claim("JS-0004");
  CHECK(p1.size() == 64);
  CHECK(p1 != p2);

  auto ace_pays = [&](std::vector<std::string> more) {
    std::vector<std::string> a{"pay", "--from", "ace", "--to", "hope", "--contract", "SUB", "--key", b.key("ace")};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  uint64_t block = b.seq_of({"pay", "--from", "council", "--to", "ace", "--amount", "1000.00", "--mechanism", "block",
                             "--contract", "HEAD", "--date", "2025-04-10", "--key", b.key("council")});
  b.ok(ace_pays({"--amount", "500.00", "--mechanism", "upfront", "--date", "2025-04-15", "--funded-by", std::to_string(block)}));
  b.ok(ace_pays({"--amount", "150.00", "--mechanism", "milestone", "--milestone", "start", "--group", "jsa", "--count", "3",
                 "--claim", p1, "--claim", p2, "--claim", p3, "--date", "2025-05-30"}));
  b.ok(ace_pays({"--amount", "200.00", "--mechanism", "milestone", "--milestone", "job entry", "--group", "jsa", "--count", "2",
                 "--claim", p1, "--claim", p2, "--funded-by", "own", "--date", "2025-07-31"}));
  uint64_t outcome = b.seq_of({"pay", "--from", "council", "--to", "ace", "--amount", "400.00", "--mechanism", "milestone",
                               "--milestone", "26 weeks", "--group", "jsa", "--count", "1", "--claim", p1, "--contract",
                               "HEAD", "--date", "2026-01-31", "--key", b.key("council")});
  b.ok(ace_pays({"--amount", "250.00", "--mechanism", "milestone", "--milestone", "26 weeks", "--group", "jsa", "--count", "1",
                 "--claim", p1, "--funded-by", std::to_string(outcome), "--date", "2026-02-05"}));

  // The payment records carry the claim ids, never the references.
  std::string log = b.ok({"log", "--json"}).out;
  CHECK(has(log, p1));
  CHECK_FALSE(has(log, "JS-0001"));

  // Refused by rule 9 or 10, nothing written.
  b.refused(ace_pays({"--amount", "49.99", "--mechanism", "milestone", "--milestone", "start", "--group", "jsa", "--count", "1",
                      "--claim", p4, "--date", "2025-06-01"}),
            1, {"rule 9:", "1 outcomes make 50.00, not 49.99"});
  b.refused(ace_pays({"--amount", "150.00", "--mechanism", "milestone", "--milestone", "13 weeks", "--group", "jsa", "--count", "1",
                      "--date", "2025-06-01"}),
            1, {"rule 9:", "no row for milestone '13 weeks'"});
  b.refused(ace_pays({"--amount", "50.00", "--mechanism", "milestone", "--milestone", "start", "--group", "esa", "--count", "1",
                      "--date", "2025-06-01"}),
            1, {"rule 9:", "group 'esa'"});
  b.refused(ace_pays({"--amount", "1900.01", "--mechanism", "block", "--date", "2025-06-01"}), 1, {"rule 9:", "over its cap of 3000.00"});
  b.refused(ace_pays({"--amount", "10.00", "--mechanism", "block", "--date", "2025-03-31"}), 1, {"rule 9:", "outside contract 'SUB'"});
  b.refused({"pay", "--from", "council", "--to", "hope", "--amount", "10.00", "--mechanism", "block", "--contract", "SUB", "--date",
             "2025-06-01", "--key", b.key("council")},
            1, {"rule 9:", "between 'ace' and 'hope'"});
  b.refused(ace_pays({"--amount", "50.00", "--mechanism", "milestone", "--milestone", "start", "--group", "jsa", "--count", "1",
                      "--claim", p1, "--date", "2025-06-01"}),
            1, {"rule 10:", "already paid under contract 'SUB'"});
  // (Every case of rules 9-11 is in tests/unit/test_contract_rules.cpp; here one of each kind.)

  // contract show --json, by hand: 500 upfront (passed down from the block)
  // + 150 starts + 200 job entries (both the payer's money) + 250 at 26 weeks
  // (passed down from the outcome payment) = 1,100.00 of 3,000.00.
  json sub = b.ok_json({"contract", "show", "SUB", "--json"});
  CHECK(sub["reference"] == "SUB");
  CHECK(sub["payer"] == "ace");
  CHECK(sub["payee"] == "hope");
  CHECK(sub["parent"] == "HEAD");
  CHECK(sub["from"] == "2025-04-01");
  CHECK(sub["to"] == "2027-03-31");
  CHECK(sub["ended"] == false);
  CHECK(sub["committed"] == "3000.00");
  CHECK(sub["paid"] == "1100.00");
  CHECK(sub["paid_minor"] == 110000);
  CHECK(sub["remaining"] == "1900.00");
  CHECK(sub["payments"] == 4);
  CHECK(sub["outcome_paid"] == "600.00");
  CHECK(sub["outcome_share_percent"] == "54.54");  // 600 / 1,100 = 54.545...%, rounded down
  CHECK(sub["prefinanced"] == "350.00");
  CHECK(sub["prefinanced_by"] == "ace");
  CHECK(sub["passed_through"] == "750.00");
  CHECK(sub["management_fees"] == "0.00");
  REQUIRE(sub["milestones"].size() == 3);
  CHECK(sub["milestones"][0]["milestone"] == "26 weeks");  // sorted by milestone, then group
  const json* start = milestone_row(sub, "start", "jsa");
  REQUIRE(start);
  CHECK((*start)["outcomes"] == 3);
  CHECK((*start)["amount"] == "150.00");
  const json* entry = milestone_row(sub, "job entry", "jsa");
  REQUIRE(entry);
  CHECK((*entry)["outcomes"] == 2);
  CHECK((*entry)["amount"] == "200.00");
  const json* w26 = milestone_row(sub, "26 weeks", "jsa");
  REQUIRE(w26);
  CHECK((*w26)["outcomes"] == 1);
  CHECK((*w26)["amount"] == "250.00");

  json head = b.ok_json({"contract", "show", "HEAD", "--json"});
  CHECK(head["model"] == "pure");
  CHECK(head["paid"] == "1400.00");
  CHECK(head["remaining"] == "8600.00");
  CHECK(head["outcome_share_percent"] == "28.57");  // 400 / 1,400
  CHECK(head["prefinanced"] == "0.00");
  CHECK(head["prefinanced_by"] == "");

  std::string text = b.ok({"contract", "show", "SUB"}).out;
  CHECK(has(text, "contract SUB: ace -> hope"));
  CHECK(has(text, "under HEAD"));
  CHECK(has(text, "remaining    GBP 1900.00"));
  CHECK(has(text, "pre-financed GBP 350.00 by ace"));
  CHECK(has(text, "passed down  GBP 750.00"));
  CHECK(has(text, "54.54%"));

  // contract list
  json list = b.ok_json({"contract", "list", "--json"});
  REQUIRE(list.size() == 2);
  CHECK(list[0]["reference"] == "HEAD");
  CHECK(list[0]["paid"] == "1400.00");
  CHECK(list[0]["cap"] == "10000.00");
  CHECK(list[1]["reference"] == "SUB");
  CHECK(list[1]["parent"] == "HEAD");
  CHECK(list[1]["paid"] == "1100.00");
  CHECK(list[1]["ended"] == false);
  std::string list_text = b.ok({"contract", "list"}).out;
  CHECK(has(list_text, "SUB\tace -> hope\tpaid 1100.00\tcap 3000.00"));

  // contract vary: a cap below what was paid is refused; a new cap, end and schedule are taken.
  b.refused({"contract", "vary", "SUB", "--cap", "1099.99", "--reason", "cut", "--key", b.key("ace")}, 1,
            {"rule 2:", "below what was already paid, 1100.00"});
  b.refused({"contract", "vary", "SUB", "--reason", "nothing", "--key", b.key("ace")}, 2, {"--cap"});
  write_text(b.file("sub2.csv"),
             "milestone,group,unit_price,financed_by\nstart,jsa,60.00,payer\n26 weeks,jsa,250.00,parent\n");
  b.ok({"contract", "vary", "SUB", "--cap", "4000.00", "--to", "2027-12-31", "--schedule", b.file("sub2.csv"), "--reason",
        "caseload up, start fee raised", "--key", b.key("ace")});
  b.ok(ace_pays({"--amount", "60.00", "--mechanism", "milestone", "--milestone", "start", "--group", "jsa", "--count", "1",
                 "--claim", p4, "--date", "2025-09-01"}));
  b.ok(ace_pays({"--amount", "10.00", "--mechanism", "block", "--date", "2027-12-31", "--future-date"}));  // the varied end date
  sub = b.ok_json({"contract", "show", "SUB", "--json"});
  CHECK(sub["committed"] == "4000.00");
  CHECK(sub["to"] == "2027-12-31");
  CHECK(sub["paid"] == "1170.00");
  CHECK(sub["remaining"] == "2830.00");
  CHECK(milestone_row(sub, "start", "jsa")->at("outcomes") == 4);
  CHECK(sub["prefinanced"] == "410.00");

  // party status: hope fails; it receives only support, and may still pay.
  b.ok({"party", "status", "hope", "--status", "financial-failure", "--from", "2025-11-14", "--note", "entered administration",
        "--key", b.key("admin")});
  b.refused({"party", "status", "hope", "--status", "broke", "--from", "2025-11-14", "--key", b.key("admin")}, 2, {"broke"});
  b.refused(ace_pays({"--amount", "10.00", "--mechanism", "block", "--date", "2025-11-20"}), 1,
            {"rule 11:", "'hope' has status financial-failure", "support"});
  b.ok(ace_pays({"--amount", "100.00", "--mechanism", "support", "--date", "2025-11-20", "--memo", "rescue: wages"}));
  b.ok({"pay", "--from", "hope", "--to", "ace", "--amount", "50.00", "--mechanism", "clawback", "--date", "2025-11-21", "--key",
        b.key("hope")});
  b.ok({"party", "status", "hope", "--status", "active", "--from", "2026-01-01", "--key", b.key("admin")});
  b.ok(ace_pays({"--amount", "10.00", "--mechanism", "block", "--date", "2026-01-05"}));

  // contract end: transferred names its successor.
  b.refused({"contract", "end", "SUB", "--reason", "transferred", "--key", b.key("ace")}, 1, {"rule 2:", "successor"});
  b.refused({"contract", "end", "SUB", "--reason", "lost", "--key", b.key("ace")}, 2, {"lost"});
  b.ok({"contract", "end", "SUB", "--reason", "transferred", "--to", "newstart", "--date", "2026-01-31", "--key", b.key("ace")});
  b.refused(ace_pays({"--amount", "10.00", "--mechanism", "block", "--date", "2026-01-20"}), 1, {"rule 9:", "has ended"});
  b.refused({"contract", "vary", "SUB", "--cap", "5000.00", "--reason", "too late", "--key", b.key("ace")}, 1,
            {"rule 2:", "has ended and cannot be varied"});
  // The successor's contract is its own, under the same head contract.
  b.ok({"contract", "agree", "SUB-NEWSTART", "--payer", "ace", "--payee", "newstart", "--subject", "employment support (transferred)",
        "--from", "2026-02-01", "--parent", "HEAD", "--schedule", b.file("sub2.csv"), "--key", b.key("ace")});

  json ended = b.ok_json({"contract", "show", "SUB", "--json"});
  CHECK(ended["ended"] == true);
  CHECK(ended["paid"] == "1280.00");  // 1,170 + 100 support + 10
  list = b.ok_json({"contract", "list", "--json"});
  REQUIRE(list.size() == 3);
  CHECK(list[1]["reference"] == "SUB");
  CHECK(list[1]["ended"] == true);
  CHECK(has(b.ok({"contract", "list"}).out, "\tended"));

  // The log describes the new record kinds.
  json records = b.ok_json({"log", "--json"});
  std::map<std::string, json> last;
  for (auto& r : records) last[r["kind"].get<std::string>()] = r;
  CHECK(last["contractAgreed"]["body"]["reference"] == "SUB-NEWSTART");
  CHECK(last["contractAgreed"]["body"]["schedule"].size() == 2);
  CHECK(last["contractAgreed"]["body"]["schedule"][1]["financed_by"] == "parent");
  CHECK(last["contractVaried"]["body"]["new_cap"] == "4000.00");
  CHECK(last["contractEnded"]["body"]["successor"] == "newstart");
  CHECK(last["contractEnded"]["body"]["reason"] == "transferred");
  CHECK(last["partyStatusChanged"]["body"]["status"] == "active");
}

TEST_CASE("contracts: bad schedule files and unknown contracts are refused, nothing written") {
  Books b(true);
  auto agree = [&](const std::string& ref, const std::string& csv, std::vector<std::string> more = {}) {
    std::vector<std::string> a{"contract", "agree", ref, "--payer", "council", "--payee", "ace", "--subject", "employment support",
                               "--from", "2025-04-01", "--schedule", csv, "--key", b.key("council")};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  auto bad = [&](const std::string& name, const std::string& content) {
    std::string path = b.file(name);
    write_text(path, content);
    return path;
  };
  const std::string header = "milestone,group,unit_price,financed_by\n";
  {  // usage errors (exit 2) naming the file and line
    std::string f = bad("no-col.csv", "milestone,group,unit_price\nstart,jsa,50.00\n");
    b.refused(agree("C1", f), 2, {f + ": line 1:", "milestone,group,unit_price,financed_by"});
    f = bad("short-row.csv", header + "start,jsa,50.00,payer\njob entry,jsa,100.00\n");
    b.refused(agree("C1", f), 2, {f + ": line 3:", "3 cells"});
    f = bad("price-word.csv", header + "start,jsa,fifty,payer\n");
    b.refused(agree("C1", f), 2, {f + ": line 2:", "unit_price 'fifty'"});
    f = bad("price-decimals.csv", header + "start,jsa,50.00,payer\njob entry,jsa,100.001,payer\n");
    b.refused(agree("C1", f), 2, {f + ": line 3:", "unit_price '100.001'"});
    f = bad("price-negative.csv", header + "start,jsa,-5.00,payer\n");
    b.refused(agree("C1", f), 2, {f + ": line 2:", "unit_price '-5.00'"});
    f = bad("price-space.csv", header + "start,jsa, 50.00,payer\n");
    b.refused(agree("C1", f), 2, {f + ": line 2:"});
    f = bad("financed.csv", header + "start,jsa,50.00,payer\n26 weeks,jsa,250.00,provider\n");
    b.refused(agree("C1", f), 2, {f + ": line 3:", "financed_by 'provider'", "payer or parent"});
    f = bad("quote.csv", header + "start,\"jsa,50.00,payer\n");
    b.refused(agree("C1", f), 2, {f});
    b.refused(agree("C1", b.file("missing.csv")), 2, {"missing.csv"});
    // the same on a variation
    b.ok(agree("C2", bad("good.csv", header + "start,jsa,50.00,payer\n")));
    f = bad("vary-bad.csv", header + "start,jsa,50.00,someone\n");
    b.refused({"contract", "vary", "C2", "--schedule", f, "--reason", "new prices", "--key", b.key("council")}, 2,
              {f + ": line 2:", "financed_by 'someone'"});
  }
  {  // schedules the ledger refuses (rule 2, exit 1)
    b.refused(agree("C1", bad("price-zero.csv", header + "start,jsa,50.00,payer\nstart,,0.00,payer\n")), 1,
              {"rule 2:", "needs a positive unit price"});
    b.refused(agree("C1", bad("dup.csv", header + "start,jsa,50.00,payer\nstart,jsa,60.00,payer\n")), 1, {"rule 2:", "given twice"});
    b.refused(agree("C1", bad("parent.csv", header + "26 weeks,jsa,250.00,parent\n")), 1, {"rule 2:", "has no parent"});
    b.refused(agree("C1", bad("ok.csv", header + "start,jsa,50.00,payer\n"), {"--parent", "NO-SUCH"}), 1, {"rule 2:", "'NO-SUCH'"});
    // one day, a header with no rows, and the same milestone for two groups plus none are fine
    b.ok(agree("C1", bad("groups.csv", header + "start,jsa,50.00,payer\nstart,esa,70.00,payer\nstart,,40.00,payer\n"),
               {"--to", "2025-04-01"}));
    b.ok(agree("C3", bad("header-only.csv", header)));
    b.refused(agree("C1", b.file("ok.csv")), 1, {"rule 2:", "already used"});
    RunResult again = b.run(agree("C2", b.file("ok.csv")));  // the very same request: a retry, not a second contract
    CHECK(again.code == 0);
    CHECK(has(again.err, "already recorded"));
    b.refused(agree("C2", b.file("groups.csv")), 1, {"rule 2:", "already used"});
  }
  {  // an unknown contract reference
    b.refused({"pay", "--from", "council", "--to", "ace", "--amount", "10.00", "--mechanism", "block", "--contract", "NOPE",
               "--key", b.key("council")},
              1, {"rule 9:", "no contract with reference 'NOPE'"});
    b.refused({"contract", "vary", "NOPE", "--cap", "10.00", "--reason", "r", "--key", b.key("council")}, 1,
              {"rule 2:", "'NOPE'"});
    b.refused({"contract", "end", "NOPE", "--reason", "completed", "--key", b.key("council")}, 1, {"rule 2:", "'NOPE'"});
    RunResult show = b.run({"contract", "show", "NOPE"});
    INFO(show);
    CHECK(show.code != 0);
    CHECK(has(show.err, "no contract with reference 'NOPE'"));
    CHECK(show.out.empty());
  }
}

TEST_CASE("claim-id: HMAC-SHA-256 of the reference under the partnership's salt") {
  Scratch t;
  std::string salt_text = "a partnership secret of 32 bytes";
  REQUIRE(salt_text.size() == 32);
  std::string salt = (t.path / "partnership.salt").string();
  write_text(salt, salt_text);
  RunResult a = ft({"claim-id", "--salt-file", salt, "JS-2025-00123"});
  RunResult again = ft({"claim-id", "--salt-file", salt, "JS-2025-00123"});
  INFO(a);
  REQUIRE(a.code == 0);
  CHECK(a.out == hmac_hex(salt_text, "JS-2025-00123") + "\n");
  CHECK(again.out == a.out);  // same reference, same salt: same id
  CHECK(a.err.empty());
  CHECK(ft({"claim-id", "--salt-file", salt, "JS-2025-00124"}).out != a.out);

  std::string other = (t.path / "other.salt").string();
  write_text(other, "another partnership, another key");
  CHECK(ft({"claim-id", "--salt-file", other, "JS-2025-00123"}).out != a.out);  // rotation: new ids

  // Any bytes will do (head -c 32 /dev/urandom), NUL bytes included.
  static const char raw[] = "\x00\xff\x10\x80 then more bytes";
  const std::string binary_salt(raw, sizeof raw - 1);
  std::string binary = (t.path / "binary.salt").string();
  write_text(binary, binary_salt);
  RunResult bin = ft({"claim-id", "--salt-file", binary, "JS-1"});
  CHECK(bin.code == 0);
  CHECK(bin.out == hmac_hex(binary_salt, "JS-1") + "\n");

  std::string exactly16 = (t.path / "sixteen.salt").string();
  write_text(exactly16, "0123456789abcdef");
  CHECK(ft({"claim-id", "--salt-file", exactly16, "JS-1"}).code == 0);

  std::string shorter = (t.path / "short.salt").string();
  write_text(shorter, "0123456789abcde");
  RunResult s = ft({"claim-id", "--salt-file", shorter, "JS-1"});
  INFO(s);
  CHECK(s.code == 2);
  CHECK(has(s.err, "15 bytes"));
  CHECK(has(s.err, "at least 16"));
  CHECK(s.out.empty());
  RunResult missing = ft({"claim-id", "--salt-file", (t.path / "absent.salt").string(), "JS-1"});
  CHECK(missing.code == 2);
  CHECK(missing.out.empty());
  CHECK(ft({"claim-id", "JS-1"}).code == 2);  // the salt file is required
}

// The demo's figures, worked out by hand from run_scenario() in cli/cmd_demo.cpp
// (amounts in pounds):
//   RIV-ES-HOPE (ace-integrator -> hope-charity under RIV-ES-HEAD, cap 150,000):
//     block 80,000 funded by the pool's block payment          passed through
//     start       jsa-18-24 12 x   500 =  6,000 (schedule: payer)   pre-financed
//     job entry   jsa-18-24  6 x 1,000 =  6,000 (payer)             pre-financed
//     13 weeks    jsa-18-24  4 x 1,500 =  6,000 (payer)             pre-financed
//     26 weeks    jsa-18-24  4 x 2,500 = 10,000 funded by the pool's outcome payment: passed through
//     paid 108,000; remaining 42,000; pre-financed 18,000 by ace-integrator;
//     passed through 90,000; on outcomes 28,000 / 108,000 = 25.92%
//   RIV-ES-HEAD (riverside-pool -> ace-integrator, cap 700,000, pure, fee cap 5%):
//     block 400,000; 26 weeks jsa-18-24 7 x 4,000 = 28,000; esa-wrag 2 x 6,000 = 12,000;
//     management fee 30,000: paid 470,000; remaining 230,000; on outcomes 40,000 = 8.51%
//   RIV-ES-SKILLSUP (cap 80,000; transferred): upfront 20,000 (passed through),
//     start 8 x 500 + job entry 4 x 1,000 = 8,000 (pre-financed), support 3,000 (own):
//     paid 31,000; remaining 49,000; on outcomes 8,000 = 25.80%
//   RIV-ES-NEWSTART (cap 60,000): upfront 12,000 + 13 weeks 2 x 1,500 = 15,000; 20.00%
//   RIV-ES-GREENWAY (cap 80,000): upfront 15,000 + esa-wrag starts 6 x 700 = 4,200 +
//     job entries 3 x 1,400 = 4,200 + 13 weeks 2 x 2,000 = 4,000 + 26 weeks 2 x 3,500 = 7,000:
//     paid 34,400; pre-financed 12,400; passed through 22,000; on outcomes 19,400 = 56.39%
//   RIV-ES-WORKWISE (cap 100,000): 25,000 + 5,000 + 5,000 + 4,500 + 7,500 = 47,000
//     (the refused second claim of hope-0 at 26 weeks is not in it); on outcomes 22,000 = 46.80%
//   DWP-WP-HEAD (department -> ace-integrator, no cap): sustained jsa-18-24 3 x 500 = 1,500; 100.00%
TEST_CASE("demo: contract show figures checked by hand against the scenario") {
  Scratch t;
  std::string dir = (t.path / "demo").string();
  RunResult demo = ft({"demo", dir}, 180);
  INFO(demo);
  REQUIRE(demo.code == 0);
  CHECK(has(demo.err, "refused as intended:  rule 10:"));
  auto show = [&](const std::string& ref) {
    RunResult r = ft({"--ledger", dir, "contract", "show", ref, "--json"});
    INFO(ref, "\n", r);
    REQUIRE(r.code == 0);
    return json::parse(r.out);
  };

  json hope = show("RIV-ES-HOPE");
  CHECK(hope["payer"] == "ace-integrator");
  CHECK(hope["payee"] == "hope-charity");
  CHECK(hope["parent"] == "RIV-ES-HEAD");
  CHECK(hope["committed"] == "150000.00");
  CHECK(hope["paid"] == "108000.00");
  CHECK(hope["remaining"] == "42000.00");
  CHECK(hope["payments"] == 5);
  CHECK(hope["prefinanced"] == "18000.00");
  CHECK(hope["prefinanced_by"] == "ace-integrator");
  CHECK(hope["passed_through"] == "90000.00");
  CHECK(hope["outcome_paid"] == "28000.00");
  CHECK(hope["outcome_share_percent"] == "25.92");
  CHECK(hope["management_fees"] == "0.00");
  REQUIRE(hope["milestones"].size() == 4);
  struct Want {
    const char* milestone;
    int outcomes;
    const char* amount;
  };
  for (Want w : {Want{"start", 12, "6000.00"}, Want{"job entry", 6, "6000.00"}, Want{"13 weeks", 4, "6000.00"},
                 Want{"26 weeks", 4, "10000.00"}}) {
    CAPTURE(w.milestone);
    const json* m = milestone_row(hope, w.milestone, "jsa-18-24");
    REQUIRE(m);
    CHECK((*m)["outcomes"] == w.outcomes);
    CHECK((*m)["amount"] == w.amount);
    CHECK((*m)["payments"] == 1);
  }

  json head = show("RIV-ES-HEAD");
  CHECK(head["payer"] == "riverside-pool");
  CHECK(head["model"] == "pure");
  CHECK(head["committed"] == "700000.00");
  CHECK(head["paid"] == "470000.00");
  CHECK(head["remaining"] == "230000.00");
  CHECK(head["payments"] == 4);
  CHECK(head["management_fees"] == "30000.00");
  CHECK(head["outcome_paid"] == "40000.00");
  CHECK(head["outcome_share_percent"] == "8.51");
  CHECK(head["prefinanced"] == "0.00");
  CHECK(head["passed_through"] == "0.00");
  REQUIRE(head["milestones"].size() == 2);
  CHECK(milestone_row(head, "26 weeks", "jsa-18-24")->at("outcomes") == 7);
  CHECK(milestone_row(head, "26 weeks", "jsa-18-24")->at("amount") == "28000.00");
  CHECK(milestone_row(head, "26 weeks", "esa-wrag")->at("outcomes") == 2);
  CHECK(milestone_row(head, "26 weeks", "esa-wrag")->at("amount") == "12000.00");

  json skillsup = show("RIV-ES-SKILLSUP");
  CHECK(skillsup["ended"] == true);
  CHECK(skillsup["paid"] == "31000.00");
  CHECK(skillsup["remaining"] == "49000.00");
  CHECK(skillsup["payments"] == 4);
  CHECK(skillsup["prefinanced"] == "8000.00");
  CHECK(skillsup["passed_through"] == "20000.00");
  CHECK(skillsup["outcome_share_percent"] == "25.80");

  json newstart = show("RIV-ES-NEWSTART");
  CHECK(newstart["paid"] == "15000.00");
  CHECK(newstart["remaining"] == "45000.00");
  CHECK(newstart["prefinanced"] == "3000.00");
  CHECK(newstart["passed_through"] == "12000.00");
  CHECK(newstart["outcome_share_percent"] == "20.00");

  json greenway = show("RIV-ES-GREENWAY");
  CHECK(greenway["paid"] == "34400.00");
  CHECK(greenway["remaining"] == "45600.00");
  CHECK(greenway["prefinanced"] == "12400.00");
  CHECK(greenway["passed_through"] == "22000.00");
  CHECK(greenway["outcome_share_percent"] == "56.39");
  CHECK(milestone_row(greenway, "26 weeks", "esa-wrag")->at("amount") == "7000.00");

  json workwise = show("RIV-ES-WORKWISE");
  CHECK(workwise["paid"] == "47000.00");
  CHECK(workwise["prefinanced"] == "14500.00");
  CHECK(workwise["passed_through"] == "32500.00");
  CHECK(workwise["outcome_share_percent"] == "46.80");
  CHECK(milestone_row(workwise, "26 weeks", "jsa-18-24")->at("outcomes") == 3);

  json dwp = show("DWP-WP-HEAD");
  CHECK(dwp["committed"].is_null());
  CHECK(dwp["remaining"].is_null());
  CHECK(dwp["paid"] == "1500.00");
  CHECK(dwp["outcome_share_percent"] == "100.00");

  // Every contract, and the record kinds the issue asks the demo to hold.
  RunResult list = ft({"--ledger", dir, "contract", "list", "--json"});
  REQUIRE(list.code == 0);
  json contracts = json::parse(list.out);
  std::map<std::string, json> by_ref;
  for (auto& c : contracts) by_ref[c["reference"].get<std::string>()] = c;
  CHECK(contracts.size() == 8);
  CHECK(by_ref["RIV-ES-BRIDGE"]["paid"] == "50000.00");
  CHECK(by_ref["RIV-ES-SKILLSUP"]["ended"] == true);
  CHECK(by_ref["RIV-ES-HOPE"]["paid"] == "108000.00");
  RunResult log = ft({"--ledger", dir, "log", "--json"});
  REQUIRE(log.code == 0);
  std::map<std::string, int> kinds;
  std::map<std::string, int> mechanisms;
  for (auto& r : json::parse(log.out)) {
    ++kinds[r["kind"].get<std::string>()];
    if (r["kind"] == "payment") ++mechanisms[r["body"]["mechanism"].get<std::string>()];
  }
  CHECK(kinds["contractAgreed"] == 8);
  CHECK(kinds["contractEnded"] == 1);
  CHECK(kinds["partyStatusChanged"] == 1);
  CHECK(kinds["contractVaried"] == 1);
  for (const char* m : {"block", "upfront", "milestone", "management-fee", "support", "clawback", "loan"}) {
    CAPTURE(m);
    CHECK(mechanisms[m] >= 1);
  }
  CHECK_FALSE(has(log.out, "\"hope-0\""));  // claim ids, never participants

  // Every party kind the contracts issue added, a controlled party and a pool's terms.
  RunResult parties = ft({"--ledger", dir, "party", "list", "--json"});
  REQUIRE(parties.code == 0);
  std::map<std::string, json> party;
  std::map<std::string, int> party_kinds;
  for (auto& p : json::parse(parties.out)) {
    party[p["id"].get<std::string>()] = p;
    ++party_kinds[p["kind"].get<std::string>()];
  }
  for (const char* k : {"collaborative", "board", "regulator", "office", "pool", "integrator", "provider", "commissioner"}) {
    CAPTURE(k);
    CHECK(party_kinds[k] >= 1);
  }
  CHECK(party["ace-direct"]["controlled_by"] == "ace-integrator");
  CHECK(party["riverside-providers"]["members"].size() == 3);
  RunResult pool = ft({"--ledger", dir, "party", "show", "riverside-pool", "--json"});
  REQUIRE(pool.code == 0);
  CHECK(has(pool.out, "section 75"));
  // The variation is in force: the department's contract now ends a year later.
  RunResult varied = ft({"--ledger", dir, "contract", "show", "DWP-WP-HEAD", "--json"});
  REQUIRE(varied.code == 0);
  CHECK(has(varied.out, "2028-03-31"));
}
