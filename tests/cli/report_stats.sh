#!/usr/bin/env bash
# The report's statistics on the demo (48 items x 2 repeats): MDE, Holm p,
# pass@k, every interval inside [0, 100]; --reference and --target-mde, and
# their garbage.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

expect_exit 0 "demo run completes" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$S/models/demo.yaml" --db demo.db \
  --run-id st1 --reports rep
R=rep/st1/report.json
check "every comparison has an MDE" \
  test "$(jq '[.paired.comparisons[] | select(.mde | type == "number")] | length' $R)" \
    -eq "$(jq '.paired.comparisons | length' $R)"
check "every comparison has a Holm p no smaller than its p" \
  test "$(jq '[.paired.comparisons[] | select(.test.p_holm >= .test.p)] | length' $R)" \
    -eq "$(jq '.paired.comparisons | length' $R)"
check "McNemar is not given with repeats" \
  test "$(jq '[.paired.comparisons[] | select(.mcnemar_p != null)] | length' $R)" -eq 0
check "pass@k for k = 1, 2 with repeats" \
  test "$(jq '[.systems[].pass_at_k | length] | unique' -c $R)" = "[2]"
check "pass@1 is the mean accuracy over items" \
  test "$(jq '[.systems[] | ((.pass_at_k[0].pass_at_k.value - .accuracy.value) | fabs) < 1e-5]
    | all' $R)" = true
check "no accuracy interval outside [0, 1]" \
  test "$(jq '[.systems[] | .accuracy, .categories[].accuracy, (.pass_at_k[] | .pass_at_k, .pass_hat_k)
    | select(.ci_lo < 0 or .ci_hi > 1 or .ci_lo > .value or .ci_hi < .value)] | length' $R)" -eq 0
check "no difference interval outside [-1, 1]" \
  test "$(jq '[.paired.comparisons[].difference | select(.ci_lo < -1 or .ci_hi > 1)] | length' $R)" -eq 0
check "claims carry p and Holm p" \
  test "$(jq '[.claims[] | select(.measured != null) | select(.p_holm >= .p_value)] | length' $R)" \
    -eq "$(jq '[.claims[] | select(.measured != null)] | length' $R)"
check "report.md shows MDE and Holm p" grep -q "| MDE (pp) |.*| Holm p |" rep/st1/report.md
check "report.md has the pass@k table" grep -q "^## pass@k" rep/st1/report.md

expect_exit 0 "the claims table against the run" -- \
  "$UMPIRE" claims "$S/claims/demo.yaml" --db demo.db --json
check "its verdicts follow the Holm p (below/above when under .05)" \
  test "$(jq '[.benchmarks[].rows[] | select(.measured != null)
    | select((.p_holm < 0.05) != (.verdict != "reproduced"))] | length' "$WORK/out")" -eq 0
check "and p lies under the Holm p" \
  test "$(jq '[.benchmarks[].rows[] | select(.measured != null) | select(.p_value > .p_holm)] | length' "$WORK/out")" -eq 0
expect_exit 0 "a named reference" -- \
  "$UMPIRE" report --db demo.db --reports rep3 --reference sim-atlas --print json st1
check "it is the reference of every comparison" \
  test "$(jq -r '[.paired.mode, (.paired.comparisons | map(.system_a) | unique | join(","))] | join(" ")' "$WORK/out")" \
    = "reference_vs_others sim-atlas"
expect_exit 0 "--target-mde prints the planning table" -- \
  "$UMPIRE" report --db demo.db --reports rep4 --print none --target-mde 5 st1
check "with a row per comparison" \
  test "$(grep -c '^| sim-' "$WORK/out")" -eq "$(jq '.paired.comparisons | length' $R)"
check "and items for 1, 2, 4, 8 repeats" grep -q "| 1 repeat | 2 repeats | 4 repeats | 8 repeats |" "$WORK/out"

expect_exit 2 "a reference not in the run is refused" -- \
  "$UMPIRE" report --db demo.db --reports rep5 --reference nobody st1
check "and named" grep -q "nobody" "$WORK/err"
for bad in abc 0 -3 101 5x ""; do
  expect_exit 2 "--target-mde '$bad' is refused" -- \
    "$UMPIRE" report --db demo.db --reports rep6 --target-mde "$bad" st1
done
done_testing
