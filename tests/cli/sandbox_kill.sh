#!/usr/bin/env bash
# A SIGKILL of umpire while its sandboxes start leaves no sandbox process
# behind. bwrap's inner child waits on an eventfd for its parent before it
# can arm --die-with-parent; killed in that window it used to stay forever
# (parent pid 1). Each sandbox's reaper now takes its process group with it
# when umpire dies. Kills oracle runs of the terminal demo at random moments
# as their first sandboxes start, then resumes. Also: what a killed run left
# in $TMPDIR is swept by the next run; bundle and verify work in $TMPDIR.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export TMPDIR="$WORK/tmp"
chmod 0711 "$WORK" # (root: the sandbox uids must reach their work dirs)
mkdir -m 0711 "$TMPDIR"
# processes whose arguments name this test's run directories ([-] keeps
# the grep itself out)
left() { grep -las -- "$TMPDIR/umpire[-]" /proc/[0-9]*/cmdline | cut -d/ -f3 | sort -u; }
kills=${SANDBOX_KILLS:-12}
leaked=0
landed=0
for k in $(seq 1 "$kills"); do
  how=(--run-id k1)
  [ -s k.db ] && [ -n "$(sql k.db "select run_id from runs" 2>/dev/null)" ] && how=(--resume k1)
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --oracle --db k.db "${how[@]}" \
    --sandbox-jobs 6 --quiet --no-report >/dev/null 2>run.err &
  pid=$!
  for i in $(seq 1 100); do [ -n "$(left)" ] && break; sleep 0.03; done
  sleep "0.0$((RANDOM % 10))"
  [ -n "$(left)" ] && landed=$((landed + 1))
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  for i in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(left)" ] && break; sleep 0.1; done
  l=$(left)
  if [ -n "$l" ]; then
    leaked=$((leaked + 1))
    for p in $l; do echo "# kill $k left pid $p: $(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null | cut -c1-80)"; kill -9 "$p" 2>/dev/null; done
  fi
done
check "most kills landed while sandboxes ran ($landed of $kills)" test "$landed" -ge $((kills * 3 / 4))
check "no sandbox process outlives umpire after $kills kills at start-up ($leaked left some)" \
  test "$leaked" -eq 0
# a killed run of another id leaves its directory; the next run sweeps it
# (its owner's lock is free)
"$UMPIRE" run "$S/suites/terminal-demo.yaml" --oracle --db k2.db --run-id k2 --quiet --no-report \
  >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 100); do [ -n "$(left)" ] && break; sleep 0.03; done
kill -9 "$pid"; wait "$pid" 2>/dev/null
check "the killed run of k2 left its directory" test -n "$(ls "$TMPDIR" | grep umpire-k2-)"
expect_exit 0 "the run then completes" -- \
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --oracle --db k.db --resume k1 --quiet --no-report
check "every task once, every oracle passes" \
  test "$(sql k.db "select count(*) || ' ' || count(distinct item_id) || ' ' || sum(score) from attempts")" = "12 12 12"
check "nothing of either run is left in TMPDIR" test -z "$(ls "$TMPDIR")"
export UMPIRE_KEY_DIR="$WORK/keys"
TMPDIR="$WORK/none" "$UMPIRE" bundle k1 --db k.db -o k.tar.zst >out 2>err
check "bundle makes its directory under TMPDIR" grep -q "$WORK/none/umpire-bundle-" err
expect_exit 0 "bundle" -- "$UMPIRE" bundle k1 --db k.db -o k.tar.zst
TMPDIR="$WORK/none" "$UMPIRE" verify k.tar.zst --pubkey keys/umpire.pub >out 2>err
check "verify makes its directory under TMPDIR" grep -q "$WORK/none/umpire-verify-" err
expect_exit 0 "verify" -- "$UMPIRE" verify k.tar.zst --pubkey keys/umpire.pub
check "neither leaves anything in TMPDIR" test -z "$(ls "$TMPDIR")"
done_testing
