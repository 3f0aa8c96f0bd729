/*
 * record.h - the run's write path (record.c), shared by runner.c and
 * agent.c. Failures of the store set rc->failed and stop the engine.
 */
#ifndef UMPIRE_RECORD_H
#define UMPIRE_RECORD_H

#include "exec/engine.h"
#include "load/models.h"
#include "load/plan.h"
#include "store/store.h"

typedef struct run_ctx run_ctx;

/* Open the run's transaction if none is open: 0, or -1 (rc->failed set). */
int record_ensure_tx(run_ctx *rc);
/* Whether a writer that keeps one transaction open commits now: after
 * COMMIT_EVERY writes or COMMIT_MS since its last commit (record.c; the run
 * and rescore's judge calls). */
int record_commit_due(size_t since_commit, int64_t last_commit_ms, int64_t now_ms);
/* Commit when record_commit_due says so, or now with force. */
void record_commit_if_due(run_ctx *rc, int force);
/* The stored class of a failed try of sys: engine_try_class (the
 * taxonomy, exec/engine.h), refined by what the provider's answer says (a
 * prompt longer than the context: "context_overflow"). */
const char *record_call_error_class(const um_system *sys, const um_try *t);
/* The engine lane of a system: its concurrency, timeout, retries and the
 * provider's rate limits (docs/models.md). */
um_lane_opts record_lane_opts(const um_system *s);
/* Free the strings of a call record. */
void record_call_release(um_call_rec *c);

/* ---- attempts and their routing events ----
 * Events of an attempt in flight are held in memory and written with the
 * attempt's row, in the same transaction; a kill loses both or neither.
 * Unattributed events, and late ones of an attempt already written, are
 * written as they come. */
enum { RECORD_NEW = 0, RECORD_LIVE = 1, RECORD_WRITTEN = 2 };
/* Index the plan by attempt id (after plan_build). */
void record_index_plan(run_ctx *rc);
/* The attempt at plan entry p was submitted. */
void record_attempt_started(run_ctx *rc, const um_planned *p);
/* Move the queue's events into the store or the held list. */
void record_drain_routing(run_ctx *rc);
/* Held events of attempt_id that have no call yet came with its call
 * number call_no (1-based): called when a try of it ends. */
void record_tag_routing(run_ctx *rc, const char *attempt_id, int call_no);
/* Hold an event the runner made (an orchestrator's self-report); copied. */
void record_hold_event(run_ctx *rc, const um_routing_rec *ev);
/* Write the attempt's row, its calls and its held events (opens the
 * transaction if needed): 0, or -1 with rc->failed set. */
int record_put_attempt(run_ctx *rc, const um_planned *p, const um_attempt_rec *r,
		       const um_call_rec *calls, int n_calls);
/* Queue a finished attempt to be written by the next commit (or
 * record_flush), with the attempts of that commit in (item, system, sample)
 * order. calls (n_total records, the first n_write written) become the
 * queue's; r is copied; cache_call >= 0 also records the attempt as answered
 * from that cached call. Opens the transaction if needed: 0, or -1 with
 * rc->failed set. */
int record_queue_attempt(run_ctx *rc, const um_planned *p, const um_attempt_rec *r,
			 um_call_rec *calls, int n_write, int n_total, int64_t cache_call);
/* Write the queued attempts now (before a commit): 0, or -1 (rc->failed). */
int record_flush(run_ctx *rc);
/* Forget held events and queued attempts (end of run, after unfinished
 * attempts were written and the queue flushed). */
void record_release_held(run_ctx *rc);

#endif
