/*
 * agent.h - agentic attempts (agent.c): the one narrow interface through
 * which the runner drives terminal and swe tasks. Each attempt is a state
 * machine in the engine's loop thread (setup, model turns with tools,
 * verification, storage); blocking work runs on the worker pool.
 */
#ifndef UMPIRE_AGENT_H
#define UMPIRE_AGENT_H

#include <stddef.h>

#include "base/error.h"
#include "load/models.h"

typedef struct run_ctx run_ctx;

int agent_setup_run(run_ctx *rc, um_error *err);   /* workers, temp dirs */
int agent_submit(run_ctx *rc, size_t plan_index, um_error *err);
void agent_teardown_run(run_ctx *rc);              /* frees what is left */
/* Build a system's first request of the suite before any call (a missing
 * key or an impossible body fails here); *dropped (caller frees) names the
 * scaffold params its provider does not take. */
int agent_preflight(run_ctx *rc, const um_system *sys, char **dropped, um_error *err);

#endif
