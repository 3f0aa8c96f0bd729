#!/usr/bin/env bash
# What `umpire run` says is true: the resume hint printed after an interrupt
# works when pasted (every option kept); a run whose only errors are tasks
# that cannot run here is not told to resume; a run of some systems needs
# only their variables; a run stopped before recording says nothing was
# kept; claims --json prints numbers as the report does; an import made
# outside the checkout names a scaffold that exists, or says how to fix it.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

# -- the resume hint, pasted ------------------------------------------------
cp "$S/scaffolds/mcq.yaml" my-scaffold.yaml
"$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-slow.yaml" -r 1 -s sim-a \
  --system sim-b --scaffold my-scaffold.yaml --reports my\ reports --db h.db \
  --run-id h1 -j 8 >run1.out 2>run1.err &
pid=$!
wait_attempts h.db 10
kill -INT "$pid"
wait "$pid"
rc=$?
check "SIGINT ends the run with exit 5 (got $rc)" test "$rc" -eq 5
hint=$(grep -A1 "interrupted; resume with:" run1.err | tail -1 | sed 's/^ *//')
echo "# hint: $hint"
check "the hint keeps -r, -s, --scaffold, --reports, --db" \
  bash -c 'h="$1"; for w in "-r 1" "-s sim-a" "--system sim-b" "--scaffold my-scaffold.yaml" \
    "--reports '"'"'my reports'"'"'" "--db h.db" "--resume h1"; do
    case "$h" in *"$w"*) ;; *) echo "# missing: $w"; exit 1 ;; esac; done' _ "$hint"
check "the hint names no --run-id" bash -c 'case "$1" in *--run-id*) exit 1 ;; esac' _ "$hint"
case "$hint" in "umpire run "*) pasted="\"\$UMPIRE\" ${hint#umpire }" ;; *) pasted="false" ;; esac
eval "$pasted" >run2.out 2>run2.err
rc=$?
check "the pasted hint finishes the run (exit $rc)" test "$rc" -eq 0
diag run2.err
check "with one sample of the two systems chosen" \
  test "$(sql h.db "select count(*) from attempts where run_id='h1'")" -eq $((48 * 2))
check "and the report where --reports said" test -s "my reports/h1/report.json"

# -- exit 5 that a resume cannot help ---------------------------------------
"$UMPIRE" import swe-bench-pro "$FIX/../sweimport/instances.jsonl" -o pro.yaml \
  --scaffold "$S/scaffolds/swe-agent.yaml" >/dev/null
expect_exit 5 "a suite of unsupported tasks ends incomplete" -- \
  "$UMPIRE" run pro.yaml --oracle --db pro.db --no-report
check "it says a resume will not help" grep -q "resuming will not change that" "$WORK/err"
check "it does not suggest --resume" bash -c '! grep -q -- "--resume" "$1"' _ "$WORK/err"

# -- exit 5 that a resume may help: the same full command -------------------
expect_exit 5 "infrastructure errors end the run incomplete" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$FIX/models-garbage.yaml" --db g.db \
  --run-id g1 --repeats 1 --no-report
hint=$(grep -A1 "infrastructure errors; resume with:" "$WORK/err" | tail -1 | sed 's/^ *//')
check "the resume command is printed with every option ($hint)" \
  bash -c 'case "$1" in "umpire run "*"--repeats 1"*"--no-report"*"--resume g1") ;; *) exit 1 ;; esac' _ "$hint"

# -- only the selected systems' variables -----------------------------------
sed "s#simulator: pool-fast.yaml#simulator: $FIX/pool-fast.yaml#" "$FIX/models-fast.yaml" >m.yaml
cat >>m.yaml <<'YAML'
  - name: elsewhere
    role: orchestrator
    provider: openai
    base_url: ${UMPIRE_TEST_UNSET_BASE_URL}
    model: x
    api_key_env: UMPIRE_TEST_UNSET_KEY
YAML
unset UMPIRE_TEST_UNSET_BASE_URL UMPIRE_TEST_UNSET_KEY
expect_exit 0 "-s sim-a runs without the variables of a system not selected" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models m.yaml -s sim-a -r 1 --db sel.db --no-report --quiet
expect_exit 3 "the unselected system's variable is still required when it runs" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models m.yaml -s elsewhere -r 1 --db sel2.db --no-report
check "naming the variable" grep -q UMPIRE_TEST_UNSET_BASE_URL "$WORK/err"

# -- nothing recorded, nothing said to be kept ------------------------------
printf 'umpire: 1\nsystems:\n  - name: k\n    role: baseline\n    provider: openai\n    base_url: https://api.invalid/v1\n    model: m\n    api_key_env: UMPIRE_TEST_UNSET_KEY\n' >key.yaml
expect_exit 3 "an unset API key stops the run" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models key.yaml --db key.db
check "it does not say anything was kept" bash -c '! grep -q "recorded is kept" "$1"' _ "$WORK/err"
check "the message names the system once" \
  grep -qx "umpire: system k: environment variable UMPIRE_TEST_UNSET_KEY (api_key_env) is not set" "$WORK/err"
check "and made no store" test ! -e key.db

expect_exit 6 "reusing a run id with other inputs is a conflict" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models m.yaml -s sim-a -r 2 --db sel.db --no-report \
  --run-id "$(sql sel.db "select run_id from runs limit 1")"
check "and not a run that stopped" bash -c '! grep -q "stopped" "$1"' _ "$WORK/err"

# -- claims --json numbers --------------------------------------------------
"$UMPIRE" run "$S/suites/demo.yaml" --models "$S/models/demo.yaml" -r 1 -s sim-atlas --db c.db \
  --quiet --no-report >/dev/null 2>&1
expect_exit 0 "claims --json" -- "$UMPIRE" claims "$S/claims/demo.yaml" --db c.db --json
check "numbers carry at most 6 significant digits, no float noise" \
  bash -c '! grep -Eq "[0-9]\.[0-9]*[0-9]{7,}" "$1"' _ "$WORK/out"
check "and are there" grep -q '"ci_hi"' "$WORK/out"

# -- a bare NAME: suites/NAME.yaml with models/NAME.yaml, here first -------
mkdir -p here/suites/demo here/scaffolds here/models
cp "$S/suites/demo.yaml" here/suites/mine.yaml
cp "$S/suites/demo/questions.csv" here/suites/demo/
cp "$S/scaffolds/mcq.yaml" here/scaffolds/
sed "s#simulator: pool-fast.yaml#simulator: $FIX/pool-fast.yaml#" "$FIX/models-fast.yaml" >here/models/mine.yaml
(cd here && "$UMPIRE" run mine -r 1 -s sim-a --db n.db --no-report --quiet)
check "umpire run mine: suites/mine.yaml against models/mine.yaml of this directory" \
  test "$(sql here/n.db "select count(*) from attempts where system='sim-a'")" -eq 48
(cd here && "$UMPIRE" run nothing-here --db n.db >"$WORK/out" 2>"$WORK/err")
rc=$?
check "a bare name that is nowhere: exit 8 (got $rc)" test "$rc" -eq 8
check "saying where it looked" grep -q "no suites/nothing-here.yaml here or in umpire's data directory" "$WORK/err"

# -- an import outside the checkout -----------------------------------------
mkdir -p elsewhere && cd elsewhere
expect_exit 0 "import terminal-bench outside the checkout" -- \
  "$UMPIRE" import terminal-bench "$S/tests/fixtures/tbimport/tb1" -o out/t.yaml
ref=$(sed -n 's/^scaffold: *//p' out/t.yaml | tr -d '"')
if (cd out && test -e "$ref"); then
  ok "the suite names a scaffold that exists ($ref)"
else
  check "or a warning says how to fix it" grep -q "import again with --scaffold FILE" "$WORK/err"
fi
cd "$WORK"
done_testing
