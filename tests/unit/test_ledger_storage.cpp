// Storage: the hash chain, the stored Merkle tree against an independent
// RFC 6962 implementation, reopening, read-only use, unusable directories,
// the meta format check and the growing LMDB map.
#include <doctest/doctest.h>
#include <lmdb.h>
#include <sodium.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include "raw_lmdb.h"
#include "test_ledger_support.h"

using namespace ft_test;

namespace {

ErrorKind open_error(const std::string& dir, std::string& msg, bool read_only = false) {
  try {
    Ledger::open(dir, read_only);
  } catch (const Error& e) {
    msg = e.what();
    return e.kind;
  }
  msg = "(opened)";
  return ErrorKind::refused;  // not what any caller expects
}

}  // namespace

// ------------------------------------------------------------------ chain ---

namespace {
void build_mixed(World& w) {
  uint64_t c = w.append(w.contribution("council", "pool", 100000, {w.council_off}));
  w.append(w.contribution("nhs", "pool", 50000, {w.nhs_off}));
  w.append(w.payment("pool", "prime", 120000, {w.pool_off}, [&](spec::Payment& p) {
    p.funded_by = spec::FundedBy::entry(c);
    p.mechanism = schema::Mechanism::BLOCK;
    p.memo = "quarter 1";
  }));
  w.append(w.payment("prime", "charity", 30000, {w.prime_off}));
  uint64_t big = w.append(w.payment("council", "prime", 2 * kThreshold, {w.council_appr, w.council_off}));
  uint64_t a = w.append(w.assign("council", {"prime"}, "employment support", {w.council_off}));
  w.append(w.end_assignment(a, {w.admin}));
  w.append(w.reversal(big, {w.council_off2}));
  KeyPair k = generate_key("extra");
  w.append(w.grant("sme", k.pk, Role::APPROVER, {w.admin}));
  w.append(w.revoke("sme", k.pk, {w.admin}));
}
}  // namespace

TEST_CASE("chain: seq exact, prevHash = previous leaf hash, recordedAt non-decreasing, signatures sorted and valid") {
  World w;
  build_mixed(w);
  const uint64_t n = w.L().size();
  REQUIRE(n >= 25);
  Hash prev{};  // genesis: 32 zero bytes
  int64_t last_recorded = std::numeric_limits<int64_t>::min();
  for (uint64_t i = 0; i < n; ++i) {
    CAPTURE(i);
    Bytes bytes = w.L().leaf(i);
    CHECK(bytes.size() <= 65535);
    Record r(bytes);
    auto leaf = r.leaf();
    CHECK(leaf.getSeq() == i);
    auto ph = leaf.getPrevHash();
    REQUIRE(ph.size() == 32);
    CHECK(std::memcmp(ph.begin(), prev.data(), 32) == 0);
    CHECK(leaf.getRecordedAt() >= last_recorded);
    last_recorded = leaf.getRecordedAt();
    CHECK(std::string(r.entry().getOrigin().cStr()) == w.origin);
    CHECK((i == 0) == r.entry().getBody().isGenesis());
    auto sigs = leaf.getSignatures();
    REQUIRE(sigs.size() >= 1);
    auto entry = leaf.getEntry();
    for (unsigned s = 0; s < sigs.size(); ++s) {
      REQUIRE(sigs[s].getPublicKey().size() == 32);
      REQUIRE(sigs[s].getEd25519().size() == 64);
      CHECK(crypto_sign_verify_detached(sigs[s].getEd25519().begin(), entry.begin(), entry.size(),
                                        sigs[s].getPublicKey().begin()) == 0);
      if (s > 0) CHECK(std::memcmp(sigs[s - 1].getPublicKey().begin(), sigs[s].getPublicKey().begin(), 32) < 0);
    }
    Hash lh = ref_leaf_hash(bytes);
    CHECK(w.L().leaf_hash(i) == lh);
    prev = lh;
  }
  CHECK(w.L().leaf_hash(n - 1) == prev);
  // a dual-controlled payment carries both signatures, sorted whatever order they were given in
  bool found_two = false;
  w.L().for_each(0, n, [&](uint64_t, std::span<const uint8_t> b) {
    Record r(b);
    found_two |= r.leaf().getSignatures().size() == 2;
    return true;
  });
  CHECK(found_two);
}

TEST_CASE("chain: the entries database is seq (8 bytes big-endian) -> leaf bytes, readable with plain LMDB") {
  World w;
  build_mixed(w);
  std::vector<Bytes> leaves;
  for (uint64_t i = 0; i < w.L().size(); ++i) leaves.push_back(w.L().leaf(i));
  w.close();
  RawEnv raw(w.dir, true);
  auto rows = raw.all("entries");
  REQUIRE(rows.size() == leaves.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].first == big_endian(i));
    CHECK(rows[i].second == std::string(leaves[i].begin(), leaves[i].end()));
  }
}

TEST_CASE("for_each visits from up to but not including to in order and stops when told") {
  World w;
  build_mixed(w);
  std::vector<uint64_t> seen;
  w.L().for_each(3, 9, [&](uint64_t seq, std::span<const uint8_t> b) {
    seen.push_back(seq);
    CHECK(Bytes(b.begin(), b.end()) == w.L().leaf(seq));
    return true;
  });
  CHECK(seen == std::vector<uint64_t>{3, 4, 5, 6, 7, 8});
  seen.clear();
  w.L().for_each(0, w.L().size(), [&](uint64_t seq, std::span<const uint8_t>) {
    seen.push_back(seq);
    return seq < 2;
  });
  CHECK(seen == std::vector<uint64_t>{0, 1, 2});
  seen.clear();
  w.L().for_each(w.L().size(), w.L().size() + 5, [&](uint64_t seq, std::span<const uint8_t>) {
    seen.push_back(seq);
    return true;
  });
  CHECK(seen.empty());
}

TEST_CASE("reads past the end are refused as unusable") {
  World w;
  const uint64_t n = w.L().size();
  for (auto fn : std::vector<std::function<void()>>{[&] { w.L().leaf(n); }, [&] { w.L().leaf_hash(n); },
                                                    [&] { w.L().root(n + 1); }, [&] { w.L().inclusion_proof(n, n); },
                                                    [&] { w.L().consistency_proof(2, n + 1); },
                                                    [&] { w.L().consistency_proof(3, 2); }}) {
    try {
      fn();
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.kind == ErrorKind::unusable);
    }
  }
}

TEST_CASE("money_effects: what a record moves") {
  World w;
  uint64_t c = w.append(w.contribution("council", "pool", 700, {w.council_off}));
  uint64_t p = w.append(w.payment("pool", "sme", 300, {w.pool_off}));
  uint64_t r = w.append(w.reversal(p, {w.pool_off}));
  auto effects = [&](uint64_t seq) {
    Record rec(w.L().leaf(seq));
    std::map<std::string, int64_t> m;
    for (auto& e : money_effects(rec.entry())) m[e.party] += e.delta;
    return m;
  };
  CHECK(effects(c) == std::map<std::string, int64_t>{{"council", -700}, {"pool", 700}});
  CHECK(effects(p) == std::map<std::string, int64_t>{{"pool", -300}, {"sme", 300}});
  CHECK(effects(r).empty());  // a reversal's effect is its target's, undone; the rules apply it
  CHECK(effects(1).empty());
  CHECK(w.balance("pool") == 700);
}

// ----------------------------------------------------------------- reopen ---

TEST_CASE("reopen after close keeps size, root, head, balances, parties, grants and indexes") {
  World w;
  build_mixed(w);
  const Snapshot before = snapshot(w.L());
  const LedgerFacts facts = w.L().facts();
  const std::string note = w.checkpoint(before.size);
  w.L().store_checkpoint(before.size, note);
  w.reopen();
  CHECK(snapshot(w.L()) == before);
  CHECK(w.L().facts().origin == facts.origin);
  CHECK(w.L().facts().currency == facts.currency);
  CHECK(w.L().facts().exponent == facts.exponent);
  CHECK(w.L().facts().dual_control_threshold == facts.dual_control_threshold);
  CHECK(w.L().facts().log_key == facts.log_key);
  CHECK(w.L().find_idempotency_key("genesis") == std::optional<uint64_t>(0));
  auto cps = w.L().checkpoints();
  REQUIRE(cps.size() == 1);
  CHECK(cps[0].first == before.size);
  CHECK(cps[0].second == note);
  // the rules see the reopened state: the revoked key, the pool's balance, the taken ids
  expect_refused(w.L(), w.party("council", PartyKind::COMMISSIONER, {w.admin}), 2);
  expect_refused(w.L(), w.payment("pool", "sme", w.balance("pool") + 1, {w.pool_off}), 4);
  // and the chain goes on from the stored head
  uint64_t s = expect_appended(w.L(), w.payment("council", "sme", 1, {w.council_off}));
  Record r(w.L().leaf(s));
  CHECK(std::memcmp(r.leaf().getPrevHash().begin(), before.head.data(), 32) == 0);
  CHECK(r.leaf().getRecordedAt() >= Record(w.L().leaf(s - 1)).leaf().getRecordedAt());
  w.reopen();
  CHECK(w.L().size() == before.size + 1);
  CHECK(w.L().root(before.size) == before.root);
}

// ---------------------------------------------------------- unusable input ---

TEST_CASE("Ledger::open refuses what is not a ledger, as unusable") {
  TempDir tmp;
  std::string msg;
  SUBCASE("a missing directory") {
    CHECK(open_error(tmp.sub("missing"), msg) == ErrorKind::unusable);
    CHECK(contains(msg, "does not exist"));
  }
  SUBCASE("an empty directory") {
    CHECK(open_error(tmp.path(), msg) == ErrorKind::unusable);
    CHECK(contains(msg, "not a fundtrail ledger"));
  }
  SUBCASE("an empty directory, read-only") { CHECK(open_error(tmp.path(), msg, true) == ErrorKind::unusable); }
  SUBCASE("a regular file") {
    std::ofstream(tmp.sub("file")) << "hello";
    CHECK(open_error(tmp.sub("file"), msg) == ErrorKind::unusable);
  }
  SUBCASE("a data.mdb that is not LMDB") {
    std::ofstream(tmp.sub("data.mdb")) << std::string(20000, 'x');
    CHECK(open_error(tmp.path(), msg) == ErrorKind::unusable);
  }
  SUBCASE("an LMDB environment without the ledger's databases") {
    {
      RawEnv raw(tmp.path());
      raw.put("other", "k", "v");
    }
    CHECK(open_error(tmp.path(), msg) == ErrorKind::unusable);
    CHECK(contains(msg, "not a fundtrail ledger"));
  }
  SUBCASE("nothing was created by the failed open") {
    CHECK(open_error(tmp.sub("missing"), msg) == ErrorKind::unusable);
    struct stat st;
    CHECK(::stat(tmp.sub("missing").c_str(), &st) != 0);
  }
}

TEST_CASE("meta format: a newer or unknown format is refused, the current one opens") {
  Fixture f;
  const Snapshot before = snapshot(f.L());
  f.close();
  {
    RawEnv raw(f.dir);
    auto format = raw.get("meta", "format");
    REQUIRE(format);
    CHECK(*format == std::to_string(kFormatVersion));
    raw.put("meta", "format", std::to_string(kFormatVersion + 1));
  }
  std::string msg;
  CHECK(open_error(f.dir, msg) == ErrorKind::unusable);
  CHECK(contains(msg, "format version " + std::to_string(kFormatVersion + 1)));
  CHECK(open_error(f.dir, msg, true) == ErrorKind::unusable);
  {
    RawEnv raw(f.dir);
    raw.put("meta", "format", "one");
  }
  CHECK(open_error(f.dir, msg) == ErrorKind::unusable);
  {
    RawEnv raw(f.dir);
    raw.del("meta", "format");
  }
  CHECK(open_error(f.dir, msg) == ErrorKind::unusable);
  CHECK(contains(msg, "not a fundtrail ledger"));
  {
    RawEnv raw(f.dir);
    raw.put("meta", "format", std::to_string(kFormatVersion));
  }
  f.reopen();
  CHECK(snapshot(f.L()) == before);
}

TEST_CASE("a head that does not match the last record is refused on open") {
  World w;
  w.append(w.payment("council", "sme", 10, {w.council_off}));
  w.close();
  {
    RawEnv raw(w.dir);
    auto last = raw.all("entries").back();
    std::string bytes = last.second;
    bytes[bytes.size() - 1] ^= 1;  // a flipped bit in the last record
    raw.put("entries", last.first, bytes);
  }
  std::string msg;
  CHECK(open_error(w.dir, msg) == ErrorKind::unusable);
  CHECK(contains(msg, "head"));
}

// -------------------------------------------------------------- read-only ---

TEST_CASE("a read-only ledger reads but refuses every write") {
  World w;
  build_mixed(w);
  const Snapshot before = snapshot(w.L());
  w.reopen(true);
  CHECK(snapshot(w.L()) == before);
  auto expect_unusable = [&](const std::function<void()>& fn) {
    try {
      fn();
      FAIL("a read-only ledger accepted a write");
    } catch (const Error& e) {
      CHECK(e.kind == ErrorKind::unusable);
      CHECK(contains(e.what(), "read-only"));
    }
  };
  expect_unusable([&] { w.L().append(w.payment("council", "sme", 1, {w.council_off})); });
  expect_unusable([&] { w.L().append_batch({w.payment("council", "sme", 1, {w.council_off})}); });
  expect_unusable([&] { w.L().store_checkpoint(before.size, "note"); });
  CHECK(snapshot(w.L()) == before);
  w.reopen();
  CHECK(snapshot(w.L()) == before);
  CHECK(w.L().checkpoints().empty());
}

// ----------------------------------------------------------------- merkle ---

TEST_CASE("merkle: stored roots equal an independent RFC 6962 tree for every size up to 1000") {
  World w;
  // Fill to exactly 1000 records with one batch of signed contributions.
  std::vector<SignedRequest> batch;
  while (w.L().size() + batch.size() < 1000)
    batch.push_back(w.contribution(batch.size() % 2 ? "council" : "nhs", "pool", 1 + int64_t(batch.size()),
                                   {batch.size() % 2 ? w.council_off : w.nhs_off}));
  auto out = w.L().append_batch(batch);
  REQUIRE(out.size() == batch.size());
  REQUIRE(w.L().size() == 1000);

  std::vector<Hash> leaves = ref_leaf_hashes(w.L(), 1000);
  for (uint64_t i = 0; i < 1000; ++i) REQUIRE(w.L().leaf_hash(i) == leaves[i]);

  SUBCASE("the canonical sizes") {
    for (uint64_t n : {0, 1, 2, 3, 7, 8, 1000}) {
      CAPTURE(n);
      CHECK(w.L().root(n) == ref_mth(leaves, 0, n));
    }
    // sanity of the reference itself: the empty tree is SHA-256 of nothing, a
    // one-leaf tree is its leaf hash, a two-leaf tree hashes 0x01 || l || r
    CHECK(ref_mth(leaves, 0, 0) == empty_tree_root());
    CHECK(ref_mth(leaves, 0, 1) == leaves[0]);
    CHECK(ref_mth(leaves, 0, 2) == node_hash(leaves[0], leaves[1]));
    CHECK(ref_mth(leaves, 0, 3) == node_hash(node_hash(leaves[0], leaves[1]), leaves[2]));
  }
  SUBCASE("every size") {
    // MTH for each n, computed bottom-up from scratch per n would be O(n^2);
    // the recursive definition with memo of perfect subtrees keeps it quick.
    std::map<std::pair<uint64_t, uint64_t>, Hash> perfect;
    std::function<Hash(uint64_t, uint64_t)> mth = [&](uint64_t b, uint64_t e) -> Hash {
      uint64_t n = e - b;
      if (n == 0) return ref_sha256({});
      if (n == 1) return leaves[b];
      bool pow2 = (n & (n - 1)) == 0;
      if (pow2)
        if (auto it = perfect.find({b, e}); it != perfect.end()) return it->second;
      uint64_t k = ref_split(n);
      Hash h = ref_node_hash(mth(b, b + k), mth(b + k, e));
      if (pow2) perfect[{b, e}] = h;
      return h;
    };
    uint64_t mismatches = 0;
    for (uint64_t n = 0; n <= 1000; ++n)
      if (w.L().root(n) != mth(0, n)) ++mismatches;
    CHECK(mismatches == 0);
  }
  SUBCASE("roots are O(log n) stored-hash reads") {
    uint64_t before = w.L().subtree_reads();
    w.L().root(999);
    CHECK(w.L().subtree_reads() - before <= 20);
  }
  SUBCASE("inclusion and consistency proofs equal RFC 6962's PATH and PROOF") {
    for (uint64_t size : {1, 2, 3, 7, 8, 9, 100, 513, 999, 1000}) {
      for (uint64_t index : {uint64_t(0), size / 2, size - 1}) {
        CAPTURE(size);
        CAPTURE(index);
        CHECK(w.L().inclusion_proof(index, size) == ref_path(leaves, index, 0, size));
      }
      for (uint64_t old : {uint64_t(1), size / 3 + 1, size - 1, size}) {
        if (old == 0 || old > size) continue;
        CAPTURE(size);
        CAPTURE(old);
        CHECK(w.L().consistency_proof(old, size) == ref_subproof(leaves, old, 0, size, true));
      }
    }
  }
  SUBCASE("the tree survives reopening") {
    Hash r = w.L().root(1000);
    w.reopen();
    CHECK(w.L().root(1000) == r);
    CHECK(w.L().root(777) == ref_mth(leaves, 0, 777));
  }
}

// -------------------------------------------------------------- map growth ---

TEST_CASE("the LMDB map grows past its initial 64 MiB when full") {
  World w;
  // Payments naming 780 claim ids of 64 bytes: ~62 KB leaves, so ~1,100 of
  // them pass 64 MiB (each field within its limit).
  constexpr unsigned kClaims = 780;
  constexpr uint64_t kInitialMap = uint64_t(64) << 20;
  auto big_party = [&](unsigned n) {
    return w.payment("council", "sme", 1, {w.council_off}, [n](spec::Payment& p) {
      for (unsigned i = 0; i < kClaims; ++i) {
        std::string id = "c-big-" + std::to_string(n) + "-" + std::to_string(i) + "-";
        id.resize(64, 'x');
        p.claim_ids.push_back(id);
      }
      p.outcome_count = kClaims;
      p.memo = "big" + std::to_string(n);
    });
  };
  auto data_size = [&] {
    struct stat st;
    REQUIRE(::stat((w.dir + "/data.mdb").c_str(), &st) == 0);
    return uint64_t(st.st_size);
  };
  unsigned made = 0;
  // batches of 50, until the data file is past the initial map
  for (int round = 0; round < 40 && data_size() <= kInitialMap + (8u << 20); ++round) {
    std::vector<SignedRequest> batch;
    for (int i = 0; i < 50; ++i) batch.push_back(big_party(made++));
    REQUIRE(batch.front().entry.size() < 65000);
    w.L().append_batch(batch);
  }
  CHECK(data_size() > kInitialMap);
  const uint64_t n = w.L().size();
  CHECK(w.L().size() >= made);
  // a single append after the growth and a refusal on the grown map
  expect_appended(w.L(), w.payment("council", "sme", 1, {w.council_off}));
  expect_refused(w.L(), w.party("sme", PartyKind::PROVIDER, {w.admin}), 2);  // already registered
  // the stored tree still agrees with the records
  auto leaves = ref_leaf_hashes(w.L(), n + 1);
  CHECK(w.L().root(n + 1) == ref_mth(leaves, 0, n + 1));
  // and the reopened environment maps the larger file
  w.reopen();
  CHECK(w.L().size() == n + 1);
  expect_appended(w.L(), big_party(made++));
}
