// Signed notes: notes.json byte for byte, a note signed by hand with libsodium,
// and the strict parser's refusals with their reasons.
#include <doctest/doctest.h>
#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ledger/note.h"

using namespace fundtrail;

namespace {

const std::string kDash = "\xE2\x80\x94";  // U+2014

struct KeyPair {
  PublicKey pk{};
  SecretKey sk{};
};

KeyPair from_seed_hex(const std::string& seed_hex) {
  unsigned char seed[crypto_sign_SEEDBYTES];
  size_t len = 0;
  REQUIRE(sodium_hex2bin(seed, sizeof seed, seed_hex.data(), seed_hex.size(), nullptr, &len, nullptr) == 0);
  REQUIRE(len == sizeof seed);
  KeyPair kp;
  REQUIRE(sodium_init() >= 0);
  crypto_sign_seed_keypair(kp.pk.data(), kp.sk.data(), seed);
  return kp;
}

KeyPair from_seed_byte(uint8_t b) { return from_seed_hex(std::string(64, static_cast<char>("0123456789abcdef"[b & 15]))); }

nlohmann::json load_note_vectors() {
  std::ifstream in(std::string(FUNDTRAIL_TEST_DATA) + "/notes.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

VerifierKey vkey(const std::string& text) {
  std::string why;
  auto k = parse_verifier_key(text, why);
  REQUIRE_MESSAGE(k.has_value(), why);
  return *k;
}

std::string b64(const std::string& raw) {
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();
  return out;
}

std::string replace_once(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in '" << s << "'");
  return s.replace(at, from.size(), to);
}

// Checks a note is refused and the reason mentions `expect`.
void refused(std::string_view note, const VerifierKey& key, const std::string& expect) {
  std::string why;
  CHECK_FALSE_MESSAGE(note_signed_by(note, key, why), "accepted: " << note);
  CHECK_MESSAGE(why.find(expect) != std::string::npos, "reason '" << why << "' lacks '" << expect << "'");
}

// The parts of notes.json, and the log's and witness's keys, for every test.
struct Vectors {
  nlohmann::json v = load_note_vectors();
  KeyPair log = from_seed_hex(v["log"]["seed_hex"]);
  KeyPair witness = from_seed_hex(v["witness"]["seed_hex"]);
  std::string log_name = v["log"]["name"];
  std::string witness_name = v["witness"]["name"];
  std::string body = v["checkpoint_body"];
  std::string signed_note = v["signed_note"];
  std::string cosigned_note = v["cosigned_note"];
  VerifierKey log_key = vkey(v["log"]["verifier_key"]);
  VerifierKey witness_key = vkey(verifier_key_text(witness_name, 0x04, witness.pk));
};

}  // namespace

TEST_CASE("note: keys, key ids and verifier key text of notes.json") {
  Vectors t;
  CHECK(b64(std::string(t.log.pk.begin(), t.log.pk.end())) == t.v["log"]["public_key"].get<std::string>());
  CHECK(b64(std::string(t.witness.pk.begin(), t.witness.pk.end())) == t.v["witness"]["public_key"].get<std::string>());

  char id[9];
  snprintf(id, sizeof id, "%08x", note_key_id(t.log_name, 0x01, t.log.pk));
  CHECK(std::string(id) == t.v["log"]["key_id_hex"].get<std::string>());
  snprintf(id, sizeof id, "%08x", note_key_id(t.witness_name, 0x04, t.witness.pk));
  CHECK(std::string(id) == t.v["witness"]["key_id_hex"].get<std::string>());

  CHECK(verifier_key_text(t.log_name, 0x01, t.log.pk) == t.v["log"]["verifier_key"].get<std::string>());
  CHECK(t.log_key.name == t.log_name);
  CHECK(t.log_key.type == 0x01);
  CHECK(t.log_key.id == 0xa24f4981u);
  CHECK(t.log_key.key == t.log.pk);
  CHECK(t.witness_key.type == 0x04);
  CHECK(t.witness_key.id == 0xcee16ae8u);
  // The type byte is part of the id: the same key as a note key has another.
  CHECK(note_key_id(t.witness_name, 0x01, t.witness.pk) != t.witness_key.id);
}

TEST_CASE("note: the checkpoint of notes.json is signed and cosigned byte for byte") {
  Vectors t;
  std::string root;
  REQUIRE(from_base64("ak29HJPau6YLSYsRspG4dSXfFE2W6wTo032B2e0H1e8=", root));  // merkle.json, size 13
  Hash r;
  std::copy(root.begin(), root.end(), r.begin());
  CHECK(checkpoint_body(t.log_name, 13, r) == t.body);

  CHECK(sign_note(t.body, t.log_name, t.log.sk, t.log.pk) == t.signed_note);
  const uint64_t ts = t.v["witness"]["timestamp"];
  CHECK(t.signed_note + cosignature_line(t.body, t.witness_name, ts, t.witness.sk, t.witness.pk) ==
        t.cosigned_note);

  std::string why;
  CHECK_MESSAGE(note_signed_by(t.signed_note, t.log_key, why), why);
  CHECK_MESSAGE(note_signed_by(t.cosigned_note, t.log_key, why), why);  // the witness line is ignored
  uint64_t got = 0;
  CHECK_MESSAGE(note_cosigned_by(t.cosigned_note, t.witness_key, got, why), why);
  CHECK(got == ts);
  CHECK_FALSE(note_cosigned_by(t.signed_note, t.witness_key, got, why));
  CHECK(why.find("no cosignature by auditor.example.org/witness") != std::string::npos);

  auto split = split_note(t.cosigned_note, why);
  REQUIRE_MESSAGE(split, why);
  CHECK(split->first == t.body);
  REQUIRE(split->second.size() == 2);
  CHECK(split->second[0].name == t.log_name);
  CHECK(split->second[0].id == 0xa24f4981u);
  CHECK(split->second[0].blob.size() == 64);
  CHECK(split->second[1].name == t.witness_name);
  CHECK(split->second[1].id == 0xcee16ae8u);
  CHECK(split->second[1].blob.size() == 72);

  auto cp = open_checkpoint(t.cosigned_note, t.log_name, t.log_key, why);
  REQUIRE_MESSAGE(cp, why);
  CHECK(cp->origin == t.log_name);
  CHECK(cp->size == 13);
  CHECK(cp->root == r);
  CHECK(cp->body == t.body);
}

TEST_CASE("note: a note signed by hand with libsodium verifies") {
  // Everything here follows signed-note and tlog-cosignature directly, with
  // libsodium only, so an error shared by signer and verifier cannot hide.
  const KeyPair k = from_seed_byte(7);
  const std::string name = "hand.example/log";
  const std::string body = "hand.example/log\n5\n" + b64(std::string(32, '\x11')) + "\n";

  std::string id_input = name + "\n" + std::string(1, '\x01') + std::string(k.pk.begin(), k.pk.end());
  unsigned char digest[32];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(id_input.data()), id_input.size());
  unsigned char sig[64];
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(body.data()), body.size(), k.sk.data());
  const std::string blob = std::string(reinterpret_cast<char*>(digest), 4) + std::string(reinterpret_cast<char*>(sig), 64);
  const std::string note = body + "\n" + kDash + " " + name + " " + b64(blob) + "\n";

  char idhex[9];
  snprintf(idhex, sizeof idhex, "%02x%02x%02x%02x", digest[0], digest[1], digest[2], digest[3]);
  const std::string key_text = name + "+" + idhex + "+" + b64("\x01" + std::string(k.pk.begin(), k.pk.end()));
  const VerifierKey key = vkey(key_text);
  CHECK(verifier_key_text(name, 0x01, k.pk) == key_text);

  std::string why;
  CHECK_MESSAGE(note_signed_by(note, key, why), why);
  CHECK(sign_note(body, name, k.sk, k.pk) == note);  // Ed25519 is deterministic
  auto cp = open_checkpoint(note, name, key, why);
  REQUIRE_MESSAGE(cp, why);
  CHECK(cp->size == 5);

  // A cosignature by hand: key id type 0x04, timestamp, signature over the
  // cosignature/v1 message.
  const KeyPair w = from_seed_byte(9);
  const std::string wname = "witness.example/w";
  const uint64_t ts = 1700000000;
  id_input = wname + "\n" + std::string(1, '\x04') + std::string(w.pk.begin(), w.pk.end());
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(id_input.data()), id_input.size());
  const std::string msg = "cosignature/v1\ntime 1700000000\n" + body;
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), w.sk.data());
  std::string wblob(reinterpret_cast<char*>(digest), 4);
  for (int s = 56; s >= 0; s -= 8) wblob.push_back(static_cast<char>((ts >> s) & 0xff));
  wblob += std::string(reinterpret_cast<char*>(sig), 64);
  const std::string cosigned = note + kDash + " " + wname + " " + b64(wblob) + "\n";
  uint64_t got = 0;
  CHECK_MESSAGE(note_cosigned_by(cosigned, vkey(verifier_key_text(wname, 0x04, w.pk)), got, why), why);
  CHECK(got == ts);
  CHECK(note + cosignature_line(body, wname, ts, w.sk, w.pk) == cosigned);
}

TEST_CASE("note: signatures that do not verify or are not by the key") {
  Vectors t;
  // Bad signature: one base64 character changed well past the key id.
  std::string bad = t.signed_note;
  const size_t sig_at = bad.rfind(' ') + 1 + 30;
  bad[sig_at] = bad[sig_at] == 'A' ? 'B' : 'A';
  refused(bad, t.log_key, "does not verify");

  // A changed body under the original signature.
  refused(replace_once(t.signed_note, "\n13\n", "\n14\n"), t.log_key, "does not verify");

  // Wrong key name: the same public key under another name has another id,
  // so this note carries no signature by that key.
  refused(t.signed_note, vkey(verifier_key_text("example.gov.uk/fundtrail/other", 0x01, t.log.pk)), "no signature by");
  // Right name, another key.
  refused(t.signed_note, vkey(verifier_key_text(t.log_name, 0x01, from_seed_byte(3).pk)), "no signature by");
  // Right name and id, wrong key bytes: refused before any signature check.
  VerifierKey forged = t.log_key;
  forged.key = from_seed_byte(3).pk;
  refused(t.signed_note, forged, "does not match");
  // A signature line by a colliding name and id that does not verify.
  const std::string impostor = sign_note(t.body, t.log_name, from_seed_byte(3).sk, from_seed_byte(3).pk);
  std::string blob = impostor.substr(impostor.rfind(' ') + 1);
  blob.pop_back();
  std::string raw;
  REQUIRE(from_base64(blob, raw));
  const uint32_t id = t.log_key.id;
  for (int i = 0; i < 4; ++i) raw[i] = static_cast<char>(id >> (24 - 8 * i));
  refused(t.body + "\n" + kDash + " " + t.log_name + " " + base64({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}) + "\n",
          t.log_key, "does not verify");

  // Key types: a witness key is not a note key and the log key is no witness.
  refused(t.cosigned_note, t.witness_key, "signature type");
  uint64_t ts = 0;
  std::string why;
  CHECK_FALSE(note_cosigned_by(t.cosigned_note, t.log_key, ts, why));
  CHECK(why.find("signature type") != std::string::npos);

  // A cosignature whose timestamp was changed.
  const size_t line = t.cosigned_note.rfind(kDash);
  std::string wline = t.cosigned_note.substr(line);
  std::string wraw;
  REQUIRE(from_base64(wline.substr(wline.rfind(' ') + 1, wline.size() - wline.rfind(' ') - 2), wraw));
  wraw[11] ^= 1;
  const std::string retimed = t.cosigned_note.substr(0, line) + kDash + " " + t.witness_name + " " +
                              base64({reinterpret_cast<const uint8_t*>(wraw.data()), wraw.size()}) + "\n";
  CHECK_FALSE(note_cosigned_by(retimed, t.witness_key, ts, why));
  CHECK(why.find("does not verify") != std::string::npos);
}

TEST_CASE("note: strict layout refusals with their reasons") {
  Vectors t;
  const std::string& n = t.signed_note;
  const std::string sigline = n.substr(n.find(kDash));

  refused(t.body + sigline, t.log_key, "no blank line");
  refused(t.body + "\n\n" + sigline, t.log_key, "ends with a blank line");
  refused(n.substr(0, n.size() - 1), t.log_key, "does not end with a newline");
  refused(t.body + "\n", t.log_key, "no signature lines");
  refused(replace_once(n, "\n", "\r\n"), t.log_key, "carriage return");
  refused(replace_once(n, "\n\n", "\n\r\n"), t.log_key, "carriage return");
  refused(n.substr(0, n.size() - 1) + "\r\n", t.log_key, "carriage return");
  refused(n.substr(0, n.size() - 1) + " \n", t.log_key, "extra whitespace");  // trailing space
  refused(replace_once(n, kDash + " ", kDash + "  "), t.log_key, "extra whitespace");
  refused(replace_once(n, t.log_name + " ", t.log_name + "  "), t.log_key, "extra whitespace");
  refused(replace_once(n, "\n" + kDash, "\n " + kDash), t.log_key, "not a signature line");
  refused(replace_once(n, kDash + " ", kDash), t.log_key, "not a signature line");
  refused(replace_once(n, kDash, "-"), t.log_key, "not a signature line");
  refused(replace_once(n, kDash, "\xE2\x80\x93"), t.log_key, "not a signature line");  // en dash
  refused(n + "garbage\n", t.log_key, "not a signature line");
  refused(n + "\n", t.log_key, "no signature lines");
  refused(replace_once(n, "\n13\n", "\n13\t\n"), t.log_key, "control character");
  refused(replace_once(n, "\n13\n", "\n1\xff\n"), t.log_key, "UTF-8");
  refused(n.substr(0, n.size() - 2) + "\n", t.log_key, "base64");  // padding cut off
  refused(n.substr(0, n.find(kDash)) + kDash + " " + t.log_name + "\n", t.log_key, "no signature");
  refused(n.substr(0, n.find(kDash)) + kDash + " " + t.log_name + " AAAA\n", t.log_key, "too short");
  refused("\n\n" + sigline, t.log_key, "empty");

  // Trailing space inside the body: the signature no longer covers it, and
  // the body itself is not a checkpoint.
  const std::string spaced = replace_once(n, "\n13\n", "\n13 \n");
  refused(spaced, t.log_key, "does not verify");
  std::string why;
  CHECK_FALSE(parse_checkpoint_body(replace_once(t.body, "\n13\n", "\n13 \n"), why));
  CHECK(why.find("not a decimal number") != std::string::npos);
}

TEST_CASE("note: checkpoint bodies") {
  Vectors t;
  const std::string root = "ak29HJPau6YLSYsRspG4dSXfFE2W6wTo032B2e0H1e8=";
  auto parses = [](const std::string& body) {
    std::string why;
    auto c = parse_checkpoint_body(body, why);
    CHECK_MESSAGE(c.has_value(), why);
    return c;
  };
  auto refuses = [](const std::string& body, const std::string& expect) {
    std::string why;
    CHECK_FALSE_MESSAGE(parse_checkpoint_body(body, why), "accepted: " << body);
    CHECK_MESSAGE(why.find(expect) != std::string::npos, "reason '" << why << "' lacks '" << expect << "'");
  };
  CHECK(parses("o\n0\n" + root + "\n")->size == 0);
  CHECK(parses("o\n18446744073709551615\n" + root + "\n")->size == UINT64_MAX);
  const auto ext = parses("o\n7\n" + root + "\nextension line\n");
  CHECK(ext->body == "o\n7\n" + root + "\nextension line\n");  // kept, opaque, signed

  refuses("o\n013\n" + root + "\n", "leading zero");
  refuses("o\n00\n" + root + "\n", "leading zero");
  refuses("o\n18446744073709551616\n" + root + "\n", "too large");
  refuses("o\n-1\n" + root + "\n", "not a decimal number");
  refuses("o\n+1\n" + root + "\n", "not a decimal number");
  refuses("o\n 1\n" + root + "\n", "not a decimal number");
  refuses("o\n1e3\n" + root + "\n", "not a decimal number");
  refuses("o\n\n" + root + "\n", "line 2 is empty");
  refuses("\n1\n" + root + "\n", "line 1 is empty");
  refuses("o\n1\n" + root + "\n\next\n", "line 4 is empty");
  refuses("o\n1\n" + root, "newline");
  refuses("o\n1\n", "three lines");
  refuses("o\n1\n" + root.substr(0, 40) + "\n", "base64 of 32 bytes");
  refuses("o\n1\nAAAA\n", "base64 of 32 bytes");
  refuses("o\n1\n" + root + " \n", "base64 of 32 bytes");
  refuses("o\r\n1\n" + root + "\n", "carriage return");

  // Leading zeros in a properly signed note are still refused.
  const std::string zeros = replace_once(t.body, "\n13\n", "\n013\n");
  const std::string signed_zeros = sign_note(zeros, t.log_name, t.log.sk, t.log.pk);
  std::string why;
  CHECK(note_signed_by(signed_zeros, t.log_key, why));
  CHECK_FALSE(open_checkpoint(signed_zeros, t.log_name, t.log_key, why));
  CHECK(why.find("leading zero") != std::string::npos);

  // Wrong origin: a checkpoint of another log, validly signed by this key.
  const std::string other = sign_note(checkpoint_body("example.gov.uk/fundtrail/other", 13, {}), t.log_name,
                                      t.log.sk, t.log.pk);
  CHECK(note_signed_by(other, t.log_key, why));
  CHECK_FALSE(open_checkpoint(other, t.log_name, t.log_key, why));
  CHECK(why.find("origin 'example.gov.uk/fundtrail/other' is not") != std::string::npos);
  CHECK_FALSE(open_checkpoint(t.signed_note, "example.gov.uk/fundtrail/other", t.log_key, why));
  CHECK(why.find("origin") != std::string::npos);
}

TEST_CASE("note: verifier key text refusals") {
  Vectors t;
  const std::string good = t.v["log"]["verifier_key"];
  auto refuses = [](const std::string& text, const std::string& expect) {
    std::string why;
    CHECK_FALSE_MESSAGE(parse_verifier_key(text, why), "accepted: " << text);
    CHECK_MESSAGE(why.find(expect) != std::string::npos, "reason '" << why << "' lacks '" << expect << "'");
  };
  refuses(replace_once(good, "+a24f4981+", "+a24f4980+"), "does not match");
  refuses(replace_once(good, "+a24f4981+", "+a24f498+"), "8 hex digits");
  refuses(replace_once(good, "+a24f4981+", "+a24f49811+"), "8 hex digits");
  refuses(replace_once(good, "+a24f4981+", "+a24f498g+"), "8 hex digits");
  refuses(replace_once(good, "riverside", "river side"), "whitespace");
  refuses("+a24f4981+" + good.substr(good.rfind('+') + 1), "empty");
  refuses(t.log_name, "must look like");
  refuses(good + " ", "base64");
  refuses(good.substr(0, good.size() - 1), "base64");
  refuses(t.log_name + "+a24f4981+" + b64("\x01" + std::string(31, 'k')), "32-byte");
  refuses(t.log_name + "+a24f4981+" + b64("\x02" + std::string(32, 'k')), "not supported");
  // The id is checked case-insensitively, as Go's note package parses it.
  CHECK(vkey(replace_once(good, "+a24f4981+", "+A24F4981+")).id == 0xa24f4981u);
}

TEST_CASE("note: signing refuses input it could not sign into a readable note") {
  Vectors t;
  CHECK_THROWS_AS(sign_note("no newline", t.log_name, t.log.sk, t.log.pk), std::invalid_argument);
  CHECK_THROWS_AS(sign_note("blank end\n\n", t.log_name, t.log.sk, t.log.pk), std::invalid_argument);
  CHECK_THROWS_AS(sign_note("cr\r\n", t.log_name, t.log.sk, t.log.pk), std::invalid_argument);
  CHECK_THROWS_AS(sign_note(t.body, "has space", t.log.sk, t.log.pk), std::invalid_argument);
  CHECK_THROWS_AS(sign_note(t.body, "has+plus", t.log.sk, t.log.pk), std::invalid_argument);
  CHECK_THROWS_AS(sign_note(t.body, "", t.log.sk, t.log.pk), std::invalid_argument);
  CHECK_THROWS_AS(sign_note(t.body, t.log_name, t.log.sk, t.witness.pk), std::invalid_argument);
  CHECK_THROWS_AS(cosignature_line(t.body, t.witness_name, uint64_t{1} << 63, t.witness.sk, t.witness.pk),
                  std::invalid_argument);
}
