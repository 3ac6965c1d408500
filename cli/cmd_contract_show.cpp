// contract show | list: a contract's money against its cap and schedule.
#include <iostream>

#include "cli/context.h"
#include "cli/plural.h"
#include "ledger/contract_report.h"
#include "ledger/limits.h"
#include "ledger/money.h"

namespace fundtrail::cli {
namespace {

std::string model_name(schema::IntegratorModel m) {
  return m == schema::IntegratorModel::PURE ? "pure" : m == schema::IntegratorModel::BLENDED ? "blended" : "";
}

nlohmann::json report_json(const ContractReport& r, int exp) {
  auto money = [&](int64_t v) { return format_money(v, exp); };
  nlohmann::json milestones = nlohmann::json::array();
  for (auto& [key, m] : r.milestones)
    milestones.push_back({{"milestone", key.first}, {"group", key.second}, {"outcomes", m.outcomes},
                          {"amount", money(m.amount)}, {"amount_minor", m.amount}, {"payments", m.payments}});
  return {{"reference", r.state.reference},
          {"seq", r.state.seq},
          {"payer", r.state.payer},
          {"payee", r.state.payee},
          {"parent", r.state.parent},
          {"subject", r.subject},
          {"model", model_name(r.model)},
          {"from", format_date(r.state.start)},
          {"to", format_date(r.state.end)},
          {"ended", r.state.ended},
          {"committed", r.state.cap ? nlohmann::json(money(r.state.cap)) : nlohmann::json(nullptr)},
          {"committed_minor", r.state.cap},
          {"paid", money(r.paid)},
          {"paid_minor", r.paid},
          {"remaining", r.remaining >= 0 ? nlohmann::json(money(r.remaining)) : nlohmann::json(nullptr)},
          {"payments", r.payments},
          {"milestones", milestones},
          {"outcome_paid", money(r.outcome_paid)},
          {"outcome_share_percent", format_money(r.outcome_share_bp(), 2)},
          {"prefinanced", money(r.prefinanced)},
          {"prefinanced_by", r.prefinanced_by},
          {"passed_through", money(r.passed_through)},
          {"management_fees", money(r.management_fees)}};
}

}  // namespace

void add_contract_reports(CLI::App* contract, Context& ctx) {
  auto ref = std::make_shared<std::string>();
  auto* show = contract->add_subcommand(
      "show", "contract show: committed, paid and remaining under the cap; outcomes paid per milestone and group;\n"
              "how much the payer pre-financed; the share payable only on outcomes (the risk transferred).\n"
              "Example: fundtrail contract show WP-ACE-HOPE --json");
  show->add_option("REF", *ref, "contract reference")->required();
  add_json_flag(show, ctx);
  show->callback([ref, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    int exp = ledger.facts().exponent;
    ContractReport r = contract_report(ledger, *ref);
    if (ctx.json) return print_json(report_json(r, exp));
    const std::string& cur = ledger.facts().currency;
    auto money = [&](int64_t v) { return cur + " " + format_money(v, exp); };
    std::cout << "contract " << r.state.reference << ": " << r.state.payer << " -> " << r.state.payee << ", \"" << r.subject << "\""
              << (r.state.parent.empty() ? "" : " under " + r.state.parent) << (r.state.ended ? " (ended)" : "") << "\n"
              << "  dates        " << format_date(r.state.start) << " to " << (r.state.end ? format_date(r.state.end) : "open") << "\n"
              << "  committed    " << (r.state.cap ? money(r.state.cap) : "no cap") << "\n"
              << "  paid         " << money(r.paid) << " in " << count_of(r.payments, "payment") << "\n";
    if (r.remaining >= 0) std::cout << "  remaining    " << money(r.remaining) << "\n";
    for (auto& [key, m] : r.milestones)
      std::cout << "  milestone    " << key.first << (key.second.empty() ? "" : " [" + key.second + "]") << ": "
                << count_of(m.outcomes, "outcome") << ", " << money(m.amount) << "\n";
    std::cout << "  on outcomes  " << money(r.outcome_paid) << " (" << format_money(r.outcome_share_bp(), 2)
              << "% of the money paid was payable only on results)\n";
    if (r.prefinanced) std::cout << "  pre-financed " << money(r.prefinanced) << " by " << r.prefinanced_by << "\n";
    if (r.passed_through) std::cout << "  passed down  " << money(r.passed_through) << " from the parent contract's money\n";
    if (r.management_fees) std::cout << "  fees         " << money(r.management_fees) << "\n";
  });

  auto* list = contract->add_subcommand("list", "contract list: every contract with its parties, cap and paid total\n"
                                                "Example: fundtrail contract list --json");
  add_json_flag(list, ctx);
  list->callback([&ctx] {
    Ledger ledger = ctx.open_ledger(true);
    int exp = ledger.facts().exponent;
    nlohmann::json out = nlohmann::json::array();
    for (auto& c : ledger.contracts())
      out.push_back({{"reference", c.reference}, {"payer", c.payer}, {"payee", c.payee}, {"parent", c.parent},
                     {"cap", c.cap ? nlohmann::json(format_money(c.cap, exp)) : nlohmann::json(nullptr)},
                     {"paid", format_money(c.paid, exp)}, {"ended", c.ended}});
    if (ctx.json) return print_json(out);
    for (auto& c : out)
      std::cout << c["reference"].get<std::string>() << "\t" << c["payer"].get<std::string>() << " -> "
                << c["payee"].get<std::string>() << "\tpaid " << c["paid"].get<std::string>() << "\tcap "
                << (c["cap"].is_null() ? "none" : c["cap"].get<std::string>()) << (c["ended"].get<bool>() ? "\tended" : "") << "\n";
  });
}

}  // namespace fundtrail::cli
