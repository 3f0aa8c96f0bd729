#!/usr/bin/env bash
# `umpire proxy` in front of `umpire simulate`, driven with curl: passthrough
# identical to a direct call, events as JSON lines, attribution by
# traceparent (also through a simulated orchestrator) and by path token,
# garbage answered while it serves on, keys kept out of the output, the
# store writer with --db, and bad options.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
PF="$S/tests/fixtures/proxy"
POOL="$FIX/pool-fast.yaml"
SUITE="$S/suites/demo.yaml"

# start_proxy OUT [args]: sets PROXY_URL and PROXY_PID; events go to OUT
start_proxy() {
  local out="$1"; shift
  local pf="$WORK/pport.$RANDOM"
  "$UMPIRE" proxy --listen 127.0.0.1:0 --port-file "$pf" --lifetime 120 "$@" \
    >"$out" 2>"$out.err" &
  PROXY_PID=$!
  SIM_PIDS+=("$PROXY_PID")
  local i
  for i in $(seq 1 100); do
    [ -s "$pf" ] && break
    sleep 0.1
  done
  [ -s "$pf" ] || { echo "# proxy did not start"; diag "$out.err"; return 1; }
  PROXY_URL="http://127.0.0.1:$(cat "$pf")"
}
# stop_proxy: SIGTERM, then the exit status in PROXY_RC
stop_proxy() {
  kill -TERM "$PROXY_PID"
  wait "$PROXY_PID"
  PROXY_RC=$?
}
post() { # URL BODY OUTFILE [curl args]: prints the HTTP status
  local url="$1" body="$2" out="$3"; shift 3
  curl -s -o "$out" -w '%{http_code}' -H 'Content-Type: application/json' "$@" \
    --data-binary "$body" "$url"
}

check "upstream simulator starts" start_sim "$POOL" "$SUITE"
UP="$SIM_URL"
check "twin simulator starts" start_sim "$POOL" "$SUITE"
TWIN="$SIM_URL"

export UMPIRE_SIM_URL="$UP"
export PROXY_CLI_KEY="sk-cli-secret-42"
check "proxy starts on a port of its choosing" \
  start_proxy ev.jsonl --upstreams "$PF/upstreams-sim.yaml"
check "listening line on stderr" grep -q "listening on http://127.0.0.1:" ev.jsonl.err

q='{"model":"sim-a","messages":[{"role":"user","content":"Which is heavier? (A) lead (B) air"}],"max_tokens":50}'
c1=$(post "$TWIN/v1/chat/completions" "$q" direct.json)
c2=$(post "$PROXY_URL/v1/chat/completions" "$q" via.json \
  -H 'Authorization: Bearer orchestrator-own-key')
check "direct and proxied calls answered 200 ($c1, $c2)" test "$c1$c2" = 200200
check "proxied body identical to a direct call" cmp -s direct.json via.json

T1=0af7651916cd43dd8448eb211c80319c
c=$(post "$PROXY_URL/v1/chat/completions" "$q" tp.json \
  -H "traceparent: 00-$T1-b7ad6b7169203331-01")
check "call with traceparent answered 200 ($c)" test "$c" = 200
qa='{"model":"sim-b-messages","max_tokens":50,"messages":[{"role":"user","content":"Pick (A) or (B)."}]}'
c=$(post "$PROXY_URL/t/attempt-path-7/v1/messages" "$qa" path.json)
check "anthropic call with a path token answered 200 ($c)" test "$c" = 200
check "anthropic response shape" test "$(jq -r .type path.json)" = message

c=$(post "$PROXY_URL/v1/chat/completions" '{not json' bad.json)
check "garbage body answered 400 ($c)" test "$c" = 400
check "400 says why" grep -q "not valid JSON" bad.json
c=$(post "$PROXY_URL/v1/chat/completions" '{"model":"gpt-nope","messages":[]}' bad.json)
check "unknown model answered 404 ($c)" test "$c" = 404
check "404 in OpenAI error shape" test "$(jq -r .error.code bad.json)" = model_not_found
c=$(curl -s -o bad.json -w '%{http_code}' "$PROXY_URL/v1/chat/completions")
check "GET answered 405 ($c)" test "$c" = 405
head -c 68000000 /dev/zero | tr '\0' 'x' > big.txt
c=$(curl -s -o bad.json -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @big.txt "$PROXY_URL/v1/chat/completions")
check "body over 64 MiB answered 413 ($c)" test "$c" = 413
c=$(post "$PROXY_URL/v1/chat/completions" "$q" after.json)
check "still serving after garbage ($c)" test "$c" = 200

# a simulated orchestrator whose members are reached through the proxy
check "orchestrator simulator starts" start_sim "$POOL" "$SUITE" --upstream "$PROXY_URL/v1"
T2=4bf92f3577b34da6a3ce929d0e0e4736
oq='{"model":"sim-orch","messages":[{"role":"user","content":"Pick (A) or (B)."}],"max_tokens":50}'
c=$(post "$SIM_URL/v1/chat/completions" "$oq" orch.json \
  -H "traceparent: 00-$T2-00f067aa0ba902b7-01")
check "orchestrator answered 200 ($c)" test "$c" = 200

stop_proxy
check "proxy exits 0 on SIGTERM (got $PROXY_RC)" test "$PROXY_RC" -eq 0
check "counters on stderr" grep -q "forwarded" ev.jsonl.err
n=$(wc -l < ev.jsonl)
check "one JSON line per forwarded call (7, got $n)" test "$n" -eq 7
check "every line is JSON from the proxy" \
  test "$(jq -s 'map(select(.source == "proxy")) | length' ev.jsonl)" -eq 7
check "traceparent call attributed to its trace id" \
  test "$(jq -r "select(.attempt_id == \"$T1\") | .attribution + \"/\" + .sub_model" ev.jsonl)" \
  = "traceparent/sim-a"
check "path call attributed to its token" \
  test "$(jq -r 'select(.attempt_id == "attempt-path-7") | .attribution + "/" + .sub_model' ev.jsonl)" \
  = "path/sim-b-messages"
check "orchestrator's three member calls carry its trace id" \
  test "$(jq -r "select(.attempt_id == \"$T2\") | .sub_model" ev.jsonl | sort | tr '\n' ' ')" \
  = "sim-a sim-b sim-c "
check "unattributed calls say none" \
  test "$(jq -s 'map(select(.attribution == "none" and .attempt_id == "")) | length' ev.jsonl)" -eq 2
check "costs and tokens recorded for successful calls" \
  test "$(jq -s 'map(select(.status == 200 and .cost_micro > 0 and .tokens_out > 0)) | length' ev.jsonl)" -eq 7
check "no key in the events" bash -c "! grep -q 'sk-cli-secret\|orchestrator-own-key' ev.jsonl ev.jsonl.err"

# --db: events stored under an existing run
expect_exit 0 "a run to attach events to" -- \
  "$UMPIRE" run "$SUITE" --models "$FIX/models-external.yaml" --db r.db --run-id r1 \
  --repeats 1 --quiet --no-report
check "proxy with --db starts" start_proxy db.out --upstreams "$PF/upstreams-sim.yaml" \
  --db r.db --run-id r1
post "$PROXY_URL/v1/chat/completions" "$q" x.json -H "traceparent: 00-$T1-b7ad6b7169203331-01" >/dev/null
post "$PROXY_URL/t/tok-9/v1/chat/completions" "$q" x.json >/dev/null
stop_proxy
check "proxy with --db exits 0 (got $PROXY_RC)" test "$PROXY_RC" -eq 0
check "nothing printed on stdout with --db" test ! -s db.out
check "two proxy events stored" \
  test "$(sql r.db "select count(*) from routing_events where run_id='r1' and source='proxy'")" -eq 2
check "stored attribution and attempt" \
  test "$(sql r.db "select attribution||'/'||attempt_id from routing_events where attempt_id='$T1'")" \
  = "traceparent/$T1"
check "stored cost at the upstream's price" \
  test "$(sql r.db "select count(*) from routing_events where cost_micro > 0 and sub_model='sim-a'")" -eq 2

check "proxy with a run that is not there starts" start_proxy nr.out \
  --upstreams "$PF/upstreams-sim.yaml" --db r.db --run-id no-such-run
post "$PROXY_URL/v1/chat/completions" "$q" x.json >/dev/null
stop_proxy
check "missing run: exit 7 (got $PROXY_RC)" test "$PROXY_RC" -eq 7
check "missing run: the event is printed instead of lost" \
  test "$(jq -r .run_id nr.out)" = no-such-run
check "missing run: said on stderr" grep -q "no run 'no-such-run'" nr.out.err

# options
expect_exit 2 "non-loopback listen address refused" -- \
  "$UMPIRE" proxy --listen 0.0.0.0:0 --upstreams "$PF/upstreams-sim.yaml"
check "refusal names loopback" grep -q "loopback" "$WORK/err"
expect_exit 2 "port out of range" -- \
  "$UMPIRE" proxy --listen 127.0.0.1:70000 --upstreams "$PF/upstreams-sim.yaml"
expect_exit 2 "listen without a port" -- \
  "$UMPIRE" proxy --listen localhost --upstreams "$PF/upstreams-sim.yaml"
expect_exit 2 "missing --upstreams" -- "$UMPIRE" proxy --listen 127.0.0.1:0
expect_exit 2 "--db without --run-id" -- \
  "$UMPIRE" proxy --upstreams "$PF/upstreams-sim.yaml" --db x.db
expect_exit 2 "unexpected argument" -- "$UMPIRE" proxy --upstreams "$PF/upstreams-sim.yaml" extra
expect_exit 2 "bad lifetime" -- "$UMPIRE" proxy --upstreams "$PF/upstreams-sim.yaml" --lifetime -3
expect_exit 3 "invalid upstreams file" -- \
  "$UMPIRE" proxy --upstreams "$PF/bad-upstreams.yaml" --lifetime 1
check "upstreams error gives file:line:col" grep -Eq "bad-upstreams.yaml:[0-9]+:[0-9]+:" "$WORK/err"
printf '\x00\x01garbage: [' > garbage.yaml
expect_exit 3 "garbage upstreams file" -- "$UMPIRE" proxy --upstreams garbage.yaml --lifetime 1
expect_exit 0 "--help" -- "$UMPIRE" proxy --help
for o in --listen --upstreams --db --run-id --port-file --lifetime --quiet --help; do
  check "--help explains $o" grep -q -- "$o" "$WORK/out"
done
"$UMPIRE" proxy --upstreams "$PF/upstreams-sim.yaml" --lifetime 1 --quiet >/dev/null 2>&1 &
p=$!
sleep 3
check "--lifetime stops the proxy by itself" bash -c "! kill -0 $p 2>/dev/null"
done_testing
