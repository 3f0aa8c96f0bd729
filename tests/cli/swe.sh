#!/usr/bin/env bash
# Repository repair: gold patches resolve every demo task; the simulated pool
# fixes some through the agent loop; published patches are graded under the
# same rules: each patch strategy, a patch that does not apply, one that
# breaks a PASS_TO_PASS test, a test run that times out, a missing prediction,
# and both denominators in the report.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
D="$S/suites/swe-demo"

expect_exit 0 "gold mode on the swe demo" -- \
  "$UMPIRE" run "$S/suites/swe-demo.yaml" --oracle --db g.db --run-id g1 --reports rep
t=$(sql g.db "select count(*) from attempts")
check "every gold patch resolves ($t tasks)" \
  test "$(sql g.db "select sum(score) from attempts")" -eq "$t" -a "$t" -ge 8
check "the base commit is the same on every machine" \
  test "$(sql g.db "select count(distinct json_extract(detail_json,'\$.base_commit')) from attempts where item_id='c-ringbuf-wrap'")" -eq 1
check "the report has the repository-repair section" grep -q "## Repository repair" rep/g1/report.md
check "every table of the repository-repair report.md is well formed" \
  python3 "$UMPIRE_SRCDIR/tests/tools/md_tables.py" rep/g1/report.md 4

expect_exit 0 "the simulated pool through the agent loop" -- \
  "$UMPIRE" run "$S/suites/swe-demo.yaml" --models "$S/models/demo.yaml" --db a.db --run-id a1 \
  --quiet --reports rep
check "every attempt graded" test "$(sql a.db "select count(*) from attempts where status='done'")" -eq $((5 * t))
check "some resolved, some not" test "$(sql a.db "select sum(score) > 0 and sum(score) < count(*) from attempts")" -eq 1
check "each resolved attempt's diff was taken from its work tree" \
  test "$(sql a.db "select count(*) from attempts a where score=1 and not exists (select 1 from tool_steps t where t.attempt_id=a.attempt_id and t.tool='diff')")" -eq 0

# published patches, made here from the demo repositories
mkpatch() { # task, sed script on FILE -> patch on stdout (against the base repository)
  local task=$1 file=$2 expr=$3 r
  r=$(mktemp -d "$WORK/r.XXXXXX")
  cp -r "$D/$task/repo/." "$r" && (cd "$r" && git init -q && git add -A &&
    git -c user.name=u -c user.email=u@e commit -qm base && sed -i "$expr" "$file" && git diff)
}
gold() { cat "$D/$1/gold.patch"; }
# a gold patch with one context line changed: git apply refuses it, patch --fuzz takes it
fuzzed=$(gold c-csv-empty-fields | sed '0,/^ int csv_split(char \*line, char \*\*fields, int max)$/s//  int csv_split(char *line, char **fields, int max)  /')
garbage=$'diff --git a/ringbuf.c b/ringbuf.c\n--- a/ringbuf.c\n+++ b/ringbuf.c\n@@ -1,3 +1,3 @@\n-this line is not there\n+nor is this\n'
breaks=$(mkpatch sh-linecount-spaces linecount.sh '2,$d')
hangs=$(mkpatch sh-rotate-logs-order rotate.sh '2i sleep 600')
jq -n --arg g "$(gold py-lru-get-recency)" --arg f "$fuzzed" --arg x "$garbage" --arg b "$breaks" \
  --arg h "$hangs" '{umpire_predictions: 1, model: "vendor-x", predictions: [
    {instance_id: "py-lru-get-recency", model_patch: ($g + "\n")},
    {instance_id: "c-csv-empty-fields", model_patch: ($f + "\n")},
    {instance_id: "c-ringbuf-wrap", model_patch: $x},
    {instance_id: "sh-linecount-spaces", model_patch: ($b + "\n")},
    {instance_id: "sh-rotate-logs-order", model_patch: ($h + "\n")},
    {instance_id: "py-config-equals-in-value", model_patch: ""}]}' > pred.json
mkdir -p suite && cp -r "$D" suite/ && sed -e "s#scaffold: ../scaffolds/#scaffold: $S/scaffolds/#" \
  -e 's/verifier_s: 120/verifier_s: 5/' "$S/suites/swe-demo.yaml" > suite/swe-demo.yaml
expect_exit 0 "graded published patches" -- \
  "$UMPIRE" run suite/swe-demo.yaml --predictions pred.json --db p.db --run-id p1 --reports rep
st() { sql p.db "select json_extract(detail_json,'\$.$2') from attempts where item_id='$1'"; }
check "the gold patch resolves" test "$(sql p.db "select score from attempts where item_id='py-lru-get-recency'")" -eq 1
check "a patch with a wrong context line applies only with fuzz ($(st c-csv-empty-fields patch_strategy))" \
  test "$(st c-csv-empty-fields patch_strategy)" = patch_fuzz
check "a patch that does not apply is unresolved and counted" \
  test "$(st c-ringbuf-wrap patch_strategy)" = "" -a "$(sql p.db "select score from attempts where item_id='c-ringbuf-wrap'")" -eq 0
check "a patch that breaks PASS_TO_PASS tests is unresolved" \
  test "$(sql p.db "select score || ':' || (json_extract(detail_json,'\$.pass_to_pass.passed') < json_extract(detail_json,'\$.pass_to_pass.total')) from attempts where item_id='sh-linecount-spaces'")" = "0:1"
check "a test run past its time limit is unresolved" \
  test "$(st sh-rotate-logs-order tests_timed_out)" = 1
check "an empty patch is not a submitted patch" test "$(st py-config-equals-in-value patch_submitted)" = 0
check "a task without a prediction is unresolved" \
  test "$(sql p.db "select count(*) from attempts where score=0 and finish_reason='no_prediction'")" -eq $((t - 6))
sub=$(jq '.systems[0].agent.swe.patches_submitted' rep/p1/report.json)
check "both denominators: 5 patches submitted of $t tasks (got $sub)" test "$sub" -eq 5
res=$(jq '.systems[0].agent.swe.resolved' rep/p1/report.json)
np=$(jq '.systems[0].agent.swe.predictions' rep/p1/report.json)
check "the official formula's denominator: the 6 predictions, the empty patch included (got $np)" \
  test "$np" -eq 6
check "official formula = resolved / predictions ($res / $np)" \
  test "$(jq --argjson r "$res" '(.systems[0].agent.swe.resolved_official - $r / 6) | . * . < 1e-12' rep/p1/report.json)" = true
check "whole suite = resolved / every task ($res / $t)" \
  test "$(jq --argjson r "$res" --argjson t "$t" '(.systems[0].agent.swe.resolved_over_tasks - $r / $t) | . * . < 1e-12' rep/p1/report.json)" = true
for h in "Whole suite" "| Submitted |" "Official formula"; do
  check "the report labels the denominator: $h" grep -qF "$h" rep/p1/report.md
done
check "the report names the profile that graded" grep -q "Graded by profile neutral" rep/p1/report.md
cat > claims.yaml <<EOT
umpire: 1
title: "vendor-x"
source: "its blog"
benchmarks:
  - name: SWE demo
    suite: swe-demo
    claims:
      - {system: vendor-x, measured_as: predictions, value: 40, denominator: submitted}
      - {system: vendor-x, measured_as: predictions, value: 40, denominator: official}
      - {system: vendor-x, measured_as: predictions, value: 40}
EOT
sysname=$(jq -r '.systems[0].name' rep/p1/report.json)
sed -i "s/measured_as: predictions/measured_as: $sysname/" claims.yaml
expect_exit 0 "claims compared on their own denominators" -- "$UMPIRE" claims claims.yaml --db p.db --json
check "submitted: the score over submitted patches" test "$(jq --slurpfile r rep/p1/report.json '(.benchmarks[0].rows[0].measured.percent - 100 * $r[0].systems[0].agent.swe.resolved_over_submitted) | . * . < 1e-9' "$WORK/out")" = true
check "official: the official formula" test "$(jq --slurpfile r rep/p1/report.json '(.benchmarks[0].rows[1].measured.percent - 100 * $r[0].systems[0].agent.swe.resolved_official) | . * . < 1e-9' "$WORK/out")" = true
check "and each row says which" test "$(jq -r '[.benchmarks[0].rows[].denominator] | join(",")' "$WORK/out")" = submitted,official,whole_suite
check "and the fuzz factor, as patch --fuzz was tried" grep -q "patch_fuzz (fuzz 3)" rep/p1/report.md
export UMPIRE_KEY_DIR="$WORK/keys"
expect_exit 0 "bundle the graded predictions" -- "$UMPIRE" bundle p1 --db p.db -o p.tar.zst
expect_exit 0 "verify: every verdict re-derived from the stored test logs" -- \
  "$UMPIRE" verify p.tar.zst --pubkey keys/umpire.pub
mkdir xb && tar --zstd -xf p.tar.zst -C xb
sql xb/store.sqlite "update tool_steps set stdout = replace(stdout, 'not ok', 'ok') where tool='verifier'"
bundle_resign xb && (cd xb && tar --zstd -cf ../pt.tar.zst $(ls))
expect_exit 6 "an edited test log is detected" -- "$UMPIRE" verify pt.tar.zst --pubkey keys/umpire.pub
check "as a changed score" grep -q "score: stored '0', recomputed '1'" "$WORK/err"
expect_exit 2 "--predictions on a terminal suite" -- \
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --predictions pred.json --db x.db
echo '{"umpire_predictions": 2}' > bad.json
expect_exit 3 "a predictions file of another version" -- \
  "$UMPIRE" run suite/swe-demo.yaml --predictions bad.json --db x.db

# repository archives: a safe one runs, unsafe members refuse the task
mkdir -p arch/t/repo && echo "int x;" > arch/t/repo/a.c && (cd arch/t/repo && tar -cf ../good.tar .)
printf 'diff --git a/a.c b/a.c\n--- a/a.c\n+++ b/a.c\n@@ -1 +1 @@\n-int x;\n+int y;\n' > arch/t/g.patch
python3 - <<'PY'
import io, tarfile
t = tarfile.open("arch/t/dotdot.tar", "w")
i = tarfile.TarInfo("../escape.txt"); i.size = 1; t.addfile(i, io.BytesIO(b"x")); t.close()
t = tarfile.open("arch/t/abs.tar", "w")
i = tarfile.TarInfo("/tmp/evil.txt"); i.size = 1; t.addfile(i, io.BytesIO(b"x")); t.close()
t = tarfile.open("arch/t/link.tar", "w")
i = tarfile.TarInfo("evil"); i.type = tarfile.SYMTYPE; i.linkname = "/etc/passwd"; t.addfile(i); t.close()
PY
for a in good dotdot abs link; do
  cat > arch/$a.yaml <<EOT
umpire: 1
name: arch-$a
version: "1"
kind: swe
categories: [c]
scaffold: $S/scaffolds/swe-agent.yaml
tasks:
  - {id: x, dir: t, category: c, repo_archive: $a.tar, problem_statement_text: "fix it",
     gold_patch: g.patch, test_command: "grep -q 'int y' a.c && echo 'ok 1 - y' || echo 'not ok 1 - y'",
     log_parser: tap, fail_to_pass: [y], pass_to_pass: []}
EOT
done
expect_exit 0 "a repository from a tar archive" -- "$UMPIRE" run arch/good.yaml --oracle --db ar.db --quiet --no-report
check "is graded like a directory" test "$(sql ar.db "select score from attempts")" -eq 1
sed 's/^tasks:/swe: {patch_strategies: [git_apply]}\ntasks:/' arch/good.yaml > arch/nofuzz.yaml
expect_exit 0 "a suite that tries git apply only" -- \
  "$UMPIRE" run arch/nofuzz.yaml --oracle --db nf.db --reports nfrep --quiet
check "its report states no fuzz factor" bash -c "grep -q 'tried in order: git_apply;' nfrep/*/report.md && ! grep -q '(fuzz' nfrep/*/report.md"
# a repository with history, where the fix was written against an older
# version: plain `git apply` refuses it, `git apply --3way` merges it
mkdir -p hist && (cd hist && git init -q && seq 1 12 | sed 's/^/line /' > f.txt && git add f.txt &&
  git -c user.name=u -c user.email=e commit -qm v1 &&
  sed -i 's/^line 8$/line eight patched/' f.txt && git diff > ../arch/t/old.patch &&
  git checkout -q f.txt && sed -i 's/^line 6$/line six changed upstream/' f.txt &&
  git -c user.name=u -c user.email=e commit -qam v2 && tar -cf ../arch/t/hist.tar .)
cat > arch/hist.yaml <<EOT
umpire: 1
name: arch-hist
version: "1"
kind: swe
categories: [c]
scaffold: $S/scaffolds/swe-agent.yaml
tasks:
  - {id: x, dir: t, category: c, repo_archive: hist.tar, problem_statement_text: "fix line 8",
     gold_patch: old.patch, log_parser: tap, fail_to_pass: [eight], pass_to_pass: [six],
     test_command: "grep -q 'line eight patched' f.txt && echo 'ok 1 - eight' || echo 'not ok 1 - eight'; grep -q 'six changed' f.txt && echo 'ok 2 - six'"}
EOT
expect_exit 0 "a patch against an older version of the file" -- \
  "$UMPIRE" run arch/hist.yaml --oracle --db h.db --quiet --no-report
check "applies only by the three-way strategy, and resolves" \
  test "$(sql h.db "select json_extract(detail_json,'\$.patch_strategy') || ':' || score from attempts")" = "git_apply_3way:1"
for a in dotdot abs link; do
  expect_exit 3 "a repository archive with an unsafe member ($a)" -- \
    "$UMPIRE" run arch/$a.yaml --oracle --db ar.db --quiet --no-report
  check "is refused with the member named" grep -q "unsafe member" "$WORK/err"
done
done_testing
