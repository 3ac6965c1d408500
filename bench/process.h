// Runs the programs whose figures the bench reports, as whole processes.
#pragma once
#include <string>
#include <vector>

namespace fundtrail::bench {

struct ProcessResult {
  int status = -1;        // exit code, or -1 when it did not exit normally
  double seconds = 0;     // wall time from spawn to exit
  double peak_anon_mib = 0;   // the largest sum of RssAnon over the process and its descendants
  double peak_total_mib = 0;  // the same for VmRSS: mapped file pages included
};

// Runs argv with output discarded and samples the memory of its whole
// process tree every few milliseconds. fundtrail-verify does its reading in a
// forked child, so the parent alone would show almost nothing.
ProcessResult run_sampled(const std::vector<std::string>& argv);

// Runs argv with output discarded and `env` added, waiting without polling;
// the wall time in seconds, or -1 when it did not exit 0.
double run_timed(const std::vector<std::string>& argv, const std::vector<std::string>& env);

}  // namespace fundtrail::bench
