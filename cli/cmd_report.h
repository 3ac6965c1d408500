// fundtrail report --html FILE: the page a councillor reads (DESIGN.md "A
// report people read"; accountability/report.h makes its data and page).
#pragma once
#include <CLI/CLI.hpp>

#include "cli/context.h"

namespace fundtrail::cli {
void add_report_command(CLI::App& app, Context& ctx);
}  // namespace fundtrail::cli
