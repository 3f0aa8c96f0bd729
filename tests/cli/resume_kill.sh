#!/usr/bin/env bash
# SIGKILL in the middle of a run, then resume: nothing committed is lost,
# no attempt is duplicated, and the finished run has every planned attempt.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
planned=$((48 * 4 * 2))

"$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-slow.yaml" --db k.db \
  --run-id k1 --quiet --no-report >run1.out 2>run1.err &
pid=$!
# wait until some attempts are committed, then kill without warning
wait_attempts k.db 40
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
before=$(sql k.db "select count(*) from attempts")
sql k.db "select attempt_id, finished_ms from attempts where status='done' order by 1" >before.txt
check "killed mid-run with some but not all attempts committed ($before of $planned)" \
  test "$before" -gt 0 -a "$before" -lt "$planned"
check "the store is consistent after SIGKILL" test "$(sql k.db 'pragma integrity_check')" = ok

expect_exit 0 "resume completes the run" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-slow.yaml" --db k.db \
  --resume k1 --quiet --reports rep
after=$(sql k.db "select count(*) from attempts where run_id='k1'")
check "every planned attempt present after resume ($after)" test "$after" -eq "$planned"
dist=$(sql k.db "select count(distinct item_id||'/'||system||'/'||sample) from attempts")
check "no duplicated attempt" test "$dist" -eq "$planned"
kept=$(sql k.db "select count(*) from attempts where status='done' and finished_ms > 0")
check "all attempts done" test "$kept" -eq "$planned"
sql k.db "select a.attempt_id, a.finished_ms from attempts a order by 1" >after.txt
changed=$(join -t '|' before.txt after.txt | awk -F'|' '$2 != $3' | wc -l)
missing=$(join -t '|' -v 1 before.txt after.txt | wc -l)
check "attempts committed before the kill were kept, not redone ($(wc -l <before.txt) kept)" \
  test "$missing" -eq 0 -a "$changed" -eq 0
check "report written after resume" test -s rep/k1/report.json
check "run marked complete" test "$(sql k.db "select status from runs where run_id='k1'")" = complete
done_testing
