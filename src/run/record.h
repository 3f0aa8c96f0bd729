/*
 * record.h - the run's write path (record.c), shared by runner.c and
 * agent.c. Failures of the store set rc->failed and stop the engine.
 */
#ifndef UMPIRE_RECORD_H
#define UMPIRE_RECORD_H

#include "exec/engine.h"
#include "load/models.h"
#include "store/store.h"

typedef struct run_ctx run_ctx;

/* Open the run's transaction if none is open: 0, or -1 (rc->failed set). */
int record_ensure_tx(run_ctx *rc);
/* Commit when COMMIT_EVERY attempts or COMMIT_MS have passed, or now with
 * force. */
void record_commit_if_due(run_ctx *rc, int force);
/* "timeout", "body_too_large", "transport" or "http_<status>" (static). */
const char *record_error_class(const um_try *t);
/* The same for a refused call of sys, telling apart what the provider's
 * answer says (a prompt longer than the context: "context_overflow"). */
const char *record_call_error_class(const um_system *sys, const um_try *t);
/* Free the strings of a call record. */
void record_call_release(um_call_rec *c);

#endif
