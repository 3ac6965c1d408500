#include "cli/describe.h"

#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail::cli {
namespace {

using nlohmann::json;
using schema::Entry;

std::string s(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }
std::string b64(capnp::Data::Reader d) { return base64(std::span<const uint8_t>(d.begin(), d.size())); }
json texts(capnp::List<capnp::Text>::Reader list) {
  json out = json::array();
  for (auto t : list) out.push_back(s(t));
  return out;
}

const char* end_reason_name(schema::EndReason r) {
  return r == schema::EndReason::COMPLETED ? "completed" : r == schema::EndReason::TERMINATED ? "terminated" : "transferred";
}

json schedule_json(capnp::List<schema::ScheduleRow>::Reader rows, const LedgerFacts& f) {
  json out = json::array();
  for (auto r : rows)
    out.push_back({{"milestone", s(r.getMilestone())}, {"group", s(r.getGroup())},
                   {"unit_price", format_money(r.getUnitPrice(), f.exponent)}, {"unit_price_minor", r.getUnitPrice()},
                   {"financed_by", r.getFinancedBy() == schema::FinancedBy::PARENT ? "parent" : "payer"}});
  return out;
}

json body_json(Entry::Body::Reader b, const LedgerFacts& f) {
  auto money = [&](int64_t minor) { return format_money(minor, f.exponent); };
  switch (b.which()) {
    case Entry::Body::GENESIS: {
      auto g = b.getGenesis();
      json admins = json::array();
      for (auto k : g.getAdminKeys()) admins.push_back(b64(k));
      return {{"format_version", g.getFormatVersion()},    {"origin", s(g.getOrigin())},
              {"log_public_key", b64(g.getLogPublicKey())}, {"admin_keys", admins},
              {"currency", s(g.getCurrency())},             {"dual_control_threshold", money(g.getDualControlThreshold())},
              {"dual_control_threshold_minor", g.getDualControlThreshold()}};
    }
    case Entry::Body::PARTY_REGISTERED: {
      auto p = b.getPartyRegistered();
      json j = {{"id", s(p.getId())},         {"name", s(p.getName())},     {"kind", name_of(p.getKind())},
                {"sector", name_of(p.getSector())}, {"org_ids", texts(p.getOrgIds())}, {"controlled_by", s(p.getControlledBy())},
                {"parent", s(p.getParent())}, {"members", texts(p.getMembers())}, {"budget_limited", p.getBudgetLimited()}};
      if (p.hasPoolTerms()) {
        auto t = p.getPoolTerms();
        json shares = json::object();
        for (auto sh : t.getShares()) shares[s(sh.getParty())] = format_money(sh.getBasisPoints(), 2);
        j["pool_terms"] = {{"legal_basis", s(t.getLegalBasis())}, {"host", s(t.getHost())}, {"shares_percent", shares},
                           {"place", s(t.getPlaceCode())}};
      }
      return j;
    }
    case Entry::Body::KEY_GRANTED: {
      auto g = b.getKeyGranted();
      return {{"party", s(g.getParty())}, {"public_key", b64(g.getPublicKey())}, {"role", name_of(g.getRole())}};
    }
    case Entry::Body::KEY_REVOKED: {
      auto r = b.getKeyRevoked();
      return {{"party", s(r.getParty())}, {"public_key", b64(r.getPublicKey())}};
    }
    case Entry::Body::CONTRIBUTION: {
      auto c = b.getContribution();
      return {{"from", s(c.getFrom())},          {"to", s(c.getTo())},
              {"amount", money(c.getAmount())},  {"amount_minor", c.getAmount()},
              {"currency", s(c.getCurrency())},  {"value_date", format_date(c.getValueDate())},
              {"reference", s(c.getReference())}};
    }
    case Entry::Body::PAYMENT: {
      auto p = b.getPayment();
      json j = {{"from", s(p.getFrom())},           {"to", s(p.getTo())},
                {"amount", money(p.getAmount())},   {"amount_minor", p.getAmount()},
                {"currency", s(p.getCurrency())},   {"value_date", format_date(p.getValueDate())},
                {"mechanism", name_of(p.getMechanism())}, {"milestone", s(p.getMilestone())},
                {"outcome_count", p.getOutcomeCount()},   {"group", s(p.getGroup())},
                {"claim_ids", texts(p.getClaimIds())},    {"memo", s(p.getMemo())},
                {"reference", s(p.getReference())}};
      if (p.getContractSeq()) j["contract_seq"] = p.getContractSeq();
      auto fb = p.getFundedBy();
      j["funded_by"] = fb.isEntry() ? json(fb.getEntry()) : fb.isOwn() ? json("own") : fb.isLoan() ? json("loan") : json(nullptr);
      return j;
    }
    case Entry::Body::RESPONSIBILITY_ASSIGNED: {
      auto r = b.getResponsibilityAssigned();
      return {{"accountable", s(r.getAccountable())}, {"responsible", texts(r.getResponsible())},
              {"subject", s(r.getSubject())},         {"kind", name_of(r.getKind())},
              {"from", format_date(r.getStartDate())}, {"to", format_date(r.getEndDate())},
              {"contract", s(r.getContractRef())}};
    }
    case Entry::Body::RESPONSIBILITY_ENDED: {
      auto e = b.getResponsibilityEnded();
      return {{"assignment_seq", e.getAssignmentSeq()}, {"reason", s(e.getReason())}};
    }
    case Entry::Body::REVERSAL: {
      auto r = b.getReversal();
      return {{"target_seq", r.getTargetSeq()}, {"reason", s(r.getReason())}};
    }
    case Entry::Body::PARTY_STATUS_CHANGED: {
      auto p = b.getPartyStatusChanged();
      return {{"party", s(p.getParty())}, {"status", name_of(p.getStatus())}, {"from", format_date(p.getFrom())},
              {"note", s(p.getNote())}};
    }
    case Entry::Body::CONTRACT_AGREED: {
      auto c = b.getContractAgreed();
      auto m = c.getModel();
      return {{"reference", s(c.getReference())},
              {"payer", s(c.getPayer())},
              {"payee", s(c.getPayee())},
              {"subject", s(c.getSubject())},
              {"from", format_date(c.getStartDate())},
              {"to", format_date(c.getEndDate())},
              {"cap", c.getCap() ? json(money(c.getCap())) : json(nullptr)},
              {"cap_minor", c.getCap()},
              {"parent", s(c.getParent())},
              {"model", m == schema::IntegratorModel::PURE ? "pure" : m == schema::IntegratorModel::BLENDED ? "blended" : ""},
              {"fee_cap_percent", c.getHasFeeCap() ? json(format_money(c.getFeeCapBasisPoints(), 2)) : json(nullptr)},
              {"schedule", schedule_json(c.getSchedule(), f)}};
    }
    case Entry::Body::CONTRACT_VARIED: {
      auto v = b.getContractVaried();
      return {{"reference", s(v.getReference())},
              {"new_cap", v.getNewCap() ? json(money(v.getNewCap())) : json(nullptr)},
              {"new_to", v.getNewEndDate() ? json(format_date(v.getNewEndDate())) : json(nullptr)},
              {"schedule", v.getReplaceSchedule() ? schedule_json(v.getSchedule(), f) : json(nullptr)},
              {"reason", s(v.getReason())}};
    }
    case Entry::Body::CONTRACT_ENDED: {
      auto e = b.getContractEnded();
      return {{"reference", s(e.getReference())}, {"reason", end_reason_name(e.getReason())},
              {"successor", s(e.getSuccessor())}, {"date", format_date(e.getDate())}};
    }
    case Entry::Body::BATCH: {
      auto r = b.getBatch();
      return {{"count", r.getCount()}, {"root", b64(r.getRoot())}};
    }
    default:
      return json::object();
  }
}

}  // namespace

json record_json(const Record& rec, const LedgerFacts& facts) {
  auto leaf = rec.leaf();
  auto e = rec.entry();
  json sigs = json::array();
  for (auto sig : leaf.getSignatures()) sigs.push_back({{"public_key", b64(sig.getPublicKey())}});
  json out = {{"seq", leaf.getSeq()},
              {"recorded_at", leaf.getRecordedAt()},
              {"kind", name_of(e.getBody().which())},
              {"prev_hash", b64(leaf.getPrevHash())},
              {"origin", s(e.getOrigin())},
              {"created_at", e.getCreatedAt()},
              {"idempotency_key", s(e.getIdempotencyKey())},
              {"body", body_json(e.getBody(), facts)},
              {"signatures", sigs}};
  // DESIGN.md: a record of a payment run says which batch record signed for it.
  if (leaf.getBatchSeq() != 0) out["batch_seq"] = leaf.getBatchSeq();
  return out;
}

std::string record_summary(const Record& rec, const LedgerFacts& f) { return entry_summary(rec.entry(), f); }

std::string entry_summary(schema::Entry::Reader entry, const LedgerFacts& f) {
  auto b = entry.getBody();
  auto money = [&](int64_t minor) { return format_money(minor, f.exponent) + " " + f.currency; };
  switch (b.which()) {
    case Entry::Body::GENESIS: return "genesis " + s(b.getGenesis().getOrigin()) + " (" + s(b.getGenesis().getCurrency()) + ")";
    case Entry::Body::PARTY_REGISTERED: {
      auto p = b.getPartyRegistered();
      return "party " + s(p.getId()) + " \"" + s(p.getName()) + "\" " + name_of(p.getKind());
    }
    case Entry::Body::KEY_GRANTED:
      return "grant-key " + s(b.getKeyGranted().getParty()) + " " + name_of(b.getKeyGranted().getRole()) + " " +
             b64(b.getKeyGranted().getPublicKey()).substr(0, 12) + "…";
    case Entry::Body::KEY_REVOKED:
      return "revoke-key " + s(b.getKeyRevoked().getParty()) + " " + b64(b.getKeyRevoked().getPublicKey()).substr(0, 12) + "…";
    case Entry::Body::CONTRIBUTION: {
      auto c = b.getContribution();
      return "contribution " + s(c.getFrom()) + " -> " + s(c.getTo()) + " " + money(c.getAmount()) + " " + format_date(c.getValueDate());
    }
    case Entry::Body::PAYMENT: {
      auto p = b.getPayment();
      std::string m = p.getMilestone().size() ? " \"" + s(p.getMilestone()) + "\"" : "";
      std::string ref = p.getReference().size() ? " ref " + s(p.getReference()) : "";
      return "payment " + s(p.getFrom()) + " -> " + s(p.getTo()) + " " + money(p.getAmount()) + " " +
             name_of(p.getMechanism()) + m + " " + format_date(p.getValueDate()) + ref;
    }
    case Entry::Body::RESPONSIBILITY_ASSIGNED: {
      auto r = b.getResponsibilityAssigned();
      std::string who;
      for (auto t : r.getResponsible()) who += (who.empty() ? "" : "+") + s(t);
      return "assign " + s(r.getAccountable()) + " -> " + who + " " + name_of(r.getKind()) + " \"" + s(r.getSubject()) + "\"";
    }
    case Entry::Body::RESPONSIBILITY_ENDED: return "end-assignment " + std::to_string(b.getResponsibilityEnded().getAssignmentSeq());
    case Entry::Body::REVERSAL:
      return "reversal of seq " + std::to_string(b.getReversal().getTargetSeq()) + ": " + s(b.getReversal().getReason());
    case Entry::Body::BATCH: {
      uint32_t n = b.getBatch().getCount();
      return "payment run approving the next " + std::to_string(n) + (n == 1 ? " record" : " records");
    }
    case Entry::Body::PARTY_STATUS_CHANGED: {
      auto p = b.getPartyStatusChanged();
      return "status " + s(p.getParty()) + " " + name_of(p.getStatus()) + " from " + format_date(p.getFrom());
    }
    case Entry::Body::CONTRACT_AGREED: {
      auto c = b.getContractAgreed();
      return "contract " + s(c.getReference()) + " " + s(c.getPayer()) + " -> " + s(c.getPayee()) +
             (c.getCap() ? " cap " + money(c.getCap()) : std::string()) +
             (c.getParent().size() ? " under " + s(c.getParent()) : std::string());
    }
    case Entry::Body::CONTRACT_VARIED: return "contract varied " + s(b.getContractVaried().getReference()) + ": " + s(b.getContractVaried().getReason());
    case Entry::Body::CONTRACT_ENDED: {
      auto e = b.getContractEnded();
      return "contract ended " + s(e.getReference()) + " " + end_reason_name(e.getReason()) +
             (e.getSuccessor().size() ? " to " + s(e.getSuccessor()) : std::string());
    }
    default: return name_of(b.which());
  }
}

std::vector<std::string> record_parties(const Record& rec) {
  auto b = rec.entry().getBody();
  switch (b.which()) {
    case Entry::Body::PARTY_REGISTERED: return {s(b.getPartyRegistered().getId())};
    case Entry::Body::KEY_GRANTED: return {s(b.getKeyGranted().getParty())};
    case Entry::Body::KEY_REVOKED: return {s(b.getKeyRevoked().getParty())};
    case Entry::Body::CONTRIBUTION: return {s(b.getContribution().getFrom()), s(b.getContribution().getTo())};
    case Entry::Body::PAYMENT: return {s(b.getPayment().getFrom()), s(b.getPayment().getTo())};
    case Entry::Body::RESPONSIBILITY_ASSIGNED: {
      std::vector<std::string> out{s(b.getResponsibilityAssigned().getAccountable())};
      for (auto t : b.getResponsibilityAssigned().getResponsible()) out.push_back(s(t));
      return out;
    }
    case Entry::Body::PARTY_STATUS_CHANGED: return {s(b.getPartyStatusChanged().getParty())};
    case Entry::Body::CONTRACT_AGREED: return {s(b.getContractAgreed().getPayer()), s(b.getContractAgreed().getPayee())};
    case Entry::Body::CONTRACT_ENDED:
      if (b.getContractEnded().getSuccessor().size()) return {s(b.getContractEnded().getSuccessor())};
      return {};
    default: return {};
  }
}

}  // namespace fundtrail::cli
