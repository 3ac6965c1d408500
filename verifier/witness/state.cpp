#include "state.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>

#include "note.h"

namespace fv::witness {
namespace {

std::string sysError(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + strerror(errno);
}

void makeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error(sysError("cannot create", path));
}

void fsyncPath(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(sysError("cannot open", path));
  int rc = fsync(fd);
  close(fd);
  if (rc != 0) throw std::runtime_error(sysError("cannot fsync", path));
}

// temp file, fsync, rename, fsync of the directory: after a crash the file
// holds either the old or the new bytes, and the new ones once we return.
void writeDurably(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::string path = dir + "/" + name, tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(sysError("cannot create", tmp));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = sysError("cannot write", tmp);
      close(fd);
      throw std::runtime_error(why);
    }
    done += size_t(n);
  }
  if (fsync(fd) != 0) {
    std::string why = sysError("cannot fsync", tmp);
    close(fd);
    throw std::runtime_error(why);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error(sysError("cannot rename", tmp));
  fsyncPath(dir);
}

bool readWhole(const std::string& path, std::string& out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    throw std::runtime_error(sysError("cannot read", path));
  }
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string why = sysError("cannot read", path);
      close(fd);
      throw std::runtime_error(why);
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
  }
  close(fd);
  return true;
}

}  // namespace

std::string originHash(std::string_view origin) {
  uint8_t h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const uint8_t*>(origin.data()), origin.size());
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  return hex;
}

StateDir::StateDir(std::string dir) : dir_(std::move(dir)) {
  makeDir(dir_);
  std::string lock = dir_ + "/lock";
  lockFd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd_ < 0) throw std::runtime_error(sysError("cannot open", lock));
  if (flock(lockFd_, LOCK_EX | LOCK_NB) != 0) {
    close(lockFd_);
    throw std::runtime_error("another fundtrail-witness is using the state directory " + dir_ +
                             " (it holds " + lock + "): two witnesses on one state could sign a split view");
  }
}

StateDir::~StateDir() {
  if (lockFd_ >= 0) close(lockFd_);  // releases the lock
}

LogState StateDir::load(std::string_view origin) const {
  std::string path = dir_ + "/" + originHash(origin) + "/checkpoint";
  LogState st;
  if (!readWhole(path, st.note)) return st;
  std::string err;
  auto note = parseNote(st.note, err);
  auto cp = note ? parseCheckpoint(note->text, err) : std::nullopt;
  if (!cp) throw std::runtime_error("the stored state " + path + " is damaged (" + err + "): restore it from a backup");
  if (cp->origin != origin)
    throw std::runtime_error("the stored state " + path + " is for origin '" + cp->origin + "', not '" +
                             std::string(origin) + "'");
  st.size = cp->size;
  st.root = cp->root;
  return st;
}

void StateDir::store(std::string_view origin, const std::string& note) const {
  std::string sub = dir_ + "/" + originHash(origin);
  struct stat s;
  if (stat(sub.c_str(), &s) != 0) {
    makeDir(sub);
    fsyncPath(dir_);
  }
  writeDurably(sub, "checkpoint", note);
}

std::string StateDir::keepEvidence(std::string_view origin, uint64_t size, const std::string& request) const {
  std::string sub = dir_ + "/" + originHash(origin) + "/evidence";
  std::string name = std::to_string(time(nullptr)) + "-size-" + std::to_string(size) + ".txt";
  try {
    makeDir(dir_ + "/" + originHash(origin));
    makeDir(sub);
    writeDurably(sub, name, request);
  } catch (const std::exception&) {
    return "";  // the refusal stands either way
  }
  return sub + "/" + name;
}

}  // namespace fv::witness
