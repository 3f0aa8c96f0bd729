#!/usr/bin/env bash
# Images end to end: the shipped image demo on the simulated pool (OpenAI and
# Anthropic wires, the orchestrator's members behind the recording proxy),
# images stored once by content hash, request bodies that hold references
# restoring to the bytes sent, the simulator's own checks of image parts, and
# suites naming garbage images refused with file:line:col.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

expect_exit 0 "image demo run completes" -- \
  "$UMPIRE" run "$S/suites/image-demo.yaml" --models "$S/models/demo.yaml" --db img.db \
  --run-id img1 --reports rep --quiet
n=$(sql img.db "select count(*) from attempts where status='done'")
check "6 items x 5 systems x 2 samples graded (got $n)" test "$n" -eq 60
check "six distinct images stored once each, though 60 attempts and 7 item slots use them" \
  test "$(sql img.db "select count(*) from images")" -eq 6
check "the two-image item lists both hashes in order" \
  test "$(sql img.db "select json_array_length(images_json) from items where item_id='line-compare'")" -eq 2
check "the stored image bytes are the file's" \
  test "$(sql img.db "select hex(bytes) from images where sha256='$(sha256sum "$S/suites/image-demo/line-peak.png" | cut -c1-64)'")" = \
       "$(od -An -v -tx1 "$S/suites/image-demo/line-peak.png" | tr -d ' \n' | tr a-f A-F)"
check "no stored body holds image bytes (PNG base64 starts iVBORw0KGgo)" \
  test "$(sql img.db "select count(*) from requests where instr(cast(body as text), 'iVBORw0KGgo') > 0")" -eq 0
check "OpenAI bodies carry data URLs, Anthropic bodies base64 sources, as references" \
  test "$(sql img.db "select count(*) from requests where instr(cast(body as text), 'base64,umpire-image:sha256:') > 0")" -eq 48 -a \
       "$(sql img.db "select count(*) from requests where instr(cast(body as text), '\"data\":\"umpire-image:sha256:') > 0")" -eq 12
cat > restore.py <<'PY'
import base64, hashlib, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
imgs = {h: base64.b64encode(b).decode() for h, b in db.execute("select sha256, bytes from images")}
bad = n = 0
for want, body in db.execute("select c.request_hash, r.body from calls c join requests r on r.body_sha256 = c.request_hash"):
    full = re.sub(r"umpire-image:sha256:([0-9a-f]{64})", lambda m: imgs[m.group(1)], bytes(body).decode())
    n += 1
    bad += hashlib.sha256(full.encode()).hexdigest() != want
print(n, bad)
PY
check "every stored body, its images restored, hashes to the request hash of its call" \
  test "$(python3 restore.py img.db)" = "60 0"
p=$(sql img.db "select count(*) from (select item_id, sample, count(distinct neutral_hash) h from attempts group by item_id, sample having h > 1)")
check "one neutral request per item and sample across all five systems and both wires" test "$p" -eq 0
check "the orchestrator's members were called through the proxy with the images" \
  test "$(sql img.db "select count(*) from routing_events where source='proxy'")" -gt 0
check "images count as input tokens (85 each): the two-image prompt costs 85 more" \
  test "$(sql img.db "select (select max(tokens_in) from attempts where item_id='line-compare' and system='sim-atlas') - (select max(tokens_in) from attempts where item_id='line-rising' and system='sim-atlas')")" -gt 84

# bundles and merges carry the images their runs name
export UMPIRE_KEY_DIR="$WORK/keys"
expect_exit 0 "bundle with the data" -- "$UMPIRE" bundle img1 --db img.db -o b1.tar.zst --include-data
mkdir b1 && tar --zstd -xf b1.tar.zst -C b1
check "the bundled store keeps the six images" test "$(sql b1/store.sqlite "select count(*) from images")" -eq 6
check "in the bundle every body, its images restored, hashes to its call" test "$(python3 restore.py b1/store.sqlite)" = "60 0"
expect_exit 0 "the bundle with images verifies" -- "$UMPIRE" verify b1.tar.zst
expect_exit 0 "bundle without the data" -- "$UMPIRE" bundle img1 --db img.db -o b2.tar.zst
mkdir b2 && tar --zstd -xf b2.tar.zst -C b2
check "without the data: no image bytes, the hashes kept" \
  test "$(sql b2/store.sqlite "select count(*) from images")/$(sql b2/store.sqlite "select count(*) from items where images_json is not null")" = 0/6
expect_exit 0 "the data-less bundle verifies" -- "$UMPIRE" verify b2.tar.zst
expect_exit 0 "merge the run into a new store" -- "$UMPIRE" merge -o merged.db img.db
check "the merged store has the images" test "$(sql merged.db "select count(*) from images")" -eq 6
check "and the restored bodies still hash to their calls" test "$(python3 restore.py merged.db)" = "60 0"

# a resumed run must show the images it began with
cp -r "$S/suites/image-demo" . && sed "s|\.\./scaffolds|$S/scaffolds|" "$S/suites/image-demo.yaml" > image-demo.yaml
expect_exit 0 "a run of one system on a copy of the demo" -- \
  "$UMPIRE" run image-demo.yaml --models "$S/models/demo.yaml" --db res.db --run-id r1 --system sim-dune --quiet --reports rep4
expect_exit 0 "resumed with the same images: nothing to do" -- \
  "$UMPIRE" run image-demo.yaml --models "$S/models/demo.yaml" --db res.db --resume r1 --system sim-dune --quiet --reports rep4
cp image-demo/line-falling.png image-demo/line-peak.png
expect_exit 6 "resumed after a chart was replaced: refused" -- \
  "$UMPIRE" run image-demo.yaml --models "$S/models/demo.yaml" --db res.db --resume r1 --system sim-dune --quiet --reports rep4
check "names the item and both hashes" grep -q "item line-peak shows other images than when the run began (recorded \[\"1269760a" "$WORK/err"

# a 7 MiB image (9.3 MiB of base64, over the 8 MiB the proxy and the
# simulator used to take) goes to the orchestrator and through the proxy to
# its members
mkdir big && { head -c 8 "$S/suites/image-demo/bars-tallest.png"; head -c 7340032 /dev/urandom; } > big/chart.png
cat > big/suite.yaml <<YML
umpire: 1
name: big-image
version: "1"
kind: mcq
categories: [Bar charts]
scaffold: $S/scaffolds/mcq.yaml
dataset:
  format: inline
  items:
    - {id: big, category: Bar charts, question: "Which colour is the tallest bar in the chart?", correct: Green, incorrect: [Red], image: chart.png}
YML
expect_exit 0 "a 7 MiB image through the orchestrator and the proxy" -- \
  "$UMPIRE" run big/suite.yaml --models "$S/models/demo.yaml" --db big.db --system sim-conductor --quiet --reports rep3
check "graded, no error" test "$(sql big.db "select count(*) from attempts where status='done'")" -eq 1
check "the members' calls were recorded by the proxy" \
  test "$(sql big.db "select count(*) from routing_events where source='proxy' and status = 200")" -gt 0
check "the image stored once, 7 MiB" test "$(sql big.db "select length(bytes) from images")" -eq 7340040

# the simulator checks what it is sent
check "simulator starts" start_sim "$S/pools/demo.yaml" "$S/suites/image-demo.yaml"
png=$(base64 -w0 "$S/suites/image-demo/bars-tallest.png")
post() { curl -s -o resp.json -w '%{http_code}' -H 'Content-Type: application/json' -d @- "$SIM_URL/v1/$1"; }
code=$(printf '{"model":"sim-atlas","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,%s"}},{"type":"text","text":"Which colour is the tallest bar in the chart?\\n(A) Green\\n(B) Red"}]}]}' "$png" | post chat/completions)
check "a good OpenAI image part is answered 200 (got $code)" test "$code" = 200
code=$(printf '{"model":"sim-atlas","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,%s"}},{"type":"text","text":"x"}]}]}' "$png" | post chat/completions)
check "PNG bytes labelled image/jpeg: 400 (got $code)" test "$code" = 400 -a "$(jq -r .error.message resp.json)" = "image: the bytes are not an image of the media type given"
code=$(printf '{"model":"sim-atlas","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]}' | post chat/completions)
check "a remote image URL: 400 (got $code)" test "$code" = 400
code=$(printf '{"model":"sim-borealis","max_tokens":9,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"%s"}},{"type":"text","text":"x"}]}]}' "$png" | post messages)
check "a good Anthropic image block is answered 200 (got $code)" test "$code" = 200
code=$(printf '{"model":"sim-borealis","max_tokens":9,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"@@not base64@@"}}]}]}' | post messages)
check "an Anthropic image that is not base64: 400 (got $code)" test "$code" = 400
code=$(printf '{"model":"sim-atlas","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"%s"}}]}]}' "$png" | post chat/completions)
check "an Anthropic image block on chat completions: 400 (got $code)" test "$code" = 400

# the simulated orchestrator turns image parts into its members' dialect
# (the members check them, so a wrong conversion is a 400 from a member)
sed -e 's/^orchestrators:/orchestrators:\n  - {name: orch-a, members: [sim-atlas, sim-dune], upstream: null, upstream_provider: anthropic}/' \
  -e 's/faults: {[^}]*}/faults: {}/' "$S/pools/demo.yaml" > pool-a.yaml
check "simulator with an Anthropic-upstream orchestrator starts" start_sim pool-a.yaml "$S/suites/image-demo.yaml"
code=$(printf '{"model":"orch-a","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,%s"}},{"type":"text","text":"Which colour is the tallest bar in the chart?\\n(A) Green\\n(B) Red"}]}]}' "$png" | post chat/completions)
check "OpenAI image part to Anthropic members: 200 (got $code)" test "$code" = 200
code=$(printf '{"model":"sim-conductor","max_tokens":9,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"%s"}},{"type":"text","text":"Which colour is the tallest bar in the chart?\\n(A) Green\\n(B) Red"}]}]}' "$png" | post messages)
check "Anthropic image block to OpenAI members: 200 (got $code)" test "$code" = 200

# garbage images are refused before any call, naming the place
sed 's/  - role: user/  - role: system/' "$S/scaffolds/mcq.yaml" > sys-only.yaml
expect_exit 3 "a scaffold with no user message to show the images in" -- \
  "$UMPIRE" run "$S/suites/image-demo.yaml" --scaffold sys-only.yaml --models "$S/models/demo.yaml" --db sys.db --quiet --no-report
check "names the scaffold and the item" grep -q "sys-only.yaml: item bars-tallest has images but the scaffold has no user message" "$WORK/err"
mkdir bad && cp "$S/suites/image-demo/bars-tallest.png" bad/ok.png
printf 'not a picture at all\n' > bad/notes.png
head -c 7 "$S/suites/image-demo/bars-tallest.png" > bad/cut.png
cat > bad/suite.yaml <<YML
umpire: 1
name: bad-images
version: "1"
kind: mcq
categories: [C]
scaffold: $S/scaffolds/mcq.yaml
dataset:
  format: inline
  items:
    - {id: a, category: C, question: q, correct: x, incorrect: [y], image: ok.png}
    - {id: b, category: C, question: q, correct: x, incorrect: [y], image: [ok.png, notes.png]}
YML
expect_exit 3 "a text file named .png is refused" -- "$UMPIRE" run bad/suite.yaml --models "$S/models/demo.yaml" --db bad.db
check "the error names file:line:col and what the bytes are not" \
  grep -Eq "suite.yaml:11:[0-9]+: item b: image .*notes.png: not a PNG, JPEG, GIF or WebP file" "$WORK/err"
check "nothing was run" test ! -s bad.db -o "$(sql bad.db "select count(*) from attempts" 2>/dev/null || echo 0)" = 0
sed -i 's/notes.png/cut.png/' bad/suite.yaml
expect_exit 3 "a PNG cut before its signature ends is refused" -- "$UMPIRE" run bad/suite.yaml --models "$S/models/demo.yaml" --db bad.db
sed -i 's/cut.png/missing.png/' bad/suite.yaml
expect_exit 8 "a missing image file (an I/O error)" -- "$UMPIRE" run bad/suite.yaml --models "$S/models/demo.yaml" --db bad.db
check "names the item and the file" grep -q "item b: image .*missing.png: not a readable file" "$WORK/err"
printf '{"Record ID":"j1","Question":"q","Correct Answer":"x","Incorrect Answer 1":"y","High-level domain":"C","fig":7}\n' > bad/d.jsonl
cat > bad/j.yaml <<YML
umpire: 1
name: bad-jsonl
version: "1"
kind: mcq
categories: [C]
scaffold: $S/scaffolds/mcq.yaml
dataset: {format: jsonl, path: d.jsonl, fields: {incorrect: Incorrect Answer 1, image: fig}}
YML
expect_exit 3 "a JSONL image key that is a number" -- "$UMPIRE" run bad/j.yaml --models "$S/models/demo.yaml" --db bad.db
check "names data file:line" grep -q "d.jsonl:1: key \"fig\" must be an image file name or an array of them" "$WORK/err"
done_testing
