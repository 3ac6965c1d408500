// Payment runs over HTTP and from request files (issue 24, DESIGN.md "Payment
// runs" and "Serving a partnership"): POST /v1/entries with a batch request
// is answered 201 {seq, first, last}, 200 on a retry, 409, 422 and 400/413
// with nothing written for any answer but 201; runs beside group commits;
// `fundtrail submit` of a run's request file, locally and to a server.
#include <doctest/doctest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "../cli/run.h"
#include "ledger/batch.h"
#include "server_support.h"

using namespace ft_server_test;
using nlohmann::json;

namespace {

// A World with money to pay from, its log key sealed for the server.
struct RunWorld : World {
  RunWorld() {
    append(contribution("council", "pool", 5000000, {council_off}));
    save_key_file(dir + "/log.key", log, kPassphrase, Kdf::interactive);
    close();  // the server opens it
  }
  Bytes pay_entry(const std::string& from, const std::string& to, int64_t amount) {
    return entry(spec::Payment{.from = from, .to = to, .amount = amount, .currency = "GBP", .value_date = kDate,
                               .mechanism = schema::Mechanism::GRANT});
  }
  // `n` small council payments, alternating between two providers.
  std::vector<Bytes> council_payments(int n, int64_t base = 1000) {
    std::vector<Bytes> out;
    for (int i = 0; i < n; ++i) out.push_back(pay_entry("council", i % 2 ? "sme" : "prime", base + i));
    return out;
  }
  BatchRequest run(std::vector<Bytes> entries, const Signers& signers) {
    std::vector<const KeyPair*> keys;
    for (const KeyPair& k : signers) keys.push_back(&k);
    return run_request(origin, now_ms(), std::move(entries), keys);
  }
};

uint64_t size_of(const Server& s) { return json::parse(s.get("/v1/state").body)["size"].get<uint64_t>(); }

std::vector<std::string> records(const Server& s) {
  std::vector<std::string> out;
  for (uint64_t i = 0, n = size_of(s); i < n; ++i) out.push_back(s.get("/v1/records/" + std::to_string(i)).body);
  return out;
}

int64_t balance(const Server& s, const std::string& party) {
  Http r = s.get("/v1/parties/" + party);
  REQUIRE(r.status == 200);
  return json::parse(r.body)["balance_minor"].get<int64_t>();
}

// Answers `body` with `status` (and `check` when given), writing nothing;
// returns the answer's JSON (null when it is not JSON).
json refused_with(const Server& s, const std::string& body, int status, const std::string& check = "") {
  auto before = records(s);
  Http r = s.post(body);
  INFO(r.body);
  CHECK(r.status == status);
  json j = json::parse(r.body, nullptr, false);
  if (!check.empty()) {
    REQUIRE(j.is_object());
    CHECK(j["check"] == check);
  }
  CHECK(records(s) == before);
  return j.is_discarded() ? json() : j;
}

// The batch seq a stored record names (0: none).
uint64_t batch_seq_of(const std::string& leaf) {
  Bytes bytes(leaf.begin(), leaf.end());
  Record rec(bytes);
  return rec.leaf().getBatchSeq();
}

std::string entry_of(const std::string& leaf) {
  Bytes bytes(leaf.begin(), leaf.end());
  Record rec(bytes);
  auto e = rec.leaf().getEntry();
  return std::string(e.begin(), e.end());
}

// The tree size of the checkpoint the server serves (0: none yet).
uint64_t checkpoint_size(const Server& s) {
  Http r = s.get("/checkpoint");
  if (r.status != 200) return 0;
  size_t a = r.body.find('\n');
  return std::stoull(r.body.substr(a + 1, r.body.find('\n', a + 1) - a - 1));
}

std::string write_request_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text << "\n";
  return path;
}

const std::string kFundtrailBin = kServeBin.substr(0, kServeBin.rfind('/')) + "/fundtrail";

fundtrail::test::RunResult fundtrail_cli(const std::vector<std::string>& args) {
  REQUIRE_MESSAGE(::access(kFundtrailBin.c_str(), X_OK) == 0, "build the fundtrail program first: " << kFundtrailBin);
  return fundtrail::test::run(kFundtrailBin, args);
}

}  // namespace

TEST_CASE("serve run: 201 with seq, first and last, its records there with batch_seq, then 200 retried") {
  RunWorld w;
  Server s(w.dir);
  uint64_t size = size_of(s);
  int64_t council = balance(s, "council"), prime = balance(s, "prime"), sme = balance(s, "sme");
  BatchRequest run = w.run(w.council_payments(5), {w.council_off});

  Http created = s.post(wire::batch_request_json(run));
  INFO(created.body);
  REQUIRE(created.status == 201);
  CHECK(json::parse(created.body) == json{{"seq", size}, {"first", size + 1}, {"last", size + 5}});
  CHECK(size_of(s) == size + 6);
  CHECK(batch_seq_of(s.get("/v1/records/" + std::to_string(size)).body) == 0);  // the batch record itself
  for (uint64_t i = 0; i < 5; ++i) {
    std::string leaf = s.get("/v1/records/" + std::to_string(size + 1 + i)).body;
    CHECK(batch_seq_of(leaf) == size);
    CHECK(entry_of(leaf) == std::string(run.entries[i].begin(), run.entries[i].end()));
  }
  CHECK(balance(s, "council") == council - (1000 + 1001 + 1002 + 1003 + 1004));
  CHECK(balance(s, "prime") == prime + 1000 + 1002 + 1004);
  CHECK(balance(s, "sme") == sme + 1001 + 1003);

  // The served checkpoint covers the run as it covers a group commit (at
  // most a second behind; the wait is a hang guard, not a timing assertion).
  for (int i = 0; i < 100 && checkpoint_size(s) < size + 6; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(checkpoint_size(s) == size + 6);

  // The same run again, even signed again later: 200, nothing written.
  auto before = records(s);
  Http again = s.post(wire::batch_request_json(run));
  CHECK(again.status == 200);
  CHECK(json::parse(again.body) == json{{"seq", size}, {"first", size + 1}, {"last", size + 5}, {"retried", true}});
  std::vector<const KeyPair*> keys{&w.council_off};
  Http resigned = s.post(wire::batch_request_json(run_request(w.origin, now_ms() + 1000, run.entries, keys)));
  CHECK(resigned.status == 200);
  CHECK(json::parse(resigned.body)["seq"] == size);
  CHECK(records(s) == before);
}

TEST_CASE("serve run: 409 naming the seq, 422 for a swapped entry or a rule, nothing written") {
  RunWorld w;
  Server s(w.dir);
  BatchRequest first = w.run(w.council_payments(3), {w.council_off});
  Http created = s.post(wire::batch_request_json(first));
  REQUIRE(created.status == 201);
  uint64_t first_seq = json::parse(created.body)["first"];

  // A new run holding a record already recorded (the second of the first run).
  std::vector<Bytes> mixed = w.council_payments(2, 5000);
  mixed.push_back(first.entries[1]);
  json conflict = refused_with(s, wire::batch_request_json(w.run(mixed, {w.council_off})), 409, "rule 6");
  CHECK(conflict["seq"] == first_seq + 1);
  CHECK(conflict["error"].get<std::string>().find("record 3 of the run") != std::string::npos);

  // An entry swapped after signing: the batch's root no longer covers it.
  BatchRequest swapped = w.run(w.council_payments(3, 7000), {w.council_off});
  swapped.entries[1] = w.pay_entry("council", "prime", 999999);
  refused_with(s, wire::batch_request_json(swapped), 422, "rule 1");
  // Reordered, too.
  BatchRequest reordered = w.run(w.council_payments(3, 8000), {w.council_off});
  std::swap(reordered.entries[0], reordered.entries[2]);
  refused_with(s, wire::batch_request_json(reordered), 422, "rule 1");
  // Signed by someone acting for nobody in the run.
  refused_with(s, wire::batch_request_json(w.run(w.council_payments(2, 9000), {w.stranger})), 422, "rule 1");
  // A record a rule refuses refuses the whole run: the pool cannot go below zero.
  std::vector<Bytes> overdraw{w.pay_entry("pool", "prime", 100), w.pay_entry("pool", "sme", 6000000)};
  json rule4 = refused_with(s, wire::batch_request_json(w.run(overdraw, {w.pool_off, w.pool_off2})), 422, "rule 4");
  CHECK(rule4["error"].get<std::string>().find("record 2 of the run") != std::string::npos);
  // A batch whose count disagrees with the entries given.
  BatchRequest short_run = w.run(w.council_payments(3, 10000), {w.council_off});
  short_run.entries.pop_back();
  refused_with(s, wire::batch_request_json(short_run), 400, "format");

  // The server still records a good run after all that.
  CHECK(s.post(wire::batch_request_json(w.run(w.council_payments(2, 11000), {w.council_off}))).status == 201);
}

TEST_CASE("serve run: malformed and oversized bodies are 400 or 413 and the server keeps serving") {
  RunWorld w;
  BatchRequest good = w.run(w.council_payments(2), {w.council_off});
  json doc = json::parse(wire::batch_request_json(good));
  auto with = [&](const std::function<void(json&)>& change) {
    json d = doc;
    change(d);
    return d.dump();
  };
  {
    Server s(w.dir);
    refused_with(s, with([](json& d) { d["entries"][1] = "!!not base64!!"; }), 400, "format");
    refused_with(s, with([](json& d) { d["entries"][0] = 12; }), 400, "format");
    refused_with(s, with([](json& d) { d["entries"] = "AAAA"; }), 400, "format");
    refused_with(s, with([](json& d) { d["entries"] = json::object(); }), 400, "format");
    refused_with(s, with([](json& d) { d["entries"] = json::array(); }), 400, "format");
    refused_with(s, with([](json& d) { d.erase("entries"); }), 400, "format");
    refused_with(s, with([](json& d) { d["batch"] = "AAAA"; }), 400, "format");
    refused_with(s, with([](json& d) { d["batch"].erase("signatures"); }), 400, "format");
    refused_with(s, with([](json& d) { d["batch"]["entry"] = "%%%"; }), 400, "format");
    refused_with(s, with([](json& d) { d["extra"] = 1; }), 400, "format");
    refused_with(s, with([](json& d) { d["entries"][0] = "AAAA"; }), 400);  // base64 of bytes that are no Entry
    // Both kinds of request in one body, or neither.
    std::string both = with([&](json& d) {
      d["entry"] = doc["batch"]["entry"];
      d["signatures"] = doc["batch"]["signatures"];
    });
    json j = refused_with(s, both, 400, "format");
    CHECK(j["error"].get<std::string>().find("both") != std::string::npos);
    refused_with(s, "{}", 400, "format");
    // A repeated member, and JSON nested past the shape.
    refused_with(s, "{\"batch\": 1, \"batch\": 2, \"entries\": []}", 400, "format");
    refused_with(s, "{\"batch\": {\"entry\": \"AAAA\", \"signatures\": [[[[[]]]]]}, \"entries\": [\"AAAA\"]}", 400, "format");
    // 10,001 entries: over the limit of a run, refused before they are decoded.
    std::string many = with([](json& d) {
      d["entries"] = json::array();
      for (int i = 0; i < 10001; ++i) d["entries"].push_back("AAAA");
    });
    json over = refused_with(s, many, 400, "limits");
    CHECK(over["field"] == "entries");
    // A hundred thousand tiny values nested inside one entry: refused while parsing, too.
    std::string nested = "{\"batch\": {}, \"entries\": [[0";
    for (int i = 0; i < 100000; ++i) nested += ",0";
    refused_with(s, nested + "]]}", 400, "limits");
    // An entry over a record's size.
    refused_with(s, with([](json& d) { d["entries"][0] = std::string(90000, 'A'); }), 400, "limits");

    CHECK(s.get("/v1/state").status == 200);
    CHECK(s.post(wire::batch_request_json(good)).status == 201);
  }
  {
    // A body over the server's limit (64 MiB by default; small here) is 413.
    Server s(w.dir, {"--max-body-bytes", "4096"});
    BatchRequest big = w.run(w.council_payments(40, 20000), {w.council_off});
    std::string body = wire::batch_request_json(big);
    REQUIRE(body.size() > 4096);
    refused_with(s, body, 413);
    CHECK(s.get("/v1/state").status == 200);
  }
}

TEST_CASE("serve run: a read-only server answers 503 and writes nothing") {
  RunWorld w;
  Server s(w.dir, {"--read-only"});
  refused_with(s, wire::batch_request_json(w.run(w.council_payments(2), {w.council_off})), 503);
  CHECK(s.get("/v1/state").status == 200);
}

TEST_CASE("serve run: runs and single requests committed side by side lose and mix nothing") {
  RunWorld w;
  std::vector<BatchRequest> runs;
  for (int r = 0; r < 6; ++r) runs.push_back(w.run(w.council_payments(50, 100000 * (r + 1)), {w.council_off}));
  std::vector<SignedRequest> singles;
  for (int i = 0; i < 120; ++i) singles.push_back(w.contribution("nhs", "pool", 10 + i, {w.nhs_off}));
  std::atomic<int> created{0}, other{0};
  {
    Server s(w.dir);
    uint64_t size = size_of(s);
    std::vector<std::thread> clients;
    std::vector<json> run_answers(runs.size());
    for (size_t r = 0; r < runs.size(); ++r)
      clients.emplace_back([&, r] {
        Http a = s.post(wire::batch_request_json(runs[r]));
        (a.status == 201 ? created : other)++;
        run_answers[r] = json::parse(a.body, nullptr, false);
      });
    for (int t = 0; t < 4; ++t)
      clients.emplace_back([&, t] {
        for (size_t i = size_t(t); i < singles.size(); i += 4) (s.post(singles[i]).status == 201 ? created : other)++;
      });
    for (auto& c : clients) c.join();
    CHECK(other == 0);
    CHECK(created == int(runs.size() + singles.size()));
    CHECK(size_of(s) == size + runs.size() * 51 + singles.size());
    // Each run's records follow its batch record contiguously, in order.
    for (size_t r = 0; r < runs.size(); ++r) {
      REQUIRE(run_answers[r].is_object());
      uint64_t b = run_answers[r]["seq"];
      CHECK(run_answers[r]["first"] == b + 1);
      CHECK(run_answers[r]["last"] == b + 50);
      for (uint64_t i = 0; i < 50; ++i) {
        std::string leaf = s.get("/v1/records/" + std::to_string(b + 1 + i)).body;
        CHECK(batch_seq_of(leaf) == b);
        CHECK(entry_of(leaf) == std::string(runs[r].entries[i].begin(), runs[r].entries[i].end()));
      }
    }
    for (int i = 0; i < 100 && checkpoint_size(s) < size_of(s); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(checkpoint_size(s) == size_of(s));
  }
  // The writer's derived indexes agree with what its records imply.
  w.reopen(true);
  CHECK(w.L().check_indexes(w.tmp.path()).differences.empty());
}

TEST_CASE("fundtrail submit: a run's request file, locally and to a server, with retries and refusals") {
  RunWorld w;
  BatchRequest run = w.run(w.council_payments(3), {w.council_off});
  std::string file = write_request_file(w.tmp.sub("run.json"), wire::batch_request_json(run));
  uint64_t size;
  {
    Ledger l = Ledger::open(w.dir, true);
    size = l.size();
  }
  std::string b = std::to_string(size);
  auto rec = fundtrail_cli({"submit", file, "--ledger", w.dir});
  INFO(rec);
  CHECK(rec.code == 0);
  CHECK(rec.out == b + "\n");
  CHECK(rec.err.find("payment run of 3 records recorded as seq " + std::to_string(size + 1) + " to " +
                     std::to_string(size + 3)) != std::string::npos);

  auto again = fundtrail_cli({"submit", file, "--ledger", w.dir, "--json"});
  INFO(again);
  CHECK(again.code == 0);
  json j = json::parse(again.out);
  CHECK(j["seq"] == size);
  CHECK(j["first"] == size + 1);
  CHECK(j["last"] == size + 3);
  CHECK(j["retried"] == true);
  auto plain_again = fundtrail_cli({"submit", file, "--ledger", w.dir});
  CHECK(plain_again.out == b + "\n");
  CHECK(plain_again.err.find("already recorded as seq " + b) != std::string::npos);

  // A record of the run keeps its batch_seq in show --json.
  auto shown = fundtrail_cli({"show", std::to_string(size + 2), "--json", "--ledger", w.dir});
  INFO(shown);
  REQUIRE(shown.code == 0);
  CHECK(json::parse(shown.out)["batch_seq"] == size);

  // A run repeating a recorded key: exit 1, nothing written.
  std::vector<Bytes> mixed = w.council_payments(1, 4000);
  mixed.push_back(run.entries[0]);
  std::string clash = write_request_file(w.tmp.sub("clash.json"), wire::batch_request_json(w.run(mixed, {w.council_off})));
  auto refused = fundtrail_cli({"submit", clash, "--ledger", w.dir});
  INFO(refused);
  CHECK(refused.code == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("rule 6") != std::string::npos);
  // A file that is not a request: exit 2.
  std::string junk = write_request_file(w.tmp.sub("junk.json"), "{\"batch\": 1}");
  CHECK(fundtrail_cli({"submit", junk, "--ledger", w.dir}).code == 2);
  {
    Ledger l = Ledger::open(w.dir, true);
    CHECK(l.size() == size + 4);
  }

  // The same files to a server: the run is a retry there, a new one is recorded.
  Server s(w.dir);
  std::string url = "http://127.0.0.1:" + std::to_string(s.port());
  auto remote = fundtrail_cli({"submit", file, "--server", url});
  INFO(remote);
  CHECK(remote.code == 0);
  CHECK(remote.out == b + "\n");
  CHECK(remote.err.find("already recorded as seq " + b) != std::string::npos);
  BatchRequest next = w.run(w.council_payments(2, 6000), {w.council_off});
  std::string next_file = write_request_file(w.tmp.sub("next.json"), wire::batch_request_json(next));
  auto sent = fundtrail_cli({"submit", next_file, "--server", url, "--json"});
  INFO(sent);
  CHECK(sent.code == 0);
  json k = json::parse(sent.out);
  CHECK(k["seq"] == size + 4);
  CHECK(k["first"] == size + 5);
  CHECK(k["last"] == size + 6);
  CHECK(k["retried"] == false);
  auto remote_clash = fundtrail_cli({"submit", clash, "--server", url});
  INFO(remote_clash);
  CHECK(remote_clash.code == 1);
  CHECK(size_of(s) == size + 7);
}
