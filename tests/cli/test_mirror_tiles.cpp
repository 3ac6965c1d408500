// `fundtrail mirror` from published tiles (a directory, a static web host and
// `fundtrail serve`'s own tile paths), and the server's tiles checked by the
// independent fundtrail-verify (DESIGN.md "Serving a partnership").
#include "servers.h"

using namespace fundtrail::test;

namespace {

// A ledger of kStartSize + `n` records: n contributions imported by one command.
void add_contributions(const Books& b, int n) {
  std::string csv =
      "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,"
      "idempotency_key\n";
  for (int i = 0; i < n; ++i) csv += "contribution,council,pool,1." + std::to_string(10 + i % 90) + ",GBP,2025-05-01,,,,,,,,,,row-" + std::to_string(i) + "\n";
  write_file(b.file("many.csv"), csv);
  // One signed record per row: these tests count records per tile, and cut
  // the log at sizes (200) that would fall inside a payment run.
  b.ok({"import", b.file("many.csv"), "--key", b.key("council"), "--per-record-signatures"});
}

RunResult mirror(const std::string& source, const std::string& copy, const Books& b) {
  return ft_raw({"mirror", source, copy, "--log-key", b.log_key_text, "--json"});
}

uint64_t mirrored_size(const RunResult& r) {
  INFO(r);
  REQUIRE(r.code == 0);
  return json::parse(r.out)["size"].get<uint64_t>();
}

}  // namespace

TEST_CASE("mirror from a directory of tiles: whole, from a full bundle in place of a partial one, and tampering refused") {
  Books b;
  add_contributions(b, 260);
  const uint64_t size = kStartSize + 260;  // bundle 000 full, 001.p/16
  const fs::path site = b.file("site");
  b.ok({"publish", "--tiles", site.string()});
  const std::string log = b.ok({"log", "--json"}).out;

  const std::string whole = b.file("whole");
  CHECK(mirrored_size(mirror(site.string(), whole, b)) == size);
  CHECK(ft_raw({"--ledger", whole, "log", "--json"}).out == log);
  verify_if_present({whole, "--log-key", b.log_key_text});

  // A host whose checkpoint is older than its tiles keeps only full bundles:
  // the copy reads the first 200 records from tile/entries/000.
  const fs::path older = b.file("older");
  fs::copy(site, older, fs::copy_options::recursive);
  write_file(older / "checkpoint", b.ok({"checkpoint", "--size", "200"}).out);
  REQUIRE(!fs::exists(older / "tile/entries/000.p/200"));
  const std::string copy = b.file("copy");
  CHECK(mirrored_size(mirror(older.string(), copy, b)) == 200);

  // A changed byte in a record of the last bundle: refused, the copy unchanged.
  const fs::path tampered = b.file("tampered");
  fs::copy(site, tampered, fs::copy_options::recursive);
  std::string bundle = read_file(tampered / "tile/entries/001.p/16");
  bundle[bundle.size() - 10] ^= 0x01;
  write_file(tampered / "tile/entries/001.p/16", bundle);
  const std::string before = read_file(fs::path(copy) / "data.mdb");
  RunResult bad = mirror(tampered.string(), copy, b);
  INFO(bad);
  CHECK(bad.code == 1);
  // --json: the refusal is one JSON object on stdout, naming the record.
  REQUIRE(json::accept(bad.out));
  CHECK(json::parse(bad.out)["exit"] == 1);
  CHECK(contains(json::parse(bad.out)["error"].get<std::string>(), "fails a check"));
  CHECK(read_file(fs::path(copy) / "data.mdb") == before);

  // A bundle cut short is named as such.
  write_file(tampered / "tile/entries/001.p/16", bundle.substr(0, bundle.size() / 2));
  RunResult cut = mirror(tampered.string(), copy, b);
  INFO(cut);
  CHECK(cut.code == 1);
  CHECK(contains(cut.err, "not a well-formed entry bundle"));
  CHECK(read_file(fs::path(copy) / "data.mdb") == before);

  // From the middle of bundle 000 to the end: the copy equals the ledger.
  CHECK(mirrored_size(mirror(site.string(), copy, b)) == size);
  CHECK(ft_raw({"--ledger", copy, "log", "--json"}).out == log);

  // Not a URL and not a directory: a usage error.
  RunResult neither = mirror(b.file("nowhere"), b.file("copy2"), b);
  CHECK(neither.code == 2);
  CHECK(contains(neither.err, "neither an http(s) URL nor a directory"));
}

TEST_CASE("mirror from a static web host serving published tiles") {
  Books b;
  const fs::path site = b.file("site");
  b.ok({"publish", "--tiles", site.string(), "--size", "7"});
  StaticHttp host(site.string());
  const std::string copy = b.file("copy");
  CHECK(mirrored_size(mirror(host.url(), copy, b)) == 7);
  b.ok({"publish", "--tiles", site.string()});  // the host's files grow
  CHECK(mirrored_size(mirror(host.url(), copy, b)) == kStartSize);
  CHECK(ft_raw({"--ledger", copy, "log", "--json"}).out == b.ok({"log", "--json"}).out);
  host.stop();
  RunResult gone = mirror(host.url(), copy, b);
  CHECK(gone.code == 2);
  CHECK(contains(gone.err, "no whole answer"));
}

TEST_CASE("serve: its tile paths hold the bytes publish --tiles writes, and fundtrail-verify --tiles passes over them") {
  Books b;
  add_contributions(b, 260);
  const uint64_t size = kStartSize + 260;
  ServeProcess server(b.ledger, b.root);
  // The served checkpoint reaches the ledger's size within about a second.
  const std::string copy = b.file("copy");
  uint64_t got = 0;
  for (int i = 0; i < 100 && got != size; ++i) {
    RunResult r = mirror(server.url, copy, b);
    if (r.code == 0) got = json::parse(r.out)["checkpoint"].get<uint64_t>();
    if (got != size) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE(got == size);
  CHECK(ft_raw({"--ledger", copy, "log", "--json"}).out == b.ok({"log", "--json"}).out);
  if (verifier_present()) {
    RunResult v = run(kVerifyBin, {"--tiles", server.url, "--log-key", b.log_key_text});
    INFO(v);
    CHECK(v.code == 0);
  }
  // Byte for byte what publish writes, for every tile of this size (the
  // static copy is then mirrored into a second copy for an end-to-end check).
  const fs::path site = b.file("site");
  b.ok({"publish", "--tiles", site.string()});
  int tiles = 0;
  for (const auto& f : fs::recursive_directory_iterator(site / "tile")) {
    if (!f.is_regular_file()) continue;
    std::string path = fs::relative(f.path(), site).string();
    RunResult r = run("/usr/bin/python3", {"-c",
                                  "import sys,urllib.request;sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())",
                                  server.url + "/" + path});
    INFO(path, "\n", r.err);
    CHECK(r.code == 0);
    CHECK(r.out == read_file(f.path()));
    ++tiles;
  }
  CHECK(tiles == 5);  // tile/0/000, tile/0/001.p/16, tile/1/000.p/1, tile/entries/000, tile/entries/001.p/16
  // Tiles the ledger does not hold yet, and other spellings of a tile, are 404.
  for (std::string path : {"tile/entries/001", "tile/0/002.p/1", "tile/2/000.p/1", "tile/0/0", "tile/0/000.p/0",
                           "tile/0/000.p/256", "tile/0/x000/000", "tile/8/000", "tile/entries/000.p/016"}) {
    RunResult r = run("/usr/bin/python3", {"-c",
                                  "import sys,urllib.request,urllib.error\n"
                                  "try: urllib.request.urlopen(sys.argv[1])\n"
                                  "except urllib.error.HTTPError as e: sys.exit(e.code - 400)\n",
                                  server.url + "/" + path});
    INFO(path);
    CHECK(r.code == 4);
  }
}
