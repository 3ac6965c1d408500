#include "interop/giving_import.h"

#include <sodium.h>

#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "interop/giving_csv.h"
#include "interop/input_file.h"
#include "interop/giving_json.h"
#include "interop/giving_plan.h"
#include "ledger/error.h"
#include "ledger/limits.h"
#include "ledger/request.h"
#include "ledger/money.h"

namespace fundtrail::interop {
namespace {

constexpr const char* kPartyPrefix = "360giving-party:";
constexpr const char* kIndividualPrefix = "360giving-individual:";

bool looks_like_json(const std::string& path, const std::string& bytes) {
  std::string ext = ascii_lower(std::filesystem::path(path).extension().string());
  if (ext == ".json") return true;
  if (ext == ".csv") return false;
  size_t i = bytes.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  while (i < bytes.size() && (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n')) ++i;
  return i < bytes.size() && bytes[i] == '{';
}

// "line 7" -> 7 (a CSV file), "grants[3]" -> 4 (a JSON file's 1-based grant).
size_t place_number(const std::string& where) {
  size_t digits = where.find_first_of("0123456789");
  if (digits == std::string::npos) return 0;
  size_t n = std::strtoul(where.c_str() + digits, nullptr, 10);
  return where.rfind("line ", 0) == 0 ? n : n + 1;
}

}  // namespace

GivingImport prepare_giving_import(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys,
                                   const KeyPair* admin, bool keep_going) {
  const LedgerFacts& facts = ledger.facts();
  std::string bytes = read_input_file(path, "the 360Giving file");
  GivingFile file;
  try {
    file = looks_like_json(path, bytes) ? read_giving_json(bytes) : read_giving_csv(bytes);
  } catch (const Error& e) {
    throw Error(e.kind, path + ": " + e.what());
  }
  std::vector<std::pair<std::string, std::string>> bad;
  std::vector<GivingGrant> grants = check_grants(file, keep_going ? &bad : nullptr);
  std::vector<std::pair<const GivingGrant*, std::string>> refused;
  GivingPlan plan = plan_giving(grants, facts.currency, known_parties(ledger), keep_going ? &refused : nullptr);

  GivingImport out;
  out.header = {"place", "identifier"};
  auto reject = [&](const std::string& where, const std::string& id, const std::string& why) {
    out.rows.push_back({place_number(where), {where, id}});
    out.unreadable.push_back({out.rows.size() - 1, why});
  };
  for (auto& [where, why] : bad) reject(where, "", why);
  for (auto& [g, why] : refused) reject(g->where, g->id, why);
  out.grants = grants.size();
  out.unused = file.unused;
  for (auto& g : grants)
    if (!add_money(out.amount[g.currency], g.amount, out.amount[g.currency]))
      unusable(g.where + ", grant " + g.id + ": the file's total amount overflows");

  ActingKeys acting = acting_keys(ledger, keys);
  bool admin_ok = false;
  for (auto& gr : ledger.grants())
    if (!gr.revoked && admin && gr.party == "ledger" && gr.role == schema::Role::ADMINISTRATOR && gr.key == admin->pk)
      admin_ok = true;

  ImportJob& job = out.job;
  int64_t now = import_clock_ms();
  if (!plan.parties.empty()) {
    if (!admin)
      unusable(plan.parties.front().where + ": the recipient " + plan.parties.front().org_id + " (and " +
                  std::to_string(plan.parties.size() - 1) +
                  " more) is not a party yet; registering recipients needs --admin-key with an administrator key");
    if (!admin_ok) unusable("the --admin-key file holds no active administrator key of this ledger");
  }
  for (const NewParty& p : plan.parties) {
    std::string key = (p.individual ? kIndividualPrefix : kPartyPrefix) + ascii_lower(p.org_id);
    if (key.size() > kIdempotencyLimit) {  // a long org id: its hash (short ones keep the keys they always had)
      unsigned char h[crypto_hash_sha256_BYTES];
      std::string id = ascii_lower(p.org_id);
      crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(id.data()), id.size());
      key = (p.individual ? kIndividualPrefix : kPartyPrefix) + std::string("sha256:");
      static const char* digits = "0123456789abcdef";
      for (unsigned char c : h) key += digits[c >> 4], key += digits[c & 15];
    }
    spec::PartyRegistered r;
    r.id = p.id;
    r.name = p.name;
    r.kind = p.kind;
    r.sector = p.sector;
    r.org_ids = {p.org_id};
    job.requests.push_back({encode_entry(facts.origin, now, key, r), {}});
    job.signers.push_back({admin});
    job.where.push_back(p.where + ", recipient " + p.org_id);
    out.row_of.push_back(-1);
  }
  for (const PlannedGrant& pg : plan.grants) try {
    const GivingGrant& g = *pg.grant;
    std::string where = g.where + ", grant " + g.id;
    auto it = acting.find(pg.from);
    if (it == acting.end() || it->second.front().second != schema::Role::OFFICER)
      unusable(where + ": none of the --key files is an officer key of '" + pg.from + "' (the funder " + g.funder_id +
                  ")");
    std::vector<const KeyPair*> signers{it->second[0].first};
    if (!pg.contribution && g.amount >= facts.dual_control_threshold) {
      if (it->second.size() < 2)
        unusable(where + ": the grant is at or above the dual-control threshold and needs a second --key of '" +
                    pg.from + "'");
      signers.push_back(it->second[1].first);
    }
    std::string memo = giving_memo(g.title, g.description);
    spec::Body body;
    if (pg.contribution) {
      spec::Contribution c;
      c.from = pg.from;
      c.to = pg.to;
      c.amount = g.amount;
      c.currency = g.currency;
      c.value_date = g.award_date;
      c.reference = cut_utf8(signed_text(g.title, false), kSubjectLimit);
      body = c;
    } else {
      spec::Payment p;
      p.from = pg.from;
      p.to = pg.to;
      p.amount = g.amount;
      p.currency = g.currency;
      p.value_date = g.award_date;
      p.mechanism = schema::Mechanism::GRANT;
      p.memo = memo;
      body = p;
    }
    job.requests.push_back({encode_entry(facts.origin, now, "360giving:" + g.id, body), {}});
    job.signers.push_back(std::move(signers));
    job.where.push_back(where);
    out.rows.push_back({place_number(g.where), {g.where, g.id}});
    out.row_of.push_back(long(out.rows.size() - 1));
  } catch (const Error& e) {
    if (!keep_going) throw;
    reject(pg.grant->where, pg.grant->id, e.what());
  }
  for (auto& p : plan.parties) out.new_parties.push_back(p.id);
  return out;
}

}  // namespace fundtrail::interop
