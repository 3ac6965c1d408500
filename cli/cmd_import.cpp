// import FILE.csv: contributions and payments in bulk, validated whole first,
// then appended in batches of 10,000 (each batch one transaction).
// import --format 360giving: the same for a 360Giving file (interop/giving_import.h).
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <thread>

#include "cli/context.h"
#include "cli/progress.h"
#include "interop/csv_rows.h"
#include "interop/giving_import.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail::cli {
namespace {

using interop::ImportJob;

const std::vector<std::string> kColumns = {"kind",  "from",     "to",     "amount", "currency",  "date",
                                           "mechanism", "milestone", "contract", "count", "group", "claims",
                                           "funded_by", "reference", "memo", "idempotency_key"};
constexpr size_t kBatch = 10000;

struct Row {
  size_t line = 0;
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

// The body a row asks for; errors name the row's line.
BodyFiller row_body(const Row& r, const Ledger& ledger) {
  const LedgerFacts& facts = ledger.facts();
  auto fail = [&](const std::string& why) -> BodyFiller { usage_error("line " + std::to_string(r.line) + ": " + why); };
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
    std::string from = get("from"), to = get("to"), ref = get("reference");
    return [=](schema::Entry::Body::Builder b) {
      auto c = b.initContribution();
      c.setFrom(from);
      c.setTo(to);
      c.setAmount(amount.minor);
      c.setCurrency(currency);
      c.setValueDate(date);
      c.setReference(ref);
    };
  }
  auto mech = mechanism_from(get("mechanism"));
  if (!mech) return fail("mechanism '" + get("mechanism") + "' must be one of " + join_names(mechanism_names()));
  uint64_t contract_seq = 0;
  if (!get("contract").empty()) {
    auto c = ledger.contract(get("contract"));
    if (!c) return fail("no contract with reference '" + get("contract") + "' (see 'fundtrail contract list')");
    contract_seq = c->seq;
  }
  if (!get("reference").empty()) return fail("a payment has no 'reference' (use 'memo')");
  uint32_t count = 0;
  if (!get("count").empty()) {
    if (get("count").find_first_not_of("0123456789") != std::string::npos || get("count").size() > 9)
      return fail("count '" + get("count") + "' must be a whole number");
    count = static_cast<uint32_t>(std::stoul(get("count")));
  }
  std::string fb = get("funded_by");
  if (!fb.empty() && fb != "own" && fb != "loan" && (fb.find_first_not_of("0123456789") != std::string::npos || fb.size() > 18))
    return fail("funded_by '" + fb + "' must be a seq, 'own' or 'loan'");
  auto claims = split_claims(get("claims"));
  std::string from = get("from"), to = get("to"), milestone = get("milestone"), group = get("group"), memo = get("memo");
  return [=](schema::Entry::Body::Builder b) {
    auto p = b.initPayment();
    p.setFrom(from);
    p.setTo(to);
    p.setAmount(amount.minor);
    p.setCurrency(currency);
    p.setValueDate(date);
    p.setMechanism(*mech);
    p.setMilestone(milestone);
    p.setContractSeq(contract_seq);
    p.setOutcomeCount(count);
    p.setGroup(group);
    auto list = p.initClaimIds(claims.size());
    for (size_t i = 0; i < claims.size(); ++i) list.set(i, claims[i]);
    if (fb == "own") p.getFundedBy().setOwn();
    else if (fb == "loan") p.getFundedBy().setLoan();
    else if (!fb.empty()) p.getFundedBy().setEntry(std::stoull(fb));
    p.setMemo(memo);
  };
}

std::vector<Row> read_rows(const std::string& path) {
  auto csv = interop::read_csv(path);
  if (csv.empty()) usage_error(path + " is empty: it needs the header line " + join_names(kColumns));
  auto& header = csv[0].fields;
  for (auto& h : header)
    if (std::find(kColumns.begin(), kColumns.end(), h) == kColumns.end())
      usage_error(path + ": line 1: unknown column '" + h + "'; the columns are " + join_names(kColumns));
  for (const char* req : {"kind", "from", "to", "amount", "date"})
    if (std::find(header.begin(), header.end(), req) == header.end())
      usage_error(path + ": line 1: the header lacks the column '" + std::string(req) + "'");
  std::string file = std::filesystem::path(path).filename().string();
  std::map<std::string, size_t> seen;  // identical rows so far, for derived keys
  std::vector<Row> rows;
  for (size_t i = 1; i < csv.size(); ++i) {
    auto& f = csv[i].fields;
    if (f.size() != header.size())
      usage_error(path + ": line " + std::to_string(csv[i].line) + ": " + std::to_string(f.size()) + " cells, the header has " +
                  std::to_string(header.size()));
    Row r;
    r.line = csv[i].line;
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

// The fundtrail CSV file as requests: each row signed by an officer key of
// its payer (and a second key of the payer at the dual-control threshold).
ImportJob csv_job(const std::string& path, const Ledger& ledger, const std::vector<KeyPair>& keys) {
  const LedgerFacts& facts = ledger.facts();
  std::vector<Row> rows = read_rows(path);
  // Which of the given keys act for which party, by the ledger's grants now.
  std::map<std::string, std::vector<std::pair<const KeyPair*, schema::Role>>> acting;
  for (auto& g : ledger.grants())
    for (auto& k : keys)
      if (!g.revoked && g.key == k.pk && (g.role == schema::Role::OFFICER || g.role == schema::Role::APPROVER))
        acting[g.party].push_back({&k, g.role});
  for (auto& [party, list] : acting)  // officers first: the first signer must be an officer
    std::stable_sort(list.begin(), list.end(), [](auto& a, auto& b) { return a.second < b.second; });

  ImportJob job;
  job.requests.resize(rows.size());
  job.signers.resize(rows.size());
  int64_t now = now_ms();
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    BodyFiller fill = row_body(r, ledger);
    auto it = acting.find(r.cell["from"]);
    if (it == acting.end() || it->second.front().second != schema::Role::OFFICER)
      usage_error("line " + std::to_string(r.line) + ": none of the --key files is an officer key of '" + r.cell["from"] + "'");
    bool dual = r.cell["kind"] == "payment" && parse_money(r.cell["amount"], facts.exponent).minor >= facts.dual_control_threshold;
    job.signers[i].push_back(it->second[0].first);
    if (dual) {
      if (it->second.size() < 2)
        usage_error("line " + std::to_string(r.line) + ": the payment is at or above the dual-control threshold and needs "
                    "a second --key of '" + r.cell["from"] + "'");
      job.signers[i].push_back(it->second[1].first);
    }
    if (!valid_utf8(r.idempotency_key) || r.idempotency_key.size() > kIdempotencyLimit)
      usage_error("line " + std::to_string(r.line) + ": idempotency_key is over 128 bytes or not UTF-8");
    job.requests[i].entry = build_entry(facts.origin, now, r.idempotency_key, fill);
    job.where.push_back("line " + std::to_string(r.line));
  }
  return job;
}

// Signs on every core: signing needs no ledger state.
void sign_all(ImportJob& job) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < job.requests.size();)
      for (auto* k : job.signers[i]) job.requests[i].signatures.push_back(sign_entry(job.requests[i].entry, *k));
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

struct Outcome {
  size_t recorded = 0, retried = 0;
  std::optional<uint64_t> first, last;
};

// Appends in batches of kBatch, each one transaction; a refusal names the
// request's place in the file.
Outcome append_all(Ledger& ledger, const ImportJob& job) {
  Outcome o;
  Progress progress("importing", job.requests.size());
  for (size_t start = 0; start < job.requests.size(); start += kBatch) {
    size_t end = std::min(job.requests.size(), start + kBatch);
    std::vector<SignedRequest> batch(job.requests.begin() + start, job.requests.begin() + end);
    std::vector<Appended> done;
    try {
      done = ledger.append_batch(batch);
    } catch (const Error& e) {
      // "request K: ..." -> the request's place in the file
      std::string what = e.what();
      size_t k = 0;
      if (what.rfind("request ", 0) == 0) k = std::stoul(what.substr(8));
      std::string where = k ? job.where[start + k - 1] + ": " + what.substr(what.find(": ") + 2) : what;
      throw Error(e.kind, where + (start ? " (rows before " + job.where[start] +
                                               " were recorded in earlier batches; re-run the import after fixing: they are not recorded twice)"
                                         : " (nothing from this file was written)"));
    }
    for (auto& a : done) {
      if (a.retried) {
        ++o.retried;
        continue;
      }
      ++o.recorded;
      if (!o.first) o.first = a.seq;
      o.last = a.seq;
    }
    progress.update(end);
  }
  progress.finish();
  return o;
}

// --dry-run: what would be recorded, from the idempotency keys already held.
Outcome dry_run(const Ledger& ledger, const ImportJob& job) {
  Outcome o;
  for (auto& r : job.requests) {
    EntryView v(r.entry);
    if (ledger.find_idempotency_key(v.entry().getIdempotencyKey().cStr())) ++o.retried;
    else ++o.recorded;
  }
  return o;
}

nlohmann::json seq_json(const std::optional<uint64_t>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); }

}  // namespace

void add_import_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file, format = "csv", admin_key;
    std::vector<std::string> keys;
    bool dry_run = false;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "import",
      "import: record contributions and payments from a CSV file, or grants from a 360Giving file. The whole\n"
      "file is checked first; a bad row stops the import with its line number and nothing is written. Rows are\n"
      "signed with the --key that acts for each row's payer (two keys of the payer at or above the dual-control\n"
      "threshold). Re-running an interrupted import records nothing twice. Header (docs/import.md):\n"
      "  kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,idempotency_key\n"
      "Example: fundtrail import april.csv --key council.key --key pool-officer.key --key pool-approver.key\n"
      "360Giving (docs/360giving.md): each grant is a payment (mechanism grant) signed by a --key of its funder, or a\n"
      "contribution when the recipient is a pool or the regrant type is FRG040; recipients not yet in the ledger are\n"
      "registered (matched by org id) with the --admin-key.\n"
      "Example: fundtrail import --format 360giving grants.json --key trust-officer.key --admin-key admin.key");
  cmd->add_option("FILE", o->file, "CSV file, or 360Giving CSV or JSON file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--key", o->keys, "key file of a paying party (repeat)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--format", o->format, "csv (fundtrail's own columns) or 360giving")
      ->check(CLI::IsMember({"csv", "360giving"}));
  cmd->add_option("--admin-key", o->admin_key, "administrator key (360Giving imports register new recipients)")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--dry-run", o->dry_run, "check the whole file and say what would be recorded; write nothing");
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger(o->dry_run);
    bool giving = o->format == "360giving";
    if (!giving && !o->admin_key.empty()) usage_error("--admin-key is for --format 360giving (recipients it registers)");
    // The whole file is checked with the keys' public halves; passphrases are
    // asked for only once it passes, and not at all for --dry-run.
    auto public_half = [](const std::string& path) {
      KeyFileInfo info = read_key_public(path);
      KeyPair k;
      k.name = info.name;
      k.pk = info.pk;
      return k;
    };
    auto unlock_in_place = [](KeyPair& k, const std::string& path) {
      KeyPair full = unlock_key(path);
      if (full.pk != k.pk) usage_error("key file " + path + " changed while the import was being checked");
      k = full;  // in place: the job points at these objects
    };
    std::vector<KeyPair> keys;
    for (auto& k : o->keys) keys.push_back(public_half(k));
    std::optional<KeyPair> admin;
    if (!o->admin_key.empty()) admin = public_half(o->admin_key);

    interop::GivingImport gi;
    ImportJob job;
    if (giving) {
      gi = interop::prepare_giving_import(o->file, ledger, keys, admin ? &*admin : nullptr);
      job = std::move(gi.job);
      for (auto& u : gi.unused) std::cerr << "note: " << o->file << ": not imported: '" << u << "'\n";
    } else {
      job = csv_job(o->file, ledger, keys);
    }
    Outcome out;
    if (o->dry_run) {
      out = dry_run(ledger, job);
    } else {
      for (size_t i = 0; i < keys.size(); ++i) unlock_in_place(keys[i], o->keys[i]);
      if (admin) unlock_in_place(*admin, o->admin_key);
      sign_all(job);
      out = append_all(ledger, job);
    }

    if (ctx.json) {
      nlohmann::json j = {{"recorded", out.recorded}, {"already_recorded", out.retried}};
      j["first_seq"] = seq_json(out.first);
      j["last_seq"] = seq_json(out.last);
      if (o->dry_run) j["dry_run"] = true;
      if (giving) {
        j["grants"] = gi.grants;
        nlohmann::json amounts = nlohmann::json::object();
        for (auto& [cur, minor] : gi.amount) amounts[cur] = format_money(minor, currency_exponent(cur));
        j["amount"] = amounts;
        j["new_parties"] = gi.new_parties;
        j["not_imported"] = gi.unused;
      }
      return print_json(j);
    }
    std::string what = giving ? " records" : " rows";
    if (o->dry_run) {
      std::cout << out.recorded << " - -\n";
      std::cerr << "dry run: " << out.recorded << what << " would be recorded";
      if (out.retried) std::cerr << "; " << out.retried << " are already recorded";
      std::cerr << "; nothing was written (the ledger's rules are checked when the records are appended)\n";
      return;
    }
    std::cout << out.recorded << " " << (out.first ? std::to_string(*out.first) : "-") << " "
              << (out.last ? std::to_string(*out.last) : "-") << "\n";
    std::cerr << "recorded " << out.recorded << what;
    if (out.first) std::cerr << " as seq " << *out.first << " to " << *out.last;
    if (out.retried)
      std::cerr << "; " << out.retried << what << " were already recorded (same idempotency key) and were skipped";
    std::cerr << "\n";
    if (giving) {
      std::cerr << gi.grants << " grants";
      for (auto& [cur, minor] : gi.amount) std::cerr << ", " << cur << " " << format_money(minor, currency_exponent(cur));
      std::cerr << "; " << gi.new_parties.size() << " new parties\n";
    }
  });
}

}  // namespace fundtrail::cli
