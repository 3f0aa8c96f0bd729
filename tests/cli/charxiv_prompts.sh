#!/usr/bin/env bash
# CharXiv's own prompts: the shipped scaffolds/charxiv-reasoning.yaml reads
# them from a clone of CharXiv's repository (here an original stand-in in
# CharXiv's Python layout, tests/fixtures/charxiv/src: a \n escape in the
# prefix, unknown escapes, line continuations, {{ }} in a template, the
# f-string of get_number_instruction) and the shipped suite runs on the
# simulated pool. Every stored request is checked against what Python makes
# of the same files (python3 imports the fixture's constants.py and
# reasoning_utils.py): the model's question for each of the four categories
# (text, then the chart), "5." against "5", the judge's prompt with its
# chained replaces. The stored scaffold carries the texts, so rescore, a
# cached rerun and verify work without the clone; garbage clones are refused
# at file:line:col with nothing recorded.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
F="$S/tests/fixtures/charxiv"
mkdir -p suites scaffolds data
cp "$S/suites/charxiv-reasoning.yaml" suites/
cp "$S/scaffolds/charxiv-reasoning.yaml" scaffolds/
cp -r "$F" data/charxiv
# questions of every category; "5." and "5"; a question holding a
# placeholder of the grading text and braces of str.format
cat >data/charxiv/data/reasoning_val.json <<'J'
{
    "0": {"figure_id": 0, "query": "Which label of the {legend} reads \"peak\"?", "answer": "P-7", "inst_category": 1, "qa_source": 1},
    "1": {"figure_id": 3, "query": "Does the orange curve rise or fall? Options: rise, fall.", "answer": "fall", "inst_category": 2, "qa_source": 2},
    "2": {"figure_id": 7, "query": "Which value stands next to <|ground_truth|> in the key?", "answer": "0.25", "inst_category": 3, "qa_source": 1},
    "3": {"figure_id": 12, "query": "How many peaks does the blue curve have?", "answer": "5.", "inst_category": 4, "qa_source": 3},
    "4": {"figure_id": 15, "query": "How many bars are taller than λ?", "answer": "5", "inst_category": 4, "qa_source": 3},
    "5": {"figure_id": 0, "query": "By how much does the first bar exceed the last one?", "answer": "0.125", "inst_category": 4, "qa_source": 2},
    "6": {"figure_id": 3, "query": "Which version number is printed in the corner?", "answer": "1.25.3", "inst_category": 4, "qa_source": 2}
}
J
judged_pool # pool.yaml, models.yaml: m1 (OpenAI's wire), m2 (Anthropic's) and the judge

expect_exit 0 "the shipped suite runs with CharXiv's prompts read from the clone" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db t.db --run-id c1 --reports rep
check "7 questions x 2 systems, each judged" \
  test "$(sql t.db "select count(*) from attempts where run_id='c1' and status='done' and outcome is null")" -eq 14 -a \
       "$(sql t.db "select count(*) from calls where run_id='c1' and turn=-1 and http_status=200")" -eq 14

# what Python makes of the fixture clone, against the stored bodies
cat >expect.py <<'PY'
import json, sqlite3, sys, warnings
warnings.simplefilter("ignore")  # the unknown escapes' SyntaxWarning
db, run, clone = sys.argv[1:4]
sys.path.insert(0, clone + "/src")
import constants as C
import reasoning_utils as R
data = json.load(open(clone + "/data/reasoning_val.json"))
con = sqlite3.connect(db)
def body(h):
    return json.loads(con.execute("select body from requests where body_sha256=?", (h,)).fetchone()[0])
def text_first(content, system):
    image = "image_url" if system == "m1" else "image"
    return (isinstance(content, list) and len(content) == 2 and content[0]["type"] == "text"
            and content[1]["type"] == image)
ok = bad = 0
def call(att, turn):
    return con.execute("select request_hash from calls where run_id=? and attempt_id=? and turn=?",
                       (run, att, turn)).fetchone()[0]
for item, system, resp, att in con.execute(
        "select item_id, system, response_text, attempt_id from attempts where run_id=?", (run,)).fetchall():
    d = data[item]
    c = d["inst_category"]
    if c in [1, 2, 3]:
        question = C.REASONING_RESP_INST[c].format(d["query"])
    else:
        question = C.REASONING_RESP_INST[c].format(d["query"], R.get_number_instruction(d["answer"]))
    m = body(call(att, 0))["messages"]
    good = len(m) == 1 and m[0]["role"] == "user" and text_first(m[0]["content"], system) \
        and m[0]["content"][0]["text"] == question
    grading = C.REASONING_GRADING_PREFIX + C.REASONING_GRADING_INST[c] \
        .replace("<|question|>", d["query"]).replace("<|ground_truth|>", d["answer"]) \
        .replace("<|response|>", resp)
    j = body(call(att, -1))
    good = good and len(j["messages"]) == 1 and j["messages"][0] == {"role": "user", "content": grading}
    good = good and j["response_format"] == {"type": "json_object"} and j["max_tokens"] == 256
    if good:
        ok += 1
    else:
        bad += 1
        print("mismatch:", item, system, file=sys.stderr)
print(ok, bad)
PY
check "every question and every judge prompt is what CharXiv's code makes of the same files" \
  test "$(python3 expect.py t.db c1 data/charxiv 2>"$WORK/py.err")" = "14 0"
diag "$WORK/py.err"
num() { python3 -c "import sys, warnings; warnings.simplefilter('ignore'); sys.path.insert(0, 'data/charxiv/src'); import reasoning_utils as R; print(R.get_number_instruction(sys.argv[1]))" "$1"; }
check "\"5.\" asks for 0 places, \"5\" for an integer, as get_number_instruction does" \
  test "$(num 5.)" = "* Your final answer must have 0 digits after the point (no {units})." -a \
       "$(num 5)" = "* Your final answer must be a whole number."
check "...and those are the texts sent (2 systems each)" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'blue curve have?\n    * Your final answer must have 0 digits after the point (no {units}).') > 0")" -eq 2 -a \
       "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'taller than λ?\n    * Your final answer must be a whole number.') > 0")" -eq 2
check "the version number 1.25.3 counts the digits up to the second '.' (2)" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), 'in the corner?\n    * Your final answer must have 2 digits after') > 0")" -eq 2
check "the placeholder inside the question was replaced by the ground truth, as the chained replaces do" \
  test "$(sql t.db "select count(*) from requests where instr(cast(body as text), '* Question: Which value stands next to 0.25 in the key?') > 0")" -eq 2
check "the stored scaffold carries the texts it read" \
  test "$(sql t.db "select count(*) from runs where run_id='c1' and instr(scaffold_text, 'charxiv_text:') > 0 and instr(scaffold_text, '    number-in-general: \"{}\\n    {}\\n    \"') > 0")" -eq 1
sql t.db "select scaffold_text from runs where run_id='c1'" >stored.full
head -c -1 stored.full >scaffolds/stored.yaml # the store's text without sqlite3's newline
check "...and its sha256 is that text's" \
  test "$(sql t.db "select scaffold_sha256 from runs where run_id='c1'")" = "$(sha256sum <scaffolds/stored.yaml | cut -c1-64)"

# a resume reads the clone again: changed texts are another scaffold
sed -i 's/Below are a question/Here are a question/' data/charxiv/src/constants.py
expect_exit 6 "a resume with the clone's texts changed is refused" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db t.db --resume c1 --quiet
check "...as another scaffold" grep -q "different scaffold_sha256" "$WORK/err"
cp "$F/src/constants.py" data/charxiv/src/constants.py

# without the clone's prompt files: the stored copy is enough
mv data/charxiv/src src.away
start_sim pool.yaml suites/charxiv-reasoning.yaml
expect_exit 0 "rescore with the stored scaffold, no clone" -- env UMPIRE_SIM_URL="$SIM_URL" \
  "$UMPIRE" rescore c1 --scaffold scaffolds/stored.yaml --models models.yaml --db t.db
check "...asks the judge the same 14 prompts byte for byte" \
  test "$(sql t.db "select count(*) from rescore_calls where request_hash in (select request_hash from calls where run_id='c1' and turn=-1)")" -eq 14
expect_exit 0 "a rerun answered from the store (--cache all), no clone" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --scaffold scaffolds/stored.yaml --models models.yaml \
  --cache all --db t.db --run-id c2 --quiet --no-report
check "...sends the same requests (neutral hashes) and gets the same scores" \
  test "$(sql t.db "select count(*) from attempts a join attempts b on a.item_id=b.item_id and a.system=b.system where a.run_id='c1' and b.run_id='c2' and a.neutral_hash=b.neutral_hash and a.score=b.score")" -eq 14
expect_exit 0 "bundle of the run" -- "$UMPIRE" bundle c1 --db t.db -o c1.tar.zst
expect_exit 0 "...verifies without the clone" -- "$UMPIRE" verify c1.tar.zst
expect_exit 8 "the shipped scaffold without its clone is refused" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db bad.db
check "...at charxiv.source, naming the file" \
  grep -q "charxiv-reasoning.yaml:[0-9]*:[0-9]*: charxiv.source: .*src/constants.py" "$WORK/err"
check "nothing recorded" test ! -e bad.db

# garbage clones: refused at their file:line:col, nothing recorded
garbage() { # description, exit, expected message, sed program, file
  rm -rf data/charxiv/src && cp -r src.away data/charxiv/src
  sed -i "$4" "data/charxiv/src/$5"
  expect_exit "$2" "$1" -- "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db bad.db
  check "...says where: $3" grep -qF "$3" "$WORK/err"
  check "...nothing recorded" test ! -e bad.db
}
garbage "a template with a numbered field" 3 "constants.py:103:8: REASONING_RESP_INST[2]: a field '{0}'" \
  '103s/"""{}/"""{0}/' constants.py
garbage "a missing dict key" 3 "constants.py:95:1: REASONING_RESP_INST has no key 3 (CharXiv's number-in-chart questions)" \
  '108s/3: \\/33: \\/' constants.py
garbage "a syntax error" 3 "constants.py:17:46: unterminated string literal" \
  '17s/,$/, "/' constants.py
garbage "a bytes literal" 3 "constants.py:33:28: a bytes literal" \
  '33s/^REASONING_GRADING_PREFIX = """/REASONING_GRADING_PREFIX = b"""/' constants.py
garbage "a \\N{...} escape" 3 "constants.py:104:64: a \\N{...} escape" \
  '104s/(r\\u00e9ponse/(r\\N{LATIN SMALL LETTER E WITH ACUTE}ponse/' constants.py
garbage "a grading text without the response" 3 "REASONING_GRADING_INST[3]: the grading text has no <|response|>" \
  '82s/<|response|>/<|reply|>/' constants.py
garbage "an f-string with another field" 3 "reasoning_utils.py:27:48: an f-string field other than {num_decimal}" \
  '27s/{num_decimal}/{num_decimal + 1}/' reasoning_utils.py
garbage "get_number_instruction missing" 3 "reasoning_utils.py:1:1: no top-level def get_number_instruction" \
  's/^def get_number_instruction/def number_instruction/' reasoning_utils.py
rm data/charxiv/src/reasoning_utils.py
expect_exit 8 "a missing reasoning_utils.py" -- \
  "$UMPIRE" run suites/charxiv-reasoning.yaml --models models.yaml --db bad.db
check "...names it at charxiv.source" grep -q "charxiv.source: .*src/reasoning_utils.py" "$WORK/err"
check "...nothing recorded" test ! -e bad.db
done_testing
