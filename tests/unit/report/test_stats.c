/*
 * test_stats.c - the statistics against values worked out by hand (the
 * arithmetic is spelled out next to each expectation).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "report/stats.h"
#include "base/util.h"

#define Z95 1.959963984540054

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.15g, want %.15g (tolerance %g)", got, want, tol);
}

static void test_z_for_level(void **state)
{
	(void)state;
	assert_near(stats_z_for_level(0.95), Z95, 1e-12);
	assert_near(stats_z_for_level(0.99), 2.5758293035489004, 1e-12);
	assert_near(stats_z_for_level(0.90), 1.6448536269514722, 1e-12);
	/* P(|Z| <= 1) = erf(1/sqrt 2) */
	assert_near(stats_z_for_level(erf(1.0 / sqrt(2.0))), 1.0, 1e-12);
	assert_true(isnan(stats_z_for_level(0.0)));
	assert_true(isnan(stats_z_for_level(1.0)));
	assert_true(isnan(stats_z_for_level(-3.0)));
	assert_true(isnan(stats_z_for_level(NAN)));
}

static void test_wilson(void **state)
{
	um_interval r;

	(void)state;
	/* 0/10: centre = hi/2 = (z^2/20) / (1 + z^2/10) = 0.19208 / 1.38415 */
	r = stats_wilson(0, 10, Z95);
	assert_near(r.est, 0.0, 0);
	assert_near(r.lo, 0.0, 0);
	assert_near(r.hi, 0.2775327998628892, 1e-12);
	/* 5/10: 0.5 -/+ z sqrt(0.025 + z^2/400) / 1.38415 */
	r = stats_wilson(5, 10, Z95);
	assert_near(r.est, 0.5, 0);
	assert_near(r.lo, 0.236593090512564, 1e-12);
	assert_near(r.hi, 0.7634069094874361, 1e-12);
	/* 10/10 mirrors 0/10 */
	r = stats_wilson(10, 10, Z95);
	assert_near(r.est, 1.0, 0);
	assert_near(r.lo, 1.0 - 0.2775327998628892, 1e-12);
	assert_near(r.hi, 1.0, 0);
	/* n = 0: nothing known */
	r = stats_wilson(0, 0, Z95);
	assert_near(r.est, 0.0, 0);
	assert_near(r.lo, 0.0, 0);
	assert_near(r.hi, 1.0, 0);
	/* k > n is clamped, not a crash */
	r = stats_wilson(12, 10, Z95);
	assert_near(r.est, 1.0, 0);
}

static void test_clustered_mean(void **state)
{
	/* 4 items x 3 samples: item0 1,1,1  item1 0,0,1  item2 1,0,0  item3 1,1,0.
	 * mean 7/12; cluster sums of deviations: 3-7/4, 1-7/4, 1-7/4, 2-7/4
	 * = 1.25, -0.75, -0.75, 0.25; squares sum 2.75; var = 4/3 * 2.75/144
	 * = 0.0254630; se = 0.159571. */
	static const double s[] = {1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0};
	static const size_t c[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
	/* the same, shuffled */
	static const double s2[] = {0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1};
	static const size_t c2[] = {2, 3, 0, 1, 1, 2, 3, 0, 0, 1, 2, 3};
	/* one sample per item: the plain standard error, s^2/n with n - 1 */
	static const double p[] = {1, 0, 1, 1};
	static const size_t pc[] = {0, 1, 2, 3};
	um_interval r, r2;
	double se = sqrt(4.0 / 3.0 * 2.75 / 144.0);

	(void)state;
	r = stats_clustered_mean(s, c, 12, Z95);
	assert_near(r.est, 7.0 / 12.0, 1e-15);
	assert_near(r.lo, 7.0 / 12.0 - Z95 * se, 1e-12);
	assert_near(r.hi, 7.0 / 12.0 + Z95 * se, 1e-12);
	r2 = stats_clustered_mean(s2, c2, 12, Z95);
	assert_near(r2.est, r.est, 1e-15);
	assert_near(r2.lo, r.lo, 1e-12);
	assert_near(r2.hi, r.hi, 1e-12);

	/* mean .75, sample var = .25, se = .25: interval clamped at 1 */
	r = stats_clustered_mean(p, pc, 4, Z95);
	assert_near(r.est, 0.75, 0);
	assert_near(r.lo, 0.75 - Z95 * 0.25, 1e-12);
	assert_near(r.hi, 1.0, 0);

	/* no data, and one cluster only */
	r = stats_clustered_mean(NULL, NULL, 0, Z95);
	assert_near(r.lo, 0.0, 0);
	assert_near(r.hi, 1.0, 0);
	r = stats_clustered_mean(s, c, 3, Z95);
	assert_near(r.est, 1.0, 0);
	assert_near(r.lo, 0.0, 0);
	assert_near(r.hi, 1.0, 0);
}

static void test_paired_diff(void **state)
{
	/* d = 1, 0, 0, 0, 1: mean .4, sample sd sqrt(.3), se sqrt(.3/5) */
	static const double a[] = {1, 1, 0.5, 0, 1};
	static const double b[] = {0, 1, 0.5, 0, 0};
	um_interval r;

	(void)state;
	r = stats_paired_diff(a, b, 5, Z95);
	assert_near(r.est, 0.4, 1e-15);
	assert_near(r.lo, 0.4 - Z95 * sqrt(0.3 / 5.0), 1e-12);
	assert_near(r.hi, 0.4 + Z95 * sqrt(0.3 / 5.0), 1e-12);
	r = stats_paired_diff(b, a, 5, Z95);
	assert_near(r.est, -0.4, 1e-15);
	assert_near(r.hi, -0.4 + Z95 * sqrt(0.3 / 5.0), 1e-12);
	/* identical systems: zero-width interval at 0 */
	r = stats_paired_diff(a, a, 5, Z95);
	assert_near(r.est, 0.0, 0);
	assert_near(r.lo, 0.0, 0);
	assert_near(r.hi, 0.0, 0);
	/* one item: no spread estimate, widest interval */
	r = stats_paired_diff(a, b, 1, Z95);
	assert_near(r.est, 1.0, 0);
	assert_near(r.lo, -1.0, 0);
	assert_near(r.hi, 1.0, 0);
	r = stats_paired_diff(NULL, NULL, 0, Z95);
	assert_near(r.est, 0.0, 0);
}

static void test_mcnemar(void **state)
{
	(void)state;
	/* b=1, c=6: 2 * (C(7,0) + C(7,1)) / 2^7 = 2 * 8/128 */
	assert_near(stats_mcnemar_exact(1, 6), 0.125, 1e-12);
	assert_near(stats_mcnemar_exact(6, 1), 0.125, 1e-12);
	assert_near(stats_mcnemar_exact(0, 0), 1.0, 0);
	/* b=0, c=5: 2/32 */
	assert_near(stats_mcnemar_exact(0, 5), 0.0625, 1e-12);
	/* b=c: capped at 1 */
	assert_near(stats_mcnemar_exact(3, 3), 1.0, 0);
	/* b=2, c=8: 2 * (1 + 10 + 45)/1024 */
	assert_near(stats_mcnemar_exact(2, 8), 112.0 / 1024.0, 1e-12);
	/* large counts stay finite and tiny */
	assert_true(stats_mcnemar_exact(0, 2000) >= 0.0 && stats_mcnemar_exact(0, 2000) < 1e-300);
	assert_near(stats_mcnemar_exact(400, 600) / 2.7284641560660184e-10, 1.0, 1e-6);
	assert_true(stats_mcnemar_exact(1000, 1000) == 1.0);
}

static void test_binom(void **state)
{
	(void)state;
	/* k=2, n=10, p=.5: symmetric, 2 * 56/1024 */
	assert_near(stats_binom_test(2, 10, 0.5), 0.109375, 1e-12);
	/* k=3, n=10, p=.2: P(3)=.201327; outcomes at most that likely are 0 and
	 * 3..10: .107374 + 1 - (.107374 + .268435 + .301990) */
	assert_near(stats_binom_test(3, 10, 0.2), 0.4295746560000002, 1e-9);
	/* k=0, n=10, p=.2: P(0)=.107374 plus the upper tail 4..10 */
	assert_near(stats_binom_test(0, 10, 0.2), 0.22824806400000014, 1e-9);
	/* the most likely outcome gives 1 */
	assert_near(stats_binom_test(2, 10, 0.2), 1.0, 1e-12);
	assert_near(stats_binom_test(0, 0, 0.3), 1.0, 0);
	/* degenerate p0 */
	assert_near(stats_binom_test(0, 5, 0.0), 1.0, 0);
	assert_near(stats_binom_test(1, 5, 0.0), 0.0, 0);
	assert_near(stats_binom_test(5, 5, 1.0), 1.0, 0);
	assert_near(stats_binom_test(4, 5, 1.0), 0.0, 0);
	assert_near(stats_binom_test(0, 5, NAN), 1.0, 0);
}

static void test_percentile(void **state)
{
	static const int64_t v[] = {50, 10, 40, 20, 30, 100, 90, 80, 70, 60};
	static const int64_t one[] = {7};
	int64_t fifty[50];
	int i;

	(void)state;
	/* nearest rank: ceil(p/100 * n) */
	assert_int_equal(stats_percentile_i64(v, 10, 50), 50);
	assert_int_equal(stats_percentile_i64(v, 10, 90), 90);
	assert_int_equal(stats_percentile_i64(v, 10, 91), 100);
	assert_int_equal(stats_percentile_i64(v, 10, 100), 100);
	assert_int_equal(stats_percentile_i64(v, 10, 0), 10);
	assert_int_equal(stats_percentile_i64(v, 9, 50), 50); /* 9 values: rank 5 */
	assert_int_equal(stats_percentile_i64(one, 1, 90), 7);
	assert_int_equal(stats_percentile_i64(NULL, 0, 50), 0);
	/* rank exactly 7 of 50, where 0.14 * 50 in floating point is
	 * 7.000000000000001 and a naive ceil would give 8 */
	for (i = 0; i < 50; i++)
		fifty[i] = i + 1;
	assert_int_equal(stats_percentile_i64(fifty, 50, 14), 7);
	assert_int_equal(stats_percentile_i64(fifty, 50, 90), 45);
	/* the input is not reordered */
	assert_int_equal(v[0], 50);
}

static void test_pass_at_k(void **state)
{
	(void)state;
	assert_near(stats_pass_at_k(10, 3, 1), 0.3, 1e-12);
	/* 1 - C(7,5)/C(10,5) = 1 - 21/252 */
	assert_near(stats_pass_at_k(10, 3, 5), 1.0 - 21.0 / 252.0, 1e-12);
	assert_near(stats_pass_at_k(5, 0, 2), 0.0, 0);
	assert_near(stats_pass_at_k(4, 3, 2), 1.0, 0); /* n - c < k */
	assert_near(stats_pass_at_k(4, 4, 4), 1.0, 0);
	assert_true(isnan(stats_pass_at_k(4, 1, 0)));
	assert_true(isnan(stats_pass_at_k(4, 1, 5)));
}

static void test_histogram(void **state)
{
	um_hist h;
	int64_t vals[1000];
	int i;
	um_rng rng;

	(void)state;
	hist_init(&h);
	assert_int_equal(hist_percentile(&h, 50), 0);

	/* small values are exact */
	for (i = 1; i <= 10; i++)
		hist_add(&h, i);
	assert_int_equal(hist_percentile(&h, 50), 5);
	assert_int_equal(hist_percentile(&h, 90), 9);
	assert_int_equal(hist_percentile(&h, 100), 10);

	/* larger ones within the bucket width (1/16 of the value) of the exact
	 * nearest-rank percentile, never below it, never above the maximum */
	hist_init(&h);
	um_rng_seed(&rng, 42);
	for (i = 0; i < 1000; i++) {
		vals[i] = 50 + (int64_t)um_rng_below(&rng, 60000);
		hist_add(&h, vals[i]);
	}
	assert_int_equal(h.n, 1000);
	{
		static const double pcts[] = {1, 10, 50, 90, 99, 99.9};
		size_t k;
		for (k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
			int64_t exact = stats_percentile_i64(vals, 1000, pcts[k]);
			int64_t approx = hist_percentile(&h, pcts[k]);
			assert_true(approx >= exact);
			assert_true(approx <= exact + exact / 16 + 1);
		}
	}
	assert_int_equal(hist_percentile(&h, 100), h.max);

	/* negative values count as 0; huge values land in the last bucket and
	 * the maximum is reported exactly */
	hist_init(&h);
	hist_add(&h, -5);
	hist_add(&h, INT64_C(1) << 50);
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_int_equal(hist_percentile(&h, 100), INT64_C(1) << 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_z_for_level),  cmocka_unit_test(test_wilson),
		cmocka_unit_test(test_clustered_mean), cmocka_unit_test(test_paired_diff),
		cmocka_unit_test(test_mcnemar),      cmocka_unit_test(test_binom),
		cmocka_unit_test(test_percentile),   cmocka_unit_test(test_pass_at_k),
		cmocka_unit_test(test_histogram),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
