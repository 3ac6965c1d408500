#include "verify.h"

#include <fstream>
#include <map>
#include <sstream>

#include "money.h"
#include "pipeline.h"
#include "rules.h"
#include "source.h"
#include "tiles.h"

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

constexpr size_t kMaxCheckpointBytes = 1 << 20;  // a signed note is a few hundred bytes

// The checks a run makes on the records themselves.
constexpr Check kRecordChecks[] = {Check::Canonical, Check::Format, Check::Limits, Check::Rule1,  Check::Rule2,
                                   Check::Rule3,     Check::Rule4,  Check::Rule5,  Check::Rule6,  Check::Rule7,
                                   Check::Rule8,     Check::Rule9,  Check::Rule10, Check::Rule11,
                                   Check::Rule12};

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
  r.anchorRequired = o.requireAnchor;
  std::vector<LoadedCheckpoint> cps;
  std::vector<LoadedStatement> sts;
  std::map<uint64_t, Hash> roots;                                        // size -> root of records 0..size-1
  std::map<uint64_t, std::vector<std::pair<std::string, int64_t>>> snaps;  // size -> balances
  std::unique_ptr<Source> source;
  std::optional<Ledger> ledger;
  ledger.emplace(r);
  uint64_t records = 0;
  // --tiles: the published checkpoint is cps[0]; the records come from its entry bundles.
  const bool tiles = !o.tiles.empty();
  std::unique_ptr<Fetcher> fetcher;
  TilesSource* tilesSource = nullptr;
  std::set<std::string> badFiles;  // each published file is named once
  TileProblem problem = [&](const std::string& where, const std::string& why) {
    if (badFiles.insert(where).second) r.fail(std::nullopt, Check::Tiles, where + ": " + why);
  };
  if (tiles) r.input = o.tiles, r.inputKind = "tiles", r.tilesRun = true;
  try {
    // Trusted inputs first: a malformed one is a failed check, an unreadable one unusable.
    std::set<uint64_t> marks;
    if (tiles) {
      fetcher = openFetcher(o.tiles);
      LoadedCheckpoint c{o.tilesCheckpoint ? "the checkpoint given" : fetcher->where("checkpoint"), {}, {}};
      std::string text, err;
      if (o.tilesCheckpoint) {
        text = *o.tilesCheckpoint;
      } else {
        Fetcher::Got got = fetcher->get("checkpoint", kMaxCheckpointBytes);
        if (got.status == Fetcher::Status::Missing)
          throw Unusable(c.file + " does not exist: no log is published at " + o.tiles);
        if (got.status == Fetcher::Status::TooLong) err = "longer than " + std::to_string(kMaxCheckpointBytes) + " bytes";
        else text = std::move(got.bytes);
      }
      if (err.empty()) c.note = parseNote(text, err);
      if (c.note) c.cp = parseCheckpoint(c.note->text, err);
      if (!c.cp) r.fail(std::nullopt, Check::Checkpoints, c.file + ": not a valid checkpoint: " + err);
      else marks.insert(c.cp->size);
      cps.push_back(std::move(c));
    }
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
    if (!tiles) {
      source = openSource(o.input);
    } else if (cps[0].cp) {
      if (cps[0].cp->size == 0) throw Unusable(cps[0].file + " is for an empty tree: there are no records to verify");
      auto t = std::make_unique<TilesSource>(*fetcher, cps[0].cp->size, problem);
      tilesSource = t.get();
      source = std::move(t);
    }
    if (source) {
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
      // A run the records end inside of is incomplete (unless the published entry bundles ended early: tiles says so).
      if (!tilesSource || tilesSource->complete()) ledger->finish();
    }
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
  r.batches = ledger->batchCount();
  r.batchedRecords = ledger->batchedRecordCount();
  r.totals = ledger->totals();
  const auto& g = ledger->genesis();
  if (g) r.origin = printable(g->origin), r.currency = printable(g->currency), r.exponent = g->exponent;
  if (r.unusable) return r;
  if (tiles && !tilesSource) {
    // The published checkpoint could not be read: without its size nothing else can be checked.
    for (Check c : kRecordChecks) r.skipped[c] = "the published checkpoint could not be read";
    r.skipped[Check::LogKey] = r.skipped[Check::Consistency] = r.skipped[Check::Witnesses] =
        r.skipped[Check::Statement] = r.skipped[Check::Tiles] = "the published checkpoint could not be read";
    for (auto& c : cps) r.checkpoints.push_back({c.file, c.cp ? std::optional(c.cp->size) : std::nullopt,
                                                 c.cp ? b64(c.cp->root) : "", c.cp ? "not checked" : "malformed", {},
                                                 false, ""});
    r.anchorNote = "not anchored: the published checkpoint " + cps[0].file + " could not be read";
    r.trust.push_back("Nothing was verified: the published checkpoint " + cps[0].file +
                      " could not be read, and it is what every other published file is checked against.");
    return r;
  }
  const uint64_t published = tiles ? cps[0].cp->size : 0;  // the published tree's size
  if (tiles && records == 0)  // the first entry bundle could not be read (a tiles failure says why)
    for (Check c : kRecordChecks) r.skipped[c] = "no entry bundle could be read";

  std::optional<VerifierKey> key = logKeyFor(o, g, r);
  bool trusted = o.logKey.has_value() && !r.failuresPerCheck.count(Check::LogKey);

  // Checkpoints: signature, origin, size, root; then agreement between them.
  uint64_t covered = 0;  // records vouched for by a checkpoint signed by the trusted key
  std::map<uint64_t, std::pair<std::string, Hash>> bySize;
  for (size_t ci = 0; ci < cps.size(); ++ci) {
    auto& c = cps[ci];
    const bool isPublished = tiles && ci == 0;
    CheckpointResult res{c.file, {}, {}, "malformed", {}, trusted, ""};
    if (c.cp) {
      if (!o.logKey)
        res.trustNote = key ? "its signature was not checked against a trusted key (no --log-key was given; only "
                              "against the log key the ledger's own genesis record names), so it ties nothing"
                            : "its signature was not checked against a trusted key (no --log-key was given), so it "
                              "ties nothing";
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
      if (tiles && !isPublished && c.cp->size > published)
        bad(Check::Consistency, "it commits to " + std::to_string(c.cp->size) + " records but the published checkpoint " +
                                    cps[0].file + " only to " + std::to_string(published) +
                                    ": the published log was rolled back (or is not the log this checkpoint is from)",
            "rolled back");
      else if (tiles && c.cp->size > records) {
        // The entry bundles ended early (a tiles failure says where): the records cannot speak for this size.
        if (good) res.status = "not checked: the entry bundles are incomplete";
        good = false;
      } else if (c.cp->size > records)
        bad(Check::Consistency, "it commits to " + std::to_string(c.cp->size) + " records but only " +
                                    std::to_string(records) + " are present: records were removed since it was signed",
            "beyond the records");
      else if (roots.at(c.cp->size) != c.cp->root)
        bad(Check::Checkpoints, "its root does not match records 0.." + std::to_string(c.cp->size) + "-1 (" +
                                    b64(roots.at(c.cp->size)) + "): records were changed since it was signed",
            "root mismatch");
      // The published tree must extend each older checkpoint: the root of its
      // size, rebuilt from the published hash tiles alone, is the one it signed.
      if (tiles && c.cp->size <= published) {
        auto fromTiles = rootFromTiles(*fetcher, published, c.cp->size, problem);
        if (isPublished && fromTiles && *fromTiles != c.cp->root)
          r.fail(std::nullopt, Check::Tiles, "the published hash tiles give root " + b64(*fromTiles) + " for size " +
                                                 std::to_string(published) + ", not the root " + c.file + " signed");
        else if (!isPublished && fromTiles && *fromTiles != c.cp->root)
          bad(Check::Consistency, "the published hash tiles give root " + b64(*fromTiles) + " for size " +
                                      std::to_string(c.cp->size) + ": the published log of size " +
                                      std::to_string(published) + " does not extend this checkpoint (history "
                                      "rewritten or forked since it was signed)",
              "inconsistent with the published log");
      }
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
  // Anchored: the trusted key signed a checkpoint that vouches for records.
  r.anchored = trusted && covered > 0;
  if (r.anchored)
    r.anchorNote = "anchored: the trusted --log-key signed a checkpoint that matches records 0.." +
                   std::to_string(covered - 1);
  else if (!o.logKey)
    r.anchorNote = "not anchored: no --log-key was given, so nothing ties these records to a key you trust";
  else if (!trusted)
    r.anchorNote = "not anchored: the --log-key given is not this ledger's log key (see the log key check)";
  else if (cps.empty())
    r.anchorNote = "not anchored: --log-key was given but no --checkpoint, so no checkpoint signed by it vouches "
                   "for the records";
  else
    r.anchorNote = tiles ? "not anchored: neither the published checkpoint nor any --checkpoint given was verified "
                           "against the --log-key (see checkpoints)"
                         : "not anchored: no --checkpoint given was verified against the --log-key (see checkpoints)";
  if (cps.empty()) {
    r.skipped[Check::Checkpoints] = "no --checkpoint given";
    r.skipped[Check::Consistency] = "no --checkpoint given";
  }
  if (o.witnesses.empty()) r.skipped[Check::Witnesses] = "no --witness given";
  if (!tiles) r.skipped[Check::Tiles] = "no --tiles given";

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
  if (tiles) {
    if (!r.failuresPerCheck.count(Check::Tiles) && tilesSource->complete())
      r.trust.push_back("All " + std::to_string(tileCount(published)) + " hash tiles and entry bundles a tree of size " +
                        std::to_string(published) + " needs are published at " + o.tiles +
                        ", and each is exactly what the records give.");
    if (cps.size() > 1 && !r.failuresPerCheck.count(Check::Consistency) && !r.failuresPerCheck.count(Check::Tiles))
      r.trust.push_back("The published log extends every older --checkpoint given: nothing it committed to was "
                        "removed or rewritten.");
  }
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
