/*
 * rejudge.h - `umpire rescore` with another judge (rejudge.c): the stored
 * answers of a judged run graded again by the judge another judged
 * scaffold names, with its prompt. No system under test is called; the
 * judge is, through the engine like any call. The run's own rows are never
 * changed: the table says how each system's score would move, and with a
 * store the rescore is recorded beside the run (store schema 10: rescores,
 * and rescore_calls with every try of the judge, its request in requests),
 * so what judging again cost and said can be audited and bundled. Memory is
 * bounded by the systems, items and the judge's concurrency, not the answers.
 */
#ifndef UMPIRE_REJUDGE_H
#define UMPIRE_REJUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/models.h"
#include "load/scaffold.h"
#include "store/store.h"

typedef struct um_rejudge_sys {
	char *name;
	size_t judged;          /* answers judged again (a reply came back) */
	size_t correct_stored, correct_new, changed;
	size_t judge_errors;    /* replies out of format */
	size_t recovered;       /* stored judge errors that now have a verdict */
	size_t correct_new_recovered; /* of those, judged correct */
	size_t failed;          /* the judge could not be reached */
} um_rejudge_sys;

typedef struct um_rejudge {
	um_rejudge_sys *systems; /* in d->systems order */
	size_t n_systems;
	size_t calls;           /* HTTP tries made */
	int64_t cost_micro;     /* what the judge's replies cost, at its price */
	char *rescore_id;       /* recorded as (RUN/rescore-N), or NULL; owned */
} um_rejudge;

/* Judge again every done attempt of d's run whose item's grader is "judge"
 * (and that has an answer), with sc's judge: the system models names. d is
 * the run without its attempts (store_load_run_meta): they are read from st
 * as the judge is fed, a window at a time. jobs: most calls at once (0: the
 * judge's concurrency). The rescore is recorded in st as its calls end and
 * finished when the last one is written; when the run of calls fails it is
 * removed (rejudge.c). */
int rejudge_run(const um_run_data *d, const um_scaffold *sc, um_models *models, int jobs,
		um_store *st, um_rejudge *out, um_error *err);
void rejudge_release(um_rejudge *r);

#endif
