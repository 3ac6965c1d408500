#include "interop/input_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "ledger/error.h"

namespace fundtrail::interop {

size_t max_input_bytes() {
  const char* env = std::getenv("FUNDTRAIL_MAX_INPUT_BYTES");
  if (!env || !*env) return kMaxInputBytes;
  size_t v = 0;
  std::string_view s(env);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v == 0)
    unusable("FUNDTRAIL_MAX_INPUT_BYTES='" + std::string(s) + "' is not a positive whole number of bytes");
  return v;
}

std::string read_input_file(const std::string& path, const std::string& what) {
  const size_t limit = max_input_bytes();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) unusable("cannot read " + what + " '" + path + "': " + std::strerror(errno));
  std::string bytes;
  size_t lines = 1;  // newlines before the chunk read last, for naming a NUL's line
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      unusable("cannot read " + what + " '" + path + "': " + std::strerror(e));
    }
    if (n == 0) break;
    std::string_view chunk(buf, size_t(n));
    if (size_t nul = chunk.find('\0'); nul != std::string_view::npos) {
      ::close(fd);
      size_t line = lines + size_t(std::count(chunk.begin(), chunk.begin() + std::ptrdiff_t(nul), '\n'));
      unusable(path + ": line " + std::to_string(line) + ": a NUL byte (the control character 0x00): " + what +
               " is text and holds none; it would cut signed text short. Is this the right file?");
    }
    if (bytes.size() + chunk.size() > limit) {
      ::close(fd);
      unusable(what + " '" + path + "' is larger than " + std::to_string(limit) +
               " bytes, the most an import reads (set FUNDTRAIL_MAX_INPUT_BYTES to allow more, or split the file)");
    }
    lines += size_t(std::count(chunk.begin(), chunk.end(), '\n'));
    bytes.append(chunk);
  }
  ::close(fd);
  return bytes;
}

}  // namespace fundtrail::interop
