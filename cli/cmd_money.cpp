// contribute, pay, reverse: money movements, signed by the paying party.
#include <iostream>

#include "cli/context.h"
#include "cli/write_target.h"
#include "ledger/names.h"

namespace fundtrail::cli {
namespace {

void add_contribute(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string from, to, amount, date, reference;
    bool future_date = false;
    WriteOptions w;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("contribute",
                                 "contribute: put money into a pool (signed by the contributor's officer).\n"
                                 "Example: fundtrail contribute --from riverside-council --to riverside-pool "
                                 "--amount 250000.00 --date 2025-04-01 --reference 'S75 year 1' --key council.key");
  cmd->add_option("--from", o->from, "contributing party")->required();
  cmd->add_option("--to", o->to, "the pool")->required();
  cmd->add_option("--amount", o->amount, "decimal amount in major units, e.g. 250000.00")->required();
  cmd->add_option("--date", o->date, "value date YYYY-MM-DD (default: today, UTC)");
  cmd->add_option("--reference", o->reference, "reference text");
  cmd->add_flag("--future-date", o->future_date, "accept a value date more than a year after today");
  o->w.add_to(cmd, false);
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    auto target = open_write_target(ctx, o->w);
    int64_t amount = amount_arg(o->amount, target->facts().exponent, "--amount");
    uint32_t date = o->date.empty() ? today() : date_arg(o->date, "--date");
    check_value_date(date, o->future_date, "--date");
    sign_and_append(ctx, *target, o->w,
                    spec::Contribution{o->from, o->to, amount, target->facts().currency, date, o->reference});
  });
}

void add_pay(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string from, to, amount, mechanism, milestone, contract, group, funded_by, memo, reference, date;
    uint32_t count = 0;
    std::vector<std::string> claims;
    bool future_date = false;
    WriteOptions w;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "pay",
      "pay: record a payment (signed by the payer; at or above the dual-control threshold by two of its keys).\n"
      "A purchase is what the payer buys for its own use (no service delivered on its behalf). A refund is money\n"
      "back, such as a supplier's credit note: --from is the supplier, --to the council that paid it, and it is\n"
      "signed by the council receiving it (and co-signed by the supplier if the supplier holds keys here).\n"
      "Example: fundtrail pay --from riverside-pool --to ace-integrator --amount 120000.00 --mechanism block \\\n"
      "           --date 2025-04-02 --key pool-officer.key --key pool-approver.key\n"
      "         fundtrail pay --from royal-mail --to riverside-council --amount 41.20 --mechanism refund \\\n"
      "           --reference CN-88213 --key council-officer.key");
  cmd->add_option("--from", o->from, "paying party or pool")->required();
  cmd->add_option("--to", o->to, "receiving party")->required();
  cmd->add_option("--amount", o->amount, "decimal amount in major units, e.g. 1250.00")->required();
  cmd->add_option("--mechanism", o->mechanism, join_names(mechanism_names()))->required()->check(CLI::IsMember(mechanism_names()));
  cmd->add_option("--milestone", o->milestone, "milestone label, e.g. 'job entry'");
  cmd->add_option("--contract", o->contract, "contract reference it is paid under");
  cmd->add_option("--count", o->count, "outcome count (milestones)");
  cmd->add_option("--group", o->group, "participant group");
  cmd->add_option("--claim", o->claims, "claim id: salted hash naming an outcome claimed (repeat)");
  auto* funded_by = cmd->add_option("--funded-by", o->funded_by, "where the money comes from: SEQ of a contribution or payment, own, or loan");
  cmd->add_option("--memo", o->memo, "free text, at most 1000 bytes");
  cmd->add_option("--reference", o->reference, "the payer's transaction or invoice number, at most 200 bytes");
  cmd->add_flag("--future-date", o->future_date, "accept a value date more than a year after today");
  cmd->add_option("--date", o->date, "value date YYYY-MM-DD (default: today, UTC)");
  o->w.add_to(cmd, true);
  add_json_flag(cmd, ctx);
  cmd->callback([o, funded_by, &ctx] {
    bool refund = o->mechanism == "refund";
    if (!refund && o->w.keys.size() > 2) usage_error("give at most two --key files (officer + approver)");
    if (refund && o->w.keys.size() > 3)
      usage_error("give at most three --key files (two of the party receiving the refund, one of the party refunding)");
    auto target = open_write_target(ctx, o->w);
    int64_t amount = amount_arg(o->amount, target->facts().exponent, "--amount");
    uint32_t date = o->date.empty() ? today() : date_arg(o->date, "--date");
    check_value_date(date, o->future_date, "--date");
    spec::Payment p;
    p.funded_by = funded_by->count() ? parse_funded_by(o->funded_by) : spec::FundedBy{};
    p.contract_seq = o->contract.empty() ? 0 : target->contract_seq(o->contract);
    p.from = o->from;
    p.to = o->to;
    p.amount = amount;
    p.currency = target->facts().currency;
    p.value_date = date;
    p.mechanism = *mechanism_from(o->mechanism);
    p.milestone = o->milestone;
    p.outcome_count = o->count;
    p.group = o->group;
    p.claim_ids = o->claims;
    p.memo = o->memo;
    p.reference = o->reference;
    sign_and_append(ctx, *target, o->w, p);
  });
}

void add_reverse(CLI::App& app, Context& ctx) {
  struct Opts {
    uint64_t seq = 0;
    std::string reason;
    WriteOptions w;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("reverse",
                                 "reverse: cancel an earlier contribution or payment by a new record (nothing is edited).\n"
                                 "Signed by the party that made it. Example: fundtrail reverse 42 --reason 'paid to the "
                                 "wrong provider' --key pool-officer.key");
  cmd->add_option("SEQ", o->seq, "seq of the money record to cancel")->required();
  cmd->add_option("--reason", o->reason, "why it is reversed")->required();
  o->w.add_to(cmd, true);
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    auto target = open_write_target(ctx, o->w);
    sign_and_append(ctx, *target, o->w, spec::Reversal{o->seq, o->reason});
  });
}

void add_assign(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string accountable, subject, kind, from, to, contract;
    std::vector<std::string> responsible;
    WriteOptions w;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "assign",
      "assign: record who answers to whom for what (signed by the accountable party or an administrator).\n"
      "Several --responsible: held jointly to account.\n"
      "Example: fundtrail assign --accountable riverside-board --responsible ace-integrator --subject 'employment "
      "support' --kind oversight --from 2025-04-01 --key board.key");
  cmd->add_option("--accountable", o->accountable, "the party that holds the others to account")->required();
  cmd->add_option("--responsible", o->responsible, "responsible party (repeat: held jointly)")->required();
  cmd->add_option("--subject", o->subject, "the service or outcome")->required();
  cmd->add_option("--kind", o->kind, join_names(responsibility_kind_names()))
      ->required()
      ->check(CLI::IsMember(responsibility_kind_names()));
  cmd->add_option("--from", o->from, "start date YYYY-MM-DD");
  cmd->add_option("--to", o->to, "end date YYYY-MM-DD");
  cmd->add_option("--contract", o->contract, "contract reference");
  o->w.add_to(cmd, false);
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    auto target = open_write_target(ctx, o->w);
    uint32_t from = o->from.empty() ? 0 : date_arg(o->from, "--from");
    uint32_t to = o->to.empty() ? 0 : date_arg(o->to, "--to");
    sign_and_append(ctx, *target, o->w,
                    spec::ResponsibilityAssigned{o->accountable, o->responsible, o->subject,
                                                 *responsibility_kind_from(o->kind), from, to, o->contract});
  });

  struct EndOpts {
    uint64_t seq = 0;
    std::string reason;
    WriteOptions w;
  };
  auto e = std::make_shared<EndOpts>();
  auto* end = app.add_subcommand("end-assignment", "end-assignment: end a responsibility line by its seq.\n"
                                                   "Example: fundtrail end-assignment 17 --reason 'provider exited' --key board.key");
  end->add_option("SEQ", e->seq, "seq of the assignment")->required();
  end->add_option("--reason", e->reason, "why it ends");
  e->w.add_to(end, false);
  add_json_flag(end, ctx);
  end->callback([e, &ctx] {
    auto target = open_write_target(ctx, e->w);
    sign_and_append(ctx, *target, e->w, spec::ResponsibilityEnded{e->seq, e->reason});
  });
}

}  // namespace

void add_money_commands(CLI::App& app, Context& ctx) {
  add_contribute(app, ctx);
  add_pay(app, ctx);
  add_reverse(app, ctx);
}

void add_responsibility_commands(CLI::App& app, Context& ctx) { add_assign(app, ctx); }

}  // namespace fundtrail::cli
