#!/usr/bin/env bash
# The demo's orchestrator routes through the recording proxy: every sub-call
# is a routing event attributed by traceparent; the orchestrator's own
# account (found where models.yaml says) reconciles with what was observed;
# the report carries the routing log with true and headline cost.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"

mkdir -p models pools && cp "$S/models/demo-pool.yaml" models/ && cp "$S/pools/demo.yaml" pools/
mk() { # pointer -> a copy of the demo's models file with the orchestrator's routing pointer
  sed "s#^  - name: sim-conductor#  - name: sim-conductor\n    routing_report: {json_pointer: \"$1\"}#" \
    "$S/models/demo.yaml" > models/routing-$2.yaml
  echo models/routing-$2.yaml
}

m=$(mk /routing ok)
expect_exit 0 "demo run with the proxy and a routing pointer" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$m" --repeats 1 --db r.db --run-id r1 --reports rep --quiet
obs=$(sql r.db "select count(*) from routing_events where source='proxy'")
rep=$(sql r.db "select count(*) from routing_events where source='self-report'")
att=$(sql r.db "select count(*) from attempts where system='sim-conductor'")
check "every orchestrator sub-call observed by the proxy ($obs for $att attempts)" test "$obs" -eq $((3 * att))
check "attributed by traceparent to real attempts" \
  test "$(sql r.db "select count(*) from routing_events e where source='proxy' and attribution='traceparent' and exists (select 1 from attempts a where a.attempt_id=e.attempt_id and a.system='sim-conductor')")" -eq "$obs"
check "the orchestrator's own report reconciles ($rep reported)" test "$rep" -eq "$obs"
check "downstream cost priced at the sub-models' prices" \
  test "$(sql r.db "select sum(cost_micro) from routing_events where source='proxy'")" = \
       "$(sql r.db "select sum(cost_micro) from routing_events where source='self-report'")"
check "the report has the routing log" grep -q "## Routing log" rep/r1/report.md
t=$(jq '.routing_log.systems[0] | (.true_cost_micro == .headline_cost_micro + .downstream_cost_micro)' rep/r1/report.json)
check "true cost = headline + downstream" test "$t" = true
check "the router comparison uses the true cost" grep -q "true cost: own bill plus the downstream" rep/r1/report.md

# failed sub-calls are shown beside the accuracy table (the demo pool's
# 429s are some), and nothing when none failed
check "the failed sub-calls of the run are noted beside the accuracy table" \
  grep -q "^Note: sim-conductor is an orchestrator and $(sql r.db "select count(*) from routing_events where source='proxy' and status<>200") of its $obs sub-calls failed" rep/r1/report.md
sql r.db ".backup f.db"
sql f.db "update routing_events set status=200 where source='proxy'"
expect_exit 0 "report of the run with every sub-call answered" -- \
  "$UMPIRE" report r1 --db f.db --reports frep --quiet
check "no note then" test "$(cat frep/r1/report.md frep/r1/report.html | grep -c "is an orchestrator and")" -eq 0
sql f.db "update routing_events set status=500 where rowid in (select rowid from routing_events where source='proxy' limit 5)"
expect_exit 0 "report of the run with 5 sub-calls failed" -- \
  "$UMPIRE" report r1 --db f.db --reports frep
check "the note counts them, right after the systems table" \
  test "$(awk '/^## Systems/{s=1} s&&/^Note: sim-conductor is an orchestrator and 5 of its/{print "yes"; exit} /^## /&&!/^## Systems/&&s{exit}' frep/r1/report.md)" = yes
check "so does the terminal summary" grep -q "^Note: sim-conductor is an orchestrator and 5 of its $obs sub-calls failed" "$WORK/out"
check "and report.html, under its systems table, bound to report.json" grep -qzP \
  '</table>\n<p class="note">Note: sim-conductor is an orchestrator and <span data-json="/routing_log/systems/0/observed_failed_calls" data-fmt="int">5</span>' \
  frep/r1/report.html

m=$(mk /nowhere none)
expect_exit 0 "a pointer that finds nothing" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$m" --repeats 1 --db n.db --run-id n1 --no-report --quiet
check "records no self-report, and the proxy still sees everything" \
  test "$(sql n.db "select sum(source='self-report') || '/' || (sum(source='proxy') > 0) from routing_events")" = "0/1"
m=$(mk not-a-pointer bad)
expect_exit 3 "a JSON pointer without its leading slash" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models "$m" --db x.db
check "is named with file:line:col" grep -Eq "routing-bad.yaml:[0-9]+:[0-9]+:.*JSON pointer" "$WORK/err"
done_testing
