// SHA-256 hashing of the RFC 6962 / RFC 9162 Merkle tree.
#pragma once
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fundtrail {

using Hash = std::array<uint8_t, 32>;

Hash sha256(std::span<const uint8_t> data);
Hash leaf_hash(std::span<const uint8_t> leaf);           // SHA-256(0x00 || leaf)
Hash node_hash(const Hash& left, const Hash& right);     // SHA-256(0x01 || l || r)
Hash empty_tree_root();                                  // SHA-256("")

std::string base64(std::span<const uint8_t> data);       // standard, padded
bool from_base64(std::string_view text, std::string& out);  // strict; false on junk
std::string hex(std::span<const uint8_t> data);          // lower case

}  // namespace fundtrail
