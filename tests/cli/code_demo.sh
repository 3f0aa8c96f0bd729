#!/usr/bin/env bash
# Suite kind code end to end on the simulated pool: the shipped demo (a
# verdict per test in the store, the window in the report, a bundle that
# verifies by re-grading), a --date-from/--date-to window, programs that
# cannot read the expected outputs (their directories are covered), answers
# without a program, and garbage data refused with file:line:col.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export HOME="$WORK"

expect_exit 0 "code demo runs on the simulated pool" -- \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" --db c.db \
  --run-id c1 --reports rep -q
n=$(sql c.db "select count(*) from attempts where run_id='c1' and status='done'")
check "6 problems in the window x 5 systems graded (got $n)" test "$n" -eq 30
d=$(sql c.db "select count(*) from attempts where json_extract(detail_json, '$.verdict') = 'code_tests'
   and json_array_length(detail_json, '$.tests') = json_extract(detail_json, '$.of')")
check "each attempt keeps a verdict per test (got $d)" test "$d" -eq 30
bad=$(sql c.db "select count(*) from attempts where score != (json_extract(detail_json, '$.passed')
   = json_extract(detail_json, '$.of'))")
check "score 1 exactly when every test passed" test "$bad" -eq 0
v=$(sql c.db "select group_concat(distinct json_extract(t.value, '$.v')) from attempts,
   json_each(detail_json, '$.tests') t" | tr ',' '\n' | sort | tr '\n' ' ')
check "passes, wrong answers, runtime errors and skipped tests recorded ($v)" \
  sh -c "echo '$v' | grep -q passed && echo '$v' | grep -q wrong_answer &&
         echo '$v' | grep -q runtime_error && echo '$v' | grep -q not_run"
c=$(sql c.db "select count(*) from attempts where extracted like '%print%' or extracted like '%return%'")
check "the extracted program is stored (got $c)" test "$c" -eq 30
check "report says the window" grep -q "Window\*\*: problems dated from 2024-01-01: 6 of the dataset's 7" \
  rep/c1/report.md
check "report.json notes the window" \
  test "$(jq -c .run.notes.window rep/c1/report.json)" = '{"from":"2024-01-01","items":6,"of":7,"to":null}'
check "report.md has the code tests table" grep -q "^## Code tests" rep/c1/report.md
check "...and no agent section" sh -c "! grep -q 'Agent behaviour' rep/c1/report.md"
check "every table of report.md is well formed" python3 "$S/tests/tools/md_tables.py" rep/c1/report.md 10
check "report.html has the code table" grep -q '<table id="code-table">' rep/c1/report.html
check "...binding 7 counts of each of the 5 systems (attempts, no program, tests, 3 verdicts)" \
  test "$(grep -o 'data-json="/systems/[0-4]/code/[a-z_/]*"' rep/c1/report.html | sort -u | wc -l)" -eq 35
check "...each equal to report.json at its pointer" \
  /usr/bin/python3 "$S/tests/tools/html_check.py" values rep/c1/report.html rep/c1/report.json 200
t=$(jq '[.systems[].code.attempts] | add' rep/c1/report.json)
check "report.json's code section counts every attempt (got $t)" test "$t" -eq 30
cp rep/c1/report.json first.json
expect_exit 0 "report regenerates" -- "$UMPIRE" report --db c.db --reports rep c1
check "report.json is byte-identical when regenerated" cmp -s first.json rep/c1/report.json
expect_exit 0 "bundle" -- "$UMPIRE" bundle c1 --db c.db -o c.tar.zst
expect_exit 0 "the bundle verifies (verdicts re-derived from the stored tests)" -- \
  "$UMPIRE" verify c.tar.zst
check "verify re-graded all 30" grep -q "re-graded: 30 attempts from 30 recorded transcripts, all agree" \
  "$WORK/out"

# an insider marks a failed attempt's tests passed and re-signs: the stored
# score no longer follows from the stored verdicts
mkdir x && tar --zstd -xf c.tar.zst -C x
id=$(sql x/store.sqlite "select attempt_id from attempts where score = 0
   and json_extract(detail_json, '$.program') = 1 limit 1")
sql x/store.sqlite "update attempts set detail_json = json_set(detail_json,
   '$.passed', json_extract(detail_json, '$.of'), '$.tests',
   (select json_group_array(json_object('v', 'passed')) from json_each(detail_json, '$.tests')))
   where attempt_id = '$id'"
bundle_resign x
(cd x && tar --zstd -cf ../t.tar.zst $(tar --zstd -tf ../c.tar.zst))
expect_exit 6 "verify refuses verdicts that do not give the stored score" -- "$UMPIRE" verify t.tar.zst
check "...naming the attempt and the score" grep -q "attempt $id .*score: stored '0', recomputed '1'" \
  "$WORK/out" "$WORK/err"

expect_exit 0 "rescore of a code run keeps the stored verdicts" -- \
  "$UMPIRE" rescore c1 --db c.db --scaffold "$S/scaffolds/livecodebench.yaml"
check "...and says so" grep -q "kind code: no extractor, the stored verdicts" "$WORK/out"
check "...nothing flips" sh -c "! awk 'NR > 2 && \$NF != 0' '$WORK/out' | grep -q ."

# --oracle: each problem's reference program is the answer; no model is called
expect_exit 0 "--oracle runs the reference programs" -- "$UMPIRE" run "$S/suites/code-demo.yaml" \
  --oracle --db o.db --run-id o1 --reports rep -q --date-from 2000-01-01
check "all 7 pass, no call made" test \
  "$(sql o.db "select count(*) from attempts where score=1 and n_calls=0")" -eq 7
check "report.md says none is broken" grep -q "Oracle: every problem's reference program passes" \
  rep/o1/report.md
check "report.html says it too, under the code table" \
  grep -q "<p class=\"note\">oracle: every problem's reference program passes its tests.</p>" rep/o1/report.html
cat >fx.yaml <<EOF
umpire: 1
name: fx
version: "1"
kind: code
categories: [easy, medium, hard]
scaffold: $S/scaffolds/livecodebench.yaml
dataset: {format: livecodebench, path: $S/tests/fixtures/code/lcb_release.jsonl}
EOF
expect_exit 0 "--oracle on problems without reference programs" -- "$UMPIRE" run fx.yaml --oracle \
  --db o.db --run-id o2 --reports rep -q
check "...lists them as broken" grep -q "Oracle: 3 problems whose reference program fails its own tests (or that has none) are broken: 3003, fx-1, fx-2." \
  rep/o2/report.md
check "...and report.html under its code table" grep -q \
  '<p class="note">oracle: the problems whose reference program fails its own tests (or that has none): 3003, fx-1, fx-2.</p>' \
  rep/o2/report.html
expect_exit 0 "an oracle run's bundle verifies" -- sh -c \
  "'$UMPIRE' bundle o1 --db o.db -o o.tar.zst && '$UMPIRE' verify o.tar.zst"

expect_exit 0 "--date-from/--date-to pick another window" -- \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" --db c.db \
  --run-id c2 --reports rep -q -s sim-atlas --date-from 2025-01-01 --date-to 2025-12-31
check "two problems dated 2025" test "$(sql c.db "select count(*) from attempts where run_id='c2'")" -eq 2
check "report says that window" grep -q "problems dated 2025-01-01 to 2025-12-31: 2 of the dataset's 7" \
  rep/c2/report.md
expect_exit 3 "a window with no problem is refused" -- \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" --db c.db \
  --run-id c3 -q --date-from 2030-01-01
check "...saying so" grep -q "no problem is dated in the window 2030-01-01" "$WORK/err"
expect_exit 2 "a malformed date is a usage error" -- \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" --db c.db \
  --run-id c3 -q --date-to 2025-02-30
expect_exit 6 "resuming with another window is refused" -- \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" --db c.db \
  --run-id c1 -q --date-from 2025-01-01
check "...naming the option" grep -q "another --date-from/--date-to" "$WORK/err"

# a TMPDIR the sandbox's user cannot reach fails once, before any call
mkdir -p private && chmod 700 private
expect_exit 8 "an unreachable TMPDIR is refused before the run" -- env TMPDIR="$WORK/private" \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" --db p.db \
  --run-id p1 --no-report -q
check "...saying where and why" grep -q "which the sandbox's user must reach (TMPDIR)" "$WORK/err"
check "...and no attempt was made" test "$(sql p.db "select count(*) from attempts")" -eq 0

# SIGKILL in the middle: the resume removes the run's directory and finishes
chmod 711 "$WORK" && mkdir -p tmp
TMPDIR="$WORK/tmp" "$UMPIRE" run "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" \
  -s sim-atlas -s sim-cirrus --db k.db --run-id k1 --no-report -q >/dev/null 2>&1 &
pid=$!
wait_attempts k.db 1
kill -9 "$pid"; wait "$pid" 2>/dev/null
check "a run killed with SIGKILL leaves its work directory" sh -c "ls -d tmp/umpire-code-k1-* >/dev/null"
expect_exit 0 "the killed run resumes" -- env TMPDIR="$WORK/tmp" "$UMPIRE" run \
  "$S/suites/code-demo.yaml" --models "$S/models/demo.yaml" -s sim-atlas -s sim-cirrus \
  --db k.db --resume k1 --no-report -q
check "every attempt graded once (12)" \
  test "$(sql k.db "select count(distinct item_id||system||sample) from attempts where status='done'")" -eq 12
check "...the same verdicts as the uninterrupted run" test \
  "$(sql k.db "select group_concat(system||item_id||score, ',') from (select * from attempts order by system, item_id)")" = \
  "$(sql c.db "select group_concat(system||item_id||score, ',') from (select * from attempts
     where run_id='c1' and system in ('sim-atlas', 'sim-cirrus') order by system, item_id)")"
check "and nothing of the killed run is left" sh -c "! ls -d tmp/umpire-code-k1-* 2>/dev/null"

# A program that looks for the expected outputs finds an empty directory:
# the reference "solution" of probe-1 prints how many entries it sees in the
# data directory, and the test expects 0.
mkdir -p mask/data
python3 - "$WORK/mask/data" <<'EOF'
import json, sys
d = sys.argv[1]
def t(i, o, k): return json.dumps([{"input": i, "output": o, "testtype": k}])
rows = [
  {"question_id": "probe-1", "question_content": "List the data directory.", "difficulty": "easy",
   "platform": "atcoder", "contest_date": "2025-01-02T00:00:00", "starter_code": "",
   "public_test_cases": t("\n", "0\n", "stdin"), "private_test_cases": "[]", "metadata": "{}",
   "solution": "import os\ntry:\n    print(len(os.listdir(%r)))\nexcept OSError:\n    print(0)\n" % d},
  {"question_id": "probe-2", "question_content": "Return the sum of two numbers.", "difficulty": "easy",
   "platform": "leetcode", "contest_date": "2025-01-03T00:00:00",
   "starter_code": "class Solution:\n    def add(self, a: int, b: int) -> int:\n        ",
   "public_test_cases": t("1\n2", "3", "functional"), "private_test_cases": t("-5\n5", "0", "functional"),
   "metadata": "{\"func_name\": \"add\"}",
   "solution": "class Solution:\n    def add(self, a: int, b: int) -> int:\n        return a + b\n"},
]
with open(d + "/p.jsonl", "w") as f:
  for r in rows: f.write(json.dumps(r) + "\n")
EOF
cat >mask/suite.yaml <<EOF
umpire: 1
name: probe
version: "1"
kind: code
categories: [easy]
scaffold: $S/scaffolds/livecodebench.yaml
repeats: 4
seed: 5
dataset: {format: livecodebench, path: data/p.jsonl}
EOF
cat >mask/pool.yaml <<'EOF'
umpire: 1
seed: 11
latency_scale: 0
models:
  - {name: sim-perfect, accuracy: {default: 1.0}}
  - {name: sim-sloppy, accuracy: {default: 1.0}, format_misses: 1.0}
EOF
cat >mask/models.yaml <<'EOF'
umpire: 1
simulator: pool.yaml
systems:
  - {name: sim-perfect, role: baseline, provider: openai, base_url: "${UMPIRE_SIM_URL}/v1",
     model: sim-perfect, pricing: {input: 1, output: 1}, concurrency: 4}
  - {name: sim-sloppy, role: baseline, provider: openai, base_url: "${UMPIRE_SIM_URL}/v1",
     model: sim-sloppy, pricing: {input: 1, output: 1}, concurrency: 4}
EOF
expect_exit 0 "probe suite runs" -- \
  "$UMPIRE" run mask/suite.yaml --models mask/models.yaml --db mask/m.db --run-id m1 \
  --no-report -q
p=$(sql mask/m.db "select count(*) from attempts where system='sim-perfect' and score=1")
check "a right program passes, and sees no data files (8 of 8, got $p)" test "$p" -eq 8
w=$(sql mask/m.db "select json_extract(detail_json, '$.tests[0].why') from attempts
   where system='sim-perfect' and item_id='probe-1' and score=0 limit 1")
[ -z "$w" ] || echo "# probe saw: $w"
np=$(sql mask/m.db "select count(*) from attempts where system='sim-sloppy' and extracted is null
   and score=0 and json_extract(detail_json, '$.program') = 0
   and json_extract(detail_json, '$.tests[0].v') = 'not_run'")
dr=$(sql mask/m.db "select count(*) from attempts where system='sim-sloppy' and score=1
   and response_text like '%first draft%'")
check "answers without fences have no program, score 0, run nothing ($np)" test "$np" -gt 0
check "a wrong draft before the final block: the last block is graded ($dr)" test "$dr" -gt 0
check "every sloppy answer is one or the other" test $((np + dr)) -eq 8

expect_exit 0 "every reference program of the demo passes its tests" -- \
  "$UMPIRE" run "$S/suites/code-demo.yaml" --models mask/models.yaml -s sim-perfect \
  --db mask/m.db --run-id m2 --no-report -q --date-from 2000-01-01
check "7 of 7 problems solved by their reference programs" \
  test "$(sql mask/m.db "select count(*) from attempts where run_id='m2' and score=1")" -eq 7

# C++ programs: compiled once in the sandbox, then run per test
python3 - "$WORK/cpp" <<'EOF'
import json, os, sys
d = sys.argv[1]
os.makedirs(d)
t = [{"input": "2 3\n", "output": "5\n", "testtype": "stdin"},
     {"input": "-7 7\n", "output": "0\n", "testtype": "stdin"}]
row = {"question_id": "cpp-1", "question_content": "Print the sum of two integers, in C++.",
       "difficulty": "easy", "platform": "codeforces", "contest_date": "2025-06-01",
       "public_test_cases": json.dumps(t[:1]), "private_test_cases": json.dumps(t[1:]),
       "solution": "#include <cstdio>\nint main() { long a, b; scanf(\"%ld %ld\", &a, &b); "
                   "printf(\"%ld\\n\", a + b); }\n"}
open(d + "/p.jsonl", "w").write(json.dumps(row) + "\n")
EOF
sed -e "s|data/p.jsonl|$WORK/cpp/p.jsonl|" -e "s|livecodebench.yaml|code-cpp.yaml|" \
  -e 's|^seed: 5$|seed: 5\ncode: {language: cpp}|' \
  mask/suite.yaml >mask/cpp.yaml
expect_exit 0 "a C++ suite runs" -- "$UMPIRE" run mask/cpp.yaml --models mask/models.yaml \
  --db mask/m.db --run-id m3 --no-report -q
check "the right C++ program passes (4 of 4)" test \
  "$(sql mask/m.db "select count(*) from attempts where run_id='m3' and system='sim-perfect'
     and score=1 and json_extract(detail_json, '$.compile.ok') = 1")" -eq 4
w=$(sql mask/m.db "select count(*) from attempts where run_id='m3' and system='sim-sloppy'
   and (score=1 or extracted is null)")
check "format misses in C++ too: no program, or the final block passes (4, got $w)" test "$w" -eq 4
sed 's|^seed: 5$|seed: 5\ncode: {language: cpp}|' mask/suite.yaml >mask/cpp-call.yaml
expect_exit 3 "call-based problems in a C++ suite are refused" -- \
  "$UMPIRE" run mask/cpp-call.yaml --models mask/models.yaml --db mask/g.db -q --no-report
check "...at the problem's line" grep -q "p.jsonl:2: problem probe-2 has call-based tests" "$WORK/err"

# Garbage data: the release's pickled private tests, and a cut line.
for f in lcb_pickled lcb_garbage; do
  sed "s|data/p.jsonl|$S/tests/fixtures/code/$f.jsonl|" mask/suite.yaml >"mask/$f.yaml"
done
expect_exit 3 "the compressed release form is refused" -- \
  "$UMPIRE" run mask/lcb_pickled.yaml --models mask/models.yaml --db mask/g.db -q --no-report
check "...at its line, with the way out" \
  grep -q "lcb_pickled.jsonl:2:[0-9]*: 'private_test_cases' is in the release's compressed form" \
  "$WORK/err"
expect_exit 3 "a cut line is refused" -- \
  "$UMPIRE" run mask/lcb_garbage.yaml --models mask/models.yaml --db mask/g.db -q --no-report
check "...at line and column" grep -q "lcb_garbage.jsonl:3:150: invalid JSON" "$WORK/err"
check "nothing was recorded for them" test ! -s mask/g.db -o \
  "$(sql mask/g.db "select count(*) from attempts" 2>/dev/null || echo 0)" = 0

done_testing
