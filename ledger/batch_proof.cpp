#include "ledger/batch_proof.h"

#include <algorithm>
#include <string>

#include "ledger/batch.h"
#include "ledger/error.h"
#include "ledger/record.h"

namespace fundtrail {
namespace {

[[noreturn]] void damaged(uint64_t seq, uint64_t batch_seq, const std::string& why) {
  throw Error(ErrorKind::unusable, "the ledger is damaged: record " + std::to_string(seq) + " names batch " +
                                       std::to_string(batch_seq) + ", " + why + " (run 'fundtrail check')");
}

uint64_t batch_of(const Ledger& ledger, uint64_t seq) {
  if (seq >= ledger.size())
    throw Error(ErrorKind::unusable,
                "no record at seq " + std::to_string(seq) + " (the ledger has " + std::to_string(ledger.size()) + ")");
  uint64_t batch_seq = Record(ledger.leaf(seq)).leaf().getBatchSeq();
  if (batch_seq == 0)
    throw Error(ErrorKind::unusable, "record " + std::to_string(seq) +
                                         " was signed on its own, not in a payment run: prove it is in the log with "
                                         "'fundtrail proof inclusion " + std::to_string(seq) + "'");
  return batch_seq;
}

// The run's leaf hashes; damage is reported as found from record `seq`.
std::vector<Hash> leaves_of(const Ledger& ledger, uint64_t batch_seq, uint64_t seq) {
  Record batch(ledger.leaf(batch_seq));
  if (!batch.entry().getBody().isBatch()) damaged(seq, batch_seq, "which is not a batch record");
  auto body = batch.entry().getBody().getBatch();
  uint64_t count = body.getCount();
  std::vector<Hash> leaves;
  leaves.reserve(count);
  ledger.for_each(batch_seq + 1, std::min(batch_seq + 1 + count, ledger.size()), [&](uint64_t, std::span<const uint8_t> bytes) {
    Record rec(bytes);  // owns what getEntry() reads
    auto entry = rec.leaf().getEntry();
    leaves.push_back(batch_leaf_hash({entry.begin(), entry.size()}));
    return true;
  });
  // The root was checked when the run was appended; a path to any other root
  // would be useless to the reader, so say so rather than hand one out.
  auto root = body.getRoot();
  Hash got = batch_root(leaves);
  if (leaves.size() != count || root.size() != got.size() || !std::equal(got.begin(), got.end(), root.begin()))
    damaged(seq, batch_seq, "whose signed root is not the root of its records");
  return leaves;
}

}  // namespace

std::vector<Hash> run_leaf_hashes(const Ledger& ledger, uint64_t batch_seq) { return leaves_of(ledger, batch_seq, batch_seq + 1); }

BatchProof batch_proof(const Ledger& ledger, uint64_t seq, const std::vector<Hash>& run_leaves) {
  uint64_t batch_seq = batch_of(ledger, seq);
  uint64_t count = run_leaves.size();
  if (seq <= batch_seq || seq - batch_seq > count) damaged(seq, batch_seq, "whose count " + std::to_string(count) + " does not reach it");
  BatchProof p;
  p.batch_seq = batch_seq;
  p.index = seq - batch_seq - 1;
  p.count = count;
  p.leaf_hash = run_leaves[p.index];
  p.hashes = batch_path(run_leaves, p.index);
  return p;
}

BatchProof batch_proof(const Ledger& ledger, uint64_t seq) {
  uint64_t batch_seq = batch_of(ledger, seq);
  return batch_proof(ledger, seq, leaves_of(ledger, batch_seq, seq));
}

}  // namespace fundtrail
