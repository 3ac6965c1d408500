#include "differential.h"

#include <capnp/message.h>
#include <capnp/schema.h>
#include <capnp/serialize.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "ledger/batch.h"
#include "ledger/error.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "ledger/record.h"
#include "ledger/request.h"
#include "ledger/store.h"
// The verifier's own headers (verifier/ is on the include path of fundtrail_verify_core).
#include "report.h"
#include "verify.h"

namespace fundtrail::differential {

uint32_t ByteChoices::below(uint32_t n) {
  uint32_t v = 0;
  for (int i = 0; i < 2; ++i) v = (v << 8) | (pos_ < size_ ? data_[pos_++] : 0);
  return v % n;
}

namespace {

using schema::Entry;
constexpr const char* kOrigin = "differential.test/ledger";
constexpr int64_t kThreshold = 1'000'000;  // 10,000.00 GBP

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

KeyPair make_key(const std::string& name, uint32_t n) {
  std::array<uint8_t, 32> seed{};
  std::memcpy(seed.data(), &n, sizeof n);
  seed[31] = 0x5a;
  return key_from_seed(name, seed);
}

// What one generated request breaks (None: meant to be valid; the writer may
// still refuse it by a rule the generator did not foresee, which is fine:
// every refusal is cross-checked alike).
enum class Mutation {
  None, EnumOut, UnknownBody, TextLong, TextControl, TextBadUtf8, TextEmpty, DateBad, KeyShort, ListLong,
  WrongKey, BadSignature, NoSignature, TooManySignatures, WrongOrigin, FutureCreated, NegativeCreated,
  ReuseKey, UnknownParty, Count
};

enum class Kind { Register, Contribute, Pay, PayUnderContract, Contract, Vary, End, Reverse, Assign, EndAssign, Status, Revoke, Count };

struct PartyModel {
  std::string id;
  schema::PartyKind kind;
  bool budget_limited = false;
  std::vector<uint32_t> keys;  // indexes into Impl::keys
};

struct ContractModel {
  std::string ref, payer, payee;
  uint64_t seq = 0;
  size_t depth = 1;
};

// The text fields of a body: which one a text mutation hits.
struct TextField {
  std::function<void(const std::string&)> set;
  size_t limit;
};

std::vector<TextField> text_fields(Entry::Body::Builder b) {
  std::vector<TextField> f;
  auto text = [](auto setter) { return [setter](const std::string& v) mutable { setter(capnp::Text::Reader(v.c_str(), v.size())); }; };
  switch (b.which()) {
    case Entry::Body::PARTY_REGISTERED: {
      auto p = b.getPartyRegistered();
      f.push_back({text([p](auto v) mutable { p.setId(v); }), kIdLimit});
      f.push_back({text([p](auto v) mutable { p.setName(v); }), kNameLimit});
      f.push_back({text([p](auto v) mutable { p.initOrgIds(1).set(0, v); }), kOrgIdLimit});
      break;
    }
    case Entry::Body::CONTRIBUTION: {
      auto c = b.getContribution();
      f.push_back({text([c](auto v) mutable { c.setReference(v); }), kSubjectLimit});
      f.push_back({text([c](auto v) mutable { c.setFrom(v); }), kIdLimit});
      break;
    }
    case Entry::Body::PAYMENT: {
      auto p = b.getPayment();
      f.push_back({text([p](auto v) mutable { p.setMemo(v); }), kMemoLimit});
      f.push_back({text([p](auto v) mutable { p.setMilestone(v); }), kMilestoneLimit});
      f.push_back({text([p](auto v) mutable { p.setGroup(v); }), kMilestoneLimit});
      f.push_back({text([p](auto v) mutable { p.setTo(v); }), kIdLimit});
      f.push_back({text([p](auto v) mutable { p.initClaimIds(1).set(0, v); }), kIdLimit});
      break;
    }
    case Entry::Body::CONTRACT_AGREED: {
      auto c = b.getContractAgreed();
      f.push_back({text([c](auto v) mutable { c.setReference(v); }), kSubjectLimit});
      f.push_back({text([c](auto v) mutable { c.setSubject(v); }), kSubjectLimit});
      break;
    }
    case Entry::Body::CONTRACT_VARIED: {
      auto c = b.getContractVaried();
      f.push_back({text([c](auto v) mutable { c.setReason(v); }), kMemoLimit});
      break;
    }
    case Entry::Body::PARTY_STATUS_CHANGED: {
      auto s = b.getPartyStatusChanged();
      f.push_back({text([s](auto v) mutable { s.setNote(v); }), kMemoLimit});
      break;
    }
    case Entry::Body::REVERSAL: {
      auto r = b.getReversal();
      f.push_back({text([r](auto v) mutable { r.setReason(v); }), kMemoLimit});
      break;
    }
    case Entry::Body::RESPONSIBILITY_ASSIGNED: {
      auto r = b.getResponsibilityAssigned();
      f.push_back({text([r](auto v) mutable { r.setSubject(v); }), kSubjectLimit});
      f.push_back({text([r](auto v) mutable { r.setContractRef(v); }), kSubjectLimit});
      break;
    }
    default: break;
  }
  return f;
}

// Sets one enum field of the body to a value no schema names; false if it has none.
bool break_enum(Entry::Body::Builder b, uint32_t pick) {
  constexpr uint16_t kUnknown = 200;
  switch (b.which()) {
    case Entry::Body::PARTY_REGISTERED:
      if (pick % 2) b.getPartyRegistered().setSector(static_cast<schema::Sector>(kUnknown));
      else b.getPartyRegistered().setKind(static_cast<schema::PartyKind>(kUnknown));
      return true;
    case Entry::Body::PARTY_STATUS_CHANGED:
      b.getPartyStatusChanged().setStatus(static_cast<schema::PartyStatus>(kUnknown));
      return true;
    case Entry::Body::CONTRACT_AGREED:
      if (pick % 2 && b.getContractAgreed().getSchedule().size())
        b.getContractAgreed().getSchedule()[0].setFinancedBy(static_cast<schema::FinancedBy>(kUnknown));
      else b.getContractAgreed().setModel(static_cast<schema::IntegratorModel>(kUnknown));
      return true;
    case Entry::Body::CONTRACT_ENDED:
      b.getContractEnded().setReason(static_cast<schema::EndReason>(kUnknown));
      return true;
    case Entry::Body::KEY_GRANTED: b.getKeyGranted().setRole(static_cast<schema::Role>(kUnknown)); return true;
    case Entry::Body::PAYMENT: b.getPayment().setMechanism(static_cast<schema::Mechanism>(kUnknown)); return true;
    case Entry::Body::RESPONSIBILITY_ASSIGNED:
      b.getResponsibilityAssigned().setKind(static_cast<schema::ResponsibilityKind>(kUnknown));
      return true;
    default: return false;
  }
}

bool break_date(Entry::Body::Builder b, uint32_t pick) {
  static const uint32_t bad[] = {18991231, 30000101, 20250230, 20251301, 20250100};
  uint32_t d = bad[pick % 5];
  switch (b.which()) {
    case Entry::Body::CONTRIBUTION: b.getContribution().setValueDate(pick % 7 == 6 ? 0 : d); return true;
    case Entry::Body::PAYMENT: b.getPayment().setValueDate(pick % 7 == 6 ? 0 : d); return true;
    case Entry::Body::CONTRACT_AGREED: b.getContractAgreed().setEndDate(d); return true;
    case Entry::Body::PARTY_STATUS_CHANGED: b.getPartyStatusChanged().setFrom(d); return true;
    case Entry::Body::RESPONSIBILITY_ASSIGNED: b.getResponsibilityAssigned().setStartDate(d); return true;
    default: return false;
  }
}

bool break_list(Entry::Body::Builder b) {
  switch (b.which()) {
    case Entry::Body::PAYMENT: {
      auto claims = b.getPayment().initClaimIds(kMaxClaimIds + 1);
      for (uint32_t i = 0; i < claims.size(); ++i) claims.set(i, "c" + std::to_string(i));
      b.getPayment().setOutcomeCount(kMaxClaimIds + 1);
      return true;
    }
    case Entry::Body::PARTY_REGISTERED: {
      auto orgs = b.getPartyRegistered().initOrgIds(kMaxOrgIds + 1);
      for (uint32_t i = 0; i < orgs.size(); ++i) orgs.set(i, "GB-TEST-" + std::to_string(i));
      return true;
    }
    case Entry::Body::RESPONSIBILITY_ASSIGNED: {
      auto r = b.getResponsibilityAssigned();
      std::string first = str(r.asReader().getResponsible()[0]);
      auto list = r.initResponsible(kMaxResponsible + 1);
      for (uint32_t i = 0; i < list.size(); ++i) list.set(i, i ? "r" + std::to_string(i) : first);
      return true;
    }
    default: return false;
  }
}

// The unknown-body mutation: the union's discriminant, patched in the canonical
// bytes (no builder can write a tag the schema does not have).
void set_unknown_body_kind(Bytes& entry) {
  auto offset = capnp::Schema::from<Entry::Body>().getProto().getStruct().getDiscriminantOffset();
  size_t at = 8 + 2 * static_cast<size_t>(offset);  // word 0: root pointer; data section follows
  if (at + 2 > entry.size()) return;
  entry[at] = 200;
  entry[at + 1] = 0;
}

void write_bundle(const std::string& path, const std::vector<Bytes>& leaves) {
  std::string out = "fundtrail-bundle/v1\n";
  out += be64(leaves.size());
  for (auto& l : leaves) {
    out += static_cast<char>(l.size() >> 8);
    out += static_cast<char>(l.size() & 0xff);
    out.append(reinterpret_cast<const char*>(l.data()), l.size());
  }
  std::ofstream(path, std::ios::binary) << out;
}

}  // namespace

struct Scenario::Impl {
  std::string dir;
  std::optional<Ledger> ledger;
  KeyPair admin, log;
  std::vector<KeyPair> keys;
  std::vector<PartyModel> parties;
  std::vector<ContractModel> contracts;
  std::vector<uint64_t> money_seqs, assignment_seqs;
  std::vector<std::string> used_keys;
  uint32_t counter = 0;
  Summary summary;

  struct Built {
    SignedRequest request;
    Mutation mutation = Mutation::None;
    std::string note;  // what was generated, for a disagreement's message
  };

  uint32_t new_key(const std::string& name) {
    keys.push_back(make_key(name, static_cast<uint32_t>(keys.size()) + 1));
    return static_cast<uint32_t>(keys.size() - 1);
  }

  const PartyModel* pick_party(Choices& c, bool with_key, bool no_pool) {
    std::vector<const PartyModel*> fit;
    for (auto& p : parties)
      if ((!with_key || !p.keys.empty()) && (!no_pool || p.kind != schema::PartyKind::POOL)) fit.push_back(&p);
    if (fit.empty()) return nullptr;
    return fit[c.below(static_cast<uint32_t>(fit.size()))];
  }

  // Builds the Entry: `fill` sets the body, then the mutation is applied.
  Bytes entry(Choices& c, Mutation& m, const std::string& idem, const std::function<void(Entry::Body::Builder)>& fill) {
    capnp::MallocMessageBuilder message;
    auto e = message.initRoot<Entry>();
    e.setOrigin(m == Mutation::WrongOrigin ? "another.ledger/x" : kOrigin);
    int64_t created = now_ms();
    if (m == Mutation::FutureCreated) created += 3'600'000;
    if (m == Mutation::NegativeCreated) created = -5;
    e.setCreatedAt(created);
    e.setIdempotencyKey(idem);
    fill(e.initBody());
    auto b = e.getBody();
    uint32_t pick = c.below(1000);
    bool applied = true;
    switch (m) {
      case Mutation::EnumOut: applied = break_enum(b, pick); break;
      case Mutation::TextLong:
      case Mutation::TextControl:
      case Mutation::TextBadUtf8:
      case Mutation::TextEmpty: {
        auto fields = text_fields(b);
        if (fields.empty()) { applied = false; break; }
        auto& f = fields[pick % fields.size()];
        std::string v = m == Mutation::TextLong      ? std::string(f.limit + 1, 'a')
                        : m == Mutation::TextControl ? std::string("a") + "\0\x01\n\x7f"[pick % 4] + "b"
                        : m == Mutation::TextBadUtf8 ? std::string("a\xff\xfe")
                                                     : std::string();
        if (m == Mutation::TextControl && v[1] == '\0') v = std::string("a\0b", 3);
        f.set(v);
        break;
      }
      case Mutation::DateBad: applied = break_date(b, pick); break;
      case Mutation::KeyShort:
        if (b.isKeyGranted()) b.getKeyGranted().setPublicKey(capnp::Data::Reader(keys[0].pk.data(), 31));
        else applied = false;
        break;
      case Mutation::ListLong: applied = break_list(b); break;
      case Mutation::UnknownParty:
        if (b.isPayment()) b.getPayment().setTo("nobody-registered");
        else if (b.isContribution()) b.getContribution().setTo("nobody-registered");
        else if (b.isResponsibilityAssigned()) b.getResponsibilityAssigned().setAccountable("nobody-registered");
        else applied = false;
        break;
      default: break;
    }
    if (!applied) m = Mutation::None;
    auto words = capnp::canonicalize(e.asReader());
    auto bytes = words.asBytes();
    Bytes out(bytes.begin(), bytes.end());
    if (m == Mutation::UnknownBody) set_unknown_body_kind(out);
    return out;
  }

  Built build(Choices& c) {
    Built out;
    auto m = static_cast<Mutation>(c.below(3) ? 0 : 1 + c.below(static_cast<uint32_t>(Mutation::Count) - 1));
    auto kind = static_cast<Kind>(c.below(static_cast<uint32_t>(Kind::Count)));
    if (parties.size() < 4) kind = Kind::Register;
    std::string idem = "d-" + std::to_string(++counter);
    if (m == Mutation::ReuseKey && !used_keys.empty()) idem = used_keys[c.below(static_cast<uint32_t>(used_keys.size()))];
    std::vector<const KeyPair*> signers;
    std::function<void(Entry::Body::Builder)> fill;
    uint32_t day = 20250101 + c.below(28);

    switch (kind) {
      case Kind::Register:
      case Kind::Count: {
        static const schema::PartyKind kinds[] = {schema::PartyKind::COMMISSIONER, schema::PartyKind::FUNDER,
                                                  schema::PartyKind::POOL, schema::PartyKind::INTEGRATOR,
                                                  schema::PartyKind::PROVIDER};
        std::string id = "p" + std::to_string(counter);
        auto k = kinds[c.below(5)];
        bool limited = c.below(4) == 0;
        fill = [=](Entry::Body::Builder b) {
          auto p = b.initPartyRegistered();
          p.setId(id);
          p.setName("Party " + id);
          p.setKind(k);
          p.setBudgetLimited(limited);
        };
        signers.push_back(&admin);
        out.note = "register " + id;
        break;
      }
      case Kind::Contribute: {
        auto* from = pick_party(c, true, true);
        auto* to = pick_party(c, false, false);
        if (!from || !to) return build_register_fallback(c);
        int64_t amount = 1 + c.below(5'000'000);
        std::string f = from->id, t = to->id;
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initContribution();
          x.setFrom(f);
          x.setTo(t);
          x.setAmount(amount);
          x.setCurrency("GBP");
          x.setValueDate(day);
          x.setReference("contribution");
        };
        signers.push_back(&keys[from->keys[0]]);
        out.note = "contribute " + f + " -> " + t;
        break;
      }
      case Kind::Pay:
      case Kind::PayUnderContract: {
        const ContractModel* k = nullptr;
        if (kind == Kind::PayUnderContract && !contracts.empty()) k = &contracts[c.below(static_cast<uint32_t>(contracts.size()))];
        auto* from = k ? find(k->payer) : pick_party(c, true, false);
        auto* to = k ? find(k->payee) : pick_party(c, false, true);
        if (!from || !to || from->keys.empty()) return build_register_fallback(c);
        int64_t amount = c.below(8) == 0 ? kThreshold + c.below(1000) : 1 + c.below(200'000);
        if (c.below(10) == 0) amount = -amount;
        bool two = amount >= kThreshold && c.below(3) != 0 && from->keys.size() > 1;
        std::string f = from->id, t = to->id;
        uint64_t contract_seq = k ? k->seq : 0;
        auto mech = static_cast<schema::Mechanism>(c.below(12));  // purchase and refund included
        bool refund = mech == schema::Mechanism::REFUND;
        std::string reference = c.below(3) == 0 ? "INV-" + std::to_string(c.below(1000)) : "";
        bool cosign = refund && c.below(2) == 0;
        uint64_t funded = money_seqs.empty() || c.below(3) ? 0 : money_seqs[c.below(static_cast<uint32_t>(money_seqs.size()))];
        std::string claim = c.below(4) == 0 ? "claim-" + std::to_string(c.below(6)) : "";
        bool eur = c.below(20) == 0;
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initPayment();
          x.setFrom(f);
          x.setTo(t);
          x.setAmount(amount);
          x.setCurrency(eur ? "EUR" : "GBP");
          x.setValueDate(day);
          x.setMechanism(mech);
          x.setContractSeq(contract_seq);
          if (!claim.empty()) {
            x.initClaimIds(1).set(0, claim);
            x.setOutcomeCount(1);
            x.setMilestone("outcome");
          }
          if (funded) x.getFundedBy().setEntry(funded);
          x.setMemo("generated payment");
          if (!reference.empty()) x.setReference(reference);
        };
        // A refund is signed by its payee (rule 1), two of its keys at the
        // threshold (rule 5), and sometimes co-signed by its payer (rule 12).
        const PartyModel* actor = refund && !to->keys.empty() ? to : from;
        signers.push_back(&keys[actor->keys[0]]);
        if (two && actor->keys.size() > 1) signers.push_back(&keys[actor->keys[1]]);
        if (cosign && actor != from) signers.push_back(&keys[from->keys[0]]);
        out.note = "pay " + f + " -> " + t;
        break;
      }
      case Kind::Contract: {
        auto* payer = pick_party(c, true, false);
        auto* payee = pick_party(c, false, true);
        if (!payer || !payee) return build_register_fallback(c);
        std::string parent;
        for (auto& k : contracts)
          if (k.payee == payer->id && c.below(2)) parent = k.ref;
        std::string ref = "C-" + std::to_string(counter), pr = payer->id, pe = payee->id;
        bool schedule = c.below(2);
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initContractAgreed();
          x.setReference(ref);
          x.setPayer(pr);
          x.setPayee(pe);
          x.setSubject("generated service");
          x.setStartDate(20250101);
          x.setEndDate(20261231);
          x.setParent(parent);
          if (schedule) {
            auto rows = x.initSchedule(1);
            rows[0].setMilestone("outcome");
            rows[0].setUnitPrice(1000);
            rows[0].setFinancedBy(parent.empty() ? schema::FinancedBy::PAYER : schema::FinancedBy::PARENT);
          }
        };
        signers.push_back(&keys[payer->keys[0]]);
        out.note = "contract " + ref;
        break;
      }
      case Kind::Vary:
      case Kind::End: {
        if (contracts.empty()) return build_register_fallback(c);
        auto& k = contracts[c.below(static_cast<uint32_t>(contracts.size()))];
        auto* payer = find(k.payer);
        if (!payer || payer->keys.empty()) return build_register_fallback(c);
        std::string ref = k.ref;
        if (kind == Kind::Vary)
          fill = [=](Entry::Body::Builder b) {
            auto x = b.initContractVaried();
            x.setReference(ref);
            x.setNewEndDate(20271231);
            x.setReason("extended");
          };
        else
          fill = [=](Entry::Body::Builder b) {
            auto x = b.initContractEnded();
            x.setReference(ref);
            x.setReason(schema::EndReason::COMPLETED);
            x.setDate(20260101);
          };
        signers.push_back(&keys[payer->keys[0]]);
        out.note = "vary/end " + ref;
        break;
      }
      case Kind::Reverse: {
        if (money_seqs.empty()) return build_register_fallback(c);
        uint64_t target = c.below(8) == 0 ? c.below(static_cast<uint32_t>(size())) : money_seqs[c.below(static_cast<uint32_t>(money_seqs.size()))];
        auto* actor = pick_party(c, true, false);
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initReversal();
          x.setTargetSeq(target);
          x.setReason("generated reversal");
        };
        signers.push_back(&keys[actor ? actor->keys[0] : 0]);
        if (auto* a = actor_of(target)) signers.back() = &keys[a->keys[0]];
        out.note = "reverse " + std::to_string(target);
        break;
      }
      case Kind::Assign: {
        auto* acc = pick_party(c, true, false);
        auto* resp = pick_party(c, false, false);
        if (!acc || !resp) return build_register_fallback(c);
        std::string a = acc->id, r = resp->id;
        auto rk = static_cast<schema::ResponsibilityKind>(c.below(6));
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initResponsibilityAssigned();
          x.setAccountable(a);
          x.initResponsible(1).set(0, r);
          x.setSubject("generated subject");
          x.setKind(rk);
          x.setStartDate(20250101);
        };
        signers.push_back(&keys[acc->keys[0]]);
        out.note = "assign " + a + " -> " + r;
        break;
      }
      case Kind::EndAssign: {
        if (assignment_seqs.empty()) return build_register_fallback(c);
        uint64_t target = assignment_seqs[c.below(static_cast<uint32_t>(assignment_seqs.size()))];
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initResponsibilityEnded();
          x.setAssignmentSeq(target);
          x.setReason("generated end");
        };
        signers.push_back(&admin);
        out.note = "end assignment " + std::to_string(target);
        break;
      }
      case Kind::Status: {
        auto* p = pick_party(c, false, false);
        if (!p) return build_register_fallback(c);
        std::string id = p->id;
        auto st = static_cast<schema::PartyStatus>(c.below(4));
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initPartyStatusChanged();
          x.setParty(id);
          x.setStatus(st);
          x.setFrom(day);
          x.setNote("generated status");
        };
        signers.push_back(&admin);
        out.note = "status " + id;
        break;
      }
      case Kind::Revoke: {
        auto* p = pick_party(c, true, false);
        if (!p || p->keys.size() < 2) return build_register_fallback(c);
        std::string id = p->id;
        PublicKey pk = keys[p->keys.back()].pk;
        fill = [=](Entry::Body::Builder b) {
          auto x = b.initKeyRevoked();
          x.setParty(id);
          x.setPublicKey(capnp::Data::Reader(pk.data(), pk.size()));
        };
        signers.push_back(&admin);
        out.note = "revoke a key of " + id;
        break;
      }
    }
    out.mutation = m;
    out.request.entry = entry(c, out.mutation, idem, fill);
    sign(out, c, signers);
    return out;
  }

  Built build_register_fallback(Choices& c) {
    // Too few parties or contracts for the chosen kind: register one instead.
    Built b;
    std::string id = "p" + std::to_string(++counter);
    Mutation m = Mutation::None;
    b.request.entry = entry(c, m, "d-" + std::to_string(counter), [&](Entry::Body::Builder body) {
      auto p = body.initPartyRegistered();
      p.setId(id);
      p.setName("Party " + id);
      p.setKind(schema::PartyKind::PROVIDER);
    });
    b.request.signatures.push_back(sign_entry(b.request.entry, admin));
    b.note = "register " + id;
    return b;
  }

  void sign(Built& out, Choices& c, std::vector<const KeyPair*> signers) {
    auto& m = out.mutation;
    if (m == Mutation::WrongKey) signers = {&keys[new_key("stranger")]};
    if (m == Mutation::NoSignature) signers.clear();
    for (auto* k : signers) out.request.signatures.push_back(sign_entry(out.request.entry, *k));
    if (m == Mutation::BadSignature && !out.request.signatures.empty()) out.request.signatures[0].sig[c.below(64)] ^= 1;
    if (m == Mutation::TooManySignatures)
      for (size_t i = out.request.signatures.size(); i <= kMaxSignatures; ++i)
        out.request.signatures.push_back(sign_entry(out.request.entry, keys[new_key("extra")]));
  }

  PartyModel* find(const std::string& id) {
    for (auto& p : parties)
      if (p.id == id) return &p;
    return nullptr;
  }

  const PartyModel* actor_of(uint64_t seq) {
    Record r(ledger->leaf(seq));
    auto b = r.entry().getBody();
    if (b.isPayment() && b.getPayment().getMechanism() == schema::Mechanism::REFUND) return find(str(b.getPayment().getTo()));
    if (b.isPayment()) return find(str(b.getPayment().getFrom()));
    if (b.isContribution()) return find(str(b.getContribution().getFrom()));
    return nullptr;
  }

  uint64_t size() const { return ledger->size(); }

  // After an append: what the generator needs to know of the new record.
  void learn(uint64_t seq) {
    Record r(ledger->leaf(seq));
    auto e = r.entry();
    used_keys.push_back(str(e.getIdempotencyKey()));
    auto b = e.getBody();
    switch (b.which()) {
      case Entry::Body::PARTY_REGISTERED: {
        auto p = b.getPartyRegistered();
        parties.push_back({str(p.getId()), p.getKind(), p.getBudgetLimited(), {}});
        for (int i = 0; i < 2; ++i) grant(parties.back());
        break;
      }
      case Entry::Body::CONTRIBUTION:
      case Entry::Body::PAYMENT: money_seqs.push_back(seq); break;
      case Entry::Body::RESPONSIBILITY_ASSIGNED: assignment_seqs.push_back(seq); break;
      case Entry::Body::CONTRACT_AGREED: {
        auto k = b.getContractAgreed();
        size_t depth = 1;
        for (auto& other : contracts)
          if (other.ref == str(k.getParent())) depth = other.depth + 1;
        contracts.push_back({str(k.getReference()), str(k.getPayer()), str(k.getPayee()), seq, depth});
        break;
      }
      case Entry::Body::KEY_REVOKED: {
        PublicKey pk;
        std::memcpy(pk.data(), b.getKeyRevoked().getPublicKey().begin(), 32);
        if (auto* p = find(str(b.getKeyRevoked().getParty())))
          p->keys.erase(std::remove_if(p->keys.begin(), p->keys.end(), [&](uint32_t k) { return keys[k].pk == pk; }),
                        p->keys.end());
        break;
      }
      default: break;
    }
  }

  // Grants a fresh officer key; a valid request the writer must accept.
  void grant(PartyModel& p) {
    uint32_t k = new_key(p.id);
    std::string id = p.id;
    PublicKey pk = keys[k].pk;
    SignedRequest req;
    req.entry = build_entry(kOrigin, now_ms(), "grant-" + std::to_string(++counter), [&](Entry::Body::Builder b) {
      auto g = b.initKeyGranted();
      g.setParty(id);
      g.setPublicKey(capnp::Data::Reader(pk.data(), pk.size()));
      g.setRole(schema::Role::OFFICER);
    });
    req.signatures.push_back(sign_entry(req.entry, admin));
    try {
      Appended a = ledger->append(req);
      summary.accepted++;
      used_keys.push_back("grant-" + std::to_string(counter));
      (void)a;
      p.keys.push_back(k);
    } catch (const Error& e) {
      summary.disagreements.push_back(std::string("a valid key grant was refused: ") + e.what());
    }
  }

  fv::Report verify_leaves(const std::vector<Bytes>& leaves) {
    std::string path = dir + "/check.bundle";
    write_bundle(path, leaves);
    fv::Options o;
    o.input = path;
    o.maxFailures = 1000;
    return fv::verify(o);
  }

  std::vector<Bytes> leaves() const {
    std::vector<Bytes> out;
    ledger->for_each(0, UINT64_MAX, [&](uint64_t, std::span<const uint8_t> b) {
      out.emplace_back(b.begin(), b.end());
      return true;
    });
    return out;
  }

  // The refused request forced in as the next record: the verifier must fail
  // it with the writer's check (or call an unknown kind or enum newer).
  void cross_check(const Built& b, const Error& refusal) {
    std::string check = refusal.check;
    summary.refused++;
    if (check.empty() || check == "index" || check == "checkpoint") {
      summary.disagreements.push_back(b.note + ": the writer refused a request without a request check: " + refusal.what());
      return;
    }
    auto all = leaves();
    Record last(all.back(), false);
    uint64_t seq = all.size();
    int64_t recorded_at = std::max(now_ms(), last.leaf().getRecordedAt());
    Bytes forced = build_leaf(seq, leaf_hash(all.back()), recorded_at, b.request);
    if (forced.size() > kMaxLeafBytes) {  // cannot be stored anywhere: not a record the verifier could read
      summary.refused_by_check[check]++;
      return;
    }
    all.push_back(forced);
    fv::Report r = verify_leaves(all);
    bool newer = b.mutation == Mutation::EnumOut || b.mutation == Mutation::UnknownBody;
    std::string seen;
    bool match = false;
    for (auto& f : r.failures) {
      if (!f.seq || *f.seq != seq) {
        summary.disagreements.push_back(b.note + ": the verifier failed a record the writer had accepted: " + f.text());
        continue;
      }
      seen += std::string(seen.empty() ? "" : ", ") + fv::checkName(f.check);
      match = match || check == fv::checkName(f.check);
    }
    if (newer && check == "format") {
      if (r.exitCode() == 2 && r.failureCount == 0) {
        summary.newer_format++;
        summary.refused_by_check[check]++;
        return;
      }
      summary.disagreements.push_back(b.note + " (unknown kind or enum): the writer refused '" + refusal.what() +
                                      "', the verifier did not answer 'newer format' alone (exit " +
                                      std::to_string(r.exitCode()) + ", failures: " + seen + ")" +
                                      (r.unusable ? " unusable: " + *r.unusable : ""));
      return;
    }
    if (!match) {
      summary.disagreements.push_back(b.note + ": the writer refused with '" + refusal.what() +
                                      "', the verifier reported [" + seen + "] at seq " + std::to_string(seq) +
                                      (r.unusable ? " and stopped: " + *r.unusable : ""));
      return;
    }
    summary.refused_by_check[check]++;
  }

  // The refused run forced in whole after the ledger's records: the verifier
  // must fail it with the writer's check, at the batch record or one of its
  // records (the writer names the record, the verifier may name the batch).
  void cross_check_run(const BatchRequest& run, const std::string& note, const Error& refusal) {
    summary.runs_refused++;
    std::string check = refusal.check;
    if (check.empty() || check == "index" || check == "checkpoint") {
      summary.disagreements.push_back(note + ": the writer refused a run without a request check: " + refusal.what());
      return;
    }
    auto all = leaves();
    Record last(all.back(), false);
    uint64_t batch_seq = all.size();
    int64_t recorded_at = std::max(now_ms(), last.leaf().getRecordedAt());
    std::vector<Bytes> forced{build_leaf(batch_seq, leaf_hash(all.back()), recorded_at, run.batch)};
    for (const Bytes& e : run.entries)
      forced.push_back(build_leaf(batch_seq + forced.size(), leaf_hash(forced.back()), recorded_at, SignedRequest{e, {}}, batch_seq));
    for (const Bytes& l : forced)
      if (l.size() > kMaxLeafBytes) return;  // cannot be stored anywhere
    all.insert(all.end(), forced.begin(), forced.end());
    fv::Report r = verify_leaves(all);
    std::string seen;
    bool match = false;
    for (auto& f : r.failures) {
      if (!f.seq || *f.seq < batch_seq) {
        summary.disagreements.push_back(note + ": the verifier failed a record the writer had accepted: " + f.text());
        continue;
      }
      seen += std::string(seen.empty() ? "" : ", ") + fv::checkName(f.check) + " at " + std::to_string(*f.seq);
      match = match || check == fv::checkName(f.check);
    }
    if (!match)
      summary.disagreements.push_back(note + ": the writer refused the run with '" + refusal.what() + "', the verifier reported [" +
                                      seen + "] from seq " + std::to_string(batch_seq) +
                                      (r.unusable ? " and stopped: " + *r.unusable : ""));
    else
      summary.refused_by_check[check]++;
  }

  // A payment run of one to six generated requests of the kinds a run holds
  // (perhaps broken, as step's are), signed by the union of their signers;
  // sometimes broken as a whole (records swapped after signing, a stranger
  // among the signers). Accepted, its records join the models; refused, it
  // is cross-checked whole.
  void step_run(Choices& c) {
    std::vector<Built> items;
    std::vector<PublicKey> signer_keys;  // resolved to KeyPairs once every item is built: build() may grow `keys`
    uint32_t want = 1 + c.below(6);
    for (int tries = 0; items.size() < want && tries < 40; ++tries) {
      Built b = build(c);
      // Unknown kinds are the single-record test's; signature mutations mean nothing inside a run.
      if (b.mutation == Mutation::EnumOut || b.mutation == Mutation::UnknownBody || b.mutation == Mutation::BadSignature ||
          b.mutation == Mutation::NoSignature || b.mutation == Mutation::TooManySignatures)
        continue;
      try {
        EntryView v(b.request.entry, false);
        if (!batchable(v.entry().getBody().which())) continue;
      } catch (const Error&) {
        continue;
      }
      for (auto& s : b.request.signatures)
        if (std::find(signer_keys.begin(), signer_keys.end(), s.pk) == signer_keys.end()) signer_keys.push_back(s.pk);
      items.push_back(std::move(b));
    }
    std::vector<const KeyPair*> signers;
    for (const PublicKey& pk : signer_keys) {
      const KeyPair* k = pk == admin.pk ? &admin : nullptr;
      for (auto& key : keys)
        if (key.pk == pk) k = &key;
      if (k) signers.push_back(k);
    }
    if (items.empty() || signers.empty()) return;
    std::vector<Bytes> entries;
    std::string note = "run of";
    for (auto& b : items) {
      entries.push_back(b.request.entry);
      note += " [" + b.note + "]";
    }
    BatchRequest run = run_request(kOrigin, now_ms(), entries, signers);
    uint32_t whole = c.below(10);
    if (whole == 0 && run.entries.size() > 1 && run.entries[0] != run.entries[1]) {
      std::swap(run.entries[0], run.entries[1]);
      note += " with two records swapped after signing";
    } else if (whole == 1) {
      run.batch.signatures.push_back(sign_entry(run.batch.entry, keys[new_key("stranger")]));
      note += " also signed by a stranger";
    }
    try {
      RunAppended a = ledger->append_run(run);
      if (a.retried) {
        summary.retried++;
        return;
      }
      summary.runs_accepted++;
      summary.accepted += a.last - a.seq;
      for (uint64_t seq = a.first; seq <= a.last; ++seq) learn(seq);
    } catch (const Error& e) {
      cross_check_run(run, note, e);
    }
  }

  void step(Choices& c) {
    if (c.below(6) == 0) return step_run(c);
    Built b = build(c);
    try {
      Appended a = ledger->append(b.request);
      if (a.retried) {
        summary.retried++;
        return;
      }
      summary.accepted++;
      learn(a.seq);
    } catch (const Error& e) {
      cross_check(b, e);
    }
  }

  bool deepen() {
    // The deepest contract; its payee agrees a subcontract with a new provider.
    const ContractModel* deepest = nullptr;
    for (auto& k : contracts)
      if (!deepest || k.depth > deepest->depth) deepest = &k;
    SeededChoices c(counter);
    if (!deepest) {
      // A head contract between two new parties.
      step_register(schema::PartyKind::COMMISSIONER);
      step_register(schema::PartyKind::INTEGRATOR);
    } else {
      step_register(schema::PartyKind::PROVIDER);
    }
    auto& payee = parties.back();
    std::string payer = deepest ? deepest->payee : parties[parties.size() - 2].id;
    std::string parent = deepest ? deepest->ref : "", ref = "CHAIN-" + std::to_string(++counter), pe = payee.id;
    Built b;
    Mutation m = Mutation::None;
    b.request.entry = entry(c, m, "d-" + std::to_string(counter), [&](Entry::Body::Builder body) {
      auto x = body.initContractAgreed();
      x.setReference(ref);
      x.setPayer(payer);
      x.setPayee(pe);
      x.setSubject("chained service");
      x.setStartDate(20250101);
      x.setParent(parent);
    });
    b.request.signatures.push_back(sign_entry(b.request.entry, keys[find(payer)->keys[0]]));
    b.note = "contract " + ref + " under " + (parent.empty() ? "nothing" : parent);
    try {
      Appended a = ledger->append(b.request);
      summary.accepted++;
      learn(a.seq);
      return true;
    } catch (const Error& e) {
      cross_check(b, e);
      return false;
    }
  }

  void step_register(schema::PartyKind kind) {
    std::string id = "p" + std::to_string(++counter);
    SignedRequest req;
    req.entry = build_entry(kOrigin, now_ms(), "d-" + std::to_string(counter), [&](Entry::Body::Builder b) {
      auto p = b.initPartyRegistered();
      p.setId(id);
      p.setName("Party " + id);
      p.setKind(kind);
    });
    req.signatures.push_back(sign_entry(req.entry, admin));
    Appended a = ledger->append(req);
    summary.accepted++;
    learn(a.seq);
  }
};

Scenario::Scenario(const std::string& dir) : impl_(std::make_unique<Impl>()) {
  impl_->dir = dir;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  impl_->admin = make_key("admin", 0xadadad);
  impl_->log = make_key(kOrigin, 0x10910);
  spec::Genesis g{kOrigin, impl_->log.pk, {}, "GBP", kThreshold};
  impl_->ledger.emplace(Ledger::create(dir + "/ledger", genesis_request(g, {&impl_->admin}, now_ms())));
}

Scenario::~Scenario() {
  impl_->ledger.reset();
  std::error_code ec;
  std::filesystem::remove_all(impl_->dir, ec);
}

void Scenario::step(Choices& choices) { impl_->step(choices); }
bool Scenario::deepen_contract_chain() { return impl_->deepen(); }
uint64_t Scenario::size() const { return impl_->size(); }
const Summary& Scenario::summary() const { return impl_->summary; }

void Scenario::verify_whole_ledger() {
  fv::Report r = impl_->verify_leaves(impl_->leaves());
  if (r.exitCode() != 0) {
    std::string why = r.unusable ? *r.unusable : "";
    for (auto& f : r.failures) why += (why.empty() ? "" : "; ") + f.text();
    impl_->summary.disagreements.push_back("the writer's ledger of " + std::to_string(size()) +
                                           " records fails the verifier (exit " + std::to_string(r.exitCode()) +
                                           "): " + why);
  }
}

}  // namespace fundtrail::differential
