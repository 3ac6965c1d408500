// log-key, checkpoint, proof, statement, export-bundle: what a council
// publishes and what anyone can check with standard transparency-log tools.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/atomic_file.h"
#include "cli/context.h"
#include "cli/plural.h"
#include "ledger/balances.h"
#include "ledger/batch.h"
#include "ledger/batch_proof.h"
#include "ledger/cosignatures.h"
#include "ledger/merkle.h"
#include "ledger/note.h"

namespace fundtrail::cli {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

KeyPair unlock_log_key(const Context& ctx) {
  std::string path = log_key_path(ctx.require_ledger_dir());
  return load_key_file(path, passphrase("the ledger's log key " + path));
}

uint64_t size_or_all(const Ledger& ledger, int64_t size) {
  if (size < 0) return ledger.size();
  if (static_cast<uint64_t>(size) > ledger.size())
    usage_error("--size " + std::to_string(size) + " is larger than the ledger (" + std::to_string(ledger.size()) + " records)");
  return static_cast<uint64_t>(size);
}

Hash hash_from_json(const nlohmann::json& j, const char* field) {
  std::string raw;
  if (!j.is_string() || !from_base64(j.get<std::string>(), raw) || raw.size() != 32)
    usage_error(std::string("proof field '") + field + "' is not a base64 32-byte hash");
  Hash h;
  std::memcpy(h.data(), raw.data(), 32);
  return h;
}

void add_checkpoint(CLI::App& app, Context& ctx) {
  auto size = std::make_shared<int64_t>(-1);
  auto* cmd = app.add_subcommand(
      "checkpoint",
      "checkpoint: print a C2SP tlog-checkpoint signed by the ledger's log key, and keep it in the ledger.\n"
      "Publish it: anyone can later demand inclusion and consistency proofs against it.\n"
      "Example: fundtrail checkpoint > checkpoints/2025-06.txt");
  cmd->add_option("--size", *size, "tree size (default: every record)");
  add_json_flag(cmd, ctx);
  cmd->require_subcommand(0, 1);
  cmd->callback([size, cmd, &ctx] {
    if (!cmd->get_subcommands().empty()) return;
    Ledger ledger = ctx.open_ledger();
    uint64_t n = size_or_all(ledger, *size);
    KeyPair log = unlock_log_key(ctx);
    if (log.pk != ledger.facts().log_key) usage_error("the sealed log key does not match the genesis log key");
    std::string note = sign_note(checkpoint_body(ledger.facts().origin, n, ledger.root(n)), ledger.facts().origin, log.sk, log.pk);
    // Cosignatures that witnesses gave this checkpoint (witness add) are kept
    // and printed with it: a checkpoint is published with its cosignatures.
    note = keep_checkpoint(ledger, n, note);
    if (ctx.json) return print_json({{"size", n}, {"checkpoint", note}});
    std::cout << note;
  });
  auto* list = cmd->add_subcommand("list", "checkpoint list: the checkpoints issued, by tree size\n"
                                           "Example: fundtrail checkpoint list --json");
  add_json_flag(list, ctx);
  list->callback([&ctx] {
    Ledger ledger = ctx.open_ledger(true);
    nlohmann::json out = nlohmann::json::array();
    for (auto& [n, note] : ledger.checkpoints()) out.push_back({{"size", n}, {"checkpoint", note}});
    if (ctx.json) return print_json(out);
    for (auto& c : out) std::cout << c["checkpoint"].get<std::string>() << "\n";
  });
}

// DESIGN.md "Payment runs": {"batch_seq", "index", "count", "leaf_hash",
// "hashes"}, keys in that order (hand-formatted, as inclusion_proof_json).
std::string batch_proof_json(const Ledger& ledger, uint64_t seq) {
  BatchProof p = batch_proof(ledger, seq);
  std::string out = "{\"batch_seq\": " + std::to_string(p.batch_seq) + ", \"index\": " + std::to_string(p.index) +
                    ", \"count\": " + std::to_string(p.count) + ", \"leaf_hash\": \"" + base64(p.leaf_hash) +
                    "\", \"hashes\": [";
  for (size_t k = 0; k < p.hashes.size(); ++k) out += (k ? ", \"" : "\"") + base64(p.hashes[k]) + "\"";
  return out + "]}";
}

void add_proofs(CLI::App& app, Context& ctx) {
  auto* proof = app.add_subcommand("proof", "inclusion and consistency proofs (RFC 6962/9162), as JSON");
  proof->require_subcommand(1);

  struct InclOpts {
    uint64_t seq = 0;
    int64_t size = -1;
  };
  auto i = std::make_shared<InclOpts>();
  auto* incl = proof->add_subcommand("inclusion", "proof inclusion: prove record SEQ is in the tree of size N.\n"
                                                  "Example: fundtrail proof inclusion 42 --size 100 > proof.json");
  incl->add_option("SEQ", i->seq, "record seq")->required();
  incl->add_option("--size", i->size, "tree size (default: every record)");
  incl->callback([i, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    uint64_t n = size_or_all(ledger, i->size);
    auto hashes = ledger.inclusion_proof(i->seq, n);
    std::cout << inclusion_proof_json(i->seq, n, ledger.leaf_hash(i->seq), hashes) << "\n";
  });

  auto c = std::make_shared<std::pair<uint64_t, uint64_t>>();
  auto* cons = proof->add_subcommand("consistency", "proof consistency: prove the tree of size NEW extends the one of size OLD.\n"
                                                    "Example: fundtrail proof consistency 100 250 > consistency.json");
  cons->add_option("OLD", c->first, "older tree size")->required();
  cons->add_option("NEW", c->second, "newer tree size")->required();
  cons->callback([c, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    auto hashes = ledger.consistency_proof(c->first, c->second);
    std::cout << consistency_proof_json(c->first, c->second, hashes) << "\n";
  });

  auto b = std::make_shared<uint64_t>(0);
  auto* batch = proof->add_subcommand(
      "batch",
      "proof batch: for a record of a payment run, its path to the root its batch record's officers signed\n"
      "(RFC 6962 tree over the run's Entry bytes, laid out as an inclusion proof). Check it with\n"
      "fundtrail-verify proof PROOF.json --leaf RECORD.bin --batch-leaf BATCH.bin (docs/transparency.md).\n"
      "Example: fundtrail proof batch 43 > batch-proof.json");
  batch->add_option("SEQ", *b, "record seq")->required();
  batch->callback([b, &ctx] { std::cout << batch_proof_json(ctx.open_ledger(true), *b) << "\n"; });

  struct CheckOpts {
    std::string proof, checkpoint, old_checkpoint, log_key, leaf;
  };
  auto k = std::make_shared<CheckOpts>();
  auto* check = proof->add_subcommand(
      "check",
      "proof check: verify a proof against signed checkpoints, without the ledger.\n"
      "Inclusion: --checkpoint of the proof's tree size (and --leaf FILE, the record's raw bytes from 'show --raw').\n"
      "Consistency: --old-checkpoint and --checkpoint. The checkpoints' signatures are checked with --log-key.\n"
      "Example: fundtrail proof check proof.json --checkpoint cp.txt --log-key \"$(fundtrail log-key)\" --leaf rec.bin");
  check->add_option("PROOF", k->proof, "proof JSON file")->required()->check(CLI::ExistingFile);
  check->add_option("--checkpoint", k->checkpoint, "signed checkpoint (the newer one)")->required()->check(CLI::ExistingFile);
  check->add_option("--old-checkpoint", k->old_checkpoint, "older signed checkpoint (consistency)")->check(CLI::ExistingFile);
  check->add_option("--log-key", k->log_key, "the log's verifier key text")->required();
  check->add_option("--leaf", k->leaf, "the record's raw leaf bytes (inclusion)")->check(CLI::ExistingFile);
  check->callback([k] {
    std::string why;
    auto key = parse_verifier_key(k->log_key, why);
    if (!key) usage_error("--log-key: " + why);
    auto load_checkpoint = [&](const std::string& path) {
      std::string note = read_file(path);
      std::string w;
      if (!note_signed_by(note, *key, w)) refuse("checkpoint " + path + " is not validly signed by the log key: " + w);
      auto split = split_note(note, w);
      auto cp = split ? parse_checkpoint_body(split->first, w) : std::nullopt;
      if (!cp) refuse("checkpoint " + path + ": " + w);
      if (cp->origin != key->name) refuse("checkpoint " + path + " is for origin '" + cp->origin + "', not '" + key->name + "'");
      return *cp;
    };
    Checkpoint cp = load_checkpoint(k->checkpoint);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_file(k->proof));
    } catch (const nlohmann::json::exception& e) {
      usage_error("proof file is not JSON: " + std::string(e.what()));
    }
    std::vector<Hash> hashes;
    if (!j.contains("hashes") || !j["hashes"].is_array()) usage_error("proof has no 'hashes' list");
    for (auto& h : j["hashes"]) hashes.push_back(hash_from_json(h, "hashes"));
    auto u64 = [&](const char* f) {
      if (!j.contains(f) || !j[f].is_number_unsigned()) usage_error(std::string("proof field '") + f + "' is missing");
      return j[f].get<uint64_t>();
    };
    if (j.contains("index")) {
      uint64_t index = u64("index"), size = u64("tree_size");
      Hash leaf = hash_from_json(j["leaf_hash"], "leaf_hash");
      if (!k->leaf.empty()) {
        std::string bytes = read_file(k->leaf);
        if (fundtrail::leaf_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) != leaf)
          refuse("the leaf file's hash is not the proof's leaf_hash");
      }
      if (size != cp.size) refuse("the proof is for tree size " + std::to_string(size) + ", the checkpoint for " + std::to_string(cp.size));
      if (!verify_inclusion(index, size, leaf, hashes, cp.root, why)) refuse("inclusion proof fails: " + why);
      if (!k->leaf.empty()) {
        std::cout << "inclusion proof verified: record " << index << " is in the tree of size " << size << "\n";
      } else {
        // Without the record's bytes only the proof's own leaf hash was
        // checked: that says nothing about which record it is.
        std::cout << "inclusion proof consistent: leaf hash " << base64(leaf) << " is at index " << index
                  << " of the tree of size " << size
                  << "; the record itself was not checked (give --leaf FILE, from 'fundtrail show " << index
                  << " --raw')\n";
      }
    } else {
      if (k->old_checkpoint.empty()) usage_error("a consistency proof needs --old-checkpoint");
      Checkpoint old = load_checkpoint(k->old_checkpoint);
      uint64_t m = u64("old_size"), n = u64("new_size");
      if (m != old.size || n != cp.size) refuse("the proof's sizes do not match the checkpoints' sizes");
      if (!verify_consistency(m, n, old.root, cp.root, hashes, why)) refuse("consistency proof fails: " + why);
      std::cout << "consistency proof verified: the tree of size " << n << " extends the one of size " << m << "\n";
    }
  });
}

void add_statement(CLI::App& app, Context& ctx) {
  auto size = std::make_shared<int64_t>(-1);
  auto* cmd = app.add_subcommand(
      "statement",
      "statement: a signed note of every party's balance at a tree size, for fundtrail-verify --statement.\n"
      "Example: fundtrail statement --size 250 > statement-2025-06.txt\n"
      "With --json: {origin, size, balances: {party: minor units}, note: the signed text}.");
  cmd->add_option("--size", *size, "records 0 to N-1 (default: all)");
  add_json_flag(cmd, ctx);
  cmd->callback([size, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    uint64_t n = size_or_all(ledger, *size);
    std::string body = "fundtrail statement v1\n" + ledger.facts().origin + "\n" + std::to_string(n) + "\n";
    nlohmann::json balances = nlohmann::json::object();
    for (auto& [id, bal] : balances_at_size(ledger, n)) {
      body += id + " " + std::to_string(bal) + "\n";
      balances[id] = bal;
    }
    KeyPair log = unlock_log_key(ctx);
    std::string note = sign_note(body, ledger.facts().origin, log.sk, log.pk);
    if (!ctx.json) {
      std::cout << note;
      return;
    }
    print_json({{"origin", ledger.facts().origin}, {"size", n}, {"balances", balances}, {"note", note}});
  });
}

void add_export_bundle(CLI::App& app, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("export-bundle",
                                 "export-bundle: write every record into one portable file for fundtrail-verify\n"
                                 "(layout: docs/bundle.md). Example: fundtrail export-bundle riverside.bundle");
  cmd->add_option("FILE", *file, "bundle file to write")->required();
  cmd->callback([file, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    uint64_t n = ledger.size();
    std::string out = "fundtrail-bundle/v1\n";
    for (int i = 7; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
    ledger.for_each(0, n, [&](uint64_t, std::span<const uint8_t> leaf) {
      out += static_cast<char>(leaf.size() >> 8);
      out += static_cast<char>(leaf.size() & 0xff);
      out.append(reinterpret_cast<const char*>(leaf.data()), leaf.size());
      return true;
    });
    write_file_atomically(*file, out);
    std::cout << n << "\n";
    if (stderr_is_terminal()) std::cerr << "wrote " << count_of(n, "record") << " to " << *file << "\n";
  });
}

}  // namespace

void add_transparency_commands(CLI::App& app, Context& ctx) {
  auto* logkey = app.add_subcommand("log-key", "log-key: print the log's public verifier key (signed-note text)\n"
                                               "Example: fundtrail-verify books --log-key \"$(fundtrail log-key)\"\n"
                                               "With --json: {origin, key (the text), public_key (hex)}.");
  add_json_flag(logkey, ctx);
  logkey->callback([&ctx] {
    Ledger ledger = ctx.open_ledger(true);
    std::string text = verifier_key_text(ledger.facts().origin, 0x01, ledger.facts().log_key);
    if (!ctx.json) {
      std::cout << text << "\n";
      return;
    }
    const auto& pk = ledger.facts().log_key;
    print_json({{"origin", ledger.facts().origin}, {"key", text}, {"public_key", hex(pk)}});
  });
  add_checkpoint(app, ctx);
  add_proofs(app, ctx);
  add_statement(app, ctx);
  add_export_bundle(app, ctx);
}

}  // namespace fundtrail::cli
