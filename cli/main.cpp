// fundtrail: record, inspect and publish a ledger of public money.
#include <sodium.h>

#include <kj/exception.h>

#include <iostream>

#include "cli/context.h"

using namespace fundtrail;

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "fundtrail: libsodium failed to initialise\n";
    return 2;
  }
  CLI::App app{
      "fundtrail: an append-only, signed, hash-chained ledger of public money.\n"
      "Records contributions, payments and responsibility lines; issues checkpoints and proofs.\n\n"
      "Start:   fundtrail key generate admin.key && fundtrail init books --origin example.gov.uk/fundtrail/riverside "
      "--currency GBP --dual-control 10000.00 --key admin.key\n"
      "Try:     fundtrail demo demo-ledger\n"
      "Exit codes: 0 done; 1 refused by a ledger rule; 2 usage error or unusable input."};
  app.set_version_flag("--version", std::string("fundtrail ") + FUNDTRAIL_VERSION);
  // At most one; "none" is reported after parsing so that an unknown option
  // is named rather than hidden behind "a subcommand is required".
  app.require_subcommand(0, 1);
  app.fallthrough();
  cli::Context ctx;
  app.add_option("--ledger", ctx.ledger_dir, "ledger directory (default: $FUNDTRAIL_LEDGER)");

  cli::add_key_commands(app, ctx);
  cli::add_init_command(app, ctx);
  cli::add_party_commands(app, ctx);
  cli::add_contract_commands(app, ctx);
  cli::add_money_commands(app, ctx);
  cli::add_responsibility_commands(app, ctx);
  cli::add_read_commands(app, ctx);
  cli::add_transparency_commands(app, ctx);
  cli::add_import_command(app, ctx);
  cli::add_publish_command(app, ctx);
  cli::add_demo_command(app, ctx);
  cli::add_map_commands(app, ctx);
  cli::add_export_command(app, ctx);
  cli::add_witness_commands(app, ctx);

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
    std::cerr << "fundtrail: " << (e.kind == ErrorKind::refused ? "refused: " : "error: ") << e.what() << "\n";
    return static_cast<int>(e.kind);
  } catch (const kj::Exception& e) {
    std::cerr << "fundtrail: error: cannot decode a record: " << e.getDescription().cStr() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fundtrail: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
