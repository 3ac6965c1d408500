// Inputs libFuzzer found in the verifier (scripts/fuzz.sh), replayed: each
// one failed fuzz_verify_note before its fix. Tests the verifier's own code
// (fundtrail_verify_core), never the writer's.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "note.h"

namespace {

std::vector<std::string> found_by(const std::string& target) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::directory_iterator(std::string(FUNDTRAIL_TEST_DATA) + "/fuzz-regressions/" + target)) {
    std::ifstream in(e.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE_FALSE(out.empty());
  return out;
}

}  // namespace

TEST_CASE("fuzz regression fuzz_verify_note: an empty base64 field and bytes outside the alphabet") {
  // An empty signature field reached libsodium with a null buffer (undefined
  // behaviour under UBSan); a byte outside the alphabet was skipped by libsodium.
  for (auto& input : found_by("fuzz_verify_note")) {
    std::string err;
    if (auto note = fv::parseNote(input, err)) (void)fv::parseCheckpoint(note->text, err);
    CHECK_FALSE(fv::parseCheckpoint(input, err));
  }
  auto empty = fv::base64Decode("");
  REQUIRE(empty);
  CHECK(empty->empty());
  CHECK_FALSE(fv::base64Decode("litUybeun0Bo3aRRSWoPLL+Tj8N8\xe2\x80\x94" "aItu5s3jWDBc="));
  CHECK_FALSE(fv::base64Decode("QQ=A"));
  CHECK_FALSE(fv::base64Decode("QR=="));
  CHECK_FALSE(fv::base64Decode("QQ==\n"));
  CHECK_FALSE(fv::base64Decode("Q\x80=="));
  auto a = fv::base64Decode("QQ==");
  REQUIRE(a);
  CHECK(*a == std::vector<uint8_t>{'A'});
  const std::vector<uint8_t> bytes{0xfb, 0xff, 0x00, 0x7f, 0x80};
  CHECK(fv::base64Decode(fv::base64Encode(bytes)) == bytes);
}
