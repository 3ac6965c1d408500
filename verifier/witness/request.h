// The body of a C2SP tlog-witness add-checkpoint request (c2sp.org/tlog-witness):
//   old <size>\n  <base64 hash>\n (0 to 63 lines)  \n  <checkpoint note>
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "merkle.h"

namespace fv::witness {

constexpr size_t kMaxProofLines = 63;      // the spec's limit on the client
constexpr size_t kMaxRequestBytes = 65536; // a checkpoint with 100 signatures fits many times over

struct AddCheckpointRequest {
  uint64_t oldSize = 0;
  std::vector<Hash> proof;
  std::string checkpoint;  // the signed note, as sent
};

// Strict: every line ends in '\n', the size has no leading zeros, each proof
// line is base64 of 32 bytes. nullopt with `error` saying what is wrong.
std::optional<AddCheckpointRequest> parseAddCheckpoint(std::string_view body, std::string& error);

// ASCII decimal, no sign, no leading zero (except "0"), fits 64 bits.
std::optional<uint64_t> parseSize(std::string_view s);

}  // namespace fv::witness
