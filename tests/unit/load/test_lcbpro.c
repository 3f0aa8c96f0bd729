/*
 * test_lcbpro.c - LiveCodeBench Pro's problems and judge directories: the
 * original demo problems (suites/lcbpro-demo: rows of the release's keys, a
 * config.yaml per problem with n_cases and cases, a checker, an interactor,
 * the .out name read as .ans), the limits and split dates as the official judge reads
 * them, and garbage refused at file:line:col (the row's, or config.yaml's).
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
#include "load/lcbpro.h"

#define DEMO FIXTURES "/../../suites/lcbpro-demo"
#define GARBAGE FIXTURES "/code/lcbpro_garbage"

static void test_demo(void **state)
{
	char *data = NULL;
	size_t len, n;
	um_item *items;
	int *lines;
	um_error err = {0};
	const um_code_item *c;

	(void)state;
	assert_int_equal(um_read_file(DEMO "/problems.jsonl", &data, &len, &err), 0);
	assert_int_equal(lcbpro_parse("problems.jsonl", data, len, DEMO "/testcases", &items, &n,
				      &lines, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(items[0].id, "9001A");
	assert_string_equal(items[0].category, "easy");
	assert_string_equal(items[0].subcategory, "codeforces");
	assert_non_null(strstr(items[0].question, "memory limit per test: 256 megabytes"));
	c = items[0].code;
	assert_string_equal(c->title, "Pair Sums");
	assert_string_equal(c->date, "2025-04-01");
	assert_int_equal(c->time_limit_ms, 1000);
	assert_int_equal(c->memory_mb, 256);
	assert_null(c->checker);
	assert_int_equal(c->n_tests, 3);
	assert_non_null(strstr(c->tests[2].input, "9001A/testdata/3.in"));
	assert_non_null(strstr(c->tests[2].output, "9001A/testdata/3.ans"));
	assert_non_null(c->solution);
	c = items[1].code;
	assert_int_equal(c->n_tests, 3); /* 1 + 2 over two subtasks */
	assert_non_null(strstr(c->checker, "9001B/chk.cc"));
	assert_int_equal(c->time_limit_ms, 2000);
	c = items[2].code;
	assert_string_equal(c->date, "2025-07-01");
	assert_int_equal(c->time_limit_ms, 1500);
	assert_int_equal(c->memory_mb, 512);
	assert_non_null(strstr(c->tests[0].output, "9002C/testdata/1.ans")); /* 1.out read as .ans */
	assert_int_equal(lines[2], 3);
	c = items[3].code; /* interactive: an interactor, no checker */
	assert_non_null(strstr(c->interactor, "9002D/interactor.cc"));
	assert_null(c->checker);
	assert_int_equal(c->n_tests, 3);
	/* the hash covers the export and the tests: it differs from the export's
	 * own, is the same again, and names a tests directory it cannot read */
	{
		char h1[65], h2[65], raw[65];
		char *saved = items[1].code->judge_dir;

		um_sha256_hex(data, len, raw);
		assert_int_equal(lcbpro_hash(raw, items, n, NULL, h1, &err), 0);
		assert_int_equal(lcbpro_hash(raw, items, n, NULL, h2, &err), 0);
		assert_string_equal(h1, h2);
		assert_string_not_equal(h1, raw);
		assert_int_equal(lcbpro_hash(raw, items, n, DEMO "/testcases/9001A", h2, &err), 0);
		assert_string_not_equal(h1, h2); /* testlib counts */
		items[1].code->judge_dir = (char *)DEMO "/testcases/9001A"; /* other tests */
		assert_int_equal(lcbpro_hash(raw, items, n, NULL, h2, &err), 0);
		assert_string_not_equal(h1, h2);
		items[1].code->judge_dir = (char *)DEMO "/no-such-dir";
		assert_int_equal(lcbpro_hash(raw, items, n, NULL, h2, &err), -1);
		assert_non_null(strstr(err.msg, "problem 9001B: its tests"));
		items[1].code->judge_dir = saved;
	}
	codeset_items_free(items, n);
	free(lines);
	free(data);
}

static void test_units(void **state)
{
	char d[11];

	(void)state;
	assert_int_equal(lcbpro_time_ms("2s"), 2000);
	assert_int_equal(lcbpro_time_ms("500ms"), 500);
	assert_int_equal(lcbpro_time_ms("1.5"), 1500);
	assert_int_equal(lcbpro_time_ms("fast"), -1);
	assert_int_equal(lcbpro_time_ms("2h"), -1);
	assert_true(lcbpro_bytes("256m") == 256LL << 20);
	assert_true(lcbpro_bytes("1g") == 1LL << 30);
	assert_true(lcbpro_bytes("65536k") == 64LL << 20);
	assert_true(lcbpro_bytes("1024") == 1024);
	assert_true(lcbpro_bytes("256mb") == -1);
	assert_int_equal(lcbpro_split_date("quater_2025_4_6", d), 0);
	assert_string_equal(d, "2025-04-01");
	assert_int_equal(lcbpro_split_date("quater_2024_10_12", d), 0);
	assert_string_equal(d, "2024-10-01");
	assert_int_equal(lcbpro_split_date("test", d), -1);
	assert_int_equal(lcbpro_split_date("quater_2025_13_14", d), -1);
}

/* One row against the garbage tests; the error must hold want. */
static void expect(const char *row, const char *want)
{
	um_item *items = (um_item *)1;
	size_t n = 9;
	um_error err = {0};

	assert_int_equal(lcbpro_parse("p.jsonl", row, strlen(row), GARBAGE "/testcases", &items,
				      &n, NULL, &err), -1);
	assert_null(items);
	assert_int_equal(n, 0);
	if (!strstr(err.msg, want))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

#define ROW(id, extra)                                                                       \
	"{\"problem_id\": \"" id "\", \"problem_title\": \"t\", \"difficulty\": \"easy\", "    \
	"\"platform\": \"codeforces\", \"problem_statement\": \"s\"" extra "}\n"
#define SPLIT ", \"split\": \"quater_2025_4_6\""

static void test_garbage(void **state)
{
	char *data = NULL;
	size_t len;

	(void)state;
	assert_int_equal(um_read_file(GARBAGE "/problems.jsonl", &data, &len, NULL), 0);
	expect(data, "p.jsonl:2:");
	expect(data, "invalid JSON");
	free(data);
	expect("[1, 2]\n", "p.jsonl:1:1: expected a JSON object");
	expect("\n" ROW("G0", ""), "p.jsonl:2: missing 'split'");
	expect(ROW("G0", ", \"split\": \"test\""), "p.jsonl:1: split 'test' names no year");
	expect(ROW("G0", ", \"date\": \"2025-02-30\""), "'date' must be YYYY-MM-DD");
	expect("{\"problem_title\": \"t\"}\n", "p.jsonl:1: missing required key 'problem_id'");
	expect("{\"problem_id\": \"G0\", \"difficulty\": 3, \"problem_statement\": \"s\"}\n",
	       "p.jsonl:1: 'difficulty' must be a string");
	expect(ROW("../G0", SPLIT), "cannot name a test directory");
	expect(ROW("G7", SPLIT), "p.jsonl:1: problem 'G7': no ");
	expect(ROW("G7", SPLIT), "the hidden tests are not public");
	expect(ROW("G1", SPLIT), "G1/config.yaml:3:9: did not find expected");
	expect(ROW("G2", SPLIT), "G2/config.yaml:2:13: time_limit 'fast'");
	expect(ROW("G3", SPLIT), "G3/config.yaml:4:14: ");
	expect(ROW("G3", SPLIT), "G3/testdata/2.in: no such file");
	expect(ROW("G4", SPLIT), "G4/config.yaml:2:13: ");
	expect(ROW("G4", SPLIT), "G4/interactor.cpp: no such file");
	expect(ROW("G6", SPLIT), "G6/config.yaml:1:7: problem 'G6' is of type 'leetcode'");
	expect(ROW("G5", SPLIT), "G5/config.yaml:2:15: memory_limit '1024'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
