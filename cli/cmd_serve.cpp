// serve: runs fundtrail-serve (server/main.cpp), built and installed next to
// this program, with the same arguments. The server links cpp-httplib and
// OpenSSL, which no other command needs to load (docs/performance.md, pay
// latency), so it is a program of its own behind this subcommand.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cli/context.h"

namespace fundtrail::cli {

void add_serve_command(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve", "serve: share the ledger over HTTP with the partnership's officers (docs/server.md).\n"
                                          "Run 'fundtrail serve --help' for its options.\n"
                                          "Example: fundtrail serve --ledger books --listen 127.0.0.1:8470");
  cmd->prefix_command();
  cmd->allow_extras();
  cmd->fallthrough(false);  // every argument is fundtrail-serve's
  cmd->set_help_flag();  // --help goes to fundtrail-serve, which knows its options
  cmd->callback([cmd, &ctx] {
    std::error_code ec;
    std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    std::filesystem::path helper = self.parent_path() / "fundtrail-serve";
    if (ec || ::access(helper.c_str(), X_OK) != 0)
      usage_error("fundtrail-serve is not installed next to fundtrail (" + helper.string() + "); install both programs together");
    std::vector<std::string> args{helper.string()};
    if (!ctx.ledger_dir.empty()) args.insert(args.end(), {"--ledger", ctx.ledger_dir});
    for (auto& a : cmd->remaining()) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    throw Error(ErrorKind::unusable, "cannot run " + helper.string() + ": " + std::strerror(errno));
  });
}

}  // namespace fundtrail::cli
