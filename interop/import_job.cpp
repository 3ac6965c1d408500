#include "interop/import_job.h"

#include "interop/csv_cell.h"

#include <algorithm>
#include <chrono>

namespace fundtrail::interop {

ActingKeys acting_keys(const Ledger& ledger, const std::vector<KeyPair>& keys) {
  ActingKeys acting;
  for (auto& g : ledger.grants())
    for (auto& k : keys)
      if (!g.revoked && g.key == k.pk && (g.role == schema::Role::OFFICER || g.role == schema::Role::APPROVER))
        acting[g.party].push_back({&k, g.role});
  for (auto& [party, list] : acting)  // officers first: the first signer must be an officer
    std::stable_sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.second < b.second; });
  return acting;
}

int64_t import_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<KnownParty> known_parties(const Ledger& ledger) {
  std::vector<KnownParty> out;
  for (const PartyState& p : ledger.parties()) {
    KnownParty k{p.id, p.kind, {}, {}};
    if (p.registered_at > 0) {
      Record rec(ledger.leaf(p.registered_at));
      auto r = rec.entry().getBody().getPartyRegistered();
      for (auto o : r.getOrgIds()) k.org_ids.emplace_back(o.cStr(), o.size());
      k.name.assign(r.getName().cStr(), r.getName().size());
    }
    out.push_back(std::move(k));
  }
  return out;
}

std::vector<const KeyPair*> payment_signers(const ActingKeys& acting, const spec::Payment& p, int64_t threshold,
                                            const std::string& where) {
  const bool refund = p.mechanism == schema::Mechanism::REFUND;
  const std::string& actor = refund ? p.to : p.from;
  auto it = acting.find(actor);
  if (it == acting.end() || it->second.front().second != schema::Role::OFFICER)
    unusable(where + ": none of the --key files is an officer key of '" + actor + "'" +
             (refund ? " (a refund is signed by the party that receives the money back)" : ""));
  std::vector<const KeyPair*> signers{it->second[0].first};
  if (p.amount >= threshold) {
    if (it->second.size() < 2)
      unusable(where + ": the payment is at or above the dual-control threshold and needs a second --key of '" + actor + "'");
    signers.push_back(it->second[1].first);
  }
  if (refund) {
    auto payer = acting.find(p.from);
    if (payer != acting.end() && payer->second.front().second == schema::Role::OFFICER)
      signers.push_back(payer->second.front().first);
  }
  return signers;
}

std::string rejects_csv(const std::vector<std::string>& fields,
                        const std::vector<std::pair<const SourceRow*, std::string>>& rejects) {
  std::string out;
  size_t width = fields.size();
  for (auto& [row, why] : rejects) width = std::max(width, row->cells.size());
  for (size_t i = 0; i < width; ++i) out += csv_cell(i < fields.size() && !fields[i].empty() ? fields[i] : "column_" + std::to_string(i + 1)) + ",";
  out += "line,reason\r\n";
  for (auto& [row, why] : rejects) {
    for (size_t i = 0; i < width; ++i) out += csv_cell(i < row->cells.size() ? row->cells[i] : "") + ",";
    out += std::to_string(row->line) + "," + csv_cell(why) + "\r\n";
  }
  return out;
}

}  // namespace fundtrail::interop
