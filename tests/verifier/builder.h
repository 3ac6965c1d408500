// Test-side ledger builder: writes fundtrail records byte by byte with Cap'n
// Proto and libsodium, and stores them as a bundle or an LMDB directory with
// the raw LMDB API. It uses neither ledger/ nor the verifier's own code, so the
// tamper tests check the verifier against an independent writer.
#pragma once
#include <sodium.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fundtrail.capnp.h"

namespace tb {

namespace schema = ::fundtrail::schema;
using Bytes = std::string;  // raw bytes

struct Keypair {
  std::array<uint8_t, 32> pk{};
  std::array<uint8_t, 64> sk{};
  static Keypair fromSeed(const std::string& label);  // deterministic: seed = SHA-256(label)
  Bytes pub() const { return Bytes(reinterpret_cast<const char*>(pk.data()), 32); }
  std::string b64() const;
};

std::string b64(const Bytes& b);
Bytes sha256(const Bytes& b);
Bytes leafHash(const Bytes& leaf);
Bytes rootOf(const std::vector<Bytes>& leaves, size_t n);  // plain recursive RFC 6962 MTH
// RFC 6962 section 2.1 over leaf hashes `lh`: MTH(lh[lo:hi]) and PATH(m, lh[lo:hi]),
// nearest the leaf first, for the proofs the tests build by hand.
Bytes mthOfHashes(const std::vector<Bytes>& lh, size_t lo, size_t hi);
std::vector<Bytes> auditPath(const std::vector<Bytes>& lh, size_t m, size_t lo, size_t hi);

// A signed note built by hand: Ed25519 signature line, key id per C2SP signed-note.
uint32_t keyId(const std::string& name, uint8_t type, const Keypair& k);
std::string verifierKey(const std::string& name, uint8_t type, const Keypair& k);
std::string signNote(const std::string& text, const std::string& name, const Keypair& k);
// A cosignature/v1 line for the note's text.
std::string cosignLine(const std::string& text, const std::string& name, const Keypair& k, uint64_t ts);

struct Record {
  Bytes entry;                            // canonical Entry bytes (or whatever a test puts there)
  std::vector<std::pair<Bytes, Bytes>> sigs;  // (public key, signature), sorted by key
  int64_t recordedAt = 0;
  uint64_t batchSeq = 0;                  // in a payment run: its batch record's seq
};

class Ledger {
 public:
  explicit Ledger(std::string origin = "example.gov.uk/fundtrail/riverside", std::string currency = "GBP",
                  int64_t dualControl = 1000000);
  std::string origin, currency;
  Keypair admin, log;
  std::vector<Record> records;
  int64_t clock = 1764000000000;
  std::map<std::string, int64_t> balances;  // what the records give, kept by the helpers below

  // Builds an Entry (fill sets its body), canonicalizes it and signs it.
  Bytes entry(const std::function<void(schema::Entry::Builder)>& fill, const std::string& idem,
              const std::string& originOverride = "");
  static Record sign(const Bytes& entry, const std::vector<const Keypair*>& signers);
  uint64_t add(const Bytes& entry, const std::vector<const Keypair*>& signers);
  uint64_t add(const std::function<void(schema::Entry::Builder)>& fill, const std::vector<const Keypair*>& signers);

  uint64_t registerParty(const std::string& id, schema::PartyKind kind, bool budgetLimited = false,
                         const std::vector<std::string>& orgIds = {});
  uint64_t grant(const std::string& party, const Keypair& k, schema::Role role);
  uint64_t revoke(const std::string& party, const Keypair& k);
  uint64_t contribute(const std::string& from, const std::string& to, int64_t amount,
                      const std::vector<const Keypair*>& signers);
  uint64_t pay(const std::string& from, const std::string& to, int64_t amount, const std::vector<const Keypair*>& signers,
               const std::string& memo = "");
  uint64_t reverse(uint64_t target, const std::string& from, const std::string& to, int64_t amount,
                   const std::vector<const Keypair*>& signers);
  uint64_t assign(const std::string& accountable, const std::string& responsible, const std::string& subject,
                  const std::vector<const Keypair*>& signers);

  // Contracts and party statuses (docs/rules.md rules 2, 9-11).
  struct Row {
    std::string milestone{}, group{};
    int64_t unitPrice = 0;
    bool fromParent = false;  // financedBy parent
  };
  struct Terms {
    std::string reference{}, payer{}, payee{}, parent{};
    std::string subject = "employment support";
    uint32_t start = 20250401, end = 20270331;
    int64_t cap = 0;
    std::vector<Row> schedule{};
  };
  uint64_t agree(const Terms& t, const std::vector<const Keypair*>& signers);
  // newCap/newEnd 0: unchanged; rows given: the schedule is replaced by them.
  uint64_t vary(const std::string& reference, int64_t newCap, uint32_t newEnd, const std::vector<Row>* rows,
                const std::vector<const Keypair*>& signers, const std::string& reason = "agreed change");
  uint64_t endContract(const std::string& reference, schema::EndReason reason, const std::string& successor,
                       const std::vector<const Keypair*>& signers);
  uint64_t status(const std::string& party, schema::PartyStatus status, uint32_t from);
  struct Payment {
    std::string from{}, to{};
    int64_t amount = 0;
    schema::Mechanism mechanism = schema::Mechanism::FEE;
    uint32_t valueDate = 20251125;
    uint64_t contractSeq = 0;
    std::string milestone{}, group{};
    uint32_t outcomeCount = 0;
    std::vector<std::string> claims{};
    std::string reference{};
  };
  uint64_t payment(const Payment& p, const std::vector<const Keypair*>& signers);

  // Payment runs (DESIGN.md "Payment runs"). The genesis says formatVersion 1
  // until a test sets it or adds a batch (which raises it to 2 unless set).
  uint32_t formatVersion = 1;
  void setFormatVersion(uint32_t v);  // re-signs genesis with this version
  // Runs `make` with add() capturing the Entry bytes it would sign instead of
  // appending them: every helper above builds a run's records this way.
  std::vector<Bytes> collect(const std::function<void()>& make);
  // Appends the batch record (count, root over the entries, derived key or
  // `idem`), signed by `signers`, then the entries unsigned with batchSeq set.
  uint64_t batch(const std::vector<Bytes>& entries, const std::vector<const Keypair*>& signers,
                 const std::string& idem = "");
  // The batch Entry alone (tests re-sign a tampered one with sign()).
  Bytes batchEntry(uint32_t count, const Bytes& root, const std::string& idem);
  static std::string idemOf(const Bytes& entry);                 // an Entry's idempotency key
  static std::string batchKey(const std::vector<Bytes>& entries);  // "batch-" + hex of 16 bytes
  static Bytes batchRoot(const std::vector<Bytes>& entries) { return rootOf(entries, entries.size()); }
  // A run's record as stored: no signatures, batchSeq set.
  Record batched(const Bytes& entry, uint64_t batchSeq) const;

  // The stored leaves: canonical SignedEntry bytes, chained in order.
  std::vector<Bytes> leaves() const;
  static Bytes leaf(uint64_t seq, const Bytes& prevHash, int64_t recordedAt, const Record& r);

  std::string checkpoint(size_t size) const;  // signed by the log key
  std::string logKeyText() const { return verifierKey(origin, 0x01, log); }
  std::string statement(size_t size, const std::map<std::string, int64_t>& balances) const;

 private:
  int counter_ = 0;
  bool versionSet_ = false;
  int64_t dualControl_;
  std::vector<Bytes>* capture_ = nullptr;
  void addGenesis();
};

void writeBundle(const std::string& path, const std::vector<Bytes>& leaves);
void writeLmdb(const std::string& dir, const std::vector<Bytes>& leaves);
void writeFile(const std::string& path, const std::string& bytes);
std::string readFile(const std::string& path);

// The standard test ledger: parties, keys, contributions, payments, a reversal.
struct Standard {
  Ledger L;
  Keypair council, councilApprover, nhs, pool, poolApprover, prime;
  uint64_t smallPayment = 0, bigPayment = 0;
  Standard();
};

}  // namespace tb
