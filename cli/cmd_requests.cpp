// cosign and submit: signed request files (docs/server.md). A write command
// with --sign-only --out FILE writes the signed request (it holds no secret);
// `cosign` adds a second officer's signature from another machine, and
// `submit` records request files in a local ledger or on a server.
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/atomic_file.h"
#include "cli/context.h"
#include "cli/describe.h"
#include "cli/http_client.h"
#include "cli/write_target.h"
#include "ledger/money.h"
#include "server/request_json.h"

namespace fundtrail::cli {
namespace {

constexpr size_t kMaxRequestFile = 1 << 20;  // an entry is at most 65,535 bytes: ~90 KB of base64

SignedRequest read_request_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) usage_error("cannot read request file '" + path + "'");
  std::string text(kMaxRequestFile + 1, '\0');
  in.read(text.data(), std::streamsize(text.size()));
  text.resize(size_t(in.gcount()));
  if (text.size() > kMaxRequestFile) usage_error("'" + path + "' is larger than a signed request can be (1 MiB)");
  try {
    return wire::parse_signed_request(text);
  } catch (const Error& e) {
    throw Error(e.kind, path + ": " + e.what());
  }
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
      "or FUNDTRAIL_SERVER); prints each seq. Stops at the first refusal (its exit code: 1 a rule, 2 the rest).\n"
      "Example: fundtrail submit payment-4711.json --server https://ledger.riverside.example");
  submit->add_option("FILE", s->files, "request files")->required()->check(CLI::ExistingFile);
  submit->add_option("--server", s->server, "the ledger server's URL (default: $FUNDTRAIL_SERVER)");
  add_json_flag(submit, ctx);
  submit->callback([s, &ctx] {
    std::vector<SignedRequest> requests;
    for (const auto& f : s->files) requests.push_back(read_request_file(f));  // every file read before any is sent
    WriteOptions where;
    where.server = s->server;
    std::unique_ptr<WriteTarget> target = open_write_target(ctx, where);
    for (size_t i = 0; i < requests.size(); ++i) {
      Appended a;
      try {
        a = target->append(requests[i]);
      } catch (const Error& e) {
        if (e.check.empty()) throw Error(e.kind, s->files[i] + ": " + e.what());
        throw Error(e.check, e.field, e.seq, e.message, s->files[i] + ": ");
      }
      if (ctx.json) print_json({{"file", s->files[i]}, {"seq", a.seq}, {"retried", a.retried}});
      else std::cout << a.seq << "\n";
      if (a.retried && !ctx.json)
        std::cerr << s->files[i] << ": already recorded as seq " << a.seq << "; nothing new was written\n";
    }
  });
}

}  // namespace fundtrail::cli
