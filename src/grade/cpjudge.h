/*
 * cpjudge.h - judging C++ programs as LiveCodeBench Pro's official judge
 * (LightCPVerifier over go-judge) judges them (docs/livecodebench-pro.md):
 * the program is the last ```cpp block holding #include (else the code
 * around the last `int main(`), compiled with g++ -std=gnu++17 -O2; each
 * test runs it with the problem's time and memory limits (stack = memory),
 * and a testlib checker, compiled in the sandbox, accepts or rejects the
 * output (`chk in.txt out.txt ans.txt`, exit 0: accepted); a problem
 * without a checker compares tokens; an interactive problem's interactor
 * talks to the program (two sandboxes joined by FIFOs) and decides. The
 * first rejected test ends the run.
 */
#ifndef UMPIRE_GRADE_CPJUDGE_H
#define UMPIRE_GRADE_CPJUDGE_H

#include <jansson.h>

#include "base/error.h"
#include "grade/code.h"
#include "load/suite.h"

/* The official extraction (extract_longest_cpp_code): of the blocks that
 * open with a line "```cpp" and close at the next line starting "```", the
 * last one holding "#include", stripped; else, from the last `int main(`
 * backwards, the function with its braces matched and the #include lines
 * right above it, when that text holds "#include". NULL: no program. Caller
 * frees. */
char *cpjudge_extract(const char *text);

/* The program in an answer to item c: cpjudge_extract for LiveCodeBench
 * Pro's items (c->judge_dir set), else code_extract. Caller frees. */
char *cpjudge_program(const um_code_item *c, const char *text);

/* Offline re-grading of any code attempt: a detail of this judge ("judge":
 * "lcbpro") is checked with cpjudge_extract, others by
 * code_verdict_from_detail. */
int cpjudge_verdict_from_detail(const json_t *detail, const char *response_text,
				const char *extracted);

/* 1 when got and want hold the same whitespace-separated tokens. */
int cpjudge_tokens_match(const char *got, size_t got_len, const char *want, size_t want_len,
			 char *why, size_t why_size);

/* Judge program against every test of c (c->judge_dir set), as code_grade
 * does for other code items: *detail is a code_tests detail with "judge":
 * "lcbpro", the compile, and the checker's compile; *score 1 when every test
 * was accepted. -1 when the sandbox failed or the problem's checker does not
 * compile (the data's fault: an infrastructure error, not a verdict). */
int cpjudge_grade(const um_code_item *c, const char *program, const um_code_env *env,
		  json_t **detail, int *score, um_error *err);

#endif
