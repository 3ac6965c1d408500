// Records -> Facts: parties, unreversed money, active lines, contracts and
// statuses as of a seq or a date (docs/map.md, "As of").
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <optional>
#include <thread>
#include <set>
#include <string_view>
#include <unordered_map>

#include <capnp/message.h>
#include <kj/exception.h>

#include "accountability/internal.h"
#include "ledger/balances.h"
#include "ledger/limits.h"
#include "ledger/names.h"

namespace fundtrail::map {
namespace {

using schema::Entry;

static_assert(sizeof(Money) <= 128, "a payment's row in the map's largest table (map.h, Money)");

// The payment table is the map's one large allocation, filled once in order.
// Where a page fault is dear (on a VM ~20 us per 4 KiB page, a quarter of the
// build at a million payments) the kernel's transparent huge pages, when it
// offers them on request ("madvise" mode), take 512 faults down to one.
// Only a hint: nothing changes where the kernel declines.
// Below this many records one thread decodes them faster than two start.
constexpr uint64_t kParallelLoadFrom = 50000;

void advise_huge_pages(const void* data, size_t bytes) {
  const uintptr_t page = 4096, begin = (reinterpret_cast<uintptr_t>(data) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(page - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

std::string str(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

// Names for one decoding thread: the process-wide table (Name) takes a lock,
// this takes none, and a thread meets the same few names a million times
// (four per payment). Open addressing on the text's hash, kept beside each
// slot so most probes compare one integer: std::unordered_map's node walk
// and modulo were a sixth of decoding.
class Names {
 public:
  Name operator()(capnp::Text::Reader t) { return (*this)(std::string_view(t.cStr(), t.size())); }
  Name operator()(schema::Mechanism m) {  // by the enum's value: no text, no hashing
    const auto at = static_cast<size_t>(m);
    if (at >= mechanisms_.size()) mechanisms_.resize(at + 1);
    if (mechanisms_[at].empty()) mechanisms_[at] = (*this)(std::string_view(name_of(m)));
    return mechanisms_[at];
  }
  Name operator()(std::string_view text) {
    if (text.empty()) return {};
    const size_t hash = std::hash<std::string_view>{}(text);
    for (size_t at = hash & (slots_.size() - 1);; at = (at + 1) & (slots_.size() - 1)) {
      Slot& s = slots_[at];
      if (s.name.empty()) break;
      if (s.hash == hash && s.name.str() == text) return s.name;
    }
    Name n(text);
    if (2 * (used_ + 1) > slots_.size()) grow();
    put({hash, n});
    return n;
  }

 private:
  struct Slot {
    size_t hash = 0;
    Name name;  // empty: a free slot
  };
  void put(Slot s) {
    size_t at = s.hash & (slots_.size() - 1);
    while (!slots_[at].name.empty()) at = (at + 1) & (slots_.size() - 1);
    slots_[at] = s;
    ++used_;
  }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    for (const Slot& s : old)
      if (!s.name.empty()) put(s);
  }
  std::vector<Slot> slots_ = std::vector<Slot>(1024);  // a power of two, at most half full
  size_t used_ = 0;
  std::vector<Name> mechanisms_;
};

// One record's leaf and Entry, read for the map without Record's checks.
// Record proves the bytes canonical (so that they hash as signed) and, typed,
// that every field has its schema type: fundtrail-verify and the append rules
// answer for both, and at a million records they were a sixth of the load.
// The map only reads fields, and Cap'n Proto's readers are bounds-checked:
// damaged bytes throw kj::Exception (an Error below), never read outside the
// record. One aligned buffer per thread (LMDB's values are not word-aligned),
// no allocation per record.
class LeafReader {
 public:
  // False when `bytes` cannot be a message (not whole words).
  bool read(std::span<const uint8_t> bytes) {
    if (bytes.empty() || bytes.size() % sizeof(capnp::word) != 0) return false;
    const size_t n = bytes.size() / sizeof(capnp::word);
    // kj's array, not std::vector: capnp::word cannot be moved, which
    // libstdc++'s resize needs under clang (the fuzz and sanitizer builds).
    if (words_.size() < n) words_ = kj::heapArray<capnp::word>(std::max(n, 2 * words_.size()));
    std::memcpy(words_.begin(), bytes.data(), bytes.size());
    leaf_segment_[0] = kj::arrayPtr(words_.begin(), n);
    leaf_.emplace(kj::arrayPtr(leaf_segment_, 1));
    capnp::Data::Reader entry = leaf_->getRoot<schema::SignedEntry>().getEntry();
    // A Data blob starts on a word boundary of the (aligned) leaf.
    if (entry.size() % sizeof(capnp::word) != 0) return false;
    entry_segment_[0] = kj::arrayPtr(reinterpret_cast<const capnp::word*>(entry.begin()), entry.size() / sizeof(capnp::word));
    entry_.emplace(kj::arrayPtr(entry_segment_, 1));
    return true;
  }
  schema::SignedEntry::Reader leaf() { return leaf_->getRoot<schema::SignedEntry>(); }
  schema::Entry::Reader entry() { return entry_->getRoot<schema::Entry>(); }

 private:
  kj::Array<capnp::word> words_;  // grows to the longest record read
  kj::ArrayPtr<const capnp::word> leaf_segment_[1], entry_segment_[1];
  std::optional<capnp::SegmentArrayMessageReader> leaf_, entry_;
};

// Gives back the pages of the ledger's map the reader has passed: a file page
// read through LMDB's map stays in this process's resident set until unmapped,
// so reading a million records would hold the whole ledger (635 MB at a
// million payments). MADV_DONTNEED on a read-only shared file mapping only
// drops this process's view of pages the kernel keeps in its page cache; a
// page touched again is mapped again. Every few thousand records, the span of
// those records' pages goes (tree pages within it too: they come back when
// next read).
class PageRelease {
 public:
  ~PageRelease() { release(); }
  void passed(std::span<const uint8_t> bytes) {
    const auto a = reinterpret_cast<uintptr_t>(bytes.data());
    lo_ = std::min(lo_, a);
    hi_ = std::max(hi_, a + bytes.size());
    if (++count_ % kEvery == 0) release();
  }
  void release() {
    const uintptr_t page = 4096, begin = lo_ & ~(page - 1), end = (hi_ + page - 1) & ~(page - 1);
    if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
    lo_ = UINTPTR_MAX;
    hi_ = 0;
  }

 private:
  static constexpr uint64_t kEvery = 4096;
  uintptr_t lo_ = UINTPTR_MAX, hi_ = 0;
  uint64_t count_ = 0;
};

std::vector<std::string> strs(capnp::List<capnp::Text>::Reader list) {
  std::vector<std::string> out;
  for (auto t : list) out.push_back(str(t));
  return out;
}

std::vector<ScheduleRow> schedule_of(capnp::List<schema::ScheduleRow>::Reader rows) {
  std::vector<ScheduleRow> out;
  for (auto r : rows)
    out.push_back({str(r.getMilestone()), str(r.getGroup()), r.getUnitPrice(), r.getFinancedBy() == schema::FinancedBy::PARENT});
  return out;
}

std::string model_name(schema::IntegratorModel m) {
  if (m == schema::IntegratorModel::PURE) return "pure";
  if (m == schema::IntegratorModel::BLENDED) return "blended";
  return "";
}

std::string end_reason(schema::EndReason r) {
  if (r == schema::EndReason::TERMINATED) return "terminated";
  if (r == schema::EndReason::TRANSFERRED) return "transferred";
  return "completed";
}

Party party_of(schema::PartyRegistered::Reader p) {
  Party out;
  out.id = str(p.getId());
  out.name = str(p.getName());
  out.kind = name_of(p.getKind());
  out.sector = name_of(p.getSector());
  out.controlled_by = str(p.getControlledBy());
  out.parent = str(p.getParent());
  out.members = strs(p.getMembers());
  out.org_ids = strs(p.getOrgIds());
  out.budget_limited = p.getBudgetLimited();
  if (p.hasPoolTerms()) {
    auto t = p.getPoolTerms();
    out.host = str(t.getHost());
    out.legal_basis = str(t.getLegalBasis());
    out.place = str(t.getPlaceCode());
    for (auto s : t.getShares()) out.shares.push_back({str(s.getParty()), s.getBasisPoints()});
  }
  return out;
}

Money money_of(uint64_t seq, Entry::Body::Reader body, Names& names) {
  Money m;
  m.seq = seq;
  if (body.which() == Entry::Body::CONTRIBUTION) {
    auto c = body.getContribution();
    m.contribution = true;
    m.from = names(c.getFrom());
    m.to = names(c.getTo());
    m.amount = c.getAmount();
    m.value_date = c.getValueDate();
    m.mechanism = names(std::string_view("contribution"));
    return m;
  }
  auto p = body.getPayment();
  m.from = names(p.getFrom());
  m.to = names(p.getTo());
  m.amount = p.getAmount();
  m.value_date = p.getValueDate();
  m.mechanism = names(p.getMechanism());
  m.milestone = names(p.getMilestone());
  m.group = names(p.getGroup());
  m.outcome_count = p.getOutcomeCount();
  m.claims = strs(p.getClaimIds());
  m.contract_seq = p.getContractSeq();
  auto fb = p.getFundedBy();
  if (fb.isEntry()) {
    m.funded_by = FundedBy::entry;
    m.funded_seq = fb.getEntry();
  } else if (fb.isOwn()) {
    m.funded_by = FundedBy::own;
  } else if (fb.isLoan()) {
    m.funded_by = FundedBy::loan;
  }
  return m;
}

// Facts::ids and each payment's from_ix/to_ix: the graph and the trace then
// work on integers, hashing each payment's ids once here instead of once per
// use. Sorted, so index order is id order (ties in rounding fall by id).
void index_party_ids(Facts& f) {
  // Keyed by the interned text's address (a Name's identity): no string hashed per payment.
  std::unordered_map<const std::string*, uint32_t> first_seen;
  std::vector<std::string_view> seen;
  auto intern = [&](Name id) {
    auto [it, added] = first_seen.try_emplace(&id.str(), static_cast<uint32_t>(seen.size()));
    if (added) seen.push_back(id.str());
    return it->second;
  };
  for (auto& [id, p] : f.parties) intern(Name(id));
  for (auto* list : {&f.money, &f.refunds})
    for (auto& mo : *list) {
      mo.from_ix = intern(mo.from);
      mo.to_ix = intern(mo.to);
    }
  std::vector<uint32_t> order(seen.size()), rank(seen.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return seen[a] < seen[b]; });
  f.ids.reserve(seen.size());
  for (uint32_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r;
    f.ids.emplace_back(seen[order[r]]);
  }
  for (auto* list : {&f.money, &f.refunds})
    for (auto& mo : *list) {
      mo.from_ix = rank[mo.from_ix];
      mo.to_ix = rank[mo.to_ix];
    }
}

// Refunds net against what their payee paid their payer (DESIGN.md): each
// refund comes off that pair's payments made before it, the latest first (a
// credit note answers an invoice already paid, most often a recent one).
// Rule 12 keeps refunds within what was paid, but only over the whole
// ledger by seq: as of a value date a credit note can be in scope while the
// invoice it credits is not. What finds nothing left to net against comes off
// nothing, so a payment's net stops at zero and no money is made up.
void net_refunds(Facts& f) {
  if (f.refunds.empty()) return;
  auto pair_key = [](uint32_t payer, uint32_t payee) { return (uint64_t(payer) << 32) | payee; };
  // (payer, payee) of the payments some refund nets against -> those not yet
  // netted to zero, in seq order; other pairs are not kept.
  std::unordered_map<uint64_t, std::vector<uint32_t>> open;
  for (const Money& r : f.refunds) open.try_emplace(pair_key(r.to_ix, r.from_ix));
  size_t next = 0;
  for (const Money& r : f.refunds) {
    for (; next < f.money.size() && f.money[next].seq < r.seq; ++next)
      if (auto it = open.find(pair_key(f.money[next].from_ix, f.money[next].to_ix)); it != open.end())
        it->second.push_back(static_cast<uint32_t>(next));
    std::vector<uint32_t>& paid = open.at(pair_key(r.to_ix, r.from_ix));
    for (int64_t left = r.amount; left > 0 && !paid.empty();) {
      Money& mo = f.money[paid.back()];
      const int64_t off = std::min(left, mo.net());
      mo.refunded += off;
      left -= off;
      if (mo.net() == 0) paid.pop_back();
    }
  }
}

}  // namespace

const Status* Party::failure() const {
  if (statuses.empty() || statuses.back().status == "active") return nullptr;
  return &statuses.back();
}

const Party* Facts::party(const std::string& id) const {
  auto it = parties.find(id);
  return it == parties.end() ? nullptr : &it->second;
}

std::optional<Vertex> Map::find(const std::string& id) const {
  auto it = index.find(id);
  if (it == index.end()) return std::nullopt;
  return it->second;
}

AsOf parse_as_of(const std::string& text, const Ledger& ledger) {
  AsOf a;
  a.text = text;
  if (text.empty()) return a;
  if (text.find('-') != std::string::npos) {
    a.date = parse_date(text);
    if (!a.date) unusable("--as-of '" + text + "' is not a date: write YYYY-MM-DD, e.g. 2025-04-01, or a seq number");
    return a;
  }
  if (text.find_first_not_of("0123456789") != std::string::npos || text.size() > 18)
    unusable("--as-of '" + text + "' must be a seq number or a date YYYY-MM-DD");
  uint64_t seq = std::stoull(text);
  if (seq >= ledger.size())
    unusable("--as-of " + text + ": the ledger has records 0 to " + std::to_string(ledger.size() - 1));
  a.size = seq + 1;
  return a;
}

Facts load_facts(const Ledger& ledger, const AsOf& as_of) {
  const uint64_t size = std::min(as_of.size, ledger.size());
  return detail::load_facts(ledger, as_of, size < kParallelLoadFrom ? 1 : std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
}

Facts detail::load_facts(const Ledger& ledger, const AsOf& as_of, unsigned threads) {
  Facts f;
  f.origin = ledger.facts().origin;
  f.currency = ledger.facts().currency;
  f.exponent = ledger.facts().exponent;
  f.as_of = as_of;
  const uint32_t date = as_of.date;
  // A record without a value date counts from the UTC day it was recorded
  // (as balances_at_date does); one with a date of its own uses that date.
  auto within = [&](uint32_t own_date, int64_t recorded_at) {
    if (!date) return true;
    return (own_date ? own_date : utc_day(recorded_at)) <= date;
  };

  std::vector<Money>& money = f.money;
  money.reserve(std::min<uint64_t>(std::min(as_of.size, ledger.size()), 1u << 22));  // no regrowth copies
  advise_huge_pages(money.data(), money.capacity() * sizeof(Money));
  std::set<uint64_t> reversed, ended;
  std::map<uint64_t, Line> lines;
  std::map<std::string, uint64_t> contract_by_ref;
  const uint64_t size = std::min(as_of.size, ledger.size());

  // Pass 1, in parallel: decoding a million records is most of the load.
  // Payments and contributions become Money (refunds in a list of their
  // own); the few other records are kept as bytes for pass 2, which needs
  // them in seq order. Appended records never change, so each thread's own
  // read transaction sees the same bytes.
  struct Slice {
    std::vector<Money> money, refunds;
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> others;
    uint64_t records = 0;
    std::exception_ptr error;
  };
  threads = std::clamp<unsigned>(threads, 1, 16);
  std::vector<Slice> slices(threads);
  const Name refund("refund");
  // The later slices are appended to the table once all are decoded, and
  // the pages they land on are new: faulting them in there (~64 MB at a
  // million payments, a fifth of a second on this VM) was the one serial step
  // of the load. A thread that has finished its slice faults them in
  // (MADV_POPULATE_WRITE, in 2 MiB steps) while the others still decode;
  // what is left when the last one ends faults on the append as before.
  // Only a hint: on a kernel without it nothing changes.
  std::atomic<unsigned> decoding{threads};
  std::atomic<size_t> next_step{0};
  auto* tail = reinterpret_cast<uint8_t*>(money.data()) + size / threads * sizeof(Money);
  const size_t tail_bytes = money.capacity() >= size ? (size - size / threads) * sizeof(Money) : 0;
  auto fault_in_tail_while_others_decode = [&] {
    constexpr size_t kStep = size_t(2) << 20;
    const uintptr_t page = 4096, begin = (reinterpret_cast<uintptr_t>(tail) + page - 1) & ~(page - 1);
    const uintptr_t end = (reinterpret_cast<uintptr_t>(tail) + tail_bytes) & ~(page - 1);
    while (decoding.load() > 0) {
      const uintptr_t at = begin + next_step.fetch_add(kStep);
      if (at >= end) break;
      (void)madvise(reinterpret_cast<void*>(at), std::min<uintptr_t>(kStep, end - at), MADV_POPULATE_WRITE);
    }
  };
  auto decode = [&](unsigned i) {
    Slice& sl = slices[i];
    std::vector<Money>& out = i == 0 ? money : sl.money;  // the first slice fills the reserved table
    if (i > 0) {  // sized once: regrowth would copy and touch twice the memory
      sl.money.reserve(size * (i + 1) / threads - size * i / threads);
      advise_huge_pages(sl.money.data(), sl.money.capacity() * sizeof(Money));
    }
    Names names;
    PageRelease pages;
    LeafReader rec;
    try {
      ledger.for_each(size * i / threads, size * (i + 1) / threads, [&](uint64_t seq, std::span<const uint8_t> bytes) {
        ++sl.records;
        pages.passed(bytes);
        // Unchecked (LeafReader): a damaged record throws from a getter,
        // which becomes an Error here.
        try {
          if (!rec.read(bytes)) refuse("record " + std::to_string(seq) + " is not a Cap'n Proto message; run fundtrail-verify on the ledger");
          auto body = rec.entry().getBody();
          if (body.which() == Entry::Body::CONTRIBUTION || body.which() == Entry::Body::PAYMENT) {
            Money m = money_of(seq, body, names);
            if (within(m.value_date, rec.leaf().getRecordedAt()))
              (m.mechanism == refund ? sl.refunds : out).push_back(std::move(m));
          } else if (body.which() != Entry::Body::GENESIS) {
            sl.others.emplace_back(seq, std::vector<uint8_t>(bytes.begin(), bytes.end()));
          }
        } catch (const kj::Exception& e) {
          refuse("record " + std::to_string(seq) + " cannot be decoded: " + e.getDescription().cStr() +
                 "; run fundtrail-verify on the ledger");
        }
        return true;
      });
    } catch (...) {
      sl.error = std::current_exception();
    }
    decoding.fetch_sub(1);
    fault_in_tail_while_others_decode();
  };
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back(decode, i);
  decode(0);
  for (auto& w : workers) w.join();
  for (auto& sl : slices) {
    if (sl.error) std::rethrow_exception(sl.error);
    f.records += sl.records;
    money.insert(money.end(), std::make_move_iterator(sl.money.begin()), std::make_move_iterator(sl.money.end()));
    std::vector<Money>().swap(sl.money);
    f.refunds.insert(f.refunds.end(), sl.refunds.begin(), sl.refunds.end());
  }

  // Pass 2, in seq order: parties, statuses, contracts, reversals and lines,
  // read unchecked as in pass 1 (LeafReader: Record's canonical check of
  // these records was a tenth of a second of one core at a million payments).
  LeafReader rec;
  for (auto& sl : slices)
    for (auto& [seq, bytes] : sl.others) try {
    if (!rec.read(bytes)) refuse("record " + std::to_string(seq) + " is not a Cap'n Proto message; run fundtrail-verify on the ledger");
    auto body = rec.entry().getBody();
    int64_t at = rec.leaf().getRecordedAt();
    switch (body.which()) {
      case Entry::Body::PARTY_REGISTERED: {
        Party p = party_of(body.getPartyRegistered());
        f.parties[p.id] = std::move(p);
        break;
      }
      case Entry::Body::PARTY_STATUS_CHANGED: {
        auto s = body.getPartyStatusChanged();
        if (!within(s.getFrom(), at)) break;
        auto it = f.parties.find(str(s.getParty()));
        if (it != f.parties.end())
          it->second.statuses.push_back({name_of(s.getStatus()), s.getFrom(), str(s.getNote()), seq});
        break;
      }
      case Entry::Body::CONTRACT_AGREED: {
        auto c = body.getContractAgreed();
        if (!within(c.getStartDate(), at)) break;
        Contract k;
        k.seq = seq;
        k.reference = str(c.getReference());
        k.payer = str(c.getPayer());
        k.payee = str(c.getPayee());
        k.subject = str(c.getSubject());
        k.parent = str(c.getParent());
        k.model = model_name(c.getModel());
        k.start = c.getStartDate();
        k.end = c.getEndDate();
        k.cap = c.getCap();
        k.has_fee_cap = c.getHasFeeCap();
        k.fee_cap_bp = c.getFeeCapBasisPoints();
        k.schedule = schedule_of(c.getSchedule());
        contract_by_ref[k.reference] = seq;
        f.contracts[seq] = std::move(k);
        break;
      }
      case Entry::Body::CONTRACT_VARIED: {
        auto v = body.getContractVaried();
        auto it = contract_by_ref.find(str(v.getReference()));
        if (it == contract_by_ref.end() || !within(0, at)) break;
        Contract& k = f.contracts[it->second];
        if (v.getNewCap()) k.cap = v.getNewCap();
        if (v.getNewEndDate()) k.end = v.getNewEndDate();
        if (v.getReplaceSchedule()) k.schedule = schedule_of(v.getSchedule());
        break;
      }
      case Entry::Body::CONTRACT_ENDED: {
        auto e = body.getContractEnded();
        auto it = contract_by_ref.find(str(e.getReference()));
        if (it == contract_by_ref.end() || !within(e.getDate(), at)) break;
        Contract& k = f.contracts[it->second];
        k.ended = true;
        k.end_reason = end_reason(e.getReason());
        k.successor = str(e.getSuccessor());
        k.end_date = e.getDate();
        break;
      }
      case Entry::Body::REVERSAL:
        if (within(0, at)) reversed.insert(body.getReversal().getTargetSeq());
        break;
      case Entry::Body::RESPONSIBILITY_ASSIGNED: {
        auto r = body.getResponsibilityAssigned();
        Line l;
        l.seq = seq;
        l.accountable = str(r.getAccountable());
        l.responsible = strs(r.getResponsible());
        l.subject = str(r.getSubject());
        l.kind = name_of(r.getKind());
        l.start = r.getStartDate();
        l.end = r.getEndDate();
        l.contract_ref = str(r.getContractRef());
        // As of a date a line counts from its start date and until its end date.
        if (!within(l.start, at)) break;
        if (date && l.end && l.end < date) break;
        lines[seq] = std::move(l);
        break;
      }
      case Entry::Body::RESPONSIBILITY_ENDED:
        if (within(0, at)) ended.insert(body.getResponsibilityEnded().getAssignmentSeq());
        break;
      default:
        break;
    }
    } catch (const kj::Exception& e) {
      refuse("record " + std::to_string(seq) + " cannot be decoded: " + e.getDescription().cStr() +
             "; run fundtrail-verify on the ledger");
    }
  // In place: a second table of a million payments would double the memory
  // touched (the capacity reserved and never used is never touched either).
  if (!reversed.empty()) {
    std::erase_if(money, [&](const Money& m) { return reversed.count(m.seq) > 0; });
    std::erase_if(f.refunds, [&](const Money& m) { return reversed.count(m.seq) > 0; });
  }
  index_party_ids(f);
  net_refunds(f);
  for (auto& [seq, l] : lines)
    if (!ended.count(seq)) f.lines.push_back(std::move(l));
  return f;
}

}  // namespace fundtrail::map
