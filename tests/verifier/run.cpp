#include "run.h"

#include <sys/wait.h>

#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "builder.h"

namespace tb {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

namespace {
// Every directory a test made, removed when the test program ends
// (set FV_KEEP_TEST_DIRS to keep them for a look).
struct TempDirs {
  std::vector<std::string> dirs;
  ~TempDirs() {
    if (getenv("FV_KEEP_TEST_DIRS")) return;
    for (const auto& d : dirs) std::system(("chmod -R u+w " + quote(d) + " 2>/dev/null; rm -rf " + quote(d)).c_str());
  }
} tempDirs;
}  // namespace

std::string tempDir() {
  char tmpl[] = "/tmp/fv-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  tempDirs.dirs.push_back(tmpl);
  return tmpl;
}

Result runVerify(const std::string& args, const std::string& env) {
  static const std::string dir = tempDir();
  std::string out = dir + "/out", err = dir + "/err";
  // No test may hang: 120 s is far beyond any case here (timeout exits 124).
  std::string cmd = env + (env.empty() ? "" : " ") + "timeout 120 " + quote(FUNDTRAIL_VERIFY_BIN) + " " + args +
                    " >" + quote(out) + " 2>" + quote(err) + " </dev/null";
  int status = std::system(cmd.c_str());
  Result r;
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = readFile(out);
  r.err = readFile(err);
  return r;
}

}  // namespace tb
