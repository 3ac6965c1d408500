// A realistic synthetic ledger: funders -> pools -> integrators -> providers,
// built through the ledger's own appends: every record signed on its own
// (append_batch), or, batched, as an import signs (DESIGN.md "Payment runs"):
// payment runs (append_run) approved once by their payers' officers, with
// the records no run may hold (key grants, assignments) signed on their own.
#pragma once
#include <cstdint>
#include <string>

namespace fundtrail::bench {

struct SyntheticStats {
  uint64_t records = 0;
  uint64_t payments = 0;
  double import_seconds = 0;  // the money phase whole: encoding, signing, appending
  uint64_t imported = 0;      // records made in that phase (batch records not counted)
  uint64_t runs = 0;          // payment runs in that phase (0 when signed per record)
  double record_bytes_mean = 0;
  std::string payer_party;    // an integrator with a sealed officer key, for `pay` timing
  std::string payee_party;
  std::string payer_key_file;
};

// Builds `records` records among `parties` parties in DIR (created anew), or
// more where that is needed to hold at least `min_payments` payments. The
// same records (keys, bodies) either way; `records` counts the records made,
// so a batched ledger also holds its batch records.
SyntheticStats build_synthetic(const std::string& dir, uint64_t records, uint64_t min_payments, uint64_t parties,
                               const std::string& passphrase, bool batched);

}  // namespace fundtrail::bench
