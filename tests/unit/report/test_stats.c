/*
 * test_stats.c - the statistics against values worked out by hand (the
 * arithmetic is spelled out next to each expectation).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

static void test_t(void **state)
{
	(void)state;
	/* Student t quantiles (two-sided 95%): 12.7062047 at df 1, 2.2621572
	 * at df 9, 3.1824463 at df 3; df 0 is the normal */
	assert_near(stats_t_quantile2(0.95, 1), 12.706204736174698, 1e-8);
	assert_near(stats_t_quantile2(0.95, 9), 2.2621571627982, 1e-9);
	assert_near(stats_t_quantile2(0.95, 3), 3.18244630528371, 1e-9);
	assert_near(stats_t_quantile2(0.95, 0), Z95, 1e-12);
	assert_near(stats_t_sf2(2.2621571627982, 9), 0.05, 1e-10);
	/* df 1 is Cauchy: P(|T| >= 1) = 1/2 */
	assert_near(stats_t_sf2(1.0, 1), 0.5, 1e-12);
	assert_near(stats_t_sf2(0.0, 5), 1.0, 1e-12);
	assert_near(stats_t_sf2(INFINITY, 5), 0.0, 0);
	assert_true(isnan(stats_t_quantile2(1.0, 5)));
	assert_true(isnan(stats_t_sf2(NAN, 5)));
}

static void test_accuracy(void **state)
{
	/* 4 items x 3 samples: item0 1,1,1  item1 0,0,1  item2 1,0,0  item3 1,1,0.
	 * mean 7/12; cluster sums of deviations 1.25, -.75, -.75, .25; cluster-
	 * robust variance 4/3 * 2.75/144 = .0254630 over the binomial
	 * (7/12)(5/12)/12 = .0202546: design effect 1.257143, n_eff 9.545455,
	 * t(3) = 3.182446. Wilson on (7/12, n_eff) = [.184109, .896757];
	 * Jeffreys at the same quantile = [.146049, .933883] (mpmath); the
	 * union is the Jeffreys one. */
	static const double s[] = {1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0};
	static const size_t c[] = {0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3};
	static const double s2[] = {0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1};
	static const size_t c2[] = {2, 3, 0, 1, 1, 2, 3, 0, 0, 1, 2, 3};
	static const double all[] = {1, 1, 1, 1, 1, 1};
	static const size_t ca[] = {0, 0, 1, 1, 2, 2};
	um_acc a, b;

	(void)state;
	a = stats_accuracy(s, c, 12, 0.95);
	assert_near(a.est, 7.0 / 12.0, 1e-15);
	assert_near(a.se, sqrt(4.0 / 3.0 * 2.75 / 144.0), 1e-12);
	assert_near(a.deff, 1.2571428571428571, 1e-12);
	assert_near(a.n_eff, 9.545454545454545, 1e-12);
	assert_near(a.df, 3, 0);
	assert_int_equal(a.items, 4);
	assert_near(a.lo, 0.146048586478359, 1e-9);
	assert_near(a.hi, 0.933882535870962, 1e-9);
	/* the order of the attempts does not matter */
	b = stats_accuracy(s2, c2, 12, 0.95);
	assert_near(b.lo, a.lo, 1e-12);
	assert_near(b.hi, a.hi, 1e-12);
	/* the test it inverts: p < .05 exactly outside the interval */
	assert_true(stats_accuracy_p(&a, a.lo - 1e-6) < 0.05);
	assert_true(stats_accuracy_p(&a, a.lo + 1e-6) > 0.05);
	assert_true(stats_accuracy_p(&a, a.hi + 1e-6) < 0.05);
	assert_true(stats_accuracy_p(&a, a.hi - 1e-6) > 0.05);
	assert_near(stats_accuracy_p(&a, 7.0 / 12.0), 1.0, 1e-9);
	/* every attempt right: the design effect is the most repeats can cost
	 * (n / items = 2), so n_eff is the 3 items; the interval stays in [0, 1] */
	a = stats_accuracy(all, ca, 6, 0.95);
	assert_near(a.deff, 2.0, 0);
	assert_near(a.n_eff, 3.0, 0);
	assert_near(a.hi, 1.0, 0);
	assert_true(a.lo > 0.0 && a.lo < 1.0);
	/* one item: no spread between items can be estimated */
	a = stats_accuracy(s, c, 3, 0.95);
	assert_near(a.lo, 0.0, 0);
	assert_near(a.hi, 1.0, 0);
	assert_true(isnan(stats_accuracy_p(&a, 0.5)));
	a = stats_accuracy(NULL, NULL, 0, 0.95);
	assert_int_equal(a.n, 0);
	assert_near(a.hi, 1.0, 0);
}

static void test_paired_t(void **state)
{
	/* d = 1, 0, 1, 0, 0: mean .4, s^2 = .3, se = sqrt(.06), t(4) = 2.776445 */
	static const double d[] = {1, 0, 1, 0, 0};
	um_pdiff r;

	(void)state;
	r = stats_paired_t(d, 5, 0.95);
	assert_near(r.est, 0.4, 1e-15);
	assert_near(r.se, sqrt(0.06), 1e-12);
	assert_near(r.df, 4, 0);
	assert_near(r.lo, 0.4 - 2.7764451051977987 * sqrt(0.06), 1e-9);
	assert_near(r.hi, 1.0, 0); /* clamped */
	/* the t-test inverts it */
	assert_near(stats_t_test_p(r.est, r.se, r.df, r.lo), 0.05, 1e-9);
	r = stats_paired_t(d, 1, 0.95);
	assert_near(r.lo, -1.0, 0);
	assert_true(isnan(r.se));
	assert_near(stats_t_test_p(0.0, 0.0, 3, 0.0), 1.0, 0);
}

static void test_signflip(void **state)
{
	/* +1 x6, -1: 16 of the 128 sign vectors have |sum| >= 5 (= McNemar) */
	static const double d1[] = {0, 0, 1, 1, 1, 1, 1, 1, -1, 0};
	/* halves (two samples per item): 12 of 128 by enumeration (python) */
	static const double d2[] = {0.5, 0.5, 1, 0.5, -0.5, 1, 0.5};
	/* off any lattice, 4 non-zero: enumerated, 4 of 16 */
	static const double d3[] = {0.3, 0.7, -0.2, M_PI / 10};
	double big[60], p1, p2;
	int exact = -1, i;

	(void)state;
	assert_near(stats_signflip_p(d1, 10, 1, 0, &exact), 0.125, 1e-12);
	assert_int_equal(exact, 1);
	assert_near(stats_signflip_p(d1, 10, 1, 0, NULL), stats_mcnemar_exact(6, 1), 1e-12);
	assert_near(stats_signflip_p(d2, 7, 1, 0, &exact), 0.09375, 1e-12);
	assert_near(stats_signflip_p(d3, 4, 1, 0, &exact), 0.25, 1e-12);
	assert_int_equal(exact, 1);
	assert_near(stats_signflip_p(d1, 2, 1, 0, &exact), 1.0, 0); /* all zero */
	/* 60 irrational differences: Monte Carlo, seeded and reproducible */
	for (i = 0; i < 60; i++)
		big[i] = sin(i + 1.0) * M_SQRT2 + 0.2;
	p1 = stats_signflip_p(big, 60, 7, 4000, &exact);
	assert_int_equal(exact, 0);
	p2 = stats_signflip_p(big, 60, 7, 4000, NULL);
	assert_near(p1, p2, 0);
	assert_true(p1 > 0.0 && p1 <= 1.0);
	/* with a shift of .2 per item on sd ~1 over 60, p is small */
	assert_true(p1 < 0.2);
}

static void test_holm(void **state)
{
	double p[] = {0.01, 0.04, 0.03, NAN}, adj[4];

	(void)state;
	/* three in the family: .01 * 3 = .03; .03 * 2 = .06; max(.04 * 1, .06) */
	stats_holm(p, 4, adj);
	assert_near(adj[0], 0.03, 1e-15);
	assert_near(adj[2], 0.06, 1e-15);
	assert_near(adj[1], 0.06, 1e-15);
	assert_true(isnan(adj[3]));
	/* in place, capped at 1: .5 * 2 = 1, then max(.6, 1) */
	p[0] = 0.6;
	p[1] = 0.5;
	stats_holm(p, 2, p);
	assert_near(p[0], 1.0, 0);
	assert_near(p[1], 1.0, 0);
}

static void test_mde_and_planning(void **state)
{
	uint64_t g;

	(void)state;
	/* (t(9, .975) + t(9, .8)) * se = (2.262157 + .883404) * sqrt(.05) */
	assert_near(stats_mde(sqrt(0.05), 9, 0.95, 0.8), 0.703368827364739, 1e-9);
	assert_near(stats_mde(1.0, 0, 0.95, 0.8), Z95 + 0.8416212335729143, 1e-9);
	/* per-item variance .1 + .2 / 2 = .2: the smallest G with MDE <= .1 */
	g = stats_items_needed(0.1, 0.2, 2, 0.1, 0.95, 0.8);
	assert_true(stats_mde(sqrt(0.2 / g), (double)(g - 1), 0.95, 0.8) <= 0.1);
	assert_true(stats_mde(sqrt(0.2 / (g - 1)), (double)(g - 2), 0.95, 0.8) > 0.1);
	/* about (1.96 + .84)^2 * .2 / .01 = 157 */
	assert_true(g >= 157 && g <= 162);
	/* more repeats, fewer items */
	assert_true(stats_items_needed(0.1, 0.2, 8, 0.1, 0.95, 0.8) < g);
	assert_int_equal(stats_items_needed(0.1, 0.2, 2, 0.0, 0.95, 0.8), 0);
	assert_int_equal(stats_items_needed(0.0, 0.0, 2, 0.1, 0.95, 0.8), 0);
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

/* Wilson bounds for a proportion p over n at quantile q (the formula). */
static void wilson_by_hand(double p, double n, double q, double *lo, double *hi)
{
	double d = 1.0 + q * q / n, c = (p + q * q / (2.0 * n)) / d;
	double h = q * sqrt(p * (1.0 - p) / n + q * q / (4.0 * n * n)) / d;

	*lo = c - h;
	*hi = c + h;
}

static void test_max_linear(void **state)
{
	double a[48], b[48], c[48], W1[] = {1.0}, W2[] = {1.0, 0.0, 0.0, 1.0};
	double W3[] = {1.0, 0.0, 0.5, 0.5};
	const double *x1[] = {a}, *x2[] = {a, a}, *xab[] = {a, b}, *xac[] = {a, c};
	um_interval one, two, mix, again, ind, g1;
	size_t i;

	(void)state;
	for (i = 0; i < 48; i++) {
		a[i] = i % 4 == 0 ? 0.0 : 1.0; /* 36 of 48 */
		b[i] = i % 3 == 0 ? 0.0 : 1.0; /* 32 of 48 */
		c[i] = (i * 7) % 4 == 1 ? 0.0 : 1.0;
	}
	/* one statistic: the item-mean interval (t quantile, n_eff <= G); the
	 * lower bound's quantile is the Monte Carlo one of a single normal,
	 * never below t and within its Monte Carlo error of it */
	one = stats_max_linear(x1, 1, 48, W1, 1, 1.0, 0.95, 7, 1000);
	{
		double wl, wh, t47 = stats_t_quantile2(0.95, 47.0);
		/* s^2 = 48 * 0.75 * 0.25 / 47, n_eff = 0.1875 / (s^2 / 48) = 47 */
		wilson_by_hand(0.75, 47.0, t47, &wl, &wh);
		assert_near(one.est, 0.75, 1e-12);
		assert_true(one.lo <= wl + 1e-12 && one.lo > wl - 0.03);
		assert_true(one.hi >= wh - 1e-12 && one.hi < wh + 0.02);
	}
	/* the same statistic twice: perfectly correlated, the same interval */
	two = stats_max_linear(x2, 2, 48, W2, 2, 1.0, 0.95, 7, 1000);
	assert_near(two.lo, one.lo, 1e-9);
	assert_near(two.hi, one.hi, 1e-9);
	/* a second, weaker statistic: the upper bound is the larger of the two
	 * upper bounds, the lower bound pays for the maximum (lower than the
	 * strong one's alone) but stays below the estimate */
	mix = stats_max_linear(xab, 2, 48, W2, 2, 1.0, 0.95, 7, 1000);
	assert_near(mix.est, 0.75, 1e-12);
	assert_true(mix.hi >= one.hi - 1e-12);
	assert_true(mix.lo < one.lo && mix.lo < mix.est && mix.est < mix.hi);
	again = stats_max_linear(xab, 2, 48, W2, 2, 1.0, 0.95, 7, 1000);
	assert_near(again.lo, mix.lo, 0);
	assert_near(again.hi, mix.hi, 0);
	/* a mixture row: est the larger of 0.75 and (0.75 + mean c) / 2 */
	ind = stats_max_linear(xac, 2, 48, W3, 2, 1.0, 0.95, 7, 1000);
	assert_true(ind.est >= 0.75 - 1e-12 && ind.lo >= 0.0 && ind.hi <= 1.0);
	/* one item: nothing can be said */
	g1 = stats_max_linear(x1, 1, 1, W1, 1, 1.0, 0.95, 7, 1000);
	assert_near(g1.lo, 0.0, 0);
	assert_near(g1.hi, 1.0, 0);
}

/* pass@k's interval: Clopper-Pearson over the items as trials, which
 * reaches a truth of 0.993 from 11 of 12 (Wilson and Jeffreys stop short,
 * at 0.985 and 0.991). */
static void test_item_mean(void **state)
{
	double v[12];
	um_interval iv;
	int i;

	(void)state;
	for (i = 0; i < 12; i++)
		v[i] = i ? 1.0 : 0.0;
	iv = stats_item_mean(v, 12, 0.95);
	assert_near(iv.est, 11.0 / 12.0, 1e-12);
	assert_near(iv.hi, pow(0.975, 1.0 / 12.0), 1e-9);
	assert_true(iv.lo < 0.62 && iv.lo > 0.61); /* Beta(0.025; 11, 2) = 0.6152 */
	v[0] = 1.0;
	iv = stats_item_mean(v, 12, 0.95);
	assert_near(iv.lo, pow(0.025, 1.0 / 12.0), 1e-9);
	assert_near(iv.hi, 1.0, 0);
	for (i = 0; i < 12; i++)
		v[i] = 0.0;
	iv = stats_item_mean(v, 12, 0.95);
	assert_near(iv.lo, 0.0, 0);
	assert_near(iv.hi, 1.0 - pow(0.025, 1.0 / 12.0), 1e-9);
	iv = stats_item_mean(v, 0, 0.95);
	assert_near(iv.lo, 0.0, 0);
	assert_near(iv.hi, 1.0, 0);
}

static void test_pass_hat_k(void **state)
{
	(void)state;
	/* C(2,2)/C(4,2) = 1/6; all right: 1; fewer right than k: 0 */
	assert_near(stats_pass_hat_k(4, 2, 2), 1.0 / 6.0, 1e-15);
	assert_near(stats_pass_hat_k(4, 4, 3), 1.0, 0);
	assert_near(stats_pass_hat_k(4, 1, 2), 0.0, 0);
	/* k = 1 is the mean */
	assert_near(stats_pass_hat_k(5, 3, 1), 0.6, 1e-15);
	assert_true(isnan(stats_pass_hat_k(3, 1, 0)));
	assert_true(isnan(stats_pass_hat_k(3, 1, 4)));
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

/* The streaming forms agree with the array forms bit for bit: the accuracy
 * of values grouped by item (empty groups among them), and percentiles
 * from value counts, on generated data. */
static void test_streaming_forms(void **state)
{
	enum { N = 3000, G = 97 };
	double *x = um_xmalloc(N * sizeof(*x));
	size_t *cl = um_xmalloc(N * sizeof(*cl)), len[G] = {0}, n = 0, g, k;
	int64_t *v = um_xmalloc(N * sizeof(*v));
	um_counts c = {0};
	um_rng rng;
	int round;

	(void)state;
	um_rng_seed(&rng, 7);
	for (round = 0; round < 20; round++) {
		um_acc a, b;

		n = 0;
		for (g = 0; g < G; g++) {
			len[g] = g % 7 == 3 ? 0 : um_rng_next(&rng) % (size_t)(round + 2);
			for (k = 0; k < len[g] && n < N; k++, n++) {
				double u = um_rng_uniform(&rng);
				x[n] = round % 2 ? (u < 0.6 ? 1.0 : 0.0) : u;
				cl[n] = g;
			}
			if (n == N)
				len[g] = k;
		}
		a = stats_accuracy(x, cl, n, 0.95);
		b = stats_accuracy_grouped(x, len, G, 0.95);
		assert_memory_equal(&a.est, &b.est, sizeof(double));
		assert_true(memcmp(&a.se, &b.se, sizeof(double)) == 0 || (isnan(a.se) && isnan(b.se)));
		assert_memory_equal(&a.lo, &b.lo, sizeof(double));
		assert_memory_equal(&a.hi, &b.hi, sizeof(double));
		assert_memory_equal(&a.n_eff, &b.n_eff, sizeof(double));
		assert_int_equal(a.items, b.items);
	}
	assert_int_equal(stats_accuracy_grouped(x, len, 0, 0.95).n, 0);
	for (k = 0; k < N; k++) {
		v[k] = (int64_t)(um_rng_next(&rng) % (k < 100 ? 5 : 400)) - 3;
		stats_counts_add(&c, v[k]);
		if (k % 211 == 0 || k == N - 1) {
			double p[] = {0, 1, 50, 90, 99, 100};
			size_t q;
			for (q = 0; q < sizeof(p) / sizeof(p[0]); q++)
				assert_int_equal(stats_counts_percentile(&c, p[q]),
						 stats_percentile_i64(v, k + 1, p[q]));
		}
	}
	assert_int_equal(c.total, N);
	stats_counts_release(&c);
	assert_int_equal(stats_counts_percentile(&c, 50), 0);
	free(x);
	free(cl);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_z_for_level),  cmocka_unit_test(test_wilson),
		cmocka_unit_test(test_t),            cmocka_unit_test(test_accuracy),
		cmocka_unit_test(test_paired_t),     cmocka_unit_test(test_signflip),
		cmocka_unit_test(test_holm),         cmocka_unit_test(test_mde_and_planning),
		cmocka_unit_test(test_mcnemar),
		cmocka_unit_test(test_percentile),   cmocka_unit_test(test_pass_at_k),
		cmocka_unit_test(test_pass_hat_k),   cmocka_unit_test(test_item_mean),
		cmocka_unit_test(test_max_linear),   cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_streaming_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
