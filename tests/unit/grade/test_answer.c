/*
 * test_answer.c - answer.c: the answer line taken from a free-form reply,
 * the graders exact, numeric, similarity and mrcr on it, items a numeric
 * grader cannot grade, and names that are not graders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grade/answer.h"
#include "grade/similarity.h"

static void expect_extract(const char *response, const char *want)
{
	char *got = answer_extract(response);

	if (strcmp(got, want) != 0)
		fail_msg("answer_extract(\"%s\") = \"%s\", want \"%s\"", response, got, want);
	free(got);
}

static void test_extract(void **state)
{
	(void)state;
	expect_extract("Explanation: x\nExact Answer: 42\nConfidence: 80%", "42");
	expect_extract("answer: first\nmore\nFinal Answer:  second  ", "second");
	expect_extract("**Answer:** Titan", "Titan");
	expect_extract("## Answer: B", "B");
	expect_extract("  just the text  \n", "just the text");
	expect_extract("The answer is 7.", "The answer is 7.");
	expect_extract("", "");
	expect_extract(NULL, "");
	expect_extract("Answer:", "");
}

static double grade(const char *g, const char *resp, const char *ans, const char *prefix,
		    double rel, double abs_tol, int *score)
{
	um_answer_grade ag;
	um_error err = {0};
	double v;

	assert_int_equal(answer_grade(g, resp, ans, prefix, rel, abs_tol, &ag, &err), 0);
	v = ag.value;
	*score = ag.score;
	answer_grade_release(&ag);
	return v;
}

static void test_graders(void **state)
{
	int s;

	(void)state;
	assert_true(grade("exact", "Exact Answer: Nitrogen.", "nitrogen", NULL, 0, 0, &s) == 1.0);
	assert_int_equal(s, 1);
	assert_true(grade("exact", "Exact Answer: nitrogen gas", "nitrogen", NULL, 0, 0, &s) == 0.0);
	assert_true(grade("numeric", "Answer: 120.5", "120", NULL, 0.01, 0, &s) == 1.0);
	assert_true(grade("numeric", "Answer: 122", "120", NULL, 0.01, 0, &s) == 0.0);
	assert_true(grade("numeric", "Answer: 1/4", "0.25", NULL, 0, 0, &s) == 1.0);
	assert_true(grade("numeric", "Answer: about 120", "120", NULL, 0.01, 0, &s) == 0.0);
	assert_true(grade("similarity", "abcd", "abcd", NULL, 0, 0, &s) == 1.0);
	assert_true(fabs(grade("similarity", "abcd", "abce", NULL, 0, 0, &s) - 0.75) < 1e-12);
	assert_int_equal(s, 0);
	assert_true(grade("mrcr", "XYhello", "XYhello", "XY", 0, 0, &s) == 1.0);
	assert_true(grade("mrcr", "hello", "XYhello", "XY", 0, 0, &s) == 0.0);
	assert_true(fabs(grade("mrcr", "XYhelp", "XYhello", "XY", 0, 0, &s) -
			 similarity_mrcr("XYhelp", "XYhello", "XY")) < 1e-15);
}

static void test_refused(void **state)
{
	um_answer_grade ag;
	um_error err = {0};
	char why[128];

	(void)state;
	assert_int_equal(answer_grade("judge", "x", "y", NULL, 0, 0, &ag, &err), -1);
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_int_equal(answer_grade("fuzzy", "x", "y", NULL, 0, 0, &ag, &err), -1);
	assert_int_equal(answer_grade(NULL, "x", "y", NULL, 0, 0, &ag, &err), -1);
	assert_int_equal(answer_grade("numeric", "Answer: 3", "three", NULL, 0, 0, &ag, &err), -1);
	assert_non_null(strstr(err.msg, "'three' is not a number"));
	assert_int_equal(answer_item_ok("numeric", "three", why, sizeof(why)), 0);
	assert_non_null(strstr(why, "not a number"));
	assert_int_equal(answer_item_ok("numeric", "1,024", why, sizeof(why)), 1);
	assert_int_equal(answer_item_ok("exact", "three", why, sizeof(why)), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_graders),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
