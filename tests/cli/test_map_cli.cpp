// fundtrail map, end to end on the demo ledger: every export format and every
// analysis runs without error, in text and --json, and usage errors exit 2.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

struct Ran {
  int rc = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A demo ledger built once for this file by the real binary, removed at exit.
class DemoLedger {
 public:
  DemoLedger() {
    char tmpl[] = "/tmp/fundtrail-map-cli-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    Ran r = run("demo " + shell_quote(dir()), false);
    REQUIRE_MESSAGE(r.rc == 0, r.err);
  }
  ~DemoLedger() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string dir() const { return root_ + "/demo"; }
  std::string file(const std::string& name) const { return root_ + "/" + name; }

  // Runs fundtrail (on the demo ledger unless `on_ledger` is false) under a timeout.
  Ran run(const std::string& args, bool on_ledger = true) const {
    std::string out = root_ + "/stdout", err = root_ + "/stderr";
    std::string cmd = "FUNDTRAIL_PASSPHRASE=map-cli-test timeout 120 " + shell_quote(FUNDTRAIL_BIN) +
                      (on_ledger ? " --ledger " + shell_quote(dir()) : "") + " " + args + " >" + shell_quote(out) + " 2>" +
                      shell_quote(err) + " </dev/null";
    int status = std::system(cmd.c_str());
    Ran r;
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
  }

 private:
  std::string root_;
};

const DemoLedger& demo() {
  static DemoLedger d;
  return d;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("map cli: the demo ledger's map exports without error in every format") {
  const DemoLedger& d = demo();
  for (std::string format : {"graphml", "dot", "json", "csv", "svg"}) {
    CAPTURE(format);
    std::string path = d.file("map." + format);
    Ran r = d.run("map export --format " + format + " --out " + shell_quote(path));
    bool have_dot = std::system("command -v dot >/dev/null 2>&1") == 0;
    if (format == "svg" && !have_dot) {
      CHECK(r.rc == 2);
      CHECK(has(r.err, "Graphviz"));
      continue;
    }
    REQUIRE_MESSAGE(r.rc == 0, r.err);
    CHECK(has(r.err, "wrote " + path));
    std::string body = slurp(path);
    REQUIRE_FALSE(body.empty());
    if (format == "graphml") {
      CHECK(has(body, "<node id=\"riverside-pool\">"));
      CHECK(has(body, "attr.name=\"amount_minor\""));
    }
    if (format == "dot") CHECK(body.rfind("digraph G {", 0) == 0);
    if (format == "json") CHECK(nlohmann::json::parse(body)["nodes"].size() > 10);
    if (format == "csv") CHECK(body.rfind("type,source,target,", 0) == 0);
    if (format == "svg") CHECK(has(body, "<svg"));
  }
  // To stdout, with filters.
  Ran dot = d.run("map export --format dot --pool riverside-pool --depth 1 --kind funding");
  REQUIRE(dot.rc == 0);
  CHECK(has(dot.out, "\"riverside-pool\""));
  CHECK_FALSE(has(dot.out, "\"hope-charity\""));  // two steps below the pool
  Ran early = d.run("map export --format json --as-of 2025-06-30");
  REQUIRE(early.rc == 0);
  CHECK(nlohmann::json::parse(early.out)["graph"]["as_of"] == "2025-06-30");
}

TEST_CASE("map cli: the demo's CSV funding totals equal its balances") {
  const DemoLedger& d = demo();
  Ran csv = d.run("map export --format csv --kind funding");
  REQUIRE(csv.rc == 0);
  std::map<std::string, int64_t> totals;
  std::istringstream in(csv.out);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    // Funding rows have no quoted cells before amount_minor (ids, mechanism, amounts).
    std::vector<std::string> cells;
    std::stringstream row(line);
    std::string cell;
    while (std::getline(row, cell, ',')) cells.push_back(cell);
    REQUIRE(cells.size() > 6);
    REQUIRE(cells[0] == "funding");
    int64_t minor = std::stoll(cells[5]);
    totals[cells[1]] -= minor;
    totals[cells[2]] += minor;
  }
  Ran bal = d.run("balance --json");
  REQUIRE(bal.rc == 0);
  for (auto& b : nlohmann::json::parse(bal.out)) {
    std::string id = b["party"];
    CHECK_MESSAGE(totals[id] == b["balance_minor"].get<int64_t>(), id);
  }
}

TEST_CASE("map cli: every analysis answers in text and JSON") {
  const DemoLedger& d = demo();
  for (std::string cmd : {"money", "money --from riverside-pool", "frontline", "who 'employment support'", "gaps",
                          "concentration", "patterns", "summary"}) {
    CAPTURE(cmd);
    Ran text = d.run("map " + cmd);
    REQUIRE_MESSAGE(text.rc == 0, text.err);
    CHECK_FALSE(text.out.empty());
    Ran json = d.run("map " + cmd + " --json");
    REQUIRE_MESSAGE(json.rc == 0, json.err);
    CHECK(nlohmann::json::accept(json.out));
  }
  Ran summary = d.run("map summary");
  CHECK(has(summary.out, "MONEY IN"));
  CHECK(has(summary.out, "WHO ANSWERS FOR EACH SERVICE"));
  CHECK(has(summary.out, "WHAT LOOKS WRONG"));
}

TEST_CASE("map cli: usage errors exit 2") {
  const DemoLedger& d = demo();
  CHECK(d.run("map export --format pdf").rc == 2);
  CHECK(d.run("map export").rc == 2);
  CHECK(d.run("map who").rc == 2);
  CHECK(d.run("map").rc == 2);
  CHECK(d.run("map summary --as-of 999999").rc == 2);
  CHECK(d.run("map export --format json --kind money").rc == 2);
  CHECK(d.run("map export --format json --pool hope-charity").rc == 2);
  CHECK(d.run("map money --from nobody").rc == 2);
  Ran help = d.run("map export --help");
  CHECK(help.rc == 0);
  CHECK(has(help.out, "Example:"));
}
