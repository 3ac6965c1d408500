#include "interop/giving_export.h"

#include <ctime>
#include <map>

#include "interop/giving_plan.h"
#include "ledger/money.h"
#include "ledger/limits.h"

namespace fundtrail::interop {
namespace {

struct PartyInfo {
  std::string name, org_id, host;
  schema::PartyKind kind = schema::PartyKind::OTHER;
  bool individual = false;
};

struct Money {
  uint64_t seq = 0;
  bool contribution = false;
  std::string from, to, text, idempotency_key;  // text: memo or reference
  int64_t amount = 0;
  uint32_t date = 0;
  int64_t recorded_at = 0;
};

bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

std::string rfc3339(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

std::string default_giving_prefix(const std::string& origin) {
  std::string s = "360G-";
  for (char c : origin) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    s += ok ? c : '-';
  }
  return s;
}

std::vector<ExportGrant> collect_giving_grants(const Ledger& ledger, const std::string& prefix) {
  const LedgerFacts& facts = ledger.facts();
  std::map<std::string, PartyInfo> parties;
  std::vector<Money> money;
  ledger.for_each(0, ledger.size(), [&](uint64_t seq, std::span<const uint8_t> leaf) {
    Record rec(leaf);
    auto e = rec.entry();
    std::string key = e.getIdempotencyKey().cStr();
    auto body = e.getBody();
    if (body.isPartyRegistered()) {
      auto p = body.getPartyRegistered();
      PartyInfo& info = parties[p.getId().cStr()];
      info.name = p.getName().cStr();
      info.kind = p.getKind();
      if (p.getOrgIds().size()) info.org_id = p.getOrgIds()[0].cStr();
      if (p.hasPoolTerms()) info.host = p.getPoolTerms().getHost().cStr();
      info.individual = starts_with(key, "360giving-individual:");
    } else if (body.isPayment() && body.getPayment().getMechanism() == schema::Mechanism::GRANT) {
      auto p = body.getPayment();
      money.push_back({seq, false, p.getFrom().cStr(), p.getTo().cStr(), p.getMemo().cStr(), key, p.getAmount(),
                       p.getValueDate(), rec.leaf().getRecordedAt()});
    } else if (body.isContribution() && starts_with(key, "360giving:")) {
      auto c = body.getContribution();
      money.push_back({seq, true, c.getFrom().cStr(), c.getTo().cStr(), c.getReference().cStr(), key, c.getAmount(),
                       c.getValueDate(), rec.leaf().getRecordedAt()});
    }
    return true;
  });

  auto org_of = [&](const std::string& id) {
    const PartyInfo& p = parties[id];
    return p.org_id.empty() ? prefix + "-org-" + id : p.org_id;
  };
  std::vector<ExportGrant> out;
  for (const Money& m : money) {
    if (ledger.is_reversed(m.seq)) continue;
    ExportGrant g;
    bool imported = starts_with(m.idempotency_key, "360giving:");
    g.id = imported ? m.idempotency_key.substr(10) : prefix + "-" + std::to_string(m.seq);
    const PartyInfo& from = parties[m.from];
    const PartyInfo& to = parties[m.to];
    if (m.contribution) {
      g.title = g.description = m.text;
      g.regrant_type = "FRG040";
    } else if (imported) {
      std::tie(g.title, g.description) = split_giving_memo(m.text);
    } else {
      std::string first_line = m.text.substr(0, m.text.find('\n'));
      g.title = first_line.empty() ? "Grant from " + from.name + " to " + to.name : first_line;
      g.description = m.text.empty() ? g.title : m.text;
    }
    if (g.title.empty()) g.title = "Grant from " + from.name + " to " + to.name;
    if (g.description.empty()) g.description = g.title;
    g.currency = facts.currency;
    g.amount = format_money(m.amount, facts.exponent);
    g.award_date = format_date(m.date);
    g.individual = to.individual;
    g.recipient_id = org_of(m.to);
    g.recipient_name = to.name;
    // A pool stands for itself when it has an org id; otherwise its host,
    // an organisation, is the funder researchers can look up.
    std::string funder = m.from;
    if (from.kind == schema::PartyKind::POOL && from.org_id.empty() && !from.host.empty() && !parties[from.host].org_id.empty())
      funder = from.host;
    g.funder_id = org_of(funder);
    g.funder_name = parties[funder].name;
    const std::string* pool = from.kind == schema::PartyKind::POOL ? &m.from
                              : to.kind == schema::PartyKind::POOL ? &m.to
                                                                   : nullptr;
    if (pool) {
      g.programme_code = *pool;
      g.programme_title = parties[*pool].name;
    }
    g.date_modified = rfc3339(m.recorded_at);
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace fundtrail::interop
