// Shared fixture of the ledger tests: a temporary directory removed at the end,
// in-memory keys (generate_key), and helpers that build and sign every kind of
// request through the request API (request.h: a spec per body kind, encoded
// by encode_entry), exactly as every front end does. Nothing here reads the
// ledger's internals: tests see the public API only (ledger.h, record.h,
// request.h, keys.h). Only a genesis of another format version, which no spec
// can express, is built with the low-level build_entry.
#pragma once
#include <doctest/doctest.h>
#include <sodium.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "fundtrail.capnp.h"
#include "ledger/error.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/note.h"
#include "ledger/record.h"
#include "ledger/request.h"

namespace ft_test {

using namespace fundtrail;
using schema::PartyKind;
using schema::Role;

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fundtrail-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    REQUIRE(::mkdtemp(buf.data()) != nullptr);
    path_ = buf.data();
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

using Signers = std::vector<std::reference_wrapper<const KeyPair>>;

inline SignedRequest sign_request(Bytes entry, const Signers& signers) {
  std::vector<const KeyPair*> keys;
  for (const KeyPair& k : signers) keys.push_back(&k);
  return fundtrail::sign_request(std::move(entry), keys);
}

inline capnp::Data::Reader data_of(const PublicKey& k) { return capnp::Data::Reader(k.data(), k.size()); }
inline capnp::Text::Reader text_of(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }

constexpr int64_t kThreshold = 1000000;  // 10,000.00 GBP: dual control at or above
constexpr uint32_t kDate = 20250401;

struct GenesisOptions {
  std::string origin = "test.example/ledger";
  std::string entry_origin;  // empty: same as origin
  std::string currency = "GBP";
  int64_t threshold = kThreshold;
  uint32_t format_version = kFormatVersion;
  std::optional<int64_t> created_at;
  std::string idempotency_key = "genesis";
};

inline SignedRequest genesis_request(const KeyPair& log, const std::vector<PublicKey>& admins, const Signers& signers,
                                     const GenesisOptions& o = {}) {
  std::string origin = o.entry_origin.empty() ? o.origin : o.entry_origin;
  int64_t created_at = o.created_at.value_or(now_ms());
  spec::Genesis g{o.origin, log.pk, admins, o.currency, o.threshold};
  Bytes e = encode_entry(origin, created_at, o.idempotency_key, g);
  if (o.format_version != kFormatVersion) {  // no spec writes another version: the same entry, rewritten low-level
    EntryView v(e);
    e = build_entry(origin, created_at, o.idempotency_key, [&](schema::Entry::Body::Builder b) {
      b.setGenesis(v.entry().getBody().getGenesis());
      b.getGenesis().setFormatVersion(o.format_version);
    });
  }
  return sign_request(std::move(e), signers);
}

// Header fields of one request; defaults: the fixture's origin, now, a fresh key.
struct EntryOptions {
  std::string idem;                   // empty: a fresh unique key
  std::optional<int64_t> created_at;  // default: now
  std::optional<std::string> origin;  // default: the ledger's

  EntryOptions at(int64_t ms) const {
    EntryOptions o = *this;
    o.created_at = ms;
    return o;
  }
};
inline EntryOptions key(std::string k) {
  EntryOptions o;
  o.idem = std::move(k);
  return o;
}
inline EntryOptions at(int64_t created_at_ms) { return EntryOptions().at(created_at_ms); }
inline EntryOptions origin_of(std::string origin) {
  EntryOptions o;
  o.origin = std::move(origin);
  return o;
}

// Everything a ledger test needs: a directory, keys and a ledger with genesis.
class Fixture {
 public:
  TempDir tmp;
  std::string origin = "test.example/ledger";
  KeyPair log = generate_key("log");
  KeyPair admin = generate_key("admin");
  std::string dir = tmp.sub("ledger");
  std::optional<Ledger> ledger;

  explicit Fixture(bool create = true) {
    if (create) ledger.emplace(Ledger::create(dir, genesis_request(log, {admin.pk}, {admin})));
  }
  Ledger& L() { return *ledger; }

  void close() { ledger.reset(); }
  void reopen(bool read_only = false) {
    ledger.reset();
    ledger.emplace(Ledger::open(dir, read_only));
  }

  std::string fresh_key(const std::string& prefix = "req") { return prefix + "-" + std::to_string(++counter_); }

  Bytes entry(const spec::Body& body, const EntryOptions& o = {}) {
    return encode_entry(o.origin.value_or(origin), o.created_at.value_or(now_ms()), o.idem.empty() ? fresh_key() : o.idem,
                        body);
  }
  SignedRequest request(const spec::Body& body, const Signers& signers, const EntryOptions& o = {}) {
    return sign_request(entry(body, o), signers);
  }

  // `more` changes the spec's defaults before it is encoded.
  using PartyMore = std::function<void(spec::PartyRegistered&)>;
  SignedRequest party(const std::string& id, PartyKind kind, const Signers& signers, const PartyMore& more = {},
                      const EntryOptions& o = {}) {
    spec::PartyRegistered p{.id = id, .name = "Party " + id, .kind = kind};
    if (more) more(p);
    return request(p, signers, o);
  }

  SignedRequest grant(const std::string& party, const PublicKey& pk, Role role, const Signers& signers,
                      const EntryOptions& o = {}) {
    return request(spec::KeyGranted{party, pk, role}, signers, o);
  }

  SignedRequest revoke(const std::string& party, const PublicKey& pk, const Signers& signers, const EntryOptions& o = {}) {
    return request(spec::KeyRevoked{party, pk}, signers, o);
  }

  using ContributionMore = std::function<void(spec::Contribution&)>;
  SignedRequest contribution(const std::string& from, const std::string& to, int64_t amount, const Signers& signers,
                             const ContributionMore& more = {}, const EntryOptions& o = {}) {
    spec::Contribution c{from, to, amount, "GBP", kDate, ""};
    if (more) more(c);
    return request(c, signers, o);
  }

  using PaymentMore = std::function<void(spec::Payment&)>;
  SignedRequest payment(const std::string& from, const std::string& to, int64_t amount, const Signers& signers,
                        const PaymentMore& more = {}, const EntryOptions& o = {}) {
    spec::Payment p{.from = from, .to = to, .amount = amount, .currency = "GBP", .value_date = kDate,
                    .mechanism = schema::Mechanism::GRANT};
    if (more) more(p);
    return request(p, signers, o);
  }

  using AssignMore = std::function<void(spec::ResponsibilityAssigned&)>;
  SignedRequest assign(const std::string& accountable, const std::vector<std::string>& responsible,
                       const std::string& subject, const Signers& signers, const AssignMore& more = {},
                       const EntryOptions& o = {}) {
    spec::ResponsibilityAssigned r{accountable, responsible, subject, schema::ResponsibilityKind::DELIVERY, kDate, 0, ""};
    if (more) more(r);
    return request(r, signers, o);
  }

  SignedRequest end_assignment(uint64_t assignment_seq, const Signers& signers, const EntryOptions& o = {}) {
    return request(spec::ResponsibilityEnded{assignment_seq, "service recommissioned"}, signers, o);
  }

  SignedRequest reversal(uint64_t target, const Signers& signers, const std::string& reason = "keyed in error",
                         const EntryOptions& o = {}) {
    return request(spec::Reversal{target, reason}, signers, o);
  }

 private:
  uint64_t counter_ = 0;
};

// A small world of commissioning: two commissioners, a funder, a pooled budget,
// an integrator and two providers (one budget-limited), each with keys.
class World : public Fixture {
 public:
  KeyPair council_off = generate_key("council-officer");
  KeyPair council_off2 = generate_key("council-officer-2");
  KeyPair council_appr = generate_key("council-approver");
  KeyPair council_appr2 = generate_key("council-approver-2");
  KeyPair nhs_off = generate_key("nhs-officer");
  KeyPair fund_off = generate_key("fund-officer");
  KeyPair pool_off = generate_key("pool-officer");
  KeyPair pool_off2 = generate_key("pool-officer-2");
  KeyPair prime_off = generate_key("prime-officer");
  KeyPair charity_off = generate_key("charity-officer");
  KeyPair sme_off = generate_key("sme-officer");
  KeyPair stranger = generate_key("stranger");  // never granted anything

  World() {
    std::vector<SignedRequest> setup;
    setup.push_back(party("council", PartyKind::COMMISSIONER, {admin}));
    setup.push_back(party("nhs", PartyKind::COMMISSIONER, {admin}));
    setup.push_back(party("fund", PartyKind::FUNDER, {admin}));
    setup.push_back(party("pool", PartyKind::POOL, {admin}, [](spec::PartyRegistered& p) {
      p.pool_terms = spec::PoolTerms{"section 75 agreement", "council", {{"council", 6000}, {"nhs", 4000}}, "E06000023"};
    }));
    setup.push_back(party("prime", PartyKind::INTEGRATOR, {admin}));
    setup.push_back(party("charity", PartyKind::PROVIDER, {admin}, [](spec::PartyRegistered& p) {
      p.budget_limited = true;
      p.sector = schema::Sector::VOLUNTARY;
      p.org_ids = {"GB-CHC-1164883"};
    }));
    setup.push_back(party("sme", PartyKind::PROVIDER, {admin}));
    setup.push_back(grant("council", council_off.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("council", council_off2.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("council", council_appr.pk, Role::APPROVER, {admin}));
    setup.push_back(grant("council", council_appr2.pk, Role::APPROVER, {admin}));
    setup.push_back(grant("nhs", nhs_off.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("fund", fund_off.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("pool", pool_off.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("pool", pool_off2.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("prime", prime_off.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("charity", charity_off.pk, Role::OFFICER, {admin}));
    setup.push_back(grant("sme", sme_off.pk, Role::OFFICER, {admin}));
    L().append_batch(setup);
  }

  int64_t balance(const std::string& id) {
    auto p = L().party(id);
    REQUIRE_MESSAGE(p.has_value(), "no party " << id);
    return p->balance;
  }
  uint64_t append(const SignedRequest& r) { return L().append(r).seq; }

  // The checkpoint of the first `size` records, signed by the log key, as
  // `fundtrail checkpoint` makes it.
  std::string checkpoint(uint64_t size) {
    return sign_note(checkpoint_body(origin, size, L().root(size)), origin, log.sk, log.pk);
  }
};

// What "nothing was written" means: same size, root, head, balances, grants,
// reversals and (for the request at hand) idempotency keys.
struct Snapshot {
  uint64_t size = 0;
  Hash root{};
  Hash head{};
  std::vector<std::tuple<std::string, int, bool, int64_t, uint64_t>> parties;
  std::vector<std::tuple<std::string, PublicKey, int, uint64_t, bool>> grants;
  std::vector<bool> reversed;
  bool operator==(const Snapshot&) const = default;
};

inline Snapshot snapshot(const Ledger& l) {
  Snapshot s;
  s.size = l.size();
  s.root = l.root(s.size);
  s.head = l.leaf_hash(s.size - 1);
  for (auto& p : l.parties())
    s.parties.emplace_back(p.id, static_cast<int>(p.kind), p.budget_limited, p.balance, p.registered_at);
  for (auto& g : l.grants()) s.grants.emplace_back(g.party, g.key, static_cast<int>(g.role), g.granted_at, g.revoked);
  for (uint64_t i = 0; i < s.size; ++i) s.reversed.push_back(l.is_reversed(i));
  return s;
}

inline std::optional<std::string> idempotency_key_of(const SignedRequest& r) {
  try {
    EntryView v(r.entry);
    auto k = v.entry().getIdempotencyKey();
    return std::string(k.cStr(), k.size());
  } catch (const Error&) {
    return std::nullopt;
  }
}

// The check a test expects: a rule number (2 for "rule 2") or a named check
// ("format", "limits", "canonical"; docs/rules.md "Checks").
struct CheckId {
  std::string id;
  CheckId(int rule) : id("rule " + std::to_string(rule)) {}
  CheckId(const char* check) : id(check) {}
};

// Runs `attempt`, expecting an Error by that check (its kind follows from the
// check: rules refuse, format/limits/canonical are unusable input) whose
// message starts "<check>:", and checks the ledger is unchanged. Returns the message.
inline std::string expect_refused_by(Ledger& l, CheckId rule, const std::function<void()>& attempt,
                                     const std::optional<std::string>& idem = std::nullopt) {
  const Snapshot before = snapshot(l);
  std::optional<uint64_t> idem_before = idem ? l.find_idempotency_key(*idem) : std::nullopt;
  std::string msg;
  bool threw = false;
  std::optional<ErrorKind> kind;
  std::string check;
  try {
    attempt();
  } catch (const Error& e) {
    threw = true;
    kind = e.kind;
    check = e.check;
    msg = e.what();
  }
  const std::string want = rule.id + ":";
  CHECK_MESSAGE(threw, "accepted, but " << want << " should have refused it");
  CHECK_MESSAGE(check == rule.id, "refused by '" << check << "', not '" << rule.id << "': " << msg);
  CHECK_MESSAGE(kind == kind_of_check(rule.id), "the error's kind does not follow from its check: " << msg);
  CHECK_MESSAGE(msg.find(want) != std::string::npos, "expected '" << want << "...', got: " << msg);
  CHECK_MESSAGE(snapshot(l) == before, "a refused append changed the ledger: " << msg);
  if (idem) CHECK(l.find_idempotency_key(*idem) == idem_before);
  return msg;
}

inline std::string expect_refused(Ledger& l, const SignedRequest& r, CheckId rule) {
  return expect_refused_by(l, rule, [&] { l.append(r); }, idempotency_key_of(r));
}

// Appends and checks the record landed at the end (not a retry).
inline uint64_t expect_appended(Ledger& l, const SignedRequest& r) {
  uint64_t before = l.size();
  Appended a{};
  try {
    a = l.append(r);
  } catch (const Error& e) {
    FAIL("refused: " << std::string(e.what()));
  }
  CHECK_FALSE(a.retried);
  CHECK(a.seq == before);
  CHECK(l.size() == before + 1);
  CHECK(a.leaf_hash == l.leaf_hash(a.seq));
  return a.seq;
}

// ---- an independent RFC 6962 Merkle tree, hashed with libsodium directly ----

inline Hash ref_sha256(const std::vector<uint8_t>& data) {
  Hash h;
  crypto_hash_sha256(h.data(), data.data(), data.size());
  return h;
}

inline Hash ref_leaf_hash(std::span<const uint8_t> leaf) {
  std::vector<uint8_t> buf{0x00};
  buf.insert(buf.end(), leaf.begin(), leaf.end());
  return ref_sha256(buf);
}

inline Hash ref_node_hash(const Hash& l, const Hash& r) {
  std::vector<uint8_t> buf{0x01};
  buf.insert(buf.end(), l.begin(), l.end());
  buf.insert(buf.end(), r.begin(), r.end());
  return ref_sha256(buf);
}

inline uint64_t ref_split(uint64_t n) {  // largest power of two < n (n >= 2)
  uint64_t k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

// MTH(D[b:e]) given the leaf hashes.
inline Hash ref_mth(const std::vector<Hash>& leaves, uint64_t b, uint64_t e) {
  uint64_t n = e - b;
  if (n == 0) return ref_sha256({});
  if (n == 1) return leaves[b];
  uint64_t k = ref_split(n);
  return ref_node_hash(ref_mth(leaves, b, b + k), ref_mth(leaves, b + k, e));
}

// PATH(m, D[b:e]) of RFC 6962 2.1.1, nearest the leaf first.
inline std::vector<Hash> ref_path(const std::vector<Hash>& leaves, uint64_t m, uint64_t b, uint64_t e) {
  uint64_t n = e - b;
  if (n <= 1) return {};
  uint64_t k = ref_split(n);
  std::vector<Hash> out;
  if (m < k) {
    out = ref_path(leaves, m, b, b + k);
    out.push_back(ref_mth(leaves, b + k, e));
  } else {
    out = ref_path(leaves, m - k, b + k, e);
    out.push_back(ref_mth(leaves, b, b + k));
  }
  return out;
}

// SUBPROOF(m, D[b:e], flag) of RFC 6962 2.1.2.
inline std::vector<Hash> ref_subproof(const std::vector<Hash>& leaves, uint64_t m, uint64_t b, uint64_t e, bool flag) {
  uint64_t n = e - b;
  if (m == n) return flag ? std::vector<Hash>{} : std::vector<Hash>{ref_mth(leaves, b, e)};
  uint64_t k = ref_split(n);
  std::vector<Hash> out;
  if (m <= k) {
    out = ref_subproof(leaves, m, b, b + k, flag);
    out.push_back(ref_mth(leaves, b + k, e));
  } else {
    out = ref_subproof(leaves, m - k, b + k, e, false);
    out.push_back(ref_mth(leaves, b, b + k));
  }
  return out;
}

// Leaf hashes of records [0, n) recomputed from the stored bytes.
inline std::vector<Hash> ref_leaf_hashes(const Ledger& l, uint64_t n) {
  std::vector<Hash> out;
  for (uint64_t i = 0; i < n; ++i) {
    Bytes leaf = l.leaf(i);
    out.push_back(ref_leaf_hash(leaf));
  }
  return out;
}

}  // namespace ft_test

// ---- contracts, payment by results and party status (rules 9-11) ----------

namespace ft_test {

// One row of a contract's price schedule.
struct RowSpec {
  std::string milestone;
  std::string group;  // empty: matches only payments without a group
  int64_t unit_price = 0;
  bool from_parent = false;  // financedBy parent (else the payer)
};

struct ContractSpec {
  std::string reference, payer, payee;
  std::string subject = "employment support";
  std::string parent;
  uint32_t start = kDate, end = 0;
  int64_t cap = 0;
  std::vector<RowSpec> rows;
  std::optional<uint32_t> fee_cap_bp;
};

inline std::vector<spec::ScheduleRow> schedule_of(const std::vector<RowSpec>& rows) {
  std::vector<spec::ScheduleRow> out;
  for (auto& r : rows)
    out.push_back({r.milestone, r.group, r.unit_price, r.from_parent ? schema::FinancedBy::PARENT : schema::FinancedBy::PAYER});
  return out;
}

inline SignedRequest contract_agreed(Fixture& f, const ContractSpec& c, const Signers& signers, const EntryOptions& o = {}) {
  spec::ContractAgreed a{.reference = c.reference, .payer = c.payer, .payee = c.payee, .subject = c.subject,
                         .start_date = c.start, .end_date = c.end, .cap = c.cap, .parent = c.parent};
  if (c.fee_cap_bp) {
    a.has_fee_cap = true;
    a.fee_cap_basis_points = *c.fee_cap_bp;
  }
  a.schedule = schedule_of(c.rows);
  return f.request(a, signers, o);
}

struct VarySpec {
  std::string reference;
  int64_t new_cap = 0;       // 0: unchanged
  uint32_t new_end = 0;      // 0: unchanged
  std::optional<std::vector<RowSpec>> schedule;  // set: replaces the schedule
  std::string reason = "caseload changed";
  std::vector<RowSpec> stray_rows;  // rows given without replaceSchedule (malformed)
};

inline SignedRequest contract_varied(Fixture& f, const VarySpec& v, const Signers& signers, const EntryOptions& o = {}) {
  const auto& rows = v.schedule ? *v.schedule : v.stray_rows;
  return f.request(spec::ContractVaried{v.reference, v.new_cap, v.new_end, v.schedule.has_value(), schedule_of(rows), v.reason},
                   signers, o);
}

inline SignedRequest contract_ended(Fixture& f, const std::string& reference, schema::EndReason reason,
                                    const std::string& successor, const Signers& signers, uint32_t date = 0,
                                    const EntryOptions& o = {}) {
  return f.request(spec::ContractEnded{reference, reason, successor, date}, signers, o);
}

inline SignedRequest status_changed(Fixture& f, const std::string& party, schema::PartyStatus status, uint32_t from,
                                    const Signers& signers, const std::string& note = "", const EntryOptions& o = {}) {
  return f.request(spec::PartyStatusChanged{party, status, from, note}, signers, o);
}

// Payment fields for a payment under the contract agreed at `contract_seq`.
struct UnderSpec {
  uint64_t contract_seq = 0;
  schema::Mechanism mechanism = schema::Mechanism::BLOCK;
  std::string milestone, group;
  uint32_t count = 0;
  std::vector<std::string> claims;
  uint32_t date = kDate;
  std::optional<uint64_t> funded_by_entry;
  bool funded_own = false;
};

inline Fixture::PaymentMore under(const UnderSpec& u) {
  return [u](spec::Payment& p) {
    p.contract_seq = u.contract_seq;
    p.mechanism = u.mechanism;
    p.milestone = u.milestone;
    p.group = u.group;
    p.outcome_count = u.count;
    p.claim_ids = u.claims;
    p.value_date = u.date;
    if (u.funded_by_entry) p.funded_by = spec::FundedBy::entry(*u.funded_by_entry);
    else if (u.funded_own) p.funded_by = spec::FundedBy::own();
  };
}

// A milestone payment's fields: `count` outcomes (or one per claim id when given).
inline UnderSpec milestone_of(uint64_t contract_seq, const std::string& milestone, const std::string& group, uint32_t count,
                              std::vector<std::string> claims = {}) {
  UnderSpec u;
  u.contract_seq = contract_seq;
  u.mechanism = schema::Mechanism::MILESTONE;
  u.milestone = milestone;
  u.group = group;
  u.count = claims.empty() ? count : static_cast<uint32_t>(claims.size());
  u.claims = std::move(claims);
  return u;
}

// Every contract's live state, for "a refusal changed nothing".
using ContractRow = std::tuple<std::string, uint64_t, std::string, std::string, std::string, int64_t, int64_t, uint32_t,
                               uint32_t, bool, uint64_t>;
inline std::vector<ContractRow> contract_rows(const Ledger& l) {
  std::vector<ContractRow> out;
  for (auto& c : l.contracts())
    out.emplace_back(c.reference, c.seq, c.payer, c.payee, c.parent, c.cap, c.paid, c.start, c.end, c.ended, c.schedule_seq);
  return out;
}

// expect_refused, and the contracts index unchanged too.
inline std::string expect_refused_c(Ledger& l, const SignedRequest& r, CheckId rule) {
  auto before = contract_rows(l);
  std::string msg = expect_refused(l, r, rule);
  CHECK_MESSAGE(contract_rows(l) == before, "a refused append changed a contract: " << msg);
  return msg;
}

}  // namespace ft_test
