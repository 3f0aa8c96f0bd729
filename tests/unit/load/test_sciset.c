/*
 * test_sciset.c - SciCode's release JSONL: a problem in the release form
 * (integer problem_id, a byte order mark, a step without background, keys
 * umpire ignores), the step lookup, and garbage, each error at
 * file:line:col.
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
#include "load/dataset.h"
#include "load/sciset.h"

static void test_release(void **state)
{
	char *path = um_xasprintf("%s/scicode/release.jsonl", FIXTURES), *data = NULL;
	size_t len, n, at = 9;
	um_item *items;
	int *lines;
	um_error err = {0};
	const um_sci_item *c;
	um_suite s;

	(void)state;
	assert_int_equal(um_read_file(path, &data, &len, &err), 0);
	assert_int_equal(sciset_parse("release.jsonl", data, len, &items, &n, &lines, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(lines[0], 1);
	assert_string_equal(items[0].id, "7");
	assert_string_equal(items[0].category, "scicode");
	assert_string_equal(items[0].question, "Two steps.");
	c = items[0].sci;
	assert_string_equal(c->name, "release_form");
	assert_string_equal(c->dependencies, "import numpy as np\nfrom scipy import linalg");
	assert_int_equal(c->n_steps, 2);
	assert_string_equal(c->steps[0].number, "7.1");
	assert_string_equal(c->steps[0].background, "");
	assert_int_equal(c->steps[0].n_tests, 2);
	assert_string_equal(c->steps[0].tests[1], "x = 2\nassert np.allclose(first(x), target)");
	assert_string_equal(c->steps[0].return_line, "    return y");
	assert_null(c->steps[0].gold);
	assert_string_equal(c->steps[1].background, "Background:\nWhy.");
	assert_int_equal(c->steps[1].n_tests, 0);
	assert_string_equal(c->steps[1].return_line, "");
	memset(&s, 0, sizeof(s));
	s.items = items;
	s.n_items = n;
	assert_ptr_equal(sciset_find_step(&s, "7.2", &at), &c->steps[1]);
	assert_int_equal(at, 0);
	assert_null(sciset_find_step(&s, "7.3", NULL));
	dataset_items_free(items, n);
	free(lines);
	free(data);
	free(path);
}

/* data must be refused with exactly msg. */
static void refused(const char *data, const char *msg)
{
	um_item *items = (um_item *)1;
	size_t n = 9;
	um_error err = {0};

	assert_int_equal(sciset_parse("p.jsonl", data, strlen(data), &items, &n, NULL, &err), -1);
	assert_null(items);
	assert_int_equal(n, 0);
	assert_string_equal(err.msg, msg);
}

#define STEP(num) "{\"step_number\": \"" num "\", \"step_description_prompt\": \"d\", " \
		  "\"function_header\": \"def f():\", \"return_line\": \"\", \"test_cases\": []}"

static void test_garbage(void **state)
{
	(void)state;
	refused("{\"problem_id\": \"1\", \"sub_steps\": [\n",
		"p.jsonl:1:34: invalid JSON: ']' expected near end of file");
	refused("\n[1, 2]\n", "p.jsonl:2:1: expected a JSON object (one SciCode problem) on each line");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": \"\"}",
		"p.jsonl:1:1: missing required key 'sub_steps'");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": \"\", \"sub_steps\": []}",
		"p.jsonl:1:50: 'sub_steps' must be a list of 1 to 1000 sub-steps");
	refused("{\"problem_id\": \"\", \"required_dependencies\": \"\", \"sub_steps\": [" STEP("1.1")
		"]}", "p.jsonl:1:2: 'problem_id' is empty");
	refused("{\"problem_id\": \"1\", \"sub_steps\": [" STEP("1.1") "]}",
		"p.jsonl:1:1: missing required key 'required_dependencies'");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": 3, \"sub_steps\": [" STEP("1.1")
		"]}", "p.jsonl:1:21: 'required_dependencies' must be a string");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": \"\", \"sub_steps\": [" STEP("1.1")
		", " STEP("1'2") "]}",
		"p.jsonl:1:189: sub_steps[1]: 'step_number' \"1'2\" holds a quote, a backslash, a "
		"slash or a newline");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": \"\", \"sub_steps\": [7]}",
		"p.jsonl:1:50: sub_steps[0]: a sub-step must be an object");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": \"\", \"sub_steps\": "
		"[{\"step_number\": \"1.1\", \"step_description_prompt\": \"d\", "
		"\"function_header\": \"def f():\", \"return_line\": \"\", \"test_cases\": [1]}]}",
		"p.jsonl:1:169: sub_steps[0]: test_cases[0] must be a string (Python code)");
	refused("{\"problem_id\": \"1\", \"required_dependencies\": \"\", \"sub_steps\": [" STEP("1.1")
		"]}\n\n{\"problem_id\": \"2\", \"required_dependencies\": \"\", \"sub_steps\": ["
		STEP("1.1") "]}\n",
		"p.jsonl:3: step_number \"1.1\" appears twice (first on line 1)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
