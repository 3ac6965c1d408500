// Reliability of the storage layer (docs/reliability.md): a capped LMDB map
// refuses cleanly and stays valid, damaged or truncated files are refused as
// unusable instead of crashing the writer, several processes appending at once
// lose and duplicate nothing, and secret keys are wiped.
#include <doctest/doctest.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <new>
#include <set>

#include "test_ledger_support.h"

using namespace ft_test;

namespace {

// Sets an environment variable for one scope.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const char* n, const std::string& value) : name(n) { ::setenv(n, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

ErrorKind open_error(const std::string& dir, std::string& msg) {
  try {
    Ledger::open(dir);
  } catch (const Error& e) {
    msg = e.what();
    return e.kind;
  }
  msg = "(opened)";
  return ErrorKind::refused;  // not what any caller expects
}

uint64_t file_size(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return uint64_t(st.st_size);
}

// Raw LMDB edits, as damage would make them.
void raw_edit(const std::string& dir, const std::function<void(MDB_txn*, MDB_dbi meta, MDB_dbi entries)>& fn) {
  MDB_env* env;
  REQUIRE(mdb_env_create(&env) == 0);
  REQUIRE(mdb_env_set_maxdbs(env, 16) == 0);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0644) == 0);
  MDB_txn* txn;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi meta, entries;
  REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
  REQUIRE(mdb_dbi_open(txn, "entries", 0, &entries) == 0);
  fn(txn, meta, entries);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
}

std::string be(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) s[i] = static_cast<char>(v & 0xff);
  return s;
}

// A large record to fill pages fast: a payment naming `claims` claim ids of
// 60 bytes (each field within its limit; about 64 bytes a claim).
SignedRequest big_party(World& w, const std::string& id, unsigned claims) {
  return w.payment("council", "sme", 1, {w.council_off}, [&](spec::Payment& p) {
    for (unsigned i = 0; i < claims; ++i) {
      std::string claim = "c-" + id + "-" + std::to_string(i) + "-";
      claim.resize(60, 'x');
      p.claim_ids.push_back(claim);
    }
    p.outcome_count = claims;
    p.memo = id;
  });
}

}  // namespace

TEST_CASE("reliability: a map capped by FUNDTRAIL_MAX_MAP_BYTES refuses the write clearly and stays valid") {
  World w;
  w.close();
  std::vector<SignedRequest> pending;
  {
    ScopedEnv cap("FUNDTRAIL_MAX_MAP_BYTES", std::to_string(1u << 20));  // 1 MiB
    w.reopen();
    std::string msg;
    ErrorKind kind = ErrorKind::refused;
    unsigned made = 0;
    Snapshot before;
    // ~32 KB records: 1 MiB is full after a few dozen.
    for (; made < 200; ++made) {
      SignedRequest r = big_party(w, "big" + std::to_string(made), 500);
      before = snapshot(w.L());
      try {
        w.L().append(r);
      } catch (const Error& e) {
        kind = e.kind;
        msg = e.what();
        pending.push_back(r);
        break;
      }
    }
    INFO(msg);
    REQUIRE(made < 200);
    CHECK(made > 0);
    CHECK(kind == ErrorKind::unusable);
    CHECK(contains(msg, "FUNDTRAIL_MAX_MAP_BYTES=1048576"));
    CHECK(contains(msg, "nothing was written"));
    CHECK(snapshot(w.L()) == before);
    CHECK(file_size(w.dir + "/data.mdb") <= (1u << 20));
    // A small record may still fit in the pages left; the big one never does.
    CHECK_THROWS_AS(w.L().append(pending[0]), Error);
    CHECK(snapshot(w.L()) == before);
    w.close();
  }
  // Without the cap the same request is recorded, and the tree still checks.
  w.reopen();
  uint64_t n = w.L().size();
  CHECK(w.L().append(pending[0]).seq == n);
  CHECK(w.L().find_idempotency_key(*idempotency_key_of(pending[0])) == std::optional<uint64_t>(n));
  std::vector<Hash> leaves;
  for (uint64_t i = 0; i <= n; ++i) leaves.push_back(leaf_hash(w.L().leaf(i)));
  for (uint64_t i = 0; i <= n; ++i) CHECK(w.L().leaf_hash(i) == leaves[i]);
  uint64_t seq = 1;
  w.L().for_each(1, n + 1, [&](uint64_t s, std::span<const uint8_t> leaf) {
    Record r(leaf);
    CHECK(r.leaf().getSeq() == s);
    Hash prev;
    std::memcpy(prev.data(), r.leaf().getPrevHash().begin(), 32);
    CHECK(prev == leaves[s - 1]);
    ++seq;
    return true;
  });
  CHECK(seq == n + 1);
}

TEST_CASE("reliability: a malformed FUNDTRAIL_MAX_MAP_BYTES is refused on open") {
  World w;
  w.close();
  for (const char* bad : {"lots", "-5", "12MB", "99999999999999999999999"}) {
    ScopedEnv cap("FUNDTRAIL_MAX_MAP_BYTES", bad);
    std::string msg;
    CHECK(open_error(w.dir, msg) == ErrorKind::unusable);
    CHECK(contains(msg, "FUNDTRAIL_MAX_MAP_BYTES"));
  }
  w.reopen();  // and the ledger is untouched
  CHECK(w.L().size() == 19);
}

TEST_CASE("reliability: a truncated data.mdb is refused as unusable and never faults") {
  World w;
  for (int i = 0; i < 20; ++i) w.append(big_party(w, "t" + std::to_string(i), 200));
  w.close();
  const std::string data = w.dir + "/data.mdb";
  std::string original;
  {
    std::ifstream in(data, std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  const uint64_t full = original.size();
  REQUIRE(full > 16 * 4096);
  for (uint64_t len : {uint64_t(100), uint64_t(4096), uint64_t(8192), uint64_t(3 * 4096), full / 2, full - 4096, full - 1}) {
    CAPTURE(len);
    {
      std::ofstream out(data, std::ios::binary | std::ios::trunc);
      out.write(original.data(), std::streamsize(len));
    }
    std::string msg;
    CHECK(open_error(w.dir, msg) == ErrorKind::unusable);
    INFO(msg);
    CHECK((contains(msg, "truncated") || contains(msg, "not a fundtrail ledger") || contains(msg, "Invalid")));
  }
  {
    std::ofstream out(data, std::ios::binary | std::ios::trunc);
    out.write(original.data(), std::streamsize(original.size()));
  }
  w.reopen();
  CHECK(w.L().size() == 39);
}

TEST_CASE("reliability: a meta database without its head is refused as unusable") {
  for (const char* missing : {"head", "recorded_at", "size"}) {
    CAPTURE(missing);
    World w;
    w.close();
    raw_edit(w.dir, [&](MDB_txn* txn, MDB_dbi meta, MDB_dbi) {
      MDB_val k{std::strlen(missing), const_cast<char*>(missing)};
      REQUIRE(mdb_del(txn, meta, &k, nullptr) == 0);
    });
    std::string msg;
    CHECK(open_error(w.dir, msg) == ErrorKind::unusable);
    CHECK((contains(msg, "damaged") || contains(msg, "no head")));
  }
}

TEST_CASE("reliability: a last record that does not chain is refused although the stored head matches it") {
  World w;
  w.append(w.payment("council", "sme", 10, {w.council_off}));
  const uint64_t n = w.L().size();
  const Hash prev = w.L().leaf_hash(n - 2);
  w.close();
  raw_edit(w.dir, [&](MDB_txn* txn, MDB_dbi meta, MDB_dbi entries) {
    std::string key = be(n - 1);
    MDB_val k{8, key.data()}, v;
    REQUIRE(mdb_get(txn, entries, &k, &v) == 0);
    std::string bytes(static_cast<const char*>(v.mv_data), v.mv_size);
    size_t at = bytes.find(std::string(reinterpret_cast<const char*>(prev.data()), 32));
    REQUIRE(at != std::string::npos);
    bytes[at] ^= 0x01;  // still canonical, still a 32-byte prevHash, but the wrong one
    MDB_val nv{bytes.size(), bytes.data()};
    REQUIRE(mdb_put(txn, entries, &k, &nv, 0) == 0);
    Hash h = leaf_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
    MDB_val hk{4, const_cast<char*>("head")}, hv{32, h.data()};
    REQUIRE(mdb_put(txn, meta, &hk, &hv, 0) == 0);
  });
  std::string msg;
  CHECK(open_error(w.dir, msg) == ErrorKind::unusable);
  CHECK(contains(msg, "does not chain"));
}

TEST_CASE("reliability: a damaged genesis record is unusable input and not a rule refusal") {
  World w;
  w.close();
  raw_edit(w.dir, [&](MDB_txn* txn, MDB_dbi, MDB_dbi entries) {
    std::string key = be(0);
    MDB_val k{8, key.data()};
    std::string junk(40, '\x07');  // a multiple of 8 bytes that is no canonical SignedEntry
    MDB_val v{junk.size(), junk.data()};
    REQUIRE(mdb_put(txn, entries, &k, &v, 0) == 0);
  });
  std::string msg;
  CHECK(open_error(w.dir, msg) == ErrorKind::unusable);
  CHECK(contains(msg, "genesis"));
}

// Four processes (fork) append at once, each payment its own transaction: the
// LMDB writer lock orders them; nothing is lost, duplicated or misordered.
TEST_CASE("reliability: 4 processes each appending 250 payments at once lose and duplicate nothing") {
  World w;
  // 1,000 transactions, each synced to disk (the 4 x 1,000 case is the CLI
  // import test in tests/cli/test_reliability_concurrency.cpp).
  constexpr int kProcs = 4, kEach = 250;
  // Signed up front (signing needs no ledger state); each child appends its share.
  std::vector<std::vector<SignedRequest>> work(kProcs);
  for (int p = 0; p < kProcs; ++p)
    for (int i = 0; i < kEach; ++i)
      work[p].push_back(w.payment("council", "sme", 1 + p, {w.council_off}, {}, key("p" + std::to_string(p) + "-" + std::to_string(i))));
  const uint64_t start = w.L().size();
  const int64_t council = w.balance("council"), sme = w.balance("sme");
  w.close();  // LMDB environments must not cross fork()
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int rc = 0;
      try {
        Ledger l = Ledger::open(w.dir);
        for (auto& r : work[p])
          if (l.append(r).retried) rc = 3;
      } catch (...) {
        rc = 4;
      }
      ::_exit(rc);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  w.reopen();
  REQUIRE(w.L().size() == start + kProcs * kEach);
  CHECK(w.balance("council") == council - kEach * (1 + 2 + 3 + 4));
  CHECK(w.balance("sme") == sme + kEach * (1 + 2 + 3 + 4));
  // Every request exactly once, each process's requests in its own order, and
  // the processes interleaved (the writer lock is taken per transaction).
  std::map<std::string, uint64_t> at;
  for (int p = 0; p < kProcs; ++p)
    for (int i = 0; i < kEach; ++i) {
      auto seq = w.L().find_idempotency_key("p" + std::to_string(p) + "-" + std::to_string(i));
      REQUIRE(seq.has_value());
      at["p" + std::to_string(p) + "-" + std::to_string(i)] = *seq;
      if (i > 0) CHECK(*seq > at["p" + std::to_string(p) + "-" + std::to_string(i - 1)]);
    }
  std::set<uint64_t> seqs;
  for (auto& [k, s] : at) seqs.insert(s);
  CHECK(seqs.size() == size_t(kProcs * kEach));
  CHECK(*seqs.begin() == start);
  CHECK(*seqs.rbegin() == start + kProcs * kEach - 1);
  // The chain and the stored tree agree with the records.
  Hash prev = w.L().leaf_hash(start - 1);
  w.L().for_each(start, w.L().size(), [&](uint64_t s, std::span<const uint8_t> leaf) {
    Record r(leaf);
    REQUIRE(r.leaf().getSeq() == s);
    Hash p;
    std::memcpy(p.data(), r.leaf().getPrevHash().begin(), 32);
    REQUIRE(p == prev);
    prev = leaf_hash(leaf);
    REQUIRE(w.L().leaf_hash(s) == prev);
    return true;
  });
}

TEST_CASE("reliability: a pool overspent by concurrent processes refuses exactly the excess payments") {
  World w;
  constexpr int kProcs = 4, kEach = 100, kFunded = 250;  // 400 asked, 250 affordable
  w.append(w.contribution("council", "pool", 100 * kFunded, {w.council_off}));
  std::vector<std::vector<SignedRequest>> work(kProcs);
  for (int p = 0; p < kProcs; ++p)
    for (int i = 0; i < kEach; ++i)
      work[p].push_back(w.payment("pool", "prime", 100, {p % 2 ? w.pool_off : w.pool_off2}));
  const uint64_t start = w.L().size();
  w.close();
  // Each child writes how many it recorded and how many rule 4 refused.
  TempDir out;
  std::vector<pid_t> kids;
  for (int p = 0; p < kProcs; ++p) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      int ok = 0, refused = 0, other = 0;
      try {
        Ledger l = Ledger::open(w.dir);
        for (auto& r : work[p]) {
          try {
            l.append(r);
            ++ok;
          } catch (const Error& e) {
            (e.kind == ErrorKind::refused && starts_with(e.what(), "rule 4:") ? refused : other)++;
          }
        }
      } catch (...) {
        other = -1;
      }
      std::ofstream(out.sub(std::to_string(p))) << ok << " " << refused << " " << other;
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
  }
  int ok = 0, refused = 0;
  for (int p = 0; p < kProcs; ++p) {
    std::ifstream in(out.sub(std::to_string(p)));
    int o = -1, r = -1, x = -1;
    in >> o >> r >> x;
    CHECK(x == 0);
    CHECK(o + r == kEach);
    ok += o;
    refused += r;
  }
  CHECK(ok == kFunded);
  CHECK(refused == kProcs * kEach - kFunded);
  w.reopen();
  CHECK(w.L().size() == start + kFunded);
  CHECK(w.balance("pool") == 0);
  CHECK(w.balance("prime") == 100 * kFunded);
}

TEST_CASE("reliability: a key pair's secret half is zeroed when it goes out of scope") {
  alignas(KeyPair) unsigned char storage[sizeof(KeyPair)];
  auto* k = new (storage) KeyPair(generate_key("wiped"));
  const size_t off = reinterpret_cast<unsigned char*>(k->sk.data()) - storage;
  bool nonzero = false;
  for (uint8_t b : k->sk) nonzero |= b != 0;
  REQUIRE(nonzero);
  k->~KeyPair();
  bool zero = true;
  for (size_t i = 0; i < k->sk.size(); ++i) zero &= storage[off + i] == 0;
  CHECK(zero);
}
