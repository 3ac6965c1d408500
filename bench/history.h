// `fundtrail balance PARTY --as-of DATE|SEQ` timed as whole processes: the
// figures of the balance history index (issue 25, docs/decisions.md).
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace fundtrail::bench {

// The median wall time of `runs` processes of `fundtrail --ledger DIR balance
// PARTY --as-of DATE` and of the same with `--as-of SEQ`, in ms:
// {balance_as_of_ms: the slower median, balance_as_of_date_ms,
// balance_as_of_seq_ms, plus each one's samples}. A run that does not exit 0
// throws std::runtime_error naming the command.
nlohmann::json time_balance_as_of(const std::string& fundtrail_bin, const std::string& dir, const std::string& party,
                                  const std::string& date, uint64_t seq, int runs = 5);

}  // namespace fundtrail::bench
