/*
 * test_judged_report.c - report/judged.c: mean scores by grader and by
 * context bin with outcomes apart, the judge's cost, and the calibration
 * error given exactly when 100 or more confidences are known (HLE's, checked
 * against calibration_error on the same values).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jpath.h"
#include "report/calibration.h"
#include "report/judged.h"

#define N 150

static um_attempt_rec att[N];
static um_item_rec items[2];
static const um_attempt_rec *ap[N];
static const um_item_rec *ip[2];
static size_t item_of[N];
static char details[N][160];

static void fill(size_t n)
{
	size_t i;

	memset(att, 0, sizeof(att));
	memset(items, 0, sizeof(items));
	items[0].choices_json = (char *)"{\"answer\":\"x\",\"grader\":\"judge\",\"context_bin\":0,"
					"\"context_bin_label\":\"<=32\"}";
	items[1].choices_json = (char *)"{\"answer\":\"y\",\"grader\":\"mrcr\",\"context_bin\":1,"
					"\"context_bin_label\":\">32\"}";
	ip[0] = &items[0];
	ip[1] = &items[1];
	for (i = 0; i < n; i++) {
		um_attempt_rec *a = &att[i];
		int judge = i % 2 == 0;

		a->status = UM_ATT_DONE;
		item_of[i] = judge ? 0 : 1;
		if (judge) {
			/* confidence 10..100 by steps, right when i % 4 == 0 */
			a->score = i % 4 == 0;
			snprintf(details[i], sizeof(details[i]),
				 "{\"grader\":\"judge\",\"judge\":{\"cost_micro\":10},"
				 "\"confidence\":%d}", (int)(10 + i % 91));
		} else {
			a->score = 0;
			a->has_reward = 1;
			a->reward = 0.5;
			snprintf(details[i], sizeof(details[i]), "{\"grader\":\"mrcr\"}");
		}
		if (i == 1)
			a->outcome = (char *)"context_overflow";
		a->detail_json = details[i];
		ap[i] = a;
	}
}

static void test_sections(void **state)
{
	json_t *o;
	double v = -1;

	(void)state;
	fill(20);
	o = judged_report_system(ap, item_of, 20, ip);
	assert_int_equal(jpath_int(o, "graders.judge.n"), 10);
	assert_true(jpath_num(o, "graders.judge.mean", &v) && fabs(v - 0.5) < 1e-12);
	assert_int_equal(jpath_int(o, "graders.mrcr.n"), 9); /* one overflowed */
	assert_int_equal(jpath_int(o, "graders.mrcr.outcomes"), 1);
	assert_true(jpath_num(o, "graders.mrcr.mean", &v) && fabs(v - 0.5) < 1e-12);
	assert_int_equal(json_array_size(json_object_get(o, "context_bins")), 2);
	assert_string_equal(jpath_str(json_array_get(json_object_get(o, "context_bins"), 1), "bin"),
			    ">32");
	assert_int_equal(jpath_int(o, "judge.attempts"), 10);
	assert_int_equal(jpath_int(o, "judge.cost_micro"), 100);
	assert_int_equal(jpath_int(o, "confidences"), 10);
	assert_true(json_is_null(json_object_get(o, "calibration_error")));
	json_decref(o);
}

/* A bin whose only attempt of a system failed is still there (the systems'
 * bins line up), with nothing counted. */
static void test_error_keeps_bin(void **state)
{
	json_t *o;

	(void)state;
	fill(2); /* attempt 1, the only one in bin >32, is an overflow */
	att[1].outcome = NULL;
	att[1].status = UM_ATT_ERROR;
	att[1].score = -1;
	o = judged_report_system(ap, item_of, 2, ip);
	assert_int_equal(json_array_size(json_object_get(o, "context_bins")), 2);
	assert_int_equal(jpath_int(json_array_get(json_object_get(o, "context_bins"), 1), "n"), 0);
	assert_int_equal(jpath_int(json_array_get(json_object_get(o, "context_bins"), 1), "outcomes"),
			 0);
	json_decref(o);
}

static void test_calibration(void **state)
{
	double conf[N], want, got = -1;
	int right[N];
	size_t i, k = 0;
	json_t *o;

	(void)state;
	fill(N);
	/* 75 judged attempts: below 100, none */
	o = judged_report_system(ap, item_of, N, ip);
	assert_int_equal(jpath_int(o, "confidences"), 75);
	assert_true(json_is_null(json_object_get(o, "calibration_error")));
	json_decref(o);
	/* every attempt judged with a confidence: 150, one given */
	for (i = 0; i < N; i++) {
		att[i].has_reward = 0;
		att[i].outcome = NULL;
		att[i].score = i % 3 == 0;
		item_of[i] = 0;
		snprintf(details[i], sizeof(details[i]),
			 "{\"grader\":\"judge\",\"judge\":{\"cost_micro\":1},\"confidence\":%d}",
			 (int)((i * 37) % 101));
		conf[k] = (double)((i * 37) % 101) / 100.0;
		right[k++] = i % 3 == 0;
	}
	o = judged_report_system(ap, item_of, N, ip);
	want = calibration_error(conf, right, k, 100);
	assert_false(isnan(want));
	assert_true(jpath_num(o, "calibration_error", &got));
	assert_true(fabs(got - want) < 1e-12);
	json_decref(o);
}

static void test_markdown(void **state)
{
	json_t *systems = json_array(), *s = json_object();
	um_buf b = UM_BUF_INIT;

	(void)state;
	fill(20);
	json_object_set_new(s, "name", json_string("m1"));
	json_object_set_new(s, "judged", judged_report_system(ap, item_of, 20, ip));
	json_array_append_new(systems, s);
	um_buf_init(&b, 0);
	judged_report_markdown(&b, systems);
	assert_non_null(strstr(um_buf_str(&b), "## Judged answers"));
	assert_non_null(strstr(um_buf_str(&b), "| m1 | none | 10 | 0.0001 | – (10 confidences) |"));
	assert_non_null(strstr(um_buf_str(&b), "| System | <=32 | >32 |"));
	assert_non_null(strstr(um_buf_str(&b), "| m1 | 50.0% (10) | 50.0% (9) |"));
	um_buf_release(&b);
	json_decref(systems);
	/* nothing for runs without judged sections */
	systems = json_array();
	json_array_append_new(systems, json_object());
	um_buf_init(&b, 0);
	judged_report_markdown(&b, systems);
	assert_int_equal(b.len, 0);
	um_buf_release(&b);
	json_decref(systems);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_error_keeps_bin),
		cmocka_unit_test(test_calibration),
		cmocka_unit_test(test_markdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
