#!/usr/bin/env bash
# One live process owns a run: a second process on the same run id and
# store is refused while the first runs; after the first is killed, a
# resume takes its lease over and says so; a finished run leaves no lease.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
# the slow pool, slower still, so that the first run is still running
sed 's/median: 100/median: 400/' "$FIX/pool-slow.yaml" >pool-slow.yaml
cp "$FIX/models-slow.yaml" models.yaml

"$UMPIRE" run "$S/suites/demo.yaml" --models "$WORK/models.yaml" --db l.db \
  --run-id l1 --quiet --no-report >run1.out 2>run1.err &
pid=$!
for i in $(seq 1 150); do
  n=$(sql l.db "select count(*) from attempts" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge 10 ] && break
  sleep 0.1
done
check "the lease names the running process" \
  test "$(sql l.db "select pid from leases where run_id='l1'")" = "$pid"
expect_exit 6 "a second process on the same run is refused" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$WORK/models.yaml" --db l.db \
  --resume l1 --quiet --no-report
check "it names the owner" grep -q "is being run by process $pid" "$WORK/err"
kill -KILL "$pid"; wait "$pid" 2>/dev/null
expect_exit 0 "after a kill, the resume completes" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$WORK/models.yaml" --db l.db \
  --resume l1 --quiet --no-report
check "and says it took the dead process's lease over" \
  grep -q "took over the lease of process $pid" "$WORK/err"
check "no lease left after the run" test "$(sql l.db "select count(*) from leases")" -eq 0
check "no attempt run twice" \
  test "$(sql l.db "select count(*) from attempts")" -eq "$(sql l.db "select count(distinct item_id||system||sample) from attempts")"
done_testing
