#!/usr/bin/env bash
# fuzz.sh - build the libFuzzer harnesses of fuzz/ with clang, ASan and
# UBSan (build-fuzz/) and run each for SECONDS seconds on a copy of its seed
# corpus. CI runs a short pass (scripts/test.sh: 10 s each); a nightly runs
# it longer (scripts/nightly.sh: 600 s each). Exits non-zero on the first
# crash, leak or sanitizer report; the reproducer is left in build-fuzz/.
# usage: scripts/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=(yml toml provider sign swe_logs judged scicode code)
if [ ! -f build-fuzz/build.ninja ]; then
  CC=clang meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null
fi
ninja -C build-fuzz $(for h in "${harnesses[@]}"; do echo "fuzz/fuzz_$h"; done) >/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for h in "${harnesses[@]}"; do
  work="build-fuzz/corpus-$h"
  mkdir -p "$work"
  cp -n fuzz/corpus/"$h"/* "$work"/ 2>/dev/null || true
  echo "fuzz $h: ${secs}s"
  (cd build-fuzz && ./fuzz/"fuzz_$h" -max_total_time="$secs" -max_len=65536 -timeout=10 \
     -rss_limit_mb=2048 -print_final_stats=1 "corpus-$h" 2>"fuzz-$h.log") ||
    { tail -40 "build-fuzz/fuzz-$h.log"; echo "fuzz $h: FAILED"; exit 1; }
  grep -E "stat::number_of_executed_units" "build-fuzz/fuzz-$h.log" | sed "s/^/  $h: /"
done
echo "fuzz: all harnesses ran ${secs}s without a finding"
