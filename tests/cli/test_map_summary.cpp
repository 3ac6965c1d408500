// map summary through the built binary (issue 23): who answers for each
// service from that service's own lines only, money figures that add up to
// the money in and to the balances, jargon said in plain words, a pure
// integrator's self-delivery taken apart, and one page at a council's size.
// Expectations come from the ledgers built here (log, balance, party list,
// gaps), never from the summary's own text.
#include <cmath>
#include <regex>
#include <set>

#include "fixture.h"

using namespace fundtrail::test;

namespace {

// The demo ledger in a temporary directory, built by the real binary; ok()
// runs a command on it that must succeed and returns its stdout.
struct DemoLedger {
  TempDir tmp;
  std::string dir = (tmp.path / "demo").string();
  DemoLedger() {
    RunResult demo = ft_raw({"demo", dir});
    INFO(demo);
    REQUIRE(demo.code == 0);
  }
  std::string ok(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--ledger", dir});
    RunResult r = ft_raw(args);
    INFO(r);
    REQUIRE(r.code == 0);
    return r.out;
  }
};

const std::string kHeader = "kind,from,to,amount,date,mechanism,milestone,count,claims\n";

// Minor units from "1,234.56".
int64_t minor(std::string text) {
  std::erase(text, ',');
  auto dot = text.find('.');
  REQUIRE(dot != std::string::npos);
  return std::stoll(text.substr(0, dot)) * 100 + std::stoll(text.substr(dot + 1));
}

// The lines of `text` from the one starting `from` up to (not including) the one starting `to`.
std::vector<std::string> section(const std::string& text, const std::string& from, const std::string& to) {
  std::vector<std::string> out;
  bool in = false;
  for (auto& l : lines_of(text)) {
    if (l.rfind(from, 0) == 0) in = true;
    else if (l.rfind(to, 0) == 0) break;
    else if (in && !l.empty()) out.push_back(l);
  }
  return out;
}

// WHO ANSWERS FOR EACH SERVICE: service -> its rows (each row starts with the accountable party).
std::map<std::string, std::vector<std::string>> services(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  std::string current;
  for (auto& l : section(text, "WHO ANSWERS FOR EACH SERVICE", "WHAT LOOKS WRONG")) {
    if (l.rfind("    ", 0) == 0) {
      REQUIRE_FALSE(current.empty());
      out[current].push_back(l.substr(4));
    } else {
      current = l.substr(2);
      out[current];
    }
  }
  return out;
}

// The row of `rows` whose accountable party is `party` ("" when none).
std::string row_of(const std::vector<std::string>& rows, const std::string& party) {
  for (auto& r : rows)
    if (r.rfind(party + " ", 0) == 0 || r.rfind(party + ":", 0) == 0) return r;
  return "";
}

// Round half up to basis points, as a percentage with two decimals.
std::string pct_of(int64_t part, int64_t whole) {
  int64_t bp = (part * 20000 + whole) / (whole * 2);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld.%02lld%%", static_cast<long long>(bp / 100), static_cast<long long>(bp % 100));
  return buf;
}

size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("map summary: each service lists only the bodies recorded for it, and the commissioner by default where none is") {
  Books b;
  b.ok({"party", "add", "charity-reg", "--name", "Charity Regulator", "--kind", "regulator", "--key", b.key("admin")});
  write_file(b.file("pay.csv"), kHeader + "payment,pool,ace,900.00,2025-04-10,block,,,\n"
                                          "payment,ace,hope,400.00,2025-04-12,block,,,\n");
  b.ok({"import", b.file("pay.csv"), "--key", b.key("pool"), "--key", b.key("ace")});
  auto assign = [&](const std::string& accountable, const std::string& responsible, const std::string& subject,
                    const std::string& kind) {
    b.ok({"assign", "--accountable", accountable, "--responsible", responsible, "--subject", subject, "--kind", kind,
          "--from", "2025-04-01", "--key", b.key("admin")});
  };
  assign("council", "ace", "meals", "contract");
  assign("ace", "hope", "meals", "delivery");
  assign("charity-reg", "hope", "charity governance", "oversight");
  assign("ace", "hope", "transport", "delivery");  // nothing recorded above ace for transport

  // Whose money ace holds: the commissioner that answers for it by default.
  std::string commissioner;
  json money = b.ok_json({"map", "money", "--json"});
  for (auto& src : money["sources"])
    for (auto& h : src["held"])
      if (h["party"] == "ace" && b.ok_json({"party", "show", src["party"].get<std::string>(), "--json"})["kind"] == "commissioner")
        commissioner = src["party"];
  REQUIRE_FALSE(commissioner.empty());

  std::string text = b.ok({"map", "summary"}).out;
  INFO(text);
  auto sv = services(text);
  REQUIRE(sv.count("charity governance"));
  REQUIRE(sv.count("meals"));
  REQUIRE(sv.count("transport"));

  // charity governance: the regulator's line, and no one else's.
  auto& governance = sv["charity governance"];
  CHECK(governance.size() == 1);
  CHECK(contains(row_of(governance, "charity-reg"), "oversight line over hope"));
  for (const char* other : {"council", "ace", "pool", "police"}) {
    CAPTURE(other);
    CHECK(row_of(governance, other).empty());
  }
  // meals: the council's contract line and ace's delivery line; the regulator answers for none of it.
  auto& meals = sv["meals"];
  CHECK(contains(row_of(meals, "council"), "contract line over ace"));
  CHECK(contains(row_of(meals, "ace"), "delivery line over hope"));
  CHECK(row_of(meals, "charity-reg").empty());
  for (auto& r : meals) CHECK_FALSE(contains(r, "IMPLICIT"));
  // transport: ace's line, and above ace only the commissioner by default, said to be implicit.
  auto& transport = sv["transport"];
  CHECK(contains(row_of(transport, "ace"), "delivery line over hope"));
  std::string implicit = row_of(transport, commissioner);
  CHECK(contains(implicit, "answers by default for ace"));
  CHECK(contains(implicit, "IMPLICIT"));
  CHECK(row_of(transport, "charity-reg").empty());
  CHECK(transport.size() == 2);

  // map who agrees: the regulator alone answers for charity governance.
  json who = b.ok_json({"map", "who", "charity governance", "--json"});
  std::set<std::string> tops;
  for (auto& c : who["chains"]) tops.insert(c["top"].get<std::string>());
  CHECK(tops == std::set<std::string>{"charity-reg"});
  json transport_who = b.ok_json({"map", "who", "transport", "--json"});
  REQUIRE(transport_who["chains"].size() == 1);
  CHECK(transport_who["chains"][0]["top"] == commissioner);
  CHECK(transport_who["chains"][0]["hops"].back()["lines"][0]["recorded"] == false);
}

TEST_CASE("map summary: where the money is adds up to the money in, and to the balances with the integrator's own money") {
  DemoLedger d;
  auto ft = [&](const std::vector<std::string>& args) { return d.ok(args); };
  std::string text = ft({"map", "summary"});
  INFO(text);
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex("MONEY IN: GBP ([0-9,]+\\.[0-9]{2})")));
  const int64_t money_in = minor(m[1]);

  // The holders' rows add up to the money in, and the page says so.
  int64_t rows = 0, in_all = -1;
  auto where = section(text, "WHERE IT IS NOW", "WHO ANSWERS");
  const std::regex row("^  GBP ([0-9,]+\\.[0-9]{2})  +[0-9.]+%  .*"), total("^  GBP ([0-9,]+\\.[0-9]{2})  in all.*");
  for (auto& l : where) {
    if (std::regex_match(l, m, row)) rows += minor(m[1]);
    if (std::regex_match(l, m, total)) in_all = minor(m[1]);
  }
  CHECK(rows == money_in);
  CHECK(in_all == money_in);

  // The integrator's own money: where it went adds up to what it paid.
  std::string own;
  for (auto& l : where)
    if (contains(l, "of its own money ahead of outcomes")) own = l;
  REQUIRE_FALSE(own.empty());
  REQUIRE(std::regex_search(own, m, std::regex("paid GBP ([0-9,.]+) of its own money")));
  int64_t paid_own = minor(m[1]), went = 0;
  std::string rest = own.substr(own.find(": GBP"));
  const std::regex part("GBP ([0-9,]+\\.[0-9]{2}) (is now|came back)");
  for (std::sregex_iterator it(rest.begin(), rest.end(), part), end; it != end; ++it)
    went += minor((*it)[1]);
  CHECK(went == paid_own);

  // The balances: each equals its sum, they add up to the money in, and each is what `balance` says.
  std::map<std::string, int64_t> balance_of;  // holder group -> balance from the page
  int64_t balances = 0, balances_all = -1;
  bool in_balances = false;
  const std::regex brow("^    GBP ([0-9,]+\\.[0-9]{2})  (.+?)( = (.*))?$");
  for (auto& l : where) {
    if (contains(l, "So the balances")) in_balances = true;
    if (!in_balances || !std::regex_match(l, m, brow)) continue;
    int64_t v = minor(m[1]);
    std::string label = m[2];
    if (label == "in all") {
      balances_all = v;
      continue;
    }
    if (m[4].matched) {  // "A - B own money paid out + C of it come back"
      std::string expr = m[4];
      std::smatch t;
      REQUIRE(std::regex_search(expr, t, std::regex("^([0-9,]+\\.[0-9]{2})")));
      int64_t sum = minor(t[1]);
      const std::regex term(" ([-+]) ([0-9,]+\\.[0-9]{2})");
      for (std::sregex_iterator it(expr.begin(), expr.end(), term), end; it != end; ++it)
        sum += ((*it)[1] == "-" ? -1 : 1) * minor((*it)[2]);
      CHECK_MESSAGE(sum == v, l);
    }
    balance_of[label] = v;
    balances += v;
  }
  CHECK(balances == money_in);
  CHECK(balances_all == money_in);
  std::map<std::string, std::string> kind_of;
  for (auto& p : json::parse(ft({"party", "list", "--json"}))) kind_of[p["id"]] = p["kind"];
  std::map<std::string, int64_t> by_kind;
  for (auto& x : json::parse(ft({"balance", "--json"}))) {
    std::string k = kind_of[x["party"].get<std::string>()];
    by_kind[k == "collaborative" ? "provider" : k] += x["balance_minor"].get<int64_t>();
  }
  CHECK(balance_of["unspent in pools"] == by_kind["pool"]);
  CHECK(balance_of["with integrators"] == by_kind["integrator"]);
  CHECK(balance_of["with providers"] == by_kind["provider"]);
  CHECK(balance_of["with integrators"] != 0);

  // --json keeps the money in as it was, and carries the balances.
  json j = json::parse(ft({"map", "summary", "--json"}));
  CHECK(j["came_in_minor"] == money_in);
  CHECK(j["balances"]["with integrators, not passed on"]["amount_minor"] == by_kind["integrator"]);
}

TEST_CASE("map summary: HHI and operator of last resort are said in plain words") {
  DemoLedger d;
  auto ft = [&](const std::vector<std::string>& args) { return d.ok(args); };
  std::string text = ft({"map", "summary"});
  INFO(text);
  // The highest HHI among the spenders' markets, from map concentration.
  int hhi = 0;
  json concentration = json::parse(ft({"map", "concentration", "--json"}));
  for (auto& mk : concentration["markets"]) hhi = std::max(hhi, mk["hhi"].get<int>());
  REQUIRE(hhi > 2500);
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex("HHI ([0-9]+) is as concentrated as about ([0-9]+) equal-sized providers")));
  CHECK(std::stoi(m[1]) == hhi);
  CHECK(std::stoi(m[2]) == static_cast<int>(std::lround(10000.0 / hhi)));
  CHECK(contains(text, "above 2500 counts as highly concentrated"));

  // Operator of last resort, explained where the gap is named, with every provider map gaps names.
  std::string line;
  for (auto& l : lines_of(text))
    if (contains(l, "no operator of last resort")) line = l;
  REQUIRE_FALSE(line.empty());
  CHECK(contains(line, "(no one is named to take over the service if the provider fails)"));
  json gaps = json::parse(ft({"map", "gaps", "--json"}));
  for (auto& g : gaps["gaps"])
    if (g["type"] == "no-last-resort") CHECK(contains(line, g["party"].get<std::string>()));
}

TEST_CASE("map summary: a pure integrator's self-delivery split into money still held, outcomes it delivered itself and its subsidiaries") {
  Books b;
  b.ok({"party", "add", "ace-sub", "--name", "ACE Direct", "--kind", "provider", "--controlled-by", "ace", "--key", b.key("admin")});
  b.ok({"contract", "agree", "HEAD", "--payer", "pool", "--payee", "ace", "--subject", "employment support", "--from",
        "2025-04-01", "--model", "pure", "--key", b.key("pool")});
  write_file(b.file("pay.csv"), kHeader +
                                    "payment,pool,ace,900.00,2025-04-10,block,,,\n"
                                    "payment,pool,ace,600.00,2025-05-10,milestone,start,3,c-1;c-2;c-3\n"
                                    "payment,ace,hope,300.00,2025-05-12,milestone,start,1,c-1\n"
                                    "payment,ace,ace-sub,200.00,2025-05-12,block,,,\n");
  b.ok({"import", b.file("pay.csv"), "--key", b.key("pool"), "--key", b.key("ace")});

  // From the log: what ace received, passed on, paid its subsidiary, and the
  // outcome money for claims it passed to no one.
  int64_t received = 0, independent = 0, subsidiary = 0, own_outcomes = 0;
  std::set<std::string> passed;
  json log = b.log();
  for (auto& r : log)
    if (r["kind"] == "payment" && r["body"]["from"] == "ace")
      for (auto& c : r["body"]["claim_ids"]) passed.insert(c.get<std::string>());
  for (auto& r : log) {
    if (r["kind"] != "payment") continue;
    auto& p = r["body"];
    int64_t a = p["amount_minor"].get<int64_t>();
    if (p["to"] == "ace") {
      received += a;
      size_t unpassed = 0;
      for (auto& c : p["claim_ids"]) unpassed += !passed.count(c.get<std::string>());
      if (!p["claim_ids"].empty()) own_outcomes += a * static_cast<int64_t>(unpassed) / static_cast<int64_t>(p["claim_ids"].size());
    }
    if (p["from"] == "ace") (p["to"] == "ace-sub" ? subsidiary : independent) += a;
  }
  int64_t kept = received - independent - subsidiary;
  REQUIRE(own_outcomes > 0);
  REQUIRE(kept > own_outcomes);
  REQUIRE(subsidiary > 0);

  std::string text = b.ok({"map", "summary"}).out;
  INFO(text);
  std::string line;
  for (auto& l : lines_of(text))
    if (contains(l, "ace is declared pure")) line = l;
  REQUIRE_FALSE(line.empty());
  CHECK(contains(line, pct_of(kept + subsidiary, received) + " of the GBP"));
  CHECK(contains(line, pct_of(kept - own_outcomes, received) + " not yet passed on (still held by it)"));
  CHECK(contains(line, pct_of(own_outcomes, received) + " paid for outcomes it delivered itself"));
  CHECK(contains(line, pct_of(subsidiary, received) + " paid to its own subsidiaries"));

  json f = b.ok_json({"map", "frontline", "--json"});
  for (auto& x : f["integrators"])
    if (x["integrator"] == "ace") {
      CHECK(x["self_delivered_minor"] == own_outcomes);
      CHECK(x["not_passed_on_minor"] == kept - own_outcomes);
    }
}

TEST_CASE("map summary: one page for a council with 800 suppliers, each named at most once, purchases no gap") {
  Books b;
  // 800 suppliers sold goods to the council (purchases), registered by the spending import.
  std::string spend = "Date,Supplier,Amount\n";
  for (int i = 0; i < 800; ++i) {
    char row[96];
    std::snprintf(row, sizeof row, "2025-04-%02d,Supplier %03d Ltd,%d.%02d\n", 1 + i % 28, i, 500 + (i * 37) % 499, i % 100);
    spend += row;
  }
  write_file(b.file("spend.csv"), spend);
  write_file(b.file("spend.rules"), "skip 1\nfields date, payee_name, amount\npayer council\n");
  b.ok({"import", "--format", "spend", b.file("spend.csv"), "--rules", b.file("spend.rules"), "--key", b.key("council"),
        "--admin-key", b.key("admin")});
  // Every third also got a grant: money that wants a responsibility line.
  std::map<std::string, std::string> kind_of;
  std::vector<std::string> suppliers;
  for (auto& p : b.ok_json({"party", "list", "--json"})) {
    kind_of[p["id"]] = p["kind"];
    if (p["id"].get<std::string>().rfind("supplier-", 0) == 0) suppliers.push_back(p["id"]);
  }
  REQUIRE(suppliers.size() == 800);
  std::string grants = kHeader;
  std::set<std::string> granted;
  for (size_t i = 0; i < suppliers.size(); i += 3) {
    grants += "payment,council," + suppliers[i] + "," + std::to_string(100 + i) + ".00,2025-05-01,grant,,,\n";
    granted.insert(suppliers[i]);
  }
  write_file(b.file("grants.csv"), grants);
  b.ok({"import", b.file("grants.csv"), "--key", b.key("council")});

  // The gaps, as map gaps lists them: only the parties that got grants.
  std::set<std::string> without_line, no_last_resort;
  json gaps = b.ok_json({"map", "gaps", "--json"});
  for (auto& g : gaps["gaps"]) {
    if (g["type"] == "money-without-line") without_line.insert(g["party"].get<std::string>());
    if (g["type"] == "no-last-resort") no_last_resort.insert(g["party"].get<std::string>());
  }
  for (auto& s : suppliers) {  // a supplier is a gap only for its grant, never for what it sold
    CHECK(without_line.count(s) == granted.count(s));
    CHECK(no_last_resort.count(s) == granted.count(s));
  }

  std::string text = b.ok({"map", "summary"}).out;
  INFO(text);
  CHECK(lines_of(text).size() <= 60);
  CHECK(text.size() <= 4096);
  for (auto& s : suppliers) {
    CAPTURE(s);
    CHECK(count_of(text, s) <= 1);
    if (!granted.count(s)) {  // paid only by purchases: named nowhere in what looks wrong
      for (auto& l : section(text, "WHAT LOOKS WRONG", "Details:")) CHECK_FALSE(contains(l, s));
    }
  }
  // Counts and the commands that list the rest.
  std::smatch m;
  REQUIRE(std::regex_search(text, m, std::regex("and ([0-9]+) more: fundtrail map money --from council")));
  CHECK(std::stoul(m[1]) == suppliers.size() - 5);
  std::string gaps_line;
  for (auto& l : lines_of(text))
    if (contains(l, "with no recorded responsibility line")) gaps_line = l;
  REQUIRE(std::regex_search(gaps_line, m, std::regex("^  - ([0-9]+) parties received money.*and ([0-9]+) more: fundtrail map gaps$")));
  CHECK(std::stoul(m[1]) == without_line.size());
  CHECK(std::stoul(m[2]) == without_line.size() - 5);
  CHECK(contains(text, "fundtrail map gaps"));

  // --json has the whole lists.
  json j = b.ok_json({"map", "summary", "--json"});
  bool found = false;
  for (auto& f : j["findings"])
    if (f["type"] == "money-without-line") {
      found = true;
      CHECK(f["parties"].size() == without_line.size());
    }
  CHECK(found);
}
