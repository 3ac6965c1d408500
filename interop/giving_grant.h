// A 360Giving grant checked field by field: what the import records.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "interop/giving_record.h"

namespace fundtrail::interop {

struct GivingGrant {
  std::string where;  // "line 7" / "grants[3]"
  std::string id, title, description, currency;
  int64_t amount = 0;  // minor units of `currency`
  uint32_t award_date = 0;  // YYYYMMDD
  std::string funder_id, funder_name;
  bool individual = false;  // recipientIndividual rather than recipientOrganization
  std::string recipient_id, recipient_name;
  std::string regrant_type;  // FRG010..FRG070 or empty
};

// Checks one (merged) record: the required fields (id, title, description,
// currency, amountAwarded, awardDate, fundingOrganization[0].id and .name,
// recipientOrganization[0].id and .name or recipientIndividual.id and .name);
// the currency is a known ISO 4217 code; the amount is a number written as
// plain decimal digits with at most the currency's decimals, above zero and
// within int64 minor units (no sign, exponent, '£' or thousands separator);
// the award date is YYYY-MM-DD or a date-time (its time is dropped); ids fit
// the ledger's limits; the regrant type is on the codelist. Throws a usage
// error naming the record's place, the grant id and the reason.
GivingGrant check_grant(const GivingRecord& r);

// merge_by_id + check_grant over a whole file, in file order.
// With `bad`, a record that fails is listed there ({its place, the error})
// instead of stopping the import.
std::vector<GivingGrant> check_grants(const GivingFile& file,
                                      std::vector<std::pair<std::string, std::string>>* bad = nullptr);

// "2014-03-17" or "2014-03-17T10:00:00Z" (any RFC 3339 time and offset) ->
// 20140317; 0 when malformed ("17/03/2014", "2014-3-17", "2014-02-30").
uint32_t parse_award_date(const std::string& text);

}  // namespace fundtrail::interop
