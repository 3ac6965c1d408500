#include "accountability/report.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "accountability/internal.h"
#include "accountability/report_assets.h"
#include "ledger/assert.h"
#include "ledger/batch_proof.h"
#include "ledger/error.h"
#include "ledger/note.h"
#include "ledger/record.h"

namespace fundtrail::map {
namespace {

std::string b64(std::span<const uint8_t> bytes) { return base64(bytes); }
nlohmann::json hashes_json(const std::vector<Hash>& hashes) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& h : hashes) out.push_back(base64(h));
  return out;
}

nlohmann::json parties_json(const Map& m) {
  nlohmann::json out = nlohmann::json::array();
  for (auto v : boost::make_iterator_range(vertices(m.graph))) {
    const VertexData& d = m.graph[v];
    out.push_back({{"id", d.id}, {"name", d.name}, {"kind", d.kind}, {"sector", d.sector}, {"status", d.status},
                   {"failed", d.failed}, {"gap", d.gap}, {"received", d.received}, {"paid", d.paid},
                   {"balance", d.received - d.paid}});
  }
  return out;
}

nlohmann::json contracts_json(const Map& m) {
  std::unordered_map<uint64_t, std::pair<int64_t, int64_t>> paid;  // contract seq -> (paid, of which on outcomes)
  for (const Money& money : m.facts.money) {
    if (!money.contract_seq) continue;
    auto& p = paid[money.contract_seq];
    p.first += money.net();
    if (money.mechanism == "milestone") p.second += money.net();
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [seq, c] : m.facts.contracts) {
    auto p = paid.count(seq) ? paid[seq] : std::pair<int64_t, int64_t>{0, 0};
    out.push_back({{"seq", seq}, {"reference", c.reference}, {"payer", c.payer}, {"payee", c.payee},
                   {"subject", c.subject}, {"model", c.model}, {"cap", c.cap}, {"paid", p.first},
                   {"on_outcomes", p.second}, {"ended", c.ended}});
  }
  return out;
}

// The picture's graph: parties by index; money aggregated per payer and
// payee as rows [payer, payee, amount, "mechanism,..."]; responsibility lines
// as rows [accountable, responsible, kind, subject, recorded]. Rows, not
// objects: at 5,000 parties there are ~60,000 money edges, and the page's
// size and parse time follow the bytes per edge.
nlohmann::json graph_json(const Map& m) {
  nlohmann::json nodes = nlohmann::json::array(), funding = nlohmann::json::array(), lines = nlohmann::json::array();
  for (auto v : boost::make_iterator_range(vertices(m.graph))) {
    const VertexData& d = m.graph[v];
    nodes.push_back({{"id", d.id}, {"name", d.name}, {"kind", d.kind}, {"failed", d.failed}, {"gap", d.gap}});
  }
  std::map<std::pair<size_t, size_t>, std::pair<int64_t, std::set<std::string>>> money;
  for (auto e : boost::make_iterator_range(boost::edges(m.graph))) {
    const EdgeData& d = m.graph[e];
    size_t s = source(e, m.graph), t = target(e, m.graph);
    if (d.type == EdgeType::funding) {
      auto& agg = money[{s, t}];
      agg.first += d.amount;
      agg.second.insert(d.mechanism);
    } else if (d.type == EdgeType::responsibility) {
      lines.push_back({s, t, d.kind.str(), d.subject.str(), d.recorded});
    }
  }
  for (auto& [st, agg] : money) {
    if (agg.first <= 0) continue;  // refunded to nothing
    std::string mechanisms;
    for (auto& mech : agg.second) mechanisms += (mechanisms.empty() ? "" : ",") + mech;
    funding.push_back({st.first, st.second, agg.first, mechanisms});
  }
  return {{"nodes", nodes}, {"funding", funding}, {"lines", lines}};
}

// The gaps that name a payment (the page links them to its proved row);
// the others are in the summary's findings.
nlohmann::json gaps_json(const std::vector<Gap>& gaps) {
  nlohmann::json out = nlohmann::json::array();
  for (const Gap& g : gaps)
    if (g.seq) out.push_back({{"type", g.type}, {"party", g.party}, {"other", g.other}, {"amount", g.amount}, {"seq", g.seq},
                   {"detail", g.detail}});
  return out;
}

// The payments the page lists: those what looks wrong names, then the
// largest, up to `limit`, each with what the page needs to prove it.
nlohmann::json payments_json(const Ledger& ledger, const Map& m, const std::vector<Gap>& gaps, uint64_t proved_size,
                             size_t limit, nlohmann::json& batches) {
  std::vector<const Money*> chosen;
  std::set<uint64_t> taken;  // the gaps' payments first (at most `limit`), then the largest
  for (const Gap& g : gaps)
    if (g.seq && taken.size() < limit) taken.insert(g.seq);
  for (const Money& money : m.facts.money)
    if (taken.count(money.seq)) chosen.push_back(&money);
  std::vector<const Money*> ranked;
  ranked.reserve(m.facts.money.size());
  for (const Money& money : m.facts.money) ranked.push_back(&money);
  size_t want = std::min(limit, ranked.size());
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(want), ranked.end(),
                    [](const Money* a, const Money* b) { return a->amount != b->amount ? a->amount > b->amount : a->seq < b->seq; });
  for (size_t i = 0; i < want && chosen.size() < limit; ++i)
    if (taken.insert(ranked[i]->seq).second) chosen.push_back(ranked[i]);
  std::sort(chosen.begin(), chosen.end(), [](const Money* a, const Money* b) { return a->amount != b->amount ? a->amount > b->amount : a->seq < b->seq; });

  std::unordered_map<uint64_t, std::vector<Hash>> run_leaves;  // one read of each run
  nlohmann::json out = nlohmann::json::array();
  for (const Money* money : chosen) {
    nlohmann::json row{{"seq", money->seq}, {"from", money->from}, {"to", money->to}, {"amount_minor", money->amount},
                       {"refunded_minor", money->refunded}, {"date", money->value_date}, {"mechanism", money->mechanism}};
    if (money->seq < proved_size) {
      Bytes leaf = ledger.leaf(money->seq);
      nlohmann::json proof{{"leaf", b64(leaf)}, {"hashes", hashes_json(ledger.inclusion_proof(money->seq, proved_size))}};
      uint64_t batch_seq = Record(leaf).leaf().getBatchSeq();
      if (batch_seq != 0) {
        auto it = run_leaves.find(batch_seq);
        if (it == run_leaves.end()) it = run_leaves.emplace(batch_seq, run_leaf_hashes(ledger, batch_seq)).first;
        BatchProof bp = batch_proof(ledger, money->seq, it->second);
        proof["batch"] = {{"seq", bp.batch_seq}, {"index", bp.index}, {"count", bp.count}, {"hashes", hashes_json(bp.hashes)}};
        std::string key = std::to_string(batch_seq);
        if (!batches.contains(key))
          batches[key] = {{"leaf", b64(ledger.leaf(batch_seq))},
                          {"hashes", hashes_json(ledger.inclusion_proof(batch_seq, proved_size))}};
      }
      row["proof"] = proof;
    }
    out.push_back(row);
  }
  return out;
}

}  // namespace

nlohmann::json report_data(const Ledger& ledger, const Map& m, const ReportOptions& options) {
  const LedgerFacts& facts = ledger.facts();
  std::string log_key = verifier_key_text(facts.origin, 0x01, facts.log_key);
  nlohmann::json proof{{"log_key", log_key}, {"checkpoint", nullptr}, {"size", 0}};
  uint64_t proved_size = 0;
  if (options.checkpoint) {
    std::string why;
    auto key = parse_verifier_key(log_key, why);
    FT_ASSERT(key.has_value(), "the ledger's own log key does not parse");
    auto cp = open_checkpoint(*options.checkpoint, facts.origin, *key, why);
    if (!cp) throw Error(ErrorKind::unusable, "the checkpoint is not one of this ledger's log: " + why);
    if (cp->size > ledger.size() || cp->size == 0 || ledger.root(cp->size) != cp->root)
      throw Error(ErrorKind::unusable, "the checkpoint of size " + std::to_string(cp->size) +
                                           " does not match this ledger's records (is it another copy's?)");
    proof["checkpoint"] = *options.checkpoint;
    proof["size"] = cp->size;
    proved_size = cp->size;
  }
  proof["verifier"] = options.verifier;
  proof["verifier_note"] = options.verifier_note;

  std::vector<Gap> gaps = find_gaps(m);
  nlohmann::json batches = nlohmann::json::object();
  nlohmann::json payments = payments_json(ledger, m, gaps, proved_size, options.max_payments, batches);
  return {{"origin", facts.origin},
          {"currency", facts.currency},
          {"exponent", facts.exponent},
          {"records", ledger.size()},
          {"as_of", m.facts.as_of.text},
          {"summary", summary_json(m)},
          {"parties", parties_json(m)},
          {"contracts", contracts_json(m)},
          {"gaps", gaps_json(gaps)},
          {"graph", graph_json(m)},
          {"payments", payments},
          {"payments_total", m.facts.money.size()},  // what the page lists is cut to max_payments
          {"batches", batches},
          {"proof", proof}};
}

std::string report_html(const nlohmann::json& data) {
  // In a script element only "</" can end it early; "<\/" is the same JSON.
  std::string json = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string safe;
  safe.reserve(json.size() + 64);
  for (size_t i = 0; i < json.size(); ++i) {
    if (json[i] == '<' && i + 1 < json.size() && json[i + 1] == '/') {
      safe += "<\\/";
      ++i;
    } else {
      safe += json[i];
    }
  }
  // The template split at its marks, each filled once: nothing inserted is
  // searched again, so no asset or data can plant a mark of its own.
  const std::pair<std::string_view, std::string_view> fills[] = {{"/*FT:CSS*/", report_assets::css},
                                                                 {"/*FT:D3*/", report_assets::d3},
                                                                 {"/*FT:VERIFY*/", report_assets::verify},
                                                                 {"/*FT:DATA*/", safe},
                                                                 {"/*FT:APP*/", report_assets::app}};
  std::string_view rest = report_assets::page;
  std::string page;
  page.reserve(rest.size() + safe.size() + report_assets::d3.size() + report_assets::app.size() + 4096);
  for (auto& [mark, with] : fills) {
    size_t at = rest.find(mark);
    FT_ASSERT(at != std::string_view::npos, "the report template lacks a placeholder, or has them out of order");
    page += rest.substr(0, at);
    page += with;
    rest.remove_prefix(at + mark.size());
  }
  page += rest;
  return page;
}

}  // namespace fundtrail::map
