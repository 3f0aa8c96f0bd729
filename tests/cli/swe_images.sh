#!/usr/bin/env bash
# Profile official in the instances' own container images, under podman:
# five fixture instances in SWE-Bench Pro's layout (tests/fixtures/swe_images:
# Python/pytest, Go with go test -json, JavaScript with jest and with mocha,
# TypeScript with jest), each a tiny repository whose image (built here from
# its base and instance Dockerfiles on the offline toolchain image of
# scripts/engines.sh --swe) holds it at /app. The dataset rows are imported,
# the gold patches and a failing patch per instance graded in the images;
# per test, parser.py's statuses in the store equal parser.py run by hand on
# the stored logs, and the neutral C parser's statuses on the same logs agree
# case by case. One instance is graded under docker too. Nothing is skipped.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
F="$UMPIRE_FIXTURES/swe_images"
use_engines --swe
G() { git -c user.name=u -c user.email=e@x -c commit.gpgsign=false "$@"; }
export GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z
shorts="py go jest mocha ts"
# images ENGINE SHORT BASE-TAG: the instance's images, base_REPO from the base
# Dockerfile and localhost/umpire-swe-fixture:SHORT from its own, built from
# ctx/SHORT. They are built again only when the repository's commits (the
# same in every run: fixed dates), the Dockerfiles or the toolchain image
# changed: the instance image carries their hash as a label.
images() {
  local e=$1 s=$2 b=$3 tag="localhost/umpire-swe-fixture:$2" key have
  key=$( { "$e" image inspect --format '{{.Id}}' "$TOOLCHAIN"; git -C "ctx/$s/repo" rev-parse HEAD --all;
    cat "ctx/$s/Dockerfile.base" "ctx/$s/Dockerfile.instance"; } | sha256sum | cut -c1-32)
  have=$("$e" image inspect --format '{{index .Config.Labels "umpire.fixture"}}' "$tag" 2>/dev/null)
  [ "$have" = "$key" ] && return 0
  { "$e" build -q -t "$b" -f "ctx/$s/Dockerfile.base" "ctx/$s" &&
    "$e" build -q --label "umpire.fixture=$key" -t "$tag" -f "ctx/$s/Dockerfile.instance" "ctx/$s"
  } > "build-$e-$s.log" 2>&1 || cat "build-$e-$s.log" >&2
}
TOOLCHAIN=${UMPIRE_SWE_TOOLCHAIN:-localhost/umpire-swe-toolchain:bookworm}
# the neutral parser each instance's parser.py corresponds to (the import
# chooses by language; these repositories are not in its table)
declare -A NEUTRAL=([py]="pytest first_blank" [go]="go_test_json" [jest]="jest_json"
  [mocha]="mocha_json" [ts]="jest_json")

: > rows.jsonl; : > wrong.jsonl
for s in $shorts; do
  row=$(jq -c --arg t "localhost/umpire-swe-fixture:$s" 'select(.dockerhub_tag == $t)' "$F/rows.jsonl")
  id=$(jq -r .instance_id <<< "$row"); repo=$(jq -r .repo <<< "$row")
  tests=$(cd "$F/$s/tests" && find . -type f | sed 's#^\./##' | sort)
  # the repository: the base commit, then the gold commit with the fix and its tests
  mkdir -p "ctx/$s" && r="ctx/$s/repo" && mkdir "$r"
  (cd "$r" && git init -q && cp -r "$F/$s/base/." . && G add -A && G commit -qm base &&
    cp -r "$F/$s/fix/." . && cp -r "$F/$s/tests/." . && G add -A && G commit -qm gold)
  base=$(git -C "$r" rev-parse HEAD~1); gold=$(git -C "$r" rev-parse HEAD)
  # shellcheck disable=SC2046
  git -C "$r" diff "$base" "$gold" -- . $(sed 's#^#:!#' <<< "$tests") > "$s.gold.patch"
  # shellcheck disable=SC2086
  git -C "$r" diff "$base" "$gold" -- $tests > "$s.test.patch"
  git -C "$r" checkout -q "$base"
  cp -r "$F/$s/wrong/." "$r/" && git -C "$r" diff > "$s.wrong.patch" && git -C "$r" checkout -q -- .
  cp "$F/$s/Dockerfile.base" "$F/$s/Dockerfile.instance" "ctx/$s/"
  images podman "$s" "base_${repo/\//__}"
  # the checkout of the official repository's layout
  mkdir -p "pro/run_scripts/$id" "pro/dockerfiles/base_dockerfile/$id" "pro/dockerfiles/instance_dockerfile/$id"
  cp "$F/$s/run_script.sh" "$F/$s/parser.py" "pro/run_scripts/$id/"
  cp "$F/$s/Dockerfile.base" "pro/dockerfiles/base_dockerfile/$id/Dockerfile"
  cp "$F/$s/Dockerfile.instance" "pro/dockerfiles/instance_dockerfile/$id/Dockerfile"
  jq -c --arg b "$base" --arg g "$gold" --rawfile p "$s.gold.patch" --rawfile t "$s.test.patch" \
    '.base_commit = $b | .patch = $p | .test_patch = $t |
     .before_repo_set_cmd |= (gsub("@BASE@"; $b) | gsub("@GOLD@"; $g))' <<< "$row" >> rows.jsonl
  jq -nc --arg i "$id" --rawfile p "$s.wrong.patch" '{instance_id: $i, model_patch: $p}' >> wrong.jsonl
  eval "ID_$s=\$id"
done
labelled() { # engine short...
  local e=$1 s; shift
  for s in "$@"; do
    "$e" image inspect --format '{{index .Config.Labels "umpire.fixture"}}' \
      "localhost/umpire-swe-fixture:$s" 2>/dev/null | grep -q '^[0-9a-f]\{32\}$' || return 1
  done
}
check "the five instance images are built, each from its fixture's Dockerfiles" \
  labelled podman $shorts

mkdir suite
expect_exit 0 "import the rows" -- "$UMPIRE" import swe-bench-pro rows.jsonl -o suite/pro.yaml \
  --scaffold "$UMPIRE_SRCDIR/scaffolds/swe-agent.yaml"
check "every task names its image" test "$(grep -c "image: .\?localhost/umpire-swe-fixture:" suite/pro.yaml)" -eq 5
check "none is unsupported" test "$(grep -c "unsupported:" suite/pro.yaml)" -eq 0
python3 - suite/pro.yaml "$(for s in $shorts; do v="ID_$s"; echo "${!v}=${NEUTRAL[$s]}"; done)" <<'EOF'
import sys
path, spec = sys.argv[1], dict(l.split("=", 1) for l in sys.argv[2].split("\n"))
out, task = [], None
for line in open(path):
    if line.startswith("- id: "):
        task = line.split(": ", 1)[1].strip()
    if line.startswith("  log_dialect: "):
        continue
    if line.startswith("  log_parser: "):
        p = spec[task].split()
        line = "  log_parser: %s\n" % p[0] + ("  log_dialect: %s\n" % p[1] if len(p) > 1 else "")
    out.append(line)
open(path, "w").write("".join(out))
EOF
check "the neutral parsers set" test "$(grep -c "log_parser: go_test_json\|log_parser: mocha_json\|log_dialect: first_blank" suite/pro.yaml)" -eq 3

expect_exit 0 "import the failing patches" -- "$UMPIRE" import predictions wrong.jsonl -o wrong.json --model wrong-fixes
# the gold patches and the failing ones: two runs at once (their containers
# wait on podman as much as they compute)
"$UMPIRE" run suite/pro.yaml --oracle --sandbox-driver podman --swe-scripts pro \
  --db g.db --run-id si-g --quiet --no-report > g.out 2>&1 & gpid=$!
"$UMPIRE" run suite/pro.yaml --predictions wrong.json --sandbox-driver podman --swe-scripts pro \
  --db w.db --run-id si-w --quiet --no-report > w.out 2>&1 & wpid=$!
wait $gpid; grc=$?; wait $wpid; wrc=$?
check "the gold patches graded in their images under podman (exit $grc)" test "$grc" -eq 0
check "the failing patches graded in their images under podman (exit $wrc)" test "$wrc" -eq 0
[ "$grc$wrc" = 00 ] || diag g.out w.out
check "all five resolve" test "$(sql g.db "select count(*) from attempts where score = 1")" -eq 5
check "each graded in its image under podman" \
  test "$(sql g.db "select count(*) from attempts where json_extract(detail_json, '\$.driver') = 'podman'
    and json_extract(detail_json, '\$.image') like 'localhost/umpire-swe-fixture:%'")" -eq 5
check "none resolves" test "$(sql w.db "select count(*) from attempts where score = 0 and status = 'done'")" -eq 5

# per attempt: parser.py by hand on the stored logs, and the neutral parser
compare() { # db short
  local db=$1.db s=$2 v="ID_$2" id aid d=cmp/$1-$2
  id=${!v}; mkdir -p "$d"
  aid=$(sql "$db" "select attempt_id from attempts where item_id = '$id'")
  sql "$db" "select writefile('$d/stdout.log', stdout), writefile('$d/stderr.log', stderr)
    from tool_steps where attempt_id = '$aid' and tool = 'test_log'" > /dev/null
  sql "$db" "select writefile('$d/umpire.json', stdout) from tool_steps
    where attempt_id = '$aid' and tool = 'log_parser'" > /dev/null
  sql "$db" "select writefile('$d/neutral.json', stdout) from tool_steps
    where attempt_id = '$aid' and tool = 'neutral_parser'" > /dev/null
  python3 "$F/$s/parser.py" "$d/stdout.log" "$d/stderr.log" "$d/hand.json" &&
  test -s "$d/umpire.json" &&
  test "$(jq -cS '.tests | sort_by(.name)' "$d/umpire.json")" = "$(jq -cS '.tests | sort_by(.name)' "$d/hand.json")"
}
# the neutral parser's entries against parser.py's, name by name: the same
# names; the same verdict (passed when any entry passed); a name printed
# once has the same status (XFAIL, XPASS, TODO as PASSED, FAILED, SKIPPED)
agree() { # db short
  local d=cmp/$1-$2
  jq -e -n --slurpfile o "$d/hand.json" --slurpfile n "$d/neutral.json" '
    ($o[0].tests | group_by(.name) | map({key: .[0].name, value:
      {passed: any(.[]; .status == "PASSED"), once: (length == 1), status: .[0].status}}) | from_entries) as $off |
    ($n[0].tests | map({key: .name, value: .}) | from_entries) as $neu |
    {"XFAIL": "PASSED", "XPASS": "FAILED", "TODO": "SKIPPED"} as $m |
    ($off | keys) == ($neu | keys) and
    all($off | to_entries[]; $neu[.key].passed == .value.passed and
      ((.value.once | not) or ($m[$neu[.key].status] // $neu[.key].status) == .value.status))' > /dev/null
}
for db in g w; do
  for s in $shorts; do
    check "$s ($db): parser.py's statuses equal parser.py run by hand on the stored logs" compare "$db" "$s"
    check "$s ($db): the neutral parser (${NEUTRAL[$s]}) agrees case by case" agree "$db" "$s"
  done
done
jqe() { jq -e "$@" > /dev/null; }
n() { jq "[.tests[] | select(.status == \"$2\") | .name] | unique | length" "cmp/$1/hand.json"; }
check "the logs are real: gold py passes 6 (the image's ENV: test_profile), skips 1" \
  test "$(n g-py PASSED) $(n g-py SKIPPED)" = "6 1"
check "go: the subtests, the ENV line (TestPrecision) and a skip" \
  test "$(jq -r '[.tests[] | select(.status == "PASSED") | .name] | sort | join(",")' cmp/g-go/hand.json)" = \
  "TestParse,TestParse/grams,TestParse/kilo_grams,TestParseGram,TestParseKilo,TestPrecision"
check "jest: double blanks kept in a name, a skipped test" \
  jqe '[.tests[] | select(.name | test("collapses  double  blanks")) | .status] == ["PASSED"]' cmp/g-jest/hand.json
check "mocha: the FILE:: marker read as the file" \
  jqe '[.tests[] | .name] | index("test/cart.js | cart totals is zero when empty") != null' cmp/g-mocha/hand.json
check "ts: a todo is an error in both" \
  jqe '[.tests[] | select(.name | endswith("takes a bigint")) | .status] == ["ERROR"]' cmp/g-ts/hand.json
check "a failing patch: some fail-to-pass tests fail, the rest still pass" \
  test "$(n w-py FAILED) $(n w-mocha FAILED) $(n w-ts FAILED)" = "1 1 1"

# the shipped suite (suites/swe-bench-pro.yaml), byte for byte, with this
# release where it says to put one: converted by the run, graded with the
# checkout its `scripts:` names (no --swe-scripts)
mkdir -p ship/suites ship/data/swe-bench-pro
cp -r "$UMPIRE_SRCDIR/scaffolds" ship/
cp "$UMPIRE_SRCDIR/suites/swe-bench-pro.yaml" ship/suites/
grep -F "\"$ID_py\"" rows.jsonl > ship/data/swe-bench-pro/test.jsonl
ln -s "$WORK/pro" ship/data/swe-bench-pro/SWE-bench_Pro-os
expect_exit 0 "the shipped SWE-Bench Pro suite converts and grades the gold patch" -- \
  "$UMPIRE" run ship/suites/swe-bench-pro.yaml --oracle --sandbox-driver podman \
  --db ship.db --run-id si-ship --quiet --no-report
check "resolved in its image, by its run script and parser" test "$(sql ship.db "select count(*)
  from attempts a join tool_steps s using (run_id, attempt_id) where a.score = 1
  and json_extract(a.detail_json, '\$.image') = 'localhost/umpire-swe-fixture:py'
  and s.tool = 'log_parser'")" -eq 1
check "the run carries the shipped suite's name" test "$(sql ship.db "select suite_name from runs")" = swe-bench-pro

# docker: one instance, its images built in docker the same way
images docker go base_acme__units
check "the Go instance image is built in docker" labelled docker go
grep -F "\"$ID_go\"" rows.jsonl > go.jsonl
expect_exit 0 "import the Go row alone" -- "$UMPIRE" import swe-bench-pro go.jsonl -o suite/go.yaml \
  --scaffold "$UMPIRE_SRCDIR/scaffolds/swe-agent.yaml"
expect_exit 0 "a gold patch graded in its image under docker" -- \
  "$UMPIRE" run suite/go.yaml --oracle --sandbox-driver docker --swe-scripts pro \
  --db d.db --run-id si-d --quiet --no-report
check "resolves, under docker" test "$(sql d.db "select count(*) from attempts where score = 1
  and json_extract(detail_json, '\$.driver') = 'docker'")" -eq 1

expect_exit 5 "without --swe-scripts each task is an infrastructure error that names the option" -- \
  "$UMPIRE" run suite/go.yaml --oracle --sandbox-driver podman --db x.db --quiet --no-report
check "names it" test "$(sql x.db "select count(*) from attempts where error_msg like '%--swe-scripts DIR%'")" -eq 1
sed 's/grading: official/grading: neutral/' suite/go.yaml > suite/go-neutral.yaml
expect_exit 3 "the neutral profile needs a test command" -- "$UMPIRE" run suite/go-neutral.yaml \
  --oracle --sandbox-driver podman --db n3.db --quiet --no-report
check "names the key" grep -q "go-neutral.yaml:[0-9]*:[0-9]*: missing required key 'test_command'" err
sed 's/grading: official/grading: neutral/; s/^- id: .*/&\n  test_command: go test -json .\/.../' \
  suite/go.yaml > suite/go-neutral.yaml
expect_exit 5 "the neutral profile cannot grade a task in its image: unsupported" -- \
  "$UMPIRE" run suite/go-neutral.yaml --oracle --sandbox-driver podman --swe-scripts pro \
  --db n.db --quiet --no-report
check "says why" test "$(sql n.db "select count(*) from attempts where error_class = 'unsupported'
  and error_msg like '%graded only by the official profile%'")" -eq 1
sed 's/umpire-swe-fixture:go/umpire-swe-fixture:absent/' suite/go.yaml > suite/absent.yaml
expect_exit 5 "an image that does not exist: an infrastructure error" -- \
  "$UMPIRE" run suite/absent.yaml --oracle --sandbox-driver podman --swe-scripts pro \
  --db a.db --run-id si-a --quiet --no-report
check "that names the image" test "$(sql a.db "select count(*) from attempts where error_class = 'image'
  and error_msg like '%cannot pull localhost/umpire-swe-fixture:absent%'")" -eq 1
ctrs() {
  for e in podman docker; do
    "$e" ps -a --filter label=umpire.run --format '{{.Labels}}' 2>/dev/null
  done | grep -E 'umpire.run[=:]si-' || true
}
check "no container of these runs is left" none_left 20 ctrs
done_testing
