// SVG: the DOT export laid out by Graphviz's `dot -Tsvg`, when installed.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "accountability/internal.h"

namespace fundtrail::map {
namespace {

std::string find_dot() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string p = (dir.empty() ? "." : dir) + "/dot";
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

// A temporary file removed when it goes out of scope.
struct TempFile {
  std::string path;
  explicit TempFile(const char* suffix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fundtrail-map-XXXXXX" + suffix;
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    int fd = ::mkstemps(buf.data(), static_cast<int>(std::string(suffix).size()));
    if (fd < 0) unusable("cannot create a temporary file in " + std::string(base && *base ? base : "/tmp"));
    ::close(fd);
    path = buf.data();
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

}  // namespace

bool graphviz_available() { return !find_dot().empty(); }

void write_svg(const Map& m, std::ostream& out) { write_svg(m, out, PictureNotes{find_gaps(m), ""}); }

void write_svg(const Map& m, std::ostream& out, const PictureNotes& notes) {
  std::string dot = find_dot();
  if (dot.empty())
    unusable("SVG needs Graphviz's 'dot' program, which is not installed (Debian/Ubuntu: apt install graphviz). "
             "'fundtrail map export --format dot' writes the same picture as DOT source for any Graphviz viewer.");
  TempFile in(".dot"), svg(".svg"), err(".err");
  {
    std::ofstream f(in.path);
    write_dot(m, f, notes);
    if (!f) unusable("cannot write the temporary file " + in.path);
  }
  pid_t pid = ::fork();
  if (pid < 0) unusable("cannot start Graphviz: fork failed");
  if (pid == 0) {
    FILE* e = std::freopen(err.path.c_str(), "w", stderr);
    (void)e;
    ::execl(dot.c_str(), "dot", "-Tsvg", "-o", svg.path.c_str(), in.path.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream e(err.path);
    std::string msg((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    unusable("Graphviz 'dot -Tsvg' failed: " + (msg.empty() ? std::string("exit status ") + std::to_string(WEXITSTATUS(status)) : msg));
  }
  std::ifstream f(svg.path, std::ios::binary);
  out << f.rdbuf();
}

}  // namespace fundtrail::map
