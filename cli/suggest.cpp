#include "cli/suggest.h"

#include <algorithm>
#include <cctype>

namespace fundtrail::cli {
namespace {

// Levenshtein distance over lower-cased bytes, one row at a time.
size_t distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string> nearest_names(std::string_view given, const std::vector<std::string>& known, size_t max) {
  std::vector<std::pair<size_t, std::string>> near;
  for (const std::string& k : known) {
    size_t d = distance(given, k);
    bool prefix = !given.empty() && k.size() > given.size() && distance(given, k.substr(0, given.size())) == 0;
    if (prefix || d * 3 <= std::max(given.size(), k.size())) near.push_back({prefix ? 0 : d, k});
  }
  std::stable_sort(near.begin(), near.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::string> out;
  for (size_t i = 0; i < near.size() && i < max; ++i) out.push_back(near[i].second);
  return out;
}

std::string did_you_mean(std::string_view given, const std::vector<std::string>& known) {
  std::vector<std::string> near = nearest_names(given, known);
  if (near.empty()) return "";
  std::string out = "; did you mean ";
  for (size_t i = 0; i < near.size(); ++i) out += (i ? (i + 1 == near.size() ? " or '" : ", '") : "'") + near[i] + "'";
  return out + "?";
}

}  // namespace fundtrail::cli
