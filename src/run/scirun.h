/*
 * scirun.h - the attempts of a scicode suite (scirun.c; docs/scicode.md):
 * one attempt is one main problem, asked step by step as SciCode's
 * generation loop asks it (one request per sub-step, the code of the
 * model's own earlier answers in each later prompt, the steps SciCode gives
 * skipped and their code shown), then every asked step graded on the
 * worker pool. Reached from runner.c only; the attempt is written through
 * rc->finish and later steps are sent through rc->resubmit.
 */
#ifndef UMPIRE_SCIRUN_H
#define UMPIRE_SCIRUN_H

#include <jansson.h>

#include "base/error.h"
#include "exec/engine.h"
#include "exec/provider.h"
#include "load/plan.h"

typedef struct run_ctx run_ctx;
typedef struct attempt attempt;

/* After coderun_setup (the sandbox, masks and workers): the code of the
 * given steps, as SciCode's prompts show it, worked out once. */
int scirun_setup(run_ctx *rc, um_error *err);
/* The neutral request of the problem's first asked step. New reference. */
json_t *scirun_neutral(run_ctx *rc, const um_planned *p, um_error *err);
/* The answer c to the attempt's current step (c is left to the caller):
 * the next step is sent, or the steps are graded and the attempt finished. */
void scirun_answer(attempt *a, const um_try *t, const um_completion *c);
/* --oracle: each step answered with its ground_truth_code, then graded. */
void scirun_oracle(attempt *a);
/* The item as the store keeps it (choices_json): steps, asked, given. */
char *scirun_item_json(const run_ctx *rc, size_t item);
/* Frees the attempt's step state (NULL is fine). */
void scirun_attempt_release(attempt *a);
void scirun_teardown(run_ctx *rc);

#endif
