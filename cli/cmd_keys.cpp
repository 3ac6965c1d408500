// key generate | public | list
#include <dirent.h>

#include <filesystem>
#include <iostream>

#include "cli/context.h"

namespace fundtrail::cli {

void add_key_commands(CLI::App& app, Context& ctx) {
  auto* key = app.add_subcommand("key", "create and inspect signing keys");
  key->require_subcommand(1);

  struct GenOpts {
    std::string file, name, kdf = "moderate";
    bool weak = false;
  };
  auto g = std::make_shared<GenOpts>();
  auto* gen = key->add_subcommand(
      "generate",
      "key generate: create an Ed25519 key file sealed with a passphrase (Argon2id), mode 0600.\n"
      "Prints its public key as signed-note verifier text, to give to an administrator for grant-key.\n"
      "The passphrase (FUNDTRAIL_PASSPHRASE, or typed twice at the prompt) needs at least 12 characters.\n"
      "Example: fundtrail key generate alice.key --name alice");
  gen->add_option("FILE", g->file, "key file to create (never overwritten)")->required();
  gen->add_option("--name", g->name, "key name in signed notes (default: the file's base name)");
  gen->add_option("--kdf", g->kdf, "Argon2id cost: interactive, moderate (default) or sensitive")
      ->check(CLI::IsMember({"interactive", "moderate", "sensitive"}));
  gen->add_flag("--weak-passphrase", g->weak, "accept a passphrase shorter than 12 characters (throwaway keys only)");
  add_json_flag(gen, ctx);
  gen->callback([g, &ctx] {
    std::string name = g->name.empty() ? std::filesystem::path(g->file).stem().string() : g->name;
    if (name.empty() || name.find_first_of(" +\n") != std::string::npos)
      usage_error((g->name.empty() ? "the key's name (the file's base name '" : "--name '") + name +
                  (g->name.empty() ? "')" : "'") +
                  " must be non-empty, without spaces or '+' (it names the key in signed notes); give --name, e.g. "
                  "--name alice");
    Kdf kdf = g->kdf == "interactive" ? Kdf::interactive : g->kdf == "sensitive" ? Kdf::sensitive : Kdf::moderate;
    KeyPair k = generate_key(name);
    save_key_file(g->file, k, new_passphrase("the new key " + g->file, g->weak), kdf);
    std::string text = public_key_text({k.name, k.pk});
    if (ctx.json)
      print_json({{"file", g->file}, {"name", k.name}, {"public_key", text}});
    else
      std::cout << text << "\n";
  });

  auto file = std::make_shared<std::string>();
  auto* pub = key->add_subcommand("public", "key public: print a key file's public verifier text (no passphrase needed)\n"
                                            "Example: fundtrail key public alice.key");
  pub->add_option("FILE", *file, "key file")->required()->check(CLI::ExistingFile);
  add_json_flag(pub, ctx);
  pub->callback([file, &ctx] {
    KeyFileInfo info = read_key_public(*file);
    if (ctx.json)
      print_json({{"file", *file}, {"name", info.name}, {"public_key", public_key_text(info)}});
    else
      std::cout << public_key_text(info) << "\n";
  });

  auto dir = std::make_shared<std::string>(".");
  auto* list = key->add_subcommand("list", "key list: list the key files in a directory with their public keys\n"
                                           "Example: fundtrail key list keys/");
  list->add_option("DIR", *dir, "directory to look in (default: .)")->check(CLI::ExistingDirectory);
  add_json_flag(list, ctx);
  list->callback([dir, &ctx] {
    nlohmann::json out = nlohmann::json::array();
    std::vector<std::filesystem::path> files;
    for (auto& e : std::filesystem::directory_iterator(*dir))
      if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (auto& p : files) {
      try {
        KeyFileInfo info = read_key_public(p.string());
        out.push_back({{"file", p.string()}, {"name", info.name}, {"public_key", public_key_text(info)}});
      } catch (const Error&) {
        // not a key file: skip it
      }
    }
    if (ctx.json) return print_json(out);
    for (auto& k : out) std::cout << k["file"].get<std::string>() << "\t" << k["public_key"].get<std::string>() << "\n";
  });
}

}  // namespace fundtrail::cli
