// Witness cosignatures kept with the ledger's checkpoints. DESIGN.md
// "Storage": the `checkpoints` database holds each issued checkpoint with the
// cosignatures witnesses returned for it (they cannot be derived again), so a
// checkpoint is stored as one signed note: the log's line, then one line per
// witness key.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/ledger.h"

namespace fundtrail {

// The signature lines of `stored` and `fresh` on one note body: stored's
// lines in their order, each replaced by fresh's line of the same key name
// and id when fresh has one (a witness's newer cosignature replaces its older
// one), then fresh's lines by other keys. When the bodies differ, or `stored`
// does not parse, the result is `fresh`: lines over another body sign
// nothing here. `fresh` must be a well-formed note (std::invalid_argument).
std::string merge_note_signatures(std::string_view stored, std::string_view fresh);

// Merges `note` into the checkpoint stored for `size` and stores the result,
// under an exclusive lock on DIR/checkpoints.lock, so two commands adding
// lines at once (witness add, checkpoint) cannot drop each other's. Returns
// the stored note.
std::string keep_checkpoint(Ledger& ledger, uint64_t size, const std::string& note);

// The note stored for `size`, if any.
std::optional<std::string> stored_checkpoint(const Ledger& ledger, uint64_t size);

}  // namespace fundtrail
