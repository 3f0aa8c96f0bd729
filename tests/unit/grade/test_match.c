/*
 * test_match.c - normalised exact match and numeric tolerance.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grade/match.h"

static void check_norm(const char *in, const char *want)
{
	char *got = match_normalise(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_normalise(void **state)
{
	(void)state;
	check_norm("  Paris. ", "paris");
	check_norm("\\boxed{ 42 }", "42");
	check_norm("$\\frac{1}{2}$", "\\frac{1}{2}");
	check_norm("\"New   York\tCity\"", "new york city");
	check_norm("\\boxed{$x^2$}", "x^2");
	check_norm("", "");
	check_norm(NULL, "");
	check_norm("$", "$");
	check_norm("...", "..");
	check_norm("\xc3\x89T\xc3\x89", "\xc3\x89t\xc3\x89"); /* only ASCII is folded */
}

static void test_exact(void **state)
{
	(void)state;
	assert_true(match_exact("The Rosetta Stone.", "the rosetta stone"));
	assert_true(match_exact("\\boxed{B}", "b"));
	assert_false(match_exact("Rosetta Stone", "the rosetta stone"));
	assert_false(match_exact("12", "12.0"));
}

static void test_number(void **state)
{
	double v;

	(void)state;
	assert_true(match_number("1,234,567.5", &v));
	assert_true(v == 1234567.5);
	assert_true(match_number("-3.5e-2", &v));
	assert_true(v == -0.035);
	assert_true(match_number("50%", &v));
	assert_true(v == 50);
	assert_true(match_number("3/4", &v));
	assert_true(v == 0.75);
	assert_true(match_number(".5", &v));
	assert_true(v == 0.5);
	assert_false(match_number("1,23", &v));
	assert_false(match_number("12,3456", &v));
	assert_false(match_number("1234,567", &v));
	assert_false(match_number("1/0", &v));
	assert_false(match_number("12 apples", &v));
	assert_false(match_number("1e", &v));
	assert_false(match_number("inf", &v));
	assert_false(match_number("nan", &v));
	assert_false(match_number("", &v));
	assert_false(match_number("-", &v));
	assert_false(match_number("1e999", &v));
}

static void test_numeric(void **state)
{
	(void)state;
	assert_int_equal(match_numeric("3.1416", "3.14159", 1e-4, 0), 1);
	assert_int_equal(match_numeric("3.15", "3.14159", 1e-4, 0), 0);
	assert_int_equal(match_numeric("0.001", "0", 0, 0.01), 1);
	assert_int_equal(match_numeric("\\boxed{1,000}", "1000", 0, 0), 1);
	assert_int_equal(match_numeric("about 1000", "1000", 0.5, 0), 0);
	assert_int_equal(match_numeric("1000", "a thousand", 0.5, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalise),
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_numeric),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
