/*
 * test_swe_grade.c - the grading logic of repository-repair tasks: every
 * log parser on realistic logs (parametrised names, names with spaces and
 * trailing blanks, subtests, failing and erroring tests, colour codes, CRLF),
 * the strict command-output parser and its errors, resolution under exact
 * and whitespace matching, binary stripping and file lists on a realistic
 * diff, the Python-literal name lists, and every input path fed random and
 * mutated bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <unistd.h>

#include "grade/swe_grade.h"
#include "base/util.h"

#define FIX FIXTURES "/swe_grade"

static char *fixture(const char *name, size_t *len)
{
	um_error err = {0};
	char *path = um_xasprintf("%s/%s", FIX, name);
	char *data = NULL;
	size_t n = 0;

	if (um_read_file(path, &data, &n, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	free(path);
	if (len)
		*len = n;
	return data;
}

/* The status of name, or -1 when the log does not have it. */
static int status_of(const swe_results *r, const char *name)
{
	const swe_result *x = swe_results_find(r, name);
	return x ? (int)x->status : -1;
}

static void parse_fixture(swe_log_format fmt, const char *name, swe_results *r)
{
	size_t len;
	char *log = fixture(name, &len);
	um_error err = {0};

	assert_int_equal(swe_parse_log(fmt, log, len, r, &err), 0);
	free(log);
}

/* ---- outcome names, formats, rules ---- */

static void test_names_and_enums(void **state)
{
	swe_log_format f;
	swe_match m;
	um_error err = {0};
	int i;

	(void)state;
	for (i = 0; i < SWE_LOG__COUNT; i++) {
		assert_int_equal(swe_log_format_parse(swe_log_format_name((swe_log_format)i), &f,
						      &err),
				 0);
		assert_int_equal(f, i);
	}
	assert_int_equal(swe_log_format_parse("junit", &f, &err), -1);
	assert_non_null(strstr(err.msg, "\"junit\""));
	assert_int_equal(swe_log_format_parse(NULL, &f, &err), -1);
	assert_int_equal(swe_match_parse("whitespace", &m, &err), 0);
	assert_int_equal(m, SWE_MATCH_WHITESPACE);
	assert_int_equal(swe_match_parse("exact", &m, &err), 0);
	assert_int_equal(m, SWE_MATCH_EXACT);
	assert_int_equal(swe_match_parse("fuzzy", &m, &err), -1);
	assert_string_equal(swe_match_name(SWE_MATCH_WHITESPACE), "whitespace");
	assert_string_equal(swe_status_name(SWE_XFAIL), "XFAIL");
	assert_string_equal(swe_status_name(SWE_TODO), "TODO");
	assert_string_equal(swe_status_name((swe_status)99), "?");
	assert_true(swe_status_passed(SWE_PASSED));
	assert_true(swe_status_passed(SWE_XFAIL));
	assert_false(swe_status_passed(SWE_XPASS));
	assert_false(swe_status_passed(SWE_SKIPPED));
	assert_false(swe_status_passed(SWE_TODO));
	assert_false(swe_status_passed(SWE_ERROR));
}

static void test_results_override_and_grow(void **state)
{
	swe_results r;
	char name[32];
	int i;

	(void)state;
	swe_results_init(&r);
	for (i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		swe_results_set(&r, name, strlen(name), SWE_FAILED);
	}
	swe_results_set(&r, "t17", 3, SWE_PASSED);
	swe_results_set(&r, "t17 ", 4, SWE_ERROR);
	assert_int_equal(r.n, 5001);
	assert_string_equal(r.v[17].name, "t17"); /* first appearance keeps its place */
	assert_int_equal(status_of(&r, "t17"), SWE_PASSED);
	assert_int_equal(status_of(&r, "t17 "), SWE_ERROR);
	assert_int_equal(status_of(&r, "t4999"), SWE_FAILED);
	assert_int_equal(status_of(&r, "t5000"), -1);
	swe_results_release(&r);
	assert_int_equal(r.n, 0);
	assert_null(swe_results_find(&r, "t1"));
}

/* ---- pytest ---- */

static void test_pytest_summary(void **state)
{
	swe_results r;

	(void)state;
	parse_fixture(SWE_LOG_PYTEST, "pytest_rA.log", &r);
	assert_int_equal(r.n, 13);
	assert_string_equal(r.v[0].name, "tests/test_wrap.py::test_wrap_empty");
	assert_int_equal(status_of(&r, "tests/test_wrap.py::test_wrap_short"), SWE_PASSED);
	/* parametrised, with spaces and " - " inside the brackets */
	assert_int_equal(status_of(&r, "tests/test_wrap.py::test_wrap_words[hello world-5-expected0]"),
			 SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_pad.py::test_pad[1-2-3]"), SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_pad.py::test_pad[a b-c-d]"), SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_pad.py::test_center[x - y]"), SWE_PASSED);
	/* the trailing blank of the log line is kept in the raw name */
	assert_int_equal(status_of(&r, "tests/test_cli.py::test_help "), SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_cli.py::test_help"), -1);
	/* failures: the name ends before " - reason" */
	assert_int_equal(status_of(&r, "tests/test_wrap.py::test_wrap_long"), SWE_FAILED);
	assert_int_equal(status_of(&r, "tests/test_cli.py::test_version_flag"), SWE_ERROR);
	assert_int_equal(status_of(&r, "tests/test_pad.py::test_pad_unicode"), SWE_XFAIL);
	assert_int_equal(status_of(&r, "tests/test_pad.py::test_pad_tabs"), SWE_XPASS);
	/* "SKIPPED [1] file:line: reason" names a location, not a test */
	assert_int_equal(status_of(&r, "tests/test_wrap.py:40"), -1);
	swe_results_release(&r);
}

static void test_pytest_verbose(void **state)
{
	swe_results r;
	size_t i;

	(void)state;
	parse_fixture(SWE_LOG_PYTEST, "pytest_verbose.log", &r);
	assert_int_equal(r.n, 9);
	for (i = 0; i < r.n; i++)
		assert_null(strchr(r.v[i].name, '\r'));
	assert_int_equal(status_of(&r, "tests/test_slug.py::test_slug_basic"), SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_slug.py::test_slug[Hello World-hello-world]"),
			 SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_slug.py::test_slug[  spaced  out  -spaced-out]"),
			 SWE_FAILED);
	assert_int_equal(status_of(&r, "tests/test_slug.py::test_slug_unicode"), SWE_SKIPPED);
	assert_int_equal(status_of(&r, "tests/test_slug.py::test_slug_legacy"), SWE_XFAIL);
	/* coloured status word */
	assert_int_equal(status_of(&r, "tests/test_slug.py::test_slug_max_len"), SWE_PASSED);
	/* passed, then errored at teardown: the later line wins */
	assert_int_equal(status_of(&r, "tests/test_db.py::test_connect"), SWE_ERROR);
	assert_int_equal(status_of(&r, "tests/test_db.py::TestMigrations::test_upgrade"),
			 SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/test_db.py::TestMigrations::test_downgrade"),
			 SWE_FAILED);
	swe_results_release(&r);
}

static void test_pytest_edge_lines(void **state)
{
	const char *log = "tests/a.py::test_x  PASSED [ 10%]\n"
			  "tests/a.py::test_y[PASSED b] FAILED\n"
			  "[gw1] [ 50%] PASSED tests/b.py::test_par[1]\n"
			  "SKIPPED [2] tests/c.py::test_s[a: b]: no network\n"
			  "FAILED\n"
			  "PASSED \n"
			  "The build PASSED quickly\n"
			  "ERROR: file or directory not found: tests/nope.py\n"
			  "tests/d.py::test_z PASSED trailing words\n";
	swe_results r;

	(void)state;
	assert_int_equal(swe_parse_pytest(log, strlen(log), &r), 0);
	assert_int_equal(status_of(&r, "tests/a.py::test_x "), SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/a.py::test_y[PASSED b]"), SWE_FAILED);
	assert_int_equal(status_of(&r, "tests/b.py::test_par[1]"), SWE_PASSED);
	assert_int_equal(status_of(&r, "tests/c.py::test_s[a: b]"), SWE_SKIPPED);
	assert_int_equal(r.n, 4);
	swe_results_release(&r);
}

/* ---- go ---- */

static void test_go_test_verbose(void **state)
{
	swe_results r;

	(void)state;
	parse_fixture(SWE_LOG_GO_TEST, "go_test_v.log", &r);
	assert_int_equal(r.n, 9);
	assert_int_equal(status_of(&r, "TestRingPush"), SWE_PASSED);
	assert_int_equal(status_of(&r, "TestRingWrap"), SWE_FAILED);
	assert_int_equal(status_of(&r, "TestRingWrap/empty"), SWE_PASSED);
	assert_int_equal(status_of(&r, "TestRingWrap/full_buffer"), SWE_FAILED);
	assert_int_equal(status_of(&r, "TestRingWrap/one_slot"), SWE_PASSED);
	assert_int_equal(status_of(&r, "TestRingResize"), SWE_SKIPPED);
	/* the result line came after output without a newline */
	assert_int_equal(status_of(&r, "TestRingConcurrent"), SWE_PASSED);
	assert_int_equal(status_of(&r, "TestQueueDrain"), SWE_PASSED);
	/* started, never finished: the binary timed out */
	assert_int_equal(status_of(&r, "TestQueueBlock"), SWE_ERROR);
	swe_results_release(&r);
}

static void test_go_test_json(void **state)
{
	swe_results r;

	(void)state;
	parse_fixture(SWE_LOG_GO_TEST_JSON, "go_test.json", &r);
	assert_int_equal(r.n, 6);
	assert_int_equal(status_of(&r, "TestRingPush"), SWE_PASSED);
	assert_int_equal(status_of(&r, "TestRingWrap"), SWE_FAILED);
	assert_int_equal(status_of(&r, "TestRingWrap/empty"), SWE_PASSED);
	assert_int_equal(status_of(&r, "TestRingWrap/full_buffer"), SWE_FAILED);
	assert_int_equal(status_of(&r, "TestRingResize"), SWE_SKIPPED);
	assert_int_equal(status_of(&r, "TestRingHang"), SWE_ERROR);
	swe_results_release(&r);
}

/* ---- jest ---- */

/* SWE-Bench Pro names a jest test "FILE | ancestor | ... | title" */
#define CART "/work/src/__tests__/cart.test.js | Cart | "
#define PRICE "/work/src/__tests__/price.test.js | price | "
static void check_jest(const swe_results *r)
{
	assert_int_equal(r->n, 8);
	assert_int_equal(status_of(r, CART "add() | adds an item"), SWE_PASSED);
	assert_int_equal(status_of(r, CART "add() | merges duplicates "), SWE_FAILED);
	assert_int_equal(status_of(r, CART "add() | merges duplicates"), -1);
	assert_int_equal(status_of(r, CART "total() |   applies  discounts"), SWE_PASSED);
	assert_int_equal(status_of(r, CART "persists to storage"), SWE_SKIPPED);
	/* todo is no status the official parsers know: ERROR */
	assert_int_equal(status_of(r, CART "supports coupons"), SWE_ERROR);
	assert_int_equal(status_of(r, PRICE "formats cents"), SWE_PASSED);
	assert_int_equal(status_of(r, PRICE "rounds half even"), SWE_FAILED);
	assert_int_equal(status_of(r, PRICE "handles negatives"), SWE_PASSED);
	/* the bare full name is not the official name */
	assert_int_equal(status_of(r, "Cart add() adds an item"), -1);
}

static void test_jest_json(void **state)
{
	swe_results r;
	size_t len;
	char *log = fixture("jest.json", &len);
	char *doc = strstr(log, "\n{\n") + 1;

	(void)state;
	/* after npm's and console's output */
	assert_int_equal(swe_parse_jest_json(log, len, &r), 0);
	check_jest(&r);
	swe_results_release(&r);
	/* the bare document */
	assert_int_equal(swe_parse_jest_json(doc, strlen(doc), &r), 0);
	check_jest(&r);
	swe_results_release(&r);
	/* a JSON document that is not jest's */
	assert_int_equal(swe_parse_jest_json("{\"a\": 1}\n", 9, &r), 0);
	assert_int_equal(r.n, 0);
	swe_results_release(&r);
	free(log);
}

/* ---- TAP ---- */

static void test_tap(void **state)
{
	swe_results r;

	(void)state;
	parse_fixture(SWE_LOG_TAP, "tap.log", &r);
	assert_int_equal(r.n, 10);
	assert_string_equal(r.v[0].name, "parses empty file");
	assert_int_equal(status_of(&r, "parses key = value"), SWE_PASSED);
	assert_int_equal(status_of(&r, "rejects duplicate keys"), SWE_FAILED);
	assert_int_equal(status_of(&r, "handles # in values"), SWE_PASSED);
	assert_int_equal(status_of(&r, "reads includes"), SWE_SKIPPED);
	assert_int_equal(status_of(&r, "expands ${HOME}"), SWE_TODO);
	assert_int_equal(status_of(&r, "trailing blanks   "), SWE_PASSED);
	assert_int_equal(status_of(&r, "8"), SWE_PASSED); /* no description: the number */
	assert_int_equal(status_of(&r, "issue #42 regression"), SWE_FAILED);
	assert_int_equal(status_of(&r, "nested"), SWE_PASSED);
	/* indented: YAML diagnostics and subtests are not test lines */
	assert_int_equal(status_of(&r, "not a test"), -1);
	assert_int_equal(status_of(&r, "inner case"), -1);
	swe_results_release(&r);
}

/* ---- command output ---- */

static void test_command_output(void **state)
{
	swe_results r;
	um_error err = {0};
	size_t len;
	char *text = fixture("command_map.json", &len);

	(void)state;
	assert_int_equal(swe_parse_log(SWE_LOG_COMMAND, text, len, &r, &err), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(status_of(&r, "test/user.js | User .create() should create a user"),
			 SWE_PASSED);
	assert_int_equal(status_of(&r, "test/user.js | User .create() should reject a taken name "),
			 SWE_FAILED);
	assert_int_equal(status_of(&r, "test/user.js | User .delete() should purge posts"),
			 SWE_SKIPPED);
	assert_int_equal(status_of(&r, "test/api.js | API should load the spec"), SWE_ERROR);
	swe_results_release(&r);
	free(text);

	/* SWE-Bench Pro's {"tests": [...]}; a later entry overrides */
	text = fixture("command_tests.json", &len);
	assert_int_equal(swe_parse_command_output(text, len, &r, &err), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(status_of(&r, "tests/test_io.py::test_read"), SWE_FAILED);
	assert_int_equal(status_of(&r, "tests/test_io.py::test_write"), SWE_FAILED);
	swe_results_release(&r);
	free(text);

	/* a test really called "tests" */
	assert_int_equal(swe_parse_command_output("{\"tests\": \"PASSED\"}", 19, &r, &err), 0);
	assert_int_equal(status_of(&r, "tests"), SWE_PASSED);
	swe_results_release(&r);
	assert_int_equal(swe_parse_command_output(" {} \n", 5, &r, &err), 0);
	assert_int_equal(r.n, 0);
	swe_results_release(&r);
}

static void expect_command_error(const char *text, const char *fragment)
{
	swe_results r;
	um_error err = {0};

	assert_int_equal(swe_parse_command_output(text, text ? strlen(text) : 0, &r, &err), -1);
	assert_int_equal(r.n, 0);
	if (!strstr(err.msg, fragment))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, fragment);
	swe_results_release(&r);
}

static void test_command_output_errors(void **state)
{
	(void)state;
	expect_command_error("{\"test_a\": \"PASSED\", \"test_b\": \"passed\"}", "key \"test_b\"");
	expect_command_error("{\"test_a\": true}", "key \"test_a\"");
	expect_command_error("{\"test_a\": \"XFAIL\"}", "key \"test_a\"");
	expect_command_error("{\"t\": \"PASSED\", \"t\": \"FAILED\"}", "duplicate");
	expect_command_error("{\"\": \"PASSED\"}", "empty test name");
	expect_command_error("[\"PASSED\"]", "expected a JSON object");
	expect_command_error("collected 3 items\n{\"t\": \"PASSED\"}", "line 1");
	expect_command_error("{\"t\": \"PASSED\"} trailing", "parser output");
	expect_command_error("", "parser output");
	expect_command_error(NULL, "nothing was printed");
	expect_command_error("{\"tests\": [{\"name\": \"a\", \"status\": \"OK\"}]}", "tests[0]");
	expect_command_error("{\"tests\": [{\"status\": \"PASSED\"}]}", "tests[0]");
	expect_command_error("{\"tests\": [\"a\"]}", "tests[0]");
}

/* ---- resolution ---- */

static swe_name_list names(char *const *v, size_t n)
{
	swe_name_list l = {v, n};
	return l;
}

static void test_resolve_exact_vs_whitespace(void **state)
{
	swe_results r;
	swe_resolution res;
	char *f2p[] = {"tests/test_cli.py::test_help"};
	char *p2p[] = {"tests/test_pad.py::test_pad[1-2-3]", "tests/test_pad.py::test_pad_unicode"};
	swe_name_list lf = names(f2p, 1), lp = names(p2p, 2);

	(void)state;
	parse_fixture(SWE_LOG_PYTEST, "pytest_rA.log", &r);
	/* the log says "test_help " (trailing blank): exact matching misses it */
	assert_false(swe_resolve(&r, &lf, &lp, SWE_MATCH_EXACT, &res));
	assert_int_equal(res.fail_to_pass.n_missing, 1);
	assert_string_equal(res.fail_to_pass.missing[0], "tests/test_cli.py::test_help");
	assert_int_equal(res.fail_to_pass.n_passed, 0);
	assert_int_equal(res.pass_to_pass.n_passed, 2); /* XFAIL counts as passed */
	swe_resolution_release(&res);
	assert_true(swe_resolve(&r, &lf, &lp, SWE_MATCH_WHITESPACE, &res));
	assert_int_equal(res.fail_to_pass.n_passed, 1);
	assert_string_equal(res.fail_to_pass.passed[0], "tests/test_cli.py::test_help");
	assert_int_equal(res.fail_to_pass.n_missing + res.fail_to_pass.n_failed, 0);
	swe_resolution_release(&res);
	swe_results_release(&r);
}

static void test_resolve_expected_name_has_blank(void **state)
{
	/* the dataset's name ends in a blank that the log does not print */
	swe_results r;
	swe_resolution res;
	char *f2p[] = {CART "add() | adds an item ", CART "total() | applies discounts"};
	swe_name_list lf = names(f2p, 2);

	(void)state;
	parse_fixture(SWE_LOG_JEST_JSON, "jest.json", &r);
	assert_false(swe_resolve(&r, &lf, NULL, SWE_MATCH_EXACT, &res));
	assert_int_equal(res.fail_to_pass.n_missing, 2);
	swe_resolution_release(&res);
	/* whitespace: trailing blank trimmed, inner runs collapsed on both sides */
	assert_true(swe_resolve(&r, &lf, NULL, SWE_MATCH_WHITESPACE, &res));
	assert_int_equal(res.fail_to_pass.n_passed, 2);
	swe_resolution_release(&res);
	swe_results_release(&r);
}

static void test_resolve_failures_and_missing(void **state)
{
	swe_results r;
	swe_resolution res;
	char *f2p[] = {"TestRingWrap/full_buffer", "TestRingWrap/empty", "TestRingGrow"};
	char *p2p[] = {"TestRingPush", "TestRingResize", "TestQueueBlock"};
	char *p2p_ok[] = {"TestRingPush", "TestQueueDrain"};
	char *f2p_ok[] = {"TestRingWrap/one_slot"};
	swe_name_list lf = names(f2p, 3), lp = names(p2p, 3);
	swe_name_list lf_ok = names(f2p_ok, 1), lp_ok = names(p2p_ok, 2);

	(void)state;
	parse_fixture(SWE_LOG_GO_TEST, "go_test_v.log", &r);
	assert_false(swe_resolve(&r, &lf, &lp, SWE_MATCH_EXACT, &res));
	assert_false(res.resolved);
	assert_int_equal(res.fail_to_pass.n_failed, 1);
	assert_string_equal(res.fail_to_pass.failed[0], "TestRingWrap/full_buffer");
	assert_int_equal(res.fail_to_pass.failed_status[0], SWE_FAILED);
	assert_int_equal(res.fail_to_pass.n_passed, 1);
	assert_int_equal(res.fail_to_pass.n_missing, 1);
	assert_string_equal(res.fail_to_pass.missing[0], "TestRingGrow");
	assert_int_equal(res.pass_to_pass.n_passed, 1);
	assert_int_equal(res.pass_to_pass.n_failed, 2);
	assert_int_equal(res.pass_to_pass.failed_status[0], SWE_SKIPPED);
	assert_int_equal(res.pass_to_pass.failed_status[1], SWE_ERROR);
	swe_resolution_release(&res);

	assert_true(swe_resolve(&r, &lf_ok, &lp_ok, SWE_MATCH_EXACT, &res));
	swe_resolution_release(&res);
	/* a failing PASS_TO_PASS alone is enough to fail */
	assert_false(swe_resolve(&r, &lf_ok, &lp, SWE_MATCH_EXACT, &res));
	swe_resolution_release(&res);
	/* an empty FAIL_TO_PASS never resolves; nor does an empty log */
	lf_ok.n = 0;
	assert_false(swe_resolve(&r, &lf_ok, &lp_ok, SWE_MATCH_EXACT, &res));
	swe_resolution_release(&res);
	assert_false(swe_resolve(&r, NULL, NULL, SWE_MATCH_WHITESPACE, &res));
	swe_resolution_release(&res);
	lf_ok.n = 1;
	assert_false(swe_resolve(NULL, &lf_ok, NULL, SWE_MATCH_EXACT, &res));
	assert_int_equal(res.fail_to_pass.n_missing, 1);
	swe_resolution_release(&res);
	swe_results_release(&r);
}

static void test_resolve_non_passing_outcomes(void **state)
{
	swe_results r;
	swe_resolution res;
	char *todo[] = {"expands ${HOME}"}, *skip[] = {"reads includes"};
	char *xpass[] = {"tests/test_pad.py::test_pad_tabs"};
	swe_name_list l;

	(void)state;
	parse_fixture(SWE_LOG_TAP, "tap.log", &r);
	l = names(todo, 1);
	assert_false(swe_resolve(&r, &l, NULL, SWE_MATCH_EXACT, &res));
	assert_int_equal(res.fail_to_pass.failed_status[0], SWE_TODO);
	swe_resolution_release(&res);
	l = names(skip, 1);
	assert_false(swe_resolve(&r, &l, NULL, SWE_MATCH_EXACT, &res));
	swe_resolution_release(&res);
	swe_results_release(&r);
	parse_fixture(SWE_LOG_PYTEST, "pytest_rA.log", &r);
	l = names(xpass, 1);
	assert_false(swe_resolve(&r, &l, NULL, SWE_MATCH_EXACT, &res));
	assert_int_equal(res.fail_to_pass.failed_status[0], SWE_XPASS);
	swe_resolution_release(&res);
	swe_results_release(&r);
}

static void test_resolve_whitespace_collision(void **state)
{
	/* two log entries that normalise alike: the name passes only if both did */
	swe_results r;
	swe_resolution res;
	char *f2p[] = {"suite a b"};
	swe_name_list l = names(f2p, 1);

	(void)state;
	swe_results_init(&r);
	swe_results_set(&r, "suite a b", 9, SWE_PASSED);
	swe_results_set(&r, "suite  a\tb ", 11, SWE_FAILED);
	assert_true(swe_resolve(&r, &l, NULL, SWE_MATCH_EXACT, &res));
	swe_resolution_release(&res);
	assert_false(swe_resolve(&r, &l, NULL, SWE_MATCH_WHITESPACE, &res));
	assert_int_equal(res.fail_to_pass.failed_status[0], SWE_FAILED);
	swe_resolution_release(&res);
	swe_results_release(&r);
}

static void test_name_normalize(void **state)
{
	char *s;

	(void)state;
	s = swe_name_normalize("  a \t\n b  c\r\n");
	assert_string_equal(s, "a b c");
	free(s);
	s = swe_name_normalize(" \t ");
	assert_string_equal(s, "");
	free(s);
	s = swe_name_normalize("x[a  b]");
	assert_string_equal(s, "x[a b]");
	free(s);
}

/* ---- patches ---- */

static void test_strip_binary(void **state)
{
	size_t len, want_len;
	char *diff = fixture("model.diff", &len);
	char *want = fixture("model.stripped.diff", &want_len);
	char *got = swe_strip_binary(diff), *again;

	(void)state;
	assert_int_equal(strlen(got), want_len);
	assert_memory_equal(got, want, want_len);
	/* idempotent, and a diff without binary sections is copied unchanged */
	again = swe_strip_binary(got);
	assert_string_equal(again, want);
	free(again);
	free(got);
	/* preamble kept; CRLF sections; only-binary gives the preamble */
	got = swe_strip_binary("From: dev\r\n\r\ndiff --git a/x.png b/x.png\r\nindex 1..2 100644\r\n"
			       "Binary files a/x.png and b/x.png differ\r\n"
			       "diff --git a/y b/y\r\n--- a/y\r\n+++ b/y\r\n@@ -1 +1 @@\r\n-a\r\n+b\r\n");
	assert_string_equal(got, "From: dev\r\n\r\ndiff --git a/y b/y\r\n--- a/y\r\n+++ b/y\r\n"
				 "@@ -1 +1 @@\r\n-a\r\n+b\r\n");
	free(got);
	got = swe_strip_binary("diff --git a/x.png b/x.png\nGIT binary patch\nliteral 3\nKcmZ>\n");
	assert_string_equal(got, "");
	free(got);
	/* a text hunk that mentions the markers stays */
	got = swe_strip_binary("diff --git a/t b/t\n--- a/t\n+++ b/t\n@@ -1 +1 @@\n"
			       "-Binary files a and b differ\n+GIT binary patch");
	assert_non_null(strstr(got, "+GIT binary patch"));
	free(got);
	assert_null(swe_strip_binary(NULL));
	free(diff);
	free(want);
}

static void check_file(const swe_patch_file *f, const char *old_path, const char *new_path,
		       swe_change change, bool binary)
{
	if (old_path)
		assert_string_equal(f->old_path, old_path);
	else
		assert_null(f->old_path);
	if (new_path)
		assert_string_equal(f->new_path, new_path);
	else
		assert_null(f->new_path);
	assert_int_equal(f->change, change);
	assert_int_equal(f->binary, binary);
}

static void test_patch_files(void **state)
{
	char *diff = fixture("model.diff", NULL);
	char *stripped = swe_strip_binary(diff);
	swe_patch_file *f;
	size_t n;
	um_error err = {0};

	(void)state;
	assert_int_equal(swe_patch_files(diff, &f, &n, &err), 0);
	assert_int_equal(n, 10);
	check_file(&f[0], "db/schema.sql", "db/schema.sql", SWE_CHANGE_MODIFY, false);
	check_file(&f[1], "assets/logo.png", "assets/logo.png", SWE_CHANGE_MODIFY, true);
	check_file(&f[2], NULL, "src/ring.c", SWE_CHANGE_ADD, false);
	check_file(&f[3], NULL, "tests/data/frame.bin", SWE_CHANGE_ADD, true);
	check_file(&f[4], "src/old_queue.c", NULL, SWE_CHANGE_DELETE, false);
	check_file(&f[5], "src/util.h", "include/ring/util.h", SWE_CHANGE_RENAME, false);
	check_file(&f[6], "docs/notes.md", "docs/design notes.md", SWE_CHANGE_RENAME, false);
	check_file(&f[7], "scripts/run tests.sh", "scripts/run tests.sh", SWE_CHANGE_MODIFY, false);
	check_file(&f[8], "docs/caf\xc3\xa9.md", "docs/caf\xc3\xa9.md", SWE_CHANGE_MODIFY, false);
	check_file(&f[9], "assets/old.ico", NULL, SWE_CHANGE_DELETE, true);
	swe_patch_files_free(f, n);

	assert_int_equal(swe_patch_files(stripped, &f, &n, &err), 0);
	assert_int_equal(n, 7);
	check_file(&f[1], NULL, "src/ring.c", SWE_CHANGE_ADD, false);
	check_file(&f[6], "docs/caf\xc3\xa9.md", "docs/caf\xc3\xa9.md", SWE_CHANGE_MODIFY, false);
	swe_patch_files_free(f, n);
	free(stripped);
	free(diff);
}

static void test_patch_files_plain_diff(void **state)
{
	char *diff = fixture("plain.diff", NULL);
	swe_patch_file *f;
	size_t n;
	um_error err = {0};

	(void)state;
	/* the removed line "--- legacy" inside the hunk opens no section */
	assert_int_equal(swe_patch_files(diff, &f, &n, &err), 0);
	assert_int_equal(n, 2);
	check_file(&f[0], "lib/fmt.py", "lib/fmt.py", SWE_CHANGE_MODIFY, false);
	check_file(&f[1], "lib/new.py", "lib/new.py", SWE_CHANGE_MODIFY, false);
	swe_patch_files_free(f, n);
	free(diff);

	assert_int_equal(swe_patch_files("--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hi\n", &f,
					 &n, &err),
			 0);
	assert_int_equal(n, 1);
	check_file(&f[0], NULL, "new.txt", SWE_CHANGE_ADD, false);
	swe_patch_files_free(f, n);
}

static void test_patch_files_garbage(void **state)
{
	swe_patch_file *f;
	size_t n;
	um_error err = {0};

	(void)state;
	assert_int_equal(swe_patch_files("I changed ring.c to fix the wrap.\n", &f, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(f);
	assert_int_equal(swe_patch_files(NULL, &f, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(swe_patch_files("diff --git a/x b/x\n--- \"a/unterminated\n", &f, &n, &err),
			 -1);
	assert_non_null(strstr(err.msg, "line 2"));
	assert_null(f);
	assert_int_equal(swe_patch_files("diff --git \"a/\\q\" b/x\n", &f, &n, &err), -1);
	assert_non_null(strstr(err.msg, "line 1"));
	/* a hunk header that lies about its length does not swallow the next file */
	assert_int_equal(swe_patch_files("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,9 +1,9 @@\n"
					 "-x\n+y\ndiff --git a/b b/b\n--- a/b\n+++ b/b\n",
					 &f, &n, &err),
			 0);
	assert_int_equal(n, 2);
	check_file(&f[1], "b", "b", SWE_CHANGE_MODIFY, false);
	swe_patch_files_free(f, n);
}

static void test_patch_is_empty(void **state)
{
	char *diff = fixture("model.diff", NULL);
	char *bin_only = swe_strip_binary("diff --git a/x.png b/x.png\n"
					  "Binary files a/x.png and b/x.png differ\n");

	(void)state;
	assert_true(swe_patch_is_empty(NULL));
	assert_true(swe_patch_is_empty(""));
	assert_true(swe_patch_is_empty(" \n\t\n"));
	assert_true(swe_patch_is_empty("No changes were needed.\n"));
	assert_true(swe_patch_is_empty(bin_only));
	assert_false(swe_patch_is_empty(diff));
	assert_false(swe_patch_is_empty("diff --git a/m b/m\nold mode 100644\nnew mode 100755\n"));
	free(bin_only);
	free(diff);
}

/* ---- name lists ---- */

static void expect_list(const char *text, size_t want_n, const char *const *want)
{
	char **v;
	size_t n, i;
	um_error err = {0};

	if (swe_parse_name_list(text, &v, &n, &err) != 0)
		fail_msg("%s: %s", text, err.msg);
	assert_int_equal(n, want_n);
	for (i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	if (n == 0)
		assert_null(v);
	swe_name_list_free(v, n);
}

static void test_name_list_python(void **state)
{
	static const char *const two[] = {"tests/a.py::t1", "tests/b.py::t[x'y]"};
	static const char *const esc[] = {
		"a\nb", "tab\there", "A\xc3\xa9\xf0\x9f\x98\x80", "it's", "q\"q", "\\d+",
		"raw\\n", "uni", "A", "back\\slash", "a\\'b",
	};
	static const char *const spaced[] = {"test/user.js | User should create a user ",
					     "x  y"};

	(void)state;
	expect_list("['tests/a.py::t1', \"tests/b.py::t[x'y]\"]", 2, two);
	expect_list("['a\\nb', 'tab\\there', '\\x41\\u00e9\\U0001F600', 'it\\'s', \"q\\\"q\", "
		    "'\\d+', r'raw\\n', u'uni', '\\101', 'back\\\\slash', r'a\\'b']",
		    11, esc);
	/* unknown escape \d kept as written; raw strings keep backslashes */
	expect_list("[\n  'test/user.js | User should create a user ',\n  'x  y',\n]\n", 2, spaced);
	expect_list("[]", 0, NULL);
	expect_list("  [ ]  \n", 0, NULL);
	expect_list("['one', 'contin\\\nued']", 2, (const char *const[]){"one", "continued"});
}

static void test_name_list_json(void **state)
{
	(void)state;
	expect_list("[\"tests/a.py::t1\", \"tests/b.py::t[x'y]\"]", 2,
		    (const char *const[]){"tests/a.py::t1", "tests/b.py::t[x'y]"});
	/* JSON reading of "\/" (Python would keep the backslash) */
	expect_list("[\"a\\/b\", \"\\u00e9\"]", 2, (const char *const[]){"a/b", "\xc3\xa9"});
}

static void expect_list_error(const char *text, const char *fragment)
{
	char **v = (char **)1;
	size_t n = 99;
	um_error err = {0};

	assert_int_equal(swe_parse_name_list(text, &v, &n, &err), -1);
	assert_null(v);
	assert_int_equal(n, 0);
	if (!strstr(err.msg, fragment))
		fail_msg("%s: error \"%s\" lacks \"%s\"", text ? text : "(null)", err.msg,
			 fragment);
}

static void test_name_list_garbage(void **state)
{
	(void)state;
	expect_list_error(NULL, "no list");
	expect_list_error("", "empty");
	expect_list_error("   ", "col 4: empty");
	expect_list_error("tests/a.py::t1", "col 1: expected '['");
	expect_list_error("['a'", "col 5: unterminated list");
	expect_list_error("['a' 'b']", "col 6: expected ',' or ']'");
	expect_list_error("['a',, 'b']", "col 6: element 2");
	expect_list_error("[1, 2]", "element 1");
	expect_list_error("[\"a\", 1]", "element 2 is not a string");
	expect_list_error("[None]", "element 1");
	expect_list_error("['a'] x", "col 7: unexpected text");
	expect_list_error("['a\\x4']", "truncated \\x escape");
	expect_list_error("['a\\x00b']", "NUL character");
	expect_list_error("['\\0']", "NUL character");
	expect_list_error("['\\ud800']", "not a valid character");
	expect_list_error("['\\U00110000']", "not a valid character");
	expect_list_error("['\\N{BULLET}']", "not supported");
	expect_list_error("[b'x']", "only str literals");
	expect_list_error("['''x''']", "triple-quoted");
	expect_list_error("['a\nb']", "col 2: unterminated string");
	expect_list_error("['ok',\n 'bad]", "line 2 col 2: unterminated string");
	expect_list_error("['a\\", "unterminated string");
	expect_list_error("[r'a\\", "unterminated string");
	expect_list_error("{\"a\": 1}", "expected a list");
	expect_list_error("\"tests/a.py\"", "expected '['");
	expect_list_error("[['a']]", "element 1");
}

/* ---- random and mutated input ---- */

static void check_results(const swe_results *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		assert_true(r->v[i].name[0] != '\0');
		assert_true((unsigned)r->v[i].status < SWE_STATUS__COUNT);
		assert_ptr_equal(swe_results_find(r, r->v[i].name), &r->v[i]);
	}
}

/* Feed buf[0..len) (NUL-terminated at len) to every input path. */
static void feed_everything(const char *buf, size_t len)
{
	swe_results r;
	um_error err = {0};
	swe_patch_file *files;
	size_t n, i;
	char **v;
	char *s;
	int f, rc;

	for (f = 0; f < SWE_LOG__COUNT; f++) {
		rc = swe_parse_log((swe_log_format)f, buf, len, &r, &err);
		if (f != SWE_LOG_COMMAND)
			assert_int_equal(rc, 0);
		else
			assert_true(rc == 0 || r.n == 0);
		check_results(&r);
		swe_results_release(&r);
	}
	s = swe_strip_binary(buf);
	assert_true(strlen(s) <= strlen(buf));
	free(s);
	rc = swe_patch_files(buf, &files, &n, &err);
	assert_true(rc == 0 || (rc == -1 && n == 0 && !files));
	swe_patch_files_free(files, n);
	(void)swe_patch_is_empty(buf);
	rc = swe_parse_name_list(buf, &v, &n, &err);
	if (rc == 0)
		for (i = 0; i < n; i++)
			assert_non_null(v[i]);
	swe_name_list_free(v, n);
}

static void test_random_bytes(void **state)
{
	static const char alphabet[] = "ok not -#[]:'\"\\\n\r\t{}PASSEDFAILED::@ +-,0123456789";
	um_rng rng;
	char *buf = um_xmalloc(4097);
	int it;

	(void)state;
	um_rng_seed(&rng, 20240302);
	for (it = 0; it < 600; it++) {
		size_t len = (size_t)um_rng_below(&rng, 4096), i;
		int text = it % 2; /* half: bytes from a syntax-heavy alphabet */

		for (i = 0; i < len; i++)
			buf[i] = text ? alphabet[um_rng_below(&rng, sizeof(alphabet) - 1)]
				      : (char)um_rng_below(&rng, 256);
		buf[len] = '\0';
		feed_everything(buf, len); /* may hold NULs before len */
	}
	free(buf);
}

static void test_mutated_fixtures(void **state)
{
	static const char *const files[] = {
		"pytest_rA.log", "pytest_verbose.log", "go_test_v.log", "go_test.json",
		"jest.json", "tap.log", "command_map.json", "command_tests.json",
		"model.diff", "plain.diff",
	};
	um_rng rng;
	size_t k;
	int it;

	(void)state;
	um_rng_seed(&rng, 7);
	for (k = 0; k < UM_ARRAY_LEN(files); k++) {
		size_t len;
		char *orig = fixture(files[k], &len);
		char *buf = um_xmalloc(len + 1);

		for (it = 0; it < 60; it++) {
			size_t flips = 1 + (size_t)um_rng_below(&rng, 8), i;
			size_t cut = len ? (size_t)um_rng_below(&rng, len + 1) : 0;

			memcpy(buf, orig, len + 1);
			for (i = 0; i < flips && len; i++)
				buf[um_rng_below(&rng, len)] = (char)um_rng_below(&rng, 256);
			buf[cut] = '\0'; /* truncated anywhere */
			feed_everything(buf, cut);
		}
		free(buf);
		free(orig);
	}
}

/* ---- the official parsers, side by side ---- */

#define OFFICIAL FIXTURES "/swe_official"

/* What SWE-Bench Pro's grading reads from a parser.py's output: the names,
 * whether any entry of a name said PASSED, and the status of names that
 * appear once. */
typedef struct official_view {
	json_t *tests;
} official_view;

/* Run DIR/parser.py in the official way (python3 parser.py STDOUT STDERR
 * OUT.json) and load its "tests" array. */
static json_t *run_official(const char *dir)
{
	char out[] = "/tmp/umpire-official-XXXXXX";
	int fd = mkstemp(out);
	char *cmd;
	json_error_t jerr;
	json_t *doc, *tests;

	assert_true(fd >= 0);
	close(fd);
	cmd = um_xasprintf("python3 %s/%s/parser.py %s/%s/stdout.log %s/%s/stderr.log %s", OFFICIAL,
			   dir, OFFICIAL, dir, OFFICIAL, dir, out);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	doc = json_load_file(out, 0, &jerr);
	unlink(out);
	if (!doc)
		fail_msg("%s: parser.py output: %s", dir, jerr.text);
	tests = json_incref(json_object_get(doc, "tests"));
	json_decref(doc);
	assert_true(json_is_array(tests));
	return tests;
}

/* The C parser on the same stdout (the official parsers of these cases read
 * stdout, or stdout then stderr). */
static void run_neutral(const char *dir, swe_log_format fmt, swe_dialect d, swe_results *r)
{
	um_error err = {0};
	char *path = um_xasprintf("%s/%s/stdout.log", OFFICIAL, dir), *log = NULL;
	size_t n = 0;

	if (um_read_file(path, &log, &n, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	assert_int_equal(swe_parse_log_dialect(fmt, d, log, n, r, &err), 0);
	free(path);
	free(log);
}

/* Case by case: the same names; per name the same verdict (passed when any
 * entry passed); for a name the official parser prints once, the same
 * status. Returns the number of names compared. */
static size_t compare_with_official(const char *dir, swe_log_format fmt, swe_dialect d)
{
	json_t *tests = run_official(dir), *t;
	swe_results r;
	size_t i, j, n_names = 0;

	run_neutral(dir, fmt, d, &r);
	json_array_foreach(tests, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		const char *status = json_string_value(json_object_get(t, "status"));
		const swe_result *x = swe_results_find(&r, name);
		bool any = false, first = true;
		size_t count = 0;
		json_t *u;

		assert_non_null(name);
		if (!x)
			fail_msg("%s: \"%s\" (%s): the official parser has it, umpire's does not", dir,
				 name, status);
		json_array_foreach(tests, j, u) {
			if (!um_streq(json_string_value(json_object_get(u, "name")), name))
				continue;
			if (j < i)
				first = false;
			count++;
			any = any || um_streq(json_string_value(json_object_get(u, "status")),
					      "PASSED");
		}
		if (!first)
			continue;
		n_names++;
		if (x->any_passed != any)
			fail_msg("%s: \"%s\": official %s, umpire %s", dir, name,
				 any ? "passed" : "not passed", x->any_passed ? "passed" : "not passed");
		if (count == 1 && !um_streq(swe_status_name(swe_status_official(x->status)), status))
			fail_msg("%s: \"%s\": official %s, umpire %s", dir, name, status,
				 swe_status_name(x->status));
	}
	if (r.n != n_names) {
		for (i = 0; i < r.n; i++) {
			bool found = false;
			json_array_foreach(tests, j, t)
				found = found || um_streq(json_string_value(json_object_get(t, "name")),
							  r.v[i].name);
			if (!found)
				fail_msg("%s: \"%s\" (%s): umpire's parser has it, the official one does "
					 "not", dir, r.v[i].name, swe_status_name(r.v[i].status));
		}
	}
	swe_results_release(&r);
	json_decref(tests);
	return n_names;
}

/* The passed-ness the official logic gives a name, as read from the official
 * rule by hand (1 passed, 0 not, -1 absent), checked on umpire's side. */
static int neutral_verdict(const char *dir, swe_log_format fmt, swe_dialect d, const char *name)
{
	swe_results r;
	const swe_result *x;
	int v;

	run_neutral(dir, fmt, d, &r);
	x = swe_results_find(&r, name);
	v = x ? (int)x->any_passed : -1;
	swe_results_release(&r);
	return v;
}

static void test_official_jest(void **state)
{
	(void)state;
	assert_int_equal(compare_with_official("jest", SWE_LOG_JEST_JSON, SWE_DIALECT_UMPIRE), 7);
	/* "FILE | ancestors | title": the file prefix is part of the name */
	assert_int_equal(neutral_verdict("jest", SWE_LOG_JEST_JSON, 0,
					 "/app/test/Ledger-test.tsx | <Ledger /> | totals | sums the rows"),
			 1);
	assert_int_equal(neutral_verdict("jest", SWE_LOG_JEST_JSON, 0, "<Ledger /> totals sums the rows"),
			 -1);
	assert_int_equal(neutral_verdict("jest", SWE_LOG_JEST_JSON, 0,
					 "/app/test/parse-test.ts | parse | reads | pipes"),
			 1);
	assert_int_equal(neutral_verdict("jest", SWE_LOG_JEST_JSON, 0,
					 "/app/test/broken-test.ts | Test suite failed to run"),
			 0);
}

static void test_official_tap(void **state)
{
	(void)state;
	assert_int_equal(compare_with_official("tap", SWE_LOG_TAP, SWE_DIALECT_UMPIRE), 6);
	/* "# time=" is no part of the name */
	assert_int_equal(neutral_verdict("tap", SWE_LOG_TAP, 0, "ledger"), 1);
	assert_int_equal(neutral_verdict("tap", SWE_LOG_TAP, 0, "ledger # time=3.1ms"), -1);
	assert_int_equal(neutral_verdict("tap", SWE_LOG_TAP, 0, "issue #42 stays fixed"), 1);
	/* ok then not ok: passed, as one passing entry is enough */
	assert_int_equal(neutral_verdict("tap", SWE_LOG_TAP, 0, "parses a row"), 1);
}

static void test_official_pytest_first_blank(void **state)
{
	(void)state;
	assert_int_equal(compare_with_official("pytest_first_blank", SWE_LOG_PYTEST,
					       SWE_DIALECT_FIRST_BLANK),
			 5);
	/* the name ends at its first blank; the whole id never appears */
	assert_int_equal(neutral_verdict("pytest_first_blank", SWE_LOG_PYTEST,
					 SWE_DIALECT_FIRST_BLANK, "tests/test_isbn.py::test_valid[a"),
			 1);
	assert_int_equal(neutral_verdict("pytest_first_blank", SWE_LOG_PYTEST,
					 SWE_DIALECT_FIRST_BLANK, "tests/test_isbn.py::test_valid[a b]"),
			 -1);
	/* PASSED, then ERROR in teardown: passed (any entry) */
	assert_int_equal(neutral_verdict("pytest_first_blank", SWE_LOG_PYTEST,
					 SWE_DIALECT_FIRST_BLANK, "tests/test_isbn.py::test_cleanup"),
			 1);
	/* XFAIL lines are not read */
	assert_int_equal(neutral_verdict("pytest_first_blank", SWE_LOG_PYTEST,
					 SWE_DIALECT_FIRST_BLANK, "tests/test_isbn.py::test_known_bug"),
			 -1);
	/* umpire's own dialect keeps the whole id */
	assert_int_equal(neutral_verdict("pytest_first_blank", SWE_LOG_PYTEST, SWE_DIALECT_UMPIRE,
					 "tests/test_isbn.py::test_valid[a b]"),
			 1);
}

static void test_official_pytest_ansible(void **state)
{
	swe_results r;

	(void)state;
	assert_int_equal(compare_with_official("pytest_ansible", SWE_LOG_PYTEST, SWE_DIALECT_ANSIBLE),
			 5);
	run_neutral("pytest_ansible", SWE_LOG_PYTEST, SWE_DIALECT_ANSIBLE, &r);
	/* XPASS is PASSED, XFAIL is SKIPPED */
	assert_int_equal(status_of(&r, "test/units/module_utils/test_text.py::test_fixed_upstream"),
			 SWE_PASSED);
	assert_int_equal(status_of(&r, "test/units/module_utils/test_text.py::test_surrogates"),
			 SWE_SKIPPED);
	assert_int_equal(status_of(&r, "test/units/module_utils/test_text.py::test_to_text[caf\\xe9"),
			 SWE_PASSED);
	swe_results_release(&r);
	/* umpire's dialect maps them the other way */
	run_neutral("pytest_ansible", SWE_LOG_PYTEST, SWE_DIALECT_UMPIRE, &r);
	assert_false(swe_results_find(&r, "test/units/module_utils/test_text.py::test_fixed_upstream")
			     ->any_passed);
	assert_true(swe_results_find(&r, "test/units/module_utils/test_text.py::test_surrogates")
			    ->any_passed);
	swe_results_release(&r);
}

static void test_official_mocha(void **state)
{
	(void)state;
	assert_int_equal(compare_with_official("mocha", SWE_LOG_MOCHA_JSON, 0), 4);
	assert_int_equal(neutral_verdict("mocha", SWE_LOG_MOCHA_JSON, 0,
					 "test/rank.js | Rank starts at zero"),
			 1);
	/* the "FILE::" marker names the file and leaves the title */
	assert_int_equal(neutral_verdict("mocha", SWE_LOG_MOCHA_JSON, 0,
					 "test/db.js | Database test/db/hash.js::Hash stores a key"),
			 1);
	/* in passes and in failures: passed */
	assert_int_equal(neutral_verdict("mocha", SWE_LOG_MOCHA_JSON, 0,
					 "test/rank.js | Rank orders by score"),
			 1);
	assert_int_equal(neutral_verdict("mocha", SWE_LOG_MOCHA_JSON, 0,
					 "test/rank.js | Rank handles ties"),
			 0);
}

/* A summary claiming millions of tests (the kind of log the fuzzer found)
 * makes a bounded number of numbered entries. */
static void test_ospec_huge_count(void **state)
{
	const char log[] = "TEST a\npassing: 7777777 failing: 7777777 skipped: 7777777\n";
	swe_results r;

	(void)state;
	assert_int_equal(swe_parse_ospec(log, sizeof(log) - 1, &r), 0);
	assert_int_equal(r.n, 300000);
	assert_non_null(swe_results_find(&r, "test/tests/Suite.js | test_100000"));
	assert_null(swe_results_find(&r, "test/tests/Suite.js | test_100001"));
	swe_results_release(&r);
}

static void test_official_ospec(void **state)
{
	(void)state;
	assert_int_equal(compare_with_official("ospec", SWE_LOG_OSPEC, 0), 4);
	assert_int_equal(neutral_verdict("ospec", SWE_LOG_OSPEC, 0,
					 "test/tests/api/worker/LedgerFacade.js | sums the rows"),
			 1);
	/* a summary that disagrees with the TEST lines: numbered entries */
	assert_int_equal(compare_with_official("ospec_count", SWE_LOG_OSPEC, 0), 6);
	assert_int_equal(neutral_verdict("ospec_count", SWE_LOG_OSPEC, 0,
					 "test/tests/Suite.js | failed_test_2"),
			 0);
	assert_int_equal(neutral_verdict("ospec_count", SWE_LOG_OSPEC, 0,
					 "test/tests/api/Ledger.js | sums the rows"),
			 -1);
}

static void test_official_go_json(void **state)
{
	(void)state;
	assert_int_equal(compare_with_official("go_json", SWE_LOG_GO_TEST_JSON, 0), 4);
	/* fail, then pass (-count=2): passed */
	assert_int_equal(neutral_verdict("go_json", SWE_LOG_GO_TEST_JSON, 0, "TestFlaky"), 1);
	assert_int_equal(neutral_verdict("go_json", SWE_LOG_GO_TEST_JSON, 0, "TestRound/half_even"), 0);
}

/* ---- the official entry script ---- */

static void test_official_entryscript(void **state)
{
	char *env = NULL, *script;
	char *files[] = {"/app/test/a-test.ts", "test/b.js"};

	(void)state;
	/* every stripped line starting with ENV, its first ENV made export;
	 * "ENVIRONMENT=x" starts with ENV too, and becomes what the official
	 * harness makes of it */
	swe_dockerfile_env("FROM x\nENV A=1\n  ENV B \"two words\"\nRUN echo ENV no\nENVIRONMENT=x\n",
			   &env);
	swe_dockerfile_env("ENV C=3\n", &env);
	assert_string_equal(env, "export A=1\nexport B \"two words\"\nexportIRONMENT=x\nexport C=3");
	script = swe_official_entryscript(env, "abc123",
					  "git reset --hard abc123\ngit checkout def -- t.js\n\n",
					  files, 2);
	assert_string_equal(script,
			    "\nexport A=1\nexport B \"two words\"\nexportIRONMENT=x\nexport C=3\n"
			    "# apply patch\ncd /app\ngit reset --hard abc123\ngit checkout abc123\n"
			    "git apply -v /workspace/patch.diff\ngit checkout def -- t.js\n"
			    "# run test and save stdout and stderr to separate files\n"
			    "bash /workspace/run_script.sh /app/test/a-test.ts,test/b.js > "
			    "/workspace/stdout.log 2> /workspace/stderr.log\n# run parsing script\n"
			    "python /workspace/parser.py /workspace/stdout.log /workspace/stderr.log "
			    "/workspace/output.json\n");
	free(script);
	/* no before_repo_set_cmd, no files, no ENV */
	free(env);
	env = NULL;
	swe_dockerfile_env("", &env);
	script = swe_official_entryscript(env, "b", NULL, NULL, 0);
	assert_non_null(strstr(script, "git apply -v /workspace/patch.diff\n\n# run test"));
	assert_non_null(strstr(script, "run_script.sh  > /workspace/stdout.log"));
	free(script);
	free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_and_enums),
		cmocka_unit_test(test_official_jest),
		cmocka_unit_test(test_official_tap),
		cmocka_unit_test(test_official_pytest_first_blank),
		cmocka_unit_test(test_official_pytest_ansible),
		cmocka_unit_test(test_official_mocha),
		cmocka_unit_test(test_official_ospec),
		cmocka_unit_test(test_ospec_huge_count),
		cmocka_unit_test(test_official_go_json),
		cmocka_unit_test(test_official_entryscript),
		cmocka_unit_test(test_results_override_and_grow),
		cmocka_unit_test(test_pytest_summary),
		cmocka_unit_test(test_pytest_verbose),
		cmocka_unit_test(test_pytest_edge_lines),
		cmocka_unit_test(test_go_test_verbose),
		cmocka_unit_test(test_go_test_json),
		cmocka_unit_test(test_jest_json),
		cmocka_unit_test(test_tap),
		cmocka_unit_test(test_command_output),
		cmocka_unit_test(test_command_output_errors),
		cmocka_unit_test(test_resolve_exact_vs_whitespace),
		cmocka_unit_test(test_resolve_expected_name_has_blank),
		cmocka_unit_test(test_resolve_failures_and_missing),
		cmocka_unit_test(test_resolve_non_passing_outcomes),
		cmocka_unit_test(test_resolve_whitespace_collision),
		cmocka_unit_test(test_name_normalize),
		cmocka_unit_test(test_strip_binary),
		cmocka_unit_test(test_patch_files),
		cmocka_unit_test(test_patch_files_plain_diff),
		cmocka_unit_test(test_patch_files_garbage),
		cmocka_unit_test(test_patch_is_empty),
		cmocka_unit_test(test_name_list_python),
		cmocka_unit_test(test_name_list_json),
		cmocka_unit_test(test_name_list_garbage),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_mutated_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
