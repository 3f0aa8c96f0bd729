#!/usr/bin/env bash
# The neutral agent loop against the simulated pool: a skilled agent solves
# the probe tasks without ever seeing the hidden tests; an unskilled one
# fails; one that only sends malformed tool calls is answered, counted and
# stopped at the turn limit; a flood of output is truncated; a runaway
# command is killed at its timeout; every turn and command is stored.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
T="$FIX/../terminal"

expect_exit 0 "agent run over the probe tasks" -- \
  "$UMPIRE" run "$T/suite.yaml" --models "$T/models-agent.yaml" --db a.db --run-id a1 --reports rep
q() { sql a.db "$1"; }
check "the skilled agent resolves every probe" \
  test "$(q "select sum(score) from attempts where system='skilled'")" -eq 3
check "it never saw the hidden tests (probe-hidden resolved)" \
  test "$(q "select score from attempts where system='skilled' and item_id='probe-hidden'")" -eq 1
check "the unskilled agent resolves none, and submitted" \
  test "$(q "select sum(score) || '/' || sum(json_extract(detail_json,'\$.submitted')) from attempts where system='unskilled'")" = "0/3"
check "malformed tool calls are counted, never crash, and the agent stops at the turn limit" \
  test "$(q "select count(*) from attempts where system='garbled' and score=0 and json_extract(detail_json,'\$.stop_reason')='turn_limit' and json_extract(detail_json,'\$.malformed_tool_calls')=40")" -eq 3
check "each malformed call was answered with an error the model can read" \
  test "$(q "select count(*) from tool_steps where tool='invalid' and error like 'error: bash takes%'")" -eq 120
fl=$(q "select stdout_bytes || ' ' || length(stdout) || ' ' || truncated from tool_steps t join attempts a using (run_id, attempt_id) where a.system='skilled' and a.item_id='flood' and t.tool='bash'")
check "a flood of output is cut at the scaffold's limit ($fl)" test "$fl" = "20000000 16384 1"
check "the model is told how much was cut" \
  test "$(q "select count(*) from requests where cast(body as text) like '%bytes truncated ...]%'")" -ge 1
check "every model turn is a call with its turn number" \
  test "$(q "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='skilled' and c.turn between 1 and 2")" -eq 6
check "every command's output is hashed" \
  test "$(q "select count(*) from tool_steps where tool in ('bash','verifier') and output_sha256 is null")" -eq 0
check "identical first requests across systems (parity)" \
  grep -q "Every system received the same request" rep/a1/report.md
check "the report has the agent section" grep -q "## Agent behaviour" rep/a1/report.md
check "every table of the agentic report.md is well formed" \
  python3 "$UMPIRE_SRCDIR/tests/tools/md_tables.py" rep/a1/report.md 4

# an agentic run bundles and verifies: each verdict re-derived from the stored verifier output
export UMPIRE_KEY_DIR="$WORK/keys"
expect_exit 0 "bundle the agent run" -- "$UMPIRE" bundle a1 --db a.db -o a.tar.zst
expect_exit 0 "and verify it offline" -- "$UMPIRE" verify a.tar.zst --pubkey keys/umpire.pub
check "every attempt re-graded from its transcript" grep -q "re-graded: 9 attempts from 9 recorded transcripts" "$WORK/out"
mkdir x && tar --zstd -xf a.tar.zst -C x
aid=$(sql x/store.sqlite "select attempt_id from attempts where score=1 limit 1")
sql x/store.sqlite "update attempts set score=0 where attempt_id='$aid'"
bundle_resign x && (cd x && tar --zstd -cf ../t.tar.zst $(ls))
expect_exit 6 "a verdict changed in the store and re-signed is detected" -- \
  "$UMPIRE" verify t.tar.zst --pubkey keys/umpire.pub
check "named with the attempt" grep -q "attempt $aid.*score" "$WORK/err"

# replay: the stored commands run again in fresh sandboxes, no model
expect_exit 0 "replay the agent run from its transcripts" -- \
  "$UMPIRE" run "$T/suite.yaml" --replay a1 --db a.db --run-id r1 --reports rep
check "every replayed attempt gives the stored verdict" \
  test "$(sql a.db "select count(*) from attempts where run_id='r1' and score = json_extract(detail_json,'\$.replayed_score')")" -eq 9
check "no model was called" test "$(sql a.db "select count(*) from calls where run_id='r1'")" -eq 0
check "the report says so" grep -q "gave the same verdict in 3 of 3 attempts" rep/r1/report.md
expect_exit 6 "replaying a run of another suite is refused" -- \
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --replay a1 --db a.db
expect_exit 7 "replaying a run that does not exist" -- "$UMPIRE" run "$T/suite.yaml" --replay nope --db a.db

expect_exit 0 "a runaway command is killed at the tool timeout" -- \
  "$UMPIRE" run "$T/suite.yaml" --models "$T/models-agent.yaml" --system skilled \
  --scaffold "$T/agent-short.yaml" --db s.db --run-id s1 --quiet --no-report
check "the slow task is unresolved" \
  test "$(sql s.db "select score from attempts where item_id='slow'")" -eq 0
check "its command was recorded as timed out" \
  test "$(sql s.db "select count(*) from tool_steps t join attempts a using (run_id, attempt_id) where a.item_id='slow' and t.tool='bash' and t.timed_out=1")" -ge 1

expect_exit 0 "the terminal demo for the whole simulated pool" -- \
  "$UMPIRE" run "$S/suites/terminal-demo.yaml" --models "$S/models/demo.yaml" --db d.db --run-id d1 \
  --quiet --reports rep
check "five systems x every task attempted" \
  test "$(sql d.db "select count(*) from attempts where status='done'")" -eq "$(( 5 * $(sql d.db "select count(*) from items") ))"
check "some but not all attempts resolved" \
  test "$(sql d.db "select sum(score) > 0 and sum(score) < count(*) from attempts")" -eq 1
done_testing
