#include "interop/giving_write.h"

#include <nlohmann/json.hpp>

#include "interop/csv_cell.h"

namespace fundtrail::interop {

std::string write_giving_json(const std::vector<ExportGrant>& grants) {
  std::string out = "{\"grants\": [";
  for (size_t i = 0; i < grants.size(); ++i) {
    const ExportGrant& g = grants[i];
    // nlohmann would write the amount through double; it is spliced in as
    // the exact decimal text instead.
    nlohmann::ordered_json head = {{"id", g.id}, {"title", g.title}, {"description", g.description}, {"currency", g.currency}};
    nlohmann::ordered_json tail = {{"awardDate", g.award_date}};
    if (g.individual) tail["recipientIndividual"] = {{"id", g.recipient_id}, {"name", g.recipient_name}};
    else tail["recipientOrganization"] = nlohmann::ordered_json::array({{{"id", g.recipient_id}, {"name", g.recipient_name}}});
    tail["fundingOrganization"] = nlohmann::ordered_json::array({{{"id", g.funder_id}, {"name", g.funder_name}}});
    if (!g.programme_code.empty() || !g.programme_title.empty())
      tail["grantProgramme"] = nlohmann::ordered_json::array({{{"code", g.programme_code}, {"title", g.programme_title}}});
    if (!g.regrant_type.empty()) tail["regrantType"] = g.regrant_type;
    if (!g.date_modified.empty()) tail["dateModified"] = g.date_modified;
    std::string h = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string t = tail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    out += i ? ",\n  " : "\n  ";
    out += h.substr(0, h.size() - 1) + ",\"amountAwarded\":" + g.amount + "," + t.substr(1);
  }
  out += grants.empty() ? "]}\n" : "\n]}\n";
  return out;
}

std::string write_giving_csv(const std::vector<ExportGrant>& grants) {
  static const char* const kTitles[] = {"Identifier", "Title", "Description", "Currency", "Amount Awarded", "Award Date",
                                        "Recipient Org:Identifier", "Recipient Org:Name", "Recipient Ind:Identifier",
                                        "Recipient Ind:Name", "Funding Org:Identifier", "Funding Org:Name",
                                        "Grant Programme:Code", "Grant Programme:Title", "For Regrant Type", "Last Modified"};
  std::string out;
  for (size_t i = 0; i < std::size(kTitles); ++i) out += std::string(i ? "," : "") + kTitles[i];
  out += "\r\n";
  for (const ExportGrant& g : grants) {
    const std::string empty;
    const std::string* cells[] = {&g.id, &g.title, &g.description, &g.currency, &g.amount, &g.award_date,
                                  g.individual ? &empty : &g.recipient_id, g.individual ? &empty : &g.recipient_name,
                                  g.individual ? &g.recipient_id : &empty, g.individual ? &g.recipient_name : &empty,
                                  &g.funder_id, &g.funder_name, &g.programme_code, &g.programme_title, &g.regrant_type,
                                  &g.date_modified};
    for (size_t i = 0; i < std::size(cells); ++i) out += (i ? "," : "") + csv_cell(*cells[i]);
    out += "\r\n";
  }
  return out;
}

}  // namespace fundtrail::interop
