#include "validate.h"

#include <algorithm>

namespace fv {

using schema::Entry;

bool validUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return false;
      cp = cp << 6 | (static_cast<uint8_t>(s[i + k]) & 0x3F);
    }
    static const uint32_t minFor[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < minFor[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

bool isSlug(std::string_view s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (s.empty() || !alnum(s[0])) return false;
  return std::all_of(s.begin() + 1, s.end(), [&](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool realDate(uint32_t d) {
  uint32_t y = d / 10000, m = d / 100 % 100, day = d % 100;
  if (y < 1900 || y > 2999 || m < 1 || m > 12 || day < 1) return false;
  static const uint32_t len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return day <= len[m - 1] + (m == 2 && leap ? 1 : 0);
}

namespace {

enum Need : bool { Optional = false, Required = true };
enum TextKind : bool { Plain = false, FreeText = true };  // free text: tab and newline allowed

// Collects the problems of one Entry; each check names its field by schema path.
struct Checker {
  Validation out;

  void format(const std::string& field, std::string why) { out.problems.push_back({Check::Format, field, field + " " + why}); }
  void limits(const std::string& field, std::string why) { out.problems.push_back({Check::Limits, field, field + " " + why}); }

  void text(capnp::Text::Reader t, const std::string& field, size_t max, Need need, TextKind kind = Plain) {
    std::string_view s(t.cStr(), t.size());
    if (!validUtf8(s)) {
      format(field, "is not valid UTF-8");
    } else {
      for (char ch : s) {
        auto c = static_cast<uint8_t>(ch);
        if ((c >= 0x20 && c != 0x7F) || (kind == FreeText && (c == '\t' || c == '\n'))) continue;
        char hex[8];
        snprintf(hex, sizeof hex, "0x%02X", c);
        format(field, std::string("contains the control character ") + hex +
                          (kind == FreeText ? " (only tab and newline are allowed in free text)" : ""));
        break;
      }
    }
    if (s.size() > max)
      limits(field, "is " + std::to_string(s.size()) + " bytes, over its limit of " + std::to_string(max));
    if (need == Required && s.empty()) format(field, "is empty");
  }
  void party(capnp::Text::Reader t, const std::string& field, Need need) { text(t, field, limit::kPartyId, need); }
  template <typename List>
  void parties(List list, const std::string& field, size_t max) {
    count(list.size(), field, max);
    for (unsigned i = 0; i < list.size(); ++i) party(list[i], field + "[" + std::to_string(i) + "]", Required);
  }
  void count(size_t n, const std::string& field, size_t max) {
    if (n > max) limits(field, "has " + std::to_string(n) + " entries, over its limit of " + std::to_string(max));
  }
  void date(uint32_t d, const std::string& field, Need need) {
    if (d == 0 && need == Required) format(field, "is missing");
    else if (d != 0 && !realDate(d))
      format(field, std::to_string(d) + " is not a real YYYYMMDD day in the years 1900-2999");
  }
  void key(capnp::Data::Reader k, const std::string& field) {
    if (k.size() != 32) format(field, "is " + std::to_string(k.size()) + " bytes, not a 32-byte Ed25519 key");
  }
  template <typename E>
  void known(E value, E last, const std::string& field) {
    if (uint16_t(value) > uint16_t(last)) out.unknown.push_back(field + " " + std::to_string(uint16_t(value)));
  }

  void schedule(capnp::List<schema::ScheduleRow>::Reader rows, const std::string& field) {
    count(rows.size(), field, limit::kScheduleRows);
    for (unsigned i = 0; i < rows.size(); ++i) {
      std::string row = field + "[" + std::to_string(i) + "]";
      text(rows[i].getMilestone(), row + ".milestone", limit::kMilestone, Required);
      text(rows[i].getGroup(), row + ".group", limit::kMilestone, Optional);
      known(rows[i].getFinancedBy(), schema::FinancedBy::PARENT, row + ".financedBy");
    }
  }

  void genesis(schema::Genesis::Reader g) {
    if (g.getFormatVersion() == 0) format("genesis.formatVersion", "is 0, not 1");
    text(g.getOrigin(), "genesis.origin", limit::kOrigin, Required);
    key(g.getLogPublicKey(), "genesis.logPublicKey");
    auto admins = g.getAdminKeys();
    if (admins.size() == 0) format("genesis.adminKeys", "is empty: genesis names no administrator key");
    count(admins.size(), "genesis.adminKeys", limit::kAdminKeys);
    for (unsigned i = 0; i < admins.size(); ++i) key(admins[i], "genesis.adminKeys[" + std::to_string(i) + "]");
    text(g.getCurrency(), "genesis.currency", limit::kCurrency, Required);
  }

  void partyRegistered(schema::PartyRegistered::Reader r) {
    const std::string f = "partyRegistered.";
    party(r.getId(), f + "id", Required);
    std::string_view id(r.getId().cStr(), r.getId().size());
    if (!id.empty() && !isSlug(id)) format(f + "id", "is not a slug ([a-z0-9] then [a-z0-9._-]*)");
    text(r.getName(), f + "name", limit::kName, Required, FreeText);
    known(r.getKind(), schema::PartyKind::OTHER, f + "kind");
    known(r.getSector(), schema::Sector::MUTUAL, f + "sector");
    auto orgIds = r.getOrgIds();
    count(orgIds.size(), f + "orgIds", limit::kOrgIds);
    for (unsigned i = 0; i < orgIds.size(); ++i)
      text(orgIds[i], f + "orgIds[" + std::to_string(i) + "]", limit::kOrgId, Required);
    party(r.getControlledBy(), f + "controlledBy", Optional);
    party(r.getParent(), f + "parent", Optional);
    parties(r.getMembers(), f + "members", limit::kMembers);
    if (r.hasPoolTerms()) {
      auto t = r.getPoolTerms();
      text(t.getLegalBasis(), f + "poolTerms.legalBasis", limit::kLegalBasis, Optional, FreeText);
      party(t.getHost(), f + "poolTerms.host", Optional);
      auto shares = t.getShares();
      count(shares.size(), f + "poolTerms.shares", limit::kShares);
      for (unsigned i = 0; i < shares.size(); ++i)
        party(shares[i].getParty(), f + "poolTerms.shares[" + std::to_string(i) + "].party", Required);
      text(t.getPlaceCode(), f + "poolTerms.placeCode", limit::kPlaceCode, Optional);
    }
  }

  void body(Entry::Body::Reader b) {
    switch (b.which()) {
      case Entry::Body::GENESIS: return genesis(b.getGenesis());
      case Entry::Body::PARTY_REGISTERED: return partyRegistered(b.getPartyRegistered());
      case Entry::Body::PARTY_STATUS_CHANGED: {
        auto r = b.getPartyStatusChanged();
        party(r.getParty(), "partyStatusChanged.party", Required);
        known(r.getStatus(), schema::PartyStatus::EXITED, "partyStatusChanged.status");
        date(r.getFrom(), "partyStatusChanged.from", Required);
        text(r.getNote(), "partyStatusChanged.note", limit::kMemo, Optional, FreeText);
        return;
      }
      case Entry::Body::CONTRACT_AGREED: {
        auto r = b.getContractAgreed();
        const std::string f = "contractAgreed.";
        text(r.getReference(), f + "reference", limit::kReference, Required);
        party(r.getPayer(), f + "payer", Required);
        party(r.getPayee(), f + "payee", Required);
        text(r.getSubject(), f + "subject", limit::kSubject, Required, FreeText);
        date(r.getStartDate(), f + "startDate", Required);
        date(r.getEndDate(), f + "endDate", Optional);
        text(r.getParent(), f + "parent", limit::kReference, Optional);
        known(r.getModel(), schema::IntegratorModel::BLENDED, f + "model");
        schedule(r.getSchedule(), f + "schedule");
        return;
      }
      case Entry::Body::CONTRACT_VARIED: {
        auto r = b.getContractVaried();
        text(r.getReference(), "contractVaried.reference", limit::kReference, Required);
        date(r.getNewEndDate(), "contractVaried.newEndDate", Optional);
        schedule(r.getSchedule(), "contractVaried.schedule");
        text(r.getReason(), "contractVaried.reason", limit::kMemo, Required, FreeText);
        return;
      }
      case Entry::Body::CONTRACT_ENDED: {
        auto r = b.getContractEnded();
        text(r.getReference(), "contractEnded.reference", limit::kReference, Required);
        known(r.getReason(), schema::EndReason::TRANSFERRED, "contractEnded.reason");
        party(r.getSuccessor(), "contractEnded.successor", Optional);
        date(r.getDate(), "contractEnded.date", Optional);
        return;
      }
      case Entry::Body::KEY_GRANTED: {
        auto r = b.getKeyGranted();
        party(r.getParty(), "keyGranted.party", Required);
        key(r.getPublicKey(), "keyGranted.publicKey");
        known(r.getRole(), schema::Role::AUDITOR, "keyGranted.role");
        return;
      }
      case Entry::Body::KEY_REVOKED: {
        auto r = b.getKeyRevoked();
        party(r.getParty(), "keyRevoked.party", Required);
        key(r.getPublicKey(), "keyRevoked.publicKey");
        return;
      }
      case Entry::Body::CONTRIBUTION: {
        auto r = b.getContribution();
        party(r.getFrom(), "contribution.from", Required);
        party(r.getTo(), "contribution.to", Required);
        text(r.getCurrency(), "contribution.currency", limit::kCurrency, Required);
        date(r.getValueDate(), "contribution.valueDate", Required);
        text(r.getReference(), "contribution.reference", limit::kReference, Optional);
        return;
      }
      case Entry::Body::PAYMENT: {
        auto r = b.getPayment();
        const std::string f = "payment.";
        party(r.getFrom(), f + "from", Required);
        party(r.getTo(), f + "to", Required);
        text(r.getCurrency(), f + "currency", limit::kCurrency, Required);
        date(r.getValueDate(), f + "valueDate", Required);
        known(r.getMechanism(), schema::Mechanism::REFUND, f + "mechanism");
        text(r.getMilestone(), f + "milestone", limit::kMilestone, Optional);
        text(r.getGroup(), f + "group", limit::kMilestone, Optional);
        auto claims = r.getClaimIds();
        count(claims.size(), f + "claimIds", limit::kClaimIds);
        for (unsigned i = 0; i < claims.size(); ++i)
          text(claims[i], f + "claimIds[" + std::to_string(i) + "]", limit::kClaimId, Required);
        known(r.getFundedBy().which(), schema::Payment::FundedBy::LOAN, f + "fundedBy");
        text(r.getMemo(), f + "memo", limit::kMemo, Optional, FreeText);
        text(r.getReference(), f + "reference", limit::kReference, Optional);
        return;
      }
      case Entry::Body::RESPONSIBILITY_ASSIGNED: {
        auto r = b.getResponsibilityAssigned();
        const std::string f = "responsibilityAssigned.";
        party(r.getAccountable(), f + "accountable", Required);
        parties(r.getResponsible(), f + "responsible", limit::kResponsible);
        text(r.getSubject(), f + "subject", limit::kSubject, Required, FreeText);
        known(r.getKind(), schema::ResponsibilityKind::INFORMAL, f + "kind");
        date(r.getStartDate(), f + "startDate", Optional);
        date(r.getEndDate(), f + "endDate", Optional);
        text(r.getContractRef(), f + "contractRef", limit::kReference, Optional);
        return;
      }
      case Entry::Body::RESPONSIBILITY_ENDED:
        text(b.getResponsibilityEnded().getReason(), "responsibilityEnded.reason", limit::kMemo, Optional, FreeText);
        return;
      case Entry::Body::REVERSAL:
        text(b.getReversal().getReason(), "reversal.reason", limit::kMemo, Required, FreeText);
        return;
      case Entry::Body::BATCH: {
        auto r = b.getBatch();
        if (r.getCount() == 0) format("batch.count", "is 0: a payment run holds 1 to 10,000 records");
        else if (r.getCount() > limit::kBatchRecords)
          limits("batch.count", "is " + std::to_string(r.getCount()) + ", over the limit of 10,000 records");
        if (r.getRoot().size() != 32) format("batch.root", "is " + std::to_string(r.getRoot().size()) + " bytes, not 32");
        return;
      }
    }
    out.unknown.push_back("body kind " + std::to_string(uint16_t(b.which())));
  }
};

}  // namespace

Validation validateEntry(schema::Entry::Reader e) {
  Checker c;
  c.text(e.getOrigin(), "origin", limit::kOrigin, Required);
  if (e.getCreatedAt() < 0) c.format("createdAt", std::to_string(e.getCreatedAt()) + " is negative");
  c.text(e.getIdempotencyKey(), "idempotencyKey", limit::kIdempotencyKey, Required);
  c.body(e.getBody());
  return std::move(c.out);
}

}  // namespace fv
