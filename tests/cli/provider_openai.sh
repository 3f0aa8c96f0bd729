#!/usr/bin/env bash
# OpenAI chat completions against the loopback fake: a reasoning model
# (gpt-5 family) gets max_completion_tokens and reasoning_effort and no
# temperature / top_p (which the fake, like the API, refuses); each
# scenario ends in its documented outcome, streamed and not; the streamed
# transcript equals the whole one; a tool call goes round the agent loop.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/providers_lib.sh"
cd "$WORK"
start_fake
cat > m.yaml <<EOT
umpire: 1
systems:
  - {name: oa, role: baseline, provider: openai, base_url: "$FAKE_URL/v1", model: gpt-5-mini,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10,
     pricing: {input: 0.25, cached_input: 0.025, output: 2.0}}
  - {name: oa-stream, role: baseline, provider: openai, base_url: "$FAKE_URL/v1/", model: gpt-5-mini,
     api_key_env: TEST_API_KEY, max_retries: 2, timeout_s: 10, stream: true, stall_timeout_s: 2,
     pricing: {input: 0.25, cached_input: 0.025, output: 2.0}}
EOT
expect_exit 5 "the run ends incomplete (the error scenarios)" -- \
  "$UMPIRE" run "$PFIX/suite.yaml" --models m.yaml --db p.db --run-id r1 --quiet --reports rep
scenarios p.db oa
scenarios p.db oa-stream stream
same_transcript p.db oa oa-stream
refused_params
check "reasoning tokens are recorded" \
  test "$(sql p.db "select min(tokens_reasoning) from calls where http_status=200 and error is null")" -eq 64
check "what gpt-5 cannot take is reported as not sent" \
  test "$(sql p.db "select dropped_params from systems where name='oa'")" = "reasoning.budget_tokens,temperature,top_p"
check "report.md names them" grep -q "reasoning.budget_tokens,temperature,top_p" rep/r1/report.md
# the report: time to first token of the streamed calls, reasoning tokens
check "report.json: the streamed system's time to first token over its streamed calls" \
  test "$(jq -c '.systems[] | select(.name=="oa-stream") | [.ttft_ms.calls, (.ttft_ms.p50 >= 0), (.ttft_ms.p90 >= .ttft_ms.p50)]' rep/r1/report.json)" \
  = "[$(sql p.db "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='oa-stream' and c.ttft_ms is not null and c.error is null"),true,true]"
check "report.json: no time to first token for the whole answers" \
  test "$(jq -c '.systems[] | select(.name=="oa") | has("ttft_ms")' rep/r1/report.json)" = false
check "report.json: reasoning tokens summed over the calls" \
  test "$(jq -c '[.systems[] | .tokens.reasoning]' rep/r1/report.json)" \
  = "[$(sql p.db "select group_concat(t) from (select sum(c.tokens_reasoning) t from calls c join attempts a using (run_id, attempt_id) group by a.system order by a.system)")]"
check "report.json: no cache writes where the provider reports none" \
  test "$(jq -c '[.systems[] | .tokens | has("cache_write")] | any' rep/r1/report.json)" = false
check "report.md: the streams and reasoning table" \
  grep -q '^| oa-stream | 2 | [0-9]* / [0-9]* | 128 | 40 | - |$' rep/r1/report.md
check "report.md: its tables are well formed" python3 "$UMPIRE_SRCDIR/tests/tools/md_tables.py" rep/r1/report.md 3
check "report.html: the same table" grep -q '<table id="streams-table">' rep/r1/report.html
check "report.html: every number of it shows its report.json value" \
  /usr/bin/python3 "$UMPIRE_SRCDIR/tests/tools/html_check.py" values rep/r1/report.html rep/r1/report.json 40
check "report.html: still valid HTML5" \
  /usr/bin/python3 "$UMPIRE_SRCDIR/tests/tools/html_check.py" valid rep/r1/report.html
check "the streamed body asks for the usage in the last chunk" \
  grep -q '"stream_options": {"include_usage": true}' "$FAKE_LOG"
check "parity: streamed and whole requests hash alike" \
  test "$(sql p.db "select count(distinct request_hash) from attempts where item_id='p-normal'")" -eq 1

cat > ma.yaml <<EOT
umpire: 1
systems:
  - {name: oa, role: baseline, provider: openai, base_url: "$FAKE_URL/v1", model: gpt-5-mini,
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10}
  - {name: oa-stream, role: baseline, provider: openai, base_url: "$FAKE_URL/v1", model: gpt-5-mini,
     api_key_env: TEST_API_KEY, max_retries: 1, timeout_s: 10, stream: true}
EOT
expect_exit 0 "agent run: tool calls over the OpenAI wire" -- \
  "$UMPIRE" run "$PFIX/agent-suite.yaml" --models ma.yaml --db a.db --run-id a1 --quiet --no-report
agent_round_trip a.db oa
agent_round_trip a.db oa-stream

# a stream that stops sending is a timeout
cat > ms.yaml <<EOT
umpire: 1
systems:
  - {name: stall, role: baseline, provider: openai, base_url: "$FAKE_URL/v1", model: gpt-4.1,
     api_key_env: TEST_API_KEY, max_retries: 0, timeout_s: 30, stream: true, stall_timeout_s: 1}
EOT
head -2 "$PFIX/questions.csv" | sed 's/SCENARIO normal/SCENARIO stall/' > q.csv
sed -e "s|path: questions.csv|path: q.csv|" -e "s|sha256: .*|sha256: $(sha256sum q.csv | cut -d' ' -f1)|" "$PFIX/suite.yaml" > s.yaml
cp "$PFIX/scaffold.yaml" .
"$UMPIRE" run s.yaml --models ms.yaml --db s.db --run-id s1 --quiet --no-report >/dev/null 2>&1
check "a stalled stream ends as a timeout" \
  test "$(att s.db stall p-normal "status || ' ' || error_class")" = "error timeout"
done_testing
