// Text, ratio and party helpers shared by the analyses (internal.h).
#include <algorithm>
#include <numeric>
#include <set>

#include "accountability/internal.h"
#include "ledger/limits.h"
#include "ledger/money.h"

namespace fundtrail::map::detail {

std::string grouped(int64_t minor, int exponent) {
  std::string s = format_money(minor, exponent);
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t dot = s.find('.');
  size_t int_len = dot == std::string::npos ? s.size() : dot;
  std::string out;
  for (size_t i = 0; i < int_len; ++i) {
    if (i > 0 && (int_len - i) % 3 == 0) out += ',';
    out += s[i];
  }
  out += s.substr(int_len);
  return neg ? "-" + out : out;
}

std::string money_text(const Map& m, int64_t minor) { return m.facts.currency + " " + grouped(minor, m.facts.exponent); }

std::string pct(uint32_t bp) {
  std::string frac = std::to_string(bp % 100);
  if (frac.size() < 2) frac = "0" + frac;
  return std::to_string(bp / 100) + "." + frac + "%";
}

uint32_t ratio_bp(int64_t part, int64_t whole) {
  if (whole <= 0 || part <= 0) return 0;
  __int128 r = (static_cast<__int128>(part) * 20000 + whole) / (static_cast<__int128>(whole) * 2);
  return static_cast<uint32_t>(r);
}

void put_amount(nlohmann::json& j, const std::string& key, int64_t minor, int exponent) {
  j[key] = format_money(minor, exponent);
  j[key + "_minor"] = minor;
}

std::string date_text(uint32_t d) { return d ? format_date(d) : ""; }

std::vector<int64_t> largest_remainder(int64_t total, const std::vector<int64_t>& weights) {
  std::vector<int64_t> out(weights.size(), 0);
  __int128 sum = 0;
  for (int64_t w : weights) sum += w;
  if (sum <= 0 || total == 0) return out;
  std::vector<std::pair<__int128, size_t>> rem;
  int64_t given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    __int128 num = static_cast<__int128>(weights[i]) * total;
    out[i] = static_cast<int64_t>(num / sum);
    given += out[i];
    rem.push_back({num % sum, i});
  }
  std::stable_sort(rem.begin(), rem.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; given < total && k < rem.size(); ++k, ++given) ++out[rem[k].second];
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string lower(std::string s) { return ascii_lower(std::move(s)); }

std::string as_of_text(const Map& m) {
  const AsOf& a = m.facts.as_of;
  if (a.date) return "as of value date " + format_date(a.date) + " (" + std::to_string(m.facts.records) + " records read)";
  if (a.size != UINT64_MAX) return "as of seq " + std::to_string(a.size - 1);
  return "all " + std::to_string(m.facts.records) + " records";
}

std::string as_of_value(const Map& m) {
  const AsOf& a = m.facts.as_of;
  if (a.date) return format_date(a.date);
  if (a.size != UINT64_MAX) return std::to_string(a.size - 1);
  return "all records";
}

bool is_origin_kind(const std::string& k) { return k == "commissioner" || k == "funder"; }
bool is_provider_kind(const std::string& k) { return k == "provider" || k == "collaborative"; }

std::string controller_of(const Facts& f, const std::string& id) {
  std::string cur = id;
  std::set<std::string> seen{cur};
  while (const Party* p = f.party(cur)) {
    if (p->controlled_by.empty() || !seen.insert(p->controlled_by).second) break;
    cur = p->controlled_by;
  }
  return cur;
}

bool same_group(const Facts& f, const std::string& a, const std::string& b) {
  if (a == b) return true;
  std::string ca = controller_of(f, a), cb = controller_of(f, b);
  return ca == cb && (ca != a || cb != b);
}

std::vector<std::string> offices_of(const Facts& f, const std::string& id) {
  std::vector<std::string> out;
  for (auto& [pid, p] : f.parties)
    if (p.kind == "office" && p.parent == id) out.push_back(pid);
  return out;
}

std::string label(const Map& m, const std::string& id) {
  const Party* p = m.facts.party(id);
  if (!p || p->name.empty() || p->name == id) return id;
  return p->name + " (" + id + ")";
}

std::vector<std::pair<Vertex, Vertex>> money_pairs(const Map& m) {
  MoneyView view(m.graph, ForwardMoney{&m.graph});
  std::set<std::pair<Vertex, Vertex>> pairs;
  for (auto [e, end] = edges(view); e != end; ++e) pairs.insert({source(*e, view), target(*e, view)});
  return {pairs.begin(), pairs.end()};
}

}  // namespace fundtrail::map::detail

namespace fundtrail::map {
const std::string& SparseText::str() const {
  static const std::string none;
  return text_ ? *text_ : none;
}
}  // namespace fundtrail::map
