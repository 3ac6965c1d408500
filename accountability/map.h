// The accountability map: who funds whom, who answers for what, where value
// is lost (DESIGN.md "The accountability map"; docs/map.md for every formula).
//
//   Map m = build_map(ledger, parse_as_of("2026-03-31"));   // records -> graph
//   follow_money(m), frontline(m), who_answers(m, "meals"), find_gaps(m),
//   concentration(m), patterns(m), summary(m)                 // analyses
//   write_graphml / write_dot / write_svg / write_json / write_csv(filtered(m, f), out)
//
// The graph is a Boost.Graph bidirectional adjacency_list: a vertex per party,
// funding edges aggregated per payer, payee and mechanism, responsibility edges
// from the accountable to the responsible party (recorded, or implicit to the
// commissioner where none is recorded), contract edges from payer to payee.
// Reversed money and ended responsibility lines are left out; refunds are no
// edges of their own but net against what their payee paid their payer.
// Amounts are int64 minor units throughout; no floating point touches money.
#pragma once
#include <boost/graph/adjacency_list.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/names.h"

namespace fundtrail::map {

// ---- what the records say, as of a point ----------------------------------

// --as-of: records [0, size) (SEQ means size = SEQ + 1), or money with a value
// date on or before `date` and other records from the UTC day they were made.
struct AsOf {
  uint64_t size = UINT64_MAX;  // all records
  uint32_t date = 0;           // 0: no date limit
  std::string text;            // as given, for reports ("" = now)
};
// "" -> everything; digits -> seq; YYYY-MM-DD -> date. Error(unusable) otherwise.
AsOf parse_as_of(const std::string& text, const Ledger& ledger);

enum class FundedBy : uint8_t { unspecified, entry, own, loan };

// Interned text: one pointer to a string kept once for the whole process.
// A million payments name a few thousand parties, a handful of mechanisms and
// milestones: as Names each payment carries 8 bytes per name instead of a
// heap string, and equal Names compare by pointer. Reads as a const
// std::string&. Thread-safe; the table only grows (by distinct texts).
class Name {
 public:
  Name() = default;  // ""
  Name(std::string_view text);
  Name(const std::string& text) : Name(std::string_view(text)) {}
  Name(const char* text) : Name(std::string_view(text)) {}
  const std::string& str() const;
  operator const std::string&() const { return str(); }
  bool empty() const { return text_ == nullptr; }
  friend bool operator==(Name a, Name b) { return a.text_ == b.text_; }
  friend bool operator==(Name a, const std::string& b) { return a.str() == b; }
  friend bool operator==(Name a, std::string_view b) { return a.str() == b; }
  friend bool operator==(Name a, const char* b) { return a.str() == b; }
  friend auto operator<=>(Name a, Name b) { return a.str().compare(b.str()) <=> 0; }
  friend std::string operator+(const std::string& a, Name b) { return a + b.str(); }
  friend std::string operator+(const char* a, Name b) { return a + b.str(); }
  friend std::string operator+(Name a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(Name a, const char* b) { return a.str() + b; }
  friend std::ostream& operator<<(std::ostream& o, Name n) { return o << n.str(); }
  friend void to_json(nlohmann::json& j, Name n) { j = n.str(); }

 private:
  const std::string* text_ = nullptr;  // nullptr: ""
};

// One unreversed contribution or payment. A million of them make the map's
// one large table: names are Names, and the fields are ordered to leave no
// padding (128 bytes, the claims' list empty but for outcome payments).
struct Money {
  uint64_t seq = 0;
  Name from, to, mechanism;         // mechanism as in the command shapes, or "contribution"
  Name milestone, group;
  uint32_t from_ix = 0, to_ix = 0;  // `from` and `to` as indices into Facts::ids
  int64_t amount = 0;
  uint32_t value_date = 0;
  uint32_t outcome_count = 0;
  std::vector<std::string> claims;
  FundedBy funded_by = FundedBy::unspecified;
  bool contribution = false;
  uint64_t funded_seq = 0;    // when funded_by == entry
  uint64_t contract_seq = 0;  // 0: not under a contract
  // Refunds netted against this payment (Facts::refunds): what the payment
  // still moves is amount - refunded, never below zero.
  int64_t refunded = 0;
  int64_t net() const { return amount - refunded; }
};

struct Line {  // an active responsibility line (or an implicit one)
  uint64_t seq = 0;  // 0 for implicit lines
  std::string accountable;
  std::vector<std::string> responsible;  // several: held jointly
  std::string subject, kind;             // kind: contract|delivery|...|last-resort|informal|implicit
  uint32_t start = 0, end = 0;
  std::string contract_ref;
  bool recorded = true;
};

struct ScheduleRow {
  std::string milestone, group;
  int64_t unit_price = 0;
  bool financed_by_parent = false;  // false: the payer's own funds
};

struct Contract {
  uint64_t seq = 0;
  std::string reference, payer, payee, subject, parent, model;  // model: "", pure, blended
  uint32_t start = 0, end = 0;
  int64_t cap = 0;  // 0: none
  bool has_fee_cap = false;
  uint32_t fee_cap_bp = 0;
  std::vector<ScheduleRow> schedule;
  bool ended = false;
  std::string end_reason, successor;
  uint32_t end_date = 0;
};

struct Status {
  std::string status;  // active|service-failure|financial-failure|exited
  uint32_t from = 0;
  std::string note;
  uint64_t seq = 0;
};

struct Party {
  std::string id, name, kind, sector, controlled_by, parent;  // kind/sector spelled as in the commands
  std::vector<std::string> members, org_ids;
  bool budget_limited = false;
  std::string host, legal_basis, place;            // pools
  std::vector<std::pair<std::string, uint32_t>> shares;  // pools: party, basis points
  std::vector<Status> statuses;                    // in seq order
  const Status* failure() const;                   // latest status if it is a failure or exit
};

struct Facts {
  std::string origin, currency;
  int exponent = 2;
  uint64_t records = 0;  // records read
  AsOf as_of;
  std::map<std::string, Party> parties;
  std::vector<Money> money;                // seq order, reversals applied; refunds netted, not listed
  // Refunds (money back from a payer to its payee, a supplier's credit note),
  // seq order: never money of their own, they net against what their payee
  // paid their payer (each payment's `refunded`; DESIGN.md).
  std::vector<Money> refunds;
  std::vector<std::string> ids;            // every party id a party record or a payment names, sorted
  std::vector<Line> lines;                 // recorded, active, seq order
  std::map<uint64_t, Contract> contracts;  // by seq of contractAgreed
  const Party* party(const std::string& id) const;
};

Facts load_facts(const Ledger& ledger, const AsOf& as_of);

// ---- the graph ------------------------------------------------------------

enum class EdgeType { funding, responsibility, contract };
using fundtrail::name_of;  // the record enums' spellings, beside this one
std::string name_of(EdgeType t);

struct VertexData {
  std::string id, name, kind, sector, controlled_by, parent;
  std::string status = "active";
  uint32_t status_from = 0;
  bool failed = false;   // service or financial failure, or exited
  bool gap = false;      // named in find_gaps()
  int64_t received = 0, paid = 0;
};

// A string that takes one pointer while empty: for the EdgeData fields only
// responsibility and contract edges fill, which the (up to a million) funding
// edges would otherwise each carry as 24 unused bytes apiece.
class SparseText {
 public:
  SparseText() = default;
  SparseText(std::string s) { *this = std::move(s); }
  SparseText(const char* s) : SparseText(std::string(s)) {}
  SparseText(const SparseText& o) { *this = o.str(); }
  SparseText(SparseText&&) noexcept = default;
  SparseText& operator=(const SparseText& o) { return *this = o.str(); }
  SparseText& operator=(SparseText&&) noexcept = default;
  SparseText& operator=(std::string s) {
    text_ = s.empty() ? nullptr : std::make_unique<std::string>(std::move(s));
    return *this;
  }
  const std::string& str() const;  // "" when empty
  operator const std::string&() const { return str(); }
  bool empty() const { return !text_; }
  friend bool operator==(const SparseText& a, const SparseText& b) { return a.str() == b.str(); }
  friend bool operator==(const SparseText& a, const std::string& b) { return a.str() == b; }
  friend bool operator==(const SparseText& a, const char* b) { return a.str() == b; }
  friend std::ostream& operator<<(std::ostream& o, const SparseText& t) { return o << t.str(); }
  friend std::string operator+(const std::string& a, const SparseText& b) { return a + b.str(); }
  friend std::string operator+(const char* a, const SparseText& b) { return a + b.str(); }
  friend std::string operator+(const SparseText& a, const std::string& b) { return a.str() + b; }
  friend std::string operator+(const SparseText& a, const char* b) { return a.str() + b; }
  friend void to_json(nlohmann::json& j, const SparseText& t) { j = t.str(); }

 private:
  std::unique_ptr<std::string> text_;
};

struct EdgeData {
  EdgeType type = EdgeType::funding;
  // funding
  Name mechanism;
  int64_t amount = 0, count = 0;
  uint32_t first_date = 0, last_date = 0;
  int64_t tagged = 0, own = 0, loan = 0, untagged = 0;  // split by funded-by
  // responsibility
  SparseText kind, subject, joint_with;  // joint_with: the other responsible parties, ';'-separated
  bool recorded = true, joint = false;
  uint32_t start = 0, end = 0;
  uint64_t seq = 0;
  // contract
  SparseText reference, model, ended;
  int64_t cap = 0, paid = 0;
  bool gap = false;  // money without a line, a line without money, a payment after a failure
};

// Edges are kept in one vector (the last vecS), not Boost's default std::list:
// at a million payments 656,000 funding edges were each a list node of its
// own (~200 bytes, one allocation apiece, a second of the build). Edges are
// only ever added, never removed, so no edge descriptor is invalidated but
// by the vector's growth while edges are added (build_map reserves).
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::bidirectionalS, VertexData, EdgeData,
                                    boost::no_property, boost::vecS>;
using Vertex = Graph::vertex_descriptor;
using Edge = Graph::edge_descriptor;

namespace detail {
struct Trace;
}

// A trace build_map still makes on another core, reading the facts of the
// Map that holds this (BuildOptions). Copying, moving or assigning first
// waits for it to finish (so no facts are copied, moved or overwritten while
// it reads them), and so does destroying it.
class PendingTrace {
 public:
  PendingTrace() = default;
  PendingTrace(const PendingTrace& o) : f_((o.wait(), o.f_)) {}
  PendingTrace(PendingTrace&& o) noexcept : f_((o.wait(), std::move(o.f_))) {}
  PendingTrace& operator=(const PendingTrace& o) {
    o.wait();
    wait();
    f_ = o.f_;
    return *this;
  }
  PendingTrace& operator=(PendingTrace&& o) noexcept {
    o.wait();
    wait();
    f_ = std::move(o.f_);
    return *this;
  }
  ~PendingTrace() { wait(); }
  // Holds `f`, started by the caller (after waiting for what was held).
  void hold(std::shared_future<std::shared_ptr<const detail::Trace>> f) {
    wait();
    f_ = std::move(f);
  }
  void wait() const {
    if (f_.valid()) f_.wait();
  }
  // The trace once made (waiting for it), then nothing pending; null when none was started.
  std::shared_ptr<const detail::Trace> take() {
    if (!f_.valid()) return nullptr;
    auto t = f_.get();
    f_ = {};
    return t;
  }
  bool started() const { return f_.valid(); }

 private:
  std::shared_future<std::shared_ptr<const detail::Trace>> f_;
};

struct Map {
  // The pools' trace while build_map still makes it (BuildOptions::trace_pools);
  // by_pools takes it on first use. The first member, so that a Map's copy,
  // move or assignment waits for it before touching `facts`, which it reads;
  // ~Map waits for it before any member goes.
  mutable PendingTrace pools_pending;
  Facts facts;
  Graph graph;
  std::map<std::string, Vertex> index;  // party id -> vertex
  std::vector<Line> implicit;           // the implicit lines added to the graph
  std::optional<Vertex> find(const std::string& id) const;
  // The source-of-funds traces the analyses share (internal.h, traced()):
  // each made on first use, so `map summary`, which runs every analysis,
  // traces the money once per set of origins rather than once per analysis.
  mutable std::shared_ptr<const detail::Trace> by_natural_origins, by_pools;

  Map() = default;
  Map(const Map&) = default;
  Map(Map&&) = default;
  Map& operator=(const Map&) = default;
  Map& operator=(Map&&) = default;
  ~Map() { pools_pending.wait(); }
};

// What the caller will ask of the map beyond the graph, so build_map can
// start it early: the pools' trace (concentration, patterns and the summary
// read it) on another core beside the graph and the natural trace, instead
// of after them. Nothing else changes: the map and every answer are the same.
struct BuildOptions {
  bool trace_pools = false;
};

Map build_map(const Ledger& ledger, const AsOf& as_of = {}, BuildOptions options = {});
Map build_map(Facts facts, BuildOptions options = {});

// Export filters. --kind other than all drops parties left without an edge.
struct Filter {
  bool funding = true, responsibility = true, contracts = true;
  std::string pool;  // only the pool's contributors, what it funds and who answers for those
  int depth = -1;    // funding steps from the pool (or from the first payers); -1: no limit
};
Filter parse_filter(const std::string& kind, const std::string& pool, int depth, const Map& m);
Map filtered(const Map& m, const Filter& f);

// ---- analyses (each: a result, its JSON and its text) ---------------------

struct Amount {  // a party and an amount
  std::string party;
  int64_t amount = 0;
};

// Follow the money. A source is a party's own budget ("funds": commissioners,
// funders, and --from), an intermediary's own money ("own": pre-financing) or
// a loan it took ("loan").
struct SourceTrace {
  std::string party, type;  // type: funds|own|loan
  int64_t paid_out = 0;
  std::vector<Amount> held;  // where that money sits now, largest first
};
struct PreFinancing {
  std::string party;
  int64_t prefinanced = 0, loan = 0, recovered = 0, outstanding = 0;
  std::vector<Amount> went_to;
};
struct MoneyReport {
  std::string from;
  std::vector<SourceTrace> sources;
  std::vector<PreFinancing> prefinancing;
  int64_t followed_by_tag = 0, pro_rata = 0;  // how the amounts paid on were attributed
};
MoneyReport follow_money(const Map& m, const std::string& from = "");

struct Frontline {
  std::string integrator;
  int64_t received = 0, fees = 0, passed_independent = 0, passed_controlled = 0, kept = 0;
  int64_t prefinanced = 0, recovered = 0;
  // What self-delivery (below) is made of, each >= 0: of what it kept, the
  // outcome payments for claims it passed to no one (outcomes it delivered
  // itself), and the rest, not yet passed on; what went to its own group.
  int64_t self_delivered = 0, not_passed_on = 0;
  uint32_t frontline_bp = 0;    // passed_independent / received
  uint32_t self_bp = 0;         // (kept + passed_controlled) / (received - fees)
  uint32_t not_passed_on_bp = 0, self_delivered_bp = 0, group_bp = 0;  // each / (received - fees)
  std::string declared, flows;  // declared: "", pure, blended; flows: pure|blended|none
  bool contradicts = false;
  std::vector<Amount> controlled;  // group members it paid
};
std::vector<Frontline> frontline(const Map& m);

struct Hop {  // `from` answers to `to` for the subject through these lines
  std::string from, to;
  std::vector<Line> lines;  // the subject's recorded lines between them, or the implicit line
};
struct Chain {
  std::vector<Hop> hops;
  std::string top;
  std::vector<std::string> office_holders;  // offices whose parent is `top`, or `top` itself
};
struct WhoAnswer {
  std::string subject;
  bool found = false;
  std::vector<std::string> delivering;
  std::vector<Chain> chains;
  std::vector<std::string> subjects;  // every subject recorded, when not found
};
// Chains follow only the subject's own recorded lines; a party with none
// above it that answers implicitly (not a commissioner, funder, office, board,
// regulator or auditor) answers, unrecorded, to the commissioner whose money it
// holds (implicit.cpp's rule), for this subject.
WhoAnswer who_answers(const Map& m, const std::string& subject);
std::vector<WhoAnswer> who_answers(const Map& m, const std::vector<std::string>& subjects);  // one trace for all
std::vector<std::string> subjects(const Map& m);

struct Gap {
  std::string type;  // money-without-line | no-last-resort | paid-after-failure | line-without-money
  std::string party, other;  // other: the implicit accountable, the payer, the accountable
  int64_t amount = 0;
  uint64_t seq = 0;
  std::string detail;
};
std::vector<Gap> find_gaps(const Map& m);

struct Market {  // providers' shares of one spender's money that reached providers
  std::string spender, spender_kind;
  int64_t total = 0;
  std::vector<Amount> shares;
  uint32_t hhi = 0;  // Herfindahl-Hirschman index, 0..10000
  std::string level;
};
struct Dependence {
  std::string provider, top_payer;
  int64_t received = 0, top_amount = 0;
  uint32_t bp = 0;
  int payers = 0;
};
struct Group {
  std::string controller;
  std::vector<std::string> members;
  int64_t received = 0;
  std::vector<std::string> contracts;
};
struct Dominators {
  bool plain_tree = true;
  struct Merge {
    std::string party, idom;  // idom "" : no single party dominates
    std::vector<std::string> payers;
  };
  std::vector<Merge> merges;
  std::map<std::string, std::vector<std::string>> dominators;  // real dominators -> what they dominate
};
struct Concentration {
  std::vector<Market> markets;
  std::vector<Dependence> dependence;
  std::vector<Group> groups;
  Dominators dominators;
};
Concentration concentration(const Map& m);
uint32_t hhi(const std::vector<int64_t>& amounts);  // round(10000 * sum a^2 / (sum a)^2)

struct Patterns {
  struct PaidTwice {
    std::string claim, milestone;
    std::vector<uint64_t> seqs;
  };
  struct NearMiss {
    std::string subject;
    std::vector<Amount> pools;
  };
  struct ShareCheck {
    std::string pool, party;
    uint32_t agreed_bp = 0;
    int64_t expected = 0, contributed = 0;
    bool free_rider = false;
  };
  struct Beneficiary {
    std::string pool, party, via;
    int64_t amount = 0;  // the pool's money reaching the parties it answers for
  };
  struct Risk {
    std::string contract, payer, payee;
    int64_t total = 0, on_outcomes = 0;
    uint32_t bp = 0;
  };
  std::vector<PaidTwice> paid_twice;
  std::vector<NearMiss> near_misses;
  std::vector<ShareCheck> shares;
  std::vector<Beneficiary> non_contributors;
  std::vector<Risk> risk;
  int layers = 0;                       // most funding steps from a first payer to a recipient
  std::map<std::string, int> layer_of;  // party -> steps
  std::vector<std::vector<std::string>> cycles;
};
Patterns patterns(const Map& m);

// JSON and readable text of each analysis (amounts as decimal text + *_minor).
// JSON holds every entry. Text shows at most `limit` entries of each list
// (kEveryEntry: all): the largest where entries have an amount, in the list's
// order, then how many more and "--all for every one". The CLI shows
// kTextLimit unless --all.
constexpr size_t kEveryEntry = 0, kTextLimit = 20;
nlohmann::json to_json(const Map& m, const MoneyReport& r);
nlohmann::json to_json(const Map& m, const std::vector<Frontline>& r);
nlohmann::json to_json(const Map& m, const WhoAnswer& r);
nlohmann::json to_json(const Map& m, const std::vector<Gap>& r);
nlohmann::json to_json(const Map& m, const Concentration& r);
nlohmann::json to_json(const Map& m, const Patterns& r);
std::string to_text(const Map& m, const MoneyReport& r, size_t limit = kEveryEntry);
std::string to_text(const Map& m, const std::vector<Frontline>& r, size_t limit = kEveryEntry);
std::string to_text(const Map& m, const WhoAnswer& r, size_t limit = kEveryEntry);
std::string to_text(const Map& m, const std::vector<Gap>& r, size_t limit = kEveryEntry);
std::string to_text(const Map& m, const Concentration& r, size_t limit = kEveryEntry);
std::string to_text(const Map& m, const Patterns& r, size_t limit = kEveryEntry);

// One page a councillor can read: what came in, where it went, who answers, what looks wrong.
nlohmann::json summary_json(const Map& m);
std::string summary_text(const Map& m);

// ---- exports --------------------------------------------------------------

void write_graphml(const Map& m, std::ostream& out);
void write_dot(const Map& m, std::ostream& out);
void write_json(const Map& m, std::ostream& out);
void write_csv(const Map& m, std::ostream& out);
// Runs Graphviz's `dot -Tsvg`; Error(unusable) saying how to install it when absent.
void write_svg(const Map& m, std::ostream& out);
bool graphviz_available();

// What the picture (DOT, SVG) says beyond the map it draws, when that map is
// filtered(): the gaps found on the whole map, so each red outline names its
// gap as `map gaps` does, and how the map was cut, for the title. Without
// notes the picture takes the gaps of the map it is given.
struct PictureNotes {
  std::vector<Gap> gaps;
  std::string filter;  // e.g. "funding only, from riverside-pool, at most 1 step"; "" = everything
};
void write_dot(const Map& m, std::ostream& out, const PictureNotes& notes);
void write_svg(const Map& m, std::ostream& out, const PictureNotes& notes);

}  // namespace fundtrail::map
