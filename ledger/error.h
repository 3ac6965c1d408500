// One error type for the writer: its kind decides the exit code everywhere
// (DESIGN.md: 1 refused by a ledger rule, 2 unusable input or environment).
#pragma once
#include <stdexcept>
#include <string>

namespace fundtrail {

enum class ErrorKind { refused = 1, unusable = 2 };

struct Error : std::runtime_error {
  ErrorKind kind;
  Error(ErrorKind k, const std::string& what) : std::runtime_error(what), kind(k) {}
};

[[noreturn]] inline void refuse(const std::string& why) { throw Error(ErrorKind::refused, why); }
[[noreturn]] inline void unusable(const std::string& why) { throw Error(ErrorKind::unusable, why); }

}  // namespace fundtrail
