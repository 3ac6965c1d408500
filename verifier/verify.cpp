#include "verify.h"

#include <fstream>
#include <map>
#include <sstream>

#include "money.h"
#include "pipeline.h"
#include "rules.h"
#include "source.h"

namespace fv {
namespace {

struct LoadedCheckpoint {
  std::string file;
  std::optional<Note> note;
  std::optional<Checkpoint> cp;
};
struct LoadedStatement {
  std::string file;
  std::optional<Note> note;
  std::optional<Statement> st;
};

std::string b64(const Hash& h) { return base64Encode(h); }

// The key checkpoints and statements must be signed by: the trusted --log-key,
// or else the one genesis names (which proves nothing beyond the records).
std::optional<VerifierKey> logKeyFor(const Options& o, const std::optional<GenesisInfo>& g, Report& r) {
  if (o.logKey) {
    r.logKeyTrust = "trusted (--log-key)";
    if (g && g->logKeyValid && o.logKey->key != g->logKey)
      r.fail(std::nullopt, Check::LogKey,
             "the trusted --log-key is not the log key the genesis record names (" + base64Encode(g->logKey) + ")");
    if (g && o.logKey->name != g->origin)
      r.fail(std::nullopt, Check::LogKey,
             "the trusted --log-key is named '" + o.logKey->name + "', not the ledger's origin '" + g->origin + "'");
    return o.logKey;
  }
  r.skipped[Check::LogKey] = "no --log-key given";
  if (!g || !g->logKeyValid) {
    r.logKeyTrust = "none";
    return std::nullopt;
  }
  r.logKeyTrust = "from the genesis record only (not independently trusted)";
  return makeVerifierKey(g->origin, kSigEd25519, g->logKey);
}

std::string signatureProblem(SigCheck s, const VerifierKey& k) {
  return s == SigCheck::Missing ? "it carries no signature by the log key " + formatVerifierKey(k)
                                : "the log key's signature does not verify";
}

}  // namespace

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Unusable("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw Unusable("cannot read " + path);
  return s.str();
}

Report verify(const Options& o) {
  Report r;
  r.input = o.input;
  r.maxFailures = o.maxFailures;
  std::vector<LoadedCheckpoint> cps;
  std::vector<LoadedStatement> sts;
  std::map<uint64_t, Hash> roots;                                        // size -> root of records 0..size-1
  std::map<uint64_t, std::vector<std::pair<std::string, int64_t>>> snaps;  // size -> balances
  std::unique_ptr<Source> source;
  std::optional<Ledger> ledger;
  ledger.emplace(r);
  uint64_t records = 0;
  try {
    // Trusted inputs first: a malformed one is a failed check, an unreadable one unusable.
    std::set<uint64_t> marks;
    for (const auto& f : o.checkpointFiles) {
      LoadedCheckpoint c{f, {}, {}};
      std::string err;
      c.note = parseNote(readFile(f), err);
      if (c.note) c.cp = parseCheckpoint(c.note->text, err);
      if (!c.cp) r.fail(std::nullopt, Check::Checkpoints, f + ": not a valid checkpoint: " + err);
      else marks.insert(c.cp->size);
      cps.push_back(std::move(c));
    }
    for (const auto& f : o.statementFiles) {
      LoadedStatement s{f, {}, {}};
      std::string err;
      s.note = parseNote(readFile(f), err);
      if (s.note) s.st = parseStatement(s.note->text, err);
      if (!s.st) r.fail(std::nullopt, Check::Statement, f + ": not a valid statement: " + err);
      else marks.insert(s.st->size);
      sts.push_back(std::move(s));
    }
    source = openSource(o.input);
    r.inputKind = source->kind();
    ledger->findEarlierKey = [&](const std::string& key, uint64_t before) {
      return findIdempotencyKey(*source, key, before);
    };
    ledger->paymentHasClaim = [&](uint64_t seq, std::string_view claim, std::string_view milestone) {
      return fv::paymentHasClaim(*source, seq, claim, milestone);
    };
    CompactRange tree;
    streamRecords(*source, *ledger, tree, marks, [&](uint64_t size) {
      roots[size] = tree.root();
      snaps[size] = ledger->balances();
    }, o.progress, records);
  } catch (const Unusable& u) {
    r.unusable = u.what();
  }
  if (r.inputKind.empty()) r.inputKind = "input";
  r.records = records;
  r.parties = ledger->partyCount();
  r.keys = ledger->keyCount();
  r.grants = ledger->grantCount();
  r.signatures = ledger->signatureCount();
  r.contracts = ledger->contractCount();
  r.totals = ledger->totals();
  const auto& g = ledger->genesis();
  if (g) r.origin = printable(g->origin), r.currency = printable(g->currency), r.exponent = g->exponent;
  if (r.unusable) return r;

  std::optional<VerifierKey> key = logKeyFor(o, g, r);
  bool trusted = o.logKey.has_value() && !r.failuresPerCheck.count(Check::LogKey);

  // Checkpoints: signature, origin, size, root; then agreement between them.
  uint64_t covered = 0;  // records vouched for by a checkpoint signed by the trusted key
  std::map<uint64_t, std::pair<std::string, Hash>> bySize;
  for (auto& c : cps) {
    CheckpointResult res{c.file, {}, {}, "malformed", {}};
    if (c.cp) {
      res.size = c.cp->size;
      res.root = b64(c.cp->root);
      bool good = true;
      auto bad = [&](Check ch, const std::string& why, const char* status) {
        r.fail(std::nullopt, ch, c.file + ": " + why);
        if (good) res.status = status;
        good = false;
      };
      SigCheck s = key ? checkNoteSignature(*c.note, *key) : SigCheck::Missing;
      if (!key) bad(Check::Checkpoints, "no log key to check its signature with", "unsigned");
      else if (s != SigCheck::Verified) bad(Check::Checkpoints, signatureProblem(s, *key), "bad signature");
      if (g && c.cp->origin != g->origin)
        bad(Check::Checkpoints, "its origin '" + c.cp->origin + "' is not this ledger's '" + g->origin + "'", "wrong origin");
      if (c.cp->size > records)
        bad(Check::Consistency, "it commits to " + std::to_string(c.cp->size) + " records but only " +
                                    std::to_string(records) + " are present: records were removed since it was signed",
            "beyond the records");
      else if (roots.at(c.cp->size) != c.cp->root)
        bad(Check::Checkpoints, "its root does not match records 0.." + std::to_string(c.cp->size) + "-1 (" +
                                    b64(roots.at(c.cp->size)) + "): records were changed since it was signed",
            "root mismatch");
      auto [it, fresh] = bySize.try_emplace(c.cp->size, c.file, c.cp->root);
      if (!fresh && it->second.second != c.cp->root)
        bad(Check::Consistency, "it and " + it->second.first + " both claim size " + std::to_string(c.cp->size) +
                                    " with different roots: two different histories were signed",
            "conflicting");
      if (good) res.status = "matches the records";
      if (good && trusted) covered = std::max(covered, c.cp->size);
      // Witnesses: K of the named ones must have cosigned this checkpoint.
      size_t valid = 0;
      for (const auto& w : o.witnesses) {
        SigCheck ws = checkCosignature(*c.note, w);
        if (ws == SigCheck::Verified) ++valid, res.witnesses.push_back(w.name);
        if (ws == SigCheck::Bad)
          r.fail(std::nullopt, Check::Witnesses, c.file + ": the cosignature of witness " + w.name + " does not verify");
      }
      if (!o.witnesses.empty() && valid < o.witnessesRequired)
        r.fail(std::nullopt, Check::Witnesses, c.file + ": cosigned by " + std::to_string(valid) + " of the " +
                                                   std::to_string(o.witnesses.size()) + " named witnesses, " +
                                                   std::to_string(o.witnessesRequired) + " required");
    }
    r.checkpoints.push_back(res);
  }
  if (cps.empty()) {
    r.skipped[Check::Checkpoints] = "no --checkpoint given";
    r.skipped[Check::Consistency] = "no --checkpoint given";
  }
  if (o.witnesses.empty()) r.skipped[Check::Witnesses] = "no --witness given";

  // Statements of totals.
  for (auto& s : sts) {
    if (!s.st) continue;
    auto bad = [&](const std::string& why) { r.fail(std::nullopt, Check::Statement, s.file + ": " + why); };
    SigCheck sig = key ? checkNoteSignature(*s.note, *key) : SigCheck::Missing;
    if (!key) bad("no log key to check its signature with");
    else if (sig != SigCheck::Verified) bad(signatureProblem(sig, *key));
    if (g && s.st->origin != g->origin) bad("its origin '" + s.st->origin + "' is not this ledger's '" + g->origin + "'");
    if (s.st->size > records) {
      bad("it covers " + std::to_string(s.st->size) + " records but only " + std::to_string(records) +
          " are present: records were removed since it was signed");
      continue;
    }
    const auto& want = snaps.at(s.st->size);
    const auto& said = s.st->balances;
    auto m = [&](int64_t v) { return formatMinor(v, r.exponent); };
    size_t i = 0, j = 0;
    while (i < want.size() || j < said.size()) {
      if (j == said.size() || (i < want.size() && want[i].first < said[j].first)) {
        bad("party '" + want[i].first + "' is missing (the records give " + m(want[i].second) + ")");
        ++i;
      } else if (i == want.size() || said[j].first < want[i].first) {
        bad("party '" + said[j].first + "' is not registered in records 0.." + std::to_string(s.st->size) + "-1");
        ++j;
      } else {
        if (want[i].second != said[j].second)
          bad("party '" + want[i].first + "': the statement says " + m(said[j].second) + ", the records give " +
              m(want[i].second));
        ++i, ++j;
      }
    }
  }
  if (sts.empty()) r.skipped[Check::Statement] = "no --statement given";

  // What a clean run means, said plainly.
  if (!trusted || covered == 0) {
    r.trust.push_back("This run proves the ledger consistent with itself only: without a trusted --log-key and a "
                      "--checkpoint signed by it, a ledger rewritten from scratch by whoever holds its keys would "
                      "pass too.");
  } else {
    r.trust.push_back("Records 0.." + std::to_string(covered - 1) +
                      " are exactly the records the log committed to in a checkpoint signed by the trusted log key.");
  }
  if (records > covered && covered > 0)
    r.trust.push_back("Records " + std::to_string(covered) + ".." + std::to_string(records - 1) +
                      " are checked but no trusted checkpoint vouches for them yet.");
  r.trust.push_back("No run can prove that records were not withheld beyond the latest checkpoint, or that this copy "
                    "is the newest.");
  if (!o.witnesses.empty() && !r.failuresPerCheck.count(Check::Witnesses) && !cps.empty())
    r.trust.push_back("Every checkpoint carries cosignatures from at least " + std::to_string(o.witnessesRequired) +
                      " of the named witnesses, so they were shown the same history.");
  r.trust.push_back("Signatures show which keys authorised each record; the checks show the rules were kept. They do "
                    "not judge whether a payment was wise, lawful or good value, nor that a key's holder acted "
                    "honestly.");
  return r;
}

}  // namespace fv
