#!/usr/bin/env bash
# nightly.sh - the long battery, beyond CI's: a SIGKILL soak of 60 kills
# (scripts/soak-kill.sh; CI's run has 10) and every fuzz harness for 10
# minutes (scripts/fuzz.sh; CI's pass is 10 s each). Needs a built
# build-test/ (scripts/test.sh makes it). Exits non-zero on any finding.
# usage: scripts/nightly.sh [KILLS] [FUZZ_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-60}
secs=${2:-600}
[ -x build-test/umpire ] || { meson setup build-test -Dwerror=true >/dev/null; ninja -C build-test; }
status=0
scripts/soak-kill.sh "$kills" build-test/umpire || status=1
scripts/fuzz.sh "$secs" || status=1
echo "nightly: $([ $status -eq 0 ] && echo clean || echo FINDINGS)"
exit $status
