#include "bench/ledger_cli.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string_view>

#include "ledger/money.h"

namespace fundtrail::bench {
namespace {

void add_date(std::string& out, uint32_t yyyymmdd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u/%02u/%02u", yyyymmdd / 10000, yyyymmdd / 100 % 100, yyyymmdd % 100);
  out += buf;
}

// One transaction: money moves from `from` to `to`; the payee line names the receiver.
void add_transaction(std::string& out, uint32_t date, std::string_view from, std::string_view to, int64_t minor,
                     int exponent, const std::string& currency) {
  std::string amount = format_money(minor, exponent);
  add_date(out, date);
  out.append(" ").append(to).append("\n    Assets:").append(to).append("  ").append(amount).append(" ").append(currency);
  out.append("\n    Assets:").append(from).append("  -").append(amount).append(" ").append(currency).append("\n\n");
}

}  // namespace

uint64_t write_ledger_cli_journal(const Ledger& ledger, const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), std::fclose);
  if (!f) throw std::runtime_error("cannot write " + path);
  const int exponent = ledger.facts().exponent;
  const std::string& currency = ledger.facts().currency;
  uint64_t transactions = 0;
  std::string out;
  ledger.for_each(0, ledger.size(), [&](uint64_t, std::span<const uint8_t> leaf) {
    Record rec(leaf, false);  // the ledger's own records, checked when appended
    auto body = rec.entry().getBody();
    if (body.isContribution()) {
      auto c = body.getContribution();
      add_transaction(out, c.getValueDate(), c.getFrom().cStr(), c.getTo().cStr(), c.getAmount(), exponent, currency);
      ++transactions;
    } else if (body.isPayment()) {
      auto p = body.getPayment();
      add_transaction(out, p.getValueDate(), p.getFrom().cStr(), p.getTo().cStr(), p.getAmount(), exponent, currency);
      ++transactions;
    }
    if (out.size() > (1u << 20)) {
      std::fwrite(out.data(), 1, out.size(), f.get());
      out.clear();
    }
    return true;
  });
  std::fwrite(out.data(), 1, out.size(), f.get());
  if (std::fflush(f.get()) != 0) throw std::runtime_error("cannot write " + path);
  return transactions;
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

}  // namespace fundtrail::bench
