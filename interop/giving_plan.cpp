#include "interop/giving_plan.h"

#include <sodium.h>

#include <map>
#include <set>

#include "ledger/error.h"
#include "ledger/limits.h"

namespace fundtrail::interop {
namespace {

[[noreturn]] void grant_error(const GivingGrant& g, const std::string& why) {
  unusable(g.where + ", grant " + g.id + ": " + why);
}

}  // namespace

std::string cut_utf8(const std::string& s, size_t limit) {
  if (s.size() <= limit) return s;
  size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

std::string signed_text(const std::string& s, bool free) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;  // CR LF: the LF follows
      c = '\n';
    }
    bool keep = free ? (c == '\n' || c == '\t') : false;
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) && !keep ? ' ' : c;
  }
  return out;
}

std::string giving_memo(const std::string& title, const std::string& description) {
  std::string memo = description.empty() || description == title ? title : title + "\n\n" + description;
  return cut_utf8(signed_text(memo, true), kMemoLimit);
}

std::pair<std::string, std::string> split_giving_memo(const std::string& memo) {
  size_t blank = memo.find("\n\n");
  if (blank == std::string::npos) return {memo, memo};
  return {memo.substr(0, blank), memo.substr(blank + 2)};
}

std::string slug_from_org_id(const std::string& org_id) {
  std::string s;
  for (char c : ascii_lower(org_id)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    s += ok ? c : '-';
  }
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9'))) s = "org" + s;
  if (s.size() <= kIdLimit) return s;
  // Org ids run to 200 bytes, party ids to 64: a long one keeps its start and
  // a hash of the whole, so the same org id always makes the same party id.
  unsigned char h[crypto_hash_sha256_BYTES];
  std::string key = ascii_lower(org_id);
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  static const char* digits = "0123456789abcdef";
  std::string tail = "-";
  for (int i = 0; i < 4; ++i) tail += digits[h[i] >> 4], tail += digits[h[i] & 15];
  return s.substr(0, kIdLimit - tail.size()) + tail;
}

schema::Sector sector_from_org_id(const std::string& org_id) {
  std::string id = ascii_lower(org_id);
  auto starts = [&](const char* p) { return id.rfind(p, 0) == 0; };
  for (const char* p : {"gb-chc-", "gb-sc-", "gb-nic-"})
    if (starts(p)) return schema::Sector::VOLUNTARY;
  for (const char* p : {"gb-lae-", "gb-las-", "gb-law-", "gb-lani-", "gb-gor-", "gb-nhs-", "gb-pla-"})
    if (starts(p)) return schema::Sector::PUBLIC;
  if (starts("gb-mpr-")) return schema::Sector::MUTUAL;
  return schema::Sector::UNSPECIFIED;
}

GivingPlan plan_giving(const std::vector<GivingGrant>& grants, const std::string& ledger_currency,
                       const std::vector<KnownParty>& known,
                       std::vector<std::pair<const GivingGrant*, std::string>>* refused) {
  struct Who {
    std::string id;
    schema::PartyKind kind;
  };
  std::map<std::string, Who> by_org;  // lower-cased org id -> party
  std::set<std::string> taken;        // party ids in use
  for (auto& p : known) {
    taken.insert(p.id);
    for (auto& o : p.org_ids) by_org.emplace(ascii_lower(o), Who{p.id, p.kind});
  }
  GivingPlan plan;
  for (const GivingGrant& g : grants) try {
    if (g.currency != ledger_currency)
      grant_error(g, "currency " + g.currency + " is not this ledger's currency " + ledger_currency +
                         " (a ledger keeps one currency; import the file into a " + g.currency + " ledger)");
    auto funder = by_org.find(ascii_lower(g.funder_id));
    if (funder == by_org.end())
      grant_error(g, "the funder " + g.funder_id + " (" + g.funder_name +
                         ") is not a party of this ledger: register it first (fundtrail party add ID --name ... --kind "
                         "funder --org-id " + g.funder_id + " --key ADMIN_KEY) and grant it an officer key, which signs "
                         "its grants");
    bool collaboration = g.regrant_type == "FRG040";
    auto recipient = by_org.find(ascii_lower(g.recipient_id));
    if (recipient == by_org.end()) {
      NewParty p;
      std::string base = slug_from_org_id(g.recipient_id);
      p.id = base;
      for (int n = 2; taken.count(p.id); ++n) {
        std::string suffix = "-" + std::to_string(n);
        p.id = base.substr(0, kIdLimit - suffix.size()) + suffix;
      }
      taken.insert(p.id);
      p.name = cut_utf8(signed_text(g.recipient_name, true), kNameLimit);
      p.org_id = g.recipient_id;
      p.individual = g.individual;
      p.kind = g.individual          ? schema::PartyKind::OTHER
               : collaboration       ? schema::PartyKind::POOL
               : g.regrant_type.size() ? schema::PartyKind::FUNDER
                                       : schema::PartyKind::PROVIDER;
      p.sector = g.individual ? schema::Sector::UNSPECIFIED : sector_from_org_id(g.recipient_id);
      p.where = g.where;
      recipient = by_org.emplace(ascii_lower(g.recipient_id), Who{p.id, p.kind}).first;
      plan.parties.push_back(std::move(p));
    }
    bool into_pool = recipient->second.kind == schema::PartyKind::POOL;
    if (collaboration && !into_pool)
      grant_error(g, "regrant type FRG040 (funder collaboration) is money into a pool, but the recipient " + g.recipient_id +
                         " is party '" + recipient->second.id + "', which is not a pool");
    if (into_pool && funder->second.kind == schema::PartyKind::POOL)
      grant_error(g, "the funder " + g.funder_id + " and the recipient " + g.recipient_id +
                         " are both pools, and a pool cannot contribute to a pool");
    plan.grants.push_back(PlannedGrant{&g, funder->second.id, recipient->second.id, into_pool});
  } catch (const Error& e) {
    if (!refused) throw;
    refused->push_back({&g, e.what()});  // (a recipient it registered stays: a party with no money yet)
  }
  return plan;
}

}  // namespace fundtrail::interop
