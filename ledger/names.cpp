#include "ledger/names.h"

namespace fundtrail {
namespace {

// Tables are indexed by the enum's numeric value (schema order).
const std::vector<std::string> kPartyKinds = {"commissioner", "funder",  "pool",    "integrator", "provider", "collaborative",
                                              "board",        "regulator", "auditor", "office",     "other"};
const std::vector<std::string> kSectors = {"unspecified", "public", "private", "voluntary", "mutual"};
const std::vector<std::string> kRoles = {"officer", "approver", "administrator", "auditor"};
const std::vector<std::string> kMechanisms = {"block", "grant", "fee",     "upfront",  "milestone",
                                              "management-fee", "loan", "support", "clawback", "other",
                                              "purchase", "refund"};
const std::vector<std::string> kResponsibilityKinds = {"contract", "delivery", "oversight", "assurance", "last-resort", "informal"};
const std::vector<std::string> kStatuses = {"active", "service-failure", "financial-failure", "exited"};
const std::vector<std::string> kRecordKinds = {
    "genesis",    "partyRegistered", "partyStatusChanged",     "contractAgreed",      "contractVaried",
    "contractEnded", "keyGranted",   "keyRevoked",             "contribution",        "payment",
    "responsibilityAssigned", "responsibilityEnded", "reversal", "batch"};

template <class E>
std::string lookup(const std::vector<std::string>& table, E v) {
  auto i = static_cast<size_t>(v);
  return i < table.size() ? table[i] : "unknown(" + std::to_string(i) + ")";
}

template <class E>
std::optional<E> parse(const std::vector<std::string>& table, const std::string& s) {
  for (size_t i = 0; i < table.size(); ++i)
    if (table[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

}  // namespace

std::string name_of(schema::PartyKind v) { return lookup(kPartyKinds, v); }
std::string name_of(schema::Sector v) { return lookup(kSectors, v); }
std::string name_of(schema::Role v) { return lookup(kRoles, v); }
std::string name_of(schema::Mechanism v) { return lookup(kMechanisms, v); }
std::string name_of(schema::ResponsibilityKind v) { return lookup(kResponsibilityKinds, v); }
std::string name_of(schema::PartyStatus v) { return lookup(kStatuses, v); }
std::string name_of(schema::Entry::Body::Which v) { return lookup(kRecordKinds, v); }

std::optional<schema::PartyKind> party_kind_from(const std::string& s) { return parse<schema::PartyKind>(kPartyKinds, s); }
std::optional<schema::Sector> sector_from(const std::string& s) {
  if (s == "unspecified") return std::nullopt;
  return parse<schema::Sector>(kSectors, s);
}
std::optional<schema::Role> role_from(const std::string& s) { return parse<schema::Role>(kRoles, s); }
std::optional<schema::Mechanism> mechanism_from(const std::string& s) { return parse<schema::Mechanism>(kMechanisms, s); }
std::optional<schema::ResponsibilityKind> responsibility_kind_from(const std::string& s) {
  return parse<schema::ResponsibilityKind>(kResponsibilityKinds, s);
}

std::vector<std::string> party_kind_names() { return kPartyKinds; }
std::vector<std::string> sector_names() { return {kSectors.begin() + 1, kSectors.end()}; }
std::vector<std::string> role_names() { return kRoles; }
std::vector<std::string> mechanism_names() { return kMechanisms; }
std::vector<std::string> record_kind_names() { return kRecordKinds; }
std::vector<std::string> responsibility_kind_names() { return kResponsibilityKinds; }

}  // namespace fundtrail
