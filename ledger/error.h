// One error type for the writer. A refusal of a request is a value: the check
// that refused it (docs/rules.md "Checks": "rule 4", "format", "limits", ...),
// the Entry field it is about, the seq it conflicts with, and a message.
// Exit codes and HTTP statuses are derived from it here and nowhere else
// (DESIGN.md: 1 refused by a ledger rule, 2 unusable input or environment).
#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace fundtrail {

enum class ErrorKind { refused = 1, unusable = 2 };

struct Error : std::runtime_error {
  ErrorKind kind;
  std::string check;            // a check id of docs/rules.md; empty for usage and environment errors
  std::string field;            // the Entry field it is about, when one is
  std::optional<uint64_t> seq;  // the record it conflicts with, when one does
  std::string message;          // without the "check: " prefix what() carries
  std::string context;          // where, in a batch: "request 3: " (before the check in what())

  // An error that is not a refusal of a request by a check (usage, environment).
  Error(ErrorKind k, const std::string& what) : std::runtime_error(what), kind(k), message(what) {}
  // A refusal by `check`; what() is "check: message", its kind follows from the check.
  // `context` ("request 3: ") is put before the check in what(), not in message.
  Error(std::string check_id, std::string field_name, std::optional<uint64_t> conflicting_seq, const std::string& msg,
        const std::string& context = "");
};

// The exit kind of a check id: rules refuse (exit 1); format, limits,
// canonical, index and checkpoint are unusable input or state (exit 2).
ErrorKind kind_of_check(const std::string& check);
bool is_known_check(const std::string& check);
int exit_code(const Error& e);
// HTTP status for a refusal: 400 format/limits/canonical, 409 rule 6, 422 other
// rules, 500 index/checkpoint; 503 for an environment error, 400 for usage.
int http_status(const Error& e);
// DESIGN.md's refusal object as JSON text: {"error", "check", "field"?, "seq"?}.
std::string refusal_json(const Error& e, bool with_exit);

[[noreturn]] void refuse(const std::string& check, const std::string& field, std::optional<uint64_t> seq,
                         const std::string& message);
// Legacy spelling: a message starting "rule N: " (or "format: ", ...) names its
// check; any other message is a refusal without a check (a failed proof, ...).
[[noreturn]] void refuse(const std::string& why);
[[noreturn]] inline void unusable(const std::string& why) { throw Error(ErrorKind::unusable, why); }

}  // namespace fundtrail
