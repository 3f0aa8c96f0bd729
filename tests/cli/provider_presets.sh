#!/usr/bin/env bash
# The OpenAI-compatible presets (vllm, sglang, ollama, openrouter) against
# the loopback fake: their wire is OpenAI's (stored as openai), model ids
# with a vendor prefix find their family in the capability table, each
# scenario's documented outcome holds, streamed and not, a local server
# started without a key is sent none, and a tool call goes round the agent
# loop. (The default base_urls are checked in tests/unit/load/test_models.c.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
start_fake
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: vl, role: baseline, provider: vllm, base_url: "$FAKE_URL/v1", model: Qwen/Qwen3-8B,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10}
  - {name: ol-stream, role: baseline, provider: ollama, base_url: "$FAKE_URL/v1", model: "qwen3:8b",
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10, stream: true}
  - {name: or, role: baseline, provider: openrouter, base_url: "$FAKE_URL/v1", model: openai/gpt-5-mini,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10}
  - {name: sg, role: baseline, provider: sglang, base_url: "$FAKE_URL/local/v1", model: Qwen/Qwen3-32B,
     max_retries: 2, timeout_s: 10}
EOT
expect_exit 5 "the run ends incomplete (the error scenarios)" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db p.db --run-id r1 --quiet --no-report
scenarios p.db vl
scenarios p.db ol-stream stream
scenarios p.db or
scenarios p.db sg
check "a local server without a key gets no Authorization header" \
  test "$(grep '"path": "/local/v1/chat/completions"' "$FAKE_LOG" | grep -c '"authorization"' | tr -d ' ')" -eq 0
refused_params
check "an open model gets the scaffold's sampling and reasoning_effort" \
  test "$(sql p.db "select dropped_params from systems where name='vl'")" = "reasoning.budget_tokens"
check "OpenRouter's openai/gpt-5-mini is a gpt-5: max_completion_tokens" \
  test "$(sql p.db "select dropped_params from systems where name='or'")" = "reasoning.budget_tokens,temperature,top_p"
check "presets are stored as the openai wire" \
  test "$(sql p.db "select group_concat(distinct provider) from systems")" = "openai"

cat > ma.yaml <<EOT
umpire: 1
systems:
  - {name: vl, role: baseline, provider: vllm, base_url: "$FAKE_URL/local/v1", model: Qwen/Qwen3-8B,
     max_retries: 1, timeout_s: 10}
  - {name: ol-stream, role: baseline, provider: ollama, base_url: "$FAKE_URL/v1", model: "qwen3:8b",
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10, stream: true}
EOT
expect_exit 0 "agent run: tool calls through the presets" -- \
  "$UMPIRE" run "$PFIX/agent-suite.yaml" --models ma.yaml --db a.db --run-id a1 --quiet --no-report
agent_round_trip a.db vl
agent_round_trip a.db ol-stream
done_testing
