// fundtrail map export, GraphML and JSON, read by the tools researchers use
// (issue 23): the graph-level attributes say what a file covers (origin,
// currency, as-of, record count), and NetworkX reads both files with its
// default arguments — nx.read_graphml(path) and nx.node_link_graph(data) —
// getting every node and every edge, parallel edges included.
//
// NetworkX is run for real: a Python 3 with NetworkX 3.6 or later (the first
// version whose node_link_graph reads "edges" by default) is required, and its
// absence fails these tests rather than skipping them. The interpreter is
// $FUNDTRAIL_TEST_PYTHON if set, else the first of /usr/bin/python3 and each
// python3 on PATH that has such a NetworkX (scripts/deps.sh installs Debian's
// python3-networkx, which is older than 3.6 on Debian 12 and 13).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "run.h"

namespace {

using nlohmann::json;
using fundtrail::test::RunOptions;
using fundtrail::test::RunResult;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

size_t occurrences(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size())) ++n;
  return n;
}

// The demo ledger, built once for this file by the real binary, removed at exit.
class Demo {
 public:
  Demo() {
    char tmpl[] = "/tmp/fundtrail-map-exports-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
    RunResult r = cli({"demo", dir()}, false);
    REQUIRE_MESSAGE(r.code == 0, r);
    // What the ledger itself says: its records, and the genesis's origin and currency.
    RunResult log = cli({"log", "--json"});
    REQUIRE_MESSAGE(log.code == 0, log);
    json records = json::parse(log.out);
    REQUIRE(records.size() > 50);
    size = records.size();
    origin = records[0]["body"]["origin"].get<std::string>();
    currency = records[0]["body"]["currency"].get<std::string>();
  }
  ~Demo() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::string dir() const { return root_ + "/demo"; }
  std::string file(const std::string& name) const { return root_ + "/" + name; }

  RunResult cli(std::vector<std::string> args, bool on_ledger = true) const {
    if (on_ledger) args.insert(args.begin(), {"--ledger", dir()});
    RunOptions opt;
    opt.env = {{"FUNDTRAIL_PASSPHRASE", "map-exports-test"}};
    opt.timeout_s = 120;
    return fundtrail::test::run(FUNDTRAIL_BIN, args, opt);
  }

  // Exports the map to a file; returns the file's text and the counts the
  // command reports for the map ("wrote FILE: N parties, M lines (FORMAT)").
  struct Export {
    std::string path, body;
    size_t parties = 0, lines = 0;
  };
  Export export_to(const std::string& format, const std::vector<std::string>& extra = {}) const {
    std::string path = file("map-" + std::to_string(++exports_) + "." + format);
    std::vector<std::string> args{"map", "export", "--format", format, "--out", path};
    args.insert(args.end(), extra.begin(), extra.end());
    RunResult r = cli(args);
    REQUIRE_MESSAGE(r.code == 0, r);
    Export e;
    e.path = path;
    e.body = slurp(path);
    size_t at = r.err.find(": ");
    REQUIRE_MESSAGE(at != std::string::npos, r.err);
    std::istringstream counts(r.err.substr(at + 2));
    std::string word;
    counts >> e.parties >> word >> e.lines;
    REQUIRE_MESSAGE(word == "parties,", r.err);
    return e;
  }

  size_t size = 0;
  std::string origin, currency;

 private:
  std::string root_;
  mutable int exports_ = 0;
};

const Demo& demo() {
  static Demo d;
  return d;
}

// A GraphML graph-level attribute: the <key for="graph"> naming it, and the
// text of the <data> with that key on the <graph> element (before any node).
struct GraphKey {
  bool found = false;
  std::string type, value;
};
GraphKey graph_attribute(const std::string& xml, const std::string& name) {
  GraphKey k;
  size_t graph = xml.find("<graph ");
  if (graph == std::string::npos) return k;
  std::string id;
  std::istringstream in(xml.substr(0, graph));
  for (std::string line; std::getline(in, line);) {
    if (!has(line, "<key ") || !has(line, "for=\"graph\"") || !has(line, "attr.name=\"" + name + "\"")) continue;
    size_t a = line.find("id=\"") + 4;
    id = line.substr(a, line.find('"', a) - a);
    size_t t = line.find("attr.type=\"");
    if (t != std::string::npos) k.type = line.substr(t + 11, line.find('"', t + 11) - t - 11);
  }
  if (id.empty()) return k;
  size_t end = xml.find("<node ", graph);
  std::string open = "<data key=\"" + id + "\">";
  size_t d = xml.find(open, graph);
  if (d == std::string::npos || d > end) return k;
  d += open.size();
  k.found = true;
  k.value = xml.substr(d, xml.find("</data>", d) - d);
  return k;
}

// ---- NetworkX --------------------------------------------------------------

// The major and minor version a NetworkX prints, or {0, 0}.
std::pair<int, int> version_of(const std::string& text) {
  int major = 0, minor = 0;
  char dot = 0;
  std::istringstream in(text);
  if (!(in >> major >> dot >> minor) || dot != '.') return {0, 0};
  return {major, minor};
}

struct Python {
  std::string path;  // "" when none has NetworkX 3.6 or later
  std::string tried;  // what each candidate said, for the failure message
};

const Python& networkx_python() {
  static const Python found = [] {
    std::vector<std::string> candidates;
    if (const char* p = std::getenv("FUNDTRAIL_TEST_PYTHON"); p && *p) candidates.push_back(p);
    candidates.push_back("/usr/bin/python3");
    if (const char* path = std::getenv("PATH")) {
      std::istringstream dirs(path);
      for (std::string d; std::getline(dirs, d, ':');)
        if (!d.empty()) candidates.push_back(d + "/python3");
    }
    Python py;
    std::set<std::string> seen;
    for (auto& c : candidates) {
      if (!seen.insert(c).second) continue;
      if (::access(c.c_str(), X_OK) != 0) {
        py.tried += "  " + c + ": not there\n";
        continue;
      }
      RunOptions opt;
      opt.timeout_s = 60;
      RunResult r = fundtrail::test::run(c, {"-c", "import networkx; print(networkx.__version__)"}, opt);
      std::string said = r.code == 0 ? "networkx " + r.out.substr(0, r.out.find('\n'))
                                     : "no networkx (" + r.err.substr(0, r.err.find_last_not_of("\n") + 1).substr(0, 200) + ")";
      py.tried += "  " + c + ": " + said + "\n";
      if (r.code == 0 && version_of(r.out) >= std::make_pair(3, 6)) {
        py.path = c;
        break;
      }
    }
    return py;
  }();
  return found;
}

// Runs a Python script that reads `file` with NetworkX and prints JSON.
json networkx_reads(const std::string& script, const std::string& file) {
  const Python& py = networkx_python();
  REQUIRE_MESSAGE(!py.path.empty(),
                  "these tests need a Python 3 with NetworkX 3.6 or later (set FUNDTRAIL_TEST_PYTHON to one); tried:\n"
                      << py.tried);
  RunOptions opt;
  opt.timeout_s = 120;
  RunResult r = fundtrail::test::run(py.path, {"-c", script, file}, opt);
  REQUIRE_MESSAGE(r.code == 0, py.path << " " << r);
  REQUIRE_MESSAGE(json::accept(r.out), r.out);
  return json::parse(r.out);
}

// Both scripts print what NetworkX made of the file, read with default arguments.
const char* kReport = R"(
print(json.dumps({"nodes": G.number_of_nodes(), "edges": G.number_of_edges(), "directed": G.is_directed(),
                  "multigraph": G.is_multigraph(), "graph": {k: v for k, v in G.graph.items() if not isinstance(v, dict)},
                  "node_ids": sorted(G.nodes)}))
)";

std::string read_graphml_script() { return std::string("import json, sys\nimport networkx as nx\nG = nx.read_graphml(sys.argv[1])\n") + kReport; }
std::string node_link_script() {
  return std::string(
             "import json, sys\nimport networkx as nx\nwith open(sys.argv[1]) as f:\n    data = json.load(f)\n"
             "G = nx.node_link_graph(data)\n") +
         kReport;
}

}  // namespace

TEST_CASE("map exports: GraphML carries origin, currency, as-of and record count as graph attributes") {
  const Demo& d = demo();
  Demo::Export all = d.export_to("graphml");
  GraphKey origin = graph_attribute(all.body, "origin"), currency = graph_attribute(all.body, "currency"),
           as_of = graph_attribute(all.body, "as_of"), records = graph_attribute(all.body, "records");
  REQUIRE_MESSAGE(origin.found, all.body.substr(0, 3000));
  REQUIRE(currency.found);
  REQUIRE(as_of.found);
  REQUIRE(records.found);
  CHECK(origin.value == d.origin);
  CHECK(origin.value == "demo.fundtrail.example/riverside");
  CHECK(currency.value == "GBP");
  CHECK(currency.value == d.currency);
  CHECK(as_of.value == "all records");
  CHECK(records.value == std::to_string(d.size));
  CHECK(origin.type == "string");
  CHECK(as_of.type == "string");
  CHECK(records.type == "long");
  // The graph's own keys come after every node and edge key, so those keep their ids.
  CHECK(all.body.find("for=\"graph\"") > all.body.rfind("for=\"edge\""));
  CHECK(all.body.find("for=\"graph\"") > all.body.rfind("for=\"node\""));

  // --as-of a value date: the date; every record is still read.
  Demo::Export dated = d.export_to("graphml", {"--as-of", "2025-06-30"});
  CHECK(graph_attribute(dated.body, "as_of").value == "2025-06-30");
  CHECK(graph_attribute(dated.body, "records").value == std::to_string(d.size));
  // --as-of a seq: records 0 to that seq.
  Demo::Export early = d.export_to("graphml", {"--as-of", "40"});
  CHECK(graph_attribute(early.body, "as_of").value == "40");
  CHECK(graph_attribute(early.body, "records").value == "41");
  CHECK(graph_attribute(early.body, "origin").value == d.origin);
  CHECK(early.lines < all.lines);
}

TEST_CASE("map exports: NetworkX read_graphml with default arguments reads every node, edge and graph attribute") {
  const Demo& d = demo();
  for (std::vector<std::string> extra : {std::vector<std::string>{}, {"--as-of", "2025-06-30"}}) {
    CAPTURE(extra.size());
    Demo::Export e = d.export_to("graphml", extra);
    json g = networkx_reads(read_graphml_script(), e.path);
    // What the file holds, what the command said it wrote, what NetworkX read: the same.
    CHECK(g["nodes"] == occurrences(e.body, "<node id="));
    CHECK(g["edges"] == occurrences(e.body, "<edge id="));
    CHECK(g["nodes"] == e.parties);
    CHECK(g["edges"] == e.lines);
    CHECK(g["directed"] == true);
    CHECK(g["multigraph"] == true);  // parallel edges (a line per mechanism) kept apart
    CHECK(g["node_ids"].get<std::vector<std::string>>().size() == e.parties);
    CHECK(has(g["node_ids"].dump(), "\"riverside-pool\""));  // node ids are party ids
    CHECK(g["graph"]["origin"] == d.origin);
    CHECK(g["graph"]["currency"] == "GBP");
    CHECK(g["graph"]["as_of"] == (extra.empty() ? "all records" : "2025-06-30"));
    CHECK(g["graph"]["records"] == d.size);  // attr.type long: read as a number
  }
}

TEST_CASE("map exports: NetworkX node_link_graph with default arguments reads every node and edge of the JSON") {
  const Demo& d = demo();
  for (std::vector<std::string> extra : {std::vector<std::string>{}, {"--as-of", "40"}}) {
    CAPTURE(extra.size());
    Demo::Export e = d.export_to("json", extra);
    json file = json::parse(e.body);
    // The node-link keys NetworkX 3.6 reads by default.
    REQUIRE(file.contains("nodes"));
    REQUIRE(file.contains("edges"));
    CHECK_FALSE(file.contains("links"));
    CHECK(file["directed"] == true);
    CHECK(file["multigraph"] == true);
    CHECK(file["nodes"].size() == e.parties);
    CHECK(file["edges"].size() == e.lines);
    // Parallel edges exist, so reading them all needs the multigraph.
    std::map<std::pair<std::string, std::string>, int> pairs;
    int parallel = 0;
    for (auto& l : file["edges"]) parallel += ++pairs[{l["source"], l["target"]}] == 2;
    CHECK(parallel > 0);

    json g = networkx_reads(node_link_script(), e.path);
    CHECK(g["nodes"] == file["nodes"].size());
    CHECK(g["edges"] == file["edges"].size());
    CHECK(g["directed"] == true);
    CHECK(g["multigraph"] == true);
    CHECK(g["graph"]["origin"] == d.origin);
    CHECK(g["graph"]["currency"] == "GBP");
    CHECK(g["graph"]["as_of"] == (extra.empty() ? "all records" : "40"));
    CHECK(g["graph"]["records"] == (extra.empty() ? d.size : 41u));
  }
}
