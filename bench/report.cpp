#include "bench/report.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>

#include "bench/process.h"
#include "bench/synthetic.h"

namespace fundtrail::bench {
namespace {

// One argument for popen's shell, single-quoted so that no character in it
// is special.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

nlohmann::json bench_report(const std::string& fundtrail_bin, const std::string& work) {
  nlohmann::json out;
  const char* chromium = "/usr/bin/chromium";
  if (::access(chromium, X_OK) != 0) {
    std::cerr << "report: chromium not installed, no report_* figures (bash scripts/deps.sh installs it)\n";
    return out;
  }
  std::string dir = work + "/report-ledger", page = work + "/report.html";
  const uint64_t parties = 5000, payments = 100000;
  std::cerr << "report: a " << parties << "-party ledger of " << payments << " payments...\n";
  SyntheticStats stats = build_synthetic(dir, payments, payments, parties, "bench", true);
  out["report_parties"] = parties;
  out["report_payments"] = stats.payments;
  std::cerr << "report: fundtrail report --html...\n";
  ProcessResult made = run_sampled({fundtrail_bin, "--ledger", dir, "report", "--html", page, "--no-verify"});
  out["report_build_s"] = made.seconds;
  out["report_build_peak_rss_mib"] = made.peak_total_mib;
  if (made.status != 0) {
    std::cerr << "report: fundtrail report failed (exit " << made.status << ")\n";
    return out;
  }
  out["report_bytes"] = std::filesystem::file_size(page);
  // Chromium dumps the DOM at the load event; the page's script has run by
  // then (it is inline at the end of the body) and recorded when it was
  // ready for the reader. The median of three opens.
  std::vector<double> interactive, browser;
  for (int i = 0; i < 3; ++i) {
    std::string cmd = quoted(chromium) + " --headless=new --no-sandbox --disable-gpu --window-size=1280,900 --dump-dom " +
                      quoted("file://" + std::filesystem::absolute(page).string()) + " 2>/dev/null";
    auto start = std::chrono::steady_clock::now();
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) break;
    std::string dom;
    std::array<char, 65536> buf;
    for (size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) dom.append(buf.data(), n);
    ::pclose(p);
    browser.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::smatch m;
    if (std::regex_search(dom, m, std::regex("data-interactive-ms=\"([0-9]+)\""))) interactive.push_back(std::stod(m[1]));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  if (interactive.empty()) {
    std::cerr << "report: the page did not say it was ready (see " << page << ")\n";
    return out;
  }
  out["report_interactive_ms"] = median(interactive);
  out["report_browser_s"] = median(browser);
  return out;
}

}  // namespace fundtrail::bench
