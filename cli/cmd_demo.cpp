// demo DIR: a realistic community budget, recorded through the same library
// calls as every other command, with its keys kept under DIR/keys/.
//
// Riverside: council, NHS and police pool money under a section 75 agreement;
// the pool pays a pure integrator, which pays six providers by block, upfront
// and payment-by-results milestones (start, job entry, 13 and 26 weeks),
// pre-financing the early milestones from its own funds. One provider fails
// and its work moves to another; one mistaken payment is reversed; the big
// pool payment carries two signatures.
#include <sodium.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>

#include "cli/context.h"
#include "cli/plural.h"
#include "ledger/request.h"
#include "ledger/limits.h"
#include "ledger/money.h"

namespace fundtrail::cli {
namespace {

constexpr const char* kDefaultPassphrase = "fundtrail-demo";
constexpr const char* kOrigin = "demo.fundtrail.example/riverside";

class Demo {
 public:
  Demo(std::string dir, std::string pass) : dir_(std::move(dir)), pass_(std::move(pass)) {}

  KeyPair& key(const std::string& name) {
    auto it = keys_.find(name);
    if (it != keys_.end()) return it->second;
    KeyPair k = generate_key(name);
    save_key_file(dir_ + "/keys/" + name + ".key", k, pass_, Kdf::interactive);
    return keys_[name] = k;
  }

  void init() {
    KeyPair& admin = key("admin");
    KeyPair log = generate_key(kOrigin);
    save_key_file(log_key_path(dir_), log, pass_, Kdf::interactive);
    SignedRequest req = genesis_request({kOrigin, log.pk, {}, "GBP", 100000 * 100}, {&admin}, now_ms());  // £100,000.00
    ledger_.emplace(Ledger::create(dir_, req));
  }

  uint64_t record(const std::vector<std::string>& signers, const spec::Body& body) {
    std::vector<const KeyPair*> keys;
    for (auto& s : signers) keys.push_back(&key(s));
    return ledger_->append(sign_request(encode_entry(kOrigin, now_ms(), "demo-" + std::to_string(++count_), body), keys)).seq;
  }

  void party(const std::string& id, const std::string& name, schema::PartyKind kind, schema::Sector sector,
             const std::string& org_id = "", const std::string& parent = "", bool budget_limited = false) {
    spec::PartyRegistered p{.id = id, .name = name, .kind = kind, .sector = sector};
    if (!org_id.empty()) p.org_ids = {org_id};
    p.parent = parent;
    p.budget_limited = budget_limited;
    record({"admin"}, p);
  }

  void grant(const std::string& party, const std::string& keyname, schema::Role role) {
    record({"admin"}, spec::KeyGranted{party, key(keyname).pk, role});
  }

  uint64_t contribute(const std::string& from, const std::string& keyname, int64_t pounds, const char* date, const char* ref) {
    return record({keyname}, spec::Contribution{from, "riverside-pool", pounds * 100, "GBP", parse_date(date), ref});
  }

  struct Pay {
    std::string from, to;
    int64_t pence;
    schema::Mechanism mechanism;
    const char* date;
    std::string milestone = "";
    uint32_t count = 0;
    std::string group = "";
    std::string funded = "";  // "own" or a seq
    std::string memo = "";
    std::string contract = "";               // reference
    std::vector<std::string> participants = {};  // their claim ids are recorded, never they
  };

  uint64_t pay(const std::vector<std::string>& signers, const Pay& p) {
    spec::Payment r{.from = p.from, .to = p.to, .amount = p.pence, .currency = "GBP", .value_date = parse_date(p.date),
                    .mechanism = p.mechanism, .milestone = p.milestone};
    r.outcome_count = p.participants.empty() ? p.count : static_cast<uint32_t>(p.participants.size());
    r.group = p.group;
    if (!p.contract.empty()) r.contract_seq = contract_seq_for(*ledger_, p.contract);
    for (auto& who : p.participants) r.claim_ids.push_back(claim_id(who));
    if (!p.funded.empty()) r.funded_by = parse_funded_by(p.funded);
    r.memo = p.memo;
    return record(signers, r);
  }

  uint64_t assign(const std::vector<std::string>& signers, const std::string& accountable, const std::vector<std::string>& responsible,
                  const std::string& subject, schema::ResponsibilityKind kind, const char* from) {
    return record(signers, spec::ResponsibilityAssigned{accountable, responsible, subject, kind, parse_date(from), 0, ""});
  }

  struct Row {
    const char* milestone;
    const char* group;
    int64_t pounds;
    bool from_parent;
  };

  uint64_t contract(const std::vector<std::string>& signers, const char* ref, const char* payer, const char* payee,
                    const char* parent, int64_t cap_pounds, bool pure, const std::vector<Row>& rows) {
    spec::ContractAgreed c{.reference = ref, .payer = payer, .payee = payee, .subject = "employment support",
                           .start_date = parse_date("2025-04-01"), .end_date = parse_date("2027-03-31"),
                           .cap = cap_pounds * 100, .parent = parent};
    if (pure) {
      c.model = schema::IntegratorModel::PURE;
      c.has_fee_cap = true;
      c.fee_cap_basis_points = 500;
    }
    for (auto& r : rows)
      c.schedule.push_back({r.milestone, r.group, r.pounds * 100,
                            r.from_parent ? schema::FinancedBy::PARENT : schema::FinancedBy::PAYER});
    return record(signers, c);
  }

  Ledger& ledger() { return *ledger_; }
  std::vector<std::string> refusals;  // what the ledger refused, as the scenario intends

 private:
  // Claim ids as `fundtrail claim-id` makes them: HMAC-SHA-256(partnership salt, participant reference).
  static std::string claim_id(const std::string& participant) {
    static const std::string salt = "riverside partnership demo salt (a real one is secret and random)";
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(salt.data()), salt.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(participant.data()), participant.size());
    crypto_auth_hmacsha256_final(&st, mac);
    return hex(std::span<const uint8_t>(mac, sizeof mac));
  }

  std::string dir_, pass_;
  std::map<std::string, KeyPair> keys_;
  std::optional<Ledger> ledger_;
  uint64_t count_ = 0;
};

void run_scenario(Demo& d) {
  using K = schema::PartyKind;
  using S = schema::Sector;
  using M = schema::Mechanism;
  using R = schema::ResponsibilityKind;
  using Role = schema::Role;
  d.init();
  // Who is who.
  d.party("riverside-council", "Riverside Borough Council", K::COMMISSIONER, S::PUBLIC, "GB-LAE-RVS");
  d.party("riverside-nhs", "NHS Riverside Integrated Care Board", K::COMMISSIONER, S::PUBLIC, "GB-NHS-QRV");
  d.party("riverside-police", "Riverside Police and Crime Commissioner", K::FUNDER, S::PUBLIC, "GB-PCC-RVS");
  d.record({"admin"}, spec::PartyRegistered{
                         .id = "riverside-pool",
                         .name = "Riverside Community Budget",
                         .kind = K::POOL,
                         .sector = S::PUBLIC,
                         .pool_terms = spec::PoolTerms{"section 75 agreement (NHS Act 2006)",
                                                       "riverside-council",
                                                       {{"riverside-council", 5000}, {"riverside-nhs", 3000}, {"riverside-police", 2000}},
                                                       "E06000099"}});
  d.party("department", "Department for Work and Pensions", K::COMMISSIONER, S::PUBLIC, "GB-GOR-PC389");
  d.party("riverside-board", "Riverside Partnership Board", K::BOARD, S::PUBLIC);
  d.party("council-director", "Director of Adult Services (accounting officer)", K::OFFICE, S::PUBLIC, "", "riverside-council");
  d.party("ace-integrator", "ACE Employment Partnership Ltd", K::INTEGRATOR, S::PRIVATE, "GB-COH-07962245");
  d.party("hope-charity", "Hope Works", K::PROVIDER, S::VOLUNTARY, "GB-CHC-1164883", "", true);
  d.party("workwise-mutual", "WorkWise Mutual", K::PROVIDER, S::MUTUAL, "GB-MPR-31245R", "", true);
  d.party("skillsup-ltd", "SkillsUp Training Ltd", K::PROVIDER, S::PRIVATE, "GB-COH-09123456");
  d.party("bridge-specialist", "Bridge Mental Health Employment Service", K::PROVIDER, S::VOLUNTARY, "GB-CHC-1098765", "", true);
  d.party("newstart-cic", "NewStart Community Interest Company", K::PROVIDER, S::VOLUNTARY, "GB-COH-11223344");
  d.party("greenway-social", "Greenway Social Enterprise", K::PROVIDER, S::VOLUNTARY, "GB-CHC-1187654", "", true);

  // Who may sign for whom.
  d.grant("riverside-council", "council-officer", Role::OFFICER);
  d.grant("riverside-nhs", "nhs-officer", Role::OFFICER);
  d.grant("riverside-police", "police-officer", Role::OFFICER);
  d.grant("riverside-pool", "pool-officer", Role::OFFICER);
  d.grant("riverside-pool", "pool-approver", Role::APPROVER);
  d.grant("riverside-board", "board-officer", Role::OFFICER);
  d.grant("ace-integrator", "ace-officer", Role::OFFICER);
  d.grant("ace-integrator", "ace-approver", Role::APPROVER);

  d.grant("skillsup-ltd", "skillsup-officer", Role::OFFICER);
  d.grant("department", "dwp-officer", Role::OFFICER);

  // Money in.
  d.contribute("riverside-council", "council-officer", 500000, "2025-04-01", "S75 year 1: council share");
  d.contribute("riverside-nhs", "nhs-officer", 300000, "2025-04-01", "S75 year 1: NHS share");
  d.contribute("riverside-police", "police-officer", 150000, "2025-04-07", "S75 year 1: police share (agreed 20%, paid 15%)");

  // The head contract: the pool buys employment support from a pure integrator,
  // by block payment plus 26-week outcomes priced per participant group.
  d.contract({"pool-officer"}, "RIV-ES-HEAD", "riverside-pool", "ace-integrator", "", 700000, true,
             {{"26 weeks", "jsa-18-24", 4000, false}, {"26 weeks", "esa-wrag", 6000, false}});
  // The department's own head contract pays sustained-employment outcomes.
  d.contract({"dwp-officer"}, "DWP-WP-HEAD", "department", "ace-integrator", "", 0, false, {{"sustained", "jsa-18-24", 500, false}});
  // Subcontracts: start, job entry and 13 weeks pre-financed by the integrator; 26 weeks passed through.
  auto sub = [&](const char* ref, const char* provider, int64_t cap) {
    d.contract({"ace-officer"}, ref, "ace-integrator", provider, "RIV-ES-HEAD", cap, false,
               {{"start", "jsa-18-24", 500, false},     {"start", "esa-wrag", 700, false},
                {"job entry", "jsa-18-24", 1000, false}, {"job entry", "esa-wrag", 1400, false},
                {"13 weeks", "jsa-18-24", 1500, false},  {"13 weeks", "esa-wrag", 2000, false},
                {"26 weeks", "jsa-18-24", 2500, true},   {"26 weeks", "esa-wrag", 3500, true}});
  };
  sub("RIV-ES-HOPE", "hope-charity", 150000);
  sub("RIV-ES-WORKWISE", "workwise-mutual", 100000);
  sub("RIV-ES-SKILLSUP", "skillsup-ltd", 80000);
  sub("RIV-ES-GREENWAY", "greenway-social", 80000);
  d.contract({"ace-officer"}, "RIV-ES-BRIDGE", "ace-integrator", "bridge-specialist", "RIV-ES-HEAD", 60000, false, {});

  // The pool pays the integrator: the block payment is over the threshold, so two keys sign it.
  uint64_t block = d.pay({"pool-officer", "pool-approver"}, {"riverside-pool", "ace-integrator", 400000 * 100, M::BLOCK,
                                                             "2025-04-10", "", 0, "", "", "Q1-Q2 delivery", "RIV-ES-HEAD"});
  std::string from_block = std::to_string(block);
  auto people = [](const char* prefix, int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i) v.push_back(std::string(prefix) + std::to_string(i));
    return v;
  };
  auto ace = [&](const char* to, int64_t pounds, M mech, const char* date, const char* milestone, const char* group,
                 std::vector<std::string> who, std::string funded, const char* contract, const char* memo = "") {
    return d.pay({"ace-officer"}, {"ace-integrator", to, pounds * 100, mech, date, milestone, 0, group, funded, memo, contract, who});
  };
  // Block and upfront money passed down from the pool's block payment.
  ace("hope-charity", 80000, M::BLOCK, "2025-04-15", "", "", {}, from_block, "RIV-ES-HOPE");
  ace("bridge-specialist", 50000, M::BLOCK, "2025-04-15", "", "", {}, from_block, "RIV-ES-BRIDGE");
  ace("workwise-mutual", 25000, M::UPFRONT, "2025-04-15", "", "", {}, from_block, "RIV-ES-WORKWISE");
  ace("skillsup-ltd", 20000, M::UPFRONT, "2025-04-15", "", "", {}, from_block, "RIV-ES-SKILLSUP");
  ace("greenway-social", 15000, M::UPFRONT, "2025-04-15", "", "", {}, from_block, "RIV-ES-GREENWAY");
  // Payment by results, pre-financed by the integrator (the schedule says financed by the payer).
  ace("hope-charity", 12 * 500, M::MILESTONE, "2025-05-30", "start", "jsa-18-24", people("hope-", 0, 12), "", "RIV-ES-HOPE");
  ace("workwise-mutual", 10 * 500, M::MILESTONE, "2025-05-30", "start", "jsa-18-24", people("ww-", 0, 10), "", "RIV-ES-WORKWISE");
  ace("skillsup-ltd", 8 * 500, M::MILESTONE, "2025-05-30", "start", "jsa-18-24", people("su-", 0, 8), "", "RIV-ES-SKILLSUP");
  ace("greenway-social", 6 * 700, M::MILESTONE, "2025-05-30", "start", "esa-wrag", people("gw-", 0, 6), "", "RIV-ES-GREENWAY");
  ace("hope-charity", 6 * 1000, M::MILESTONE, "2025-07-31", "job entry", "jsa-18-24", people("hope-", 0, 6), "", "RIV-ES-HOPE");
  ace("workwise-mutual", 5 * 1000, M::MILESTONE, "2025-07-31", "job entry", "jsa-18-24", people("ww-", 0, 5), "", "RIV-ES-WORKWISE");
  ace("skillsup-ltd", 4 * 1000, M::MILESTONE, "2025-07-31", "job entry", "jsa-18-24", people("su-", 0, 4), "", "RIV-ES-SKILLSUP");
  ace("greenway-social", 3 * 1400, M::MILESTONE, "2025-07-31", "job entry", "esa-wrag", people("gw-", 0, 3), "", "RIV-ES-GREENWAY");
  ace("hope-charity", 4 * 1500, M::MILESTONE, "2025-10-31", "13 weeks", "jsa-18-24", people("hope-", 0, 4), "", "RIV-ES-HOPE");
  ace("workwise-mutual", 3 * 1500, M::MILESTONE, "2025-10-31", "13 weeks", "jsa-18-24", people("ww-", 0, 3), "", "RIV-ES-WORKWISE");
  ace("greenway-social", 2 * 2000, M::MILESTONE, "2025-10-31", "13 weeks", "esa-wrag", people("gw-", 0, 2), "", "RIV-ES-GREENWAY");

  // SkillsUp fails: its status changes, it gets rescue money until the work moves, its contract is
  // transferred to NewStart, and it pays back unspent upfront money.
  d.record({"admin"}, spec::PartyStatusChanged{"skillsup-ltd", schema::PartyStatus::FINANCIAL_FAILURE,
                                               parse_date("2025-11-14"), "entered administration"});
  ace("skillsup-ltd", 3000, M::SUPPORT, "2025-11-17", "", "", {}, "own", "RIV-ES-SKILLSUP", "rescue: wages until transfer");
  d.record({"ace-officer"}, spec::ContractEnded{"RIV-ES-SKILLSUP", schema::EndReason::TRANSFERRED, "newstart-cic",
                                                parse_date("2025-11-30")});
  d.pay({"skillsup-officer"}, {"skillsup-ltd", "ace-integrator", 8000 * 100, M::CLAWBACK, "2025-11-20", "", 0, "", "",
                               "unspent upfront funding returned by the administrator"});
  sub("RIV-ES-NEWSTART", "newstart-cic", 60000);
  ace("newstart-cic", 12000, M::UPFRONT, "2025-12-01", "", "", {}, from_block, "RIV-ES-NEWSTART", "SkillsUp caseload transferred");
  ace("newstart-cic", 2 * 1500, M::MILESTONE, "2025-12-15", "13 weeks", "jsa-18-24", people("su-", 0, 2), "", "RIV-ES-NEWSTART");

  // The outcome: the pool pays the integrator for 26 weeks in work, per group, and the integrator
  // passes it down; the same claim ids at both levels of one chain of contracts.
  auto jsa26 = people("hope-", 0, 4);
  for (auto& w : people("ww-", 0, 3)) jsa26.push_back(w);
  uint64_t outcome = d.pay({"pool-officer"}, {"riverside-pool", "ace-integrator", 7 * 4000 * 100, M::MILESTONE, "2026-01-31",
                                              "26 weeks", 0, "jsa-18-24", "", "26-week outcomes", "RIV-ES-HEAD", jsa26});
  uint64_t outcome_esa = d.pay({"pool-officer"}, {"riverside-pool", "ace-integrator", 2 * 6000 * 100, M::MILESTONE, "2026-01-31",
                                                  "26 weeks", 0, "esa-wrag", "", "26-week outcomes", "RIV-ES-HEAD", people("gw-", 0, 2)});
  ace("hope-charity", 4 * 2500, M::MILESTONE, "2026-02-05", "26 weeks", "jsa-18-24", people("hope-", 0, 4), std::to_string(outcome), "RIV-ES-HOPE");
  ace("workwise-mutual", 3 * 2500, M::MILESTONE, "2026-02-05", "26 weeks", "jsa-18-24", people("ww-", 0, 3), std::to_string(outcome), "RIV-ES-WORKWISE");
  ace("greenway-social", 2 * 3500, M::MILESTONE, "2026-02-05", "26 weeks", "esa-wrag", people("gw-", 0, 2), std::to_string(outcome_esa), "RIV-ES-GREENWAY");
  d.pay({"dwp-officer"}, {"department", "ace-integrator", 3 * 500 * 100, M::MILESTONE, "2026-03-31", "sustained", 0, "jsa-18-24",
                          "", "sustained employment", "DWP-WP-HEAD", people("hope-", 0, 3)});
  d.pay({"pool-officer"}, {"riverside-pool", "ace-integrator", 30000 * 100, M::MANAGEMENT_FEE, "2026-03-31", "", 0, "", "",
                           "management fee, year 1 (cap 5% of 700,000.00)", "RIV-ES-HEAD"});

  // One outcome claimed twice: WorkWise claims a participant Hope was already paid for. Refused (rule 10).
  try {
    ace("workwise-mutual", 2500, M::MILESTONE, "2026-02-10", "26 weeks", "jsa-18-24", {"hope-0"}, std::to_string(outcome), "RIV-ES-WORKWISE");
    throw Error(ErrorKind::unusable, "the demo's double claim was not refused");
  } catch (const Error& e) {
    if (e.kind != ErrorKind::refused) throw;
    d.refusals.push_back(e.what());
  }

  // Who answers to whom for what.
  d.assign({"council-officer"}, "riverside-council", {"ace-integrator"}, "employment support", R::CONTRACT, "2025-04-01");
  d.assign({"board-officer"}, "riverside-board", {"ace-integrator"}, "employment support", R::OVERSIGHT, "2025-04-01");
  d.assign({"admin"}, "council-director", {"riverside-pool"}, "use of the community budget", R::ASSURANCE, "2025-04-01");
  d.assign({"admin"}, "riverside-council", {"ace-integrator"}, "employment support continuity", R::LAST_RESORT, "2025-04-01");
  d.assign({"ace-officer"}, "ace-integrator", {"workwise-mutual"}, "employment support", R::DELIVERY, "2025-04-15");
  d.assign({"ace-officer"}, "ace-integrator", {"greenway-social"}, "employment support", R::DELIVERY, "2025-04-15");
  uint64_t skillsup_line =
      d.assign({"ace-officer"}, "ace-integrator", {"skillsup-ltd"}, "employment support", R::DELIVERY, "2025-04-15");
  d.assign({"ace-officer"}, "ace-integrator", {"hope-charity", "bridge-specialist"}, "mental health employment pathway",
           R::DELIVERY, "2025-04-15");
  d.assign({"nhs-officer"}, "riverside-nhs", {"bridge-specialist"}, "mental health referrals", R::INFORMAL, "2025-05-01");
  d.record({"ace-officer"}, spec::ResponsibilityEnded{
                               skillsup_line, "SkillsUp Training Ltd entered administration; contract transferred to NewStart"});
  d.assign({"ace-officer"}, "ace-integrator", {"newstart-cic"}, "employment support", R::DELIVERY, "2025-12-01");

  // A mistake, corrected by a new record: nothing is ever edited.
  uint64_t wrong = d.pay({"ace-officer"}, {"ace-integrator", "greenway-social", 4 * 1500 * 100, M::FEE, "2025-10-31", "", 0, "",
                                           "own", "entered against the wrong provider"});
  d.record({"ace-officer"}, spec::Reversal{wrong, "entered against Greenway in error; no fee was due"});

  // The wider network, so that the demo holds every kind of record: a
  // regulator with an oversight line, the providers' collaborative, a
  // subsidiary the integrator controls, a working-capital loan and a
  // contract variation (the department extends its contract by a year).
  d.party("charity-commission", "Charity Commission for England and Wales", K::REGULATOR, S::PUBLIC);
  d.assign({"admin"}, "charity-commission", {"hope-charity", "bridge-specialist", "greenway-social"}, "charity governance",
           R::OVERSIGHT, "2025-04-01");
  d.record({"admin"}, spec::PartyRegistered{.id = "riverside-providers",
                                            .name = "Riverside Employment Providers' Collaborative",
                                            .kind = K::COLLABORATIVE,
                                            .sector = S::VOLUNTARY,
                                            .members = {"hope-charity", "workwise-mutual", "greenway-social"}});
  d.record({"admin"}, spec::PartyRegistered{.id = "ace-direct",
                                            .name = "ACE Direct Delivery Ltd (ACE's own subsidiary)",
                                            .kind = K::PROVIDER,
                                            .sector = S::PRIVATE,
                                            .controlled_by = "ace-integrator"});
  d.pay({"ace-officer"}, {"ace-integrator", "greenway-social", 5000 * 100, M::LOAN, "2026-02-02", "", 0, "", "own",
                          "working-capital loan, repayable from 26-week outcome fees"});
  d.record({"dwp-officer"}, spec::ContractVaried{.reference = "DWP-WP-HEAD",
                                                 .new_end_date = parse_date("2028-03-31"),
                                                 .reason = "extended by a year under the department's break clause"});
}

}  // namespace

void add_demo_command(CLI::App& app, Context& ctx) {
  auto dir = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "demo",
      "demo: build a realistic community-budget ledger in DIR (council, NHS and police pool money; an\n"
      "integrator pays six providers by block, upfront and payment by results; a provider fails; a payment\n"
      "is reversed). Its keys are kept in DIR/keys/, sealed with $FUNDTRAIL_PASSPHRASE (or a default it prints).\n"
      "Example: fundtrail demo demo-ledger && fundtrail-verify demo-ledger");
  cmd->add_option("DIR", *dir, "directory for the demo ledger (must not hold one)");
  add_json_flag(cmd, ctx);
  cmd->callback([dir, &ctx] {
    std::string d = dir->empty() ? ctx.require_ledger_dir() : *dir;
    struct stat st;
    if (::stat((d + "/data.mdb").c_str(), &st) == 0) usage_error("'" + d + "' already holds a ledger; pick a new directory");
    const char* env = std::getenv("FUNDTRAIL_PASSPHRASE");
    // The demo never prompts; a passphrase it is given follows the rule for every new key.
    std::string pass = env ? new_passphrase("the demo's keys", false) : kDefaultPassphrase;
    ::mkdir(d.c_str(), 0755);
    if (::mkdir((d + "/keys").c_str(), 0700) != 0 && errno != EEXIST)
      usage_error("cannot create '" + d + "/keys': " + std::strerror(errno));
    Demo demo(d, pass);
    run_scenario(demo);
    Ledger& l = demo.ledger();
    auto money = [&](const std::string& id) { return format_money(l.party(id)->balance, 2); };
    if (ctx.json)
      return print_json({{"ledger", d}, {"records", l.size()}, {"parties", l.parties().size()}, {"keys", d + "/keys"},
                         {"passphrase_from_env", env != nullptr}});
    std::cout << d << "\n";
    std::cerr << "Riverside community budget: " << count_of(l.size(), "record") << ", "
              << count_of(l.parties().size(), "party", "parties") << ", in " << d << "\n"
              << "  pool balance          GBP " << money("riverside-pool") << "\n"
              << "  integrator balance    GBP " << money("ace-integrator") << "\n"
              << "  refused as intended:  " << (demo.refusals.empty() ? std::string("nothing") : demo.refusals[0]) << "\n"
              << "  keys in " << d << "/keys/, sealed with "
              << (env ? "$FUNDTRAIL_PASSPHRASE" : std::string("the passphrase '") + kDefaultPassphrase + "'") << "\n"
              << "next:  fundtrail --ledger " << d << " log\n"
              << "       fundtrail --ledger " << d << " balance\n"
              << "       fundtrail-verify " << d << "\n";
  });
}

}  // namespace fundtrail::cli
