#include "interop/import_job.h"

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

}  // namespace fundtrail::interop
