#include "interop/spend_import.h"

#include <sodium.h>

#include <algorithm>
#include <map>
#include <set>

#include "interop/csv_cell.h"
#include "interop/csv_rows.h"
#include "interop/giving_plan.h"
#include "interop/input_file.h"
#include "interop/spend_rules.h"
#include "ledger/limits.h"
#include "ledger/money.h"
#include "ledger/names.h"

namespace fundtrail::interop {
namespace {

std::string hex_sha256(const std::string& text) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : h) out += digits[c >> 4], out += digits[c & 15];
  return out;
}

std::string lower(std::string s) { return ascii_lower(std::move(s)); }

// Drops the first `n` lines; returns the line number of what is left.
size_t skip_lines(std::string& text, size_t n) {
  size_t pos = 0;
  for (size_t i = 0; i < n && pos < text.size(); ++i) {
    size_t nl = text.find('\n', pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
  }
  text.erase(0, pos);
  return n + 1;
}

bool blank(const std::vector<std::string>& cells) {
  for (auto& c : cells)
    if (c.find_first_not_of(" \t\r\n\xC2\xA0") != std::string::npos) return false;
  return true;
}

struct Payee {
  std::string id, name, org_id;
  schema::PartyKind kind = schema::PartyKind::PROVIDER;
  bool known = false;
};

// Who is paid: the ledger's parties and the ones this file registers.
class Payees {
 public:
  explicit Payees(const std::vector<KnownParty>& known) {
    for (auto& k : known) {
      ids_.insert(k.id);
      for (auto& o : k.org_ids) by_org_[lower(o)] = k.id;
      if (k.org_ids.empty() && !k.name.empty()) by_name_.emplace(k.name, k.id);
    }
  }
  // The party id for a payee; new ones are added to `fresh` (first appearance).
  std::string find_or_add(const std::string& name, const std::string& org_id, schema::PartyKind kind,
                          std::vector<Payee>& fresh) {
    if (!org_id.empty()) {
      if (auto it = by_org_.find(lower(org_id)); it != by_org_.end()) return it->second;
    } else if (auto it = by_name_.find(name); it != by_name_.end()) {
      return it->second;
    }
    std::string base = party_slug_from_name(name);
    if (base.empty()) base = "payee";
    std::string id = base;
    if (ids_.count(id)) id = party_slug_from_name(base, 64 - 9) + "-" + hex_sha256(name + "\n" + org_id).substr(0, 8);
    if (ids_.count(id)) unusable("two payees named '" + name + "' make the same party id '" + id + "'");
    ids_.insert(id);
    if (!org_id.empty()) by_org_[lower(org_id)] = id;
    else by_name_.emplace(name, id);
    fresh.push_back({id, name, org_id, kind, false});
    return id;
  }

 private:
  std::set<std::string> ids_;
  std::map<std::string, std::string> by_org_, by_name_;
};

// One readable row, as a payment or refund.
struct Parsed {
  spec::Payment payment;
  std::string idem_basis;  // what its derived idempotency key hashes, before the count
  bool has_reference = false;
};

}  // namespace

SpendImport prepare_spend_import(const std::string& path, const std::string& rules_path, const Ledger& ledger,
                                 const std::vector<KeyPair>& keys, const KeyPair* admin, bool keep_going) {
  const LedgerFacts& facts = ledger.facts();
  SpendRules rules = parse_spend_rules(read_input_file(rules_path, "the rules file"), rules_path);
  std::string text;
  try {
    text = spend_text_to_utf8(read_input_file(path, "the spending file"), rules.encoding);
  } catch (const Error& e) {
    throw Error(e.kind, path + ": " + e.what());
  }
  size_t first_line = skip_lines(text, rules.skip);
  std::vector<CsvRow> csv;
  try {
    csv = parse_csv(text, rules.separator, first_line);
  } catch (const Error& e) {
    throw Error(e.kind, path + ": " + e.what() + " (check the rules' separator and skip)");
  }

  SpendImport out;
  out.header = rules.fields;
  std::vector<KnownParty> known = known_parties(ledger);
  std::set<std::string> known_ids;
  for (auto& k : known) known_ids.insert(k.id);
  Payees payees(known);
  std::vector<Payee> fresh;
  std::vector<std::pair<size_t, Parsed>> payments, refunds;  // row index, parsed
  auto reject = [&](size_t row, const std::string& why) {
    if (!keep_going)
      unusable(path + ": line " + std::to_string(out.rows[row].line) + ": " + why +
               " (nothing was written; give --rejects FILE to record the other rows and list this one)");
    out.unreadable.push_back({row, why});
  };

  for (CsvRow& r : csv) {
    if (blank(r.fields)) continue;  // not a row, not counted
    size_t row = out.rows.size();
    out.rows.push_back({r.line, r.fields});
    const auto& cells = out.rows.back().cells;
    if (!rules.fields.empty()) {
      bool extra = false;
      for (size_t i = rules.fields.size(); i < cells.size(); ++i) extra |= !blank({cells[i]});
      if (cells.size() < rules.fields.size() || extra) {
        reject(row, std::to_string(cells.size()) + " cells where the rules name " + std::to_string(rules.fields.size()) +
                        " columns (a missing or extra comma?)");
        continue;
      }
    }
    SpendValues v = apply_spend_rules(rules, cells);
    if (v.skip) {
      ++out.skipped;
      continue;
    }
    auto get = [&](const char* f) {
      auto it = v.values.find(f);
      return it == v.values.end() ? std::string() : it->second;
    };
    try {
      Parsed p;
      spec::Payment& pay = p.payment;
      if (get("date").empty()) throw Error(ErrorKind::unusable, "no date");
      pay.value_date = parse_spend_date(get("date"), rules.date_format);
      if (get("amount").empty()) throw Error(ErrorKind::unusable, "no amount");
      int64_t amount = parse_spend_amount(get("amount"), rules.decimal_mark, facts.exponent);
      if (amount == 0) throw Error(ErrorKind::unusable, "the amount is zero");
      std::string currency = get("currency").empty() ? facts.currency : get("currency");
      if (currency != facts.currency)
        throw Error(ErrorKind::unusable, "currency " + currency + " is not the ledger's " + facts.currency);
      pay.currency = currency;
      std::string payer = get("payer");
      if (payer.empty()) unusable(rules_path + ": the rules give no payer (add a line such as 'payer riverside-council')");
      if (!known_ids.count(payer))
        unusable(path + ": line " + std::to_string(r.line) + ": the payer '" + payer + "' is not a party (rule 2)");
      std::string name = cut_utf8(signed_text(get("payee_name"), false), kNameLimit);
      if (name.empty()) throw Error(ErrorKind::unusable, "no payee name");
      std::string org_id = get("payee_org_id");
      if (org_id.empty() && !get("payee_company_number").empty()) org_id = company_org_id(get("payee_company_number"));
      if (org_id.empty() && !get("payee_charity_number").empty()) org_id = charity_org_id(get("payee_charity_number"));
      if (org_id.size() > kOrgIdLimit) throw Error(ErrorKind::unusable, "the payee's org id is over 200 bytes");
      schema::PartyKind kind = schema::PartyKind::PROVIDER;
      if (!get("payee_kind").empty()) {
        auto k = party_kind_from(get("payee_kind"));
        if (!k) throw Error(ErrorKind::unusable, "payee_kind '" + get("payee_kind") + "' is not a party kind");
        kind = *k;
      }
      schema::Mechanism mechanism = schema::Mechanism::PURCHASE;
      if (!get("mechanism").empty()) {
        auto m = mechanism_from(get("mechanism"));
        if (!m || *m == schema::Mechanism::REFUND)
          throw Error(ErrorKind::unusable, "mechanism '" + get("mechanism") +
                                               "' is not a payment mechanism (a negative amount makes a refund)");
        mechanism = *m;
      }
      std::string payee = payees.find_or_add(name, org_id, kind, fresh);
      if (payee == payer) throw Error(ErrorKind::unusable, "the payee is the payer");
      pay.reference = cut_utf8(signed_text(get("reference"), false), kSubjectLimit);
      pay.memo = cut_utf8(signed_text(get("memo"), true), kMemoLimit);
      p.has_reference = !pay.reference.empty();
      p.idem_basis = p.has_reference ? payer + "\n" + pay.reference
                                     : payer + "\n" + name + "\n" + std::to_string(pay.value_date) + "\n" +
                                           std::to_string(amount) + "\n" + pay.memo;
      if (amount > 0) {
        pay.from = payer, pay.to = payee, pay.amount = amount, pay.mechanism = mechanism;
        payments.push_back({row, std::move(p)});
      } else {
        pay.from = payee, pay.to = payer, pay.amount = -amount, pay.mechanism = schema::Mechanism::REFUND;
        refunds.push_back({row, std::move(p)});
      }
    } catch (const Error& e) {
      if (!e.check.empty() || e.kind != ErrorKind::unusable) throw;
      std::string why = e.message;
      if (why.rfind(path, 0) == 0 || why.rfind(rules_path, 0) == 0) throw;  // about the whole file or rules
      reject(row, why);
    }
  }

  // Registrations first, signed by the administrator.
  ImportJob& job = out.job;
  int64_t now = import_clock_ms();
  if (!fresh.empty()) {
    if (!admin)
      unusable(path + ": line " + std::to_string(out.rows.front().line) + " and on: " + std::to_string(fresh.size()) +
               " payees are not parties yet (the first: '" + fresh.front().name +
               "'); give --admin-key with an administrator key to register them in the same run");
    bool admin_ok = false;
    for (auto& g : ledger.grants())
      if (!g.revoked && g.party == "ledger" && g.role == schema::Role::ADMINISTRATOR && g.key == admin->pk) admin_ok = true;
    if (!admin_ok) unusable("the --admin-key file holds no active administrator key of this ledger");
  }
  for (const Payee& p : fresh) {
    spec::PartyRegistered r;
    r.id = p.id;
    r.name = p.name;
    r.kind = p.kind;
    if (!p.org_id.empty()) {
      r.org_ids = {p.org_id};
      r.sector = sector_from_org_id(p.org_id);
    }
    std::string key = "spend-party:" + hex_sha256(p.org_id.empty() ? "name\n" + p.name : "org\n" + lower(p.org_id)).substr(0, 48);
    job.requests.push_back({encode_entry(facts.origin, now, key, r), {}});
    job.signers.push_back({admin});
    job.where.push_back("payee '" + p.name + "'");
    out.row_of.push_back(-1);
  }
  out.registrations = fresh.size();

  // Then payments, then refunds; each key counts the earlier rows alike.
  ActingKeys acting = acting_keys(ledger, keys);
  std::map<std::string, int> seen;
  for (auto* list : {&payments, &refunds})
    for (auto& [row, p] : *list) {
      std::string where = "line " + std::to_string(out.rows[row].line);
      std::string basis = (p.has_reference ? "ref\n" : "row\n") + p.idem_basis;
      int n = seen[basis]++;
      std::string key = "spend:" + hex_sha256(basis + "\n" + std::to_string(n)).substr(0, 48);
      job.requests.push_back({encode_entry(facts.origin, now, key, p.payment), {}});
      job.signers.push_back(payment_signers(acting, p.payment, facts.dual_control_threshold, where));
      job.where.push_back(where);
      out.row_of.push_back(long(row));
    }
  return out;
}

}  // namespace fundtrail::interop
