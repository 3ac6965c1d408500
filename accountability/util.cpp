// Text, ratio and party helpers shared by the analyses (internal.h).
#include <algorithm>
#include <mutex>
#include <numeric>
#include <set>
#include <unordered_set>

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
  // One buffer per thread for the remainders: the trace calls this for most
  // of a million payments, and two traces run at once (build_map).
  thread_local std::vector<std::pair<__int128, size_t>> rem;
  rem.clear();
  int64_t given = 0;
  // 64-bit division where every product fits (most payments: 128-bit
  // division is a library call), the same exact quotients either way.
  bool narrow = sum <= INT64_MAX;
  for (size_t i = 0; narrow && i < weights.size(); ++i) {
    int64_t product;
    narrow = !__builtin_mul_overflow(weights[i], total, &product);
  }
  const int64_t sum64 = narrow ? static_cast<int64_t>(sum) : 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (narrow) {
      const int64_t num = weights[i] * total;
      out[i] = num / sum64;
      rem.push_back({num % sum64, i});
    } else {
      const __int128 num = static_cast<__int128>(weights[i]) * total;
      out[i] = static_cast<int64_t>(num / sum);
      rem.push_back({num % sum, i});
    }
    given += out[i];
  }
  if (given >= total) return out;  // nothing left to hand out (the usual case for whole parts)
  // Largest remainder first, ties to the lower index: what a stable sort by
  // remainder gives, without the buffer stable_sort allocates on every call
  // (the trace calls this for most of a million payments).
  std::sort(rem.begin(), rem.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (size_t k = 0; given < total && k < rem.size(); ++k, ++given) ++out[rem[k].second];
  return out;
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::vector<size_t> shown(size_t n, size_t limit, const std::function<int64_t(size_t)>& weight) {
  std::vector<size_t> out(n);
  std::iota(out.begin(), out.end(), size_t(0));
  if (limit == 0 || n <= limit) return out;
  if (weight) {  // the `limit` heaviest (ties: the earlier), without sorting the whole list
    std::vector<int64_t> w(n);
    for (size_t i = 0; i < n; ++i) w[i] = weight(i);
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(limit), out.end(),
                      [&](size_t a, size_t b) { return w[a] != w[b] ? w[a] > w[b] : a < b; });
  }
  out.resize(limit);
  std::sort(out.begin(), out.end());
  return out;
}

std::string more(size_t hidden, const std::string& indent) {
  if (!hidden) return "";
  std::string n = std::to_string(hidden);
  for (int i = static_cast<int>(n.size()) - 3; i > 0; i -= 3) n.insert(static_cast<size_t>(i), ",");
  return indent + "... and " + n + " more (--all for every one)\n";
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
  std::vector<std::pair<Vertex, Vertex>> pairs;  // sorted and made unique (a set's nodes cost more)
  for (auto [e, end] = edges(view); e != end; ++e) pairs.push_back({source(*e, view), target(*e, view)});
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
  return pairs;
}

}  // namespace fundtrail::map::detail

namespace fundtrail::map {

// Names live as long as the process: a map is built from one ledger, whose
// distinct party ids, mechanisms and milestones are few beside its payments
// (10,000 parties among a million payments), and a Name may outlive its map.
namespace {
struct TextHash {  // looks up a string_view without making a string
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};
}  // namespace

Name::Name(std::string_view text) {
  if (text.empty()) return;
  static std::mutex lock;
  // Never destroyed: a Name held in a static stays valid at exit.
  static auto* table = new std::unordered_set<std::string, TextHash, std::equal_to<>>();
  std::lock_guard<std::mutex> hold(lock);
  auto it = table->find(text);
  if (it == table->end()) it = table->emplace(text).first;
  text_ = &*it;
}

const std::string& Name::str() const {
  static const std::string none;
  return text_ ? *text_ : none;
}

const std::string& SparseText::str() const {
  static const std::string none;
  return text_ ? *text_ : none;
}
}  // namespace fundtrail::map
