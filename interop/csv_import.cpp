#include "interop/csv_import.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "interop/csv_rows.h"
#include "ledger/error.h"
#include "ledger/hash.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"
#include "ledger/request.h"

namespace fundtrail::interop {
namespace {


// "a|b|c": the accepted words, for messages.
std::string join_bar(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : "|") + n;
  return out;
}

const std::vector<std::string> kColumns = {"kind",  "from",     "to",     "amount", "currency",  "date",
                                           "mechanism", "milestone", "contract", "count", "group", "claims",
                                           "funded_by", "reference", "memo", "idempotency_key"};

struct Row {
  size_t line = 0;
  size_t source = 0;  // index into RowsImport::rows
  std::map<std::string, std::string> cell;
  std::string idempotency_key;
};

std::vector<std::string> split_claims(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    size_t end = s.find(';', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The body a row asks for; errors name the row's line. A row naming an
// unknown contract is the writer's rule 9 refusal (exit 1), as from `pay`.
spec::Body row_body(const Row& r, const Ledger& ledger) {
  const LedgerFacts& facts = ledger.facts();
  const std::string at = "line " + std::to_string(r.line) + ": ";
  auto fail = [&](const std::string& why) -> spec::Body { unusable(at + why); };
  auto get = [&](const char* c) { return r.cell.at(c); };
  std::string kind = get("kind");
  if (kind != "contribution" && kind != "payment") return fail("kind '" + kind + "' must be contribution or payment");
  for (const char* req : {"from", "to", "amount", "date"})
    if (get(req).empty()) return fail(std::string("the '") + req + "' cell is empty");
  std::string currency = get("currency").empty() ? facts.currency : get("currency");
  if (currency != facts.currency)
    return fail("currency '" + currency + "' is not this ledger's currency '" + facts.currency + "'");
  MoneyParse amount = parse_money(get("amount"), facts.exponent);
  if (!amount.ok()) return fail("amount '" + get("amount") + "': " + amount.message);
  uint32_t date = parse_date(get("date"));
  if (!date) return fail("date '" + get("date") + "' is not YYYY-MM-DD");
  if (kind == "contribution") {
    for (const char* c : {"mechanism", "milestone", "contract", "count", "group", "claims", "funded_by", "memo"})
      if (!get(c).empty()) return fail(std::string("a contribution has no '") + c + "'");
    spec::Contribution c;
    c.from = get("from");
    c.to = get("to");
    c.amount = amount.minor;
    c.currency = currency;
    c.value_date = date;
    c.reference = get("reference");
    return c;
  }
  auto mech = mechanism_from(get("mechanism"));
  if (!mech) return fail("mechanism '" + get("mechanism") + "' must be one of " + join_bar(mechanism_names()));
  spec::Payment p;
  if (!get("contract").empty()) {
    try {
      p.contract_seq = contract_seq_for(ledger, get("contract"));
    } catch (const Error& e) {
      if (e.check.empty()) throw;
      throw Error(e.check, e.field, e.seq, e.message, at);
    }
  }
  uint32_t count = 0;
  if (!get("count").empty()) {
    if (get("count").find_first_not_of("0123456789") != std::string::npos || get("count").size() > 9)
      return fail("count '" + get("count") + "' must be a whole number");
    count = static_cast<uint32_t>(std::stoul(get("count")));
  }
  if (!get("funded_by").empty()) {
    try {
      p.funded_by = parse_funded_by(get("funded_by"), "funded_by");
    } catch (const Error& e) {
      fail(e.what());
    }
  }
  p.from = get("from");
  p.to = get("to");
  p.amount = amount.minor;
  p.currency = currency;
  p.value_date = date;
  p.mechanism = *mech;
  p.milestone = get("milestone");
  p.outcome_count = count;
  p.group = get("group");
  p.claim_ids = split_claims(get("claims"));
  p.memo = get("memo");
  p.reference = get("reference");
  return p;
}

// The file's rows; every data row is also kept as read in `out.rows` (for a
// rejects file), and a row with the wrong number of cells is refused, or with
// `keep_going` listed in `out.unreadable`.
std::vector<Row> read_rows(const std::string& path, RowsImport& out, bool keep_going) {
  auto csv = read_csv(path);
  if (csv.empty()) unusable(path + " is empty: it needs the header line " + join_bar(kColumns));
  auto& header = csv[0].fields;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string& h = header[i];
    if (std::find(kColumns.begin(), kColumns.end(), h) == kColumns.end())
      unusable(path + ": line 1: unknown column '" + h + "'; the columns are " + join_bar(kColumns));
    if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), h) != header.begin() + static_cast<std::ptrdiff_t>(i))
      unusable(path + ": line 1: the header names the column '" + h + "' twice; which one holds the value would be a guess");
  }
  for (const char* req : {"kind", "from", "to", "amount", "date"})
    if (std::find(header.begin(), header.end(), req) == header.end())
      unusable(path + ": line 1: the header lacks the column '" + std::string(req) + "'");
  std::string file = std::filesystem::path(path).filename().string();
  std::map<std::string, size_t> seen;  // identical rows so far, for derived keys
  std::vector<Row> rows;
  out.header = header;
  for (size_t i = 1; i < csv.size(); ++i) {
    auto& f = csv[i].fields;
    out.rows.push_back({csv[i].line, f});
    if (f.size() != header.size()) {
      std::string why = std::to_string(f.size()) + " cells, the header has " + std::to_string(header.size());
      if (!keep_going) unusable(path + ": line " + std::to_string(csv[i].line) + ": " + why);
      out.unreadable.push_back({out.rows.size() - 1, why});
      continue;
    }
    Row r;
    r.line = csv[i].line;
    r.source = out.rows.size() - 1;
    for (auto& c : kColumns) r.cell[c] = "";
    std::string content;
    for (size_t k = 0; k < f.size(); ++k) {
      r.cell[header[k]] = f[k];
      if (header[k] != "idempotency_key") content += header[k] + "=" + f[k] + "\x1f";
    }
    r.idempotency_key = r.cell["idempotency_key"];
    if (r.idempotency_key.empty()) {
      // File name + row content + how many identical rows came before: a
      // corrected row is a new request, an inserted row changes no other key.
      size_t nth = seen[content]++;
      std::string basis = file + "\n" + content + "\n" + std::to_string(nth);
      Hash h = sha256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(basis.data()), basis.size()));
      r.idempotency_key = "import-" + hex(std::span<const uint8_t>(h.data(), 16));
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

RowsImport prepare_csv_rows(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys,
                            bool keep_going) {
  const LedgerFacts& facts = ledger.facts();
  RowsImport out;
  std::vector<Row> rows = read_rows(path, out, keep_going);
  ActingKeys acting = acting_keys(ledger, keys);
  ImportJob& job = out.job;
  int64_t now = import_clock_ms();
  for (auto& r : rows) {
    std::string where = "line " + std::to_string(r.line);
    try {
      spec::Body body = row_body(r, ledger);
      std::vector<const KeyPair*> signers;
      if (const auto* pay = std::get_if<spec::Payment>(&body)) {
        signers = payment_signers(acting, *pay, facts.dual_control_threshold, where);
      } else {
        auto it = acting.find(r.cell["from"]);
        if (it == acting.end() || it->second.front().second != schema::Role::OFFICER)
          unusable(where + ": none of the --key files is an officer key of '" + r.cell["from"] + "'");
        signers.push_back(it->second[0].first);
      }
      if (!valid_utf8(r.idempotency_key) || r.idempotency_key.size() > kIdempotencyLimit)
        unusable(where + ": idempotency_key is over 128 bytes or not UTF-8");
      job.requests.push_back({encode_entry(facts.origin, now, r.idempotency_key, body), {}});
      job.signers.push_back(std::move(signers));
      job.where.push_back(where);
      out.row_of.push_back(long(r.source));
    } catch (const Error& e) {
      if (!keep_going) throw;
      std::string why = e.what();
      if (why.rfind(where + ": ", 0) == 0) why = why.substr(where.size() + 2);  // the rejects file names the line
      out.unreadable.push_back({r.source, why});
    }
  }
  return out;
}

ImportJob prepare_csv_import(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys) {
  return prepare_csv_rows(path, ledger, keys, false).job;
}

}  // namespace fundtrail::interop
