#!/usr/bin/env bash
# CharXiv Reasoning in its judged form: the shipped suites/charxiv-reasoning.yaml
# on an original fixture in CharXiv's release layout (tests/fixtures/charxiv,
# put where the suite expects the checkout) with the project's own wording
# (scaffolds/charxiv-reasoning-own.yaml in the scaffold's place: CharXiv's own
# prompts are charxiv_prompts.sh), run end to end on a simulated pool
# whose judge replies in CharXiv's JSON; each question's chart sent with it,
# the judge given the raw question with its category's rules and no image;
# `import charxiv --judged` pins the release; garbage releases refused at
# file:line with nothing recorded.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
F="$S/tests/fixtures/charxiv"
mkdir -p suites scaffolds data
cp "$S/suites/charxiv-reasoning.yaml" suites/
cp "$S/scaffolds/charxiv-reasoning-own.yaml" scaffolds/charxiv-reasoning.yaml
cp -r "$F" data/charxiv
judged_pool # pool.yaml, models.yaml: m1, m2 and the judge

expect_exit 0 "suites/charxiv-reasoning.yaml runs on the release layout" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db t.db --run-id c1 --reports rep
check "9 questions x 2 systems, graded" \
  test "$(sql t.db "select count(*) from attempts where run_id='c1' and status='done' and outcome is null")" -eq 18
check "the items keep CharXiv's keys, categories and answer types" \
  test "$(sql t.db "select group_concat(item_id || '=' || json_extract(choices_json, '$.answer_type'), ',') from
    (select * from items where run_id='c1' and item_id in ('0', '13') order by item_id)")" = "0=text-in-chart,13=number-in-general"
check "five charts stored once each, named by each item" \
  test "$(sql t.db "select count(*) from images")/$(sql t.db "select count(*) from items where images_json is not null")" = 5/9
check "every system request carried its chart (18), no judge request did" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'umpire-image:sha256:') > 0")" -eq 18
check "the number-in-general instruction counts the reference's decimals (0.35: 2)" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'tallest bar exceed the shortest one?\n* Your final answer must be a number with exactly 2 digits') > 0")" -eq 2
check "an integer answer asks for 0 places" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'decreasing trend?\n* Your final answer must be a number with exactly 0 digits') > 0")" -eq 2
check "every answer judged once, by the system named judge" \
  test "$(sql t.db "select count(*) from calls where run_id='c1' and turn=-1 and http_status=200")" -eq 18
check "the judge sees the raw question with its category's rules, in JSON-object mode" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), '* Question: By how much does the tallest bar exceed the shortest one?\n* Ground Truth: 0.35') > 0
    and instr(cast(body as text), 'equal in value') > 0 and instr(cast(body as text), '\"response_format\":{\"type\":\"json_object\"}') > 0")" -eq 2
check "the judge's JSON read: extracted answers kept" \
  test "$(sql t.db "select count(*) from attempts where run_id='c1' and json_extract(detail_json, '$.judge.format')='json' and json_extract(detail_json, '$.judge.extracted') is not null")" -eq 18
check "a score per category in the report" \
  test "$(jq '[.systems[0].categories // .systems[0].by_category | length] | .[0]' rep/c1/report.json)" -ge 1

expect_exit 0 "import --judged writes the judged suite, the release pinned" -- \
  "$UMPIRE" import charxiv data/charxiv --judged -o suites/cj.yaml -S scaffolds/charxiv-reasoning.yaml
check "format charxiv on the release file, its sha256 pinned" \
  grep -q "sha256: $(sha256sum data/charxiv/data/reasoning_val.json | cut -c1-64)" suites/cj.yaml
check "kind judged, graded by the judge" grep -q "^kind: judged" suites/cj.yaml
expect_exit 0 "the imported suite runs" -- \
  "$UMPIRE" run suites/cj.yaml --models models.yaml --db t.db --run-id c2 --quiet
check "with the same requests as the shipped suite (parity of the neutral hashes)" \
  test "$(sql t.db "select count(*) from (select distinct neutral_hash from attempts where run_id='c2' except select distinct neutral_hash from attempts where run_id='c1')")" -eq 0 -a \
       "$(sql t.db "select count(distinct neutral_hash) from attempts where run_id='c2'")" -eq 9
expect_exit 2 "the judged form takes no --choices" -- \
  "$UMPIRE" import charxiv data/charxiv --judged -o suites/cj2.yaml --choices 3
check "says why" grep -q "the judged form reads the release as it is" "$WORK/err"

# garbage releases: refused at their place, nothing recorded
cp "$S/tests/fixtures/charxiv-garbage/data/reasoning_val.json" data/charxiv/data/reasoning_val.json
expect_exit 3 "an entry of instruction category 9" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db bad.db
check "at its file and line" grep -q 'data/reasoning_val.json:9: entry "1": inst_category must be 1, 2, 3 or 4' "$WORK/err"
check "nothing recorded" test ! -e bad.db
cp "$F/data/reasoning_test.json" data/charxiv/data/reasoning_val.json
expect_exit 3 "the test split's withheld answers" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db bad.db
check "says so" grep -q "CharXiv withholds the answers of its test split" "$WORK/err"
cp "$F/data/reasoning_val.json" data/charxiv/data/reasoning_val.json
rm data/charxiv/images/12.jpg
expect_exit 8 "a missing chart" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db bad.db
check "names the entry and the file" grep -q 'entry "13": image .*images/12.jpg: not a readable file' "$WORK/err"
check "still nothing recorded" test ! -e bad.db
done_testing
