#!/usr/bin/env bash
# The shipped suites/hle.yaml, suites/mrcr.yaml and
# suites/long-context-reasoning.yaml (Graphwalks) on data in the releases'
# export formats (the original fixtures of tests/fixtures/judged, put where
# the suites expect the user's export), run end to end on a simulated pool;
# garbage exports refused with file:line and nothing recorded.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
F="$S/tests/fixtures/judged"
mkdir -p suites scaffolds data/hle data/mrcr data/graphwalks
cp "$S/suites/hle.yaml" "$S/suites/mrcr.yaml" "$S/suites/long-context-reasoning.yaml" suites/
cp "$S/scaffolds/hle.yaml" "$S/scaffolds/mrcr.yaml" "$S/scaffolds/graphwalks.yaml" scaffolds/
cp "$F/hle.jsonl" data/hle/hle.jsonl
cp "$F/mrcr.jsonl" data/mrcr/mrcr.jsonl
cp "$F/graphwalks.jsonl" data/graphwalks/graphwalks.jsonl
judged_pool # pool.yaml, models.yaml: m1, m2 and the judge
grep -v "name: judge" models.yaml > models-nojudge.yaml

expect_exit 0 "suites/hle.yaml runs on the HLE export" -- \
  "$UMPIRE" run suites/hle.yaml --models models.yaml --db t.db --run-id h1 --reports rep
check "3 questions x 2 systems (the image record included)" \
  test "$(sql t.db "select count(*) from attempts where run_id='h1'")" -eq 6
check "the items keep HLE's ids and answer types" \
  test "$(sql t.db "select group_concat(json_extract(choices_json, '$.answer_type'), ',') from
    (select * from items where run_id='h1' order by item_id)")" = "exactMatch,multipleChoice,exactMatch"
PNG_SHA=$(grep -o 'data:image/png;base64,[A-Za-z0-9+/=]*' "$F/hle.jsonl" | cut -d, -f2 | base64 -d | sha256sum | cut -c1-64)
check "the data-URL image stored once, by the hash of its decoded bytes" \
  test "$(sql t.db "select count(*) || ':' || max(sha256) || ':' || max(media_type) || ':' || max(length(bytes)) from images")" = "1:$PNG_SHA:image/png:79"
check "only the image record's item names it" \
  test "$(sql t.db "select group_concat(item_id) from items where run_id='h1' and images_json is not null")" = "6601a1b2c3d4e5f600000003"
check "one request a system carries it (OpenAI's and Anthropic's forms), by reference" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'umpire-image:sha256:$PNG_SHA') > 0
    and (instr(cast(body as text), '\"url\":\"data:image/png;base64,umpire-image') > 0
      or instr(cast(body as text), '\"data\":\"umpire-image') > 0)")" -eq 2 -a \
       "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'iVBORw0KGgo') > 0")" -eq 0
check "each answer judged by the system named judge" \
  test "$(sql t.db "select count(*) from calls c join attempts a using (run_id, attempt_id)
    where c.run_id='h1' and c.turn=-1 and c.http_status=200")" -eq 6
check "the judge's confidence kept for the calibration error" \
  test "$(jq '.systems[0].judged.confidences' rep/h1/report.json)" -eq 3

sed 's|  format: hle|  format: hle\n  images: skip|' suites/hle.yaml > suites/hle-text.yaml
expect_exit 0 "images: skip runs HLE's text part" -- \
  "$UMPIRE" run suites/hle-text.yaml --models models.yaml --db text.db --run-id t1
check "2 text questions x 2 systems (the image record left out), no image stored" \
  test "$(sql text.db "select count(*) from attempts where run_id='t1'")/$(sql text.db "select count(*) from images")" = "4/0"

expect_exit 0 "suites/mrcr.yaml runs on the MRCR export" -- \
  "$UMPIRE" run suites/mrcr.yaml --models models-nojudge.yaml --db t.db --run-id r1 --reports rep
check "2 conversations x 2 systems, ids row-N" \
  test "$(sql t.db "select count(*) from attempts where run_id='r1' and item_id like 'row-%'")" -eq 4
check "the dataset's messages are the request, as released" \
  test "$(sql t.db "select count(*) from requests where json_array_length(json_extract(body, '$.messages')) = 7")" -ge 1
check "scores are MRCR's: fractional where the answer is cut" \
  test "$(sql t.db "select count(*) from attempts where run_id='r1' and reward is not null")" -eq 4
check "by MRCR's bins" test "$(jq -r '.systems[0].judged.context_bins[0].bin' rep/r1/report.json)" = "<=8192"

# suites/mrcr-v2.yaml: MRCR's format, 8 needles only (an original record)
mkdir -p data/mrcr-v2
cp "$S/suites/mrcr-v2.yaml" suites/
python3 - > data/mrcr-v2/mrcr-v2.jsonl <<'PY'
import json
topics = ["owls", "rivers", "lamps", "kites", "owls", "bridges", "owls", "ferns",
          "owls", "owls", "owls", "owls"]
msgs, poems = [], []
for i, t in enumerate(topics):
    msgs.append({"role": "user", "content": "write a short poem about %s" % t})
    poem = "Poem %d on %s, line one.\nLine two of %d." % (i, t, i)
    msgs.append({"role": "assistant", "content": poem})
    if t == "owls":
        poems.append(poem)
msgs.append({"role": "user", "content": "Prepend Qv7x2K to the 3rd (1 indexed) short poem about owls. "
             "Do not include any other text in your response."})
print(json.dumps({"prompt": json.dumps(msgs), "answer": "Qv7x2K" + poems[2],
                  "random_string_to_prepend": "Qv7x2K", "n_needles": 8, "desired_msg_index": 13,
                  "total_messages": len(msgs), "n_chars": sum(len(m["content"]) for m in msgs),
                  "date_added": "2026-12-03"}))
PY
expect_exit 0 "suites/mrcr-v2.yaml runs on an 8-needle record in MRCR's format" -- \
  "$UMPIRE" run suites/mrcr-v2.yaml --models models-nojudge.yaml --db v2.db --run-id v1 --reports rep
check "under the claims row's suite name, graded by MRCR's rule" \
  test "$(sql v2.db "select suite_name || ':' || count(*) from runs join attempts using (run_id)
    where reward is not null")" = "mrcr-v2:2"
cp "$F/mrcr.jsonl" data/mrcr-v2/mrcr-v2.jsonl
expect_exit 3 "OpenAI-MRCR's 2-needle records are refused by the MRCR v2 suite" -- \
  "$UMPIRE" run suites/mrcr-v2.yaml --models models-nojudge.yaml --db v2.db --quiet --no-report
check "named by file and line" grep -q "data/mrcr-v2/mrcr-v2.jsonl:1:.*2 needles" "$WORK/err"
check "and nothing recorded is lost" test "$(sql v2.db "select count(*) from attempts")" -eq 2

expect_exit 0 "suites/long-context-reasoning.yaml runs on the Graphwalks export" -- \
  "$UMPIRE" run suites/long-context-reasoning.yaml --models models-nojudge.yaml --db t.db --run-id g1 --reports rep
check "3 graphs x 2 systems, ids row-N, categories bfs and parents" \
  test "$(sql t.db "select count(*) || ':' || group_concat(distinct category) from attempts a join items i using (run_id, item_id)
    where a.run_id='g1' and item_id like 'row-%'")" = "6:bfs,parents"
check "the prompt is the one user message, as released" \
  test "$(sql t.db "select count(*) from requests where json_array_length(json_extract(body, '$.messages')) = 1
    and json_extract(body, '$.messages[0].content') like 'You are shown a directed graph%'")" -ge 2
check "the answer nodes kept as the item's answer" \
  test "$(sql t.db "select json_extract(choices_json, '$.answer') from items where run_id='g1' and item_id='row-2'")" = '["77d0c4e2a1","b81e55f0c3"]'
check "every attempt scored by set F1, none an error" \
  test "$(sql t.db "select count(*) from attempts where run_id='g1' and reward is not null and status='done'")" -eq 6
check "the empty answer set of row-3 answered right scores 1" \
  test "$(sql t.db "select count(*) from attempts where run_id='g1' and item_id='row-3' and score = 1")" -ge 1
check "by the suite's bins, from prompt_chars" \
  test "$(jq -r '.systems[0].judged.context_bins[0].bin' rep/g1/report.json)" = "<=8192"

cp "$F/hle-bad.jsonl" data/hle/hle.jsonl
expect_exit 3 "a garbage HLE export is refused" -- \
  "$UMPIRE" run suites/hle.yaml --models models.yaml --db bad.db
check "at its file and line" grep -q 'data/hle/hle.jsonl:2: field "answer" must be a string' "$WORK/err"
check "nothing recorded" test ! -e bad.db
cp "$F/hle-bad-image.jsonl" data/hle/hle.jsonl
expect_exit 3 "an HLE record whose data URL is not the image it declares is refused" -- \
  "$UMPIRE" run suites/hle.yaml --models models.yaml --db bad.db
check "at its file and line, naming the record and why" \
  grep -q 'data/hle/hle.jsonl:2: record c2: field "image": image data URL: declared image/jpeg but its bytes are image/png' "$WORK/err"
check "nothing recorded" test ! -e bad.db
cp "$F/mrcr-bad.jsonl" data/mrcr/mrcr.jsonl
expect_exit 3 "a garbage MRCR export is refused" -- \
  "$UMPIRE" run suites/mrcr.yaml --models models-nojudge.yaml --db bad.db
check "at its file and line" grep -q 'data/mrcr/mrcr.jsonl:2: field "prompt": the last message' "$WORK/err"
printf '{"prompt": "[]", "answer": 1}\n' > data/mrcr/mrcr.jsonl
expect_exit 3 "a record of the wrong types is refused" -- \
  "$UMPIRE" run suites/mrcr.yaml --models models-nojudge.yaml --db bad.db
check "naming the field" grep -q 'mrcr.jsonl:1: field "answer" must be a string' "$WORK/err"
check "still nothing recorded" test ! -e bad.db
cp "$F/graphwalks-bad.jsonl" data/graphwalks/graphwalks.jsonl
expect_exit 3 "a garbage Graphwalks export is refused" -- \
  "$UMPIRE" run suites/long-context-reasoning.yaml --models models-nojudge.yaml --db bad.db
check "at its file and line" grep -q 'data/graphwalks/graphwalks.jsonl:2: field "answer_nodes" must be a list of node ids' "$WORK/err"
check "nothing recorded" test ! -e bad.db
# the demo suite with a numeric item whose answer is no number: refused
# before any call, naming the item
mkdir -p demo/suites && cp -r "$S/scaffolds" "$S/models" "$S/pools" demo/ && cp -r "$S/suites/image-demo" demo/suites/
sed 's/      answer: "120"/      answer: "one hundred and twenty"/' "$S/suites/judged-demo.yaml" > demo/suites/jd.yaml
expect_exit 3 "a numeric item whose answer is not a number is refused" -- \
  "$UMPIRE" run demo/suites/jd.yaml --models demo/models/judged-demo.yaml --db nn.db
check "naming the item and why" grep -q "item num-1: the answer 'one hundred and twenty' is not a number" "$WORK/err"
check "before any call: nothing recorded" test ! -e nn.db
done_testing
