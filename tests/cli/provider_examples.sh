#!/usr/bin/env bash
# models.example.yaml works as shipped: every entry, with only its base_url
# pointed at the loopback fake, runs the shipped mcq scaffold (temperature 0,
# top_p 1, max_tokens 2048, seed) and is answered on its first request. The
# fake refuses, as each API does, what a model family does not take
# (temperature and max_tokens for gpt-5, temperature with top_p for Claude
# Sonnet 4.5, here and on Bedrock), so an entry the capability table got
# wrong fails here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
start_fake
export ORCHESTRATOR_BASE_URL="$FAKE_URL/v1" ORCHESTRATOR_API_KEY=$FAKE_KEY
export OPENAI_API_KEY=$FAKE_KEY ANTHROPIC_API_KEY=$FAKE_KEY AZURE_OPENAI_API_KEY=$FAKE_KEY
export GEMINI_API_KEY=$FAKE_KEY OPENROUTER_API_KEY=$FAKE_KEY AZURE_OPENAI_RESOURCE=unused
export AWS_ACCESS_KEY_ID=$FAKE_AWS_ID AWS_SECRET_ACCESS_KEY=$FAKE_AWS_SECRET
unset AWS_SESSION_TOKEN

# every base_url replaced (or added) by the fake's path for that provider
awk -v u="$FAKE_URL" '
  /^    base_url:/ { next }
  { print }
  /^    provider: / {
    p = $2
    if (p == "azure" || p == "bedrock") url = u
    else if (p == "gemini") url = u "/v1beta"
    else if (p == "vllm" || p == "sglang" || p == "ollama") url = u "/local/v1"
    else url = u "/v1"
    print "    base_url: \"" url "\""
  }' "$S/models.example.yaml" > m.yaml
check "every entry has its base_url replaced" \
  test "$(grep -c '^    provider:' m.yaml)" = "$(grep -c "^    base_url: \"$FAKE_URL" m.yaml)"
check "the rest of the file is as shipped" \
  test "$(grep -v '^    base_url:' m.yaml | sha256sum)" = "$(grep -v '^    base_url:' "$S/models.example.yaml" | sha256sum)"

head -2 "$PFIX/questions.csv" > q.csv
cat > s.yaml <<EOT
umpire: 1
name: examples
version: "1"
kind: mcq
categories: [Science]
scaffold: $S/scaffolds/mcq.yaml
repeats: 1
seed: 1
shuffle: false
dataset: {format: csv, path: q.csv, sha256: $(sha256sum q.csv | cut -d' ' -f1)}
EOT
n=$(grep -c '^  - name:' m.yaml)
expect_exit 0 "a run of every example entry completes" -- \
  "$UMPIRE" run s.yaml --models m.yaml --db e.db --run-id e1 --quiet --reports rep
check "every entry ($n) answered right" \
  test "$(sql e.db "select count(*) from attempts where status='done' and score=1")" -eq "$n"
check "each on its first request" \
  test "$(sql e.db "select count(*) from calls")" -eq "$n"
check "the fake refused nothing" test "$(grep -c '"refused"' "$FAKE_LOG" | tr -d ' ')" -eq 0
check "gpt-5 is not sent temperature and top_p, and says so" \
  test "$(sql e.db "select dropped_params from systems where name='gpt-5'")" = "temperature,top_p"
for s in claude-sonnet-4.5 bedrock-claude-sonnet-4.5; do
  check "$s is sent temperature without top_p (and no seed), and says so" \
    test "$(sql e.db "select dropped_params from systems where name='$s'")" = "seed,top_p"
done
check "Gemini takes the whole scaffold" \
  test "$(sql e.db "select dropped_params is null from systems where name='gemini-2.5-pro'")" = 1
check "the streamed entries report a time to first token" \
  test "$(jq -c '[.systems[] | select(.ttft_ms) | .name]' rep/e1/report.json)" = '["gemini-2.5-pro","vllm-qwen3-8b"]'
done_testing
