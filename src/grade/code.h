/*
 * code.h - grading generated programs as LiveCodeBench does (docs/code.md):
 * the program is the text between the last two lines of the answer that
 * hold a ``` fence; it runs once per test in the sandbox (a fresh process,
 * per-test time and memory limits), stdin/stdout tests compared line by
 * line (stripped, then number by number as decimals), call-based tests by
 * the JSON value the named function (or Solution method) returns; the first
 * failing test ends the run and the attempt scores 1 only when every test
 * passed. A verdict per test goes into the attempt's detail.
 */
#ifndef UMPIRE_GRADE_CODE_H
#define UMPIRE_GRADE_CODE_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"
#include "exec/sandbox.h"
#include "load/suite.h"

typedef enum {
	UM_CODE_PASSED = 0,
	UM_CODE_WRONG_ANSWER,
	UM_CODE_RUNTIME_ERROR,
	UM_CODE_TIME_LIMIT,
	UM_CODE_MEMORY_LIMIT,
	UM_CODE_OUTPUT_LIMIT,
	UM_CODE_COMPILE_ERROR,
	UM_CODE_NOT_RUN,
} um_code_verdict;

/* "passed", "wrong_answer", ... (the names stored in the detail). */
const char *code_verdict_name(um_code_verdict v);

/* The program in a model's answer: the lines between the last two lines
 * that contain "```" (the language tag line excluded), joined by "\n".
 * NULL when fewer than two such lines (nothing to run). Caller frees. */
char *code_extract(const char *text);

/* LiveCodeBench's stdout rule: both sides stripped of surrounding blanks
 * and split into lines, each stripped; the same number of lines, and each
 * pair equal as text or, failing that, as a list of decimals (1.0 = 1,
 * 1e2 = 100). 1 when they match; else 0 and *why says where (a short
 * message, NUL-terminated, why_size bytes at most). */
int code_stdout_matches(const char *got, size_t got_len, const char *want, char *why,
			size_t why_size);

/* Python's == over JSON values: numbers by value (1 == 1.0, true == 1),
 * strings by bytes, lists in order, objects by key sets. Text that does
 * not parse (an integer beyond 64 bits, NaN) is compared as trimmed text. */
int code_json_matches(const char *got, const char *want);

/* The verdict of one finished test process (harness exit codes in code.c):
 * the sandbox's result, the test, and the item's I/O style. */
um_code_verdict code_classify(const um_code_item *c, um_code_lang lang, const um_code_test *t,
			      const sandbox_result *r, char *why, size_t why_size);

/* The limits and the place tests run in. */
typedef struct um_code_env {
	const sandbox_spec *base;   /* driver, root, binds (masks), ids; work_dir unset */
	const char *work_parent;    /* fresh work dirs are made here */
	int time_limit_ms;          /* per test */
	int memory_mb;              /* per test, address space */
	um_code_lang language;      /* python: the harness; cpp: g++ -std=c++17 -O2 first */
	const char *testlib_dir;    /* LiveCodeBench Pro: where testlib.h is, or NULL */
	int64_t wall_extra_ms;      /* added to each test's wall clock (containers: the
				     * engine's start); the CPU limit stays the test's */
	const char *helper_cache;   /* LiveCodeBench Pro: a directory (0700, the harness's)
				     * where compiled checkers and interactors are kept for
				     * the run, or NULL: compiled for every attempt */
} um_code_env;

/* C++ programs are compiled once per attempt, in the sandbox, within these. */
#define UM_CODE_COMPILE_MS 60000
#define UM_CODE_COMPILE_MB 2048

/* g++ (argv) in the sandbox within the limits above: 1 compiled, 0 not
 * (*why: the first error line), -1 the sandbox failed. *ms: its time. */
int code_compile(const sandbox_spec *base, const char *const *argv, int64_t *ms, char *why,
		 size_t why_size, um_error *err);

/* Run program against every test of c (stopping at the first failure; items
 * of LiveCodeBench Pro, c->judge_dir set, go to cpjudge_grade instead),
 * each in a fresh sandboxed process with c's limits or env's. *detail gets
 * {"verdict": "code_tests", "io", "limits", "tests": [{"v", "ms", "why"?}],
 * "passed", "of"} (caller decrefs) and *score 1 when every test passed. -1
 * when the sandbox could not run a test (an infrastructure error, not a
 * verdict). Safe to call from several threads at once. */
int code_grade(const um_code_item *c, const char *program, const um_code_env *env,
	       json_t **detail, int *score, um_error *err);

/* The detail of an attempt whose answer held no program. Caller decrefs. */
json_t *code_detail_no_program(const um_code_item *c, const um_code_env *env);

/* The score a stored code_tests detail gives: 1 when every test passed
 * (and there were tests), 0 when not, -1 when the detail does not agree
 * with itself (passed, of, the verdicts). */
int code_verdict_from_tests(const json_t *detail);

/* Offline re-grading: the score the stored detail gives (1 when every
 * test passed, and there were tests), after checking that the program
 * extracted from response_text again is the stored one. -1 when the detail
 * is not a code_tests one or does not agree. */
int code_verdict_from_detail(const json_t *detail, const char *response_text,
			     const char *extracted);

#endif
