#!/usr/bin/env bash
# `umpire report` on big stores (docs/performance.md): builds a ~100k- and a
# ~1,000,000-attempt store of the demo suite once (4 zero-latency simulated
# systems; kept in STORES, default a temporary directory, so a second call
# reuses them), then times `umpire report --print none` on each, RUNS rounds
# (default 3), printing the median wall time, CPU time (user + system) and
# peak RSS (/usr/bin/time).
# BASE=path/to/another/umpire runs that binary too, alternating with UMPIRE
# in every round on the same data, and prints both side by side. An older
# build cannot open a store of a newer schema, so with BASE the store is
# built by BASE and UMPIRE reads a copy of it (report-SIZE.now.db, migrated
# once before the rounds).
# SIZES="100k 1m" picks the stores (default both).
# OWN=1 also builds each store with UMPIRE (report-SIZE.own.db) and times
# UMPIRE's report on it in the same rounds: what a build's write path does to
# the report it reads (the rows' layout; docs/performance.md).
# Also, in the same rounds: `umpire export --format csv` of the run, and
# `umpire verify` of its bundle (made once by the older build; for each size
# in VERIFY, default 100k).
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
VERIFY=${VERIFY-100k}
OLDEST=${BASE:-$UMPIRE}
export UMPIRE_KEY_DIR="$W/keys"
build_store() { # size [binary tag] -> path of the store (built when missing, by OLDEST)
  local bin=${2:-$OLDEST} db="$STORES/report-$1${3:-}.db"
  if [ ! -s "$db" ]; then
    if [ -z "$sim" ]; then
      "$UMPIRE" simulate --pool "$B/pool-zero.yaml" --suite "$S" --port 0 \
        --port-file "$W/port" --lifetime 7200 --quiet >/dev/null 2>&1 &
      sim=$!
      for _ in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
    fi
    rm -f "$db"*
    UMPIRE_SIM_URL="http://127.0.0.1:$(cat "$W/port")" "$bin" run "$S" \
      --models "$B/models-zero.yaml" --repeats "$(repeats_of "$1")" --jobs 256 --db "$db" \
      --no-report --quiet >/dev/null
  fi
  echo "$db"
}
now_store() { # size db -> the store UMPIRE reads: db, or with BASE a migrated copy
  local now="$STORES/report-$1.now.db"
  if [ -z "${BASE:-}" ]; then echo "$2"; return; fi
  if [ ! -s "$now" ]; then
    cp "$2" "$now.tmp" && mv "$now.tmp" "$now"
    "$UMPIRE" report --db "$now" --reports "$W/mig" --print none >/dev/null
  fi
  echo "$now"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { # command... -> "wall rss_kb cpu"
  /usr/bin/time -f '%e %M %U %S' -o "$W/time" "$@" >/dev/null 2>"$W/err" ||
    { cat "$W/err" >&2; exit 1; }
  awk '{print $1, $2, $3 + $4}' "$W/time"
}
report_on() { rm -rf "$W/rep"; timed "$1" report --db "$2" --reports "$W/rep" --print none; }
export_on() { timed "$1" export --db "$2" --format csv -o "$W/export.csv"; }
verify_on() { timed "$1" verify "$2" --pubkey "$UMPIRE_KEY_DIR/umpire.pub" --quiet; }
print_medians() { # title
  echo "== $1, $RUNS rounds (median) =="
  for f in base new own; do
    [ -s "$W/$f" ] || continue
    w=$(awk '{print $1}' "$W/$f" | median); r=$(awk '{print $2}' "$W/$f" | median)
    c=$(awk '{print $3}' "$W/$f" | median)
    printf '  %-5s %8.2f s (CPU %.2f s), peak RSS %7.1f MiB  (wall/MiB: %s)\n' \
      "$(case $f in new) echo now ;; own) echo own ;; *) echo BASE ;; esac)" "$w" "$c" \
      "$(awk -v r="$r" 'BEGIN {print r / 1024}')" "$(awk '{printf "%s/%.0f ", $1, $2 / 1024}' "$W/$f")"
  done
}
rounds() { # what old-arg new-arg title
  : >"$W/new" && : >"$W/base" && : >"$W/own"
  for _ in $(seq 1 "$RUNS"); do
    [ -z "${BASE:-}" ] || "$1_on" "$BASE" "$2" >>"$W/base"
    "$1_on" "$UMPIRE" "$3" >>"$W/new"
    [ "$1" != report ] || [ -z "${own:-}" ] || "$1_on" "$UMPIRE" "$own" >>"$W/own"
  done
  print_medians "$4"
}

echo "umpire $("$UMPIRE" --version | head -1); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for size in $SIZES; do
  db=$(build_store "$size")
  now=$(now_store "$size" "$db")
  own=
  [ "${OWN:-}" != 1 ] || own=$(build_store "$size" "$UMPIRE" .own)
  n=$(sqlite3 "$db" "select count(*) from attempts")
  mb=$(($(stat -c %s "$db") / 1000000))
  rounds report "$db" "$now" "umpire report, $n attempts ($mb MB)"
  rounds export "$db" "$now" "umpire export --format csv, $n attempts"
  case " $VERIFY " in *" $size "*) ;; *) continue ;; esac
  bundle="$STORES/report-$size.tar.zst"
  if [ ! -s "$bundle" ]; then
    cp "$db" "$W/b.db"
    "$OLDEST" bundle "$(sqlite3 "$db" "select run_id from runs")" -o "$bundle" --db "$W/b.db" \
      >/dev/null 2>&1
    cp "$UMPIRE_KEY_DIR/umpire.pub" "$bundle.pub"
    rm -f "$W/b.db"*
  fi
  mkdir -p "$UMPIRE_KEY_DIR" && cp "$bundle.pub" "$UMPIRE_KEY_DIR/umpire.pub"
  rounds verify "$bundle" "$bundle" "umpire verify of its bundle ($(($(stat -c %s "$bundle") / 1000000)) MB)"
done
echo "load after: $(cut -d" " -f1-3 /proc/loadavg)"
