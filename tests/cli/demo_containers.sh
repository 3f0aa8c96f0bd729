#!/usr/bin/env bash
# The shipped agentic demo suites in real containers: suites/terminal-demo.yaml
# with --oracle under podman and under docker, and with an agent of the
# simulated pool under podman; suites/swe-demo.yaml with --oracle under
# podman. Every task is graded, each attempt records the driver and the
# image, and the oracle resolves every task as it does under bwrap. TMPDIR
# lies inside the store's directory here, so the run's directory and the
# store's are nested: the covers over them must be one, or runc cannot mount.
# The engines come from scripts/engines.sh: nothing here is skipped.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
use_engines
base=${UMPIRE_BASE_IMAGE:-localhost/umpire-base:bookworm}
n_terminal=$(grep -c '^  - id:' "$S/suites/terminal-demo.yaml")
n_swe=$(grep -c '^  - id:' "$S/suites/swe-demo.yaml")

for eng in podman docker; do
  expect_exit 0 "terminal-demo, oracle, under $eng" -- \
    "$UMPIRE" run "$S/suites/terminal-demo.yaml" --oracle --sandbox-driver "$eng" \
    --db "t-$eng.db" --run-id "dc-t-$eng" --quiet --no-report
  check "every task resolved under $eng" \
    test "$(sql "t-$eng.db" "select count(*) from attempts where score = 1")" -eq "$n_terminal"
  check "each attempt names $eng and the base image" \
    test "$(sql "t-$eng.db" "select count(*) from attempts
      where json_extract(detail_json, '\$.driver') = '$eng'
        and json_extract(detail_json, '\$.image') = '$base'")" -eq "$n_terminal"
done

expect_exit 0 "terminal-demo, a simulated agent, under podman" -- \
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --models "$S/models/demo.yaml" -s sim-atlas -r 1 \
  --sandbox-driver podman --db a.db --run-id dc-a1 --quiet --no-report
check "every task graded, none an infrastructure error" \
  test "$(sql a.db "select count(*) from attempts where status = 'done'")" -eq "$n_terminal"
check "the agent's commands ran in the container" \
  test "$(sql a.db "select count(*) from tool_steps")" -gt "$n_terminal"
check "some solved, some not (the pool's accuracy, not a constant)" \
  test "$(sql a.db "select count(distinct score) from attempts")" -eq 2

expect_exit 0 "swe-demo, oracle, under podman" -- \
  "$UMPIRE" run "$S/suites/swe-demo.yaml" --oracle --sandbox-driver podman \
  --db s.db --run-id dc-s1 --quiet --no-report
check "every swe task resolved" \
  test "$(sql s.db "select count(*) from attempts where score = 1")" -eq "$n_swe"
check "each attempt names podman" \
  test "$(sql s.db "select count(*) from attempts
    where json_extract(detail_json, '\$.driver') = 'podman'")" -eq "$n_swe"

ctrs() { # the containers of this test's runs (label umpire.run=RUN-ID-HASH;
  # other container tests may run at the same time)
  for e in podman docker; do
    "$e" ps -a --filter label=umpire.run --format '{{.Labels}}' 2>/dev/null
  done | grep -E 'umpire.run[=:]dc-' || true
}
check "no container of these runs is left" none_left 20 ctrs
done_testing
