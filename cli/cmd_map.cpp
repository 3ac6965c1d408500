// map: the accountability map (accountability/map.h) — exports and analyses.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "accountability/map.h"
#include "cli/context.h"
#include "cli/plural.h"

namespace fundtrail::cli {
namespace {

// Options every map subcommand shares.
struct MapOpts {
  std::string as_of;
  bool all = false;
  void add_to(CLI::App* cmd, Context& ctx, bool lists = true) {
    cmd->add_option("--as-of", as_of, "SEQ (records 0..SEQ) or YYYY-MM-DD (money with that value date or earlier)");
    if (lists)
      cmd->add_flag("--all", all,
                  "text: every entry of every list (by default each list shows its " + std::to_string(map::kTextLimit) +
                      " largest, then how many more); --json always has every entry");
    add_json_flag(cmd, ctx);
  }
  size_t limit() const { return all ? map::kEveryEntry : map::kTextLimit; }
  // `options`: what the command will ask of the map, started early (map.h).
  map::Map build(const Context& ctx, map::BuildOptions options = {}) const {
    Ledger ledger = ctx.open_ledger(true);
    return map::build_map(ledger, map::parse_as_of(as_of, ledger), options);
  }
};

// Text or JSON of one analysis.
template <class Result>
void report(const Context& ctx, const map::Map& m, const Result& r, const MapOpts& o) {
  if (ctx.json) return print_json(map::to_json(m, r));
  std::cout << map::to_text(m, r, o.limit());
}

struct ExportOpts : MapOpts {
  std::string format, out, pool, kind = "all";
  int depth = -1;
};

// The picture names each gap as found on the whole map, and says how it was cut.
map::PictureNotes picture_notes(const map::Map& full, const ExportOpts& o) {
  std::vector<std::string> cut;
  if (!o.kind.empty() && o.kind != "all") cut.push_back(o.kind + " only");
  if (!o.pool.empty()) cut.push_back("the pool " + o.pool + ", its contributors and what its money reaches");
  if (o.depth >= 0) cut.push_back("at most " + std::to_string(o.depth) + (o.depth == 1 ? " step" : " steps") + " of money");
  std::string filter;
  for (size_t i = 0; i < cut.size(); ++i) filter += (i ? ", " : "") + cut[i];
  return {map::find_gaps(full), filter};
}

void add_export(CLI::App& parent, Context& ctx) {
  using Opts = ExportOpts;
  auto o = std::make_shared<Opts>();
  auto* cmd = parent.add_subcommand(
      "export",
      "export: the map as GraphML (Gephi, yEd, NetworkX), DOT or SVG (Graphviz), JSON node-link (nodes/edges), or a\n"
      "CSV edge list. GraphML and JSON carry the origin, currency, as-of and record count as graph attributes.\n"
      "GraphML node ids are party ids; edges carry type funding|responsibility|contract with their attributes.\n"
      "Example: fundtrail map export --format graphml --out riverside.graphml --as-of 2026-03-31");
  cmd->add_option("--format", o->format, "graphml|dot|svg|json|csv")->required();
  cmd->add_option("--out", o->out, "write to FILE (default: stdout)");
  cmd->add_option("--pool", o->pool, "only this pool's contributors, what it funds and who answers for them");
  cmd->add_option("--depth", o->depth, "at most N funding steps from the pool (or from the first payers)");
  cmd->add_option("--kind", o->kind, "funding|responsibility|contracts|all (default all)");
  cmd->add_option("--as-of", o->as_of, "SEQ (records 0..SEQ) or YYYY-MM-DD (money with that value date or earlier)");
  cmd->callback([o, &ctx] {
    static const std::vector<std::string> formats = {"graphml", "dot", "svg", "json", "csv"};
    if (std::find(formats.begin(), formats.end(), o->format) == formats.end())
      usage_error("--format '" + o->format + "': choose graphml, dot, svg, json or csv");
    map::Map full = o->build(ctx);
    const map::Filter filter = map::parse_filter(o->kind, o->pool, o->depth, full);
    // The whole map needs no filtered copy (a second map of a million payments).
    const bool everything = filter.funding && filter.responsibility && filter.contracts && filter.pool.empty() && filter.depth < 0;
    map::Map cut;
    if (!everything) cut = map::filtered(full, filter);
    const map::Map& m = everything ? full : cut;
    // Written as made, not gathered first: a GraphML file of a million
    // payments' edges is hundreds of megabytes. The picture is made whole
    // first (Graphviz may refuse it), so a failure leaves no half a file.
    auto write = [&](std::ostream& out) {
      if (o->format == "graphml") map::write_graphml(m, out);
      else if (o->format == "json") map::write_json(m, out);
      else if (o->format == "csv") map::write_csv(m, out);
      else {
        std::ostringstream buf;
        if (o->format == "dot") map::write_dot(m, buf, picture_notes(full, *o));
        else map::write_svg(m, buf, picture_notes(full, *o));
        out << buf.str();
      }
    };
    if (o->out.empty() || o->out == "-") {
      write(std::cout);
      std::cout.flush();
      return;
    }
    std::ofstream f(o->out, std::ios::binary);
    write(f);
    f.close();
    if (!f) usage_error("cannot write '" + o->out + "'");
    std::cerr << "wrote " << o->out << ": " << count_of(num_vertices(m.graph), "party", "parties") << ", "
              << count_of(num_edges(m.graph), "line") << " ("
              << o->format << ")\n";
  });
}

void add_money(CLI::App& parent, Context& ctx) {
  struct Opts : MapOpts {
    std::string from;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = parent.add_subcommand(
      "money",
      "money: follow the money from each funder (or --from a pool or party) to where it sits now: by funded-by where\n"
      "recorded, pro rata only for untagged money; intermediaries' own money (pre-financing) shown apart with what\n"
      "came back through outcome payments. Each list shows its 20 largest and how many more; --all shows every one.\n"
      "Example: fundtrail map money --from riverside-pool --all");
  cmd->add_option("--from", o->from, "follow only this party's money (a pool, funder or commissioner)");
  o->add_to(cmd, ctx);
  cmd->callback([o, &ctx] {
    map::Map m = o->build(ctx);
    report(ctx, m, map::follow_money(m, o->from), *o);
  });
}

void add_frontline(CLI::App& parent, Context& ctx) {
  auto o = std::make_shared<MapOpts>();
  auto* cmd = parent.add_subcommand(
      "frontline",
      "frontline: per integrator, what it received and passed to independent providers, to parties it controls,\n"
      "in management fees, kept, and pre-financed; pure or blended as declared, flagged where the flows disagree.\n"
      "Shows the 20 integrators that received most (in id order) and how many more; --all shows every one.\n"
      "Example: fundtrail map frontline --as-of 2026-03-31");
  o->add_to(cmd, ctx);
  cmd->callback([o, &ctx] {
    map::Map m = o->build(ctx);
    report(ctx, m, map::frontline(m), *o);
  });
}

void add_who(CLI::App& parent, Context& ctx) {
  struct Opts : MapOpts {
    std::string subject;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = parent.add_subcommand(
      "who",
      "who: the chain from each party delivering SUBJECT up to a named office holder, through SUBJECT's own\n"
      "responsibility lines only (joint lines included); above a party with no line for SUBJECT, the implicit line\n"
      "to the commissioner whose money it holds, marked unrecorded. Shows the chains of the first 20 delivering\n"
      "parties and how many more; --all shows every one.\n"
      "Example: fundtrail map who \"employment support\" --all");
  cmd->add_option("SUBJECT", o->subject, "the service or outcome, as recorded in responsibility lines")->required();
  o->add_to(cmd, ctx);
  cmd->callback([o, &ctx] {
    map::Map m = o->build(ctx);
    report(ctx, m, map::who_answers(m, o->subject), *o);
  });
}

template <class Analyse>
void add_simple(CLI::App& parent, Context& ctx, const char* name, const char* help, Analyse analyse,
                map::BuildOptions options = {}) {
  auto o = std::make_shared<MapOpts>();
  auto* cmd = parent.add_subcommand(name, help);
  o->add_to(cmd, ctx);
  cmd->callback([o, &ctx, analyse, options] {
    map::Map m = o->build(ctx, options);
    report(ctx, m, analyse(m), *o);
  });
}

void add_summary(CLI::App& parent, Context& ctx) {
  auto o = std::make_shared<MapOpts>();
  auto* cmd = parent.add_subcommand(
      "summary",
      "summary: one page of plain text — how much came in, where it is now (adding up to the balances), who answers\n"
      "for each service, what looks wrong. Long lists show their first few, how many more and the command that lists\n"
      "them; --json has every list whole.\n"
      "Example: fundtrail map summary --as-of 2026-03-31");
  o->add_to(cmd, ctx, false);
  cmd->callback([o, &ctx] {
    map::Map m = o->build(ctx, {.trace_pools = true});
    if (ctx.json) return print_json(map::summary_json(m));
    std::cout << map::summary_text(m);
  });
}

}  // namespace

void add_map_commands(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand(
      "map",
      "map: the accountability map — who funds whom, who answers for what, where value is lost (docs/map.md).\n"
      "Example: fundtrail map summary");
  cmd->require_subcommand(1);
  add_export(*cmd, ctx);
  add_money(*cmd, ctx);
  add_frontline(*cmd, ctx);
  add_who(*cmd, ctx);
  add_simple(*cmd, ctx, "gaps",
             "gaps: money without a recorded responsibility line, providers without an operator of last resort,\n"
             "payments after a failure, responsibility without money. Each list shows its 20 largest (by amount) and how\n"
             "many more; --all shows every one, --json has every one.\n"
             "Example: fundtrail map gaps --all",
             [](const map::Map& m) { return map::find_gaps(m); });
  add_simple(*cmd, ctx, "concentration",
             "concentration: each provider's share of each pool's and commissioner's money with the Herfindahl-Hirschman\n"
             "index, dependence on one payer, controlling groups, and dominators where several funding paths exist.\n"
             "Each list shows its 20 largest (dependence: the 20 most dependent) and how many more; --all shows every one.\n"
             "Example: fundtrail map concentration --all",
             [](const map::Map& m) { return map::concentration(m); }, {.trace_pools = true});
  add_simple(*cmd, ctx, "patterns",
             "patterns: claims paid twice and near misses, free-riding on pools, risk transfer, layers, cycles of money.\n"
             "Each list shows 20 entries (risk transfer: the 20 largest relations) and how many more; --all shows every one.\n"
             "Example: fundtrail map patterns --as-of 250 --all",
             [](const map::Map& m) { return map::patterns(m); }, {.trace_pools = true});
  add_summary(*cmd, ctx);
}

}  // namespace fundtrail::cli
