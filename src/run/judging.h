/*
 * judging.h - attempts of judged suites (judging.c; docs/judged.md): the
 * request of a free-form question or of a dataset's multi-turn prompt, its
 * grading by a grader that calls no model or by the scaffold's judge (one
 * more call, recorded with the attempt, never billed to the system), and
 * the outcome of a prompt the provider says is too long.
 */
#ifndef UMPIRE_JUDGING_H
#define UMPIRE_JUDGING_H

#include <jansson.h>

#include "base/error.h"
#include "exec/engine.h"
#include "exec/provider.h"
#include "load/plan.h"
#include "load/scaffold.h"

typedef struct run_ctx run_ctx;
typedef struct attempt attempt;

/* Before the plan: the judge's system (found in models.yaml, never a
 * system under test) and every item's grader checked. */
int judging_check(run_ctx *rc, um_error *err);
/* The judge's lane and one request built before any call (its key). */
int judging_setup(run_ctx *rc, um_error *err);
/* The neutral request of (item, sample). New reference, or NULL. */
json_t *judging_neutral(run_ctx *rc, const um_planned *p, um_error *err);
/* The item as the store keeps it (choices_json of items): a JSON object
 * with answer, grader, prefix, answer_type, context_chars and the context
 * bin. Caller frees. */
char *judging_item_json(const run_ctx *rc, size_t item);
/* Grade the answer c (finishing the attempt through rc->finish, now or
 * when the judge has replied). */
void judging_grade(attempt *a, const um_try *t, um_completion *c);
/* 1 when a failed try is the provider saying the prompt is too long. */
int judging_overflow(const um_try *t);
/* The judge's neutral request under scaffold sc: its system prompt and
 * prompt rendered with the question, the response, the correct answer and
 * the instructions for answer_type. New reference, or NULL. */
json_t *judging_judge_request(const um_scaffold *sc, const char *question, const char *response,
			      const char *answer, const char *answer_type, um_error *err);
/* {{decimals}} of an answer: how many places follow its first '.' (up to
 * a second one), as CharXiv counts them for its number-in-general
 * questions; "0" when it has none. */
void judging_decimals(const char *answer, char *out, size_t size);
/* The grader of item i: its own or the suite's. */
const char *judging_grader(const run_ctx *rc, size_t item);

#endif
