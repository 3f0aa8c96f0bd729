#!/usr/bin/env bash
# A rescore with another judge is recorded as its calls end: one killed
# midway leaves its committed calls under a rescore marked not finished
# (summary_json null, its calls and cost those of the rows written), which
# a bundle leaves out; the next rescore is numbered after it and finishes.
# One that fails midway (an item it cannot judge again) is removed.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

expect_exit 0 "a judged run of 10 repeats" -- \
  "$UMPIRE" run "$S/suites/judged-demo.yaml" --models "$S/models/judged-demo.yaml" \
  --db j.db --run-id j1 --repeats 10
# a slow judge, one call at a time: the rescore takes seconds
sed 's/^latency_scale:.*/latency_scale: 0.5/' "$S/pools/judged-demo.yaml" >slow.yaml
sed 's/^    model: sim-judge-json$/&\n    concurrency: 1/' "$S/models/judges-demo.yaml" >judges.yaml
start_sim slow.yaml "$S/suites/judged-demo.yaml"
env UMPIRE_SIM_URL="$SIM_URL" "$UMPIRE" rescore j1 --db j.db --scaffold "$S/scaffolds/judged-json.yaml" \
  --models judges.yaml --json >killed.out 2>killed.err &
rpid=$!
for i in $(seq 1 200); do
  n=$(sql j.db "select count(*) from rescore_calls" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 3 ] && break
  sleep 0.05
done
kill -KILL "$rpid"
wait "$rpid" 2>/dev/null
n=$(sql j.db "select count(*) from rescore_calls where rescore_id='j1/rescore-1'")
all=$(sql j.db "select count(*) from attempts a join items i using (run_id, item_id)
  where json_extract(i.choices_json, '$.grader') = 'judge' and a.outcome is not 'context_overflow'")
check "the killed rescore left some of its calls ($n of $all)" test "$n" -ge 3 -a "$n" -lt "$all"
check "marked not finished: no table" \
  test "$(sql j.db "select summary_json from rescores where rescore_id='j1/rescore-1'")" = null
check "its calls and cost are those of the rows written" \
  test "$(sql j.db "select calls || '/' || cost_micro from rescores where rescore_id='j1/rescore-1'")" = \
       "$n/$(sql j.db "select sum(cost_micro) from rescore_calls where rescore_id='j1/rescore-1'")"
check "every call written has its request" \
  test "$(sql j.db "select count(*) from rescore_calls c left join requests r on r.body_sha256 = c.request_hash where r.body is null")" -eq 0

start_sim "$S/pools/judged-demo.yaml" "$S/suites/judged-demo.yaml"
expect_exit 0 "the next rescore" -- env UMPIRE_SIM_URL="$SIM_URL" \
  "$UMPIRE" rescore j1 --db j.db --scaffold "$S/scaffolds/judged-json.yaml" \
  --models "$S/models/judges-demo.yaml" --json
check "is numbered after the killed one" test "$(jq -r '.[0].rescore_id' "$WORK/out")" = j1/rescore-2
check "and finishes: its table stored as printed, every answer judged" \
  test "$(sql j.db "select summary_json from rescores where rescore_id='j1/rescore-2'" | jq -c '[.[] | .changed, .judged]')" = \
       "$(jq -c '[.[] | .changed, .judged]' "$WORK/out")" -a \
       "$(sql j.db "select count(distinct attempt_id) from rescore_calls where rescore_id='j1/rescore-2'")" -eq "$all"
export UMPIRE_KEY_DIR="$WORK/keys"
expect_exit 0 "bundle the run" -- "$UMPIRE" bundle j1 --db j.db --include-data -o j.tar.zst
mkdir x && tar --zstd -xf j.tar.zst -C x
check "the bundle leaves the unfinished rescore out, with its calls" \
  test "$(sql x/store.sqlite "select group_concat(rescore_id) from rescores")/$(sql x/store.sqlite "select count(*) from rescore_calls where rescore_id='j1/rescore-1'")" = "j1/rescore-2/0"
expect_exit 0 "and verifies" -- "$UMPIRE" verify j.tar.zst
check "reading the finished rescore's replies again" grep -q "rescores: 1 recorded" "$WORK/out"

# the last judge-graded item's reference answer unreadable: the answers
# before it are sent, then the rescore fails and nothing of it stays
cp j.db h.db
sql h.db "update items set choices_json = 'hashed' where item_id = (select max(item_id) from items
  where json_extract(choices_json, '$.grader') = 'judge')"
expect_exit 6 "a rescore that reaches an item it cannot judge again fails" -- env UMPIRE_SIM_URL="$SIM_URL" \
  "$UMPIRE" rescore j1 --db h.db --scaffold "$S/scaffolds/judged-json.yaml" \
  --models "$S/models/judges-demo.yaml" --json
check "saying why" grep -q "reference answer is not in the store" "$WORK/err"
check "and is removed with its calls" \
  test "$(sql h.db "select count(*) from rescores")/$(sql h.db "select count(*) from rescore_calls where rescore_id='j1/rescore-3'")" = 2/0
done_testing
