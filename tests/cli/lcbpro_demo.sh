#!/usr/bin/env bash
# LiveCodeBench Pro end to end (bwrap): the original demo problems in its
# formats with --oracle and on the simulated pool (a checker's, an
# interactor's and a token comparison's verdicts, the band per difficulty, a bundle that verifies with
# the official extraction), the judge's limits (time, memory, stack = memory),
# a program that looks for the answers or the checker and finds neither, a
# compile error, and garbage data refused with file:line:col.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export HOME="$WORK"

expect_exit 0 "the demo's reference programs pass (--oracle)" -- \
  "$UMPIRE" run "$S/suites/lcbpro-demo.yaml" --oracle --db o.db --run-id o1 --reports rep -q
check "4 of 4, none broken" test "$(sql o.db "select count(*) from attempts where score=1")" -eq 4
check "9001B is judged by its checker, 9001A by tokens, 9002D by its interactor" test \
  "$(sql o.db "select group_concat(item_id||'='||json_extract(detail_json, '$.check'), ',') from
   (select * from attempts order by item_id)")" = "9001A=tokens,9001B=checker,9002C=checker,9002D=interactor"
check "the problems' own limits are kept" test \
  "$(sql o.db "select json_extract(detail_json, '$.limits.time_ms')||' ms, '||
   json_extract(detail_json, '$.limits.memory_mb')||' MiB' from attempts where item_id='9002C'")" \
  = "1500 ms, 512 MiB"

expect_exit 0 "the demo runs on the simulated pool" -- \
  "$UMPIRE" run "$S/suites/lcbpro-demo.yaml" --models "$S/models/demo.yaml" --db s.db \
  --run-id s1 --reports rep -q
check "20 attempts graded" test "$(sql s.db "select count(*) from attempts where status='done'")" -eq 20
v=$(sql s.db "select group_concat(distinct json_extract(t.value, '$.why')) from attempts,
   json_each(detail_json, '$.tests') t where json_extract(t.value, '$.v') = 'wrong_answer'")
check "a checker's rejection, an interactor's and a token mismatch are told apart ($v)" \
  sh -c "echo '$v' | grep -q 'checker: wrong answer' && echo '$v' | grep -q 'token 1: got' &&
         echo '$v' | grep -q 'interactor: '"
# a problem's checker or interactor is compiled once a run, by its first
# attempt; the others copy it from the run's cache and say so
helped=$(sql s.db "select count(*) from attempts where coalesce(json_extract(detail_json,
  '$.checker_compile.ok'), json_extract(detail_json, '$.interactor_compile.ok')) = 1")
cached=$(sql s.db "select count(*) from attempts where coalesce(json_extract(detail_json,
  '$.checker_compile.cached'), json_extract(detail_json, '$.interactor_compile.cached')) = 1")
check "each helper compiled once: 3 of $helped compiled, $cached from the cache" \
  test "$helped" -ge 6 -a "$cached" -eq $((helped - 3))
check "the interactive problem is solved by the right programs" test \
  "$(sql s.db "select count(*) from attempts where item_id='9002D' and score=1")" -ge 1
check "report.md has a band per difficulty" sh -c \
  "grep -q '^| easy | sim-atlas' rep/s1/report.md && grep -q '^| medium | sim-atlas' rep/s1/report.md &&
   grep -q '^| hard | sim-atlas' rep/s1/report.md"
check "report says the window" grep -q "problems dated from 2025-04-01: 4 of the dataset's 4" \
  rep/s1/report.md
expect_exit 0 "the bundle verifies (the official extraction, again)" -- sh -c \
  "'$UMPIRE' bundle s1 --db s.db -o s.tar.zst && '$UMPIRE' verify s.tar.zst"
check "...all 20 re-graded" grep -q "re-graded: 20 attempts from 20 recorded transcripts, all agree" \
  "$WORK/out"

# The shipped suite, with the demo's problems in the place it names.
expect_exit 3 "the shipped suite without its data says what is missing" -- \
  "$UMPIRE" run "$S/suites/livecodebench-pro.yaml" --oracle --db x.db -q --no-report
check "...naming what, where" grep -q "livecodebench-pro.yaml:47:10: .*data/livecodebench-pro/testcases: no such directory" "$WORK/err"
mkdir -p ship/suites ship/scaffolds ship/data/livecodebench-pro/testlib
chmod 711 "$WORK" # the checker's sandbox (nobody) binds testlib/ from here
cp "$S/suites/livecodebench-pro.yaml" ship/suites/
cp "$S/scaffolds/livecodebench-pro.yaml" ship/scaffolds/
cp "$S/suites/lcbpro-demo/problems.jsonl" ship/data/livecodebench-pro/
cp -r "$S/suites/lcbpro-demo/testcases" ship/data/livecodebench-pro/
expect_exit 0 "the shipped suite runs on data in its layout" -- "$UMPIRE" run \
  ship/suites/livecodebench-pro.yaml --oracle --db x.db --run-id x1 --reports rep -q
check "...4 of 4" test "$(sql x.db "select count(*) from attempts where score=1")" -eq 4
check "...with the vendor's claims in the report" grep -q "90.8" rep/x1/report.md
# the pin is over the export and every problem's tests: the recorded hash
# holds the same data, and a changed answer file breaks it
h=$(sql x.db "select dataset_sha256 from runs where run_id='x1'")
check "the recorded hash is not the export's alone" \
  test "$h" != "$(sha256sum ship/data/livecodebench-pro/problems.jsonl | cut -c1-64)"
sed "s/  # sha256: <64 hex digits>/  sha256: $h/" ship/suites/livecodebench-pro.yaml > ship/suites/pinned.yaml
expect_exit 0 "pinned to it, the same data runs" -- "$UMPIRE" run ship/suites/pinned.yaml \
  --oracle --db p.db -q --no-report
ans=$(find ship/data/livecodebench-pro/testcases -name '*.ans' -o -name '*.out' | sort | head -1)
echo 0 >> "$ans"
expect_exit 4 "a changed answer file ($(basename "$ans")) stops the pinned suite" -- \
  "$UMPIRE" run ship/suites/pinned.yaml --oracle --db p.db -q --no-report
check "...saying the tests are covered" grep -q "with its tests (.*testcases): sha256 mismatch: pinned $h" "$WORK/err"
check "...and nothing recorded is lost" test "$(sql p.db "select count(*) from attempts")" -eq 4

# Problems whose reference programs break the rules, run with --oracle.
mkdir -p lim/t
prob() { # id time memory checker? solution-file
  local d=lim/t/$1
  mkdir -p "$d/testdata"
  printf 'type: default\ntime_limit: %s\nmemory_limit: %s\nsubtasks:\n  - {score: 100, n_cases: 2}\n' \
    "$2" "$3" >"$d/config.yaml"
  printf '1\n' >"$d/testdata/1.in"; printf '1\n' >"$d/testdata/1.ans"
  printf '2\n' >"$d/testdata/2.in"; printf '42\n' >"$d/testdata/2.ans"
  [ "$4" = chk ] && cp "$S/suites/lcbpro-demo/testcases/9002C/chk.cc" "$d/chk.cc"
  python3 -c 'import json,sys; print(json.dumps({"problem_id": sys.argv[1], "problem_title": "t",
    "difficulty": "easy", "platform": "codeforces", "split": "quater_2025_4_6",
    "problem_statement": "Echo the number.", "solution": open(sys.argv[2]).read()}))' \
    "$1" "$5" >>lim/p.jsonl
}
cat >echo.cpp <<'EOF'
#include <cstdio>
int main() { int n; scanf("%d", &n); if (n == 1) { puts("1"); return 0; }
  for (;;) { } }
EOF
cat >mem.cpp <<'EOF'
#include <cstdio>
#include <vector>
int main() { int n; scanf("%d", &n); std::vector<char> v((size_t)(n - 1) << 28, 1);
  printf("%d\n", n == 1 ? 1 : v[5]); }
EOF
cat >peek.cpp <<EOF
#include <cstdio>
int main() {
  int n; scanf("%d", &n);
  const char *p[] = {"$WORK/lim/t/P1/testdata/2.ans", "ans.txt", "../ans.txt"};
  for (const char *f : p) { FILE *x = fopen(f, "r"); char b[64];
    if (x && fgets(b, sizeof b, x)) { fputs(b, stdout); return 0; } }
  printf("%d\n", n);
}
EOF
cat >bad.cpp <<'EOF'
#include <cstdio>
int main() { this is not C++; }
EOF
prob T1 1s 256m chk echo.cpp
prob M1 2s 64m - mem.cpp
prob P1 1s 256m chk peek.cpp
prob C1 1s 256m - bad.cpp
cat >lim/s.yaml <<EOF
umpire: 1
name: lim
version: "1"
kind: code
categories: [easy]
scaffold: $S/scaffolds/livecodebench-pro.yaml
code: {language: cpp}
dataset: {format: livecodebench-pro, path: p.jsonl, tests: t}
EOF
expect_exit 0 "rule-breaking programs are judged" -- "$UMPIRE" run lim/s.yaml --oracle \
  --db l.db --run-id l1 --no-report -q
verdicts() {
  sql l.db "select group_concat(json_extract(t.value, '$.v'), ' ') from attempts,
    json_each(detail_json, '$.tests') t where item_id = '$1'"
}
check "an endless loop: passed, then time_limit ($(verdicts T1))" test "$(verdicts T1)" = "passed time_limit"
check "...within twice the time limit (wall $(sql l.db "select json_extract(detail_json,
   '$.tests[1].ms') from attempts where item_id='T1'") ms)" test \
  "$(sql l.db "select json_extract(detail_json, '$.tests[1].ms') < 2500 from attempts where item_id='T1'")" = 1
check "256 MiB under a 64 MiB limit fails ($(verdicts M1))" test "$(verdicts M1)" = "passed runtime_error"
check "the answers and the checker's files are out of reach ($(verdicts P1))" \
  test "$(verdicts P1)" = "passed wrong_answer"
check "...the program printed the input, not the answer" \
  test "$(sql l.db "select json_extract(detail_json, '$.tests[1].why') from attempts where item_id='P1'")" \
  = "checker: wrong answer: expected 42"
check "a compile error on the first test, the rest not run ($(verdicts C1))" \
  test "$(verdicts C1)" = "compile_error not_run"
check "...with the compiler's first error" test \
  "$(sql l.db "select json_extract(detail_json, '$.tests[0].why') like '%error:%' from attempts where item_id='C1'")" = 1

# Garbage, refused before any call with the place of the mistake.
G="$S/tests/fixtures/code/lcbpro_garbage"
cat >g.yaml <<EOF
umpire: 1
name: g
version: "1"
kind: code
categories: [easy]
scaffold: $S/scaffolds/livecodebench-pro.yaml
code: {language: cpp}
dataset: {format: livecodebench-pro, path: $G/problems.jsonl, tests: $G/testcases}
EOF
expect_exit 3 "a cut line is refused" -- "$UMPIRE" run g.yaml --oracle --db g.db -q --no-report
check "...at its line and column" grep -q "problems.jsonl:2:[0-9]*: invalid JSON" "$WORK/err"
printf '%s\n' '{"problem_id": "G4", "problem_title": "t", "difficulty": "easy", "split": "quater_2025_4_6", "problem_statement": "s"}' >g4.jsonl
sed "s|$G/problems.jsonl|$WORK/g4.jsonl|" g.yaml >g4.yaml
expect_exit 3 "an interactive problem without its interactor is refused" -- "$UMPIRE" run g4.yaml \
  --oracle --db g.db -q --no-report
check "...at config.yaml's line" grep -q "G4/config.yaml:2:13: .*G4/interactor.cpp: no such file" "$WORK/err"
sed 's|code: {language: cpp}|code: {language: python}|' g.yaml >gp.yaml
expect_exit 3 "a LiveCodeBench Pro suite in Python is refused" -- "$UMPIRE" run gp.yaml --oracle \
  --db g.db -q --no-report
check "...saying why" grep -q "judged in C++: the suite needs code: {language: cpp}" "$WORK/err"
check "nothing was recorded" test ! -s g.db -o \
  "$(sql g.db "select count(*) from attempts" 2>/dev/null || echo 0)" = 0

done_testing
