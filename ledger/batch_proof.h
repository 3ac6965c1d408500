// A record of a payment run, proved against the root its batch record's
// officers signed (DESIGN.md "Payment runs"): what `fundtrail proof batch`
// prints and what the HTML report embeds for each payment it shows.
#pragma once
#include <cstdint>
#include <vector>

#include "ledger/hash.h"
#include "ledger/ledger.h"

namespace fundtrail {

struct BatchProof {
  uint64_t batch_seq = 0, index = 0, count = 0;  // record seq = batch_seq + 1 + index
  Hash leaf_hash{};                              // SHA-256(0x00 || the record's Entry bytes)
  std::vector<Hash> hashes;                      // its path to the run's root, as an inclusion proof
};

// The leaf hashes of the records of the run whose batch record is
// `batch_seq`, checked against the root its officers signed. Error(unusable)
// naming the damage when the stored records do not make that root.
std::vector<Hash> run_leaf_hashes(const Ledger& ledger, uint64_t batch_seq);

// The proof for record `seq`, given its run's leaf hashes (run_leaf_hashes;
// several proofs of one run share them). Error(unusable) for a record signed
// on its own (saying to use an inclusion proof) or one its run does not reach.
BatchProof batch_proof(const Ledger& ledger, uint64_t seq, const std::vector<Hash>& run_leaves);
// The same, reading the run's records.
BatchProof batch_proof(const Ledger& ledger, uint64_t seq);

}  // namespace fundtrail
