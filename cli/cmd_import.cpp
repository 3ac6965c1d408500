// import FILE.csv: contributions and payments in bulk, validated whole first,
// then appended in transactions of 10,000, each one payment run signed once
// (or every record signed on its own: cli/import_append.h).
// import --format 360giving: the same for a 360Giving file (interop/giving_import.h).
#include <algorithm>
#include <iostream>

#include "cli/context.h"
#include "cli/plural.h"
#include "cli/import_append.h"
#include "cli/progress.h"
#include "interop/csv_import.h"
#include "interop/giving_import.h"
#include "interop/input_file.h"
#include "interop/spend_import.h"
#include "interop/spend_rules.h"
#include "cli/atomic_file.h"
#include "ledger/money.h"

namespace fundtrail::cli {
namespace {

using interop::ImportJob;

constexpr size_t kBatch = 10000;

// The CLI's policy on value dates (check_value_date) for every money record
// of an import, before anything is signed.
void check_value_dates(const ImportJob& job, bool future_ok) {
  if (future_ok) return;
  for (size_t i = 0; i < job.requests.size(); ++i) {
    EntryView v(job.requests[i].entry);
    auto b = v.entry().getBody();
    uint32_t date = b.isPayment() ? b.getPayment().getValueDate() : b.isContribution() ? b.getContribution().getValueDate() : 0;
    if (date) check_value_date(date, false, job.where[i]);
  }
}

struct Outcome {
  size_t recorded = 0, retried = 0;
  std::optional<uint64_t> first, last;
};


// --dry-run: every request checked by the ledger's own rules against the
// current state, in order, as the real run would append them (signatures
// aside: nothing is signed, so each lists its signers' public keys); nothing
// is written. Every problem is kept, not only the first.
constexpr size_t kShownProblems = 50;
struct DryRun {
  Outcome outcome;
  std::vector<std::pair<size_t, Error>> problems;  // request index, refusal
};
DryRun dry_run(Ledger& ledger, const ImportJob& job) {
  std::vector<SignedRequest> requests = job.requests;
  for (size_t i = 0; i < requests.size(); ++i)
    for (const KeyPair* k : job.signers[i]) requests[i].signatures.push_back({k->pk, {}});
  std::vector<AppendOutcome> done = ledger.dry_run_each(requests);
  DryRun d;
  for (size_t i = 0; i < done.size(); ++i) {
    if (done[i].refused) d.problems.push_back({i, *done[i].refused});
    else if (done[i].appended->retried) ++d.outcome.retried;
    else ++d.outcome.recorded;
  }
  return d;
}

// The problems a dry run found: the first kShownProblems on stderr, each with
// where it is; the exit status 1 (2 when one is unusable input, as the real run would exit).
void report_problems(Context& ctx, const ImportJob& job, const std::vector<std::pair<size_t, Error>>& problems,
                     nlohmann::json* j) {
  if (problems.empty()) return;
  int status = 1;
  for (auto& [i, e] : problems) status = std::max(status, exit_code(e));
  ctx.exit_status = status;
  if (j) {
    nlohmann::json list = nlohmann::json::array();
    for (size_t k = 0; k < problems.size() && k < kShownProblems; ++k)
      list.push_back({{"where", job.where[problems[k].first]}, {"error", problems[k].second.what()},
                      {"check", problems[k].second.check}});
    (*j)["problems"] = list;
    (*j)["problem_count"] = problems.size();
    return;
  }
  for (size_t k = 0; k < problems.size() && k < kShownProblems; ++k)
    std::cerr << job.where[problems[k].first] << ": " << problems[k].second.what() << "\n";
  if (problems.size() > kShownProblems) std::cerr << "... and " << problems.size() - kShownProblems << " more\n";
  std::cerr << "dry run: the real import would meet " << (problems.size() == 1 ? "this problem" : "these " + count_of(problems.size(), "problem")) << "\n";
}

nlohmann::json seq_json(const std::optional<uint64_t>& s) { return s ? nlohmann::json(*s) : nlohmann::json(nullptr); }

// How this import appends (import_append.h): payment runs, unless the user
// asked for per-record signatures or the ledger predates runs (said once).
constexpr uint32_t kFirstRunFormat = 2;  // as ledger/batch.h's kFirstBatchFormat
struct AppendMode {
  bool runs = true;
};
AppendMode append_mode(const Ledger& ledger, bool per_record) {
  if (per_record) return {false};
  if (ledger.facts().format_version < kFirstRunFormat) {
    std::cerr << "note: this ledger was made before payment runs (format version " << ledger.facts().format_version
              << "): each record is signed on its own\n";
    return {false};
  }
  return {true};
}

// Signs and appends the job in the chosen form.
ImportCounts sign_and_append(Ledger& ledger, ImportJob& job, const std::vector<long>& row_of, bool keep_going,
                             AppendMode mode) {
  if (mode.runs) return append_runs(ledger, job, row_of, keep_going);
  sign_each(job);
  return append_signed(ledger, job, row_of, keep_going);
}

// The payment runs an import wrote, for --json: their count and where the
// first kShownRuns of them sit.
void runs_json(nlohmann::json& j, const ImportCounts& c) {
  j["payment_runs"] = c.run_count;
  nlohmann::json runs = nlohmann::json::array();
  for (const RunAppended& r : c.runs) runs.push_back({{"seq", r.seq}, {"first", r.first}, {"last", r.last}});
  j["runs"] = runs;
}
// " in 2 payment runs" for the stderr summary, empty without runs.
std::string runs_text(const ImportCounts& c) {
  return c.run_count ? " in " + count_of(c.run_count, "payment run") : "";
}

// An import of rows (published spending, or the plain CSV with --rejects):
// sign, append (all or nothing, or each on its own with a rejects file), write
// the rejects and print the count line (read = recorded + already recorded +
// skipped + rejected). `si` was prepared keeping going when `rejects_path` is
// given or `dry`.
void import_rows(Context& ctx, Ledger& ledger, interop::RowsImport& si, const std::string& rejects_path, bool dry,
                 const std::function<void()>& unlock, bool per_record) {
  bool keep_going = !rejects_path.empty();
  std::vector<std::pair<const interop::SourceRow*, std::string>> rejects;
  for (auto& [row, why] : si.unreadable) rejects.push_back({&si.rows[row], why});
  ImportCounts c;
  std::vector<std::pair<size_t, Error>> problems;
  if (dry) {
    DryRun d = dry_run(ledger, si.job);
    std::vector<bool> refused(si.job.requests.size());
    for (auto& [i, e] : d.problems) refused[i] = true;
    for (size_t i = 0; i < si.job.requests.size(); ++i) {
      if (refused[i]) continue;
      EntryView v(si.job.requests[i].entry);
      bool held = ledger.find_idempotency_key(v.entry().getIdempotencyKey().cStr()).has_value();
      if (si.row_of[i] < 0) c.registered += !held;
      else (held ? c.already : c.recorded) += 1;
    }
    for (auto& [i, e] : d.problems)
      if (si.row_of[i] >= 0) rejects.push_back({&si.rows[size_t(si.row_of[i])], e.what()});
    problems = std::move(d.problems);
  } else {
    AppendMode mode = append_mode(ledger, per_record);
    unlock();
    c = sign_and_append(ledger, si.job, si.row_of, keep_going, mode);
    for (auto& [k, why] : c.refused) {
      if (si.row_of[k] < 0) std::cerr << "note: " << si.job.where[k] << " was not registered: " << why << "\n";
      else rejects.push_back({&si.rows[size_t(si.row_of[k])], why});
    }
  }
  std::sort(rejects.begin(), rejects.end(), [](auto& a, auto& b) { return a.first->line < b.first->line; });
  if (keep_going && !dry) write_file_atomically(rejects_path, interop::rejects_csv(si.header, rejects));
  size_t read = si.rows.size(), rejected = rejects.size();
  if (ctx.json) {
    nlohmann::json j = {{"read", read},
                        {"recorded", c.recorded},
                        {"already_recorded", c.already},
                        {"skipped", si.skipped},
                        {"rejected", rejected},
                        {"parties_registered", c.registered},
                        {"first_seq", seq_json(c.first)},
                        {"last_seq", seq_json(c.last)}};
    if (!dry) runs_json(j, c);
    if (dry) {
      j["dry_run"] = true;
      nlohmann::json list = nlohmann::json::array();
      for (size_t k = 0; k < rejects.size() && k < kShownProblems; ++k)
        list.push_back({{"line", rejects[k].first->line}, {"error", rejects[k].second}});
      j["problems"] = list;
      if (!rejects.empty()) ctx.exit_status = 1;
    }
    return print_json(j);
  }
  if (dry)
    for (size_t k = 0; k < rejects.size() && k < kShownProblems; ++k)
      std::cerr << "line " << rejects[k].first->line << ": " << rejects[k].second << "\n";
  if (dry && rejects.size() > kShownProblems) std::cerr << "... and " << rejects.size() - kShownProblems << " more\n";
  if (dry && !rejects.empty()) ctx.exit_status = 1;
  std::cout << "read " << read << ", recorded " << c.recorded << ", already recorded " << c.already << ", skipped "
            << si.skipped << ", rejected " << rejected << ", parties registered " << c.registered << "\n";
  if (dry) std::cerr << "dry run: nothing was written; the real import would reject " << count_of(rejected, "row") << "\n";
  else if (c.first) std::cerr << "recorded as seq " << *c.first << " to " << *c.last << runs_text(c) << "\n";
  if (rejected && keep_going && !dry)
    std::cerr << (rejected == 1 ? "1 row is" : std::to_string(rejected) + " rows are") << " listed in " << rejects_path << " with their line and reason\n";
}

}  // namespace

void add_import_command(CLI::App& app, Context& ctx) {
  struct Opts {
    std::string file, format = "csv", admin_key, rules, rejects;
    std::vector<std::string> keys;
    bool dry_run = false, future_date = false, per_record = false;
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
      "Example: fundtrail import --format 360giving grants.json --key trust-officer.key --admin-key admin.key\n"
      "Published spending (docs/import.md): a council's 'spending over £500' CSV read through a rules file; each\n"
      "row is a payment (a purchase unless the rules say otherwise), a credit note a refund; new payees are\n"
      "registered with the --admin-key; --rejects FILE records the good rows and lists the others there.\n"
      "Example: fundtrail import --format spend 2025-04.csv --rules riverside.rules --key council.key \\\n"
      "           --admin-key admin.key --rejects 2025-04-rejects.csv\n"
      "Payment runs: every format is recorded in runs of up to 10,000 records, each approved by one signature\n"
      "of each --key that signs its rows (a batch record before them; `show SEQ --json` gives a record's batch_seq).\n"
      "--per-record-signatures signs every record on its own instead, as a ledger made before runs always does.\n"
      "Example: fundtrail import april.csv --key council.key --per-record-signatures");
  cmd->add_option("FILE", o->file, "CSV file, or 360Giving CSV or JSON file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--key", o->keys, "key file of a paying party (repeat)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--format", o->format, "csv (fundtrail's own columns), 360giving, or spend (published spending)")
      ->check(CLI::IsMember({"csv", "360giving", "spend"}));
  cmd->add_option("--admin-key", o->admin_key, "administrator key (360Giving and spending imports register new payees)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--rules", o->rules, "rules file mapping a spending file's columns (--format spend)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--rejects", o->rejects,
                  "record the rows that can be recorded and write the others here, each with its line and reason "
                  "(every format)");
  cmd->add_flag("--future-date", o->future_date, "accept value dates more than a year after today");
  cmd->add_flag("--per-record-signatures", o->per_record,
                "sign every record on its own, as before payment runs (the default signs each run of up to 10,000 "
                "records once)");
  cmd->add_flag("--dry-run", o->dry_run, "check the whole file and say what would be recorded; write nothing");
  add_json_flag(cmd, ctx);
  cmd->callback([o, &ctx] {
    Ledger ledger = ctx.open_ledger();  // a dry run checks the rules in a write transaction it aborts
    bool giving = o->format == "360giving", spend = o->format == "spend";
    if (!giving && !spend && !o->admin_key.empty())
      usage_error("--admin-key is for --format 360giving or spend (the payees they register)");
    if (spend && o->rules.empty()) usage_error("--format spend needs --rules FILE (docs/import.md: writing rules)");
    if (!spend && !o->rules.empty()) usage_error("--rules is for --format spend");
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

    auto unlock_all = [&] {
      for (size_t i = 0; i < keys.size(); ++i) unlock_in_place(keys[i], o->keys[i]);
      if (admin) unlock_in_place(*admin, o->admin_key);
    };
    bool keep_going = !o->rejects.empty() || o->dry_run;  // a dry run reports every row's problem
    if (spend) {
      interop::SpendImport si =
          interop::prepare_spend_import(o->file, o->rules, ledger, keys, admin ? &*admin : nullptr, keep_going);
      check_value_dates(si.job, o->future_date);
      return import_rows(ctx, ledger, si, o->rejects, o->dry_run, unlock_all, o->per_record);
    }
    if (!giving && !o->rejects.empty()) {
      interop::RowsImport ri = interop::prepare_csv_rows(o->file, ledger, keys, true);
      check_value_dates(ri.job, o->future_date);
      return import_rows(ctx, ledger, ri, o->rejects, o->dry_run, unlock_all, o->per_record);
    }
    if (giving && !o->rejects.empty()) {  // one row per grant: its place and identifier
      interop::GivingImport gr = interop::prepare_giving_import(o->file, ledger, keys, admin ? &*admin : nullptr, true);
      for (auto& u : gr.unused) std::cerr << "note: " << o->file << ": not imported: '" << u << "'\n";
      check_value_dates(gr.job, o->future_date);
      return import_rows(ctx, ledger, gr, o->rejects, o->dry_run, unlock_all, o->per_record);
    }
    interop::GivingImport gi;
    ImportJob job;
    if (giving) {
      gi = interop::prepare_giving_import(o->file, ledger, keys, admin ? &*admin : nullptr);
      job = std::move(gi.job);
      for (auto& u : gi.unused) std::cerr << "note: " << o->file << ": not imported: '" << u << "'\n";
    } else {
      job = interop::prepare_csv_import(o->file, ledger, keys);
    }
    check_value_dates(job, o->future_date);
    Outcome out;
    ImportCounts appended;  // and its runs, when not a dry run
    std::vector<std::pair<size_t, Error>> problems;
    if (o->dry_run) {
      DryRun d = dry_run(ledger, job);
      out = d.outcome;
      problems = std::move(d.problems);
    } else {
      AppendMode mode = append_mode(ledger, o->per_record);
      unlock_all();
      // Registrations count as records here (a 360Giving import says how
      // many new parties apart).
      appended = sign_and_append(ledger, job, std::vector<long>(job.requests.size(), 0), false, mode);
      out = {appended.recorded, appended.already, appended.first, appended.last};
    }

    if (ctx.json) {
      nlohmann::json j = {{"recorded", out.recorded}, {"already_recorded", out.retried}};
      j["first_seq"] = seq_json(out.first);
      j["last_seq"] = seq_json(out.last);
      if (o->dry_run) j["dry_run"] = true;
      else runs_json(j, appended);
      report_problems(ctx, job, problems, &j);
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
    std::string what = giving ? "record" : "row";
    if (o->dry_run) {
      report_problems(ctx, job, problems, nullptr);
      std::cout << out.recorded << " - -\n";
      std::cerr << "dry run: " << count_of(out.recorded, what) << " would be recorded";
      if (out.retried) std::cerr << "; " << out.retried << (out.retried == 1 ? " is" : " are") << " already recorded";
      std::cerr << "; every ledger rule was checked against the current state; nothing was written\n";
      return;
    }
    std::cout << out.recorded << " " << (out.first ? std::to_string(*out.first) : "-") << " "
              << (out.last ? std::to_string(*out.last) : "-") << "\n";
    std::cerr << "recorded " << count_of(out.recorded, what);
    if (out.first) std::cerr << " as seq " << *out.first << " to " << *out.last << runs_text(appended);
    if (out.retried)
      std::cerr << "; " << count_of(out.retried, what) << (out.retried == 1 ? " was" : " were")
                << " already recorded (same idempotency key) and skipped";
    std::cerr << "\n";
    if (giving) {
      std::cerr << count_of(gi.grants, "grant");
      for (auto& [cur, minor] : gi.amount) std::cerr << ", " << cur << " " << format_money(minor, currency_exponent(cur));
      std::cerr << "; " << count_of(gi.new_parties.size(), "new party", "new parties") << "\n";
    }
  });
}

}  // namespace fundtrail::cli
