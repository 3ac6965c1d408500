#include "bench/synthetic.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <thread>
#include <variant>
#include <vector>

#include "ledger/batch.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/request.h"

namespace fundtrail::bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kBatch = 10000;      // records signed and appended together
constexpr size_t kMaxRunSigners = 16;  // ledger/limits.h kMaxSignatures
constexpr const char* kOrigin = "bench.fundtrail.example/synthetic";

// One record waiting to be signed: its Entry bytes and the keys that sign it
// (per record) or that its run needs among its signers (batched).
struct Pending {
  spec::Body body;
  std::string key;
  Bytes entry;  // encoded in flush, on both cores
  std::vector<const KeyPair*> keys;
  bool batchable = false;
};

// Runs `fn(i)` for i in [0, n) on both cores.
template <class Fn>
void on_two_cores(size_t n, Fn fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < n;) fn(i);
  };
  std::thread other(worker);
  worker();
  other.join();
}

struct Builder {
  Ledger* ledger = nullptr;
  bool batched = false;
  uint64_t counter = 0;
  uint64_t runs = 0;
  std::vector<Pending> pending;
  double bytes = 0;

  void add(const std::vector<const KeyPair*>& keys, const spec::Body& body) {
    Pending p;
    p.body = body;
    p.key = "bench-" + std::to_string(counter++);
    p.keys = keys;
    p.batchable = std::holds_alternative<spec::Contribution>(body) || std::holds_alternative<spec::Payment>(body) ||
                  std::holds_alternative<spec::PartyRegistered>(body);
    pending.push_back(std::move(p));
    if (pending.size() == kBatch) flush();
  }

  void flush() {
    if (pending.empty()) return;
    // As an importer would: the chunk's rows encoded on both cores.
    on_two_cores(pending.size(), [&](size_t i) { pending[i].entry = encode_entry(kOrigin, 1700000000000, pending[i].key, pending[i].body); });
    std::vector<Pending*> signed_alone, in_runs;
    for (auto& p : pending) (batched && p.batchable ? in_runs : signed_alone).push_back(&p);
    // Runs first: in the setup phase they register the parties the grants
    // that follow name. The records signed alone (grants, assignments: not
    // batchable) keep their order among themselves.
    append_runs(in_runs);
    append_signed(signed_alone);
    pending.clear();
  }

  void append_signed(const std::vector<Pending*>& records) {
    if (records.empty()) return;
    std::vector<SignedRequest> requests(records.size());
    on_two_cores(records.size(), [&](size_t i) {
      requests[i].entry = std::move(records[i]->entry);
      for (auto* k : records[i]->keys) requests[i].signatures.push_back(sign_entry(requests[i].entry, *k));
    });
    for (auto& r : requests) bytes += double(r.entry.size()) + 64.0 * double(r.signatures.size()) + 100;
    ledger->append_batch(requests);
  }

  // A chunk's records grouped as an importer groups a payment file: by payer
  // (the records' signers), into runs of at most kMaxBatchRecords records and
  // at most kMaxRunSigners signers (a batch record holds at most 16
  // signatures, docs/rules.md "Checks"); each run signed by the union of its
  // records' signers, so every signer acts for one of its records and a
  // payment above the threshold finds both its keys among them.
  void append_runs(std::vector<Pending*> records) {
    if (records.empty()) return;
    std::stable_sort(records.begin(), records.end(), [](const Pending* a, const Pending* b) {
      return std::less<const KeyPair*>()(a->keys.front(), b->keys.front());
    });
    struct Run {
      std::vector<Bytes> entries;
      std::vector<const KeyPair*> signers;
      BatchRequest request;
    };
    std::vector<Run> planned(1);
    for (Pending* p : records) {
      Run* run = &planned.back();
      size_t added = 0;
      for (auto* k : p->keys) added += std::find(run->signers.begin(), run->signers.end(), k) == run->signers.end();
      if (run->entries.size() == kMaxBatchRecords || run->signers.size() + added > kMaxRunSigners) {
        run = &planned.emplace_back();
      }
      for (auto* k : p->keys)
        if (std::find(run->signers.begin(), run->signers.end(), k) == run->signers.end()) run->signers.push_back(k);
      run->entries.push_back(std::move(p->entry));
    }
    // Signing needs no ledger state: every run of the chunk on both cores,
    // then the appends in order, one transaction each.
    on_two_cores(planned.size(), [&](size_t i) {
      planned[i].request = run_request(kOrigin, 1700000000000, std::move(planned[i].entries), planned[i].signers);
    });
    std::vector<BatchRequest> requests;
    for (auto& run : planned) {
      for (auto& e : run.request.entries) bytes += double(e.size()) + 100;
      bytes += double(run.request.batch.entry.size()) + 64.0 * double(run.request.batch.signatures.size()) + 100;
      requests.push_back(std::move(run.request));
    }
    // As a bulk import appends: the next run checked while this one is written.
    RunsOutcome done = ledger->append_runs(requests);
    if (done.refused) throw *done.refused;
    runs += done.done.size();
  }
};

}  // namespace

SyntheticStats build_synthetic(const std::string& dir, uint64_t records, uint64_t min_payments, uint64_t parties,
                               const std::string& passphrase, bool batched) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::mt19937_64 rng(42);
  KeyPair admin = generate_key("admin");
  KeyPair log = generate_key(kOrigin);
  const int64_t threshold = 900000;  // £9,000.00: some pool payments need two keys
  SignedRequest genesis = genesis_request({kOrigin, log.pk, {}, "GBP", threshold}, {&admin}, 1700000000000);
  Ledger ledger = Ledger::create(dir, genesis);
  Builder b;
  b.ledger = &ledger;
  b.batched = batched;

  // Layers: 0.1% funders, 0.2% pools, 1% integrators, the rest providers.
  uint64_t funders = std::max<uint64_t>(2, parties / 1000), pools = std::max<uint64_t>(2, parties / 500),
           integrators = std::max<uint64_t>(4, parties / 100);
  uint64_t providers = parties > funders + pools + integrators ? parties - funders - pools - integrators : 10;
  auto id = [](const char* layer, uint64_t i) { return std::string(layer) + "-" + std::to_string(i); };
  auto reg = [&](const std::string& pid, schema::PartyKind kind) {
    b.add({&admin}, spec::PartyRegistered{.id = pid, .name = "Synthetic " + pid, .kind = kind, .sector = schema::Sector::PUBLIC});
  };
  for (uint64_t i = 0; i < funders; ++i) reg(id("funder", i), schema::PartyKind::FUNDER);
  for (uint64_t i = 0; i < pools; ++i) reg(id("pool", i), schema::PartyKind::POOL);
  for (uint64_t i = 0; i < integrators; ++i) reg(id("integrator", i), schema::PartyKind::INTEGRATOR);
  for (uint64_t i = 0; i < providers; ++i) reg(id("provider", i), schema::PartyKind::PROVIDER);

  std::vector<KeyPair> officer, approver;  // one officer per paying party; pools also an approver
  auto grant = [&](const std::string& pid, const KeyPair& k, schema::Role role) {
    b.add({&admin}, spec::KeyGranted{pid, k.pk, role});
  };
  officer.reserve(funders + pools + integrators);
  approver.reserve(pools);
  for (uint64_t i = 0; i < funders; ++i) grant(id("funder", i), officer.emplace_back(generate_key("f")), schema::Role::OFFICER);
  for (uint64_t i = 0; i < pools; ++i) {
    grant(id("pool", i), officer.emplace_back(generate_key("p")), schema::Role::OFFICER);
    grant(id("pool", i), approver.emplace_back(generate_key("pa")), schema::Role::APPROVER);
  }
  for (uint64_t i = 0; i < integrators; ++i)
    grant(id("integrator", i), officer.emplace_back(generate_key("i")), schema::Role::OFFICER);
  b.flush();

  SyntheticStats stats;
  // The import is timed whole, as an importer runs it: encoding, signing and
  // appending the money phase's records.
  auto import_start = Clock::now();
  uint64_t setup_runs = b.runs, first_money = b.counter;
  uint64_t setup = b.counter + 1;  // genesis too; batch records not counted, so both modes make the same records
  // The mix of the money phase: a contribution in 50, an assignment in 33.
  auto mix = [&](uint64_t money, uint64_t& contributions, uint64_t& assignments) {
    contributions = std::max<uint64_t>(pools, money / 50);
    assignments = money / 33;
    return money > contributions + assignments ? money - contributions - assignments : 0;  // payments
  };
  uint64_t money = records > setup ? records - setup : 0, contributions, assignments;
  // Grow the ledger until it holds min_payments payments (the map's target
  // is stated in payments, the verifier's in records).
  uint64_t payments;
  while ((payments = mix(money, contributions, assignments)) < min_payments) money += min_payments - payments;
  for (uint64_t i = 0; i < contributions; ++i) {
    uint64_t f = i % funders, p = i % pools;
    // £1bn each: pools never run dry in the synthetic mix.
    b.add({&officer[f]}, spec::Contribution{id("funder", f), id("pool", p), 100000000000, "GBP", 20250401, ""});
  }
  const schema::Mechanism mechs[] = {schema::Mechanism::BLOCK, schema::Mechanism::GRANT, schema::Mechanism::MILESTONE,
                                     schema::Mechanism::UPFRONT, schema::Mechanism::FEE};
  // Fixed before the loop: it counts the assignments down as it makes them.
  const uint64_t payments_and_assignments = payments + assignments;
  for (uint64_t i = 0; i < payments_and_assignments; ++i) {
    if (i % 34 == 33 && assignments) {
      --assignments;
      uint64_t in = rng() % integrators, pr = rng() % providers;
      b.add({&officer[funders + pools + in]},
            spec::ResponsibilityAssigned{id("integrator", in), {id("provider", pr)}, "employment support",
                                         schema::ResponsibilityKind::DELIVERY, 0, 0, ""});
      continue;
    }
    bool from_pool = rng() % 10 < 3;
    uint64_t payer = from_pool ? rng() % pools : rng() % integrators;
    int64_t amount = from_pool ? int64_t(10000 + rng() % 1000000) : int64_t(1000 + rng() % 500000);
    std::vector<const KeyPair*> keys{from_pool ? &officer[funders + payer] : &officer[funders + pools + payer]};
    if (from_pool && amount >= threshold) keys.push_back(&approver[payer]);
    std::string from = from_pool ? id("pool", payer) : id("integrator", payer);
    std::string to = from_pool ? id("integrator", rng() % integrators) : id("provider", rng() % providers);
    schema::Mechanism mech = mechs[rng() % 5];
    spec::Payment p{.from = from, .to = to, .amount = amount, .currency = "GBP",
                    .value_date = 20250401 + static_cast<uint32_t>(rng() % 28), .mechanism = mech};
    if (mech == schema::Mechanism::MILESTONE) p.milestone = "job entry";
    b.add(keys, p);
    ++stats.payments;
  }
  b.flush();
  stats.import_seconds = std::chrono::duration<double>(Clock::now() - import_start).count();
  stats.records = ledger.size();
  stats.imported = b.counter - first_money;  // batch records not counted: they are the runs' approvals
  stats.runs = b.runs - setup_runs;
  stats.record_bytes_mean = b.bytes / double(std::max<uint64_t>(1, b.counter));
  stats.payer_party = id("integrator", 0);
  stats.payee_party = id("provider", 0);
  stats.payer_key_file = dir + "/bench-officer.key";
  KeyPair payer = officer[funders + pools];
  payer.name = "bench-officer";
  save_key_file(stats.payer_key_file, payer, passphrase, Kdf::interactive);
  // A checkpoint of the whole ledger, as its operator would publish, so that
  // what proves records against one (the HTML report) has one to use.
  uint64_t size = ledger.size();
  ledger.store_checkpoint(size, sign_note(checkpoint_body(kOrigin, size, ledger.root(size)), kOrigin, log.sk, log.pk));
  return stats;
}

}  // namespace fundtrail::bench
