// The differential harness between the writer (ledger/) and the auditor's
// verifier (verifier/): generated signed entries, valid and broken, go through
// Ledger::append; every ledger so made must pass fundtrail-verify, and every
// entry the writer refuses, forced into a copy of the ledger as its next
// record, must make the verifier fail with the check id the writer named
// (docs/rules.md "Checks"). An unknown body kind or enum value is refused as
// `format` and, forced in, reported by the verifier as of a newer format.
//
// This test code links both sides on purpose; neither side links the other.
// Not thread-safe: one Scenario per thread, each in its own directory.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace fundtrail::differential {

// Where the generator's choices come from: a seeded PRNG (CTest) or the
// fuzzer's bytes (fuzz/fuzz_differential.cpp).
class Choices {
 public:
  virtual ~Choices() = default;
  virtual uint32_t below(uint32_t n) = 0;  // uniform-ish in [0, n); n > 0
  virtual bool exhausted() const { return false; }
};

class SeededChoices : public Choices {
 public:
  explicit SeededChoices(uint64_t seed) : rng_(seed) {}
  uint32_t below(uint32_t n) override { return static_cast<uint32_t>(rng_() % n); }

 private:
  std::mt19937_64 rng_;
};

class ByteChoices : public Choices {
 public:
  ByteChoices(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t below(uint32_t n) override;
  bool exhausted() const override { return pos_ >= size_; }

 private:
  const uint8_t* data_;
  size_t size_, pos_ = 0;
};

struct Summary {
  uint64_t accepted = 0, retried = 0, refused = 0;
  std::map<std::string, uint64_t> refused_by_check;  // writer's check id -> count (each cross-checked)
  uint64_t newer_format = 0;                         // refused as unknown kind/enum, verifier said "newer"
  uint64_t runs_accepted = 0, runs_refused = 0;      // payment runs (each refused one cross-checked whole)
  std::vector<std::string> disagreements;            // empty when writer and verifier agree
};

class Scenario {
 public:
  // A new ledger in `dir` (created; removed by the destructor).
  explicit Scenario(const std::string& dir);
  ~Scenario();
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

  // One generated request (perhaps broken), appended and cross-checked.
  void step(Choices& choices);
  // Directed: extends the deepest contract chain by one contract (for the
  // chain-depth bound); true if the writer accepted it.
  bool deepen_contract_chain();
  // The whole ledger as the writer left it must pass the verifier.
  void verify_whole_ledger();

  uint64_t size() const;
  const Summary& summary() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fundtrail::differential
