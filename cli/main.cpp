// fundtrail: record, inspect and publish a ledger of public money.
#include <sodium.h>

#include <kj/exception.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string_view>

#include "cli/commands.h"
#include "cli/isolate.h"

using namespace fundtrail;

namespace {

int run(int argc, char** argv) {
  // Fault injection for the crash-isolation tests (tests/cli/test_isolation.cpp).
  if (const char* fault = std::getenv("FUNDTRAIL_TEST_FAULT"); fault && std::string_view(fault) == "segv") ::raise(SIGSEGV);
  if (sodium_init() < 0) {
    std::cerr << "fundtrail: libsodium failed to initialise\n";
    return 2;
  }
  CLI::App app;
  cli::Context ctx;
  cli::build_app(app, ctx, cli::invoked_command(argc, argv));

  try {
    app.parse(argc, argv);
    if (app.get_subcommands().empty()) {
      std::cerr << "fundtrail: a subcommand is required (init, pay, log, ...); run fundtrail --help for the list\n";
      return 2;
    }
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // CLI11 uses its own codes (105+); ours are 0/1/2
  } catch (const Error& e) {
    // DESIGN.md "Refusals": with --json a refusal is also one JSON object on
    // stdout; so is a usage error found after parsing (no "check"), so a
    // script reads every outcome of a --json command the same way.
    if (ctx.json) std::cout << refusal_json(e, true) << std::endl;
    std::cerr << "fundtrail: " << (e.kind == ErrorKind::refused ? "refused: " : "error: ") << e.what() << "\n";
    return exit_code(e);
  } catch (const kj::Exception& e) {
    std::cerr << "fundtrail: error: cannot decode a record: " << e.getDescription().cStr() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fundtrail: error: " << e.what() << "\n";
    return 2;
  }
  return ctx.exit_status;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_isolated(argc, argv, [&] { return run(argc, argv); });
}
