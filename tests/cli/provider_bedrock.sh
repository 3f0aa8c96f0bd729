#!/usr/bin/env bash
# Bedrock Converse against the loopback fake: the request signed with AWS
# Signature Version 4 (sigv4.c) and checked the way AWS checks it, the
# model id (with its ':') in the path, messages of content blocks,
# inferenceConfig, Claude's thinking in additionalModelRequestFields, cache
# reads and writes from the usage; each scenario's documented outcome,
# through Converse and through ConverseStream (the binary AWS event stream:
# the same transcript, a time to first token; a bad CRC, an exception
# message and a stalled stream each end as documented), and a toolUse /
# toolResult loop, streamed and not. A Bedrock API key goes as a bearer
# token instead.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
start_fake
export AWS_ACCESS_KEY_ID=$FAKE_AWS_ID AWS_SECRET_ACCESS_KEY=$FAKE_AWS_SECRET
unset AWS_SESSION_TOKEN
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: br, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: "anthropic.claude-sonnet-4-5-20250929-v1:0", max_retries: 2, timeout_s: 10,
     pricing: {input: 3.0, cached_input: 0.30, cache_write: 3.75, output: 15.0}}
  - {name: br-key, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0", api_key_env: TEST_API_KEY,
     max_retries: 2, timeout_s: 10}
  - {name: br-stream, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: "anthropic.claude-sonnet-4-5-20250929-v1:0", max_retries: 2, timeout_s: 10,
     stream: true, pricing: {input: 3.0, cached_input: 0.30, cache_write: 3.75, output: 15.0}}
EOT
expect_exit 5 "the run ends incomplete (the error scenarios)" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db p.db --run-id r1 --quiet --no-report
scenarios p.db br
scenarios p.db br-key
scenarios p.db br-stream stream
same_transcript p.db br br-stream
check "ConverseStream went to converse-stream, asking for an event stream" \
  test "$(grep '"path": "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream"' "$FAKE_LOG" | grep -c '"accept": "application/vnd.amazon.eventstream"')" -ge 5
check "a message with a bad CRC is named in the error" \
  test "$(sql p.db "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='br-stream' and a.item_id='p-malformed' and c.error like '%message CRC mismatch%'")" -eq 3
check "the streamed usage, cache reads and writes are those of the whole answer" \
  test "$(sql p.db "select c.tokens_in || ' ' || c.tokens_cached || ' ' || c.tokens_cache_write || ' ' || c.cost_micro from calls c join attempts a using (run_id, attempt_id) where a.system='br-stream' and c.http_status=200 and c.error is null limit 1")" = "150 20 30 1619"
refused_params
check "no request failed its signature" \
  test "$(grep -c '"refused": 403' "$FAKE_LOG" | tr -d ' ')" -eq 0
check "the model id is percent-encoded in the path" \
  grep -q '"path": "/model/anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"' "$FAKE_LOG"
check "thinking went in additionalModelRequestFields" \
  grep -q '"additionalModelRequestFields": {"thinking": {"budget_tokens": 1024, "type": "enabled"}}' "$FAKE_LOG"
check "what Converse cannot take is reported as not sent" \
  test "$(sql p.db "select dropped_params from systems where name='br'")" = "reasoning.effort,seed,temperature"
# 100 + 20 read + 30 written: 100*3 + 20*0.3 + 30*3.75 + 80*15 = 1618.5 -> 1619
check "cache reads and writes are counted and priced" \
  test "$(sql p.db "select c.tokens_in || ' ' || c.tokens_cached || ' ' || c.tokens_cache_write || ' ' || c.cost_micro from calls c join attempts a using (run_id, attempt_id) where a.system='br' and c.http_status=200 and c.error is null limit 1")" = "150 20 30 1619"
AWS_SECRET_ACCESS_KEY=wrong expect_exit 5 "a wrong secret: every call refused" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db w.db --run-id w1 -s br --quiet --no-report
check "the signature mismatch is recorded, not retried" \
  test "$(sql w.db "select count(*) from attempts where error_class='http_403'")" -eq 5
cat > ma.yaml <<EOT
umpire: 1
systems:
  - {name: br, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: "anthropic.claude-sonnet-4-5-20250929-v1:0", max_retries: 1, timeout_s: 10}
  - {name: br-stream, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: "anthropic.claude-sonnet-4-5-20250929-v1:0", max_retries: 1, timeout_s: 10,
     stream: true}
EOT
expect_exit 0 "agent run: toolUse / toolResult" -- \
  "$UMPIRE" run "$PFIX/agent-suite.yaml" --models ma.yaml --db a.db --run-id a1 --quiet --no-report
agent_round_trip a.db br
agent_round_trip a.db br-stream

# a stream that stops sending is a timeout; an exception message is a protocol error
cat > ms.yaml <<EOT
umpire: 1
systems:
  - {name: br-stall, role: baseline, provider: bedrock, region: us-east-1, base_url: "$FAKE_URL",
     model: m, max_retries: 0, timeout_s: 30, stream: true, stall_timeout_s: 1}
EOT
head -1 "$PFIX/questions.csv" > q.csv
sed -n 2p "$PFIX/questions.csv" | sed 's/SCENARIO normal/SCENARIO stall/' >> q.csv
sed -n 2p "$PFIX/questions.csv" | sed -e 's/SCENARIO normal/SCENARIO exception/' -e 's/p-normal/p-exception/' >> q.csv
sed -e "s|path: questions.csv|path: q.csv|" -e "s|sha256: .*|sha256: $(sha256sum q.csv | cut -d' ' -f1)|" "$PFIX/suite.yaml" > s.yaml
cp "$PFIX/scaffold.yaml" .
"$UMPIRE" run s.yaml --models ms.yaml --db s.db --run-id s1 --quiet --no-report >/dev/null 2>&1
check "a stalled ConverseStream ends as a timeout" \
  test "$(att s.db br-stall p-normal "status || ' ' || error_class")" = "error timeout"
check "an exception message ends as a protocol error naming it" \
  test "$(att s.db br-stall p-exception "status || ' ' || error_class")/$(sql s.db "select count(*) from calls where error like '%modelStreamErrorException: The model stopped mid-stream.%'")" = "error protocol/1"
done_testing
