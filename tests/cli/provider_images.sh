#!/usr/bin/env bash
# The image demo on every wire, against the loopback fake, which checks image
# parts as each API does (OpenAI and Azure image_url data URLs, Anthropic
# base64 image blocks, Gemini inlineData, Bedrock image blocks: a known type,
# base64 that decodes, bytes of that type) and logs the sha256 of the bytes it
# decoded: they must be the suite's files, in order, for every system.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
start_fake
export AWS_ACCESS_KEY_ID=$FAKE_AWS_ID AWS_SECRET_ACCESS_KEY=$FAKE_AWS_SECRET
unset AWS_SESSION_TOKEN
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: oa, role: baseline, provider: openai, base_url: "$FAKE_URL/v1", model: gpt-4o,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10}
  - {name: az, role: baseline, provider: azure, base_url: "$FAKE_URL", deployment: dep-4o,
     model: gpt-4o, api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10}
  - {name: an, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1", model: claude-sonnet-4-5,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10}
  - {name: ge, role: baseline, provider: gemini, base_url: "$FAKE_URL/v1beta", model: gemini-2.5-flash,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10}
  - {name: br, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: "anthropic.claude-sonnet-4-5-20250929-v1:0", max_retries: 2, timeout_s: 10}
EOT
expect_exit 0 "the image demo runs on all five wires" -- \
  "$UMPIRE" run "$S/suites/image-demo.yaml" --models m.yaml --db p.db --run-id r1 --quiet --no-report
check "60 attempts done, none refused" \
  test "$(sql p.db "select count(*) from attempts where status='done'")/$(grep -c '"refused"' "$FAKE_LOG")" = 60/0
for f in openai anthropic gemini bedrock; do
  check "$f: every request carried images" \
    test "$(jq -c "select(.family == \"$f\") | .images // empty" "$FAKE_LOG" | wc -l)" -eq \
         "$(jq -c "select(.family == \"$f\")" "$FAKE_LOG" | wc -l)"
done
h() { sha256sum "$S/suites/image-demo/$1" | cut -c1-64; }
want="[\"$(h line-rising.png)\",\"$(h line-falling.png)\"]"
check "the two-image item: both files' bytes, in order, on each of the five systems" \
  test "$(jq -r "select(.images == $want) | .family" "$FAKE_LOG" | sort | uniq -c | awk '{print $1 $2}' | tr '\n' ' ')" = \
       '2anthropic 2bedrock 2gemini 4openai '
check "the bytes each wire decoded are the files' (6 distinct images)" \
  test "$(jq -r '.images[]?' "$FAKE_LOG" | sort -u | wc -l)" -eq 6
check "the fake refuses a bad image (its checks can fail)" \
  test "$(curl -s -o r.json -w '%{http_code}' -H 'Content-Type: application/json' -H "Authorization: Bearer $FAKE_KEY" \
    -d '{"model":"gpt-4o","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,R0lGODlh"}}]}]}' \
    "$FAKE_URL/v1/chat/completions")" = 400
done_testing
