// Small hand-built ledgers for the accountability map tests: every record is
// built and signed through the ledger's request API (request.h: encode_entry,
// sign_request, then Ledger::append), as every front end does. Amounts in the tests
// are written in pounds and stored in pence.
#pragma once
#include <doctest/doctest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "accountability/map.h"
#include "ledger/keys.h"
#include "ledger/ledger.h"
#include "ledger/limits.h"
#include "ledger/record.h"
#include "ledger/request.h"

namespace map_test {

using namespace fundtrail;
using schema::Mechanism;
using schema::PartyKind;
using schema::ResponsibilityKind;

inline int64_t gbp(int64_t pounds) { return pounds * 100; }

struct Pay {  // optional fields of a payment
  Mechanism mechanism = Mechanism::BLOCK;
  uint32_t date = 20250401;
  std::string funded = "";  // "", "own", "loan" or a seq
  std::string milestone = "";
  std::vector<std::string> claims = {};
  std::string group = "";
  uint64_t contract = 0;  // seq of its contractAgreed
};

struct Row {  // a schedule row
  std::string milestone;
  int64_t pounds = 0;
  bool parent = false;  // financed by the parent contract (else by the payer)
};

class Books {
 public:
  Books() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/fundtrail-map-test-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    REQUIRE(::mkdtemp(buf.data()) != nullptr);
    dir_ = buf.data();
    // A threshold out of the way: these tests are about maps.
    SignedRequest g = genesis_request({origin_, log_.pk, {}, "GBP", gbp(1000000000)}, {&admin_}, now());
    ledger_.emplace(Ledger::create(dir_ + "/ledger", g));
  }
  ~Books() {
    ledger_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  Books(const Books&) = delete;
  Books& operator=(const Books&) = delete;

  Ledger& ledger() { return *ledger_; }

  using PartyMore = std::function<void(spec::PartyRegistered&)>;
  // Registers a party and grants it an officer key.
  uint64_t party(const std::string& id, PartyKind kind, const PartyMore& more = {}) {
    spec::PartyRegistered p{.id = id, .name = "The " + id, .kind = kind};
    if (more) more(p);
    uint64_t seq = record({&admin_}, p);
    keys_[id] = generate_key(id);
    record({&admin_}, spec::KeyGranted{id, keys_[id].pk, schema::Role::OFFICER});
    return seq;
  }
  uint64_t pool(const std::string& id, const std::string& host, const std::vector<std::pair<std::string, uint32_t>>& shares) {
    return party(id, PartyKind::POOL, [&](spec::PartyRegistered& p) {
      p.pool_terms = spec::PoolTerms{.legal_basis = "section 75 agreement", .host = host};
      for (auto& [party, bp] : shares) p.pool_terms->shares.push_back({party, bp});
    });
  }

  uint64_t contribute(const std::string& from, const std::string& pool, int64_t pounds, uint32_t date = 20250401) {
    return record({&keys_.at(from)}, spec::Contribution{from, pool, gbp(pounds), "GBP", date, "contribution"});
  }

  uint64_t pay(const std::string& from, const std::string& to, int64_t pounds, const Pay& o = {}) {
    return pay_minor(from, to, gbp(pounds), o);
  }
  uint64_t pay_minor(const std::string& from, const std::string& to, int64_t pence, const Pay& o = {}) {
    spec::Payment p{.from = from, .to = to, .amount = pence, .currency = "GBP", .value_date = o.date,
                    .mechanism = o.mechanism, .milestone = o.milestone, .contract_seq = o.contract,
                    .outcome_count = static_cast<uint32_t>(o.claims.size()), .group = o.group, .claim_ids = o.claims};
    if (!o.funded.empty()) p.funded_by = parse_funded_by(o.funded);
    return record({&keys_.at(from)}, p);
  }

  uint64_t assign(const std::string& accountable, const std::vector<std::string>& responsible, const std::string& subject,
                  ResponsibilityKind kind = ResponsibilityKind::DELIVERY, uint32_t start = 20250401) {
    return record({&admin_}, spec::ResponsibilityAssigned{accountable, responsible, subject, kind, start, 0, ""});
  }

  uint64_t contract(const std::string& ref, const std::string& payer, const std::string& payee, const std::string& subject,
                    const std::string& parent, schema::IntegratorModel model, const std::vector<Row>& rows) {
    spec::ContractAgreed c{.reference = ref, .payer = payer, .payee = payee, .subject = subject, .start_date = 20250401,
                           .parent = parent, .model = model};
    for (auto& r : rows)
      c.schedule.push_back({r.milestone, "", gbp(r.pounds), r.parent ? schema::FinancedBy::PARENT : schema::FinancedBy::PAYER});
    return record({&keys_.at(payer)}, c);
  }
  uint64_t end_contract(const std::string& ref, const std::string& payer) {
    return record({&keys_.at(payer)}, spec::ContractEnded{ref, schema::EndReason::TERMINATED, "", 20251201});
  }
  uint64_t status(const std::string& party, schema::PartyStatus s, uint32_t from) {
    return record({&admin_}, spec::PartyStatusChanged{party, s, from, "entered administration"});
  }

  uint64_t end_line(uint64_t seq) {
    return record({&admin_}, spec::ResponsibilityEnded{seq, "recommissioned"});
  }

  uint64_t reverse(uint64_t seq, const std::string& payer) {
    return record({&keys_.at(payer)}, spec::Reversal{seq, "keyed in error"});
  }

  map::Map map(const std::string& as_of = "") { return map::build_map(ledger(), map::parse_as_of(as_of, ledger())); }

 private:
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  uint64_t record(const std::vector<const KeyPair*>& signers, const spec::Body& body) {
    return ledger_->append(sign_request(encode_entry(origin_, now(), "map-test-" + std::to_string(++count_), body), signers)).seq;
  }

  std::string origin_ = "test.example/map";
  std::string dir_;
  KeyPair admin_ = generate_key("admin");
  KeyPair log_ = generate_key("log");
  std::map<std::string, KeyPair> keys_;
  std::optional<Ledger> ledger_;
  uint64_t count_ = 0;
};

// The amount a list of (party, amount) gives one party, 0 when absent.
inline int64_t amount_of(const std::vector<map::Amount>& v, const std::string& party) {
  for (auto& a : v)
    if (a.party == party) return a.amount;
  return 0;
}

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace map_test
