// cosign and submit: signed request files (docs/server.md). A write command
// with --sign-only --out FILE writes the signed request (it holds no secret);
// `cosign` adds a second officer's signature from another machine, and
// `submit` records request files in a local ledger or on a server.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <variant>

#include "cli/atomic_file.h"
#include "cli/context.h"
#include "cli/describe.h"
#include "cli/http_client.h"
#include "cli/write_target.h"
#include "ledger/money.h"
#include "server/request_json.h"

namespace fundtrail::cli {
namespace {

// A payment run's file is as large as a server takes a body (DESIGN.md: 64
// MiB, clients split larger runs); a single request is far smaller and its
// parser bounds each entry.
constexpr size_t kMaxRequestFile = size_t(64) << 20;

wire::AnyRequest read_any_request_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read request file '" + path + "'");
  // In chunks: a file of a few KB (most are) is not given a 64 MiB buffer.
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= kMaxRequestFile && in.read(chunk, sizeof chunk).gcount() > 0) text.append(chunk, size_t(in.gcount()));
  if (text.size() > kMaxRequestFile) usage_error("'" + path + "' is larger than a request can be (64 MiB; split the run)");
  try {
    return wire::parse_request(text);
  } catch (const Error& e) {
    throw Error(e.kind, path + ": " + e.what());
  }
}

SignedRequest read_request_file(const std::string& path) {
  wire::AnyRequest any = read_any_request_file(path);
  if (auto* single = std::get_if<SignedRequest>(&any)) return std::move(*single);
  usage_error("'" + path + "' is a payment run, not a single signed request");
}

// "origin: summary" of a request, for the officer who is about to sign it.
std::string what_it_says(const SignedRequest& r) {
  Bytes leaf = build_leaf(0, Hash{}, 0, r);
  Record rec(leaf);
  auto entry = rec.entry();
  LedgerFacts facts;
  facts.origin = std::string(entry.getOrigin().cStr(), entry.getOrigin().size());
  auto body = entry.getBody();
  facts.currency = body.isPayment()        ? body.getPayment().getCurrency().cStr()
                   : body.isContribution() ? body.getContribution().getCurrency().cStr()
                                           : "GBP";
  int exp = currency_exponent(facts.currency);
  facts.exponent = exp < 0 ? 2 : exp;
  return "ledger " + facts.origin + ": " + record_summary(rec, facts);
}

void submit_one(const Context& ctx, WriteTarget& target, const std::string& file, const SignedRequest& r) {
  Appended a = target.append(r);
  if (ctx.json) return print_json({{"file", file}, {"seq", a.seq}, {"retried", a.retried}});
  std::cout << a.seq << "\n";
  if (a.retried) std::cerr << file << ": already recorded as seq " << a.seq << "; nothing new was written\n";
}

// A payment run prints its batch record's seq, as every write prints the
// seq it made; where its records went is told on stderr (or in --json).
void submit_run(const Context& ctx, WriteTarget& target, const std::string& file, const BatchRequest& run) {
  RunAppended a = target.append_run(run);
  if (ctx.json)
    return print_json({{"file", file}, {"seq", a.seq}, {"first", a.first}, {"last", a.last}, {"retried", a.retried}});
  std::cout << a.seq << "\n";
  uint64_t n = a.last - a.first + 1;
  if (a.retried)
    std::cerr << file << ": payment run of " << n << " records already recorded as seq " << a.seq << " (records " << a.first
              << " to " << a.last << "); nothing new was written\n";
  else
    std::cerr << file << ": payment run of " << n << " records recorded as seq " << a.first << " to " << a.last
              << " (approved by seq " << a.seq << ")\n";
}

}  // namespace

void add_request_commands(CLI::App& app, Context& ctx) {
  struct CosignOpts {
    std::string file, key;
  };
  auto c = std::make_shared<CosignOpts>();
  auto* cosign = app.add_subcommand(
      "cosign",
      "cosign: add your signature to a signed request file (dual control from a second machine). It shows what\n"
      "you are about to sign on stderr, then rewrites FILE with your signature added.\n"
      "Example: fundtrail cosign payment-4711.json --key approver.key && fundtrail submit payment-4711.json");
  cosign->add_option("FILE", c->file, "the request file (from a write command's --sign-only --out)")
      ->required()
      ->check(CLI::ExistingFile);
  cosign->add_option("--key", c->key, "your signing key file")->required()->check(CLI::ExistingFile);
  add_json_flag(cosign, ctx);
  cosign->callback([c, &ctx] {
    SignedRequest r = read_request_file(c->file);
    std::string says = what_it_says(r);
    std::cerr << "about to sign " << says << "\n";
    KeyPair k = unlock_key(c->key);
    for (const auto& s : r.signatures)
      if (s.pk == k.pk) usage_error(c->file + " already carries a signature by this key; dual control needs a second key");
    r.signatures.push_back(sign_entry(r.entry, k));
    write_file_atomically(c->file, wire::signed_request_json(r) + "\n");
    if (ctx.json) return print_json({{"file", c->file}, {"signatures", r.signatures.size()}, {"signed", says}});
    std::cerr << c->file << " now carries " << r.signatures.size() << " signatures; record it with 'fundtrail submit "
              << c->file << "'\n";
  });

  struct SubmitOpts {
    std::vector<std::string> files;
    std::string server;
  };
  auto s = std::make_shared<SubmitOpts>();
  auto* submit = app.add_subcommand(
      "submit",
      "submit: record signed request files, in order, in a local ledger (--ledger) or on a server (--server URL,\n"
      "or FUNDTRAIL_SERVER); prints each seq (for a payment run, its batch record's seq; its records' seqs\n"
      "on stderr). Stops at the first refusal (its exit code: 1 a rule, 2 the rest).\n"
      "Example: fundtrail submit payment-4711.json --server https://ledger.riverside.example");
  submit->add_option("FILE", s->files, "request files")->required()->check(CLI::ExistingFile);
  submit->add_option("--server", s->server, "the ledger server's URL (default: $FUNDTRAIL_SERVER)");
  add_json_flag(submit, ctx);
  submit->callback([s, &ctx] {
    std::vector<wire::AnyRequest> requests;
    for (const auto& f : s->files) requests.push_back(read_any_request_file(f));  // every file read before any is sent
    WriteOptions where;
    where.server = s->server;
    std::unique_ptr<WriteTarget> target = open_write_target(ctx, where);
    for (size_t i = 0; i < requests.size(); ++i) {
      const std::string& file = s->files[i];
      try {
        if (auto* run = std::get_if<BatchRequest>(&requests[i])) submit_run(ctx, *target, file, *run);
        else submit_one(ctx, *target, file, std::get<SignedRequest>(requests[i]));
      } catch (const Error& e) {
        if (e.check.empty()) throw Error(e.kind, file + ": " + e.what());
        throw Error(e.check, e.field, e.seq, e.message, file + ": ");
      }
    }
  });
}

}  // namespace fundtrail::cli
