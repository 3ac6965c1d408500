// fundtrail witness add URL...: submits the newest checkpoint to witnesses
// over C2SP tlog-witness (c2sp.org/tlog-witness; docs/publishing.md), checks
// each returned cosignature against the witness's key, and keeps the good
// ones with the checkpoint, so `fundtrail checkpoint` prints them too.
#include <iostream>

#include "cli/context.h"
#include "cli/http_client.h"
#include "ledger/cosignatures.h"
#include "ledger/note.h"

namespace fundtrail::cli {
namespace {

// The 409 body: the witness's size in decimal and a newline.
std::optional<uint64_t> conflict_size(const std::string& body) {
  if (body.empty() || body.back() != '\n') return std::nullopt;
  std::string digits = body.substr(0, body.size() - 1);
  if (digits.empty() || digits.size() > 20 || (digits.size() > 1 && digits[0] == '0') ||
      digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  try {
    return std::stoull(digits);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// "old <m>\n", the consistency proof from m to n, "\n", the checkpoint.
std::string request_body(const Ledger& ledger, uint64_t old_size, uint64_t size, const std::string& checkpoint) {
  std::string out = "old " + std::to_string(old_size) + "\n";
  if (old_size > 0 && old_size < size)
    for (const Hash& h : ledger.consistency_proof(old_size, size)) out += base64(h) + "\n";
  return out + "\n" + checkpoint;
}

// The largest size up to `size` at which the ledger keeps a valid cosignature
// by `witness`: where this witness's record of the log most likely stands.
uint64_t last_cosigned(const Ledger& ledger, const VerifierKey& witness, uint64_t size) {
  uint64_t best = 0;
  for (auto& [n, note] : ledger.checkpoints()) {
    uint64_t ts = 0;
    std::string why;
    if (n <= size && n > best && note_cosigned_by(note, witness, ts, why)) best = n;
  }
  return best;
}

struct Outcome {
  std::string url;
  bool cosigned = false;
  bool reached = true;  // false: no HTTP answer (network, DNS, timeout)
  std::string message;
};

struct Options {
  std::vector<std::string> urls, keys;
  long timeout_s = 120;
};

Outcome submit(Ledger& ledger, const std::string& url, const VerifierKey& witness, uint64_t size,
               const std::string& checkpoint, long timeout_s) {
  Outcome o{url, false, true, ""};
  std::string endpoint = url;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  endpoint += "/add-checkpoint";
  uint64_t old_size = last_cosigned(ledger, witness, size);
  HttpAnswer a;
  for (int attempt = 0; attempt < 2; ++attempt) {
    a = http_post(endpoint, request_body(ledger, old_size, size, checkpoint), "text/plain; charset=utf-8", timeout_s);
    if (a.status != 409 || attempt == 1) break;
    // The witness's record of the log is at another size: prove from there.
    auto theirs = conflict_size(a.body);
    if (!theirs) return o.message = "HTTP 409 without a size in its body: " + shown(a.body), o;
    if (*theirs > size)
      return o.message = "the witness has cosigned size " + std::to_string(*theirs) + ", larger than this checkpoint (" +
                         std::to_string(size) + "): issue a newer checkpoint (fundtrail checkpoint) and submit that",
             o;
    old_size = *theirs;
  }
  if (a.status == 0) {
    o.reached = false;
    return o.message = "no answer from " + endpoint + ": " + a.transport, o;
  }
  if (a.status != 200) return o.message = "HTTP " + std::to_string(a.status) + ": " + shown(a.body), o;
  // Read the answer as signature lines on our checkpoint's body; only lines
  // by the witness's key count, and they must verify (signed-note: a bad line
  // by a known key discredits the note).
  std::string why, body = checkpoint.substr(0, checkpoint.find("\n\n") + 1);
  std::string answer = body + "\n" + a.body;
  auto split = split_note(answer, why);
  if (!split) return o.message = "HTTP 200 but the body is not note signature lines (" + why + "): " + shown(a.body), o;
  uint64_t ts = 0;
  if (!note_cosigned_by(answer, witness, ts, why))
    return o.message = "HTTP 200 but no valid cosignature by " + witness.name + ": " + why, o;
  // Keep the last line by this witness (name and key id), drop the rest.
  std::string newest;
  std::string_view rest = a.body;
  for (const NoteSignature& s : split->second) {
    size_t nl = rest.find('\n');
    if (s.name == witness.name && s.id == witness.id) newest = std::string(rest.substr(0, nl + 1));
    rest.remove_prefix(nl + 1);
  }
  keep_checkpoint(ledger, size, checkpoint + newest);
  o.cosigned = true;
  o.message = "cosigned size " + std::to_string(size) + " at time " + std::to_string(ts);
  return o;
}

}  // namespace

void add_witness_commands(CLI::App& app, Context& ctx) {
  auto* witness = app.add_subcommand("witness", "witnesses: independent cosigners of the log's checkpoints (C2SP tlog-witness)");
  witness->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* add = witness->add_subcommand(
      "add",
      "witness add: submit the newest checkpoint to each witness (POST URL/add-checkpoint with a consistency\n"
      "proof from the size the witness last cosigned), check each cosignature against --witness-key and keep\n"
      "the valid ones with the checkpoint; prints the checkpoint with every cosignature it now has.\n"
      "Exit 1 if a witness refused or its cosignature did not verify, 2 if one could not be reached.\n"
      "Example: fundtrail witness add https://witness.example.org --witness-key \"$(cat witness.pub)\"");
  add->add_option("URL", o->urls, "a witness's submission prefix (https://host/path)")->required();
  add->add_option("--witness-key", o->keys,
                  "each witness's key <name>+<key id>+<base64(0x04||key)>, one per URL, in the same order")
      ->required();
  add->add_option("--timeout", o->timeout_s, "seconds to wait for each witness (default 120)");
  add_json_flag(add, ctx);
  add->callback([o, &ctx] {
    if (o->keys.size() != o->urls.size())
      usage_error("give one --witness-key per URL, in the same order (" + std::to_string(o->urls.size()) + " URLs, " +
                  std::to_string(o->keys.size()) + " keys)");
    if (o->timeout_s <= 0) usage_error("--timeout must be a positive number of seconds");
    std::vector<VerifierKey> keys;
    for (auto& text : o->keys) {
      std::string why;
      auto k = parse_verifier_key(text, why);
      if (!k) usage_error("--witness-key '" + text + "': " + why);
      if (k->type != 0x04) usage_error("--witness-key '" + text + "' is not a cosignature/v1 key (type 0x04)");
      keys.push_back(*k);
    }
    for (auto& u : o->urls)
      if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) usage_error("witness URL '" + u + "' is not http(s)://");

    Ledger ledger = ctx.open_ledger();
    auto issued = ledger.checkpoints();
    if (issued.empty()) usage_error("no checkpoint has been issued yet: run 'fundtrail checkpoint' first");
    auto [size, stored] = issued.back();  // by tree size: the newest
    const std::string& origin = ledger.facts().origin;
    VerifierKey log{origin, 0x01, note_key_id(origin, 0x01, ledger.facts().log_key), ledger.facts().log_key};
    std::string why;
    if (!open_checkpoint(stored, origin, log, why)) usage_error("the stored checkpoint of size " + std::to_string(size) + " does not open: " + why);
    if (ledger.size() > size && stderr_is_terminal())
      std::cerr << "note: the ledger has " << ledger.size() << " records; the newest checkpoint covers " << size
                << " (run 'fundtrail checkpoint' to cover them all)\n";
    // Witnesses get the log's own signature only: the body and the log's line.
    auto split = split_note(stored, why);
    std::string checkpoint = split->first + "\n";
    {
      std::string_view rest = std::string_view(stored).substr(split->first.size() + 1);
      for (auto& s : split->second) {
        size_t nl = rest.find('\n');
        if (s.name == log.name && s.id == log.id) checkpoint += std::string(rest.substr(0, nl + 1));
        rest.remove_prefix(nl + 1);
      }
    }

    std::vector<Outcome> outcomes;
    for (size_t i = 0; i < o->urls.size(); ++i) {
      Outcome r = submit(ledger, o->urls[i], keys[i], size, checkpoint, o->timeout_s);
      std::cerr << "witness " << r.url << ": " << (r.cosigned ? "" : "not cosigned: ") << r.message << "\n";
      outcomes.push_back(r);
    }
    std::string kept = stored_checkpoint(ledger, size).value_or(stored);
    size_t refused = 0, unreached = 0;
    for (auto& r : outcomes) refused += !r.cosigned && r.reached, unreached += !r.reached;
    if (ctx.json) {
      nlohmann::json w = nlohmann::json::array();
      for (auto& r : outcomes) w.push_back({{"url", r.url}, {"cosigned", r.cosigned}, {"message", r.message}});
      if (refused + unreached == 0) print_json({{"size", size}, {"checkpoint", kept}, {"witnesses", w}});
    } else if (refused + unreached == 0) {
      std::cout << kept;
    }
    if (refused) refuse(std::to_string(refused) + " of " + std::to_string(outcomes.size()) + " witnesses did not cosign");
    if (unreached) unusable(std::to_string(unreached) + " of " + std::to_string(outcomes.size()) + " witnesses could not be reached");
  });
}

}  // namespace fundtrail::cli
