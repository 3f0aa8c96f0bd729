#!/usr/bin/env bash
# report-identity.sh OLD NEW DIR: `umpire report` by two builds on every run
# of every store under DIR (copies of them: a report may migrate a store),
# with SOURCE_DATE_EPOCH fixed; prints one line per run and exits 1 when any
# report.json, report.md or HTML page differs, or one build refuses a run
# the other reports. Keep the stores of the scenario tests with
# `KEEP_WORK=1 TMPDIR=DIR meson test ...` (tests/cli/lib.sh) to check that
# a change keeps the report's bytes (docs/performance.md).
set -u
[ $# -eq 3 ] || { echo "usage: $0 OLD-UMPIRE NEW-UMPIRE DIR" >&2; exit 2; }
OLD=$1 NEW=$2 DIR=$3
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
T=$(mktemp -d "${TMPDIR:-/tmp}/report-identity.XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0 bad=0
while IFS= read -r db; do
  head -c 16 "$db" 2>/dev/null | grep -q "SQLite format 3" || continue
  runs=$(sqlite3 "$db" "SELECT run_id FROM runs" 2>/dev/null) || continue
  for r in $runs; do
    rm -rf "$T"/*
    for side in old new; do
      cp "$db" "$T/$side.db" && { [ ! -f "$db-wal" ] || cp "$db-wal" "$T/$side.db-wal"; }
    done
    "$OLD" report "$r" --db "$T/old.db" --reports "$T/old" --print none >/dev/null 2>&1; oc=$?
    "$NEW" report "$r" --db "$T/new.db" --reports "$T/new" --print none >/dev/null 2>&1; nc=$?
    n=$((n + 1))
    if [ "$oc" -ne "$nc" ]; then
      echo "exit $oc vs $nc: $db $r"; bad=$((bad + 1))
    elif [ "$oc" -eq 0 ] && ! diff -r "$T/old" "$T/new" >/dev/null; then
      echo "differs: $db $r"; diff -r "$T/old" "$T/new" | head -5; bad=$((bad + 1))
    else
      echo "same: $db $r"
    fi
  done
done < <(find "$DIR" -type f \( -name '*.db' -o -name '*.sqlite' \) | sort)
echo "runs: $n, differing: $bad"
[ "$bad" -eq 0 ]
