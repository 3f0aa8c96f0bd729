#!/usr/bin/env bash
# The harness against the wire, side by side in one run (docs/performance.md):
#  1. wrk's requests/s and umpire's attempts/s against the same zero-latency
#     simulated endpoint on loopback, both with 64 connections on one thread,
#     and umpire's CPU time (user + system) per attempt;
#  2. 1,008 attempts (48 items x 21 samples) at 500 ms each with --jobs 1008
#     (all in flight at once: with fewer, the last ones need a second round
#     trip): wall time against the ideal (one round trip), the slowest call the
#     simulator answered, where the rest went (start-up to the first call,
#     dispatch from the first call to the last, the last answer to the exit),
#     and umpire's peak RSS;
#  3. the store's build rate at ~10k and ~100k attempts;
#  4. `umpire report` on the ~100k-attempt store (BIG=1: also ~1,000,000
#     attempts, which takes minutes to build): wall time and peak RSS.
# Each figure is the median of RUNS runs (default 3), rounds interleaved.
# BASE=path/to/an/older/umpire also runs that binary in every round of 1. and
# 2., interleaved with UMPIRE against the same simulator (the simulator is
# UMPIRE's), and prints both side by side with the store size at ~100k.
# ONLY=latency runs 2. alone (a few seconds a round).
# The transport floor (bench/floor.c, FLOOR=path; by default beside UMPIRE in
# its build directory, left out if not built) runs in every round of 1. and 2.
# too: libcurl alone on the engine's kind of loop, the same request body, N
# POSTs at the same concurrency, the answers dropped; its figures are printed
# beside wrk's and umpire's, with umpire's ratio to it; and floor --raw, the
# same traffic on plain sockets without libcurl: what the kernel and the
# simulator leave.
set -euo pipefail
: "${UMPIRE:?}" "${UMPIRE_SRCDIR:?}"
RUNS=${RUNS:-3}
B="$UMPIRE_SRCDIR/bench"
S="$UMPIRE_SRCDIR/suites/demo.yaml"
W=$(mktemp -d "${TMPDIR:-/tmp}/umpire-wire.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT
command -v wrk >/dev/null || { echo "wrk is needed (Debian package wrk)" >&2; exit 1; }
FLOOR=${FLOOR:-$(dirname "$UMPIRE")/bench/floor}
[ -x "$FLOOR" ] || { echo "no transport floor at $FLOOR (bench/floor.c): its lines are left out" >&2; FLOOR=; }

start_sim() { # pool -> sets URL
  "$UMPIRE" simulate --pool "$1" --suite "$S" --port 0 --port-file "$W/port" \
    --lifetime 3000 --quiet >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
  URL="http://127.0.0.1:$(cat "$W/port")"
  rm -f "$W/port"
}
run_floor() { # url body-file n concurrency [option] -> "wall cpu_s ok conns start-up dispatch sent end"
  # (ms: process start to the first transfer added, first to last added, first
  # added to the last request sent, last answer to the process's exit)
  local t0 t1 f_wall f_user f_sys
  t0=$(date +%s%3N)
  /usr/bin/time -f '%e %U %S' -o "$W/ftime" "$FLOOR" --url "$1/v1/chat/completions" \
    --body-file "$2" --n "$3" --concurrency "$4" "${@:5}" >"$W/fout" 2>"$W/ferr" ||
    { cat "$W/ferr" >&2; exit 1; }
  t1=$(date +%s%3N)
  read -r f_wall f_user f_sys <"$W/ftime"
  awk -v w="$f_wall" -v u="$f_user" -v s="$f_sys" -v t0="$t0" -v t1="$t1" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    print w, u + s, v["ok"], v["conns"], v["first_add"] - t0, v["last_add"] - v["first_add"],
      v["last_sent"] - v["first_add"], t1 - v["last_answer"] }' "$W/fout"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
run_umpire() { # models repeats jobs db [system] -> "wall rss_kb done cpu_s" (binary: $BIN)
  local models="$1" rep="$2" jobs="$3" db="$4" sys=()
  [ $# -ge 5 ] && sys=(--system "$5")
  rm -f "$db"*
  UMPIRE_SIM_URL="$URL" /usr/bin/time -f '%e %M %U %S' -o "$W/time" \
    "${BIN:-$UMPIRE}" run "$S" --models "$models" --repeats "$rep" --jobs "$jobs" --db "$db" \
    "${sys[@]}" --no-report --quiet >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  read -r t_wall t_rss t_user t_sys <"$W/time"
  echo "$t_wall $t_rss $(sqlite3 "$db" "select count(*) from attempts where status='done'")" \
    "$(awk -v u="$t_user" -v s="$t_sys" 'BEGIN {print u + s}')"
}

echo "umpire $("$UMPIRE" --version | head -1); $(wrk --version 2>&1 | head -1)"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024)" MiB"}' /proc/meminfo)"

if [ "${ONLY:-}" != latency ]; then
# 1. the wire and the harness, one system, 64 connections each
start_sim "$B/pool-zero.yaml"
run_umpire "$B/models-zero.yaml" 1 64 "$W/one.db" b-1 >/dev/null
body=$(sqlite3 "$W/one.db" "select body from requests limit 1")
printf '%s' "$body" >"$W/body"
python3 - "$body" > "$W/post.lua" <<'PY'
import json, sys
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "application/json"')
print('wrk.headers["Authorization"] = "Bearer sk-bench"')
print('wrk.body = ' + json.dumps(sys.argv[1]))
PY
: >"$W/wrk" && : >"$W/ump" && : >"$W/base" && : >"$W/ucpu" && : >"$W/bcpu"
: >"$W/flr" && : >"$W/fcpu" && : >"$W/rawr" && : >"$W/rawcpu"
for _ in $(seq 1 "$RUNS"); do
  wrk -t1 -c64 -d5s -s "$W/post.lua" "$URL/v1/chat/completions" 2>/dev/null |
    awk '/^Requests\/sec/ {print $2}' >>"$W/wrk"
  read -r wall _ done cpu < <(run_umpire "$B/models-zero.yaml" 209 64 "$W/z.db" b-1)
  awk -v w="$wall" -v d="$done" 'BEGIN {print d / w}' >>"$W/ump"
  awk -v c="$cpu" -v d="$done" 'BEGIN {print c / d * 1e6}' >>"$W/ucpu"
  if [ -n "${BASE:-}" ]; then
    read -r wall _ done cpu < <(BIN=$BASE run_umpire "$B/models-zero.yaml" 209 64 "$W/z.db" b-1)
    awk -v w="$wall" -v d="$done" 'BEGIN {print d / w}' >>"$W/base"
    awk -v c="$cpu" -v d="$done" 'BEGIN {print c / d * 1e6}' >>"$W/bcpu"
  fi
  [ -z "$FLOOR" ] && continue
  read -r wall cpu fok _ < <(run_floor "$URL" "$W/body" "$done" 64)
  awk -v w="$wall" -v d="$fok" 'BEGIN {print d / w}' >>"$W/flr"
  awk -v c="$cpu" -v d="$fok" 'BEGIN {print c / d * 1e6}' >>"$W/fcpu"
  read -r wall cpu fok _ < <(run_floor "$URL" "$W/body" "$done" 64 --raw)
  awk -v w="$wall" -v d="$fok" 'BEGIN {print d / w}' >>"$W/rawr"
  awk -v c="$cpu" -v d="$fok" 'BEGIN {print c / d * 1e6}' >>"$W/rawcpu"
done
wr=$(median <"$W/wrk"); ur=$(median <"$W/ump")
echo
echo "== zero latency, 64 connections, one thread, $RUNS rounds (median) =="
awk -v w="$wr" -v u="$ur" 'BEGIN {
  printf "  wrk requests/s:      %8.0f\n  umpire attempts/s:   %8.0f\n  ratio:               %8.2f\n", w, u, u / w }'
median <"$W/ucpu" | awk '{printf "  CPU per attempt:     %8.0f us (user + system)\n", $1}'
if [ -n "${BASE:-}" ]; then
  median <"$W/base" | awk -v w="$wr" '{
    printf "  BASE attempts/s:     %8.0f\n  BASE ratio:          %8.2f\n", $1, $1 / w }'
  median <"$W/bcpu" | awk '{printf "  BASE CPU per attempt:%8.0f us\n", $1}'
fi
if [ -n "$FLOOR" ]; then
  fr=$(median <"$W/flr")
  awk -v w="$wr" -v u="$ur" -v f="$fr" 'BEGIN {
    printf "  floor requests/s:    %8.0f (libcurl alone on the engine'"'"'s loop)\n", f
    printf "  floor / wrk:         %8.2f\n  umpire / floor:      %8.2f\n", f / w, u / f }'
  [ -n "${BASE:-}" ] && median <"$W/base" | awk -v f="$fr" '{
    printf "  BASE / floor:        %8.2f\n", $1 / f }'
  median <"$W/fcpu" | awk '{printf "  floor CPU per call:  %8.0f us (user + system)\n", $1}'
  median <"$W/rawr" | awk -v w="$wr" '{
    printf "  raw requests/s:      %8.0f (floor --raw: plain sockets, no libcurl)\n", $1
    printf "  raw / wrk:           %8.2f\n", $1 / w }'
  median <"$W/rawcpu" | awk '{printf "  raw CPU per call:    %8.0f us (user + system)\n", $1}'
fi

# 3. the store's build rate at ~10k and ~100k attempts (4 systems)
: >"$W/r10" && : >"$W/r100"
for _ in $(seq 1 "$RUNS"); do
  read -r wall _ done _ < <(run_umpire "$B/models-zero.yaml" 52 256 "$W/s10.db")
  awk -v w="$wall" -v d="$done" 'BEGIN {print d / w}' >>"$W/r10"
  read -r wall _ done _ < <(run_umpire "$B/models-zero.yaml" 521 256 "$W/s100.db")
  awk -v w="$wall" -v d="$done" 'BEGIN {print d / w}' >>"$W/r100"
done
r10=$(median <"$W/r10"); r100=$(median <"$W/r100")
echo
echo "== store build rate, 4 systems, --jobs 256, $RUNS rounds (median) =="
awk -v a="$r10" -v b="$r100" 'BEGIN {
  printf "  9,984 attempts:      %8.0f attempts/s\n  100,032 attempts:    %8.0f attempts/s\n  100k / 10k:          %8.2f\n", a, b, b / a }'
printf '  store at 100,032:    %8.1f MB\n' "$(stat -c %s "$W/s100.db" | awk '{print $1 / 1e6}')"

# 4. report on the big store
report_on() { # db -> "wall rss_kb"
  /usr/bin/time -f '%e %M' -o "$W/time" "$UMPIRE" report --db "$1" --reports "$W/rep" \
    --print none >/dev/null 2>&1
  cat "$W/time"
}
: >"$W/rep100"
for _ in $(seq 1 "$RUNS"); do report_on "$W/s100.db" >>"$W/rep100"; done
echo
echo "== umpire report, $RUNS runs (median) =="
awk '{print $1}' "$W/rep100" | median | xargs printf "  100,032 attempts:    %8.2f s" 
awk '{print $2}' "$W/rep100" | median | awk '{printf ", peak RSS %.1f MiB\n", $1 / 1024}'
if [ "${BIG:-0}" = 1 ]; then
  run_umpire "$B/models-zero.yaml" 5209 256 "$W/s1m.db" >/dev/null
  report_on "$W/s1m.db" | awk '{printf "  1,000,032 attempts:  %8.2f s, peak RSS %.1f MiB\n", $1, $2 / 1024}'
fi
kill "${pids[@]}" 2>/dev/null || true
fi

# 2. latency-bound: one round trip is the ideal
start_sim "$B/pool-500ms.yaml"
: >"$W/s" && : >"$W/maxlat" && : >"$W/sbase" && : >"$W/ph" && : >"$W/phbase"
: >"$W/sfloor" && : >"$W/phfloor" && : >"$W/sraw" && : >"$W/phraw"
phases() { # t0 t1 -> "start-up dispatch end" in ms: process start to the first call sent,
  # first to last call sent, last answer to the process's exit
  sqlite3 "$W/l.db" "select min(started_ms) - $1, max(started_ms) - min(started_ms),
    $2 - max(started_ms + latency_ms) from calls"
}
for _ in $(seq 1 "$RUNS"); do
  t0=$(date +%s%3N)
  run_umpire "$B/models-500ms.yaml" 21 1008 "$W/l.db" >>"$W/s"
  phases "$t0" "$(date +%s%3N)" >>"$W/ph"
  sqlite3 "$W/l.db" "select max(latency_ms) from calls" >>"$W/maxlat"
  if [ -n "${BASE:-}" ]; then
    t0=$(date +%s%3N)
    BIN=$BASE run_umpire "$B/models-500ms.yaml" 21 1008 "$W/l.db" >>"$W/sbase"
    phases "$t0" "$(date +%s%3N)" >>"$W/phbase"
  fi
  [ -z "$FLOOR" ] && continue
  [ -s "$W/body500" ] ||
    printf '%s' "$(sqlite3 "$W/l.db" "select body from requests limit 1")" >"$W/body500"
  run_floor "$URL" "$W/body500" 1008 1008 >"$W/fl"
  awk '{print $1, $4, $7}' "$W/fl" >>"$W/sfloor"
  awk '{print $5 "|" $6 "|" $8}' "$W/fl" >>"$W/phfloor"
  run_floor "$URL" "$W/body500" 1008 1008 --raw >"$W/fl"
  awk '{print $1, $4, $7}' "$W/fl" >>"$W/sraw"
  awk '{print $5 "|" $6 "|" $8}' "$W/fl" >>"$W/phraw"
done
print_phases() { # file label
  printf '  %-20s' "$2"
  for k in 1 2 3; do cut -d'|' -f"$k" "$1" | median | xargs printf ' %6d'; done
  echo " ms (start-up, dispatch, end)"
}
wall=$(awk '{print $1}' "$W/s" | median); rss=$(awk '{print $2}' "$W/s" | median)
maxlat=$(median <"$W/maxlat")
echo
echo "== 1,008 attempts at 500 ms each, --jobs 1008, $RUNS runs (median) =="
awk -v w="$wall" -v r="$rss" -v m="$maxlat" 'BEGIN {
  printf "  wall:                %8.2f s (ideal 0.50 s: %.2fx)\n", w, w / 0.5
  printf "  slowest call seen:   %8.2f s \n", m / 1000
  printf "  wall / slowest call: %8.2f\n  peak RSS:            %8.1f MiB\n", w / (m / 1000), r / 1024 }'
print_phases "$W/ph" "phases:"
if [ -n "${BASE:-}" ]; then
  awk '{print $1}' "$W/sbase" | median | awk '{
    printf "  BASE wall:           %8.2f s (%.2fx)\n", $1, $1 / 0.5 }'
  print_phases "$W/phbase" "BASE phases:"
fi
if [ -n "$FLOOR" ]; then
  fwall=$(awk '{print $1}' "$W/sfloor" | median)
  awk -v f="$fwall" -v u="$wall" 'BEGIN {
    printf "  floor wall:          %8.2f s (%.2fx; libcurl alone on the engine'"'"'s loop)\n", f, f / 0.5
    printf "  umpire / floor wall: %8.2f\n", u / f }'
  print_phases "$W/phfloor" "floor phases:"
  awk '{print $3}' "$W/sfloor" | median | xargs printf '  floor last sent:     %8d ms after its first call was added\n'
  awk '{print $2}' "$W/sfloor" | median | xargs printf '  floor connections:   %8d opened\n'
  awk '{print $1}' "$W/sraw" | median | awk '{
    printf "  raw wall:            %8.2f s (%.2fx; floor --raw: plain sockets, no libcurl)\n", $1, $1 / 0.5 }'
  print_phases "$W/phraw" "raw phases:"
  awk '{print $3}' "$W/sraw" | median | xargs printf '  raw last sent:       %8d ms after its first call was added\n'
fi
