// The spelling of every enum as users type it in commands and read it in
// exports (DESIGN.md command shapes): "management-fee", "last-resort", ...
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "fundtrail.capnp.h"

namespace fundtrail {

std::string name_of(schema::PartyKind v);
std::string name_of(schema::Sector v);
std::string name_of(schema::Role v);
std::string name_of(schema::Mechanism v);
std::string name_of(schema::ResponsibilityKind v);
std::string name_of(schema::PartyStatus v);
std::string name_of(schema::Entry::Body::Which v);  // record kinds: "payment", "partyRegistered", ...

// Parsing; nullopt for an unknown word.
std::optional<schema::PartyKind> party_kind_from(const std::string& s);
std::optional<schema::Sector> sector_from(const std::string& s);
std::optional<schema::Role> role_from(const std::string& s);
std::optional<schema::Mechanism> mechanism_from(const std::string& s);
std::optional<schema::ResponsibilityKind> responsibility_kind_from(const std::string& s);

// All spellings, for --help and validation messages.
std::vector<std::string> party_kind_names();
std::vector<std::string> sector_names();
std::vector<std::string> role_names();
std::vector<std::string> mechanism_names();
std::vector<std::string> record_kind_names();  // as `log --kind` takes them
std::vector<std::string> responsibility_kind_names();

}  // namespace fundtrail
