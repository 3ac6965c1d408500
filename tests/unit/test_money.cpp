// Money: the known-answer vectors of money.json, round trips and overflow.
#include <doctest/doctest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "ledger/money.h"

using namespace fundtrail;

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

nlohmann::json load_money_vectors() {
  std::ifstream in(std::string(FUNDTRAIL_TEST_DATA) + "/money.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

MoneyError error_class(const std::string& name) {
  if (name == "syntax") return MoneyError::syntax;
  if (name == "sign") return MoneyError::sign;
  if (name == "too many decimals") return MoneyError::too_many_decimals;
  if (name == "overflow") return MoneyError::overflow;
  if (name == "unknown currency") return MoneyError::unknown_currency;
  FAIL("money.json names an error class this test does not know: " << name);
  return MoneyError::none;
}

}  // namespace

TEST_CASE("money: every case of money.json") {
  const auto vectors = load_money_vectors();
  REQUIRE(vectors["cases"].size() >= 27);
  for (const auto& c : vectors["cases"]) {
    const std::string text = c["text"];
    const int exponent = currency_exponent(c["currency"].get<std::string>());
    INFO("currency " << c["currency"] << " text '" << text << "'");
    REQUIRE(exponent >= 0);
    const MoneyParse p = parse_money(text, exponent);
    if (c.contains("minor_units")) {
      CHECK(p.ok());
      CHECK(p.message.empty());
      CHECK(p.minor == c["minor_units"].get<int64_t>());
    } else {
      CHECK_FALSE(p.ok());
      CHECK(p.error == error_class(c["error"]));
      CHECK_FALSE(p.message.empty());  // people are told what was wrong
      CHECK(p.minor == 0);
    }
  }
}

TEST_CASE("money: ISO 4217 exponents") {
  CHECK(currency_exponent("GBP") == 2);
  CHECK(currency_exponent("EUR") == 2);
  CHECK(currency_exponent("USD") == 2);
  CHECK(currency_exponent("CHF") == 2);
  CHECK(currency_exponent("SEK") == 2);
  CHECK(currency_exponent("JPY") == 0);
  CHECK(currency_exponent("KRW") == 0);
  CHECK(currency_exponent("ISK") == 0);
  CHECK(currency_exponent("XOF") == 0);
  CHECK(currency_exponent("XPF") == 0);
  CHECK(currency_exponent("BHD") == 3);
  CHECK(currency_exponent("KWD") == 3);
  CHECK(currency_exponent("JOD") == 3);
  CHECK(currency_exponent("OMR") == 3);
  CHECK(currency_exponent("TND") == 3);
  CHECK(currency_exponent("CLF") == 4);
  // Unknown, lower case, or not three letters: the caller must refuse it.
  CHECK(currency_exponent("gbp") == -1);
  CHECK(currency_exponent("XXX") == -1);
  CHECK(currency_exponent("GB") == -1);
  CHECK(currency_exponent("GBPX") == -1);
  CHECK(currency_exponent("") == -1);
}

TEST_CASE("money: parse edge cases beyond the vectors") {
  CHECK(parse_money("1.", 2).error == MoneyError::syntax);
  CHECK(parse_money(".5", 2).error == MoneyError::syntax);
  CHECK(parse_money("1..0", 2).error == MoneyError::syntax);
  CHECK(parse_money("1_000", 2).error == MoneyError::syntax);
  CHECK(parse_money(std::string("1\0", 2), 2).error == MoneyError::syntax);
  CHECK(parse_money("-", 2).error == MoneyError::sign);
  CHECK(parse_money("1.0", 0).error == MoneyError::too_many_decimals);
  CHECK(parse_money("1.230", 2).error == MoneyError::too_many_decimals);
  CHECK(parse_money("1", -1).error == MoneyError::unknown_currency);
  CHECK(parse_money("1", 19).error == MoneyError::unknown_currency);

  // Leading zeros carry no value, so they cannot overflow.
  CHECK(parse_money("007.50", 2).minor == 750);
  CHECK(parse_money("000000000000000000000000000001.00", 2).minor == 100);
  // int64 limits at every exponent the table uses, and past them.
  CHECK(parse_money("9223372036854775807", 0).minor == kMax);
  CHECK(parse_money("9223372036854775808", 0).error == MoneyError::overflow);
  CHECK(parse_money("9223372036854775.807", 3).minor == kMax);
  CHECK(parse_money("9223372036854775.808", 3).error == MoneyError::overflow);
  CHECK(parse_money("922337203685477.5807", 4).minor == kMax);
  CHECK(parse_money("92233720368547758.1", 2).error == MoneyError::overflow);  // padding overflows
  CHECK(parse_money("9", 18).minor == 9'000'000'000'000'000'000);
  CHECK(parse_money("10", 18).error == MoneyError::overflow);
}

TEST_CASE("money: format_money") {
  CHECK(format_money(125000, 2) == "1250.00");
  CHECK(format_money(125050, 2) == "1250.50");
  CHECK(format_money(1, 2) == "0.01");
  CHECK(format_money(0, 2) == "0.00");
  CHECK(format_money(-1, 2) == "-0.01");
  CHECK(format_money(-125000, 2) == "-1250.00");
  CHECK(format_money(1500, 0) == "1500");
  CHECK(format_money(0, 0) == "0");
  CHECK(format_money(1234, 3) == "1.234");
  CHECK(format_money(5, 3) == "0.005");
  CHECK(format_money(kMax, 2) == "92233720368547758.07");
  CHECK(format_money(kMin, 2) == "-92233720368547758.08");
  CHECK(format_money(kMax, 0) == "9223372036854775807");
  CHECK(format_money(kMin, 0) == "-9223372036854775808");
  CHECK(format_money(1, 18) == "0.000000000000000001");
  CHECK_THROWS_AS(format_money(1, -1), std::invalid_argument);
  CHECK_THROWS_AS(format_money(1, 19), std::invalid_argument);
}

TEST_CASE("money: format and parse are inverse") {
  const int64_t values[] = {0, 1, 9, 10, 99, 100, 101, 125000, 125050, 999999, 1'000'000'007, kMax - 1, kMax};
  for (int exponent = 0; exponent <= 4; ++exponent) {
    for (int64_t v : values) {
      INFO("exponent " << exponent << " value " << v);
      const MoneyParse p = parse_money(format_money(v, exponent), exponent);
      REQUIRE(p.ok());
      CHECK(p.minor == v);
      // A negative amount formats as '-' and its magnitude.
      if (v > 0) CHECK(format_money(-v, exponent) == "-" + format_money(v, exponent));
    }
  }
  // Text in, canonical text out: the value survives, the spelling is fixed.
  const auto vectors = load_money_vectors();
  for (const auto& c : vectors["cases"]) {
    if (!c.contains("minor_units")) continue;
    const int exponent = currency_exponent(c["currency"].get<std::string>());
    const std::string canonical = format_money(c["minor_units"].get<int64_t>(), exponent);
    CHECK(parse_money(canonical, exponent).minor == c["minor_units"].get<int64_t>());
  }
  CHECK(format_money(parse_money("1250", 2).minor, 2) == "1250.00");
  CHECK(format_money(parse_money("1250.5", 2).minor, 2) == "1250.50");
}

TEST_CASE("money: checked arithmetic refuses overflow and leaves the result untouched") {
  int64_t out = 42;
  CHECK(add_money(1, 2, out));
  CHECK(out == 3);
  CHECK(sub_money(5, 7, out));
  CHECK(out == -2);
  CHECK(add_money(kMax - 1, 1, out));
  CHECK(out == kMax);
  CHECK(sub_money(kMin + 1, 1, out));
  CHECK(out == kMin);

  out = 42;
  CHECK_FALSE(add_money(kMax, 1, out));
  CHECK_FALSE(add_money(kMin, -1, out));
  CHECK_FALSE(add_money(kMax, kMax, out));
  CHECK_FALSE(sub_money(kMin, 1, out));
  CHECK_FALSE(sub_money(kMax, -1, out));
  CHECK_FALSE(sub_money(0, kMin, out));
  CHECK(out == 42);
}
