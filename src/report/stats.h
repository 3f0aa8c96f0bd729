/*
 * stats.h - the statistics a report rests on, written by hand (no library
 * covers them in C) and tested against hand-computed values.
 */
#ifndef UMPIRE_STATS_H
#define UMPIRE_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct um_interval {
	double est, lo, hi;
} um_interval;

/* Wilson score interval for k successes of n at normal quantile z
 * (1.959963984540054 for 95%). n == 0 gives {0, 0, 1}. */
um_interval stats_wilson(uint64_t k, uint64_t n, double z);

/* Exact two-sided McNemar test on discordant counts: b = only A right,
 * c = only B right. Returns the p-value (1.0 when b + c == 0). */
double stats_mcnemar_exact(uint64_t b, uint64_t c);

/* Percentile (0..100) of int64 values by nearest rank on a sorted copy;
 * 0 when n == 0. */
int64_t stats_percentile_i64(const int64_t *v, size_t n, double pct);

/* int64 values with how often each occurs (a hash table): the same
 * percentiles as stats_percentile_i64 over the values added, in memory
 * bounded by the distinct values. Zero-initialise; release frees. */
typedef struct um_counts {
	int64_t *key;
	uint64_t *n;            /* 0: an empty slot */
	size_t used, cap;       /* cap: 0 or a power of two */
	uint64_t total;         /* values added */
} um_counts;
void stats_counts_add(um_counts *c, int64_t v);
/* stats_percentile_i64's answer for the values added; 0 when none. */
int64_t stats_counts_percentile(const um_counts *c, double pct);
void stats_counts_release(um_counts *c);

/* Unbiased pass@k for n samples with c correct (Chen et al. 2021). */
double stats_pass_at_k(uint64_t n, uint64_t c, uint64_t k);

/* Standard normal quantile for a two-sided level (0.95 -> 1.95996...). */
double stats_z_for_level(double level);

/* Latency histogram with bounded memory (log-linear buckets, 1 ms .. ~1 h),
 * the redis-benchmark way: percentiles without keeping every sample. */
typedef struct um_hist {
	uint64_t counts[512];
	uint64_t n;
	int64_t max;
} um_hist;
void hist_init(um_hist *h);
void hist_add(um_hist *h, int64_t ms);
int64_t hist_percentile(const um_hist *h, double pct); /* upper bound of bucket */

/* ---- item-clustered methods (docs/report.md, "Methods") ----------------- */

/* Two-sided tail P(|T| >= t) of Student's t with df degrees of freedom
 * (df <= 0: the standard normal). */
double stats_t_sf2(double t, double df);
/* q with P(|T| <= q) = level (df <= 0: normal). NAN outside (0, 1). */
double stats_t_quantile2(double level, double df);

/* Accuracy of 0/1 attempts clustered by item: the Wilson score interval on
 * the effective sample size n_eff = n / deff, where the design effect deff
 * is the cluster-robust variance over the binomial one, kept in [1, n/items]
 * (n/items, the most repeats can cost, when every attempt agrees). With one
 * attempt per item deff = 1 and the quantile is normal; with repeats it is
 * t with items - 1 degrees of freedom (deff is estimated from the items). */
typedef struct um_acc {
	double est, lo, hi;
	double se;       /* cluster-robust standard error of est */
	double n_eff, deff;
	double df;       /* 0: normal quantile */
	size_t n, items;
} um_acc;
um_acc stats_accuracy(const double *scores, const size_t *cluster, size_t n, double level);
/* The same for values already grouped by item: x holds len[0] values of the
 * first group, then len[1] of the next...; a group of length 0 counts as no
 * item. Equal to stats_accuracy on the clusters numbered by group, bit for
 * bit. */
um_acc stats_accuracy_grouped(const double *x, const size_t *len, size_t n_groups, double level);
/* The score test the interval inverts: two-sided p that the accuracy is p0
 * (p0 outside [lo, hi] exactly when p < 1 - level). */
double stats_accuracy_p(const um_acc *a, double p0);

/* Mean of per-item values in [0, 1] (pass@k, pass^k) over n items with the
 * Clopper-Pearson interval of a proportion est over n trials (k = est n,
 * real): a value in [0, 1] of mean mu varies at most as a Bernoulli(mu), so
 * the items as trials bound its uncertainty, and Clopper-Pearson holds its
 * level at every n where Wilson and Jeffreys dip near 1 (pass@k's truth is
 * close to 1 by construction). */
um_interval stats_item_mean(const double *v, size_t n, double level);
/* The same mean with the interval of report methods 1 (report.h): the
 * Wilson-Jeffreys union over the n items at the normal quantile, which
 * under-covers when the truth is near 1 and the items few (92% at 12 items
 * and a pass@2 of 0.993). Kept to regenerate reports made with it. */
um_interval stats_item_mean_v1(const double *v, size_t n, double level);

/* The maximum over m linear statistics w_s . theta (W: m rows of k weights,
 * each >= 0 and summing to 1; theta the k means of per-item values x[j][0..G)
 * in [0, 1], each of per_item attempts), such as an AIQ, with a simultaneous
 * interval (docs/report.md, "Methods", "The frontier"): the upper bound is
 * the largest per-statistic Wilson-Jeffreys upper bound (effective sample
 * size p(1-p)/se^2, at most G per_item / sum w^2; t quantile, df G - 1), the
 * lower bound the largest lower bound at the max-t critical value, the
 * 1 - alpha/2 quantile of max_s (w_s . theta* - est_s) / se_s over n_boot
 * item resamples seeded by seed (never below the t quantile). est = the
 * largest w_s . theta; G < 2 gives [0, 1]. */
um_interval stats_max_linear(const double *const *x, size_t k, size_t G, const double *W, size_t m,
			     double per_item, double level, uint64_t seed, unsigned n_boot);

/* Mean of per-item differences d[0..n) with a t interval (df = n - 1). */
typedef struct um_pdiff {
	double est, lo, hi, se, df;
	size_t n;
} um_pdiff;
um_pdiff stats_paired_t(const double *d, size_t n, double level);
/* Two-sided t-test p that the mean is mu0, from est, se and df. */
double stats_t_test_p(double est, double se, double df, double mu0);

/* Paired sign-flip permutation test over items: two-sided p of the sum of
 * d[i] under random signs. Exact when the differences lie on a lattice k/L
 * (L <= 64: per-item means of up to a few repeats) by convolution, or when
 * at most 20 are non-zero, by enumeration; otherwise mc seeded Monte Carlo
 * flips (p = (1 + hits) / (1 + mc); fewer, down to 2,000, when mc times the
 * non-zero items exceeds 2e8). *exact (may be NULL) says which. */
double stats_signflip_p(const double *d, size_t n, uint64_t seed, unsigned mc, int *exact);

/* Holm's step-down adjustment of the n p-values (NAN entries are not in the
 * family and stay NAN). adj may be p. */
void stats_holm(const double *p, size_t n, double *adj);

/* Minimum detectable difference of a two-sided test at level with the
 * given power: (t_{1-a/2,df} + t_{power,df}) * se. */
double stats_mde(double se, double df, double level, double power);
/* Items a paired comparison needs to detect mde with that power, when the
 * variance of a per-item mean difference is var_b + var_w / repeats. 0 when
 * it cannot (mde <= 0 or no variance known). */
uint64_t stats_items_needed(double var_b, double var_w, unsigned repeats, double mde,
			    double level, double power);

/* pass^k: the unbiased estimate that k samples drawn without replacement
 * from n with c correct are all correct, C(c, k) / C(n, k). NAN when k == 0
 * or k > n. */
double stats_pass_hat_k(uint64_t n, uint64_t c, uint64_t k);

#endif
