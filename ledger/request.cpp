#include "ledger/request.h"

#include <charconv>

#include "ledger/batch.h"
#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/list_size.h"

namespace fundtrail {
namespace {

capnp::Text::Reader text(const std::string& s) { return capnp::Text::Reader(s.data(), s.size()); }
capnp::Data::Reader data(const PublicKey& k) { return capnp::Data::Reader(k.data(), k.size()); }

template <typename List>
void set_texts(List list, const std::vector<std::string>& v) {
  FT_REQUIRE(list.size() == v.size(), "the list was initialised with v.size() elements");
  for (capnp::uint i = 0; i < list.size(); ++i) list.set(i, text(v[i]));
}

void set_rows(capnp::List<schema::ScheduleRow>::Builder list, const std::vector<spec::ScheduleRow>& rows) {
  FT_REQUIRE(list.size() == rows.size(), "the list was initialised with rows.size() elements");
  for (capnp::uint i = 0; i < list.size(); ++i) {
    list[i].setMilestone(text(rows[i].milestone));
    list[i].setGroup(text(rows[i].group));
    list[i].setUnitPrice(rows[i].unit_price);
    list[i].setFinancedBy(rows[i].financed_by);
  }
}

// One overload per body kind; each writes every field of its struct.
struct Fill {
  mutable schema::Entry::Body::Builder b;

  void operator()(const spec::Genesis& s) const {
    auto g = b.initGenesis();
    g.setFormatVersion(kFormatVersion);
    g.setOrigin(text(s.origin));
    g.setLogPublicKey(data(s.log_public_key));
    auto keys = g.initAdminKeys(list_size(s.admin_keys.size()));
    for (capnp::uint i = 0; i < keys.size(); ++i) keys.set(i, data(s.admin_keys[i]));
    g.setCurrency(text(s.currency));
    g.setDualControlThreshold(s.dual_control_threshold);
  }
  void operator()(const spec::PartyRegistered& s) const {
    auto p = b.initPartyRegistered();
    p.setId(text(s.id));
    p.setName(text(s.name));
    p.setKind(s.kind);
    p.setSector(s.sector);
    set_texts(p.initOrgIds(list_size(s.org_ids.size())), s.org_ids);
    p.setControlledBy(text(s.controlled_by));
    p.setParent(text(s.parent));
    set_texts(p.initMembers(list_size(s.members.size())), s.members);
    p.setBudgetLimited(s.budget_limited);
    if (s.pool_terms) {
      auto t = p.initPoolTerms();
      t.setLegalBasis(text(s.pool_terms->legal_basis));
      t.setHost(text(s.pool_terms->host));
      auto shares = t.initShares(list_size(s.pool_terms->shares.size()));
      for (capnp::uint i = 0; i < shares.size(); ++i) {
        shares[i].setParty(text(s.pool_terms->shares[i].party));
        shares[i].setBasisPoints(s.pool_terms->shares[i].basis_points);
      }
      t.setPlaceCode(text(s.pool_terms->place_code));
    }
  }
  void operator()(const spec::PartyStatusChanged& s) const {
    auto p = b.initPartyStatusChanged();
    p.setParty(text(s.party));
    p.setStatus(s.status);
    p.setFrom(s.from);
    p.setNote(text(s.note));
  }
  void operator()(const spec::ContractAgreed& s) const {
    auto c = b.initContractAgreed();
    c.setReference(text(s.reference));
    c.setPayer(text(s.payer));
    c.setPayee(text(s.payee));
    c.setSubject(text(s.subject));
    c.setStartDate(s.start_date);
    c.setEndDate(s.end_date);
    c.setCap(s.cap);
    c.setParent(text(s.parent));
    c.setModel(s.model);
    c.setHasFeeCap(s.has_fee_cap);
    c.setFeeCapBasisPoints(s.fee_cap_basis_points);
    set_rows(c.initSchedule(list_size(s.schedule.size())), s.schedule);
  }
  void operator()(const spec::ContractVaried& s) const {
    auto c = b.initContractVaried();
    c.setReference(text(s.reference));
    c.setNewCap(s.new_cap);
    c.setNewEndDate(s.new_end_date);
    c.setReplaceSchedule(s.replace_schedule);
    set_rows(c.initSchedule(list_size(s.schedule.size())), s.schedule);
    c.setReason(text(s.reason));
  }
  void operator()(const spec::ContractEnded& s) const {
    auto c = b.initContractEnded();
    c.setReference(text(s.reference));
    c.setReason(s.reason);
    c.setSuccessor(text(s.successor));
    c.setDate(s.date);
  }
  void operator()(const spec::KeyGranted& s) const {
    auto k = b.initKeyGranted();
    k.setParty(text(s.party));
    k.setPublicKey(data(s.public_key));
    k.setRole(s.role);
  }
  void operator()(const spec::KeyRevoked& s) const {
    auto k = b.initKeyRevoked();
    k.setParty(text(s.party));
    k.setPublicKey(data(s.public_key));
  }
  void operator()(const spec::Contribution& s) const {
    auto c = b.initContribution();
    c.setFrom(text(s.from));
    c.setTo(text(s.to));
    c.setAmount(s.amount);
    c.setCurrency(text(s.currency));
    c.setValueDate(s.value_date);
    c.setReference(text(s.reference));
  }
  void operator()(const spec::Payment& s) const {
    auto p = b.initPayment();
    p.setFrom(text(s.from));
    p.setTo(text(s.to));
    p.setAmount(s.amount);
    p.setCurrency(text(s.currency));
    p.setValueDate(s.value_date);
    p.setMechanism(s.mechanism);
    p.setMilestone(text(s.milestone));
    p.setContractSeq(s.contract_seq);
    p.setOutcomeCount(s.outcome_count);
    p.setGroup(text(s.group));
    set_texts(p.initClaimIds(list_size(s.claim_ids.size())), s.claim_ids);
    switch (s.funded_by.kind) {
      case spec::FundedBy::Kind::unspecified: break;  // the union's default
      case spec::FundedBy::Kind::entry: p.getFundedBy().setEntry(s.funded_by.seq); break;
      case spec::FundedBy::Kind::own: p.getFundedBy().setOwn(); break;
      case spec::FundedBy::Kind::loan: p.getFundedBy().setLoan(); break;
    }
    p.setMemo(text(s.memo));
    // Absent rather than empty when there is none: a payment without one keeps
    // the canonical bytes (and derived idempotency keys) it had before the field.
    if (!s.reference.empty()) p.setReference(text(s.reference));
  }
  void operator()(const spec::ResponsibilityAssigned& s) const {
    auto r = b.initResponsibilityAssigned();
    r.setAccountable(text(s.accountable));
    set_texts(r.initResponsible(list_size(s.responsible.size())), s.responsible);
    r.setSubject(text(s.subject));
    r.setKind(s.kind);
    r.setStartDate(s.start_date);
    r.setEndDate(s.end_date);
    r.setContractRef(text(s.contract_ref));
  }
  void operator()(const spec::ResponsibilityEnded& s) const {
    auto r = b.initResponsibilityEnded();
    r.setAssignmentSeq(s.assignment_seq);
    r.setReason(text(s.reason));
  }
  void operator()(const spec::Reversal& s) const {
    auto r = b.initReversal();
    r.setTargetSeq(s.target_seq);
    r.setReason(text(s.reason));
  }
};

}  // namespace

Bytes encode_entry(std::string_view origin, int64_t created_at_ms, std::string_view idempotency_key,
                   const spec::Body& body) {
  return build_entry(origin, created_at_ms, idempotency_key,
                     [&](schema::Entry::Body::Builder b) { std::visit(Fill{b}, body); });
}

std::string derived_idempotency_key(std::string_view origin, const spec::Body& body) {
  Hash h = sha256(encode_entry(origin, 0, "", body));
  return "auto-" + hex(std::span<const uint8_t>(h.data(), 16));
}

SignedRequest sign_request(Bytes entry, const std::vector<const KeyPair*>& keys) {
  SignedRequest r;
  r.entry = std::move(entry);
  for (const KeyPair* k : keys) r.signatures.push_back(sign_entry(r.entry, *k));
  return r;
}

BatchRequest run_request(std::string_view origin, int64_t created_at_ms, std::vector<Bytes> entries,
                         const std::vector<const KeyPair*>& keys) {
  FT_REQUIRE(!entries.empty() && entries.size() <= kMaxBatchRecords, "a payment run holds 1 to 10,000 entries");
  std::vector<Hash> leaves;
  leaves.reserve(entries.size());
  BatchKey key;
  for (const Bytes& e : entries) {
    leaves.push_back(batch_leaf_hash(e));
    EntryView view(e, false);  // the caller's own encode_entry output
    auto k = view.entry().getIdempotencyKey();
    key.add(std::string_view(k.cStr(), k.size()));
  }
  Hash root = batch_root(leaves);
  auto count = static_cast<uint32_t>(entries.size());
  Bytes batch = build_entry(origin, created_at_ms, key.finish(), [&](schema::Entry::Body::Builder b) {
    auto r = b.initBatch();
    r.setCount(count);
    r.setRoot(capnp::Data::Reader(root.data(), root.size()));
  });
  return {sign_request(std::move(batch), keys), std::move(entries)};
}

SignedRequest genesis_request(spec::Genesis g, const std::vector<const KeyPair*>& admins, int64_t created_at_ms) {
  g.admin_keys.clear();
  for (const KeyPair* k : admins) g.admin_keys.push_back(k->pk);
  std::string origin = g.origin;
  return sign_request(encode_entry(origin, created_at_ms, "genesis", g), admins);
}

uint64_t contract_seq_for(const Ledger& ledger, const std::string& reference) {
  auto c = ledger.contract(reference);
  if (!c)
    refuse("rule 9", "contract", std::nullopt,
           "no contract with reference '" + reference + "' (see 'fundtrail contract list')");
  return c->seq;
}

spec::FundedBy parse_funded_by(std::string_view text, std::string_view option) {
  if (text == "own") return spec::FundedBy::own();
  if (text == "loan") return spec::FundedBy::loan();
  std::string said = std::string(option) + " '" + std::string(text) + "'";
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)
    throw Error(ErrorKind::unusable, said + " must be a seq number, 'own' or 'loan'");
  uint64_t seq = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  if (ec != std::errc() || end != text.data() + text.size())
    throw Error(ErrorKind::unusable, said + ": a seq number is at most 18446744073709551615");
  return spec::FundedBy::entry(seq);
}

}  // namespace fundtrail
