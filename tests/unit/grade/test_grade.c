/*
 * test_grade.c - multiple-choice grading through the permutation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "grade/grade.h"
#include "base/util.h"

static um_extractor last_x, first_x;

static int setup(void **state)
{
	um_error err = {0};

	(void)state;
	memset(&last_x, 0, sizeof(last_x));
	memset(&first_x, 0, sizeof(first_x));
	last_x.pattern = um_xstrdup("(?i)Answer[ \\t]*:[ \\t]*\\$?\\(?([A-Z])\\)?");
	last_x.occurrence = UM_OCC_LAST;
	last_x.normalize = UM_NORM_UPPER;
	first_x.pattern = um_xstrdup("(?i)Answer[ \\t]*:[ \\t]*\\$?([A-D])\\$?");
	first_x.occurrence = UM_OCC_FIRST;
	first_x.normalize = UM_NORM_NONE;
	if (extractor_compile(&last_x, &err) < 0 || extractor_compile(&first_x, &err) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	extractor_release(&last_x);
	extractor_release(&first_x);
	free(last_x.pattern);
	free(first_x.pattern);
	return 0;
}

static void test_permutation_mapping(void **state)
{
	/* shown order: position 0 (A) is source 2, B is source 0 (correct), ... */
	int perm[4] = {2, 0, 3, 1};
	um_mcq_grade g;
	um_error err = {0};

	(void)state;
	assert_int_equal(grade_mcq(&last_x, "ABCD", perm, 4, 0, "thinking\nAnswer: B", &g, &err), 0);
	assert_true(g.found);
	assert_string_equal(g.extracted, "B");
	assert_int_equal(g.chosen, 0);
	assert_int_equal(g.score, 1);
	assert_int_equal(grade_mcq(&last_x, "ABCD", perm, 4, 0, "Answer: A", &g, &err), 0);
	assert_int_equal(g.chosen, 2);
	assert_int_equal(g.score, 0);
}

static void test_lowercase_and_last_match(void **state)
{
	int id[4] = {0, 1, 2, 3};
	um_mcq_grade g;
	um_error err = {0};

	(void)state;
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 4, 2, "answer: c", &g, &err), 0);
	assert_int_equal(g.score, 1);
	/* last occurrence wins with the last-match extractor, first with the first */
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 4, 2, "Answer: A\nno wait\nAnswer: C", &g,
				   &err), 0);
	assert_int_equal(g.score, 1);
	assert_int_equal(grade_mcq(&first_x, "ABCD", id, 4, 2, "Answer: A\nno wait\nAnswer: C",
				   &g, &err), 0);
	assert_int_equal(g.score, 0);
	assert_int_equal(g.chosen, 0);
}

static void test_no_answer_and_invalid_label(void **state)
{
	int id[4] = {0, 1, 2, 3};
	um_mcq_grade g;
	um_error err = {0};

	(void)state;
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 4, 0, "The answer is (A).", &g, &err), 0);
	assert_false(g.found);
	assert_int_equal(g.score, 0);
	assert_int_equal(g.chosen, -1);
	/* a label beyond the item's choices is not a valid answer */
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 3, 0, "Answer: D", &g, &err), 0);
	assert_true(g.found);
	assert_int_equal(g.chosen, -1);
	assert_int_equal(g.score, 0);
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 4, 0, "Answer: Z", &g, &err), 0);
	assert_int_equal(g.chosen, -1);
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 4, 0, NULL, &g, &err), 0);
	assert_false(g.found);
	assert_int_equal(grade_mcq(&last_x, "ABCD", id, 4, 0, "", &g, &err), 0);
	assert_false(g.found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_permutation_mapping),
		cmocka_unit_test(test_lowercase_and_last_match),
		cmocka_unit_test(test_no_answer_and_invalid_label),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
