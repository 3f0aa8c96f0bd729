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

static double gw(const char *response, const char *answer)
{
	um_answer_grade g;
	um_error err = {0};
	double v;

	assert_int_equal(answer_grade("graphwalks", response, answer, NULL, 0, 0, &g, &err), 0);
	assert_true(g.fractional);
	v = g.value;
	answer_grade_release(&g);
	return v;
}

/* Graphwalks: the list on the very last line, set F1 (values worked out by
 * hand: P = 1/2, R = 1 gives 2/3). */
static void test_graphwalks(void **state)
{
	static const char two[] = "[\"ab12\", \"cd34\"]";
	json_t *l;
	char *t;

	(void)state;
	assert_true(gw("thinking\nFinal Answer: [ab12, cd34]", two) == 1.0);
	assert_true(gw("Final Answer:[cd34,ab12,ab12]", two) == 1.0);    /* a set; no space */
	assert_true(fabs(gw("Final Answer: [ab12]", two) - 2.0 / 3.0) < 1e-12);
	assert_true(fabs(gw("Final Answer: [ab12, cd34, ef56, gh78]", two) - 2.0 / 3.0) < 1e-12);
	assert_true(gw("Final Answer: [zz99]", two) == 0.0);            /* no overlap */
	assert_true(gw("Final Answer: [ab12, cd34]\n", two) == 0.0);   /* last line is empty */
	assert_true(gw("Final Answer: [ab12, cd34]\nthat is all", two) == 0.0);
	assert_true(gw("final answer: [ab12, cd34]", two) == 0.0);     /* the case matters */
	assert_true(gw("Final Answer:  [ab12, cd34]", two) == 0.0);    /* one space at most */
	assert_true(gw("Final Answer: []", "[]") == 1.0);              /* both empty */
	assert_true(gw("Final Answer: [ , ]", "[]") == 1.0);           /* blanks dropped */
	assert_true(gw("Final Answer: [ab12]", "[]") == 0.0);
	assert_true(gw("no list here", "[]") == 0.0);                  /* a parse failure */
	assert_true(gw("Final Answer: none. Final Answer: [ab12, cd34]", two) == 1.0);
	/* greedy to the last ']' of the line, as the card's regex */
	l = answer_graphwalks_list("Final Answer: [a], [b]");
	t = json_dumps(l, JSON_COMPACT);
	assert_string_equal(t, "[\"a]\",\"[b\"]");
	free(t);
	json_decref(l);
	assert_null(answer_graphwalks_list("Final Answer: ab12"));
	assert_null(answer_graphwalks_list(NULL));
	{
		char why[128];

		assert_false(answer_item_ok("graphwalks", "ab12, cd34", why, sizeof(why)));
		assert_non_null(strstr(why, "is not a JSON list of node ids"));
		assert_false(answer_item_ok("graphwalks", "[1]", why, sizeof(why)));
		assert_true(answer_item_ok("graphwalks", "[]", why, sizeof(why)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_extract),
		cmocka_unit_test(test_graders),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_graphwalks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
