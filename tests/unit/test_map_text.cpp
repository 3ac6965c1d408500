// The analyses' text at any size (issue 25): each list shows its `limit`
// largest entries in the list's own order, then how many more; kEveryEntry
// (the CLI's --all) shows every one, and the JSON always has every one.
#include "test_map_support.h"

using namespace map_test;

namespace {

// (contains() is test_map_support.h's.)
size_t count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("map text: a long list shows its largest entries in list order, how many more, and every one with no limit") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  // Providers p01..p25, paid 1..25 pounds: none has an operator of last
  // resort, so `gaps` lists all 25 (ordered by id, each with what it received).
  for (int i = 1; i <= 25; ++i) {
    std::string id = std::string("p") + (i < 10 ? "0" : "") + std::to_string(i);
    b.party(id, PartyKind::PROVIDER);
    b.pay("council", id, i);
  }
  map::Map m = b.map();
  std::vector<map::Gap> gaps = map::find_gaps(m);

  const std::string cut = map::to_text(m, gaps, 3);
  // The three largest (p23, p24, p25), in the list's order, then the rest counted.
  CHECK(count(cut, "): no operator of last resort") == 3);
  CHECK(contains(cut, "(p23)"));
  CHECK(contains(cut, "(p24)"));
  CHECK(contains(cut, "(p25)"));
  CHECK_FALSE(contains(cut, "(p22)"));
  CHECK(cut.find("(p23)") < cut.find("(p24)"));
  CHECK(contains(cut, "  ... and 22 more (--all for every one)\n"));

  const std::string all = map::to_text(m, gaps, map::kEveryEntry);
  CHECK(count(all, "): no operator of last resort") == 25);
  CHECK_FALSE(contains(all, "more (--all"));
  CHECK(all == map::to_text(m, gaps));  // the library's default is every entry

  // A list no longer than the limit is printed whole, unchanged.
  CHECK(map::to_text(m, gaps, 25) == all);
  // JSON is never cut.
  nlohmann::json j = map::to_json(m, gaps);
  size_t no_last_resort = 0;
  for (auto& g : j["gaps"]) no_last_resort += g["type"] == "no-last-resort";
  CHECK(no_last_resort == 25);
}

TEST_CASE("map text: money and concentration cut each source's holders, ties to the earlier") {
  Books b;
  b.party("council", PartyKind::COMMISSIONER);
  // Four providers paid 5, 7, 7 and 2 pounds: with a limit of 2 the council's
  // money shows p2 and p3 (7 each; p2 before p3), not p1 (5) or p4 (2).
  b.party("p1", PartyKind::PROVIDER);
  b.party("p2", PartyKind::PROVIDER);
  b.party("p3", PartyKind::PROVIDER);
  b.party("p4", PartyKind::PROVIDER);
  b.pay("council", "p1", 5);
  b.pay("council", "p2", 7);
  b.pay("council", "p3", 7);
  b.pay("council", "p4", 2);
  map::Map m = b.map();

  const std::string money = map::to_text(m, map::follow_money(m), 2);
  CHECK(contains(money, "(p2)"));
  CHECK(contains(money, "(p3)"));
  CHECK_FALSE(contains(money, "(p1)"));
  CHECK_FALSE(contains(money, "(p4)"));
  CHECK(contains(money, "  ... and 2 more (--all for every one)\n"));

  const std::string shares = map::to_text(m, map::concentration(m), 1);
  // The market's largest share: p2 and p3 tie at 7, the earlier in the list (p2) shows.
  CHECK(contains(shares, "GBP 7.00  The p2 (p2)"));
  CHECK_FALSE(contains(shares, "GBP 7.00  The p3 (p3)"));
  CHECK(contains(shares, "      ... and 3 more (--all for every one)\n"));
}
