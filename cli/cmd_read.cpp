// log, show, balance: reading the ledger.
#include <iostream>

#include "cli/context.h"
#include "cli/suggest.h"
#include "cli/describe.h"
#include "ledger/balances.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail::cli {
namespace {

void add_log(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string party, kind, from, to;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("log", "log: the records in order, one line each, with filters.\n"
                                        "Example: fundtrail log --party riverside-pool --kind payment --from 2025-04-01");
  cmd->add_option("--party", o->party, "only records naming this party");
  cmd->add_option("--kind", o->kind, "only this record kind, e.g. payment, contribution, reversal, partyRegistered");
  cmd->add_option("--from", o->from, "only money with a value date (others: recorded date) on or after YYYY-MM-DD");
  cmd->add_option("--to", o->to, "... on or before YYYY-MM-DD");
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    // A filter that can match nothing is a mistake, not an empty answer.
    if (!o->kind.empty()) {
      auto kinds = record_kind_names();
      if (std::find(kinds.begin(), kinds.end(), o->kind) == kinds.end()) {
        std::string all;
        for (auto& k : kinds) all += (all.empty() ? "" : ", ") + k;
        usage_error("--kind '" + o->kind + "' is not a record kind" + did_you_mean(o->kind, kinds) + " (kinds: " + all + ")");
      }
    }
    if (!o->party.empty() && !ledger.party(o->party)) {
      std::vector<std::string> ids;
      for (auto& p : ledger.parties()) ids.push_back(p.id);
      usage_error("--party '" + o->party + "' is not a party of this ledger" + did_you_mean(o->party, ids) +
                  " (fundtrail party list shows them all)");
    }
    uint32_t from = o->from.empty() ? 0 : date_arg(o->from, "--from");
    uint32_t to = o->to.empty() ? 99991231 : date_arg(o->to, "--to");
    nlohmann::json out = nlohmann::json::array();
    ledger.for_each(0, ledger.size(), [&](uint64_t seq, std::span<const uint8_t> bytes) {
      Record rec(bytes);
      auto which = rec.entry().getBody().which();
      if (!o->kind.empty() && name_of(which) != o->kind) return true;
      if (!o->party.empty()) {
        auto ps = record_parties(rec);
        if (std::find(ps.begin(), ps.end(), o->party) == ps.end()) return true;
      }
      nlohmann::json j = record_json(rec, ledger.facts());
      uint32_t day = utc_day(rec.leaf().getRecordedAt());
      if (j["body"].contains("value_date")) day = parse_date(j["body"]["value_date"].get<std::string>());
      if (day < from || day > to) return true;
      if (ctx.json) {
        out.push_back(j);
      } else {
        std::cout << seq << "\t" << format_date(utc_day(rec.leaf().getRecordedAt())) << "\t" << record_summary(rec, ledger.facts())
                  << (ledger.is_reversed(seq) ? "  [reversed]" : "") << "\n";
      }
      return true;
    });
    if (ctx.json) print_json(out);
  });
}

void add_show(CLI::App& app, Context& ctx) {
  struct Opts {
    uint64_t seq = 0;
    bool raw = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("show", "show: one record. --raw writes its exact stored leaf bytes (what the Merkle\n"
                                         "tree and tiles commit to); --json decodes it.\n"
                                         "Example: fundtrail show 12 --raw | sha256sum");
  cmd->add_option("SEQ", o->seq, "record seq")->required();
  cmd->add_flag("--raw", o->raw, "write the exact leaf bytes to stdout");
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    Bytes leaf = ledger.leaf(o->seq);
    if (o->raw) {
      std::cout.write(reinterpret_cast<const char*>(leaf.data()), static_cast<std::streamsize>(leaf.size()));
      return;
    }
    Record rec(leaf);
    nlohmann::json j = record_json(rec, ledger.facts());
    j["leaf_hash"] = base64(ledger.leaf_hash(o->seq));
    j["reversed"] = ledger.is_reversed(o->seq);
    if (ctx.json) return print_json(j);
    std::cout << "seq " << o->seq << ": " << record_summary(rec, ledger.facts()) << "\n";
    std::cout << j.dump(2) << "\n";
  });
}

void add_balance(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string party, as_of;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "balance",
      "balance: what each party and pool has received minus what it paid.\n"
      "--as-of SEQ: right after record SEQ; --as-of YYYY-MM-DD: money with that value date or earlier.\n"
      "A negative integrator balance is its working capital (pre-financing).\n"
      "Example: fundtrail balance riverside-pool --as-of 2025-06-30");
  cmd->add_option("PARTY", o->party, "one party (default: all)");
  cmd->add_option("--as-of", o->as_of, "SEQ (ledger position) or YYYY-MM-DD (value date)");
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    std::map<std::string, int64_t> balances;
    std::optional<BalancePoint> point;
    if (o->as_of.empty()) {
      for (auto& p : ledger.parties()) balances[p.id] = p.balance;
    } else if (o->as_of.find('-') != std::string::npos) {
      point = BalancePoint::on(date_arg(o->as_of, "--as-of"));
    } else {
      if (o->as_of.find_first_not_of("0123456789") != std::string::npos || o->as_of.size() > 18)
        usage_error("--as-of '" + o->as_of + "' must be a seq number or a date YYYY-MM-DD");
      uint64_t seq = std::stoull(o->as_of);
      if (seq >= ledger.size()) usage_error("--as-of " + o->as_of + ": the ledger has records 0 to " + std::to_string(ledger.size() - 1));
      point = BalancePoint::after(seq);
    }
    if (point && !ledger.keeps_balance_history())  // the same answer, by replay: say how to make it fast
      std::cerr << "note: this ledger has no balance history index (made before it, or in its first layout), so this\n"
                   "      answer replays every record; 'fundtrail reindex' builds the index\n";
    const std::string no_party = "no party '" + o->party + "' (see 'fundtrail party list')";
    if (point && !o->party.empty()) {  // one party: a few keys of the balance history
      auto b = ledger.balance_at(o->party, *point);
      if (!b) usage_error(no_party);
      balances = {{o->party, *b}};
    } else if (point) {
      balances = ledger.balances_at(*point);
    } else if (!o->party.empty()) {
      if (!balances.count(o->party)) usage_error(no_party);
      balances = {{o->party, balances[o->party]}};
    }
    int exp = ledger.facts().exponent;
    if (ctx.json) {
      nlohmann::json out = nlohmann::json::array();
      for (auto& [id, b] : balances)
        out.push_back({{"party", id}, {"balance", format_money(b, exp)}, {"balance_minor", b}, {"currency", ledger.facts().currency}});
      return print_json(out);
    }
    for (auto& [id, b] : balances) std::cout << id << "\t" << format_money(b, exp) << " " << ledger.facts().currency << "\n";
  });
}

}  // namespace

void add_read_commands(CLI::App& app, Context& ctx) {
  add_log(app, ctx);
  add_show(app, ctx);
  add_balance(app, ctx);
}

}  // namespace fundtrail::cli
