#!/usr/bin/env bash
# A provider that echoes the API key in every response path (a 401 error
# body, a 500 that is retried, a malformed 200, and an answer that quotes
# it): the key is found nowhere umpire writes - not in the store, the
# reports, the bundle, stdout or stderr. Credentials in a base_url are
# refused without being repeated.
. "$(dirname "$0")/lib.sh"
cd "$WORK"
S="$UMPIRE_SRCDIR"
export UMPIRE_KEY_DIR="$WORK/keys"
KEY="sk-umpire-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export UMPIRE_TEST_KEY="$KEY"

python3 - "$WORK/echo.port" <<'PY' &
import http.server, json, sys, threading, time
n = [0]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Authorization", "").replace("Bearer ", "")
        with lock:
            i = n[0]; n[0] += 1
        kind = i % 4
        if kind == 0:
            code, body = 401, json.dumps({"error": {"message": "Incorrect API key provided: " + key}})
        elif kind == 1:
            code, body = 500, json.dumps({"error": {"message": "upstream failed for key " + key}})
        elif kind == 2:
            code, body = 200, "not json, but your key: " + key
        else:
            code, body = 200, json.dumps({"id": "x", "object": "chat.completion", "model": "echo",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                "content": "Your key is " + key + ". Answer: A"}}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}})
        b = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
threading.Thread(target=lambda: (time.sleep(120), s.shutdown()), daemon=True).start()
s.serve_forever()
PY
SIM_PIDS+=($!)
for i in $(seq 1 50); do [ -s echo.port ] && break; sleep 0.1; done
PORT=$(cat echo.port)
cat >models.yaml <<YML
umpire: 1
systems:
  - name: echo
    role: baseline
    provider: openai
    base_url: http://127.0.0.1:$PORT/v1
    model: echo
    api_key_env: UMPIRE_TEST_KEY
    pricing: {input: 1.0, cached_input: 0.1, output: 2.0}
    concurrency: 4
    timeout_s: 10
    max_retries: 2
YML

"$UMPIRE" run "$S/suites/demo.yaml" --models models.yaml --db s.db --run-id s1 --repeats 1 \
  --reports rep --sign >run.out 2>run.err
rc=$?
check "the run ends (exit $rc: some attempts failed on purpose)" test "$rc" -eq 5 -o "$rc" -eq 0
check "the echoing server was reached with the key" \
  test "$(sql s.db "select count(*) from calls")" -gt 10
check "graded answers that quoted the key" \
  test "$(sql s.db "select count(*) from attempts where status='done'")" -gt 0
check "refused calls recorded with the API's message" \
  test "$(sql s.db "select count(*) from calls where error like '%Incorrect API key provided: [REDACTED]%'")" -gt 0
"$UMPIRE" report s1 --db s.db --reports rep2 >rep.out 2>rep.err
"$UMPIRE" bundle s1 --db s.db -o b.tar.zst >bundle.out 2>bundle.err
check "a bundle was made" test -s b.tar.zst
mkdir bx && tar --zstd -xf b.tar.zst -C bx
"$UMPIRE" verify b.tar.zst --pubkey keys/umpire.pub >verify.out 2>verify.err
sqlite3 s.db .dump >dump.sql
check "the store holds texts (the dump is not empty)" test -s dump.sql
for f in dump.sql s.db run.out run.err rep.out rep.err bundle.out bundle.err verify.out \
         verify.err; do
  check "no key in $f" bash -c "! grep -aqF -- '$KEY' '$f'"
done
check "no key in the reports" bash -c "! grep -raqF -- '$KEY' rep rep2"
check "no key in the bundle's members" bash -c "! grep -raqF -- '$KEY' bx"
check "the bundle holds the store" test -s bx/store.sqlite

sed "s#base_url: http://#base_url: http://user:$KEY@#" models.yaml >creds.yaml
expect_exit 3 "credentials in base_url are refused" -- \
  "$UMPIRE" run "$S/suites/demo.yaml" --models creds.yaml --db c.db --no-report
check "and named, without repeating them" \
  bash -c "grep -q 'credentials come from api_key_env' '$WORK/err' && ! grep -qF -- '$KEY' '$WORK/err'"
done_testing
