#include "cli/cmd_report.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "accountability/report.h"
#include "cli/atomic_file.h"
#include "ledger/note.h"

namespace fundtrail::cli {
namespace {

struct Ran {
  int exit_code = -1;
  std::string out;
};

// Runs argv (no shell), its stdout captured and its stderr discarded.
Ran run_capturing(const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {};
  }
  if (pid == 0) {
    ::dup2(fds[1], 1);
    int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 2);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  Ran r;
  char buf[65536];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// fundtrail-verify's verdict on the same ledger and checkpoint, beside the
// page's own checks; the note says why when it could not be run.
void run_verifier(const std::string& dir, const std::string& log_key, const std::optional<std::string>& checkpoint,
                  map::ReportOptions& o) {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  // Installed beside fundtrail, or in a build tree's verifier/ directory.
  std::filesystem::path verifier = self.parent_path() / "fundtrail-verify";
  if (ec || ::access(verifier.c_str(), X_OK) != 0) verifier = self.parent_path().parent_path() / "verifier" / "fundtrail-verify";
  if (ec || ::access(verifier.c_str(), X_OK) != 0) {
    o.verifier_note = "fundtrail-verify is not installed next to fundtrail";
    return;
  }
  std::vector<std::string> args{verifier.string(), dir, "--json", "--log-key", log_key};
  std::string cp_file;
  if (checkpoint) {
    char tmpl[] = "/tmp/fundtrail-report-checkpoint-XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd < 0) {
      o.verifier_note = std::string("cannot make a temporary file: ") + std::strerror(errno);
      return;
    }
    ssize_t wrote = ::write(fd, checkpoint->data(), checkpoint->size());
    ::close(fd);
    cp_file = tmpl;
    if (wrote != static_cast<ssize_t>(checkpoint->size())) {
      std::filesystem::remove(cp_file, ec);
      o.verifier_note = "cannot write the checkpoint to a temporary file";
      return;
    }
    args.insert(args.end(), {"--checkpoint", cp_file});
  }
  Ran r = run_capturing(args);
  if (!cp_file.empty()) std::filesystem::remove(cp_file, ec);
  try {
    auto j = nlohmann::json::parse(r.out);
    o.verifier = {{"exit_code", r.exit_code},
                  {"result_text", j.value("result_text", "")},
                  {"records", j.contains("counts") ? j["counts"].value("records", 0) : 0},
                  {"anchored", j.value("anchored", false)}};
  } catch (const nlohmann::json::exception&) {
    o.verifier_note = "fundtrail-verify ran but its report could not be read (exit " + std::to_string(r.exit_code) + ")";
  }
}

}  // namespace

void add_report_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string html, as_of, checkpoint;
    bool no_verify = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "report",
      "report: one self-contained HTML page a councillor, a journalist or a researcher opens from disk: where the money\n"
      "went, who answers for each service, what looks wrong, an interactive map, the contracts, and the largest\n"
      "payments, each proved on the page itself against the log's signed checkpoint (it loads nothing from outside).\n"
      "The checkpoint is --checkpoint FILE or the latest one the ledger issued ('fundtrail checkpoint' issues one);\n"
      "--as-of filters the money shown, never the proofs. fundtrail-verify's verdict is shown beside the page's own.\n"
      "Example: fundtrail checkpoint > cp.txt && fundtrail report --html riverside.html --checkpoint cp.txt");
  cmd->add_option("--html", o->html, "write the page to FILE")->required();
  cmd->add_option("--as-of", o->as_of, "SEQ (records 0..SEQ) or YYYY-MM-DD (money with that value date or earlier)");
  cmd->add_option("--checkpoint", o->checkpoint, "a checkpoint of this log (signed note) to prove the payments against");
  cmd->add_flag("--no-verify", o->no_verify, "do not run fundtrail-verify for the page");
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    map::ReportOptions options;
    if (!o->checkpoint.empty()) {
      std::ifstream in(o->checkpoint, std::ios::binary);
      if (!in) usage_error("cannot read checkpoint file '" + o->checkpoint + "'");
      std::stringstream text;
      text << in.rdbuf();
      options.checkpoint = text.str();
    } else if (auto latest = ledger.latest_checkpoint()) {
      options.checkpoint = latest->second;
    }
    std::string log_key = verifier_key_text(ledger.facts().origin, 0x01, ledger.facts().log_key);
    if (o->no_verify)
      options.verifier_note = "--no-verify was given";
    else
      run_verifier(ctx.require_ledger_dir(), log_key, options.checkpoint, options);
    map::Map m = map::build_map(ledger, map::parse_as_of(o->as_of, ledger));
    std::string page = map::report_html(map::report_data(ledger, m, options));
    write_file_atomically(o->html, page);
    std::cerr << "wrote " << o->html << " (" << page.size() << " bytes): "
              << (options.checkpoint ? "payments proved against the checkpoint" : "no checkpoint issued, so nothing is proved on it")
              << "\n";
  });
}

}  // namespace fundtrail::cli
