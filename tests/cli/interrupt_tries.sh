#!/usr/bin/env bash
# Every try is recorded, even of attempts that never finished: an
# interrupt while tries wait for a retry (429 with Retry-After) writes those
# attempts as "interrupted" infrastructure errors with their calls; the
# resume runs them again and keeps the earlier tries in the counts.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
sed 's/format_misses: 0.05/format_misses: 0.05\n    faults: {rate_429: 0.15, retry_after_s: 3}/' \
  "$FIX/pool-slow.yaml" >pool-slow.yaml
cp "$FIX/models-slow.yaml" models.yaml

"$UMPIRE" run "$S/suites/demo.yaml" --models "$WORK/models.yaml" --db i.db --run-id i1 \
  --quiet --no-report >run.out 2>run.err &
pid=$!
for i in $(seq 1 100); do
  n=$(sql i.db "select count(*) from calls where http_status=429" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 1 ] && break
  sleep 0.1
done
sleep 0.5
kill -INT "$pid"; wait "$pid"
inter=$(sql i.db "select count(*) from attempts where error_class='interrupted'")
check "attempts waiting for a retry were written as interrupted ($inter)" test "$inter" -gt 0
check "with the tries they made" \
  test "$(sql i.db "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.error_class='interrupted'")" -ge "$inter"
before=$(sql i.db "select count(*) from calls")
# resumed until complete (a 429 can also exhaust an attempt's retries)
for i in 1 2 3 4; do
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$WORK/models.yaml" --db i.db --resume i1 --quiet \
    --no-report >/dev/null 2>&1 && break
done
check "the resume completes" test "$(sql i.db "select status from runs")" = complete
check "no interrupted attempt is left" \
  test "$(sql i.db "select count(*) from attempts where status<>'done'")" -eq 0
check "the earlier tries are kept ($before before, $(sql i.db "select count(*) from calls") after)" \
  test "$(sql i.db "select count(*) from calls")" -gt "$before"
check "each attempt's count of calls equals its calls" \
  test "$(sql i.db "select count(*) from attempts a where n_calls <> (select count(*) from calls c where c.run_id=a.run_id and c.attempt_id=a.attempt_id)")" -eq 0

# agentic: attempts interrupted between model turns are written with their
# calls and the commands they ran; the resume replaces those commands (the
# calls stay)
"$UMPIRE" run "$S/suites/terminal-demo.yaml" --models "$S/models/demo.yaml" --db t.db --run-id t1 \
  --limit 4 --no-report >t.out 2>t.err &
pid=$!
wait_attempts t.db 1 || wait_attempts t.db 1
kill -INT "$pid"; wait "$pid"
said=$(sed -n 's/.* \([0-9]*\) HTTP calls.*/\1/p' t.err)
inter=$(sql t.db "select count(*) from attempts where error_class='interrupted'")
check "agentic attempts in progress were written as interrupted ($inter)" test "$inter" -gt 0
check "every HTTP call the run made is recorded ($said said, $(sql t.db "select count(*) from calls") stored)" \
  test "$(sql t.db "select count(*) from calls")" = "$said"
# formatted as the run formats it (C's %.4f of a double): SQLite's own printf
# rounds a tie such as 7.00005 the other way
stored=$(awk -v n="$(sql t.db "select sum(cost_micro) from attempts")" 'BEGIN { printf "$%.4f", n / 1e6 }')
check "their cost is what the run said it spent ($stored stored)" \
  test "$stored" = "$(sed -n 's/.*; spent \(\$[0-9.]*\).*/\1/p' t.err)"
check "with the commands they ran" \
  test "$(sql t.db "select count(*) from tool_steps s join attempts a using (run_id, attempt_id) where a.error_class='interrupted'")" -gt 0
expect_exit 0 "the agentic run resumes to completion" -- \
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --models "$S/models/demo.yaml" --db t.db --resume t1 \
  --limit 4 --quiet --no-report
check "every attempt done" test "$(sql t.db "select count(*) from attempts where status<>'done'")" -eq 0
check "each attempt's commands are one try's (no seq twice)" \
  test "$(sql t.db "select count(*) from (select 1 from tool_steps group by attempt_id, seq having count(*) > 1)")" -eq 0
done_testing
