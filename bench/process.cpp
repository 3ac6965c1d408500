#include "bench/process.h"

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <thread>

namespace fundtrail::bench {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Starts argv with stdout and stderr discarded and `env` added. posix_spawn,
// not fork: glibc's vfork-style clone copies no page tables, so the bench's
// own size (a gigabyte after building a million-record ledger) does not
// show up in a timed `pay`; it also returns only once exec has succeeded,
// so no sample ever sees the bench's pages in the child.
pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  std::vector<char*> args, envp;
  for (auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));  // first: getenv takes the first
  for (char** e = environ; *e; ++e) envp.push_back(*e);
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

double status_kib(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::strtod(line.c_str() + std::strlen(field), nullptr);
  return 0;
}

pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  // A process that exits while it is read fails the read with ESRCH, which
  // libstdc++'s istreambuf_iterator throws (on a busy host, some process of
  // the /proc scan exits every few seconds): it is no descendant then.
  try {
    stat.assign(std::istreambuf_iterator<char>(in), {});
  } catch (const std::ios_base::failure&) {
    return -1;
  }
  size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos) return -1;
  char state;
  int ppid = -1;
  return std::sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) == 2 ? ppid : -1;
}

// Adds to `tree` every process whose parent is already in it.
void find_descendants(std::set<pid_t>& tree) {
  DIR* proc = opendir("/proc");
  if (!proc) return;
  while (dirent* e = readdir(proc)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid > 0 && !tree.count(pid) && tree.count(parent_of(pid))) tree.insert(pid);
  }
  closedir(proc);
}

}  // namespace

ProcessResult run_sampled(const std::vector<std::string>& argv) {
  auto start = Clock::now();
  ProcessResult r;
  pid_t pid = spawn(argv, {});
  if (pid < 0) return r;
  std::set<pid_t> tree{pid};
  auto last_scan = Clock::now() - std::chrono::seconds(1);
  for (;;) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      break;
    }
    // A /proc scan costs about a millisecond: at every sample until the
    // verifier's reading child shows up (a small ledger is read in a few
    // samples' time), then ten times a second.
    if (tree.size() == 1 || since(last_scan) > 0.1) {
      find_descendants(tree);
      last_scan = Clock::now();
    }
    double anon = 0, total = 0;
    for (pid_t p : tree) anon += status_kib(p, "RssAnon:"), total += status_kib(p, "VmRSS:");
    r.peak_anon_mib = std::max(r.peak_anon_mib, anon / 1024);
    r.peak_total_mib = std::max(r.peak_total_mib, total / 1024);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.seconds = since(start);
  return r;
}

double run_timed(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  auto start = Clock::now();
  pid_t pid = spawn(argv, env);
  if (pid < 0) return -1;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  double seconds = since(start);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? seconds : -1;
}

}  // namespace fundtrail::bench
