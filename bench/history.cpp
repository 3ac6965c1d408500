#include "bench/history.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "bench/process.h"

namespace fundtrail::bench {

nlohmann::json time_balance_as_of(const std::string& fundtrail_bin, const std::string& dir, const std::string& party,
                                  const std::string& date, uint64_t seq, int runs) {
  nlohmann::json out;
  runs = std::max(runs, 1);
  // Median of `runs` whole processes, each waited for without polling.
  auto time = [&](const std::string& as_of, const std::string& key) {
    std::vector<std::string> argv{fundtrail_bin, "--ledger", dir, "balance", party, "--as-of", as_of};
    std::vector<double> ms;
    for (int i = 0; i < runs; ++i) {
      double seconds = run_timed(argv, {});
      if (seconds < 0) throw std::runtime_error("fundtrail balance " + party + " --as-of " + as_of + " failed on " + dir);
      ms.push_back(seconds * 1000);
    }
    out[key + "_samples"] = ms;
    std::sort(ms.begin(), ms.end());
    double median = ms[ms.size() / 2];
    out[key] = median;
    return median;
  };
  double by_date = time(date, "balance_as_of_date_ms");
  double by_seq = time(std::to_string(seq), "balance_as_of_seq_ms");
  out["balance_as_of_ms"] = std::max(by_date, by_seq);
  return out;
}

}  // namespace fundtrail::bench
