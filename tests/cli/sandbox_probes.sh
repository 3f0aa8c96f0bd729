#!/usr/bin/env bash
# The sandbox probes (tests/fixtures/probes) as a terminal suite in oracle
# mode: network, writes, secrets, environment, fork bomb, CPU (the wall
# clock), memory, disk (a file, the work dir), /tmp. Each hidden test
# passes only when the sandbox held; the same probes run on the host,
# unsandboxed, fail theirs, so each test can fail. The evidence of
# docs/security.md.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export TMPDIR="$WORK/tmp" UMPIRE_KEY_DIR="$WORK/keys"
chmod 0711 "$WORK" # (root: the sandbox uids must reach their work dirs)
mkdir -m 0711 "$TMPDIR"
cp -r "$S/tests/fixtures/probes" probes
sed -i "s#scaffold: ../../../scaffolds/#scaffold: $S/scaffolds/#" probes/suite.yaml

# what there is to find: a service on the host's loopback, an API key in
# umpire's environment, secret files beside the store, in the suite, the key
# (the fixture's placeholder port file is removed first, and the real one is
# written whole and renamed into place: the wait below read the placeholder
# once, before the listener had started)
rm -f probes/network/files/host-port
python3 -c '
import os, socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
with open(sys.argv[1] + ".tmp", "w") as f: f.write("%d\n" % s.getsockname()[1])
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
while True: s.accept()[0].close()
' probes/network/files/host-port &
listener=$!
for i in $(seq 1 300); do [ -s probes/network/files/host-port ] && break; sleep 0.1; done
host_port=$(cat probes/network/files/host-port 2>/dev/null || true)
listening() { [[ "$host_port" =~ ^[0-9]+$ ]] && (exec 3<>"/dev/tcp/127.0.0.1/$host_port") 2>/dev/null; }
if listening; then
  ok "the host's loopback listener is up (port $host_port)"
else
  not_ok "the host's loopback listener is up (port file: '$host_port')"
  kill -0 "$listener" 2>/dev/null || echo "# the listener (pid $listener) is gone"
fi
export OPENAI_API_KEY=sk-probe-5e1f0c9a
"$UMPIRE" --quiet keygen >/dev/null 2>&1
echo "$OPENAI_API_KEY" >secret.txt
echo "$OPENAI_API_KEY" >probes/secret.txt
printf '%s\n' "$WORK/secret.txt" "$WORK/probes/secret.txt" "$WORK/keys/umpire.key" >probes/secrets/files/paths.txt

expect_exit 0 "the probe suite runs in the sandbox" -- \
  "$UMPIRE" run probes/suite.yaml --oracle --db p.db --run-id p1 --sandbox-jobs 3 --quiet --no-report
for t in network writes secrets env forkbomb memory disk tmp; do
  check "$t: the sandbox held ($(sql p.db "select replace(substr(stdout, 1, 120), char(10), ' | ') from tool_steps where tool='verifier' and attempt_id in (select attempt_id from attempts where item_id='$t')"))" \
    test "$(sql p.db "select score from attempts where item_id='$t'")" = 1
done
check "cpu: two spinning processes (one ignoring SIGTERM) stopped at the 2 s wall clock" \
  test "$(sql p.db "select timed_out || ' ' || (duration_ms between 2000 and 10000) from tool_steps where tool='solution' and attempt_id in (select attempt_id from attempts where item_id='cpu')")" = "1 1"
check "fill: writing 64 MiB into a work dir of storage_mb 16 was stopped" \
  test "$(sql p.db "select error || ' ' || (instr(stdout, 'filled') = 0) from tool_steps where tool='solution' and attempt_id in (select attempt_id from attempts where item_id='fill')")" = \
  "killed: the work dir grew past resources.storage_mb 1"
check "and nothing of any probe is left on the host" \
  test -z "$(grep -las -- "$TMPDIR/umpire[-]" /proc/[0-9]*/cmdline)"
check "no probe wrote outside its sandbox" test ! -e /etc/umpire-probe-write -a ! -e /umpire-probe-write

# the same probes unsandboxed: their tests fail
for t in network secrets env disk tmp; do
  mkdir "host-$t"
  cp -r "probes/$t/." "host-$t/"
  cp -r "probes/$t/files/." "host-$t/" 2>/dev/null
  (cd "host-$t" && bash solution.sh && bash tests/test.sh) >"host-$t.out" 2>&1
  check "$t: the same probe on the host fails its test" test $? -ne 0
done
kill "$listener"
wait "$listener" 2>/dev/null
done_testing
