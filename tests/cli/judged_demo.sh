#!/usr/bin/env bash
# The judged demo end to end on the simulated pool: every grader (exact,
# numeric, mrcr, graphwalks, judge; a judged item with a chart), the judge's calls recorded with their attempts and
# never billed to the systems, a judge reply out of format and a prompt too
# long for one model as outcomes (neither wrong nor errors), fractional
# scores, and a report that is the same when regenerated.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

expect_exit 0 "judged demo run completes" -- \
  "$UMPIRE" run "$S/suites/judged-demo.yaml" --models "$S/models/judged-demo.yaml" \
  --db j.db --run-id j1 --reports rep
n=$(sql j.db "select count(*) from attempts where run_id='j1'")
check "12 items x 3 systems, the judge not among them (got $n)" test "$n" -eq 36
check "the judge is no system of the run" \
  test "$(sql j.db "select count(*) from systems where name='sim-judge'")" -eq 0
jc=$(sql j.db "select count(*) from calls where turn = -1")
ja=$(sql j.db "select count(*) from attempts a join items i using (run_id, item_id)
   where json_extract(i.choices_json, '$.grader') = 'judge' and a.outcome is not 'context_overflow'")
check "one judge call per judge-graded attempt ($jc calls, $ja attempts)" test "$jc" -eq "$ja"
sys=$(sql j.db "select sum(cost_micro) from attempts")
calls=$(sql j.db "select sum(cost_micro) from calls where turn >= 0")
judge=$(sql j.db "select sum(cost_micro) from calls where turn = -1")
check "the systems' cost is their own calls' ($sys = $calls), the judge's ($judge) apart" \
  test "$sys" -eq "$calls" -a "$judge" -gt 0
# the summary's "spent" is the money the run spent: the systems' calls and
# the judge's (printed in USD with 4 decimals)
spent=$(cat "$WORK/out" "$WORK/err" | sed -n 's/.*; spent \$\([0-9.]*\)$/\1/p' | tail -1)
check "the summary's spent counts the judge's calls too (\$$spent)" \
  test "$spent" = "$(awk -v c="$calls" -v j="$judge" 'BEGIN { printf "%.4f", (c + j) / 1e6 }')"
check "sim-cirrus's longest conversation overflows its context: an outcome" \
  test "$(sql j.db "select count(*) from attempts where system='sim-cirrus' and item_id='mr-2'
    and status='done' and outcome='context_overflow'")" -eq 1
check "a judge reply out of format is the outcome judge_error" \
  test "$(sql j.db "select count(*) from attempts where outcome='judge_error'")" -ge 1
check "the run is complete: outcomes are not infrastructure errors" \
  test "$(sql j.db "select status from runs where run_id='j1'")" = complete
check "MRCR scores are fractional" \
  test "$(sql j.db "select count(*) from attempts where reward > 0 and reward < 1")" -ge 1
check "Graphwalks answers scored by set F1 (a node left out: 2/3)" \
  test "$(sql j.db "select count(*) from attempts where item_id = 'gw-1' and abs(reward - 2.0/3) < 1e-9")" -ge 1 -a \
       "$(sql j.db "select count(*) from attempts where item_id like 'gw-%' and reward is null and outcome is null")" -eq 0
check "the node list read is kept with the grade" \
  test "$(sql j.db "select count(*) from attempts where item_id = 'gw-1' and extracted like '[%'")" -eq 3
check "the chart item's request carried its image, its judge's did not" \
  test "$(sql j.db "select count(*) from requests where instr(cast(body as text), 'umpire-image:sha256:') > 0")" -eq 3 -a \
       "$(sql j.db "select count(*) from images")" -eq 1
check "report.json counts the outcomes apart" \
  test "$(jq '[.systems[].attempts.outcomes // {} | to_entries[].value] | add' rep/j1/report.json)" \
    -eq "$(sql j.db "select count(*) from attempts where outcome is not null")"
check "report.json says the scoring is partial" \
  test "$(jq -r .scoring rep/j1/report.json)" = partial
check "report.md has the judged part and the bins" \
  grep -q "| System | <=32 | <=128 | >128 |" rep/j1/report.md
check "sim-cirrus's overflow shows in its longest bin" grep -q "^| sim-cirrus | .* – (1 outcomes) |" rep/j1/report.md
check "the judge's cost per system is in report.json" \
  test "$(jq '[.systems[].judged.judge.cost_micro] | add' rep/j1/report.json)" -eq "$judge"
check "every table of report.md is well formed" python3 "$S/tests/tools/md_tables.py" rep/j1/report.md 5
check "report.html has the judged table with the bins" \
  grep -q '<th>&gt;128 tokens</th>' rep/j1/report.html
check "report.html's item table marks outcomes as such, not as errors" \
  test "$(grep -o '<a class="out"' rep/j1/report.html | wc -l)" -eq \
    "$(sql j.db "select count(*) from attempts where run_id='j1' and outcome is not null")"
check "report.html's Outcomes cells are bound to report.json, count by count" \
  test "$(grep -o 'data-json="/systems/[0-9]*/attempts/outcomes/[a-z_]*" data-fmt="int">[0-9]*<' rep/j1/report.html |
    sed 's/.*data-fmt="int">\([0-9]*\)</\1/' | awk '{ n += $1 } END { print n + 0 }')" -eq \
    "$(jq '[.systems[].attempts.outcomes // {} | to_entries[].value] | add' rep/j1/report.json)"
check "report.html's transcripts name the judge's calls" \
  test "$(grep -c "the judge's, try" rep/j1/report.html)" -eq "$jc"
cp rep/j1/report.json first.json
expect_exit 0 "umpire report regenerates" -- "$UMPIRE" report --db j.db --reports rep j1
check "report.json is byte-identical when regenerated" cmp -s first.json rep/j1/report.json

expect_exit 0 "export the run" -- "$UMPIRE" export j1 --db j.db --format jsonl -o j.jsonl
check "an attempt that ended in an outcome exports no score" \
  test "$(jq -s '[.[] | select(.score == null)] | length' j.jsonl)" -eq \
    "$(sql j.db "select count(*) from attempts where outcome is not null")"

# the audit bundle: every grade re-derived from the stored answers and the
# judge's stored replies; a judge verdict changed and re-signed is caught
export UMPIRE_KEY_DIR="$WORK/keys"
expect_exit 0 "bundle with the data" -- "$UMPIRE" bundle j1 --db j.db --include-data -o j.tar.zst
expect_exit 0 "verify re-grades every judged attempt" -- "$UMPIRE" verify j.tar.zst
check "all 36 agree" grep -q "re-graded: 36 attempts" "$WORK/out"
mkdir x && tar --zstd -xf j.tar.zst -C x
aid=$(sql x/store.sqlite "select attempt_id from attempts a join items i using (run_id, item_id)
  where json_extract(i.choices_json, '$.grader') = 'judge' and a.score = 0 and a.outcome is null limit 1")
sql x/store.sqlite "update attempts set score = 1 where attempt_id = '$aid'"
bundle_resign x; (cd x && tar --zstd -cf ../t.tar.zst $(ls))
expect_exit 6 "a judged score changed and re-signed is detected" -- "$UMPIRE" verify t.tar.zst
check "the message names the attempt and the score" grep -q "attempt $aid.*score" "$WORK/err"
expect_exit 0 "bundle without the data" -- "$UMPIRE" bundle j1 --db j.db -o jn.tar.zst
expect_exit 0 "verifies too" -- "$UMPIRE" verify jn.tar.zst
check "saying which grades need the reference answers" grep -q "not re-graded: 23 judged answers" "$WORK/out"

# judging again with another judge (JSON replies): no system is called, the
# run's rows stay as they are, and the rescore is recorded beside them
start_sim "$S/pools/judged-demo.yaml" "$S/suites/judged-demo.yaml"
before=$(sql j.db "select count(*) from calls")
expect_exit 0 "rescore with another judge" -- env UMPIRE_SIM_URL="$SIM_URL" \
  "$UMPIRE" rescore j1 --db j.db --scaffold "$S/scaffolds/judged-json.yaml" \
  --models "$S/models/judges-demo.yaml" --json
cp "$WORK/out" rs1.json
t=$(jq '[.[] | .judged + .recovered + .judge_errors + .failed] | add' rs1.json)
check "every judge-graded answer judged again ($t of 12)" test "$t" -eq 12
check "the stored judge errors get a verdict" \
  test "$(jq '[.[].recovered] | add' rs1.json)" -eq "$(sql j.db "select count(*) from attempts where outcome='judge_error'")"
check "by the judge the scaffold names" test "$(jq -r '.[0].judge' "$WORK/out")" = sim-judge-json
check "the run's own calls untouched" test "$(sql j.db "select count(*) from calls")" -eq "$before"
check "the rescore recorded beside the run, with its judge" \
  test "$(sql j.db "select rescore_id || ' ' || judge_system || ' ' || judge_format from rescores where run_id='j1'")" = "j1/rescore-1 sim-judge-json json" -a \
       "$(jq -r '.[0].rescore_id' rs1.json)" = j1/rescore-1
check "every call of the rescore's judge stored, with the attempt it judged again" \
  test "$(sql j.db "select count(*) from rescore_calls c join attempts a using (attempt_id) where c.rescore_id='j1/rescore-1'")" -eq \
       "$(sql j.db "select calls from rescores where rescore_id='j1/rescore-1'")" -a \
       "$(sql j.db "select count(distinct attempt_id) from rescore_calls where rescore_id='j1/rescore-1'")" -eq 12
check "their requests stored, their cost adding up to the rescore's" \
  test "$(sql j.db "select count(*) from rescore_calls c left join requests r on r.body_sha256 = c.request_hash where r.body is null")" -eq 0 -a \
       "$(sql j.db "select sum(cost_micro) from rescore_calls")" -eq "$(sql j.db "select cost_micro from rescores")" -a \
       "$(sql j.db "select cost_micro from rescores")" -gt 0
check "the verdicts stored are the table's" \
  test "$(sql j.db "select count(*) from rescore_calls where verdict = 1")" -eq \
       "$(jq '[.[] | .correct_rejudged + .recovered_correct] | add' rs1.json)"
check "the table stored as printed" \
  test "$(sql j.db "select summary_json from rescores" | jq -c '[.[] | .changed, .judged]')" = \
       "$(jq -c '[.[] | .changed, .judged]' rs1.json)"
expect_exit 0 "the run's own judge agrees with its stored verdicts" -- env UMPIRE_SIM_URL="$SIM_URL" \
  "$UMPIRE" rescore j1 --db j.db --scaffold "$S/scaffolds/judged.yaml" \
  --models "$S/models/judges-demo.yaml" --json
check "no verdict flipped" test "$(jq '[.[].changed] | add' "$WORK/out")" -eq 0
check "a second rescore is recorded apart" \
  test "$(sql j.db "select group_concat(rescore_id, ',') from (select rescore_id from rescores order by rescore_id)")" = "j1/rescore-1,j1/rescore-2"
expect_exit 0 "a bundle carries the run's rescores" -- "$UMPIRE" bundle j1 --db j.db --include-data -o jr.tar.zst
mkdir xr && tar --zstd -xf jr.tar.zst -C xr
check "both rescores, every judge call and its request" \
  test "$(sql xr/store.sqlite "select count(*) from rescores")/$(sql xr/store.sqlite "select count(*) from rescore_calls")/$(sql xr/store.sqlite "select count(*) from rescore_calls c left join requests r on r.body_sha256 = c.request_hash where r.body is null")" = \
       "2/$(sql j.db "select count(*) from rescore_calls")/0"
expect_exit 0 "and verifies" -- "$UMPIRE" verify jr.tar.zst
check "every recorded judge reply read again" \
  grep -q "rescores: 2 recorded, $(sql j.db "select count(*) from rescore_calls where error is null or error like 'judge_error%'") judge replies read again, all agree" "$WORK/out"
rid=$(sql xr/store.sqlite "select attempt_id from rescore_calls where rescore_id='j1/rescore-1' and verdict = 0 limit 1")
sql xr/store.sqlite "update rescore_calls set verdict = 1 where rescore_id='j1/rescore-1' and attempt_id='$rid'"
bundle_resign xr; (cd xr && tar --zstd -cf ../tr.tar.zst $(ls))
expect_exit 6 "a rescore's verdict changed and re-signed is detected" -- "$UMPIRE" verify tr.tar.zst
check "naming the rescore, the attempt and both verdicts" \
  grep -q "rescore j1/rescore-1: attempt $rid try 1: the stored verdict 1 .*gives 0" "$WORK/err"
expect_exit 0 "merging the store carries the run's rescores" -- "$UMPIRE" merge -o m.db j.db
check "both rescores, their calls and their requests" \
  test "$(sql m.db "select count(*) from rescores")/$(sql m.db "select count(*) from rescore_calls")/$(sql m.db "select count(*) from rescore_calls c left join requests r on r.body_sha256 = c.request_hash where r.body is null")" = \
       "2/$(sql j.db "select count(*) from rescore_calls")/0"
# a part of the same run (no attempts in common) that recorded a rescore
# under an id the merged store holds: refused, not dropped
cp j.db k.db
sql k.db "pragma foreign_keys=on; delete from attempt_cache; delete from calls; delete from tool_steps;
  delete from routing_events; delete from attempts"
expect_exit 6 "a rescore id both stores hold is refused" -- "$UMPIRE" merge -o m.db k.db
check "saying why" grep -q "both stores record a rescore under the same id" "$WORK/err"
expect_exit 2 "a judged scaffold without --models is refused" -- \
  "$UMPIRE" rescore j1 --db j.db --scaffold "$S/scaffolds/judged-json.yaml"
check "saying what is missing" grep -q -- "--models FILE" "$WORK/err"

expect_exit 0 "a resumed run calls nothing" -- \
  "$UMPIRE" run "$S/suites/judged-demo.yaml" --models "$S/models/judged-demo.yaml" \
  --db j.db --resume j1 --reports rep
check "still 36 attempts and the same judge calls" \
  test "$(sql j.db "select count(*) from attempts")/$(sql j.db "select count(*) from calls where turn = -1")" = "36/$jc"

# answers from the response cache are judged all the same, and those judge
# calls are recorded (they were made)
expect_exit 0 "a second run answered from the cache" -- \
  "$UMPIRE" run "$S/suites/judged-demo.yaml" --models "$S/models/judged-demo.yaml" \
  --db j.db --run-id j2 --cache all
check "its answers came from the cache" \
  test "$(sql j.db "select count(*) from attempt_cache where run_id='j2'")" -ge 20
check "and every judge call is recorded" \
  test "$(sql j.db "select count(*) from calls where run_id='j2' and turn = -1")" -eq "$jc"

expect_exit 2 "--system naming the judge is refused" -- \
  "$UMPIRE" run "$S/suites/judged-demo.yaml" --models "$S/models/judged-demo.yaml" \
  --db j2.db --system sim-judge
check "the message says it is the judge" grep -q "is the judge" "$WORK/err"
done_testing
