#!/usr/bin/env bash
# Anthropic messages against the loopback fake: extended thinking from the
# scaffold's budget (temperature left out, as the API wants with thinking),
# thinking blocks and cache reads / writes recorded and priced, each
# scenario's documented outcome streamed and not, the same transcript
# either way, and a tool loop that sends the thinking back with the call.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
start_fake
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: an, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1", model: claude-sonnet-4-5,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10,
     pricing: {input: 3.0, cached_input: 0.30, cache_write: 3.75, output: 15.0}}
  - {name: an-stream, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1", model: claude-sonnet-4-5,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10, stream: true,
     pricing: {input: 3.0, cached_input: 0.30, cache_write: 3.75, output: 15.0}}
EOT
expect_exit 5 "the run ends incomplete (the error scenarios)" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db p.db --run-id r1 --quiet --reports rep
scenarios p.db an
scenarios p.db an-stream stream
same_transcript p.db an an-stream
refused_params
check "thinking was asked for with the scaffold's budget" \
  grep -q '"thinking": {"budget_tokens": 1024, "type": "enabled"}' "$FAKE_LOG"
check "what Claude cannot take with thinking is reported as not sent" \
  test "$(sql p.db "select dropped_params from systems where name='an'")" = "reasoning.effort,seed,temperature"
# 100 input + 20 read + 30 written = 150 in; cost = 100*3 + 20*0.3 + 30*3.75 + 80*15 = 1618.5 -> 1619
check "cache reads and writes are counted and priced" \
  test "$(sql p.db "select tokens_in || ' ' || tokens_cached || ' ' || tokens_cache_write || ' ' || cost_micro from calls where http_status=200 and error is null limit 1")" = "150 20 30 1619"
check "report.json: cache writes summed over the calls" \
  test "$(jq -c '[.systems[] | [.tokens.cached, .tokens.cache_write, .tokens.reasoning]]' rep/r1/report.json)" = "[[40,60,null],[40,60,null]]"
check "report.md: the prompt-cache columns (Anthropic reports no reasoning tokens)" \
  grep -q '^| an | - | - | - | 40 | 60 |$' rep/r1/report.md
check "the thinking block is in the stored response" \
  test "$(call_bodies p.db | grep -c sig-fake-1)" -ge 2

cat > ma.yaml <<EOT
umpire: 1
systems:
  - {name: an, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1", model: claude-sonnet-4-5,
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10}
  - {name: an-stream, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1", model: claude-sonnet-4-5,
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10, stream: true}
EOT
expect_exit 0 "agent run: tool calls with thinking over the Anthropic wire" -- \
  "$UMPIRE" run "$PFIX/agent-suite.yaml" --models ma.yaml --db a.db --run-id a1 --quiet --no-report
agent_round_trip a.db an
agent_round_trip a.db an-stream
check "the thinking went back before the tool_use" \
  test "$(sql a.db "select count(*) from requests where cast(body as text) like '%\"signature\":\"sig-fake-1\",\"thinking\":\"The first choice fits.\",\"type\":\"thinking\"},{\"id\":\"toolu_bash\"%'")" -ge 1

# adaptive thinking: the scaffold's effort where the model takes one (Opus
# 4.6 on), the budget then not sent; Opus 4.7 takes no sampling parameter
cat > mt.yaml <<EOT
umpire: 1
systems:
  - {name: opus46, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1",
     model: claude-opus-4-6, api_key_env: TEST_API_KEY, max_retries: 0, timeout_s: 10}
  - {name: opus47, role: baseline, provider: anthropic, base_url: "$FAKE_URL/v1",
     model: claude-opus-4-7, api_key_env: TEST_API_KEY, max_retries: 0, timeout_s: 10,
     stream: true}
EOT
head -2 "$PFIX/questions.csv" > q.csv
sed -e "s|path: questions.csv|path: q.csv|" -e "s|sha256: .*|sha256: $(sha256sum q.csv | cut -d' ' -f1)|" "$PFIX/suite.yaml" > s.yaml
cp "$PFIX/scaffold.yaml" .
expect_exit 0 "Opus 4.6 and 4.7 answer with adaptive thinking" -- \
  "$UMPIRE" run s.yaml --models mt.yaml --db t.db --run-id t1 --quiet --no-report
check "both asked with thinking adaptive and the scaffold's effort" \
  test "$(grep -c '"output_config": {"effort": "low"}.*"thinking": {"type": "adaptive"}' "$FAKE_LOG" | tr -d ' ')" -eq 2
check "the budget, seed and temperature are not sent to Opus 4.6" \
  test "$(sql t.db "select dropped_params from systems where name='opus46'")" = "reasoning.budget_tokens,seed,temperature"
check "nor top_p to Opus 4.7" \
  test "$(sql t.db "select dropped_params from systems where name='opus47'")" = "reasoning.budget_tokens,seed,temperature,top_p"
check "both graded right" test "$(sql t.db "select sum(score) from attempts")" -eq 2
done_testing
