#!/usr/bin/env bash
# umpire import charxiv: an original fixture in CharXiv's release layout
# (data/reasoning_val.json, data/image_metadata_val.json, images/<id>.jpg)
# becomes a pinned multiple-choice suite whose items carry their chart, which
# runs on the simulated pool; garbage releases are refused with their place.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
F="$S/tests/fixtures/charxiv"

mkdir o
expect_exit 0 "import the fixture checkout" -- "$UMPIRE" import charxiv "$F" -o o/cx.yaml -S "$S/scaffolds/mcq.yaml"
check "says how many per instruction category" \
  grep -q "imported 9 questions: text in chart 2, text in general 2, number in chart 2, number in general 3" "$WORK/out"
check "the JSON lines are beside the suite" test -s o/charxiv-reasoning-mcq.jsonl
check "one row per question, sorted by key" \
  test "$(jq -r .id o/charxiv-reasoning-mcq.jsonl | tr '\n' ' ')" = "val-0 val-1 val-4 val-5 val-9 val-10 val-13 val-20 val-21 "
check "CharXiv's fields are kept" \
  test "$(jq -c 'select(.id == "val-13") | [.figure_id, .inst_category, .qa_source, .subject, .correct]' o/charxiv-reasoning-mcq.jsonl)" = '[12,4,2,"q-bio","0.35"]'
check "each row names its figure's image, relative to the JSON lines" \
  test "$(cd o && jq -r .image charxiv-reasoning-mcq.jsonl | xargs -n1 sha256sum | cut -c1-64 | sort -u | wc -l)" -eq 5
check "incorrect choices come from the same category and never equal the answer" \
  test "$(jq -c 'select(.correct as $c | .incorrect | index($c))' o/charxiv-reasoning-mcq.jsonl | wc -l)" -eq 0 -a \
       "$(jq -c 'select(.incorrect | type == "array" and length > 0)' o/charxiv-reasoning-mcq.jsonl | wc -l)" -eq 9 -a \
       "$(jq -r 'select(.id == "val-20") | .incorrect | sort | join(",")' o/charxiv-reasoning-mcq.jsonl)" = "0.35,7.25"
check "the suite pins the JSON lines" \
  grep -Eq "^  sha256: \"?$(sha256sum o/charxiv-reasoning-mcq.jsonl | cut -c1-64)\"?\$" o/cx.yaml
expect_exit 0 "a second import writes the same bytes" -- "$UMPIRE" import charxiv "$F/data/reasoning_val.json" -o o/cx2.yaml --data o/again.jsonl
check "importing the JSON file itself gives the same rows" cmp -s o/charxiv-reasoning-mcq.jsonl o/again.jsonl

expect_exit 0 "the imported suite runs on the simulated pool" -- \
  "$UMPIRE" run o/cx.yaml --models "$S/models/demo.yaml" --db cx.db --run-id cx1 --quiet --reports rep
check "9 questions x 5 systems graded" test "$(sql cx.db "select count(*) from attempts where status='done'")" -eq 45
check "five charts stored once each" test "$(sql cx.db "select count(*) from images where media_type='image/jpeg'")" -eq 5
check "every request carried its chart" \
  test "$(sql cx.db "select count(*) from requests where instr(cast(body as text), 'umpire-image:sha256:') > 0")" -eq 45

# the shipped suite: data/charxiv beside suites/, as its comments set it up
mkdir -p lay/suites lay/scaffolds lay/data && cp -r "$F" lay/data/charxiv
cp "$S/suites/charxiv.yaml" lay/suites/ && cp "$S/scaffolds/mcq.yaml" lay/scaffolds/
expect_exit 0 "import as the shipped suite's comments say" -- \
  sh -c "cd lay && '$UMPIRE' import charxiv data/charxiv -o data/charxiv/suite.yaml --data data/charxiv/charxiv-reasoning-mcq.jsonl"
check "the suite it writes names the data as the shipped one does, from the other side" \
  grep -q "path: charxiv-reasoning-mcq.jsonl" lay/data/charxiv/suite.yaml
expect_exit 4 "the shipped suite refuses data that is not the public release (its pin)" -- \
  "$UMPIRE" run lay/suites/charxiv.yaml --models "$S/models/demo.yaml" --db lay.db --quiet
check "says so" grep -q "sha256 mismatch: pinned 3171693a" "$WORK/err"
sed -i '/sha256:/d' lay/suites/charxiv.yaml
expect_exit 0 "unpinned, the shipped suite runs the fixture with its images" -- \
  "$UMPIRE" run lay/suites/charxiv.yaml --models "$S/models/demo.yaml" --db lay.db --quiet --reports rep2 --system sim-atlas
check "9 attempts, 5 images" test "$(sql lay.db "select count(*) from attempts")/$(sql lay.db "select count(*) from images")" = 9/5

# garbage
expect_exit 3 "an entry with inst_category 9" -- "$UMPIRE" import charxiv "$S/tests/fixtures/charxiv-garbage" -o o/g.yaml --images "$F/images"
check "names file:line and the entry" grep -q "reasoning_val.json:9: entry \"1\": inst_category must be 1, 2, 3 or 4" "$WORK/err"
check "nothing written" test ! -e o/g.yaml -a ! -e o/charxiv-reasoning-mcq.jsonl.tmp
expect_exit 3 "the test split: answers withheld" -- "$UMPIRE" import charxiv "$F" --split test -o o/t.yaml
check "says why" grep -q "CharXiv withholds the answers of its test split" "$WORK/err"
mkdir -p g2/data g2/images && cp "$F"/images/*.jpg g2/images/
head -c 300 "$F/data/reasoning_val.json" > g2/data/reasoning_val.json
expect_exit 3 "a truncated JSON file" -- "$UMPIRE" import charxiv g2 -o o/g2.yaml
check "names file:line:col" grep -Eq "g2/data/reasoning_val.json:[0-9]+:[0-9]+: " "$WORK/err"
cp "$F/data/reasoning_val.json" g2/data/ && printf 'not a jpeg\n' > g2/images/7.jpg
expect_exit 3 "a figure that is not an image" -- "$UMPIRE" import charxiv g2 -o o/g2.yaml
check "names the entry and the file" \
  grep -Eq "reasoning_val.json:[0-9]+: entry \"9\" \(val split\): image g2/images/7.jpg: not a PNG, JPEG" "$WORK/err"
rm g2/images/12.jpg
cp "$F/images/7.jpg" g2/images/
expect_exit 8 "a missing figure" -- "$UMPIRE" import charxiv g2 -o o/g2.yaml
check "names it" grep -q "entry \"13\" (val split): image g2/images/12.jpg: not a readable file" "$WORK/err"
echo '[1, 2]' > g2/data/reasoning_val.json
expect_exit 3 "an array instead of an object" -- "$UMPIRE" import charxiv g2 -o o/g2.yaml
expect_exit 2 "--choices 9" -- "$UMPIRE" import charxiv "$F" -o o/c.yaml --choices 9
expect_exit 2 "--split dev" -- "$UMPIRE" import charxiv "$F" -o o/c.yaml --split dev
done_testing
