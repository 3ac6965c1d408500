// fundtrail-verify: the auditor's independent checker of a fundtrail ledger.
// It shares no code with the program that writes ledgers (ledger/): only the
// record schema, libsodium, LMDB and Cap'n Proto. See docs/verifier.md.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>

#include "keyfile.h"
#include "proof.h"
#include "verify.h"

using namespace fv;

namespace {

const char* kAbout = R"(fundtrail-verify: check a fundtrail ledger without trusting the program that wrote it.

It reads a ledger directory (read-only; a copy on read-only media is fine), a
bundle file from `fundtrail export-bundle`, or the C2SP tlog-tiles that
`fundtrail publish --tiles` wrote (--tiles DIR|URL), and re-derives everything from the
records alone: canonical encoding, the seq/prevHash chain, every Ed25519
signature and that its key was granted to the acting party and not revoked,
every append rule 1-11 of docs/rules.md, and the totals of every pool and party.
With --checkpoint and --log-key it also checks the Merkle root of the records
against each checkpoint and the checkpoints against each other; with
--statement it checks a signed statement of totals; with --witness it requires
witness cosignatures on each checkpoint. With --tiles it checks the published
checkpoint, rebuilds every hash tile from the entry bundles, and checks that the
published log extends each older --checkpoint.
`fundtrail-verify proof` checks an inclusion, consistency or batch proof.)";

const char* kProves = R"HELP(
Result line: `result: PASS (exit 0)` only when the run is anchored: a --log-key KEY
was given and at least one checkpoint (--checkpoint FILE, or in a --tiles run the
published one) verified with it. Without that a clean run ends
`result: CONSISTENT, not anchored (exit 0)`, and a checkpoint whose signature was
not checked against a trusted key says it ties nothing. --require-anchor makes an
unanchored run exit 1 (`result: NOT ANCHORED (exit 1)`).
Examples:
  fundtrail-verify books --log-key "$(cat riverside-log-key.txt)" --checkpoint checkpoint.txt --require-anchor
  fundtrail-verify --tiles https://council.example/ledger/ --log-key "$(cat riverside-log-key.txt)"
  fundtrail-verify books          # consistent with itself only: CONSISTENT, not anchored
What a clean run (exit 0) proves:
  - every record is well formed, correctly chained and signed by keys that were
    entitled to sign it at that point, and no append rule was broken;
  - with --log-key KEY and --checkpoint FILE: the records up to each checkpoint's
    size are exactly those the log signed, so nothing was removed or rewritten
    since that checkpoint was published;
  - with --witness: independent witnesses cosigned the same checkpoints.
What it does not prove:
  - without a trusted --log-key and --checkpoint it proves the ledger consistent
    with itself only: someone holding its keys could rewrite it from scratch;
  - it cannot show that records were not withheld after the latest checkpoint,
    or that the copy you were given is the newest;
  - it does not judge whether a payment was wise, lawful or good value, only
    that the ledger's own rules were kept.
Exit codes: 0 all checks pass (PASS, or CONSISTENT, not anchored); 1 a check failed, or
--require-anchor and the run is not anchored; 2 unusable input or bad usage, or
records of a newer format than this verifier reads (an unknown body kind or enum
value) while every check it could make passed.)HELP";

void printReport(const Report& r, bool json, FILE* out) {
  std::string s = json ? r.json() : r.text();
  fwrite(s.data(), 1, s.size(), out);
  fflush(out);
}

// Runs `work` in a child process: LMDB has no page checksums, and a damaged
// file can crash any reader. A crash there is unusable input (exit 2).
int isolated(const std::function<int()>& work, const std::function<void(const std::string&)>& onCrash,
             const std::string& file) {
  fflush(stdout), fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return work();
  if (pid == 0) {
    int rc = work();
    fflush(stdout), fflush(stderr);
    _exit(rc);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  if (isatty(STDERR_FILENO)) fputs("\n", stderr);
  onCrash("reading " + file + " crashed the reader (signal " + std::to_string(sig) + ", " + strsignal(sig) +
          "): the file is damaged; LMDB keeps no checksums, so no verdict on the records is possible");
  return 2;
}

bool isDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string blamedFile(const std::string& input) { return isDirectory(input) ? input + "/data.mdb" : input; }

Report crashReport(const std::string& input, const std::string& why) {
  Report r;
  r.input = input;
  r.inputKind = isDirectory(input) ? "ledger directory" : "bundle";
  r.unusable = why;
  return r;
}

// A key option given empty or blank would otherwise mean "no key": a trusted
// key that checks nothing. It is a usage error, like any malformed key text.
const CLI::Validator kKeyText(
    [](std::string& text) -> std::string {
      if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return "the key text is empty: give the key as `fundtrail log-key` (or the witness) prints it";
      return "";
    },
    "KEY_TEXT");

std::optional<VerifierKey> parseKeyOption(const std::string& text, uint8_t type, const char* option) {
  std::string err;
  auto k = parseVerifierKey(text, err);
  if (!k) throw CLI::ValidationError(option, err);
  if (k->type != type)
    throw CLI::ValidationError(option, type == kSigEd25519 ? "a log key has signature type 0x01"
                                                           : "a witness key has signature type 0x04 (cosignature/v1)");
  return k;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 2;
  CLI::App app{kAbout, "fundtrail-verify"};
  app.footer(kProves);
  app.get_formatter()->column_width(34);
  Options o;
  std::string logKeyText;
  std::vector<std::string> witnessTexts;
  std::optional<size_t> required;
  bool json = false, noProgress = false;
  app.add_option("input", o.input, "a ledger directory or a bundle file (fundtrail export-bundle)")
      ->type_name("LEDGER_DIR|BUNDLE");
  app.add_option("--tiles", o.tiles, "instead of LEDGER_DIR|BUNDLE: published tlog-tiles (fundtrail publish --tiles), "
                                     "a directory, file:// or http(s):// URL")
      ->type_name("DIR|URL");
  app.add_option("--checkpoint", o.checkpointFiles, "a published checkpoint (C2SP signed note); repeatable")
      ->type_name("FILE");
  app.add_option("--log-key", logKeyText, "the log's public key as published: <origin>+<key id>+<base64>")
      ->check(kKeyText)
      ->type_name("KEY_TEXT");
  app.add_option("--statement", o.statementFiles, "a signed statement of totals (fundtrail statement); repeatable")
      ->type_name("FILE");
  app.add_option("--witness", witnessTexts, "a witness key <name>+<key id>+<base64(0x04||key)>; repeatable")
      ->check(kKeyText)
      ->type_name("KEY_TEXT");
  app.add_option("--witnesses-required", required, "how many of the --witness keys must cosign each checkpoint "
                                                   "(default: all of them)")
      ->type_name("K");
  app.add_flag("--require-anchor", o.requireAnchor,
               "exit 1 unless the run is anchored: --log-key given and a checkpoint verified with it "
               "(with --tiles the published one counts)");
  app.add_flag("--json", json, "print the report as one JSON object (fields: docs/verifier.md)");
  app.add_option("--max-failures", o.maxFailures, "how many failures to list (default 20); all are counted")
      ->type_name("N");
  app.add_flag("--no-progress", noProgress, "no progress bar on a terminal");

  CLI::App* cosign = app.add_subcommand(
      "cosign", "check the ledger with CHECKPOINT and, only if every check passes, print the checkpoint with your "
                "witness cosignature (C2SP cosignature/v1) added; your witness key text goes to stderr");
  std::string cpFile, cosignInput, keyFile;
  cosign->add_option("checkpoint", cpFile, "the checkpoint to cosign")->required()->type_name("CHECKPOINT");
  cosign->add_option("input", cosignInput, "the ledger directory or bundle file to check")->required()->type_name("LEDGER_DIR|BUNDLE");
  cosign->add_option("--key", keyFile, "your secret key file (fundtrail key generate); its name is the witness name")
      ->required()->type_name("FILE");
  cosign->add_option("--log-key", logKeyText, "the log's public key as published")->check(kKeyText)->type_name("KEY_TEXT");
  cosign->add_flag("--json", json, "print the report (on stderr) as JSON");

  CLI::App* proof = app.add_subcommand(
      "proof", "check an inclusion proof (with --leaf and the checkpoint of its tree size) or a consistency proof "
               "(with the old and the new checkpoint) from `fundtrail proof`, against checkpoints signed by the "
               "trusted log key; or a batch proof from `fundtrail proof batch SEQ` (with --leaf and --batch-leaf): "
               "the record's path to the root its payment run's officers signed; exit 0 verified, 1 rejected, 2 "
               "unusable input");
  ProofRequest pr;
  std::string proofKeyText, leafFile, batchLeafFile;
  proof->add_option("proof", pr.proofFile, "the proof JSON")->required()->type_name("PROOF.json");
  proof->add_option("--checkpoint", pr.checkpointFiles, "a checkpoint signed by the log key: one for an inclusion "
                                                        "proof, the old and the new for a consistency proof "
                                                        "(a batch proof needs none)")
      ->type_name("CP");
  proof->add_option("--log-key", proofKeyText, "the log's public key as published (inclusion and consistency proofs)")
      ->check(kKeyText)
      ->type_name("KEY_TEXT");
  proof->add_option("--leaf", leafFile, "inclusion, batch: the record's stored bytes (fundtrail show SEQ --raw)")
      ->type_name("FILE");
  proof->add_option("--batch-leaf", batchLeafFile,
                    "batch: the batch record's stored bytes (fundtrail show BATCH_SEQ --raw)")
      ->type_name("FILE");
  proof->add_flag("--json", json, "print the outcome as JSON");

  try {
    app.parse(argc, argv);
    if (proof->parsed()) {
      if (!proofKeyText.empty()) pr.logKey = *parseKeyOption(proofKeyText, kSigEd25519, "--log-key");
      if (!batchLeafFile.empty()) pr.batchLeafFile = batchLeafFile;
      if (pr.checkpointFiles.size() > 2) throw CLI::ValidationError("--checkpoint", "at most two (old and new)");
      if (!leafFile.empty()) pr.leafFile = leafFile;
    }
    if (!logKeyText.empty()) o.logKey = parseKeyOption(logKeyText, kSigEd25519, "--log-key");
    for (const auto& w : witnessTexts) o.witnesses.push_back(*parseKeyOption(w, kSigCosignV1, "--witness"));
    o.witnessesRequired = required.value_or(o.witnesses.size());
    if (o.witnessesRequired > o.witnesses.size())
      throw CLI::ValidationError("--witnesses-required", "more than the number of --witness keys given");
    if (!o.witnesses.empty() && o.checkpointFiles.empty() && o.tiles.empty())
      throw CLI::ValidationError("--witness", "witnesses cosign checkpoints: give --checkpoint too");
    if (!o.tiles.empty() && !o.input.empty())
      throw CLI::ValidationError("--tiles", "give either LEDGER_DIR|BUNDLE or --tiles DIR|URL, not both");
    if (!cosign->parsed() && !proof->parsed() && o.input.empty() && o.tiles.empty())
      throw CLI::RequiredError("LEDGER_DIR|BUNDLE (or --tiles DIR|URL)");
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // --help is 0; every usage error is 2
  }
  o.progress = !noProgress && isatty(STDERR_FILENO);

  if (proof->parsed()) {
    ProofOutcome out = checkProof(pr);
    if (json) fputs(out.json().c_str(), stdout);
    else if (out.exitCode == 0) printf("%s proof verified: %s\n", out.kind.c_str(), out.message.c_str());
    else fprintf(out.exitCode == 1 ? stdout : stderr, "%s: %s\n",
                 out.exitCode == 1 ? "proof rejected" : "fundtrail-verify proof", printable(out.message).c_str());
    return out.exitCode;
  }
  if (!o.tiles.empty()) {  // no LMDB is read, so there is nothing to isolate
    Report r = verify(o);
    printReport(r, json, stdout);
    return r.exitCode();
  }
  if (!cosign->parsed()) {
    auto work = [&] {
      Report r = verify(o);
      printReport(r, json, stdout);
      return r.exitCode();
    };
    auto crash = [&](const std::string& why) { printReport(crashReport(o.input, why), json, stdout); };
    return isolated(work, crash, blamedFile(o.input));
  }

  // cosign: unlock the key first (a wrong passphrase should not cost a full run).
  o.input = cosignInput;
  o.checkpointFiles = {cpFile};
  std::unique_ptr<SecretKey> key;
  std::string note;
  try {
    key = unlockKeyFile(keyFile);
    note = readFile(cpFile);
  } catch (const std::exception& e) {
    fprintf(stderr, "fundtrail-verify cosign: %s\n", e.what());
    return 2;
  }
  auto work = [&] {
    Report r = verify(o);
    printReport(r, json, stderr);
    if (r.exitCode() != 0) {
      fprintf(stderr, "fundtrail-verify cosign: not cosigned: the checks did not all pass\n");
      key->wipe();
      return r.exitCode();
    }
    std::string err;
    Note parsed = *parseNote(note, err);  // verify() has parsed it already
    VerifierKey me = makeVerifierKey(key->name, kSigCosignV1, key->publicKey);
    uint64_t now = uint64_t(time(nullptr));
    uint8_t sig[64];
    key->sign(cosignatureMessage(parsed.text, now), sig);
    key->wipe();
    std::string out = parsed.text + "\n";
    for (const auto& s : parsed.signatures)  // a fresh cosignature replaces an older one of ours
      if (!(s.name == me.name && s.id == me.id)) out += s.line;
    out += signatureLine(me.name, me.id, cosignaturePayload(now, std::span<const uint8_t, 64>(sig, 64)));
    fwrite(out.data(), 1, out.size(), stdout);
    fflush(stdout);
    fprintf(stderr, "witness key: %s\n", formatVerifierKey(me).c_str());
    return 0;
  };
  auto crash = [&](const std::string& why) { printReport(crashReport(o.input, why), json, stderr); };
  int rc = isolated(work, crash, blamedFile(o.input));
  key->wipe();
  return rc;
}
