// The verifier's own Merkle, note and money code against the known-answer
// vectors in tests/data (computed by independent implementations).
// The verifier's sources are compiled into this test directly (and only here).
#include <doctest/doctest.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "../../verifier/merkle.cpp"
#include "../../verifier/money.cpp"
#include "../../verifier/note.cpp"

using nlohmann::json;

namespace {

json load(const std::string& name) {
  std::ifstream in(std::string(FUNDTRAIL_TEST_DATA) + "/" + name);
  REQUIRE(in);
  return json::parse(in);
}

fv::Hash hashOf(const std::string& b64) {
  auto raw = fv::base64Decode(b64);
  REQUIRE(raw);
  REQUIRE(raw->size() == 32);
  fv::Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

fv::Hash leafN(uint64_t i) {
  std::string s = "fundtrail leaf " + std::to_string(i);
  return fv::leafHash({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
}

fv::Hash rootN(uint64_t n) {
  fv::CompactRange r;
  for (uint64_t i = 0; i < n; ++i) r.append(leafN(i));
  return r.root();
}

std::vector<fv::Hash> hashes(const json& a) {
  std::vector<fv::Hash> out;
  for (const auto& h : a) out.push_back(hashOf(h.get<std::string>()));
  return out;
}

struct Seeded {
  fv::PublicKey pk;
  uint8_t sk[64];
  explicit Seeded(const std::string& hex) {
    uint8_t seed[32];
    REQUIRE(sodium_hex2bin(seed, 32, hex.data(), hex.size(), nullptr, nullptr, nullptr) == 0);
    crypto_sign_seed_keypair(pk.data(), sk, seed);
  }
  std::vector<uint8_t> sign(const std::string& msg) const {
    std::vector<uint8_t> sig(64);
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), sk);
    return sig;
  }
};

}  // namespace

TEST_CASE("verifier: merkle: roots of merkle.json streamed through a compact range") {
  REQUIRE(sodium_init() >= 0);
  json v = load("merkle.json");
  CHECK(fv::base64Encode(leafN(0)) == v["leaf_hash_0"].get<std::string>());
  CHECK(fv::base64Encode(fv::emptyRoot()) == "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  fv::CompactRange r;
  uint64_t n = 0;
  for (const auto& c : v["roots"]) {
    uint64_t size = c["tree_size"];
    while (n < size) r.append(leafN(n++));
    CAPTURE(size);
    CHECK(fv::base64Encode(r.root()) == c["root"].get<std::string>());
  }
}

TEST_CASE("verifier: merkle: inclusion and consistency proofs of merkle.json verify and altered ones do not") {
  json v = load("merkle.json");
  for (const auto& p : v["inclusion"]) {
    uint64_t i = p["index"], n = p["tree_size"];
    auto path = hashes(p["hashes"]);
    fv::Hash leaf = hashOf(p["leaf_hash"]), root = rootN(n);
    CAPTURE(i);
    CAPTURE(n);
    CHECK(leaf == leafN(i));
    CHECK(fv::verifyInclusion(i, n, leaf, path, root));
    CHECK_FALSE(fv::verifyInclusion(i, n, leafN(i + 1), path, root));    // the wrong leaf
    CHECK_FALSE(fv::verifyInclusion(i, n + 1, leaf, path, rootN(n + 1)));  // the wrong size
    auto longer = path;
    longer.push_back(leaf);
    CHECK_FALSE(fv::verifyInclusion(i, n, leaf, longer, root));
    if (!path.empty()) {
      auto shorter = path;
      shorter.pop_back();
      CHECK_FALSE(fv::verifyInclusion(i, n, leaf, shorter, root));
    }
  }
  for (const auto& p : v["consistency"]) {
    uint64_t m = p["old_size"], n = p["new_size"];
    auto path = hashes(p["hashes"]);
    CAPTURE(m);
    CAPTURE(n);
    CHECK(fv::verifyConsistency(m, n, rootN(m), rootN(n), path));
    CHECK_FALSE(fv::verifyConsistency(m, n, rootN(m), rootN(n - 1), path));
    if (!path.empty()) {
      auto shorter = path;
      shorter.pop_back();
      CHECK_FALSE(fv::verifyConsistency(m, n, rootN(m), rootN(n), shorter));
    }
  }
}

TEST_CASE("verifier: notes: the checkpoint and key id and verifier key and cosignature of notes.json byte for byte") {
  json v = load("notes.json");
  Seeded log(v["log"]["seed_hex"].get<std::string>());
  std::string name = v["log"]["name"];
  CHECK(fv::base64Encode(log.pk) == v["log"]["public_key"].get<std::string>());
  uint32_t id = fv::keyId(name, fv::kSigEd25519, log.pk);
  char hex[9];
  snprintf(hex, sizeof hex, "%08x", id);
  CHECK(std::string(hex) == v["log"]["key_id_hex"].get<std::string>());
  auto vk = fv::makeVerifierKey(name, fv::kSigEd25519, log.pk);
  CHECK(fv::formatVerifierKey(vk) == v["log"]["verifier_key"].get<std::string>());
  std::string err;
  auto parsedKey = fv::parseVerifierKey(v["log"]["verifier_key"].get<std::string>(), err);
  REQUIRE(parsedKey);
  CHECK(parsedKey->key == log.pk);

  // The body commits to the first 13 leaves of merkle.json.
  std::string body = name + "\n13\n" + fv::base64Encode(rootN(13)) + "\n";
  CHECK(body == v["checkpoint_body"].get<std::string>());
  std::string signedNote = body + "\n" + fv::signatureLine(name, id, log.sign(body));
  CHECK(signedNote == v["signed_note"].get<std::string>());

  auto note = fv::parseNote(signedNote, err);
  REQUIRE(note);
  CHECK(note->text == body);
  CHECK(fv::checkNoteSignature(*note, vk) == fv::SigCheck::Verified);
  auto cp = fv::parseCheckpoint(note->text, err);
  REQUIRE(cp);
  CHECK(cp->origin == name);
  CHECK(cp->size == 13);
  CHECK(cp->root == rootN(13));

  Seeded w(v["witness"]["seed_hex"].get<std::string>());
  std::string wname = v["witness"]["name"];
  uint64_t ts = v["witness"]["timestamp"];
  auto wk = fv::makeVerifierKey(wname, fv::kSigCosignV1, w.pk);
  snprintf(hex, sizeof hex, "%08x", wk.id);
  CHECK(std::string(hex) == v["witness"]["key_id_hex"].get<std::string>());
  auto sig = w.sign(fv::cosignatureMessage(body, ts));
  std::string cosigned = signedNote + fv::signatureLine(wname, wk.id, fv::cosignaturePayload(ts, std::span<const uint8_t, 64>(sig.data(), 64)));
  CHECK(cosigned == v["cosigned_note"].get<std::string>());
  auto cn = fv::parseNote(cosigned, err);
  REQUIRE(cn);
  uint64_t seen = 0;
  CHECK(fv::checkCosignature(*cn, wk, &seen) == fv::SigCheck::Verified);
  CHECK(seen == ts);
  CHECK(fv::checkNoteSignature(*cn, vk) == fv::SigCheck::Verified);
  // the witness' line is not the log's signature, and the log's is not a cosignature
  CHECK(fv::checkCosignature(*note, wk) == fv::SigCheck::Missing);
}

TEST_CASE("verifier: notes: malformed notes and keys are refused with a reason") {
  json v = load("notes.json");
  std::string good = v["signed_note"];
  std::string body = v["checkpoint_body"];
  std::string sigLine = good.substr(body.size() + 1);
  std::string err;
  auto refused = [&](const std::string& note) {
    err.clear();
    bool bad = !fv::parseNote(note, err);
    if (!bad) {
      auto n = fv::parseNote(note, err);
      bad = !fv::parseCheckpoint(n->text, err);
    }
    CHECK_MESSAGE(bad, note);
    CHECK(!err.empty());
  };
  refused(body + sigLine);                                     // no blank line
  refused(body + "\n");                                        // no signature
  refused(body + "\n" + sigLine.substr(0, sigLine.size() - 1));  // no final newline
  refused(body + "\n" + sigLine.substr(0, sigLine.size() - 2) + " \n");  // trailing space
  refused(body + "\n" + "- " + sigLine.substr(4));             // hyphen instead of em dash
  std::string origin = v["log"]["name"], root = body.substr(body.find("\n13\n") + 4);
  refused(origin + "\n13 \n" + root + "\n" + sigLine);   // trailing space on the size line
  refused(origin + "\n013\n" + root + "\n" + sigLine);   // leading zero
  refused(origin + "\n13\n\n" + sigLine);                 // no root line
  refused(origin + "\n13\n" + root.substr(4) + "\n" + sigLine);  // root not 32 bytes
  refused(std::string(good).replace(3, 1, "\t"));              // control character

  // A valid note whose signature was altered parses but does not verify.
  auto vk = *fv::parseVerifierKey(v["log"]["verifier_key"].get<std::string>(), err);
  std::string altered = good;
  size_t p = altered.size() - 10;
  altered[p] = altered[p] == 'A' ? 'B' : 'A';
  auto n = fv::parseNote(altered, err);
  REQUIRE(n);
  CHECK(fv::checkNoteSignature(*n, vk) == fv::SigCheck::Bad);
  // Another origin's key is simply not found on the note.
  auto other = fv::makeVerifierKey("other.example/log", fv::kSigEd25519, vk.key);
  CHECK(fv::checkNoteSignature(*fv::parseNote(good, err), other) == fv::SigCheck::Missing);

  for (std::string bad : {"no-plus-signs", "name+a24f4981", "name+A24F4981+AbK9N2+wms/8Ka1l6TlP1KZKiEmYjNZRqUJEJPhBxPqD",
                          "example.gov.uk/fundtrail/riverside+a24f4982+AbK9N2+wms/8Ka1l6TlP1KZKiEmYjNZRqUJEJPhBxPqD",
                          "example.gov.uk/fundtrail/riverside+a24f4981+AbK9N2+wms/8Ka1l6TlP1KZKiEmYjNZRqUJEJPhBxPq"}) {
    err.clear();
    CHECK_FALSE(fv::parseVerifierKey(bad, err));
    CHECK(!err.empty());
  }
}

TEST_CASE("verifier: notes: a statement of totals parses and a disordered one does not") {
  std::string err;
  auto st = fv::parseStatement("fundtrail statement v1\nexample.gov.uk/x\n12\na-pool 100\nb -1250\nledger 0\n", err);
  REQUIRE(st);
  CHECK(st->size == 12);
  REQUIRE(st->balances.size() == 3);
  CHECK(st->balances[1].second == -1250);
  CHECK_FALSE(fv::parseStatement("fundtrail statement v1\nx\n12\nb 1\na 2\n", err));
  CHECK_FALSE(fv::parseStatement("fundtrail statement v1\nx\n12\na 1\na 2\n", err));
  CHECK_FALSE(fv::parseStatement("fundtrail statement v1\nx\n12\na -0\n", err));
  CHECK_FALSE(fv::parseStatement("fundtrail statement v1\nx\n12\na 1.00\n", err));
  CHECK_FALSE(fv::parseStatement("fundtrail statement v2\nx\n12\n", err));
}

TEST_CASE("verifier: money: minor units print with the currency exponent (the valid cases of money.json back to text)") {
  json v = load("money.json");
  for (const auto& c : v["cases"]) {
    if (!c.contains("minor_units")) continue;
    std::string cur = c["currency"];
    int e = fv::currencyExponent(cur);
    std::string text = c["text"], shown = fv::formatMinor(c["minor_units"].get<int64_t>(), e);
    CAPTURE(text);
    CAPTURE(shown);
    // Same number: the shown text is the case's text padded to exactly e decimals.
    std::string padded = text;
    size_t dot = padded.find('.');
    if (e > 0 && dot == std::string::npos) padded += "." + std::string(size_t(e), '0');
    else if (dot != std::string::npos) padded += std::string(size_t(e) - (padded.size() - dot - 1), '0');
    CHECK(shown == padded);
  }
  CHECK(fv::formatMinor(-1, 2) == "-0.01");
  CHECK(fv::formatMinor(0, 2) == "0.00");
  CHECK(fv::formatMinor(INT64_MIN, 2) == "-92233720368547758.08");
  CHECK(fv::formatMinor(1500, 0) == "1500");
  CHECK(fv::formatMinor(5, 3) == "0.005");
  CHECK(fv::currencyExponent("GBP") == 2);
  CHECK(fv::currencyExponent("JPY") == 0);
  CHECK(fv::currencyExponent("BHD") == 3);
  CHECK(fv::checkedAdd(INT64_MAX, 1) == std::nullopt);
  CHECK(fv::checkedAdd(INT64_MIN, -1) == std::nullopt);
}
