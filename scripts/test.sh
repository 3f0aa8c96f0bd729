#!/usr/bin/env bash
# Quick start, part two: install what is missing, then build and run every
# test twice: a normal build with -Werror, and an ASan+UBSan build.
# Ends with one line "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
# the container engines and their offline base image (the container tests
# need both podman and docker; none of them skips), and the toolchain image
# of the swe fixture instances (tests/cli/swe_images.sh) and the code suites' image
# (tests/cli/code_containers.sh)
scripts/engines.sh --swe --code

passed=0
failed=0
count() { # count results of the last meson test run in $1
  local log="$1/meson-logs/testlog.json"
  [ -f "$log" ] || return 0
  local p f
  p=$(jq -s '[.[] | select(.result == "OK" or .result == "SKIP" or .result == "EXPECTEDFAIL")] | length' "$log")
  f=$(jq -s '[.[] | select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")] | length' "$log")
  passed=$((passed + p))
  failed=$((failed + f))
}

status=0
run_suite() { # dir, setup args...
  local dir="$1"; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir" || { status=1; failed=$((failed + 1)); return; }
  meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
  count "$dir"
}

run_suite build-test -Dwerror=true
run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug

# a short fuzz pass: every harness of fuzz/ for 10 s under libFuzzer, ASan
# and UBSan (the nightly runs them for 10 minutes: scripts/nightly.sh)
if scripts/fuzz.sh 10; then passed=$((passed + 1)); else failed=$((failed + 1)); status=1; fi

echo "tests: $passed passed, $failed failed"
exit $status
