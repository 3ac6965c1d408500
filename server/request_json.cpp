#include "server/request_json.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/limits.h"

namespace fundtrail::wire {
namespace {

using nlohmann::json;

[[noreturn]] void malformed(const std::string& field, const std::string& why) {
  refuse("format", field, std::nullopt, "the signed request " + why);
}

std::string b64(std::span<const uint8_t> bytes) { return base64(bytes); }

std::string decode(const json& v, const std::string& field) {
  if (!v.is_string()) malformed(field, "has '" + field + "' that is not a base64 string");
  std::string raw;
  if (!from_base64(v.get_ref<const std::string&>(), raw)) malformed(field, "has '" + field + "' that is not standard base64");
  return raw;
}

}  // namespace

std::string signed_request_json(const SignedRequest& request) {
  json sigs = json::array();
  for (const auto& s : request.signatures)
    sigs.push_back({{"public_key", b64(s.pk)}, {"ed25519", b64(s.sig)}});
  return json{{"entry", b64(request.entry)}, {"signatures", sigs}}.dump();
}

SignedRequest parse_signed_request(std::string_view text) {
  // The shape is three levels deep; anything deeper is refused while parsing,
  // before a deep document is built.
  json doc;
  try {
    doc = json::parse(text.begin(), text.end(), [](int depth, json::parse_event_t, json&) {
      if (depth > 3) throw std::invalid_argument("nested deeper than a signed request");
      return true;
    });
  } catch (const std::exception& e) {
    malformed("", std::string("is not JSON of the request shape: ") + e.what());
  }
  if (!doc.is_object()) malformed("", "is not a JSON object");
  for (auto it = doc.begin(); it != doc.end(); ++it)
    if (it.key() != "entry" && it.key() != "signatures") malformed(it.key(), "has an unknown member '" + it.key() + "'");
  if (!doc.contains("entry")) malformed("entry", "has no 'entry'");
  if (!doc.contains("signatures") || !doc["signatures"].is_array()) malformed("signatures", "has no 'signatures' list");
  SignedRequest r;
  std::string entry = decode(doc["entry"], "entry");
  if (entry.empty()) malformed("entry", "has an empty 'entry'");
  if (entry.size() > kMaxLeafBytes)
    refuse("limits", "entry", std::nullopt,
           "the entry is " + std::to_string(entry.size()) + " bytes; a record is at most 65535 bytes");
  r.entry.assign(entry.begin(), entry.end());
  const json& sigs = doc["signatures"];
  if (sigs.size() > kMaxSignatures)
    refuse("limits", "signatures", std::nullopt,
           "the request carries " + std::to_string(sigs.size()) + " signatures; the limit is " + std::to_string(kMaxSignatures));
  for (const json& s : sigs) {
    if (!s.is_object() || s.size() != 2 || !s.contains("public_key") || !s.contains("ed25519"))
      malformed("signatures", "has a signature that is not {\"public_key\", \"ed25519\"}");
    std::string pk = decode(s["public_key"], "public_key"), sig = decode(s["ed25519"], "ed25519");
    if (pk.size() != 32) malformed("public_key", "has a public key of " + std::to_string(pk.size()) + " bytes, not 32");
    if (sig.size() != 64) malformed("ed25519", "has a signature of " + std::to_string(sig.size()) + " bytes, not 64");
    EntrySignature es;
    std::memcpy(es.pk.data(), pk.data(), 32);
    std::memcpy(es.sig.data(), sig.data(), 64);
    r.signatures.push_back(es);
  }
  return r;
}

}  // namespace fundtrail::wire
