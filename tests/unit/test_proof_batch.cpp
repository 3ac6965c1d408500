// `fundtrail proof batch SEQ` (DESIGN.md "Payment runs"): a ledger with runs
// is built through the ledger API, then the built command is run on it and
// its proof is checked against an independent computation: the RFC 6962 path
// recomputed with the reference functions of test_ledger_support.h, and the
// RFC 9162 inclusion check, written here again, leading to the root the
// batch record's officers signed.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_ledger_support.h"

extern char** environ;

using namespace ft_test;

#ifdef FUNDTRAIL_BIN
namespace {

struct Ran {
  int status = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the built fundtrail (full path, no shell) with stdout and stderr in files.
Ran run_fundtrail(const TempDir& tmp, const std::vector<std::string>& args) {
  std::vector<std::string> argv{FUNDTRAIL_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string out = tmp.sub("stdout"), err = tmp.sub("stderr");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, cargv[0], &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  int st = 0;
  REQUIRE(waitpid(pid, &st, 0) == pid);
  Ran r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::string b64(const Hash& h) {
  char buf[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
  sodium_bin2base64(buf, sizeof buf, h.data(), h.size(), sodium_base64_VARIANT_ORIGINAL);
  return buf;
}

Hash unb64(const std::string& text) {
  Hash h{};
  size_t len = 0;
  REQUIRE(sodium_base642bin(h.data(), h.size(), text.data(), text.size(), nullptr, &len, nullptr,
                            sodium_base64_VARIANT_ORIGINAL) == 0);
  REQUIRE(len == 32);
  return h;
}

// RFC 9162 section 2.1.3.2: the root an inclusion path leads to, or nothing
// when the path does not fit a tree of `size` leaves.
std::optional<Hash> root_from_path(uint64_t index, uint64_t size, Hash r, const std::vector<Hash>& path) {
  if (index >= size) return std::nullopt;
  uint64_t fn = index, sn = size - 1;
  for (const Hash& p : path) {
    if (sn == 0) return std::nullopt;
    if ((fn & 1) || fn == sn) {
      r = ref_node_hash(p, r);
      if (!(fn & 1))
        while (!(fn & 1) && fn != 0) fn >>= 1, sn >>= 1;
    } else {
      r = ref_node_hash(r, p);
    }
    fn >>= 1, sn >>= 1;
  }
  if (sn != 0) return std::nullopt;
  return r;
}

struct Run {
  uint64_t seq, count;
  std::vector<Hash> leaves;  // SHA-256(0x00 || Entry bytes), computed here from the stored records
  Hash root{};               // the root the batch record carries
};

struct ProofWorld : World {
  std::vector<const KeyPair*> keys(const Signers& signers) {
    std::vector<const KeyPair*> out;
    for (const KeyPair& k : signers) out.push_back(&k);
    return out;
  }
  Bytes pay_entry(const std::string& from, const std::string& to, int64_t amount) {
    return entry(spec::Payment{.from = from, .to = to, .amount = amount, .currency = "GBP", .value_date = kDate,
                               .mechanism = schema::Mechanism::GRANT});
  }
  Run append_run(std::vector<Bytes> entries, const Signers& signers) {
    RunAppended a = L().append_run(run_request(origin, now_ms(), std::move(entries), keys(signers)));
    Run r{a.seq, a.last - a.seq, {}, {}};
    Bytes batch_bytes = L().leaf(a.seq);
    Record batch(batch_bytes);
    auto root = batch.entry().getBody().getBatch().getRoot();
    std::copy(root.begin(), root.end(), r.root.begin());
    for (uint64_t s = a.first; s <= a.last; ++s) {
      Bytes bytes = L().leaf(s);
      Record rec(bytes);
      auto e = rec.leaf().getEntry();
      r.leaves.push_back(ref_leaf_hash({e.begin(), e.size()}));
    }
    return r;
  }
};

nlohmann::json proof_of(ProofWorld& w, uint64_t seq) {
  Ran r = run_fundtrail(w.tmp, {"--ledger", w.dir, "proof", "batch", std::to_string(seq)});
  INFO("stderr: " << r.err);
  REQUIRE(r.status == 0);
  return nlohmann::json::parse(r.out);
}

// Every record of the run: the printed proof is the reference path and leads to the signed root.
void check_every_record(ProofWorld& w, const Run& run) {
  REQUIRE(ref_mth(run.leaves, 0, run.leaves.size()) == run.root);
  for (uint64_t i = 0; i < run.count; ++i) {
    CAPTURE(run.seq);
    CAPTURE(i);
    nlohmann::json j = proof_of(w, run.seq + 1 + i);
    std::vector<std::string> keys;
    for (auto& [k, v] : j.items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    CHECK(keys == std::vector<std::string>{"batch_seq", "count", "hashes", "index", "leaf_hash"});
    CHECK(j["batch_seq"] == run.seq);
    CHECK(j["index"] == i);
    CHECK(j["count"] == run.count);
    CHECK(j["leaf_hash"] == b64(run.leaves[i]));
    std::vector<std::string> want;
    for (const Hash& h : ref_path(run.leaves, i, 0, run.leaves.size())) want.push_back(b64(h));
    CHECK(j["hashes"].get<std::vector<std::string>>() == want);

    std::vector<Hash> path;
    for (auto& h : j["hashes"]) path.push_back(unb64(h.get<std::string>()));
    auto root = root_from_path(i, run.count, unb64(j["leaf_hash"].get<std::string>()), path);
    REQUIRE(root.has_value());
    CHECK(*root == run.root);
    // The check above can fail: one flipped bit of the path misses the root.
    if (!path.empty()) {
      path.back()[0] ^= 1;
      CHECK(root_from_path(i, run.count, run.leaves[i], path) != std::optional<Hash>(run.root));
    }
  }
}

}  // namespace

TEST_CASE("proof batch: every record of a run gets its path to the root its officers signed") {
  ProofWorld w;
  uint64_t single = w.append(w.contribution("council", "pool", 500000, {w.council_off}));
  std::vector<Bytes> seven;
  for (int i = 0; i < 7; ++i) seven.push_back(w.pay_entry(i % 3 ? "council" : "nhs", i % 2 ? "sme" : "prime", 1000 + i));
  Run a = w.append_run(seven, {w.council_off, w.nhs_off});
  Run b = w.append_run({w.pay_entry("council", "prime", 42)}, {w.council_off});
  std::vector<Bytes> four;
  for (int i = 0; i < 4; ++i) four.push_back(w.pay_entry("council", "sme", 2000 + i));
  Run c = w.append_run(four, {w.council_off});
  uint64_t after = w.append(w.payment("council", "sme", 77, {w.council_off}));
  w.close();

  CHECK(a.count == 7);
  CHECK(b.count == 1);
  check_every_record(w, a);  // 7 leaves: a path of uneven depth
  check_every_record(w, b);  // one leaf: an empty path, the leaf is the root
  check_every_record(w, c);  // 4 leaves: a full tree
  CHECK(proof_of(w, b.seq + 1)["hashes"].empty());

  // Records signed on their own, the batch records included: exit 2, pointing to proof inclusion.
  for (uint64_t seq : {single, a.seq, b.seq, after, uint64_t(0)}) {
    CAPTURE(seq);
    Ran r = run_fundtrail(w.tmp, {"--ledger", w.dir, "proof", "batch", std::to_string(seq)});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "signed on its own"));
    CHECK(contains(r.err, "fundtrail proof inclusion " + std::to_string(seq)));
  }
  // Past the end, and no seq at all: usage errors too.
  Ran past = run_fundtrail(w.tmp, {"--ledger", w.dir, "proof", "batch", std::to_string(after + 1)});
  CHECK(past.status == 2);
  CHECK(contains(past.err, "no record at seq " + std::to_string(after + 1)));
  CHECK(run_fundtrail(w.tmp, {"--ledger", w.dir, "proof", "batch"}).status == 2);
}
#endif
