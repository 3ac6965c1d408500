// Writing a file so that a reader never sees half of it (export-bundle,
// request files, cosign).
#pragma once
#include <string>

namespace fundtrail::cli {

// Writes to PATH.tmp, syncs and renames over PATH; on any failure (a full
// disk, a file size limit) the temporary file is removed and Error(unusable)
// says "nothing was written".
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace fundtrail::cli
