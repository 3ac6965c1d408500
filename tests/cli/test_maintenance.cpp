// fundtrail check and fundtrail reindex, end to end: an index damaged with
// plain LMDB (as an attacker or a bad disk would) is found by `check`
// without writing, rebuilt by `reindex`, and the ledger then writes and
// verifies again.
#include <lmdb.h>

#include "fixture.h"

using namespace fundtrail::test;

namespace {

// Overwrites `key` in the named database of the ledger at `dir`.
void raw_put(const fs::path& dir, const char* db, const std::string& key, const std::string& value) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, 16) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v{value.size(), const_cast<char*>(value.data())};
  REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

std::string raw_get(const fs::path& dir, const char* db, const std::string& key) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, 16) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
  REQUIRE(mdb_get(txn, dbi, &k, &v) == 0);
  std::string out(static_cast<const char*>(v.mv_data), v.mv_size);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return out;
}

}  // namespace

TEST_CASE("check finds a damaged index without writing, and reindex rebuilds it") {
  Books b;
  RunResult clean = b.ft({"check"});
  INFO(clean);
  CHECK(clean.code == 0);
  CHECK(contains(clean.out, "every index agrees with the " + std::to_string(kStartSize) + " records"));
  json j = b.ok_json({"check", "--json"});
  CHECK(j["agree"] == true);
  CHECK(j["records"] == kStartSize);

  // The pool's stored balance raised by flipping one byte of its value.
  std::string pool = raw_get(b.ledger, "parties", "pool");
  std::string damaged = pool;
  damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x40);
  raw_put(b.ledger, "parties", "pool", damaged);
  const std::string file_before = read_file(b.ledger / "data.mdb");

  RunResult found = b.ft({"check"});
  INFO(found);
  CHECK(found.code == 1);
  CHECK(contains(found.out, "1 of the derived indexes differ"));
  CHECK(contains(found.err, "parties: 0 missing, 0 extra, 1 changed"));
  CHECK(contains(found.err, "fundtrail reindex"));
  RunResult found_json = b.ft({"check", "--json"});
  CHECK(found_json.code == 1);
  REQUIRE(json::accept(found_json.out));
  json d = json::parse(found_json.out);
  CHECK(d["agree"] == false);
  REQUIRE(d["differences"].size() == 1);
  CHECK(d["differences"][0]["database"] == "parties");
  CHECK(read_file(b.ledger / "data.mdb") == file_before);  // check writes nothing

  RunResult re = b.ft({"reindex"});
  INFO(re);
  CHECK(re.code == 0);
  CHECK(contains(re.out, "rebuilt every index from the " + std::to_string(kStartSize) + " records; 1 had differed"));
  CHECK(raw_get(b.ledger, "parties", "pool") == pool);
  CHECK(b.ft({"check"}).code == 0);
  b.ok({"pay", "--from", "pool", "--to", "hope", "--amount", "1.00", "--mechanism", "block", "--date", "2025-04-02", "--key",
        b.key("pool")});
  verify_if_present({b.ledger.string()});
}

TEST_CASE("check and reindex: usage and unusable input") {
  Books b;
  CHECK(b.ft({"check", "--bogus"}).code == 2);
  RunResult none = ft_raw({"--ledger", (b.root / "nothing").string(), "check"});
  CHECK(none.code == 2);
  CHECK(contains(none.err, "does not exist"));
  // Nowhere to rebuild: a clear error naming TMPDIR.
  RunOptions opt;
  opt.env["TMPDIR"] = (b.root / "no-such-dir").string();
  RunResult no_tmp = b.ft({"check"}, opt);
  CHECK(no_tmp.code == 2);
  CHECK(contains(no_tmp.err, "TMPDIR"));
}

TEST_CASE("balance --as-of on a ledger whose history is in the first layout: the replay's answer, a note saying to reindex, then the index's") {
  Books b;
  b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "120.00", "--mechanism", "block", "--date", "2025-04-06",
        "--key", b.key("pool")});
  RunResult indexed = b.ok({"balance", "--as-of", "2025-04-05"});
  CHECK_FALSE(contains(indexed.err, "reindex"));
  // meta as a ledger made last version says it: the first layout, not this one.
  raw_put(b.ledger, "meta", "balance_history", "kept");
  RunResult replayed = b.ok({"balance", "--as-of", "2025-04-05"});
  CHECK(replayed.out == indexed.out);
  CHECK(contains(replayed.err, "'fundtrail reindex' builds the index"));
  RunResult one = b.ok({"balance", "pool", "--as-of", std::to_string(kStartSize)});
  CHECK(contains(one.err, "replays every record"));
  b.ok({"reindex"});
  CHECK(raw_get(b.ledger, "meta", "balance_history") == "chunked");
  RunResult again = b.ok({"balance", "--as-of", "2025-04-05"});
  CHECK(again.out == indexed.out);
  CHECK_FALSE(contains(again.err, "reindex"));
}
