/*
 * scicode.h - SciCode's sub-steps graded as its harness grades them
 * (docs/scicode.md): each step's code is taken from the answer as
 * SciCode's extract_python_script takes it (the first ```python block, else
 * the first fenced block, else the whole answer; import lines removed), the
 * prompt of a step carries the code of the steps before it, and a step is
 * graded by one Python script: the dependencies, the earlier steps' code,
 * the step's code, then its test cases against the targets read from the
 * test data (HDF5), run under a time limit; it passes when the script exits
 * 0. A problem is solved when every step it asks passes.
 */
#ifndef UMPIRE_GRADE_SCICODE_H
#define UMPIRE_GRADE_SCICODE_H

#include <jansson.h>

#include "base/error.h"
#include "exec/sandbox.h"
#include "load/suite.h"

/* Where the test data appears inside the sandbox (a read-only bind). */
#define SCICODE_H5_INSIDE SANDBOX_WORK_MOUNT "/test_data.h5"

/* SciCode's extract_python_script: the code of one answer. Never NULL;
 * caller frees. */
char *scicode_extract(const char *response);

/* The name SciCode's extract_function_name reads from a function header
 * (the first `def NAME(`, else `class NAME(`), or NULL. Caller frees. */
char *scicode_function_name(const char *header);

/* The texts of step k's prompt (0-based): *previous the earlier steps'
 * descriptions (with their background when background is 1) and code
 * (code[i] for i < k), separated by "------"; *next the step's description
 * (and background), function header and return line. Caller frees both. */
void scicode_prompt_parts(const um_sci_item *c, int k, const char *const *code, int background,
			  char **previous, char **next);

/* The test script of step k: dependencies, code[0..k-1], code[k], then the
 * step's tests, each after `target = targets[i]`, the targets read from
 * h5_path. Caller frees. */
char *scicode_test_script(const um_sci_item *c, int k, const char *const *code,
			  const char *h5_path);

/* The limits and the place the scripts run in. */
typedef struct um_sci_env {
	const sandbox_spec *base;   /* driver, root, masks, ids; work_dir unset */
	const char *work_parent;    /* fresh work dirs are made here */
	const char *h5_host;        /* the test data on the host, bound at SCICODE_H5_INSIDE */
	int time_limit_ms;          /* per step's script */
	int memory_mb;              /* per step's address space */
	int background;             /* for the detail */
	int inspect_counting;       /* the given steps count in `of`, never passed */
} um_sci_env;

/* Run every step of c that is not given (code[k] is the step's code, a given
 * step's as prompts show it), each script in a fresh sandboxed process.
 * *detail gets {"verdict": "scicode_steps", "background", "limits",
 * "steps": [{"step", "v", "ms"?, "why"?, "code"}], "passed", "of"} (caller
 * decrefs; v is passed, failed, time_limit or given) and *score 1 when
 * every step asked passed. -1 when the sandbox could not run a script (an
 * infrastructure error). Safe to call from several threads at once. */
int scicode_grade(const um_sci_item *c, const char *const *code, const um_sci_env *env,
		  json_t **detail, int *score, um_error *err);

/* The code SciCode's prompts show for a given step: the first function or
 * class named by its header in the step's file, as Python's ast.unparse
 * writes it, found by running Python in the sandbox (base, in a fresh work
 * dir under parent). Caller frees *out. */
int scicode_given_code(const um_sci_step *st, const sandbox_spec *base, const char *parent,
		       char **out, um_error *err);

/* Offline re-grading: the score the stored detail gives, after checking
 * that each asked step's stored code is what that step's answer gives
 * again (answers[i]: the answer of the i-th asked step, the call of turn
 * i; n_answers 0: no call was made, nothing to check). -1 when it does not
 * agree. */
int scicode_verdict_from_detail(const json_t *detail, const char *const *answers,
				size_t n_answers);

#endif
