#!/usr/bin/env bash
# A write to the store fails in the middle of a run (a trigger refuses the
# attempts past a count, as a full disk would): the run stops with the
# store's message and the database exit code, every attempt written before
# the refused one is kept with its calls, the run is not marked complete, and
# a resume once the store takes writes again finishes it.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
planned=$((48 * 4 * 2))
run() { "$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-slow.yaml" --db f.db "$@"; }

"$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-slow.yaml" --db f.db \
  --run-id f1 --quiet --no-report >run1.out 2>run1.err &
pid=$!
wait_attempts f.db 40
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
before=$(sql f.db "select count(*) from attempts")
limit=$((before + 25))
sql f.db "create trigger refuse before insert on attempts
  when (select count(*) from attempts) >= $limit
  begin select raise(abort, 'no room left on the test device'); end"

expect_exit 8 "a refused write stops the resumed run with the database exit code" -- \
  run --resume f1 --quiet --no-report
check "the store's message is reported" grep -q "no room left on the test device" "$WORK/err"
after=$(sql f.db "select count(*) from attempts")
check "every attempt before the refused one is kept ($before, then $after)" \
  test "$after" -eq "$limit"
bare=$(sql f.db "select count(*) from attempts a
  where not exists (select 1 from calls c where c.attempt_id = a.attempt_id)")
check "each kept attempt has its calls" test "$bare" -eq 0
check "the run is not marked complete" \
  test "$(sql f.db "select status from runs where run_id='f1'")" != complete
check "the store is consistent" test "$(sql f.db 'pragma integrity_check')" = ok

sql f.db "drop trigger refuse"
expect_exit 0 "a resume finishes the run once the store takes writes" -- \
  run --resume f1 --quiet --no-report
check "every planned attempt is there once" \
  test "$(sql f.db "select count(distinct item_id||'/'||system||'/'||sample) from attempts")" \
  -eq "$planned" -a "$(sql f.db 'select count(*) from attempts')" -eq "$planned"
done_testing
