#include "bench/primitives.h"

#include <lmdb.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fundtrail::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kMessage = 300;  // about a payment entry's size

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Runs fn(thread, n) in rounds of `round` calls on each thread until
// `seconds` have passed; calls per second over all threads.
template <class Fn>
double parallel_rate(unsigned threads, size_t round, double seconds, Fn&& fn) {
  auto start = Clock::now();
  std::vector<std::thread> pool;
  std::vector<size_t> done(threads, 0);
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      do {
        fn(t, round);
        done[t] += round;
      } while (seconds_since(start) < seconds);
    });
  for (auto& th : pool) th.join();
  size_t total = 0;
  for (size_t d : done) total += d;
  return double(total) / seconds_since(start);
}

}  // namespace

double ed25519_verify_per_s(unsigned threads, double seconds, size_t distinct) {
  // Distinct keys and messages, as in a ledger: verification is variable-time,
  // and one signature checked over and over lets the branch predictor learn
  // its scalars, which made the rate 6% faster than for distinct signatures
  // (docs/performance.md). 1,024 is more than the predictor can memorise.
  struct Signed {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES], msg[kMessage], sig[crypto_sign_BYTES];
  };
  std::vector<Signed> pool(std::max<size_t>(1, distinct));
  for (Signed& s : pool) {
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(s.pk, sk);
    randombytes_buf(s.msg, sizeof s.msg);
    crypto_sign_detached(s.sig, nullptr, s.msg, sizeof s.msg, sk);
  }
  std::atomic<int> bad{0};
  std::vector<size_t> next(threads);
  for (unsigned t = 0; t < threads; ++t) next[t] = t * pool.size() / threads;
  double rate = parallel_rate(threads, 500, seconds, [&](unsigned t, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      const Signed& s = pool[next[t]++ % pool.size()];
      bad += crypto_sign_verify_detached(s.sig, s.msg, sizeof s.msg, s.pk) != 0;
    }
  });
  return bad ? 0 : rate;
}

double ed25519_sign_per_s(unsigned threads) {
  unsigned char pk[32], sk[64], msg[kMessage];
  crypto_sign_keypair(pk, sk);
  randombytes_buf(msg, sizeof msg);
  return parallel_rate(threads, 1000, 1.0, [&](unsigned, size_t n) {
    unsigned char sig[64];
    for (size_t i = 0; i < n; ++i) crypto_sign_detached(sig, nullptr, msg, sizeof msg, sk);
  });
}

double sha256_leaf_hashes_per_s() {
  unsigned char leaf[kMessage + 1] = {0}, out[32];
  constexpr size_t n = 500000;
  auto start = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    leaf[1] = static_cast<unsigned char>(i);
    crypto_hash_sha256(out, leaf, sizeof leaf);
  }
  return double(n) / seconds_since(start);
}

// A fresh LMDB environment in `dir` with an "entries" database; false if it cannot be opened.
bool open_scratch_env(const char* dir, size_t map, MDB_env*& env, MDB_dbi& dbi) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  mdb_env_create(&env);
  mdb_env_set_mapsize(env, map);
  mdb_env_set_maxdbs(env, 2);
  if (mdb_env_open(env, dir, 0, 0644)) return false;
  MDB_txn* txn;
  mdb_txn_begin(env, nullptr, 0, &txn);
  mdb_dbi_open(txn, "entries", MDB_CREATE, &dbi);
  mdb_txn_commit(txn);
  return true;
}

double lmdb_batched_appends_per_s(const char* dir) {
  MDB_env* env;
  MDB_dbi dbi;
  if (!open_scratch_env(dir, size_t(1) << 30, env, dbi)) return 0;
  MDB_txn* txn;
  std::vector<char> value(kMessage, 'x');
  constexpr uint64_t total = 200000, batch = 10000;
  auto start = Clock::now();
  for (uint64_t b = 0; b < total; b += batch) {
    mdb_txn_begin(env, nullptr, 0, &txn);
    for (uint64_t i = b; i < b + batch; ++i) {
      unsigned char key[8];
      for (int k = 0; k < 8; ++k) key[k] = static_cast<unsigned char>(i >> (8 * (7 - k)));
      MDB_val kv{8, key}, vv{value.size(), value.data()};
      mdb_put(txn, dbi, &kv, &vv, MDB_APPEND);
    }
    mdb_txn_commit(txn);
  }
  double rate = double(total) / seconds_since(start);
  mdb_env_close(env);
  std::filesystem::remove_all(dir);
  return rate;
}

double durable_commits_per_s(const char* dir) {
  MDB_env* env;
  MDB_dbi dbi;
  if (!open_scratch_env(dir, size_t(1) << 28, env, dbi)) return 0;
  MDB_txn* txn;
  std::vector<char> value(kMessage, 'x');
  uint64_t n = 0;
  auto start = Clock::now();
  while (n < 100000 && (n < 50 || seconds_since(start) < 2.0)) {
    mdb_txn_begin(env, nullptr, 0, &txn);
    unsigned char key[8];
    for (int k = 0; k < 8; ++k) key[k] = static_cast<unsigned char>(n >> (8 * (7 - k)));
    MDB_val kv{8, key}, vv{value.size(), value.data()};
    mdb_put(txn, dbi, &kv, &vv, MDB_APPEND);
    mdb_txn_commit(txn);  // durable: LMDB syncs on every commit by default
    ++n;
  }
  double rate = double(n) / seconds_since(start);
  mdb_env_close(env);
  std::filesystem::remove_all(dir);
  return rate;
}

}  // namespace fundtrail::bench
