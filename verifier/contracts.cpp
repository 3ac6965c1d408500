// Contracts, party statuses and claims: rule 2's checks of partyStatusChanged,
// contractAgreed, contractVaried and contractEnded, and rules 9, 10 and 11 of
// docs/rules.md, re-derived from the records without the writer's code.
#include "contracts.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "money.h"
#include "rules.h"
#include "validate.h"

namespace fv {

using schema::PartyKind;

namespace {

std::string dateText(uint32_t d) {  // 20250401 -> 2025-04-01
  char buf[16];
  snprintf(buf, sizeof buf, "%04u-%02u-%02u", d / 10000, d / 100 % 100, d % 100);
  return buf;
}

const char* statusName(schema::PartyStatus s) {
  static const char* names[] = {"active", "service failure", "financial failure", "exited"};
  return uint16_t(s) <= 3 ? names[uint16_t(s)] : "unknown";
}

const char* mechanismName(schema::Mechanism m) {  // spelled as the command shapes spell it
  static const char* names[] = {"block", "grant",   "fee",     "upfront",  "milestone",
                                "management-fee", "loan", "support", "clawback", "other", "purchase", "refund"};
  return uint16_t(m) <= 11 ? names[uint16_t(m)] : "unknown";
}

const char* endReasonName(schema::EndReason r) {
  static const char* names[] = {"completed", "terminated", "transferred"};
  return uint16_t(r) <= 2 ? names[uint16_t(r)] : "unknown";
}

std::string groupText(std::string_view group) {
  return group.empty() ? " without a group" : " and group '" + std::string(group) + "'";
}

}  // namespace

// ---- the state ----------------------------------------------------------------

const ScheduleRow* Contract::row(std::string_view milestone, std::string_view group) const {
  for (const ScheduleRow& r : schedule)
    if (r.milestone == milestone && r.group == group) return &r;
  return nullptr;
}

void StatusBook::add(uint32_t party, uint32_t from, schema::PartyStatus status) {
  auto& v = byParty_[party];
  // After every change with the same date: records come in seq order, so a tie goes to the later one.
  auto at = std::upper_bound(v.begin(), v.end(), from, [](uint32_t d, const Change& c) { return d < c.from; });
  v.insert(at, Change{from, status});
}

schema::PartyStatus StatusBook::at(uint32_t party, uint32_t date) const {
  auto it = byParty_.find(party);
  if (it == byParty_.end()) return schema::PartyStatus::ACTIVE;
  const auto& v = it->second;
  auto after = std::upper_bound(v.begin(), v.end(), date, [](uint32_t d, const Change& c) { return d < c.from; });
  return after == v.begin() ? schema::PartyStatus::ACTIVE : std::prev(after)->status;
}

ClaimIndex::ClaimIndex() : slots_(1 << 10) {
  static_assert(sizeof key_ == crypto_shorthash_KEYBYTES);
  randombytes_buf(key_, sizeof key_);
}

uint64_t ClaimIndex::hash(std::string_view claim, std::string_view milestone) const {
  // The claim's length first, so ("ab", "c") and ("a", "bc") are different inputs.
  std::string in(8, '\0');
  for (int i = 0; i < 8; ++i) in[size_t(i)] = char(uint64_t(claim.size()) >> (8 * i));
  in.append(claim);
  in.append(milestone);
  uint64_t h;
  crypto_shorthash(reinterpret_cast<uint8_t*>(&h), reinterpret_cast<const uint8_t*>(in.data()), in.size(), key_);
  return h ? h : 1;  // 0 marks a slot never used
}

std::vector<ClaimIndex::Paid> ClaimIndex::find(uint64_t h) const {
  std::vector<Paid> out;
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].hash != 0; i = (i + 1) & mask)
    if (slots_[i].hash == h && !slots_[i].dead) out.push_back({slots_[i].contract, slots_[i].payment});
  return out;
}

void ClaimIndex::insert(uint64_t h, uint32_t contract, uint64_t payment) {
  if ((used_ + 1) * 4 > slots_.size() * 3) grow();
  size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i].hash != 0) i = (i + 1) & mask;
  slots_[i] = Slot{h, payment, contract, false};
  ++used_, ++live_;
}

void ClaimIndex::erase(uint64_t h, uint64_t payment) {
  size_t mask = slots_.size() - 1;
  for (size_t i = h & mask; slots_[i].hash != 0; i = (i + 1) & mask)
    if (slots_[i].hash == h && slots_[i].payment == payment && !slots_[i].dead) slots_[i].dead = true, --live_;
}

void ClaimIndex::grow() {
  std::vector<Slot> old(live_ * 2 >= used_ ? slots_.size() * 2 : slots_.size());  // mostly erased: same size
  old.swap(slots_);
  used_ = live_ = 0;
  for (const Slot& s : old)
    if (s.hash != 0 && !s.dead) insert(s.hash, s.contract, s.payment);
}

bool Contracts::onOneChain(uint32_t a, uint32_t b) const {
  if (all[a].depth > all[b].depth) std::swap(a, b);  // now b is as deep as a or deeper
  while (all[b].depth > all[a].depth) b = *all[b].parent;
  return a == b;
}

// ---- rule 2: the records themselves ----------------------------------------------

uint64_t Ledger::contractCount() const { return contracts_->all.size(); }

std::string Ledger::money128(__int128 v) const {
  if (v >= INT64_MIN && v <= INT64_MAX) return money(int64_t(v));
  return v > 0 ? "more than " + money(INT64_MAX) : "less than " + money(INT64_MIN);
}

// Rows each with a non-empty milestone, a unit price > 0, no (milestone, group)
// twice, and financedBy parent only when the contract has a parent.
std::vector<ScheduleRow> Ledger::scheduleRows(capnp::List<schema::ScheduleRow>::Reader rows, bool hasParent) {
  std::vector<ScheduleRow> out;
  std::set<std::pair<std::string, std::string>> seen;
  for (unsigned i = 0; i < rows.size(); ++i) {
    auto r = rows[i];
    std::string m(view(r.getMilestone())), g(view(r.getGroup()));  // an empty milestone: format (validate.cpp)
    std::string which = "schedule row " + std::to_string(i + 1) + " ('" + m + "'" + (g.empty() ? "" : ", group '" + g + "'") + ")";
    if (r.getUnitPrice() <= 0) fail(Check::Rule2, which + " has unit price " + money(r.getUnitPrice()) + ", not above zero");
    if (!seen.insert({m, g}).second) fail(Check::Rule2, which + ": milestone '" + m + "'" + groupText(g) + " appears twice");
    if (r.getFinancedBy() == schema::FinancedBy::PARENT && !hasParent)
      fail(Check::Rule2, which + " is financed by the parent contract, but the contract has no parent");
    out.push_back({m, g, r.getUnitPrice()});
  }
  return out;
}

Contract* Ledger::contractNamed(std::string_view ref) {
  auto it = contracts_->byReference.find(std::string(ref));
  if (it == contracts_->byReference.end()) {
    fail(Check::Rule2, "there is no contract with reference '" + std::string(ref) + "'");
    return nullptr;
  }
  return &contracts_->all[it->second];
}

void Ledger::partyStatusChanged(schema::PartyStatusChanged::Reader r) {
  actsAsAdmin(true);  // rule 1: administrators of 'ledger'
  std::string_view id = view(r.getParty());
  bool ok = realDate(r.getFrom());  // a missing or unreal date: format (validate.cpp)
  auto p = party(id);
  if (!p) fail(Check::Rule2, "party '" + std::string(id) + "' is not registered"), ok = false;
  else if (id == "ledger") fail(Check::Rule2, "'ledger' has no status"), ok = false;
  if (ok) contracts_->statuses.add(*p, r.getFrom(), r.getStatus());
}

void Ledger::contractAgreed(schema::ContractAgreed::Reader r) {
  Contracts& book = *contracts_;
  std::string ref(view(r.getReference())), parentRef(view(r.getParent()));
  std::string_view payerId = view(r.getPayer()), payeeId = view(r.getPayee());
  auto rule2 = [&](std::string why) { fail(Check::Rule2, std::move(why)); };
  bool registrable = true;  // enough is known to keep the contract, so later records are checked against it

  if (ref.empty()) registrable = false;  // format (validate.cpp)
  else if (auto it = book.byReference.find(ref); it != book.byReference.end())
    rule2("contract reference '" + ref + "' is already used by the contract agreed at seq " +
          std::to_string(book.all[it->second].seq)),
        registrable = false;
  auto payer = party(payerId), payee = party(payeeId);
  if (!payer) rule2("payer '" + std::string(payerId) + "' is not registered"), registrable = false;
  if (!payee) rule2("payee '" + std::string(payeeId) + "' is not registered"), registrable = false;
  if (payer) actsFor(*payer, true);  // rule 1: the payer's officers and approvers, one an officer
  if (payer && payee) {
    if (*payer == *payee) rule2("payer and payee are the same party '" + std::string(payerId) + "'");
    if (payerId == "ledger" || payeeId == "ledger") rule2("'ledger' holds no contracts");
    if (parties_[*payee].kind == PartyKind::POOL)
      rule2("payee '" + std::string(payeeId) + "' is a pool (money goes into pools by contribution)");
  }
  // An empty subject, a missing or unreal date: format (validate.cpp).
  bool startOk = realDate(r.getStartDate()), endOk = r.getEndDate() == 0 || realDate(r.getEndDate());
  if (startOk && endOk && r.getEndDate() != 0 && r.getEndDate() < r.getStartDate())
    rule2("end date " + dateText(r.getEndDate()) + " is before start date " + dateText(r.getStartDate()));
  if (r.getCap() < 0) rule2("cap " + money(r.getCap()) + " is negative (0 means no cap)");
  std::optional<uint32_t> parent;
  if (!parentRef.empty()) {
    auto it = book.byReference.find(parentRef);
    if (it == book.byReference.end()) rule2("parent contract '" + parentRef + "' does not exist");
    else if (payer && book.all[it->second].payee != *payer)
      rule2("parent contract '" + parentRef + "' pays '" + parties_[book.all[it->second].payee].id +
            "', not this contract's payer '" + std::string(payerId) +
            "' (a subcontract sits under a head contract its payer receives)");
    else parent = it->second;
  }
  // limits: at most 32 contracts in a chain (a head contract is depth 1). A
  // deeper one is still kept, so payments under it are checked as usual and a
  // subcontract under it fails this same check rather than "no such parent".
  if (parent && book.all[*parent].depth + 2 > limit::kContractDepth)
    fail(Check::Limits,
         "contract '" + ref + "' would be " + std::to_string(book.all[*parent].depth + 2) +
             " contracts deep under '" + parentRef + "', over the limit of " + std::to_string(limit::kContractDepth) +
             " (a head contract is depth 1)",
         "contractAgreed.parent");
  if (r.getHasFeeCap() && r.getFeeCapBasisPoints() > 10000)
    rule2("fee cap of " + std::to_string(r.getFeeCapBasisPoints()) + " basis points is over 10000");
  std::vector<ScheduleRow> rows = scheduleRows(r.getSchedule(), !parentRef.empty());
  if (!registrable) return;

  Contract c;
  c.reference = ref;
  c.seq = pos_;
  c.payer = *payer, c.payee = *payee;
  c.parent = parent;
  c.depth = parent ? book.all[*parent].depth + 1 : 0;
  c.start = startOk ? r.getStartDate() : 0;
  c.end = endOk ? r.getEndDate() : 0;
  c.cap = std::max<int64_t>(r.getCap(), 0);
  c.scheduleSeq = pos_;
  c.schedule = std::move(rows);
  uint32_t idx = uint32_t(book.all.size());
  book.all.push_back(std::move(c));
  book.byReference[ref] = idx;
  book.bySeq[pos_] = idx;
}

void Ledger::contractVaried(schema::ContractVaried::Reader r) {
  std::string_view ref = view(r.getReference());
  Contract* c = contractNamed(ref);
  if (!c) return;
  actsFor(c->payer, true);  // rule 1: the contract's payer
  if (c->endedAt)
    return fail(Check::Rule2, "contract '" + c->reference + "' ended at seq " + std::to_string(*c->endedAt) +
                                  " and cannot be varied");
  int64_t newCap = r.getNewCap();
  if (newCap != 0 && newCap < c->paid)
    fail(Check::Rule2, "the new cap " + money(newCap) + " is below the " + money128(c->paid) +
                           " already paid under contract '" + c->reference + "'");
  uint32_t newEnd = r.getNewEndDate();
  bool endOk = newEnd == 0 || realDate(newEnd);  // else format (validate.cpp)
  if (endOk && newEnd != 0 && newEnd < c->start)
    fail(Check::Rule2, "the new end date " + dateText(newEnd) + " is before the contract's start " + dateText(c->start));
  std::vector<ScheduleRow> rows;
  if (r.getReplaceSchedule()) rows = scheduleRows(r.getSchedule(), c->parent.has_value());
  // What the variation says, as far as it can apply.
  if (newCap > 0) c->cap = newCap;
  if (endOk && newEnd != 0) c->end = newEnd;
  if (r.getReplaceSchedule()) c->schedule = std::move(rows), c->scheduleSeq = pos_;
}

void Ledger::contractEnded(schema::ContractEnded::Reader r) {
  std::string_view ref = view(r.getReference()), successor = view(r.getSuccessor());
  Contract* c = contractNamed(ref);
  if (!c) return;
  actsFor(c->payer, true);  // rule 1: the contract's payer
  if (c->endedAt)
    return fail(Check::Rule2, "contract '" + c->reference + "' already ended at seq " + std::to_string(*c->endedAt));
  auto reason = r.getReason();  // known: an unknown reason is a newer format (Ledger::apply)
  if (reason == schema::EndReason::TRANSFERRED) {
    if (successor.empty()) fail(Check::Rule2, "contract '" + c->reference + "' is transferred but names no successor");
    else if (!party(successor))
      fail(Check::Rule2, "successor '" + std::string(successor) + "' is not a registered party");
  } else if (!successor.empty()) {
    fail(Check::Rule2, std::string("only a transferred contract names a successor, and this one is ") +
                           endReasonName(reason) + " (successor '" + std::string(successor) + "')");
  }
  c->endedAt = pos_;
}

// ---- rules 9, 10 and 11: a payment ------------------------------------------------

std::optional<uint32_t> Ledger::paymentRules(schema::Payment::Reader r, std::optional<uint32_t> payee) {
  Contracts& book = *contracts_;
  std::string_view from = view(r.getFrom()), to = view(r.getTo());
  std::string_view milestone = view(r.getMilestone()), group = view(r.getGroup());
  uint32_t valueDate = r.getValueDate();
  int64_t amount = r.getAmount();

  // Rule 11: a failed or exited party receives only support; it may still pay.
  if (payee && valueDate != 0) {
    auto status = book.statuses.at(*payee, valueDate);
    if (status != schema::PartyStatus::ACTIVE && r.getMechanism() != schema::Mechanism::SUPPORT)
      fail(Check::Rule11, "payee '" + std::string(to) + "' has the status " + statusName(status) + " at " +
                              dateText(valueDate) + ": it may receive only 'support' payments, not '" +
                              mechanismName(r.getMechanism()) + "'");
  }

  // Rule 10, every payment: claim ids distinct, and the outcome count equals their number.
  auto claimList = r.getClaimIds();
  std::vector<std::string_view> claims;
  std::map<std::string_view, int> times;
  for (auto c : claimList) {
    std::string_view s = view(c);
    if (++times[s] == 1) claims.push_back(s);
    else if (times[s] == 2) fail(Check::Rule10, "claim id '" + std::string(s) + "' appears more than once in this payment");
  }
  if (claimList.size() != 0 && r.getOutcomeCount() != claimList.size())
    fail(Check::Rule10, "the outcome count " + std::to_string(r.getOutcomeCount()) + " is not the number of claim ids given (" +
                            std::to_string(claimList.size()) + ")");

  uint64_t cs = r.getContractSeq();
  if (cs == 0) return std::nullopt;

  // Rule 9: the contract, its parties, dates, end and cap; the schedule for milestones.
  auto found = book.bySeq.find(cs);
  if (cs >= pos_ || found == book.bySeq.end()) {
    fail(Check::Rule9, "unknown contract: seq " + std::to_string(cs) + " holds no earlier contractAgreed");
    return std::nullopt;
  }
  uint32_t ci = found->second;
  const Contract& c = book.all[ci];
  std::string name = "contract '" + c.reference + "' (seq " + std::to_string(c.seq) + ")";
  const std::string &payer = parties_[c.payer].id, &payeeId = parties_[c.payee].id;
  if (from != payer || to != payeeId)
    fail(Check::Rule9, name + " is from '" + payer + "' to '" + payeeId + "', and this payment goes from '" +
                           std::string(from) + "' to '" + std::string(to) + "'");
  if (valueDate != 0 && (valueDate < c.start || (c.end != 0 && valueDate > c.end)))
    fail(Check::Rule9, "value date " + dateText(valueDate) + " is outside " + name + ", which runs from " +
                           dateText(c.start) + " to " + (c.end ? dateText(c.end) : std::string("no end date")));
  if (c.endedAt)
    fail(Check::Rule9, name + " ended at seq " + std::to_string(*c.endedAt) + ": no payment may be recorded under it");
  if (c.cap != 0 && c.paid + amount > c.cap)
    fail(Check::Rule9, "paying " + money(amount) + " would take the total paid under " + name + " to " +
                           money128(c.paid + amount) + ", over its cap of " + money(c.cap));
  if (r.getMechanism() == schema::Mechanism::MILESTONE) {
    std::string which = "milestone '" + std::string(milestone) + "'" + groupText(group);
    if (const ScheduleRow* row = c.row(milestone, group)) {
      __int128 due = __int128(r.getOutcomeCount()) * row->unitPrice;
      if (due != amount)
        fail(Check::Rule9, which + " is priced at " + money(row->unitPrice) + " per outcome under " + name + ": " +
                               std::to_string(r.getOutcomeCount()) + " outcome(s) make " + money128(due) + ", not " +
                               money(amount));
    } else {
      fail(Check::Rule9, name + " has no schedule row for " + which + " in its current schedule (seq " +
                             std::to_string(c.scheduleSeq) + ")");
    }
  }

  // Rule 10, under a contract: each (claim id, milestone) once per contract, and
  // all contracts paying it on one chain of parent contracts.
  for (std::string_view claim : claims) {
    for (const ClaimIndex::Paid& p : book.claims.find(book.claims.hash(claim, milestone))) {
      const Contract& other = book.all[p.contract];
      std::string why;
      if (p.contract == ci) why = "was already paid under " + name + " at seq " + std::to_string(p.payment);
      else if (!book.onOneChain(p.contract, ci))
        why = "was already paid under contract '" + other.reference + "' at seq " + std::to_string(p.payment) +
              ", which is not on one chain of parent contracts with " + name + " (one outcome paid from two budgets)";
      else continue;  // passed down a chain of contracts: paid once at each level
      // The index holds hashes: confirm the earlier payment really carries this claim.
      if (paymentHasClaim && !paymentHasClaim(p.payment, claim, milestone)) continue;
      fail(Check::Rule10, "claim id '" + std::string(claim) + "' for milestone '" + std::string(milestone) + "' " + why);
      break;
    }
  }
  return ci;
}

// The payment moved its money under contract `ci`: it takes headroom and holds its claims.
void Ledger::paidUnderContract(uint32_t ci, schema::Payment::Reader r) {
  Contracts& book = *contracts_;
  book.all[ci].paid += r.getAmount();
  Contracts::Payment p{pos_, ci, 0, book.claimHashes.size()};
  std::string_view milestone = view(r.getMilestone());
  std::set<std::string_view> seen;
  for (auto c : r.getClaimIds()) {
    if (!seen.insert(view(c)).second) continue;
    uint64_t h = book.claims.hash(view(c), milestone);
    book.claims.insert(h, ci, pos_);
    book.claimHashes.push_back(h);
    ++p.claimCount;
  }
  book.payments.push_back(p);
}

// A reversal of seq `target` (already applied to the balances) frees its headroom and claims.
void Ledger::reversedUnderContract(uint64_t target, int64_t amount) {
  Contracts& book = *contracts_;
  auto it = std::lower_bound(book.payments.begin(), book.payments.end(), target,
                             [](const Contracts::Payment& p, uint64_t s) { return p.seq < s; });
  if (it == book.payments.end() || it->seq != target) return;
  book.all[it->contract].paid -= amount;
  for (uint32_t k = 0; k < it->claimCount; ++k) book.claims.erase(book.claimHashes[it->claimStart + k], target);
}

}  // namespace fv
