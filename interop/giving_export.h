// A ledger's grants as 360Giving grants (export --format 360giving).
#pragma once
#include <string>
#include <vector>

#include "interop/giving_write.h"
#include "ledger/ledger.h"

namespace fundtrail::interop {

// Every unreversed payment with mechanism `grant`, and every unreversed
// contribution that came in from a 360Giving file (funder collaboration:
// regrant type FRG040), in ledger order. A record imported from 360Giving
// keeps its grant id (from its idempotency key "360giving:<id>"); any other
// is "<prefix>-<seq>". A party is named by its first org id, or
// "<prefix>-org-<party id>" when it has none. A payment from a pool, and a
// contribution into one, carry the pool as the grant programme (code: party
// id, title: name); a pool without an org id of its own is represented as
// funder by its host when the host has one. See docs/360giving.md.
std::vector<ExportGrant> collect_giving_grants(const Ledger& ledger, const std::string& prefix);

// The default prefix: "360G-" and the origin with every character outside
// [A-Za-z0-9._-] as '-'.
std::string default_giving_prefix(const std::string& origin);

}  // namespace fundtrail::interop
