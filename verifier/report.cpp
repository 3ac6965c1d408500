#include "report.h"

#include <nlohmann/json.hpp>

#include "money.h"

namespace fv {

const char* checkName(Check c) {
  static const char* names[] = {"canonical", "format",  "limits",  "rule 1",  "rule 2",  "rule 3",      "rule 4",
                                "rule 5",    "rule 6",  "rule 7",  "rule 8",  "rule 9",      "rule 10",
                                "rule 11",   "rule 12",  "log key", "checkpoints", "consistency", "witnesses", "statement",
                                "tiles"};
  static_assert(sizeof names / sizeof *names == size_t(Check::Count));
  return names[int(c)];
}

const char* checkTitle(Check c) {
  static const char* titles[] = {
      "every SignedEntry and Entry is in Cap'n Proto canonical form",
      "record 0 is the only genesis, formatVersion 1 or 2 (payment runs only in 2); text UTF-8 without control characters, required fields "
      "present, party ids slugs, keys 32 bytes, dates real days in 1900-2999",
      "text, lists and records within docs/rules.md limits (a SignedEntry 65,535 bytes, contract chains 32 deep)",
      "signatures verify over the entry bytes; every signer holds a key of the acting party, not revoked; a "
      "payment run's records are exactly those its batch's root and signers approve",
      "referenced parties exist and fit (contributions into pools, ...); contract and party-status records are well founded",
      "amounts are positive and in the ledger's currency",
      "no pool or budget-limited party goes below zero; no balance overflows",
      "payments at or above the dual-control threshold carry two keys of the payer (of the payee for a refund), one an "
      "officer's",
      "idempotency keys are unique",
      "reversals target an earlier, unreversed contribution or payment",
      "seq, prevHash chain, recordedAt order, origin and createdAt are exact",
      "payments under a contract: its payer and payee, within its dates, before its end, within its cap; "
      "milestones match the current schedule (amount = count x unit price)",
      "claim ids distinct and counted; each (claim id, milestone) paid once per contract, and only along one "
      "chain of parent contracts",
      "a party with a failure or exit status at the value date receives only 'support' payments",
      "refunds stay within what their payee paid their payer; never from a pool or a budget-limited party; "
      "co-signed by the payer when it holds keys; under no contract",
      "the trusted --log-key is the log key the genesis record names",
      "each checkpoint is signed by the log key and its root equals the records' Merkle root at its size",
      "no checkpoint is beyond the records (nothing removed) and checkpoints agree with each other",
      "each checkpoint carries valid cosignatures from enough of the named witnesses",
      "the signed statement's totals equal the balances the records give",
      "every hash tile and entry bundle the checkpoint's size needs is published, framed right, and is what the "
      "records give",
  };
  static_assert(sizeof titles / sizeof *titles == size_t(Check::Count));
  return titles[int(c)];
}

std::string Failure::text() const {
  return (seq ? "seq " + std::to_string(*seq) + ": " : std::string()) + checkName(check) + ": " + reason;
}

// Reasons quote record text, which may be anything: keep valid UTF-8 as it is
// and show control characters and invalid bytes as \xNN.
std::string printable(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = n > 0 && i + n <= s.size() && (c >= 0x20 || n > 1) && c != 0x7F;
    for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<uint8_t>(s[i + k]) & 0xC0) == 0x80;
    if (ok && n > 1) {  // no overlong forms or surrogates
      uint32_t cp = n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
      for (size_t k = 1; k < n; ++k) cp = cp << 6 | (static_cast<uint8_t>(s[i + k]) & 0x3F);
      static const uint32_t minFor[5] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= minFor[n] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      char buf[5];
      snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    }
  }
  return out;
}

void Report::fail(std::optional<uint64_t> seq, Check check, std::string reason, std::string field) {
  ++failureCount;
  ++failuresPerCheck[check];
  if (failures.size() < maxFailures) failures.push_back({seq, check, printable(reason), printable(field)});
}

void Report::newer(uint64_t seq, const std::string& what) {
  if (newerFormatCount++ == 0) newerFormatFirst = printable(what);
  if (newerFormat.size() < maxFailures) newerFormat.push_back(seq);
}

std::string Report::newerFormatText() const {
  if (!newerFormatCount) return {};
  std::string s = "seq " + std::to_string(newerFormat.front()) + " (" + newerFormatFirst + ")";
  if (newerFormatCount > 1) {
    s += " and " + std::to_string(newerFormatCount - 1) + " more record" + (newerFormatCount > 2 ? "s" : "") + " (seq";
    for (size_t i = 1; i < newerFormat.size(); ++i) s += (i > 1 ? ", " : " ") + std::to_string(newerFormat[i]);
    if (newerFormat.size() < newerFormatCount) s += ", ...";
    s += ")";
  }
  bool many = newerFormatCount > 1;
  std::string its = many ? "their" : "its";
  return s + (many ? " are" : " is") + " of a newer format than this verifier reads (an unknown body kind or enum " +
         "value): " + its + " chain, signatures and signers' keys were checked, " + its +
         " effects were not; a newer fundtrail-verify can check " + (many ? "them" : "it");
}

namespace {

std::string money128(__int128 v, int exponent) {
  if (v >= INT64_MIN && v <= INT64_MAX) return formatMinor(int64_t(v), exponent);
  // Beyond int64 only for cumulative in/out figures: print digit by digit.
  bool neg = v < 0;
  unsigned __int128 m = neg ? -(unsigned __int128)v : (unsigned __int128)v;
  std::string d;
  while (m) d.insert(d.begin(), char('0' + int(m % 10))), m /= 10;
  if (exponent > 0) d.insert(d.size() - size_t(exponent), ".");
  return neg ? "-" + d : d;
}

std::string status(const Report& r, Check c) {
  if (r.failuresPerCheck.count(c)) return "FAIL";
  if (r.skipped.count(c)) return "SKIP";
  return "PASS";
}

}  // namespace

std::string Report::text() const {
  std::string o;
  auto line = [&](const std::string& s) { o += s + "\n"; };
  line("fundtrail-verify: " + inputKind + " " + input);
  if (!origin.empty()) line("origin " + origin + ", currency " + currency);
  if (!unusable || records)
    line("records " + std::to_string(records) + ", parties " + std::to_string(parties) + ", keys " +
         std::to_string(keys) + " (" + std::to_string(grants) + " grants), contracts " + std::to_string(contracts) +
         ", signatures checked " + std::to_string(signatures));
  if (batches)
    line("batches: " + std::to_string(batches) + " payment run" + (batches == 1 ? "" : "s") + " holding " +
         std::to_string(batchedRecords) + " records, signatures checked once per run");
  if (unusable) {
    line("");
    line("UNUSABLE INPUT: " + *unusable);
    line("No verdict on the records: the input cannot be verified as given.");
    if (failureCount) line("(" + std::to_string(failureCount) + " check failures were found before that.)");
    line("");
    line("result: " + resultText());
    return o;
  }
  line("");
  line("checks");
  for (int i = 0; i < int(Check::Count); ++i) {
    Check c = Check(i);
    if (c == Check::Tiles && !tilesRun) continue;
    char buf[64];
    snprintf(buf, sizeof buf, "  %-4s  %-12s ", status(*this, c).c_str(), checkName(c));
    std::string s = buf + std::string(checkTitle(c));
    if (failuresPerCheck.count(c)) s += " (" + std::to_string(failuresPerCheck.at(c)) + " failed)";
    else if (skipped.count(c)) s += " [skipped: " + skipped.at(c) + "]";
    line(s);
  }
  if (!checkpoints.empty()) {
    line("");
    line("checkpoints");
    for (const auto& c : checkpoints) {
      std::string s = "  " + c.file + ": " + (c.size ? "size " + std::to_string(*c.size) + ", " : "") + c.status;
      if (!c.witnesses.empty()) {
        s += ", cosigned by";
        for (const auto& w : c.witnesses) s += " " + w;
      }
      if (!c.trustNote.empty()) s += "; " + c.trustNote;
      line(s);
    }
  }
  line("");
  line("totals (" + currency + ", balance = received - paid)");
  size_t shown = 0, others = 0;
  for (const auto& t : totals) others += !t.pool;
  for (const auto& t : totals) {
    if (!t.pool) continue;
    line("  pool   " + t.id + ": balance " + formatMinor(t.balance, exponent) + " (in " +
         money128(t.received, exponent) + ", out " + money128(t.paid, exponent) + ")");
  }
  for (const auto& t : totals) {
    if (t.pool) continue;
    if (++shown > 50) {
      line("  ... " + std::to_string(others - 50) + " more parties (--json lists them all)");
      break;
    }
    line("  party  " + t.id + " (" + t.kind + (t.budgetLimited ? ", budget-limited" : "") +
         "): balance " + formatMinor(t.balance, exponent));
  }
  line("");
  if (failureCount) {
    line("failures (" + (failures.size() < failureCount ? "first " + std::to_string(failures.size()) + " of " : "") +
         std::to_string(failureCount) + ")");
    for (const auto& f : failures) line("  " + f.text());
    line("");
  }
  if (newerFormatCount) {
    line("newer format");
    line("  " + newerFormatText());
    line("");
  }
  line("anchor");
  line("  " + anchorNote);
  if (!anchored) {
    std::string give = tilesRun ? "give --log-key KEY (the log key its owner published, obtained apart from the log; the "
                                  "published checkpoint is then checked against it)"
                                : "give --log-key KEY --checkpoint FILE (the log key its owner published, obtained apart "
                                  "from the ledger, and a checkpoint signed by it)";
    line(missingAnchor() ? "  --require-anchor was given and this run is not anchored: " + give
                         : "  to anchor the records to a key you trust, " + give);
  }
  line("");
  line("what this run proves");
  for (const auto& t : trust) line("  " + t);
  line("");
  line("result: " + resultText());
  return o;
}

std::string Report::resultText() const {
  if (unusable) return "UNUSABLE (exit 2)";
  if (failureCount) return "FAIL (exit 1)";
  if (missingAnchor()) return "NOT ANCHORED (exit 1)";
  if (newerFormatCount) return "NEWER FORMAT (exit 2)";
  return anchored ? "PASS (exit 0)" : "CONSISTENT, not anchored (exit 0)";
}

std::string Report::json() const {
  using json = nlohmann::ordered_json;  // fields in the documented order
  json j;
  j["input"] = {{"path", input}, {"kind", inputKind}};
  j["result"] = unusable          ? "unusable"
                : failureCount    ? "fail"
                : missingAnchor() ? "not-anchored"
                : newerFormatCount ? "newer-format"
                : anchored         ? "pass"
                                   : "consistent";
  j["result_text"] = resultText();
  j["exit_code"] = exitCode();
  j["anchored"] = anchored;
  j["anchor_required"] = anchorRequired;
  j["anchor"] = anchorNote;
  j["unusable_reason"] = unusable ? json(*unusable) : json(nullptr);
  j["origin"] = origin;
  j["currency"] = currency;
  j["currency_exponent"] = exponent;
  j["counts"] = {{"records", records}, {"parties", parties}, {"keys", keys}, {"key_grants", grants},
                 {"signatures", signatures}, {"contracts", contracts}, {"batches", batches},
                 {"batched_records", batchedRecords}};
  json checks = json::array();
  for (int i = 0; i < int(Check::Count); ++i) {
    Check c = Check(i);
    if (c == Check::Tiles && !tilesRun) continue;
    std::string st = status(*this, c);
    json e = {{"name", checkName(c)}, {"title", checkTitle(c)},
              {"status", unusable ? "not-run" : st == "PASS" ? "pass" : st == "FAIL" ? "fail" : "skipped"},
              {"failures", failuresPerCheck.count(c) ? failuresPerCheck.at(c) : 0}};
    if (skipped.count(c)) e["skipped_because"] = skipped.at(c);
    checks.push_back(e);
  }
  j["checks"] = checks;
  json cps = json::array();
  for (const auto& c : checkpoints)
    cps.push_back({{"file", c.file}, {"size", c.size ? json(*c.size) : json(nullptr)}, {"root", c.root},
                   {"status", c.status}, {"witnesses", c.witnesses}, {"trusted_key", c.trustedKey},
                   {"trust_note", c.trustNote.empty() ? json(nullptr) : json(c.trustNote)}});
  j["checkpoints"] = cps;
  json tot = json::array();
  for (const auto& t : totals)
    tot.push_back({{"party", t.id}, {"kind", t.kind}, {"pool", t.pool}, {"budget_limited", t.budgetLimited},
                   {"balance", formatMinor(t.balance, exponent)}, {"balance_minor", t.balance},
                   {"received", money128(t.received, exponent)}, {"paid", money128(t.paid, exponent)}});
  j["totals"] = tot;
  json fs = json::array();
  for (const auto& f : failures)
    fs.push_back({{"seq", f.seq ? json(*f.seq) : json(nullptr)}, {"check", checkName(f.check)},
                  {"field", f.field.empty() ? json(nullptr) : json(f.field)}, {"reason", f.reason}, {"text", f.text()}});
  j["failures"] = fs;
  j["failure_count"] = failureCount;
  j["newer_format"] = {{"count", newerFormatCount}, {"seqs", newerFormat},
                       {"first", newerFormatCount ? json(newerFormatFirst) : json(nullptr)},
                       {"text", newerFormatCount ? json(newerFormatText()) : json(nullptr)}};
  j["log_key"] = logKeyTrust;
  j["proves"] = trust;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace fv
