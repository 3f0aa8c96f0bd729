#!/usr/bin/env bash
# What would lower the transport floor (bench/floor.c), each variant
# interleaved with the others in every round against one simulator, medians
# of RUNS rounds (default 5):
#  1. 1,008 POSTs at 500 ms with 1,008 fresh connections, the engine's way and
#     with each experiment of floor.c: the wall (process start to exit),
#     start-up (to the first transfer added), dispatch (first to last added),
#     the last request sent (from the first added) and the end (last answer to
#     exit), in ms;
#  2. (ZERO=1) 10,032 POSTs at zero latency, 64 connections: requests/s and CPU
#     per request of floor with libcurl and on plain sockets, beside wrk's, and
#     the simulator's CPU per request under each (from its /proc stat).
# VARIANTS='name=floor options;...' replaces the list of 1.
set -euo pipefail
: "${UMPIRE:?}" "${UMPIRE_SRCDIR:?}"
RUNS=${RUNS:-5}
FLOOR=${FLOOR:-$(dirname "$UMPIRE")/bench/floor}
B="$UMPIRE_SRCDIR/bench"
S="$UMPIRE_SRCDIR/suites/demo.yaml"
W=$(mktemp -d "${TMPDIR:-/tmp}/umpire-floor.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null || true; rm -rf "$W"' EXIT
VARIANTS=${VARIANTS:-"engine=;batch-1008=--batch 1008;no-keepalive=--no-keepalive;\
fastopen=--fastopen;no-cut=--no-cut;preconnect=--preconnect 1008;\
connect-thread=--connect-thread 1008;raw=--raw;raw-eager=--eager"}
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

start_sim() { # pool models -> URL, and the body umpire sends to the pool's model in $W/body
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -f "$W/port" "$W/l.db"*
  "$UMPIRE" simulate --pool "$1" --suite "$S" --port 0 --port-file "$W/port" \
    --lifetime 3000 --quiet >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
  URL="http://127.0.0.1:$(cat "$W/port")"
  UMPIRE_SIM_URL="$URL" "$UMPIRE" run "$S" --models "$2" --repeats 1 --jobs 64 \
    --db "$W/l.db" --no-report --quiet >/dev/null
  printf '%s' "$(sqlite3 "$W/l.db" "select body from requests limit 1")" >"$W/body"
}
floor() { # n concurrency options... -> the floor's line in $W/out
  local n=$1 c=$2
  shift 2
  "$FLOOR" --url "$URL/v1/chat/completions" --body-file "$W/body" --n "$n" \
    --concurrency "$c" "$@" >"$W/out" || { echo "floor failed: $*" >&2; exit 1; }
}

start_sim "$B/pool-500ms.yaml" "$B/models-500ms.yaml"
IFS=';' read -r -a vs <<<"$VARIANTS"
for _ in $(seq 1 "$RUNS"); do
  for v in "${vs[@]}"; do
    name=${v%%=*}
    read -r -a args <<<"${v#*=}"
    t0=$(date +%s%3N)
    floor 1008 1008 "${args[@]}"
    t1=$(date +%s%3N)
    awk -v t0="$t0" -v t1="$t1" '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      print t1 - t0, v["first_add"] - t0, v["last_add"] - v["first_add"],
        v["last_sent"] - v["first_add"], t1 - v["last_answer"] }' "$W/out" >>"$W/r.$name"
  done
done
echo "1,008 x 500 ms, 1,008 fresh connections, $RUNS rounds (median ms; load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-16s %6s %6s %6s %6s %6s\n' variant wall start dispatch sent end
for v in "${vs[@]}"; do
  name=${v%%=*}
  printf '  %-16s' "$name"
  for k in 1 2 3 4 5; do awk -v k="$k" '{print $k}' "$W/r.$name" | med | xargs printf ' %6d'; done
  echo
done

[ "${ZERO:-0}" = 1 ] || exit 0
command -v wrk >/dev/null || { echo "wrk is needed for ZERO=1" >&2; exit 1; }
start_sim "$B/pool-zero.yaml" "$B/models-zero.yaml"
python3 - "$W/body" >"$W/post.lua" <<'PY'
import json, sys
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.headers["Authorization"] = "Bearer sk-bench"')
print('wrk.body = ' + json.dumps(open(sys.argv[1]).read()))
PY
sim_cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; } # clock ticks
tick=$(getconf CLK_TCK)
zs=("libcurl=" "raw=--raw")
for _ in $(seq 1 "$RUNS"); do
  c0=$(sim_cpu)
  wrk -t1 -c64 -d5s -s "$W/post.lua" "$URL/v1/chat/completions" 2>/dev/null >"$W/wrk"
  awk -v c0="$c0" -v c1="$(sim_cpu)" -v t="$tick" '/requests in/ {n = $1}
    /^Requests\/sec/ {r = $2} END {print r, (c1 - c0) / t / n * 1e6}' "$W/wrk" >>"$W/z.wrk"
  for v in "${zs[@]}"; do
    read -r -a args <<<"${v#*=}"
    c0=$(sim_cpu)
    /usr/bin/time -f '%e %U %S' -o "$W/time" "$FLOOR" --url "$URL/v1/chat/completions" \
      --body-file "$W/body" --n 10032 --concurrency 64 "${args[@]}" >/dev/null
    awk -v c0="$c0" -v c1="$(sim_cpu)" -v t="$tick" '{
      print 10032 / $1, ($2 + $3) / 10032 * 1e6, (c1 - c0) / t / 10032 * 1e6 }' "$W/time" >>"$W/z.${v%%=*}"
  done
done
wr=$(awk '{print $1}' "$W/z.wrk" | med)
echo "zero latency, 64 connections, 10,032 requests, $RUNS rounds (median; load: $(cut -d' ' -f1-3 /proc/loadavg))"
awk '{print $2}' "$W/z.wrk" | med | awk -v r="$wr" '{
  printf "  %-16s %8.0f requests/s,                       the simulator %3.0f us\n", "wrk", r, $1 }'
for v in "${zs[@]}"; do
  name=${v%%=*}
  r=$(awk '{print $1}' "$W/z.$name" | med)
  c=$(awk '{print $2}' "$W/z.$name" | med)
  sc=$(awk '{print $3}' "$W/z.$name" | med)
  awk -v n="floor $name" -v r="$r" -v c="$c" -v w="$wr" -v sc="$sc" 'BEGIN {
    printf "  %-16s %8.0f requests/s (%.2f of wrk), %3.0f us CPU per request, the simulator %3.0f us\n", n, r, r / w, c, sc }'
done
