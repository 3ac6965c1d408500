// Payment runs on the writer's side (DESIGN.md "Payment runs"): one batch
// record signed by the officers who approved the run, then its records with
// no signatures of their own. Every rule a run can break, held and broken,
// and what reindex, check and a mirror make of a ledger mixing runs and
// per-record signatures. The verifier's side: tests/verifier/test_batches.cpp.
#include <capnp/message.h>
#include <doctest/doctest.h>

#include <algorithm>

#include "ledger/balances.h"
#include "ledger/leaf_chain.h"
#include "test_ledger_support.h"

using namespace ft_test;

namespace {

struct RunWorld : World {
  // Money in the pool and with the council to pay from.
  RunWorld() {
    append(contribution("council", "pool", 5000000, {council_off}));
    append(contribution("nhs", "pool", 3000000, {nhs_off}));
  }

  std::vector<const KeyPair*> keys(const Signers& signers) {
    std::vector<const KeyPair*> out;
    for (const KeyPair& k : signers) out.push_back(&k);
    return out;
  }
  Bytes pay_entry(const std::string& from, const std::string& to, int64_t amount, const PaymentMore& more = {}) {
    spec::Payment p{.from = from, .to = to, .amount = amount, .currency = "GBP", .value_date = kDate,
                    .mechanism = schema::Mechanism::GRANT};
    if (more) more(p);
    return entry(p);
  }
  BatchRequest run(std::vector<Bytes> entries, const Signers& signers) {
    return run_request(origin, now_ms(), std::move(entries), keys(signers));
  }
  // A run of `n` small council payments, alternating between two providers.
  std::vector<Bytes> council_payments(int n) {
    std::vector<Bytes> out;
    for (int i = 0; i < n; ++i) out.push_back(pay_entry("council", i % 2 ? "sme" : "prime", 1000 + i));
    return out;
  }
  std::string refused(const BatchRequest& r, CheckId check) {
    return expect_refused_by(L(), check, [&] { L().append_run(r); });
  }
};

Record record_at(Ledger& l, uint64_t seq) {
  static thread_local Bytes keep;  // the Record reads these bytes
  keep = l.leaf(seq);
  return Record(keep);
}

}  // namespace

TEST_CASE("payment run: one batch record signed once, its records unsigned and pointing back to it") {
  RunWorld w;
  int64_t council = w.balance("council"), prime = w.balance("prime"), sme = w.balance("sme");
  uint64_t size = w.L().size();
  RunAppended r = w.L().append_run(w.run(w.council_payments(5), {w.council_off}));
  CHECK_FALSE(r.retried);
  CHECK(r.seq == size);
  CHECK(r.first == size + 1);
  CHECK(r.last == size + 5);
  CHECK(w.L().size() == size + 6);

  Bytes batch_leaf = w.L().leaf(r.seq);
  Record batch(batch_leaf);
  CHECK(batch.entry().getBody().isBatch());
  CHECK(batch.entry().getBody().getBatch().getCount() == 5);
  CHECK(batch.leaf().getSignatures().size() == 1);
  CHECK(batch.leaf().getBatchSeq() == 0);
  std::vector<Hash> leaves;
  for (uint64_t seq = r.first; seq <= r.last; ++seq) {
    Bytes bytes = w.L().leaf(seq);
    Record rec(bytes);
    CHECK(rec.leaf().getBatchSeq() == r.seq);
    CHECK(rec.leaf().getSignatures().size() == 0);
    auto e = rec.leaf().getEntry();
    leaves.push_back(ref_leaf_hash({e.begin(), e.size()}));
  }
  // The root the officers signed is the RFC 6962 root over the records' Entry bytes.
  auto root = batch.entry().getBody().getBatch().getRoot();
  Hash want = ref_mth(leaves, 0, leaves.size());
  CHECK(std::equal(want.begin(), want.end(), root.begin()));

  int64_t paid_prime = 1000 + 1002 + 1004, paid_sme = 1001 + 1003;
  CHECK(w.balance("council") == council - paid_prime - paid_sme);
  CHECK(w.balance("prime") == prime + paid_prime);
  CHECK(w.balance("sme") == sme + paid_sme);
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
}

TEST_CASE("payment run: the same run again is a retry, and a run repeating a recorded key is refused whole") {
  RunWorld w;
  BatchRequest first = w.run(w.council_payments(3), {w.council_off});
  RunAppended a = w.L().append_run(first);
  uint64_t size = w.L().size();

  // Signed again later (another createdAt): the same records, the same run.
  BatchRequest again = run_request(w.origin, now_ms() + 1000, first.entries, w.keys({w.council_off}));
  RunAppended b = w.L().append_run(again);
  CHECK(b.retried);
  CHECK(b.seq == a.seq);
  CHECK(b.first == a.first);
  CHECK(b.last == a.last);
  CHECK(w.L().size() == size);

  // A new run that holds one record already recorded: nothing of it is written.
  std::vector<Bytes> mixed = w.council_payments(2);
  mixed.push_back(first.entries[1]);
  std::string msg = w.refused(w.run(mixed, {w.council_off}), 6);
  CHECK(contains(msg, "record 3 of the run"));
  CHECK(contains(msg, "seq " + std::to_string(a.first + 1)));

  // The same key twice inside one run.
  std::vector<Bytes> twice = {first.entries[0], first.entries[0]};
  std::vector<Bytes> fresh = w.council_payments(1);
  twice[0] = fresh[0];
  twice[1] = fresh[0];
  CHECK(contains(w.refused(w.run(twice, {w.council_off}), 6), "given twice"));
}

TEST_CASE("payment run: rule 1, each record needs a signer acting for its payer, and each signer must act for a record") {
  RunWorld w;
  // Payments by the council and the NHS, approved by a council officer only.
  std::vector<Bytes> two_payers = w.council_payments(2);
  two_payers.push_back(w.pay_entry("nhs", "sme", 500));
  std::string msg = w.refused(w.run(two_payers, {w.council_off}), 1);
  CHECK(contains(msg, "record 3 of the run"));
  CHECK(contains(msg, "'nhs'"));
  // With the NHS officer too, each record has its payer's officer.
  RunAppended ok = w.L().append_run(w.run(two_payers, {w.council_off, w.nhs_off}));
  CHECK(ok.last == ok.seq + 3);

  // A signer who acts for none of the records (the fund's officer).
  msg = w.refused(w.run(w.council_payments(2), {w.council_off, w.fund_off}), 1);
  CHECK(contains(msg, "holds no key of any of its records' acting parties"));

  // An approver alone is not an officer: rule 1 as for a single payment.
  w.refused(w.run(w.council_payments(1), {w.council_appr}), 1);
  // A stranger's signature alone.
  w.refused(w.run(w.council_payments(1), {w.stranger}), 1);
}

TEST_CASE("payment run: rule 5, a payment at or above the threshold needs two keys of its payer among the signers") {
  RunWorld w;
  std::vector<Bytes> big = w.council_payments(1);
  big.push_back(w.pay_entry("council", "prime", kThreshold));
  std::string msg = w.refused(w.run(big, {w.council_off}), 5);
  CHECK(contains(msg, "record 2 of the run"));
  // Officer and approver: dual control met for the big one; the small one has two signers acting for it too.
  RunAppended r = w.L().append_run(w.run(big, {w.council_off, w.council_appr}));
  CHECK_FALSE(r.retried);
  // Two approvers: no officer among them.
  w.refused(w.run({w.pay_entry("council", "prime", kThreshold + 1)}, {w.council_appr, w.council_appr2}), 1);
}

TEST_CASE("payment run: a run may register the payees it pays, signed by an administrator and the payer's officer") {
  RunWorld w;
  spec::PartyRegistered newcomer{.id = "newcomer", .name = "A new supplier", .kind = PartyKind::PROVIDER};
  std::vector<Bytes> entries = {w.entry(newcomer), w.pay_entry("council", "newcomer", 4200)};
  // Without an administrator, the registration has no signer that counts.
  std::string msg = w.refused(w.run(entries, {w.council_off}), 1);
  CHECK(contains(msg, "administrator"));
  RunAppended r = w.L().append_run(w.run(entries, {w.admin, w.council_off}));
  CHECK(w.L().party("newcomer").has_value());
  CHECK(w.balance("newcomer") == 4200);
  CHECK(r.last == r.seq + 2);
}

TEST_CASE("payment run: any other rule refusing one record refuses the whole run, naming the record") {
  RunWorld w;
  int64_t pool = w.balance("pool");
  std::vector<Bytes> entries = {w.pay_entry("pool", "prime", 100, [](spec::Payment& p) { p.mechanism = schema::Mechanism::BLOCK; }),
                                w.pay_entry("pool", "sme", pool, [](spec::Payment& p) { p.mechanism = schema::Mechanism::BLOCK; })};
  std::string msg = w.refused(w.run(entries, {w.pool_off, w.pool_off2}), 4);
  CHECK(contains(msg, "record 2 of the run"));
  // Rule 2: an unknown payee.
  msg = w.refused(w.run({w.pay_entry("council", "nobody", 100)}, {w.council_off}), 2);
  CHECK(contains(msg, "record 1 of the run"));
}

TEST_CASE("payment run: records swapped, added, removed or changed after signing are refused") {
  RunWorld w;
  BatchRequest good = w.run(w.council_payments(4), {w.council_off});

  BatchRequest swapped = good;
  std::swap(swapped.entries[0], swapped.entries[2]);
  CHECK(contains(w.refused(swapped, 1), "root does not match"));

  BatchRequest changed = good;
  changed.entries[1] = w.pay_entry("council", "prime", 999999);
  CHECK(contains(w.refused(changed, 1), "root does not match"));

  BatchRequest added = good;
  added.entries.push_back(w.pay_entry("council", "prime", 1));
  CHECK(contains(w.refused(added, "format"), "says 4 records; 5 were given"));

  BatchRequest removed = good;
  removed.entries.pop_back();
  CHECK(contains(w.refused(removed, "format"), "says 4 records; 3 were given"));

  // The batch's own key must be the one derived from its records' keys.
  BatchRequest rekeyed = good;
  rekeyed.batch = ft_test::sign_request(build_entry(w.origin, now_ms(), "my-own-key", [&](schema::Entry::Body::Builder b) {
    EntryView v(good.batch.entry);
    b.setBatch(v.entry().getBody().getBatch());
  }), {w.council_off});
  CHECK(contains(w.refused(rekeyed, 6), "derived from its records' keys"));

  // A signature that does not verify over the batch entry.
  BatchRequest forged = good;
  forged.batch.signatures[0].sig[0] ^= 1;
  w.refused(forged, 1);

  // The untouched run is recorded.
  CHECK_FALSE(w.L().append_run(good).retried);
}

TEST_CASE("payment run: only contributions, payments and party registrations, only in a format 2 ledger, one to 10000 records") {
  RunWorld w;
  std::vector<Bytes> entries = {w.entry(spec::KeyGranted{"sme", w.stranger.pk, Role::OFFICER})};
  CHECK(contains(w.refused(w.run(entries, {w.admin}), 1), "only contributions, payments and party registrations"));
  entries = {w.entry(spec::Reversal{3, "keyed in error"})};
  w.refused(w.run(entries, {w.council_off}), 1);

  // A ledger made before payment runs keeps per-record signatures.
  TempDir tmp;
  KeyPair admin = generate_key("old-admin"), log = generate_key("old-log");
  GenesisOptions old;
  old.format_version = 1;
  Ledger v1 = Ledger::create(tmp.sub("v1"), genesis_request(log, {admin.pk}, {admin}, old));
  CHECK(v1.facts().format_version == 1);
  spec::PartyRegistered p{.id = "someone", .name = "Someone", .kind = PartyKind::PROVIDER};
  BatchRequest r = run_request(w.origin, now_ms(), {encode_entry(w.origin, now_ms(), "k1", p)}, {&admin});
  std::string msg = expect_refused_by(v1, "format", [&] { v1.append_run(r); });
  CHECK(contains(msg, "format version 1"));
  CHECK(contains(msg, "--per-record-signatures"));
  // A new ledger says 2.
  CHECK(w.L().facts().format_version == 2);
}

TEST_CASE("payment run: a ledger mixing runs and per-record records reindexes, checks, reopens and mirrors") {
  RunWorld w;
  w.append(w.payment("council", "prime", 700, {w.council_off}));
  RunAppended a = w.L().append_run(w.run(w.council_payments(7), {w.council_off}));
  w.append(w.payment("nhs", "sme", 300, {w.nhs_off}));
  RunAppended b = w.L().append_run(w.run({w.pay_entry("nhs", "prime", 50), w.pay_entry("council", "sme", 60)},
                                         {w.council_off, w.nhs_off}));
  w.append(w.reversal(a.first + 2, {w.council_off}));  // a batched payment reversed by a per-record reversal
  uint64_t size = w.L().size();

  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  IndexCheck before = w.L().reindex(w.tmp.path());
  CHECK(before.differences.empty());
  CHECK(before.records == size);
  w.reopen();
  CHECK(w.L().size() == size);

  // A mirror replays every record, runs included, and reaches the same root;
  // a catch-up that ends inside a run is refused, and one that starts inside
  // a run picks it up from the records it holds.
  std::string mirror_dir = w.tmp.sub("mirror");
  Ledger mirror = Ledger::create_replica(mirror_dir, w.L().leaf(0));
  std::vector<Bytes> upto_inside;
  for (uint64_t s = 1; s < a.first + 3; ++s) upto_inside.push_back(w.L().leaf(s));
  CHECK_THROWS_WITH_AS(mirror.replicate(upto_inside, a.first + 3, w.L().root(a.first + 3)),
                       doctest::Contains("ends inside payment run"), Error);
  CHECK(mirror.size() == 1);
  std::vector<Bytes> rest;
  for (uint64_t s = 1; s < size; ++s) rest.push_back(w.L().leaf(s));
  mirror.replicate(rest, size, w.L().root(size));
  CHECK(mirror.root(size) == w.L().root(size));
  CHECK(mirror.check_indexes(w.tmp.path()).differences.empty());
  CHECK(mirror.party("sme")->balance == w.balance("sme"));
  CHECK(b.seq > a.last);
  CHECK(record_at(w.L(), b.last).leaf().getBatchSeq() == b.seq);
}

TEST_CASE("payment run: no checkpoint is issued inside a run, one at either end is") {
  RunWorld w;
  RunAppended a = w.L().append_run(w.run(w.council_payments(4), {w.council_off}));
  w.append(w.payment("council", "sme", 5, {w.council_off}));
  auto note = [&](uint64_t size) { return w.checkpoint(size); };
  for (uint64_t inside = a.first; inside <= a.last; ++inside) {
    CHECK_THROWS_WITH_AS(w.L().store_checkpoint(inside, note(inside)), doctest::Contains("would end inside payment run"), Error);
  }
  CHECK(w.L().checkpoints().empty());
  w.L().store_checkpoint(a.seq, note(a.seq));            // before the run's records (the batch record alone)
  w.L().store_checkpoint(a.last + 1, note(a.last + 1));  // after its last record
  CHECK(w.L().checkpoints().size() == 2);
}

TEST_CASE("payment run: a mirror refuses a source whose run was tampered with") {
  RunWorld w;
  RunAppended a = w.L().append_run(w.run(w.council_payments(3), {w.council_off}));
  uint64_t size = w.L().size();
  std::vector<Bytes> leaves;
  for (uint64_t s = 1; s < size; ++s) leaves.push_back(w.L().leaf(s));
  // Record a.first claims another batch: it is not in one that holds it.
  Bytes claimed = leaves[a.first - 1];
  {
    Record rec(claimed);
    capnp::MallocMessageBuilder m;
    m.setRoot(rec.leaf());
    m.getRoot<schema::SignedEntry>().setBatchSeq(a.seq - 1);  // the record before the run: not a batch
    auto words = capnp::canonicalize(m.getRoot<schema::SignedEntry>().asReader());
    auto bytes = words.asBytes();
    leaves[a.first - 1] = Bytes(bytes.begin(), bytes.end());
  }
  Ledger mirror = Ledger::create_replica(w.tmp.sub("mirror"), w.L().leaf(0));
  // Refused at that record, by the run's check, before the broken chain of the next one.
  std::string want = "record " + std::to_string(a.first) + " is missing from payment run";
  CHECK_THROWS_WITH_AS(mirror.replicate(leaves, size, w.L().root(size)), doctest::Contains(want.c_str()), Error);
  CHECK(mirror.size() == 1);
}

TEST_CASE("payment runs in a list: each its own transaction, checked ahead, stopping at the first refused") {
  RunWorld w;
  std::vector<BatchRequest> runs = {w.run(w.council_payments(3), {w.council_off}), w.run(w.council_payments(2), {w.council_off}),
                                    w.run({w.pay_entry("council", "nobody", 5)}, {w.council_off}),
                                    w.run(w.council_payments(4), {w.council_off})};
  uint64_t size = w.L().size();
  RunsOutcome out = w.L().append_runs(runs);
  REQUIRE(out.done.size() == 2);
  REQUIRE(out.refused.has_value());
  CHECK(out.refused->check == "rule 2");
  CHECK(contains(out.refused->what(), "record 1 of the run"));
  CHECK(out.done[0].seq == size);
  CHECK(out.done[1].seq == out.done[0].last + 1);
  CHECK(w.L().size() == out.done[1].last + 1);  // the third refused whole, the fourth not tried

  // A stateless refusal (a forged signature) of a later run, found ahead, stops there too.
  std::vector<BatchRequest> more = {w.run(w.council_payments(2), {w.council_off}), w.run(w.council_payments(2), {w.council_off})};
  more[1].batch.signatures[0].sig[5] ^= 1;
  out = w.L().append_runs(more);
  CHECK(out.done.size() == 1);
  REQUIRE(out.refused.has_value());
  CHECK(out.refused->check == "rule 1");
  // Again: the first is a retry now, and the list goes on to the (mended) second.
  more[1] = w.run(std::vector<Bytes>(more[1].entries), {w.council_off});
  out = w.L().append_runs(more);
  REQUIRE(out.done.size() == 2);
  CHECK(out.done[0].retried);
  CHECK_FALSE(out.done[1].retried);
  CHECK_FALSE(out.refused.has_value());
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
}

TEST_CASE("payment runs in a list: a run refused after its first records moved money leaves no balance history behind") {
  RunWorld w;
  REQUIRE(w.L().keeps_balance_history());
  // The second run's first two payments move money; its third is refused,
  // so the whole run is undone inside the list's one transaction.
  std::vector<Bytes> doomed = w.council_payments(2);
  doomed.push_back(w.pay_entry("council", "nobody", 5));
  std::vector<BatchRequest> runs = {w.run(w.council_payments(3), {w.council_off}), w.run(std::move(doomed), {w.council_off}),
                                    w.run(w.council_payments(2), {w.council_off})};
  RunsOutcome out = w.L().append_runs(runs);
  REQUIRE(out.done.size() == 1);
  REQUIRE(out.refused.has_value());
  CHECK(contains(out.refused->what(), "record 3 of the run"));
  // The next appends reuse the seqs the refused run held, with other amounts.
  RunAppended next = w.L().append_run(w.run(w.council_payments(5), {w.council_off}));
  CHECK(next.first == out.done[0].last + 2);
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
  for (uint64_t seq = out.done[0].first; seq < w.L().size(); ++seq)
    CHECK_MESSAGE(w.L().balances_at(BalancePoint::after(seq)) == balances_at_size(w.L(), seq + 1), "after seq " << seq);
  for (uint32_t date : {kDate - 1, kDate, kDate + 1})
    CHECK(w.L().balances_at(BalancePoint::on(date)) == balances_at_date(w.L(), date));
}

TEST_CASE("leaf chain: the leaves built ahead, on a thread or inline, are those built one by one, each chained from the last") {
  RunWorld w;
  for (size_t n : {size_t(5), size_t(300)}) {  // under and over the size that starts a thread
    std::vector<Bytes> entries = w.council_payments(int(n));
    const uint8_t seed[] = {7};
    Hash prev = sha256(seed);
    LeafChain chain(entries, 1000, prev, 1700000000123, 999);
    for (size_t i = 0; i < n; ++i) {
      Bytes want = build_leaf(1000 + i, prev, 1700000000123, entries[i], {}, 999);
      const LeafChain::Leaf& got = chain.at(i);
      REQUIRE_MESSAGE(got.bytes == want, "leaf " << i << " of " << n);
      CHECK(got.prev == prev);
      CHECK(got.hash == leaf_hash(want));
      prev = got.hash;
    }
  }
  // Dropped half way, a chain stops its builder (no hang, no leak under ASan).
  std::vector<Bytes> many = w.council_payments(2000);
  { LeafChain partial(many, 1, Hash{}, 1, 0); CHECK(partial.at(10).bytes.size() > 0); }
}

TEST_CASE("payment run: a record refused deep in a long run, while its leaves are built ahead, leaves nothing behind") {
  RunWorld w;
  uint64_t size = w.L().size();
  Hash root = w.L().root(size);
  std::vector<Bytes> entries = w.council_payments(300);
  entries[150] = w.pay_entry("council", "nobody", 5);
  std::string why = w.refused(w.run(entries, {w.council_off}), "rule 2");
  CHECK(contains(why, "record 151 of the run"));
  CHECK(w.L().size() == size);
  CHECK(w.L().root(size) == root);
  // The same run mended is recorded whole, and its chain holds.
  entries[150] = w.pay_entry("council", "prime", 5);
  RunAppended r = w.L().append_run(w.run(entries, {w.council_off}));
  CHECK(r.last == r.first + 299);
  for (uint64_t seq = r.seq; seq < r.last; ++seq)
    REQUIRE(record_at(w.L(), seq + 1).leaf().getPrevHash() == capnp::Data::Reader(w.L().leaf_hash(seq).data(), 32));
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
}
