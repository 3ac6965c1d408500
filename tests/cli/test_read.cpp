// log, show, balance: reading the ledger.
#include <sodium.h>

#include "fixture.h"

using namespace fundtrail::test;

namespace {
// Base64 of the RFC 6962 leaf hash SHA-256(0x00 || leaf), computed here with libsodium.
std::string leaf_hash_b64(const std::string& leaf) {
  std::string in = std::string(1, '\0') + leaf;
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(in.data()), in.size());
  char b64[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_ORIGINAL);
  return b64;
}

std::vector<uint64_t> seqs(const json& records) {
  std::vector<uint64_t> out;
  for (auto& r : records) out.push_back(r["seq"]);
  return out;
}
}  // namespace

TEST_CASE("log: filters by party and kind and date as text and JSON") {
  Books b;
  b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "100.00", "--mechanism", "block", "--date", "2025-06-15", "--key",
        b.key("pool")});
  json all = b.log();
  REQUIRE(all.size() == kStartSize + 1);
  for (size_t i = 0; i < all.size(); ++i) CHECK(all[i]["seq"] == i);
  CHECK(all[0]["kind"] == "genesis");
  std::string registered = all[1]["kind"];  // the kind name of a party registration

  RunResult text = b.ok({"log"});
  auto lines = lines_of(text.out);
  REQUIRE(lines.size() == kStartSize + 1);
  CHECK(lines[12].rfind("12\t", 0) == 0);
  CHECK(contains(lines[12], "pool -> ace 100.00 GBP"));

  CHECK(seqs(b.ok_json({"log", "--kind", registered, "--json"})) == std::vector<uint64_t>{1, 2, 3, 4, 5});
  CHECK(seqs(b.ok_json({"log", "--kind", "payment", "--json"})) == std::vector<uint64_t>{12});
  CHECK(seqs(b.ok_json({"log", "--kind", "contribution", "--json"})) == std::vector<uint64_t>{11});
  CHECK(seqs(b.ok_json({"log", "--party", "ace", "--json"})) == std::vector<uint64_t>{4, 9, 12});
  CHECK(seqs(b.ok_json({"log", "--party", "ace", "--kind", "payment", "--json"})) == std::vector<uint64_t>{12});
  CHECK(seqs(b.ok_json({"log", "--kind", "payment", "--from", "2025-06-01", "--to", "2025-06-30", "--json"})) ==
        std::vector<uint64_t>{12});
  CHECK(b.ok_json({"log", "--kind", "payment", "--from", "2025-06-16", "--json"}).empty());
  CHECK(seqs(b.ok_json({"log", "--party", "pool", "--to", "2025-05-01", "--json"})) == std::vector<uint64_t>{11});
  CHECK(b.ft({"log", "--party", "nobody", "--json"}).code == 2);  // an unknown party is a usage error, not an empty log
  CHECK(lines_of(b.ok({"log", "--kind", "payment"}).out).size() == 1);

  RunResult bad = b.ft({"log", "--from", "2025-06-31"});
  INFO(bad);
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "--from"));
  CHECK(bad.out.empty());
}

TEST_CASE("show: JSON and text and --raw bytes that hash to the proof leaf_hash") {
  Books b;
  json rec = b.ok_json({"show", "11", "--json"});
  CHECK(rec["seq"] == 11);
  CHECK(rec["kind"] == "contribution");
  CHECK(rec["origin"] == kOrigin);
  CHECK(rec["reversed"] == false);
  // The hash chain: prev_hash is the previous record's leaf hash; genesis has zeros.
  CHECK(rec["prev_hash"] == b.ok_json({"show", "10", "--json"})["leaf_hash"]);
  CHECK(b.ok_json({"show", "0", "--json"})["prev_hash"] == "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

  RunResult text = b.ok({"show", "11"});
  CHECK(contains(text.out, "seq 11: contribution council -> pool 5000.00 GBP"));

  for (std::string seq : {"0", "3", "11"}) {
    CAPTURE(seq);
    std::string raw = b.ok({"show", seq, "--raw"}).out;
    CHECK(raw.size() > 64);
    std::string h = leaf_hash_b64(raw);
    CHECK(h == b.ok_json({"show", seq, "--json"})["leaf_hash"]);
    CHECK(h == b.ok_json({"proof", "inclusion", seq})["leaf_hash"]);
  }

  for (std::string seq : {"12", "999"}) {
    RunResult missing = b.ft({"show", seq});
    INFO(missing);
    CHECK(missing.code == 2);
    CHECK(contains(missing.err, "no record at seq " + seq));
    CHECK(missing.out.empty());
  }
  CHECK(b.ft({"show", "abc"}).code == 2);
}

TEST_CASE("balance: all parties or one with --as-of SEQ and --as-of DATE") {
  Books b;
  b.ok({"pay", "--from", "pool", "--to", "ace", "--amount", "1000.00", "--mechanism", "block", "--date", "2025-05-10", "--key",
        b.key("pool"), "--key", b.key("approver")});                                                                     // seq 12
  b.ok({"contribute", "--from", "council", "--to", "pool", "--amount", "200.00", "--date", "2025-06-01", "--key", b.key("council")});  // 13

  auto as_map = [](const json& j) {
    std::map<std::string, int64_t> m;
    for (auto& e : j) {
      CHECK(e["currency"] == "GBP");
      m[e["party"]] = e["balance_minor"];
    }
    return m;
  };
  using M = std::map<std::string, int64_t>;
  CHECK(as_map(b.ok_json({"balance", "--json"})) ==
        M{{"ace", 100000}, {"council", -520000}, {"hope", 0}, {"ledger", 0}, {"police", 0}, {"pool", 420000}});
  CHECK(b.ok({"balance", "pool"}).out == "pool\t4200.00 GBP\n");
  CHECK(contains(b.ok({"balance"}).out, "council\t-5200.00 GBP\n"));

  // --as-of SEQ: right after that record.
  CHECK(as_map(b.ok_json({"balance", "--as-of", "10", "--json"}))["pool"] == 0);
  CHECK(as_map(b.ok_json({"balance", "--as-of", "11", "--json"})) ==
        M{{"ace", 0}, {"council", -500000}, {"hope", 0}, {"ledger", 0}, {"police", 0}, {"pool", 500000}});
  CHECK(as_map(b.ok_json({"balance", "--as-of", "12", "--json"}))["pool"] == 400000);
  CHECK(as_map(b.ok_json({"balance", "ace", "--as-of", "12", "--json"})) == M{{"ace", 100000}});
  CHECK(as_map(b.ok_json({"balance", "--as-of", "1", "--json"})) == M{{"council", 0}, {"ledger", 0}});

  // --as-of DATE: money with that value date or earlier.
  CHECK(as_map(b.ok_json({"balance", "--as-of", "2025-03-31", "--json"}))["pool"] == 0);
  CHECK(as_map(b.ok_json({"balance", "--as-of", "2025-05-09", "--json"}))["pool"] == 500000);
  CHECK(as_map(b.ok_json({"balance", "--as-of", "2025-05-10", "--json"}))["pool"] == 400000);
  CHECK(as_map(b.ok_json({"balance", "--as-of", "2025-05-31", "--json"}))["ace"] == 100000);
  CHECK(as_map(b.ok_json({"balance", "--as-of", "2025-06-01", "--json"}))["pool"] == 420000);

  struct Bad {
    std::vector<std::string> args;
    std::string why;
  };
  for (auto& bad : std::vector<Bad>{{{"balance", "--as-of", "14"}, "records 0 to 13"},
                                    {{"balance", "--as-of", "2025-02-30"}, "--as-of"},
                                    {{"balance", "--as-of", "x1"}, "--as-of"},
                                    {{"balance", "nobody"}, "no party 'nobody'"}}) {
    RunResult r = b.ft(bad.args);
    INFO(Books::join(bad.args), "\n", r);
    CHECK(r.code == 2);
    CHECK(contains(r.err, bad.why));
    CHECK(r.out.empty());
  }
}

TEST_CASE("log: an unknown party or kind in a filter is a usage error naming the nearest known names") {
  Books b;
  RunResult party = b.ft({"log", "--party", "pol"});
  INFO(party);
  CHECK(party.code == 2);
  CHECK(party.out.empty());
  CHECK(contains(party.err, "--party 'pol' is not a party"));
  CHECK(contains(party.err, "did you mean"));
  CHECK(contains(party.err, "'pool'"));
  RunResult kind = b.ft({"log", "--kind", "paymnet"});
  INFO(kind);
  CHECK(kind.code == 2);
  CHECK(contains(kind.err, "--kind 'paymnet' is not a record kind; did you mean 'payment'"));
  RunResult far = b.ft({"log", "--kind", "zzzzzzzz"});
  CHECK(far.code == 2);
  CHECK(!contains(far.err, "did you mean"));
  CHECK(contains(far.err, "kinds: genesis, partyRegistered"));
  // Known names still filter as before.
  CHECK(!b.ok({"log", "--party", "pool"}).out.empty());
  CHECK(!b.ok({"log", "--kind", "partyRegistered"}).out.empty());
}
