#!/usr/bin/env bash
# Gemini generateContent against the loopback fake: contents / parts,
# systemInstruction, generationConfig with the budget as thinkingBudget
# (Gemini 2.5), thoughts and thoughtsTokenCount recorded, the key in
# x-goog-api-key, streamGenerateContent?alt=sse; each scenario's documented
# outcome, streamed and not, the same transcript either way, and a tool
# loop of functionCall / functionResponse.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
start_fake
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: ge, role: baseline, provider: gemini, base_url: "$FAKE_URL/v1beta", model: gemini-2.5-flash,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10,
     pricing: {input: 0.30, cached_input: 0.03, output: 2.5}}
  - {name: ge-stream, role: baseline, provider: gemini, base_url: "$FAKE_URL/v1beta", model: gemini-2.5-flash,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10, stream: true,
     pricing: {input: 0.30, cached_input: 0.03, output: 2.5}}
EOT
expect_exit 5 "the run ends incomplete (the error scenarios)" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db p.db --run-id r1 --quiet --no-report
scenarios p.db ge
scenarios p.db ge-stream stream
same_transcript p.db ge ge-stream
refused_params
check "the budget went as thinkingBudget, with the thoughts asked for" \
  grep -q '"thinkingConfig": {"includeThoughts": true, "thinkingBudget": 1024}' "$FAKE_LOG"
check "sampling parameters went in generationConfig" \
  grep -q '"maxOutputTokens": 4096, "seed": 7, "temperature": 0' "$FAKE_LOG"
check "what Gemini 2.5 cannot take is reported as not sent" \
  test "$(sql p.db "select dropped_params from systems where name='ge'")" = "reasoning.effort"
check "thoughts count as output and as reasoning" \
  test "$(sql p.db "select tokens_out || ' ' || tokens_reasoning || ' ' || tokens_cached from calls where http_status=200 and error is null limit 1")" = "80 64 20"

# Gemini 3: the effort as thinkingLevel where the model knows it (3 Pro: low
# or high), else the budget; never both
cat > m3.yaml <<EOT
umpire: 1
systems:
  - {name: g3pro, role: baseline, provider: gemini, base_url: "$FAKE_URL/v1beta",
     model: gemini-3-pro-preview, api_key_env: TEST_API_KEY, max_retries: 0, timeout_s: 10}
EOT
head -2 "$PFIX/questions.csv" > q.csv
sed -e "s|path: questions.csv|path: q.csv|" -e "s|sha256: .*|sha256: $(sha256sum q.csv | cut -d' ' -f1)|" \
  -e "s|scaffold: scaffold.yaml|scaffold: $PFIX/scaffold.yaml|" "$PFIX/suite.yaml" > s-low.yaml
sed 's/effort: low/effort: medium/' "$PFIX/scaffold.yaml" > medium.yaml
sed "s|scaffold: .*|scaffold: medium.yaml|" s-low.yaml > s-medium.yaml
expect_exit 0 "Gemini 3 Pro answers with the scaffold's effort low" -- \
  "$UMPIRE" run s-low.yaml --models m3.yaml --db g3.db --run-id g1 --quiet --no-report
check "as thinkingLevel, the budget not sent" \
  test "$(sql g3.db "select dropped_params from systems")" = "reasoning.budget_tokens"
expect_exit 0 "with effort medium, which 3 Pro does not know" -- \
  "$UMPIRE" run s-medium.yaml --models m3.yaml --db g4.db --run-id g2 --quiet --no-report
check "the budget goes instead, and the effort is not sent" \
  test "$(sql g4.db "select dropped_params from systems")" = "reasoning.effort"
check "no thinking level was refused" test "$(grep -c 'thinking_level' "$FAKE_LOG" | tr -d ' ')" -eq 0

cat > ma.yaml <<EOT
umpire: 1
systems:
  - {name: ge, role: baseline, provider: gemini, base_url: "$FAKE_URL/v1beta", model: gemini-2.5-flash,
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10}
  - {name: ge-stream, role: baseline, provider: gemini, base_url: "$FAKE_URL/v1beta", model: gemini-2.5-flash,
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10, stream: true}
EOT
expect_exit 0 "agent run: functionCall / functionResponse" -- \
  "$UMPIRE" run "$PFIX/agent-suite.yaml" --models ma.yaml --db a.db --run-id a1 --quiet --no-report
agent_round_trip a.db ge
agent_round_trip a.db ge-stream
check "the thought signature went back with the call" \
  test "$(sql a.db "select count(*) from requests where cast(body as text) like '%\"thoughtSignature\":\"c2lnLWZha2U=\"%'")" -ge 1
done_testing
