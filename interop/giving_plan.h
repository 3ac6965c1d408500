// What checked 360Giving grants become in a ledger: who pays whom, which
// recipients must be registered first, and which grants are contributions
// into a pool. Pure (no ledger access), so it can be tested on its own.
#pragma once
#include <string>
#include <vector>

#include "interop/giving_grant.h"
#include "interop/import_job.h"
#include "fundtrail.capnp.h"

namespace fundtrail::interop {

struct NewParty {
  std::string id;      // slug made from the org id
  std::string name;    // the file's name for it, cut to the ledger's 200 bytes
  std::string org_id;  // exactly as first written in the file
  schema::PartyKind kind = schema::PartyKind::PROVIDER;
  schema::Sector sector = schema::Sector::UNSPECIFIED;
  bool individual = false;  // a recipientIndividual
  std::string where;        // the first grant naming it
};

struct PlannedGrant {
  const GivingGrant* grant = nullptr;
  std::string from, to;  // party ids
  bool contribution = false;  // into a pool: the recipient is one, or FRG040
};

struct GivingPlan {
  std::vector<NewParty> parties;  // in order of first appearance
  std::vector<PlannedGrant> grants;  // in file order
};

// Parties are matched by org id without regard to case, never by name.
// A funder must already be a party (it signs); a recipient not yet in the
// ledger becomes a new party: a provider, a pool for FRG040 (funder
// collaboration), a funder for the other regrant types (a grant-maker), kind
// `other` for an individual. Throws a usage error naming the grant for a
// currency other than the ledger's, an unknown funder, a funder
// collaboration grant to a party that is not a pool, or a pool contributing
// to a pool.
// With `refused`, a grant that cannot be planned is listed there instead.
GivingPlan plan_giving(const std::vector<GivingGrant>& grants, const std::string& ledger_currency,
                       const std::vector<KnownParty>& known,
                       std::vector<std::pair<const GivingGrant*, std::string>>* refused = nullptr);

// The slug a new party gets from its org id: lower case, characters outside
// [a-z0-9._-] as '-', at most 64 bytes ("GB-CHC-1164883" -> "gb-chc-1164883").
std::string slug_from_org_id(const std::string& org_id);

// Sector an org-id prefix implies: GB-CHC/GB-SC/GB-NIC voluntary, councils
// and NHS bodies (GB-LAE, GB-LAS, GB-LAW, GB-LANI, GB-GOR, GB-NHS, GB-PLA)
// public, GB-MPR mutual; anything else unspecified.
schema::Sector sector_from_org_id(const std::string& org_id);

// Cuts UTF-8 text to at most `limit` bytes without splitting a character.
std::string cut_utf8(const std::string& s, size_t limit);
// Published text as the ledger stores it (docs/rules.md "Checks", `format`):
// CR LF and lone CR become LF, and other control characters a space; in
// plain text (`free` false: references) LF and tab become a space too.
std::string signed_text(const std::string& s, bool free);

// An imported grant's payment memo: its title, then a blank line and its
// description when that says more than the title; cut to 1,000 bytes.
// split_giving_memo is the inverse the export uses: {title, description},
// the description being the title when the memo holds no blank line.
std::string giving_memo(const std::string& title, const std::string& description);
std::pair<std::string, std::string> split_giving_memo(const std::string& memo);

}  // namespace fundtrail::interop
