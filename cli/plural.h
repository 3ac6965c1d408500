// Counts in human text: "1 row", "2 rows", "1 party", "3 parties".
#pragma once
#include <cstddef>
#include <string>

namespace fundtrail::cli {

// `many` defaults to `one` + "s".
inline std::string count_of(size_t n, const std::string& one, const std::string& many = "") {
  return std::to_string(n) + " " + (n == 1 ? one : many.empty() ? one + "s" : many);
}

}  // namespace fundtrail::cli
