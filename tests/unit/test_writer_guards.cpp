// What the writer does when what it stored was changed behind its back
// (issue 20, defects 3 and 4): it never extends or signs a tree inconsistent
// with a checkpoint it issued, never overwrites an issued checkpoint, never
// answers "already recorded" from a damaged idempotency index, and can
// rebuild (reindex) or compare (check_indexes) every derived index.
#include <doctest/doctest.h>

#include <filesystem>

#include "ledger/index.h"
#include "ledger/store.h"
#include "ledger/tree_store.h"
#include "raw_lmdb.h"
#include "test_ledger_support.h"

using namespace ft_test;
namespace fs = std::filesystem;

namespace {

void some_records(World& w) {
  w.append(w.contribution("council", "pool", 100000, {w.council_off}));
  w.append(w.payment("pool", "prime", 20000, {w.pool_off}));
  w.append(w.payment("prime", "charity", 5000, {w.prime_off}));
}

// A copy of the ledger directory as it is now (the ledger closed meanwhile).
std::string copy_of(World& w, const std::string& name) {
  w.close();
  std::string to = w.tmp.sub(name);
  fs::create_directories(to);
  fs::copy_file(w.dir + "/data.mdb", to + "/data.mdb");
  w.reopen();
  return to;
}

std::string checkpoint_of(Ledger& l, const KeyPair& log, uint64_t size) {
  const std::string& origin = l.facts().origin;
  return sign_note(checkpoint_body(origin, size, l.root(size)), origin, log.sk, log.pk);
}

std::string tmp_parent(World& w) {
  std::string p = w.tmp.sub("rebuilds");
  fs::create_directories(p);
  return p;
}

size_t entries_in(const std::string& dir) { return fs::is_empty(dir) ? 0 : size_t(std::distance(fs::directory_iterator(dir), {})); }

}  // namespace

TEST_CASE("checkpoints: a rollback to before an issued checkpoint is refused, on append and on signing") {
  World w;
  some_records(w);
  std::string backup = copy_of(w, "backup");
  uint64_t old_size = w.L().size();
  w.append(w.payment("prime", "sme", 100, {w.prime_off}));
  w.append(w.payment("prime", "sme", 200, {w.prime_off}));
  uint64_t issued = w.L().size();
  std::string note = w.checkpoint(issued);
  w.L().store_checkpoint(issued, note);

  // The records are restored from the backup; the checkpoint stays behind.
  w.close();
  { RawEnv(backup).put("checkpoints", big_endian(issued), note); }
  Ledger rolled = Ledger::open(backup);
  REQUIRE(rolled.size() == old_size);
  std::string msg = expect_refused(rolled, w.payment("prime", "sme", 300, {w.prime_off}), "checkpoint");
  CHECK(contains(msg, "size " + std::to_string(issued)));
  CHECK(contains(msg, "holds only " + std::to_string(old_size)));
  expect_refused_by(rolled, "checkpoint", [&] { rolled.append_batch({w.payment("prime", "sme", 300, {w.prime_off})}); });
  expect_refused_by(rolled, "checkpoint", [&] { rolled.store_checkpoint(old_size, checkpoint_of(rolled, w.log, old_size)); });
  CHECK(rolled.checkpoints() == std::vector<std::pair<uint64_t, std::string>>{{issued, note}});
}

TEST_CASE("checkpoints: a rewritten history of the same size is refused, and the issued checkpoint is never overwritten") {
  World w;
  some_records(w);
  std::string backup = copy_of(w, "backup");
  w.append(w.payment("prime", "sme", 100, {w.prime_off}));
  uint64_t issued = w.L().size();
  std::string note = w.checkpoint(issued);
  w.L().store_checkpoint(issued, note);
  w.close();

  // Another record at the same seq: a consistent ledger with a second root for that size.
  std::string second;
  {
    Ledger other = Ledger::open(backup);
    other.append(w.payment("prime", "sme", 999, {w.prime_off}));
    REQUIRE(other.size() == issued);
    second = checkpoint_of(other, w.log, issued);
  }
  { RawEnv(backup).put("checkpoints", big_endian(issued), note); }
  Ledger rewritten = Ledger::open(backup);
  std::string msg = expect_refused(rewritten, w.payment("prime", "sme", 1, {w.prime_off}), "checkpoint");
  CHECK(contains(msg, "root at that size"));
  expect_refused_by(rewritten, "checkpoint", [&] { rewritten.store_checkpoint(issued, second); });
  CHECK(rewritten.checkpoints().at(0).second == note);
}

TEST_CASE("checkpoints: the same checkpoint may be stored again (cosignatures merge) but another body is refused") {
  World w;
  some_records(w);
  uint64_t n = w.L().size();
  std::string note = w.checkpoint(n);
  w.L().store_checkpoint(n, note);
  w.L().store_checkpoint(n, note);  // the same checkpoint again
  w.append(w.payment("prime", "sme", 100, {w.prime_off}));
  uint64_t bigger = w.L().size();
  w.L().store_checkpoint(bigger, w.checkpoint(bigger));  // extends the first
  w.L().store_checkpoint(n, note);                        // an older size, consistent with the largest
  // A note claiming another root for size n, signed by the log key.
  Hash wrong = w.L().root(bigger);
  std::string forged = sign_note(checkpoint_body(w.L().facts().origin, n, wrong), w.L().facts().origin, w.log.sk, w.log.pk);
  expect_refused_by(w.L(), "checkpoint", [&] { w.L().store_checkpoint(n, forged); });
  // A note whose size line is not the size it is stored under.
  expect_refused_by(w.L(), "checkpoint", [&] { w.L().store_checkpoint(n + 1, note); });
  CHECK(w.L().checkpoints().size() == 2);
  CHECK(w.L().checkpoints().at(0).second == note);
}

TEST_CASE("checkpoints: a changed stored tree hash is refused, and reindex rebuilds the tree from the records") {
  World w;
  some_records(w);
  for (int i = 0; i < 14; ++i) w.append(w.payment("prime", "sme", 10 + i, {w.prime_off}));
  uint64_t n = w.L().size();
  REQUIRE(n >= 32);
  w.L().store_checkpoint(n, w.checkpoint(n));
  w.close();
  std::string key;
  {
    fundtrail::Env env(w.dir, true, false);  // the ledger's own tree layout
    key = fundtrail::stored_tree_key(env.dbs(), 5, 0);  // the subtree of records 0..31
  }
  {
    RawEnv raw(w.dir);
    auto v = raw.get("tree", key);
    REQUIRE(v.has_value());
    std::string changed = *v;
    changed[0] = static_cast<char>(changed[0] ^ 1);
    raw.put("tree", key, changed);
  }
  w.reopen();
  expect_refused(w.L(), w.payment("prime", "sme", 1, {w.prime_off}), "checkpoint");

  IndexCheck c = w.L().check_indexes(tmp_parent(w));
  CHECK(c.records == n);
  REQUIRE(c.differences.size() == 1);
  CHECK(c.differences[0].database == "tree");
  CHECK(c.differences[0].changed == 1);
  CHECK(c.differences[0].first_key_hex ==
        fundtrail::hex(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size())));
  IndexCheck before = w.L().reindex(tmp_parent(w));
  CHECK(before.differences.size() == 1);
  CHECK(w.L().check_indexes(tmp_parent(w)).differences.empty());
  expect_appended(w.L(), w.payment("prime", "sme", 1, {w.prime_off}));
  CHECK(entries_in(tmp_parent(w)) == 0);  // every rebuild removed its directory
}

TEST_CASE("idempotency: a damaged index naming another record is check 'index', never an acknowledgement") {
  World w;
  some_records(w);
  SignedRequest r = w.payment("prime", "sme", 4242, {w.prime_off});
  std::string key = *idempotency_key_of(r);
  Hash body = request_body_hash(EntryView(r.entry).entry());
  w.close();
  { RawEnv(w.dir).put("idem", key, fundtrail::index::idem_value(3, body, true)); }  // points at record 3
  w.reopen();
  std::string msg = expect_refused(w.L(), r, "index");
  CHECK(contains(msg, "seq 3"));
  CHECK(contains(msg, "fundtrail reindex"));

  IndexCheck c = w.L().check_indexes(tmp_parent(w));
  REQUIRE(c.differences.size() == 1);
  CHECK(c.differences[0].database == "idem");
  CHECK(c.differences[0].extra == 1);
  w.L().reindex(tmp_parent(w));
  uint64_t seq = expect_appended(w.L(), r);  // it was never recorded: now it is
  CHECK(w.L().append(r).retried);            // and a retry is a retry
  CHECK(w.L().append(r).seq == seq);

  // The ordinary conflict stays rule 6: the same key with another body.
  SignedRequest other = w.payment("prime", "sme", 1, {w.prime_off}, {}, ft_test::key(key));
  expect_refused(w.L(), other, 6);
}

TEST_CASE("check_indexes: a ledger the writer built agrees with its rebuild, every kind of record included") {
  World w;
  uint64_t c = w.append(w.contribution("council", "pool", 100000, {w.council_off}));
  uint64_t p = w.append(w.payment("pool", "prime", 20000, {w.pool_off}, [&](spec::Payment& pay) {
    pay.funded_by = spec::FundedBy::entry(c);
  }));
  w.append(w.reversal(p, {w.pool_off}));
  uint64_t a = w.append(w.assign("council", {"prime"}, "employment support", {w.council_off}));
  w.append(w.end_assignment(a, {w.admin}));
  KeyPair k = generate_key("extra");
  w.append(w.grant("sme", k.pk, Role::APPROVER, {w.admin}));
  w.append(w.revoke("sme", k.pk, {w.admin}));
  w.append(w.grant("sme", k.pk, Role::APPROVER, {w.admin}));
  w.append(w.request(spec::PartyStatusChanged{"sme", schema::PartyStatus::EXITED, 20250601, "closed"}, {w.admin}));
  w.append(w.request(spec::ContractAgreed{.reference = "C-1", .payer = "council", .payee = "prime", .subject = "support",
                                          .start_date = 20250401, .end_date = 20260331, .cap = 50000},
                     {w.council_off}));
  w.append(w.request(spec::ContractVaried{.reference = "C-1", .new_cap = 60000, .reason = "more"}, {w.council_off}));
  w.append(w.request(spec::ContractEnded{.reference = "C-1", .reason = schema::EndReason::COMPLETED}, {w.council_off}));
  IndexCheck check = w.L().check_indexes(tmp_parent(w));
  CHECK(check.records == w.L().size());
  for (auto& d : check.differences) FAIL_CHECK(d.database << " differs at key " << d.first_key_hex);
  CHECK(check.differences.empty());
  IndexCheck re = w.L().reindex(tmp_parent(w));
  CHECK(re.differences.empty());
  expect_appended(w.L(), w.payment("prime", "charity", 5, {w.prime_off}));
}

TEST_CASE("check_indexes: a record that fails its rules is unusable input, and nothing is replaced") {
  World w;
  some_records(w);
  w.close();
  {
    // Record 2's recorded bytes swapped for record 1's: the chain breaks.
    RawEnv raw(w.dir);
    raw.put("entries", big_endian(2), *raw.get("entries", big_endian(1)));
  }
  Ledger damaged = Ledger::open(w.dir);
  std::string parent = tmp_parent(w);
  for (int write = 0; write < 2; ++write) {
    try {
      if (write) damaged.reindex(parent);
      else damaged.check_indexes(parent);
      FAIL("a damaged record was rebuilt");
    } catch (const Error& e) {
      CHECK(e.kind == ErrorKind::unusable);
      CHECK(contains(e.what(), "record 2"));
      CHECK(contains(e.what(), "fundtrail-verify"));
    }
  }
  CHECK(entries_in(parent) == 0);
}

TEST_CASE("tree layout: a ledger made before completion-order keys keeps its layout, appends, checks, reindexes and proves alike") {
  World w;
  some_records(w);
  uint64_t n = w.L().size();
  Hash root = w.L().root(n);
  w.close();
  // Rewrite the tree as a ledger made before this layout holds it: keys
  // (level, index), no layout marker in meta.
  {
    RawEnv raw(w.dir);
    auto all = raw.all("tree");
    REQUIRE(all.size() >= n);
    for (auto& [key, value] : all) {
      REQUIRE(key.size() == 9);
      uint64_t last = 0;
      for (int i = 0; i < 8; ++i) last = (last << 8) | static_cast<uint8_t>(key[size_t(i)]);
      unsigned level = static_cast<uint8_t>(key[8]);
      raw.del("tree", key);
      raw.put("tree", fundtrail::index::tree_key(level, ((last + 1) >> level) - 1), value);
    }
    REQUIRE(raw.get("meta", "tree_layout").has_value());
    raw.del("meta", "tree_layout");
  }
  w.reopen();
  CHECK(w.L().root(n) == root);
  for (int i = 0; i < 9; ++i) w.append(w.payment("prime", "sme", 10 + i, {w.prime_off}));
  uint64_t m = w.L().size();
  CHECK(w.L().check_indexes(tmp_parent(w)).differences.empty());
  IndexCheck before = w.L().reindex(tmp_parent(w));
  CHECK(before.differences.empty());
  // The layout was kept: (level, index) keys, no marker.
  Hash grown = w.L().root(m);
  std::vector<Hash> proof = w.L().inclusion_proof(3, m);
  w.close();
  {
    RawEnv raw(w.dir);
    CHECK_FALSE(raw.get("meta", "tree_layout").has_value());
    CHECK(raw.get("tree", fundtrail::index::tree_key(0, m - 1)).has_value());
  }
  w.reopen();
  CHECK(w.L().root(m) == grown);
  CHECK(w.L().inclusion_proof(3, m) == proof);
  std::string why;
  CHECK(verify_inclusion(3, m, w.L().leaf_hash(3), proof, grown, why));
}

TEST_CASE("idem layout: a ledger made before seq-only values keeps its layout, retries, checks and reindexes alike") {
  World w;
  some_records(w);
  SignedRequest again = w.payment("prime", "sme", 4343, {w.prime_off});
  uint64_t first = w.append(again);
  w.close();
  // A new ledger stores the seq alone, and says so in meta.
  {
    RawEnv raw(w.dir);
    REQUIRE(raw.get("meta", "idem_layout") == std::optional<std::string>("seq"));
    auto all = raw.all("idem");
    REQUIRE(all.size() == first + 1);
    for (auto& [key, value] : all) REQUIRE(value.size() == 8);
    // Rewrite it as a ledger made before holds it: seq || body hash, no marker.
    for (auto& [key, value] : all) raw.put("idem", key, value + std::string(32, '\x07'));
    raw.del("meta", "idem_layout");
  }
  w.reopen();
  // A retry is still found, and answered with the first seq.
  Appended retried = w.L().append(again);
  CHECK(retried.retried);
  CHECK(retried.seq == first);
  w.append(w.payment("prime", "sme", 11, {w.prime_off}));
  CHECK(w.L().find_idempotency_key(*idempotency_key_of(again)) == first);
  CHECK(w.L().check_indexes(tmp_parent(w)).differences.size() == 1);  // the 32 bytes of 0x07 are not the body hashes
  IndexCheck repaired = w.L().reindex(tmp_parent(w));
  CHECK(repaired.differences.size() == 1);
  CHECK(w.L().check_indexes(tmp_parent(w)).differences.empty());
  // A payment run stores its records' body hashes too, in this layout.
  std::vector<const KeyPair*> prime_keys{&w.prime_off};
  std::vector<Bytes> entries;
  for (int i = 0; i < 3; ++i)
    entries.push_back(w.entry(spec::Payment{.from = "prime", .to = "sme", .amount = 20 + i, .currency = "GBP",
                                            .value_date = kDate, .mechanism = schema::Mechanism::GRANT}));
  RunAppended run = w.L().append_run(run_request(w.origin, now_ms(), std::move(entries), prime_keys));
  CHECK(w.L().check_indexes(tmp_parent(w)).differences.empty());
  w.close();
  {
    RawEnv raw(w.dir);
    CHECK_FALSE(raw.get("meta", "idem_layout").has_value());  // the layout was kept
    auto all = raw.all("idem");
    CHECK(all.size() == run.last + 1);  // the records appended after the rewrite too
    for (auto& [key, value] : all) CHECK(value.size() == 40);
  }
}
