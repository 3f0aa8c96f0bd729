#!/usr/bin/env bash
# Code suites under podman and docker (--sandbox-driver): the code demo
# (Python, the base image) and its C++ form (the LiveCodeBench Pro demo, an
# interactive problem among them, in the code toolchain image of
# scripts/engines.sh --code) with --oracle and on the simulated pool, with
# the verdicts bwrap gives; the limits per test (time, memory, no network,
# file size) giving the same verdicts as under bwrap; the
# image and its id in each attempt; a missing compiler named before any call;
# and no container left behind.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export HOME="$WORK"
use_engines --code
chmod 711 "$WORK" # the sandbox's user (nobody) reaches the run's directories in $WORK/tmp
CODE_IMAGE=${UMPIRE_CODE_IMAGE:-localhost/umpire-code:bookworm}
TWO=(-s sim-atlas -s sim-cirrus)

# The verdicts of a run: system, item, score and each test's verdict.
verdicts() { # db run
  sql "$1" "select group_concat(v, ';') from (select system||'/'||item_id||'='||score||':'||
    (select group_concat(json_extract(t.value, '$.v'), ',') from json_each(detail_json, '$.tests') t) v
    from attempts where run_id = '$2' order by system, item_id)"
}
# run ENGINE DB RUN args...: umpire run in the background (its pid names its
# one-shot containers), then none of them may be left
left_of() { "$1" ps -a --format '{{.Names}}' | grep "^umpire-sandbox-$2-" || true; }
run_on() {
  local e=$1 db=$2 id=$3 pid rc; shift 3
  "$UMPIRE" run "$@" --db "$db" --run-id "$id" --no-report -q >"$WORK/out" 2>"$WORK/err" &
  pid=$!
  wait "$pid"; rc=$?
  if [ "$rc" -eq 0 ]; then ok "$e: run $id (exit 0)"; else not_ok "$e: run $id: exit $rc"; diag "$WORK/err"; fi
  [ "$e" = bwrap ] || check "$e: no container of run $id left" none_left 30 left_of "$e" "$pid"
}

# bwrap first: the verdicts to match
run_on bwrap b.db py "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" "${TWO[@]}"
run_on bwrap b.db cpp "$S/suites/lcbpro-demo.yaml" --models "$S/models/demo.yaml" "${TWO[@]}"

# limits: each program breaks one (its expected output is what it prints
# when the limit holds)
mkdir -p lim
python3 - "$WORK/lim" <<'EOF'
import json, sys
d = sys.argv[1]
def row(qid, sol, out="ok\n"):
    t = json.dumps([{"input": "1\n", "output": "ok\n", "testtype": "stdin"},
                    {"input": "2\n", "output": out, "testtype": "stdin"}])
    return {"question_id": qid, "question_content": "Limits.", "difficulty": "easy",
            "platform": "atcoder", "contest_date": "2025-03-01", "public_test_cases": t,
            "private_test_cases": "[]", "solution": sol}
rows = [
  row("time", "n = int(input())\nwhile n == 2:\n    pass\nprint('ok')\n"),
  row("memory", "n = int(input())\nx = bytearray((n - 1) * 1500 * 2**20)\nprint('ok')\n"),
  row("network", "import socket\nn = int(input())\ntry:\n    socket.create_connection(('1.1.1.1', 53), 2)\n"
      "    print('reached')\nexcept OSError:\n    print('ok')\n"),
  row("fsize", "n = int(input())\nopen('big', 'wb').write(b'x' * (n - 1) * 100 * 2**20)\nprint('ok')\n"),
]
with open(d + "/p.jsonl", "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
EOF
cat >lim/s.yaml <<EOF
umpire: 1
name: lim
version: "1"
kind: code
categories: [easy]
scaffold: $S/scaffolds/livecodebench.yaml
code: {time_limit_s: 2, memory_mb: 512}
dataset: {format: livecodebench, path: p.jsonl}
EOF
run_on bwrap b.db lim lim/s.yaml --oracle
want_lim="oracle/fsize=0:passed,runtime_error;oracle/memory=0:passed,memory_limit;oracle/network=1:passed,passed;oracle/time=0:passed,time_limit"
check "bwrap: the limits' verdicts ($(verdicts b.db lim))" test "$(verdicts b.db lim)" = "$want_lim"

for e in podman docker; do
  D=(--sandbox-driver "$e")
  run_on "$e" "$e.db" o1 "$S/suites/code-demo.yaml" --oracle --date-from 2000-01-01 "${D[@]}"
  check "$e: the code demo's 7 reference programs pass" \
    test "$(sql "$e.db" "select count(*) from attempts where run_id='o1' and score=1")" -eq 7
  id=$("$e" image inspect --format '{{.Id}}' localhost/umpire-base:bookworm)
  check "$e: each attempt names the driver, the image and its id" test \
    "$(sql "$e.db" "select count(*) from attempts where run_id='o1' and json_extract(detail_json,
     '$.driver')='$e' and json_extract(detail_json, '$.image')='localhost/umpire-base:bookworm'
     and json_extract(detail_json, '$.image_id') like '%${id#sha256:}'")" -eq 7
  run_on "$e" "$e.db" py "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" "${TWO[@]}" "${D[@]}"
  check "$e: the code demo on the simulated pool: bwrap's verdicts" \
    test "$(verdicts "$e.db" py)" = "$(verdicts b.db py)"

  expect_exit 6 "$e: a C++ suite in an image without g++ is refused" -- "$UMPIRE" run \
    "$S/suites/lcbpro-demo.yaml" --oracle "${D[@]}" --db "$e-x.db" --no-report -q
  check "...before any call, naming the image" grep -q \
    "run g++ in the sandbox of the image localhost/umpire-base:bookworm, and it exits" "$WORK/err"
  run_on "$e" "$e.db" o2 "$S/suites/lcbpro-demo.yaml" --oracle "${D[@]}" --base-image "$CODE_IMAGE"
  check "$e: the C++ demo's 4 reference programs pass (stack = memory, interactive too)" \
    test "$(sql "$e.db" "select count(*) from attempts where run_id='o2' and score=1")" -eq 4
  run_on "$e" "$e.db" cpp "$S/suites/lcbpro-demo.yaml" --models "$S/models/demo.yaml" "${TWO[@]}" \
    "${D[@]}" --base-image "$CODE_IMAGE"
  check "$e: the C++ demo on the simulated pool: bwrap's verdicts" \
    test "$(verdicts "$e.db" cpp)" = "$(verdicts b.db cpp)"
  check "$e: checkers and interactors compiled in the engine, then run from the run's cache" \
    test "$(sql "$e.db" "select count(*) from attempts where run_id='cpp' and coalesce(
      json_extract(detail_json, '\$.checker_compile.cached'),
      json_extract(detail_json, '\$.interactor_compile.cached')) = 1")" -gt 0
  run_on "$e" "$e.db" lim lim/s.yaml --oracle "${D[@]}"
  check "$e: time, memory, network and file size: bwrap's verdicts ($(verdicts "$e.db" lim))" \
    test "$(verdicts "$e.db" lim)" = "$want_lim"
done

done_testing
