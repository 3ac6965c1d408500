// Crash isolation for the fundtrail command (docs/reliability.md "Damaged
// files"). LMDB keeps no page checksums, so one damaged byte in a page header
// can make any reader or writer fault. The command therefore runs in a child
// process; a child that dies by a fault (SIGSEGV, SIGBUS, SIGILL, SIGFPE,
// SIGABRT, SIGSYS, SIGTRAP) is reported as unusable input, exit 2, naming the
// ledger's data.mdb and what to run next. A child ended by any other signal
// (Ctrl-C, SIGTERM, a closed pipe) ends the parent by the same signal, and
// SIGINT, SIGTERM and SIGHUP sent to the parent are passed on to the child;
// a parent killed outright takes the child with it (PR_SET_PDEATHSIG).
//
// FUNDTRAIL_NO_ISOLATION=1 runs the command in-process (for a debugger).
#pragma once
#include <functional>
#include <string>

namespace fundtrail::cli {

// Runs `command` in a child process and returns its exit code (see above).
// `argc`/`argv` only name the ledger in the crash message.
int run_isolated(int argc, const char* const* argv, const std::function<int()>& command);

// The ledger directory a command line names (--ledger, FUNDTRAIL_LEDGER), or "".
std::string ledger_named_by(int argc, const char* const* argv);

}  // namespace fundtrail::cli
