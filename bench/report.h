// The HTML report at scale (issue 26): a 5,000-party, 100,000-payment ledger's
// page made by `fundtrail report`, then opened in headless Chromium.
#pragma once
#include <nlohmann/json.hpp>

#include <string>

namespace fundtrail::bench {

// Keys: report_parties, report_payments, report_build_s (the fundtrail
// process), report_bytes (the page), report_interactive_ms (from navigation
// to the page's script ready for the reader: tables, search and map live,
// as the page itself records it), report_browser_s (Chromium's whole
// process, start to DOM). Empty when chromium is not installed.
nlohmann::json bench_report(const std::string& fundtrail_bin, const std::string& work);

}  // namespace fundtrail::bench
