#!/usr/bin/env bash
# A ledger of 300 parties, built only through the fundtrail command, for
# looking at the accountability map's picture at scale (tests/cli/
# test_map_picture.cpp; docs/map.md "Picture").
#
#   FUNDTRAIL_PASSPHRASE=at-least-12-chars tests/cli/map_ledger_300.sh build/cli/fundtrail /tmp/northshire
#   build/cli/fundtrail --ledger /tmp/northshire/books map export --format svg --out map.svg
#
# Northshire: a council, an NHS board, a police and crime commissioner and a
# community foundation put money into two pools; the pools pay eight
# integrators; the integrators pay 283 local providers by 360Giving grants
# (a few providers are paid by two integrators); the council also pays six
# providers itself. Most providers answer to their integrator on a delivery
# line; one integrator's providers have no recorded line, two integrators
# have no operator of last resort above them, and one provider has failed.
# Deterministic: the same ledger every run (record times aside).
set -euo pipefail

FT=${1:?usage: map_ledger_300.sh FUNDTRAIL_BINARY DIR}
DIR=${2:?usage: map_ledger_300.sh FUNDTRAIL_BINARY DIR}
: "${FUNDTRAIL_PASSPHRASE:?set FUNDTRAIL_PASSPHRASE (12 characters or more)}"
export FUNDTRAIL_PASSPHRASE

mkdir -p "$DIR"
cd "$DIR"
[ -e books ] && { echo "map_ledger_300.sh: $DIR/books exists" >&2; exit 2; }
ft() { "$FT" --ledger books "$@" >/dev/null; }

# Interactive-strength key sealing: each command unlocks its key in a fraction of a second.
"$FT" key generate --kdf interactive admin.key >/dev/null
"$FT" key generate --kdf interactive officer.key >/dev/null
"$FT" init books --origin example.gov.uk/fundtrail/northshire --currency GBP --dual-control 100000000.00 \
  --key admin.key >/dev/null

add() { ft party add "$@" --key admin.key; }
add northshire-council --name "Northshire County Council" --kind commissioner --sector public --org-id GB-LAE-NSH
add northshire-nhs --name "NHS Northshire Integrated Care Board" --kind commissioner --sector public
add northshire-pcc --name "Northshire Police and Crime Commissioner" --kind funder --sector public
add northshire-foundation --name "Northshire Community Foundation" --kind funder --sector voluntary
add council-s151 --name "Chief Finance Officer (section 151)" --kind office --sector public --parent northshire-council
add northshire-board --name "Northshire Health and Wellbeing Board" --kind board --sector public
add better-care --name "Northshire Better Care Fund" --kind pool --sector public --legal-basis "section 75 agreement" \
  --host northshire-council --share northshire-council=60 --share northshire-nhs=40
add communities-fund --name "Northshire Stronger Communities Fund" --kind pool --sector public \
  --legal-basis "pooled grant agreement" --host northshire-council --share northshire-council=50 \
  --share northshire-pcc=25 --share northshire-foundation=25

INTEGRATORS=(apex brightpath civic delta evergreen forward greenfield harbour)
NAMES=("Apex Employment Partnership" "Brightpath Care Alliance" "Civic Youth Consortium" "Delta Housing Support"
  "Evergreen Health Partnership" "Forward Skills Network" "Greenfield Family Services" "Harbour Recovery Trust")
SECTORS=(private voluntary voluntary private mutual voluntary voluntary voluntary)
# Providers each integrator pays (283 in all); the largest first.
COUNTS=(52 46 40 36 34 30 24 21)
for i in "${!INTEGRATORS[@]}"; do
  add "${INTEGRATORS[$i]}" --name "${NAMES[$i]}" --kind integrator --sector "${SECTORS[$i]}" \
    --org-id "GB-COH-0$((7100000 + i))"
done

for p in northshire-council northshire-nhs northshire-pcc northshire-foundation better-care communities-fund \
  "${INTEGRATORS[@]}"; do
  ft grant-key "$p" "$("$FT" key public officer.key)" --role officer --key admin.key
done

# Money into the pools and on to the integrators.
{
  echo "kind,from,to,amount,date,mechanism"
  echo "contribution,northshire-council,better-care,4200000.00,2025-04-01,"
  echo "contribution,northshire-nhs,better-care,2800000.00,2025-04-01,"
  echo "contribution,northshire-council,communities-fund,2000000.00,2025-04-02,"
  echo "contribution,northshire-pcc,communities-fund,900000.00,2025-04-02,"
  echo "contribution,northshire-foundation,communities-fund,800000.00,2025-04-03,"
  # About what each integrator passes on (its providers' grants average about GBP 27,000).
  for i in 0 1 3 4; do
    echo "payment,better-care,${INTEGRATORS[$i]},$((COUNTS[i] * 28000)).00,2025-04-10,block"
    echo "payment,better-care,${INTEGRATORS[$i]},$((COUNTS[i] * 1500)).00,2025-04-10,management-fee"
  done
  for i in 2 5 6 7; do
    echo "payment,communities-fund,${INTEGRATORS[$i]},$((COUNTS[i] * 27000)).00,2025-04-12,grant"
  done
} >money.csv
ft import money.csv --key officer.key

# 280 providers, registered and paid by 360Giving grants from the integrators.
PLACES=(Northshire Riverside Hillcrest Oakfield Meadowbank Eastgate Westbrook Kingsmoor Ashford Brookvale Fairhaven Stonebridge)
KINDS=("Food Bank" "Youth Trust" "Carers Centre" "Advice Service" "Community Kitchen" "Men's Shed" "Women's Aid"
  "Recovery Cafe" "Credit Union" "Sports Club" "Arts & Crafts Collective" "Tenants Association" "Befriending Scheme"
  "Mental Health Forum" "Family Hub" "Learning Centre" "Hospice at Home" "Foodshare" "Dementia Cafe" "Job Club"
  "Refugee Welcome" "Cycle Workshop" "Debt Advice Centre" "Community Transport")
name_of() { echo "${PLACES[$(($1 % 12))]} ${KINDS[$((($1 / 12) % 24))]}"; }
orgid_of() { if (($1 % 9 == 4)); then echo "GB-COH-1$((2000000 + $1))"; else echo "GB-CHC-$((1100000 + $1))"; fi; }
{
  echo "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,Funding Org:Identifier,Funding Org:Name"
  n=0
  for i in "${!INTEGRATORS[@]}"; do
    for ((k = 0; k < COUNTS[i]; k++)); do
      amount=$((4000 + (n * 7919) % 46000))
      echo "360G-ns-$n,Service grant,Service grant,GBP,$amount.00,2025-0$((5 + k % 4))-1$((k % 10)),$(orgid_of $n),$(name_of $n),GB-COH-0$((7100000 + i)),${NAMES[$i]}"
      n=$((n + 1))
    done
  done
  # A second integrator pays a few providers too: they are no longer leaves of one payer.
  for n in 3 50 97 140 190 230; do
    i=$(((n / 40 + 3) % 8))
    echo "360G-ns-x$n,Extra grant,Extra grant,GBP,2500.00,2025-09-15,$(orgid_of $n),$(name_of $n),GB-COH-0$((7100000 + i)),${NAMES[$i]}"
  done
  # The council pays six providers itself (one of them new).
  for n in 12 60 120 180 250 283; do
    echo "360G-nsh-$n,Direct grant,Direct grant,GBP,$((9000 + n * 10)).00,2025-10-01,$(orgid_of $n),$(name_of $n),GB-LAE-NSH,Northshire County Council"
  done
} >grants.csv
ft import --format 360giving grants.csv --key officer.key --admin-key admin.key

# Who answers for what. Provider ids are their org ids in lower case.
members() { # integrator index -> --responsible for each of its providers
  local start=0 j
  for ((j = 0; j < $1; j++)); do start=$((start + COUNTS[j])); done
  for ((j = start; j < start + COUNTS[$1]; j++)); do printf -- '--responsible %s ' "$(orgid_of $j | tr 'A-Z' 'a-z')"; done
}
SERVICES=("employment support" "care at home" "youth services" "housing support" "community health" "adult skills"
  "family support" "recovery services")
for i in 0 1 2 3 4 5 7; do  # greenfield's providers (6) have no recorded line
  # shellcheck disable=SC2046
  ft assign --accountable "${INTEGRATORS[$i]}" $(members "$i") --subject "${SERVICES[$i]}" --kind delivery --key admin.key
done
ft assign --accountable northshire-council --responsible apex --responsible brightpath --responsible civic \
  --responsible delta --responsible evergreen --responsible forward --subject "service continuity" --kind last-resort \
  --key admin.key
ft assign --accountable northshire-board --responsible greenfield --responsible harbour --subject "family and recovery services" \
  --kind oversight --key admin.key
ft assign --accountable council-s151 --responsible better-care --responsible communities-fund \
  --subject "use of the pooled budgets" --kind assurance --key admin.key
ft assign --accountable northshire-council --responsible "$(orgid_of 12 | tr 'A-Z' 'a-z')" \
  --responsible "$(orgid_of 60 | tr 'A-Z' 'a-z')" --subject "direct grants" --kind contract --key admin.key
ft party status "$(orgid_of 33 | tr 'A-Z' 'a-z')" --status financial-failure --from 2025-09-30 \
  --note "entered administration" --key admin.key
echo "$DIR/books"
