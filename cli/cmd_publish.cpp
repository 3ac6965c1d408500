// publish --tiles DIR: the ledger as static C2SP tlog-tiles, for any web host.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/context.h"
#include "ledger/cosignatures.h"
#include "ledger/note.h"
#include "ledger/tiles.h"

namespace fundtrail::cli {
namespace {

std::optional<std::string> read_existing(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Temporary name, then rename: a reader never sees half a file.
void write_new(const std::filesystem::path& p, const std::string& bytes) {
  std::filesystem::create_directories(p.parent_path());
  std::filesystem::path tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) usage_error("cannot write '" + tmp.string() + "' (disk full or read-only?)");
  }
  std::filesystem::rename(tmp, p);
}

}  // namespace

void add_publish_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string dir;
    int64_t size = -1;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "publish",
      "publish: write the ledger as static C2SP tlog-tiles (checkpoint, hash tiles, entry bundles) for any\n"
      "web host. Incremental: only new files are written; an existing file that differs is an error.\n"
      "Example: fundtrail publish --tiles /var/www/ledger && rsync -a /var/www/ledger host:/srv/");
  cmd->add_option("--tiles", o->dir, "directory to publish into")->required();
  cmd->add_option("--size", o->size, "tree size to publish (default: every record)");
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger();
    uint64_t n = o->size < 0 ? ledger.size() : static_cast<uint64_t>(o->size);
    if (n > ledger.size()) usage_error("--size is larger than the ledger (" + std::to_string(ledger.size()) + " records)");
    std::filesystem::path root(o->dir);
    std::string why;
    if (auto old = read_existing(root / "checkpoint")) {
      auto split = split_note(*old, why);
      auto cp = split ? parse_checkpoint_body(split->first, why) : std::nullopt;
      if (cp && cp->size > n)
        refuse("the published checkpoint is for size " + std::to_string(cp->size) + "; publishing size " + std::to_string(n) +
               " would roll it back");
    }
    size_t written = 0, kept = 0;
    for (const TileRef& t : tiles_for_size(n)) {
      std::string bytes = tile_bytes(ledger, t);
      std::filesystem::path p = root / t.path();
      if (auto existing = read_existing(p)) {
        if (*existing != bytes) refuse("published file " + p.string() + " differs from what the ledger implies; it was not overwritten");
        ++kept;
        continue;
      }
      write_new(p, bytes);
      ++written;
    }
    KeyPair log = load_key_file(log_key_path(ctx.require_ledger_dir()), passphrase("the ledger's log key"));
    std::string note = sign_note(checkpoint_body(ledger.facts().origin, n, ledger.root(n)), ledger.facts().origin, log.sk, log.pk);
    note = keep_checkpoint(ledger, n, note);  // keeps witnesses' cosignatures for this size
    write_new(root / "checkpoint", note);  // last: it commits to everything above
    if (ctx.json) return print_json({{"size", n}, {"written", written}, {"unchanged", kept}, {"dir", o->dir}});
    std::cout << n << "\n";
    std::cerr << "published size " << n << " to " << o->dir << ": " << written << " new files, " << kept << " unchanged\n";
  });
}

}  // namespace fundtrail::cli
