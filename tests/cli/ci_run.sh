#!/usr/bin/env bash
# CI controls of `umpire run`: --dry-run, --limit, --max-cost, progress lines
# in a log, the circuit breaker on 401, the response cache; and garbage given
# to each new option.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
D="$S/suites/demo.yaml"
M="$S/models/demo.yaml"

# --dry-run: the plan and an estimate, nothing stored, nothing called
expect_exit 0 "--dry-run prints the plan" -- "$UMPIRE" run "$D" --models "$M" --db dry.db --dry-run
check "plan line: 480 attempts" grep -q "480 attempts (48 items or tasks x 2 repeats x 5 systems)" "$WORK/out"
check "a row per system with a cost" grep -Eq "^sim-atlas +96 +[0-9]+ +[0-9.]+ +[0-9.]+$" "$WORK/out"
check "a bounded total from max_tokens" grep -q "at most \\$" "$WORK/out"
check "no store written by a dry run" test ! -e dry.db

# --limit: a stratified, seeded subset, recorded in the run and the report
expect_exit 0 "--limit 12 runs a subset" -- "$UMPIRE" run "$D" --models "$M" --db lim.db \
  --run-id l1 --limit 12 --repeats 1 --reports rep --quiet
check "12 items x 5 systems attempted" test "$(sql lim.db "select count(*) from attempts")" -eq 60
check "stratified: 3 items from each of the 4 categories" \
  test "$(sql lim.db "select group_concat(n) from (select count(*) n from items group by category)")" = "3,3,3,3"
check "the subset is in the run's notes" \
  test "$(jq -r '.run.notes.limit | "\(.n)/\(.of)/\(.stratified_by)"' rep/l1/report.json)" = "12/48/category"
check "report.md says it is a subset" grep -q "Subset.*12 of 48 items" rep/l1/report.md
"$UMPIRE" run "$D" --models "$M" --db lim2.db --run-id l1 --limit 12 --repeats 1 --no-report --quiet
check "the same seed picks the same items" \
  test "$(sql lim.db "select group_concat(item_id) from items")" = "$(sql lim2.db "select group_concat(item_id) from items")"
"$UMPIRE" run "$D" --models "$M" --db lim3.db --run-id l1 --limit 12 --limit-seed 7 --repeats 1 --no-report --quiet
check "another --limit-seed picks other items" \
  test "$(sql lim.db "select group_concat(item_id) from items")" != "$(sql lim3.db "select group_concat(item_id) from items")"
expect_exit 6 "resuming a subset run with another --limit is refused" -- \
  "$UMPIRE" run "$D" --models "$M" --db lim.db --resume l1 --limit 20 --repeats 1 --quiet --no-report

# --max-cost: stops issuing attempts at the budget, the run is partial
expect_exit 10 "--max-cost 0.60 stops the demo at its budget" -- "$UMPIRE" run "$D" --models "$M" \
  --db cost.db --run-id c1 --max-cost 0.60 --reports rep
spent=$(sql cost.db "select sum(cost_micro) from attempts")
check "spent $spent micro-USD, not over the 600000 budget" test "$spent" -le 600000
check "and it did spend most of it" test "$spent" -ge 300000
check "fewer attempts than planned" test "$(sql cost.db "select count(*) from attempts")" -lt 480
check "stderr says why" grep -q "stopped at its budget" "$WORK/err"
check "the summary's first line says so" grep -q "^run c1: demo-science .*, incomplete; stopped at --max-cost$" "$WORK/out"
check "the report says the run is partial" \
  test "$(jq -r '.run.partial, .run.notes.stopped.reason' rep/c1/report.json | tr '\n' ' ')" = "true max_cost "
check "report.md says so" grep -q "Partial.*stopped at the budget" rep/c1/report.md
check "the systems stayed within one item of each other" \
  test "$(sql cost.db "select max(n) - min(n) from (select count(*) n from attempts group by system)")" -le 2

# progress lines in a log (stderr not a terminal) while the run goes on
"$UMPIRE" run "$D" --models "$FIX/models-slow.yaml" --db prog.db --run-id p1 --jobs 4 \
  --progress-every 1 --no-report >prog.out 2>prog.err &
pid=$!
seen=0
for i in $(seq 1 100); do
  if grep -q "^progress: [0-9]*/384 done" prog.err; then kill -0 $pid 2>/dev/null && seen=1; break; fi
  sleep 0.1
done
check "a progress line appeared while the run was still going" test "$seen" -eq 1
wait $pid
check "the run then finished" test $? -eq 0
check "progress lines carry in flight, retries, errors, spend and ETA" \
  grep -Eq "^progress: [0-9]+/384 done, [0-9]+ in flight, [0-9]+ waiting for a retry, [0-9]+ errors, \\$[0-9.]+ spent, [0-9]+s elapsed, ETA" prog.err
check "several lines, a second apart" test "$(grep -c '^progress:' prog.err)" -ge 2

# circuit breaker: a system with a bad key stops after 3 x 401, the others go on
python3 - "$WORK/auth.port" "$WORK/auth.count" <<'PY' &
import http.server, sys, threading, time
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        n[0] += 1
        open(sys.argv[2], "w").write(str(n[0]))
        body = b'{"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
threading.Thread(target=lambda: (time.sleep(90), s.shutdown()), daemon=True).start()
s.serve_forever()
PY
SIM_PIDS+=($!)
for i in $(seq 1 50); do [ -s auth.port ] && break; sleep 0.1; done
cat > m-auth.yaml <<EOT
umpire: 1
simulator: $S/pools/demo.yaml
systems:
  - name: sim-dune
    role: baseline
    provider: openai
    base_url: \${UMPIRE_SIM_URL}/v1
    model: sim-dune
    pricing: {input: 1.0, output: 4.0}
    concurrency: 4
  - name: badkey
    role: baseline
    provider: openai
    base_url: http://127.0.0.1:$(cat auth.port)/v1
    model: gpt-x
    api_key_env: UMPIRE_TEST_BAD_KEY
    pricing: {input: 1.0, output: 4.0}
    concurrency: 1
    max_retries: 5
EOT
UMPIRE_TEST_BAD_KEY=sk-wrong expect_exit 5 "a run with a bad key ends incomplete" -- \
  "$UMPIRE" run "$D" --models m-auth.yaml --db auth.db --run-id b1 --repeats 1 --reports rep
# 3 in a row, plus what was already handed to the engine (its feed window of 4)
check "the provider saw 3 to 6 requests, not 48 (got $(cat auth.count))" \
  test "$(cat auth.count)" -ge 3 -a "$(cat auth.count)" -le 6
bad=$(sql auth.db "select count(*) from attempts where system='badkey'")
check "401 is not retried: one call per attempt" \
  test "$(sql auth.db "select count(*) from calls c join attempts a using (run_id, attempt_id) where a.system='badkey'")" -eq "$bad"
check "one clear message naming the system and the key variable" \
  test "$(grep -c "system badkey stopped after 3 authentication errors in a row (HTTP 401).*UMPIRE_TEST_BAD_KEY" "$WORK/err")" -eq 1
check "the other system went on to the end" \
  test "$(sql auth.db "select count(*) from attempts where system='sim-dune' and status='done'")" -eq 48
check "the report records the breaker" \
  test "$(jq -r '.run.notes.breaker[0] | "\(.system) \(.http_status) \(.not_started)"' rep/b1/report.json)" = "badkey 401 $((48 - bad))"

# response cache: a rerun answers every request from the store, no call made
"$UMPIRE" run "$D" --models "$M" --db cache.db --run-id k1 --repeats 1 -s sim-cirrus -s sim-dune \
  --no-report --quiet
calls=$(sql cache.db "select count(*) from calls")
expect_exit 0 "a rerun with --cache all" -- "$UMPIRE" run "$D" --models "$M" --db cache.db \
  --run-id k2 --repeats 1 -s sim-cirrus -s sim-dune --cache all --reports rep
check "no new call was made" test "$(sql cache.db "select count(*) from calls")" -eq "$calls"
check "96 attempts marked cached" test "$(sql cache.db "select count(*) from attempt_cache where run_id='k2'")" -eq 96
check "the same grades as the first run" \
  test "$(sql cache.db "select count(*) from attempts a join attempts b on a.item_id=b.item_id and a.system=b.system and a.run_id='k1' and b.run_id='k2' and a.score=b.score")" -eq 96
check "the report lists the cached attempts" test "$(jq '.cached_attempts | length' rep/k2/report.json)" -eq 96
check "and counts them per system" test "$(jq '[.systems[].cached_attempts] | add' rep/k2/report.json)" -eq 96
check "report.md says which came from the cache" grep -q "Cache.*96 attempts answered from the response cache" rep/k2/report.md
expect_exit 0 "--cache for one system only" -- "$UMPIRE" run "$D" --models "$M" --db cache.db \
  --run-id k3 --repeats 1 -s sim-cirrus -s sim-dune --cache sim-dune --no-report --quiet
check "only that system's attempts were cached" \
  test "$(sql cache.db "select group_concat(distinct a.system) from attempt_cache k join attempts a using (run_id, attempt_id) where run_id='k3'")" = "sim-dune"

# runs and export
expect_exit 0 "umpire runs lists the runs" -- "$UMPIRE" runs --db cost.db
check "status, partial reason and cost in the table" grep -Eq "^c1 +demo-science +incomplete +budget " "$WORK/out"
expect_exit 0 "umpire runs --json" -- "$UMPIRE" runs --db cache.db --json
check "three runs, k2 with 96 cached" test "$(jq -r 'map(select(.run_id=="k2"))[0].cached' "$WORK/out")" -eq 96
expect_exit 0 "export csv" -- "$UMPIRE" export l1 --db lim.db --format csv -o l1.csv
check "csv parses: 60 rows with category, grade, tokens, cost, latency" python3 -c '
import csv, sys
rows = list(csv.DictReader(open("l1.csv", newline="")))
assert len(rows) == 60, len(rows)
for r in rows:
    assert r["category"] in ("Physics", "Chemistry", "Biology", "Earth Science"), r
    assert r["score"] in ("0", "1") and int(r["tokens_in"]) > 0 and int(r["cost_micro"]) >= 0
    assert int(r["latency_ms"]) >= 0
'
expect_exit 0 "export jsonl of the newest run" -- "$UMPIRE" export --db lim.db --format jsonl
check "one JSON object per attempt" test "$(jq -s 'length' "$WORK/out")" -eq 60

# garbage to every new option
for bad in "--shard 3/3" "--shard 1" "--shard -1/2" "--shard a/b" "--limit 0" "--limit x" \
    "--max-cost 0" "--max-cost -1" "--max-cost abc" "--breaker-after 0" "--progress-every x" \
    "--limit-seed 1.5"; do
  expect_exit 2 "run $bad is a usage error" -- "$UMPIRE" run "$D" --models "$M" --db junk.db $bad
done
expect_exit 2 "export without --format" -- "$UMPIRE" export --db lim.db
expect_exit 2 "export --format xml" -- "$UMPIRE" export --db lim.db --format xml
expect_exit 7 "export of a run that does not exist" -- "$UMPIRE" export nope --db lim.db --format csv
printf 'garbage, not sqlite\n' > garbage.db
expect_exit 8 "runs on a file that is not a store" -- "$UMPIRE" runs --db garbage.db
done_testing
