// Helpers of the reliability tests (docs/reliability.md): starting a command
// in the background (to kill it, or to run several at once), CSV files of many
// payments, and fundtrail-verify's JSON verdict.
#pragma once
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <random>
#include <thread>

#include "fixture.h"

namespace fundtrail::test::rel {

struct Spawned {
  pid_t pid = -1;
  fs::path out, err;  // where its stdout and stderr go
};

struct SpawnOptions {
  std::map<std::string, std::string> env;  // on top of the hermetic environment, passphrase set
  std::optional<rlim_t> file_size_limit;    // RLIMIT_FSIZE in bytes, as `ulimit -f` would set
  bool ignore_sigxfsz = false;              // then writes past the limit fail with EFBIG instead
};

// Starts `program args...` with stdout and stderr sent to files under `dir`.
inline Spawned spawn(const std::string& program, const std::vector<std::string>& args, const fs::path& dir,
                     const std::string& tag, SpawnOptions opt = {}) {
  if (!opt.env.count("FUNDTRAIL_PASSPHRASE")) opt.env["FUNDTRAIL_PASSPHRASE"] = kPass;
  std::vector<std::string> argv_s{program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<std::string> env_s = child_environment(opt.env);
  std::vector<char*> argv, envp;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);
  Spawned s{-1, dir / (tag + ".out"), dir / (tag + ".err")};
  int out = ::open(s.out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open(s.err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(out >= 0);
  REQUIRE(err >= 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // only async-signal-safe calls from here on
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (opt.ignore_sigxfsz) ::signal(SIGXFSZ, SIG_IGN);  // an ignored signal stays ignored across exec
    if (opt.file_size_limit) {
      rlimit rl{*opt.file_size_limit, *opt.file_size_limit};
      if (::setrlimit(RLIMIT_FSIZE, &rl) != 0) ::_exit(125);
    }
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(126);
  }
  ::close(out);
  ::close(err);
  s.pid = pid;
  return s;
}

// Waits for it; the exit code, or 128 + signal.
inline int wait_for(const Spawned& s) {
  int status = 0;
  while (::waitpid(s.pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline RunResult finish(const Spawned& s) {
  RunResult r;
  r.code = wait_for(s);
  r.out = read_file(s.out);
  r.err = read_file(s.err);
  return r;
}

inline void sleep_us(long us) {
  timespec ts{us / 1000000, (us % 1000000) * 1000};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

inline const std::string kHeader =
    "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key\n";

// `rows` grant payments from -> to of `amount` each (major-unit text), every
// row distinct by its memo so no two rows are the same request.
inline std::string payments_csv(const std::string& from, const std::string& to, const std::string& amount, size_t rows,
                                const std::string& memo_prefix) {
  std::string s = kHeader;
  for (size_t i = 0; i < rows; ++i)
    s += "payment," + from + "," + to + "," + amount + ",GBP,2025-05-01,grant,,,,,,,," + memo_prefix + std::to_string(i) + ",\n";
  return s;
}

// fundtrail-verify --json on `input`, with the trusted checkpoint and log key when given.
struct Verdict {
  RunResult run;
  json report;  // null when the output was not JSON
  uint64_t records() const { return report.is_object() ? report["counts"]["records"].get<uint64_t>() : 0; }
};

inline Verdict verify(const std::string& input, const std::string& checkpoint_file = "", const std::string& log_key = "",
                      double timeout_s = 120) {
  std::vector<std::string> args{input, "--json", "--no-progress"};
  if (!checkpoint_file.empty()) args.insert(args.end(), {"--checkpoint", checkpoint_file});
  if (!log_key.empty()) args.insert(args.end(), {"--log-key", log_key});
  RunOptions opt;
  opt.timeout_s = timeout_s;
  Verdict v;
  v.run = run(kVerifyBin, args, opt);
  if (json::accept(v.run.out)) v.report = json::parse(v.run.out);
  return v;
}

}  // namespace fundtrail::test::rel
