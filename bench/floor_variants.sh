#!/usr/bin/env bash
# What would lower the transport floor (bench/floor.c) of the latency-bound
# run: 1,008 POSTs at 500 ms with 1,008 fresh connections, the engine's way
# and with each experiment of floor.c, the variants interleaved in every
# round against one simulator; medians of RUNS rounds (default 5) of the wall
# (process start to exit), start-up (to the first transfer added), dispatch
# (first to last added), the last request sent (from the first added) and
# the end (last answer to exit), in ms.
# VARIANTS='name=floor options;...' replaces the default list.
set -euo pipefail
: "${UMPIRE:?}" "${UMPIRE_SRCDIR:?}"
RUNS=${RUNS:-5}
FLOOR=${FLOOR:-$(dirname "$UMPIRE")/bench/floor}
B="$UMPIRE_SRCDIR/bench"
S="$UMPIRE_SRCDIR/suites/demo.yaml"
W=$(mktemp -d "${TMPDIR:-/tmp}/umpire-floor.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$W"' EXIT
VARIANTS=${VARIANTS:-"engine=;batch-1008=--batch 1008;no-keepalive=--no-keepalive;\
fastopen=--fastopen;no-cut=--no-cut;preconnect=--preconnect 1008;\
connect-thread=--connect-thread 1008"}

"$UMPIRE" simulate --pool "$B/pool-500ms.yaml" --suite "$S" --port 0 --port-file "$W/port" \
  --lifetime 3000 --quiet >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat "$W/port")"
# the body umpire sends to this pool's model
UMPIRE_SIM_URL="$URL" "$UMPIRE" run "$S" --models "$B/models-500ms.yaml" --repeats 1 \
  --jobs 64 --db "$W/l.db" --no-report --quiet >/dev/null
printf '%s' "$(sqlite3 "$W/l.db" "select body from requests limit 1")" >"$W/body"

IFS=';' read -r -a vs <<<"$VARIANTS"
for _ in $(seq 1 "$RUNS"); do
  for v in "${vs[@]}"; do
    name=${v%%=*}
    read -r -a args <<<"${v#*=}"
    t0=$(date +%s%3N)
    "$FLOOR" --url "$URL/v1/chat/completions" --body-file "$W/body" --n 1008 \
      --concurrency 1008 "${args[@]}" >"$W/out" || { echo "floor failed: $name" >&2; exit 1; }
    t1=$(date +%s%3N)
    awk -v t0="$t0" -v t1="$t1" '{
      for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      print t1 - t0, v["first_add"] - t0, v["last_add"] - v["first_add"],
        v["last_sent"] - v["first_add"], t1 - v["last_answer"] }' "$W/out" >>"$W/r.$name"
  done
done
med() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "1,008 x 500 ms, 1,008 fresh connections, $RUNS rounds (median ms; load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-16s %6s %6s %6s %6s %6s\n' variant wall start dispatch sent end
for v in "${vs[@]}"; do
  name=${v%%=*}
  printf '  %-16s' "$name"
  for k in 1 2 3 4 5; do awk -v k="$k" '{print $k}' "$W/r.$name" | med | xargs printf ' %6d'; done
  echo
done
