// Damaged files (docs/reliability.md "Damaged files"): random byte flips and
// truncations of data.mdb and of bundles. The verifier reports a failure or
// refuses the input, never passes damaged records, and neither it nor the
// CLI crashes or hangs (every run is under a timeout); the CLI refuses to
// write to a ledger whose head does not check.
#include "test_reliability_support.h"

using namespace fundtrail::test;
using namespace fundtrail::test::rel;

namespace {

struct Damaged {
  Books b;
  std::string data;    // pristine data.mdb bytes
  std::string bundle;  // pristine bundle bytes
  std::string cp;      // path of a trusted checkpoint over every record
  uint64_t records = 0;
  std::vector<std::string> leaves;  // every record's bytes, by seq
  // Where each record's bytes sit in data.mdb, for records stored exactly once
  // (LMDB's copy-on-write leaves stale copies of some pages in free pages).
  std::vector<std::pair<size_t, size_t>> unique_spans;

  Damaged() {
    write_file(b.file("rows.csv"), payments_csv("council", "ace", "3.00", 300, "d"));
    b.ok({"import", b.file("rows.csv"), "--key", b.key("council")});
    write_file(b.file("cp.txt"), b.ok({"checkpoint"}).out);
    cp = b.file("cp.txt");
    b.ok({"export-bundle", b.file("pristine.bundle")});
    bundle = read_file(b.file("pristine.bundle"));
    data = read_file(b.ledger / "data.mdb");
    // The bundle (docs/bundle.md): magic (20 bytes), count (8, big-endian),
    // then each record as a 2-byte big-endian length and its leaf bytes.
    REQUIRE(bundle.size() > 28);
    for (int i = 20; i < 28; ++i) records = records << 8 | uint8_t(bundle[i]);
    REQUIRE(records == b.size());
    for (size_t off = 28; off < bundle.size();) {
      size_t len = size_t(uint8_t(bundle[off])) << 8 | uint8_t(bundle[off + 1]);
      leaves.push_back(bundle.substr(off + 2, len));
      off += 2 + len;
    }
    REQUIRE(leaves.size() == records);
    for (const std::string& leaf : leaves) {
      size_t at = data.find(leaf);
      REQUIRE(at != std::string::npos);
      if (data.find(leaf, at + 1) == std::string::npos) unique_spans.emplace_back(at, leaf.size());
    }
    REQUIRE(unique_spans.size() > records / 2);
  }

  // A fresh ledger directory holding `bytes` as its data.mdb.
  fs::path trial(const std::string& name, const std::string& bytes) const {
    fs::path dir = b.root / name;
    fs::create_directories(dir);
    write_file(dir / "data.mdb", bytes);
    fs::copy_file(b.ledger / "log.key", dir / "log.key", fs::copy_options::overwrite_existing);
    return dir;
  }
  bool cuts_record(size_t len) const {
    for (auto& [at, n] : unique_spans)
      if (at + n > len) return true;
    return false;
  }
  bool hits_record(const std::vector<size_t>& offsets) const {
    for (size_t o : offsets)
      for (auto& [at, len] : unique_spans)
        if (o >= at && o < at + len) return true;
    return false;
  }
  // A write attempt on a damaged ledger: it may succeed or be refused, never crash or hang.
  RunResult try_write(const fs::path& dir, const std::string& tag) const {
    RunOptions opt;
    opt.timeout_s = 60;
    return ft_raw({"--ledger", dir.string(), "pay", "--from", "council", "--to", "hope", "--amount", "1.00", "--mechanism",
                   "grant", "--idempotency-key", tag, "--key", b.key("council")},
                  opt);
  }
};

bool clean_exit(const RunResult& r) { return !r.timed_out && r.code >= 0 && r.code <= 2; }

}  // namespace

TEST_CASE("corruption: random byte flips in data.mdb never pass damaged records and never crash or hang") {
  if (!verifier_present()) return;
  Damaged d;
  std::mt19937_64 rng(1164883);
  int detected = 0, harmless = 0, writes_ok = 0;
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes = d.data;
    std::vector<size_t> offsets;
    int flips = 1 + int(rng() % 8);
    for (int i = 0; i < flips; ++i) {
      size_t o = rng() % bytes.size();
      bytes[o] = static_cast<char>(bytes[o] ^ (1 + rng() % 255));
      offsets.push_back(o);
    }
    fs::path dir = d.trial("flip-" + std::to_string(trial), bytes);
    CAPTURE(trial);
    Verdict v = verify(dir.string(), d.cp, d.b.log_key_text, 60);
    INFO(v.run);
    CHECK(clean_exit(v.run));
    if (d.hits_record(offsets)) CHECK(v.run.code != 0);  // a changed record is always caught
    (v.run.code == 0 ? harmless : detected)++;
    RunResult w = d.try_write(dir, "flip-" + std::to_string(trial));
    INFO(w);
    CHECK(clean_exit(w));
    if (w.code == 0) ++writes_ok;
  }
  MESSAGE("20 damaged copies: the verifier failed or refused ", detected, ", passed ", harmless,
          " (flips in free or unused bytes, records proven intact by the checkpoint); the CLI wrote to ", writes_ok);
}

TEST_CASE("corruption: a damaged last record stops every write and fails verification") {
  if (!verifier_present()) return;
  Damaged d;
  // The last record is the trailing one in its page; flip a byte in its middle.
  const std::string& last = d.leaves.back();
  size_t at = d.data.rfind(last);
  REQUIRE(at != std::string::npos);
  for (size_t off : {size_t(8), last.size() / 2, last.size() - 1}) {
    std::string bytes = d.data;
    // every copy, so whichever page is live holds the damage
    for (size_t p = bytes.find(last); p != std::string::npos; p = bytes.find(last, p + 1)) bytes[p + off] ^= 0x20;
    fs::path dir = d.trial("last-" + std::to_string(off), bytes);
    RunResult w = d.try_write(dir, "after-damage");
    INFO(w);
    CHECK(w.code == 2);
    CHECK(contains(w.err, "run fundtrail-verify"));
    CHECK(w.out.empty());
    Verdict v = verify(dir.string(), d.cp, d.b.log_key_text, 60);
    INFO(v.run);
    CHECK((v.run.code == 1 || v.run.code == 2));
  }
}

TEST_CASE("corruption: truncated data.mdb is refused by the verifier and the CLI without a crash") {
  if (!verifier_present()) return;
  Damaged d;
  std::mt19937_64 rng(75);
  std::vector<size_t> lengths = {0, 1, 4095, 4096, 8192, 2 * 4096 + 100, d.data.size() - 4096, d.data.size() - 1};
  for (int i = 0; i < 8; ++i) lengths.push_back(rng() % d.data.size());
  for (size_t len : lengths) {
    CAPTURE(len);
    fs::path dir = d.trial("cut-" + std::to_string(len), d.data.substr(0, len));
    Verdict v = verify(dir.string(), d.cp, d.b.log_key_text, 60);
    INFO(v.run);
    CHECK(clean_exit(v.run));
    // The last pages may hold only free or stale pages: cutting them loses no
    // record, and then a pass (records proven by the checkpoint) is right.
    if (d.cuts_record(len)) CHECK(v.run.code != 0);
    RunResult w = d.try_write(dir, "after-cut");
    INFO(w);
    CHECK(w.code == 2);
    CHECK(w.out.empty());
  }
}

TEST_CASE("corruption: every byte flip or truncation of a bundle is reported or refused") {
  if (!verifier_present()) return;
  Damaged d;
  Verdict good = verify(d.b.file("pristine.bundle"), d.cp, d.b.log_key_text);
  INFO(good.run);
  REQUIRE(good.run.code == 0);
  std::mt19937_64 rng(360);
  for (int trial = 0; trial < 30; ++trial) {
    std::string bytes = d.bundle;
    int flips = 1 + int(rng() % 4);
    for (int i = 0; i < flips; ++i) {
      size_t o = rng() % bytes.size();
      bytes[o] = static_cast<char>(bytes[o] ^ (1 + rng() % 255));
    }
    std::string path = d.b.file("flip-" + std::to_string(trial) + ".bundle");
    write_file(path, bytes);
    Verdict v = verify(path, d.cp, d.b.log_key_text, 60);
    CAPTURE(trial);
    INFO(v.run);
    CHECK(clean_exit(v.run));
    CHECK(v.run.code != 0);
  }
  std::vector<size_t> cuts = {0, 5, 20, 27, 28, 29, d.bundle.size() - 1};
  for (int i = 0; i < 13; ++i) cuts.push_back(rng() % d.bundle.size());
  for (size_t len : cuts) {
    std::string path = d.b.file("cut-" + std::to_string(len) + ".bundle");
    write_file(path, d.bundle.substr(0, len));
    Verdict v = verify(path, d.cp, d.b.log_key_text, 60);
    CAPTURE(len);
    INFO(v.run);
    CHECK(clean_exit(v.run));
    CHECK(v.run.code == 2);
  }
}
