// Keys: generation, signing, passphrase-sealed key files (docs/keyfile.md).
// Key files use Kdf::interactive so the suite stays quick.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "ledger/hash.h"
#include "test_ledger_support.h"

using namespace ft_test;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const std::string& path, const std::string& text, mode_t mode = 0600) {
  std::ofstream(path, std::ios::trunc) << text;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

std::string unusable_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    CHECK(e.kind == ErrorKind::unusable);
    return e.what();
  }
  FAIL("expected Error(unusable)");
  return "";
}

std::array<uint8_t, 32> from_hex32(const std::string& h) {
  std::array<uint8_t, 32> out{};
  REQUIRE(h.size() == 64);
  for (size_t i = 0; i < 32; ++i) out[i] = static_cast<uint8_t>(std::stoi(h.substr(2 * i, 2), nullptr, 16));
  return out;
}

const std::string kPass = "correct horse battery staple";

}  // namespace

TEST_CASE("keys: generated keys are distinct and sign verifiably") {
  KeyPair a = generate_key("a"), b = generate_key("b");
  CHECK(a.name == "a");
  CHECK(a.pk != b.pk);
  Bytes msg{1, 2, 3, 4, 5};
  auto s = sign_entry(msg, a);
  CHECK(s.pk == a.pk);
  CHECK(crypto_sign_verify_detached(s.sig.data(), msg.data(), msg.size(), a.pk.data()) == 0);
  CHECK(crypto_sign_verify_detached(s.sig.data(), msg.data(), msg.size(), b.pk.data()) != 0);
  msg[0] ^= 1;
  CHECK(crypto_sign_verify_detached(s.sig.data(), msg.data(), msg.size(), a.pk.data()) != 0);
}

TEST_CASE("keys: key_from_seed matches RFC 8032 test 1") {
  KeyPair k = key_from_seed("rfc8032", from_hex32("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  CHECK(hex(k.pk) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  auto s = sign_entry(std::span<const uint8_t>(), k);
  CHECK(hex(s.sig) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
}

TEST_CASE("keys: a saved key file is mode 0600, reloads with the passphrase and is never overwritten") {
  TempDir tmp;
  KeyPair k = generate_key("council-officer");
  std::string path = tmp.sub("officer.key");
  save_key_file(path, k, kPass, Kdf::interactive);

  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);

  std::string text = read_text(path);
  CHECK(starts_with(text, "fundtrail-secret-key v1\nname council-officer\npublic "));
  // the secret is sealed: neither the seed nor the secret key appears in the file
  CHECK_FALSE(contains(text, base64(std::span<const uint8_t>(k.sk.data(), 32))));
  CHECK_FALSE(contains(text, base64(std::span<const uint8_t>(k.sk.data(), 64))));

  KeyPair loaded = load_key_file(path, kPass);
  CHECK(loaded.pk == k.pk);
  CHECK(loaded.sk == k.sk);
  CHECK(loaded.name == "council-officer");
  Bytes msg{9, 9, 9};
  auto sig = sign_entry(msg, loaded);
  CHECK(crypto_sign_verify_detached(sig.sig.data(), msg.data(), msg.size(), k.pk.data()) == 0);

  auto info = read_key_public(path);
  CHECK(info.pk == k.pk);
  CHECK(info.name == "council-officer");

  // refuses to overwrite, and leaves the file as it was
  KeyPair other = generate_key("other");
  auto msg_overwrite = unusable_message([&] { save_key_file(path, other, kPass, Kdf::interactive); });
  CHECK(contains(msg_overwrite, "never overwritten"));
  CHECK(read_text(path) == text);
  CHECK(load_key_file(path, kPass).pk == k.pk);
}

TEST_CASE("keys: two saves of one key differ (fresh salt and nonce)") {
  TempDir tmp;
  KeyPair k = generate_key("k");
  save_key_file(tmp.sub("a"), k, kPass, Kdf::interactive);
  save_key_file(tmp.sub("b"), k, kPass, Kdf::interactive);
  CHECK(read_text(tmp.sub("a")) != read_text(tmp.sub("b")));
  CHECK(load_key_file(tmp.sub("b"), kPass).pk == k.pk);
}

TEST_CASE("keys: a wrong passphrase is unusable with a clear message") {
  TempDir tmp;
  KeyPair k = generate_key("k");
  std::string path = tmp.sub("k.key");
  save_key_file(path, k, kPass, Kdf::interactive);
  for (std::string wrong : {std::string("correct horse battery stapler"), std::string(""), std::string("CORRECT horse battery staple")}) {
    auto msg = unusable_message([&] { load_key_file(path, wrong); });
    CHECK(contains(msg, "wrong passphrase"));
    CHECK(contains(msg, path));
  }
}

TEST_CASE("keys: an empty passphrase works when it is the one used") {
  TempDir tmp;
  KeyPair k = generate_key("k");
  save_key_file(tmp.sub("k"), k, "", Kdf::interactive);
  CHECK(load_key_file(tmp.sub("k"), "").pk == k.pk);
  CHECK(contains(unusable_message([&] { load_key_file(tmp.sub("k"), "x"); }), "wrong passphrase"));
}

TEST_CASE("keys: a group- or world-readable key file is refused") {
  TempDir tmp;
  KeyPair k = generate_key("k");
  std::string path = tmp.sub("k.key");
  save_key_file(path, k, kPass, Kdf::interactive);
  for (mode_t mode : {mode_t(0640), mode_t(0604), mode_t(0660), mode_t(0644), mode_t(0610)}) {
    CAPTURE(mode);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto msg = unusable_message([&] { load_key_file(path, kPass); });
    CHECK(contains(msg, "readable by others"));
    CHECK(contains(msg, "chmod 600"));
  }
  REQUIRE(::chmod(path.c_str(), 0400) == 0);  // owner-only, read-only: fine
  CHECK(load_key_file(path, kPass).pk == k.pk);
}

TEST_CASE("keys: garbled or missing key files are refused") {
  TempDir tmp;
  KeyPair k = generate_key("k");
  std::string path = tmp.sub("k.key");
  save_key_file(path, k, kPass, Kdf::interactive);
  const std::string good = read_text(path);
  auto line_value = [&](const std::string& tag) {
    auto at = good.find("\n" + tag + " ") + tag.size() + 2;
    return good.substr(at, good.find('\n', at) - at);
  };
  auto replace_line = [&](const std::string& tag, const std::string& value) {
    std::string t = good;
    auto at = t.find("\n" + tag + " ") + tag.size() + 2;
    t.replace(at, t.find('\n', at) - at, value);
    return t;
  };
  auto refused = [&](const std::string& text) {
    std::string p = tmp.sub("garbled");
    std::remove(p.c_str());
    write_text(p, text);
    return unusable_message([&] { load_key_file(p, kPass); });
  };

  CHECK(contains(refused("hello\n"), "not a fundtrail key file"));
  CHECK(contains(refused(""), "not a fundtrail key file"));
  CHECK(contains(refused(good.substr(0, good.find("\nsalt"))), "not a fundtrail key file"));  // truncated
  CHECK(contains(refused(replace_line("salt", "!!!not base64!!!")), "malformed"));
  CHECK(contains(refused(replace_line("nonce", "AAAA")), "malformed"));  // wrong length
  CHECK(contains(refused(replace_line("kdf", "scrypt 1 2")), "kdf"));
  CHECK(contains(refused(replace_line("kdf", "argon2id13 0 0")), "range"));
  // a flipped bit in the sealed seed fails authentication: nothing is unsealed
  std::string sealed = line_value("sealed");
  std::string raw;
  REQUIRE(from_base64(sealed, raw));
  raw[3] ^= 1;
  CHECK(contains(refused(replace_line("sealed", base64(std::span<const uint8_t>(
                                                    reinterpret_cast<const uint8_t*>(raw.data()), raw.size())))),
                 "passphrase"));
  // a public line swapped for another key does not match the sealed seed
  KeyPair other = generate_key("other");
  CHECK(contains(refused(replace_line("public", base64(other.pk))), "inconsistent"));
  // a missing file
  CHECK(contains(unusable_message([&] { load_key_file(tmp.sub("absent"), kPass); }), "absent"));
  CHECK_THROWS_AS(read_key_public(tmp.sub("absent")), Error);
  // and the original still loads
  CHECK(load_key_file(path, kPass).pk == k.pk);
}

TEST_CASE("keys: names that cannot appear in a signed note are refused on save") {
  TempDir tmp;
  for (std::string name : {std::string(""), std::string("two words"), std::string("a+b"), std::string("line\nbreak")}) {
    KeyPair k = generate_key(name);
    unusable_message([&] { save_key_file(tmp.sub("k"), k, kPass, Kdf::interactive); });
    struct stat st;
    CHECK(::stat(tmp.sub("k").c_str(), &st) != 0);  // nothing written
  }
}

TEST_CASE("keys: public key text round-trips as a signed-note verifier key") {
  TempDir tmp;
  KeyPair k = generate_key("council-officer");
  std::string path = tmp.sub("k.key");
  save_key_file(path, k, kPass, Kdf::interactive);
  std::string text = public_key_text(read_key_public(path));
  CHECK(starts_with(text, "council-officer+"));
  CHECK(parse_public_key_arg(text) == k.pk);
  CHECK(parse_public_key_arg(path) == k.pk);  // a key file path works as well
  // the key id is the first 4 bytes of SHA-256(name || 0x0A || 0x01 || key)
  std::vector<uint8_t> buf{'c', 'o', 'u', 'n', 'c', 'i', 'l', '-', 'o', 'f', 'f', 'i', 'c', 'e', 'r', 0x0A, 0x01};
  buf.insert(buf.end(), k.pk.begin(), k.pk.end());
  Hash h = ref_sha256(buf);
  CHECK(text.substr(16, 8) == hex(std::span<const uint8_t>(h.data(), 4)));
  // a wrong key id is refused
  std::string bad = text;
  bad[16] = bad[16] == '0' ? '1' : '0';
  CHECK_THROWS_AS(parse_public_key_arg(bad), Error);
}

TEST_CASE("keys: a loaded key signs records the ledger accepts") {
  World w;
  std::string path = w.tmp.sub("officer.key");
  KeyPair fresh = generate_key("sme-officer-2");
  save_key_file(path, fresh, kPass, Kdf::interactive);
  expect_appended(w.L(), w.grant("sme", read_key_public(path).pk, Role::OFFICER, {w.admin}));
  KeyPair loaded = load_key_file(path, kPass);
  expect_appended(w.L(), w.payment("sme", "prime", 10, {loaded}));
}
