// Proof parsing, through the real `fundtrail proof check` command: the fuzz
// input is the proof JSON, checked against fixed, validly signed checkpoints
// of a fixed tree (sizes 5 and 13). With FUNDTRAIL_FUZZ_WRITE_SEEDS=DIR it
// writes valid proofs of that tree as seeds into DIR and exits.
#include <kj/exception.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>

#include "cli/context.h"
#include "fuzz_support.h"
#include "ledger/keys.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

using namespace fundtrail;

namespace {

struct Fixed {
  std::string log_key, old_cp, new_cp;  // key text; checkpoint file paths
  std::vector<std::string> seeds;
};

Fixed make_fixed() {
  constexpr uint64_t kSize = 13;
  std::map<std::pair<unsigned, uint64_t>, Hash> stored;
  SubtreeReader read = [&](unsigned level, uint64_t index) { return stored.at({level, index}); };
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i < kSize; ++i) {
    std::string leaf = "fuzz leaf " + std::to_string(i);
    leaves.push_back(leaf_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size())));
    add_leaf(read, i, leaves.back(), [&](unsigned level, uint64_t index, const Hash& h) { stored[{level, index}] = h; });
  }
  std::array<uint8_t, 32> seed{};
  for (size_t i = 0; i < seed.size(); ++i) seed[i] = uint8_t(0x40 + i);
  KeyPair log = key_from_seed("fuzz.example/log", seed);
  Fixed f;
  f.log_key = verifier_key_text(log.name, 0x01, log.pk);
  auto checkpoint_file = [&](uint64_t size, const char* name) {
    std::string note = sign_note(checkpoint_body(log.name, size, tree_root(read, size)), log.name, log.sk, log.pk);
    static std::vector<fuzz::InputFile> files;  // kept open for the process's life
    files.emplace_back(name);
    return files.back().write(reinterpret_cast<const uint8_t*>(note.data()), note.size());
  };
  f.old_cp = checkpoint_file(5, "old-checkpoint");
  f.new_cp = checkpoint_file(kSize, "checkpoint");
  for (uint64_t i : {0, 4, 7, 12})
    f.seeds.push_back(inclusion_proof_json(i, kSize, leaves[i], inclusion_proof(read, i, kSize)));
  f.seeds.push_back(consistency_proof_json(5, kSize, consistency_proof(read, 5, kSize)));
  return f;
}

const Fixed& fixed() {
  static const Fixed f = make_fixed();
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!std::freopen("/dev/null", "w", stdout)) return 0;  // "proof verified" lines
  if (const char* dir = std::getenv("FUNDTRAIL_FUZZ_WRITE_SEEDS")) {
    for (size_t i = 0; i < fixed().seeds.size(); ++i)
      std::ofstream(std::string(dir) + "/proof-" + std::to_string(i) + ".json") << fixed().seeds[i];
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static fuzz::InputFile proof("proof");
  const Fixed& f = fixed();
  CLI::App app;
  cli::Context ctx;
  app.add_option("--ledger", ctx.ledger_dir);
  cli::add_transparency_commands(app, ctx);
  std::vector<std::string> args = {"proof", "check", proof.write(data, size), "--checkpoint", f.new_cp,
                                   "--old-checkpoint", f.old_cp, "--log-key", f.log_key};
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::Error&) {
  } catch (const Error&) {  // refused (1) or unusable (2): what the command exits with
  }
  return 0;
}
