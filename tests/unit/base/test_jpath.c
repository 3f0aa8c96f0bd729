/*
 * test_jpath.c - dotted paths and RFC 6901 pointers over jansson values,
 * including malformed pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/jpath.h"

static void test_pointer(void **state)
{
	json_t *o = json_loads("{\"a\":[{\"b/c\":1,\"d~e\":\"x\"}],\"n\":{\"k\":2.5}}", 0, NULL);

	(void)state;
	assert_non_null(o);
	assert_ptr_equal(jpath_pointer(o, ""), o);
	assert_int_equal(json_integer_value(jpath_pointer(o, "/a/0/b~1c")), 1);
	assert_string_equal(json_string_value(jpath_pointer(o, "/a/0/d~0e")), "x");
	assert_true(json_real_value(jpath_pointer(o, "/n/k")) == 2.5);
	/* missing steps and malformed pointers */
	assert_null(jpath_pointer(o, "/a/1"));
	assert_null(jpath_pointer(o, "/a/x"));
	assert_null(jpath_pointer(o, "/a/"));
	assert_null(jpath_pointer(o, "/a/0/b~1c/deeper"));
	assert_null(jpath_pointer(o, "a"));
	assert_null(jpath_pointer(o, "/zz"));
	json_decref(o);
}

static void test_dotted(void **state)
{
	json_t *o = json_loads("{\"acc\":{\"lo\":0.5,\"name\":\"s\"}}", 0, NULL);
	double v = 0;

	(void)state;
	assert_true(jpath_num(o, "acc.lo", &v) == 1 && v == 0.5);
	assert_string_equal(jpath_str(o, "acc.name"), "s");
	assert_string_equal(jpath_str(o, "acc.none"), "-");
	assert_int_equal(jpath_num(o, "acc.name", &v), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_dotted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
