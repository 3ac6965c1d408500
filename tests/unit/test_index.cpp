// ledger/index.h: every layout round-trips, writes the bytes existing ledgers
// hold (spelled out here byte by byte), and every reader refuses a truncated
// or oversized value with check "index" (exit 2).
#include "ledger/index.h"

#include <doctest/doctest.h>

#include <functional>

#include "test_ledger_support.h"

using namespace fundtrail;
using ft_test::contains;

namespace {

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

Hash hash_of(uint8_t first) {
  Hash h{};
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(first + i);
  return h;
}

PublicKey key_of(uint8_t first) {
  PublicKey k{};
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(first + i);
  return k;
}

std::string raw(const Hash& h) { return std::string(reinterpret_cast<const char*>(h.data()), h.size()); }

// `read` must refuse with check "index", exit 2, and say which index and what to run.
void expect_index_refusal(const std::function<void()>& read, const std::string& which) {
  CAPTURE(which);
  try {
    read();
    FAIL("the malformed value was read");
  } catch (const Error& e) {
    CHECK(e.check == "index");
    CHECK(exit_code(e) == 2);
    CHECK(contains(e.message, which));
    CHECK(contains(e.message, "malformed; run fundtrail reindex"));
  }
}

// Each reader, given `value` with one byte too few and one byte too many.
void expect_size_refusals(const std::string& value, const std::function<void(std::string_view)>& read,
                          const std::string& which) {
  expect_index_refusal([&] { read(std::string_view(value).substr(0, value.size() - 1)); }, which);
  expect_index_refusal([&] { read(value + '\x01'); }, which);
}

}  // namespace

TEST_CASE("index: seq keys and values are 8 bytes big-endian") {
  CHECK(index::seq_key(0x0102030405060708) == bytes({1, 2, 3, 4, 5, 6, 7, 8}));
  CHECK(index::seq_key(0) < index::seq_key(1));
  CHECK(index::seq_key(255) < index::seq_key(256));  // sorts numerically
  for (uint64_t v : {uint64_t(0), uint64_t(1), uint64_t(1) << 40, ~uint64_t(0)})
    CHECK(index::read_seq(index::seq_key(v), "reversed index value") == v);
  expect_size_refusals(index::seq_key(7), [](std::string_view v) { index::read_seq(v, "reversed index value"); },
                       "reversed index value");
  expect_index_refusal([] { index::read_seq("", "ended index value"); }, "ended index value");
}

TEST_CASE("index: tree keys are level(1) || index(8), values a 32-byte hash") {
  CHECK(index::tree_key(3, 0x0102) == bytes({3, 0, 0, 0, 0, 0, 0, 1, 2}));
  Hash h = hash_of(9);
  CHECK(index::hash_value(h) == raw(h));
  CHECK(index::read_hash(index::hash_value(h), "tree index hash") == h);
  expect_size_refusals(index::hash_value(h), [](std::string_view v) { index::read_hash(v, "tree index hash"); },
                       "tree index hash");
}

TEST_CASE("index: meta's format and head") {
  CHECK(index::kFormatKey == "format");
  CHECK(index::format_value(1) == "1");
  std::string size = index::seq_key(42), hash = raw(hash_of(1)), at = index::seq_key(1700000000123);
  index::Head h = index::read_head(size, hash, at);
  CHECK(h.size == 42);
  CHECK(h.hash == hash_of(1));
  CHECK(h.recorded_at == 1700000000123);
  expect_size_refusals(size, [&](std::string_view v) { index::read_head(v, hash, at); }, "meta size");
  expect_size_refusals(hash, [&](std::string_view v) { index::read_head(size, v, at); }, "meta head");
  expect_size_refusals(at, [&](std::string_view v) { index::read_head(size, hash, v); }, "meta recorded_at");

  // write_head and read_head through a real environment.
  ft_test::TempDir dir;
  Env env(dir.path(), false, true);
  {
    Txn txn(env, true);
    index::write_head(txn, {7, hash_of(3), 1234});
    CHECK(*txn.get(txn.dbs().meta, "size") == index::seq_key(7));
    CHECK(*txn.get(txn.dbs().meta, "head") == raw(hash_of(3)));
    CHECK(*txn.get(txn.dbs().meta, "recorded_at") == index::seq_key(1234));
    txn.commit();
  }
  Txn txn(env, false);
  index::Head back = index::read_head(txn);
  CHECK(back.size == 7);
  CHECK(back.hash == hash_of(3));
  CHECK(back.recorded_at == 1234);
}

TEST_CASE("index: idem values are seq(8), or seq(8) || body hash(32) in a ledger made before") {
  Hash body = hash_of(100);
  std::string v = index::idem_value(5, body, true);
  CHECK(v == index::seq_key(5));
  CHECK(index::read_idem_seq(v) == 5);
  std::string old = index::idem_value(5, body, false);
  CHECK(old == index::seq_key(5) + raw(body));
  CHECK(index::read_idem_seq(old) == 5);
  // Any other length is refused.
  for (size_t n : {size_t(0), size_t(7), size_t(9), size_t(39), size_t(41)})
    expect_index_refusal([&] { index::read_idem_seq(std::string(n, '\x01')); }, "idempotency index entry");
}

TEST_CASE("index: party values are kind(1) || budget limited(1) || balance(8) || registered at(8)") {
  PartyState p;
  p.id = "council";
  p.kind = schema::PartyKind::POOL;
  p.budget_limited = true;
  p.balance = -2;
  p.registered_at = 3;
  std::string v = index::party_value(p);
  CHECK(v == bytes({static_cast<int>(schema::PartyKind::POOL), 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0,
                    0, 0, 0, 0, 3}));
  PartyState back = index::read_party("council", v);
  CHECK(back.id == "council");
  CHECK(back.kind == p.kind);
  CHECK(back.budget_limited);
  CHECK(back.balance == -2);
  CHECK(back.registered_at == 3);
  expect_size_refusals(v, [](std::string_view bytes) { index::read_party("council", bytes); }, "parties index entry for 'council'");
}

TEST_CASE("index: grant keys are party || 0x00 || key(32), values role(1) || granted at(8) || revoked(1)") {
  PublicKey k = key_of(40);
  std::string key = index::grant_key("sme", k);
  CHECK(key == std::string("sme") + '\0' + std::string(reinterpret_cast<const char*>(k.data()), 32));
  CHECK(key.rfind(index::grant_prefix("sme"), 0) == 0);
  for (bool revoked : {false, true}) {
    Grant g{"sme", k, schema::Role::APPROVER, 0x0a0b, revoked, revoked ? 0x0c0dU : 0U};
    std::string v = index::grant_value(g);
    CHECK(v == bytes({static_cast<int>(schema::Role::APPROVER), 0, 0, 0, 0, 0, 0, 0x0a, 0x0b, revoked ? 1 : 0, 0, 0, 0, 0,
                      0, 0, revoked ? 0x0c : 0, revoked ? 0x0d : 0}));
    Grant back = index::read_grant(key, v);
    CHECK(back.party == "sme");
    CHECK(back.key == k);
    CHECK(back.role == schema::Role::APPROVER);
    CHECK(back.granted_at == 0x0a0b);
    CHECK(back.revoked == revoked);
    CHECK(back.revoked_at == g.revoked_at);
    expect_size_refusals(v, [&](std::string_view bytes) { index::read_grant(key, bytes); }, "grants index entry");
  }
  std::string v = index::grant_value({"sme", k, schema::Role::OFFICER, 1, false, 0});
  std::string no_separator = key;
  no_separator[3] = 'x';
  expect_index_refusal([&] { index::read_grant(no_separator, v); }, "grants index entry");
  expect_index_refusal([&] { index::read_grant(key.substr(0, 32), v); }, "grants index entry");
}

TEST_CASE("index: contract values hold the numbers, then payer, payee and parent") {
  ContractState c;
  c.reference = "C-1";
  c.seq = 11;
  c.cap = 5000;
  c.paid = 1200;
  c.start = 20240101;
  c.end = 20241231;
  c.ended = true;
  c.schedule_seq = 14;
  c.changed_at = 19;
  c.payer = "council";
  c.payee = "sme";
  c.parent = "C-0";
  std::string v = index::contract_value(c);
  // start and end: what a be64((start << 32) | end) wrote before the layout had a module.
  CHECK(v == index::seq_key(11) + index::seq_key(5000) + index::seq_key(1200) +
                 index::seq_key((uint64_t(20240101) << 32) | 20241231) + '\x01' + index::seq_key(14) + index::seq_key(19) + "council" + '\0' +
                 "sme" + '\0' + "C-0");
  ContractState back = index::read_contract("C-1", v);
  CHECK(back.reference == "C-1");
  CHECK(back.seq == 11);
  CHECK(back.cap == 5000);
  CHECK(back.paid == 1200);
  CHECK(back.start == 20240101);
  CHECK(back.end == 20241231);
  CHECK(back.ended);
  CHECK(back.schedule_seq == 14);
  CHECK(back.changed_at == 19);
  CHECK(back.payer == "council");
  CHECK(back.payee == "sme");
  CHECK(back.parent == "C-0");
  c.parent.clear();
  c.ended = false;
  c.end = 0;
  ContractState open = index::read_contract("C-2", index::contract_value(c));
  CHECK(open.parent.empty());
  CHECK(!open.ended);
  CHECK(open.end == 0);

  std::string numbers = v.substr(0, 49);
  for (std::string bad : {numbers.substr(0, 48), numbers, numbers + "council", numbers + "council" + '\0' + "sme"})
    expect_index_refusal([&] { index::read_contract("C-1", bad); }, "contracts index entry for 'C-1'");
}

TEST_CASE("index: claim keys and lists of (reference, payment seq)") {
  CHECK(index::claim_key("claim-7", "m1") == std::string("claim-7") + '\0' + "m1");
  std::vector<index::PaidClaim> paid{{"C-1", 20}, {"C-2", 0x0102}};
  std::string v = index::claims_value(paid);
  CHECK(v == std::string("C-1") + '\0' + index::seq_key(20) + "C-2" + '\0' + index::seq_key(0x0102));
  auto back = index::read_claims(v);
  REQUIRE(back.size() == 2);
  CHECK(back[0].reference == "C-1");
  CHECK(back[0].seq == 20);
  CHECK(back[1].reference == "C-2");
  CHECK(back[1].seq == 0x0102);
  CHECK(index::read_claims("").empty());
  CHECK(index::claims_value({}).empty());
  expect_size_refusals(v, [](std::string_view bytes) { index::read_claims(bytes); }, "claims index entry");
  expect_index_refusal([] { index::read_claims("C-1"); }, "claims index entry");
}

TEST_CASE("index: status keys are party || 0x00 || from(4) || seq(8), values one status byte") {
  std::string key = index::status_key("sme", 20240315, 9);
  CHECK(key == std::string("sme") + '\0' + bytes({0x01, 0x34, 0xd7, 0xbb}) + index::seq_key(9));
  CHECK(key.rfind(index::status_prefix("sme"), 0) == 0);
  CHECK(index::status_key("sme", 20240101, 99) < index::status_key("sme", 20240102, 1));  // date first, then seq
  std::string v = index::status_value(schema::PartyStatus::FINANCIAL_FAILURE);
  CHECK(v == bytes({static_cast<int>(schema::PartyStatus::FINANCIAL_FAILURE)}));
  index::StatusChange s = index::read_status(key, v);
  CHECK(s.party == "sme");
  CHECK(s.from == 20240315);
  CHECK(s.seq == 9);
  CHECK(s.status == schema::PartyStatus::FINANCIAL_FAILURE);
  expect_size_refusals(v, [&](std::string_view bytes) { index::read_status(key, bytes); }, "statuses index entry");
  expect_size_refusals(key, [&](std::string_view k) { index::read_status(k, v); }, "statuses index entry");
}

namespace {
// Deferred writes that log what the transactions did with them.
struct LoggedDeferred final : Deferred {
  std::vector<int> items;
  std::vector<std::string>* log;
  explicit LoggedDeferred(std::vector<std::string>* l) : log(l) {}
  size_t size() const override { return items.size(); }
  void roll_back(size_t mark) override {
    log->push_back("roll back to " + std::to_string(mark));
    items.resize(mark);
  }
  void write(Txn& txn) override {
    std::string all;
    for (int i : items) all += std::to_string(i);
    log->push_back("write " + all);
    txn.put(txn.dbs().meta, "deferred", all);  // inside the transaction being committed
  }
};
}  // namespace

TEST_CASE("store: deferred writes are made at the outermost commit, without what an uncommitted nested transaction added") {
  ft_test::TempDir dir;
  Env env(dir.path(), false, true);
  std::vector<std::string> log;
  {
    Txn txn(env, true);
    {
      Txn before(txn);  // begun before any deferred writes: rolls back to 0
      txn.defer(std::make_unique<LoggedDeferred>(&log));
      static_cast<LoggedDeferred*>(before.deferred())->items = {9};
    }
    auto* d = static_cast<LoggedDeferred*>(txn.deferred());
    CHECK(d->items.empty());
    d->items = {1, 2};
    {
      Txn kept(txn);
      d->items.push_back(3);
      {
        Txn dropped(kept);
        d->items.push_back(4);
        d->items.push_back(5);
      }
      CHECK(d->items == std::vector<int>{1, 2, 3});
      kept.commit();
    }
    CHECK(log == std::vector<std::string>{"roll back to 0", "roll back to 3"});
    txn.commit();
  }
  CHECK(log.back() == "write 123");
  CHECK(log.size() == 3);
  Txn read(env, false);
  CHECK(read.get(read.dbs().meta, "deferred") == std::optional<std::string_view>("123"));
  CHECK(read.deferred() == nullptr);
}

TEST_CASE("store: an outermost transaction ended uncommitted writes none of its deferred writes") {
  ft_test::TempDir dir;
  Env env(dir.path(), false, true);
  std::vector<std::string> log;
  {
    Txn txn(env, true);
    txn.defer(std::make_unique<LoggedDeferred>(&log));
    static_cast<LoggedDeferred*>(txn.deferred())->items = {7};
  }
  CHECK(log.empty());
  Txn read(env, false);
  CHECK_FALSE(read.get(read.dbs().meta, "deferred").has_value());
}
