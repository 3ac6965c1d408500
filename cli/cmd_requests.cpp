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

// Submits one request to a server; prints its seq as a local write does.
void submit_remote(const Context& ctx, const std::string& url, const std::string& file, const SignedRequest& r) {
  HttpAnswer a = http_post(url + "/v1/entries", wire::signed_request_json(r), "application/json", 60);
  if (a.status == 0) throw Error(ErrorKind::unusable, file + ": no answer from " + url + ": " + a.transport);
  nlohmann::json j = nlohmann::json::parse(a.body, nullptr, false);
  if ((a.status == 201 || a.status == 200) && j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) {
    uint64_t seq = j["seq"];
    if (ctx.json) print_json({{"file", file}, {"seq", seq}, {"retried", a.status == 200}});
    else std::cout << seq << "\n";
    if (a.status == 200 && !ctx.json) std::cerr << file << ": already recorded as seq " << seq << "; nothing new was written\n";
    return;
  }
  std::string why = j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : shown(a.body);
  std::string check = j.is_object() && j.contains("check") && j["check"].is_string() ? j["check"].get<std::string>() : "";
  if (!check.empty() && (a.status == 409 || a.status == 422))
    throw Error(check, j.value("field", ""), j.contains("seq") && j["seq"].is_number_unsigned() ? std::optional<uint64_t>(j["seq"].get<uint64_t>()) : std::nullopt,
                why.rfind(check + ": ", 0) == 0 ? why.substr(check.size() + 2) : why, file + ": ");
  throw Error(ErrorKind::unusable, file + ": the server answered HTTP " + std::to_string(a.status) + ": " + why);
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
    std::string server = s->server;
    if (server.empty() && ctx.ledger_dir.empty())
      if (const char* env = std::getenv("FUNDTRAIL_SERVER"); env && *env) server = env;
    if (!server.empty() && !ctx.ledger_dir.empty()) usage_error("give --server or --ledger, not both");
    std::vector<SignedRequest> requests;
    for (const auto& f : s->files) requests.push_back(read_request_file(f));  // every file read before any is sent
    if (!server.empty()) {
      std::string url = server_base_url(server);
      for (size_t i = 0; i < requests.size(); ++i) submit_remote(ctx, url, s->files[i], requests[i]);
      return;
    }
    Ledger ledger = ctx.open_ledger();
    for (size_t i = 0; i < requests.size(); ++i) {
      Appended a;
      try {
        a = ledger.append(requests[i]);
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
