#!/usr/bin/env bash
# The shipped suites whose tasks are converted at run time
# (suites/terminal-bench-2.1.yaml, suites/swe-bench-pro.yaml), byte for byte
# in a checkout's layout with fixture releases where the user would put the
# real ones: `umpire run` converts the release first, runs it, records its
# hash; the pin holds; an archive is read like the folder; a broken task
# folder or a bad JSONL line refuses the run (the denominator is the whole
# release) with the folder or line named, and nothing recorded is lost.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
T="$UMPIRE_SRCDIR/tests/fixtures/tbimport"
mkdir -p suites data
cp -r "$S/scaffolds" .
cp "$S/suites/terminal-bench-2.1.yaml" "$S/suites/swe-bench-pro.yaml" suites/

expect_exit 8 "without the release the run stops before anything" -- \
  "$UMPIRE" run suites/terminal-bench-2.1.yaml --oracle --db t.db --quiet --no-report
check "and says where to put it" grep -q "import: the source .*data/terminal-bench-2.1 is not there" err
check "no store was made" test ! -e t.db

cp -r "$T/tb2" data/terminal-bench-2.1
# reverse-words runs on the host; sum-csv needs its image (unsupported here)
expect_exit 5 "the release converted and run (one task needs its image)" -- \
  "$UMPIRE" run suites/terminal-bench-2.1.yaml --oracle --db t.db --run-id t1 --no-report
check "it says what it converted" grep -q "2 tasks of .*data/terminal-bench-2.1 converted into .*data/terminal-bench-2.1.umpire" err
check "five trials of each task" test "$(sql t.db "select count(*) from attempts")" -eq 10
check "the host task's five resolved" \
  test "$(sql t.db "select count(*) from attempts where item_id='reverse-words' and score=1")" -eq 5
check "the other is unsupported, not wrong" \
  test "$(sql t.db "select count(*) from attempts where item_id='sum-csv' and error_class='unsupported'")" -eq 5
check "the run carries the suite's name" test "$(sql t.db "select suite_name from runs")" = terminal-bench-2.1
hash=$(sql t.db "select dataset_sha256 from runs")
check "and the converted tasks' hash ($hash)" test "${#hash}" -eq 64

# pinned to that hash: the same release runs; a changed one is refused
sed "s/  # sha256: <64 hex digits>/  sha256: $hash/" suites/terminal-bench-2.1.yaml > suites/pinned.yaml
check "the pin is in place" grep -q "^  sha256: $hash" suites/pinned.yaml
expect_exit 0 "pinned, the same release plans" -- \
  "$UMPIRE" run suites/pinned.yaml --oracle --db p.db --dry-run
echo "# changed" >> data/terminal-bench-2.1/reverse-words/instruction.md
expect_exit 4 "a changed task folder stops the pinned suite" -- \
  "$UMPIRE" run suites/pinned.yaml --oracle --db t.db --quiet --no-report
check "naming the pin's line" grep -q "pinned.yaml:[0-9]*:[0-9]*: the tasks converted from .*: sha256 mismatch" err
check "the earlier run is untouched" test "$(sql t.db "select count(*) from attempts")" -eq 10

# an archive of the task folders, at the same path
rm -rf data/terminal-bench-2.1
tar -C "$T" -czf data/terminal-bench-2.1 tb2
expect_exit 0 "an archive at the source path plans the same tasks" -- \
  "$UMPIRE" run suites/pinned.yaml --oracle --db a.db --dry-run
# a broken task folder: nothing runs
rm -f data/terminal-bench-2.1 && mkdir data/terminal-bench-2.1
cp -r "$T/tb2/." "$T/broken/tb2-bad-toml" data/terminal-bench-2.1/
expect_exit 3 "a broken task folder refuses the run" -- \
  "$UMPIRE" run suites/terminal-bench-2.1.yaml --oracle --db t.db --quiet --no-report
check "naming the folder and the file" grep -q "tb2-bad-toml.*task.toml:[0-9]*:[0-9]*" err
check "still nothing lost" test "$(sql t.db "select count(*) from attempts")" -eq 10
# garbage in the import block
sed 's/^  format: terminal-bench/  format: harbor/' suites/terminal-bench-2.1.yaml > suites/bad.yaml
expect_exit 3 "an unknown import format" -- "$UMPIRE" run suites/bad.yaml --oracle --db b.db --quiet
check "named at its line and column" grep -q "suites/bad.yaml:[0-9]*:11:.*format" err

# SWE-Bench Pro: the JSONL and the official scripts' checkout where the file says
mkdir -p data/swe-bench-pro/SWE-bench_Pro-os/run_scripts
cp "$UMPIRE_SRCDIR/tests/fixtures/sweimport/instances.jsonl" data/swe-bench-pro/test.jsonl
expect_exit 0 "the SWE-Bench Pro set converted and planned" -- \
  "$UMPIRE" run suites/swe-bench-pro.yaml --oracle --db s.db --dry-run --sandbox-driver podman
check "three instances, one planned attempt each" grep -q "oracle  *3 " out
check "converted beside the JSONL" test "$(ls data/swe-bench-pro/umpire/tasks | wc -l)" -eq 3
check "each task in its image, graded officially" \
  test "$(grep -c '^  image: ' data/swe-bench-pro/umpire/suite.yaml)" -eq 3
cat "$UMPIRE_SRCDIR/tests/fixtures/sweimport/malformed.jsonl" >> data/swe-bench-pro/test.jsonl
expect_exit 3 "a line that cannot be converted refuses the run" -- \
  "$UMPIRE" run suites/swe-bench-pro.yaml --oracle --db s.db --dry-run --sandbox-driver podman
check "naming the file and line" grep -q "test.jsonl:[0-9]*: " err
check "and how to run the rest" grep -q "umpire import swe-bench-pro" err
done_testing
