// A realistic synthetic ledger: funders -> pools -> integrators -> providers,
// every record signed, built through the ledger's own batched append.
#pragma once
#include <cstdint>
#include <string>

namespace fundtrail::bench {

struct SyntheticStats {
  uint64_t records = 0;
  uint64_t payments = 0;
  double import_seconds = 0;  // time inside append_batch for the money phase
  uint64_t imported = 0;      // records appended in that phase
  double record_bytes_mean = 0;
  std::string payer_party;    // an integrator with a sealed officer key, for `pay` timing
  std::string payee_party;
  std::string payer_key_file;
};

// Builds `records` records among `parties` parties in DIR (created anew), or
// more where that is needed to hold at least `min_payments` payments.
SyntheticStats build_synthetic(const std::string& dir, uint64_t records, uint64_t min_payments, uint64_t parties,
                               const std::string& passphrase);

}  // namespace fundtrail::bench
