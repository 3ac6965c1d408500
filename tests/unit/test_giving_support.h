// Shared by the 360Giving unit tests: the message of a usage error.
#pragma once
#include <doctest/doctest.h>

#include <string>

#include "ledger/error.h"

namespace giving_test {

// The message of the usage error `fn` throws ("" when it throws none).
template <class F>
std::string error_of(F fn) {
  try {
    fn();
  } catch (const fundtrail::Error& e) {
    CHECK(e.kind == fundtrail::ErrorKind::unusable);
    return e.what();
  }
  return "";
}

inline bool has(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

}  // namespace giving_test
