#include "cli/context.h"

#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

#include "cli/atomic_file.h"
#include "cli/describe.h"
#include "cli/write_target.h"
#include "ledger/limits.h"
#include "server/request_json.h"
#include "ledger/state_change.h"
#include "ledger/money.h"

namespace fundtrail::cli {

void usage_error(const std::string& why) { throw Error(ErrorKind::unusable, why); }

std::string Context::require_ledger_dir() const {
  if (!ledger_dir.empty()) return ledger_dir;
  if (const char* env = std::getenv("FUNDTRAIL_LEDGER"); env && *env) return env;
  usage_error("no ledger given: pass --ledger DIR or set FUNDTRAIL_LEDGER (create one with 'fundtrail init DIR')");
}

Ledger Context::open_ledger(bool read_only) const { return Ledger::open(require_ledger_dir(), read_only); }

bool stdout_is_terminal() { return isatty(STDOUT_FILENO); }
bool stderr_is_terminal() { return isatty(STDERR_FILENO); }

namespace {

// One line typed at the terminal with echo off; the prompt goes to stderr.
// Echo goes off before the prompt shows: typed at once after it (a quick
// typist, a script on a pseudo-terminal), the passphrase is never echoed.
std::string prompt_hidden(const std::string& prompt) {
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::cerr << prompt << std::flush;
  std::string line;
  if (!std::getline(std::cin, line)) line.clear();
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  return line;
}

void require_terminal(const std::string& what) {
  if (!isatty(STDIN_FILENO))
    usage_error("a passphrase is needed for " + what + ": set FUNDTRAIL_PASSPHRASE or run on a terminal");
}

// Characters, not bytes: a passphrase in any script counts as typed.
size_t characters(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

constexpr size_t kMinPassphrase = 12;  // a few words; docs/keyfile.md says why
constexpr int kPromptTries = 3;

void wipe(std::string& s) { std::fill(s.begin(), s.end(), '\0'); }

}  // namespace

std::string passphrase(const std::string& what) {
  if (const char* env = std::getenv("FUNDTRAIL_PASSPHRASE")) return env;
  require_terminal(what);
  return prompt_hidden("Passphrase for " + what + ": ");
}

std::string new_passphrase(const std::string& what, bool weak_ok) {
  auto short_by = [&](const std::string& p) { return !weak_ok && characters(p) < kMinPassphrase; };
  if (const char* env = std::getenv("FUNDTRAIL_PASSPHRASE")) {
    if (short_by(env))
      usage_error("FUNDTRAIL_PASSPHRASE holds " + std::to_string(characters(env)) + " characters: the passphrase of " +
                  what + " needs at least " + std::to_string(kMinPassphrase) +
                  " (a few words are easy to remember and slow to guess); nothing was written. Give "
                  "--weak-passphrase to accept a shorter one for a throwaway key");
    return env;
  }
  require_terminal(what);
  for (int attempt = 1; attempt <= kPromptTries; ++attempt) {
    std::string first = prompt_hidden("New passphrase for " + what + " (at least " + std::to_string(kMinPassphrase) +
                                      " characters): ");
    if (short_by(first)) {
      std::cerr << "That is " << characters(first) << " characters; a new key's passphrase needs at least "
                << kMinPassphrase << " (or give --weak-passphrase).\n";
      wipe(first);
      continue;
    }
    std::string again = prompt_hidden("The same passphrase again: ");
    bool same = first == again;
    wipe(again);
    if (same) return first;
    wipe(first);
    std::cerr << "The two passphrases differ; try again.\n";
  }
  usage_error("no passphrase was set for " + what + " after " + std::to_string(kPromptTries) +
              " tries; nothing was written");
}

KeyPair unlock_key(const std::string& path) {
  // Check the file before asking for a passphrase, so a typo is told at once.
  read_key_public(path);
  auto start = std::chrono::steady_clock::now();
  std::optional<KeyPair> k;
  if (std::getenv("FUNDTRAIL_PASSPHRASE")) {
    k = load_key_file(path, passphrase("key file " + path));
  } else {
    // At a prompt a mistyped passphrase may be typed again, up to three times.
    require_terminal("key file " + path);
    for (int attempt = 1; attempt <= kPromptTries && !k; ++attempt) {
      std::string pass = prompt_hidden("Passphrase for key file " + path + ": ");
      start = std::chrono::steady_clock::now();
      k = open_key_file(path, pass);
      wipe(pass);
      if (!k && attempt < kPromptTries)
        std::cerr << "Wrong passphrase for " << path << "; " << kPromptTries - attempt << " tries left.\n";
    }
    if (!k)
      usage_error("wrong passphrase for key file '" + path + "' " + std::to_string(kPromptTries) +
                  " times; nothing was written");
  }
  // The benchmark subtracts the deliberate Argon2id cost from a command's time
  // (DESIGN.md "Benchmark output": pay_ms_median excludes the key unlock).
  if (const char* timing = std::getenv("FUNDTRAIL_TIMING_FILE")) {
    std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
    std::ofstream(timing, std::ios::app) << "unlock_ms " << ms.count() << "\n";
  }
  return *k;
}

void WriteOptions::add_to(CLI::App* cmd, bool allow_two_keys) {
  auto* opt = cmd->add_option("--key", keys,
                              allow_two_keys ? "signing key file; give --key twice for dual control (officer + approver)"
                                             : "signing key file of the acting party")
                  ->required()
                  ->check(CLI::ExistingFile);
  if (!allow_two_keys) opt->expected(1);
  cmd->add_option("--idempotency-key", idempotency_key,
                  "retry-safe request id; without it one is derived from the request, so a repeated command is not "
                  "recorded twice");
  auto* so = cmd->add_flag("--sign-only", sign_only,
                           "sign, and write the signed request to --out instead of recording it (a second officer "
                           "adds a signature with 'fundtrail cosign', anyone records it with 'fundtrail submit')");
  cmd->add_option("--out", out, "with --sign-only: the request file to write (it holds no secret)")->needs(so);
  cmd->add_option("--server", server,
                  "a ledger server's URL (default: $FUNDTRAIL_SERVER): look up there, sign here, submit there");
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

uint32_t today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return static_cast<uint32_t>((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

uint32_t date_arg(const std::string& text, const char* option) {
  uint32_t d = parse_date(text);
  if (!d) usage_error(std::string(option) + " '" + text + "' is not a date: write YYYY-MM-DD, e.g. 2025-04-01");
  return d;
}

void check_value_date(uint32_t date, bool future_ok, const std::string& where) {
  uint32_t now = today();
  if (future_ok || date <= now + 10000) return;  // YYYYMMDD + 1 year
  usage_error(where + ": the value date " + format_date(date) + " is more than a year after today (" + format_date(now) +
              "), most often a typing mistake; give --future-date if it is meant");
}

int64_t amount_arg(const std::string& text, int exponent, const char* option) {
  MoneyParse p = parse_money(text, exponent);
  if (!p.ok()) usage_error(std::string(option) + " '" + text + "': " + p.message);
  return p.minor;
}

void print_json(const nlohmann::json& j) { std::cout << (stdout_is_terminal() ? j.dump(2) : j.dump()) << "\n"; }

namespace {

// A state change whose effect already holds: nothing to sign, so no key is
// unlocked; answered like a retry, naming the record that made it hold.
Appended answer_already_holds(const Context& ctx, const WriteTarget& target, const StateNow::Holds& holds) {
  Appended a{holds.seq, target.leaf_hash(holds.seq), true};
  if (ctx.json) {
    print_json({{"seq", a.seq}, {"leaf_hash", base64(a.leaf_hash)}, {"retried", true}, {"already_holds", holds.what}});
  } else {
    std::cout << a.seq << "\n";
    std::cerr << holds.what << " (seq " << a.seq << "); nothing new was written.\n";
  }
  return a;
}

}  // namespace

Appended sign_and_append(const Context& ctx, WriteTarget& target, const WriteOptions& opts, const spec::Body& body) {
  const LedgerFacts& facts = target.facts();
  bool derived = opts.idempotency_key.empty();
  std::string key = opts.idempotency_key;
  if (derived) {
    // DESIGN.md "Idempotency": state changes are idempotent by state, every
    // other request by its content.
    if (auto state = check_state_change(target.state(), body)) {
      if (state->holds) return answer_already_holds(ctx, target, *state->holds);
      key = state_idempotency_key(facts.origin, body, state->version);
    } else {
      key = derived_idempotency_key(facts.origin, body);
    }
  }
  if (opts.sign_only && opts.out.empty()) usage_error("--sign-only needs --out FILE: the signed request is written there");
  std::vector<KeyPair> keys;
  for (auto& path : opts.keys) keys.push_back(unlock_key(path));
  if (keys.size() == 2 && keys[0].pk == keys[1].pk)
    usage_error("both --key files hold the same key: dual control needs two distinct keys");
  std::vector<const KeyPair*> signers;
  for (auto& k : keys) signers.push_back(&k);
  SignedRequest request = sign_request(encode_entry(facts.origin, now_ms(), key, body), signers);
  if (opts.sign_only) {
    write_file_atomically(opts.out, wire::signed_request_json(request) + "\n");
    if (ctx.json) {
      print_json({{"out", opts.out}, {"idempotency_key", key}, {"signatures", request.signatures.size()}});
    } else {
      std::cerr << "signed request written to " << opts.out << " (idempotency key " << key << ", "
                << request.signatures.size() << " signature" << (request.signatures.size() > 1 ? "s" : "")
                << "); a second officer adds theirs with 'fundtrail cosign " << opts.out
                << " --key KEY', and 'fundtrail submit " << opts.out << "' records it\n";
    }
    return {};
  }
  Appended a = target.append(request);
  bool reversed = a.retried && target.is_reversed(a.seq);
  if (ctx.json) {
    nlohmann::json j = {{"seq", a.seq}, {"leaf_hash", base64(a.leaf_hash)}, {"retried", a.retried}, {"idempotency_key", key}};
    if (a.retried) j["reversed"] = reversed;
    print_json(j);
  } else {
    std::cout << a.seq << "\n";
    if (a.retried && reversed) {
      // The officer is re-sending something that no longer stands: say so.
      std::cerr << "already recorded as seq " << a.seq << " (idempotency key " << key
                << "), and since reversed, so it does not stand; nothing new was written. To record it anew, "
                << "give --idempotency-key with a new value.\n";
    } else if (a.retried) {
      std::cerr << "already recorded as seq " << a.seq << " (idempotency key " << key << ")";
      std::cerr << "; nothing new was written.";
      if (derived)
        std::cerr << " To record a second identical request on purpose, pass --idempotency-key with a new value.";
      std::cerr << "\n";
    } else if (stderr_is_terminal()) {
      // One line for the officer at the terminal; scripts read the seq on stdout.
      std::cerr << "recorded as seq " << a.seq << ": " << entry_summary(EntryView(request.entry).entry(), facts) << "\n";
    }
  }
  return a;
}

}  // namespace fundtrail::cli

namespace fundtrail::cli {
void add_json_flag(CLI::App* cmd, Context& ctx) { cmd->add_flag("--json", ctx.json, "print JSON for scripts"); }
std::string log_key_path(const std::string& ledger_dir) { return ledger_dir + "/log.key"; }
}  // namespace fundtrail::cli

namespace fundtrail::cli {
std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : "|") + n;
  return out;
}
}  // namespace fundtrail::cli
