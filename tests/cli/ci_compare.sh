#!/usr/bin/env bash
# The nightly gate: the demo run twice, the second time with a deliberately
# worse model in the pool; `umpire compare` must exit with the regression
# status (9) and write a JUnit file a parser accepts and a step summary.
# Also claims --fail-on, and garbage given to compare.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
D="$S/suites/demo.yaml"

# the same systems, the pool's sim-atlas made much weaker (which also hurts
# the orchestrator that calls it)
mkdir -p worse/models worse/pools
cp "$S/models/demo.yaml" "$S/models/demo-pool.yaml" worse/models/
sed -e '/name: sim-atlas/,/accuracy/ s/accuracy: .*/accuracy: {default: 0.30}/' \
  "$S/pools/demo.yaml" >worse/pools/demo.yaml
check "the worse pool differs only in sim-atlas's accuracy" \
  test "$(diff "$S/pools/demo.yaml" worse/pools/demo.yaml | grep -c '^[<>]')" -eq 2

expect_exit 0 "nightly 1" -- "$UMPIRE" run "$D" --models "$S/models/demo.yaml" --db base.db \
  --run-id n1 --repeats 1 --no-report --quiet
expect_exit 0 "nightly 2, with the worse model" -- "$UMPIRE" run "$D" --models worse/models/demo.yaml \
  --db new.db --run-id n2 --repeats 1 --no-report --quiet

export GITHUB_STEP_SUMMARY="$WORK/summary.md"
: >"$GITHUB_STEP_SUMMARY"
expect_exit 9 "compare finds the regression" -- "$UMPIRE" compare n1 n2 --base-db base.db \
  --new-db new.db --max-drop 2 --junit junit.xml --json cmp.json --markdown cmp.md
check "the terminal table says REGRESSION" grep -q "^REGRESSION" "$WORK/out"
check "sim-atlas fails" grep -Eq "^sim-atlas .* FAIL$" "$WORK/out"
check "sim-dune (unchanged) passes" grep -Eq "^sim-dune .* ok$" "$WORK/out"
check "JUnit XML parses, a test case per system and gate, failures on the worse ones" python3 -c '
import xml.etree.ElementTree as ET
root = ET.parse("junit.xml").getroot()
assert root.tag == "testsuites", root.tag
suite = root.find("testsuite")
cases = suite.findall("testcase")
assert len(cases) == 5 == int(suite.get("tests")), len(cases)
failed = sorted(c.get("classname") for c in cases if c.find("failure") is not None)
assert failed == ["sim-atlas", "sim-conductor"], failed
assert int(suite.get("failures")) == 2
f = [c for c in cases if c.get("classname") == "sim-atlas"][0].find("failure")
assert "demo-" in f.text and f.get("type") == "regression", f.text
assert all(c.get("name") == "accuracy" for c in cases)
'
check "the step summary was written" grep -q "umpire compare: \`n1\` → \`n2\`" "$GITHUB_STEP_SUMMARY"
check "it names the failing items" grep -q "sim-atlas / accuracy failed.*right before, wrong now: \`demo-" "$GITHUB_STEP_SUMMARY"
check "--markdown wrote the same summary" cmp -s cmp.md "$GITHUB_STEP_SUMMARY"
check "JSON: the paired interval lies below zero for sim-atlas" \
  test "$(jq '.systems[] | select(.system == "sim-atlas") | .difference.ci_hi < 0 and .mcnemar_p < 0.05' cmp.json)" = true
check "JSON: regression true, 2 failed gates" test "$(jq -r '"\(.regression) \(.failed_gates)"' cmp.json)" = "true 2"

# a run against itself, or with a tolerance above the drop, passes
: >"$GITHUB_STEP_SUMMARY"
expect_exit 0 "a run compared with itself passes" -- "$UMPIRE" compare n1 latest --db base.db
expect_exit 0 "only the unchanged system" -- "$UMPIRE" compare n1 n2 --base-db base.db \
  --new-db new.db -s sim-dune -s sim-cirrus --format json
check "two systems compared" test "$(jq '.systems | length' "$WORK/out")" -eq 2
expect_exit 0 "a tolerance of 90 points lets the drop pass" -- "$UMPIRE" compare n1 n2 \
  --base-db base.db --new-db new.db --max-drop 90 --format none
# a cost gate: the new run made cheaper is fine, a strict ratio on latency is not
expect_exit 9 "a latency ratio of 0.01 fails every system" -- "$UMPIRE" compare n1 n2 \
  --base-db base.db --new-db new.db --max-drop 90 --max-latency-ratio 0.01 --max-cost-ratio 10 \
  --junit j2.xml --format none
check "latency and cost gates are test cases too" python3 -c '
import xml.etree.ElementTree as ET
cases = ET.parse("j2.xml").getroot().find("testsuite").findall("testcase")
names = sorted(set(c.get("name") for c in cases))
assert names == ["accuracy", "cost", "latency"], names
assert all((c.find("failure") is not None) == (c.get("name") == "latency") for c in cases)
'

# claims --fail-on
expect_exit 0 "claims without --fail-on exits 0" -- "$UMPIRE" claims "$S/claims/demo.yaml" --db base.db
expect_exit 9 "claims --fail-on below: a claim far above the measurement" -- \
  "$UMPIRE" claims "$S/claims/demo.yaml" --db base.db --fail-on below
check "the table is still printed" grep -q "below claim" "$WORK/out"
check "stderr counts the failing claims" grep -q "claim(s) above what was measured" "$WORK/err"
expect_exit 9 "claims --fail-on outside" -- "$UMPIRE" claims "$S/claims/demo.yaml" --db base.db --fail-on outside
expect_exit 2 "claims --fail-on garbage" -- "$UMPIRE" claims "$S/claims/demo.yaml" --db base.db --fail-on sideways

# garbage
expect_exit 7 "compare with a run that does not exist" -- "$UMPIRE" compare n1 nope --db base.db
expect_exit 7 "compare of a system not in both runs" -- "$UMPIRE" compare n1 n2 \
  --base-db base.db --new-db new.db -s sim-nobody
expect_exit 2 "compare with one run" -- "$UMPIRE" compare n1 --db base.db
for bad in "--max-drop -1" "--max-drop 101" "--max-drop x" "--level 2" "--max-cost-ratio 0" \
    "--format xml"; do
  expect_exit 2 "compare $bad is a usage error" -- "$UMPIRE" compare n1 n1 --db base.db $bad
done
printf 'garbage\n' > garbage.db
expect_exit 8 "compare against a file that is not a store" -- "$UMPIRE" compare n1 n1 --db garbage.db
expect_exit 8 "a JUnit path that cannot be written" -- "$UMPIRE" compare n1 n1 --db base.db \
  --junit /nonexistent/dir/j.xml
done_testing
