// contract agree | vary | end | show | list, party status, claim-id:
// contracts and payment by results (docs/contracts.md).
#include <sodium.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/context.h"
#include "cli/write_target.h"
#include "cli/describe.h"
#include "interop/csv_rows.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail::cli {
namespace {

// Schedule CSV: milestone,group,unit_price,financed_by (payer|parent). Only
// the cells' syntax is checked here; the rows themselves are the writer's
// (rule 2: a positive unit price, no row twice, parent only with a parent).
std::vector<spec::ScheduleRow> read_schedule(const std::string& path, int exponent) {
  auto rows = interop::read_csv(path);
  const std::vector<std::string> want = {"milestone", "group", "unit_price", "financed_by"};
  if (rows.empty() || rows[0].fields != want)
    usage_error(path + ": line 1: the header must be exactly milestone,group,unit_price,financed_by");
  std::vector<spec::ScheduleRow> out;
  for (size_t i = 1; i < rows.size(); ++i) {
    auto& f = rows[i].fields;
    std::string at = path + ": line " + std::to_string(rows[i].line) + ": ";
    if (f.size() != 4) usage_error(at + std::to_string(f.size()) + " cells, the header has 4");
    spec::ScheduleRow r;
    r.milestone = f[0];
    r.group = f[1];
    MoneyParse price = parse_money(f[2], exponent);
    if (!price.ok()) usage_error(at + "unit_price '" + f[2] + "': " + price.message);
    r.unit_price = price.minor;
    if (f[3] == "payer") r.financed_by = schema::FinancedBy::PAYER;
    else if (f[3] == "parent") r.financed_by = schema::FinancedBy::PARENT;
    else usage_error(at + "financed_by '" + f[3] + "' must be payer or parent");
    out.push_back(r);
  }
  return out;
}

void add_agree(CLI::App* contract, Context& ctx) {
  struct Opts {
    std::string ref, payer, payee, subject, from, to, cap, parent, model, fee_cap, schedule;
    WriteOptions w;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = contract->add_subcommand(
      "agree",
      "contract agree: record a contract (signed by its payer): what it buys, dates, cap, the head contract it\n"
      "sits under, and a price schedule (CSV: milestone,group,unit_price,financed_by with payer|parent).\n"
      "Example: fundtrail contract agree WP-ACE-HOPE --payer ace-integrator --payee hope-charity \\\n"
      "           --subject 'employment support' --from 2025-04-01 --to 2027-03-31 --cap 250000.00 \\\n"
      "           --parent WP-DEPT-ACE --schedule hope-prices.csv --key ace.key");
  cmd->add_option("REF", o->ref, "unique contract reference")->required();
  cmd->add_option("--payer", o->payer, "paying party")->required();
  cmd->add_option("--payee", o->payee, "receiving party")->required();
  cmd->add_option("--subject", o->subject, "the service or outcome it buys")->required();
  cmd->add_option("--from", o->from, "start date YYYY-MM-DD")->required();
  cmd->add_option("--to", o->to, "end date YYYY-MM-DD");
  cmd->add_option("--cap", o->cap, "most that may be paid under it, e.g. 250000.00");
  cmd->add_option("--parent", o->parent, "the head contract it sits under (its payer receives that one)");
  cmd->add_option("--model", o->model, "an integrator's declared model: pure or blended")->check(CLI::IsMember({"pure", "blended"}));
  cmd->add_option("--fee-cap", o->fee_cap, "management-fee cap, PERCENT of the value, e.g. 7.5");
  cmd->add_option("--schedule", o->schedule, "price schedule CSV")->check(CLI::ExistingFile);
  o->w.add_to(cmd, false);
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    auto target = open_write_target(ctx, o->w);
    int exp = target->facts().exponent;
    uint32_t from = date_arg(o->from, "--from"), to = o->to.empty() ? 0 : date_arg(o->to, "--to");
    int64_t cap = o->cap.empty() ? 0 : amount_arg(o->cap, exp, "--cap");
    int64_t fee_bp = o->fee_cap.empty() ? 0 : amount_arg(o->fee_cap, 2, "--fee-cap");
    spec::ContractAgreed c;
    c.reference = o->ref;
    c.payer = o->payer;
    c.payee = o->payee;
    c.subject = o->subject;
    c.start_date = from;
    c.end_date = to;
    c.cap = cap;
    c.parent = o->parent;
    c.model = o->model == "pure"      ? schema::IntegratorModel::PURE
              : o->model == "blended" ? schema::IntegratorModel::BLENDED
                                      : schema::IntegratorModel::UNSPECIFIED;
    c.has_fee_cap = !o->fee_cap.empty();
    c.fee_cap_basis_points = static_cast<uint32_t>(std::min<int64_t>(fee_bp, UINT32_MAX));
    if (!o->schedule.empty()) c.schedule = read_schedule(o->schedule, exp);
    sign_and_append(ctx, *target, o->w, c);
  });
}

void add_vary_end(CLI::App* contract, Context& ctx) {
  struct VaryOpts {
    std::string ref, cap, to, schedule, reason;
    WriteOptions w;
  };
  auto v = std::make_shared<VaryOpts>();
  auto* vary = contract->add_subcommand("vary", "contract vary: change a contract's cap, end date or schedule, with a reason.\n"
                                                "Example: fundtrail contract vary WP-ACE-HOPE --cap 300000.00 --reason "
                                                "'caseload up 20%' --key ace.key");
  vary->add_option("REF", v->ref, "contract reference")->required();
  vary->add_option("--cap", v->cap, "new cap");
  vary->add_option("--to", v->to, "new end date YYYY-MM-DD");
  vary->add_option("--schedule", v->schedule, "replacement price schedule CSV")->check(CLI::ExistingFile);
  vary->add_option("--reason", v->reason, "why it changes")->required();
  v->w.add_to(vary, false);
  add_json_flag(vary, ctx);
  vary->callback([v, &ctx] {
    auto target = open_write_target(ctx, v->w);
    int exp = target->facts().exponent;
    if (v->cap.empty() && v->to.empty() && v->schedule.empty()) usage_error("give at least one of --cap, --to, --schedule");
    int64_t cap = v->cap.empty() ? 0 : amount_arg(v->cap, exp, "--cap");
    if (!v->cap.empty() && cap == 0) usage_error("--cap must be positive");
    uint32_t to = v->to.empty() ? 0 : date_arg(v->to, "--to");
    auto rows = v->schedule.empty() ? std::vector<spec::ScheduleRow>{} : read_schedule(v->schedule, exp);
    sign_and_append(ctx, *target, v->w, spec::ContractVaried{v->ref, cap, to, !v->schedule.empty(), rows, v->reason});
  });

  struct EndOpts {
    std::string ref, reason, to, date;
    WriteOptions w;
  };
  auto e = std::make_shared<EndOpts>();
  auto* end = contract->add_subcommand(
      "end", "contract end: a contract completes, is terminated, or is transferred to another party (--to).\n"
             "Example: fundtrail contract end WP-ACE-SKILLSUP --reason transferred --to newstart-cic --key ace.key");
  end->add_option("REF", e->ref, "contract reference")->required();
  end->add_option("--reason", e->reason, "completed|terminated|transferred")
      ->required()
      ->check(CLI::IsMember({"completed", "terminated", "transferred"}));
  end->add_option("--to", e->to, "the successor party (transferred)");
  end->add_option("--date", e->date, "date it ends YYYY-MM-DD");
  e->w.add_to(end, false);
  add_json_flag(end, ctx);
  end->callback([e, &ctx] {
    auto target = open_write_target(ctx, e->w);
    uint32_t date = e->date.empty() ? 0 : date_arg(e->date, "--date");
    auto reason = e->reason == "completed"    ? schema::EndReason::COMPLETED
                  : e->reason == "terminated" ? schema::EndReason::TERMINATED
                                              : schema::EndReason::TRANSFERRED;
    sign_and_append(ctx, *target, e->w, spec::ContractEnded{e->ref, reason, e->to, date});
  });
}

}  // namespace

void add_contract_commands(CLI::App& app, Context& ctx) {
  auto* contract = app.add_subcommand("contract", "contracts and payment by results");
  contract->require_subcommand(1);
  add_agree(contract, ctx);
  add_vary_end(contract, ctx);
  add_contract_reports(contract, ctx);

  struct StatusOpts {
    std::string party, status, from, note;
    WriteOptions w;
  };
  auto s = std::make_shared<StatusOpts>();
  CLI::App* party = app.get_subcommand("party");
  auto* st = party->add_subcommand(
      "status", "party status: a party's status from a date (an administrator's record). A failed or exited party\n"
                "receives only 'support' payments from that date (rule 11).\n"
                "Example: fundtrail party status skillsup-ltd --status financial-failure --from 2025-11-14 "
                "--note 'entered administration' --key admin.key");
  st->add_option("PARTY", s->party, "party id")->required();
  st->add_option("--status", s->status, "active|service-failure|financial-failure|exited")
      ->required()
      ->check(CLI::IsMember({"active", "service-failure", "financial-failure", "exited"}));
  st->add_option("--from", s->from, "date it takes effect YYYY-MM-DD")->required();
  st->add_option("--note", s->note, "what happened");
  s->w.add_to(st, false);
  add_json_flag(st, ctx);
  st->callback([s, &ctx] {
    auto target = open_write_target(ctx, s->w);
    uint32_t from = date_arg(s->from, "--from");
    auto status = s->status == "active"              ? schema::PartyStatus::ACTIVE
                  : s->status == "service-failure"   ? schema::PartyStatus::SERVICE_FAILURE
                  : s->status == "financial-failure" ? schema::PartyStatus::FINANCIAL_FAILURE
                                                     : schema::PartyStatus::EXITED;
    sign_and_append(ctx, *target, s->w, spec::PartyStatusChanged{s->party, status, from, s->note});
  });

  struct ClaimOpts {
    std::string salt_file, ref;
  };
  auto c = std::make_shared<ClaimOpts>();
  auto* claim = app.add_subcommand(
      "claim-id",
      "claim-id: the claim id of an outcome, HMAC-SHA-256(salt, participant reference) in hex. Partners share one\n"
      "secret salt file, so one outcome claimed from two budgets carries one id, and no personal data enters the\n"
      "ledger (docs/contracts.md says how to keep the salt).\n"
      "Example: fundtrail claim-id --salt-file partnership.salt JS-2025-00123");
  claim->add_option("REF", c->ref, "participant reference (never recorded)")->required();
  claim->add_option("--salt-file", c->salt_file, "the partnership's secret salt (at least 16 bytes)")
      ->required()
      ->check(CLI::ExistingFile);
  claim->callback([c] {
    std::ifstream in(c->salt_file, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string salt = ss.str();
    if (salt.size() < 16) usage_error("the salt file holds " + std::to_string(salt.size()) + " bytes; use at least 16 random bytes (e.g. head -c 32 /dev/urandom > FILE)");
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state hmac;
    crypto_auth_hmacsha256_init(&hmac, reinterpret_cast<const unsigned char*>(salt.data()), salt.size());
    crypto_auth_hmacsha256_update(&hmac, reinterpret_cast<const unsigned char*>(c->ref.data()), c->ref.size());
    crypto_auth_hmacsha256_final(&hmac, mac);
    sodium_memzero(salt.data(), salt.size());
    std::cout << hex(std::span<const uint8_t>(mac, sizeof mac)) << "\n";
  });
}

}  // namespace fundtrail::cli
