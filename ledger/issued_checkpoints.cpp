#include "ledger/issued_checkpoints.h"

#include <optional>
#include <string>

#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/index.h"
#include "ledger/note.h"

namespace fundtrail {
namespace {

[[noreturn]] void conflict(uint64_t size, const std::string& why) {
  refuse("checkpoint", "", std::nullopt,
         "the ledger conflicts with the checkpoint it issued for size " + std::to_string(size) + ": " + why +
             "; nothing was written. Its records or tree were changed after that checkpoint was published: run "
             "fundtrail-verify on this directory with that checkpoint, and restore the directory that issued it");
}

Checkpoint body_of(uint64_t size, std::string_view note) {
  std::string why;
  auto split = split_note(note, why);
  std::optional<Checkpoint> cp;
  if (split) cp = parse_checkpoint_body(split->first, why);
  if (!cp) conflict(size, "the stored checkpoint cannot be read (" + why + ")");
  if (cp->size != size) conflict(size, "the stored checkpoint says size " + std::to_string(cp->size));
  return *cp;
}

// `cp` is consistent with the tree of `head_size` records: the tree has its
// records, the same root at its size, and extends it.
void check_against(const Checkpoint& cp, uint64_t head_size, const SubtreeReader& read) {
  if (cp.size > head_size)
    conflict(cp.size, "the ledger holds only " + std::to_string(head_size) + " records (were records removed?)");
  Hash old_root = tree_root(read, cp.size);
  if (old_root != cp.root)
    conflict(cp.size, "the tree's root at that size is " + base64(old_root) + ", the checkpoint's " + base64(cp.root));
  if (cp.size == head_size || cp.size == 0) return;
  Hash new_root = tree_root(read, head_size);
  std::string why;
  if (!verify_consistency(cp.size, head_size, cp.root, new_root, consistency_proof(read, cp.size, head_size), why))
    conflict(cp.size, "the tree of " + std::to_string(head_size) + " records does not extend it (" + why + ")");
}

std::optional<Checkpoint> largest_issued(const Txn& txn) {
  Cursor cur(txn, txn.dbs().checkpoints);
  if (!cur.last()) return std::nullopt;
  return body_of(index::read_seq(cur.key(), "checkpoints key"), cur.value());
}

}  // namespace

void check_issued_checkpoints(const Txn& txn, uint64_t head_size, const SubtreeReader& read) {
  if (auto largest = largest_issued(txn)) check_against(*largest, head_size, read);
}

void check_new_checkpoint(const Txn& txn, uint64_t size, std::string_view note, uint64_t head_size,
                          const SubtreeReader& read) {
  auto largest = largest_issued(txn);
  if (largest) check_against(*largest, head_size, read);
  Checkpoint fresh = body_of(size, note);
  check_against(fresh, head_size, read);
  // An older size: its root must lead to the largest issued one too, or a
  // changed hash below that checkpoint's subtrees would go unseen.
  std::string why;
  if (largest && fresh.size < largest->size && fresh.size > 0 &&
      !verify_consistency(fresh.size, largest->size, fresh.root, largest->root,
                          consistency_proof(read, fresh.size, largest->size), why))
    conflict(largest->size, "the tree's root at size " + std::to_string(size) + " does not lead to it (" + why + ")");
  if (auto stored = txn.get(txn.dbs().checkpoints, index::seq_key(size))) {
    Checkpoint old = body_of(size, *stored);
    if (old.body != fresh.body)
      conflict(size, "a checkpoint with another body is already stored for that size, and an issued checkpoint is "
                     "never replaced");
  }
}

}  // namespace fundtrail
