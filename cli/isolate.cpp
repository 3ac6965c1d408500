#include "cli/isolate.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace fundtrail::cli {
namespace {

volatile sig_atomic_t g_child = 0;

void forward(int sig) {
  if (g_child > 0) ::kill(static_cast<pid_t>(g_child), sig);
}

bool is_fault(int sig) {
  return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGABRT || sig == SIGSYS ||
         sig == SIGTRAP;
}

}  // namespace

std::string ledger_named_by(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--") break;
    if (a == "--ledger" && i + 1 < argc) return argv[i + 1];
    if (a.starts_with("--ledger=")) return std::string(a.substr(9));
  }
  const char* env = std::getenv("FUNDTRAIL_LEDGER");
  return env ? env : "";
}

int run_isolated(int argc, const char* const* argv, const std::function<int()>& command) {
  const char* off = std::getenv("FUNDTRAIL_NO_ISOLATION");
  if (off && *off && std::string_view(off) != "0") return command();
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return command();  // no process to spare: run unprotected rather than not at all
  if (pid == 0) {
    // A parent killed outright (SIGKILL cannot be passed on) takes the
    // command with it, as if there were one process.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(137);
    // The child is the program: it exits as the program would (static
    // destructors, and a sanitizer's leak check, run as without isolation).
    std::exit(command());
  }
  g_child = pid;
  struct sigaction sa{};
  sa.sa_handler = forward;
  ::sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (sig && !is_fault(sig)) {
    // Interrupted, terminated or a closed pipe: end the same way, so a shell
    // or supervisor sees what happened.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return 128 + sig;
  }
  std::string dir = ledger_named_by(argc, argv);
  std::string file = dir.empty() ? "the ledger's data.mdb" : dir + "/data.mdb";
  std::string shown = dir.empty() ? "DIR" : dir;
  std::fprintf(stderr,
               "fundtrail: error: the command crashed (signal %d, %s) while using %s: the file is damaged (LMDB keeps "
               "no page checksums). Nothing more was written. Run 'fundtrail-verify %s' to see whether the records "
               "are intact; if they are, 'fundtrail --ledger %s reindex' rebuilds the damaged indexes.\n",
               sig, ::strsignal(sig), file.c_str(), shown.c_str(), shown.c_str());
  return 2;
}

}  // namespace fundtrail::cli
