// "Did you mean" for usage errors: the known names nearest to what a user
// typed, so `log --kind paymnet` answers with `payment` instead of nothing.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fundtrail::cli {

// At most `max` of `known`, nearest first by edit distance (case ignored),
// keeping only those within a third of the longer name's length or that
// start with what was typed.
std::vector<std::string> nearest_names(std::string_view given, const std::vector<std::string>& known, size_t max = 3);

// "; did you mean 'a' or 'b'?", or "" when nothing is near.
std::string did_you_mean(std::string_view given, const std::vector<std::string>& known);

}  // namespace fundtrail::cli
