#include "cli/commands.h"

#include "cli/cmd_report.h"

#include <algorithm>
#include <array>
#include <initializer_list>

namespace fundtrail::cli {
namespace {

using Register = void (*)(CLI::App&, Context&);

// Each family with the top-level names it registers, in --help order. The
// unit test test_cli_commands checks that these lists match what each family
// registers, so a new command cannot be missed here.
struct Family {
  std::initializer_list<std::string_view> names;
  Register add;
};

void add_party_and_contract(CLI::App& app, Context& ctx) {
  add_party_commands(app, ctx);
  add_contract_commands(app, ctx);  // adds `party status`, so it needs `party`
}

const std::array<Family, 18> kFamilies{{
    {{"key"}, add_key_commands},
    {{"init"}, add_init_command},
    {{"party", "grant-key", "revoke-key", "contract", "claim-id"}, add_party_and_contract},
    {{"contribute", "pay", "reverse"}, add_money_commands},
    {{"assign", "end-assignment"}, add_responsibility_commands},
    {{"log", "show", "balance"}, add_read_commands},
    {{"log-key", "checkpoint", "proof", "statement", "export-bundle"}, add_transparency_commands},
    {{"import"}, add_import_command},
    {{"publish"}, add_publish_command},
    {{"demo"}, add_demo_command},
    {{"map"}, add_map_commands},
    {{"report"}, add_report_command},
    {{"export"}, add_export_command},
    {{"witness"}, add_witness_commands},
    {{"check", "reindex"}, add_maintenance_commands},
    {{"serve"}, add_serve_command},
    {{"cosign", "submit"}, add_request_commands},
    {{"mirror"}, add_mirror_command},
}};

bool provides(const Family& f, std::string_view name) {
  return std::find(f.names.begin(), f.names.end(), name) != f.names.end();
}

}  // namespace

std::string invoked_command(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help" || arg == "--") return "";
    if (arg == "--ledger") {
      ++i;  // its value, which may look like a command name
      continue;
    }
    if (!arg.empty() && arg[0] == '-') continue;  // --ledger=DIR, --version
    return std::string(arg);
  }
  return "";
}

void build_app(CLI::App& app, Context& ctx, std::string_view invoked) {
  app.description(
      "fundtrail: an append-only, signed, hash-chained ledger of public money.\n"
      "Records contributions, payments and responsibility lines; issues checkpoints and proofs.\n\n"
      "Start:   fundtrail key generate admin.key && fundtrail init books --origin example.gov.uk/fundtrail/riverside "
      "--currency GBP --dual-control 10000.00 --key admin.key\n"
      "Try:     fundtrail demo demo-ledger\n"
      "Exit codes: 0 done; 1 refused by a ledger rule; 2 usage error or unusable input.");
  app.set_version_flag("--version", std::string("fundtrail ") + FUNDTRAIL_VERSION);
  // At most one; "none" is reported after parsing so that an unknown option
  // is named rather than hidden behind "a subcommand is required".
  app.require_subcommand(0, 1);
  app.fallthrough();
  app.add_option("--ledger", ctx.ledger_dir, "ledger directory (default: $FUNDTRAIL_LEDGER)");

  bool known = std::any_of(kFamilies.begin(), kFamilies.end(), [&](const Family& f) { return provides(f, invoked); });
  for (const Family& f : kFamilies)
    if (!known || provides(f, invoked)) f.add(app, ctx);
}

}  // namespace fundtrail::cli
