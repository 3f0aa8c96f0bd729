#!/usr/bin/env bash
# soak-kill.sh - SIGKILL umpire at random moments of a demo run with the
# recording proxy, resume after each kill, and check what the issue of lost
# and duplicated work asks: every planned attempt present exactly once and
# graded, and for every orchestrator attempt exactly the sub-calls of its
# committed try (the proxy's events equal the orchestrator's own account of
# them, and none belongs to an attempt that was never written).
#
# usage: scripts/soak-kill.sh KILLS [UMPIRE] [WORKDIR]
#   KILLS    how many SIGKILLs (CI: 10, nightly: 50 or more)
#   UMPIRE   the binary (default: build/umpire)
#   WORKDIR  where the store and logs go (default: a fresh temp directory)
# Prints TAP; exits 0 when every check holds.
set -u
export LC_ALL=C
cd "$(dirname "$0")/.."
S=$PWD
KILLS=${1:?usage: soak-kill.sh KILLS [UMPIRE] [WORKDIR]}
UMPIRE=$(realpath "${2:-$S/build/umpire}")
W=${3:-$(mktemp -d "${TMPDIR:-/tmp}/umpire-soak.XXXXXX")}
mkdir -p "$W/models" "$W/pools"
cd "$W"
unset UMPIRE_SIM_URL

n=0 fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
check() { local d="$1"; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }
sql() { sqlite3 -batch -noheader soak.db "$1"; }

# the demo, slowed down so that a kill lands mid-run, with the
# orchestrator's own account of its routing at /routing
sed 's/^latency_scale: .*/latency_scale: 0.6/' "$S/pools/demo.yaml" >pools/demo.yaml
cp "$S/models/demo-pool.yaml" models/
sed 's#^  - name: sim-conductor#  - name: sim-conductor\n    routing_report: {json_pointer: "/routing"}#' \
  "$S/models/demo.yaml" >models/demo.yaml
args=(run "$S/suites/demo.yaml" --models models/demo.yaml --db soak.db --run-id soak
      --quiet --no-report)
planned=$((48 * 5 * 2))

seed=${SOAK_SEED:-$$}
RANDOM=$seed
echo "# soak: $KILLS kills, seed $seed, in $W"
killed=0 first=1
for k in $(seq 1 "$KILLS"); do
  if [ $first -eq 1 ]; then "$UMPIRE" "${args[@]}" >>run.log 2>&1 & first=0
  else "$UMPIRE" "${args[@]}" --resume soak >>run.log 2>&1 & fi
  pid=$!
  # a random moment: 0.2 .. 2.0 s after start (start-up included)
  sleep "$(printf '0.%d' $((RANDOM % 9 + 1)))"
  [ $((RANDOM % 2)) -eq 0 ] && sleep 1
  if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null
  [ "$(sql 'pragma integrity_check')" = ok ] || bad "store consistent after kill $k"
done
check "$killed of $KILLS kills landed while umpire ran" test "$killed" -ge $((KILLS * 8 / 10))
"$UMPIRE" "${args[@]}" --resume soak >>run.log 2>&1
rc=$?
check "the last resume finishes (exit $rc)" test "$rc" -eq 0 -o "$rc" -eq 5
# a run with errors left (the pool's 429s and 500s can exhaust retries) is
# resumed until it is complete
for i in 1 2 3; do
  [ "$(sql "select status from runs where run_id='soak'")" = complete ] && break
  "$UMPIRE" "${args[@]}" --resume soak >>run.log 2>&1
done
check "run complete" test "$(sql "select status from runs where run_id='soak'")" = complete
check "every planned attempt present once ($(sql "select count(*) from attempts") of $planned)" \
  test "$(sql "select count(*) from attempts")" -eq $planned -a \
       "$(sql "select count(distinct item_id||'/'||system||'/'||sample) from attempts")" -eq $planned
check "every attempt graded" test "$(sql "select count(*) from attempts where status='done'")" -eq $planned
check "calls add up to each attempt's count" \
  test "$(sql "select count(*) from attempts a where n_calls <> (select count(*) from calls c
               where c.run_id=a.run_id and c.attempt_id=a.attempt_id)")" -eq 0
orphans=$(sql "select count(*) from routing_events e where e.attempt_id <> '' and not exists
               (select 1 from attempts a where a.run_id=e.run_id and a.attempt_id=e.attempt_id)")
check "no routing event of an attempt never written ($orphans)" test "$orphans" -eq 0
nocall=$(sql "select count(*) from routing_events where attempt_id <> '' and call_id is null")
check "every attributed routing event tied to its call ($nocall without)" test "$nocall" -eq 0
# per orchestrator attempt: what the proxy saw = what the orchestrator said
mism=$(sql "select count(*) from attempts a where a.system='sim-conductor' and
  (select count(*) from routing_events e where e.attempt_id=a.attempt_id and e.source='proxy')
  <> (select count(*) from routing_events e where e.attempt_id=a.attempt_id and e.source='self-report')")
dup=$(sql "select count(*) from attempts a where a.system='sim-conductor' and
  (select count(*) from routing_events e where e.attempt_id=a.attempt_id and e.source='proxy')
  > (select count(*) from routing_events e where e.attempt_id=a.attempt_id and e.source='self-report')")
none=$(sql "select count(*) from attempts a where a.system='sim-conductor' and not exists
  (select 1 from routing_events e where e.attempt_id=a.attempt_id and e.source='proxy')")
check "no orchestrator attempt with duplicated sub-calls ($dup)" test "$dup" -eq 0
check "no orchestrator attempt without its sub-calls ($none)" test "$none" -eq 0
check "sub-calls observed = sub-calls reported, per attempt ($mism differ)" test "$mism" -eq 0
check "no lease left behind" test "$(sql "select count(*) from leases")" -eq 0
echo "1..$n"
[ -z "${3:-}" ] && [ $fails -eq 0 ] && rm -rf "$W"
[ $fails -eq 0 ]
