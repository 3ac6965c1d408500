#include "witness.h"

#include <cstdio>
#include <ctime>

#include "request.h"

namespace fv::witness {
namespace {

Answer answer(int status, std::string body) {
  if (!body.empty() && body.back() != '\n') body += "\n";
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

void logLine(const std::string& origin, const Answer& a) {
  std::string first = a.body.substr(0, a.body.find('\n'));
  fprintf(stderr, "add-checkpoint %s: %d %s\n", origin.empty() ? "-" : origin.c_str(), a.status, first.c_str());
  fflush(stderr);
}

}  // namespace

Witness::Witness(const SecretKey& key, const std::vector<VerifierKey>& logKeys, const StateDir& state,
                 RecordCheck recordCheck)
    : key_(key), me_(makeVerifierKey(key.name, kSigCosignV1, key.publicKey)), state_(state),
      recordCheck_(std::move(recordCheck)) {
  for (const auto& k : logKeys) {
    auto& log = logs_[k.name];
    if (!log) {
      log = std::make_unique<Log>();
      log->state = state_.load(k.name);
      byHash_[originHash(k.name)] = k.name;
    }
    log->keys.push_back(k);
  }
}

Answer Witness::addCheckpoint(std::string_view body) {
  std::string err;
  auto req = parseAddCheckpoint(body, err);
  if (!req) {
    Answer a = answer(400, "malformed request: " + err);
    logLine("", a);
    return a;
  }
  auto note = parseNote(req->checkpoint, err);
  auto cp = note ? parseCheckpoint(note->text, err) : std::nullopt;
  if (!cp) {
    Answer a = answer(400, "malformed checkpoint: " + err);
    logLine("", a);
    return a;
  }
  auto it = logs_.find(cp->origin);
  if (it == logs_.end()) {
    Answer a = answer(404, "unknown log origin '" + cp->origin + "': this witness has no key for it");
    logLine(cp->origin, a);
    return a;
  }
  Log& log = *it->second;

  // Signatures by keys we do not know are ignored; a line that claims one of
  // our keys but does not verify makes the note malformed (signed-note).
  bool verified = false;
  std::vector<SignatureLine> logLines;
  for (const auto& k : log.keys) {
    SigCheck c = checkNoteSignature(*note, k);
    if (c == SigCheck::Bad) {
      Answer a = answer(403, "a signature by the log key " + k.name + " does not verify");
      logLine(cp->origin, a);
      return a;
    }
    if (c == SigCheck::Verified) {
      verified = true;
      for (const auto& s : note->signatures)
        if (s.name == k.name && s.id == k.id) logLines.push_back(s);
    }
  }
  if (!verified) {
    Answer a = answer(403, "no valid signature by a trusted key of log '" + cp->origin + "'");
    logLine(cp->origin, a);
    return a;
  }
  if (req->oldSize > cp->size) {
    Answer a = answer(400, "old size " + std::to_string(req->oldSize) + " is larger than the checkpoint's size " +
                               std::to_string(cp->size));
    logLine(cp->origin, a);
    return a;
  }

  std::lock_guard<std::mutex> hold(log.mu);
  const LogState& st = log.state;
  Answer a;
  if (req->oldSize != st.size) {
    a = {409, "text/x.tlog.size", std::to_string(st.size) + "\n"};
  } else if (cp->size == 0 && cp->root != emptyRoot()) {
    a = answer(422, "a checkpoint of size 0 must have the empty tree's root");
  } else if (req->oldSize == 0 && !req->proof.empty()) {
    a = answer(422, "old size 0 takes no consistency proof: the empty tree is a prefix of every tree");
  } else if (cp->size == st.size && st.size > 0 && cp->root != st.root) {
    std::string kept = state_.keepEvidence(cp->origin, cp->size, std::string(body));
    a = answer(422, "split view: the log signed a second root for size " + std::to_string(cp->size) + " (" +
                        base64Encode(cp->root) + "; this witness cosigned " + base64Encode(st.root) + ")" +
                        (kept.empty() ? "" : "; the request is kept as evidence"));
    // Where it is kept is the operator's business, not the client's: stderr only.
    if (!kept.empty()) fprintf(stderr, "fundtrail-witness: split-view evidence kept in %s\n", kept.c_str());
  } else if (cp->size == st.size && !req->proof.empty()) {
    a = answer(422, "a checkpoint of the size already cosigned takes an empty consistency proof");
  } else if (st.size > 0 && !verifyConsistency(st.size, cp->size, st.root, cp->root, req->proof)) {
    a = answer(422, "the consistency proof from size " + std::to_string(st.size) + " to " +
                        std::to_string(cp->size) + " does not verify against the root this witness cosigned");
  } else {
    a = cosign(log, *cp, note->text, logLines);
  }
  logLine(cp->origin, a);
  return a;
}

Answer Witness::cosign(Log& log, const Checkpoint& cp, const std::string& noteText,
                       const std::vector<SignatureLine>& logLines) {
  std::string note = noteText + "\n";
  for (const auto& s : logLines) note += s.line;
  if (recordCheck_) {
    std::string detail;
    int rc = recordCheck_(note, detail);
    if (rc == 1) return answer(422, "the log's records do not pass the full verifier: " + detail);
    if (rc != 0) return answer(503, "the log's records could not be checked, so nothing was cosigned: " + detail);
  }
  uint64_t now = uint64_t(time(nullptr));
  if (now == 0) return answer(500, "the clock reads 0: a cosignature must carry a real time");
  uint8_t sig[64];
  key_.sign(cosignatureMessage(noteText, now), sig);
  std::string line = signatureLine(me_.name, me_.id, cosignaturePayload(now, std::span<const uint8_t, 64>(sig, 64)));
  try {
    state_.store(cp.origin, note + line);  // durable before we answer
  } catch (const std::exception& e) {
    return answer(500, std::string("could not persist the new state, so nothing was cosigned: ") + e.what());
  }
  log.state = {cp.size, cp.root, note + line};
  return {200, "text/plain; charset=utf-8", line};
}

Answer Witness::latest(std::string_view originHashHex) {
  auto h = byHash_.find(originHashHex);
  if (h == byHash_.end()) return answer(404, "unknown log");
  Log& log = *logs_.find(h->second)->second;
  std::lock_guard<std::mutex> hold(log.mu);
  if (log.state.note.empty()) return answer(404, "this witness has not cosigned a checkpoint of that log yet");
  return {200, "text/plain; charset=utf-8", log.state.note};
}

}  // namespace fv::witness
