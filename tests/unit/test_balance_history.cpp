// The balance history index (issue 25; docs/decisions.md): Ledger::balance_at
// and balances_at answer from it exactly what the replays of ledger/balances.h
// compute from the records, at every seq and every date; reindex rebuilds it
// byte for byte; check_indexes finds it damaged; and a ledger made before it
// answers by replay until reindex adds it.
#include <doctest/doctest.h>
#include <lmdb.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "../cli/run.h"
#include "ledger/balances.h"
#include "ledger/store.h"
#include "raw_lmdb.h"
#include "test_ledger_support.h"

using namespace ft_test;
using M = schema::Mechanism;

namespace {

// A world whose money moves at random among its parties, on value dates out
// of order (some after today, so a reversal can count from its target's day
// rather than its own): contributions, payments, purchases, refunds,
// reversals (of refunds too), a party registered late, and requests the
// rules refuse, alone or inside a group commit.
struct Moving : World {
  std::mt19937 rng{20251208};
  std::map<uint64_t, const KeyPair*> reversible;  // money record -> the key of the party that reverses it
  std::set<uint32_t> days;                        // every day a record's money counts from
  size_t appended = 0, refused = 0;
  bool late_registered = false;

  Moving() { append(party("stationer", PartyKind::PROVIDER, {admin})); }

  uint32_t some_day() {
    static const uint32_t kDays[] = {20250115, 20250301, 20250302, 20250331, 20250401,
                                     20250415, 20250430, 20250501, 20251231, 20270615};
    return kDays[rng() % std::size(kDays)];
  }
  int64_t some_amount() { return 100 + int64_t(rng() % 90000); }

  // The next request, and the key that would reverse it (null: not money).
  std::pair<SignedRequest, const KeyPair*> next() {
    uint32_t day = some_day();
    int64_t amount = some_amount();
    auto dated_c = [day](spec::Contribution& c) { c.value_date = day; };
    auto dated = [day](spec::Payment& p) { p.value_date = day; };
    switch (rng() % 9) {
      case 0: return {contribution("council", "pool", amount * 4, {council_off}, dated_c), &council_off};
      case 1: return {contribution("fund", "pool", amount * 3, {fund_off}, dated_c), &fund_off};
      case 2: return {payment("pool", "prime", amount * 2, {pool_off}, dated), &pool_off};
      case 3: return {payment("prime", rng() % 2 ? "sme" : "charity", amount, {prime_off}, dated), &prime_off};
      case 4: return {payment("charity", "sme", amount / 2, {charity_off}, dated), &charity_off};  // budget-limited: may be refused
      case 5:
        return {payment("council", "stationer", amount, {council_off},
                        [&](spec::Payment& p) {
                          dated(p);
                          p.mechanism = M::PURCHASE;
                          p.reference = "INV-" + std::to_string(amount);
                        }),
                &council_off};
      case 6:  // a refund is signed by its payee, who also reverses it; refused above what was paid
        return {payment("stationer", "council", amount / 3, {council_off},
                        [&](spec::Payment& p) {
                          dated(p);
                          p.mechanism = M::REFUND;
                        }),
                &council_off};
      case 7:
        if (late_registered) return {payment("prime", "late", amount / 4, {prime_off}, dated), &prime_off};
        late_registered = true;
        return {party("late", PartyKind::PROVIDER, {admin}), nullptr};
      default: {
        if (reversible.empty()) return {contribution("nhs", "pool", amount, {nhs_off}, dated_c), &nhs_off};
        auto it = reversible.begin();
        std::advance(it, rng() % reversible.size());
        return {reversal(it->first, {*it->second}), nullptr};
      }
    }
  }

  void note(uint64_t seq, const KeyPair* reverser) {
    ++appended;
    Bytes leaf = L().leaf(seq);
    Record rec(leaf);
    days.insert(money_day(rec.entry(), rec.leaf().getRecordedAt()));
    auto body = rec.entry().getBody();
    if (body.isReversal()) reversible.erase(body.getReversal().getTargetSeq());
    if (reverser) reversible.emplace(seq, reverser);
  }

  void step() {
    auto [req, reverser] = next();
    try {
      note(L().append(req).seq, reverser);
    } catch (const Error&) {
      ++refused;
    }
  }

  // A group commit of three, the middle one refused (the pool cannot pay
  // what it does not hold): what it began is undone, the others recorded.
  void group() {
    int64_t beyond = balance("pool") + 1000000;  // more than it holds after any one request before it
    std::vector<std::pair<SignedRequest, const KeyPair*>> reqs = {
        next(), {payment("pool", "prime", beyond, {pool_off, pool_off2}), &pool_off}, next()};
    std::vector<SignedRequest> only;
    for (auto& r : reqs) only.push_back(r.first);
    auto out = L().append_each(only);
    REQUIRE(out.size() == 3);
    CHECK(out[1].refused.has_value());
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].appended) note(out[i].appended->seq, reqs[i].second);
      else ++refused;
    }
  }
};

// Every party at every seq, and at every date that can matter, both ways.
void check_against_replay(const Ledger& l, const std::set<uint32_t>& money_days) {
  std::vector<std::string> ids{"nobody"};
  for (auto& p : l.parties()) ids.push_back(p.id);
  for (uint64_t seq = 0; seq < l.size(); ++seq) {
    auto replay = balances_at_size(l, seq + 1);
    CHECK(l.balances_at(BalancePoint::after(seq)) == replay);
    for (auto& id : ids) {
      auto it = replay.find(id);
      CHECK_MESSAGE(l.balance_at(id, BalancePoint::after(seq)) == (it == replay.end() ? std::nullopt : std::optional(it->second)),
                    id << " after seq " << seq);
    }
  }
  std::set<uint32_t> dates{0, 19000101, 29991231, utc_day(now_ms()) - 1, utc_day(now_ms()), utc_day(now_ms()) + 1};
  for (uint32_t d : money_days) dates.insert({d - 1, d, d + 1});
  for (uint32_t date : dates) {
    auto replay = balances_at_date(l, date);
    CHECK(l.balances_at(BalancePoint::on(date)) == replay);
    for (auto& id : ids) {
      auto it = replay.find(id);
      CHECK_MESSAGE(l.balance_at(id, BalancePoint::on(date)) == (it == replay.end() ? std::nullopt : std::optional(it->second)),
                    id << " on " << date);
    }
  }
}

Moving& moved(Moving& w, int steps) {
  for (int i = 0; i < steps; ++i) {
    if (i % 25 == 12) w.group();
    else w.step();
  }
  return w;
}

// Drops the history database and meta's marker: the ledger as one made before the index.
void make_old(const std::string& dir) {
  RawEnv raw(dir);
  MDB_txn* txn;
  REQUIRE(mdb_txn_begin(raw.env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, "history", 0, &dbi) == 0);
  REQUIRE(mdb_drop(txn, dbi, 1) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  REQUIRE(raw.get("meta", "balance_history") == std::optional<std::string>(std::string(fundtrail::kHistoryKept)));
  raw.del("meta", "balance_history");
}

}  // namespace

TEST_CASE("balance history: every party at every seq and date equals the replay of the records") {
  Moving w;
  moved(w, 160);
  REQUIRE(w.L().keeps_balance_history());  // else both sides would be the replay
  CHECK(w.appended > 100);
  CHECK(w.refused > 3);  // refused requests wrote nothing to the history either
  CHECK(w.late_registered);
  check_against_replay(w.L(), w.days);
  w.reopen(true);  // a reader opened read-only (as `fundtrail balance`) reads it too
  REQUIRE(w.L().keeps_balance_history());
  check_against_replay(w.L(), w.days);
  CHECK_THROWS_AS(w.L().balance_at("pool", BalancePoint::after(w.L().size())), Error);
}

TEST_CASE("balance history: reindex rebuilds it byte for byte, and check finds a damaged entry") {
  Moving w;
  moved(w, 60);
  w.close();
  std::vector<std::pair<std::string, std::string>> written;
  {
    RawEnv raw(w.dir);
    written = raw.all("history");
  }
  REQUIRE(written.size() > 50);
  w.reopen();
  IndexCheck before = w.L().reindex(w.tmp.path());
  CHECK(before.differences.empty());
  w.close();
  {
    RawEnv raw(w.dir);
    CHECK(raw.all("history") == written);
    // One balance after a record changed, one day's net removed.
    auto seq_entry = std::find_if(written.begin(), written.end(), [](auto& kv) { return kv.first[0] == 's'; });
    auto day_entry = std::find_if(written.begin(), written.end(), [](auto& kv) { return kv.first[0] == 'd'; });
    REQUIRE(seq_entry != written.end());
    REQUIRE(day_entry != written.end());
    std::string changed = seq_entry->second;
    changed.back() = static_cast<char>(changed.back() ^ 1);
    raw.put("history", seq_entry->first, changed);
    raw.del("history", day_entry->first);
  }
  w.reopen();
  IndexCheck check = w.L().check_indexes(w.tmp.path());
  REQUIRE(check.differences.size() == 1);
  CHECK(check.differences[0].database == "history");
  CHECK(check.differences[0].changed == 1);
  CHECK(check.differences[0].missing == 1);
  CHECK(check.differences[0].extra == 0);
  IndexCheck repaired = w.L().reindex(w.tmp.path());
  CHECK(repaired.differences.size() == 1);
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  check_against_replay(w.L(), w.days);
}

TEST_CASE("balance history: a ledger made before it answers by replay, checks clean, and gains it by reindex") {
  Moving w;
  moved(w, 50);
  w.close();
  make_old(w.dir);
  w.reopen(true);
  CHECK_FALSE(w.L().keeps_balance_history());
  check_against_replay(w.L(), w.days);  // the replay answers, with no error
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  w.reopen(false);
  CHECK_FALSE(w.L().keeps_balance_history());
  moved(w, 20);  // appended without the history: nothing half-kept
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  check_against_replay(w.L(), w.days);
  IndexCheck before = w.L().reindex(w.tmp.path());
  CHECK(before.differences.empty());  // its absence was no difference
  REQUIRE(w.L().keeps_balance_history());
  moved(w, 20);  // and kept from now on
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  check_against_replay(w.L(), w.days);
  w.close();
  {
    RawEnv raw(w.dir);
    CHECK(raw.get("meta", "balance_history") == std::optional<std::string>(std::string(fundtrail::kHistoryKept)));
  }
  w.reopen(true);
  CHECK(w.L().keeps_balance_history());
  check_against_replay(w.L(), w.days);
}

#ifdef FUNDTRAIL_BIN
TEST_CASE("balance history: a writer open before another process's reindex added it takes it up before appending") {
  Moving w;
  moved(w, 30);
  w.close();
  make_old(w.dir);
  w.reopen(false);
  REQUIRE_FALSE(w.L().keeps_balance_history());
  fundtrail::test::RunOptions opt;
  opt.env["TMPDIR"] = w.tmp.path();
  auto r = fundtrail::test::run(FUNDTRAIL_BIN, {"--ledger", w.dir, "reindex"}, opt);
  REQUIRE_MESSAGE(r.code == 0, r);
  moved(w, 30);  // this process appends: its first write transaction sees the marker
  CHECK(w.L().keeps_balance_history());
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  check_against_replay(w.L(), w.days);
}
#endif

TEST_CASE("balance history: a party's last move is found in an earlier epoch of 65,536 records") {
  World w;
  uint64_t nhs_seq = w.append(w.contribution("nhs", "pool", 4200, {w.nhs_off}));
  w.append(w.contribution("council", "pool", 5000000, {w.council_off}));
  // Over 2^16 records of pool payments to prime and sme in payment runs: nhs
  // does not move again until the end, in the second epoch.
  std::vector<const KeyPair*> pool_keys{&w.pool_off};
  int run = 0;
  while (w.L().size() < 70000) {
    std::vector<Bytes> entries;
    for (int i = 0; i < 10000; ++i)
      entries.push_back(w.entry(spec::Payment{.from = "pool", .to = i % 2 ? "sme" : "prime", .amount = 1 + (run + i) % 3,
                                              .currency = "GBP", .value_date = kDate + uint32_t(run),
                                              .mechanism = schema::Mechanism::GRANT}));
    w.L().append_run(run_request(w.origin, now_ms(), std::move(entries), pool_keys));
    ++run;
  }
  uint64_t last_nhs = w.append(w.contribution("nhs", "pool", 100, {w.nhs_off}));
  REQUIRE(last_nhs > 65536);
  REQUIRE(w.L().keeps_balance_history());
  // nhs moved at nhs_seq (epoch 0) and last_nhs (epoch 1) only.
  CHECK(w.L().balance_at("nhs", BalancePoint::after(nhs_seq - 1)) == 0);
  for (uint64_t seq : {nhs_seq, uint64_t(65535), uint64_t(65536), uint64_t(65537), last_nhs - 1})
    CHECK_MESSAGE(w.L().balance_at("nhs", BalancePoint::after(seq)) == -4200, "after seq " << seq);
  CHECK(w.L().balance_at("nhs", BalancePoint::after(last_nhs)) == -4300);
  w.close();
  {
    // The pool moved in nearly every record: its moves in epoch 0 fill many
    // chunks (each at most 256 bytes and a move), sme's and prime's fewer.
    RawEnv raw(w.dir);
    std::string pool0 = std::string("s") + std::string(4, '\0') + "pool" + std::string(1, '\0');
    size_t chunks = 0, longest = 0;
    for (auto& [k, v] : raw.all("history"))
      if (k.starts_with(pool0) && k.size() == pool0.size() + 8) ++chunks, longest = std::max(longest, v.size());
    CHECK(chunks > 65536 / 256);  // a move takes at least one byte for its seq, one for its balance
    CHECK(longest < 256 + 20);    // two varints of at most 10 bytes past the limit
  }
  w.reopen();
  // Every party across the epoch boundary, against the replay.
  for (uint64_t seq : {uint64_t(65535), uint64_t(65536), last_nhs})
    CHECK_MESSAGE(w.L().balances_at(BalancePoint::after(seq)) == balances_at_size(w.L(), seq + 1), "after seq " << seq);
  for (uint32_t date : {kDate + 3, kDate + 7})
    CHECK(w.L().balances_at(BalancePoint::on(date)) == balances_at_date(w.L(), date));
}

TEST_CASE("balance history: a malformed chunk is refused, by a read and by an append, with what to run") {
  Moving w;
  moved(w, 40);
  w.close();
  std::string pool_chunk;
  {
    RawEnv raw(w.dir);
    std::string prefix = std::string("s") + std::string(4, '\0') + "pool" + std::string(1, '\0');
    for (auto& [k, v] : raw.all("history"))
      if (k.starts_with(prefix)) pool_chunk = k;
    REQUIRE_FALSE(pool_chunk.empty());
    raw.put("history", pool_chunk, std::string(11, '\xff'));  // a varint that never ends within 64 bits
  }
  w.reopen();
  uint64_t last = w.L().size() - 1;
  CHECK_THROWS_WITH_AS(w.L().balance_at("pool", BalancePoint::after(last)), doctest::Contains("run fundtrail reindex"), Error);
  CHECK(w.L().balance_at("prime", BalancePoint::after(last)).has_value());  // other parties still answer
  uint64_t before = w.L().size();
  CHECK_THROWS_WITH_AS(w.append(w.contribution("council", "pool", 100, {w.council_off})),
                       doctest::Contains("run fundtrail reindex"), Error);
  CHECK(w.L().size() == before);  // nothing half-written
  IndexCheck repaired = w.L().reindex(w.tmp.path());
  CHECK(repaired.differences.size() == 1);
  w.append(w.contribution("council", "pool", 100, {w.council_off}));
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
}
