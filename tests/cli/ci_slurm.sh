#!/usr/bin/env bash
# The Slurm example for real: a one-node cluster (scripts/slurm.sh, started
# here when it is not up, stopped again at the end if this test started it),
# the demo sharded 3 ways over a job array, merged by a dependent job; the
# merged report must equal an unsharded run's (same seed and run id) apart
# from timings. Never skipped: CI installs slurm-wlm and munge (deps.sh).
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

# One Slurm scenario at a time on a machine (other checkouts run this test
# too): the one that started the cluster stops it at its end, so no other may
# be halfway through then. The lock is released when this shell exits.
exec 9>/tmp/umpire-slurm-scenario.lock
flock -w 250 9 || echo "# another Slurm scenario held the lock for 250 s; going on"
started=$("$S/scripts/slurm.sh" start 2>"$WORK/slurm.err")
check "one-node Slurm cluster is up ($started)" "$S/scripts/slurm.sh" status
[ "$started" = started ] && trap '"$S/scripts/slurm.sh" stop; cleanup' EXIT
diag "$WORK/slurm.err"

export UMPIRE SUITE="$S/suites/demo.yaml" MODELS="$S/models/demo.yaml" RUN_ID=nightly \
  OUT="$WORK/nightly" SHARDS=3
expect_exit 0 "examples/slurm/nightly.sh: 3 shards and the merge job" -- "$S/examples/slurm/nightly.sh"
diag "$WORK/out"
check "three shard stores written" test -s nightly/shard-0.db -a -s nightly/shard-1.db -a -s nightly/shard-2.db
for i in 0 1 2; do
  n=$(sql nightly/shard-$i.db "select count(*) from attempts")
  check "shard $i holds its third of the plan (160 attempts, got $n)" test "$n" -eq 160
done
check "the shard jobs logged progress lines or their summary" \
  grep -q "attempts" nightly/umpire-shard-*_0.log
check "merged report written" test -s nightly/reports/nightly/report.json

expect_exit 0 "the same run unsharded" -- "$UMPIRE" run "$SUITE" --models "$MODELS" \
  --run-id nightly --db whole.db --reports whole --quiet
F='walk(if type == "object" then with_entries(select(.key | test("latency") | not)) else . end)'
jq -S "$F" nightly/reports/nightly/report.json >merged.json
jq -S "$F" whole/nightly/report.json >whole.json
check "merged report equals the unsharded one apart from timings" cmp -s merged.json whole.json
cmp -s merged.json whole.json || diff merged.json whole.json | head -20 | sed 's/^/# /'
check "merged run is complete and not partial" \
  test "$(jq -r '.complete, (.run | has("partial"))' nightly/reports/nightly/report.json | tr '\n' ' ')" = "true false "

# merging a shard twice, or parts of different runs, is refused
expect_exit 6 "a shard merged twice is refused" -- "$UMPIRE" merge -o nightly/merged.db nightly/shard-1.db
check "the refusal names the attempt" grep -q "in both stores" "$WORK/err"
"$UMPIRE" run "$SUITE" --models "$MODELS" --run-id nightly --db other.db --repeats 1 \
  --shard 0/3 --quiet --no-report >/dev/null 2>&1
expect_exit 6 "a part made with other repeats is refused" -- \
  "$UMPIRE" merge -o fresh.db nightly/shard-1.db other.db
check "the refusal names what differs" grep -q "repeats" "$WORK/err"
check "all or nothing: the refused part left no attempt behind" \
  test "$(sql fresh.db "select count(*) from attempts")" -eq 160
printf 'not a database at all, only text\n' > garbage.db
expect_exit 8 "merging a file that is not a store" -- "$UMPIRE" merge -o fresh.db garbage.db
done_testing
