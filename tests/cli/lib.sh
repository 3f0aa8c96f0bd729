# lib.sh - helpers for scenario tests: TAP output, a scratch directory, and a
# simulator started on 127.0.0.1 with a port of its own choosing that stops
# by itself (--lifetime) even if the test dies.
set -u
export LC_ALL=C

: "${UMPIRE:?UMPIRE must point at the umpire binary}"
: "${UMPIRE_SRCDIR:?UMPIRE_SRCDIR must point at the source tree}"
FIX="$UMPIRE_SRCDIR/tests/fixtures/cli"
unset UMPIRE_SIM_URL

T_N=0
T_FAIL=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/umpire-cli.XXXXXX")
SIM_PIDS=()
cleanup() {
  [ -n "${KEEP_WORK:-}" ] && { echo "# kept $WORK"; return; }
  for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { T_N=$((T_N + 1)); echo "ok $T_N - $*"; }
not_ok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $*"; }
check() { # description, command...
  local d="$1"; shift
  if "$@"; then ok "$d"; else not_ok "$d"; fi
}
diag() { sed 's/^/# /' "$@"; }
# none_left SECS FUNC: FUNC (which lists leftovers, e.g. containers) prints
# nothing within SECS seconds. An engine may still be removing a container
# the run removed (docker's and podman's ps list it until the removal is
# through); a container the run leaked never goes.
none_left() {
  local secs=$1 fn=$2 i out
  for ((i = 0; i < secs * 4; i++)); do
    out=$("$fn" "${@:3}")
    [ -z "$out" ] && return 0
    sleep 0.25
  done
  printf '# left: %s\n' $out
  return 1
}
done_testing() {
  echo "1..$T_N"
  [ "$T_FAIL" -eq 0 ]
}

# expect_exit CODE description -- command...: runs, keeps stderr in $WORK/err
expect_exit() {
  local want="$1" d="$2"; shift 3
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then ok "$d (exit $got)"; else
    not_ok "$d: exit $got, wanted $want"; diag "$WORK/err"; fi
}

# start_sim POOL SUITE [extra args]: sets SIM_URL
start_sim() {
  local pool="$1" suite="$2"; shift 2
  local pf="$WORK/port.$RANDOM"
  "$UMPIRE" simulate --pool "$pool" --suite "$suite" --port 0 --port-file "$pf" \
    --lifetime 240 --quiet "$@" >"$WORK/sim.out" 2>"$WORK/sim.err" &
  SIM_PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.1
  done
  [ -s "$pf" ] || { echo "# simulator did not start"; diag "$WORK/sim.err"; return 1; }
  SIM_URL="http://127.0.0.1:$(cat "$pf")"
}

sql() { sqlite3 -batch -noheader "$1" "$2"; }
# call_bodies DB [WHERE]: the response body of each call (WHERE on calls c),
# one per line: in its calls row, or (schema 7, 1 KiB or more) compressed in
# responses
call_bodies() {
  local raw z
  sqlite3 -batch -noheader -separator ' ' "$1" "select
    iif(c.response_body is null, '-', hex(c.response_body)),
    iif(r.zstd is null, '-', hex(r.zstd)) from calls c left join responses r on r.sha256 = c.body_sha256
    where ${2:-1} order by c.id" |
    while read -r raw z; do
      if [ "$raw" != - ]; then printf '%s' "$raw" | unhex
      elif [ "$z" != - ]; then printf '%s' "$z" | unhex | zstd -dcq
      fi
      echo
    done
}
unhex() { python3 -c 'import sys, binascii; sys.stdout.buffer.write(binascii.unhexlify(sys.stdin.read().strip()))'; }

# wait_attempts DB N: until the store holds N attempts (15 s at most)
wait_attempts() {
  local i n
  for i in $(seq 1 150); do
    n=$(sql "$1" "select count(*) from attempts" 2>/dev/null || echo 0)
    [ "${n:-0}" -ge "$2" ] && return 0
    sleep 0.1
  done
  return 1
}

# Rebuild the MANIFEST of an unpacked bundle in directory $1 the way umpire
# does and re-sign it with the current key: what an insider could do.
bundle_resign() {
  (cd "$1" && run=$(sed -n 2p MANIFEST | cut -d' ' -f2) &&
   { echo "umpire-bundle 1"; echo "run $run";
     for f in $(ls | sort); do
       case $f in MANIFEST|MANIFEST.minisig|signer.pub) continue ;; esac
       echo "$(sha256sum "$f" | cut -d' ' -f1)  $(stat -c %s "$f")  $f"
     done; } >MANIFEST && "$UMPIRE" --quiet sign MANIFEST)
}

# use_engines [--swe]: podman and docker made usable by scripts/engines.sh
# (with --swe, the swe fixtures' toolchain image too), with the test's own
# image cache and TMPDIR; a failure ends the test (never a skip)
use_engines() {
  export UMPIRE_CACHE_DIR="$WORK/cache" TMPDIR="$WORK/tmp"
  mkdir -p "$TMPDIR"
  if ! "$UMPIRE_SRCDIR/scripts/engines.sh" "$@" >"$WORK/engines.out" 2>&1; then
    not_ok "scripts/engines.sh makes podman and docker usable"; diag "$WORK/engines.out"
    done_testing; exit 1
  fi
  ok "scripts/engines.sh makes podman and docker usable"
}

# judged_pool: pool.yaml and models.yaml in the current directory: two
# simulated systems under test (m1 over OpenAI's wire, m2 over Anthropic's)
# and a faultless simulated judge, the models.yaml system named judge.
judged_pool() {
cat > pool.yaml <<'P'
umpire: 1
seed: 7
latency_scale: 0
models:
  - {name: m1, accuracy: {default: 0.7}}
  - {name: m2, accuracy: {default: 0.4}}
  - {name: jj, accuracy: {default: 1.0}, judge: {errors: 0.0, flips: 0.0}}
P
cat > models.yaml <<'P'
umpire: 1
simulator: pool.yaml
systems:
  - {name: m1, role: baseline, provider: openai, base_url: "${UMPIRE_SIM_URL}/v1", model: m1}
  - {name: m2, role: baseline, provider: anthropic, base_url: "${UMPIRE_SIM_URL}/v1", model: m2}
  - {name: judge, role: baseline, provider: openai, base_url: "${UMPIRE_SIM_URL}/v1", model: jj}
P
}
