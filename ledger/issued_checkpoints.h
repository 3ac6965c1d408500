// The checkpoints a writer issued bind it (DESIGN.md "Storage"): it never
// extends or signs a tree that is inconsistent with one of them, and never
// overwrites one. A rollback to fewer records, a rewritten or reordered
// record, or a changed stored tree hash all show here as a conflict with the
// largest issued checkpoint, and the writer stops (check "checkpoint",
// exit 2) instead of signing a second root for a size it already published.
//
// Thread safety: called inside the caller's LMDB transaction.
#pragma once
#include <cstdint>
#include <string_view>

#include "ledger/merkle.h"
#include "ledger/store.h"

namespace fundtrail {

// Refuses (check "checkpoint") unless the tree of `head_size` records, read
// through `read`, extends the largest checkpoint issued in `txn`: that checkpoint's
// size is at most head_size, the tree's root at its size is its root, and a
// consistency proof from it to head_size verifies. No checkpoint: nothing to
// check. O(log n) reads.
void check_issued_checkpoints(const Txn& txn, uint64_t head_size, const SubtreeReader& read);

// Refuses (check "checkpoint") storing `note` for `size` unless its body is a
// checkpoint of exactly `size` records whose root is the tree's root at that
// size, consistent with the largest issued checkpoint, and, when a checkpoint
// is already stored for `size`, with the same body (cosignature lines may be
// added; the checkpoint itself is never replaced).
void check_new_checkpoint(const Txn& txn, uint64_t size, std::string_view note, uint64_t head_size,
                          const SubtreeReader& read);

}  // namespace fundtrail
