/*
 * workers.c - the thread pool behind sandboxed tool calls (see workers.h).
 */
#include "exec/workers.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

typedef struct job {
	um_work_fn fn;
	um_work_done_fn done;
	void *ctx;
	struct job *next;
} job;

struct um_workers {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	job *queue, *queue_tail;   /* waiting for a worker */
	job *finished, *fin_tail;  /* waiting for workers_drain */
	int pending;
	int quit;
	pthread_t *threads;
	int n_threads;
	um_engine *eng;
};

static void push(job **head, job **tail, job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void *worker_main(void *arg)
{
	um_workers *w = arg;

	for (;;) {
		job *j;

		pthread_mutex_lock(&w->mu);
		while (!w->queue && !w->quit)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->quit) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		j = w->queue;
		w->queue = j->next;
		if (!w->queue)
			w->queue_tail = NULL;
		pthread_mutex_unlock(&w->mu);

		j->fn(j->ctx);

		pthread_mutex_lock(&w->mu);
		push(&w->finished, &w->fin_tail, j);
		pthread_mutex_unlock(&w->mu);
		/* the result is queued before the hold is dropped (engine.h) */
		engine_unhold(w->eng);
	}
}

int workers_new(int n_threads, um_engine *eng, um_workers **out, um_error *err)
{
	um_workers *w = um_xcalloc(1, sizeof(*w));
	int i;

	*out = NULL;
	if (n_threads < 1)
		n_threads = 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->eng = eng;
	w->threads = um_xcalloc((size_t)n_threads, sizeof(pthread_t));
	for (i = 0; i < n_threads; i++) {
		if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
			w->n_threads = i;
			workers_free(w);
			return um_fail(err, UM_ERR_INTERNAL, "cannot start worker thread %d", i);
		}
		w->n_threads = i + 1;
	}
	*out = w;
	return 0;
}

void workers_submit(um_workers *w, um_work_fn fn, um_work_done_fn done, void *ctx)
{
	job *j = um_xcalloc(1, sizeof(*j));

	j->fn = fn;
	j->done = done;
	j->ctx = ctx;
	engine_hold(w->eng);
	pthread_mutex_lock(&w->mu);
	push(&w->queue, &w->queue_tail, j);
	w->pending++;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

int workers_drain(um_workers *w)
{
	job *list;
	int n = 0;

	pthread_mutex_lock(&w->mu);
	list = w->finished;
	w->finished = w->fin_tail = NULL;
	pthread_mutex_unlock(&w->mu);
	while (list) {
		job *j = list;
		list = j->next;
		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		if (j->done)
			j->done(j->ctx);
		free(j);
		n++;
	}
	return n;
}

int workers_pending(um_workers *w)
{
	int n;

	pthread_mutex_lock(&w->mu);
	n = w->pending;
	pthread_mutex_unlock(&w->mu);
	return n;
}

void workers_free(um_workers *w)
{
	int i;
	job *j;

	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	for (i = 0; i < w->n_threads; i++)
		pthread_join(w->threads[i], NULL);
	while ((j = w->queue)) {
		w->queue = j->next;
		engine_unhold(w->eng);
		free(j);
	}
	while ((j = w->finished)) {
		w->finished = j->next;
		free(j);
	}
	free(w->threads);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
