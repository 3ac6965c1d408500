// What every fundtrail subcommand shares: where the ledger is, how keys are
// unlocked, how a request is signed, appended and reported.
#pragma once
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/request.h"

namespace fundtrail::cli {

struct Context {
  std::string ledger_dir;  // --ledger or FUNDTRAIL_LEDGER
  bool json = false;       // --json on read commands, and on writes for scripts
  int exit_status = 0;     // a command that finished its report but found a problem sets 1

  // The ledger directory, or a usage error saying how to name one.
  std::string require_ledger_dir() const;
  Ledger open_ledger(bool read_only = false) const;
};

// Passphrase from FUNDTRAIL_PASSPHRASE, else a no-echo prompt on a terminal.
std::string passphrase(const std::string& what);
// The passphrase a new key file is sealed with: at least 12 characters unless
// `weak_ok` (--weak-passphrase), from FUNDTRAIL_PASSPHRASE or typed twice at a
// prompt (three tries). Usage error otherwise; the caller has written nothing.
std::string new_passphrase(const std::string& what, bool weak_ok);
// Unlocks a key file; at a prompt a wrong passphrase may be retyped (three tries).
KeyPair unlock_key(const std::string& path);

// Options every write takes.
struct WriteOptions {
  std::vector<std::string> keys;
  std::string idempotency_key;
  bool sign_only = false;  // --sign-only: write the signed request to `out` instead of appending it
  std::string out;
  std::string server;      // --server URL: look up and submit there (write_target.h)
  void add_to(CLI::App* cmd, bool allow_two_keys);
};

// Signs the body with each key, appends it and prints the seq (stdout) and a
// sentence (stderr); with --sign-only, writes the signed request to --out
// instead (docs/server.md: cosign and submit it). Without --idempotency-key, a key is derived from the
// body (derived_idempotency_key), so a repeated command is answered with the
// original seq.
class WriteTarget;
Appended sign_and_append(const Context& ctx, WriteTarget& target, const WriteOptions& opts, const spec::Body& body);

int64_t now_ms();
uint32_t today();
uint32_t date_arg(const std::string& text, const char* option);  // usage error when malformed
// A money record's value date: a front-end policy, not a ledger rule (DESIGN.md):
// more than a year after today is refused as a likely typing mistake unless
// `future_ok` (--future-date). `where` names the option or the row.
void check_value_date(uint32_t date, bool future_ok, const std::string& where);
int64_t amount_arg(const std::string& text, int exponent, const char* option);

// Prints a JSON value on stdout (pretty when stdout is a terminal).
void print_json(const nlohmann::json& j);
bool stdout_is_terminal();
bool stderr_is_terminal();

// Usage errors (exit 2) detected after parsing.
[[noreturn]] void usage_error(const std::string& why);

// Registration of each command family.
void add_key_commands(CLI::App& app, Context& ctx);
void add_init_command(CLI::App& app, Context& ctx);
void add_party_commands(CLI::App& app, Context& ctx);
void add_money_commands(CLI::App& app, Context& ctx);
void add_responsibility_commands(CLI::App& app, Context& ctx);
void add_read_commands(CLI::App& app, Context& ctx);
void add_transparency_commands(CLI::App& app, Context& ctx);
void add_import_command(CLI::App& app, Context& ctx);
void add_demo_command(CLI::App& app, Context& ctx);
void add_contract_commands(CLI::App& app, Context& ctx);  // after add_party_commands
void add_contract_reports(CLI::App* contract, Context& ctx);
void add_publish_command(CLI::App& app, Context& ctx);
void add_map_commands(CLI::App& app, Context& ctx);
void add_export_command(CLI::App& app, Context& ctx);    // export --format 360giving
void add_witness_commands(CLI::App& app, Context& ctx);  // witness add URL...
void add_maintenance_commands(CLI::App& app, Context& ctx);  // check, reindex
void add_serve_command(CLI::App& app, Context& ctx);         // runs fundtrail-serve
void add_request_commands(CLI::App& app, Context& ctx);      // cosign, submit
void add_mirror_command(CLI::App& app, Context& ctx);        // mirror SOURCE DIR

}  // namespace fundtrail::cli

namespace fundtrail::cli {
// Adds --json (machine-readable output) to a subcommand.
void add_json_flag(CLI::App* cmd, Context& ctx);
// The ledger's log signing key, kept sealed in the ledger directory.
std::string log_key_path(const std::string& ledger_dir);
}  // namespace fundtrail::cli

namespace fundtrail::cli {
// "a|b|c": the accepted words of an option, for --help.
std::string join_names(const std::vector<std::string>& names);
}  // namespace fundtrail::cli
