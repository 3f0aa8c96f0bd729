/*
 * record.c - the run's write path, shared by both kinds of attempt
 * (runner.c: multiple choice; agent.c: agentic): one store transaction kept
 * open and committed every COMMIT_EVERY attempts or COMMIT_MS, the release
 * of a call record, and the class of a failed HTTP try.
 */
#include "run/record.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/util.h"
#include "exec/provider.h"
#include "run/run_ctx.h"

#define COMMIT_EVERY 256
#define COMMIT_MS 250

void record_call_release(um_call_rec *c)
{
	free(c->attempt_id);
	free(c->error);
	free(c->request_hash);
	free(c->response_body);
	free(c->served_model);
}

void record_commit_if_due(run_ctx *rc, int force)
{
	int64_t now = um_mono_ms();

	if (!rc->in_tx || rc->failed)
		return;
	if (!force && rc->since_commit < COMMIT_EVERY && now - rc->last_commit < COMMIT_MS)
		return;
	if (store_commit(rc->store, &rc->fail_err) < 0) {
		rc->failed = 1;
		rc->in_tx = 0;
		engine_stop(rc->eng);
		return;
	}
	rc->in_tx = 0;
	rc->since_commit = 0;
	rc->last_commit = now;
}

int record_ensure_tx(run_ctx *rc)
{
	if (rc->in_tx)
		return 0;
	if (store_begin(rc->store, &rc->fail_err) < 0) {
		rc->failed = 1;
		engine_stop(rc->eng);
		return -1;
	}
	rc->in_tx = 1;
	return 0;
}

const char *record_error_class(const um_try *t)
{
	static char buf[32];

	if (t->curl_code == CURLE_OPERATION_TIMEDOUT)
		return "timeout";
	if (t->body_truncated)
		return "body_too_large";
	if (t->curl_code != CURLE_OK)
		return "transport";
	snprintf(buf, sizeof(buf), "http_%ld", t->http_status);
	return buf;
}

const char *record_call_error_class(const um_system *sys, const um_try *t)
{
	const char *cls = t->curl_code == CURLE_OK && !t->body_truncated
			      ? provider_error_class(sys->provider, t->http_status, t->body,
						     t->body_len)
			      : NULL;

	return cls ? cls : record_error_class(t);
}
