#include "server/request_json.h"

#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "ledger/batch.h"
#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/limits.h"

namespace fundtrail::wire {
namespace {

using nlohmann::json;

// The deepest shape is a run's: {"batch": {"signatures": [{"public_key": ...}]}}.
constexpr int kMaxDepth = 4;
// Values a document may hold: a run of 10,000 entries plus its batch's
// request (16 signatures at most) and the members around them. Counted while
// parsing, so a hostile body of millions of tiny values is refused before it
// is built (a JSON value costs far more memory than its text).
constexpr size_t kMaxValues = kMaxBatchRecords + 100;

struct TooDeep : std::invalid_argument {
  TooDeep() : std::invalid_argument("nested deeper than a signed request") {}
};
struct TooMany {};
struct Repeated {
  std::string key;
};

[[noreturn]] void malformed(const std::string& what, const std::string& field, const std::string& why) {
  refuse("format", field, std::nullopt, what + " " + why);
}

std::string b64(std::span<const uint8_t> bytes) { return base64(bytes); }

std::string decode(const std::string& what, const json& v, const std::string& field) {
  if (!v.is_string()) malformed(what, field, "has '" + field + "' that is not a base64 string");
  std::string raw;
  if (!from_base64(v.get_ref<const std::string&>(), raw)) malformed(what, field, "has '" + field + "' that is not standard base64");
  return raw;
}

Bytes entry_bytes(const std::string& what, const json& v, const std::string& field) {
  std::string entry = decode(what, v, field);
  if (entry.empty()) malformed(what, field, "has an empty '" + field + "'");
  if (entry.size() > kMaxLeafBytes)
    refuse("limits", field, std::nullopt,
           "the " + field + " is " + std::to_string(entry.size()) + " bytes; a record is at most 65535 bytes");
  return Bytes(entry.begin(), entry.end());
}

json signed_json(const SignedRequest& request) {
  json sigs = json::array();
  for (const auto& s : request.signatures)
    sigs.push_back({{"public_key", b64(s.pk)}, {"ed25519", b64(s.sig)}});
  return json{{"entry", b64(request.entry)}, {"signatures", sigs}};
}

// The document, refused while parsing when deeper than any request shape,
// holding more values than a run can, or repeating a member of an object.
json parse_document(std::string_view text) {
  size_t values = 0;
  std::vector<std::set<std::string>> members;  // of each object open
  try {
    return json::parse(text.begin(), text.end(), [&](int depth, json::parse_event_t event, json& parsed) {
      if (depth > kMaxDepth) throw TooDeep();
      switch (event) {
        case json::parse_event_t::object_start:
          members.emplace_back();
          break;
        case json::parse_event_t::object_end:
          if (!members.empty()) members.pop_back();
          break;
        case json::parse_event_t::key:
          if (!members.empty() && !members.back().insert(parsed.get<std::string>()).second)
            throw Repeated{parsed.get<std::string>()};
          break;
        default:
          break;
      }
      if (event == json::parse_event_t::value || event == json::parse_event_t::object_start ||
          event == json::parse_event_t::array_start)
        if (++values > kMaxValues) throw TooMany{};
      return true;
    });
  } catch (const TooMany&) {
    refuse("limits", "", std::nullopt,
           "the request holds more JSON values than any request can (a payment run of at most " +
               std::to_string(kMaxBatchRecords) + " records and its signatures); split the run");
  } catch (const Repeated& r) {
    malformed("the request", r.key, "repeats the member '" + r.key + "'");
  } catch (const std::exception& e) {
    malformed("the request", "", std::string("is not JSON of the request shape: ") + e.what());
  }
}

// {"entry", "signatures"} in `obj`; `what` names it in messages.
SignedRequest signed_from(const json& obj, const std::string& what) {
  if (!obj.is_object()) malformed(what, "", "is not a JSON object");
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (it.key() != "entry" && it.key() != "signatures") malformed(what, it.key(), "has an unknown member '" + it.key() + "'");
  if (!obj.contains("entry")) malformed(what, "entry", "has no 'entry'");
  if (!obj.contains("signatures") || !obj["signatures"].is_array()) malformed(what, "signatures", "has no 'signatures' list");
  SignedRequest r;
  r.entry = entry_bytes(what, obj["entry"], "entry");
  const json& sigs = obj["signatures"];
  if (sigs.size() > kMaxSignatures)
    refuse("limits", "signatures", std::nullopt,
           "the request carries " + std::to_string(sigs.size()) + " signatures; the limit is " + std::to_string(kMaxSignatures));
  for (const json& s : sigs) {
    if (!s.is_object() || s.size() != 2 || !s.contains("public_key") || !s.contains("ed25519"))
      malformed(what, "signatures", "has a signature that is not {\"public_key\", \"ed25519\"}");
    std::string pk = decode(what, s["public_key"], "public_key"), sig = decode(what, s["ed25519"], "ed25519");
    if (pk.size() != 32) malformed(what, "public_key", "has a public key of " + std::to_string(pk.size()) + " bytes, not 32");
    if (sig.size() != 64) malformed(what, "ed25519", "has a signature of " + std::to_string(sig.size()) + " bytes, not 64");
    EntrySignature es;
    std::memcpy(es.pk.data(), pk.data(), 32);
    std::memcpy(es.sig.data(), sig.data(), 64);
    r.signatures.push_back(es);
  }
  return r;
}

BatchRequest batch_from(const json& doc) {
  const std::string what = "the payment run";
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it.key() != "batch" && it.key() != "entries") malformed(what, it.key(), "has an unknown member '" + it.key() + "'");
  if (!doc.contains("entries") || !doc["entries"].is_array()) malformed(what, "entries", "has no 'entries' list");
  const json& entries = doc["entries"];
  if (entries.empty()) malformed(what, "entries", "has no entries; a run holds 1 to 10000 records");
  if (entries.size() > kMaxBatchRecords)
    refuse("limits", "entries", std::nullopt,
           "the payment run holds " + std::to_string(entries.size()) + " entries; a run is at most " +
               std::to_string(kMaxBatchRecords) + " records (split it)");
  BatchRequest run;
  run.batch = signed_from(doc["batch"], what + "'s batch");
  run.entries.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i].is_string())
      malformed(what, "entries", "has entry " + std::to_string(i + 1) + " that is not a base64 string");
    try {
      run.entries.push_back(entry_bytes(what, entries[i], "entry"));
    } catch (const Error& e) {
      throw Error(e.check, "entries", std::nullopt, "entry " + std::to_string(i + 1) + ": " + e.message);
    }
  }
  return run;
}

}  // namespace

std::string signed_request_json(const SignedRequest& request) { return signed_json(request).dump(); }

std::string batch_request_json(const BatchRequest& run) {
  json entries = json::array();
  for (const auto& e : run.entries) entries.push_back(b64(e));
  return json{{"batch", signed_json(run.batch)}, {"entries", std::move(entries)}}.dump();
}

SignedRequest parse_signed_request(std::string_view text) {
  json doc = parse_document(text);
  if (doc.is_object() && doc.contains("batch"))
    malformed("the signed request", "batch", "is a payment run, where a single signed request was expected");
  return signed_from(doc, "the signed request");
}

AnyRequest parse_request(std::string_view text) {
  json doc = parse_document(text);
  if (!doc.is_object()) malformed("the request", "", "is not a JSON object");
  bool single = doc.contains("entry"), run = doc.contains("batch");
  if (single && run)
    malformed("the request", "batch", "has both 'entry' (a single request) and 'batch' (a payment run); send one");
  if (!single && !run)
    malformed("the request", "entry", "has neither 'entry' (a single request) nor 'batch' (a payment run)");
  if (single) return signed_from(doc, "the signed request");
  return batch_from(doc);
}

}  // namespace fundtrail::wire
