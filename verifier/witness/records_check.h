// --tiles URL: before cosigning, the witness runs the full verifier over the
// log's published records (C2SP tlog-tiles) up to the submitted checkpoint,
// so its cosignature also means "every record up to this size passed every
// check" (docs/publishing.md, "What a witness promises").
#pragma once
#include <string>

#include "witness.h"

namespace fv::witness {

// A RecordCheck running fv::verify over the tiles at `tiles` (a directory,
// file:// or http(s):// URL) against the submitted checkpoint, trusting
// `logKey`. 0 every check passed, 1 one failed, 2 the tiles could not be read.
RecordCheck tilesCheck(std::string tiles, VerifierKey logKey);

}  // namespace fv::witness
