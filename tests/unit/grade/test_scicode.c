/*
 * test_scicode.c - SciCode's code extraction (the first ```python block,
 * else the first fenced block, else the whole answer; import lines
 * removed), the function name of a header, a step's prompt texts with and
 * without background, the test script byte for byte, and the re-derivation
 * of a score from stored step verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grade/scicode.h"

static void extracts(const char *response, const char *want)
{
	char *got = scicode_extract(response);

	assert_string_equal(got, want);
	free(got);
}

static void test_extract(void **state)
{
	(void)state;
	extracts("Text\n```python\ndef f():\n    return 1\n```\nmore\n```python\nx = 2\n```",
		 "\ndef f():\n    return 1\n");
	extracts("```\ny = 1\n```\n```python\nz = 2\n```", "\nz = 2\n");
	extracts("```py\ny = 1\n```", "py\ny = 1\n");
	extracts("no fences at all\nimport os", "no fences at all\n");
	extracts("```python\nunclosed = 1\n", "\nunclosed = 1\n");
	/* the import lines go, with the blank lines before them */
	extracts("```python\nimport numpy as np\n\n  from scipy import linalg\ndef g():\n"
		 "    import math\n    return math.pi\n```",
		 "\n\ndef g():\n\n    return math.pi\n");
	extracts("```python\nfrom_here = 1\nimportant = 2\n```", "\nfrom_here = 1\nimportant = 2\n");
	extracts("", "");
	extracts(NULL, "");
}

static void names(const char *header, const char *want)
{
	char *got = scicode_function_name(header);

	if (want)
		assert_string_equal(got, want);
	else
		assert_null(got);
	free(got);
}

static void test_function_name(void **state)
{
	(void)state;
	names("def wrap(r, L):\n    '''doc'''", "wrap");
	names("class Maxwell:\n    def __init__(self, n_grid, x_out):", "__init__");
	names("class Block(object):\n    pass", "Block");
	names("class Block:\n    pass", NULL);
	names("x = 1", NULL);
}

static um_sci_step step(char *num, char *desc, char *bg, char *header, char *ret)
{
	um_sci_step s;

	memset(&s, 0, sizeof(s));
	s.number = num;
	s.description = desc;
	s.background = bg;
	s.header = header;
	s.return_line = ret;
	return s;
}

static void test_prompt_and_script(void **state)
{
	char *tests[] = {"a = 1\nassert f(a) == target", "assert f(2) == target"};
	um_sci_step steps[3];
	um_sci_item c = {(char *)"p", (char *)"import numpy as np", steps, 3};
	const char *code[] = {"\ndef f(x):\n    return x\n", "def g():\n    pass", NULL};
	char *prev, *next, *script;

	(void)state;
	steps[0] = step("9.1", "One.", "Background:\nB1", "def f(x):", "    return y");
	steps[1] = step("9.2", "Two.", "", "def g():", "");
	steps[2] = step("9.3", "Three.", "Background:\nB3", "def h(z):\n    '''h'''", "    return w");
	steps[0].tests = tests;
	steps[0].n_tests = 2;
	scicode_prompt_parts(&c, 0, code, 0, &prev, &next);
	assert_string_equal(prev, "");
	assert_string_equal(next, "One.\n\ndef f(x):\n\n    return y");
	free(prev);
	free(next);
	scicode_prompt_parts(&c, 2, code, 1, &prev, &next);
	assert_string_equal(prev, "One.\nBackground:\nB1\n\n\ndef f(x):\n    return x\n"
				  "\n\n------\n\nTwo.\n\n\ndef g():\n    pass");
	assert_string_equal(next, "Three.\nBackground:\nB3\n\ndef h(z):\n    '''h'''\n\n    return w");
	free(prev);
	free(next);
	script = scicode_test_script(&c, 0, code, "/work/test_data.h5");
	assert_string_equal(script,
			    "import numpy as np\n\n\n\ndef f(x):\n    return x\n"
			    "\n\nfrom scicode.parse.parse import process_hdf5_to_tuple\n\n"
			    "targets = process_hdf5_to_tuple('9.1', 2, '/work/test_data.h5')\n"
			    "target = targets[0]\n\na = 1\nassert f(a) == target\n"
			    "target = targets[1]\n\nassert f(2) == target\n");
	free(script);
	script = scicode_test_script(&c, 1, code, "t.h5");
	assert_string_equal(script,
			    "import numpy as np\n\ndef f(x):\n    return x\n\n\ndef g():\n    pass"
			    "\n\nfrom scicode.parse.parse import process_hdf5_to_tuple\n\n"
			    "targets = process_hdf5_to_tuple('9.2', 0, 't.h5')\n");
	free(script);
}

static void test_verdict_from_detail(void **state)
{
	const char *right[] = {"```python\na\n```", "```python\nx = 1\n```"};
	const char *wrong[] = {"```python\na\n```", "```python\nx = 2\n```"};
	json_t *d = json_loads("{\"verdict\": \"scicode_steps\", \"passed\": 1, \"of\": 2, \"steps\": ["
			       "{\"step\": \"1.1\", \"v\": \"passed\", \"code\": \"\\na\\n\"},"
			       "{\"step\": \"1.2\", \"v\": \"given\", \"code\": \"b\"},"
			       "{\"step\": \"1.3\", \"v\": \"failed\", \"code\": \"\\nx = 1\\n\"}]}",
			       0, NULL);

	(void)state;
	assert_non_null(d);
	assert_int_equal(scicode_verdict_from_detail(d, right, 2), 0);
	assert_int_equal(scicode_verdict_from_detail(d, NULL, 0), 0);
	assert_int_equal(scicode_verdict_from_detail(d, wrong, 2), -1);
	assert_int_equal(scicode_verdict_from_detail(d, right, 1), -1);
	json_object_set_new(json_array_get(json_object_get(d, "steps"), 2), "v",
			    json_string("passed"));
	assert_int_equal(scicode_verdict_from_detail(d, right, 2), -1);
	json_object_set_new(d, "passed", json_integer(2));
	assert_int_equal(scicode_verdict_from_detail(d, right, 2), 1);
	/* inspect_ai's counting: the given step is one more step, never passed */
	json_object_set_new(d, "counting", json_string("inspect_ai"));
	assert_int_equal(scicode_verdict_from_detail(d, right, 2), -1);
	json_object_set_new(d, "of", json_integer(3));
	assert_int_equal(scicode_verdict_from_detail(d, right, 2), 0);
	json_object_set_new(d, "verdict", json_string("code_tests"));
	assert_int_equal(scicode_verdict_from_detail(d, NULL, 0), -1);
	json_decref(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_function_name),
		cmocka_unit_test(test_prompt_and_script),
		cmocka_unit_test(test_verdict_from_detail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
