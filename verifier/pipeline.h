// Streams every record through the checks: a few thousand records at a time,
// the per-record work (canonical form, leaf hash, Ed25519) on every core, then
// the rules in seq order on this thread while the cores take the next batch.
#pragma once
#include <cstdint>
#include <functional>
#include <set>
#include <string_view>

#include "merkle.h"
#include "rules.h"
#include "source.h"

namespace fv {

// Feeds all records of `source` to `ledger` and `tree`. After each size in
// `marks` is reached (records 0..size-1 applied), calls onMark(size).
// `records` counts the records applied, also when Unusable is thrown midway.
void streamRecords(Source& source, Ledger& ledger, CompactRange& tree, const std::set<uint64_t>& marks,
                   const std::function<void(uint64_t)>& onMark, bool progress, uint64_t& records);

// The position of the first record before `before` whose idempotency key is `key`.
std::optional<uint64_t> findIdempotencyKey(Source& source, const std::string& key, uint64_t before);

// Whether the record at `seq` is a payment carrying `claim` among its claim ids
// with this milestone (confirms a rule 10 match in the hashed claims index).
bool paymentHasClaim(Source& source, uint64_t seq, std::string_view claim, std::string_view milestone);

}  // namespace fv
