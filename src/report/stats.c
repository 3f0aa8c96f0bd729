/*
 * stats.c - the statistics behind a report: Student t and normal quantiles,
 * the item-clustered accuracy interval (Wilson and Jeffreys on the design-
 * effect-adjusted effective sample size) and the test it inverts, paired t
 * intervals, the sign-flip permutation test, McNemar, Holm's adjustment, the
 * minimum detectable difference and the items it needs, pass@k and pass^k,
 * percentiles and a bounded-memory latency histogram. The methods and their
 * references: docs/report.md, "Methods"; their calibration: bench/calibrate.
 *
 * Everything here is deterministic and order-independent where the inputs
 * are sets: callers may pass scores in any order and get the same interval
 * up to floating-point summation order (the report sorts its inputs first so
 * its text is byte-stable). Exact tests sum probabilities in log space
 * (lgamma) so they stay finite for tens of thousands of trials.
 */
#include "report/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

static double clamp(double x, double lo, double hi)
{
	if (x < lo)
		return lo;
	if (x > hi)
		return hi;
	return x;
}

um_interval stats_wilson(uint64_t k, uint64_t n, double z)
{
	um_interval r = {0.0, 0.0, 1.0};
	double nn, p, z2, denom, centre, half;

	if (n == 0)
		return r;
	if (k > n)
		k = n;
	nn = (double)n;
	p = (double)k / nn;
	z2 = z * z;
	denom = 1.0 + z2 / nn;
	centre = (p + z2 / (2.0 * nn)) / denom;
	half = z * sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn)) / denom;
	r.est = p;
	r.lo = k == 0 ? 0.0 : clamp(centre - half, 0.0, 1.0);
	r.hi = k == n ? 1.0 : clamp(centre + half, 0.0, 1.0);
	return r;
}

/* Orders (cluster, index) pairs. */
static int cmp_pair(const void *a, const void *b)
{
	const size_t *x = a, *y = b;

	if (x[0] != y[0])
		return (x[0] > y[0]) - (x[0] < y[0]);
	return (x[1] > y[1]) - (x[1] < y[1]);
}

/* log of the binomial probability mass P(X = i), X ~ Bin(n, p), 0 < p < 1. */
static double log_binom_pmf(uint64_t i, uint64_t n, double lp, double lq)
{
	double dn = (double)n, di = (double)i;
	return lgamma(dn + 1.0) - lgamma(di + 1.0) - lgamma(dn - di + 1.0) + di * lp +
	       (dn - di) * lq;
}

double stats_mcnemar_exact(uint64_t b, uint64_t c)
{
	uint64_t n = b + c, k = b < c ? b : c, i;
	double tail = 0.0, l2 = log(0.5);

	if (n == 0)
		return 1.0;
	/* Two-sided: twice the smaller tail of Bin(b + c, 1/2). */
	for (i = 0; i <= k; i++)
		tail += exp(log_binom_pmf(i, n, l2, l2));
	return clamp(2.0 * tail, 0.0, 1.0);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* 1-based nearest rank for pct of n (n > 0): ceil(pct/100 * n) in [1, n]. */
static uint64_t nearest_rank(double pct, uint64_t n)
{
	double r = pct * (double)n / 100.0;
	double c = ceil(r - 1e-9 * (r > 1.0 ? r : 1.0));

	if (!(c >= 1.0))
		return 1;
	if (c >= (double)n)
		return n;
	return (uint64_t)c;
}

int64_t stats_percentile_i64(const int64_t *v, size_t n, double pct)
{
	int64_t *s, r;

	if (n == 0)
		return 0;
	s = um_xmalloc(n * sizeof(*s));
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_i64);
	r = s[nearest_rank(pct, n) - 1];
	free(s);
	return r;
}

/* Fibonacci hashing into a table of cap (a power of two) slots. */
static size_t counts_slot(int64_t v, size_t cap)
{
	return (size_t)(((uint64_t)v * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

void stats_counts_add(um_counts *c, int64_t v)
{
	size_t i;

	if (2 * (c->used + 1) > c->cap) {
		um_counts big = {NULL, NULL, 0, c->cap ? 2 * c->cap : 64, c->total};
		big.key = um_xcalloc(big.cap, sizeof(*big.key));
		big.n = um_xcalloc(big.cap, sizeof(*big.n));
		for (i = 0; i < c->cap; i++)
			if (c->n[i]) {
				size_t j = counts_slot(c->key[i], big.cap);
				while (big.n[j])
					j = (j + 1) & (big.cap - 1);
				big.key[j] = c->key[i];
				big.n[j] = c->n[i];
				big.used++;
			}
		stats_counts_release(c);
		*c = big;
	}
	i = counts_slot(v, c->cap);
	while (c->n[i] && c->key[i] != v)
		i = (i + 1) & (c->cap - 1);
	c->used += c->n[i] == 0;
	c->key[i] = v;
	c->n[i]++;
	c->total++;
}

int64_t stats_counts_percentile(const um_counts *c, double pct)
{
	int64_t *keys, r = 0;
	size_t i, m = 0;
	uint64_t rank, seen = 0;

	if (!c->total)
		return 0;
	keys = um_xmalloc(c->used * sizeof(*keys));
	for (i = 0; i < c->cap; i++)
		if (c->n[i])
			keys[m++] = c->key[i];
	qsort(keys, m, sizeof(*keys), cmp_i64);
	rank = nearest_rank(pct, c->total);
	for (i = 0; i < m; i++) {
		size_t j = counts_slot(keys[i], c->cap);
		while (c->key[j] != keys[i] || !c->n[j])
			j = (j + 1) & (c->cap - 1);
		seen += c->n[j];
		r = keys[i];
		if (seen >= rank)
			break;
	}
	free(keys);
	return r;
}

void stats_counts_release(um_counts *c)
{
	free(c->key);
	free(c->n);
	memset(c, 0, sizeof(*c));
}

/* pass@k = 1 - C(n - c, k) / C(n, k), as a stable product. k == 0 or
 * k > n is undefined and gives NAN. */
double stats_pass_at_k(uint64_t n, uint64_t c, uint64_t k)
{
	double prod = 1.0;
	uint64_t i;

	if (k == 0 || k > n)
		return NAN;
	if (c > n)
		c = n;
	if (n - c < k)
		return 1.0;
	for (i = n - c + 1; i <= n; i++)
		prod *= 1.0 - (double)k / (double)i;
	return 1.0 - prod;
}

/* z with P(|Z| <= z) = level, by bisection on erfc (monotone, exact to the
 * last bit after enough halvings). Outside (0, 1): NAN. */
double stats_z_for_level(double level)
{
	double alpha, lo = 0.0, hi = 40.0;
	int i;

	if (!(level > 0.0) || !(level < 1.0))
		return NAN;
	alpha = 1.0 - level;
	for (i = 0; i < 200; i++) {
		double mid = 0.5 * (lo + hi);
		if (mid <= lo || mid >= hi)
			break;
		/* Two-sided tail mass beyond mid: erfc(mid / sqrt 2). */
		if (erfc(mid / M_SQRT2) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/*
 * Histogram buckets: values 0..15 ms have a bucket each; above that every
 * power of two [2^e, 2^(e+1)) is split into 16 equal sub-buckets, so a
 * bucket is at most 1/16 (6.25%) of its lower bound wide. 512 buckets reach
 * 2^35 ms; larger values land in the last bucket.
 */
#define HIST_SUB 16
#define HIST_SUB_BITS 4

static unsigned hist_bucket(int64_t ms)
{
	uint64_t v = ms < 0 ? 0 : (uint64_t)ms;
	unsigned e, b;

	if (v < HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	b = HIST_SUB * (e - HIST_SUB_BITS + 1) +
	    (unsigned)((v >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
	if (b >= UM_ARRAY_LEN(((um_hist *)0)->counts))
		b = UM_ARRAY_LEN(((um_hist *)0)->counts) - 1;
	return b;
}

static int64_t hist_bucket_upper(unsigned b)
{
	unsigned e, sub;
	int64_t width, lower;

	if (b < HIST_SUB)
		return (int64_t)b;
	e = b / HIST_SUB + HIST_SUB_BITS - 1;
	sub = b % HIST_SUB;
	width = (int64_t)1 << (e - HIST_SUB_BITS);
	lower = (int64_t)(HIST_SUB + sub) * width;
	return lower + width - 1;
}

void hist_init(um_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void hist_add(um_hist *h, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	h->counts[hist_bucket(ms)]++;
	if (h->n == 0 || ms > h->max)
		h->max = ms;
	h->n++;
}

int64_t hist_percentile(const um_hist *h, double pct)
{
	uint64_t rank, seen = 0;
	unsigned b;

	if (h->n == 0)
		return 0;
	rank = nearest_rank(pct, h->n);
	for (b = 0; b < UM_ARRAY_LEN(h->counts); b++) {
		seen += h->counts[b];
		if (seen >= rank) {
			int64_t up = hist_bucket_upper(b);
			if (b == UM_ARRAY_LEN(h->counts) - 1)
				return h->max;
			return up < h->max ? up : h->max;
		}
	}
	return h->max;
}

/* ---- item-clustered methods ---------------------------------------------- */

/* Continued fraction of the regularised incomplete beta function (modified
 * Lentz), converging for x < (a + 1) / (a + b + 2). */
static double beta_cf(double a, double b, double x)
{
	const double tiny = 1e-300;
	double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), h;
	int m;

	if (fabs(d) < tiny)
		d = tiny;
	d = 1.0 / d;
	h = d;
	for (m = 1; m <= 500; m++) {
		double m2 = 2.0 * m, num, del;

		num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		h *= d * c;
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
		d = 1.0 + num * d;
		c = 1.0 + num / c;
		if (fabs(d) < tiny)
			d = tiny;
		if (fabs(c) < tiny)
			c = tiny;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < 1e-15)
			break;
	}
	return h;
}

/* Regularised incomplete beta I_x(a, b). */
static double ibeta(double a, double b, double x)
{
	double lbt;

	if (!(x > 0.0))
		return 0.0;
	if (!(x < 1.0))
		return 1.0;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
	if (x < (a + 1.0) / (a + b + 2.0))
		return exp(lbt) * beta_cf(a, b, x) / a;
	return 1.0 - exp(lbt) * beta_cf(b, a, 1.0 - x) / b;
}

double stats_t_sf2(double t, double df)
{
	if (isnan(t))
		return NAN;
	t = fabs(t);
	if (isinf(t))
		return 0.0;
	if (!(df > 0.0))
		return erfc(t / M_SQRT2);
	return clamp(ibeta(df / 2.0, 0.5, df / (df + t * t)), 0.0, 1.0);
}

double stats_t_quantile2(double level, double df)
{
	double alpha, lo = 0.0, hi = 1e7;
	int i;

	if (!(df > 0.0))
		return stats_z_for_level(level);
	if (!(level > 0.0) || !(level < 1.0))
		return NAN;
	alpha = 1.0 - level;
	for (i = 0; i < 300; i++) {
		double mid = 0.5 * (lo + hi);
		if (mid <= lo || mid >= hi)
			break;
		if (stats_t_sf2(mid, df) > alpha)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/* Sum of squared per-cluster sums of deviations from mean, and the number
 * of clusters. */
static double cluster_ss(const double *x, const size_t *cluster, size_t n, double mean,
			 size_t *groups)
{
	size_t *order = um_xmalloc((n ? n : 1) * 2 * sizeof(*order)), i, g = 0;
	double acc = 0.0, cur = 0.0;

	for (i = 0; i < n; i++) {
		order[2 * i] = cluster[i];
		order[2 * i + 1] = i;
	}
	qsort(order, n, 2 * sizeof(*order), cmp_pair);
	for (i = 0; i < n; i++) {
		if (i == 0 || order[2 * i] != order[2 * (i - 1)]) {
			acc += cur * cur;
			cur = 0.0;
			g++;
		}
		cur += x[order[2 * i + 1]] - mean;
	}
	acc += cur * cur;
	free(order);
	*groups = g;
	return acc;
}

/* Wilson score interval for a proportion p over an effective n at quantile q. */
static void wilson_real(double p, double n, double q, double *lo, double *hi)
{
	double q2 = q * q, denom = 1.0 + q2 / n;
	double centre = (p + q2 / (2.0 * n)) / denom;
	double half = q * sqrt(p * (1.0 - p) / n + q2 / (4.0 * n * n)) / denom;

	*lo = p <= 0.0 ? 0.0 : clamp(centre - half, 0.0, 1.0);
	*hi = p >= 1.0 ? 1.0 : clamp(centre + half, 0.0, 1.0);
}

/* x with I_x(a, b) = u, by bisection. */
static double beta_quantile(double u, double a, double b)
{
	double lo = 0.0, hi = 1.0;
	int i;

	for (i = 0; i < 100; i++) {
		double mid = 0.5 * (lo + hi);
		if (ibeta(a, b, mid) < u)
			lo = mid;
		else
			hi = mid;
	}
	return 0.5 * (lo + hi);
}

/*
 * The proportion interval used everywhere: the union of the Wilson score
 * interval and the Jeffreys interval (equal-tailed Beta(k + 1/2, n - k + 1/2)
 * quantiles, 0 or 1 at k = 0 or n) for p = k / n over an effective n, at
 * quantile q (the Jeffreys tails at the normal level with that quantile).
 * Wilson covers well in the middle, Jeffreys near 0 and 1 where Wilson's
 * coverage dips (Brown, Cai & DasGupta 2001); the union keeps the better.
 */
static void prop_interval(double p, double n, double q, double *lo, double *hi)
{
	double tail = 0.5 * erfc(q / M_SQRT2), k = p * n, jl, jh;

	wilson_real(p, n, q, lo, hi);
	jl = p <= 0.0 ? 0.0 : beta_quantile(tail, k + 0.5, n - k + 0.5);
	jh = p >= 1.0 ? 1.0 : beta_quantile(1.0 - tail, k + 0.5, n - k + 0.5);
	*lo = fmin(*lo, jl);
	*hi = fmax(*hi, jh);
}

/* The test prop_interval inverts: the larger of the score test's p and the
 * Jeffreys tail p, both read on the t scale with df (0: normal). */
static double prop_p(double p, double n, double p0, double df)
{
	double z = (p - p0) / sqrt(p0 * (1.0 - p0) / n), k = p * n, f, pj, zj;

	f = ibeta(k + 0.5, n - k + 0.5, p0);
	pj = p <= 0.0 ? 2.0 * (1.0 - f) : p >= 1.0 ? 2.0 * f : 2.0 * fmin(f, 1.0 - f);
	pj = clamp(pj, 0.0, 1.0);
	/* the normal quantile of the Jeffreys p, then its t-scale p */
	zj = pj >= 1.0 ? 0.0 : pj <= 0.0 ? INFINITY : stats_z_for_level(1.0 - pj);
	return fmax(stats_t_sf2(z, df), stats_t_sf2(zj, df));
}

/* The interval of an accuracy est over n graded attempts in g items whose
 * per-item sums of deviations from est square to ss. */
static um_acc acc_finish(double est, double ss, size_t g, size_t n, double level)
{
	um_acc a;
	double var_cl, var_bin, max_deff;

	memset(&a, 0, sizeof(a));
	a.n = n;
	a.deff = 1.0;
	a.est = est;
	a.items = g;
	a.n_eff = (double)n;
	if (g < 2) {
		/* One item: no way to estimate the spread between items. */
		a.se = NAN;
		a.lo = 0.0;
		a.hi = 1.0;
		return a;
	}
	var_cl = (double)g / (double)(g - 1) * ss / ((double)n * (double)n);
	var_bin = a.est * (1.0 - a.est) / (double)n;
	a.se = sqrt(var_cl);
	max_deff = (double)n / (double)g;
	if (g < n) {
		a.deff = var_bin > 0.0 ? clamp(var_cl / var_bin, 1.0, max_deff) : max_deff;
		a.df = (double)(g - 1);
	}
	a.n_eff = (double)n / a.deff;
	prop_interval(a.est, a.n_eff, stats_t_quantile2(level, a.df), &a.lo, &a.hi);
	return a;
}

static um_acc acc_empty(void)
{
	um_acc a;

	memset(&a, 0, sizeof(a));
	a.hi = 1.0;
	a.deff = 1.0;
	a.se = NAN;
	return a;
}

um_acc stats_accuracy(const double *scores, const size_t *cluster, size_t n, double level)
{
	size_t i, g;
	double sum = 0.0, ss;

	if (n == 0)
		return acc_empty();
	for (i = 0; i < n; i++)
		sum += scores[i];
	ss = cluster_ss(scores, cluster, n, sum / (double)n, &g);
	return acc_finish(sum / (double)n, ss, g, n, level);
}

um_acc stats_accuracy_grouped(const double *x, const size_t *len, size_t n_groups, double level)
{
	size_t i, k, n = 0, g = 0, at = 0;
	double sum = 0.0, ss = 0.0, est;

	for (k = 0; k < n_groups; k++)
		n += len[k];
	if (n == 0)
		return acc_empty();
	for (i = 0; i < n; i++)
		sum += x[i];
	est = sum / (double)n;
	/* the same additions, in the same order, as cluster_ss over clusters
	 * numbered by group */
	for (k = 0; k < n_groups; k++) {
		double cur = 0.0;

		if (!len[k])
			continue;
		for (i = 0; i < len[k]; i++)
			cur += x[at + i] - est;
		at += len[k];
		ss += cur * cur;
		g++;
	}
	return acc_finish(est, ss, g, n, level);
}

double stats_accuracy_p(const um_acc *a, double p0)
{

	if (!a || a->n == 0 || a->items < 2 || isnan(p0))
		return NAN;
	if (!(p0 > 0.0) || !(p0 < 1.0))
		return fabs(a->est - p0) < 1e-12 ? 1.0 : 0.0;
	return prop_p(a->est, a->n_eff, p0, a->df);
}

/* Effective sample size of a mean p in [0, 1] with variance var: the n of a
 * binomial proportion with that variance, in [1, n_max] (n_max when var is
 * 0). */
static double n_eff_of(double p, double var, double n_max)
{
	double ne = var > 0.0 ? p * (1.0 - p) / var : n_max;

	return clamp(ne, 1.0, n_max);
}

um_interval stats_item_mean(const double *v, size_t n, double level)
{
	um_interval r = {0.0, 0.0, 1.0};
	double sum = 0.0;
	size_t i;

	if (n == 0)
		return r;
	for (i = 0; i < n; i++)
		sum += v[i];
	r.est = clamp(sum / (double)n, 0.0, 1.0);
	{
		/* Clopper-Pearson over the items as trials, k = est n (real) */
		double tail = 0.5 * (1.0 - level), k = r.est * (double)n, m = (double)n;
		r.lo = k <= 0.0 ? 0.0 : beta_quantile(tail, k, m - k + 1.0);
		r.hi = k >= m ? 1.0 : beta_quantile(1.0 - tail, k + 1.0, m - k);
	}
	return r;
}

um_interval stats_item_mean_v1(const double *v, size_t n, double level)
{
	um_interval r = {0.0, 0.0, 1.0};
	double sum = 0.0;
	size_t i;

	if (n == 0)
		return r;
	for (i = 0; i < n; i++)
		sum += v[i];
	r.est = clamp(sum / (double)n, 0.0, 1.0);
	prop_interval(r.est, (double)n, stats_z_for_level(level), &r.lo, &r.hi);
	return r;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Covariance of the means of x[j] (k x k into S) under item weights cnt
 * (counts of a resample, summing to G): sum_i cnt_i (x_i - th)(x_i - th)' /
 * ((G - 1) G). */
static void mean_cov(const double *const *x, size_t k, size_t G, const double *cnt,
		     const double *th, double *S)
{
	size_t i, a, b;

	memset(S, 0, k * k * sizeof(*S));
	for (i = 0; i < G; i++) {
		if (cnt[i] == 0.0)
			continue;
		for (a = 0; a < k; a++)
			for (b = a; b < k; b++)
				S[a * k + b] += cnt[i] * (x[a][i] - th[a]) * (x[b][i] - th[b]);
	}
	for (a = 0; a < k; a++)
		for (b = a; b < k; b++) {
			S[a * k + b] /= (double)(G - 1) * (double)G;
			S[b * k + a] = S[a * k + b];
		}
}

/* w . th and the standard error sqrt(w' S w) of a linear statistic. */
static double lin_stat(const double *w, size_t k, const double *th, const double *S, double *se)
{
	double v = 0.0, q = 0.0;
	size_t a, b;

	for (a = 0; a < k; a++) {
		v += w[a] * th[a];
		for (b = 0; b < k; b++)
			q += w[a] * w[b] * S[a * k + b];
	}
	*se = sqrt(fmax(q, 0.0));
	return clamp(v, 0.0, 1.0);
}

/* The 1 - alpha/2 quantile of max_s w_s . e / se_s, e ~ N(0, S) drawn as
 * the Gaussian multiplier sum_i g_i (x_i - theta) / sqrt((G - 1) G) (g_i
 * standard normal: covariance exactly S), over n_draw seeded draws; the
 * statistics with se_s = 0 left out (-INFINITY when none is left). */
static double max_z_quantile(const double *const *x, size_t k, size_t G, const double *W, size_t m,
			     const double *theta, const double *se, double level, uint64_t seed,
			     unsigned n_draw)
{
	double *e = um_xmalloc(k * sizeof(*e)), *t = um_xmalloc(n_draw * sizeof(*t)), q;
	double norm = 1.0 / sqrt((double)(G - 1) * (double)G);
	um_rng rng;
	unsigned b;
	size_t i, j, s;

	um_rng_seed(&rng, seed);
	for (b = 0; b < n_draw; b++) {
		memset(e, 0, k * sizeof(*e));
		for (i = 0; i < G; i++) {
			double g = um_rng_normal(&rng) * norm;
			for (j = 0; j < k; j++)
				e[j] += g * (x[j][i] - theta[j]);
		}
		t[b] = -INFINITY;
		for (s = 0; s < m; s++) {
			double v = 0.0;
			if (!(se[s] > 0.0))
				continue;
			for (j = 0; j < k; j++)
				v += W[s * k + j] * e[j];
			t[b] = fmax(t[b], v / se[s]);
		}
	}
	qsort(t, n_draw, sizeof(*t), cmp_dbl);
	i = (size_t)ceil((1.0 - 0.5 * (1.0 - level)) * n_draw - 1e-9);
	q = t[(i ? i : 1) - 1];
	free(e);
	free(t);
	return q;
}

um_interval stats_max_linear(const double *const *x, size_t k, size_t G, const double *W, size_t m,
			     double per_item, double level, uint64_t seed, unsigned n_boot)
{
	um_interval r = {NAN, 0.0, 1.0};
	double *theta, *cnt, *S, *est, *se, *nmax, q_hi, q_lo;
	size_t i, j, s;

	if (k == 0 || m == 0 || G == 0)
		return r;
	theta = um_xmalloc(k * sizeof(*theta));
	cnt = um_xmalloc(G * sizeof(*cnt));
	S = um_xmalloc(k * k * sizeof(*S));
	est = um_xmalloc(m * sizeof(*est));
	se = um_xmalloc(m * sizeof(*se));
	nmax = um_xmalloc(m * sizeof(*nmax));
	for (j = 0; j < k; j++) {
		double sum = 0.0;
		for (i = 0; i < G; i++)
			sum += x[j][i];
		theta[j] = sum / (double)G;
	}
	for (i = 0; i < G; i++)
		cnt[i] = 1.0;
	if (G > 1)
		mean_cov(x, k, G, cnt, theta, S);
	r.est = -INFINITY;
	for (s = 0; s < m; s++) {
		double w2 = 0.0;
		for (j = 0; j < k; j++)
			w2 += W[s * k + j] * W[s * k + j];
		nmax[s] = (double)G * (per_item >= 1.0 ? per_item : 1.0) / (w2 > 0.0 ? w2 : 1.0);
		est[s] = lin_stat(&W[s * k], k, theta, S, &se[s]);
		r.est = fmax(r.est, est[s]);
	}
	if (G > 1) {
		q_hi = stats_t_quantile2(level, (double)(G - 1));
		/* the simultaneous normal quantile, read on the t scale */
		q_lo = max_z_quantile(x, k, G, W, m, theta, se, level, seed, n_boot ? n_boot : 1000);
		q_lo = q_lo > 0.0 ? stats_t_quantile2(1.0 - erfc(q_lo / M_SQRT2), (double)(G - 1)) : 0.0;
		q_lo = fmax(q_hi, q_lo);
		r.lo = 0.0;
		r.hi = 0.0;
		for (s = 0; s < m; s++) {
			double ne = n_eff_of(est[s], se[s] * se[s], nmax[s]), lo, hi, unused;
			prop_interval(est[s], ne, q_lo, &lo, &unused);
			prop_interval(est[s], ne, q_hi, &unused, &hi);
			r.lo = fmax(r.lo, lo);
			r.hi = fmax(r.hi, hi);
		}
	}
	free(theta);
	free(cnt);
	free(S);
	free(est);
	free(se);
	free(nmax);
	return r;
}

um_pdiff stats_paired_t(const double *d, size_t n, double level)
{
	um_pdiff r = {0.0, -1.0, 1.0, NAN, 0.0, 0};
	double sum = 0.0, ss = 0.0, q;
	size_t i;

	r.n = n;
	if (n == 0)
		return r;
	for (i = 0; i < n; i++)
		sum += d[i];
	r.est = sum / (double)n;
	if (n < 2)
		return r;
	for (i = 0; i < n; i++)
		ss += (d[i] - r.est) * (d[i] - r.est);
	r.df = (double)(n - 1);
	r.se = sqrt(ss / (double)(n - 1) / (double)n);
	q = stats_t_quantile2(level, r.df);
	r.lo = clamp(r.est - q * r.se, -1.0, 1.0);
	r.hi = clamp(r.est + q * r.se, -1.0, 1.0);
	return r;
}

double stats_t_test_p(double est, double se, double df, double mu0)
{
	if (isnan(est) || isnan(se) || isnan(mu0))
		return NAN;
	if (!(se > 0.0))
		return fabs(est - mu0) < 1e-12 ? 1.0 : 0.0;
	return stats_t_sf2((est - mu0) / se, df);
}

/* The smallest L <= 64 with every d[i] * L an integer (to 1e-9), or 0. */
static unsigned lattice_of(const double *d, size_t n)
{
	unsigned L;
	size_t i;

	for (L = 1; L <= 64; L++) {
		for (i = 0; i < n; i++) {
			double x = d[i] * L;
			if (fabs(x - nearbyint(x)) > 1e-9 * (fabs(x) > 1.0 ? fabs(x) : 1.0))
				break;
		}
		if (i == n)
			return L;
	}
	return 0;
}

/* Exact two-sided sign-flip p by convolving the integer magnitudes v[i]:
 * the distribution of sum +-v[i] with fair signs. */
static double signflip_lattice(const int64_t *v, size_t n, int64_t obs)
{
	int64_t total = 0, s;
	size_t i, width;
	double *dist, *next, p = 0.0;

	for (i = 0; i < n; i++)
		total += v[i];
	width = (size_t)(2 * total + 1);
	dist = um_xcalloc(width, sizeof(*dist));
	next = um_xcalloc(width, sizeof(*next));
	dist[total] = 1.0;
	for (i = 0; i < n; i++) {
		memset(next, 0, width * sizeof(*next));
		for (s = 0; s < (int64_t)width; s++) {
			if (dist[s] == 0.0)
				continue;
			next[s - v[i]] += 0.5 * dist[s];
			next[s + v[i]] += 0.5 * dist[s];
		}
		memcpy(dist, next, width * sizeof(*dist));
	}
	obs = obs < 0 ? -obs : obs;
	for (s = 0; s < (int64_t)width; s++)
		if (s - total >= obs || total - s >= obs)
			p += dist[s];
	free(dist);
	free(next);
	return clamp(p, 0.0, 1.0);
}

/* Exact enumeration of the 2^n sign vectors of the (few, non-zero) d[i] in
 * Gray-code order: one addition per vector. */
static double signflip_enumerate(const double *d, size_t n, double obs)
{
	uint64_t count = 0, total = (uint64_t)1 << n, k;
	double s = 0.0, tol = 1e-9 * (1.0 + obs);
	unsigned char *neg = um_xcalloc(n + 1, 1);
	size_t i;

	for (i = 0; i < n; i++)
		s += d[i];
	for (k = 0; k < total; k++) {
		if (k) {
			size_t bit = (size_t)__builtin_ctzll(k);
			s += neg[bit] ? 2.0 * d[bit] : -2.0 * d[bit];
			neg[bit] ^= 1;
		}
		count += fabs(s) >= obs - tol;
	}
	free(neg);
	return (double)count / (double)total;
}

double stats_signflip_p(const double *d, size_t n, uint64_t seed, unsigned mc, int *exact)
{
	double *nz = um_xmalloc((n ? n : 1) * sizeof(*nz)), obs = 0.0, p;
	size_t m = 0, i;
	unsigned L;

	for (i = 0; i < n; i++)
		if (d[i] != 0.0) {
			nz[m++] = d[i];
			obs += d[i];
		}
	if (exact)
		*exact = 1;
	if (m == 0) {
		free(nz);
		return 1.0;
	}
	L = lattice_of(nz, m);
	if (L) {
		int64_t *v = um_xmalloc(m * sizeof(*v)), total = 0;
		for (i = 0; i < m; i++) {
			v[i] = (int64_t)llround(fabs(nz[i]) * L);
			total += v[i];
		}
		if ((double)total * (double)m <= 2e8) {
			p = signflip_lattice(v, m, llround(obs * L));
			free(v);
			free(nz);
			return p;
		}
		free(v);
	}
	if (m <= 20) {
		p = signflip_enumerate(nz, m, fabs(obs));
	} else {
		um_rng r;
		uint64_t hits = 0;
		unsigned b;
		double tol = 1e-9 * (1.0 + fabs(obs));

		if (exact)
			*exact = 0;
		um_rng_seed(&r, seed);
		if (!mc)
			mc = 10000;
		/* bounded work on huge suites: at least 2,000 flips, about 2e8 steps */
		if ((double)mc * (double)m > 2e8)
			mc = (unsigned)fmax(2000.0, 2e8 / (double)m);
		for (b = 0; b < mc; b++) {
			double s = 0.0;
			uint64_t bits = 0;
			for (i = 0; i < m; i++) {
				if (i % 64 == 0)
					bits = um_rng_next(&r);
				s += (bits & 1) ? nz[i] : -nz[i];
				bits >>= 1;
			}
			hits += fabs(s) >= fabs(obs) - tol;
		}
		p = (1.0 + (double)hits) / (1.0 + (double)mc);
	}
	free(nz);
	return p;
}

/* (p, index) pairs ordered by p (NANs last, ties by index). */
typedef struct holm_ent {
	double p;
	size_t i;
} holm_ent;

static int cmp_holm(const void *x, const void *y)
{
	const holm_ent *a = x, *b = y;

	if (isnan(a->p) != isnan(b->p))
		return isnan(a->p) ? 1 : -1;
	if (!isnan(a->p) && a->p != b->p)
		return a->p < b->p ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

void stats_holm(const double *p, size_t n, double *adj)
{
	holm_ent *e = um_xmalloc((n ? n : 1) * sizeof(*e));
	size_t i, m = 0;
	double run = 0.0;

	for (i = 0; i < n; i++) {
		e[i].p = p[i];
		e[i].i = i;
		m += !isnan(p[i]);
	}
	qsort(e, n, sizeof(*e), cmp_holm);
	for (i = 0; i < n; i++) {
		double v;
		if (isnan(e[i].p)) {
			adj[e[i].i] = NAN;
			continue;
		}
		v = clamp((double)(m - i) * e[i].p, 0.0, 1.0);
		run = v > run ? v : run;
		adj[e[i].i] = run;
	}
	free(e);
}

double stats_mde(double se, double df, double level, double power)
{
	if (isnan(se) || !(power > 0.0 && power < 1.0))
		return NAN;
	return (stats_t_quantile2(level, df) + stats_t_quantile2(2.0 * power - 1.0, df)) * se;
}

uint64_t stats_items_needed(double var_b, double var_w, unsigned repeats, double mde,
			    double level, double power)
{
	double var = var_b + var_w / (repeats ? repeats : 1);
	uint64_t lo = 1, hi = 2;

	if (!(mde > 0.0) || !(var > 0.0) || isnan(var))
		return 0;
	/* (q(G-1) + qp(G-1)) * sqrt(var / G) falls with G: double, then halve. */
	while (stats_mde(sqrt(var / (double)hi), (double)(hi - 1), level, power) > mde) {
		lo = hi;
		hi *= 2;
		if (hi > (uint64_t)1 << 40)
			return 0;
	}
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (stats_mde(sqrt(var / (double)mid), (double)(mid - 1), level, power) > mde)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}

double stats_pass_hat_k(uint64_t n, uint64_t c, uint64_t k)
{
	double prod = 1.0;
	uint64_t i;

	if (k == 0 || k > n)
		return NAN;
	if (c > n)
		c = n;
	if (c < k)
		return 0.0;
	for (i = 0; i < k; i++)
		prod *= (double)(c - i) / (double)(n - i);
	return prod;
}
