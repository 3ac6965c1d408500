// Checkpoints, statements of totals, k-of-n witnesses and `cosign`, against
// notes signed by hand in the test with libsodium.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "builder.h"
#include "run.h"

using namespace tb;

namespace {

struct Fixture {
  Standard s;
  std::vector<Bytes> leaves = s.L.leaves();
  std::string dir = tempDir();
  std::string bundle = dir + "/ledger.bundle";
  Fixture() { writeBundle(bundle, leaves); }
  std::string file(const std::string& name, const std::string& text) {
    writeFile(dir + "/" + name, text);
    return dir + "/" + name;
  }
  Result verify(const std::string& args) { return runVerify(quote(bundle) + " " + args); }
  std::string logKey() { return " --log-key " + quote(s.L.logKeyText()); }
};

bool has(const Result& r, const std::string& s) { return r.out.find(s) != std::string::npos; }

// Writes a fundtrail secret key file (docs/keyfile.md) with interactive Argon2id limits.
std::string writeKeyFile(const std::string& path, const std::string& name, const std::string& seedLabel,
                         const std::string& pass, mode_t mode) {
  Bytes seed = sha256(seedLabel);
  uint8_t pk[32], sk[64], salt[crypto_pwhash_SALTBYTES], nonce[crypto_secretbox_NONCEBYTES], key[32];
  crypto_sign_seed_keypair(pk, sk, reinterpret_cast<const uint8_t*>(seed.data()));
  randombytes_buf(salt, sizeof salt);
  randombytes_buf(nonce, sizeof nonce);
  REQUIRE(crypto_pwhash(key, 32, pass.data(), pass.size(), salt, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) == 0);
  uint8_t sealed[32 + crypto_secretbox_MACBYTES];
  crypto_secretbox_easy(sealed, reinterpret_cast<const uint8_t*>(seed.data()), 32, nonce, key);
  auto s = [](const void* p, size_t n) { return b64(Bytes(static_cast<const char*>(p), n)); };
  std::string text = "fundtrail-secret-key v1\nname " + name + "\npublic " + s(pk, 32) + "\nkdf argon2id13 " +
                     std::to_string(crypto_pwhash_OPSLIMIT_INTERACTIVE) + " " +
                     std::to_string(crypto_pwhash_MEMLIMIT_INTERACTIVE) + "\nsalt " + s(salt, sizeof salt) +
                     "\nnonce " + s(nonce, sizeof nonce) + "\nsealed " + s(sealed, sizeof sealed) + "\n";
  writeFile(path, text);
  chmod(path.c_str(), mode);
  return path;
}

}  // namespace

TEST_CASE("verifier: checkpoints: a good one matches and a bad signature or root or key fails") {
  Fixture f;
  std::string good = f.s.L.checkpoint(f.leaves.size());
  std::string early = f.s.L.checkpoint(5);
  Result r = f.verify("--checkpoint " + quote(f.file("cp", good)) + " --checkpoint " + quote(f.file("cp5", early)) + f.logKey());
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(has(r, "size 5, matches the records"));
  CHECK(has(r, "Records 0.." + std::to_string(f.leaves.size() - 1) + " are exactly the records the log committed to"));

  // One character of the signature changed (still valid base64).
  std::string bad = good;
  size_t p = bad.size() - 12;
  bad[p] = bad[p] == 'A' ? 'B' : 'A';
  r = f.verify("--checkpoint " + quote(f.file("bad", bad)) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "checkpoints: " + f.dir + "/bad: the log key's signature does not verify"));
  CHECK(has(r, "consistent with itself only"));

  // A root that does not match the records, signed by the real log key: the records were rewritten.
  std::string body = f.s.L.origin + "\n" + std::to_string(f.leaves.size()) + "\n" + b64(sha256("other history")) + "\n";
  r = f.verify("--checkpoint " + quote(f.file("rewritten", signNote(body, f.s.L.origin, f.s.L.log))) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "its root does not match records 0.." + std::to_string(f.leaves.size()) + "-1"));

  // Two checkpoints of one size with different roots: a split view.
  r = f.verify("--checkpoint " + quote(f.dir + "/cp") + " --checkpoint " + quote(f.dir + "/rewritten") + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "consistency: " + f.dir + "/rewritten: it and " + f.dir + "/cp both claim size"));

  // A trusted key that is not the one genesis names.
  Keypair stranger = Keypair::fromSeed("stranger");
  r = f.verify("--checkpoint " + quote(f.dir + "/cp") + " --log-key " + quote(verifierKey(f.s.L.origin, 1, stranger)));
  CHECK(r.rc == 1);
  CHECK(has(r, "log key: the trusted --log-key is not the log key the genesis record names"));
  CHECK(has(r, "it carries no signature by the log key"));

  // Without --log-key the genesis key is used, and the report says that proves little.
  r = f.verify("--checkpoint " + quote(f.dir + "/cp"));
  CHECK(r.rc == 0);
  CHECK(has(r, "consistent with itself only"));

  // A checkpoint that is not a note at all is a failed check, an unreadable one unusable.
  r = f.verify("--checkpoint " + quote(f.file("junk", "hello\n")) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "not a valid checkpoint: no blank line"));
  CHECK(f.verify("--checkpoint " + quote(f.dir + "/missing") + f.logKey()).rc == 2);
}

TEST_CASE("verifier: an empty or blank key text is a usage error, never 'no key' (issue 20 defect 6)") {
  Fixture f;
  std::string cp = quote(f.file("cp", f.s.L.checkpoint(f.leaves.size())));
  for (const std::string& blank : {std::string(""), std::string("   "), std::string("\t")}) {
    CAPTURE(blank);
    Result r = f.verify("--checkpoint " + cp + " --log-key " + quote(blank));
    CHECK(r.rc == 2);
    CHECK(r.err.find("--log-key") != std::string::npos);
    CHECK(r.err.find("empty") != std::string::npos);
    CHECK(r.out.find("PASS") == std::string::npos);
    r = f.verify("--checkpoint " + cp + f.logKey() + " --witness " + quote(blank));
    CHECK(r.rc == 2);
    CHECK(r.err.find("--witness") != std::string::npos);
    r = runVerify("proof " + quote(f.file("p.json", "{}")) + " --checkpoint " + cp + " --log-key " + quote(blank));
    CHECK(r.rc == 2);
    CHECK(r.err.find("--log-key") != std::string::npos);
  }
}

TEST_CASE("verifier: statement of totals: right totals pass and a wrong total fails naming the party") {
  Fixture f;
  size_t n = f.leaves.size();
  Result r = f.verify("--statement " + quote(f.file("st", f.s.L.statement(n, f.s.L.balances))) + f.logKey());
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  // An earlier size: balances as they were after record 13 (both contributions in).
  std::map<std::string, int64_t> early = {{"carers-trust", 0}, {"council", -25000000}, {"ledger", 0},
                                          {"nhs", -10000000}, {"prime-co", 0}, {"riverside-pool", 35000000}};
  r = f.verify("--statement " + quote(f.file("st14", f.s.L.statement(14, early))) + f.logKey());
  CHECK(r.rc == 0);

  auto wrong = f.s.L.balances;
  wrong["riverside-pool"] += 1;
  r = f.verify("--statement " + quote(f.file("wrong", f.s.L.statement(n, wrong))) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "statement: " + f.dir + "/wrong: party 'riverside-pool': the statement says 328750.01, the records give 328750.00"));

  auto missing = f.s.L.balances;
  missing.erase("nhs");
  r = f.verify("--statement " + quote(f.file("missing", f.s.L.statement(n, missing))) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "party 'nhs' is missing"));

  r = f.verify("--statement " + quote(f.file("long", f.s.L.statement(n + 4, f.s.L.balances))) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "records were removed"));

  // Signed by someone else: refused.
  Keypair stranger = Keypair::fromSeed("stranger");
  std::string body = "fundtrail statement v1\n" + f.s.L.origin + "\n" + std::to_string(n) + "\n";
  for (const auto& [id, v] : f.s.L.balances) body += id + " " + std::to_string(v) + "\n";
  r = f.verify("--statement " + quote(f.file("forged", signNote(body, f.s.L.origin, stranger))) + f.logKey());
  CHECK(r.rc == 1);
  CHECK(has(r, "no signature by the log key"));
}

TEST_CASE("verifier: witnesses: k of n cosignatures required on each checkpoint") {
  Fixture f;
  Keypair w1 = Keypair::fromSeed("w1"), w2 = Keypair::fromSeed("w2"), w3 = Keypair::fromSeed("w3");
  std::string n1 = "witness.example/one", n2 = "witness.example/two", n3 = "witness.example/three";
  std::string cp = f.s.L.checkpoint(f.leaves.size());
  std::string text = cp.substr(0, cp.find("\n\n") + 1);
  std::string cosigned = cp + cosignLine(text, n1, w1, 1764000000) + cosignLine(text, n2, w2, 1764000100);
  std::string file = f.file("cosigned", cosigned);
  std::string ws = " --witness " + quote(verifierKey(n1, 4, w1)) + " --witness " + quote(verifierKey(n2, 4, w2)) +
                   " --witness " + quote(verifierKey(n3, 4, w3));

  Result r = f.verify("--checkpoint " + quote(file) + f.logKey() + ws + " --witnesses-required 2");
  CAPTURE(r.out);
  CHECK(r.rc == 0);
  CHECK(has(r, "cosigned by witness.example/one witness.example/two"));
  CHECK(has(r, "at least 2 of the named witnesses"));

  r = f.verify("--checkpoint " + quote(file) + f.logKey() + ws);  // default: all three
  CHECK(r.rc == 1);
  CHECK(has(r, "witnesses: " + file + ": cosigned by 2 of the 3 named witnesses, 3 required"));

  // A cosignature that does not verify is a failure even when enough others do.
  std::string broken = cp + cosignLine(text, n1, w1, 1764000000) + cosignLine(text + "x", n2, w2, 1764000100);
  r = f.verify("--checkpoint " + quote(f.file("broken", broken)) + f.logKey() + ws + " --witnesses-required 1");
  CHECK(r.rc == 1);
  CHECK(has(r, "the cosignature of witness witness.example/two does not verify"));

  // A log signature key given as a witness key is refused as bad usage.
  CHECK(f.verify("--checkpoint " + quote(file) + " --witness " + quote(verifierKey(n1, 1, w1))).rc == 2);
}

TEST_CASE("verifier: cosign: prints the checkpoint with the auditor cosignature which then counts as a witness") {
  Fixture f;
  std::string cp = f.file("cp", f.s.L.checkpoint(f.leaves.size()));
  std::string name = "auditor.example.org/witness";
  std::string key = writeKeyFile(f.dir + "/auditor.key", name, "auditor seed", "correct horse", 0600);
  std::string env = "FUNDTRAIL_PASSPHRASE='correct horse'";
  Result r = runVerify("cosign " + quote(cp) + " " + quote(f.bundle) + " --key " + quote(key) + f.logKey(), env);
  CAPTURE(r.err);
  REQUIRE(r.rc == 0);
  std::string original = readFile(cp);
  CHECK(r.out.substr(0, original.size()) == original);  // the log's note, unchanged, then our line

  // Check the new line by hand: key id, timestamp, Ed25519 over cosignature/v1.
  Keypair me = Keypair::fromSeed("auditor seed");
  std::string wkey = verifierKey(name, 4, me);
  CHECK(r.err.find("witness key: " + wkey) != std::string::npos);
  std::string line = r.out.substr(original.size());
  std::string prefix = "\xE2\x80\x94 " + name + " ";
  REQUIRE(line.rfind(prefix, 0) == 0);
  std::string b = line.substr(prefix.size(), line.size() - prefix.size() - 1);
  std::vector<uint8_t> raw(b.size());
  size_t len = 0;
  REQUIRE(sodium_base642bin(raw.data(), raw.size(), b.data(), b.size(), nullptr, &len, nullptr,
                            sodium_base64_VARIANT_ORIGINAL) == 0);
  REQUIRE(len == 4 + 8 + 64);
  uint32_t id = uint32_t(raw[0]) << 24 | uint32_t(raw[1]) << 16 | uint32_t(raw[2]) << 8 | raw[3];
  CHECK(id == keyId(name, 4, me));
  uint64_t ts = 0;
  for (int i = 4; i < 12; ++i) ts = ts << 8 | raw[size_t(i)];
  CHECK(ts > 1700000000);
  CHECK(ts <= uint64_t(time(nullptr)));
  std::string text = original.substr(0, original.find("\n\n") + 1);
  std::string msg = "cosignature/v1\ntime " + std::to_string(ts) + "\n" + text;
  CHECK(crypto_sign_verify_detached(raw.data() + 12, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(),
                                    me.pk.data()) == 0);

  // The cosigned checkpoint is accepted with the auditor as a required witness.
  std::string cosigned = f.file("cosigned", r.out);
  Result v = f.verify("--checkpoint " + quote(cosigned) + f.logKey() + " --witness " + quote(wkey));
  CAPTURE(v.out);
  CHECK(v.rc == 0);
  CHECK(has(v, "cosigned by " + name));

  // Cosigning again replaces our old line rather than adding a second one.
  Result again = runVerify("cosign " + quote(cosigned) + " " + quote(f.bundle) + " --key " + quote(key) + f.logKey(), env);
  CHECK(again.rc == 0);
  size_t count = 0;
  for (size_t at = again.out.find(prefix); at != std::string::npos; at = again.out.find(prefix, at + 1)) ++count;
  CHECK(count == 1);
}

TEST_CASE("verifier: cosign refuses a failing ledger or a wrong passphrase or a key file open to others") {
  Fixture f;
  std::string cp = f.file("cp", f.s.L.checkpoint(f.leaves.size()));
  std::string key = writeKeyFile(f.dir + "/k", "auditor.example.org/w", "seed", "pw", 0600);
  std::string args = "cosign " + quote(cp) + " " + quote(f.bundle) + " --key " + quote(key) + f.logKey();

  // The ledger is overspent after the checkpoint: nothing is printed on stdout.
  f.s.L.pay("riverside-pool", "carers-trust", 32875001, {&f.s.pool, &f.s.poolApprover});
  writeBundle(f.bundle, f.s.L.leaves());
  Result r = runVerify(args, "FUNDTRAIL_PASSPHRASE=pw");
  CHECK(r.rc == 1);
  CHECK(r.out.empty());
  CHECK(r.err.find("not cosigned") != std::string::npos);
  writeBundle(f.bundle, f.leaves);

  r = runVerify(args, "FUNDTRAIL_PASSPHRASE=wrong");
  CHECK(r.rc == 2);
  CHECK(r.err.find("wrong passphrase") != std::string::npos);

  r = runVerify(args);  // no passphrase and no terminal
  CHECK(r.rc == 2);
  CHECK(r.err.find("FUNDTRAIL_PASSPHRASE") != std::string::npos);

  chmod(key.c_str(), 0644);
  r = runVerify(args, "FUNDTRAIL_PASSPHRASE=pw");
  CHECK(r.rc == 2);
  CHECK(r.err.find("open to group or others") != std::string::npos);
  CHECK(r.out.empty());
}

// The demo ledger's clean run is in test_contracts.cpp (it holds contracts, statuses and claims).
