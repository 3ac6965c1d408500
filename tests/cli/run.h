// Runs a program (the built fundtrail) as a child process: arguments, extra
// environment, captured stdout and stderr, exit code, and a timeout.
#pragma once
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

extern char** environ;

namespace fundtrail::test {

struct RunResult {
  int code = -1;           // exit code; 128 + signal when killed by a signal
  std::string out, err;    // captured stdout, stderr (bytes)
  bool timed_out = false;
};

inline std::ostream& operator<<(std::ostream& os, const RunResult& r) {
  return os << "exit " << r.code << (r.timed_out ? " (timed out)" : "") << "\n--- stdout:\n"
            << r.out.substr(0, 2000) << "\n--- stderr:\n"
            << r.err.substr(0, 2000);
}

struct RunOptions {
  // Variables set in the child (on top of the parent's environment, from which
  // every FUNDTRAIL_* variable is removed first so the tests are hermetic).
  std::map<std::string, std::string> env;
  // Variables removed from the child's environment.
  std::vector<std::string> unset;
  std::string cwd;                 // working directory (default: the parent's)
  std::optional<uid_t> run_as;     // drop to this uid (and gid) before exec
  double timeout_s = 60;
};

namespace detail {
inline void drain(int fd, std::string& into, bool& open) {
  char buf[65536];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n > 0) into.append(buf, static_cast<size_t>(n));
  else if (n == 0 || (errno != EINTR && errno != EAGAIN)) open = false;
}
}  // namespace detail

// A child's environment: the parent's without any FUNDTRAIL_* variable (the
// tests are hermetic) or any in `unset`, plus `env`.
inline std::vector<std::string> child_environment(const std::map<std::string, std::string>& env,
                                                  const std::vector<std::string>& unset = {}) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    std::string k = kv.substr(0, kv.find('='));
    if (k.rfind("FUNDTRAIL_", 0) == 0 || env.count(k)) continue;
    if (std::find(unset.begin(), unset.end(), k) == unset.end()) out.push_back(kv);
  }
  for (auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// Runs program with args (args[0] is not the program: it is added). stdin is
// /dev/null, so nothing can prompt.
inline RunResult run(const std::string& program, const std::vector<std::string>& args, const RunOptions& opt = {}) {
  std::vector<std::string> argv_s{program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s = child_environment(opt.env, opt.unset);
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return {127, "", "pipe failed", false};
  pid_t pid = ::fork();
  if (pid < 0) return {127, "", "fork failed", false};
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on.
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    auto die = [](const char* what) {
      ::write(2, what, std::strlen(what));
      ::_exit(126);
    };
    if (!opt.cwd.empty() && ::chdir(opt.cwd.c_str()) != 0) die("run: chdir failed\n");
    if (opt.run_as) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(*opt.run_as) != 0 || ::setuid(*opt.run_as) != 0)
        die("run: cannot drop privileges\n");
    }
    ::execve(program.c_str(), argv.data(), envp.data());
    die("run: exec failed\n");
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult r;
  bool out_open = true, err_open = true;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(opt.timeout_s * 1000));
  while (out_open || err_open) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{out_open ? out_pipe[0] : -1, POLLIN, 0}, {err_open ? err_pipe[0] : -1, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (out_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) detail::drain(out_pipe[0], r.out, out_open);
    if (err_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) detail::drain(err_pipe[0], r.err, err_open);
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.code = 128 + WTERMSIG(status);
  return r;
}

}  // namespace fundtrail::test
