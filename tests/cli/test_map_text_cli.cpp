// map's text at any size through the built binary (issue 25): a long list
// shows its 20 largest and how many more, --all shows every one, --json
// always has every one, and each analysis's help gives the flag.
#include <string>

#include "fixture.h"

using namespace fundtrail::test;

namespace {

size_t count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("map text: gaps shows the 20 largest of a long list and how many more, --all every one") {
  Books b;
  // 23 providers paid 1..23 pounds by the council, none with an operator of
  // last resort; the fixture's hope (a provider, unpaid) lacks one too: 24.
  std::string csv = "kind,from,to,amount,date,mechanism,milestone,count,claims\n";
  for (int i = 1; i <= 23; ++i) {
    std::string id = std::string("prov-") + (i < 10 ? "0" : "") + std::to_string(i);
    b.ok({"party", "add", id, "--name", "Provider " + std::to_string(i), "--kind", "provider", "--key", b.key("admin")});
    csv += "payment,council," + id + "," + std::to_string(i) + ".00,2025-04-10,block,,,\n";
  }
  write_file(b.file("pay.csv"), csv);
  b.ok({"import", b.file("pay.csv"), "--key", b.key("council")});

  const std::string line = "no operator of last resort is recorded anywhere";
  std::string cut = b.ok({"map", "gaps"}).out;
  INFO(cut);
  CHECK(count(cut, line) == 20);
  CHECK(cut.find("(prov-04): " + line) != std::string::npos);     // the 20 largest: prov-04 .. prov-23
  CHECK(cut.find("(prov-03): " + line) == std::string::npos);
  CHECK(cut.find("(hope): " + line) == std::string::npos);        // received nothing
  CHECK(cut.find("  ... and 4 more (--all for every one)\n") != std::string::npos);

  std::string all = b.ok({"map", "gaps", "--all"}).out;
  CHECK(count(all, line) == 24);
  CHECK(all.find("more (--all for every one)") == std::string::npos);

  size_t listed = 0;
  const json gaps = b.ok_json({"map", "gaps", "--json"});
  for (auto& g : gaps["gaps"]) listed += g["type"] == "no-last-resort";
  CHECK(listed == 24);

  for (const char* analysis : {"money", "frontline", "who", "gaps", "concentration", "patterns"}) {
    RunResult help = b.ok({"map", analysis, "--help"});
    CHECK_MESSAGE(help.out.find("--all") != std::string::npos, analysis);
  }
}
