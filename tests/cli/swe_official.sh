#!/usr/bin/env bash
# Profile official: an instance in SWE-Bench Pro's layout (run_scripts/ID/
# run_script.sh and parser.py, dockerfiles/*/ID/Dockerfile with ENV lines,
# before_repo_set_cmd) graded step by step as the official evaluation does,
# with per-test statuses identical to running its parser.py by hand, and a
# predictions file with an empty patch, a binary hunk and a patch that does
# not apply graded with the official denominator.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
I="$UMPIRE_FIXTURES/swe_official/instance"
ID=instance_acme__ledger-0001
G() { git -c user.name=u -c user.email=e@x -c commit.gpgsign=false "$@"; }
export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z

# the repository: the base commit, and the gold commit with the fix and tests
mkdir repo && (cd repo && git init -q && cp "$I/ledger_base.py" ledger.py && G add . &&
  G commit -qm base && cp "$I/ledger_gold.py" ledger.py && cp "$I/test_ledger.py" . &&
  G add . && G commit -qm gold)
BASE=$(git -C repo rev-parse HEAD~1); GOLD=$(git -C repo rev-parse HEAD)
git -C repo diff "$BASE" "$GOLD" -- ledger.py > gold.patch
git -C repo diff "$BASE" "$GOLD" -- test_ledger.py > test.patch
(cd repo && git checkout -q "$BASE" && tar -cf ../repo.tar .)

# the checkout of the official repository's layout
mkdir -p pro/run_scripts/$ID pro/dockerfiles/base_dockerfile/$ID pro/dockerfiles/instance_dockerfile/$ID
cp "$I/run_script.sh" "$I/parser.py" pro/run_scripts/$ID/
cp "$I/Dockerfile.base" pro/dockerfiles/base_dockerfile/$ID/Dockerfile
cp "$I/Dockerfile.instance" pro/dockerfiles/instance_dockerfile/$ID/Dockerfile
mkdir -p suite/t && cp repo.tar gold.patch test.patch suite/t/
echo "the refund total is wrong" > suite/t/issue.md
printf 'git reset --hard %s\ngit clean -fd\ngit checkout %s -- test_ledger.py\n' "$BASE" "$GOLD" > suite/t/before.sh
cat > suite/s.yaml <<EOT
umpire: 1
name: ledger-pro
version: "1"
kind: swe
categories: [python]
scaffold: $S/scaffolds/swe-agent.yaml
swe: {grading: official}
tasks:
  - {id: $ID, dir: t, category: python, repo_archive: repo.tar, base_commit: "$BASE",
     problem_statement: issue.md, gold_patch: gold.patch, test_patch: test.patch,
     before_repo_set_cmd: before.sh, selected_test_files: [test_ledger.py],
     log_parser: pytest, fail_to_pass: ["test_ledger.py::LedgerTest::test_refund"],
     pass_to_pass: ["test_ledger.py::LedgerTest::test_sum"]}
EOT
expect_exit 5 "official grading without --swe-scripts is an infrastructure error" -- \
  "$UMPIRE" run suite/s.yaml --oracle --db x.db --quiet --no-report
check "that names the option" \
  test "$(sql x.db "select count(*) from attempts where error_msg like '%--swe-scripts DIR%'")" -eq 1
expect_exit 0 "the gold patch, graded the official way" -- \
  "$UMPIRE" run suite/s.yaml --oracle --swe-scripts pro --db o.db --run-id o1 --reports rep --keep-workdirs
check "resolves" test "$(sql o.db "select score from attempts")" -eq 1
check "the report names the profile" grep -q "Graded by profile official" rep/o1/report.md
# by hand: the same entry script pieces, the same parser.py on the same logs
sql o.db "select stdout from tool_steps where tool='log_parser'" > umpire.json
check "parser.py's output was kept" test -s umpire.json
# replay the official steps by hand in a copy of the repository
mkdir hand && tar -xf repo.tar -C hand
(cd hand && git apply gold.patch 2>/dev/null; git apply ../gold.patch && git checkout -q "$GOLD" -- test_ledger.py &&
  LEDGER_CURRENCY=EUR bash -c "sed 's#/app#$PWD#' '$I/run_script.sh' > ../rs.sh; bash ../rs.sh test_ledger.py" \
  > ../out.log 2> ../err.log)
python3 "$I/parser.py" out.log err.log hand.json
check "per-test statuses identical to parser.py run by hand" \
  test "$(jq -cS '.tests | sort_by(.name)' umpire.json)" = "$(jq -cS '.tests | sort_by(.name)' hand.json)"
check "both tests passed (ENV exported: test_sum reads LEDGER_CURRENCY)" \
  test "$(jq -r '[.tests[] | select(.status == "PASSED")] | length' hand.json)" -eq 2

# a vendor's predictions: gold, empty, a binary hunk beside the gold fix, one that does not apply
bin=$'diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..e69de29\nGIT binary patch\nliteral 3\nKcmZ?wfB*mh0096B\n\nliteral 0\nHcmV?d00001\n\n'
noapply=$'diff --git a/ledger.py b/ledger.py\n--- a/ledger.py\n+++ b/ledger.py\n@@ -1,2 +1,2 @@\n-no such line\n+nor this\n'
for k in gold empty binary noapply; do
  case $k in
    gold) p="$(cat gold.patch)"$'\n' ;; empty) p="" ;; binary) p="$bin$(cat gold.patch)"$'\n' ;;
    noapply) p="$noapply" ;;
  esac
  sed "s/$ID/$ID-$k/" suite/s.yaml | sed -n '/^  - /,$p' >> tasks.part
  jq -nc --arg i "$ID-$k" --arg p "$p" '{instance_id: $i, model_patch: $p, model_name_or_path: "vendor-z"}' >> preds.jsonl
  for d in run_scripts dockerfiles/base_dockerfile dockerfiles/instance_dockerfile; do cp -r pro/$d/$ID pro/$d/$ID-$k; done
done
sed '/^tasks:/q' suite/s.yaml > suite/p.yaml && cat tasks.part >> suite/p.yaml
# the vendor's own eval_results.json: it agrees on two, differs on two
jq -n --arg i "$ID" '{($i + "-gold"): true, ($i + "-empty"): false, ($i + "-binary"): false,
  ($i + "-noapply"): true}' > eval_results.json
echo '{"x": "yes"}' > bad_results.json
expect_exit 3 "an eval_results.json with a verdict that is not a boolean" -- \
  "$UMPIRE" import predictions preds.jsonl -o bad.json --eval-results bad_results.json
check "names the key" grep -q '"x": the verdict must be true or false' "$WORK/err"
expect_exit 0 "import the predictions with the vendor's results" -- \
  "$UMPIRE" import predictions preds.jsonl -o preds.json --eval-results eval_results.json
expect_exit 0 "the vendor's predictions graded the official way" -- \
  "$UMPIRE" run suite/p.yaml --predictions preds.json --swe-scripts pro --db p.db --run-id p1 --reports prep
sc() { sql p.db "select score from attempts where item_id='$ID-$1'"; }
check "gold resolves ($(sc gold)), the binary hunk is stripped and the fix resolves ($(sc binary))" \
  test "$(sc gold)$(sc binary)" = 11
check "empty ($(sc empty)) and not applying ($(sc noapply)) are unresolved" test "$(sc empty)$(sc noapply)" = 00
check "the official denominator: 2 of 4 predictions, the empty one included" \
  test "$(jq -r '.systems[0].agent.swe | "\(.resolved)/\(.predictions) \(.resolved_official)"' prep/p1/report.json)" = "2/4 0.5"
va() { jq -r ".systems[0].agent.swe.vendor_agreement.$1" prep/p1/report.json; }
check "agreement with the vendor per instance: 2 of 4 agree" test "$(va agree)/$(va compared)" = 2/4
check "vendor-only pass names the instance" test "$(va 'vendor_only_pass | join(",")')" = "$ID-noapply"
check "umpire-only pass names the instance" test "$(va 'umpire_only_pass | join(",")')" = "$ID-binary"
check "the report says so" grep -q "2 of 4 agree; vendor-only pass: $ID-noapply; umpire-only pass: $ID-binary" prep/p1/report.md
done_testing
