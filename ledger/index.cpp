#include "ledger/index.h"

#include <cstring>

#include "ledger/assert.h"
#include "ledger/error.h"

namespace fundtrail::index {
namespace {

[[noreturn]] void malformed(const std::string& what) {
  refuse("index", "", std::nullopt, what + " is malformed; run fundtrail reindex");
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

// Callers have checked that `at + 8` is inside `v`.
uint64_t be64_at(std::string_view v, size_t at) { return read_be64(v.substr(at, 8)); }
std::string be32(uint32_t v) { return be64(v).substr(4); }
uint32_t be32_at(std::string_view v, size_t at) {
  uint32_t r = 0;
  for (size_t i = at; i < at + 4; ++i) r = (r << 8) | static_cast<uint8_t>(v[i]);
  return r;
}

std::string_view bytes_of(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }
Hash hash_at(std::string_view v, size_t at) {
  Hash h;
  std::memcpy(h.data(), v.data() + at, h.size());
  return h;
}

}  // namespace

// ---- seq-keyed databases ----------------------------------------------------

std::string seq_key(uint64_t seq) { return be64(seq); }

uint64_t read_seq(std::string_view bytes, std::string_view what) {
  if (bytes.size() != 8) malformed("the " + std::string(what) + " (" + std::to_string(bytes.size()) + " bytes, not 8)");
  return read_be64(bytes);
}

// ---- tree -------------------------------------------------------------------

std::string tree_key(unsigned level, uint64_t index) { return std::string(1, static_cast<char>(level)) + be64(index); }

std::string hash_value(const Hash& h) { return std::string(bytes_of(h)); }

Hash read_hash(std::string_view bytes, std::string_view what) {
  if (bytes.size() != 32) malformed("the " + std::string(what) + " (" + std::to_string(bytes.size()) + " bytes, not 32)");
  return hash_at(bytes, 0);
}

// ---- meta -------------------------------------------------------------------

std::string format_value(uint32_t version) { return std::to_string(version); }

Head read_head(std::string_view size, std::string_view hash, std::string_view recorded_at) {
  Head h;
  h.size = read_seq(size, "meta size");
  h.hash = read_hash(hash, "meta head");
  h.recorded_at = static_cast<int64_t>(read_seq(recorded_at, "meta recorded_at"));
  return h;
}

Head read_head(const Txn& txn) {
  auto size = txn.get(txn.dbs().meta, "size");
  if (!size) unusable("the ledger has no head: it was never initialised");
  // A damaged meta database must be an error, not a read through an empty optional.
  auto head = txn.get(txn.dbs().meta, "head");
  auto recorded_at = txn.get(txn.dbs().meta, "recorded_at");
  if (!head || !recorded_at) unusable("the ledger's head is incomplete (meta lacks 'head' or 'recorded_at'); the ledger is damaged");
  return read_head(*size, *head, *recorded_at);
}

void write_head(Txn& txn, const Head& h) {
  txn.put(txn.dbs().meta, "size", be64(h.size));
  txn.put(txn.dbs().meta, "head", bytes_of(h.hash));
  txn.put(txn.dbs().meta, "recorded_at", be64(static_cast<uint64_t>(h.recorded_at)));
}

// ---- idem -------------------------------------------------------------------

std::string idem_value(uint64_t seq, const Hash& body, bool seq_only) {
  return seq_only ? be64(seq) : be64(seq) + std::string(bytes_of(body));
}

uint64_t read_idem_seq(std::string_view v) {
  if (v.size() != 8 && v.size() != 40) malformed("an idempotency index entry (" + std::to_string(v.size()) + " bytes, not 8 or 40)");
  return be64_at(v, 0);
}

// ---- parties ----------------------------------------------------------------

std::string party_value(const PartyState& p) {
  std::string v(1, static_cast<char>(p.kind));
  v += static_cast<char>(p.budget_limited ? 1 : 0);
  v += be64(static_cast<uint64_t>(p.balance));
  v += be64(p.registered_at);
  return v;
}

PartyState read_party(std::string_view id, std::string_view v) {
  if (v.size() != 18) malformed("the parties index entry for " + quoted(id));
  PartyState p;
  p.id = std::string(id);
  p.kind = static_cast<schema::PartyKind>(static_cast<uint8_t>(v[0]));
  p.budget_limited = v[1] != 0;
  p.balance = static_cast<int64_t>(be64_at(v, 2));
  p.registered_at = be64_at(v, 10);
  return p;
}

// ---- grants -----------------------------------------------------------------

std::string grant_prefix(std::string_view party) { return std::string(party) + '\0'; }

std::string grant_key(std::string_view party, const PublicKey& key) {
  return grant_prefix(party) + std::string(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string grant_value(const Grant& g) {
  std::string v(1, static_cast<char>(g.role));
  v += be64(g.granted_at);
  v += static_cast<char>(g.revoked ? 1 : 0);
  v += be64(g.revoked_at);
  return v;
}

Grant read_grant(std::string_view k, std::string_view v) {
  if (v.size() != 18 || k.size() < 33 || k[k.size() - 33] != '\0') malformed("a grants index entry");
  Grant g;
  g.party = std::string(k.substr(0, k.size() - 33));
  std::memcpy(g.key.data(), k.data() + k.size() - 32, 32);
  g.role = static_cast<schema::Role>(static_cast<uint8_t>(v[0]));
  g.granted_at = be64_at(v, 1);
  g.revoked = v[9] != 0;
  g.revoked_at = be64_at(v, 10);
  return g;
}

// ---- contracts --------------------------------------------------------------

std::string contract_value(const ContractState& c) {
  std::string v = be64(c.seq) + be64(static_cast<uint64_t>(c.cap)) + be64(static_cast<uint64_t>(c.paid));
  v += be32(c.start) + be32(c.end);
  v += static_cast<char>(c.ended ? 1 : 0);
  v += be64(c.schedule_seq);
  v += be64(c.changed_at);
  v += c.payer + '\0' + c.payee + '\0' + c.parent;
  return v;
}

ContractState read_contract(std::string_view ref, std::string_view v) {
  auto bad = [&] { malformed("the contracts index entry for " + quoted(ref)); };
  if (v.size() < 51) bad();  // 49 bytes of numbers, two separators
  ContractState c;
  c.reference = std::string(ref);
  c.seq = be64_at(v, 0);
  c.cap = static_cast<int64_t>(be64_at(v, 8));
  c.paid = static_cast<int64_t>(be64_at(v, 16));
  c.start = be32_at(v, 24);
  c.end = be32_at(v, 28);
  c.ended = v[32] != 0;
  c.schedule_seq = be64_at(v, 33);
  c.changed_at = be64_at(v, 41);
  std::string_view rest = v.substr(49);
  size_t a = rest.find('\0');
  size_t b = a == std::string_view::npos ? a : rest.find('\0', a + 1);
  if (b == std::string_view::npos) bad();
  c.payer = std::string(rest.substr(0, a));
  c.payee = std::string(rest.substr(a + 1, b - a - 1));
  c.parent = std::string(rest.substr(b + 1));
  return c;
}

// ---- claims -----------------------------------------------------------------

std::string claim_key(std::string_view claim, std::string_view milestone) {
  return std::string(claim) + '\0' + std::string(milestone);
}

std::string claims_value(const std::vector<PaidClaim>& paid) {
  std::string v;
  for (auto& p : paid) v += p.reference + '\0' + be64(p.seq);
  return v;
}

std::vector<PaidClaim> read_claims(std::string_view v) {
  std::vector<PaidClaim> out;
  while (!v.empty()) {
    size_t z = v.find('\0');
    if (z == std::string_view::npos || v.size() < z + 9) malformed("a claims index entry");
    out.push_back({std::string(v.substr(0, z)), be64_at(v, z + 1)});
    v.remove_prefix(z + 9);
  }
  return out;
}

// ---- statuses ---------------------------------------------------------------

std::string status_prefix(std::string_view party) { return std::string(party) + '\0'; }

std::string status_key(std::string_view party, uint32_t from, uint64_t seq) {
  return status_prefix(party) + be32(from) + be64(seq);
}

std::string status_value(schema::PartyStatus status) { return std::string(1, static_cast<char>(status)); }

std::string flow_key(std::string_view payer, std::string_view payee) { return std::string(payer) + '\0' + std::string(payee); }

std::string flow_value(const Flow& f) { return be64(static_cast<uint64_t>(f.paid)) + be64(static_cast<uint64_t>(f.refunded)); }

Flow read_flow(std::string_view v) {
  if (v.size() != 16) malformed("a flows index entry");
  return {static_cast<int64_t>(be64_at(v, 0)), static_cast<int64_t>(be64_at(v, 8))};
}

StatusChange read_status(std::string_view k, std::string_view v) {
  if (v.size() != 1 || k.size() < 13 || k[k.size() - 13] != '\0') malformed("a statuses index entry");
  StatusChange s;
  s.party = std::string(k.substr(0, k.size() - 13));
  s.from = be32_at(k, k.size() - 12);
  s.seq = be64_at(k, k.size() - 8);
  s.status = static_cast<schema::PartyStatus>(static_cast<uint8_t>(v[0]));
  return s;
}

// ---- history ----------------------------------------------------------------

std::string history_seq_prefix(std::string_view party, uint64_t epoch) {
  return 's' + be32(static_cast<uint32_t>(epoch)) + std::string(party) + '\x00';
}
std::string history_seq_key(std::string_view party, uint64_t first_seq) {
  return history_seq_prefix(party, first_seq >> kHistoryEpochBits) + be64(first_seq);
}
std::string history_day_prefix(std::string_view party) { return 'd' + std::string(party) + '\x00'; }
std::string history_day_key(std::string_view party, uint32_t day) { return history_day_prefix(party) + be32(day); }

uint64_t read_history_seq(std::string_view key, size_t prefix_size) {
  if (key.size() != prefix_size + 8) malformed("a history key (" + std::to_string(key.size()) + " bytes)");
  return be64_at(key, prefix_size);
}

uint32_t read_history_day(std::string_view key, size_t prefix_size) {
  if (key.size() != prefix_size + 4) malformed("a history key (" + std::to_string(key.size()) + " bytes)");
  return be32_at(key, prefix_size);
}

namespace {

// LEB128, as Protocol Buffers write unsigned varints: 7 bits a byte, low first.
void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t take_varint(std::string_view chunk, size_t& at) {
  uint64_t v = 0;
  for (unsigned shift = 0; at < chunk.size(); shift += 7) {
    auto byte = static_cast<uint8_t>(chunk[at++]);
    // The tenth byte holds bit 63 alone: anything more would not fit.
    if (shift == 63 && byte > 1) malformed("a history chunk (a varint past 64 bits)");
    v |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return v;
  }
  malformed("a history chunk (it ends inside a varint)");
}

uint64_t zigzag(uint64_t difference) {  // two's-complement difference -> small for small magnitudes
  return (difference << 1) ^ (0 - (difference >> 63));
}
uint64_t unzigzag(uint64_t v) { return (v >> 1) ^ (0 - (v & 1)); }

}  // namespace

HistoryMove history_move_at(std::string_view chunk, uint64_t first_seq, uint64_t seq) {
  if (chunk.empty()) malformed("a history chunk (empty)");
  HistoryMove at{first_seq, 0};
  size_t pos = 0;
  bool first = true;
  while (pos < chunk.size()) {
    uint64_t step = take_varint(chunk, pos);
    uint64_t difference = unzigzag(take_varint(chunk, pos));
    if (first && step != 0) malformed("a history chunk (its first move is not at its key's seq)");
    if (step > UINT64_MAX - at.seq) malformed("a history chunk (a seq past 2^64)");
    if (at.seq + step > seq) {
      if (first) malformed("a history chunk (read for a seq before its first move)");
      break;
    }
    at.seq += step;
    // Balances are kept modulo 2^64 between moves; each one is an int64.
    at.balance = static_cast<int64_t>(static_cast<uint64_t>(at.balance) + difference);
    first = false;
  }
  return at;
}

void append_history_move(std::string& chunk, HistoryMove last, HistoryMove next) {
  FT_REQUIRE(next.seq >= last.seq, "history moves are appended in seq order");
  put_varint(chunk, next.seq - last.seq);
  put_varint(chunk, zigzag(static_cast<uint64_t>(next.balance) - static_cast<uint64_t>(last.balance)));
}

std::string money_value(int64_t amount) { return be64(static_cast<uint64_t>(amount)); }

int64_t read_money(std::string_view value, std::string_view what) {
  if (value.size() != 8) malformed("the " + std::string(what) + " (" + std::to_string(value.size()) + " bytes, not 8)");
  return static_cast<int64_t>(read_be64(value));
}

}  // namespace fundtrail::index
