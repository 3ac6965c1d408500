// The map's picture (map export --format dot|svg), end to end through the
// built binary and Graphviz (issue 23): a title that says what the picture
// is, amounts with their currency, a key for every colour and line style,
// gaps named, implicit lines as notes, and a layout that fits an A4 page for
// the demo and for a ledger of 300 parties (tests/cli/map_ledger_300.sh).
// Graphviz is needed: without /usr/bin/dot these tests fail, they do not skip.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "run.h"

namespace {

const char* const kDot = "/usr/bin/dot";  // by full path: the layout is what is under test

using fundtrail::test::RunResult;
using Ran = RunResult;

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// A scratch directory, removed at exit, where commands run under a timeout.
class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/fundtrail-map-picture-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string path(const std::string& name) const { return root_ + "/" + name; }

  // Runs a shell command line (stdin /dev/null) with the passphrase set.
  Ran sh(const std::string& cmd, int timeout_s = 300) const {
    fundtrail::test::RunOptions o;
    o.env["FUNDTRAIL_PASSPHRASE"] = "map-picture-passphrase";
    o.timeout_s = timeout_s;
    return fundtrail::test::run("/bin/sh", {"-c", cmd}, o);
  }
  Ran fundtrail(const std::string& ledger, const std::string& args) const {
    return sh(shell_quote(FUNDTRAIL_BIN) + " --ledger " + shell_quote(ledger) + " " + args);
  }

 private:
  std::string root_;
};

// The demo ledger, built once per test process by the real binary.
struct Demo {
  Scratch dir;
  std::string ledger = dir.path("demo");
  Demo() {
    Ran r = dir.sh(shell_quote(FUNDTRAIL_BIN) + " demo " + shell_quote(ledger));
    REQUIRE_MESSAGE(r.code == 0, r.err);
  }
  std::string dot() const {
    Ran r = dir.fundtrail(ledger, "map export --format dot");
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.out;
  }
};
const Demo& demo() {
  static Demo d;
  return d;
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// The statements of a DOT file written by the exporter: one per line.
std::vector<std::string> lines_of(const std::string& dot) {
  std::vector<std::string> out;
  std::istringstream in(dot);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// The key's node statement, and everything else.
void split_key(const std::string& dot, std::string& key, std::string& rest) {
  key.clear();
  rest.clear();
  for (auto& l : lines_of(dot)) {
    if (l.rfind("Key [", 0) == 0)
      key += l + "\n";
    else
      rest += l + "\n";
  }
}

std::set<std::string> all_matches(const std::string& text, const std::regex& re, int group = 0) {
  std::set<std::string> out;
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) out.insert((*it)[group].str());
  return out;
}

// What the key must list: every colour (fills, outlines, lines, text), every
// line style and every node shape the rest of the picture uses.
void check_key_covers(const std::string& dot) {
  std::string key, rest;
  split_key(dot, key, rest);
  REQUIRE_MESSAGE(!key.empty(), "no Key node in the DOT");
  CHECK(has(key, "Key"));
  for (auto& colour : all_matches(rest, std::regex("#[0-9a-fA-F]{6}"))) {
    CAPTURE(colour);
    CHECK(has(key, colour));
  }
  std::set<std::string> styles;
  for (auto& l : lines_of(rest))
    if (has(l, "->") && !has(l, "style=invis"))
      for (auto& s : all_matches(l, std::regex("style=\"?([a-z]+)"), 1)) styles.insert(s);
  for (auto& style : styles) {
    CAPTURE(style);
    if (style == "solid")
      CHECK(std::regex_search(key, std::regex("SIDES=\"B\" COLOR=\"#[0-9a-f]{6}\" BORDER=\"[0-9]\" WIDTH")));
    else
      CHECK(has(key, "STYLE=\"" + style + "\""));
  }
  const std::pair<const char*, const char*> shapes[] = {{"cylinder", "cylinder"}, {"note", "folded corner"},
                                                        {"tab", "(tab)"},         {"box3d", "3-D box"},
                                                        {"ellipse", "ellipse"},   {"diagonals", "cut corners"}};
  for (auto& [shape, words] : shapes)
    if (has(rest, std::string("shape=") + shape) || (std::string(shape) == "diagonals" && has(rest, "diagonals"))) {
      CAPTURE(shape);
      CHECK(has(key, words));
    }
}

// A node statement's HTML label as a reader sees it: its lines joined by
// spaces, tags gone, entities decoded.
std::string visible(const std::string& statement, std::string* html = nullptr) {
  size_t from = statement.find("label=<");
  if (from == std::string::npos) return "";
  from += 7;
  size_t to = statement.find("> shape=", from);
  if (to == std::string::npos) to = statement.rfind(">]");
  std::string label = statement.substr(from, to - from);
  if (html) *html = label;
  std::string text = std::regex_replace(label, std::regex("<BR[^>]*>"), " ");
  text = std::regex_replace(text, std::regex("<[^>]*>"), "");
  const std::pair<const char*, const char*> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}};
  for (auto& [from_e, to_e] : entities) text = std::regex_replace(text, std::regex(from_e), to_e);
  return text;
}

struct Box {  // the width and height of the laid out picture, in inches
  double w = 0, h = 0;
};

// Lays the DOT out with Graphviz's dot and reads the bounding box. dot must
// be installed and must not warn (an HTML label it cannot read, an unknown
// attribute).
Box laid_out(const Scratch& dir, const std::string& dot, const std::string& name) {
  REQUIRE_MESSAGE(std::filesystem::exists(kDot), "Graphviz is needed: apt install graphviz");
  std::ofstream(dir.path(name + ".dot"), std::ios::binary) << dot;
  Ran r = dir.sh(std::string(kDot) + " -Tjson " + shell_quote(dir.path(name + ".dot")), 300);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK_MESSAGE(r.err.empty(), r.err);
  nlohmann::json j = nlohmann::json::parse(r.out);
  std::string bb = j.at("bb").get<std::string>();  // "llx,lly,urx,ury" in points
  double llx, lly, urx, ury;
  char c1, c2, c3;
  std::istringstream in(bb);
  REQUIRE((in >> llx >> c1 >> lly >> c2 >> urx >> c3 >> ury));
  return {(urx - llx) / 72, (ury - lly) / 72};
}

// The largest scale at which the picture fits an A4 page less 1 cm margins,
// portrait or landscape.
double a4_scale(const Box& b) {
  const double s = 7.48, l = 10.9;
  return std::max(std::min(s / b.w, l / b.h), std::min(l / b.w, s / b.h));
}

}  // namespace

TEST_CASE("map picture: the DOT title says what the picture is, of which ledger, how many records and the currency") {
  std::string dot = demo().dot();
  std::smatch title;
  REQUIRE(std::regex_search(dot, title, std::regex("graph \\[[^\\n]*label=<(.*)>\\];")));
  std::string t = title[1].str();
  CHECK(has(t, "Where the money went, and who answers for it"));
  CHECK(has(t, "Accountability map of the ledger demo.fundtrail.example/riverside"));
  CHECK(has(t, "all 85 records"));
  CHECK(has(t, "amounts in GBP"));
  CHECK(has(dot, "labelloc=t"));
}

TEST_CASE("map picture: every amount in the demo's picture carries the currency code") {
  std::string dot = demo().dot();
  // Amounts as the exporter writes them ("1,250.00"), not attribute values
  // such as nodesep=0.22 or margin="0.12,0.05".
  std::regex amount("[0-9]{1,3}(,[0-9]{3})*\\.[0-9]{2}(?![0-9])");
  int amounts = 0;
  for (std::sregex_iterator it(dot.begin(), dot.end(), amount), end; it != end; ++it) {
    size_t at = static_cast<size_t>(it->position());
    char before = at ? dot[at - 1] : ' ';
    if (before == '=' || before == '"' || before == ',' || before == '.' ||
        std::isdigit(static_cast<unsigned char>(before)))
      continue;
    ++amounts;
    CAPTURE(dot.substr(at >= 40 ? at - 40 : 0, 60));
    CHECK(dot.compare(at >= 4 ? at - 4 : 0, 4, "GBP ") == 0);
  }
  CHECK(amounts > 30);
  CHECK(has(dot, "received GBP 950,000.00"));  // the pool
  CHECK(has(dot, "contribution GBP 500,000.00"));
}

TEST_CASE("map picture: the key lists every colour, line style and shape the demo's picture uses") {
  std::string dot = demo().dot();
  check_key_covers(dot);
  std::string key, rest;
  split_key(dot, key, rest);
  CHECK(has(key, "red outline: a gap"));
  CHECK(has(key, "failed or exited party"));
  CHECK(has(key, "responsibility line"));
  CHECK(has(key, "money paid back"));
}

TEST_CASE(
    "map picture: each red gap outline in the demo says which gap it marks, and implicit lines are notes, not edges") {
  std::string dot = demo().dot();
  int outlined = 0;
  for (auto& l : lines_of(dot)) {
    if (l.find(" [label=<") == std::string::npos || !has(l, "penwidth=2.5") || !has(l, "color=\"#d00000\"")) continue;
    ++outlined;
    std::string text = visible(l);
    CAPTURE(text);
    CHECK(std::regex_search(text,
                            std::regex("GAP: (no responsibility line on record|no operator of last resort|paid GBP "
                                       "[0-9,.]+ after its failure|[a-z-]+ line for '.*', but no money reached it)")));
  }
  CHECK(outlined == 3);  // skillsup-ltd, ace-direct, riverside-providers (fundtrail map gaps)
  std::string skillsup;
  for (auto& l : lines_of(dot))
    if (l.rfind("\"skillsup-ltd\" [", 0) == 0) skillsup = visible(l);
  CHECK(has(skillsup, "GAP: no responsibility line on record"));
  CHECK(has(skillsup, "answers by default to Riverside Borough Council"));
  CHECK(has(skillsup, "GAP: paid GBP 3,000.00 after its failure"));
  CHECK_FALSE(has(dot, "style=dotted"));  // no implicit-line edge looping round the picture
  CHECK_FALSE(has(dot, "implicit, unrecorded"));
}

TEST_CASE("map picture: the demo's picture laid out by Graphviz fits an A4 page") {
  Box b = laid_out(demo().dir, demo().dot(), "demo");
  INFO("laid out " << b.w << " x " << b.h << " in");
  CHECK(b.w / b.h < 1.6);
  CHECK(b.h / b.w < 1.6);
  CHECK(a4_scale(b) > 0.38);  // boxes' 10.5 pt text at 4 pt or more on paper
  // SVG goes through the same DOT.
  Ran svg = demo().dir.fundtrail(demo().ledger, "map export --format svg");
  REQUIRE_MESSAGE(svg.code == 0, svg.err);
  CHECK(has(svg.out, "Where the money went"));
}

TEST_CASE("map picture: a 300-party ledger's picture fits an A4 page and keeps its key") {
  Scratch dir;
  std::string script = std::string(FUNDTRAIL_TEST_DATA) + "/../cli/map_ledger_300.sh";
  Ran made =
      dir.sh("bash " + shell_quote(script) + " " + shell_quote(FUNDTRAIL_BIN) + " " + shell_quote(dir.path("n")), 900);
  REQUIRE_MESSAGE(made.code == 0, made.err);
  std::string ledger = dir.path("n/books");
  Ran parties = dir.fundtrail(ledger, "party list --json");
  REQUIRE(parties.code == 0);
  size_t count = 0;
  for (auto& p : nlohmann::json::parse(parties.out)) count += p["id"] != "ledger";  // the ledger's own party
  CHECK(count == 300);

  Ran dot = dir.fundtrail(ledger, "map export --format dot");
  REQUIRE_MESSAGE(dot.code == 0, dot.err);
  Box b = laid_out(dir, dot.out, "n300");
  INFO("laid out " << b.w << " x " << b.h << " in");
  CHECK(b.w / b.h < 1.6);
  CHECK(b.h / b.w < 1.6);
  CHECK(a4_scale(b) > 0.2);
  CHECK(has(dot.out, "300 parties, amounts in GBP"));
  check_key_covers(dot.out);
  CHECK(has(dot.out, "paid only by Apex Employment Partnership"));  // many providers of one payer: a table
  // Names with '&' are escaped in the HTML labels Graphviz reads.
  bool arts = false;
  for (auto& l : lines_of(dot.out)) {
    std::string html, text = visible(l, &html);
    arts |= has(text, "Arts & Crafts Collective");
    CAPTURE(html.substr(0, 200));
    CHECK_FALSE(std::regex_search(html, std::regex("&(?!amp;|lt;|gt;|quot;)")));
  }
  CHECK(arts);
}
