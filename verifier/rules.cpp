#include "rules.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "contracts.h"
#include "money.h"
#include "note.h"
#include "validate.h"

namespace fv {

using schema::Entry;
using schema::PartyKind;

// ---- small helpers ------------------------------------------------------

namespace {

Key32 toKey(capnp::Data::Reader d) {
  Key32 k{};
  if (d.size() == 32) std::copy(d.begin(), d.end(), k.begin());
  return k;
}

std::string keyText(const Key32& k) { return base64Encode(k); }

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
  return r;
}

const char* kindName(PartyKind k) {
  static const char* names[] = {"commissioner", "funder", "pool", "integrator", "provider", "collaborative",
                                "board", "regulator", "auditor", "office", "other"};
  return uint16_t(k) <= 10 ? names[uint16_t(k)] : "unknown";
}

const char* roleName(uint8_t r) {
  static const char* names[] = {"officer", "approver", "administrator", "auditor"};
  return r <= 3 ? names[r] : "unknown";
}

}  // namespace

// Open addressing set of 64-bit hashes (SipHash of each idempotency key with
// a random key). A hit may be a collision; the caller confirms it.
class Ledger::KeyHashSet {
 public:
  KeyHashSet() : slots_(1 << 12, 0) { randombytes_buf(key_, sizeof key_); }
  uint64_t hash(std::string_view s) const {
    uint64_t h;
    crypto_shorthash(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<const uint8_t*>(s.data()), s.size(), key_);
    return h ? h : 1;  // 0 marks an empty slot
  }
  bool insert(uint64_t h) {  // false: already present
    if ((count_ + 1) * 4 > slots_.size() * 3) grow();
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      if (slots_[i] == h) return false;
      if (slots_[i] == 0) {
        slots_[i] = h;
        ++count_;
        return true;
      }
    }
  }

 private:
  void grow() {
    std::vector<uint64_t> old(slots_.size() * 2, 0);
    old.swap(slots_);
    count_ = 0;
    for (uint64_t h : old)
      if (h) insert(h);
  }
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
  uint8_t key_[crypto_shorthash_KEYBYTES];
};

Ledger::Ledger(Report& report)
    : report_(report), idempotencyKeys_(std::make_unique<KeyHashSet>()), contracts_(std::make_unique<Contracts>()) {}
Ledger::~Ledger() = default;

std::string Ledger::money(int64_t v) const { return formatMinor(v, genesis_ ? genesis_->exponent : 2); }

std::string Ledger::describe(uint32_t p) const {
  const Party& x = parties_[p];
  return std::string(x.kind == PartyKind::POOL ? "pool" : x.budgetLimited ? "budget-limited party" : "party") +
         " '" + x.id + "'";
}

std::optional<uint32_t> Ledger::party(std::string_view id) {
  auto it = partyIndex_.find(std::string(id));
  if (it == partyIndex_.end()) return std::nullopt;
  return it->second;
}

// ---- rule 1: who may sign ------------------------------------------------

const Ledger::Grant* Ledger::grant(uint32_t party, const Key32& key) const {
  auto it = grants_.find({party, key});
  return it == grants_.end() ? nullptr : &it->second;
}

std::optional<Ledger::Role> Ledger::activeRole(uint32_t party, const Key32& key) const {
  const Grant* g = grant(party, key);
  if (!g || !g->active) return std::nullopt;
  return g->role;
}

std::string Ledger::keyProblem(uint32_t party, const Key32& key, const char* wanted) const {
  std::string s = "key " + keyText(key) + " is not " + wanted + " of '" + parties_[party].id + "'";
  if (const Grant* g = grant(party, key)) {
    if (!g->active) s += " (it was revoked at seq " + std::to_string(g->revokedAt) + ")";
    else s += std::string(" (it holds the role ") + roleName(g->role) + ")";
  }
  return s;
}

// Every signer holds an officer or approver key of `party`, at least one an officer's.
bool Ledger::actsFor(uint32_t party, bool reportIt) {
  bool all = true, officer = false;
  for (const Key32& k : signers_) {
    auto r = activeRole(party, k);
    if (r == Officer) officer = true;
    if (r != Officer && r != Approver) {
      all = false;
      if (reportIt) fail(Check::Rule1, keyProblem(party, k, "an officer or approver key"));
    }
  }
  if (all && !officer && (!signers_.empty() || inBatch_) && reportIt)
    fail(Check::Rule1, inBatch_ ? "no signer of batch " + std::to_string(batchSeqNow()) + " holds an officer key of '" +
                                      parties_[party].id + "' valid at its seq (an approver only co-signs)"
                                : "no signer holds an officer key of '" + parties_[party].id + "' (an approver only co-signs)");
  return all && officer;
}

bool Ledger::actsAsAdmin(bool reportIt) {
  if (inBatch_ && signers_.empty()) {
    if (reportIt)
      fail(Check::Rule1, "no signer of batch " + std::to_string(batchSeqNow()) +
                             " holds an administrator key of 'ledger' valid at its seq");
    return false;
  }
  auto ledger = party("ledger");
  bool all = !signers_.empty() && ledger;
  for (const Key32& k : signers_) {
    if (ledger && activeRole(*ledger, k) == Administrator) continue;
    all = false;
    if (reportIt)
      fail(Check::Rule1, ledger ? keyProblem(*ledger, k, "an administrator key") : "there is no party 'ledger'");
  }
  return all;
}

void Ledger::checkSignatures(schema::SignedEntry::Reader se, const Examined& ex) {
  signers_.clear();
  auto sigs = se.getSignatures();
  if (sigs.size() == 0) fail(Check::Rule1, "the record carries no signature");
  if (sigs.size() > limit::kSignatures)
    fail(Check::Limits, "the record carries " + std::to_string(sigs.size()) + " signatures, over the limit of " +
                            std::to_string(limit::kSignatures), "signatures");
  for (unsigned i = 0; i < sigs.size(); ++i) {
    auto pk = sigs[i].getPublicKey();
    auto sig = sigs[i].getEd25519();
    ++signatures_;
    std::string which = "signature " + std::to_string(i + 1);
    if (pk.size() != 32) fail(Check::Rule1, which + ": public key is " + std::to_string(pk.size()) + " bytes, not 32");
    else if (sig.size() != 64) fail(Check::Rule1, which + ": signature is " + std::to_string(sig.size()) + " bytes, not 64");
    else if (!ex.sigValid[i])
      fail(Check::Rule1, which + " (key " + keyText(toKey(pk)) + ") does not verify over the entry bytes");
    else signers_.push_back(toKey(pk));
    if (i > 0) {
      auto prev = sigs[i - 1].getPublicKey();
      if (!std::lexicographical_compare(prev.begin(), prev.end(), pk.begin(), pk.end()))
        fail(Check::Rule1, "signatures are not sorted strictly by public key (or a key signs twice)");
    }
  }
}

// ---- rule 8: the log's own order ------------------------------------------

void Ledger::checkChain(schema::SignedEntry::Reader se, const Examined& ex) {
  if (se.getSeq() != pos_) fail(Check::Rule8, "the record says seq " + std::to_string(se.getSeq()) +
                                                  " but it is at position " + std::to_string(pos_));
  auto prev = se.getPrevHash();
  if (prev.size() != 32 || !std::equal(prev.begin(), prev.end(), prevLeaf_.begin()))
    fail(Check::Rule8, pos_ == 0 ? "prevHash of genesis is not 32 zero bytes"
                                 : "prevHash is not the leaf hash of record " + std::to_string(pos_ - 1) +
                                       " (a record before it was changed, removed or reordered)");
  if (se.getRecordedAt() < prevRecordedAt_)
    fail(Check::Rule8, "recordedAt " + std::to_string(se.getRecordedAt()) + " is before the previous record's " +
                           std::to_string(prevRecordedAt_));
  prevRecordedAt_ = std::max(prevRecordedAt_, se.getRecordedAt());
  (void)ex;
}

// ---- one record -------------------------------------------------------------

void Ledger::apply(uint64_t pos, const capnp::word* words, size_t size, const Examined& ex, const RawRecord& raw) {
  pos_ = pos;
  inBatch_ = false;
  applyRecord(words, size, ex, raw);
  inBatch_ = false;
  if (batch_ && pos >= batch_->last) closeBatch();  // the run's last record: its root, key and signers
}

void Ledger::applyRecord(const capnp::word* words, size_t size, const Examined& ex, const RawRecord& raw) {
  if (!raw.keyMatches) fail(Check::Rule8, "it is stored under " + raw.keyNote + " in 'entries', not its position");
  Hash leaf = ex.leaf;
  struct NextLeaf {  // whatever happens below, the next record chains to this one
    Hash& prev;
    Hash leaf;
    ~NextLeaf() { prev = leaf; }
  } next{prevLeaf_, leaf};

  if (ex.tooBig) {
    fail(Check::Limits, "the record is " + std::to_string(size) + " bytes, over the limit of 65,535");
    return;
  }
  if (!ex.readable) {
    fail(Check::Canonical, "the record cannot be read: " + ex.problem);
    return;
  }
  if (!ex.signedEntryCanonical) fail(Check::Canonical, "the SignedEntry bytes are not in canonical form");
  if (!ex.entryCanonical) fail(Check::Canonical, "the Entry bytes are not in canonical form");
  bool entryOpen = false;  // past this, a read error is a field not of its schema type (format)
  try {
    SegmentReader outer(words, size / 8);
    auto se = outer.root<schema::SignedEntry>();
    checkChain(se, ex);
    // A record of a payment run is approved by its batch's signatures, checked once on the batch record.
    batchMembership(se, ex);
    if (!inBatch_) checkSignatures(se, ex);
    auto entryBytes = se.getEntry();
    SegmentReader inner(entryWords(entryBytes), entryBytes.size() / 8);
    auto e = inner.root<Entry>();
    entryOpen = true;
    bool applyBody = !inBatch_ || batchEntry(e);
    auto body = e.getBody();
    auto kind = body.which();

    // Every field on its own first (format, limits: validate.cpp), as the writer does.
    Validation v = validateEntry(e);
    for (auto& p : v.problems) fail(p.check, std::move(p.reason), std::move(p.field));
    if (kind == Entry::Body::GENESIS) {
      if (pos_ != 0) {
        fail(Check::Format, "only record 0 may be genesis");
        return;
      }
      genesis(e, body.getGenesis());
    } else if (pos_ == 0) {
      fail(Check::Format, "record 0 is not genesis");
    }
    // rule 8: origin and the signer's clock
    std::string_view origin = view(e.getOrigin());
    if (genesis_ && origin != genesis_->origin)
      fail(Check::Rule8, "origin '" + std::string(origin) + "' is not this ledger's origin '" + genesis_->origin +
                             "' (a record from another ledger?)");
    if (__int128(e.getCreatedAt()) > __int128(se.getRecordedAt()) + 300000)
      fail(Check::Rule8, "createdAt " + std::to_string(e.getCreatedAt()) + " is more than five minutes after recordedAt " +
                             std::to_string(se.getRecordedAt()));
    idempotency(view(e.getIdempotencyKey()));

    // A body kind or enum value this verifier does not know: a newer writer's
    // record. What could be checked was; its effects are skipped (docs/verifier.md).
    if (!v.unknown.empty()) {
      report_.newer(pos_, v.unknown.front());
      signersHoldSomeKey();
      return;
    }
    if (!applyBody) return;
    if (inBatch_) batchSigners(e);  // the batch's signers that count for this record
    switch (kind) {
      case Entry::Body::GENESIS: break;
      case Entry::Body::PARTY_REGISTERED: partyRegistered(body.getPartyRegistered()); break;
      case Entry::Body::KEY_GRANTED: keyGranted(body.getKeyGranted()); break;
      case Entry::Body::KEY_REVOKED: keyRevoked(body.getKeyRevoked()); break;
      case Entry::Body::CONTRIBUTION: contribution(body.getContribution()); break;
      case Entry::Body::PAYMENT: payment(body.getPayment()); break;
      case Entry::Body::RESPONSIBILITY_ASSIGNED: responsibilityAssigned(body.getResponsibilityAssigned()); break;
      case Entry::Body::RESPONSIBILITY_ENDED: responsibilityEnded(body.getResponsibilityEnded()); break;
      case Entry::Body::REVERSAL: reversal(body.getReversal()); break;
      case Entry::Body::PARTY_STATUS_CHANGED: partyStatusChanged(body.getPartyStatusChanged()); break;
      case Entry::Body::CONTRACT_AGREED: contractAgreed(body.getContractAgreed()); break;
      case Entry::Body::CONTRACT_VARIED: contractVaried(body.getContractVaried()); break;
      case Entry::Body::CONTRACT_ENDED: contractEnded(body.getContractEnded()); break;
      case Entry::Body::BATCH: batch(e, body.getBatch()); break;
    }
  } catch (const kj::Exception& x) {
    if (entryOpen)
      fail(Check::Format, std::string("a field of the Entry is not of its schema type: ") + x.getDescription().cStr());
    else fail(Check::Canonical, std::string("the record cannot be read: ") + x.getDescription().cStr());
  }
}

// Rule 1 as far as a record of a newer format allows: its acting party is
// unknown, so each signer must hold a key valid at this seq for some party.
void Ledger::signersHoldSomeKey() {
  for (const Key32& k : signers_) {
    bool holds = std::any_of(grants_.begin(), grants_.end(),
                             [&](const auto& g) { return g.first.second == k && g.second.active; });
    if (!holds)
      fail(Check::Rule1, "key " + keyText(k) + " holds no key valid at this seq for any party (the record is of a "
                                               "newer format, so only that can be checked of who signed it)");
  }
}

void Ledger::idempotency(std::string_view key) {
  if (key.empty() || !idempotencyKeys_) return;
  if (idempotencyKeys_->insert(idempotencyKeys_->hash(key))) return;
  // Same 64-bit hash seen before: find the earlier record to be sure.
  std::optional<uint64_t> earlier = findEarlierKey ? findEarlierKey(std::string(key), pos_) : std::nullopt;
  if (earlier) fail(Check::Rule6, "idempotency key '" + std::string(key) + "' was already used at seq " +
                                      std::to_string(*earlier));
}

// ---- genesis and parties ------------------------------------------------------

void Ledger::genesis(schema::Entry::Reader e, schema::Genesis::Reader g) {
  if (g.getFormatVersion() > 2)
    throw Unusable("genesis says formatVersion " + std::to_string(g.getFormatVersion()) +
                   ": this verifier reads versions 1 and 2 only (a newer fundtrail wrote it)");
  // formatVersion 0, the keys' sizes and the texts: validate.cpp (format, limits).
  GenesisInfo info;
  info.origin = std::string(view(g.getOrigin()));
  if (view(e.getOrigin()) != info.origin) fail(Check::Rule8, "the entry's origin differs from the origin genesis declares");
  info.currency = std::string(view(g.getCurrency()));
  if (!looksLikeCurrencyCode(info.currency))
    fail(Check::Rule3, "currency '" + info.currency + "' is not a three-letter ISO 4217 code");
  info.exponent = currencyExponent(info.currency);
  info.dualControl = g.getDualControlThreshold();
  info.formatVersion = g.getFormatVersion();
  if (g.getLogPublicKey().size() == 32) info.logKey = toKey(g.getLogPublicKey()), info.logKeyValid = true;
  genesis_ = info;

  // rule 1: every signer is one of the genesis administrator keys
  std::set<Key32> admins;
  for (auto k : g.getAdminKeys())
    if (k.size() == 32) admins.insert(toKey(k));
  for (const Key32& k : signers_)
    if (!admins.count(k)) fail(Check::Rule1, "key " + keyText(k) + " is not one of the genesis administrator keys");

  parties_.push_back({"ledger", PartyKind::OFFICE, false, 0, 0, 0});
  partyIndex_["ledger"] = 0;
  for (const Key32& k : admins) {
    grants_[{0, k}] = Grant{Administrator, true, 0};
    ++activeAdmins_;
    if (seenKeys_.insert(k).second) ++distinctKeys_;
  }
}

void Ledger::partyRegistered(schema::PartyRegistered::Reader r) {
  actsAsAdmin(true);
  std::string id(view(r.getId()));
  // A malformed id (format, limits: validate.cpp) is never registered.
  bool ok = isSlug(id) && id.size() <= limit::kPartyId;
  auto rule2 = [&](std::string why) { fail(Check::Rule2, std::move(why)), ok = false; };
  if (id == "ledger" || partyIndex_.count(id)) rule2("party id '" + id + "' is already taken");
  auto mustExist = [&](capnp::Text::Reader ref, const char* what) {
    std::string_view s = view(ref);
    if (!s.empty() && !party(s)) rule2(std::string(what) + " '" + std::string(s) + "' is not a registered party");
  };
  mustExist(r.getControlledBy(), "controlledBy");
  mustExist(r.getParent(), "parent");
  for (auto m : r.getMembers()) mustExist(m, "member");
  if (r.getMembers().size() && r.getKind() != PartyKind::COLLABORATIVE)
    rule2("only a collaborative has members, and '" + id + "' is a " + kindName(r.getKind()));
  if (r.hasPoolTerms()) {
    auto t = r.getPoolTerms();
    bool given = t.getLegalBasis().size() || t.getHost().size() || t.getShares().size() || t.getPlaceCode().size();
    mustExist(t.getHost(), "pool host");
    if (given && r.getKind() != PartyKind::POOL)
      rule2(std::string("only a pool has pool terms, and '") + id + "' is a " + kindName(r.getKind()));
    uint64_t total = 0;
    std::set<std::string> seen;
    for (auto s : t.getShares()) {
      mustExist(s.getParty(), "share party");
      std::string p(s.getParty().cStr());
      if (!seen.insert(p).second) rule2("share party '" + p + "' appears twice");
      if (s.getBasisPoints() < 1 || s.getBasisPoints() > 10000)
        rule2("share of '" + p + "' is " + std::to_string(s.getBasisPoints()) + " basis points, not 1..10000");
      total += s.getBasisPoints();
    }
    if (total > 10000) rule2("pool shares add up to " + std::to_string(total) + " basis points, over 10000");
  }
  std::set<std::string> mine;
  for (auto o : r.getOrgIds()) {
    std::string_view s = view(o);
    std::string key = lower(s);
    if (s.empty()) ok = false;  // format (validate.cpp)
    else if (!mine.insert(key).second) rule2("org id '" + std::string(s) + "' appears twice");
    else if (orgIds_.count(key))
      rule2("org id '" + std::string(s) + "' already belongs to party '" + parties_[orgIds_[key]].id + "'");
  }
  if (!ok) return;
  uint32_t idx = uint32_t(parties_.size());
  parties_.push_back({id, r.getKind(), r.getBudgetLimited(), 0, 0, 0});
  partyIndex_[id] = idx;
  for (const auto& k : mine) orgIds_[k] = idx;
}

void Ledger::keyGranted(schema::KeyGranted::Reader r) {
  actsAsAdmin(true);
  std::string_view id = view(r.getParty());
  auto p = party(id);
  auto role = uint16_t(r.getRole());  // known: an unknown role is a newer format (apply)
  if (!p) return fail(Check::Rule2, "party '" + std::string(id) + "' is not registered");
  if (r.getPublicKey().size() != 32) return;  // format (validate.cpp)
  Key32 k = toKey(r.getPublicKey());
  if (activeRole(*p, k)) return fail(Check::Rule2, "key " + keyText(k) + " is already granted to '" + std::string(id) + "'");
  bool isLedger = id == "ledger";
  if (role == Administrator && !isLedger) return fail(Check::Rule2, "the administrator role is only for 'ledger'");
  if (isLedger && role != Administrator && role != Auditor)
    return fail(Check::Rule2, std::string("'ledger' takes only administrator or auditor keys, not ") + roleName(uint8_t(role)));
  grants_[{*p, k}] = Grant{Role(role), true, 0};
  if (role == Administrator) ++activeAdmins_;
  if (seenKeys_.insert(k).second) ++distinctKeys_;
}

void Ledger::keyRevoked(schema::KeyRevoked::Reader r) {
  actsAsAdmin(true);
  std::string_view id = view(r.getParty());
  auto p = party(id);
  if (!p) return fail(Check::Rule2, "party '" + std::string(id) + "' is not registered");
  if (r.getPublicKey().size() != 32) return;  // format (validate.cpp)
  Key32 k = toKey(r.getPublicKey());
  auto it = grants_.find({*p, k});
  if (it == grants_.end() || !it->second.active)
    return fail(Check::Rule2, "key " + keyText(k) + " is not an active key of '" + std::string(id) + "'");
  if (it->second.role == Administrator && activeAdmins_ == 1)
    return fail(Check::Rule2, "it would revoke the last administrator key of 'ledger'");
  if (it->second.role == Administrator) --activeAdmins_;
  it->second.active = false;
  it->second.revokedAt = pos_;
}

// ---- money -------------------------------------------------------------------

bool Ledger::amountOk(int64_t amount, std::string_view currency) {
  bool ok = true;
  if (amount <= 0) fail(Check::Rule3, "amount " + money(amount) + " is not positive"), ok = false;
  if (!genesis_ || currency != genesis_->currency)
    fail(Check::Rule3, "currency '" + std::string(currency) + "' is not the ledger's currency '" +
                           (genesis_ ? genesis_->currency : std::string()) + "'"),
        ok = false;
  return ok;
}

// rule 4: moves money and checks that the payer, if limited, stays at or above zero.
bool Ledger::move(uint32_t from, uint32_t to, int64_t amount, const std::string& what) {
  Party &a = parties_[from], &b = parties_[to];
  auto na = checkedAdd(a.balance, -amount), nb = checkedAdd(b.balance, amount);
  if (!na || !nb) {
    fail(Check::Rule4, what + " would overflow the balance of " + describe(!na ? from : to));
    return false;
  }
  a.balance = *na, b.balance = *nb;
  a.paid += amount, b.received += amount;
  if (a.limited() && a.balance < 0)
    fail(Check::Rule4, describe(from) + " would go below zero by " + money(-a.balance));
  return true;
}

void Ledger::contribution(schema::Contribution::Reader r) {
  std::string_view from = view(r.getFrom()), to = view(r.getTo());
  auto f = party(from), t = party(to);
  bool ok = true;
  if (!f) fail(Check::Rule2, "contributor '" + std::string(from) + "' is not registered"), ok = false;
  else if (parties_[*f].kind == PartyKind::POOL) fail(Check::Rule2, "contributor '" + std::string(from) + "' is a pool"), ok = false;
  if (!t) fail(Check::Rule2, "pool '" + std::string(to) + "' is not registered"), ok = false;
  else if (parties_[*t].kind != PartyKind::POOL)
    fail(Check::Rule2, "contributions go into pools, and '" + std::string(to) + "' is a " + kindName(parties_[*t].kind)), ok = false;
  if (ok && *f == *t) fail(Check::Rule2, "a party contributes to itself"), ok = false;
  if (f) actsFor(*f, true);
  if (!amountOk(r.getAmount(), r.getCurrency().cStr()) || !ok) return;
  if (move(*f, *t, r.getAmount(), "this contribution")) money_.push_back({pos_, r.getAmount(), *f, *t});
}

void Ledger::payment(schema::Payment::Reader r) {
  std::string_view from = view(r.getFrom()), to = view(r.getTo());
  const bool refund = r.getMechanism() == schema::Mechanism::REFUND;
  auto fb = r.getFundedBy();
  bool ok = true;
  auto f = party(from), t = party(to);
  if (!f) fail(Check::Rule2, "payer '" + std::string(from) + "' is not registered"), ok = false;
  if (!t) fail(Check::Rule2, "payee '" + std::string(to) + "' is not registered"), ok = false;
  if (f && t) {
    if (*f == *t) fail(Check::Rule2, "a party pays itself"), ok = false;
    if (parties_[*t].kind == PartyKind::POOL && !refund)  // a refund goes back to whoever paid, a pool included
      fail(Check::Rule2, "payee '" + std::string(to) + "' is a pool (money goes into pools by contribution)"), ok = false;
    if (from == "ledger" || to == "ledger") fail(Check::Rule2, "'ledger' neither pays nor is paid"), ok = false;
  }
  if (fb.isEntry()) {
    uint64_t src = fb.getEntry();
    auto it = std::lower_bound(money_.begin(), money_.end(), src, [](const Money& m, uint64_t s) { return m.seq < s; });
    if (src >= pos_ || it == money_.end() || it->seq != src)
      fail(Check::Rule2, "fundedBy names seq " + std::to_string(src) + ", not an earlier contribution or payment");
  }
  if (refund) {
    if (f && t) refundRules(r, *f, *t);
  } else if (f) {
    actsFor(*f, true);
    // rule 5: dual control
    if (genesis_ && r.getAmount() >= genesis_->dualControl) {
      size_t valid = 0;
      bool officer = false;
      for (const Key32& k : signers_) {
        auto role = activeRole(*f, k);
        if (role == Officer || role == Approver) ++valid, officer |= role == Officer;
      }
      if (valid < 2 || !officer)
        fail(Check::Rule5, "payment of " + money(r.getAmount()) + " is at or above the dual-control threshold " +
                               money(genesis_->dualControl) + " but carries " + std::to_string(valid) +
                               " valid key(s) of '" + std::string(from) +
                               "' (two distinct keys are needed, one an officer's)");
    }
  }
  std::optional<uint32_t> contract = paymentRules(r, t);  // rules 9, 10, 11
  if (!amountOk(r.getAmount(), r.getCurrency().cStr()) || !ok) return;
  if (!move(*f, *t, r.getAmount(), "this payment")) return;
  addFlow(*f, *t, refund, r.getAmount(), +1);
  money_.push_back({pos_, r.getAmount(), *f | kPaymentBit | (refund ? kRefundBit : 0u), *t});
  if (contract) paidUnderContract(*contract, r);
}

bool Ledger::holdsAnyKey(uint32_t p) const {
  for (auto it = grants_.lower_bound({p, Key32{}}); it != grants_.end() && it->first.first == p; ++it)
    if (it->second.active) return true;
  return false;
}

bool Ledger::addFlow(uint32_t from, uint32_t to, bool refund, int64_t amount, int sign) {
  Flow& flow = flows_[{from, to}];
  int64_t& total = refund ? flow.refunded : flow.paid;
  int64_t next = 0;
  if (sign > 0 ? __builtin_add_overflow(total, amount, &next) : __builtin_sub_overflow(total, amount, &next)) {
    fail(Check::Rule3, "the total paid from '" + parties_[from].id + "' to '" + parties_[to].id + "' overflows");
    return false;
  }
  total = next;
  return true;
}

// A refund: money back from its payer to its payee, signed by the payee.
void Ledger::refundRules(schema::Payment::Reader r, uint32_t payer, uint32_t payee) {
  size_t payeeKeys = 0;
  bool payeeOfficer = false, payerCosigned = false;
  for (const Key32& k : signers_) {
    auto role = activeRole(payee, k);
    if (role == Officer || role == Approver) {
      ++payeeKeys, payeeOfficer |= role == Officer;
      continue;
    }
    if (activeRole(payer, k) == Officer) {
      payerCosigned = true;
      continue;
    }
    fail(Check::Rule1, keyProblem(payee, k, "an officer or approver key") + " (a refund is signed by its payee) nor an officer key of '" +
                           parties_[payer].id + "'");
  }
  if (!payeeOfficer && (!signers_.empty() || inBatch_))
    fail(Check::Rule1, (inBatch_ ? "no signer of batch " + std::to_string(batchSeqNow()) + " holds an officer key of '"
                                 : std::string("no signer holds an officer key of '")) +
                           parties_[payee].id + "', which receives the refund");
  if (genesis_ && r.getAmount() >= genesis_->dualControl && payeeKeys < 2)
    fail(Check::Rule5, "refund of " + money(r.getAmount()) + " is at or above the dual-control threshold " +
                           money(genesis_->dualControl) + " but carries " + std::to_string(payeeKeys) + " valid key(s) of '" +
                           parties_[payee].id + "', which receives it");
  // rule 12
  const Party& from = parties_[payer];
  if (from.kind == PartyKind::POOL) fail(Check::Rule12, "a refund is drawn from '" + from.id + "', a pool");
  if (from.budgetLimited) fail(Check::Rule12, "a refund is drawn from '" + from.id + "', which is budget-limited");
  if (r.getContractSeq() != 0 || r.getClaimIds().size() != 0 || r.getOutcomeCount() != 0)
    fail(Check::Rule12, "a refund names a contract or claims outcomes");
  if (!payerCosigned && holdsAnyKey(payer))
    fail(Check::Rule12, "'" + from.id + "' holds keys, but none of its officers co-signed this refund from it");
  auto back = flows_.find({payer, payee});
  auto paid = flows_.find({payee, payer});
  __int128 after = __int128(back == flows_.end() ? 0 : back->second.refunded) + r.getAmount();
  int64_t limit = paid == flows_.end() ? 0 : paid->second.paid;
  if (after > limit)
    fail(Check::Rule12, "refunds from '" + from.id + "' to '" + parties_[payee].id + "' come to " + money128(after) +
                            ", above the " + money(limit) + " '" + parties_[payee].id + "' paid it (net of reversals)");
}

void Ledger::reversal(schema::Reversal::Reader r) {
  uint64_t target = r.getTargetSeq();
  auto it = std::lower_bound(money_.begin(), money_.end(), target, [](const Money& m, uint64_t s) { return m.seq < s; });
  if (target >= pos_ || it == money_.end() || it->seq != target)
    return fail(Check::Rule7, "seq " + std::to_string(target) + " is not an earlier contribution or payment");
  const uint32_t reversedBit = 1u << 31;
  if (it->to & reversedBit) return fail(Check::Rule7, "seq " + std::to_string(target) + " was already reversed");
  const bool refund = it->from & kRefundBit, payment = it->from & kPaymentBit;
  uint32_t from = it->from & ~(kRefundBit | kPaymentBit), to = it->to;
  actsFor(refund ? to : from, true);  // the acting party of the record it reverses (a refund's: its payee)
  // The original recipient pays the amount back.
  if (!move(to, from, it->amount, "reversing seq " + std::to_string(target))) return;
  it->to |= reversedBit;
  if (payment) addFlow(from, to, refund, it->amount, -1);
  reversedUnderContract(target, it->amount);  // frees the contract's headroom and the claim ids
}

// ---- responsibility --------------------------------------------------------------

void Ledger::responsibilityAssigned(schema::ResponsibilityAssigned::Reader r) {
  std::string_view acc = view(r.getAccountable());
  bool ok = true;
  auto a = party(acc);
  if (!a) fail(Check::Rule2, "accountable party '" + std::string(acc) + "' is not registered"), ok = false;
  if (r.getResponsible().size() == 0) fail(Check::Rule2, "no responsible party"), ok = false;
  std::set<std::string> seen;
  for (auto x : r.getResponsible()) {
    std::string s(view(x));
    if (!party(s)) fail(Check::Rule2, "responsible party '" + s + "' is not registered"), ok = false;
    if (!seen.insert(s).second) fail(Check::Rule2, "responsible party '" + s + "' appears twice"), ok = false;
  }
  if (r.getSubject().size() == 0) ok = false;  // format (validate.cpp)
  if (realDate(r.getStartDate()) && realDate(r.getEndDate()) && r.getStartDate() > r.getEndDate())
    fail(Check::Rule2, "start date is after end date"), ok = false;
  if (a && !actsFor(*a, false) && !actsAsAdmin(false))
    fail(Check::Rule1, "signers are neither officers/approvers of '" + std::string(acc) +
                           "' (one an officer) nor administrators of 'ledger'");
  if (ok) assignments_[pos_] = {*a, false};
}

void Ledger::responsibilityEnded(schema::ResponsibilityEnded::Reader r) {
  auto it = assignments_.find(r.getAssignmentSeq());
  if (it == assignments_.end() || r.getAssignmentSeq() >= pos_)
    return fail(Check::Rule2, "seq " + std::to_string(r.getAssignmentSeq()) + " is not an earlier responsibility assignment");
  if (it->second.ended) return fail(Check::Rule2, "assignment seq " + std::to_string(it->first) + " has already ended");
  uint32_t a = it->second.accountable;
  if (!actsFor(a, false) && !actsAsAdmin(false))
    fail(Check::Rule1, "signers are neither officers/approvers of '" + parties_[a].id +
                           "' (one an officer) nor administrators of 'ledger'");
  it->second.ended = true;
}

// ---- results -------------------------------------------------------------------

std::vector<std::pair<std::string, int64_t>> Ledger::balances() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& p : parties_) out.emplace_back(p.id, p.balance);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PartyTotal> Ledger::totals() const {
  std::vector<PartyTotal> out;
  for (const auto& p : parties_)
    out.push_back({p.id, kindName(p.kind), p.kind == PartyKind::POOL, p.budgetLimited, p.balance, p.received, p.paid});
  std::sort(out.begin(), out.end(), [](const PartyTotal& a, const PartyTotal& b) { return a.id < b.id; });
  return out;
}

}  // namespace fv
