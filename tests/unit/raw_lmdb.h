// Raw LMDB access to a ledger directory, as an auditor's script (or an
// attacker with the file) would have it: for tests that read the firm layout
// or damage what the writer stored.
#pragma once
#include <doctest/doctest.h>
#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ft_test {

struct RawEnv {
  MDB_env* env = nullptr;
  explicit RawEnv(const std::string& dir, bool read_only = false) {
    REQUIRE(mdb_env_create(&env) == 0);
    REQUIRE(mdb_env_set_maxdbs(env, 16) == 0);
    int rc = mdb_env_open(env, dir.c_str(), read_only ? MDB_RDONLY : 0, 0644);
    REQUIRE_MESSAGE(rc == 0, mdb_strerror(rc));
  }
  ~RawEnv() { mdb_env_close(env); }

  void put(const char* db, const std::string& key, const std::string& value) {
    MDB_txn* txn;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, db, MDB_CREATE, &dbi) == 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v{value.size(), const_cast<char*>(value.data())};
    REQUIRE(mdb_put(txn, dbi, &k, &v, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
  }
  void del(const char* db, const std::string& key) {
    MDB_txn* txn;
    REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    REQUIRE(mdb_del(txn, dbi, &k, nullptr) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
  }
  std::optional<std::string> get(const char* db, const std::string& key) {
    MDB_txn* txn;
    REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
    MDB_val k{key.size(), const_cast<char*>(key.data())}, v;
    std::optional<std::string> out;
    if (mdb_get(txn, dbi, &k, &v) == 0) out = std::string(static_cast<const char*>(v.mv_data), v.mv_size);
    mdb_txn_abort(txn);
    return out;
  }
  // Every (key, value) of a named database, in key order.
  std::vector<std::pair<std::string, std::string>> all(const char* db) {
    MDB_txn* txn;
    REQUIRE(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0);
    MDB_dbi dbi;
    REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
    MDB_cursor* cur;
    REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
    std::vector<std::pair<std::string, std::string>> out;
    MDB_val k, v;
    for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
      out.emplace_back(std::string(static_cast<const char*>(k.mv_data), k.mv_size),
                       std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return out;
  }
};

inline std::string big_endian(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

}  // namespace ft_test
