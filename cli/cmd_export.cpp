// fundtrail export --format 360giving: a ledger's grants in the 360Giving
// Data Standard (docs/360giving.md).
#include "cli/context.h"

namespace fundtrail::cli {

void add_export_command(CLI::App& app, Context& ctx) {
  (void)app;
  (void)ctx;  // filled in by the 360Giving work (issue 12)
}

}  // namespace fundtrail::cli
