// From checked 360Giving grants to ledger parties and records (giving_plan.h),
// and the export writers (giving_write.h).
#include <doctest/doctest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "interop/giving_csv.h"
#include "interop/giving_plan.h"
#include "interop/giving_write.h"
#include "ledger/error.h"
#include "test_giving_support.h"

using namespace fundtrail;
using namespace fundtrail::interop;

namespace {

using giving_test::error_of;
using giving_test::has;

GivingGrant grant(const std::string& id, const std::string& funder, const std::string& recipient,
                  const std::string& regrant = "", int64_t amount = 100) {
  GivingGrant g;
  g.where = "line 2";
  g.id = id;
  g.title = g.description = "T";
  g.currency = "GBP";
  g.amount = amount;
  g.award_date = 20240102;
  g.funder_id = funder;
  g.funder_name = "Funder";
  g.recipient_id = recipient;
  g.recipient_name = "Recipient " + recipient;
  g.regrant_type = regrant;
  return g;
}

const std::vector<KnownParty> kKnown = {
    {"ledger", schema::PartyKind::OFFICE, {}, ""},
    {"trafford", schema::PartyKind::FUNDER, {"GB-LAE-TRF"}, "Trafford Council"},
    {"hope", schema::PartyKind::PROVIDER, {"GB-CHC-1164883"}, "Hope"},
    {"gm-fund", schema::PartyKind::POOL, {"GB-CHC-1090001"}, "GM Fund"},
    {"gb-coh-07962245", schema::PartyKind::OTHER, {}, "Other"},  // a slug already taken by a party without that org id
};


}  // namespace

TEST_CASE("giving plan: parties matched by org id and new recipients registered once") {
  std::vector<GivingGrant> grants = {
      grant("g1", "gb-lae-trf", "GB-CHC-1164883"),          // known recipient, funder in another case
      grant("g2", "GB-LAE-TRF", "GB-COH-07962245"),         // new: its slug is taken, so -2
      grant("g3", "GB-LAE-TRF", "gb-coh-07962245"),         // the same new party, another case
      grant("g4", "GB-LAE-TRF", "GB-CHC-1090001"),          // into a known pool: a contribution
      grant("g5", "GB-LAE-TRF", "GB-CHC-2000000", "FRG040"),  // new pool
      grant("g6", "GB-LAE-TRF", "GB-SC-SC012345", "FRG010"),  // a grant-maker
      grant("g7", "GB-LAE-TRF", "360G-trafford-Org 12"),
  };
  grants.push_back(grant("g8", "GB-LAE-TRF", "360G-trafford-IND-1"));
  grants.back().individual = true;
  GivingPlan plan = plan_giving(grants, "GBP", kKnown);
  REQUIRE(plan.parties.size() == 5);
  CHECK(plan.parties[0].id == "gb-coh-07962245-2");
  CHECK(plan.parties[0].org_id == "GB-COH-07962245");  // as first written
  CHECK(plan.parties[0].kind == schema::PartyKind::PROVIDER);
  CHECK(plan.parties[0].sector == schema::Sector::UNSPECIFIED);
  CHECK(plan.parties[1].kind == schema::PartyKind::POOL);
  CHECK(plan.parties[1].sector == schema::Sector::VOLUNTARY);
  CHECK(plan.parties[2].kind == schema::PartyKind::FUNDER);
  CHECK(plan.parties[2].sector == schema::Sector::VOLUNTARY);
  CHECK(plan.parties[3].id == "360g-trafford-org-12");
  CHECK(plan.parties[4].kind == schema::PartyKind::OTHER);
  CHECK(plan.parties[4].individual);
  REQUIRE(plan.grants.size() == 8);
  CHECK(plan.grants[0].from == "trafford");
  CHECK(plan.grants[0].to == "hope");
  CHECK(!plan.grants[0].contribution);
  CHECK(plan.grants[2].to == "gb-coh-07962245-2");
  CHECK(plan.grants[3].to == "gm-fund");
  CHECK(plan.grants[3].contribution);
  CHECK(plan.grants[4].contribution);
  CHECK(!plan.grants[5].contribution);
}

TEST_CASE("giving plan: refusals") {
  CHECK(has(error_of([] { plan_giving({grant("g1", "GB-LAE-XXX", "GB-CHC-1")}, "GBP", kKnown); }),
            "line 2, grant g1: the funder GB-LAE-XXX (Funder) is not a party of this ledger"));
  auto eur = grant("g1", "GB-LAE-TRF", "GB-CHC-1");
  eur.currency = "EUR";
  CHECK(has(error_of([&] { plan_giving({eur}, "GBP", kKnown); }), "currency EUR is not this ledger's currency GBP"));
  CHECK(has(error_of([] { plan_giving({grant("g1", "GB-LAE-TRF", "GB-CHC-1164883", "FRG040")}, "GBP", kKnown); }),
            "regrant type FRG040 (funder collaboration) is money into a pool"));
  CHECK(has(error_of([] { plan_giving({grant("g1", "GB-CHC-1090001", "GB-CHC-2", "FRG040")}, "GBP", kKnown); }),
            "a pool cannot contribute to a pool"));
  // A pool may pay a grant out.
  CHECK(!plan_giving({grant("g1", "GB-CHC-1090001", "GB-CHC-1164883")}, "GBP", kKnown).grants[0].contribution);
}

TEST_CASE("giving plan: slugs sectors memos") {
  CHECK(slug_from_org_id("GB-CHC-1164883") == "gb-chc-1164883");
  CHECK(slug_from_org_id("360G-examplefund-Org_12") == "360g-examplefund-org_12");
  CHECK(slug_from_org_id("-x") == "org-x");
  CHECK(slug_from_org_id(std::string(100, 'A')).size() == 64);
  CHECK(sector_from_org_id("GB-LAE-TRF") == schema::Sector::PUBLIC);
  CHECK(sector_from_org_id("gb-nhs-rbt") == schema::Sector::PUBLIC);
  CHECK(sector_from_org_id("GB-MPR-1234") == schema::Sector::MUTUAL);
  CHECK(sector_from_org_id("GB-COH-07962245") == schema::Sector::UNSPECIFIED);
  CHECK(cut_utf8("a\xC3\xA9", 2) == "a");  // never half an é
  CHECK(cut_utf8("abc", 5) == "abc");
  CHECK(giving_memo("T", "T") == "T");
  CHECK(giving_memo("T", "Longer") == "T\n\nLonger");
  CHECK(split_giving_memo("T\n\nLonger\n\nmore") == std::pair<std::string, std::string>{"T", "Longer\n\nmore"});
  CHECK(split_giving_memo("T") == std::pair<std::string, std::string>{"T", "T"});
  CHECK(giving_memo(std::string(600, 'a'), std::string(600, 'b')).size() == 1000);
}

TEST_CASE("giving write: exact amounts and quoting that the reader reads back") {
  ExportGrant g;
  g.id = "360G-x-1";
  g.title = "Food, bank";
  g.description = "Two\nlines \"quoted\"";
  g.currency = "GBP";
  g.amount = "92233720368547758.07";
  g.award_date = "2024-01-02";
  g.recipient_id = "GB-COH-07962245";
  g.recipient_name = " Spaced ";
  g.funder_id = "GB-LAE-TRF";
  g.funder_name = "Trafford";
  std::string json = write_giving_json({g});
  CHECK(has(json, "\"amountAwarded\":92233720368547758.07,"));
  CHECK(has(json, "\"recipientOrganization\":[{\"id\":\"GB-COH-07962245\",\"name\":\" Spaced \"}]"));
  CHECK(nlohmann::json::accept(json));
  CHECK(write_giving_json({}) == "{\"grants\": []}\n");

  std::string csv = write_giving_csv({g});
  CHECK(has(csv, "\"Food, bank\",\"Two\nlines \"\"quoted\"\"\",GBP,92233720368547758.07,2024-01-02,GB-COH-07962245,\" Spaced \""));
  GivingFile back = read_giving_csv(csv);
  REQUIRE(back.records.size() == 1);
  CHECK(back.records[0].text("title") == "Food, bank");
  CHECK(back.records[0].text("description") == "Two\nlines \"quoted\"");
  CHECK(back.records[0].text("amountAwarded") == g.amount);
  CHECK(back.unused == std::vector<std::string>{"Grant Programme:Code", "Grant Programme:Title", "Last Modified"});
}
