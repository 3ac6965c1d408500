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
  Checkpoint cp = loadCheckpoint(cpFile, q.logKey);
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
         " commits to (root " + base64Encode(cp.root) + "), signed by the log key " + q.logKey.name;
}

std::string consistency(const ProofRequest& q, const json& j) {
  uint64_t m = number(j, "old_size"), n = number(j, "new_size");
  std::vector<Hash> hashes = hashList(j);
  if (q.checkpointFiles.size() != 2)
    throw Malformed("a consistency proof is checked against two --checkpoint files, the old and the new");
  Checkpoint a = loadCheckpoint(q.checkpointFiles[0], q.logKey), b = loadCheckpoint(q.checkpointFiles[1], q.logKey);
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
    bool incl = j.contains("index"), cons = j.contains("old_size");
    if (incl == cons)
      throw Malformed(q.proofFile + " is neither an inclusion proof (index, tree_size, leaf_hash, hashes) nor a "
                      "consistency proof (old_size, new_size, hashes)");
    out.kind = incl ? "inclusion" : "consistency";
    out.message = incl ? inclusion(q, j) : consistency(q, j);
    out.exitCode = 0;
  } catch (const Rejected& e) {
    out.exitCode = 1, out.message = e.what();
  } catch (const Malformed& e) {
    out.exitCode = 2, out.message = e.what();
  } catch (const Unusable& e) {
    out.exitCode = 2, out.message = e.what();
  }
  return out;
}

std::string ProofOutcome::json() const {
  nlohmann::ordered_json j;
  j["result"] = exitCode == 0 ? "verified" : exitCode == 1 ? "rejected" : "unusable";
  j["exit_code"] = exitCode;
  j["kind"] = kind.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(kind);
  j[exitCode == 0 ? "verified" : "reason"] = printable(message);
  return j.dump(2) + "\n";
}

}  // namespace fv
