// Reading an input file (CSV or 360Giving) whole, with bounds: every import
// holds its rows in memory, so an input larger than kMaxInputBytes (or
// $FUNDTRAIL_MAX_INPUT_BYTES) is refused before memory runs out, and a NUL
// byte, which no text format holds and which C strings would cut signed text
// at, is refused where it is met (so `import /dev/zero` stops at once).
// Pipes and FIFOs are read like files (`import <(...)` works).
#pragma once
#include <cstddef>
#include <string>

namespace fundtrail::interop {

inline constexpr size_t kMaxInputBytes = size_t(1) << 30;  // 1 GiB: ten times the largest 360Giving file published

// The whole file; Error(unusable) naming `what`, `path` and the reason for a
// file that cannot be read, is larger than the limit, or holds a NUL byte
// (named by line).
std::string read_input_file(const std::string& path, const std::string& what);

// The limit in force: $FUNDTRAIL_MAX_INPUT_BYTES when set to a positive whole
// number, else kMaxInputBytes.
size_t max_input_bytes();

}  // namespace fundtrail::interop
