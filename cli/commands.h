// The fundtrail command tree: its top-level options and every subcommand.
//
// A process runs one command, so only that command's family is given its
// options: building all forty option trees costs a `pay` about 260 KB of heap
// and a quarter of its page faults (docs/performance.md, "pay latency").
#pragma once
#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

#include "cli/context.h"

namespace fundtrail::cli {

// The top-level command argv names ("pay" in `fundtrail --ledger books pay
// ...`), or "" when there is none or a help flag comes first (top-level
// --help must list every command).
std::string invoked_command(int argc, const char* const* argv);

// Sets up `app` as the fundtrail command. With `invoked` naming a known
// command, registers only the family that provides it; otherwise (empty,
// unknown, a typo) registers everything so that help and errors list all.
void build_app(CLI::App& app, Context& ctx, std::string_view invoked);

}  // namespace fundtrail::cli
