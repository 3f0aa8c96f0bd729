# providers_lib.sh - the scenario checks every provider's test runs against
# the loopback fake (tests/tools/fake_provider.py). Sourced after lib.sh.
PFIX="$UMPIRE_SRCDIR/tests/fixtures/providers"
export FAKE_KEY=sk-fake-key FAKE_AWS_ID=AKIDFAKE FAKE_AWS_SECRET=fake-secret
export TEST_API_KEY=$FAKE_KEY

# start_fake: sets FAKE_URL (http://127.0.0.1:PORT) and FAKE_LOG
start_fake() {
  local pf="$WORK/fake.port"
  FAKE_LOG="$WORK/fake.log"
  python3 "$UMPIRE_SRCDIR/tests/tools/fake_provider.py" "$pf" "$FAKE_LOG" 240 \
    2>"$WORK/fake.err" &
  SIM_PIDS+=($!)
  local i
  for i in $(seq 1 100); do [ -s "$pf" ] && break; sleep 0.1; done
  [ -s "$pf" ] || { echo "# fake provider did not start"; diag "$WORK/fake.err"; exit 1; }
  FAKE_URL="http://127.0.0.1:$(cat "$pf")"
}

# att DB SYSTEM ITEM COLUMN: one column of one attempt
att() { sql "$1" "select $4 from attempts where system='$2' and item_id='$3'"; }
ncalls() { sql "$1" "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='$2' and a.item_id='$3'"; }

# scenarios DB SYSTEM [stream]: the documented outcome of each scenario item
scenarios() {
  local db="$1" s="$2" stream="${3:-}"
  check "$s: the normal answer is graded right" test "$(att "$db" "$s" p-normal score)" = 1
  check "$s: a 429 with Retry-After is retried and then answered" \
    test "$(att "$db" "$s" p-retry429 status)/$(ncalls "$db" "$s" p-retry429)" = "done/2"
  local gap
  gap=$(sql "$db" "select max(started_ms) - min(started_ms) from calls c join attempts a using (run_id, attempt_id) where a.system='$s' and a.item_id='p-retry429'")
  check "$s: the retry waited for Retry-After (${gap} ms)" test "$gap" -ge 1000
  check "$s: a 5xx is retried, then an infrastructure error" \
    test "$(att "$db" "$s" p-5xx "status || ' ' || error_class")/$(ncalls "$db" "$s" p-5xx)" = "error http_500/3"
  check "$s: a context overflow is not retried and is classed context_overflow" \
    test "$(att "$db" "$s" p-overflow "status || ' ' || error_class")/$(ncalls "$db" "$s" p-overflow)" = "error context_overflow/1"
  check "$s: a malformed body is a protocol error after the retries" \
    test "$(att "$db" "$s" p-malformed "status || ' ' || error_class")/$(ncalls "$db" "$s" p-malformed)" = "error protocol/3"
  if [ -n "$stream" ]; then
    check "$s: the streamed answer records its time to first token" \
      test "$(sql "$db" "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='$s' and c.http_status=200 and c.error is null and c.ttft_ms >= 0")" -ge 2
  else
    check "$s: a whole answer has no time to first token" \
      test "$(sql "$db" "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='$s' and c.ttft_ms is not null")" -eq 0
  fi
}

# same_transcript DB A B: the stored answers of two systems are identical
same_transcript() {
  check "$2 and $3 store the same answer, streamed or not" \
    test "$(sql "$1" "select count(*) from attempts x join attempts y on x.run_id=y.run_id and x.item_id=y.item_id and x.system='$2' and y.system='$3' where x.status='done' and x.response_text is y.response_text and x.tokens_in=y.tokens_in and x.tokens_out=y.tokens_out")" -eq 2
}

# agent_round_trip DB SYSTEM: a bash call, its result sent back in the
# provider's shape, then submit; the task is solved
agent_round_trip() {
  check "$2: the tool call ran in the sandbox" \
    test "$(sql "$1" "select count(*) from tool_steps t join attempts a using (run_id, attempt_id) where a.system='$2' and t.tool='bash' and t.command like 'echo fake-agent%'")" -eq 1
  check "$2: its result went back and the model submitted; the task is solved" \
    test "$(sql "$1" "select score || ' ' || json_extract(detail_json,'\$.submitted') from attempts where system='$2'")" = "1 1"
}

# refused_params: no request was refused for a parameter the model does not take
refused_params() {
  check "no request carried a parameter the model family refuses" \
    test "$(grep '"refused": 400' "$FAKE_LOG" | grep -vc '"scenario": "overflow"' | tr -d ' ')" -eq 0
}
