// fundtrail export --format 360giving: a ledger's grants in the 360Giving
// Data Standard (docs/360giving.md).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/context.h"
#include "cli/plural.h"
#include "interop/giving_export.h"
#include "ledger/limits.h"

namespace fundtrail::cli {

void add_export_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string format, prefix, out;
    bool csv = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "export",
      "export: publish the ledger's grants in the 360Giving Data Standard. Every unreversed payment with\n"
      "mechanism grant becomes a grant, and so does every contribution imported as funder collaboration\n"
      "(regrant type FRG040); grants imported from 360Giving keep their ids. JSON by default, or CSV with\n"
      "--csv (or an --out name ending .csv). See docs/360giving.md.\n"
      "Example: fundtrail export --format 360giving --csv --prefix 360G-riverside --out grants.csv");
  cmd->add_option("--format", o->format, "360giving")->required()->check(CLI::IsMember({"360giving"}));
  cmd->add_flag("--csv", o->csv, "the CSV spreadsheet layout");
  cmd->add_flag("--json", o->json, "the JSON package {\"grants\": [...]} (the default)");
  cmd->add_option("--prefix", o->prefix,
                  "your registered 360Giving prefix, e.g. 360G-riverside: ids of grants and parties that did not come "
                  "from 360Giving are made from it (default: 360G- and the ledger's origin)");
  cmd->add_option("--out", o->out, "write to FILE (default: stdout)");
  cmd->callback([o, &ctx] {
    if (o->csv && o->json) usage_error("--csv and --json: choose one");
    if (!o->prefix.empty() && (o->prefix.rfind("360G-", 0) != 0 || o->prefix.size() < 6 || o->prefix.size() > 40 ||
                               o->prefix.find_first_of(" \t\r\n,\"/") != std::string::npos))
      usage_error("--prefix '" + o->prefix + "' must be a 360Giving prefix: '360G-' and your publisher name, e.g. 360G-riverside");
    bool csv = o->csv || (!o->json && ascii_lower(std::filesystem::path(o->out).extension().string()) == ".csv");
    Ledger ledger = ctx.open_ledger(true);
    std::string prefix = o->prefix.empty() ? interop::default_giving_prefix(ledger.facts().origin) : o->prefix;
    auto grants = interop::collect_giving_grants(ledger, prefix);
    std::string text = csv ? interop::write_giving_csv(grants) : interop::write_giving_json(grants);
    if (o->out.empty()) {
      std::cout << text << std::flush;
      return;
    }
    std::ofstream f(o->out, std::ios::binary | std::ios::trunc);
    if (!(f << text) || !f.flush()) usage_error("cannot write '" + o->out + "'");
    std::cerr << "wrote " << count_of(grants.size(), "grant") << " to " << o->out << "\n";
  });
}

}  // namespace fundtrail::cli
