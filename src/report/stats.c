/*
 * stats.c - the statistics behind a report: binomial intervals, clustered
 * standard errors, paired differences, exact tests, percentiles, pass@k and
 * a bounded-memory latency histogram.
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

/*
 * Cluster-robust variance of a mean (the "sandwich" form with the usual
 * G/(G-1) small-sample factor):
 *
 *   Var = G/(G-1) * (1/n^2) * sum over clusters g of (sum_{i in g} (x_i - mean))^2
 *
 * With one value per cluster this is s^2/n with the (n-1) sample variance,
 * i.e. the plain standard error.
 */
um_interval stats_clustered_mean(const double *scores, const size_t *cluster, size_t n,
				 double z)
{
	um_interval r = {0.0, 0.0, 1.0};
	size_t *order, i, g = 0;
	double sum = 0.0, mean, acc = 0.0, cur = 0.0, var, se;

	if (n == 0)
		return r;
	for (i = 0; i < n; i++)
		sum += scores[i];
	mean = sum / (double)n;
	r.est = mean;

	/* Sort indices by cluster (stable tie-break on index) to sum per cluster. */
	order = um_xmalloc(n * 2 * sizeof(*order));
	for (i = 0; i < n; i++) {
		order[2 * i] = cluster[i];
		order[2 * i + 1] = i;
	}
	qsort(order, n, 2 * sizeof(*order), cmp_pair);
	for (i = 0; i < n; i++) {
		if (i > 0 && order[2 * i] != order[2 * (i - 1)]) {
			acc += cur * cur;
			cur = 0.0;
		}
		if (i == 0 || order[2 * i] != order[2 * (i - 1)])
			g++;
		cur += scores[order[2 * i + 1]] - mean;
	}
	acc += cur * cur;
	free(order);

	if (g < 2) {
		/* One cluster: no way to estimate the spread between items. */
		r.lo = 0.0;
		r.hi = 1.0;
		return r;
	}
	var = (double)g / (double)(g - 1) * acc / ((double)n * (double)n);
	se = sqrt(var);
	r.lo = clamp(mean - z * se, 0.0, 1.0);
	r.hi = clamp(mean + z * se, 0.0, 1.0);
	return r;
}

um_interval stats_paired_diff(const double *a, const double *b, size_t n, double z)
{
	um_interval r = {0.0, -1.0, 1.0};
	double sum = 0.0, mean, ss = 0.0, se;
	size_t i;

	if (n == 0)
		return r;
	for (i = 0; i < n; i++)
		sum += a[i] - b[i];
	mean = sum / (double)n;
	r.est = mean;
	if (n < 2)
		return r;
	for (i = 0; i < n; i++) {
		double d = a[i] - b[i] - mean;
		ss += d * d;
	}
	se = sqrt(ss / (double)(n - 1) / (double)n);
	r.lo = clamp(mean - z * se, -1.0, 1.0);
	r.hi = clamp(mean + z * se, -1.0, 1.0);
	return r;
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

double stats_binom_test(uint64_t k, uint64_t n, double p0)
{
	double lp, lq, lk, sum = 0.0;
	uint64_t i;

	if (n == 0)
		return 1.0;
	if (k > n)
		k = n;
	if (!(p0 > 0.0))
		return k == 0 ? 1.0 : 0.0;
	if (!(p0 < 1.0))
		return k == n ? 1.0 : 0.0;
	lp = log(p0);
	lq = log1p(-p0);
	lk = log_binom_pmf(k, n, lp, lq);
	/* Sum every outcome no more likely than the observed one; the relative
	 * slack absorbs rounding so that outcomes exactly as likely count. */
	for (i = 0; i <= n; i++) {
		double li = log_binom_pmf(i, n, lp, lq);
		if (li <= lk + 1e-7)
			sum += exp(li);
	}
	return clamp(sum, 0.0, 1.0);
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
