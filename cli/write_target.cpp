#include "cli/write_target.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/http_client.h"
#include "ledger/hash.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"
#include "ledger/note.h"
#include "server/request_json.h"

namespace fundtrail::cli {
namespace {

using nlohmann::json;

struct LocalTarget : WriteTarget, StateSource {
  Ledger ledger;
  explicit LocalTarget(Ledger l) : ledger(std::move(l)) {}
  const LedgerFacts& facts() const override { return ledger.facts(); }
  uint64_t contract_seq(const std::string& reference) const override { return contract_seq_for(ledger, reference); }
  const StateSource& state() const override { return *this; }
  Appended append(const SignedRequest& r) override { return ledger.append(r); }
  RunAppended append_run(const BatchRequest& r) override { return ledger.append_run(r); }
  bool is_reversed(uint64_t seq) const override { return ledger.is_reversed(seq); }
  Hash leaf_hash(uint64_t seq) const override { return ledger.leaf_hash(seq); }
  std::optional<Grant> grant(const std::string& party, const PublicKey& key) const override { return ledger.grant(party, key); }
  std::optional<uint64_t> registered_at(const std::string& party) const override {
    auto p = ledger.party(party);
    return p ? std::optional<uint64_t>(p->registered_at) : std::nullopt;
  }
  std::vector<StatusChange> status_changes(const std::string& party) const override { return ledger.status_changes(party); }
  std::optional<ContractState> contract(const std::string& reference) const override { return ledger.contract(reference); }
  Bytes leaf(uint64_t seq) const override { return ledger.leaf(seq); }
  std::optional<uint64_t> assignment_ended_by(uint64_t seq) const override { return ledger.assignment_ended_by(seq); }
};

// Percent-encodes a path segment (party ids and contract references).
std::string segment(const std::string& s) {
  static const char* hexdigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += char(c);
    else out += {'%', hexdigits[c >> 4], hexdigits[c & 15]};
  }
  return out;
}

// A ledger server: look-ups through its reads, the request through POST /v1/entries.
struct RemoteTarget : WriteTarget, StateSource {
  std::string base;
  LedgerFacts f;

  explicit RemoteTarget(std::string url) : base(std::move(url)) {
    json st = get_json("/v1/state", false);
    if (!st.is_object() || !st.contains("origin") || !st.contains("currency") || !st.contains("dual_control_minor") ||
        !st.contains("log_key"))
      unusable(base + "/v1/state is not a fundtrail server's state");
    f.origin = st["origin"].get<std::string>();
    f.currency = st["currency"].get<std::string>();
    int exp = currency_exponent(f.currency);
    if (exp < 0) unusable(base + " names the currency '" + f.currency + "', which this fundtrail does not know");
    f.exponent = exp;
    f.dual_control_threshold = st["dual_control_minor"].get<int64_t>();
    std::string why;
    auto key = parse_verifier_key(st["log_key"].get<std::string>(), why);
    if (!key) unusable(base + "/v1/state has a malformed log key: " + why);
    f.log_key = key->key;
  }

  HttpAnswer get(const std::string& path) const {
    HttpAnswer a = http_get(base + path, 60);
    if (a.status == 0) unusable("no answer from " + base + ": " + a.transport);
    if (a.status != 200 && a.status != 404) unusable(base + path + " answered HTTP " + std::to_string(a.status) + ": " + shown(a.body));
    return a;
  }
  // The JSON at `path`; null for a 404 when `missing_ok`.
  json get_json(const std::string& path, bool missing_ok) const {
    HttpAnswer a = get(path);
    if (a.status == 404) {
      if (missing_ok) return nullptr;
      unusable(base + path + " is not found: is " + base + " a fundtrail server?");
    }
    json j = json::parse(a.body, nullptr, false);
    if (j.is_discarded()) unusable(base + path + " did not answer JSON");
    return j;
  }

  const LedgerFacts& facts() const override { return f; }
  uint64_t contract_seq(const std::string& reference) const override {
    auto c = contract(reference);
    if (!c)
      refuse("rule 9", "contract", std::nullopt, "no contract with reference '" + reference + "' (see 'fundtrail contract list')");
    return c->seq;
  }
  const StateSource& state() const override { return *this; }

  // POSTs `body` to /v1/entries: the answer's JSON for a 201 or 200 holding
  // a seq; anything else thrown as the refusal it carries (the same check,
  // so the same exit code as a local write) or as unusable.
  std::pair<json, bool> post(const std::string& body) {
    HttpAnswer a = http_post(base + "/v1/entries", body, "application/json", 60);
    if (a.status == 0) unusable("no answer from " + base + ": " + a.transport + "; the request may or may not be recorded: "
                                "run the same command again, and it is recorded once");
    json j = json::parse(a.body, nullptr, false);
    if ((a.status == 201 || a.status == 200) && j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned())
      return {j, a.status == 200};
    std::string why = j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : shown(a.body);
    std::string check = j.is_object() && j.contains("check") && j["check"].is_string() ? j["check"].get<std::string>() : "";
    std::optional<uint64_t> seq;
    if (j.is_object() && j.contains("seq") && j["seq"].is_number_unsigned()) seq = j["seq"].get<uint64_t>();
    if (!check.empty() && is_known_check(check))
      throw Error(check, j.is_object() && j.contains("field") && j["field"].is_string() ? j["field"].get<std::string>() : "", seq,
                  why.rfind(check + ": ", 0) == 0 ? why.substr(check.size() + 2) : why);
    throw Error(ErrorKind::unusable, base + " answered HTTP " + std::to_string(a.status) + ": " + why);
  }
  Appended append(const SignedRequest& r) override {
    auto [j, retried] = post(wire::signed_request_json(r));
    uint64_t seq = j["seq"];
    return {seq, leaf_hash(seq), retried};
  }
  RunAppended append_run(const BatchRequest& r) override {
    auto [j, retried] = post(wire::batch_request_json(r));
    if (!j.contains("first") || !j["first"].is_number_unsigned() || !j.contains("last") || !j["last"].is_number_unsigned())
      unusable(base + " answered a payment run without its first and last seq: " + shown(j.dump()));
    return {j["seq"].get<uint64_t>(), j["first"].get<uint64_t>(), j["last"].get<uint64_t>(), retried};
  }
  bool is_reversed(uint64_t) const override { return false; }  // not among the reads; the retry answer omits it
  Hash leaf_hash(uint64_t seq) const override {
    Bytes b = leaf(seq);
    return fundtrail::leaf_hash(b);
  }

  json party(const std::string& id) const { return get_json("/v1/parties/" + segment(id), true); }
  std::optional<Grant> grant(const std::string& party_id, const PublicKey& key) const override {
    json p = party(party_id);
    if (p.is_null()) return std::nullopt;
    std::string want = base64(key);
    for (const auto& k : p["keys"]) {
      if (k["public_key"] != want) continue;
      Grant g;
      g.party = party_id;
      g.key = key;
      g.role = role_from(k["role"].get<std::string>()).value_or(schema::Role::OFFICER);
      g.granted_at = k["granted_at"];
      g.revoked = k["revoked"];
      g.revoked_at = k["revoked_at"].is_null() ? 0 : k["revoked_at"].get<uint64_t>();
      return g;
    }
    return std::nullopt;
  }
  std::optional<uint64_t> registered_at(const std::string& party_id) const override {
    json p = party(party_id);
    if (p.is_null()) return std::nullopt;
    return p["registered_at"].get<uint64_t>();
  }
  std::vector<StatusChange> status_changes(const std::string& party_id) const override {
    std::vector<StatusChange> out;
    json p = party(party_id);
    if (p.is_null()) return out;
    for (const auto& c : p["statuses"]) {
      StatusChange sc;
      sc.party = party_id;
      sc.from = parse_date(c["from"].get<std::string>());
      sc.seq = c["seq"];
      std::string st = c["status"];
      for (auto s : {schema::PartyStatus::ACTIVE, schema::PartyStatus::SERVICE_FAILURE, schema::PartyStatus::FINANCIAL_FAILURE,
                     schema::PartyStatus::EXITED})
        if (name_of(s) == st) sc.status = s;
      out.push_back(sc);
    }
    return out;
  }
  std::optional<ContractState> contract(const std::string& reference) const override {
    json c = get_json("/v1/contracts/" + segment(reference), true);
    if (c.is_null()) return std::nullopt;
    ContractState s;
    s.reference = reference;
    s.seq = c["seq"];
    s.payer = c["payer"];
    s.payee = c["payee"];
    s.parent = c["parent"];
    s.cap = c["cap_minor"];
    s.paid = c["paid_minor"];
    s.start = parse_date(c["from"].get<std::string>());
    s.end = c["to"].is_null() ? 0 : parse_date(c["to"].get<std::string>());
    s.ended = c["ended"];
    s.schedule_seq = c["schedule_seq"];
    s.changed_at = c["changed_at"];
    return s;
  }
  Bytes leaf(uint64_t seq) const override {
    HttpAnswer a = get("/v1/records/" + std::to_string(seq));
    if (a.status == 404) unusable(base + " has no record " + std::to_string(seq));
    return Bytes(a.body.begin(), a.body.end());
  }
  std::optional<uint64_t> assignment_ended_by(uint64_t seq) const override {
    json a = get_json("/v1/assignments/" + std::to_string(seq), true);
    if (a.is_null() || a["ended_by"].is_null()) return std::nullopt;
    return a["ended_by"].get<uint64_t>();
  }
};

}  // namespace

std::string server_base_url(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    usage_error("--server '" + url + "' is not an http:// or https:// URL");
  return url;
}

std::unique_ptr<WriteTarget> remote_write_target(const std::string& url) {
  return std::make_unique<RemoteTarget>(server_base_url(url));
}

std::unique_ptr<WriteTarget> open_write_target(const Context& ctx, const WriteOptions& opts) {
  if (!opts.server.empty() && !ctx.ledger_dir.empty()) usage_error("give --server or --ledger, not both");
  std::string server = opts.server;
  if (server.empty() && ctx.ledger_dir.empty()) {
    const char* s = std::getenv("FUNDTRAIL_SERVER");
    const char* l = std::getenv("FUNDTRAIL_LEDGER");
    if (s && *s && l && *l)
      usage_error("both FUNDTRAIL_SERVER and FUNDTRAIL_LEDGER are set: pass --server or --ledger to choose");
    if (s && *s) server = s;
  }
  if (!server.empty()) return remote_write_target(server);
  return std::make_unique<LocalTarget>(ctx.open_ledger());
}

}  // namespace fundtrail::cli
