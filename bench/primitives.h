// Raw rates of the primitives every fundtrail figure is limited by, measured
// in the same run so that figures can be read as ratios on any machine.
#pragma once
#include <cstddef>

namespace fundtrail::bench {

// Verifications per second over `threads` threads, run for `seconds`, of
// `distinct` keys and 300-byte messages (about a payment entry's size) in
// turn. The bench's primitive uses 1,024; 1 shows how much a loop over one
// signature flatters the rate (the branch predictor learns it).
double ed25519_verify_per_s(unsigned threads, double seconds, size_t distinct = 1024);
double ed25519_sign_per_s(unsigned threads);
double sha256_leaf_hashes_per_s();              // SHA-256(0x00 || ~300-byte leaf)
double lmdb_batched_appends_per_s(const char* dir);  // MDB_APPEND, batches of 10,000, 300-byte values
// One 300-byte record per durable LMDB commit (the default sync): the rate a
// server without group commit could not exceed.
double durable_commits_per_s(const char* dir);

}  // namespace fundtrail::bench
