// --version, --help, usage errors, key files and init.
#include <sys/stat.h>

#include <regex>

#include "fixture.h"

using namespace fundtrail::test;

TEST_CASE("version: --version exits 0 and no subcommand exits 2") {
  RunResult v = ft_raw({"--version"});
  INFO(v);
  CHECK(v.code == 0);
  CHECK(std::regex_search(v.out, std::regex("^fundtrail [0-9]+\\.[0-9]+")));

  RunResult none = ft_raw({});
  INFO(none);
  CHECK(none.code == 2);
  CHECK(contains(none.err, "subcommand"));
}

namespace {
// The subcommand names listed under "Subcommands:" in a CLI11 help text.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> out;
  bool in = false;
  for (auto& line : lines_of(help)) {
    if (line == "Subcommands:") {
      in = true;
      continue;
    }
    if (!in) continue;
    if (!line.empty() && line[0] != ' ') break;
    std::smatch m;
    if (std::regex_search(line, m, std::regex("^  ([a-z][a-z0-9-]*)  "))) out.push_back(m[1]);
  }
  return out;
}
}  // namespace

TEST_CASE("help: every subcommand --help exits 0 and shows an example") {
  // Every subcommand the binary lists, found by walking the help texts, so a
  // command added later is covered too.
  std::vector<std::vector<std::string>> todo = {{}}, seen;
  while (!todo.empty()) {
    auto path = todo.back();
    todo.pop_back();
    auto args = path;
    args.push_back("--help");
    RunResult r = ft_raw(args);
    INFO("fundtrail ", Books::join(args), "\n", r);
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "Example"));
    seen.push_back(path);
    for (auto& sub : subcommands_in(r.out)) {
      auto child = path;
      child.push_back(sub);
      todo.push_back(child);
    }
  }
  // At least the command shapes this suite exercises.
  const std::vector<std::vector<std::string>> expected = {
      {"key", "generate"}, {"key", "public"},     {"key", "list"},       {"init"},           {"party", "add"},
      {"party", "list"},   {"party", "show"},     {"grant-key"},         {"revoke-key"},     {"contribute"},
      {"pay"},             {"reverse"},           {"assign"},            {"end-assignment"}, {"log"},
      {"show"},            {"balance"},           {"log-key"},           {"checkpoint"},     {"checkpoint", "list"},
      {"proof", "inclusion"}, {"proof", "consistency"}, {"proof", "check"}, {"statement"}, {"export-bundle"},
      {"import"},          {"demo"}};
  for (auto& e : expected) {
    CAPTURE(Books::join(e));
    CHECK(std::find(seen.begin(), seen.end(), e) != seen.end());
  }
  MESSAGE(seen.size(), " help texts checked");
  RunResult top = ft_raw({"--help"});
  CHECK(contains(top.out, "Exit codes"));
  // A command group without its subcommand is a usage error.
  for (std::string group : {"key", "party", "proof"}) {
    RunResult r = ft_raw({group});
    INFO(group, "\n", r);
    CHECK(r.code == 2);
    CHECK(contains(r.err, "subcommand"));
  }
}

TEST_CASE("usage errors exit 2 and not CLI11 codes and name what was wrong") {
  RunResult unknown_option = ft_raw({"--ledger", "/nonexistent", "log", "--bogus"});
  INFO(unknown_option);
  CHECK(unknown_option.code == 2);
  CHECK(contains(unknown_option.err, "--bogus"));
  CHECK(unknown_option.out.empty());

  // An unknown option before any subcommand is named, not hidden behind
  // "a subcommand is required"; no subcommand at all says what to do.
  RunResult top_bogus = ft_raw({"--bogus"});
  INFO(top_bogus);
  CHECK(top_bogus.code == 2);
  CHECK(contains(top_bogus.err, "--bogus"));
  RunResult nothing = ft_raw({});
  INFO(nothing);
  CHECK(nothing.code == 2);
  CHECK(contains(nothing.err, "subcommand is required"));
  CHECK(contains(nothing.err, "--help"));

  RunResult missing = ft_raw({"pay", "--from", "pool"});
  INFO(missing);
  CHECK(missing.code == 2);
  CHECK(contains(missing.err, "--to"));

  RunResult bad_choice = ft_raw({"key", "generate", "/nonexistent/x.key", "--kdf", "fast"});
  INFO(bad_choice);
  CHECK(bad_choice.code == 2);
  CHECK(contains(bad_choice.err, "fast"));

  RunResult unknown_command = ft_raw({"frobnicate"});
  INFO(unknown_command);
  CHECK(unknown_command.code == 2);
}

TEST_CASE("key: generate then public then list") {
  TempDir t;
  std::string alice = (t.path / "alice.key").string(), bob = (t.path / "bob.key").string();
  const std::regex text_re("^alice\\+[0-9a-f]{8}\\+A[A-Za-z0-9+/]{43}$");

  RunResult g = ft_raw({"key", "generate", alice, "--name", "alice", "--kdf", "interactive"});
  INFO(g);
  REQUIRE(g.code == 0);
  std::string text = trim(g.out);
  CHECK(std::regex_match(text, text_re));
  CHECK(lines_of(g.out).size() == 1);
  struct stat st {};
  REQUIRE(::stat(alice.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  // Never overwritten.
  std::string bytes = read_file(alice);
  RunResult again = ft_raw({"key", "generate", alice, "--kdf", "interactive"});
  INFO(again);
  CHECK(again.code == 2);
  CHECK(contains(again.err, alice));
  CHECK(read_file(alice) == bytes);

  // key public needs no passphrase.
  RunOptions no_pass;
  no_pass.unset = {"FUNDTRAIL_PASSPHRASE"};
  RunResult pub = ft_raw({"key", "public", alice}, no_pass);
  INFO(pub);
  CHECK(pub.code == 0);
  CHECK(pub.out == text + "\n");
  RunResult pub_json = ft_raw({"key", "public", alice, "--json"});
  INFO(pub_json);
  REQUIRE(pub_json.code == 0);
  json pj = json::parse(pub_json.out);
  CHECK(pj["name"] == "alice");
  CHECK(pj["public_key"] == text);

  // The default name is the file's base name; --json on generate.
  RunResult gb = ft_raw({"key", "generate", bob, "--kdf", "interactive", "--json"});
  INFO(gb);
  REQUIRE(gb.code == 0);
  json bj = json::parse(gb.out);
  CHECK(bj["name"] == "bob");
  CHECK(bj["file"] == bob);
  CHECK(contains(bj["public_key"].get<std::string>(), "bob+"));

  // key list skips files that are not keys.
  write_file(t.path / "notes.txt", "not a key\n");
  RunResult list = ft_raw({"key", "list", t.path.string(), "--json"});
  INFO(list);
  REQUIRE(list.code == 0);
  json lj = json::parse(list.out);
  REQUIRE(lj.size() == 2);
  CHECK(lj[0]["name"] == "alice");
  CHECK(lj[0]["public_key"] == text);
  CHECK(lj[1]["name"] == "bob");
  RunResult list_text = ft_raw({"key", "list", t.path.string()});
  CHECK(list_text.code == 0);
  CHECK(lines_of(list_text.out).size() == 2);
  CHECK(contains(list_text.out, text));

  // Failures.
  RunResult missing = ft_raw({"key", "public", (t.path / "nope.key").string()});
  CHECK(missing.code == 2);
  CHECK(contains(missing.err, "nope.key"));
  RunResult not_key = ft_raw({"key", "public", (t.path / "notes.txt").string()});
  INFO(not_key);
  CHECK(not_key.code == 2);
  CHECK(not_key.out.empty());
  RunResult no_dir = ft_raw({"key", "list", (t.path / "nodir").string()});
  CHECK(no_dir.code == 2);

  // Without FUNDTRAIL_PASSPHRASE and without a terminal there is nothing to seal the key with.
  std::string carol = (t.path / "carol.key").string();
  RunResult no_passphrase = ft_raw({"key", "generate", carol, "--kdf", "interactive"}, no_pass);
  INFO(no_passphrase);
  CHECK(no_passphrase.code == 2);
  CHECK(contains(no_passphrase.err, "FUNDTRAIL_PASSPHRASE"));
  CHECK(!fs::exists(carol));
}

TEST_CASE("init: creates a ledger whose log-key is the one printed and refuses bad input") {
  TempDir t;
  std::string admin = (t.path / "admin.key").string();
  REQUIRE(ft_raw({"key", "generate", admin, "--kdf", "interactive"}).code == 0);
  std::string dir = (t.path / "books").string();

  RunResult init = ft_raw({"init", dir, "--origin", "example.gov.uk/fundtrail/riverside", "--currency", "GBP",
                           "--dual-control", "10000.00", "--key", admin, "--kdf", "interactive"});
  INFO(init);
  REQUIRE(init.code == 0);
  CHECK(init.out == "0\n");
  auto at = init.err.find("log key: ");
  REQUIRE(at != std::string::npos);
  std::string printed = init.err.substr(at + 9, init.err.find('\n', at) - at - 9);
  CHECK(std::regex_match(printed, std::regex("^example\\.gov\\.uk/fundtrail/riverside\\+[0-9a-f]{8}\\+A[A-Za-z0-9+/]{43}$")));
  struct stat st {};
  REQUIRE(::stat((dir + "/log.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  RunResult lk = ft_raw({"--ledger", dir, "log-key"});
  INFO(lk);
  CHECK(lk.code == 0);
  CHECK(lk.out == printed + "\n");

  RunResult log = ft_raw({"--ledger", dir, "log", "--json"});
  REQUIRE(log.code == 0);
  json records = json::parse(log.out);
  REQUIRE(records.size() == 1);
  CHECK(records[0]["kind"] == "genesis");
  CHECK(records[0]["seq"] == 0);
  CHECK(contains(records[0].dump(), "GBP"));

  // A second init of the same directory changes nothing.
  std::string before = read_file(dir + "/data.mdb");
  RunResult again = ft_raw({"init", dir, "--origin", "other", "--dual-control", "1.00", "--key", admin, "--kdf", "interactive"});
  INFO(again);
  CHECK(again.code == 2);
  CHECK(contains(again.err, "already holds a ledger"));
  CHECK(read_file(dir + "/data.mdb") == before);

  // The directory may come from FUNDTRAIL_LEDGER; --json output.
  std::string dir2 = (t.path / "books2").string();
  RunOptions env;
  env.env["FUNDTRAIL_LEDGER"] = dir2;
  RunResult init2 = ft_raw({"init", "--origin", "o2", "--dual-control", "500", "--key", admin, "--kdf", "interactive", "--json"}, env);
  INFO(init2);
  REQUIRE(init2.code == 0);
  json j2 = json::parse(init2.out);
  CHECK(j2["seq"] == 0);
  CHECK(j2["ledger"] == dir2);
  CHECK(ft_raw({"--ledger", dir2, "log-key"}).out == j2["log_key"].get<std::string>() + "\n");

  // Bad input: nothing is created.
  struct Bad {
    std::vector<std::string> args;
    std::string why;
  };
  std::string d3 = (t.path / "books3").string();
  std::vector<Bad> bad = {
      {{"init", d3, "--origin", "o", "--currency", "XYZ", "--dual-control", "1.00", "--key", admin}, "ISO 4217"},
      {{"init", d3, "--origin", "o", "--dual-control", "1.234", "--key", admin}, "--dual-control"},
      {{"init", "--origin", "o", "--dual-control", "1.00", "--key", admin}, "no ledger given"},
      {{"init", d3, "--origin", "o", "--dual-control", "1.00", "--key", (t.path / "nope.key").string()}, "nope.key"},
  };
  for (auto& b : bad) {
    RunResult r = ft_raw(b.args);
    INFO(Books::join(b.args), "\n", r);
    CHECK(r.code == 2);
    CHECK(contains(r.err, b.why));
    CHECK(!fs::exists(d3 + "/data.mdb"));
  }
  // A threshold of zero is the writer's answer (rule 5, exit 1), and nothing is left behind.
  RunResult zero = ft_raw({"init", d3, "--origin", "o", "--dual-control", "0", "--key", admin, "--kdf", "interactive"});
  INFO(zero);
  CHECK(zero.code == 1);
  CHECK(contains(zero.err, "rule 5"));
  CHECK(!fs::exists(d3 + "/data.mdb"));
  CHECK(!fs::exists(d3 + "/log.key"));
  RunOptions wrong;
  wrong.env["FUNDTRAIL_PASSPHRASE"] = "not the passphrase";
  RunResult wp = ft_raw({"init", d3, "--origin", "o", "--dual-control", "1.00", "--key", admin, "--kdf", "interactive"}, wrong);
  INFO(wp);
  CHECK(wp.code == 2);
  CHECK(contains(wp.err, "wrong passphrase"));
  CHECK(!fs::exists(d3 + "/data.mdb"));
  CHECK(!fs::exists(d3 + "/log.key"));
}
