/*
 * test_calibration.c - HLE's calibration error against a transcription of
 * its calib_err run with python3 (stable sort) on the same pseudo-random
 * confidences: one LCG written in both languages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include <cmocka.h>

#include "base/util.h"
#include "report/calibration.h"

/* x = (x*1103515245 + 12345) % 2**31; conf = (x>>16) % 101; then again,
 * correct = (x>>16) % 100 < conf * 0.6; conf / 100 */
static void gen(uint64_t x, size_t n, double *c, int *k)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t conf;

		x = (x * 1103515245u + 12345u) % 2147483648u;
		conf = (x >> 16) % 101;
		x = (x * 1103515245u + 12345u) % 2147483648u;
		k[i] = (double)((x >> 16) % 100) < (double)conf * 0.6;
		c[i] = (double)conf / 100;
	}
}

static void test_against_python(void **state)
{
	static const struct {
		unsigned seed;
		size_t n, beta;
		double want;
	} cases[] = {
		{1, 250, 100, 0.042374520646256235}, {2, 1000, 100, 0.21596158223165537},
		{3, 37, 10, 0.16600960571361284},    {4, 100, 100, 0.0},
		{5, 199, 100, 0.0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double *c = um_xmalloc(cases[i].n * sizeof(*c));
		int *k = um_xmalloc(cases[i].n * sizeof(*k));
		double got;

		gen(cases[i].seed, cases[i].n, c, k);
		got = calibration_error(c, k, cases[i].n, cases[i].beta);
		if (fabs(got - cases[i].want) > 1e-15)
			fail_msg("case %zu: %.17g, want %.17g", i, got, cases[i].want);
		free(c);
		free(k);
	}
}

static void test_by_hand(void **state)
{
	/* 4 items, bins of 2: the first bin (0.1, 0.3; one right) has a gap of
	 * 0.3, weighted 2/4; the last bin is not summed: sqrt(0.5 * 0.09) */
	static const double c[] = {0.9, 0.1, 0.3, 1.0};
	static const int k[] = {0, 1, 0, 0};

	(void)state;
	assert_true(fabs(calibration_error(c, k, 4, 2) - sqrt(0.5 * 0.09)) < 1e-15);
	assert_true(isnan(calibration_error(c, k, 1, 2)));
	assert_true(isnan(calibration_error(c, k, 4, 0)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_python),
		cmocka_unit_test(test_by_hand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
