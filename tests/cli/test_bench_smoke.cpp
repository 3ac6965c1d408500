// fundtrail-bench on a small ledger: the smoke run of bench/run.sh --quick,
// kept in the suite so that the figures dashboards read cannot silently go
// missing. It checks that every key of DESIGN.md "Benchmark output" is there
// and consistent, never how fast anything was.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "fixture.h"

#ifdef FUNDTRAIL_BENCH_BIN
using namespace fundtrail::test;

TEST_CASE("bench: a small run prints every figure DESIGN.md names, measured at the size asked for") {
  TempDir work;
  RunOptions opt;
  opt.timeout_s = 300;
  RunResult r = run(FUNDTRAIL_BENCH_BIN,
                    {"--records", "3000", "--min-payments", "3000", "--parties", "200", "--pays", "2", "--work",
                     (work.path / "b").string(), "--fundtrail", FUNDTRAIL_BIN, "--verify", FUNDTRAIL_VERIFY_BIN},
                    opt);
  INFO(r);
  REQUIRE(r.code == 0);
  std::string last = r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1);
  nlohmann::json j = nlohmann::json::parse(last);
  for (const char* key : {"ed25519_verify_per_s_2core", "sha256_leaf_hashes_per_s", "lmdb_batched_appends_per_s",
                          "verify_records_per_s", "import_records_per_s", "pay_ms_median", "unlock_ms_median",
                          "inclusion_proof_us", "map_build_s", "verify_peak_rss_mib", "verify_peak_rss_total_mib",
                          "disk_bytes_per_record", "record_bytes_mean", "records", "payments"}) {
    CAPTURE(key);
    REQUIRE(j.contains(key));
    CHECK(j[key].get<double>() > 0);
  }
  CHECK(j["verify_exit"] == 0);
  // Issue 25: the map commands as whole processes, each with its peak memory.
  for (const char* key : {"map_summary_s", "map_analysis_max_s", "map_peak_rss_mib", "map_export_graphml_s",
                          "map_export_graphml_peak_rss_mib"}) {
    CAPTURE(key);
    REQUIRE(j.contains(key));
    CHECK(j[key].get<double>() > 0);
  }
  CHECK(j["map_commands_exit"] == 0);
  CHECK(j["map_peak_rss_mib"].get<double>() >= j["map_summary_peak_rss_mib"].get<double>());
  CHECK(j["map_analysis_max_s"].get<double>() >= j["map_gaps_s"].get<double>());
  // 3,000 payments need more than 3,000 records: the ledger grew to hold them.
  CHECK(j["payments"].get<uint64_t>() >= 3000);
  CHECK(j["records"].get<uint64_t>() > j["payments"].get<uint64_t>());
  // The primitive is the median of its samples, and the ratios divide by it.
  auto samples = j["ed25519_verify_per_s_2core_samples"].get<std::vector<double>>();
  REQUIRE(samples.size() >= 5);
  REQUIRE(samples.size() % 2 == 1);
  std::sort(samples.begin(), samples.end());
  double middle = samples[samples.size() / 2];
  CHECK(j["ed25519_verify_per_s_2core"].get<double>() == middle);
  CHECK(j["verify_vs_ed25519_2core"].get<double>() == doctest::Approx(j["verify_records_per_s"].get<double>() / middle));
  // The verifier's memory is its whole process tree's: more than the parent
  // that only waits, less than what it maps.
  CHECK(j["verify_peak_rss_mib"].get<double>() > 2);
  CHECK(j["verify_peak_rss_mib"].get<double>() <= j["verify_peak_rss_total_mib"].get<double>());
}
#endif
