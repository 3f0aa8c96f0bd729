#!/usr/bin/env bash
# A system's requests_per_minute and tokens_per_minute (docs/models.md,
# "Rate limits"): the run paces its calls within them, every attempt is
# still graded, and a bad limit is refused at its line and column. The
# timing checks are lower bounds: the limiter only ever delays.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

expect_exit 0 "a run with rate limits completes" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-limits.yaml" --db l.db \
  --run-id l1 --repeats 1 --quiet --no-report
n=$(sql l.db "select count(*) from attempts where run_id='l1' and status='done'")
check "every attempt graded (48 x 2, got $n)" test "$n" -eq 96

# 1,200 a minute is 20 a second with 20 at once: the k-th call (from 0)
# starts at least (k - 19) x 50 ms after the first
sql l.db "select started_ms from calls where attempt_id in
  (select attempt_id from attempts where system='sim-a') order by started_ms" >a.starts
late=$(awk 'NR == 1 {t0 = $1} NR > 20 && $1 - t0 < (NR - 20) * 50 - 3 {bad++}
  END {print bad + 0}' a.starts)
check "sim-a's 48 calls keep to 20 a second ($late too early)" test "$late" -eq 0
span=$(awk 'NR == 1 {t0 = $1} END {print $1 - t0}' a.starts)
check "they span at least 1.4 s (${span} ms)" test "$span" -ge 1397
# the simulated provider allows sim-a 1,200 a minute too (pool-limits.yaml,
# two seconds' worth at once): kept to, it refuses none
n429=$(sql l.db "select count(*) from calls where http_status = 429")
check "a run within the provider's limit meets no 429 ($n429)" test "$n429" -eq 0

# 120,000 tokens a minute is 2,000 a second with 2,000 at once: whatever
# a call of sim-b used, the tokens of the calls started before the last
# one, less the first second's and a few calls' worth (overshoot, and the
# running mean each call is charged at first), were
# refilled at 2 a millisecond
read -r t_span t_before t_max < <(sql l.db "with c as (select started_ms s,
  tokens_in + tokens_out t from calls where attempt_id in
  (select attempt_id from attempts where system='sim-b'))
  select max(s) - min(s), (select sum(t) from c where s < (select max(s) from c)), max(t) from c" |
  tr '|' ' ')
need=$(( (t_before - 2000 - 4 * t_max) / 2 ))
check "sim-b's calls keep to 2,000 tokens a second (${t_span} ms for $t_before tokens, >= $need)" \
  test "$t_span" -ge "$need"

# the same run without the limit in models.yaml: the provider refuses the
# calls past its burst, and the run retries them until all are graded
cp "$FIX/pool-limits.yaml" .
grep -v "requests_per_minute" "$FIX/models-limits.yaml" >m-free.yaml
expect_exit 0 "the run without the limit completes" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models m-free.yaml --db f.db \
  --run-id f1 --repeats 1 --system sim-a --quiet --no-report
n429=$(sql f.db "select count(*) from calls where http_status = 429")
check "it met the provider's 429s ($n429)" test "$n429" -gt 0
n=$(sql f.db "select count(*) from attempts where status = 'done'")
check "and graded every attempt after retrying them ($n of 48)" test "$n" -eq 48
bad_ra=$(sql f.db "select count(*) from calls where http_status = 429 and
  error not like '%429%'")
check "each refusal is recorded as the 429 it was" test "$bad_ra" -eq 0

for bad in "requests_per_minute: 0" "requests_per_minute: -3" "tokens_per_minute: lots" \
  "tokens_per_minute: 1.5"; do
  sed "s/    requests_per_minute: 1200/    $bad/" "$FIX/models-limits.yaml" >m-bad.yaml
  expect_exit 3 "'$bad' is refused" -- \
    "$UMPIRE" run "$S/suites/demo.yaml" --models m-bad.yaml --db bad.db --quiet --no-report
  check "at the file's line and column ($bad)" grep -Eq "m-bad.yaml:11:[0-9]+: '${bad%%:*}'" "$WORK/err"
done
check "nothing was stored by the refused runs" test ! -s bad.db
done_testing
