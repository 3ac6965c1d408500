#include "builder.h"

#include <capnp/message.h>
#include <lmdb.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tb {

static const int sodiumReady = sodium_init();

Keypair Keypair::fromSeed(const std::string& label) {
  Keypair k;
  Bytes seed = sha256(label);
  crypto_sign_seed_keypair(k.pk.data(), k.sk.data(), reinterpret_cast<const uint8_t*>(seed.data()));
  return k;
}
std::string Keypair::b64() const { return tb::b64(pub()); }

std::string b64(const Bytes& b) {
  std::string out(sodium_base64_encoded_len(b.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const uint8_t*>(b.data()), b.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

Bytes sha256(const Bytes& b) {
  uint8_t h[32];
  crypto_hash_sha256(h, reinterpret_cast<const uint8_t*>(b.data()), b.size());
  return Bytes(reinterpret_cast<char*>(h), 32);
}

Bytes leafHash(const Bytes& leaf) { return sha256(Bytes(1, '\0') + leaf); }

Bytes mthOfHashes(const std::vector<Bytes>& lh, size_t lo, size_t hi) {
  if (hi - lo == 0) return sha256("");
  if (hi - lo == 1) return lh[lo];
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  return sha256(Bytes(1, '\1') + mthOfHashes(lh, lo, lo + k) + mthOfHashes(lh, lo + k, hi));
}

std::vector<Bytes> auditPath(const std::vector<Bytes>& lh, size_t m, size_t lo, size_t hi) {
  if (hi - lo == 1) return {};
  size_t k = 1;
  while (k * 2 < hi - lo) k *= 2;
  std::vector<Bytes> p = m < k ? auditPath(lh, m, lo, lo + k) : auditPath(lh, m - k, lo + k, hi);
  p.push_back(m < k ? mthOfHashes(lh, lo + k, hi) : mthOfHashes(lh, lo, lo + k));
  return p;
}

Bytes rootOf(const std::vector<Bytes>& leaves, size_t n) {
  std::function<Bytes(size_t, size_t)> mth = [&](size_t lo, size_t hi) -> Bytes {
    if (hi - lo == 1) return leafHash(leaves[lo]);
    size_t k = 1;
    while (k * 2 < hi - lo) k *= 2;
    return sha256(Bytes(1, '\1') + mth(lo, lo + k) + mth(lo + k, hi));
  };
  return n == 0 ? sha256("") : mth(0, n);
}

uint32_t keyId(const std::string& name, uint8_t type, const Keypair& k) {
  Bytes h = sha256(name + "\n" + Bytes(1, char(type)) + k.pub());
  return uint32_t(uint8_t(h[0])) << 24 | uint32_t(uint8_t(h[1])) << 16 | uint32_t(uint8_t(h[2])) << 8 | uint8_t(h[3]);
}

std::string verifierKey(const std::string& name, uint8_t type, const Keypair& k) {
  char hex[9];
  snprintf(hex, sizeof hex, "%08x", keyId(name, type, k));
  return name + "+" + hex + "+" + b64(Bytes(1, char(type)) + k.pub());
}

static Bytes be32(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

std::string signNote(const std::string& text, const std::string& name, const Keypair& k) {
  uint8_t sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const uint8_t*>(text.data()), text.size(), k.sk.data());
  return text + "\n\xE2\x80\x94 " + name + " " + b64(be32(keyId(name, 0x01, k)) + Bytes(reinterpret_cast<char*>(sig), 64)) + "\n";
}

std::string cosignLine(const std::string& text, const std::string& name, const Keypair& k, uint64_t ts) {
  std::string msg = "cosignature/v1\ntime " + std::to_string(ts) + "\n" + text;
  uint8_t sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), k.sk.data());
  Bytes t;
  for (int i = 7; i >= 0; --i) t.push_back(char(ts >> (8 * i)));
  return "\xE2\x80\x94 " + name + " " + b64(be32(keyId(name, 0x04, k)) + t + Bytes(reinterpret_cast<char*>(sig), 64)) + "\n";
}

static capnp::Data::Reader data(const Bytes& b) {
  return capnp::Data::Reader(reinterpret_cast<const kj::byte*>(b.data()), b.size());
}

template <typename Reader>
static Bytes canonical(Reader r) {
  auto words = capnp::canonicalize(r);
  auto bytes = words.asBytes();
  return Bytes(reinterpret_cast<const char*>(bytes.begin()), bytes.size());
}

Ledger::Ledger(std::string o, std::string cur, int64_t dualControl)
    : origin(std::move(o)), currency(std::move(cur)), admin(Keypair::fromSeed("admin")), log(Keypair::fromSeed("log")),
      dualControl_(dualControl) {
  addGenesis();
  balances["ledger"] = 0;
}

void Ledger::addGenesis() {
  int64_t now = clock;
  if (!records.empty()) clock = records[0].recordedAt;  // re-signed as of its own time (rule 8's createdAt)
  Bytes bytes = entry([&](schema::Entry::Builder e) {
    auto g = e.getBody().initGenesis();
    g.setFormatVersion(formatVersion);
    g.setOrigin(origin);
    g.setLogPublicKey(data(log.pub()));
    g.initAdminKeys(1).set(0, data(admin.pub()));
    g.setCurrency(currency);
    g.setDualControlThreshold(dualControl_);
  }, records.empty() ? "req-" + std::to_string(++counter_) : idemOf(records[0].entry));
  clock = now;
  Record r = sign(bytes, {&admin});
  r.recordedAt = records.empty() ? clock : records[0].recordedAt;
  if (records.empty()) {
    records.push_back(r);
    clock += 1000;
  } else {
    records[0] = r;
  }
}

void Ledger::setFormatVersion(uint32_t v) {
  formatVersion = v;
  versionSet_ = true;
  addGenesis();
}

std::vector<Bytes> Ledger::collect(const std::function<void()>& make) {
  std::vector<Bytes> out;
  capture_ = &out;
  make();
  capture_ = nullptr;
  return out;
}

std::string Ledger::idemOf(const Bytes& entry) {
  std::vector<capnp::word> words(entry.size() / 8);
  memcpy(words.data(), entry.data(), words.size() * 8);
  kj::ArrayPtr<const capnp::word> segs[1] = {kj::ArrayPtr<const capnp::word>(words.data(), words.size())};
  capnp::SegmentArrayMessageReader m(kj::arrayPtr(segs, 1));
  auto k = m.getRoot<schema::Entry>().getIdempotencyKey();
  return std::string(k.cStr(), k.size());
}

std::string Ledger::batchKey(const std::vector<Bytes>& entries) {
  Bytes all;
  for (const auto& e : entries) {
    std::string k = idemOf(e);
    all += be32(uint32_t(k.size())) + k;
  }
  Bytes h = sha256(all);
  static const char* hex = "0123456789abcdef";
  std::string out = "batch-";
  for (int i = 0; i < 16; ++i) out += hex[uint8_t(h[i]) >> 4], out += hex[uint8_t(h[i]) & 15];
  return out;
}

Bytes Ledger::batchEntry(uint32_t count, const Bytes& root, const std::string& idem) {
  return entry([&](schema::Entry::Builder e) {
    auto b = e.getBody().initBatch();
    b.setCount(count);
    b.setRoot(data(root));
  }, idem);
}

Record Ledger::batched(const Bytes& e, uint64_t batchSeq) const {
  Record r;
  r.entry = e;
  r.recordedAt = records.empty() ? clock : records.back().recordedAt;
  r.batchSeq = batchSeq;
  return r;
}

uint64_t Ledger::batch(const std::vector<Bytes>& entries, const std::vector<const Keypair*>& signers,
                       const std::string& idem) {
  if (formatVersion < 2 && !versionSet_) {
    formatVersion = 2;
    addGenesis();
  }
  Bytes e = batchEntry(uint32_t(entries.size()), batchRoot(entries), idem.empty() ? batchKey(entries) : idem);
  uint64_t b = add(e, signers);
  for (const auto& x : entries) records.push_back(batched(x, b));  // one transaction: the batch's recordedAt
  return b;
}

Bytes Ledger::entry(const std::function<void(schema::Entry::Builder)>& fill, const std::string& idem,
                    const std::string& originOverride) {
  capnp::MallocMessageBuilder m;
  auto e = m.initRoot<schema::Entry>();
  e.setOrigin(originOverride.empty() ? origin : originOverride);
  e.setCreatedAt(clock);
  e.setIdempotencyKey(idem);
  fill(e);
  return canonical(e.asReader());
}

Record Ledger::sign(const Bytes& entry, const std::vector<const Keypair*>& signers) {
  Record r;
  for (const Keypair* k : signers) {
    uint8_t sig[64];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const uint8_t*>(entry.data()), entry.size(), k->sk.data());
    r.sigs.emplace_back(k->pub(), Bytes(reinterpret_cast<char*>(sig), 64));
  }
  std::sort(r.sigs.begin(), r.sigs.end());
  r.entry = entry;
  return r;
}

uint64_t Ledger::add(const Bytes& e, const std::vector<const Keypair*>& signers) {
  if (capture_) {  // collect(): a payment run's record, signed by its batch
    capture_->push_back(e);
    return 0;
  }
  Record r = sign(e, signers);
  r.recordedAt = clock;
  clock += 1000;
  records.push_back(r);
  return records.size() - 1;
}

uint64_t Ledger::add(const std::function<void(schema::Entry::Builder)>& fill, const std::vector<const Keypair*>& signers) {
  return add(entry(fill, "req-" + std::to_string(++counter_)), signers);
}

uint64_t Ledger::registerParty(const std::string& id, schema::PartyKind kind, bool budgetLimited,
                               const std::vector<std::string>& orgIds) {
  balances[id] = 0;
  return add([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPartyRegistered();
    p.setId(id);
    p.setName("The " + id);
    p.setKind(kind);
    p.setSector(schema::Sector::PUBLIC);
    p.setBudgetLimited(budgetLimited);
    auto ids = p.initOrgIds(unsigned(orgIds.size()));
    for (size_t i = 0; i < orgIds.size(); ++i) ids.set(unsigned(i), orgIds[i]);
  }, {&admin});
}

uint64_t Ledger::grant(const std::string& party, const Keypair& k, schema::Role role) {
  return add([&](schema::Entry::Builder e) {
    auto g = e.getBody().initKeyGranted();
    g.setParty(party);
    g.setPublicKey(data(k.pub()));
    g.setRole(role);
  }, {&admin});
}

uint64_t Ledger::revoke(const std::string& party, const Keypair& k) {
  return add([&](schema::Entry::Builder e) {
    auto g = e.getBody().initKeyRevoked();
    g.setParty(party);
    g.setPublicKey(data(k.pub()));
  }, {&admin});
}

uint64_t Ledger::contribute(const std::string& from, const std::string& to, int64_t amount,
                            const std::vector<const Keypair*>& signers) {
  balances[from] -= amount, balances[to] += amount;
  return add([&](schema::Entry::Builder e) {
    auto c = e.getBody().initContribution();
    c.setFrom(from);
    c.setTo(to);
    c.setAmount(amount);
    c.setCurrency(currency);
    c.setValueDate(20251124);
    c.setReference("s75 contribution");
  }, signers);
}

uint64_t Ledger::pay(const std::string& from, const std::string& to, int64_t amount,
                     const std::vector<const Keypair*>& signers, const std::string& memo) {
  balances[from] -= amount, balances[to] += amount;
  return add([&](schema::Entry::Builder e) {
    auto p = e.getBody().initPayment();
    p.setFrom(from);
    p.setTo(to);
    p.setAmount(amount);
    p.setCurrency(currency);
    p.setValueDate(20251125);
    p.setMechanism(schema::Mechanism::GRANT);
    p.setMemo(memo);
    p.getFundedBy().setOwn();
  }, signers);
}

uint64_t Ledger::reverse(uint64_t target, const std::string& from, const std::string& to, int64_t amount,
                         const std::vector<const Keypair*>& signers) {
  balances[from] += amount, balances[to] -= amount;
  return add([&](schema::Entry::Builder e) {
    auto r = e.getBody().initReversal();
    r.setTargetSeq(target);
    r.setReason("paid in error");
  }, signers);
}

uint64_t Ledger::assign(const std::string& accountable, const std::string& responsible, const std::string& subject,
                        const std::vector<const Keypair*>& signers) {
  return add([&](schema::Entry::Builder e) {
    auto a = e.getBody().initResponsibilityAssigned();
    a.setAccountable(accountable);
    a.initResponsible(1).set(0, responsible);
    a.setSubject(subject);
    a.setKind(schema::ResponsibilityKind::DELIVERY);
    a.setStartDate(20250401);
    a.setEndDate(20260331);
  }, signers);
}

static void fillRows(capnp::List<schema::ScheduleRow>::Builder list, const std::vector<Ledger::Row>& rows) {
  for (size_t i = 0; i < rows.size(); ++i) {
    auto r = list[unsigned(i)];
    r.setMilestone(rows[i].milestone);
    r.setGroup(rows[i].group);
    r.setUnitPrice(rows[i].unitPrice);
    r.setFinancedBy(rows[i].fromParent ? schema::FinancedBy::PARENT : schema::FinancedBy::PAYER);
  }
}

uint64_t Ledger::agree(const Terms& t, const std::vector<const Keypair*>& signers) {
  return add([&](schema::Entry::Builder e) {
    auto c = e.getBody().initContractAgreed();
    c.setReference(t.reference);
    c.setPayer(t.payer);
    c.setPayee(t.payee);
    c.setSubject(t.subject);
    c.setStartDate(t.start);
    c.setEndDate(t.end);
    c.setCap(t.cap);
    c.setParent(t.parent);
    fillRows(c.initSchedule(unsigned(t.schedule.size())), t.schedule);
  }, signers);
}

uint64_t Ledger::vary(const std::string& reference, int64_t newCap, uint32_t newEnd, const std::vector<Row>* rows,
                      const std::vector<const Keypair*>& signers, const std::string& reason) {
  return add([&](schema::Entry::Builder e) {
    auto v = e.getBody().initContractVaried();
    v.setReference(reference);
    v.setNewCap(newCap);
    v.setNewEndDate(newEnd);
    if (rows) {
      v.setReplaceSchedule(true);
      fillRows(v.initSchedule(unsigned(rows->size())), *rows);
    }
    v.setReason(reason);
  }, signers);
}

uint64_t Ledger::endContract(const std::string& reference, schema::EndReason reason, const std::string& successor,
                             const std::vector<const Keypair*>& signers) {
  return add([&](schema::Entry::Builder e) {
    auto x = e.getBody().initContractEnded();
    x.setReference(reference);
    x.setReason(reason);
    x.setSuccessor(successor);
    x.setDate(20251201);
  }, signers);
}

uint64_t Ledger::status(const std::string& party, schema::PartyStatus st, uint32_t from) {
  return add([&](schema::Entry::Builder e) {
    auto s = e.getBody().initPartyStatusChanged();
    s.setParty(party);
    s.setStatus(st);
    s.setFrom(from);
    s.setNote("recorded by the test");
  }, {&admin});
}

uint64_t Ledger::payment(const Payment& p, const std::vector<const Keypair*>& signers) {
  balances[p.from] -= p.amount, balances[p.to] += p.amount;
  return add([&](schema::Entry::Builder e) {
    auto r = e.getBody().initPayment();
    r.setFrom(p.from);
    r.setTo(p.to);
    r.setAmount(p.amount);
    r.setCurrency(currency);
    r.setValueDate(p.valueDate);
    r.setMechanism(p.mechanism);
    r.setMilestone(p.milestone);
    r.setContractSeq(p.contractSeq);
    r.setOutcomeCount(p.outcomeCount);
    r.setGroup(p.group);
    auto ids = r.initClaimIds(unsigned(p.claims.size()));
    for (size_t i = 0; i < p.claims.size(); ++i) ids.set(unsigned(i), p.claims[i]);
    if (!p.reference.empty()) r.setReference(p.reference);
  }, signers);
}

Bytes Ledger::leaf(uint64_t seq, const Bytes& prevHash, int64_t recordedAt, const Record& r) {
  capnp::MallocMessageBuilder m;
  auto se = m.initRoot<schema::SignedEntry>();
  se.setSeq(seq);
  se.setPrevHash(data(prevHash));
  se.setRecordedAt(recordedAt);
  se.setEntry(data(r.entry));
  se.setBatchSeq(r.batchSeq);
  auto sigs = se.initSignatures(unsigned(r.sigs.size()));
  for (size_t i = 0; i < r.sigs.size(); ++i) {
    sigs[unsigned(i)].setPublicKey(data(r.sigs[i].first));
    sigs[unsigned(i)].setEd25519(data(r.sigs[i].second));
  }
  return canonical(se.asReader());
}

std::vector<Bytes> Ledger::leaves() const {
  std::vector<Bytes> out;
  Bytes prev(32, '\0');
  for (size_t i = 0; i < records.size(); ++i) {
    out.push_back(leaf(i, prev, records[i].recordedAt, records[i]));
    prev = leafHash(out.back());
  }
  return out;
}

std::string Ledger::checkpoint(size_t size) const {
  std::string body = origin + "\n" + std::to_string(size) + "\n" + b64(rootOf(leaves(), size)) + "\n";
  return signNote(body, origin, log);
}

std::string Ledger::statement(size_t size, const std::map<std::string, int64_t>& bal) const {
  std::string body = "fundtrail statement v1\n" + origin + "\n" + std::to_string(size) + "\n";
  for (const auto& [id, v] : bal) body += id + " " + std::to_string(v) + "\n";
  return signNote(body, origin, log);
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void writeBundle(const std::string& path, const std::vector<Bytes>& leaves) {
  std::string out = "fundtrail-bundle/v1\n";
  for (int i = 7; i >= 0; --i) out.push_back(char(uint64_t(leaves.size()) >> (8 * i)));
  for (const auto& l : leaves) out += Bytes{char(l.size() >> 8), char(l.size())} + l;
  writeFile(path, out);
}

void writeLmdb(const std::string& dir, const std::vector<Bytes>& leaves) {
  mkdir(dir.c_str(), 0755);
  MDB_env* env;
  MDB_txn* txn;
  MDB_dbi dbi;
  auto ok = [](int rc) {
    if (rc) throw std::runtime_error(mdb_strerror(rc));
  };
  ok(mdb_env_create(&env));
  ok(mdb_env_set_maxdbs(env, 16));
  ok(mdb_env_set_mapsize(env, size_t(4) << 30));
  ok(mdb_env_open(env, dir.c_str(), 0, 0644));
  ok(mdb_txn_begin(env, nullptr, 0, &txn));
  ok(mdb_dbi_open(txn, "entries", MDB_CREATE, &dbi));
  for (uint64_t i = 0; i < leaves.size(); ++i) {
    uint8_t key[8];
    for (int b = 0; b < 8; ++b) key[b] = uint8_t(i >> (56 - 8 * b));
    MDB_val k{8, key}, v{leaves[i].size(), const_cast<char*>(leaves[i].data())};
    ok(mdb_put(txn, dbi, &k, &v, MDB_APPEND));
  }
  MDB_dbi meta;
  ok(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta));
  ok(mdb_txn_commit(txn));
  mdb_env_close(env);
}

Standard::Standard()
    : council(Keypair::fromSeed("council officer")),
      councilApprover(Keypair::fromSeed("council approver")),
      nhs(Keypair::fromSeed("nhs officer")),
      pool(Keypair::fromSeed("pool officer")),
      poolApprover(Keypair::fromSeed("pool approver")),
      prime(Keypair::fromSeed("prime officer")) {
  using K = schema::PartyKind;
  using R = schema::Role;
  L.registerParty("council", K::COMMISSIONER, false, {"GB-LAE-RVS"});          // 1
  L.registerParty("nhs", K::COMMISSIONER);                                    // 2
  L.registerParty("riverside-pool", K::POOL);                                 // 3
  L.registerParty("carers-trust", K::PROVIDER, true, {"GB-CHC-1164883"});     // 4
  L.registerParty("prime-co", K::INTEGRATOR);                                 // 5
  L.grant("council", council, R::OFFICER);                                    // 6
  L.grant("council", councilApprover, R::APPROVER);                           // 7
  L.grant("nhs", nhs, R::OFFICER);                                            // 8
  L.grant("riverside-pool", pool, R::OFFICER);                                // 9
  L.grant("riverside-pool", poolApprover, R::APPROVER);                       // 10
  L.grant("prime-co", prime, R::OFFICER);                                     // 11
  L.contribute("council", "riverside-pool", 25000000, {&council});            // 12: 250,000.00
  L.contribute("nhs", "riverside-pool", 10000000, {&nhs});                    // 13: 100,000.00
  smallPayment = L.pay("riverside-pool", "carers-trust", 125000, {&pool}, "tamper-target-memo");  // 14
  bigPayment = L.pay("riverside-pool", "prime-co", 2000000, {&pool, &poolApprover});               // 15
  L.assign("council", "carers-trust", "carers support", {&council});         // 16
  uint64_t p = L.pay("riverside-pool", "carers-trust", 50000, {&pool});       // 17
  L.reverse(p, "riverside-pool", "carers-trust", 50000, {&pool});             // 18
  L.pay("prime-co", "carers-trust", 150000, {&prime});                        // 19
}

}  // namespace tb
