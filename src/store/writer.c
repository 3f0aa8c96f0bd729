/*
 * writer.c - the store's writer thread (writer.h): a ring of jobs filled by
 * one producer (the run loop) and emptied, in order, by one thread that owns
 * the connection while it works.
 */
#include "store/writer.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "store/evq.h"

#define WRITER_DEFAULT_JOBS 2048
/* A sleeping writer is woken once this many jobs wait (or by a commit, a
 * sync, a full ring or the stop), not for every job: one wake-up carries a
 * batch. */
#define WRITER_WAKE_AT 128

enum { JOB_BEGIN, JOB_COMMIT, JOB_REQUEST, JOB_ATTEMPT, JOB_EVENT };

/* A slot of the ring. Its bytes (mem) and call records stay with the slot
 * and are reused by the next job in it: the copies cost no allocation once
 * the ring has gone round, and no block allocated by one thread is freed by
 * the other (which would send every later allocation of the loop to
 * malloc's shared arena). */
typedef struct {
	int kind;
	char sha[65];            /* JOB_REQUEST */
	char *body;              /* in mem, or owned when taken */
	size_t len;
	int body_owned;
	um_attempt_rec a;        /* JOB_ATTEMPT: its strings in mem */
	um_call_rec *calls;      /* cap_calls kept; n_calls used */
	size_t cap_calls;
	int n_calls;
	um_routing_rec *evs;     /* JOB_ATTEMPT (its events), JOB_EVENT (one): owned */
	size_t n_evs;
	char *mem;
	size_t cap, used;
} wjob;

struct um_store_writer {
	um_store *s;
	char *run_id;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t work;     /* the writer waits for jobs */
	pthread_cond_t done;     /* the producer waits for room, or for idle */
	wjob *ring;
	size_t max, head, len;
	int sleeping, busy, kicked, stopping, failed;
	um_error err;            /* the first failure */
};

/* ---- copies into a slot ----------------------------------------------- */

/* Copy n bytes of p (NUL added) into the slot's bytes; what is returned is
 * an offset + 1 (0: NULL) until slot_fix turns it into a pointer, since mem
 * may move as it grows. */
static char *slot_put(wjob *j, const char *p, size_t n)
{
	size_t off = j->used;

	if (!p)
		return NULL;
	if (j->used + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 1024;
		while (cap < j->used + n + 1)
			cap *= 2;
		j->mem = um_xrealloc(j->mem, cap);
		j->cap = cap;
	}
	memcpy(j->mem + off, p, n);
	j->mem[off + n] = 0;
	j->used += n + 1;
	return (char *)(uintptr_t)(off + 1);
}

static char *slot_str(wjob *j, const char *p)
{
	return slot_put(j, p, p ? strlen(p) : 0);
}

static void slot_fix(wjob *j, char **f)
{
	uintptr_t off = (uintptr_t)*f;

	*f = off ? j->mem + off - 1 : NULL;
}

/* The attempt's strings; which fields are strings, in one list. */
#define ATTEMPT_STRINGS(X, a)                                                               \
	X(a.attempt_id) X(a.item_id) X(a.system) X(a.perm) X(a.request_hash)                \
	X(a.neutral_hash) X(a.response_text) X(a.extracted) X(a.error_class)                \
	X(a.error_msg) X(a.served_model) X(a.fingerprint) X(a.finish_reason)                \
	X(a.detail_json) X(a.image_id) X(a.outcome)

static void slot_attempt(wjob *j, const um_attempt_rec *a, const um_call_rec *c, int n)
{
	int i;

	j->used = 0;
	j->a = *a;
#define PUT(f) j->f = slot_str(j, j->f);
	ATTEMPT_STRINGS(PUT, a)
	if ((size_t)n > j->cap_calls) {
		j->calls = um_xrealloc(j->calls, (size_t)n * sizeof(*j->calls));
		j->cap_calls = (size_t)n;
	}
	j->n_calls = n;
	for (i = 0; i < n; i++) {
		um_call_rec *d = &j->calls[i];

		*d = c[i];
		d->attempt_id = slot_str(j, c[i].attempt_id);
		d->error = slot_str(j, c[i].error);
		d->request_hash = slot_str(j, c[i].request_hash);
		d->served_model = slot_str(j, c[i].served_model);
		d->response_body = slot_put(j, c[i].response_body, c[i].response_len);
	}
#define FIX(f) slot_fix(j, &j->f);
	ATTEMPT_STRINGS(FIX, a)
	for (i = 0; i < n; i++) {
		slot_fix(j, &j->calls[i].attempt_id);
		slot_fix(j, &j->calls[i].error);
		slot_fix(j, &j->calls[i].request_hash);
		slot_fix(j, &j->calls[i].served_model);
		slot_fix(j, &j->calls[i].response_body);
	}
#undef PUT
#undef FIX
}

/* What a job owns beyond its slot goes; the slot's bytes stay. */
static void job_release(wjob *j)
{
	if (j->body_owned)
		free(j->body);
	j->body = NULL;
	j->body_owned = 0;
	evq_events_free(j->evs, j->n_evs);
	j->evs = NULL;
	j->n_evs = 0;
	j->n_calls = 0;
}

/* ---- the thread ------------------------------------------------------- */

static int job_run(um_store_writer *w, wjob *j, um_error *err)
{
	switch (j->kind) {
	case JOB_BEGIN:
		return store_begin(w->s, err);
	case JOB_COMMIT:
		return store_commit(w->s, err);
	case JOB_REQUEST:
		return store_put_request(w->s, j->sha, j->body, j->len, err);
	case JOB_ATTEMPT:
		if (store_put_attempt(w->s, w->run_id, &j->a, j->calls, j->n_calls, err) < 0)
			return -1;
		return store_put_attempt_routing(w->s, w->run_id, j->a.attempt_id, j->n_calls,
						 j->evs, j->n_evs, err);
	default:
		return store_put_routing_event(w->s, w->run_id, j->evs, err);
	}
}

/* Run (or, once failed, drop) the n jobs from the head of the ring. The
 * producer fills only slots past head + len, so these are read unlocked. */
static void writer_batch(um_store_writer *w, size_t n)
{
	size_t i;
	int failed;
	um_error err;

	pthread_mutex_lock(&w->mu);
	failed = w->failed;
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < n; i++) {
		wjob *j = &w->ring[(w->head + i) % w->max];

		memset(&err, 0, sizeof(err));
		if (!failed && job_run(w, j, &err) < 0) {
			failed = 1;
			pthread_mutex_lock(&w->mu);
			w->failed = 1;
			w->err = err;
			pthread_mutex_unlock(&w->mu);
		}
		job_release(j);
	}
}

static void *writer_main(void *arg)
{
	um_store_writer *w = arg;
	size_t n;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->len && !w->stopping) {
			w->busy = 0;
			w->sleeping = 1;
			pthread_cond_broadcast(&w->done);
			pthread_cond_wait(&w->work, &w->mu);
			w->sleeping = 0;
		}
		if (!w->len)
			break;
		w->busy = 1;
		w->kicked = 0;
		n = w->len;
		pthread_mutex_unlock(&w->mu);
		writer_batch(w, n);
		pthread_mutex_lock(&w->mu);
		w->head = (w->head + n) % w->max;
		w->len -= n;
		pthread_cond_broadcast(&w->done); /* room again */
	}
	w->busy = 0;
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

um_store_writer *store_writer_start(um_store *s, const char *run_id, size_t max_jobs)
{
	um_store_writer *w = um_xcalloc(1, sizeof(*w));

	w->s = s;
	w->run_id = um_xstrdup(run_id);
	w->max = max_jobs ? max_jobs : WRITER_DEFAULT_JOBS;
	w->ring = um_xcalloc(w->max, sizeof(*w->ring));
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->work, NULL);
	pthread_cond_init(&w->done, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->work);
		pthread_cond_destroy(&w->done);
		free(w->ring);
		free(w->run_id);
		free(w);
		return NULL;
	}
	return w;
}

/* ---- the producer's side ---------------------------------------------- */

/* Wake a sleeping writer (with the lock held). */
static void writer_kick(um_store_writer *w)
{
	if (w->sleeping && !w->kicked) {
		w->kicked = 1;
		pthread_cond_signal(&w->work);
	}
}

/* The next free slot, waiting for room; NULL once the writer has failed.
 * Only the producer fills it, and the writer sees it at writer_queue. */
static wjob *writer_slot(um_store_writer *w)
{
	wjob *j;

	pthread_mutex_lock(&w->mu);
	while (w->len == w->max && !w->failed) {
		writer_kick(w);
		pthread_cond_wait(&w->done, &w->mu);
	}
	j = w->failed ? NULL : &w->ring[(w->head + w->len) % w->max];
	pthread_mutex_unlock(&w->mu);
	return j;
}

/* Hand the filled slot to the writer; wake it when asked, when a batch
 * waits or when the ring is full. */
static int writer_queue(um_store_writer *w, int wake)
{
	pthread_mutex_lock(&w->mu);
	w->len++;
	if (wake || w->len >= WRITER_WAKE_AT || w->len == w->max)
		writer_kick(w);
	pthread_mutex_unlock(&w->mu);
	return 0;
}

static int writer_simple(um_store_writer *w, int kind, int wake)
{
	wjob *j = writer_slot(w);

	if (!j)
		return -1;
	j->kind = kind;
	return writer_queue(w, wake);
}

int store_writer_begin(um_store_writer *w)
{
	return writer_simple(w, JOB_BEGIN, 0);
}

int store_writer_commit(um_store_writer *w)
{
	return writer_simple(w, JOB_COMMIT, 1);
}

int store_writer_request(um_store_writer *w, const char *body_sha256, char *body, size_t len,
			 int take)
{
	wjob *j = writer_slot(w);

	if (!j) {
		if (take)
			free(body);
		return -1;
	}
	j->kind = JOB_REQUEST;
	snprintf(j->sha, sizeof(j->sha), "%s", body_sha256);
	j->len = len;
	j->body_owned = take;
	if (take) {
		j->body = body;
	} else {
		j->used = 0;
		j->body = slot_put(j, body, len);
		slot_fix(j, &j->body);
	}
	return writer_queue(w, 0);
}

int store_writer_attempt(um_store_writer *w, const um_attempt_rec *a, const um_call_rec *calls,
			 int n_calls, um_routing_rec *evs, size_t n)
{
	wjob *j = writer_slot(w);

	if (!j) {
		evq_events_free(evs, n);
		return -1;
	}
	j->kind = JOB_ATTEMPT;
	slot_attempt(j, a, calls, n_calls);
	j->evs = evs;
	j->n_evs = n;
	return writer_queue(w, 0);
}

int store_writer_event(um_store_writer *w, um_routing_rec *ev)
{
	wjob *j = writer_slot(w);

	if (!j) {
		evq_events_free(ev, 1);
		return -1;
	}
	j->kind = JOB_EVENT;
	j->evs = ev;
	j->n_evs = 1;
	return writer_queue(w, 0);
}

int store_writer_sync(um_store_writer *w, um_error *err)
{
	int failed;

	pthread_mutex_lock(&w->mu);
	if (w->len)
		writer_kick(w);
	while (w->len || w->busy)
		pthread_cond_wait(&w->done, &w->mu);
	failed = w->failed;
	if (failed && err)
		*err = w->err;
	pthread_mutex_unlock(&w->mu);
	return failed ? -1 : 0;
}

int store_writer_failed(um_store_writer *w, um_error *err)
{
	int failed;

	pthread_mutex_lock(&w->mu);
	failed = w->failed;
	if (failed && err)
		*err = w->err;
	pthread_mutex_unlock(&w->mu);
	return failed;
}

int store_writer_stop(um_store_writer *w, um_error *err)
{
	size_t i;
	int rv;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	pthread_cond_signal(&w->work);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	rv = w->failed ? -1 : 0;
	if (rv < 0 && err)
		*err = w->err;
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->work);
	pthread_cond_destroy(&w->done);
	for (i = 0; i < w->max; i++) {
		free(w->ring[i].mem);
		free(w->ring[i].calls);
	}
	free(w->ring);
	free(w->run_id);
	free(w);
	return rv;
}
