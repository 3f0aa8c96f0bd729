#!/usr/bin/env bash
# Original Harbor-format tasks (tests/fixtures/harbor) imported and run with
# --oracle in real containers, under podman and under docker: every outcome
# as Harbor defines it (the image's WORKDIR, the whole solution folder,
# writable /tests, no network, a partial reward, a verifier timeout, the env
# tables, a multi-step task refused, an image that does not build, a reward
# that is not finite); images built once by content hash and their ids
# recorded; nothing left behind after success, SIGINT, or SIGKILL and resume.
# The engines come from scripts/engines.sh: nothing here is skipped.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
use_engines

expect_exit 0 "import the Harbor fixture tasks" -- \
  "$UMPIRE" import terminal-bench "$S/tests/fixtures/harbor" -o suites/h.yaml --name harbor \
  --scaffold "$S/scaffolds/terminal-agent.yaml"
check "the multi-step task is refused at import, with the reason" \
  grep -q 'unsupported: two-steps: a multi-step task (2 \[\[steps\]\])' "$WORK/out"
check "Dockerfile tasks are built, not refused" test "$(grep -c '    build: environment' suites/h.yaml)" -eq 7
check "the env tables are carried" grep -q 'SOLUTION_TOKEN: s3cret' suites/h.yaml

for eng in podman docker; do
  expect_exit 5 "$eng: umpire images builds every task's image ahead (one fails on purpose)" -- \
    "$UMPIRE" images suites/h.yaml --sandbox-driver "$eng"
  check "$eng: one line per image, the broken one named with its log" \
    test "$(grep -c ' localhost/umpire-task:' "$WORK/out")" -eq 5 -a \
         -s "$(sed -n 's/.*log: //p' "$WORK/err")"
  check "$eng: the refused task is listed, not built" grep -q '^two-steps unsupported: a multi-step' "$WORK/out"
  expect_exit 5 "$eng: a second time nothing is built again" -- \
    "$UMPIRE" images suites/h.yaml --sandbox-driver "$eng"
  check "$eng: every image cached" test "$(grep -c ' cached$' "$WORK/out")" -eq 5
done
expect_exit 8 "images: a suite that does not exist" -- "$UMPIRE" images nope.yaml
expect_exit 2 "images: a bad pull policy" -- "$UMPIRE" images suites/h.yaml --pull sometimes
expect_exit 2 "images: a bad driver" -- "$UMPIRE" images suites/h.yaml --sandbox-driver bwrap

ctrs() { # engine run-id: the containers labelled with that run (its key is
  # the run id and a hash of the store's path)
  "$1" ps -a --filter label=umpire.run --format '{{.Names}} {{.Labels}}' |
    grep -E "umpire.run[=:]$2-[0-9a-f]{8}" || true
}

outcomes() { # db -> "task:status:score:class:reward" lines, sorted
  sql "$1" "select item_id || ':' || status || ':' || coalesce(score, '') || ':' ||
            coalesce(error_class, '') || ':' || coalesce(json_extract(detail_json, '\$.reward'), '')
            from attempts order by item_id"
}
want="broken-image:error::image:
env-tables:done:1::1.0
half-credit:done:0::0.5
infinite-reward:error::bad_reward:
slow-verifier:error::verifier_timeout:
two-steps:error::unsupported:
workdir-notes:done:1::1.0"

for eng in podman docker; do
  expect_exit 5 "$eng: the fixtures run with --oracle (some end in errors on purpose)" -- \
    "$UMPIRE" run suites/h.yaml --oracle --sandbox-driver "$eng" --db "$eng.db" --run-id "h-$eng" \
    --reports rep
  got=$(outcomes "$eng.db")
  check "$eng: every outcome as expected" test "$got" = "$want"
  [ "$got" = "$want" ] || { echo "$got" | sed 's/^/# got: /'; diag "$WORK/err"; }
  check "$eng: the build failure names its log, which is kept" \
    test -s "$(sql "$eng.db" "select substr(error_msg, instr(error_msg, 'log: ') + 5) from attempts where item_id='broken-image'")"
  check "$eng: the image id of every run attempt is recorded" \
    test "$(sql "$eng.db" "select count(*) from attempts where json_extract(detail_json, '\$.image_id') like 'sha256:%' or json_extract(detail_json, '\$.image_id') glob '[0-9a-f]*'")" -eq 5
  check "$eng: the store holds the float reward and the image id in their columns" \
    test "$(sql "$eng.db" "select reward || ' ' || (image_id = json_extract(detail_json, '\$.image_id')) from attempts where item_id='half-credit'")" = "0.5 1"
  check "$eng: the same build context is one image, reused" \
    test "$(sql "$eng.db" "select count(distinct json_extract(detail_json, '\$.image')) from attempts where item_id in ('env-tables','half-credit','slow-verifier','infinite-reward')")" -eq 1
  check "$eng: the report lists the refused task with its reason" \
    grep -q "two-steps #0 | task two-steps is not supported: a multi-step task" "rep/h-$eng/report.md"
  check "$eng: the report gives the mean reward and the share of full rewards" \
    grep -q "mean reward 0.833; full reward (1) in 66.7% of them" "rep/h-$eng/report.md"
  check "$eng: no container is left" none_left 20 ctrs "$eng" "h-$eng"
  check "$eng: no temporary directory is left" test -z "$(ls "$TMPDIR")"
done

# the host sandbox refuses what needs an image, and says why
expect_exit 5 "bwrap: the run ends with the image tasks refused" -- \
  "$UMPIRE" run suites/h.yaml --oracle --db b.db --run-id h-bwrap --reports rep
check "bwrap: image tasks are never run, with the reason" \
  test "$(sql b.db "select count(*) from attempts where error_class='unsupported' and error_msg like '%needs its container image%--sandbox-driver docker or podman'")" -eq 6

# SIGINT and SIGKILL in the middle of an attempt: nothing is left behind
mkdir -p long/t/tests
printf 'sleep 600\n' > long/t/solution.sh
printf 'exit 0\n' > long/t/tests/test.sh
echo "wait" > long/t/instruction.md
cat > long/s.yaml <<EOF
umpire: 1
name: long
version: "1"
kind: terminal
categories: [c]
scaffold: $S/scaffolds/terminal-agent.yaml
tasks:
  - {id: t, dir: t, category: c, test_command: bash /tests/test.sh, timeouts: {agent_s: 6}}
EOF
wait_container() { # engine label
  local i
  for i in $(seq 150); do
    [ -n "$(ctrs "$1" "$2")" ] && return 0
    sleep 0.2
  done
  return 1
}
"$UMPIRE" run long/s.yaml --oracle --sandbox-driver podman --db l.db --run-id l-int >/dev/null 2>&1 &
pid=$!
check "SIGINT: the attempt's container runs" wait_container podman l-int
kill -INT "$pid"; wait "$pid"
check "SIGINT: its container is removed" test -z "$(ctrs podman l-int)"
check "SIGINT: no temporary directory is left" test -z "$(ls "$TMPDIR")"

"$UMPIRE" run long/s.yaml --oracle --sandbox-driver docker --db k.db --run-id l-kill >/dev/null 2>&1 &
pid=$!
check "SIGKILL: the attempt's container runs" wait_container docker l-kill
kill -KILL "$pid"; wait "$pid" 2>/dev/null
check "SIGKILL: the container outlives the harness" test -n "$(ctrs docker l-kill)"
expect_exit 0 "the killed run resumes" -- \
  "$UMPIRE" run long/s.yaml --oracle --sandbox-driver docker --db k.db --resume l-kill
check "the resume removes the container the killed run left" \
  test -z "$(ctrs docker l-kill)"
check "and its temporary directories" test -z "$(ls "$TMPDIR")"

done_testing
