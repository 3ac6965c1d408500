// The balance history's chunks (ledger/index.h "history"): what a damaged
// ledger file could hold. The first byte picks a mode.
//  - decode: any bytes as a chunk, read at any seq, are a move or a refusal
//    (Error "malformed"), never a crash, and a move read is never after the seq asked;
//  - round trip: the rest read as moves (a seq step, a balance) encoded with
//    append_history_move decode, at every seq, to the last move at or
//    before it, balances exact modulo nothing (int64 both ways).
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/error.h"
#include "ledger/index.h"

using namespace fundtrail;

namespace {

uint64_t take64(const uint8_t*& p, const uint8_t* end) {
  uint64_t v = 0;
  size_t n = std::min<size_t>(8, static_cast<size_t>(end - p));
  std::memcpy(&v, p, n);
  p += n;
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t* p = data + 1;
  const uint8_t* end = data + size;
  if (data[0] % 2 == 0) {
    uint64_t first = take64(p, end), seq = take64(p, end);
    std::string_view chunk(reinterpret_cast<const char*>(p), static_cast<size_t>(end - p));
    try {
      index::HistoryMove m = index::history_move_at(chunk, first, seq);
      if (m.seq > seq || m.seq < first) __builtin_trap();
    } catch (const Error& e) {
      if (std::string(e.what()).find("malformed") == std::string::npos) __builtin_trap();
    }
    return 0;
  }
  // Round trip: moves of (step % 1000, any balance), the first at `first`.
  uint64_t first = take64(p, end) >> 1;  // room for the steps after it
  std::vector<index::HistoryMove> moves;
  std::string chunk;
  index::HistoryMove last{first, 0};
  while (end - p >= 9 && moves.size() < 2000) {
    uint64_t step = moves.empty() ? 0 : *p % 1000;
    ++p;
    auto balance = static_cast<int64_t>(take64(p, end));
    index::HistoryMove next{last.seq + step, balance};
    index::append_history_move(chunk, last, next);
    moves.push_back(next);
    last = next;
  }
  if (moves.empty()) return 0;
  for (size_t i = 0; i < moves.size(); ++i) {
    // The last move at or before moves[i].seq: the last of those sharing its seq.
    size_t want = i;
    while (want + 1 < moves.size() && moves[want + 1].seq == moves[i].seq) ++want;
    index::HistoryMove got = index::history_move_at(chunk, first, moves[i].seq);
    if (got.seq != moves[want].seq || got.balance != moves[want].balance) __builtin_trap();
    if (moves[i].seq + 1 < (i + 1 < moves.size() ? moves[i + 1].seq : UINT64_MAX)) {
      got = index::history_move_at(chunk, first, moves[i].seq + 1);  // between moves: still this one
      if (got.seq != moves[want].seq || got.balance != moves[want].balance) __builtin_trap();
    }
  }
  index::HistoryMove all = index::history_move_at(chunk, first, UINT64_MAX);
  if (all.seq != moves.back().seq || all.balance != moves.back().balance) __builtin_trap();
  return 0;
}
