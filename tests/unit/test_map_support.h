// Small hand-built ledgers for the accountability map tests: every record is
// built and signed through the ledger's public API (build_entry, sign_entry,
// Ledger::append), as a signer outside the ledger would. Amounts in the tests
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

  using PartyMore = std::function<void(schema::PartyRegistered::Builder)>;
  // Registers a party and grants it an officer key.
  uint64_t party(const std::string& id, PartyKind kind, const PartyMore& more = {}) {
    uint64_t seq = record({&admin_}, [&](schema::Entry::Body::Builder b) {
      auto p = b.initPartyRegistered();
      p.setId(id);
      p.setName("The " + id);
      p.setKind(kind);
      if (more) more(p);
    });
    keys_[id] = generate_key(id);
    record({&admin_}, [&](schema::Entry::Body::Builder b) {
      auto g = b.initKeyGranted();
      g.setParty(id);
      g.setPublicKey(capnp::Data::Reader(keys_[id].pk.data(), 32));
      g.setRole(schema::Role::OFFICER);
    });
    return seq;
  }
  uint64_t pool(const std::string& id, const std::string& host, const std::vector<std::pair<std::string, uint32_t>>& shares) {
    return party(id, PartyKind::POOL, [&](schema::PartyRegistered::Builder p) {
      auto t = p.initPoolTerms();
      t.setLegalBasis("section 75 agreement");
      t.setHost(host);
      auto list = t.initShares(shares.size());
      for (size_t i = 0; i < shares.size(); ++i) {
        list[i].setParty(shares[i].first);
        list[i].setBasisPoints(shares[i].second);
      }
    });
  }

  uint64_t contribute(const std::string& from, const std::string& pool, int64_t pounds, uint32_t date = 20250401) {
    return record({&keys_.at(from)}, [&](schema::Entry::Body::Builder b) {
      auto c = b.initContribution();
      c.setFrom(from);
      c.setTo(pool);
      c.setAmount(gbp(pounds));
      c.setCurrency("GBP");
      c.setValueDate(date);
      c.setReference("contribution");
    });
  }

  uint64_t pay(const std::string& from, const std::string& to, int64_t pounds, const Pay& o = {}) {
    return pay_minor(from, to, gbp(pounds), o);
  }
  uint64_t pay_minor(const std::string& from, const std::string& to, int64_t pence, const Pay& o = {}) {
    return record({&keys_.at(from)}, [&](schema::Entry::Body::Builder b) {
      auto p = b.initPayment();
      p.setFrom(from);
      p.setTo(to);
      p.setAmount(pence);
      p.setCurrency("GBP");
      p.setValueDate(o.date);
      p.setMechanism(o.mechanism);
      p.setMilestone(o.milestone);
      p.setGroup(o.group);
      if (!o.claims.empty()) {
        p.setOutcomeCount(static_cast<uint32_t>(o.claims.size()));
        auto list = p.initClaimIds(o.claims.size());
        for (size_t i = 0; i < o.claims.size(); ++i) list.set(i, o.claims[i]);
      }
      p.setContractSeq(o.contract);
      if (o.funded == "own") p.getFundedBy().setOwn();
      else if (o.funded == "loan") p.getFundedBy().setLoan();
      else if (!o.funded.empty()) p.getFundedBy().setEntry(std::stoull(o.funded));
    });
  }

  uint64_t assign(const std::string& accountable, const std::vector<std::string>& responsible, const std::string& subject,
                  ResponsibilityKind kind = ResponsibilityKind::DELIVERY, uint32_t start = 20250401) {
    return record({&admin_}, [&](schema::Entry::Body::Builder b) {
      auto r = b.initResponsibilityAssigned();
      r.setAccountable(accountable);
      auto list = r.initResponsible(responsible.size());
      for (size_t i = 0; i < responsible.size(); ++i) list.set(i, responsible[i]);
      r.setSubject(subject);
      r.setKind(kind);
      r.setStartDate(start);
    });
  }

  uint64_t contract(const std::string& ref, const std::string& payer, const std::string& payee, const std::string& subject,
                    const std::string& parent, schema::IntegratorModel model, const std::vector<Row>& rows) {
    return record({&keys_.at(payer)}, [&](schema::Entry::Body::Builder b) {
      auto c = b.initContractAgreed();
      c.setReference(ref);
      c.setPayer(payer);
      c.setPayee(payee);
      c.setSubject(subject);
      c.setStartDate(20250401);
      c.setParent(parent);
      c.setModel(model);
      auto list = c.initSchedule(rows.size());
      for (size_t i = 0; i < rows.size(); ++i) {
        list[i].setMilestone(rows[i].milestone);
        list[i].setUnitPrice(gbp(rows[i].pounds));
        list[i].setFinancedBy(rows[i].parent ? schema::FinancedBy::PARENT : schema::FinancedBy::PAYER);
      }
    });
  }
  uint64_t end_contract(const std::string& ref, const std::string& payer) {
    return record({&keys_.at(payer)}, [&](schema::Entry::Body::Builder b) {
      auto e = b.initContractEnded();
      e.setReference(ref);
      e.setReason(schema::EndReason::TERMINATED);
      e.setDate(20251201);
    });
  }
  uint64_t status(const std::string& party, schema::PartyStatus s, uint32_t from) {
    return record({&admin_}, [&](schema::Entry::Body::Builder b) {
      auto st = b.initPartyStatusChanged();
      st.setParty(party);
      st.setStatus(s);
      st.setFrom(from);
      st.setNote("entered administration");
    });
  }

  uint64_t end_line(uint64_t seq) {
    return record({&admin_}, [&](schema::Entry::Body::Builder b) {
      auto e = b.initResponsibilityEnded();
      e.setAssignmentSeq(seq);
      e.setReason("recommissioned");
    });
  }

  uint64_t reverse(uint64_t seq, const std::string& payer) {
    return record({&keys_.at(payer)}, [&](schema::Entry::Body::Builder b) {
      auto r = b.initReversal();
      r.setTargetSeq(seq);
      r.setReason("keyed in error");
    });
  }

  map::Map map(const std::string& as_of = "") { return map::build_map(ledger(), map::parse_as_of(as_of, ledger())); }

 private:
  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  uint64_t record(const std::vector<const KeyPair*>& signers, const std::function<void(schema::Entry::Body::Builder)>& fill) {
    SignedRequest r;
    r.entry = build_entry(origin_, now(), "map-test-" + std::to_string(++count_), fill);
    for (auto* k : signers) r.signatures.push_back(sign_entry(r.entry, *k));
    return ledger_->append(r).seq;
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
