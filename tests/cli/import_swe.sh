#!/usr/bin/env bash
# SWE-Bench Pro's public fields into a swe suite (tasks that need their image
# are kept and reported as such), malformed JSONL named by line, and a
# vendor's predictions graded with `run --predictions` in every shape.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
F="$FIX/../sweimport"

expect_exit 0 "import swe-bench-pro" -- "$UMPIRE" import swe-bench-pro "$F/instances.jsonl" -o pro.yaml \
  --scaffold "$S/scaffolds/swe-agent.yaml"
n=$(grep -c "^- id:" pro.yaml)
check "one task per instance ($n)" test "$n" -eq 3
check "each names its image" test "$(grep -c "^  image: " pro.yaml)" -eq 3
check "none is marked unsupported (the official profile grades it in its image)" \
  test "$(grep -c "unsupported: " pro.yaml)" -eq 0
expect_exit 5 "running it without a container driver records every task as unsupported, none dropped" -- \
  "$UMPIRE" run pro.yaml --oracle --db pro.db --quiet --no-report
check "with the image named" \
  test "$(sql pro.db "select count(*) from attempts where error_class='unsupported' and error_msg like '%image%'")" -eq 3
expect_exit 11 "malformed JSONL: the bad line skipped, the rest imported (partial)" -- \
  "$UMPIRE" import swe-bench-pro "$F/malformed.jsonl" -o bad.yaml
check "names the line" grep -q "skipped .*malformed.jsonl:2" "$WORK/err"
check "the good line was imported" grep -q "^imported 1 instance" "$WORK/out"
expect_exit 11 "a duplicate instance id is skipped (partial)" -- \
  "$UMPIRE" import swe-bench-pro "$F/duplicate.jsonl" -o bad.yaml
check "names the field and both lines" grep -q "duplicate.jsonl:4: .*field 'instance_id'.*first at line 1" "$WORK/err"
expect_exit 3 "no good line at all" -- "$UMPIRE" import swe-bench-pro "$F/bad_list.jsonl" -o bad.yaml
expect_exit 8 "-o in a directory that does not exist" -- \
  "$UMPIRE" import swe-bench-pro "$F/instances.jsonl" -o no/such/dir/s.yaml
check "and it was not created" test ! -e no

# predictions for the demo suite, as a vendor would publish them (JSONL)
for t in py-lru-get-recency c-ringbuf-wrap sh-linecount-spaces; do
  jq -cn --arg id "$t" --rawfile p "$S/suites/swe-demo/$t/gold.patch" \
    '{instance_id: $id, model_patch: $p, model_name_or_path: "vendor-y"}'
done > vendor.jsonl
expect_exit 0 "import predictions with a suite check" -- \
  "$UMPIRE" import predictions vendor.jsonl -o pred.json --suite "$S/suites/swe-demo.yaml"
check "normalised file" test "$(jq '.umpire_predictions' pred.json)" = 1
expect_exit 0 "grade them" -- "$UMPIRE" run "$S/suites/swe-demo.yaml" --predictions pred.json \
  --db p.db --run-id p1 --reports rep
check "the system is named after the model" grep -q "pred-vendor-y" "$WORK/out"
check "three resolved, the rest unresolved for want of a patch" \
  test "$(sql p.db "select sum(score) || '/' || count(*) from attempts")" = "3/8"
check "37.5% over the whole suite, 100% over submitted patches" \
  grep -qF "| pred-vendor-y | 3 | 37.5% (/ 8) | 100.0% (/ 3) |" rep/p1/report.md
expect_exit 0 "the raw JSONL file grades the same" -- \
  "$UMPIRE" run "$S/suites/swe-demo.yaml" --predictions vendor.jsonl --db q.db --run-id q1 --quiet --no-report
check "same score" test "$(sql q.db "select sum(score) from attempts")" -eq 3
echo '{"instance_id": "nope", "model_patch": "x", "model_name_or_path": "m"}' > unknown.jsonl
expect_exit 3 "predictions for instances the suite does not have" -- \
  "$UMPIRE" import predictions unknown.jsonl -o x.json --suite "$S/suites/swe-demo.yaml"
check "are named" grep -q "nope" "$WORK/err"
head -c 2000 /dev/urandom > garbage.jsonl
expect_exit 3 "garbage predictions" -- "$UMPIRE" import predictions garbage.jsonl -o x.json
done_testing
