// An import into a ledger made before payment runs (genesis formatVersion 1):
// the writer refuses runs there, so `fundtrail import` signs every record on
// its own and says so once; in a version-2 ledger the same file is one run.
// The ledger is built through the API (no command writes version 1 any more),
// then the built command runs on it.
#include <doctest/doctest.h>

#include <fstream>

#include "../cli/run.h"
#include "test_ledger_support.h"

using namespace ft_test;

namespace {

const std::string kPass = "unit test passphrase";
const std::string kNote =
    "note: this ledger was made before payment runs (format version 1): each record is signed on its own";

// A ledger of `version` with parties council (commissioner, officer key
// `council`) and ace, and council's key in a key file; seqs 0 to 3.
struct OldBooks {
  Fixture f{false};
  KeyPair council = generate_key("council");
  std::string key_file = f.tmp.sub("council.key");

  explicit OldBooks(uint32_t version) {
    GenesisOptions g;
    g.origin = f.origin;
    g.format_version = version;
    f.ledger.emplace(Ledger::create(f.dir, genesis_request(f.log, {f.admin.pk}, {f.admin}, g)));
    f.L().append(f.party("council", PartyKind::COMMISSIONER, {f.admin}));
    f.L().append(f.party("ace", PartyKind::INTEGRATOR, {f.admin}));
    f.L().append(f.grant("council", council.pk, Role::OFFICER, {f.admin}));
    REQUIRE(f.L().size() == 4);
    f.close();  // the command opens it
    save_key_file(key_file, council, kPass, Kdf::interactive);
    write_csv("april.csv", {"payment,council,ace,10.00,GBP,2025-04-06,fee,,,,,,,,,",
                            "payment,council,ace,2.50,GBP,2025-04-07,fee,,,,,,,,,"});
  }
  void write_csv(const std::string& name, const std::vector<std::string>& rows) {
    std::string text =
        "kind,from,to,amount,currency,date,mechanism,milestone,contract,count,group,claims,funded_by,reference,memo,"
        "idempotency_key\n";
    for (auto& r : rows) text += r + "\n";
    std::ofstream(f.tmp.sub(name)) << text;
  }
  fundtrail::test::RunResult import(const std::string& csv, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"--ledger", f.dir, "import", f.tmp.sub(csv), "--key", key_file};
    args.insert(args.end(), more.begin(), more.end());
    fundtrail::test::RunOptions opt;
    opt.env["FUNDTRAIL_PASSPHRASE"] = kPass;
    return fundtrail::test::run(FUNDTRAIL_BIN, args, opt);
  }
  // Each record from `from` on: its batch seq (0: none) and signature count.
  std::vector<std::pair<uint64_t, size_t>> shape(uint64_t from) {
    f.reopen(true);
    std::vector<std::pair<uint64_t, size_t>> out;
    for (uint64_t s = from; s < f.L().size(); ++s) {
      Bytes leaf = f.L().leaf(s);
      Record r(leaf);
      out.push_back({r.leaf().getBatchSeq(), r.leaf().getSignatures().size()});
    }
    f.close();
    return out;
  }
  int64_t balance(const std::string& party) {
    f.reopen(true);
    int64_t b = f.L().party(party)->balance;
    f.close();
    return b;
  }
};

using Shape = std::vector<std::pair<uint64_t, size_t>>;

}  // namespace

TEST_CASE("import into a format-1 ledger: every record signed on its own, with a note saying why") {
  OldBooks b(1);
  auto r = b.import("april.csv");
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(r.out == "2 4 5\n");
  CHECK(contains(r.err, kNote));
  CHECK(r.err.find(kNote) == r.err.rfind(kNote));  // once
  CHECK_FALSE(contains(r.err, "in 1 payment run"));
  CHECK(b.shape(4) == Shape{{0, 1}, {0, 1}});
  CHECK(b.balance("ace") == 1250);

  // A re-run records nothing twice; --rejects takes the same way.
  auto again = b.import("april.csv", {"--rejects", b.f.tmp.sub("rejects.csv")});
  INFO(again);
  CHECK(again.code == 0);
  CHECK(contains(again.out, "recorded 0, already recorded 2"));
  CHECK(contains(again.err, kNote));
  b.write_csv("may.csv", {"payment,council,ace,1.00,GBP,2025-05-01,fee,,,,,,,,,"});
  auto ok = b.import("may.csv", {"--rejects", b.f.tmp.sub("rejects.csv")});
  INFO(ok);
  CHECK(ok.code == 0);
  CHECK(contains(ok.err, kNote));
  CHECK(b.shape(4) == Shape{{0, 1}, {0, 1}, {0, 1}});

  // Asked for per-record signatures, there is nothing to explain.
  b.write_csv("june.csv", {"payment,council,ace,3.00,GBP,2025-06-01,fee,,,,,,,,,"});
  auto june = b.import("june.csv", {"--per-record-signatures"});
  INFO(june);
  CHECK(june.code == 0);
  CHECK_FALSE(contains(june.err, "note:"));
  CHECK(b.balance("ace") == 1250 + 100 + 300);
}

TEST_CASE("import into a format-2 ledger built the same way: one payment run, no note") {
  OldBooks b(2);
  auto r = b.import("april.csv");
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(r.out == "2 5 6\n");
  CHECK_FALSE(contains(r.err, "note:"));
  CHECK(contains(r.err, "in 1 payment run"));
  CHECK(b.shape(4) == Shape{{0, 1}, {4, 0}, {4, 0}});
  CHECK(b.balance("ace") == 1250);
}
