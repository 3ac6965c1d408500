// party add | list | show, grant-key, revoke-key: an administrator's work.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <span>

#include "cli/context.h"
#include "cli/write_target.h"
#include "cli/describe.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail::cli {
namespace {

void add_party_add(CLI::App* party, Context& ctx) {
  struct Opts {
    std::string id, name, kind, sector, parent, controlled_by, legal_basis, host, place;
    std::vector<std::string> members, org_ids, shares;
    bool budget_limited = false;
    WriteOptions w;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = party->add_subcommand(
      "add",
      "party add: register an organisation, pool or office holder (signed by an administrator).\n"
      "Example: fundtrail party add riverside-pool --name 'Riverside Community Budget' --kind pool \\\n"
      "           --sector public --legal-basis 'section 75 agreement' --host riverside-council \\\n"
      "           --share riverside-council=50 --share nhs-riverside=30 --share police=20 --place E06000001 --key admin.key");
  cmd->add_option("ID", o->id, "short slug id, e.g. riverside-council")->required();
  cmd->add_option("--name", o->name, "full name")->required();
  cmd->add_option("--kind", o->kind, join_names(party_kind_names()))->required()->check(CLI::IsMember(party_kind_names()));
  cmd->add_option("--sector", o->sector, join_names(sector_names()))->check(CLI::IsMember(sector_names()));
  cmd->add_option("--parent", o->parent, "the organisation an office belongs to");
  cmd->add_option("--controlled-by", o->controlled_by, "the party that owns or controls it");
  cmd->add_option("--member", o->members, "a collaborative's member (repeat)");
  cmd->add_option("--org-id", o->org_ids, "org id as 360Giving/IATI write it, e.g. GB-CHC-1164883 (repeat)");
  cmd->add_flag("--budget-limited", o->budget_limited, "its balance may never go below zero");
  cmd->add_option("--legal-basis", o->legal_basis, "pool terms: legal basis, e.g. 'section 75 agreement'");
  cmd->add_option("--host", o->host, "pool terms: host party");
  cmd->add_option("--share", o->shares, "pool terms: agreed share PARTY=PERCENT (repeat)");
  cmd->add_option("--place", o->place, "pool terms: ONS place code");
  o->w.add_to(cmd, false);
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    auto target = open_write_target(ctx, o->w);
    spec::PartyRegistered p;
    p.id = o->id;
    p.name = o->name;
    p.kind = *party_kind_from(o->kind);
    if (!o->sector.empty()) p.sector = *sector_from(o->sector);
    p.org_ids = o->org_ids;
    p.controlled_by = o->controlled_by;
    p.parent = o->parent;
    p.members = o->members;
    p.budget_limited = o->budget_limited;
    if (!o->legal_basis.empty() || !o->host.empty() || !o->shares.empty() || !o->place.empty()) {
      spec::PoolTerms t{o->legal_basis, o->host, {}, o->place};
      for (auto& s : o->shares) {
        auto eq = s.find('=');
        if (eq == std::string::npos) usage_error("--share '" + s + "' must be PARTY=PERCENT, e.g. riverside-council=50");
        // Whether the shares add up is the writer's rule 2; here only the number's syntax and range.
        std::string percent = s.substr(eq + 1);
        if (!percent.empty() && percent.back() == '%')
          usage_error("--share '" + s + "': write the percent without '%', e.g. " + s.substr(0, eq) + "=" +
                      percent.substr(0, percent.size() - 1));
        int64_t bp = amount_arg(percent, 2, "--share");
        if (bp > UINT32_MAX) usage_error("--share '" + s + "': the percent is out of range");
        t.shares.push_back({s.substr(0, eq), static_cast<uint32_t>(bp)});
      }
      p.pool_terms = t;
    }
    sign_and_append(ctx, *target, o->w, p);
  });
}

nlohmann::json party_json(const Ledger& ledger, const PartyState& p) {
  nlohmann::json j = {{"id", p.id},
                      {"kind", name_of(p.kind)},
                      {"balance", format_money(p.balance, ledger.facts().exponent)},
                      {"balance_minor", p.balance},
                      {"budget_limited", p.budget_limited},
                      {"registered_seq", p.registered_at}};
  if (p.id == "ledger") {
    j["name"] = "the ledger itself (administrators act for it)";
    return j;
  }
  Record rec(ledger.leaf(p.registered_at));
  auto body = record_json(rec, ledger.facts())["body"];
  for (auto& [k, v] : body.items())
    if (!j.contains(k)) j[k] = v;
  return j;
}

namespace {

std::string text_or(const nlohmann::json& j, const char* key, const std::string& none) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty()) return none;
  return j[key].get<std::string>();
}

std::string joined(const nlohmann::json& list, const std::string& none) {
  if (!list.is_array() || list.empty()) return none;
  std::string out;
  for (auto& v : list) out += (out.empty() ? "" : ", ") + v.get<std::string>();
  return out;
}

// Key files in the current directory by public key, so a grant reads as the
// file its holder knows ("pool.key") rather than 44 characters of base64.
std::map<std::string, std::string> key_files_here() {
  std::map<std::string, std::string> by_key;
  std::error_code ec;
  size_t seen = 0;
  for (auto& e : std::filesystem::directory_iterator(".", ec)) {
    if (++seen > 1000) break;  // bounded: a huge directory is not worth the wait
    if (!e.is_regular_file(ec) || e.path().extension() != ".key") continue;
    try {
      KeyFileInfo info = read_key_public(e.path().string());
      by_key[base64(std::span<const uint8_t>(info.pk.data(), 32))] = e.path().filename().string();
    } catch (const Error&) {
    }
  }
  return by_key;
}

}  // namespace

void print_party_for_people(const nlohmann::json& j, const std::string& currency, const std::vector<Grant>& grants) {
  std::cout << j["id"].get<std::string>() << ": " << text_or(j, "name", "(no name)") << "\n";
  std::cout << "  kind:          " << j["kind"].get<std::string>();
  if (j.contains("sector")) std::cout << ", " << j["sector"].get<std::string>() << " sector";
  std::cout << "\n  registered at: seq " << j["registered_seq"].get<uint64_t>() << "\n";
  std::cout << "  balance:       " << currency << " " << j["balance"].get<std::string>()
            << (j["budget_limited"].get<bool>() ? " (budget-limited: may not pay beyond what it holds)" : "") << "\n";
  if (j.contains("org_ids")) std::cout << "  org ids:       " << joined(j["org_ids"], "none") << "\n";
  if (auto parent = text_or(j, "parent", ""); !parent.empty()) std::cout << "  part of:       " << parent << "\n";
  if (auto owner = text_or(j, "controlled_by", ""); !owner.empty())
    std::cout << "  controlled by: " << owner << "\n";
  if (j.contains("members") && !j["members"].empty()) std::cout << "  members:       " << joined(j["members"], "") << "\n";
  if (j.contains("pool_terms")) {
    auto& t = j["pool_terms"];
    std::cout << "  pool terms:    hosted by " << text_or(t, "host", "(no host)") << "; legal basis: "
              << text_or(t, "legal_basis", "(none given)");
    if (auto place = text_or(t, "place", ""); !place.empty()) std::cout << "; place " << place;
    std::cout << "\n";
    if (t.contains("shares_percent") && !t["shares_percent"].empty()) {
      std::string shares;
      for (auto& [party, pct] : t["shares_percent"].items())
        shares += (shares.empty() ? "" : ", ") + party + " " + pct.get<std::string>() + "%";
      std::cout << "  agreed shares: " << shares << "\n";
    }
  }
  if (grants.empty()) {
    std::cout << "  keys:          none granted (an administrator grants one with 'fundtrail grant-key')\n";
    return;
  }
  auto files = key_files_here();
  std::cout << "  keys:\n";
  for (auto& g : grants) {
    std::string b64 = base64(std::span<const uint8_t>(g.key.data(), 32));
    auto file = files.find(b64);
    std::string role = name_of(g.role);
    role.resize(std::max<size_t>(role.size(), 9), ' ');
    std::cout << "    " << role << " "
              << (file != files.end() ? file->second + " (" + b64.substr(0, 8) + "…)" : b64.substr(0, 8) + "…")
              << "  granted at seq " << g.granted_at;
    if (g.revoked) std::cout << ", revoked at seq " << g.revoked_at;
    std::cout << "\n";
  }
  std::cout << "  (whole public keys: fundtrail party show " << j["id"].get<std::string>() << " --json)\n";
}

void add_party_list_show(CLI::App* party, Context& ctx) {
  auto* list = party->add_subcommand("list", "party list: every registered party with its kind and balance\n"
                                             "Example: fundtrail party list --json");
  add_json_flag(list, ctx);
  list->callback([&ctx] {
    Ledger ledger = ctx.open_ledger(true);
    nlohmann::json out = nlohmann::json::array();
    for (auto& p : ledger.parties()) out.push_back(party_json(ledger, p));
    if (ctx.json) return print_json(out);
    for (auto& p : out)
      std::cout << p["id"].get<std::string>() << "\t" << p["kind"].get<std::string>() << "\t"
                << p["balance"].get<std::string>() << "\t" << p["name"].get<std::string>() << "\n";
  });

  auto id = std::make_shared<std::string>();
  auto* show = party->add_subcommand("show", "party show: one party's details, balance and keys\n"
                                             "Example: fundtrail party show riverside-pool");
  show->add_option("ID", *id, "party id")->required();
  add_json_flag(show, ctx);
  show->callback([id, &ctx] {
    Ledger ledger = ctx.open_ledger(true);
    auto p = ledger.party(*id);
    if (!p) usage_error("no party '" + *id + "' (see 'fundtrail party list')");
    nlohmann::json j = party_json(ledger, *p);
    nlohmann::json keys = nlohmann::json::array();
    for (auto& g : ledger.grants())
      if (g.party == *id)
        keys.push_back({{"public_key", base64(std::span<const uint8_t>(g.key.data(), 32))},
                        {"role", name_of(g.role)},
                        {"granted_seq", g.granted_at},
                        {"revoked", g.revoked}});
    j["keys"] = keys;
    if (ctx.json) return print_json(j);
    std::vector<Grant> grants;
    for (auto& g : ledger.grants())
      if (g.party == *id) grants.push_back(g);
    print_party_for_people(j, ledger.facts().currency, grants);
  });
}

void add_key_grants(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string party, key, role;
    WriteOptions w;
  };
  auto g = std::make_shared<Opts>();
  auto* grant = app.add_subcommand(
      "grant-key",
      "grant-key: let a public key act for a party in a role (signed by an administrator).\n"
      "PUBLIC_KEY is the text 'key generate' printed, or a key file.\n"
      "Example: fundtrail grant-key riverside-pool \"$(fundtrail key public pool-officer.key)\" --role officer --key admin.key");
  grant->add_option("PARTY", g->party, "party id")->required();
  grant->add_option("PUBLIC_KEY", g->key, "verifier key text or key file")->required();
  grant->add_option("--role", g->role, join_names(role_names()))->required()->check(CLI::IsMember(role_names()));
  g->w.add_to(grant, false);
  add_json_flag(grant, ctx);
  grant->callback([g, &ctx] {
    auto target = open_write_target(ctx, g->w);
    PublicKey pk = parse_public_key_arg(g->key);
    sign_and_append(ctx, *target, g->w, spec::KeyGranted{g->party, pk, *role_from(g->role)});
  });

  auto r = std::make_shared<Opts>();
  auto* revoke = app.add_subcommand("revoke-key",
                                    "revoke-key: stop a key acting for a party from the next record on.\n"
                                    "Example: fundtrail revoke-key riverside-pool old-officer.key --key admin.key");
  revoke->add_option("PARTY", r->party, "party id")->required();
  revoke->add_option("PUBLIC_KEY", r->key, "verifier key text or key file")->required();
  r->w.add_to(revoke, false);
  add_json_flag(revoke, ctx);
  revoke->callback([r, &ctx] {
    auto target = open_write_target(ctx, r->w);
    PublicKey pk = parse_public_key_arg(r->key);
    sign_and_append(ctx, *target, r->w, spec::KeyRevoked{r->party, pk});
  });
}

}  // namespace

void add_party_commands(CLI::App& app, Context& ctx) {
  auto* party = app.add_subcommand("party", "register and inspect parties");
  party->require_subcommand(1);
  add_party_add(party, ctx);
  add_party_list_show(party, ctx);
  add_key_grants(app, ctx);
}

}  // namespace fundtrail::cli
