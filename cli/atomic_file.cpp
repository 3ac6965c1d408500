#include "cli/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "ledger/error.h"

namespace fundtrail::cli {

void write_file_atomically(const std::string& path, const std::string& bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw Error(ErrorKind::unusable, "cannot write '" + tmp + "': " + std::strerror(errno));
  auto fail = [&](const std::string& doing) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::unusable, doing + " '" + tmp + "' failed: " + std::strerror(e) + "; nothing was written");
  };
  for (size_t done = 0; done < bytes.size();) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing");
    done += size_t(n);
  }
  if (::fsync(fd) != 0) fail("syncing");
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::unusable, "closing '" + tmp + "' failed: " + std::strerror(e) + "; nothing was written");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    throw Error(ErrorKind::unusable, "cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(e));
  }
}

}  // namespace fundtrail::cli
