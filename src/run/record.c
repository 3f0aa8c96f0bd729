/*
 * record.c - the run's write path, shared by both kinds of attempt
 * (runner.c: multiple choice; agent.c: agentic): one store transaction kept
 * open and committed every COMMIT_EVERY attempts or COMMIT_MS, the release
 * of a call record, and the routing events
 * of orchestrator attempts, held until their attempt is written so that
 * both commit in the same transaction (record.h).
 */
#include "run/record.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "exec/provider.h"
#include "store/evq.h"
#include "run/run_ctx.h"

/* A commit writes every page the batch dirtied, and inserts at random keys
 * dirty a page each: at zero latency, 256 attempts a commit rewrote the
 * same index pages a dozen times a second. The clock bounds what a crash
 * can lose. */
#define COMMIT_EVERY 4096
#define COMMIT_MS 250

um_lane_opts record_lane_opts(const um_system *s)
{
	um_lane_opts lo;

	memset(&lo, 0, sizeof(lo));
	lo.concurrency = s->concurrency;
	lo.timeout_ms = s->timeout_ms;
	lo.max_retries = s->max_retries;
	lo.requests_per_minute = (double)s->requests_per_minute;
	lo.tokens_per_minute = (double)s->tokens_per_minute;
	return lo;
}

void record_call_release(um_call_rec *c)
{
	free(c->attempt_id);
	free(c->error);
	free(c->request_hash);
	free(c->response_body);
	free(c->served_model);
}

int record_commit_due(size_t since_commit, int64_t last_commit_ms, int64_t now_ms)
{
	return since_commit >= COMMIT_EVERY || now_ms - last_commit_ms >= COMMIT_MS;
}

void record_commit_if_due(run_ctx *rc, int force)
{
	int64_t now = um_mono_ms();

	if (!rc->in_tx || rc->failed)
		return;
	if (!force && !record_commit_due(rc->since_commit, rc->last_commit, now))
		return;
	if (record_flush(rc) < 0)
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


/* ---- attempts and their routing events ---------------------------------- */

static int record_cmp_idx(const void *a, const void *b, void *ctx)
{
	const run_ctx *rc = ctx;
	const um_planned *pa = &rc->plan.a[*(const size_t *)a];
	const um_planned *pb = &rc->plan.a[*(const size_t *)b];

	return strcmp(pa->id, pb->id);
}

/* Ranks of the suite's items by id and of the systems by name: the store's
 * (item_id, system, sample) order, as integers (record_flush). */
static int record_cmp_item(const void *a, const void *b, void *ctx)
{
	const run_ctx *rc = ctx;

	return strcmp(rc->suite->items[*(const uint32_t *)a].id,
		      rc->suite->items[*(const uint32_t *)b].id);
}

static int record_cmp_system(const void *a, const void *b, void *ctx)
{
	const run_ctx *rc = ctx;

	return strcmp(rc->models->systems[*(const uint32_t *)a].name,
		      rc->models->systems[*(const uint32_t *)b].name);
}

static uint32_t *record_ranks(run_ctx *rc, size_t n,
			      int (*cmp)(const void *, const void *, void *))
{
	uint32_t *order = um_xcalloc(n ? n : 1, sizeof(*order));
	uint32_t *rank = um_xcalloc(n ? n : 1, sizeof(*rank));
	size_t i;

	for (i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	if (n > 1)
		qsort_r(order, n, sizeof(*order), cmp, rc);
	for (i = 0; i < n; i++)
		rank[order[i]] = (uint32_t)i;
	free(order);
	return rank;
}

void record_index_plan(run_ctx *rc)
{
	size_t i;

	rc->item_rank = record_ranks(rc, rc->suite->n_items, record_cmp_item);
	rc->system_rank = record_ranks(rc, (size_t)rc->models->n_systems, record_cmp_system);

	rc->by_id = um_xcalloc(rc->plan.n ? rc->plan.n : 1, sizeof(size_t));
	rc->att_state = um_xcalloc(rc->plan.n ? rc->plan.n : 1, 1);
	for (i = 0; i < rc->plan.n; i++)
		rc->by_id[i] = i;
	qsort_r(rc->by_id, rc->plan.n, sizeof(size_t), record_cmp_idx, rc);
}

/* The plan index of an attempt id, or -1. */
static long record_find(const run_ctx *rc, const char *id)
{
	size_t lo = 0, hi = rc->plan.n;

	if (!id || !*id || !rc->by_id)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rc->plan.a[rc->by_id[mid]].id, id);

		if (c == 0)
			return (long)rc->by_id[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void record_attempt_started(run_ctx *rc, const um_planned *p)
{
	if (rc->att_state)
		rc->att_state[p - rc->plan.a] = RECORD_LIVE;
}

static void record_store_failed(run_ctx *rc)
{
	rc->failed = 1;
	engine_stop(rc->eng);
}

void record_hold_event(run_ctx *rc, const um_routing_rec *ev)
{
	um_xgrow((void **)&rc->held, &rc->cap_held, rc->n_held + 1, sizeof(*rc->held));
	evq_event_copy(&rc->held[rc->n_held++], ev);
}

void record_drain_routing(run_ctx *rc)
{
	um_routing_rec *evs = NULL;
	size_t n, i;

	if (!rc->o->routing || rc->failed)
		return;
	n = evq_drain(rc->o->routing, &evs);
	for (i = 0; i < n; i++) {
		long k = record_find(rc, evs[i].attempt_id);

		rc->routing_events++;
		if (k >= 0 && rc->att_state[k] == RECORD_LIVE) {
			/* moved, not copied: the strings now belong to the held list */
			um_xgrow((void **)&rc->held, &rc->cap_held, rc->n_held + 1,
				 sizeof(*rc->held));
			rc->held[rc->n_held++] = evs[i];
			memset(&evs[i], 0, sizeof(evs[i]));
			continue;
		}
		if (rc->failed || record_ensure_tx(rc) < 0)
			continue;
		evs[i].call_id = 0;
		if (store_put_routing_event(rc->store, rc->run_id, &evs[i], &rc->fail_err) < 0)
			record_store_failed(rc);
	}
	evq_events_free(evs, n);
}

void record_tag_routing(run_ctx *rc, const char *attempt_id, int call_no)
{
	size_t i;

	record_drain_routing(rc);
	for (i = 0; i < rc->n_held; i++)
		if (rc->held[i].call_id == 0 && um_streq(rc->held[i].attempt_id, attempt_id))
			rc->held[i].call_id = call_no;
}

/* Take the held events of attempt_id out of the list (order kept). */
static size_t record_take_held(run_ctx *rc, const char *attempt_id, um_routing_rec **out)
{
	size_t i, w = 0, n = 0, cap = 0;

	*out = NULL;
	for (i = 0; i < rc->n_held; i++) {
		if (um_streq(rc->held[i].attempt_id, attempt_id)) {
			um_xgrow((void **)out, &cap, n + 1, sizeof(**out));
			(*out)[n++] = rc->held[i];
		} else {
			rc->held[w++] = rc->held[i];
		}
	}
	rc->n_held = w;
	return n;
}

/* ---- attempts queued until their commit -----------------------------------
 * A run's plan is sample-major and each system's lane finishes in its own
 * order, so attempts written as they finish put the samples of one (item,
 * system) on as many pages as there are samples, and the report, which reads
 * in (item, system, sample) order, reads a page per attempt (1M attempts:
 * 3.8 s; docs/performance.md). A commit's attempts are written together, in
 * that order, just before it: what a kill can lose is the same uncommitted
 * transaction as before. */
typedef struct record_pending {
	um_attempt_rec r;       /* its strings point into strings */
	char *strings;          /* owned: r's strings, one after the other */
	um_call_rec *calls;     /* owned: n_write written, n_total released */
	int n_write, n_total;
	um_routing_rec *evs;    /* owned */
	size_t n_evs;
	int64_t cache_call;     /* store_put_cached's source call, or -1 */
} record_pending;

static void record_pending_release(record_pending *q)
{
	int i;

	free(q->strings);
	for (i = 0; i < q->n_total; i++)
		record_call_release(&q->calls[i]);
	free(q->calls);
	evq_events_free(q->evs, q->n_evs);
}

/* r copied into q, its strings in one allocation. */
static void record_pending_copy(record_pending *q, const um_attempt_rec *r)
{
	size_t len = 0;
	char *w;

#define X(f) len += r->f ? strlen(r->f) + 1 : 0;
	UM_ATTEMPT_REC_STRINGS(X)
#undef X
	q->r = *r;
	w = q->strings = um_xmalloc(len ? len : 1);
#define X(f)                                                                                   \
	if (r->f) {                                                                            \
		size_t n = strlen(r->f) + 1;                                                   \
		q->r.f = memcpy(w, r->f, n);                                                   \
		w += n;                                                                        \
	}
	UM_ATTEMPT_REC_STRINGS(X)
#undef X
}

/* A queued attempt's place in the store's order, and its queue index. */
typedef struct record_key {
	uint32_t item, system, sample, at;
} record_key;

static int record_cmp_key(const void *a, const void *b)
{
	const record_key *x = a, *y = b;

	if (x->item != y->item)
		return x->item < y->item ? -1 : 1;
	if (x->system != y->system)
		return x->system < y->system ? -1 : 1;
	return (x->sample > y->sample) - (x->sample < y->sample);
}

static int record_write(run_ctx *rc, const um_attempt_rec *r, const um_call_rec *calls,
			int n_calls, const um_routing_rec *evs, size_t n_evs, int64_t cache_call)
{
	um_error late = {0};
	/* after a failure (flushing what finished before it) the first error stays */
	um_error *err = rc->failed ? &late : &rc->fail_err;

	if (store_put_attempt(rc->store, rc->run_id, r, calls, n_calls, err) < 0 ||
	    store_put_attempt_routing(rc->store, rc->run_id, r->attempt_id, n_calls, evs, n_evs,
				      err) < 0 ||
	    (cache_call >= 0 &&
	     store_put_cached(rc->store, rc->run_id, r->attempt_id, cache_call, err) < 0)) {
		record_store_failed(rc);
		return -1;
	}
	return 0;
}

int record_flush(run_ctx *rc)
{
	size_t i;
	int ok = 1;

	/* written even after a failure elsewhere: these finished before it, and
	 * were in the open transaction when attempts were written as they
	 * finished; the first one the store refuses ends the writing */
	if (rc->n_pend && !rc->in_tx && (rc->failed || record_ensure_tx(rc) < 0))
		ok = 0;
	if (rc->n_pend > 1)
		qsort(rc->pend_keys, rc->n_pend, sizeof(*rc->pend_keys), record_cmp_key);
	for (i = 0; i < rc->n_pend; i++) {
		record_pending *q = &rc->pend[rc->pend_keys[i].at];

		if (ok && record_write(rc, &q->r, q->calls, q->n_write, q->evs, q->n_evs,
				       q->cache_call) < 0)
			ok = 0;
		record_pending_release(q);
	}
	rc->n_pend = 0;
	return rc->failed ? -1 : 0;
}

int record_queue_attempt(run_ctx *rc, const um_planned *p, const um_attempt_rec *r,
			 um_call_rec *calls, int n_write, int n_total, int64_t cache_call)
{
	record_pending *q;

	record_drain_routing(rc);
	if (rc->att_state)
		rc->att_state[p - rc->plan.a] = RECORD_WRITTEN;
	um_xgrow((void **)&rc->pend, &rc->cap_pend, rc->n_pend + 1, sizeof(*rc->pend));
	q = &rc->pend[rc->n_pend];
	memset(q, 0, sizeof(*q));
	q->calls = calls;
	q->n_total = n_total;
	q->n_evs = record_take_held(rc, p->id, &q->evs);
	if (rc->failed || record_ensure_tx(rc) < 0) {
		/* as record_put_attempt: nothing is written after a failure */
		record_pending_release(q);
		return -1;
	}
	record_pending_copy(q, r);
	q->n_write = n_write;
	q->cache_call = cache_call;
	if (rc->n_pend >= rc->cap_keys)
		um_xgrow((void **)&rc->pend_keys, &rc->cap_keys, rc->n_pend + 1,
			 sizeof(*rc->pend_keys));
	rc->pend_keys[rc->n_pend] = (record_key){rc->item_rank[p->item],
						 rc->system_rank[p->system],
						 (uint32_t)p->sample, (uint32_t)rc->n_pend};
	rc->n_pend++;
	return 0;
}

int record_put_attempt(run_ctx *rc, const um_planned *p, const um_attempt_rec *r,
		       const um_call_rec *calls, int n_calls)
{
	um_routing_rec *evs;
	size_t n;
	int rv = 0;

	record_drain_routing(rc);
	n = record_take_held(rc, p->id, &evs);
	if (rc->att_state)
		rc->att_state[p - rc->plan.a] = RECORD_WRITTEN;
	if (rc->failed || record_ensure_tx(rc) < 0)
		rv = -1;
	else
		rv = record_write(rc, r, calls, n_calls, evs, n, -1);
	evq_events_free(evs, n);
	return rv;
}

void record_release_held(run_ctx *rc)
{
	size_t i;

	for (i = 0; i < rc->n_pend; i++)
		record_pending_release(&rc->pend[i]);
	free(rc->pend);
	free(rc->pend_keys);
	free(rc->item_rank);
	free(rc->system_rank);
	rc->pend = NULL;
	rc->pend_keys = NULL;
	rc->item_rank = rc->system_rank = NULL;
	rc->n_pend = rc->cap_pend = rc->cap_keys = 0;
	evq_events_free(rc->held, rc->n_held);
	rc->held = NULL;
	rc->n_held = rc->cap_held = 0;
	free(rc->by_id);
	rc->by_id = NULL;
	free(rc->att_state);
	rc->att_state = NULL;
}

const char *record_call_error_class(const um_system *sys, const um_try *t)
{
	const char *cls = t->curl_code == CURLE_OK && !t->body_truncated
			      ? provider_error_class(sys->provider, t->http_status, t->body,
						     t->body_len)
			      : NULL;

	return cls ? cls : engine_try_class(t);
}
