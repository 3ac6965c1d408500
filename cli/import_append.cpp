// An import's appends: per-record signatures or payment runs (import_append.h).
#include "cli/import_append.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <set>
#include <thread>

#include "cli/progress.h"
#include "ledger/request.h"

namespace fundtrail::cli {

using interop::ImportJob;

namespace {

// The idempotency key of a request's entry.
std::string key_of(const SignedRequest& r) {
  EntryView v(r.entry);
  return v.entry().getIdempotencyKey().cStr();
}

// A request as Ledger::dry_run_each takes one before signing: its signers'
// public keys with no signature bytes (the dry run checks every rule but
// the signatures themselves).
SignedRequest unsigned_copy(const ImportJob& job, size_t k) {
  SignedRequest r{job.requests[k].entry, {}};
  for (const KeyPair* s : job.signers[k]) r.signatures.push_back({s->pk, {}});
  return r;
}

// Whether the record holding request k's key has the same body (a retry). A
// different body is the writer's rule 6 to refuse, with its own words.
bool same_body(const Ledger& ledger, uint64_t seq, const SignedRequest& r) {
  Bytes leaf = ledger.leaf(seq);
  Record rec(leaf);
  EntryView v(r.entry);
  return request_body_hash(rec.entry()) == request_body_hash(v.entry());
}

// The run of requests `ks`, signed once by each distinct signer among them:
// every signer acts for at least one of its records, as the writer asks.
BatchRequest build_run(const Ledger& ledger, const ImportJob& job, const std::vector<size_t>& ks) {
  std::vector<Bytes> entries;
  entries.reserve(ks.size());
  std::vector<const KeyPair*> signers;
  std::set<PublicKey> seen;
  for (size_t k : ks) {
    entries.push_back(job.requests[k].entry);
    for (const KeyPair* s : job.signers[k])
      if (seen.insert(s->pk).second) signers.push_back(s);
  }
  return run_request(ledger.facts().origin, interop::import_clock_ms(), std::move(entries), signers);
}

// The row index a writer's refusal names: "request 3: " of a transaction
// starting at `start`, or "record 3 of the run: " of the run of `ks` (what()
// begins with it).
std::optional<size_t> named_request(const Error& e, size_t start, const std::vector<size_t>* ks) {
  std::string what = e.what();
  std::string prefix = ks ? "record " : "request ";
  if (what.rfind(prefix, 0) != 0 || what.size() == prefix.size() || !std::isdigit((unsigned char)what[prefix.size()]))
    return std::nullopt;
  size_t n = std::stoul(what.substr(prefix.size()));
  if (n == 0) return std::nullopt;
  if (!ks) return start + n - 1;
  if (n > ks->size()) return std::nullopt;
  return (*ks)[n - 1];
}

// A refusal of the transaction starting at `start`, re-thrown naming its row.
[[noreturn]] void rethrow_located(const ImportJob& job, size_t start, const Error& e, const std::vector<size_t>* ks) {
  std::optional<size_t> k = named_request(e, start, ks);
  std::string what = e.what();
  throw_at_row(job, start, k, e, k ? what.substr(what.find(": ") + 2) : what);
}

void count_appended(ImportCounts& o, const std::vector<long>& row_of, size_t k, const Appended& a) {
  bool registration = row_of[k] < 0;
  if (a.retried) {
    if (!registration) ++o.already;
    return;
  }
  (registration ? o.registered : o.recorded) += 1;
  if (!o.first) o.first = a.seq;
  o.last = a.seq;
}

void count_outcomes(ImportCounts& o, const std::vector<long>& row_of, size_t start,
                    const std::vector<AppendOutcome>& done) {
  for (size_t i = 0; i < done.size(); ++i) {
    if (done[i].refused) o.refused.push_back({start + i, done[i].refused->what()});
    else count_appended(o, row_of, start + i, *done[i].appended);
  }
}

// The chunk [start, end) each request on its own, each signed here.
std::vector<AppendOutcome> append_each_signed(Ledger& ledger, const ImportJob& job, size_t start, size_t end) {
  std::vector<SignedRequest> chunk;
  for (size_t k = start; k < end; ++k) chunk.push_back(sign_request(job.requests[k].entry, job.signers[k]));
  return ledger.append_each(chunk);
}

}  // namespace

void throw_at_row(const ImportJob& job, size_t start, std::optional<size_t> index, const Error& e,
                  const std::string& detail) {
  std::string where = index ? job.where[*index] + ": " + detail : detail;
  throw Error(e.kind, where + (start ? " (rows before " + job.where[start] +
                                           " were recorded in earlier transactions; re-running records nothing twice)"
                                     : " (nothing from this file was written; --rejects FILE records the other rows)"));
}

void sign_each(ImportJob& job) {
  std::atomic<size_t> next{0};
  Progress progress("signing", job.requests.size());
  auto worker = [&](bool shows) {
    for (size_t i; (i = next++) < job.requests.size();) {
      for (auto* k : job.signers[i]) job.requests[i].signatures.push_back(sign_entry(job.requests[i].entry, *k));
      if (shows && i % 512 == 0) progress.update(i);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(worker, false);
  worker(true);
  for (auto& t : pool) t.join();
  progress.finish();
}

ImportCounts append_signed(Ledger& ledger, const ImportJob& job, const std::vector<long>& row_of, bool keep_going) {
  ImportCounts o;
  Progress progress("importing", job.requests.size());
  for (size_t start = 0; start < job.requests.size(); start += kImportChunk) {
    size_t end = std::min(job.requests.size(), start + kImportChunk);
    std::vector<SignedRequest> chunk(job.requests.begin() + start, job.requests.begin() + end);
    std::vector<AppendOutcome> done;
    if (keep_going) {
      done = ledger.append_each(chunk);
    } else {
      try {
        for (Appended& a : ledger.append_batch(chunk)) done.push_back({a, std::nullopt});
      } catch (const Error& e) {
        rethrow_located(job, start, e, nullptr);
      }
    }
    count_outcomes(o, row_of, start, done);
    progress.update(end);
  }
  progress.finish();
  return o;
}

ImportCounts append_runs(Ledger& ledger, const ImportJob& job, const std::vector<long>& row_of, bool keep_going) {
  ImportCounts o;
  Progress progress("importing", job.requests.size());
  for (size_t start = 0; start < job.requests.size(); start += kImportChunk) {
    size_t end = std::min(job.requests.size(), start + kImportChunk);
    ImportCounts c;               // this chunk's, merged once it is written
    std::vector<size_t> in_run;   // request indexes the run holds, in file order
    if (keep_going) {
      // What each request would meet now, in order: the refused ones are
      // rejects, the retried ones already recorded, the rest make the run.
      std::vector<SignedRequest> probe;
      for (size_t k = start; k < end; ++k) probe.push_back(unsigned_copy(job, k));
      std::vector<AppendOutcome> done = ledger.dry_run_each(probe);
      for (size_t i = 0; i < done.size(); ++i) {
        size_t k = start + i;
        if (done[i].refused) c.refused.push_back({k, done[i].refused->what()});
        else if (done[i].appended->retried) count_appended(c, row_of, k, *done[i].appended);
        else in_run.push_back(k);
      }
    } else {
      for (size_t k = start; k < end; ++k) {
        std::optional<uint64_t> held = ledger.find_idempotency_key(key_of(job.requests[k]));
        if (!held) {
          in_run.push_back(k);
        } else if (same_body(ledger, *held, job.requests[k])) {
          count_appended(c, row_of, k, Appended{*held, {}, true});
        } else {  // the key holds another body: the writer's own refusal, naming the row
          std::vector<AppendOutcome> d = ledger.dry_run_each({unsigned_copy(job, k)});
          if (d[0].refused) throw_at_row(job, start, k, *d[0].refused, d[0].refused->what());
          count_appended(c, row_of, k, *d[0].appended);
        }
      }
    }
    if (!in_run.empty()) {
      try {
        RunAppended r = ledger.append_run(build_run(ledger, job, in_run));
        if (r.retried) {  // the same run recorded before (a re-run after a crash)
          for (size_t k : in_run) count_appended(c, row_of, k, Appended{r.seq, {}, true});
        } else {
          for (size_t i = 0; i < in_run.size(); ++i) count_appended(c, row_of, in_run[i], Appended{r.first + i, {}, false});
          ++c.run_count;
          c.runs.push_back(r);
        }
      } catch (const Error& e) {
        // Keeping going, a refusal here means another writer changed the
        // state since the dry run: every request of the chunk on its own.
        if (!keep_going) rethrow_located(job, start, e, &in_run);
        if (e.check.empty()) throw;  // the environment, not a rule: nothing to fall back on
        c = ImportCounts{};
        count_outcomes(c, row_of, start, append_each_signed(ledger, job, start, end));
      }
    }
    o.recorded += c.recorded;
    o.already += c.already;
    o.registered += c.registered;
    if (c.first && !o.first) o.first = c.first;
    if (c.last) o.last = c.last;
    o.refused.insert(o.refused.end(), c.refused.begin(), c.refused.end());
    o.run_count += c.run_count;
    for (auto& r : c.runs)
      if (o.runs.size() < kShownRuns) o.runs.push_back(r);
    progress.update(end);
  }
  progress.finish();
  return o;
}

}  // namespace fundtrail::cli
