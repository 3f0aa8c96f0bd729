/*
 * test_codeset.c - LiveCodeBench's code_generation_lite JSONL: the release
 * form (tests and metadata as JSON text in strings) and the decoded form,
 * the refusal of the compressed pickle form with its line, and garbage,
 * each error at file:line:col.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "load/codeset.h"
#include "load/dataset.h"

static char *slurp(const char *name, size_t *len)
{
	char *path = um_xasprintf("%s/code/%s", FIXTURES, name), *data = NULL;
	um_error err = {0};

	if (um_read_file(path, &data, len, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	free(path);
	return data;
}

static void test_release(void **state)
{
	size_t len, n;
	char *data = slurp("lcb_release.jsonl", &len);
	um_item *items;
	int *lines;
	um_error err = {0};
	const um_code_item *c;

	(void)state;
	assert_int_equal(codeset_parse_lcb("lcb_release.jsonl", data, len, &items, &n, &lines, &err),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(items[0].id, "fx-1");
	assert_string_equal(items[0].category, "easy");
	assert_string_equal(items[0].subcategory, "codeforces");
	c = items[0].code;
	assert_int_equal(c->io, UM_CODE_STDIN);
	assert_null(c->func_name);
	assert_int_equal(c->n_tests, 3);
	assert_int_equal(c->n_public, 1);
	assert_string_equal(c->tests[1].input, "2\n");
	assert_string_equal(c->tests[2].output, "NO\n");
	assert_string_equal(c->date, "2024-08-03");
	assert_string_equal(c->starter_code, "");
	c = items[1].code;
	assert_int_equal(c->io, UM_CODE_CALL);
	assert_string_equal(c->func_name, "digitSum");
	assert_string_equal(c->date, "2024-12-14");
	assert_non_null(strstr(c->starter_code, "class Solution"));
	/* decoded arrays and objects, an integer id */
	assert_string_equal(items[2].id, "3003");
	assert_string_equal(items[2].code->func_name, "clamp");
	assert_string_equal(items[2].code->tests[0].input, "5\n0\n3");
	assert_int_equal(lines[2], 3);
	dataset_items_free(items, n);
	free(lines);
	free(data);
}

static void expect_error(const char *text, const char *want)
{
	um_item *items = (um_item *)1;
	size_t n = 7;
	um_error err = {0};

	assert_int_equal(codeset_parse_lcb("p.jsonl", text, strlen(text), &items, &n, NULL, &err),
			 -1);
	assert_null(items);
	assert_int_equal(n, 0);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_fixture_errors(void **state)
{
	size_t len;
	char *data;

	(void)state;
	data = slurp("lcb_pickled.jsonl", &len);
	expect_error(data, "p.jsonl:2:");
	expect_error(data, "'private_test_cases' is in the release's compressed form");
	free(data);
	data = slurp("lcb_garbage.jsonl", &len);
	expect_error(data, "p.jsonl:3:150: invalid JSON");
	free(data);
}

#define OK_TESTS                                                                             \
	"\"public_test_cases\": \"[{\\\"input\\\": \\\"1\\\\n\\\", \\\"output\\\": \\\"1\\\\n\\\", " \
	"\\\"testtype\\\": \\\"stdin\\\"}]\", \"private_test_cases\": \"[]\""
#define HEAD "{\"question_id\": \"q\", \"question_content\": \"Print it.\", \"difficulty\": \"easy\", "

static void test_garbage(void **state)
{
	(void)state;
	expect_error("[1, 2]\n", "p.jsonl:1:1: expected a JSON object");
	expect_error("\n\n{\"a\": 1, \"a\": 2}\n", "p.jsonl:3:");
	expect_error("{\"question_content\": \"x\"}", "p.jsonl:1: missing required key 'question_id'");
	expect_error(HEAD "\"contest_date\": \"2024-02-30\", " OK_TESTS "}",
		     "p.jsonl:1:77: 'contest_date' must be an ISO date");
	expect_error(HEAD "\"contest_date\": 20240101, " OK_TESTS "}", "must be an ISO date");
	expect_error(HEAD OK_TESTS "}", "missing required key 'contest_date'");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": \"[{\\\"input\"}",
		     "'public_test_cases' is a string but not JSON text");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": {}, "
			  "\"private_test_cases\": []}",
		     "'public_test_cases' must be a list of tests");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [{\"input\": 1}], "
			  "\"private_test_cases\": []}",
		     "public_test_cases[0] must be an object with string 'input'");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [{\"input\": \"1\", "
			  "\"output\": \"1\", \"testtype\": \"stdio\"}], \"private_test_cases\": []}",
		     "testtype must be stdin or functional, got 'stdio'");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [{\"input\": \"1\", "
			  "\"output\": \"1\", \"testtype\": \"stdin\"}], \"private_test_cases\": "
			  "[{\"input\": \"1\", \"output\": \"1\", \"testtype\": \"functional\"}], "
			  "\"metadata\": {\"func_name\": \"f\"}}",
		     "differs from the problem's earlier tests");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [{\"input\": \"1\", "
			  "\"output\": \"1\", \"testtype\": \"functional\"}], \"private_test_cases\": []}",
		     "has functional tests but no metadata.func_name");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [{\"input\": "
			  "\"[1]\\nnot json\", \"output\": \"1\", \"testtype\": \"functional\"}], "
			  "\"private_test_cases\": [], \"metadata\": \"{\\\"func_name\\\": \\\"f\\\"}\"}",
		     "public_test_cases[0]: input line 2 is not JSON");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [{\"input\": "
			  "\"1\", \"output\": \"{oops\", \"testtype\": \"functional\"}], "
			  "\"private_test_cases\": [], \"metadata\": {\"func_name\": \"f\"}}",
		     "a functional test's output must be JSON text");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", \"public_test_cases\": [], "
			  "\"private_test_cases\": []}",
		     "problem 'q' has no tests");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", " OK_TESTS ", \"metadata\": [1]}",
		     "'metadata' must be an object");
	expect_error("{\"question_id\": \"\", \"question_content\": \"x\", \"difficulty\": \"easy\"}",
		     "'question_id' must not be empty");
	expect_error("{\"question_id\": \"q\", \"question_content\": \"x\", \"difficulty\": \"\"}",
		     "'difficulty' must not be empty");
	expect_error("{\"question_id\": [\"q\"], \"question_content\": \"x\"}",
		     "p.jsonl:1:2: 'question_id' must be a string");
	expect_error("{\"question_id\": \"q\", \"question_content\": \"a\\u0000b\"}", "p.jsonl:1:");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", " OK_TESTS ", \"time_limit_s\": 0}",
		     "'time_limit_s' must be a number of seconds between 0.1 and 600");
	expect_error(HEAD "\"contest_date\": \"2024-01-01\", " OK_TESTS ", \"memory_mb\": 2.5}",
		     "'memory_mb' must be an integer between 16 and 1048576");
}

static void test_limits(void **state)
{
	const char *text = HEAD "\"contest_date\": \"2024-01-01\", " OK_TESTS
			   ", \"time_limit_s\": 2.5, \"memory_mb\": 256}\n" HEAD
			   "\"question_id\": \"r\", \"contest_date\": \"2024-01-01\", " OK_TESTS "}";
	um_item *items;
	size_t n;
	um_error err = {0};

	(void)state;
	/* a key given twice is an error, at its line */
	assert_int_equal(codeset_parse_lcb("p.jsonl", text, strlen(text), &items, &n, NULL, &err),
			 -1);
	assert_non_null(strstr(err.msg, "p.jsonl:2:"));
	text = HEAD "\"contest_date\": \"2024-01-01\", " OK_TESTS
	       ", \"time_limit_s\": 2.5, \"memory_mb\": 256}";
	assert_int_equal(codeset_parse_lcb("p.jsonl", text, strlen(text), &items, &n, NULL, &err), 0);
	assert_int_equal(items[0].code->time_limit_ms, 2500);
	assert_int_equal(items[0].code->memory_mb, 256);
	dataset_items_free(items, n);
}

static void test_dates(void **state)
{
	(void)state;
	assert_true(codeset_date_ok("2024-02-29"));
	assert_false(codeset_date_ok("2023-02-29"));
	assert_true(codeset_date_ok("2000-02-29"));
	assert_false(codeset_date_ok("1900-02-29"));
	assert_false(codeset_date_ok("2024-04-31"));
	assert_false(codeset_date_ok("2024-1-01"));
	assert_false(codeset_date_ok("2024-01-01T00"));
	assert_false(codeset_date_ok(""));
	assert_false(codeset_date_ok(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_fixture_errors),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_dates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
