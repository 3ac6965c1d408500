// Where a write command looks things up and sends its signed request: a
// local ledger (--ledger, FUNDTRAIL_LEDGER) or a ledger server (--server,
// FUNDTRAIL_SERVER; DESIGN.md "Serving a partnership"). Signing is local in
// both cases: a key or passphrase never leaves the officer's machine.
#pragma once
#include <memory>
#include <string>

#include "cli/context.h"
#include "ledger/state_change.h"

namespace fundtrail::cli {

class WriteTarget {
 public:
  virtual ~WriteTarget() = default;
  virtual const LedgerFacts& facts() const = 0;
  // The seq of the contract agreed as `reference`; refuses (rule 9) an unknown one.
  virtual uint64_t contract_seq(const std::string& reference) const = 0;
  virtual const StateSource& state() const = 0;
  // As Ledger::append: throws Error with the refusal's check (a server's
  // 409 and 422 are rule refusals, exit 1; anything else exit 2).
  virtual Appended append(const SignedRequest& request) = 0;
  // As Ledger::append_run (DESIGN.md "Payment runs"), with the same errors.
  virtual RunAppended append_run(const BatchRequest& run) = 0;
  virtual bool is_reversed(uint64_t seq) const = 0;
  virtual Hash leaf_hash(uint64_t seq) const = 0;
};

// The target of a write: --server (or FUNDTRAIL_SERVER) or the ledger. Both
// flags is a usage error; a flag wins over the other's environment variable.
std::unique_ptr<WriteTarget> open_write_target(const Context& ctx, const WriteOptions& opts);

// A ledger server as a write target (its state read once, here).
std::unique_ptr<WriteTarget> remote_write_target(const std::string& url);

// A server's base URL, checked: http:// or https://, no trailing slash.
std::string server_base_url(std::string url);

}  // namespace fundtrail::cli
