// Idempotency by state (DESIGN.md "Idempotency", rule 6): for the commands
// that change state -- grant-key, revoke-key, party status, contract vary and
// end, end-assignment -- a request whose effect already holds is a retry that
// names the record that made it hold, and one whose effect does not hold is
// recorded however often the same change was made before. A content-derived
// key alone cannot say this: revoke, grant, revoke again gives the second
// revoke the first one's key, and answering it as a retry would leave the key
// active.
//
// Thread safety: reads one Ledger through its read transactions; as safe as
// the Ledger's const methods. The answer is advice for a front end: the
// writer's rules still decide when the request is appended.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "ledger/ledger.h"
#include "ledger/request.h"

namespace fundtrail {

struct StateNow {
  // Set when the requested effect already holds: the record that made it hold
  // and what holds, as a sentence ("key ... is already revoked").
  struct Holds {
    uint64_t seq = 0;
    std::string what;
  };
  std::optional<Holds> holds;
  // Changes whenever the state this request would change moves on (the seq of
  // the last record that changed it); it keeps a repeated change's key apart
  // from the earlier ones' (state_idempotency_key).
  uint64_t version = 0;
};

// What the check reads: a local Ledger, or a server's reads (a remote write,
// cli/remote_target.h). Each answers as the Ledger method of the same name.
class StateSource {
 public:
  virtual ~StateSource() = default;
  virtual std::optional<Grant> grant(const std::string& party, const PublicKey& key) const = 0;
  virtual std::optional<uint64_t> registered_at(const std::string& party) const = 0;  // nullopt: no such party
  virtual std::vector<StatusChange> status_changes(const std::string& party) const = 0;
  virtual std::optional<ContractState> contract(const std::string& reference) const = 0;
  virtual Bytes leaf(uint64_t seq) const = 0;
  virtual std::optional<uint64_t> assignment_ended_by(uint64_t seq) const = 0;
};

// nullopt for a body kind that is not a state change (money, registrations,
// contracts agreed): those are idempotent by their content key.
std::optional<StateNow> check_state_change(const StateSource& source, const spec::Body& body);
std::optional<StateNow> check_state_change(const Ledger& ledger, const spec::Body& body);

// The key a state change without --idempotency-key is given: the content key
// (derived_idempotency_key), followed by "@<version>" once the state has moved.
std::string state_idempotency_key(std::string_view origin, const spec::Body& body, uint64_t version);

}  // namespace fundtrail
