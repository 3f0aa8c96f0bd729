/*
 * workers.h - a small thread pool for blocking work that must not stall the
 * engine's event loop (sandboxed tool calls, setup and verification).
 *
 * The loop thread submits a job (fn runs on a worker) with a done callback;
 * when fn returns, the job moves to a completion queue and the engine is
 * woken; workers_drain(), called from the engine's wake hook, runs the done
 * callbacks in the loop thread. While a job is out, the engine is held so
 * engine_run does not return.
 */
#ifndef UMPIRE_WORKERS_H
#define UMPIRE_WORKERS_H

#include "exec/engine.h"
#include "base/error.h"

typedef struct um_workers um_workers;

/* fn runs on a worker thread; done runs later in the loop thread. */
typedef void (*um_work_fn)(void *ctx);
typedef void (*um_work_done_fn)(void *ctx);

int workers_new(int n_threads, um_engine *eng, um_workers **out, um_error *err);
/* Waits for running jobs, drops queued ones (their done is not called). */
void workers_free(um_workers *w);
void workers_submit(um_workers *w, um_work_fn fn, um_work_done_fn done, void *ctx);
/* Run the done callbacks of finished jobs (loop thread). Returns how many. */
int workers_drain(um_workers *w);
int workers_pending(um_workers *w);   /* queued + running + finished-not-drained */

#endif
