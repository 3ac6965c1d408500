// What the append rules share (internal to ledger/): refusals that name
// their rule, reads of the derived state, authority checks, balance moves.
#pragma once
#include <optional>
#include <string>

#include "fundtrail.capnp.h"
#include "ledger/ledger.h"
#include "ledger/rules.h"
#include "ledger/store.h"

namespace fundtrail::rules {

using SigList = capnp::List<schema::Signature>::Reader;

std::string str(capnp::Text::Reader t);
std::string quoted(const std::string& s);
[[noreturn]] void fail(int rule, const std::string& why);
PublicKey key_of(capnp::Data::Reader d);
std::string short_key(const PublicKey& k);

std::optional<PartyState> find_party(const Txn& txn, const std::string& id);
PartyState need_party(const Txn& txn, const std::string& id, const char* role);  // rule 2
std::optional<Grant> active_grant(const Txn& txn, const std::string& party, const PublicKey& key);
void put_party(Txn& txn, const PartyState& p);

// Rule 1: every signer holds an officer/approver key of `party`, one an
// officer. With `soft`, answers false instead of refusing.
bool signers_act_for(const Txn& txn, const std::string& party, SigList sigs, bool soft);
bool signers_are_admins(const Txn& txn, SigList sigs, bool soft);
void signers_act_for_or_admin(const Txn& txn, const std::string& party, SigList sigs);

// Where a move sits in the balance history (ledger/history.h): the record's
// seq, and the day its money counts from in an as-of-date balance (money_day,
// balances.h; a reversal's is the later of its own day and its target's).
struct MoneyAt {
  uint64_t seq = 0;
  uint32_t day = 0;
};

// Rule 4: moves a balance, refusing overdraft of pools and budget-limited
// parties; the one place a balance changes, so it writes the balance history.
void move_money(Txn& txn, const LedgerFacts& facts, const std::string& id, int64_t delta, const MoneyAt& at);
// The same for a party already read in this transaction (`p`, updated): the
// payment and contribution rules read both parties first, so each is read once.
void move_money(Txn& txn, const LedgerFacts& facts, PartyState& p, int64_t delta, const MoneyAt& at);
// Rule 3.
void check_amount(int64_t amount, capnp::Text::Reader currency, const LedgerFacts& facts);

bool is_money(schema::Entry::Body::Reader body);
std::optional<Record> read_record(const Txn& txn, uint64_t seq);

}  // namespace fundtrail::rules
