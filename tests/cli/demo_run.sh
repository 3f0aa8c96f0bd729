#!/usr/bin/env bash
# The demo end to end: the shipped suite against the built-in simulated pool,
# then report determinism and the store's contents.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

expect_exit 0 "demo run completes" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$S/models/demo.yaml" --db demo.db \
  --run-id demo1 --reports rep
check "summary table printed on stdout" grep -q "sim-conductor" "$WORK/out"
check "report.json written" test -s rep/demo1/report.json
check "report.md written" test -s rep/demo1/report.md
n=$(sql demo.db "select count(*) from attempts where run_id='demo1'")
check "one attempt per item x system x sample (48 x 5 x 2 = 480, got $n)" test "$n" -eq 480
d=$(sql demo.db "select count(distinct item_id||'/'||system||'/'||sample) from attempts")
check "no duplicated attempt" test "$d" -eq 480
s=$(jq '.systems | length' rep/demo1/report.json)
check "report has five systems (got $s)" test "$s" -eq 5
check "report.md has the paired table" grep -qi "paired" rep/demo1/report.md
check "report.md has the claims table" grep -qi "claim" rep/demo1/report.md
check "every table of report.md is well formed (systems, categories, paired, claims, gaps, routing)" \
  python3 "$S/tests/tools/md_tables.py" rep/demo1/report.md 9
check "graded attempts all carry a score" \
  test "$(sql demo.db "select count(*) from attempts where status='done' and score is null")" -eq 0
# parity: every system got the same request for an item and sample (model removed)
p=$(sql demo.db "select count(*) from (select item_id, sample, count(distinct request_hash) h
   from attempts a join systems s on s.run_id=a.run_id and s.name=a.system
   where s.provider='openai' group by item_id, sample having h > 1)")
check "identical requests across openai-provider systems" test "$p" -eq 0
check "no API key or secret-looking value stored" \
  test "$(sql demo.db "select count(*) from systems where config_json like '%Bearer%'")" -eq 0

cp rep/demo1/report.json first.json
expect_exit 0 "umpire report regenerates" -- "$UMPIRE" report --db demo.db --reports rep demo1
check "report.json is byte-identical when regenerated" cmp -s first.json rep/demo1/report.json
expect_exit 0 "umpire report picks the newest run by default" -- \
  "$UMPIRE" report --db demo.db --reports rep2 --print json
check "--print json prints the same report" cmp -s first.json "$WORK/out"

# resuming a complete run does nothing and keeps the numbers
expect_exit 0 "resume of a complete run" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$S/models/demo.yaml" --db demo.db \
  --resume demo1 --reports rep --quiet
check "resume made no new calls" \
  test "$(sql demo.db "select count(*) from attempts")" -eq 480
check "resumed report identical" cmp -s first.json rep/demo1/report.json

# a whole vendor table against the store
expect_exit 0 "claims table renders" -- "$UMPIRE" claims "$S/claims/demo.yaml" --db demo.db
check "measured beside claimed" grep -q "| Demo science | Conductor | 88.0% | [0-9.]*% \[" "$WORK/out"
check "unmeasured benchmarks say so" grep -q "GPQA-Diamond | Conductor | 79.0% | not measured" "$WORK/out"
check "a claim far above the measurement is 'below claim'" grep -q "Cirrus | 70.0% .*below claim" "$WORK/out"
printf 'umpire: 1\ntitle: t\nsource: s\nbenchmarks:\n  - name: x\n    claims:\n      - {system: a, value: 120}\n' > badclaims.yaml
expect_exit 3 "a claims table with a value over 100" -- "$UMPIRE" claims badclaims.yaml --db demo.db
check "names file:line:col" grep -Eq "badclaims.yaml:7:[0-9]+:" "$WORK/err"

# same run id with a different configuration is refused
expect_exit 6 "run id reused with another repeats count is refused" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$S/models/demo.yaml" --db demo.db \
  --run-id demo1 --repeats 3 --quiet
check "the refusal names what differs" grep -qi "repeats" "$WORK/err"
# the attempts of each commit are written in (item, system, sample) order
# (record.c), so the table holds far fewer descents of that key in rowid
# order (about one a commit) than in the order the attempts finished
descents() { # ORDER BY clause -> descents of (item_id, system, sample)
  sql demo.db "with t as (select item_id i, system s, sample k, lag(item_id) over w pi,
    lag(system) over w ps, lag(sample) over w pk from attempts where run_id='demo1'
    window w as (order by $1))
    select count(*) from t where pi is not null and (i, s, k) < (pi, ps, pk)"
}
d_fin=$(descents "finished_ms, rowid")
d_row=$(descents "rowid")
check "the demo's attempts finish out of key order ($d_fin descents)" test "$d_fin" -ge 60
check "and are stored in key order within each commit ($d_row descents in rowid order)" \
  test $((d_row * 4)) -le "$d_fin"
done_testing
