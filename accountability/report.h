// The HTML report's data (DESIGN.md "A report people read"): one JSON object
// the page's template shows, built from the map and the ledger. The page is
// the template (accountability/report/) with this data and its scripts
// inlined: nothing is loaded from outside it.
//
//   Map m = build_map(ledger, as_of);
//   nlohmann::json data = report_data(ledger, m, checkpoint_note, verifier_result);
//   out << report_html(data);
//
// Proofs are made against the checkpoint whatever --as-of says: --as-of
// filters the money shown, never what the page proves.
#pragma once
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "accountability/map.h"
#include "ledger/ledger.h"

namespace fundtrail::map {

struct ReportOptions {
  // A checkpoint note signed by the ledger's log key (checked here; Error
  // unusable when it is not one of this log). nullopt: the page says no
  // checkpoint was issued and proves nothing.
  std::optional<std::string> checkpoint;
  // fundtrail-verify's --json result for the same ledger and checkpoint,
  // shown beside the page's own checks; null when it was not run.
  nlohmann::json verifier;
  std::string verifier_note;  // why it was not run, when it was not
  size_t max_payments = 250;  // payments the page lists and proves
};

// Every figure the page shows: summary_json(m) (the headline equals `map
// summary --json`), parties, contracts, the graph, the payments it lists
// with each one's leaf bytes and proofs, the checkpoint and the log key.
nlohmann::json report_data(const Ledger& ledger, const Map& m, const ReportOptions& options);

// The page: the template with `data` embedded (as JSON in a script element,
// "</" escaped) and the styles, d3 and the page's scripts inlined.
std::string report_html(const nlohmann::json& data);

}  // namespace fundtrail::map
