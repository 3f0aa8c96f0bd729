#!/usr/bin/env bash
# `umpire import terminal-bench`: the fixture folders (Terminal-Bench 1 and 2)
# and archives of them become a terminal suite with its task directories; the
# summary says what runs on the host and what needs an image; broken tasks,
# unsafe archives and bad command lines fail with clear messages.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
TB="$UMPIRE_SRCDIR/tests/fixtures/tbimport"
mkdir -p scaffolds
cp "$UMPIRE_SRCDIR/scaffolds/terminal-agent.yaml" scaffolds/

# --- Terminal-Bench 1 folder
expect_exit 0 "import a folder of Terminal-Bench 1 tasks" -- \
  "$UMPIRE" import terminal-bench "$TB/tb1" -o suites/tb1.yaml
cp "$WORK/out" tb1.out
check "summary counts tasks, host and image" \
  grep -qx "imported 2 tasks, 1 runnable on the host, 1 need an image" tb1.out
check "summary lists the task that needs an image" \
  grep -qx "  needs an image: fix-config: built from environment/Dockerfile" tb1.out
check "suite is of kind terminal" grep -qx "kind: terminal" suites/tb1.yaml
check "suite names the scaffold relative to itself" \
  grep -qx "scaffold: ../scaffolds/terminal-agent.yaml" suites/tb1.yaml
check "pytest verdict for a TB1 task" grep -qx "  verdict: pytest" suites/tb1.yaml
check "run-tests.sh became tests/test.sh" test -x suites/tb1/count-lines/tests/test.sh
check "instruction.md written from task.yaml" \
  grep -q "alpha" suites/tb1/count-lines/instruction.md
check "build context kept for the image task" test -f suites/tb1/fix-config/environment/Dockerfile
check "the image task is built from its context, not refused" \
  grep -q '    build: environment' suites/tb1.yaml
check "nothing is refused here" test "$(grep -c 'unsupported:' suites/tb1.yaml)" -eq 0

# --- Terminal-Bench 2 folder, with a tasks directory of its own
expect_exit 0 "import a folder of Terminal-Bench 2 tasks" -- \
  "$UMPIRE" import terminal-bench "$TB/tb2" -o suites/tb2.yaml --name harbor --tasks-dir tasks/h
cp "$WORK/out" tb2.out
check "summary lists the image reference" \
  grep -qx "  needs an image: sum-csv: ghcr.io/umpire-fixtures/sum-csv:2025-01" tb2.out
check "suite named by --name" grep -qx "name: harbor" suites/tb2.yaml
check "dir points into --tasks-dir" grep -qx "  dir: ../tasks/h/reverse-words" suites/tb2.yaml
check "reward_file verdict for a TB2 task" grep -qx "  verdict: reward_file" suites/tb2.yaml
check "memory \"2G\" is 2048 MiB" grep -q "memory_mb: 2048" suites/tb2.yaml
check "the whole solution folder is kept, solve.sh the oracle" test -x tasks/h/sum-csv/solution/solve.sh
check "the suite names solution/solve.sh" grep -qx "  solution: solution/solve.sh" suites/tb2.yaml
check "image recorded in the environment" \
  grep -q 'image: "ghcr.io/umpire-fixtures/sum-csv:2025-01"' suites/tb2.yaml

# --- archives made with the system's tar and zip
(cd "$TB" && tar czf "$WORK/both.tar.gz" tb1 tb2)
expect_exit 3 "an archive of two folders of folders holds no task at its top" -- \
  "$UMPIRE" import terminal-bench both.tar.gz -o arc/both.yaml
check "says no task folder was found" grep -q "both.tar.gz: no Terminal-Bench task folder" "$WORK/err"
(cd "$TB/tb2" && tar czf "$WORK/tb2.tar.gz" .)
expect_exit 0 "import a .tar.gz of task folders" -- \
  "$UMPIRE" import terminal-bench tb2.tar.gz -o arc/tb2.yaml
check "archive import summary" grep -q "^imported 2 tasks" "$WORK/out"
check "archive unpacked and cleaned up" test -z "$(ls -A arc/tb2 | grep tbimport)"
# (scripts/deps.sh installs zip)
(cd "$TB/tb1" && zip -qr "$WORK/tb1.zip" count-lines)
expect_exit 0 "import a .zip of one task folder" -- \
  "$UMPIRE" import terminal-bench tb1.zip -o arc/zip.yaml
check "zip import summary" grep -qx "imported 1 task, 1 runnable on the host, 0 need an image" "$WORK/out"

# --- unsafe archives are refused whole
mkdir -p evil/t && echo pwned > evil/t/x
# GNU tar will not write a ../ member; python's tarfile will
python3 -c '
import tarfile
with tarfile.open("evil.tar", "w") as t:
    t.add("evil/t/x", arcname="t/ok")
    t.add("evil/t/x", arcname="t/../../escaped")
'
expect_exit 3 "archive with a ../ member refused" -- \
  "$UMPIRE" import terminal-bench evil.tar -o ev/evil.yaml
check "message names the member" grep -q "t/../../escaped.*archive refused" "$WORK/err"
check "nothing escaped" test ! -e escaped -a ! -e ev/escaped
check "no suite written" test ! -e ev/evil.yaml
tar cPf abs.tar "$WORK/evil/t/x"
expect_exit 3 "archive with an absolute member refused" -- \
  "$UMPIRE" import terminal-bench abs.tar -o ev/abs.yaml
check "message says absolute" grep -q "absolute path: archive refused" "$WORK/err"
ln -s /etc evil/t/etc && tar cf link.tar -C evil t
expect_exit 3 "archive with a link out refused" -- \
  "$UMPIRE" import terminal-bench link.tar -o ev/link.yaml
check "message names the link" grep -q "symlink to '/etc'" "$WORK/err"
head -c 3000 /dev/urandom > junk.tar.gz
expect_exit 3 "garbage archive" -- "$UMPIRE" import terminal-bench junk.tar.gz -o ev/junk.yaml

# --- broken tasks
mkdir mix && cp -r "$TB"/tb1/* "$TB"/tb2/* "$TB"/broken/* mix/
expect_exit 3 "a broken task stops the import" -- \
  "$UMPIRE" import terminal-bench mix -o m/mix.yaml
check "error names the folder and file:line:col" \
  grep -Eq "mix/tb1-bad-yaml/task.yaml:[0-9]+:[0-9]+:" "$WORK/err"
check "nothing written" test ! -e m/mix.yaml
expect_exit 0 "--skip-broken imports the rest" -- \
  "$UMPIRE" import terminal-bench mix -o m/mix.yaml --skip-broken
check "summary counts the good ones" grep -q "^imported 4 tasks, 2 runnable on the host, 2 need an image" "$WORK/out"
check "summary counts the skipped" grep -qx "skipped 5 broken tasks" "$WORK/out"
check "bad TOML listed with file:line:col" \
  grep -q "skipped broken task mix/tb2-bad-toml: mix/tb2-bad-toml/task.toml:4:14: unterminated string" "$WORK/err"
check "missing instruction listed" grep -q "tb2-no-instruction/instruction.md: missing" "$WORK/err"
check "missing tests listed" grep -q "tb1-no-tests/run-tests.sh: missing" "$WORK/err"
expect_exit 3 "--skip-broken with nothing importable still fails" -- \
  "$UMPIRE" import terminal-bench "$TB/broken" -o m/none.yaml --skip-broken
check "says nothing could be imported" grep -q "no task could be imported" "$WORK/err"

# --- command line
expect_exit 2 "no -o" -- "$UMPIRE" import terminal-bench "$TB/tb1"
expect_exit 2 "unknown format" -- "$UMPIRE" import swe-bench "$TB/tb1" -o x.yaml
expect_exit 2 "no source" -- "$UMPIRE" import terminal-bench -o x.yaml
expect_exit 2 "unknown option" -- "$UMPIRE" import terminal-bench "$TB/tb1" -o x.yaml --bogus
expect_exit 8 "missing source" -- "$UMPIRE" import terminal-bench nowhere -o x.yaml
expect_exit 0 "help" -- "$UMPIRE" import --help
check "help names the formats" grep -q "task.toml" "$WORK/out"

# --- the imported host task runs end to end with its reference solution
expect_exit 0 "import one Terminal-Bench 2 task folder" -- \
  "$UMPIRE" import terminal-bench "$TB/tb2/reverse-words" -o suites/rw.yaml
expect_exit 0 "its oracle run passes" -- \
  "$UMPIRE" run suites/rw.yaml --oracle --db rw.db --reports reports
check "oracle solved it" grep -q "100.0%" "$WORK/out"

done_testing
