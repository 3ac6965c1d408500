// fundtrail-verify --tiles against C2SP tlog-tiles written here, in the test,
// from the byte-level builder's records: an independent tile writer (plain
// recursive Merkle hashes, its own path spelling), so the verifier's reading
// of the layout is checked against the spec rather than against itself.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;

namespace {

// c2sp.org/tlog-tiles: index 1234067 -> "x001/x234/067".
std::string indexPath(uint64_t n) {
  std::string s = std::to_string(n);
  while (s.size() % 3) s = "0" + s;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 3) out += (i + 3 < s.size() ? "x" : "") + s.substr(i, 3) + (i + 3 < s.size() ? "/" : "");
  return out;
}

std::string tileName(const std::string& level, uint64_t index, size_t width) {
  return "tile/" + level + "/" + indexPath(index) + (width < 256 ? ".p/" + std::to_string(width) : "");
}

Bytes node(const Bytes& l, const Bytes& r) { return sha256(Bytes(1, '\1') + l + r); }

// Every file a tree of `size` leaves publishes: path -> bytes (checkpoint excluded).
std::map<std::string, Bytes> tilesOf(const std::vector<Bytes>& leaves, size_t size) {
  std::map<std::string, Bytes> files;
  std::vector<Bytes> level;  // the hashes at tree level 8L: roots of perfect subtrees of 256^L leaves
  for (size_t i = 0; i < size; ++i) level.push_back(leafHash(leaves[i]));
  for (size_t i = 0; i < size; i += 256) {
    Bytes bundle;
    for (size_t k = i; k < std::min(size, i + 256); ++k)
      bundle += Bytes{char(leaves[k].size() >> 8), char(leaves[k].size() & 0xff)} + leaves[k];
    files[tileName("entries", i / 256, std::min<size_t>(256, size - i))] = bundle;
  }
  for (int L = 0; !level.empty(); ++L) {
    for (size_t i = 0; i < level.size(); i += 256) {
      Bytes tile;
      for (size_t k = i; k < std::min(level.size(), i + 256); ++k) tile += level[k];
      files[tileName(std::to_string(L), i / 256, std::min<size_t>(256, level.size() - i))] = tile;
    }
    std::vector<Bytes> up;
    for (size_t i = 0; i + 256 <= level.size(); i += 256) {
      std::vector<Bytes> v(level.begin() + long(i), level.begin() + long(i) + 256);
      while (v.size() > 1) {
        std::vector<Bytes> w;
        for (size_t k = 0; k < v.size(); k += 2) w.push_back(node(v[k], v[k + 1]));
        v = w;
      }
      up.push_back(v[0]);
    }
    level = up;
  }
  return files;
}

// A ledger of more than 256 records: full and partial tiles at level 0, a
// partial one at level 1, a full and a partial entry bundle.
struct Published {
  Standard s;
  std::vector<Bytes> leaves;
  std::string dir = tempDir();
  std::string pub = dir + "/pub";
  size_t size;
  std::map<std::string, Bytes> files;
  explicit Published(size_t records = 300, size_t publishSize = 0) {
    while (s.L.records.size() < records)
      s.L.assign("council", "carers-trust", "subject " + std::to_string(s.L.records.size()), {&s.council});
    leaves = s.L.leaves();
    size = publishSize ? publishSize : leaves.size();
    files = tilesOf(leaves, size);
    files["checkpoint"] = s.L.checkpoint(size);
    for (const auto& [path, bytes] : files) put(path, bytes);
  }
  void put(const std::string& path, const Bytes& bytes) {
    std::filesystem::create_directories(std::filesystem::path(pub + "/" + path).parent_path());
    writeFile(pub + "/" + path, bytes);
  }
  std::string file(const std::string& name, const std::string& text) {
    writeFile(dir + "/" + name, text);
    return dir + "/" + name;
  }
  Result verify(const std::string& extra = "", const std::string& where = "") {
    return runVerify("--tiles " + quote(where.empty() ? pub : where) + " --log-key " + quote(s.L.logKeyText()) + " " + extra);
  }
};

bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

// A line of the failures list names `path` (not merely the checkpoints section).
bool failureNames(const Result& r, const std::string& path) {
  size_t start = 0;
  for (size_t end; (end = r.out.find('\n', start)) != std::string::npos; start = end + 1) {
    std::string line = r.out.substr(start, end - start);
    if ((line.rfind("  tiles: ", 0) == 0 || line.rfind("  checkpoints: ", 0) == 0) && line.find(path) != std::string::npos)
      return true;
  }
  return false;
}

}  // namespace

TEST_CASE("verifier: tiles: a published log passes and every record check runs on its bundles") {
  Published p;
  REQUIRE(p.files.count("tile/0/000"));
  REQUIRE(p.files.count("tile/0/001.p/44"));
  REQUIRE(p.files.count("tile/1/000.p/1"));
  REQUIRE(p.files.count("tile/entries/001.p/44"));
  Result r = p.verify("--json");
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["input"]["kind"] == "tiles");
  CHECK(j["counts"]["records"] == 300);
  CHECK(j["checkpoints"][0]["status"] == "matches the records");
  CHECK(j["checkpoints"][0]["file"] == p.pub + "/checkpoint");
  bool tilesListed = false;
  for (const auto& c : j["checks"]) {
    CAPTURE(c);
    bool optional = c["name"] == "witnesses" || c["name"] == "statement";  // nothing given to check them with
    CHECK(c["status"] == (optional ? "skipped" : "pass"));
    tilesListed |= c["name"] == "tiles";
  }
  CHECK(tilesListed);
  // The same totals as the same records read from a bundle.
  std::string bundle = p.dir + "/ledger.bundle";
  writeBundle(bundle, p.leaves);
  auto b = nlohmann::json::parse(runVerify(quote(bundle) + " --json").out);
  CHECK(b["totals"] == j["totals"]);
  CHECK(b["checks"].size() + 1 == j["checks"].size());  // `tiles` is listed only for --tiles

  Result text = p.verify();
  CHECK(text.rc == 0);
  CHECK(has(text, "All 5 hash tiles and entry bundles a tree of size 300 needs are published"));
  CHECK(has(text, "Records 0..299 are exactly the records the log committed to"));
  // file:// and a trailing slash name the same directory.
  CHECK(p.verify("", "file://" + p.pub + "/").rc == 0);
}

TEST_CASE("verifier: tiles: a record breaking a ledger rule in a bundle fails with its seq") {
  Standard s;
  uint64_t bad = s.L.pay("carers-trust", "council", 99999999, {&s.council});  // not carers-trust's key: rule 1
  std::string dir = tempDir();
  std::map<std::string, Bytes> files = tilesOf(s.L.leaves(), s.L.records.size());
  files["checkpoint"] = s.L.checkpoint(s.L.records.size());
  for (const auto& [path, bytes] : files) {
    std::filesystem::create_directories(std::filesystem::path(dir + "/" + path).parent_path());
    writeFile(dir + "/" + path, bytes);
  }
  Result r = runVerify("--tiles " + quote(dir) + " --log-key " + quote(s.L.logKeyText()));
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(has(r, "seq " + std::to_string(bad) + ": rule 1: "));
}

TEST_CASE("verifier: tiles: a flipped byte in any tile or bundle or the checkpoint fails naming that file") {
  Published p;
  for (const auto& [path, bytes] : p.files) {
    for (size_t at : {size_t(0), bytes.size() / 2 + 1, bytes.size() - 1}) {
      Bytes flipped = bytes;
      flipped[at] = char(flipped[at] ^ 0x01);
      p.put(path, flipped);
      Result r = p.verify();
      CAPTURE(path);
      CAPTURE(at);
      CAPTURE(r.out);
      CHECK(r.rc == 1);
      CHECK(failureNames(r, p.pub + "/" + path));
      CHECK(has(r, "result: FAIL (exit 1)"));
      p.put(path, bytes);
    }
  }
  CHECK(p.verify().rc == 0);  // every file was put back
}

TEST_CASE("verifier: tiles: a missing partial tile or bundle is a failure naming its path") {
  Published p;
  for (const char* path : {"tile/0/001.p/44", "tile/1/000.p/1", "tile/entries/001.p/44", "tile/0/000"}) {
    std::filesystem::remove(p.pub + "/" + path);
    Result r = p.verify();
    CAPTURE(path);
    CAPTURE(r.out);
    CHECK(r.rc == 1);
    CHECK(has(r, "tiles: " + p.pub + "/" + path + ": missing: a tree of size 300 needs this"));
    p.put(path, p.files[path]);
  }
  // A partial tile of the wrong width is not the one the size needs.
  std::filesystem::rename(p.pub + "/tile/0/001.p/44", p.pub + "/tile/0/001.p/43");
  Result r = p.verify();
  CHECK(r.rc == 1);
  CHECK(has(r, p.pub + "/tile/0/001.p/44: missing"));
}

TEST_CASE("verifier: tiles: a changed full tile is named with the first hash that differs") {
  Published p;
  // Hash 7 of the full level-0 tile replaced by another record's leaf hash.
  Bytes tile = p.files["tile/0/000"];
  tile.replace(7 * 32, 32, leafHash(p.leaves[8]));
  p.put("tile/0/000", tile);
  Result r = p.verify();
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(has(r, "tiles: " + p.pub + "/tile/0/000: hash 7 is " + b64(leafHash(p.leaves[8])) + " but record 7 in " +
                   p.pub + "/tile/entries/000 hashes to " + b64(leafHash(p.leaves[7]))));
  // The records themselves are fine, and they match the checkpoint.
  CHECK(has(r, "PASS  rule 1"));
  CHECK(has(r, "size 300, matches the records"));
  p.put("tile/0/000", p.files["tile/0/000"]);

  // The level-1 hash of that tile, rewritten.
  p.put("tile/1/000.p/1", sha256("another history"));
  r = p.verify();
  CHECK(r.rc == 1);
  CHECK(has(r, p.pub + "/tile/1/000.p/1: hash 0 (leaves 0..255) is " + b64(sha256("another history"))));
  CHECK(has(r, "the published hash tiles give root"));
}

TEST_CASE("verifier: tiles: wrong lengths and bad framing are named") {
  Published p;
  p.put("tile/0/000", p.files["tile/0/000"] + Bytes(1, 'x'));
  Result r = p.verify();
  CHECK(r.rc == 1);
  CHECK(has(r, p.pub + "/tile/0/000: longer than 8192 bytes"));
  p.put("tile/0/000", p.files["tile/0/000"].substr(0, 8191));
  r = p.verify();
  CHECK(has(r, p.pub + "/tile/0/000: 8191 bytes; a tile of 256 hashes is 8192"));
  p.put("tile/0/000", p.files["tile/0/000"]);

  p.put("tile/entries/001.p/44", p.files["tile/entries/001.p/44"] + "garbage");
  r = p.verify();
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(has(r, p.pub + "/tile/entries/001.p/44: 7 bytes follow its 44 entries"));
  CHECK(has(r, "not checked: the entry bundles are incomplete"));
  CHECK(has(r, "records 256,"));  // no record of a mis-framed bundle is believed
  Bytes cut = p.files["tile/entries/001.p/44"];
  p.put("tile/entries/001.p/44", cut.substr(0, cut.size() - 10));
  r = p.verify();
  CHECK(r.rc == 1);
  CHECK(has(r, p.pub + "/tile/entries/001.p/44: entry 43 (record 299) says"));
}

TEST_CASE("verifier: tiles: a rolled-back or rewritten log fails against a trusted older checkpoint") {
  // The log signed size 310, then published only 300.
  Published p(310, 300);
  std::string later = p.file("cp310", p.s.L.checkpoint(310));
  Result r = p.verify("--checkpoint " + quote(later));
  CAPTURE(r.out);
  CHECK(r.rc == 1);
  CHECK(has(r, "consistency: " + later + ": it commits to 310 records but the published checkpoint " + p.pub +
                   "/checkpoint only to 300: the published log was rolled back"));
  CHECK(has(r, "size 310, rolled back"));

  // An older checkpoint of this very history is extended by the published log.
  std::string older = p.file("cp200", p.s.L.checkpoint(200));
  std::string first = p.file("cp1", p.s.L.checkpoint(1));
  r = p.verify("--checkpoint " + quote(older) + " --checkpoint " + quote(first));
  CHECK(r.rc == 0);
  CHECK(has(r, "size 200, matches the records"));
  CHECK(has(r, "The published log extends every older --checkpoint given"));

  // An older checkpoint of another history (record 150 different), signed by the log key:
  // the published log does not extend it, even though it is consistent with itself.
  std::vector<Bytes> other = p.leaves;
  other[150][other[150].size() - 1] ^= 1;
  std::string body = p.s.L.origin + "\n200\n" + b64(rootOf(other, 200)) + "\n";
  std::string forked = p.file("forked", signNote(body, p.s.L.origin, p.s.L.log));
  r = p.verify("--checkpoint " + quote(forked));
  CHECK(r.rc == 1);
  CHECK(has(r, "consistency: " + forked + ": the published hash tiles give root " + b64(rootOf(p.leaves, 200)) +
                   " for size 200: the published log of size 300 does not extend this checkpoint"));
}

TEST_CASE("verifier: tiles: the published checkpoint must be signed by the trusted key and name the origin") {
  Published p;
  Keypair other = Keypair::fromSeed("someone else");
  std::string body = p.s.L.origin + "\n300\n" + b64(rootOf(p.leaves, 300)) + "\n";
  p.put("checkpoint", signNote(body, p.s.L.origin, other));
  Result r = p.verify();
  CHECK(r.rc == 1);
  CHECK(has(r, "checkpoints: " + p.pub + "/checkpoint: it carries no signature by the log key"));

  p.put("checkpoint", "not a note\n");
  r = p.verify("--json");
  CHECK(r.rc == 1);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["failures"][0]["text"].get<std::string>().find(p.pub + "/checkpoint: not a valid checkpoint") !=
        std::string::npos);
  CHECK(j["checkpoints"][0]["status"] == "malformed");
  CHECK(j["counts"]["records"] == 0);
  for (const auto& c : j["checks"])
    if (c["name"] == "rule 1") CHECK(c["status"] == "skipped");
}

TEST_CASE("verifier: tiles: witnesses must have cosigned the published checkpoint") {
  Published p;
  Keypair w = Keypair::fromSeed("witness one");
  std::string wkey = verifierKey("witness.example/one", 0x04, w);
  Result r = p.verify("--witness " + quote(wkey));
  CHECK(r.rc == 1);
  CHECK(has(r, "cosigned by 0 of the 1 named witnesses, 1 required"));
  std::string cp = p.files["checkpoint"];
  std::string text = cp.substr(0, cp.find("\n\n") + 1);
  p.put("checkpoint", cp + cosignLine(text, "witness.example/one", w, 1764000000));
  r = p.verify("--witness " + quote(wkey));
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(has(r, "cosigned by witness.example/one"));
}

TEST_CASE("verifier: tiles: unusable input is exit 2 and usage errors are exit 2") {
  Published p;
  Result r = p.verify("", p.dir + "/no-such-dir");
  CHECK(r.rc == 2);
  CHECK(has(r, "cannot read " + p.dir + "/no-such-dir"));
  std::filesystem::remove(p.pub + "/checkpoint");
  r = p.verify();
  CHECK(r.rc == 2);
  CHECK(has(r, p.pub + "/checkpoint does not exist"));
  CHECK(p.verify("", "ftp://example.org/log/").rc == 2);
  // Nothing listens on port 1: an HTTP failure says nothing about the log.
  r = p.verify("", "http://127.0.0.1:1/");
  CHECK(r.rc == 2);
  CHECK(has(r, "cannot fetch http://127.0.0.1:1/checkpoint"));
  // Both a ledger and --tiles, or neither.
  CHECK(runVerify(quote(p.pub) + " --tiles " + quote(p.pub)).rc == 2);
  CHECK(runVerify("--log-key " + quote(p.s.L.logKeyText())).rc == 2);
}

TEST_CASE("verifier: tiles: a full level-1 tile is rebuilt from 65536 records and a change in it is named") {
  // 65,536 + 5 records: 256 full level-0 tiles, one full level-1 tile, a
  // partial level-2 tile. The records are cheap assignments.
  Published p(65541);
  REQUIRE(p.files.count("tile/1/000"));
  REQUIRE(p.files.count("tile/2/000.p/1"));
  Result r = p.verify();
  CAPTURE(r.out.substr(0, 3000));
  CHECK(r.rc == 0);
  Bytes tile = p.files["tile/1/000"];
  tile[200 * 32 + 3] ^= 0x40;
  p.put("tile/1/000", tile);
  r = p.verify();
  CHECK(r.rc == 1);
  CHECK(has(r, "tiles: " + p.pub + "/tile/1/000: hash 200 (leaves 51200..51455) is "));
}
