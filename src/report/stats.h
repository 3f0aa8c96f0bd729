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

/* Mean with a CLT interval clustered by item: scores[i] are per-attempt
 * 0/1 (or [0,1]) values, cluster[i] the item index of each. With one
 * sample per item this is the plain standard error. */
um_interval stats_clustered_mean(const double *scores, const size_t *cluster, size_t n,
				 double z);

/* Paired difference of per-item mean scores a[i] - b[i] over n items,
 * with a CLT interval on the mean difference. */
um_interval stats_paired_diff(const double *a, const double *b, size_t n, double z);

/* Exact two-sided McNemar test on discordant counts: b = only A right,
 * c = only B right. Returns the p-value (1.0 when b + c == 0). */
double stats_mcnemar_exact(uint64_t b, uint64_t c);

/* Two-sided p-value that a binomial proportion with k of n equals p0
 * (exact, by summing probabilities no larger than that of k). */
double stats_binom_test(uint64_t k, uint64_t n, double p0);

/* Percentile (0..100) of int64 values by nearest rank on a sorted copy;
 * 0 when n == 0. */
int64_t stats_percentile_i64(const int64_t *v, size_t n, double pct);

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

#endif
