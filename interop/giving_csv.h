// Reads a 360Giving CSV file (the spreadsheet layout, schema titles as
// column headers) from a byte buffer, so a fuzz target can drive it.
#pragma once
#include <string_view>

#include "interop/giving_record.h"

namespace fundtrail::interop {

// UTF-8 with or without a byte-order mark, CRLF or LF, RFC 4180 quoting
// (fields may hold commas, quotes and line breaks). Header titles are
// matched without regard to case or to spaces around them and around ':';
// cells are trimmed of surrounding spaces, and an empty cell is a missing
// field. Each row becomes one record ("line N": the physical line it starts
// on, the header being line 1); rows of one grant are not merged here
// (merge_by_id). Throws a usage error for malformed CSV, a header without
// `Identifier`, a used column given twice, or a row longer than the header.
GivingFile read_giving_csv(std::string_view bytes);

}  // namespace fundtrail::interop
