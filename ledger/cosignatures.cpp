#include "ledger/cosignatures.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cassert>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "ledger/error.h"
#include "ledger/note.h"

namespace fundtrail {
namespace {

struct Lines {
  std::string body;
  std::vector<std::string> raw;          // each signature line, without '\n'
  std::vector<NoteSignature> sigs;       // parsed, index-aligned with raw
};

std::optional<Lines> lines_of(std::string_view note) {
  std::string why;
  auto split = split_note(note, why);
  if (!split) return std::nullopt;
  Lines l;
  l.body = split->first;
  l.sigs = split->second;
  std::string_view rest = note.substr(l.body.size() + 1);
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    l.raw.emplace_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  assert(l.raw.size() == l.sigs.size());  // split_note parsed one signature per line
  return l;
}

bool same_key(const NoteSignature& a, const NoteSignature& b) { return a.name == b.name && a.id == b.id; }

// Closes the lock file (and so releases the lock) on every path out.
struct FileLock {
  int fd = -1;
  explicit FileLock(const std::string& path) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) unusable("cannot open " + path + ": " + std::strerror(errno));
    while (::flock(fd, LOCK_EX) != 0)
      if (errno != EINTR) unusable("cannot lock " + path + ": " + std::strerror(errno));
  }
  ~FileLock() { ::close(fd); }
};

}  // namespace

std::string merge_note_signatures(std::string_view stored, std::string_view fresh) {
  auto f = lines_of(fresh);
  if (!f) throw std::invalid_argument("merge_note_signatures: the fresh note is malformed");
  auto s = lines_of(stored);
  if (!s || s->body != f->body) return std::string(fresh);
  std::vector<bool> used(f->raw.size(), false);
  std::string out = f->body + "\n";
  std::vector<NoteSignature> seen;
  auto emit = [&](const NoteSignature& sig, const std::string& raw) {
    for (const auto& k : seen)
      if (same_key(k, sig)) return;  // one line per key
    seen.push_back(sig);
    out += raw + "\n";
  };
  for (size_t i = 0; i < s->raw.size(); ++i) {
    size_t j = 0;
    while (j < f->raw.size() && !same_key(f->sigs[j], s->sigs[i])) ++j;
    if (j < f->raw.size()) {
      used[j] = true;
      emit(f->sigs[j], f->raw[j]);
    } else {
      emit(s->sigs[i], s->raw[i]);
    }
  }
  for (size_t j = 0; j < f->raw.size(); ++j)
    if (!used[j]) emit(f->sigs[j], f->raw[j]);
  return out;
}

std::optional<std::string> stored_checkpoint(const Ledger& ledger, uint64_t size) {
  for (auto& [n, note] : ledger.checkpoints())
    if (n == size) return note;
  return std::nullopt;
}

std::string keep_checkpoint(Ledger& ledger, uint64_t size, const std::string& note) {
  FileLock lock(ledger.dir() + "/checkpoints.lock");
  auto stored = stored_checkpoint(ledger, size);
  std::string merged = stored ? merge_note_signatures(*stored, note) : note;
  ledger.store_checkpoint(size, merged);
  return merged;
}

}  // namespace fundtrail
