#!/usr/bin/env bash
# Suite kind scicode end to end: the shipped demo under --oracle (every asked
# step passes with its ground_truth_code, no call made) and on the simulated
# pool (one call per asked step, the model's own earlier code in the later
# prompts, the given step's code as SciCode shows it, a verdict per step,
# main-problem and sub-step accuracy in report.json and report.md), a bundle
# that verifies and one whose verdicts were edited that does not, SIGKILL
# and resume, a scaffold naming a template in SciCode's file format that
# sends the requests of the same template inline (and verifies without it),
# a step over its time limit, and garbage refused at file:line:col with
# nothing recorded.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export HOME="$WORK"

expect_exit 0 "--oracle runs every step's ground_truth_code" -- \
  "$UMPIRE" run "$S/suites/scicode-demo.yaml" --oracle --db o.db --run-id o1 --reports rep -q
check "3 problems solved, no call made" \
  test "$(sql o.db "select count(*) from attempts where score=1 and n_calls=0")" -eq 3
check "7 asked steps passed, the given one not run" test \
  "$(sql o.db "select group_concat(json_extract(t.value, '$.v'), ' ') from
     (select * from attempts order by item_id) a, json_each(a.detail_json, '$.steps') t")" = \
  "passed passed passed given passed passed passed passed"
check "report.md says no step is broken" \
  grep -q "Oracle: every asked step passes with its ground_truth_code." rep/o1/report.md
sed -e 's|^  time_limit_s: 120$|  time_limit_s: 120\n  counting: inspect_ai|' \
  -e "s|scicode-demo/|$S/suites/scicode-demo/|" -e "s|\.\./scaffolds/|$S/scaffolds/|" \
  "$S/suites/scicode-demo.yaml" >insp.yaml
expect_exit 0 "--oracle with inspect_ai's counting" -- "$UMPIRE" run insp.yaml --oracle --db o.db \
  --run-id o2 --reports rep -q
check "...the given step counts, never passed: 2 of 3 problems, 7 of 8 steps" test \
  "$(jq -c '.systems[0].scicode | [.solved, .problems, .steps_passed, .steps, .counting]' \
     rep/o2/report.json)" = '[2,3,7,8,"inspect_ai"]'
check "...and report.md says which counting" grep -q "^Counting: inspect_ai's" rep/o2/report.md
check "report.html has the SciCode table, its counting inspect_ai" \
  grep -q '<table id="scicode-table">.*<tr><td>oracle</td><td>without</td><td>inspect_ai</td>' \
  <(tr -d '\n' <rep/o2/report.html)
check "...its 10 numbers bound (4 counts, 2 accuracies, the interval, 2 step ends)" \
  test "$(grep -o 'data-json="/systems/0/scicode/[a-z_/]*"' rep/o2/report.html | sort -u | wc -l)" -eq 10
check "...each equal to report.json at its pointer" \
  /usr/bin/python3 "$S/tests/tools/html_check.py" values rep/o2/report.html rep/o2/report.json 20

P="-s sim-atlas -s sim-cirrus -s sim-conductor"
expect_exit 0 "the demo runs on the simulated pool" -- \
  "$UMPIRE" run "$S/suites/scicode-demo.yaml" --models "$S/models/demo.yaml" $P --db s.db \
  --run-id s1 --reports rep -q
check "3 problems x 3 systems graded" \
  test "$(sql s.db "select count(*) from attempts where status='done'")" -eq 9
check "one call per asked step: 3, 2 and 2 (turns 0, 1, 2)" test \
  "$(sql s.db "select group_concat(item_id || ':' || n || ':' || t, ' ') from (select a.item_id,
     count(*) n, group_concat(c.turn, '') t from attempts a join calls c using (attempt_id)
     where a.system = 'sim-atlas' group by a.item_id order by a.item_id)")" = "d1:3:012 d2:2:01 d3:2:01"
bad=$(sql s.db "select count(*) from attempts where score != (json_extract(detail_json, '$.passed')
   = json_extract(detail_json, '$.of')) or json_extract(detail_json, '$.verdict') != 'scicode_steps'")
check "score 1 exactly when every asked step passed" test "$bad" -eq 0
v=$(sql s.db "select group_concat(distinct json_extract(t.value, '$.v')) from attempts,
   json_each(detail_json, '$.steps') t" | tr ',' '\n' | sort | tr '\n' ' ')
check "steps passed, failed and given recorded ($v)" test "$v" = "failed given passed "
body() { # system item turn: the request sent
  sql s.db "select r.body from calls c join requests r on r.body_sha256 = c.request_hash
    join attempts a using (attempt_id) where a.system = '$1' and a.item_id = '$2' and c.turn = $3
    and c.http_status = 200 limit 1"
}
code1=$(sql s.db "select json_extract(detail_json, '$.steps[0].code') from attempts
   where system = 'sim-cirrus' and item_id = 'd1'")
body sim-cirrus d1 1 | jq -r '.messages[0].content' >p1.txt
check "step 2's prompt carries the model's own step-1 code" \
  python3 -c "import sys; sys.exit(sys.argv[1] not in open('p1.txt').read())" "$code1"
check "...under 'PREVIOUS STEPS DESCRIPTION' with the earlier description" \
  grep -q "^Write a function \`launch_velocity\`" p1.txt
body sim-atlas d2 0 | jq -r '.messages[0].content' >p2.txt
check "the given step's code is in the first prompt, as ast.unparse writes it" \
  sh -c "grep -q '    x = np.linspace(a, b, n + 1)\$' p2.txt && ! grep -q '# n + 1 points' p2.txt"
check "...and the first request is d2.2's" grep -q "^def trapezoid(f, a, b, n):" p2.txt
check "every system got the same first request" grep -q "Every system received the same request" \
  rep/s1/report.md
check "report.md has the SciCode table" grep -q "^## SciCode" rep/s1/report.md
check "every table of report.md is well formed" python3 "$S/tests/tools/md_tables.py" rep/s1/report.md 10
for s in sim-atlas sim-cirrus sim-conductor; do
  p=$(sql s.db "select sum(json_extract(detail_json, '$.passed')) from attempts where system='$s'")
  m=$(sql s.db "select sum(score) from attempts where system='$s'")
  check "report.json: $s solved $m of 3, passed $p of 7 steps" test \
    "$(jq -c ".systems[] | select(.name == \"$s\") | .scicode | [.solved, .problems, .steps_passed, .steps]" rep/s1/report.json)" = "[$m,3,$p,7]"
  line=$(printf '| %s | without | %s / 3 | %.1f%% | %s / 7 | %.1f%% |' "$s" "$m" \
    "$(echo "100 * $m / 3" | bc -l)" "$p" "$(echo "100 * $p / 7" | bc -l)")
  check "report.md: $line" grep -qF "$line" rep/s1/report.md
done
cat >ct.yaml <<'YAML'
umpire: 1
title: "illustrative"
source: "illustrative"
benchmarks:
  - name: SciCode demo
    suite: scicode-demo
    claims:
      - {system: sim-atlas, value: 50.0, denominator: sub_steps}
      - {system: sim-atlas, value: 50.0}
YAML
expect_exit 0 "umpire claims reads a sub_steps claim" -- "$UMPIRE" claims ct.yaml --db s.db --json
p=$(sql s.db "select sum(json_extract(detail_json, '$.passed')) from attempts where system='sim-atlas'")
m=$(sql s.db "select sum(score) from attempts where system='sim-atlas'")
check "...against sub-step accuracy ($p of 7), the other against main accuracy ($m of 3)" test \
  "$(jq -c '[.benchmarks[0].rows[] | [.denominator, (.measured.percent * 10 | round)]]' "$WORK/out")" = \
  "[[\"sub_steps\",$(( (1000 * p + 3) / 7 ))],[\"whole_suite\",$(( (1000 * m + 1) / 3 ))]]"
cp rep/s1/report.json first.json
expect_exit 0 "report regenerates" -- "$UMPIRE" report --db s.db --reports rep s1
check "report.json is byte-identical when regenerated" cmp -s first.json rep/s1/report.json
expect_exit 0 "bundle" -- "$UMPIRE" bundle s1 --db s.db -o s.tar.zst
expect_exit 0 "the bundle verifies" -- "$UMPIRE" verify s.tar.zst
check "verify re-graded all 9" grep -q "re-graded: 9 attempts from 9 recorded transcripts, all agree" \
  "$WORK/out"
mkdir x && tar --zstd -xf s.tar.zst -C x
id=$(sql x/store.sqlite "select attempt_id from attempts where score = 0 limit 1")
sql x/store.sqlite "update attempts set detail_json = json_set(detail_json, '$.passed',
   json_extract(detail_json, '$.of'), '$.steps', (select json_group_array(json_set(t.value, '$.v',
   iif(json_extract(t.value, '$.v') = 'failed', 'passed', json_extract(t.value, '$.v'))))
   from json_each(detail_json, '$.steps') t)) where attempt_id = '$id'"
bundle_resign x
(cd x && tar --zstd -cf ../t.tar.zst $(tar --zstd -tf ../s.tar.zst))
expect_exit 6 "verify refuses step verdicts that do not give the stored score" -- \
  "$UMPIRE" verify t.tar.zst
check "...naming the attempt" grep -q "attempt $id .*score: stored '0', recomputed '1'" \
  "$WORK/out" "$WORK/err"
rm -rf x && mkdir x && tar --zstd -xf s.tar.zst -C x
id2=$(sql x/store.sqlite "select attempt_id from attempts where system = 'sim-cirrus' and item_id = 'd1'")
sql x/store.sqlite "update attempts set detail_json = json_set(detail_json, '$.steps[1].code',
   'def flight_time(v, g):\n    return 2 * v[1] / g\n') where attempt_id = '$id2'"
bundle_resign x
(cd x && tar --zstd -cf ../t2.tar.zst $(tar --zstd -tf ../s.tar.zst))
expect_exit 6 "verify refuses a step's code that its stored answer does not give" -- \
  "$UMPIRE" verify t2.tar.zst
check "...naming the attempt" grep -q "attempt $id2 .*verdict" "$WORK/out" "$WORK/err"

# SIGKILL in the middle: the resume finishes with the same verdicts
"$UMPIRE" run "$S/suites/scicode-demo.yaml" --models "$S/models/demo.yaml" $P --db k.db \
  --run-id k1 --no-report -q >/dev/null 2>&1 &
pid=$!
wait_attempts k.db 1
kill -9 "$pid"; wait "$pid" 2>/dev/null
expect_exit 0 "the killed run resumes" -- "$UMPIRE" run "$S/suites/scicode-demo.yaml" \
  --models "$S/models/demo.yaml" $P --db k.db --resume k1 --no-report -q
check "every problem graded once (9)" \
  test "$(sql k.db "select count(distinct item_id||system) from attempts where status='done'")" -eq 9
check "...with the verdicts of the uninterrupted run" test \
  "$(sql k.db "select group_concat(system||item_id||score||json_extract(detail_json, '$.passed'), ',')
     from (select * from attempts where status='done' order by system, item_id)")" = \
  "$(sql s.db "select group_concat(system||item_id||score||json_extract(detail_json, '$.passed'), ',')
     from (select * from attempts order by system, item_id)")"

# a scaffold that names a template in SciCode's file format (str.format over
# {problem_steps_str}, {next_step_str}, {dependencies}; {{ }} literal braces)
# renders the requests of the same template written inline
mkdir tp
printf '%s\n' 'Solve one step of a longer computation.' '' 'EARLIER STEPS:' \
  '{problem_steps_str}' '' 'THIS STEP:' '{next_step_str}' '' 'IMPORTS: {dependencies}' \
  'Reply with a ```python``` block; a dict is written {{"k": 1}}.' >tp/tpl.txt
cat >tp/file.yaml <<'YAML'
umpire: 1
name: tp
kind: scicode
scicode: {background: false, template_file: tpl.txt}
params: {temperature: 0, max_tokens: 4096}
YAML
cat >tp/inline.yaml <<'YAML'
umpire: 1
name: tp
kind: scicode
scicode: {background: false}
messages:
  - role: user
    content: |
      Solve one step of a longer computation.

      EARLIER STEPS:
      {{previous_steps}}

      THIS STEP:
      {{next_step}}

      IMPORTS: {{dependencies}}
      Reply with a ```python``` block; a dict is written {"k": 1}.
params: {temperature: 0, max_tokens: 4096}
YAML
for f in file inline; do
  expect_exit 0 "the demo with the $f scaffold" -- "$UMPIRE" run "$S/suites/scicode-demo.yaml" \
    --scaffold "tp/$f.yaml" --models "$S/models/demo.yaml" -s sim-atlas --db "tp/$f.db" \
    --run-id "$f" --no-report -q
done
reqs() { sql "$1" "select group_concat(r.body, char(10)) from (select r.body from calls c
  join requests r on r.body_sha256 = c.request_hash order by c.attempt_id, c.turn) r"; }
reqs tp/file.db >tp/file.req
check "template_file sends the inline scaffold's 7 requests byte for byte" test \
  "$(sha256sum <tp/file.req)" = "$(reqs tp/inline.db | sha256sum)" -a \
  "$(sql tp/file.db "select count(*) from calls")" -eq 7
check "...the literal braces as str.format writes them" grep -qF 'written {\"k\": 1}.' tp/file.req
stored=$(sql tp/file.db "select scaffold_text from runs")
check "the run stores the template's bytes with the scaffold" \
  test "$(printf '%s\n' "$stored" | grep -c '^template_text: "Solve one step')" -eq 1
check "...and hashes them into the scaffold's sha256" test \
  "$(sql tp/file.db "select scaffold_sha256 from runs")" = "$(printf '%s\n' "$stored" | sha256sum | cut -c1-64)"
expect_exit 0 "bundle of the template_file run" -- "$UMPIRE" bundle file --db tp/file.db -o tp/f.tar.zst
mv tp/tpl.txt tp/tpl.moved
expect_exit 0 "...verifies without the template file" -- "$UMPIRE" verify tp/f.tar.zst
expect_exit 8 "a missing template file is refused" -- "$UMPIRE" run "$S/suites/scicode-demo.yaml" \
  --scaffold tp/file.yaml --oracle --db tp/g.db -q --no-report
check "...at template_file, naming the file" grep -q "file.yaml:4:[0-9]*: scicode.template_file: .*tpl.txt" "$WORK/err"
sed 's/{dependencies}/{deps}/' tp/tpl.moved >tp/tpl.txt
expect_exit 3 "an unknown placeholder is refused" -- "$UMPIRE" run "$S/suites/scicode-demo.yaml" \
  --scaffold tp/file.yaml --oracle --db tp/g.db -q --no-report
check "...at its line and column in the template" grep -q "tpl.txt:9:10: unknown placeholder '{deps}'" "$WORK/err"

# a step that runs past the suite's time limit
chmod 711 "$WORK" && mkdir -p slow # the sandbox's user reads the test data there
python3 - "$S/suites/scicode-demo/problems.jsonl" slow/p.jsonl <<'PY'
import json, sys
p = json.loads(open(sys.argv[1]).readline())
p["problem_id"] = "slow"
for i, s in enumerate(p["sub_steps"]):
    s["step_number"] = "slow.%d" % (i + 1)
p["sub_steps"][1]["ground_truth_code"] = "def flight_time(v, g):\n    while True:\n        pass"
open(sys.argv[2], "w").write(json.dumps(p) + "\n")
PY
# the sandbox's python3 (the one with h5py), not a caller's own
PATH=/usr/local/bin:/usr/bin:/bin python3 - "$S/suites/scicode-demo/test_data.h5" slow/t.h5 <<'PY'
import sys
import h5py
src = h5py.File(sys.argv[1], "r")
with h5py.File(sys.argv[2], "w") as out:
    for i in (1, 2, 3):
        src.copy(src["d1.%d" % i], out, name="slow.%d" % i)
PY
cat >slow/suite.yaml <<EOF
umpire: 1
name: slow
version: "1"
kind: scicode
categories: [physics]
scaffold: $S/scaffolds/scicode-demo.yaml
scicode: {test_data: t.h5, time_limit_s: 2}
dataset: {format: scicode, path: p.jsonl}
EOF
expect_exit 0 "a suite with a step that never ends" -- "$UMPIRE" run slow/suite.yaml --oracle \
  --db slow/o.db --run-id t1 --reports rep -q
check "...ends that step, and the next that calls it, at the limit" test \
  "$(sql slow/o.db "select group_concat(json_extract(t.value, '$.v'), ' ') from attempts,
     json_each(detail_json, '$.steps') t")" = "passed time_limit time_limit"
check "...and the report lists it as broken" grep -q "Oracle: 2 steps fail with their ground_truth_code" \
  rep/t1/report.md
check "...report.html too, and its SciCode table the step over the time limit" \
  sh -c "grep -q '<p class=\"note\">oracle: the steps that fail with their ground_truth_code (or have none): ' rep/t1/report.html &&
    grep -q 'data-json=\"/systems/0/scicode/steps_ended/time_limit\" data-fmt=\"int\">2<' rep/t1/report.html"

# garbage, refused before any call with nothing recorded
bad() { # name data-file expected-message
  sed "s|path: p.jsonl|path: $2|" slow/suite.yaml >"slow/$1.yaml"
  expect_exit 3 "$1 is refused" -- "$UMPIRE" run "slow/$1.yaml" --oracle --db slow/g.db -q --no-report
  check "...$3" grep -qF "$3" "$WORK/err"
}
bad cut "$S/tests/fixtures/scicode/cut.jsonl" "cut.jsonl:2:120: invalid JSON"
bad tests "$S/tests/fixtures/scicode/bad_tests.jsonl" \
  "bad_tests.jsonl:2:442: sub_steps[1]: 'test_cases' must be a list of at most 1000 strings"
bad header "$S/tests/fixtures/scicode/no_header.jsonl" \
  "no_header.jsonl:1:1: sub_steps[0]: missing required key 'function_header'"
sed -e 's|scicode: {test_data: t.h5, time_limit_s: 2}|scicode: {test_data: t.h5, given: {"slow.9": p.jsonl}}|' \
  slow/suite.yaml >slow/given.yaml
expect_exit 3 "a given step that is no step is refused" -- "$UMPIRE" run slow/given.yaml --oracle \
  --db slow/g.db -q --no-report
check "...at its line in the suite" grep -q "given.yaml:7:[0-9]*: given: no step numbered 'slow.9'" "$WORK/err"
sed -e 's|time_limit_s: 2}|time_limit_s: 2, test_data_sha256: '"$(printf '0%.0s' $(seq 64))"'}|' \
  slow/suite.yaml >slow/pin.yaml
expect_exit 4 "test data that does not match its pin is refused" -- "$UMPIRE" run slow/pin.yaml \
  --oracle --db slow/g.db -q --no-report
check "...saying both hashes" grep -q "test data .*t.h5: sha256 mismatch: pinned 0000" "$WORK/err"
check "nothing was recorded for them" test ! -s slow/g.db -o \
  "$(sql slow/g.db "select count(*) from attempts" 2>/dev/null || echo 0)" = 0

done_testing
