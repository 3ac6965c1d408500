#include "ledger/validate.h"

#include <capnp/schema.h>

#include <string>

#include "ledger/batch.h"
#include "ledger/error.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"

namespace fundtrail {
namespace {

using schema::Entry;
using capnp::Text;

// An enum value the schema of this build names: the count of enumerants
// comes from the schema itself, so a value added later needs no edit here.
template <class E>
void check_enum(E value, const char* field) {
  auto count = capnp::Schema::from<E>().getEnumerants().size();
  if (static_cast<unsigned>(value) >= count)
    refuse("format", field, std::nullopt,
           std::string(field) + " has the value " + std::to_string(static_cast<unsigned>(value)) +
               ", which this fundtrail does not know (written by a newer fundtrail?)");
}

template <class List>
void check_count(const List& list, size_t limit, const char* field) {
  if (list.size() > limit)
    refuse("limits", field, std::nullopt,
           std::string(field) + " lists " + std::to_string(list.size()) + " items; the limit is " + std::to_string(limit));
}

void check_key(capnp::Data::Reader key, const char* field) {
  if (key.size() != 32)
    refuse("format", field, std::nullopt, std::string(field) + " is " + std::to_string(key.size()) + " bytes, not 32");
}

// A text naming a party: required unless `optional`, at most kIdLimit bytes.
void party_ref(Text::Reader t, const char* field, bool optional = false) { check_text(t, kIdLimit, field, optional); }

void schedule(capnp::List<schema::ScheduleRow>::Reader rows) {
  check_count(rows, kMaxScheduleRows, "schedule");
  for (auto r : rows) {
    check_text(r.getMilestone(), kMilestoneLimit, "schedule milestone", false);
    check_text(r.getGroup(), kMilestoneLimit, "schedule group", true);
    check_enum(r.getFinancedBy(), "schedule financed by");
  }
}

void genesis(schema::Genesis::Reader g) {
  if (g.getFormatVersion() < kOldestFormatVersion || g.getFormatVersion() > kFormatVersion)
    refuse("format", "formatVersion", std::nullopt,
           "genesis has format version " + std::to_string(g.getFormatVersion()) + "; this fundtrail reads versions " +
               std::to_string(kOldestFormatVersion) + " to " + std::to_string(kFormatVersion));
  check_text(g.getOrigin(), kSubjectLimit, "origin", false);
  check_key(g.getLogPublicKey(), "log public key");
  if (g.getAdminKeys().size() == 0) refuse("format", "adminKeys", std::nullopt, "genesis names no administrator key");
  check_count(g.getAdminKeys(), kMaxAdminKeys, "administrator keys");
  for (auto k : g.getAdminKeys()) check_key(k, "administrator key");
  check_text(g.getCurrency(), kCurrencyLimit, "currency", false);
}

void party_registered(schema::PartyRegistered::Reader p) {
  check_slug(std::string(p.getId().cStr(), p.getId().size()), "party id");
  check_text(p.getName(), kNameLimit, "name", false, TextKind::free);
  check_enum(p.getKind(), "kind");
  check_enum(p.getSector(), "sector");
  check_count(p.getOrgIds(), kMaxOrgIds, "org ids");
  for (auto o : p.getOrgIds()) check_text(o, kOrgIdLimit, "org id", false);
  party_ref(p.getControlledBy(), "controlled-by", true);
  party_ref(p.getParent(), "parent", true);
  check_count(p.getMembers(), kMaxMembers, "members");
  for (auto m : p.getMembers()) party_ref(m, "member");
  if (p.hasPoolTerms()) {
    auto t = p.getPoolTerms();
    check_text(t.getLegalBasis(), kSubjectLimit, "legal basis", true, TextKind::free);
    party_ref(t.getHost(), "host", true);
    check_count(t.getShares(), kMaxShares, "shares");
    for (auto s : t.getShares()) party_ref(s.getParty(), "share party");
    check_text(t.getPlaceCode(), kIdLimit, "place code", true);
  }
}

void body(Entry::Body::Reader b) {
  switch (b.which()) {
    case Entry::Body::GENESIS: return genesis(b.getGenesis());
    case Entry::Body::PARTY_REGISTERED: return party_registered(b.getPartyRegistered());
    case Entry::Body::PARTY_STATUS_CHANGED: {
      auto s = b.getPartyStatusChanged();
      party_ref(s.getParty(), "party");
      check_enum(s.getStatus(), "status");
      check_date(s.getFrom(), "status date", true);
      check_text(s.getNote(), kMemoLimit, "note", true, TextKind::free);
      return;
    }
    case Entry::Body::CONTRACT_AGREED: {
      auto c = b.getContractAgreed();
      check_text(c.getReference(), kSubjectLimit, "contract reference", false);
      party_ref(c.getPayer(), "payer");
      party_ref(c.getPayee(), "payee");
      check_text(c.getSubject(), kSubjectLimit, "subject", false, TextKind::free);
      check_date(c.getStartDate(), "start date", true);
      check_date(c.getEndDate(), "end date", false);
      check_text(c.getParent(), kSubjectLimit, "parent contract", true);
      check_enum(c.getModel(), "model");
      schedule(c.getSchedule());
      return;
    }
    case Entry::Body::CONTRACT_VARIED: {
      auto v = b.getContractVaried();
      check_text(v.getReference(), kSubjectLimit, "contract reference", false);
      check_date(v.getNewEndDate(), "new end date", false);
      schedule(v.getSchedule());
      check_text(v.getReason(), kMemoLimit, "reason", false, TextKind::free);
      return;
    }
    case Entry::Body::CONTRACT_ENDED: {
      auto e = b.getContractEnded();
      check_text(e.getReference(), kSubjectLimit, "contract reference", false);
      check_enum(e.getReason(), "end reason");
      party_ref(e.getSuccessor(), "successor", true);
      check_date(e.getDate(), "end date", false);
      return;
    }
    case Entry::Body::KEY_GRANTED: {
      auto g = b.getKeyGranted();
      party_ref(g.getParty(), "party");
      check_key(g.getPublicKey(), "public key");
      check_enum(g.getRole(), "role");
      return;
    }
    case Entry::Body::KEY_REVOKED: {
      auto r = b.getKeyRevoked();
      party_ref(r.getParty(), "party");
      check_key(r.getPublicKey(), "public key");
      return;
    }
    case Entry::Body::CONTRIBUTION: {
      auto c = b.getContribution();
      party_ref(c.getFrom(), "from");
      party_ref(c.getTo(), "to");
      check_text(c.getCurrency(), kCurrencyLimit, "currency", false);
      check_date(c.getValueDate(), "value date", true);
      check_text(c.getReference(), kSubjectLimit, "reference", true);
      return;
    }
    case Entry::Body::PAYMENT: {
      auto p = b.getPayment();
      party_ref(p.getFrom(), "from");
      party_ref(p.getTo(), "to");
      check_text(p.getCurrency(), kCurrencyLimit, "currency", false);
      check_date(p.getValueDate(), "value date", true);
      check_enum(p.getMechanism(), "mechanism");
      check_text(p.getMilestone(), kMilestoneLimit, "milestone", true);
      check_text(p.getGroup(), kMilestoneLimit, "group", true);
      check_count(p.getClaimIds(), kMaxClaimIds, "claim ids");
      for (auto c : p.getClaimIds()) check_text(c, kIdLimit, "claim id", false);
      auto funded = p.getFundedBy().which();
      if (static_cast<unsigned>(funded) > static_cast<unsigned>(schema::Payment::FundedBy::LOAN))
        refuse("format", "funded by", std::nullopt,
               "funded by has the kind " + std::to_string(static_cast<unsigned>(funded)) +
                   ", which this fundtrail does not know (written by a newer fundtrail?)");
      check_text(p.getMemo(), kMemoLimit, "memo", true, TextKind::free);
      check_text(p.getReference(), kSubjectLimit, "reference", true);
      return;
    }
    case Entry::Body::RESPONSIBILITY_ASSIGNED: {
      auto r = b.getResponsibilityAssigned();
      party_ref(r.getAccountable(), "accountable");
      check_count(r.getResponsible(), kMaxResponsible, "responsible");
      for (auto t : r.getResponsible()) party_ref(t, "responsible");
      check_text(r.getSubject(), kSubjectLimit, "subject", false, TextKind::free);
      check_enum(r.getKind(), "responsibility kind");
      check_date(r.getStartDate(), "start date", false);
      check_date(r.getEndDate(), "end date", false);
      check_text(r.getContractRef(), kSubjectLimit, "contract reference", true);
      return;
    }
    case Entry::Body::RESPONSIBILITY_ENDED:
      check_text(b.getResponsibilityEnded().getReason(), kMemoLimit, "reason", true, TextKind::free);
      return;
    case Entry::Body::REVERSAL:
      check_text(b.getReversal().getReason(), kMemoLimit, "reason", false, TextKind::free);
      return;
    case Entry::Body::BATCH: {
      auto r = b.getBatch();
      if (r.getCount() < 1 || r.getCount() > kMaxBatchRecords)
        refuse("limits", "count", std::nullopt,
               "a payment run holds 1 to " + std::to_string(kMaxBatchRecords) + " records, not " + std::to_string(r.getCount()));
      if (r.getRoot().size() != 32)
        refuse("format", "root", std::nullopt, "a payment run's root is 32 bytes, not " + std::to_string(r.getRoot().size()));
      return;
    }
  }
  refuse("format", "body", std::nullopt,
         "the body kind " + std::to_string(static_cast<unsigned>(b.which())) +
             " is one this fundtrail does not know (written by a newer fundtrail?)");
}

}  // namespace

void validate_entry(Entry::Reader entry, bool at_genesis) {
  check_text(entry.getOrigin(), kSubjectLimit, "origin", false);
  if (entry.getCreatedAt() < 0) refuse("format", "createdAt", std::nullopt, "createdAt is before 1970");
  check_text(entry.getIdempotencyKey(), kIdempotencyLimit, "idempotency key", false);
  auto b = entry.getBody();
  bool is_genesis = b.which() == Entry::Body::GENESIS;
  if (at_genesis && !is_genesis) refuse("format", "body", std::nullopt, "record 0 must be genesis");
  if (!at_genesis && is_genesis) refuse("format", "body", std::nullopt, "only record 0 is genesis");
  body(b);
}

}  // namespace fundtrail
