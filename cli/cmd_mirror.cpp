// mirror: a verified, incremental local copy of a log, read from a ledger
// server, a static tile host or a directory of published tiles (DESIGN.md
// "Serving a partnership"). Every record is checked as the writer checks it,
// the source's checkpoint must verify under the trusted log key and sign
// exactly the records fetched, and a source that forked is refused (exit 1)
// while the mirror keeps what it had. Read commands, `fundtrail map`,
// fundtrail-verify and `fundtrail serve --read-only` all work on the copy.
#include <sys/stat.h>

#include <iostream>

#include "cli/context.h"
#include "cli/progress.h"
#include "cli/tile_source.h"
#include "ledger/cosignatures.h"
#include "ledger/note.h"
#include "ledger/tiles.h"

namespace fundtrail::cli {
namespace {

constexpr size_t kMaxCheckpointBytes = 64 * 1024;  // a note with many cosignatures is a few KiB

// Records [from, size) of a tree of `size` leaves, one entry bundle at a time.
// A partial bundle the source no longer keeps is read from its full tile, as
// C2SP tlog-tiles lets a client do once the log has grown past it.
class RecordFetcher {
 public:
  RecordFetcher(const TileSource& source, uint64_t size) : source_(source), size_(size) {}

  std::vector<Bytes> bundle_from(uint64_t seq) {
    uint64_t index = seq / kTileWidth;
    uint64_t width = std::min<uint64_t>(kTileWidth, size_ - index * kTileWidth);
    TileRef tile{-1, index, width};
    auto bytes = source_.get(tile.path(), kMaxBundleBytes);
    if (!bytes && width < kTileWidth) {
      bytes = source_.get(TileRef{-1, index, kTileWidth}.path(), kMaxBundleBytes);
      if (bytes) width = kTileWidth;
    }
    if (!bytes)
      throw Error(ErrorKind::refused, source_.name() + " does not serve " + tile.path() + " although its checkpoint of size " +
                                          std::to_string(size_) + " covers it; the mirror keeps what it had");
    std::string why;
    auto leaves = split_entry_bundle(*bytes, width, why);
    if (!leaves) throw Error(ErrorKind::refused, source_.name() + "/" + tile.path() + " is not a well-formed entry bundle: " + why);
    uint64_t first = index * kTileWidth, end = std::min(size_, first + width);
    return std::vector<Bytes>(std::make_move_iterator(leaves->begin() + long(seq - first)),
                              std::make_move_iterator(leaves->begin() + long(end - first)));
  }

 private:
  const TileSource& source_;
  uint64_t size_;
};

}  // namespace

void add_mirror_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string source, dir, log_key;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "mirror",
      "mirror: create or bring up to date a verified local copy of a log. SOURCE is a ledger server's URL, the URL\n"
      "of a static tile host, or a directory `fundtrail publish --tiles` wrote. Each record is checked as the\n"
      "writer checks it, and the source's checkpoint must verify under --log-key and sign exactly these records;\n"
      "a source that rewrote history is refused (exit 1) and the copy keeps what it had.\n"
      "Example: fundtrail mirror https://ledger.riverside.example riverside-copy --log-key \"$(cat log-key.txt)\"\n"
      "         fundtrail mirror /var/www/ledger riverside-copy --log-key \"$(cat log-key.txt)\"");
  cmd->add_option("SOURCE", o->source, "a ledger server's URL, a tile host's URL, or a directory of published tiles")->required();
  cmd->add_option("DIR", o->dir, "the local copy (created when absent)")->required();
  cmd->add_option("--log-key", o->log_key, "the log's public key as published (fundtrail log-key on the host)")->required();
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    std::string why;
    auto key = parse_verifier_key(o->log_key, why);
    if (!key || key->type != 0x01) usage_error("--log-key: " + (key ? std::string("a log key has type 0x01") : why));
    TileSource source(o->source);
    const std::string& from = source.name();
    auto note = source.get("checkpoint", kMaxCheckpointBytes);
    if (!note) unusable(from + " has no checkpoint yet");
    auto cp = open_checkpoint(*note, key->name, *key, why);
    if (!cp) throw Error(ErrorKind::refused, from + "'s checkpoint does not verify under --log-key: " + why);
    RecordFetcher fetch(source, cp->size);

    struct stat st;
    bool fresh = ::stat((o->dir + "/data.mdb").c_str(), &st) != 0;
    if (fresh) {
      if (cp->size == 0) unusable(from + " has no records yet");
      Ledger made = Ledger::create_replica(o->dir, fetch.bundle_from(0).front());
      if (made.facts().log_key != key->key || made.facts().origin != key->name)
        throw Error(ErrorKind::refused, from + "'s genesis names another log key or origin than --log-key");
    }
    Ledger ledger = Ledger::open(o->dir);
    if (ledger.facts().log_key != key->key || ledger.facts().origin != key->name)
      usage_error("'" + o->dir + "' is a copy of another log than --log-key names");
    uint64_t have = ledger.size();
    uint64_t had = fresh ? 0 : have;  // what the copy held before this run
    if (cp->size <= have) {
      if (ledger.root(cp->size) != cp->root)
        throw Error(ErrorKind::refused, from + " forked: its checkpoint of size " + std::to_string(cp->size) +
                                            " signs another root than the records this copy holds; the copy keeps what it had");
    } else {
      std::vector<Bytes> leaves;
      Progress bar("fetching records", size_t(cp->size - have));
      while (have + leaves.size() < cp->size) {
        for (Bytes& leaf : fetch.bundle_from(have + leaves.size())) leaves.push_back(std::move(leaf));
        bar.update(leaves.size());
      }
      bar.finish();
      ledger.replicate(leaves, cp->size, cp->root);
    }
    try {
      keep_checkpoint(ledger, cp->size, *note);
    } catch (const Error& e) {
      if (e.check != "checkpoint") throw;
      throw Error(ErrorKind::refused, from + " forked: " + e.message);
    }
    uint64_t added = cp->size > had ? cp->size - had : 0;
    if (ctx.json) return print_json({{"size", ledger.size()}, {"added", added}, {"checkpoint", cp->size}});
    std::cout << ledger.size() << "\n";
    std::cerr << "mirrored " << from << ": " << added << " new record" << (added == 1 ? "" : "s") << ", "
              << ledger.size() << " in all; checkpoint of size " << cp->size << " verified and kept\n";
  });
}

}  // namespace fundtrail::cli
