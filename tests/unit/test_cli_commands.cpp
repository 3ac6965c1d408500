// The command tree: a process that names its command gets that command with
// every option it has in the full tree, and help still lists everything.
#include <doctest/doctest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"

using namespace fundtrail;

namespace {

// "name: option option ... | sub: ..." for a command and everything below it.
std::string shape(CLI::App* cmd) {
  std::string out = cmd->get_name() + ":";
  for (const CLI::Option* opt : cmd->get_options()) out += " " + opt->get_name();
  for (CLI::App* sub : cmd->get_subcommands([](CLI::App*) { return true; })) out += " | " + shape(sub);
  return out;
}

std::map<std::string, std::string> top_level(std::string_view invoked) {
  CLI::App app;
  cli::Context ctx;
  cli::build_app(app, ctx, invoked);
  std::map<std::string, std::string> out;
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) out[sub->get_name()] = shape(sub);
  return out;
}

std::string invoked(std::vector<const char*> argv) {
  argv.insert(argv.begin(), "fundtrail");
  return cli::invoked_command(static_cast<int>(argv.size()), argv.data());
}

}  // namespace

TEST_CASE("each command built alone has exactly the options it has in the full tree") {
  const auto full = top_level("");
  REQUIRE(full.size() >= 25);
  for (const auto& [name, full_shape] : full) {
    CAPTURE(name);
    const auto alone = top_level(name);
    REQUIRE(alone.count(name) == 1);
    CHECK(alone.at(name) == full_shape);
    CHECK(alone.size() < full.size());  // the point: the other families are not built
  }
}

TEST_CASE("an unknown or missing command builds the whole tree so help and errors list every command") {
  const auto full = top_level("");
  CHECK(top_level("pya") == full);
  CHECK(top_level("--version") == full);
}

TEST_CASE("the invoked command is the first word that is not an option or the ledger's value") {
  CHECK(invoked({"pay", "--from", "a"}) == "pay");
  CHECK(invoked({"--ledger", "pay", "log"}) == "log");  // a ledger directory named like a command
  CHECK(invoked({"--ledger=books", "balance", "x"}) == "balance");
  CHECK(invoked({"--version"}).empty());
  CHECK(invoked({}).empty());
  CHECK(invoked({"--ledger"}).empty());                 // value missing: CLI11 reports it
  CHECK(invoked({"--help", "pay"}).empty());            // top-level help lists everything
  CHECK(invoked({"-h"}).empty());
  CHECK(invoked({"party", "add", "--help"}) == "party");
}
