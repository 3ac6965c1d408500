// init: a new ledger with its genesis record and its sealed log key.
#include <sys/stat.h>

#include <cstring>
#include <iostream>

#include "cli/context.h"
#include "ledger/request.h"
#include "ledger/money.h"

namespace fundtrail::cli {

void add_init_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string dir, origin, currency = "GBP", threshold, kdf = "moderate";
    std::vector<std::string> keys;
    bool weak = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "init",
      "init: create a ledger. Record 0 (genesis) names its origin, currency, dual-control threshold and\n"
      "administrator keys; a log key for checkpoints is created and sealed in DIR/log.key.\n"
      "Example: fundtrail init books --origin example.gov.uk/fundtrail/riverside --currency GBP \\\n"
      "           --dual-control 10000.00 --key admin.key");
  cmd->add_option("DIR", o->dir, "ledger directory to create (default: --ledger or $FUNDTRAIL_LEDGER)");
  cmd->add_option("--origin", o->origin, "the log's origin name, e.g. example.gov.uk/fundtrail/riverside")->required();
  cmd->add_option("--currency", o->currency, "ISO 4217 currency of every amount (default GBP)");
  cmd->add_option("--dual-control", o->threshold, "payments at or above this amount need two keys, e.g. 10000.00")
      ->required();
  cmd->add_option("--key", o->keys, "administrator key file (repeat for several administrators)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--kdf", o->kdf, "Argon2id cost of the sealed log key: interactive, moderate (default), sensitive")
      ->check(CLI::IsMember({"interactive", "moderate", "sensitive"}));
  add_json_flag(cmd, ctx);
  cmd->add_flag("--weak-passphrase", o->weak, "accept a log-key passphrase shorter than 12 characters (throwaway ledgers)");
  cmd->callback([o, &ctx] {
    std::string dir = o->dir.empty() ? ctx.require_ledger_dir() : o->dir;
    // Every check that can fail comes before anything is created, and a
    // failure after that removes what this run made: a failed init leaves nothing.
    if (o->origin.empty() || o->origin.find_first_of(" \t+\n") != std::string::npos)
      usage_error("--origin '" + o->origin +
                  "' must be one word without spaces or '+' (it names the log in every checkpoint), e.g. "
                  "riverside.example.gov.uk/fundtrail/community-budget");
    int exponent = currency_exponent(o->currency);
    if (exponent < 0) usage_error("--currency '" + o->currency + "' is not an ISO 4217 code such as GBP, EUR or JPY");
    int64_t threshold = amount_arg(o->threshold, exponent, "--dual-control");
    struct stat st;
    if (::stat((dir + "/data.mdb").c_str(), &st) == 0) usage_error("'" + dir + "' already holds a ledger; nothing was changed");
    bool dir_existed = ::stat(dir.c_str(), &st) == 0;
    if (dir_existed && !S_ISDIR(st.st_mode)) usage_error("'" + dir + "' exists and is not a directory; nothing was changed");
    std::vector<KeyPair> admins;
    for (auto& k : o->keys) admins.push_back(unlock_key(k));
    KeyPair log = generate_key(o->origin);
    Kdf kdf = o->kdf == "interactive" ? Kdf::interactive : o->kdf == "sensitive" ? Kdf::sensitive : Kdf::moderate;
    std::string log_pass = new_passphrase("the ledger's new log key", o->weak);

    if (!dir_existed && ::mkdir(dir.c_str(), 0755) != 0)
      usage_error("cannot create '" + dir + "': " + std::strerror(errno));
    try {
      save_key_file(log_key_path(dir), log, log_pass, kdf);
      std::fill(log_pass.begin(), log_pass.end(), '\0');
      std::vector<const KeyPair*> signers;
      for (auto& k : admins) signers.push_back(&k);
      SignedRequest req = genesis_request({o->origin, log.pk, {}, o->currency, threshold}, signers, now_ms());
      Ledger ledger = Ledger::create(dir, req);
    } catch (...) {
      // Only what this run made: the directory was empty of a ledger before.
      for (const char* f : {"/data.mdb", "/lock.mdb"}) ::unlink((dir + f).c_str());
      ::unlink(log_key_path(dir).c_str());
      if (!dir_existed) ::rmdir(dir.c_str());
      throw;
    }
    std::string log_text = verifier_key_text(o->origin, 0x01, log.pk);
    if (ctx.json) return print_json({{"seq", 0}, {"ledger", dir}, {"log_key", log_text}});
    std::cout << 0 << "\n";
    std::cerr << "created ledger " << dir << " (origin " << o->origin << ", " << o->currency << ")\n"
              << "log key: " << log_text << "\n"
              << "next: fundtrail --ledger " << dir << " party add ID --name NAME --kind KIND --key ADMIN_KEY\n";
  });
}

}  // namespace fundtrail::cli
