/*
 * coderun.h - the attempts of a code suite after their answer came back:
 * the program is extracted and run against the item's tests on the worker
 * pool (grade/code.c), and the runner's finishing callback gets the
 * outcome in the loop thread. Reached from runner.c only.
 */
#ifndef UMPIRE_CODERUN_H
#define UMPIRE_CODERUN_H

#include <stdint.h>

#include "base/error.h"
#include "exec/provider.h"

typedef struct run_ctx run_ctx;
typedef struct attempt attempt;

/* What a graded code attempt comes to; everything is borrowed for the
 * duration of the callback. error_msg set: an infrastructure error. */
typedef struct coderun_outcome {
	const um_completion *c;
	int64_t latency_ms;
	long http_status;
	const char *program;     /* NULL: the answer held none */
	const char *detail_json;
	int score;
	const char *error_class, *error_msg;
} coderun_outcome;

typedef void (*coderun_done_fn)(attempt *a, const coderun_outcome *o);

/* Sandbox checks, the run's work directory, the masks over host paths that
 * hold expected outputs (suite, data, store), the worker pool. */
int coderun_setup(run_ctx *rc, um_error *err);
/* Grade the attempt's answer c (moved from: c is left empty) and call done
 * when it is graded, now (no program) or from the loop after the workers. */
void coderun_grade(run_ctx *rc, attempt *a, um_completion *c, int64_t latency_ms,
		   long http_status, coderun_done_fn done);
/* The sandbox every test runs in (masks bound, no work dir) and the run's
 * directory the work dirs go in, for scicode suites (scirun.c). Borrowed;
 * NULL before coderun_setup. */
const struct sandbox_spec *coderun_sandbox(const run_ctx *rc, const char **parent);
/* Waits for running tests, drops the rest; removes the work directory. */
void coderun_teardown(run_ctx *rc);

#endif
