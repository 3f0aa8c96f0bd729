#!/usr/bin/env bash
# `umpire claims` on the shipped Fugu Ultra table: ten benchmarks, 40
# published numbers and the conflicting SWE-Bench Pro reading as a row of its
# own; "not measured" exactly where no run exists (a copy that maps GPQA-D to
# the demo suite and its systems gets measured rows there only); garbage in
# `conflicting:` is an error with file:line:col.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
F="$S/claims/fugu-ultra.yaml"

expect_exit 0 "the demo run (the store the table is checked against)" -- "$UMPIRE" run \
  "$S/suites/demo.yaml" --models "$S/models/demo.yaml" --db c.db --run-id c1 --repeats 1 \
  --no-report --quiet
expect_exit 0 "claims on the shipped table" -- "$UMPIRE" claims "$F" --db c.db --json
cp "$WORK/out" all.json
check "ten benchmarks, 41 rows (40 published, 1 conflicting), all not measured" python3 -c '
import json, sys
t = json.load(open("all.json"))
b = t["benchmarks"]
assert len(b) == 10, len(b)
rows = [r for x in b for r in x["rows"]]
assert len(rows) == 41, len(rows)
assert sum(r["reading"] == "published" for r in rows) == 40
c = [r for r in rows if r["reading"] == "conflicting"]
assert len(c) == 1 and c[0]["system"] == "Fugu Ultra" and c[0]["claimed_percent"] == 54.2, c
assert all(r["verdict"] == "not measured" for r in rows)
'
expect_exit 0 "the markdown table" -- "$UMPIRE" claims "$F" --db c.db
check "markdown names the conflicting reading" \
  grep -q "| SWE-Bench Pro | Fugu Ultra (conflicting reading) | 54.2% | not measured" "$WORK/out"
check "markdown has 41 claim rows" test "$(grep -c '^| [^B-].* | .*%' "$WORK/out")" -eq 41

# GPQA-D measured by the demo run: its four rows measured, the other 37 not
sed -e 's/suite: gpqa-diamond/suite: demo-science/' \
  -e '/name: GPQA-D/,/name: SciCode/ s/measured_as: [a-z0-9.-]*/measured_as: sim-atlas/' "$F" >mapped.yaml
expect_exit 0 "claims with GPQA-D mapped to the demo run" -- "$UMPIRE" claims mapped.yaml --db c.db --json
cp "$WORK/out" mapped.json
check "not measured only where no run exists" python3 -c '
import json
t = json.load(open("mapped.json"))
for b in t["benchmarks"]:
    for r in b["rows"]:
        measured = r["verdict"] != "not measured"
        assert measured == (b["name"] == "GPQA-D"), (b["name"], r)
        assert (r["measured"] is not None) == measured
g = [b for b in t["benchmarks"] if b["name"] == "GPQA-D"][0]
assert g["run_id"] == "c1"
'

# garbage in conflicting
sed 's/conflicting: \[54.2\]/conflicting: [fifty]/' "$F" >bad1.yaml
expect_exit 3 "a conflicting value that is not a number" -- "$UMPIRE" claims bad1.yaml --db c.db
check "names file:line:col" grep -Eq "bad1.yaml:[0-9]+:[0-9]+: " "$WORK/err"
sed 's/conflicting: \[54.2\]/conflicting: [154.2]/' "$F" >bad2.yaml
expect_exit 3 "a conflicting value over 100" -- "$UMPIRE" claims bad2.yaml --db c.db
sed 's/conflicting: \[54.2\]/conflicting: []/' "$F" >bad3.yaml
expect_exit 3 "an empty conflicting list" -- "$UMPIRE" claims bad3.yaml --db c.db
check "says it lists no value" grep -q "lists no value" "$WORK/err"
sed 's/conflicting: \[54.2\]/conflicting: 54.2/' "$F" >bad4.yaml
expect_exit 3 "conflicting not a list" -- "$UMPIRE" claims bad4.yaml --db c.db
done_testing
