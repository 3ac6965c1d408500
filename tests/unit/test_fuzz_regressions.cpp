// Inputs libFuzzer found (scripts/fuzz.sh), replayed as the fuzz targets
// replay them: each one crashed a target before its fix. The files live in
// tests/data/fuzz-regressions/<target>/ and are seeds in fuzz/corpus/ too.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/record.h"

using namespace fundtrail;

namespace {

std::vector<std::vector<uint8_t>> found_by(const std::string& target) {
  std::vector<std::vector<uint8_t>> out;
  for (auto& e : std::filesystem::directory_iterator(std::string(FUNDTRAIL_TEST_DATA) + "/fuzz-regressions/" + target)) {
    std::ifstream in(e.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE_FALSE(out.empty());
  return out;
}

std::string text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("fuzz regression fuzz_note: base64 with a byte outside the alphabet is refused") {
  // The fuzzer's checkpoint had an em dash inside its root hash; libsodium
  // decoded it to the same 32 bytes as the root without it: two spellings.
  for (auto& input : found_by("fuzz_note")) {
    std::string why;
    auto split = split_note(text(input), why);
    REQUIRE(split);
    CHECK_FALSE(parse_checkpoint_body(split->first, why));
    CHECK(why.find("root") != std::string::npos);
  }
  std::string out;
  CHECK_FALSE(from_base64("litUybeun0Bo3aRRSWoPLL+Tj8N8\xe2\x80\x94" "aItu5s3jWDBc=", out));
  CHECK_FALSE(from_base64("QQ=A", out));  // padding only at the end
  CHECK_FALSE(from_base64("QR==", out));  // non-zero trailing bits: a second spelling of "A"
  CHECK_FALSE(from_base64(" QQ=", out));
  CHECK_FALSE(from_base64("QQ==\n", out));
  REQUIRE(from_base64("QQ==", out));
  CHECK(out == "A");
  REQUIRE(from_base64("", out));
  CHECK(out.empty());
  const uint8_t bytes[] = {0xfb, 0xff, 0x00, 0x7f, 0x80};
  REQUIRE(from_base64(base64(bytes), out));
  CHECK(out == std::string(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

TEST_CASE("fuzz regression fuzz_record: canonical bytes whose fields have the wrong types are refused on decoding") {
  // Canonical form does not check types: the fuzzer's record had a text field
  // pointing at a struct, and reading it threw kj::Exception from money_effects
  // (a crash). Decoding now reads every field once and refuses such bytes.
  for (auto& input : found_by("fuzz_record")) {
    std::span<const uint8_t> bytes(input.data(), input.size());
    CHECK_THROWS_AS(Record{bytes}, Error);
    try {
      Record r(bytes);
    } catch (const Error& e) {
      CHECK(e.check == "format");  // malformed input: exit 2, like every other unusable input
      CHECK(e.kind == ErrorKind::unusable);
      CHECK(std::string(e.what()).find("cannot be decoded") != std::string::npos);
    }
    // The same bytes as a bare request are refused or read whole, never thrown past Error.
    try {
      EntryView v(bytes);
      money_effects(v.entry());
    } catch (const Error&) {
    }
  }
}
