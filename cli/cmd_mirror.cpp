// mirror: a verified, incremental local copy of a ledger server's records
// (DESIGN.md "Serving a partnership"). Every record is checked as the writer
// checks it, the source's checkpoint must verify under the trusted log key
// and sign exactly the records fetched, and a source that forked is refused
// (exit 1) while the mirror keeps what it had. Read commands, `fundtrail map`,
// fundtrail-verify and `fundtrail serve --read-only` all work on the copy.
#include <sys/stat.h>

#include <iostream>

#include "cli/context.h"
#include "cli/http_client.h"
#include "cli/progress.h"
#include "cli/write_target.h"
#include "ledger/cosignatures.h"
#include "ledger/note.h"

namespace fundtrail::cli {
namespace {

Bytes fetch_record(const std::string& base, uint64_t seq) {
  HttpAnswer a = http_get(base + "/v1/records/" + std::to_string(seq), 60);
  if (a.status == 0) unusable("no answer from " + base + ": " + a.transport + "; the mirror keeps what it had");
  if (a.status != 200)
    throw Error(ErrorKind::refused, base + " did not serve record " + std::to_string(seq) + " (HTTP " +
                                        std::to_string(a.status) + ") although its checkpoint covers it");
  return Bytes(a.body.begin(), a.body.end());
}

}  // namespace

void add_mirror_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string source, dir, log_key;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "mirror",
      "mirror: create or bring up to date a verified local copy of a ledger server's records. Each record is\n"
      "checked as the writer checks it, and the server's checkpoint must verify under --log-key and sign exactly\n"
      "these records; a server that rewrote history is refused (exit 1) and the copy keeps what it had.\n"
      "(SOURCE is a server URL; mirroring from published tiles is to come.)\n"
      "Example: fundtrail mirror https://ledger.riverside.example riverside-copy --log-key \"$(cat log-key.txt)\"");
  cmd->add_option("SOURCE", o->source, "the ledger server's URL")->required();
  cmd->add_option("DIR", o->dir, "the local copy (created when absent)")->required();
  cmd->add_option("--log-key", o->log_key, "the log's public key as published (fundtrail log-key on the host)")->required();
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    std::string why;
    auto key = parse_verifier_key(o->log_key, why);
    if (!key || key->type != 0x01) usage_error("--log-key: " + (key ? std::string("a log key has type 0x01") : why));
    std::string base = server_base_url(o->source);
    HttpAnswer cpa = http_get(base + "/checkpoint", 60);
    if (cpa.status == 0) unusable("no answer from " + base + ": " + cpa.transport);
    if (cpa.status != 200) unusable(base + "/checkpoint answered HTTP " + std::to_string(cpa.status) + ": " + shown(cpa.body));
    auto cp = open_checkpoint(cpa.body, key->name, *key, why);
    if (!cp) throw Error(ErrorKind::refused, base + "'s checkpoint does not verify under --log-key: " + why);

    struct stat st;
    bool fresh = ::stat((o->dir + "/data.mdb").c_str(), &st) != 0;
    if (fresh) {
      if (cp->size == 0) unusable(base + " has no records yet");
      Bytes genesis = fetch_record(base, 0);
      Ledger made = Ledger::create_replica(o->dir, genesis);
      if (made.facts().log_key != key->key || made.facts().origin != key->name)
        throw Error(ErrorKind::refused, base + "'s genesis names another log key or origin than --log-key");
    }
    Ledger ledger = Ledger::open(o->dir);
    if (ledger.facts().log_key != key->key || ledger.facts().origin != key->name)
      usage_error("'" + o->dir + "' is a copy of another log than --log-key names");
    uint64_t have = ledger.size();
    uint64_t had = fresh ? 0 : have;  // what the copy held before this run
    if (cp->size <= have) {
      if (ledger.root(cp->size) != cp->root)
        throw Error(ErrorKind::refused, base + " forked: its checkpoint of size " + std::to_string(cp->size) +
                                            " signs another root than the records this copy holds; the copy keeps what it had");
    } else {
      std::vector<Bytes> leaves;
      Progress bar("fetching records", size_t(cp->size - have));
      for (uint64_t seq = have; seq < cp->size; ++seq) {
        leaves.push_back(fetch_record(base, seq));
        bar.update(size_t(seq - have + 1));
      }
      bar.finish();
      ledger.replicate(leaves, cp->size, cp->root);
    }
    try {
      keep_checkpoint(ledger, cp->size, cpa.body);
    } catch (const Error& e) {
      if (e.check != "checkpoint") throw;
      throw Error(ErrorKind::refused, base + " forked: " + e.message);
    }
    uint64_t added = cp->size > had ? cp->size - had : 0;
    if (ctx.json) return print_json({{"size", ledger.size()}, {"added", added}, {"checkpoint", cp->size}});
    std::cout << ledger.size() << "\n";
    std::cerr << "mirrored " << base << ": " << added << " new record" << (added == 1 ? "" : "s") << ", "
              << ledger.size() << " in all; checkpoint of size " << cp->size << " verified and kept\n";
  });
}

}  // namespace fundtrail::cli
