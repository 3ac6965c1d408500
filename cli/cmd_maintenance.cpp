// check and reindex: the derived indexes against what the records imply
// (DESIGN.md "Storage"). Both rebuild every index from `entries` through the
// writer's own rules in a temporary directory ($TMPDIR, else /tmp); check
// writes nothing, reindex replaces the ledger's indexes in one transaction.
#include <cstdlib>
#include <iostream>

#include "cli/context.h"
#include "cli/plural.h"
#include "cli/progress.h"

namespace fundtrail::cli {
namespace {

std::string temp_parent() {
  const char* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

nlohmann::json differences_json(const IndexCheck& c) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : c.differences)
    out.push_back({{"database", d.database},
                   {"missing", d.missing},
                   {"extra", d.extra},
                   {"changed", d.changed},
                   {"first_key_hex", d.first_key_hex}});
  return out;
}

void print_differences(const IndexCheck& c) {
  for (const auto& d : c.differences)
    std::cerr << "  " << d.database << ": " << d.missing << " missing, " << d.extra << " extra, " << d.changed
              << " changed (first key " << d.first_key_hex << ")\n";
}

}  // namespace

void add_maintenance_commands(CLI::App& app, Context& ctx) {
  auto* check = app.add_subcommand(
      "check",
      "check: rebuild every derived index (parties, keys, contracts, idempotency keys, the Merkle tree, ...) from\n"
      "the records, through the writer's own rules, and compare it with the stored one. Writes nothing.\n"
      "Exit 0: every index agrees; 1: an index differs (run 'fundtrail reindex'); 2: the records themselves\n"
      "fail a check (run fundtrail-verify). The rebuild is made under $TMPDIR.\n"
      "Example: fundtrail --ledger books check --json");
  add_json_flag(check, ctx);
  check->callback([&ctx] {
    Ledger ledger = ctx.open_ledger(true);
    Progress bar("rebuilding indexes", ledger.size());
    IndexCheck c = ledger.check_indexes(temp_parent(), [&](uint64_t done, uint64_t) { bar.update(done); });
    bar.finish();
    if (ctx.json) {
      print_json({{"records", c.records}, {"agree", c.differences.empty()}, {"differences", differences_json(c)}});
    } else if (c.differences.empty()) {
      std::cout << "every index agrees with the " << count_of(c.records, "record") << "\n";
    } else {
      std::cout << c.differences.size() << " of the derived indexes " << (c.differences.size() == 1 ? "differs" : "differ")
                << " from what the " << count_of(c.records, "record") << " imply\n";
      print_differences(c);
      std::cerr << "run 'fundtrail reindex' to rebuild them from the records\n";
    }
    if (!c.differences.empty()) ctx.exit_status = 1;
  });

  auto* reindex = app.add_subcommand(
      "reindex",
      "reindex: rebuild every derived index from the records, through the writer's own rules, and replace the\n"
      "stored ones in one transaction. The records and the issued checkpoints are kept as they are; a rebuilt\n"
      "tree that conflicts with an issued checkpoint is refused (exit 2). The rebuild is made under $TMPDIR.\n"
      "Example: fundtrail --ledger books reindex");
  add_json_flag(reindex, ctx);
  reindex->callback([&ctx] {
    Ledger ledger = ctx.open_ledger();
    Progress bar("rebuilding indexes", ledger.size());
    IndexCheck c = ledger.reindex(temp_parent(), [&](uint64_t done, uint64_t) { bar.update(done); });
    bar.finish();
    if (ctx.json)
      return print_json({{"records", c.records}, {"rebuilt", true}, {"differences_before", differences_json(c)}});
    std::cout << "rebuilt every index from the " << count_of(c.records, "record");
    if (c.differences.empty()) std::cout << "; they agreed already\n";
    else std::cout << "; " << c.differences.size() << " had differed\n";
    print_differences(c);
  });
}

}  // namespace fundtrail::cli
