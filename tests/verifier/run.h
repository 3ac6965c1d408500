// Runs the built fundtrail-verify (FUNDTRAIL_VERIFY_BIN) under a timeout and
// captures its exit code, stdout and stderr.
#pragma once
#include <string>

namespace tb {

struct Result {
  int rc = -1;
  std::string out, err;
  std::string all() const { return out + err; }
};

std::string quote(const std::string& s);   // for the shell
std::string tempDir();                     // a fresh directory under /tmp
// `args` is already shell-quoted; `env` is prefixed (e.g. "FUNDTRAIL_PASSPHRASE=x").
Result runVerify(const std::string& args, const std::string& env = "");

}  // namespace tb
