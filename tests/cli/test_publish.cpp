// publish --tiles: the files it writes, byte for byte, and incremental reruns
// that never rewrite an existing file (C2SP tlog-tiles; docs/transparency.md).
#include <sodium.h>
#include <sys/stat.h>

#include "fixture.h"

using namespace fundtrail::test;

namespace {
struct Stamp {
  ino_t inode;
  struct timespec mtime;
};
Stamp stamp(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return {st.st_ino, st.st_mtim};
}
bool same(const Stamp& a, const Stamp& b) {
  return a.inode == b.inode && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}
std::string leaf_hash(const std::string& leaf) {  // RFC 6962: SHA-256(0x00 || leaf)
  std::string in = std::string(1, '\0') + leaf;
  std::string out(32, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                     in.size());
  return out;
}
}  // namespace

TEST_CASE("publish --tiles: bundles and level-0 tiles hold the exact leaves and leaf hashes") {
  Books b;
  const std::string dir = b.file("site");
  json j = b.ok_json({"publish", "--tiles", dir, "--json"});
  CHECK(j["size"] == kStartSize);
  CHECK(j["written"] == 2);  // tile/0/000.p/12 and tile/entries/000.p/12
  CHECK(j["unchanged"] == 0);

  std::string bundle, tile;
  for (uint64_t i = 0; i < kStartSize; ++i) {
    std::string leaf = b.ok({"show", std::to_string(i), "--raw"}).out;
    REQUIRE(leaf.size() < 65536);
    bundle += static_cast<char>(leaf.size() >> 8);
    bundle += static_cast<char>(leaf.size() & 0xff);
    bundle += leaf;
    tile += leaf_hash(leaf);
  }
  CHECK(read_file(fs::path(dir) / "tile/entries/000.p/12") == bundle);
  CHECK(read_file(fs::path(dir) / "tile/0/000.p/12") == tile);
  // The checkpoint is the signed note `checkpoint` prints for that size (Ed25519 is deterministic).
  CHECK(read_file(fs::path(dir) / "checkpoint") == b.ok({"checkpoint", "--size", std::to_string(kStartSize)}).out);
}

TEST_CASE("publish --tiles: a rerun writes only new files and keeps every published partial tile") {
  Books b;
  const fs::path dir = b.file("site");
  json first = b.ok_json({"publish", "--tiles", dir.string(), "--size", "5", "--json"});
  CHECK(first["written"] == 2);
  Stamp t5 = stamp(dir / "tile/0/000.p/5"), e5 = stamp(dir / "tile/entries/000.p/5");
  std::string t5_bytes = read_file(dir / "tile/0/000.p/5");
  CHECK(t5_bytes.size() == 5 * 32);

  json second = b.ok_json({"publish", "--tiles", dir.string(), "--json"});
  CHECK(second["size"] == kStartSize);
  CHECK(second["written"] == 2);
  CHECK(second["unchanged"] == 0);
  CHECK(same(stamp(dir / "tile/0/000.p/5"), t5));  // the old partial tiles stay, untouched
  CHECK(same(stamp(dir / "tile/entries/000.p/5"), e5));
  CHECK(read_file(dir / "tile/0/000.p/12").substr(0, 5 * 32) == t5_bytes);

  Stamp t12 = stamp(dir / "tile/0/000.p/12");
  json again = b.ok_json({"publish", "--tiles", dir.string(), "--json"});
  CHECK(again["written"] == 0);
  CHECK(again["unchanged"] == 2);
  CHECK(same(stamp(dir / "tile/0/000.p/12"), t12));
  // No temporary files are left behind.
  for (auto& e : fs::recursive_directory_iterator(dir)) CHECK(e.path().filename().string().find(".tmp") == std::string::npos);
}

TEST_CASE("publish --tiles: a published file that differs is named and not overwritten and a rollback is refused") {
  Books b;
  const fs::path dir = b.file("site");
  b.ok({"publish", "--tiles", dir.string()});
  std::string cp = read_file(dir / "checkpoint");
  fs::path tile = dir / "tile/0/000.p/12";
  std::string bytes = read_file(tile);
  bytes[40] ^= 0x01;
  write_file(tile, bytes);

  RunResult r = b.ft({"publish", "--tiles", dir.string()});
  INFO(r);
  CHECK(r.code == 1);
  CHECK(contains(r.err, tile.string()));
  CHECK(contains(r.err, "not overwritten"));
  CHECK(read_file(tile) == bytes);
  CHECK(read_file(dir / "checkpoint") == cp);

  RunResult back = b.ft({"publish", "--tiles", dir.string(), "--size", "3"});
  INFO(back);
  CHECK(back.code == 1);
  CHECK(contains(back.err, "roll it back"));
  CHECK(read_file(dir / "checkpoint") == cp);

  RunResult too_big = b.ft({"publish", "--tiles", dir.string(), "--size", "99"});
  CHECK(too_big.code == 2);
  CHECK(contains(too_big.err, "larger than the ledger"));
}
