#include "interop/giving_record.h"

#include <unordered_map>

#include "ledger/error.h"

namespace fundtrail::interop {

const std::string& GivingRecord::text(const std::string& path) const {
  static const std::string empty;
  auto it = fields.find(path);
  return it == fields.end() ? empty : it->second.text;
}

bool GivingRecord::has(const std::string& path) const { return fields.count(path) != 0; }

const std::vector<GivingField>& giving_fields() {
  static const std::vector<GivingField> fields = {
      {"id", "Identifier"},
      {"title", "Title"},
      {"description", "Description"},
      {"currency", "Currency"},
      {"amountAwarded", "Amount Awarded"},
      {"awardDate", "Award Date"},
      {"recipientOrganization/0/id", "Recipient Org:Identifier"},
      {"recipientOrganization/0/name", "Recipient Org:Name"},
      {"recipientIndividual/id", "Recipient Ind:Identifier"},
      {"recipientIndividual/name", "Recipient Ind:Name"},
      {"fundingOrganization/0/id", "Funding Org:Identifier"},
      {"fundingOrganization/0/name", "Funding Org:Name"},
      {"regrantType", "For Regrant Type"},
  };
  return fields;
}

void giving_error(const GivingRecord& r, const std::string& why) {
  const std::string& id = r.text("id");
  unusable(r.where + (id.empty() ? "" : ", grant " + id) + ": " + why);
}

std::vector<GivingRecord> merge_by_id(const std::vector<GivingRecord>& records) {
  std::vector<GivingRecord> out;
  std::unordered_map<std::string, size_t> index;  // id -> position in out
  std::unordered_map<std::string, std::string> source;  // id + '\0' + path -> where it was first given
  for (const GivingRecord& r : records) {
    const std::string& id = r.text("id");
    if (id.empty()) giving_error(r, "the grant has no Identifier (id), which is required");
    auto [it, fresh] = index.try_emplace(id, out.size());
    if (fresh) {
      out.push_back(r);
      for (auto& [path, v] : r.fields) source.emplace(id + '\0' + path, r.where);
      continue;
    }
    GivingRecord& into = out[it->second];
    for (auto& [path, v] : r.fields) {
      auto [at, added] = into.fields.try_emplace(path, v);
      if (added) {
        source.emplace(id + '\0' + path, r.where);
      } else if (at->second.text != v.text || at->second.type != v.type) {
        // Another row of the same grant says something else: which one is
        // true cannot be told, so nothing is guessed.
        giving_error(r, "conflicting rows for one Identifier: '" + path + "' is '" + v.text + "' here but '" +
                            at->second.text + "' at " + source[id + '\0' + path]);
      }
    }
  }
  return out;
}

}  // namespace fundtrail::interop
