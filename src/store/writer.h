/*
 * writer.h - the store's writer thread: the run loop hands it the writes of
 * a run (transactions, request bodies, attempts with their calls and
 * routing events) through a bounded queue, and it performs them on the
 * store's one connection, in the order they were queued.
 *
 * The connection is the writer's while it has work queued; store_writer_sync
 * waits until it has none, after which the caller may use the connection
 * itself (reads, lease renewals, checkpoints) until it queues again. The
 * first write that fails stops the writer: what was queued after it is
 * dropped, later calls return -1, and store_writer_failed hands the error
 * (the message store.c gave) to the caller.
 */
#ifndef UMPIRE_STORE_WRITER_H
#define UMPIRE_STORE_WRITER_H

#include <stddef.h>

#include "base/error.h"
#include "store/store.h"

typedef struct um_store_writer um_store_writer;

/* Start the thread writing to s for run_id (copied); max_jobs bounds the
 * queue (0: a default), and a full queue makes the caller wait. NULL when
 * the thread cannot be started (the caller then writes itself). */
um_store_writer *store_writer_start(um_store *s, const char *run_id, size_t max_jobs);
/* Write everything queued, stop the thread, free w. 0, or -1 with the first
 * failure in *err (err may be NULL). */
int store_writer_stop(um_store_writer *w, um_error *err);

/* Queue a write. 0, or -1 once the writer has failed (nothing queued). */
int store_writer_begin(um_store_writer *w);
int store_writer_commit(um_store_writer *w);
/* The body is copied, or taken when take is 1 (freed by the writer, even
 * when -1 is returned). */
int store_writer_request(um_store_writer *w, const char *body_sha256, char *body, size_t len,
			 int take);
/* The attempt and its calls are copied; evs (n events, allocated as
 * evq_drain's) are taken, and go with the attempt through
 * store_put_attempt_routing. */
int store_writer_attempt(um_store_writer *w, const um_attempt_rec *a, const um_call_rec *calls,
			 int n_calls, um_routing_rec *evs, size_t n);
/* A routing event written on its own (store_put_routing_event); taken. */
int store_writer_event(um_store_writer *w, um_routing_rec *ev);

/* Wait until everything queued is written and the connection is free.
 * 0, or -1 with the failure in *err (err may be NULL). */
int store_writer_sync(um_store_writer *w, um_error *err);
/* Without waiting: 1 (and the failure in *err, err may be NULL) once a
 * write has failed, else 0. */
int store_writer_failed(um_store_writer *w, um_error *err);

#endif
