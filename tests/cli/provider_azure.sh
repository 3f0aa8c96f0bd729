#!/usr/bin/env bash
# Azure OpenAI against the loopback fake: the deployment URL with its
# api-version query, the key in api-key, the OpenAI body and the capability
# table of the deployed model; each scenario's documented outcome, streamed
# and not, and a tool loop, streamed and not.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
start_fake
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: az, role: baseline, provider: azure, base_url: "$FAKE_URL", deployment: dep-mini,
     model: gpt-5-mini, api_version: "2024-10-21", api_key_env: TEST_API_KEY, max_retries: 2,
     timeout_s: 10, pricing: {input: 0.25, cached_input: 0.025, output: 2.0}}
  - {name: az-stream, role: baseline, provider: azure, base_url: "$FAKE_URL/", deployment: dep-mini,
     model: gpt-5-mini, api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10, stream: true,
     pricing: {input: 0.25, cached_input: 0.025, output: 2.0}}
EOT
expect_exit 5 "the run ends incomplete (the error scenarios)" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db p.db --run-id r1 --quiet --no-report
scenarios p.db az
scenarios p.db az-stream stream
same_transcript p.db az az-stream
refused_params
check "the deployment URL carries the api-version query" \
  grep -q '"path": "/openai/deployments/dep-mini/chat/completions?api-version=2024-10-21"' "$FAKE_LOG"
check "no Authorization header is sent to Azure" \
  test "$(grep -c '"authorization"' "$FAKE_LOG" | tr -d ' ')" -eq 0
cat > ma.yaml <<EOT
umpire: 1
systems:
  - {name: az, role: baseline, provider: azure, base_url: "$FAKE_URL", deployment: dep-mini,
     model: gpt-5-mini, api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10}
  - {name: az-stream, role: baseline, provider: azure, base_url: "$FAKE_URL", deployment: dep-mini,
     model: gpt-5-mini, api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10, stream: true}
EOT
expect_exit 0 "agent run: tool calls over Azure" -- \
  "$UMPIRE" run "$PFIX/agent-suite.yaml" --models ma.yaml --db a.db --run-id a1 --quiet --no-report
agent_round_trip a.db az
agent_round_trip a.db az-stream
done_testing
