/*
 * evq.c - the routing-event queue and the single-flight register (evq.h).
 */
#include "store/evq.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/redact.h"
#include "base/util.h"

#define EVQ_DEFAULT_MAX 1000000u
#define EVQ_WAIT_SLICE_MS 100

struct um_evq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	um_routing_rec *ev;
	size_t len, cap, max;
	uint64_t dropped;
	char flight[33];  /* the attempt in flight, when flight_count == 1 */
	int flight_count;
};

um_evq *evq_new(size_t max_events)
{
	um_evq *q = um_xcalloc(1, sizeof(*q));

	pthread_mutex_init(&q->mu, NULL);
	um_cond_init_mono(&q->cv);
	q->max = max_events ? max_events : EVQ_DEFAULT_MAX;
	return q;
}

void evq_free(um_evq *q)
{
	if (!q)
		return;
	evq_events_free(q->ev, q->len);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

void evq_sink(void *ctx, const um_routing_rec *ev)
{
	um_evq *q = ctx;
	um_routing_rec copy;

	evq_event_copy(&copy, ev); /* outside the lock */
	pthread_mutex_lock(&q->mu);
	if (q->len >= q->max) {
		q->dropped++;
		pthread_mutex_unlock(&q->mu);
		evq_event_release(&copy);
		return;
	}
	um_xgrow((void **)&q->ev, &q->cap, q->len + 1, sizeof(*q->ev));
	q->ev[q->len++] = copy;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

size_t evq_drain(um_evq *q, um_routing_rec **out)
{
	size_t n;

	pthread_mutex_lock(&q->mu);
	n = q->len;
	*out = n ? q->ev : NULL;
	if (n) {
		q->ev = NULL;
		q->len = q->cap = 0;
	}
	pthread_mutex_unlock(&q->mu);
	return n;
}

size_t evq_wait(um_evq *q, int timeout_ms)
{
	int64_t end = um_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	size_t n;

	pthread_mutex_lock(&q->mu);
	while (q->len == 0) {
		int64_t left = end - um_mono_ms();

		if (left <= 0)
			break;
		um_cond_wait_ms(&q->cv, &q->mu,
				left > EVQ_WAIT_SLICE_MS ? EVQ_WAIT_SLICE_MS : (int)left);
	}
	n = q->len;
	pthread_mutex_unlock(&q->mu);
	return n;
}

uint64_t evq_dropped(um_evq *q)
{
	uint64_t n;

	pthread_mutex_lock(&q->mu);
	n = q->dropped;
	pthread_mutex_unlock(&q->mu);
	return n;
}

void evq_flight_begin(um_evq *q, const char *attempt_id)
{
	pthread_mutex_lock(&q->mu);
	q->flight_count++;
	snprintf(q->flight, sizeof(q->flight), "%s", attempt_id);
	pthread_mutex_unlock(&q->mu);
}

void evq_flight_end(um_evq *q)
{
	pthread_mutex_lock(&q->mu);
	q->flight_count--;
	pthread_mutex_unlock(&q->mu);
}

const char *evq_flight_current(void *ctx)
{
	static __thread char id[33];
	um_evq *q = ctx;
	const char *r = NULL;

	pthread_mutex_lock(&q->mu);
	if (q->flight_count == 1) {
		memcpy(id, q->flight, sizeof(id));
		r = id;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

void evq_event_copy(um_routing_rec *dst, const um_routing_rec *src)
{
	*dst = *src;
	dst->attempt_id = um_xstrdup(src->attempt_id ? src->attempt_id : "");
	dst->source = um_xstrdup(src->source);
	dst->attribution = um_xstrdup(src->attribution);
	dst->sub_model = um_xstrdup(src->sub_model);
	dst->detail_json = um_xstrdup(src->detail_json);
	if (dst->detail_json) {
		/* an upstream's error text may echo its key: redact on entry */
		char *r = redact_copy(dst->detail_json, strlen(dst->detail_json), NULL);

		if (r) {
			free(dst->detail_json);
			dst->detail_json = r;
		}
	}
}

void evq_event_release(um_routing_rec *r)
{
	if (!r)
		return;
	free(r->attempt_id);
	free(r->source);
	free(r->attribution);
	free(r->sub_model);
	free(r->detail_json);
	memset(r, 0, sizeof(*r));
}

void evq_events_free(um_routing_rec *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		evq_event_release(&evs[i]);
	free(evs);
}
