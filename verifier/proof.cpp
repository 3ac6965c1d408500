#include "proof.h"

#include <cstring>
#include <nlohmann/json.hpp>

#include "record.h"
#include "report.h"

#include "source.h"
#include "verify.h"

namespace fv {
namespace {

using nlohmann::json;

// A proof file that cannot be read as a proof at all (exit 2).
struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A proof, leaf or checkpoint that does not hold (exit 1).
struct Rejected : std::runtime_error {
  using std::runtime_error::runtime_error;
};

uint64_t number(const json& j, const char* field) {
  if (!j.contains(field)) throw Malformed(std::string("the proof has no '") + field + "' field");
  if (!j[field].is_number_unsigned())
    throw Malformed(std::string("the proof's '") + field + "' is not a non-negative whole number");
  return j[field].get<uint64_t>();
}

Hash hashOf(const json& j, const std::string& what) {
  std::optional<std::vector<uint8_t>> raw;
  if (j.is_string()) raw = base64Decode(j.get<std::string>());
  if (!raw || raw->size() != 32) throw Malformed("the proof's " + what + " is not standard base64 of 32 bytes");
  Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

std::vector<Hash> hashList(const json& j) {
  if (!j.contains("hashes") || !j["hashes"].is_array()) throw Malformed("the proof has no 'hashes' list");
  std::vector<Hash> out;
  for (size_t i = 0; i < j["hashes"].size(); ++i) out.push_back(hashOf(j["hashes"][i], "hash " + std::to_string(i)));
  return out;
}

const VerifierKey& logKeyOf(const ProofRequest& q) {
  if (!q.logKey) throw Malformed("an inclusion or consistency proof is checked against checkpoints signed by the log "
                                 "key: give --log-key KEY_TEXT and --checkpoint");
  return *q.logKey;
}

Checkpoint loadCheckpoint(const std::string& file, const VerifierKey& key) {
  std::string err;
  auto cp = openCheckpoint(readFile(file), key, err);
  if (!cp) throw Rejected("checkpoint " + file + ": " + err);
  return *cp;
}

void checkLength(size_t got, size_t want, const std::string& what) {
  if (got < want)
    throw Rejected("the hash list is truncated: it has " + std::to_string(got) + " hashes, " + what + " has " +
                   std::to_string(want));
  if (got > want)
    throw Rejected("the hash list is extended: it has " + std::to_string(got) + " hashes, " + what + " has only " +
                   std::to_string(want));
}

// The seq a leaf file's SignedEntry states, when it reads as one.
std::optional<uint64_t> leafSeq(const std::string& bytes) {
  if (bytes.empty() || bytes.size() % 8 || bytes.size() > kMaxRecordBytes) return std::nullopt;
  std::vector<capnp::word> words(bytes.size() / 8);
  memcpy(words.data(), bytes.data(), bytes.size());
  try {
    SegmentReader r(words.data(), words.size());
    return r.root<schema::SignedEntry>().getSeq();
  } catch (const kj::Exception&) {
    return std::nullopt;
  }
}

std::string inclusion(const ProofRequest& q, const json& j) {
  uint64_t index = number(j, "index"), size = number(j, "tree_size");
  if (!j.contains("leaf_hash")) throw Malformed("the proof has no 'leaf_hash' field");
  Hash leaf = hashOf(j["leaf_hash"], "leaf_hash");
  std::vector<Hash> hashes = hashList(j);
  if (q.checkpointFiles.size() != 1)
    throw Malformed("an inclusion proof is checked against one --checkpoint, of its tree size");
  if (!q.leafFile)
    throw Malformed("an inclusion proof needs --leaf FILE, the record's stored bytes (fundtrail show SEQ --raw): "
                    "without them it proves only that some leaf hash is in the tree");
  const std::string& cpFile = q.checkpointFiles[0];
  Checkpoint cp = loadCheckpoint(cpFile, logKeyOf(q));
  if (size != cp.size)
    throw Rejected("the proof is for a tree of size " + std::to_string(size) + ", checkpoint " + cpFile +
                   " is for size " + std::to_string(cp.size));
  if (index >= size)
    throw Rejected("index " + std::to_string(index) + " is not in a tree of size " + std::to_string(size));
  std::string bytes = readFile(*q.leafFile);
  Hash got = leafHash({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  if (got != leaf)
    throw Rejected("the proof is for another leaf: " + *q.leafFile + " hashes to " + base64Encode(got) +
                   ", the proof's leaf_hash is " + base64Encode(leaf));
  if (auto seq = leafSeq(bytes); seq && *seq != index)
    throw Rejected("the proof is for another leaf: " + *q.leafFile + " is record seq " + std::to_string(*seq) +
                   ", the proof is for index " + std::to_string(index));
  checkLength(hashes.size(), inclusionProofSize(index, size),
              "an inclusion proof of index " + std::to_string(index) + " in a tree of size " + std::to_string(size));
  if (!verifyInclusion(index, size, leaf, hashes, cp.root))
    throw Rejected("the hashes do not lead from the leaf to the root " + base64Encode(cp.root) + " of " + cpFile +
                   ": a hash was changed, or they are for another index or tree");
  return "record " + std::to_string(index) + " is in the tree of size " + std::to_string(size) + " that " + cpFile +
         " commits to (root " + base64Encode(cp.root) + "), signed by the log key " + logKeyOf(q).name;
}

std::string consistency(const ProofRequest& q, const json& j) {
  uint64_t m = number(j, "old_size"), n = number(j, "new_size");
  std::vector<Hash> hashes = hashList(j);
  if (q.checkpointFiles.size() != 2)
    throw Malformed("a consistency proof is checked against two --checkpoint files, the old and the new");
  Checkpoint a = loadCheckpoint(q.checkpointFiles[0], logKeyOf(q)), b = loadCheckpoint(q.checkpointFiles[1], logKeyOf(q));
  bool swap = a.size > b.size;  // given in either order
  const Checkpoint& oldCp = swap ? b : a;
  const Checkpoint& newCp = swap ? a : b;
  const std::string& oldFile = q.checkpointFiles[swap ? 1 : 0];
  const std::string& newFile = q.checkpointFiles[swap ? 0 : 1];
  if (m > n)
    throw Rejected("the proof's old_size " + std::to_string(m) + " is larger than its new_size " + std::to_string(n));
  if (m != oldCp.size || n != newCp.size)
    throw Rejected("the proof is for sizes " + std::to_string(m) + " -> " + std::to_string(n) +
                   ", the checkpoints are for sizes " + std::to_string(oldCp.size) + " and " +
                   std::to_string(newCp.size));
  checkLength(hashes.size(), consistencyProofSize(m, n),
              "a consistency proof from size " + std::to_string(m) + " to " + std::to_string(n));
  if (!verifyConsistency(m, n, oldCp.root, newCp.root, hashes))
    throw Rejected("the hashes do not join the root of " + oldFile + " (size " + std::to_string(m) + ") to the root of " +
                   newFile + " (size " + std::to_string(n) + "): the newer tree does not extend the older one, "
                   "or a hash was changed");
  return "the tree of size " + std::to_string(n) + " (" + newFile + ") extends the tree of size " + std::to_string(m) +
         " (" + oldFile + "): nothing in it was removed or rewritten";
}

// One stored leaf read and examined (canonical form, signatures) as the verifier does every record.
struct Leaf {
  std::string file;
  std::vector<capnp::word> words;
  size_t size = 0;
  Examined ex;
  uint64_t seq = 0, batchSeq = 0;
};

Leaf readLeaf(const std::string& file, const char* what) {
  Leaf l;
  l.file = file;
  std::string bytes = readFile(file);
  l.size = bytes.size();
  if (bytes.empty() || bytes.size() % 8 || bytes.size() > kMaxRecordBytes)
    throw Rejected(std::string(what) + " " + file + " is not a stored record: " + std::to_string(bytes.size()) +
                   " bytes, not a whole number of 8-byte words up to 65,535");
  l.words = std::vector<capnp::word>(bytes.size() / 8);  // not resize(): a word cannot be moved, which clang's library checks
  memcpy(l.words.data(), bytes.data(), bytes.size());
  examine(l.words.data(), l.size, l.ex);
  if (!l.ex.readable) throw Rejected(std::string(what) + " " + file + " cannot be read: " + l.ex.problem);
  if (!l.ex.signedEntryCanonical || !l.ex.entryCanonical)
    throw Rejected(std::string(what) + " " + file + " is not in canonical form (" +
                   (!l.ex.signedEntryCanonical ? "its SignedEntry" : "its Entry") + " bytes)");
  SegmentReader r(l.words.data(), l.words.size());
  auto se = r.root<schema::SignedEntry>();
  l.seq = se.getSeq();
  l.batchSeq = se.getBatchSeq();
  return l;
}

std::string batchProof(const ProofRequest& q, const json& j, std::vector<std::string>& signers) {
  uint64_t b = number(j, "batch_seq"), index = number(j, "index"), count = number(j, "count");
  if (!j.contains("leaf_hash")) throw Malformed("the proof has no 'leaf_hash' field");
  Hash leaf = hashOf(j["leaf_hash"], "leaf_hash");
  std::vector<Hash> hashes = hashList(j);
  if (!q.leafFile || !q.batchLeafFile)
    throw Malformed("a batch proof needs --leaf FILE (the record's stored bytes) and --batch-leaf FILE (the batch "
                    "record's stored bytes), from fundtrail show SEQ --raw");
  Leaf rec = readLeaf(*q.leafFile, "the record"), bat = readLeaf(*q.batchLeafFile, "the batch record");
  const std::string bs = std::to_string(b);
  if (rec.batchSeq != b)
    throw Rejected("the record " + rec.file + " (seq " + std::to_string(rec.seq) + ") " +
                   (rec.batchSeq ? "is in batch " + std::to_string(rec.batchSeq) : std::string("is not batched")) +
                   ", the proof is for batch " + bs);
  if (bat.seq != b)
    throw Rejected("the batch record " + bat.file + " is seq " + std::to_string(bat.seq) + ", the proof is for batch " + bs);
  SegmentReader br(bat.words.data(), bat.words.size());
  auto bse = br.root<schema::SignedEntry>();
  auto bentry = bse.getEntry();
  SegmentReader bi(entryWords(bentry), bentry.size() / 8);
  auto bbody = bi.root<schema::Entry>().getBody();
  if (!bbody.isBatch()) throw Rejected("the batch record " + bat.file + " (seq " + bs + ") is not a batch record");
  auto batch = bbody.getBatch();
  if (batch.getRoot().size() != 32) throw Rejected("batch " + bs + "'s root is not 32 bytes");
  Hash root;
  std::copy(batch.getRoot().begin(), batch.getRoot().end(), root.begin());
  if (rec.seq <= b || rec.seq - b - 1 != index)
    throw Rejected("the proof's index " + std::to_string(index) + " is not the record's place in batch " + bs +
                   ": record seq " + std::to_string(rec.seq) + " is at index " +
                   (rec.seq > b ? std::to_string(rec.seq - b - 1) : std::string("none")));
  if (count != batch.getCount())
    throw Rejected("the proof says the run holds " + std::to_string(count) + " records, batch " + bs + " says " +
                   std::to_string(batch.getCount()));
  if (index >= count)
    throw Rejected("index " + std::to_string(index) + " is not in a run of " + std::to_string(count) + " records");
  SegmentReader rr(rec.words.data(), rec.words.size());
  auto rentry = rr.root<schema::SignedEntry>().getEntry();
  Hash got = leafHash({rentry.begin(), rentry.size()});
  if (got != leaf)
    throw Rejected("the proof is for another record: the Entry bytes of " + rec.file + " hash to " + base64Encode(got) +
                   ", the proof's leaf_hash is " + base64Encode(leaf));
  checkLength(hashes.size(), inclusionProofSize(index, count),
              "the path of index " + std::to_string(index) + " in a run of " + std::to_string(count) + " records");
  if (!verifyInclusion(index, count, leaf, hashes, root))
    throw Rejected("the hashes do not lead from the record's Entry to batch " + bs + "'s root " + base64Encode(root) +
                   ": a hash was changed, or they are for another index or run");
  auto sigs = bse.getSignatures();
  if (sigs.size() == 0) throw Rejected("batch record " + bs + " carries no signature");
  for (unsigned i = 0; i < sigs.size(); ++i) {
    auto pk = sigs[i].getPublicKey();
    std::string key = base64Encode({pk.begin(), pk.size()});
    if (!bat.ex.sigValid[i])
      throw Rejected("signature " + std::to_string(i + 1) + " on batch " + bs + " (key " + key +
                     ") does not verify over its Entry bytes");
    signers.push_back(key);
  }
  std::string who;
  for (size_t i = 0; i < signers.size(); ++i) who += (i ? ", " : "") + signers[i];
  return "record " + std::to_string(rec.seq) + " is record " + std::to_string(index + 1) + " of the " +
         std::to_string(count) + " in the payment run of batch " + bs + " (root " + base64Encode(root) +
         "), whose batch record is signed by " + who + " (each signature verifies over its Entry bytes). Whether "
         "the two leaves are in the log is checked with ordinary inclusion proofs: fundtrail proof inclusion " +
         std::to_string(rec.seq) + " and fundtrail proof inclusion " + bs;
}

}  // namespace

ProofOutcome checkProof(const ProofRequest& q) {
  ProofOutcome out;
  try {
    json j;
    try {
      j = json::parse(readFile(q.proofFile));
    } catch (const json::exception& e) {
      throw Malformed(q.proofFile + " is not JSON: " + e.what());
    }
    if (!j.is_object()) throw Malformed(q.proofFile + " is not a JSON object");
    if (j.contains("batch_seq")) {
      out.kind = "batch";
      out.message = batchProof(q, j, out.signers);
      out.exitCode = 0;
      return out;
    }
    bool incl = j.contains("index"), cons = j.contains("old_size");
    if (incl == cons)
      throw Malformed(q.proofFile + " is neither an inclusion proof (index, tree_size, leaf_hash, hashes), a "
                      "consistency proof (old_size, new_size, hashes) nor a batch proof (batch_seq, index, count, "
                      "leaf_hash, hashes)");
    out.kind = incl ? "inclusion" : "consistency";
    out.message = incl ? inclusion(q, j) : consistency(q, j);
    out.exitCode = 0;
  } catch (const Rejected& e) {
    out.exitCode = 1, out.message = e.what();
  } catch (const Malformed& e) {
    out.exitCode = 2, out.message = e.what();
  } catch (const Unusable& e) {
    out.exitCode = 2, out.message = e.what();
  } catch (const kj::Exception& e) {  // a leaf's field not of its schema type
    out.exitCode = 1, out.message = std::string("a leaf cannot be read: ") + e.getDescription().cStr();
  }
  return out;
}

std::string ProofOutcome::json() const {
  nlohmann::ordered_json j;
  j["result"] = exitCode == 0 ? "verified" : exitCode == 1 ? "rejected" : "unusable";
  j["exit_code"] = exitCode;
  j["kind"] = kind.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(kind);
  j[exitCode == 0 ? "verified" : "reason"] = printable(message);
  if (kind == "batch" && exitCode == 0) j["batch_signers"] = signers;
  return j.dump(2) + "\n";
}

}  // namespace fv
