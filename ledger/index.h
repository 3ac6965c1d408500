// The LMDB key/value layout of every named database (internal to ledger/).
// This header is the map: each database's layout is written down here once,
// and the functions below are the only code on the writer's side that builds
// or reads those bytes. Integers are big-endian so that keys sort
// numerically; "||" is concatenation, (n) a width in bytes.
//
// Every read_* refuses a value (or key) that does not have its layout with
// Error(check "index", exit 2): "<which index> ... is malformed; run
// fundtrail reindex". Nothing here checks a rule; the callers do.
//
//   entries      seq(8) -> leaf bytes (the firm record layout, ledger/record.h)
//   tree         level(1) || index(8) -> subtree hash(32)
//   meta         "format" -> decimal format version (text)
//                "size" -> record count(8)
//                "head" -> leaf hash of the last record(32)
//                "recorded_at" -> last recordedAt, ms(8, two's complement)
//   checkpoints  tree size(8) -> signed note text (with cosignatures)
//   idem         idempotency key (text) -> seq(8) (meta idem_layout = seq), or
//                seq(8) || request body hash(32) in a ledger made before it
//   parties      party id (text) -> kind(1) || budget limited(1: 0/1)
//                                   || balance(8, two's complement) || registered at seq(8)
//   orgids       lower-cased org id (text) -> party id (text)
//   grants       party id || 0x00 || public key(32) -> role(1) || granted at seq(8)
//                                                     || revoked(1: 0/1) || revoked at seq(8)
//   reversed     money record's seq(8) -> reversal's seq(8)
//   ended        assignment's seq(8) -> responsibilityEnded's seq(8)
//   contracts    reference (text) -> contractAgreed seq(8) || cap(8) || paid(8)
//                                    || start date(4) || end date(4) || ended(1: 0/1)
//                                    || schedule seq(8) || changed at seq(8)
//                                    || payer || 0x00 || payee
//                                    || 0x00 || parent          (dates YYYYMMDD, end 0: open)
//   claims       claim id || 0x00 || milestone -> repeated { contract reference
//                                    || 0x00 || payment seq(8) }, in payment order
//   statuses     party id || 0x00 || from date(4) || seq(8) -> PartyStatus(1)
//   flows        payer id || 0x00 || payee id -> paid(8) || refunded(8)   (two's
//                complement; payments other than refunds, and refunds, from
//                payer to payee, net of reversals: rule 12)
//   history      's' || epoch(4) || party id || 0x00 || first seq(8) -> a chunk of
//                    the party's balances after the records of that epoch that moved
//                    it, from that seq on: repeated { varint(seq - the previous move's
//                    seq) || varint(zigzag(balance - the previous balance)) }, the
//                    first move's "previous" being (first seq, 0); epoch = seq >> 16,
//                    so an append touches the recent pages only; a new chunk starts
//                    once one holds kHistoryChunkBytes
//                'd' || party id || 0x00 || day(4) -> net of the party's money counting
//                    from that day, YYYYMMDD (8, two's complement, modulo 2^64)
//                meta "balance_history" -> "kept" when it is there and complete
//                (ledger/history.h; a ledger made before it gains it by reindex)
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fundtrail.capnp.h"
#include "ledger/contracts.h"
#include "ledger/hash.h"
#include "ledger/ledger.h"
#include "ledger/store.h"

namespace fundtrail::index {

// ---- seq-keyed databases: entries, checkpoints, reversed, ended ------------
// A seq (or tree size) as an 8-byte key or value.
std::string seq_key(uint64_t seq);
// `what` names the index in the refusal ("reversed index value", ...).
uint64_t read_seq(std::string_view bytes, std::string_view what);

// ---- tree ------------------------------------------------------------------
std::string tree_key(unsigned level, uint64_t index);
std::string hash_value(const Hash& h);  // tree values and meta's "head"
Hash read_hash(std::string_view bytes, std::string_view what);

// ---- meta ------------------------------------------------------------------
inline constexpr std::string_view kFormatKey = "format";
std::string format_value(uint32_t version);

struct Head {
  uint64_t size = 0;       // records in the ledger
  Hash hash{};             // leaf hash of record size - 1
  int64_t recorded_at = 0;  // its recordedAt: the ledger's clock never goes back
};
// From meta's three values; refuses any of them malformed.
Head read_head(std::string_view size, std::string_view hash, std::string_view recorded_at);
// From `txn`'s meta; a missing value is unusable ("no head", "damaged").
Head read_head(const Txn& txn);
void write_head(Txn& txn, const Head& h);

// ---- idem ------------------------------------------------------------------
// The value under an idempotency key: the seq of the record that holds it,
// alone when `seq_only` (Dbs::idem_seq_only), else followed by the request's
// body hash (ledgers made before; never read: a retry re-reads the record).
std::string idem_value(uint64_t seq, const Hash& body, bool seq_only);
uint64_t read_idem_seq(std::string_view value);  // either layout

// ---- parties (key: the party id) -----------------------------------------
std::string party_value(const PartyState& p);
PartyState read_party(std::string_view id, std::string_view value);

// ---- grants ----------------------------------------------------------------
std::string grant_prefix(std::string_view party);  // every grant key of `party` starts so
std::string grant_key(std::string_view party, const PublicKey& key);
std::string grant_value(const Grant& g);  // role, granted_at, revoked, revoked_at
Grant read_grant(std::string_view key, std::string_view value);

// ---- contracts (key: the reference) --------------------------------------
std::string contract_value(const ContractState& c);
ContractState read_contract(std::string_view reference, std::string_view value);

// ---- claims ----------------------------------------------------------------
struct PaidClaim {
  std::string reference;  // contract it was paid under
  uint64_t seq = 0;       // the payment
};
std::string claim_key(std::string_view claim, std::string_view milestone);
std::string claims_value(const std::vector<PaidClaim>& paid);
std::vector<PaidClaim> read_claims(std::string_view value);

// ---- statuses --------------------------------------------------------------
using StatusChange = fundtrail::StatusChange;
std::string status_prefix(std::string_view party);  // every status key of `party` starts so
std::string status_key(std::string_view party, uint32_t from, uint64_t seq);
std::string status_value(schema::PartyStatus status);
StatusChange read_status(std::string_view key, std::string_view value);

// ---- flows -----------------------------------------------------------------
struct Flow {
  int64_t paid = 0;      // payments other than refunds
  int64_t refunded = 0;  // refunds
};
std::string flow_key(std::string_view payer, std::string_view payee);
std::string flow_value(const Flow& f);
Flow read_flow(std::string_view value);

// ---- history ---------------------------------------------------------------
// Party ids hold no byte below 0x20, so a party's keys in an epoch (or its
// day keys) sort together, and never among another party's.
inline constexpr unsigned kHistoryEpochBits = 16;
inline constexpr size_t kHistoryChunkBytes = 256;  // a chunk this long takes no more moves
std::string history_seq_prefix(std::string_view party, uint64_t epoch);  // its chunks in `epoch`
std::string history_seq_key(std::string_view party, uint64_t first_seq);  // the chunk from first_seq
std::string history_day_prefix(std::string_view party);
std::string history_day_key(std::string_view party, uint32_t day);
// The seq (day) that follows the prefix; refuses a key of another length.
uint64_t read_history_seq(std::string_view key, size_t prefix_size);
uint32_t read_history_day(std::string_view key, size_t prefix_size);
// One move in a chunk: the party's balance right after record `seq`.
struct HistoryMove {
  uint64_t seq = 0;
  int64_t balance = 0;
};
// The chunk's last move at or before `seq` (the whole chunk's last with
// UINT64_MAX); refuses a malformed chunk, and one whose first move is after `seq`.
HistoryMove history_move_at(std::string_view chunk, uint64_t first_seq, uint64_t seq);
// Appends `next` to a chunk whose last move is `last` (a new chunk: last =
// {next.seq, 0}). Requires next.seq >= last.seq.
void append_history_move(std::string& chunk, HistoryMove last, HistoryMove next);
std::string money_value(int64_t amount);  // 8 bytes, two's complement
int64_t read_money(std::string_view value, std::string_view what);

}  // namespace fundtrail::index
