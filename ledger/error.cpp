#include "ledger/error.h"

#include <cstdio>

namespace fundtrail {
namespace {

bool is_rule(const std::string& check) {
  if (check.rfind("rule ", 0) != 0 || check.size() < 6 || check.size() > 7) return false;
  int n = 0;
  for (size_t i = 5; i < check.size(); ++i) {
    if (check[i] < '0' || check[i] > '9') return false;
    n = n * 10 + (check[i] - '0');
  }
  return n >= 1 && n <= 12 && check[5] != '0';
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace

Error::Error(std::string check_id, std::string field_name, std::optional<uint64_t> conflicting_seq, const std::string& msg,
             const std::string& where)
    : std::runtime_error(where + check_id + ": " + msg),
      kind(kind_of_check(check_id)),
      check(std::move(check_id)),
      field(std::move(field_name)),
      seq(conflicting_seq),
      message(msg),
      context(where) {}

bool is_known_check(const std::string& check) {
  return is_rule(check) || check == "format" || check == "limits" || check == "canonical" || check == "index" ||
         check == "checkpoint";
}

ErrorKind kind_of_check(const std::string& check) { return is_rule(check) ? ErrorKind::refused : ErrorKind::unusable; }

int exit_code(const Error& e) { return static_cast<int>(e.kind); }

int http_status(const Error& e) {
  if (e.check.empty()) return e.kind == ErrorKind::refused ? 422 : 503;
  if (e.check == "rule 6") return 409;
  if (is_rule(e.check)) return 422;
  if (e.check == "index" || e.check == "checkpoint") return 500;
  return 400;
}

std::string refusal_json(const Error& e, bool with_exit) {
  std::string out = "{\"error\": " + json_string(e.context + e.message);
  if (!e.check.empty()) out += ", \"check\": " + json_string(e.check);
  if (!e.field.empty()) out += ", \"field\": " + json_string(e.field);
  if (e.seq) out += ", \"seq\": " + std::to_string(*e.seq);
  if (with_exit) out += ", \"exit\": " + std::to_string(exit_code(e));
  return out + "}";
}

void refuse(const std::string& check, const std::string& field, std::optional<uint64_t> seq, const std::string& message) {
  if (!is_known_check(check)) throw Error(ErrorKind::unusable, "internal error: unknown check id '" + check + "'");
  throw Error(check, field, seq, message);
}

void refuse(const std::string& why) {
  size_t colon = why.find(": ");
  if (colon != std::string::npos && is_known_check(why.substr(0, colon)))
    throw Error(why.substr(0, colon), "", std::nullopt, why.substr(colon + 2));
  throw Error(ErrorKind::refused, why);
}

}  // namespace fundtrail
