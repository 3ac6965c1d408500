// log-key, checkpoint, proof inclusion | consistency | check, statement, export-bundle.
#include <sodium.h>

#include "fixture.h"

using namespace fundtrail::test;

namespace {
// A checkpoint's lines: origin, size, root, blank, signature line(s).
void check_checkpoint_shape(const std::string& note, uint64_t size) {
  auto l = lines_of(note);
  REQUIRE(l.size() == 5);
  CHECK(l[0] == kOrigin);
  CHECK(l[1] == std::to_string(size));
  CHECK(l[2].size() == 44);
  CHECK(l[3].empty());
  CHECK(l[4].rfind("\xE2\x80\x94 " + kOrigin + " ", 0) == 0);  // em dash, key name, signature
  CHECK(note.back() == '\n');
}
}  // namespace

TEST_CASE("log-key: prints the verifier key that init printed") {
  Books b;
  RunResult r = b.ft({"log-key"});
  INFO(r);
  CHECK(r.code == 0);
  CHECK(r.out == b.log_key_text + "\n");
  CHECK(r.out.rfind(kOrigin + "+", 0) == 0);
  json j = b.ok_json({"log-key", "--json"});
  CHECK(j["origin"] == kOrigin);
  CHECK(j["key"] == b.log_key_text);
  // The text's base64 payload is 0x01 followed by the key that --json gives in hex.
  std::string text = b.log_key_text;
  // name+keyid+base64: the base64 may itself hold '+', so split after the name.
  std::string b64 = text.substr(kOrigin.size() + 1 + 8 + 1);
  std::string raw(b64.size(), '\0');
  size_t raw_len = 0;
  REQUIRE(sodium_base642bin(reinterpret_cast<unsigned char*>(raw.data()), raw.size(), b64.c_str(), b64.size(), nullptr,
                            &raw_len, nullptr, sodium_base64_VARIANT_ORIGINAL) == 0);
  REQUIRE(raw_len == 33);
  CHECK(raw[0] == '\x01');
  std::string hexed(64, '\0');
  sodium_bin2hex(hexed.data(), 65, reinterpret_cast<const unsigned char*>(raw.data()) + 1, 32);
  CHECK(j["public_key"] == hexed);
  RunResult none = ft_raw({"--ledger", b.file("nowhere"), "log-key"});
  CHECK(none.code == 2);
  CHECK(contains(none.err, "does not exist"));
}

TEST_CASE("checkpoint: prints a signed checkpoint and checkpoint list shows those issued") {
  Books b;
  RunResult cp = b.ft({"checkpoint"});
  INFO(cp);
  REQUIRE(cp.code == 0);
  check_checkpoint_shape(cp.out, kStartSize);
  RunResult cp5 = b.ok({"checkpoint", "--size", "5"});
  check_checkpoint_shape(cp5.out, 5);
  json cpj = b.ok_json({"checkpoint", "--size", "7", "--json"});
  CHECK(cpj["size"] == 7);
  check_checkpoint_shape(cpj["checkpoint"], 7);

  json list = b.ok_json({"checkpoint", "list", "--json"});
  REQUIRE(list.size() == 3);
  CHECK(list[0]["size"] == 5);
  CHECK(list[0]["checkpoint"] == cp5.out);
  CHECK(list[1]["size"] == 7);
  CHECK(list[2]["size"] == kStartSize);
  CHECK(list[2]["checkpoint"] == cp.out);
  RunResult text = b.ok({"checkpoint", "list"});
  CHECK(contains(text.out, cp.out));
  CHECK(contains(text.out, cp5.out));

  RunResult too_big = b.ft({"checkpoint", "--size", "13"});
  INFO(too_big);
  CHECK(too_big.code == 2);
  CHECK(contains(too_big.err, "larger than the ledger"));
  CHECK(too_big.out.empty());
  RunOptions wrong;
  wrong.env["FUNDTRAIL_PASSPHRASE"] = "not the passphrase";
  RunResult wp = b.ft({"checkpoint"}, wrong);
  INFO(wp);
  CHECK(wp.code == 2);
  CHECK(contains(wp.err, "passphrase"));
  CHECK(wp.out.empty());
  CHECK(b.ok_json({"checkpoint", "list", "--json"}).size() == 3);

  write_file(b.file("cp.txt"), cp.out);
  verify_if_present({b.ledger.string(), "--checkpoint", b.file("cp.txt"), "--log-key", b.log_key_text});
}

TEST_CASE("proof: inclusion and consistency pass proof check and tampered proofs are refused") {
  Books b;
  write_file(b.file("cp5.txt"), b.ok({"checkpoint", "--size", "5"}).out);
  write_file(b.file("cp.txt"), b.ok({"checkpoint"}).out);
  write_file(b.file("leaf3.bin"), b.ok({"show", "3", "--raw"}).out);
  write_file(b.file("leaf4.bin"), b.ok({"show", "4", "--raw"}).out);
  const std::string key = b.log_key_text;

  json inc = b.ok_json({"proof", "inclusion", "3"});
  CHECK(inc["index"] == 3);
  CHECK(inc["tree_size"] == kStartSize);
  CHECK(inc["hashes"].size() == 4);  // ceil(log2(12))
  write_file(b.file("inc.json"), inc.dump());
  json inc5 = b.ok_json({"proof", "inclusion", "3", "--size", "5"});
  write_file(b.file("inc5.json"), inc5.dump());
  json cons = b.ok_json({"proof", "consistency", "5", std::to_string(kStartSize)});
  CHECK(cons["old_size"] == 5);
  CHECK(cons["new_size"] == kStartSize);
  write_file(b.file("cons.json"), cons.dump());

  auto check = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"proof", "check"});
    return ft_raw(args);  // no ledger needed
  };
  RunResult ok1 = check({b.file("inc.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key, "--leaf", b.file("leaf3.bin")});
  INFO(ok1);
  CHECK(ok1.code == 0);
  CHECK(contains(ok1.out, "inclusion proof verified"));
  // Issue 20: without --leaf only the proof's own leaf hash is checked, and it says so.
  RunResult no_leaf = check({b.file("inc5.json"), "--checkpoint", b.file("cp5.txt"), "--log-key", key});
  INFO(no_leaf);
  CHECK(no_leaf.code == 0);
  CHECK(contains(no_leaf.out, "the record itself was not checked"));
  CHECK(!contains(no_leaf.out, "is in the tree"));
  RunResult ok2 = check({b.file("cons.json"), "--old-checkpoint", b.file("cp5.txt"), "--checkpoint", b.file("cp.txt"), "--log-key", key});
  INFO(ok2);
  CHECK(ok2.code == 0);
  CHECK(contains(ok2.out, "consistency proof verified"));

  // Refusals: exit 1 with a reason.
  auto refused = [&](const std::string& what, const std::vector<std::string>& args, const std::string& why) {
    RunResult r = check(args);
    INFO(what, "\n", r);
    CHECK(r.code == 1);
    CHECK(contains(r.err, why));
    CHECK(r.out.empty());
  };
  json t = inc;
  std::string h = t["hashes"][1];
  h[0] = h[0] == 'A' ? 'B' : 'A';
  t["hashes"][1] = h;
  write_file(b.file("tampered.json"), t.dump());
  refused("a tampered hash", {b.file("tampered.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key}, "inclusion proof fails");
  t = inc;
  t["hashes"].erase(t["hashes"].size() - 1);
  write_file(b.file("truncated.json"), t.dump());
  refused("a truncated proof", {b.file("truncated.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key}, "inclusion proof fails");
  t = inc;
  t["hashes"].push_back(inc["hashes"][0]);
  write_file(b.file("extended.json"), t.dump());
  refused("an extended proof", {b.file("extended.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key}, "inclusion proof fails");
  t = inc;
  t["index"] = 4;
  write_file(b.file("wrong-index.json"), t.dump());
  refused("the wrong index", {b.file("wrong-index.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key}, "inclusion proof fails");
  refused("the wrong leaf", {b.file("inc.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key, "--leaf", b.file("leaf4.bin")},
          "leaf");
  refused("the wrong tree size", {b.file("inc5.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key}, "tree size");
  t = cons;
  h = t["hashes"][0];
  h[0] = h[0] == 'A' ? 'B' : 'A';
  t["hashes"][0] = h;
  write_file(b.file("cons-tampered.json"), t.dump());
  refused("a tampered consistency proof",
          {b.file("cons-tampered.json"), "--old-checkpoint", b.file("cp5.txt"), "--checkpoint", b.file("cp.txt"), "--log-key", key},
          "consistency proof fails");
  refused("swapped checkpoints",
          {b.file("cons.json"), "--old-checkpoint", b.file("cp.txt"), "--checkpoint", b.file("cp5.txt"), "--log-key", key}, "sizes");
  // A checkpoint whose root was changed no longer carries a valid signature.
  std::string note = read_file(b.file("cp.txt"));
  auto lines = lines_of(note);
  std::string other_root = lines_of(read_file(b.file("cp5.txt")))[2];
  std::string forged = lines[0] + "\n" + lines[1] + "\n" + other_root + "\n\n" + lines[4] + "\n";
  write_file(b.file("forged.txt"), forged);
  refused("a forged checkpoint", {b.file("inc.json"), "--checkpoint", b.file("forged.txt"), "--log-key", key}, "not validly signed");
  std::string stranger = trim(b.ok({"key", "public", b.key("stranger")}).out);
  refused("another key", {b.file("inc.json"), "--checkpoint", b.file("cp.txt"), "--log-key", stranger}, "not validly signed");

  // Unusable input: exit 2.
  write_file(b.file("junk.json"), "{not json");
  RunResult junk = check({b.file("junk.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key});
  CHECK(junk.code == 2);
  CHECK(contains(junk.err, "not JSON"));
  RunResult badkey = check({b.file("inc.json"), "--checkpoint", b.file("cp.txt"), "--log-key", "garbage"});
  CHECK(badkey.code == 2);
  CHECK(contains(badkey.err, "--log-key"));
  RunResult no_old = check({b.file("cons.json"), "--checkpoint", b.file("cp.txt"), "--log-key", key});
  CHECK(no_old.code == 2);
  CHECK(contains(no_old.err, "--old-checkpoint"));
  RunResult beyond = b.ft({"proof", "inclusion", "12"});
  INFO(beyond);
  CHECK(beyond.code == 2);
  CHECK(beyond.out.empty());
  RunResult backwards = b.ft({"proof", "consistency", "12", "5"});
  INFO(backwards);
  CHECK(backwards.code == 2);
  CHECK(backwards.out.empty());
  RunResult too_big = b.ft({"proof", "inclusion", "3", "--size", "13"});
  CHECK(too_big.code == 2);
  CHECK(contains(too_big.err, "larger than the ledger"));
}

TEST_CASE("statement: every party balance in a note signed by the log key") {
  Books b;
  RunResult st = b.ft({"statement"});
  INFO(st);
  REQUIRE(st.code == 0);
  auto l = lines_of(st.out);
  std::vector<std::string> body(l.begin(), l.begin() + std::min<size_t>(l.size(), 9));
  CHECK(body == std::vector<std::string>{"fundtrail statement v1", kOrigin, "12", "ace 0", "council -500000", "hope 0", "ledger 0",
                                         "police 0", "pool 500000"});
  REQUIRE(l.size() == 11);
  CHECK(l[9].empty());
  CHECK(l[10].rfind("\xE2\x80\x94 " + kOrigin + " ", 0) == 0);

  RunResult early = b.ok({"statement", "--size", "2"});
  auto e = lines_of(early.out);
  REQUIRE(e.size() >= 5);
  CHECK(e[2] == "2");
  CHECK(e[3] == "council 0");
  CHECK(e[4] == "ledger 0");
  CHECK(e[5].empty());

  json sj = b.ok_json({"statement", "--size", "2", "--json"});
  CHECK(sj["origin"] == kOrigin);
  CHECK(sj["size"] == 2);
  CHECK(sj["balances"] == json{{"council", 0}, {"ledger", 0}});
  CHECK(lines_of(sj["note"].get<std::string>())[2] == "2");
  json all = b.ok_json({"statement", "--json"});
  CHECK(all["balances"]["council"] == -500000);
  CHECK(all["balances"]["pool"] == 500000);
  CHECK(all["balances"].size() == 6);

  RunResult too_big = b.ft({"statement", "--size", "99"});
  CHECK(too_big.code == 2);
  CHECK(contains(too_big.err, "larger than the ledger"));
  CHECK(too_big.out.empty());

  write_file(b.file("statement.txt"), st.out);
  verify_if_present({b.ledger.string(), "--statement", b.file("statement.txt"), "--log-key", b.log_key_text});
}

TEST_CASE("export-bundle: every leaf in one file") {
  Books b;
  std::string path = b.file("books.bundle");
  RunResult r = b.ft({"export-bundle", path});
  INFO(r);
  REQUIRE(r.code == 0);
  CHECK(r.out == "12\n");
  std::string bundle = read_file(path);
  const std::string magic = "fundtrail-bundle/v1\n";
  REQUIRE(bundle.size() > magic.size() + 8);
  CHECK(bundle.substr(0, magic.size()) == magic);
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n = (n << 8) | static_cast<unsigned char>(bundle[magic.size() + i]);
  CHECK(n == kStartSize);
  size_t at = magic.size() + 8;
  for (uint64_t seq = 0; seq < n; ++seq) {
    CAPTURE(seq);
    REQUIRE(at + 2 <= bundle.size());
    size_t len = (static_cast<unsigned char>(bundle[at]) << 8) | static_cast<unsigned char>(bundle[at + 1]);
    at += 2;
    REQUIRE(at + len <= bundle.size());
    CHECK(bundle.substr(at, len) == b.ok({"show", std::to_string(seq), "--raw"}).out);
    at += len;
  }
  CHECK(at == bundle.size());

  RunResult bad = b.ft({"export-bundle", b.file("no/such/dir/x.bundle")});
  CHECK(bad.code == 2);
  CHECK(contains(bad.err, "cannot write"));
  verify_if_present({path});
}
