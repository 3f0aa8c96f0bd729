/*
 * test_code.c - program grading: LiveCodeBench's code extraction, its
 * stdout comparison (stripped lines, then decimals), Python equality over
 * JSON results, the verdict of a finished test process, re-grading from a
 * stored detail, and (where bwrap runs) real programs in the sandbox.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "grade/code.h"

static void check_extract(const char *text, const char *want)
{
	char *got = code_extract(text);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_extract(void **state)
{
	(void)state;
	check_extract("Here:\n```python\nprint(1)\n```\n", "print(1)");
	check_extract("```python\na = 1\nprint(a)\n```", "a = 1\nprint(a)");
	/* the last two fence lines win, as in LCB (a draft, then the answer) */
	check_extract("```\nprint(0)\n```\nBetter:\n```python\nprint(2)\n```\nDone.",
		      "print(2)");
	/* three fences: the block between the second and the third */
	check_extract("```py\nx\n```\ny\n```", "y");
	check_extract("no code at all", NULL);
	check_extract("```python\nprint(1)", NULL);
	check_extract("", NULL);
	check_extract(NULL, NULL);
	check_extract("```\n```", "");
	/* a fence anywhere in the line counts, and that line is dropped */
	check_extract("text ```python\nprint(3)\nend ```", "print(3)");
	check_extract("```python\r\nprint(4)\r\n```", "print(4)\r");
	{
		/* 400,000 lines before the block: linear, not a scan per line */
		size_t n = 400000, i;
		char *big = um_xmalloc(n * 2 + 64), *got;
		for (i = 0; i < n; i++)
			memcpy(big + 2 * i, "x\n", 2);
		strcpy(big + 2 * n, "```\nprint(5)\n```\n");
		got = code_extract(big);
		assert_string_equal(got, "print(5)");
		free(got);
		free(big);
	}
}

static int out_ok(const char *got, const char *want)
{
	char why[128];

	return code_stdout_matches(got, strlen(got), want, why, sizeof(why));
}

static void test_stdout(void **state)
{
	char why[128];

	(void)state;
	assert_true(out_ok("3\n", "3"));
	assert_true(out_ok("  3  \n\n", "3\n"));
	assert_true(out_ok("1 2 3\n4 5\n", "1 2 3\n4 5"));
	assert_true(out_ok("1  2\t3", "1 2 3"));        /* split() on any run of blanks */
	assert_true(out_ok("1.0\n", "1"));              /* decimals: 1.0 == 1 */
	assert_true(out_ok("1e2", "100"));
	assert_true(out_ok("-0", "0"));
	assert_true(out_ok("0.50000", ".5"));
	assert_true(out_ok("1_000", "1000"));           /* Decimal() reads underscores */
	assert_true(out_ok("", ""));
	assert_true(out_ok("Yes\r\n", "Yes"));
	assert_false(out_ok("3", "4"));
	assert_false(out_ok("yes", "Yes"));
	assert_false(out_ok("1 2", "1 2 3"));
	assert_false(out_ok("3\n4", "3"));
	assert_false(out_ok("", "0"));
	assert_false(out_ok("0.3333333", "0.3333334")); /* exact decimals, no tolerance */
	assert_true(out_ok("nan", "nan"));              /* the same text */
	assert_false(out_ok("nan", "NaN"));             /* Decimal NaN never equals */
	assert_true(out_ok("-Infinity", "-inf"));
	assert_false(out_ok("1e", "1"));
	assert_false(out_ok("12345678901234567890123", "12345678901234567890124"));
	assert_true(out_ok("12345678901234567890123.0", "12345678901234567890123"));
	{
		/* 300 digits: still exact */
		char a[301], b[320];
		memset(a, '7', 300);
		a[300] = '\0';
		snprintf(b, sizeof(b), "%s.000", a);
		assert_true(out_ok(a, b));
		b[299] = '8';
		assert_false(out_ok(a, b));
	}
	assert_false(code_stdout_matches("1\n2\n", 4, "1\n3", why, sizeof(why)));
	assert_string_equal(why, "line 2: got '2', expected '3'");
	assert_false(code_stdout_matches("1\n", 2, "1\n2", why, sizeof(why)));
	assert_string_equal(why, "1 output lines, 2 expected");
	/* got_len bounds the output: bytes after it are not read */
	assert_true(code_stdout_matches("7garbage", 1, "7", why, sizeof(why)));
}

static void test_json(void **state)
{
	(void)state;
	assert_true(code_json_matches("3", "3"));
	assert_true(code_json_matches("3.0", "3"));
	assert_true(code_json_matches("true", "1")); /* True == 1 in Python */
	assert_true(code_json_matches("false", "false"));
	assert_true(code_json_matches("[1, 2, [3]]", "[1,2,[3]]"));
	assert_true(code_json_matches("{\"a\": 1, \"b\": [true]}", "{\"b\":[1],\"a\":1.0}"));
	assert_true(code_json_matches("\"x\"", "\"x\""));
	assert_true(code_json_matches("null", "null"));
	assert_false(code_json_matches("[1, 2]", "[2, 1]"));
	assert_false(code_json_matches("\"1\"", "1"));
	assert_false(code_json_matches("null", "0"));
	assert_false(code_json_matches("{\"a\": 1}", "{\"a\": 1, \"b\": 2}"));
	assert_false(code_json_matches("0.1", "0.10000001"));
	/* beyond 64 bits jansson stops; the texts are compared */
	assert_true(code_json_matches("123456789012345678901234567890",
				      " 123456789012345678901234567890\n"));
	assert_false(code_json_matches("123456789012345678901234567891",
					"123456789012345678901234567890"));
	assert_false(code_json_matches("NaN", "NaN0"));
	/* ...without the blanks outside strings */
	assert_true(code_json_matches("[1, 123456789012345678901234567890]",
				      "[1,123456789012345678901234567890]"));
	assert_false(code_json_matches("[\"a b\", 123456789012345678901234567890]",
				       "[\"ab\",123456789012345678901234567890]"));
	assert_true(code_json_matches("[\"a \\\" b\", 123456789012345678901234567890]",
				      "[\"a \\\" b\",123456789012345678901234567890]"));
}

static void result_init(sandbox_result *r, int code, int sig, const char *out, const char *err)
{
	sandbox_result_init(r);
	r->exit_code = code;
	r->signal = sig;
	if (out)
		um_buf_append(&r->out, out, strlen(out));
	if (err)
		um_buf_append(&r->err, err, strlen(err));
}

static void test_classify(void **state)
{
	um_code_test t = {(char *)"1 2\n", (char *)"3\n"};
	um_code_item stdin_item, call_item;
	um_code_test ct = {(char *)"[1, 2]", (char *)"[2, 1]"};
	sandbox_result r;
	char why[256];

	(void)state;
	memset(&stdin_item, 0, sizeof(stdin_item));
	memset(&call_item, 0, sizeof(call_item));
	stdin_item.io = UM_CODE_STDIN;
	call_item.io = UM_CODE_CALL;
	call_item.func_name = (char *)"swap";

	result_init(&r, 0, 0, "3\n", NULL);
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)), UM_CODE_PASSED);
	sandbox_result_release(&r);
	result_init(&r, 0, 0, "4\n", NULL);
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)),
			 UM_CODE_WRONG_ANSWER);
	assert_string_equal(why, "line 1: got '4', expected '3'");
	sandbox_result_release(&r);
	result_init(&r, 1, 0, "3\n", "Traceback...\n  File x\nZeroDivisionError: division by zero\n");
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)),
			 UM_CODE_RUNTIME_ERROR);
	assert_string_equal(why, "ZeroDivisionError: division by zero");
	sandbox_result_release(&r);
	result_init(&r, 3, 0, NULL, "compile error: invalid syntax (solution.py, line 1)\n");
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)),
			 UM_CODE_COMPILE_ERROR);
	sandbox_result_release(&r);
	result_init(&r, 4, 0, NULL, "MemoryError\n");
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)),
			 UM_CODE_MEMORY_LIMIT);
	sandbox_result_release(&r);
	result_init(&r, -1, 9, NULL, NULL);
	r.timed_out = 1;
	r.limits_hit = SANDBOX_HIT_WALL;
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)), UM_CODE_TIME_LIMIT);
	sandbox_result_release(&r);
	result_init(&r, -1, 24, NULL, NULL);
	r.limits_hit = SANDBOX_HIT_CPU;
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)), UM_CODE_TIME_LIMIT);
	sandbox_result_release(&r);
	result_init(&r, -1, 11, NULL, NULL);
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)),
			 UM_CODE_RUNTIME_ERROR);
	assert_string_equal(why, "killed by signal 11");
	sandbox_result_release(&r);
	result_init(&r, 0, 0, "3\n", NULL);
	r.out_truncated = 1;
	assert_int_equal(code_classify(&stdin_item, UM_CODE_PYTHON, &t, &r, why, sizeof(why)),
			 UM_CODE_OUTPUT_LIMIT);
	sandbox_result_release(&r);

	result_init(&r, 0, 0, "[2, 1]", NULL);
	assert_int_equal(code_classify(&call_item, UM_CODE_PYTHON, &ct, &r, why, sizeof(why)), UM_CODE_PASSED);
	sandbox_result_release(&r);
	result_init(&r, 0, 0, "[1, 2]", NULL);
	assert_int_equal(code_classify(&call_item, UM_CODE_PYTHON, &ct, &r, why, sizeof(why)),
			 UM_CODE_WRONG_ANSWER);
	assert_string_equal(why, "returned [1, 2], expected [2, 1]");
	sandbox_result_release(&r);
	result_init(&r, 0, 0, "", NULL);
	assert_int_equal(code_classify(&call_item, UM_CODE_PYTHON, &ct, &r, why, sizeof(why)),
			 UM_CODE_RUNTIME_ERROR);
	sandbox_result_release(&r);
	result_init(&r, 0, 0, NULL, NULL);
	um_buf_append(&r.out, "\0set", 4);
	assert_int_equal(code_classify(&call_item, UM_CODE_PYTHON, &ct, &r, why, sizeof(why)),
			 UM_CODE_WRONG_ANSWER);
	assert_string_equal(why, "returned a set, which is not a JSON value");
	sandbox_result_release(&r);
	result_init(&r, 5, 0, NULL, "no function swap in the program\n");
	assert_int_equal(code_classify(&call_item, UM_CODE_PYTHON, &ct, &r, why, sizeof(why)),
			 UM_CODE_RUNTIME_ERROR);
	sandbox_result_release(&r);
}

static void test_from_detail(void **state)
{
	const char *answer = "```python\nprint(1)\n```";
	json_t *d;

	(void)state;
	d = json_loads("{\"verdict\":\"code_tests\",\"tests\":[{\"v\":\"passed\"},{\"v\":\"passed\"}],"
		       "\"passed\":2,\"of\":2}", 0, NULL);
	assert_int_equal(code_verdict_from_detail(d, answer, "print(1)"), 1);
	/* the stored program must be what the answer gives again */
	assert_int_equal(code_verdict_from_detail(d, answer, "print(2)"), -1);
	json_decref(d);
	d = json_loads("{\"verdict\":\"code_tests\",\"tests\":[{\"v\":\"passed\"},"
		       "{\"v\":\"wrong_answer\"}],\"passed\":1,\"of\":2}", 0, NULL);
	assert_int_equal(code_verdict_from_detail(d, answer, "print(1)"), 0);
	json_decref(d);
	/* counts that disagree with the verdicts */
	d = json_loads("{\"verdict\":\"code_tests\",\"tests\":[{\"v\":\"wrong_answer\"}],"
		       "\"passed\":1,\"of\":1}", 0, NULL);
	assert_int_equal(code_verdict_from_detail(d, answer, "print(1)"), -1);
	json_decref(d);
	d = json_loads("{\"verdict\":\"code_tests\",\"tests\":[{\"v\":\"not_run\"}],"
		       "\"passed\":0,\"of\":1}", 0, NULL);
	assert_int_equal(code_verdict_from_detail(d, "no code", NULL), 0);
	json_decref(d);
	d = json_loads("{\"verdict\":\"pytest\"}", 0, NULL);
	assert_int_equal(code_verdict_from_detail(d, answer, "print(1)"), -1);
	json_decref(d);
}

/* Real programs through bwrap and python3 (or g++), when this machine has them. */
static int grade_in(um_code_lang lang, const um_code_item *c, const char *program, int time_ms,
		    json_t **d)
{
	sandbox_spec base;
	um_code_env env;
	um_error err = {0};
	char tmpl[] = "/tmp/test-code-XXXXXX";
	int score = -1;

	sandbox_spec_init(&base);
	assert_non_null(mkdtemp(tmpl));
	assert_int_equal(chmod(tmpl, 0711), 0); /* the sandbox's user must reach inside */
	env.base = &base;
	env.work_parent = tmpl;
	env.time_limit_ms = time_ms;
	env.memory_mb = 1024;
	env.language = lang;
	if (code_grade(c, program, &env, d, &score, &err) < 0)
		fail_msg("code_grade: %s", err.msg);
	rmdir(tmpl);
	return score;
}

static int grade(const um_code_item *c, const char *program, int time_ms, json_t **d)
{
	return grade_in(UM_CODE_PYTHON, c, program, time_ms, d);
}

static const char *verdict_of(const json_t *d, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(d, "tests"), i), "v"));
}

static void test_sandbox_runs(void **state)
{
	um_code_test st[2] = {{(char *)"2 3\n", (char *)"5\n"}, {(char *)"10 -4\n", (char *)"6\n"}};
	um_code_test ct[2] = {{(char *)"[3, 1, 2]", (char *)"[1, 2, 3]"},
			      {(char *)"[]", (char *)"[]"}};
	um_code_item s, c;
	um_error err = {0};
	json_t *d;

	(void)state;
	if (sandbox_driver_available("bwrap", &err) != 1 || access("/usr/bin/python3", X_OK)) {
		skip();
		return;
	}
	memset(&s, 0, sizeof(s));
	s.io = UM_CODE_STDIN;
	s.tests = st;
	s.n_tests = 2;
	assert_int_equal(grade(&s, "a, b = map(int, input().split())\nprint(a + b)\n", 5000, &d), 1);
	assert_string_equal(verdict_of(d, 1), "passed");
	json_decref(d);
	/* the prelude's names are there without an import, as in LCB */
	assert_int_equal(grade(&s, "a, b = map(int, stdin.readline().split())\nprint(gcd(a, a) + b)\n",
			       5000, &d), 1);
	json_decref(d);
	assert_int_equal(grade(&s, "print(5)\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "passed");
	assert_string_equal(verdict_of(d, 1), "wrong_answer");
	json_decref(d);
	assert_int_equal(grade(&s, "exit()\n", 5000, &d), 0); /* SystemExit ends it normally */
	assert_string_equal(verdict_of(d, 0), "wrong_answer");
	json_decref(d);
	assert_int_equal(grade(&s, "print(1/0)\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "runtime_error");
	assert_string_equal(verdict_of(d, 1), "not_run");
	json_decref(d);
	assert_int_equal(grade(&s, "def f(:\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "compile_error");
	json_decref(d);
	assert_int_equal(grade(&s, "while True:\n    pass\n", 700, &d), 0);
	assert_string_equal(verdict_of(d, 0), "time_limit");
	json_decref(d);
	assert_int_equal(grade(&s, "x = bytearray(2 << 30)\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "memory_limit");
	json_decref(d);

	memset(&c, 0, sizeof(c));
	c.io = UM_CODE_CALL;
	c.func_name = (char *)"sortIt";
	c.tests = ct;
	c.n_tests = 2;
	assert_int_equal(grade(&c, "class Solution:\n    def sortIt(self, a):\n        print('debug')\n"
				   "        return tuple(sorted(a))\n", 5000, &d), 1);
	json_decref(d);
	assert_int_equal(grade(&c, "def sortIt(a):\n    return sorted(a)\n", 5000, &d), 1);
	json_decref(d);
	assert_int_equal(grade(&c, "def sortIt(a):\n    return set(a)\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "wrong_answer");
	json_decref(d);
	assert_int_equal(grade(&c, "def other(a):\n    return a\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "runtime_error");
	json_decref(d);
}

/* C++: compiled once in the sandbox, then run per test. */
static void test_sandbox_cpp(void **state)
{
	um_code_test st[2] = {{(char *)"2 3\n", (char *)"5\n"}, {(char *)"10 -4\n", (char *)"6\n"}};
	um_code_item s;
	um_error err = {0};
	json_t *d;

	(void)state;
	if (sandbox_driver_available("bwrap", &err) != 1 || access("/usr/bin/g++", X_OK)) {
		skip();
		return;
	}
	memset(&s, 0, sizeof(s));
	s.io = UM_CODE_STDIN;
	s.tests = st;
	s.n_tests = 2;
	assert_int_equal(grade_in(UM_CODE_CPP, &s,
				  "#include <cstdio>\nint main() { long a, b; "
				  "if (scanf(\"%ld %ld\", &a, &b) != 2) return 1; "
				  "printf(\"%ld\\n\", a + b); }\n", 5000, &d),
			 1);
	assert_true(json_is_true(json_object_get(json_object_get(d, "compile"), "ok")));
	json_decref(d);
	assert_int_equal(grade_in(UM_CODE_CPP, &s, "int main() { return x; }\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "compile_error");
	assert_string_equal(verdict_of(d, 1), "not_run");
	assert_non_null(strstr(json_string_value(json_object_get(
				       json_array_get(json_object_get(d, "tests"), 0), "why")),
			       "solution.cpp:1:21: error:"));
	json_decref(d);
	/* exit status 3 is a runtime error here: there is no harness */
	assert_int_equal(grade_in(UM_CODE_CPP, &s, "int main() { return 3; }\n", 5000, &d), 0);
	assert_string_equal(verdict_of(d, 0), "runtime_error");
	json_decref(d);
	assert_int_equal(grade_in(UM_CODE_CPP, &s, "int main() { volatile int x = 0; for (;;) x++; }\n", 700, &d), 0);
	assert_string_equal(verdict_of(d, 0), "time_limit");
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),     cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_json),        cmocka_unit_test(test_classify),
		cmocka_unit_test(test_from_detail), cmocka_unit_test(test_sandbox_runs),
		cmocka_unit_test(test_sandbox_cpp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
