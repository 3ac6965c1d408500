// CSV import rows, through the real `fundtrail import` command on a small
// ledger in /dev/shm: every row is parsed, checked, signed and appended or
// refused with a line number. The officer's key file uses libsodium's minimum
// Argon2id cost so that unlocking it costs microseconds, not a second.
#include <kj/exception.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/context.h"
#include "fuzz_support.h"
#include "ledger/hash.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/record.h"

using namespace fundtrail;

namespace {

constexpr const char* kPassphrase = "fuzz";

// A key file as docs/keyfile.md lays it out, sealed at the minimum KDF cost.
void write_cheap_key_file(const std::string& path, const KeyPair& k) {
  unsigned long long ops = crypto_pwhash_OPSLIMIT_MIN;
  size_t mem = crypto_pwhash_MEMLIMIT_MIN;
  uint8_t salt[crypto_pwhash_SALTBYTES] = {1}, nonce[crypto_secretbox_NONCEBYTES] = {2}, box[crypto_secretbox_KEYBYTES];
  if (crypto_pwhash(box, sizeof box, kPassphrase, std::strlen(kPassphrase), salt, ops, mem, crypto_pwhash_ALG_ARGON2ID13))
    std::abort();
  uint8_t sealed[32 + crypto_secretbox_MACBYTES];
  crypto_secretbox_easy(sealed, k.sk.data(), 32, nonce, box);
  auto b64 = [](const uint8_t* p, size_t n) { return base64(std::span<const uint8_t>(p, n)); };
  std::ofstream(path) << "fundtrail-secret-key v1\nname " << k.name << "\npublic " << b64(k.pk.data(), 32)
                      << "\nkdf argon2id13 " << ops << " " << mem << "\nsalt " << b64(salt, sizeof salt) << "\nnonce "
                      << b64(nonce, sizeof nonce) << "\nsealed " << b64(sealed, sizeof sealed) << "\n";
  ::chmod(path.c_str(), 0600);
}

struct World {
  std::string dir, key_file;
};

SignedRequest signed_request(const std::string& origin, const std::string& idem, const KeyPair& k,
                             const std::function<void(schema::Entry::Body::Builder)>& fill) {
  SignedRequest r;
  r.entry = build_entry(origin, 0, idem, fill);
  r.signatures.push_back(sign_entry(r.entry, k));
  return r;
}

World make_world() {
  World w;
  char tmpl[] = "/dev/shm/fundtrail-fuzz-import-XXXXXX";
  if (!::mkdtemp(tmpl)) std::abort();
  w.dir = std::string(tmpl) + "/books";
  w.key_file = std::string(tmpl) + "/officer.key";
  const std::string origin = "fuzz.example/import";
  KeyPair log = generate_key(origin), admin = generate_key("admin"), officer = generate_key("officer");
  Ledger l = Ledger::create(w.dir, signed_request(origin, "genesis", admin, [&](schema::Entry::Body::Builder b) {
                              auto g = b.initGenesis();
                              g.setFormatVersion(1);
                              g.setOrigin(origin);
                              g.setLogPublicKey(capnp::Data::Reader(log.pk.data(), 32));
                              g.initAdminKeys(1).set(0, capnp::Data::Reader(admin.pk.data(), 32));
                              g.setCurrency("GBP");
                              g.setDualControlThreshold(100000);
                            }));
  auto party = [&](const char* id, schema::PartyKind kind) {
    l.append(signed_request(origin, std::string("party-") + id, admin, [&](schema::Entry::Body::Builder b) {
      auto p = b.initPartyRegistered();
      p.setId(id);
      p.setName(id);
      p.setKind(kind);
    }));
  };
  party("council", schema::PartyKind::COMMISSIONER);
  party("pool", schema::PartyKind::POOL);
  party("ace", schema::PartyKind::INTEGRATOR);
  for (const char* id : {"council", "pool"})
    l.append(signed_request(origin, std::string("grant-") + id, admin, [&](schema::Entry::Body::Builder b) {
      auto g = b.initKeyGranted();
      g.setParty(id);
      g.setPublicKey(capnp::Data::Reader(officer.pk.data(), 32));
      g.setRole(schema::Role::OFFICER);
    }));
  write_cheap_key_file(w.key_file, officer);
  return w;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  ::setenv("FUNDTRAIL_PASSPHRASE", kPassphrase, 1);
  if (!std::freopen("/dev/null", "w", stdout)) return 0;  // the import's "N first last" lines
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const World w = make_world();
  static fuzz::InputFile csv("rows.csv");
  CLI::App app;
  cli::Context ctx;
  app.add_option("--ledger", ctx.ledger_dir);
  cli::add_import_command(app, ctx);
  std::vector<std::string> args = {"--ledger", w.dir, "import", csv.write(data, size), "--key", w.key_file};
  std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
  try {
    app.parse(args);
  } catch (const CLI::Error&) {
  } catch (const Error&) {  // refused (exit 1) or unusable (exit 2), as main reports them
  } catch (const kj::Exception&) {
    __builtin_trap();  // a record the CLI built itself must always encode
  }
  return 0;
}
