// Reads a 360Giving JSON file ({"grants": [...]}) from a byte buffer, so a
// fuzz target can drive it. Numbers keep their exact token (nlohmann's SAX
// interface hands over the raw text), so amounts never pass through double.
#pragma once
#include <string_view>

#include "interop/giving_record.h"

namespace fundtrail::interop {

// One record per element of the top-level "grants" array ("grants[N]",
// 0-based), holding the fields the import uses; every other field of a grant
// is listed once in `unused` by its path (array items after the first as "n":
// "beneficiaryLocation/n/geoCode"). Other top-level keys (version, ...) are
// ignored. null is a missing field. Throws a usage error for text that is not
// JSON, a root that is not an object, a missing or non-array "grants", a
// grant that is not an object, a field given twice, or nesting deeper than 32.
GivingFile read_giving_json(std::string_view bytes);

}  // namespace fundtrail::interop
