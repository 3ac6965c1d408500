#include "server/service.h"

#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ledger/balances.h"
#include "ledger/hash.h"
#include "ledger/limits.h"
#include "ledger/merkle.h"
#include "ledger/money.h"
#include "ledger/names.h"
#include "ledger/note.h"
#include "ledger/tiles.h"
#include "server/guard.h"
#include "server/request_json.h"

namespace fundtrail::server {
namespace {

using nlohmann::json;

void send_json(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(j.dump(), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& why) { send_json(res, status, {{"error", why}}); }

std::optional<uint64_t> number(const std::string& text) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<uint64_t> query_number(const httplib::Request& req, const char* name, httplib::Response& res) {
  if (!req.has_param(name)) {
    send_error(res, 400, std::string("the query needs ") + name + "=N");
    return std::nullopt;
  }
  auto v = number(req.get_param_value(name));
  if (!v) send_error(res, 400, std::string(name) + " must be a whole number");
  return v;
}

json party_json(const Ledger& ledger, const PartyState& p) {
  json keys = json::array();
  for (const auto& g : ledger.grants())
    if (g.party == p.id)
      keys.push_back({{"public_key", base64(g.key)},
                      {"role", name_of(g.role)},
                      {"granted_at", g.granted_at},
                      {"revoked", g.revoked},
                      {"revoked_at", g.revoked ? json(g.revoked_at) : json(nullptr)}});
  json statuses = json::array();
  for (const auto& c : ledger.status_changes(p.id))
    statuses.push_back({{"status", name_of(c.status)}, {"from", format_date(c.from)}, {"seq", c.seq}});
  const LedgerFacts& f = ledger.facts();
  return {{"id", p.id},
          {"kind", name_of(p.kind)},
          {"budget_limited", p.budget_limited},
          {"balance", format_money(p.balance, f.exponent)},
          {"balance_minor", p.balance},
          {"registered_at", p.registered_at},
          {"keys", keys},
          {"statuses", statuses}};
}

json contract_json(const Ledger& ledger, const ContractState& c) {
  int exp = ledger.facts().exponent;
  return {{"reference", c.reference}, {"seq", c.seq},         {"payer", c.payer},
          {"payee", c.payee},         {"parent", c.parent},   {"cap", format_money(c.cap, exp)},
          {"cap_minor", c.cap},       {"paid_minor", c.paid}, {"from", format_date(c.start)},
          {"to", c.end ? json(format_date(c.end)) : json(nullptr)},
          {"ended", c.ended},         {"schedule_seq", c.schedule_seq}, {"changed_at", c.changed_at}};
}

}  // namespace

Answer answer_of(const AppendOutcome& o) {
  if (o.appended) {
    if (o.appended->retried) return {200, json{{"seq", o.appended->seq}, {"retried", true}}.dump()};
    return {201, json{{"seq", o.appended->seq}}.dump()};
  }
  const Error& e = *o.refused;
  return {http_status(e), refusal_json(e, false)};
}

Answer answer_of(const RunOutcome& o) {
  if (o.appended) {
    const RunAppended& r = *o.appended;
    json body{{"seq", r.seq}, {"first", r.first}, {"last", r.last}};
    if (r.retried) {
      body["retried"] = true;
      return {200, body.dump()};
    }
    return {201, body.dump()};
  }
  const Error& e = *o.refused;
  return {http_status(e), refusal_json(e, false)};
}

void add_routes(httplib::Server& http, Ledger& ledger, GroupCommitter* committer, std::shared_mutex& ledger_lock) {
  http.Post("/v1/entries", [&, committer](const httplib::Request& req, httplib::Response& res) {
    requestReadWhole();
    if (!committer) return send_error(res, 503, "this server is read-only (a mirror); submit to the ledger's own server");
    std::optional<CheckedRequest> request;
    std::optional<BatchRequest> run;
    try {
      // The shape, every field and the signatures, on this request's thread
      // before any lock or queue (Ledger::precheck needs no ledger state).
      // A run's checks are append_run's own, on the committer thread.
      wire::AnyRequest any = wire::parse_request(req.body);
      if (auto* single = std::get_if<SignedRequest>(&any)) request.emplace(Ledger::precheck(std::move(*single)));
      else run.emplace(std::move(std::get<BatchRequest>(any)));
    } catch (const Error& e) {
      res.status = http_status(e);
      res.set_content(refusal_json(e, false), "application/json");
      return;
    }
    Answer a = run ? answer_of(committer->submit_run(std::move(*run)).get())
                   : answer_of(committer->submit(std::move(*request)).get());
    res.status = a.status;
    res.set_content(a.body, "application/json");
  });

  auto read = [&ledger_lock](auto&& fn) {
    return [&ledger_lock, fn](const httplib::Request& req, httplib::Response& res) {
      requestReadWhole();
      std::shared_lock<std::shared_mutex> shared(ledger_lock);
      try {
        fn(req, res);
      } catch (const Error& e) {
        res.status = e.kind == ErrorKind::unusable ? 400 : 422;
        res.set_content(json{{"error", e.what()}}.dump(), "application/json");
      }
    };
  };

  http.Get("/v1/state", read([&](const httplib::Request&, httplib::Response& res) {
    const LedgerFacts& f = ledger.facts();
    send_json(res, 200,
              {{"origin", f.origin},
               {"currency", f.currency},
               {"dual_control_minor", f.dual_control_threshold},
               {"size", ledger.size()},
               {"log_key", verifier_key_text(f.origin, 0x01, f.log_key)}});
  }));
  http.Get("/checkpoint", read([&](const httplib::Request&, httplib::Response& res) {
    auto latest = ledger.latest_checkpoint();
    if (!latest) return send_error(res, 404, "no checkpoint has been issued yet");
    res.set_content(latest->second, "text/plain; charset=utf-8");
  }));
  // C2SP tlog-tiles, the bytes `publish --tiles` writes: a tile the ledger
  // holds whole never changes, so caches may keep it for good.
  http.Get(R"(/(tile/.+))", read([&](const httplib::Request& req, httplib::Response& res) {
    auto tile = parse_tile_path(req.matches[1].str());
    if (!tile) return send_error(res, 404, "not a tile path (tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>])");
    if (!tile_within(*tile, ledger.size()))
      return send_error(res, 404, "the ledger does not hold this tile yet (" + std::to_string(ledger.size()) + " records)");
    res.set_header("Cache-Control", "public, max-age=31536000, immutable");
    res.set_content(tile_bytes(ledger, *tile), "application/octet-stream");
  }));
  http.Get(R"(/v1/records/(\d+))", read([&](const httplib::Request& req, httplib::Response& res) {
    auto seq = number(req.matches[1].str());
    if (!seq || *seq >= ledger.size()) return send_error(res, 404, "no record " + req.matches[1].str());
    Bytes leaf = ledger.leaf(*seq);
    res.set_content(std::string(leaf.begin(), leaf.end()), "application/octet-stream");
  }));
  http.Get("/v1/proof/inclusion", read([&](const httplib::Request& req, httplib::Response& res) {
    auto seq = query_number(req, "seq", res);
    if (!seq) return;
    uint64_t size = ledger.size();
    if (req.has_param("size")) {
      auto s = query_number(req, "size", res);
      if (!s) return;
      size = *s;
    }
    if (*seq >= size || size > ledger.size()) return send_error(res, 404, "no such record in a tree of that size");
    res.set_content(inclusion_proof_json(*seq, size, ledger.leaf_hash(*seq), ledger.inclusion_proof(*seq, size)),
                    "application/json");
  }));
  http.Get("/v1/proof/consistency", read([&](const httplib::Request& req, httplib::Response& res) {
    auto old_size = query_number(req, "old", res);
    if (!old_size) return;
    auto new_size = query_number(req, "new", res);
    if (!new_size) return;
    if (*old_size > *new_size || *new_size > ledger.size()) return send_error(res, 404, "no such pair of tree sizes");
    res.set_content(consistency_proof_json(*old_size, *new_size, ledger.consistency_proof(*old_size, *new_size)),
                    "application/json");
  }));
  http.Get("/v1/parties", read([&](const httplib::Request&, httplib::Response& res) {
    json out = json::array();
    for (const auto& p : ledger.parties()) out.push_back(party_json(ledger, p));
    send_json(res, 200, out);
  }));
  http.Get(R"(/v1/parties/([^/]+))", read([&](const httplib::Request& req, httplib::Response& res) {
    auto p = ledger.party(req.matches[1].str());
    if (!p) return send_error(res, 404, "no party '" + req.matches[1].str() + "'");
    send_json(res, 200, party_json(ledger, *p));
  }));
  http.Get(R"(/v1/contracts/([^/]+))", read([&](const httplib::Request& req, httplib::Response& res) {
    auto c = ledger.contract(req.matches[1].str());
    if (!c) return send_error(res, 404, "no contract '" + req.matches[1].str() + "'");
    send_json(res, 200, contract_json(ledger, *c));
  }));
  http.Get(R"(/v1/assignments/(\d+))", read([&](const httplib::Request& req, httplib::Response& res) {
    auto seq = number(req.matches[1].str());
    if (!seq || *seq >= ledger.size()) return send_error(res, 404, "no record " + req.matches[1].str());
    auto by = ledger.assignment_ended_by(*seq);
    send_json(res, 200, {{"seq", *seq}, {"ended_by", by ? json(*by) : json(nullptr)}});
  }));
  http.Get("/v1/balances", read([&](const httplib::Request& req, httplib::Response& res) {
    std::map<std::string, int64_t> balances;
    if (req.has_param("as_of")) {
      std::string as_of = req.get_param_value("as_of");
      if (auto seq = number(as_of)) {
        if (*seq >= ledger.size()) return send_error(res, 400, "as_of " + as_of + " is past the last record");
        balances = balances_at_size(ledger, *seq + 1);
      } else if (uint32_t d = parse_date(as_of)) {
        balances = balances_at_date(ledger, d);
      } else {
        return send_error(res, 400, "as_of must be a seq or a date YYYY-MM-DD");
      }
    } else {
      for (const auto& p : ledger.parties()) balances[p.id] = p.balance;
    }
    const LedgerFacts& f = ledger.facts();
    json out = json::array();
    for (const auto& [id, b] : balances)
      out.push_back({{"party", id}, {"balance", format_money(b, f.exponent)}, {"balance_minor", b}, {"currency", f.currency}});
    send_json(res, 200, out);
  }));
}

}  // namespace fundtrail::server
