#!/usr/bin/env bash
# `umpire report` on big stores (docs/performance.md): builds a ~100k- and a
# ~1,000,000-attempt store of the demo suite once (4 zero-latency simulated
# systems; kept in STORES, default a temporary directory, so a second call
# reuses them), then times `umpire report --print none` on each, RUNS rounds
# (default 3), printing the median wall time, CPU time (user + system) and
# peak RSS (/usr/bin/time).
# BASE=path/to/another/umpire runs that binary too, alternating with UMPIRE
# in every round on the same store, and prints both side by side.
# SIZES="100k 1m" picks the stores (default both).
set -euo pipefail
: "${UMPIRE:?}" "${UMPIRE_SRCDIR:?}"
RUNS=${RUNS:-3}
SIZES=${SIZES:-100k 1m}
B="$UMPIRE_SRCDIR/bench"
S="$UMPIRE_SRCDIR/suites/demo.yaml"
W=$(mktemp -d "${TMPDIR:-/tmp}/umpire-report.XXXXXX")
STORES=${STORES:-$W}
mkdir -p "$STORES"
sim=
trap '[ -z "$sim" ] || kill "$sim" 2>/dev/null; rm -rf "$W"' EXIT

repeats_of() { case "$1" in 100k) echo 521 ;; 1m) echo 5209 ;; *) echo "size $1?" >&2; exit 2 ;; esac; }
build_store() { # size -> path of the store (built when missing)
  local db="$STORES/report-$1.db"
  if [ ! -s "$db" ]; then
    if [ -z "$sim" ]; then
      "$UMPIRE" simulate --pool "$B/pool-zero.yaml" --suite "$S" --port 0 \
        --port-file "$W/port" --lifetime 7200 --quiet >/dev/null 2>&1 &
      sim=$!
      for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
    fi
    rm -f "$db"*
    UMPIRE_SIM_URL="http://127.0.0.1:$(cat "$W/port")" "$UMPIRE" run "$S" \
      --models "$B/models-zero.yaml" --repeats "$(repeats_of "$1")" --jobs 256 --db "$db" \
      --no-report --quiet >/dev/null
  fi
  echo "$db"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
report_on() { # binary db -> "wall rss_kb cpu"
  rm -rf "$W/rep"
  /usr/bin/time -f '%e %M %U %S' -o "$W/time" "$1" report --db "$2" --reports "$W/rep" \
    --print none >/dev/null 2>"$W/err" || { cat "$W/err" >&2; exit 1; }
  awk '{print $1, $2, $3 + $4}' "$W/time"
}

echo "umpire $("$UMPIRE" --version | head -1); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
  db=$(build_store "$size")
  n=$(sqlite3 "$db" "select count(*) from attempts")
  : >"$W/new" && : >"$W/base"
  for _ in $(seq 1 "$RUNS"); do
    [ -z "${BASE:-}" ] || report_on "$BASE" "$db" >>"$W/base"
    report_on "$UMPIRE" "$db" >>"$W/new"
  done
  echo "== umpire report, $n attempts ($(($(stat -c %s "$db") / 1000000)) MB), $RUNS rounds (median) =="
  for f in base new; do
    [ -s "$W/$f" ] || continue
    w=$(awk '{print $1}' "$W/$f" | median); r=$(awk '{print $2}' "$W/$f" | median)
    c=$(awk '{print $3}' "$W/$f" | median)
    printf '  %-5s %8.2f s (CPU %.2f s), peak RSS %7.1f MiB  (wall/MiB: %s)\n' \
      "$([ $f = new ] && echo now || echo BASE)" "$w" "$c" \
      "$(awk -v r="$r" 'BEGIN {print r / 1024}')" "$(awk '{printf "%s/%.0f ", $1, $2 / 1024}' "$W/$f")"
  done
done
