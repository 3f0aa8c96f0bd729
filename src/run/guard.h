/*
 * guard.h - the run's CI controls (guard.c), used by runner.c: the
 * --max-cost budget, the circuit breaker for authentication failures, the
 * response cache lookup, the --dry-run estimate, and the run notes
 * (docs/schema.md: run_notes) they leave in the store.
 */
#ifndef UMPIRE_GUARD_H
#define UMPIRE_GUARD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/models.h"
#include "run/runner.h"

typedef struct run_ctx run_ctx;
struct attempt;

/* Per-lane state; once the lanes exist. */
void guard_setup(run_ctx *rc);
/* Record (or check, on resume) the run's --limit / --shard notes. */
int guard_begin_notes(run_ctx *rc, um_error *err);
/* May the lane of system s start another attempt? 0 when its breaker has
 * tripped or the budget is spent (the stop is recorded then). */
int guard_may_submit(run_ctx *rc, int s);
/* An attempt of system s with a request body of body_len bytes is being
 * submitted: widen the lane's cost bound. */
void guard_on_submit(run_ctx *rc, int s, size_t body_len);
/* An attempt of system s ended: its cost, and the HTTP status of its last
 * try (0 none); trips the breaker after o->breaker_after 401/403s in a row. */
void guard_on_finish(run_ctx *rc, int s, int done, int64_t cost_micro, long http_status,
		     const char *error_msg);
/* The same for an attempt that knows its end by error class ("http_401";
 * NULL when it was graded): agentic attempts. */
void guard_on_finish_class(run_ctx *rc, int s, int64_t cost_micro, const char *error_class,
			   const char *error_msg);
/* Look the attempt's request up in the response cache when its system
 * opted in: 1 hit (queued on rc->cache_ready), 0 miss, -1 store failure. */
int guard_cache_try(run_ctx *rc, struct attempt *a, um_error *err);
/* Write the stop and breaker notes and fill res's CI fields. */
int guard_end_notes(run_ctx *rc, um_run_result *res, um_error *err);

/* Upper bound of one attempt's cost (micro-USD): the request at about four
 * bytes a token plus the scaffold's max output tokens; -1 when the scaffold
 * does not bound the output. */
int64_t guard_attempt_bound(const um_system *sys, const json_t *params, size_t body_len);
/* --dry-run: add one planned attempt of sys (request body_len bytes, 0 when
 * not known before the run, as for agentic tasks) to the estimate object. */
void guard_estimate_add(json_t *est, const um_system *sys, const json_t *params,
			size_t body_len);

#endif
