/*
 * compare.h - two runs of the same suite, system by system, for CI gates
 * (compare.c; `umpire compare`, docs/ci.md).
 *
 * Each system that both runs hold is paired over the (item, sample) pairs
 * both graded, with the statistics the report uses for two systems
 * (report/stats.h): a t interval over the per-item mean differences (new -
 * base) and the sign-flip permutation test over items, its p adjusted by
 * Holm over the compared systems (McNemar's exact p beside it when every
 * item has one pair). Gates:
 *   accuracy  fails when the drop (base - new) is more than max_drop_pp
 *             percentage points AND significant: the interval lies below
 *             zero and the Holm-adjusted p is below 1 - level;
 *   cost      (when max_cost_ratio > 0) fails when the new run's cost per
 *             paired attempt is more than max_cost_ratio times the base's;
 *   latency   (when max_latency_ratio > 0) likewise for the median latency
 *             of the paired attempts (cached answers left out).
 */
#ifndef UMPIRE_COMPARE_H
#define UMPIRE_COMPARE_H

#include <jansson.h>

#include "base/error.h"
#include "store/store.h"

typedef struct um_compare_opts {
	double level;             /* default 0.95 */
	double max_drop_pp;       /* percentage points; default 0 */
	double max_cost_ratio;    /* 0: no cost gate */
	double max_latency_ratio; /* 0: no latency gate */
	const char *const *systems; /* only these (n_systems 0: all shared) */
	int n_systems;
} um_compare_opts;

/* New reference: {"base", "new", "level", "thresholds", "systems": [...],
 * "regression": bool, "failed_gates": n} (docs/ci.md). base and cur are the
 * runs as store_load_run_meta reads them (no attempts); their attempts come
 * from the two cursors (store_cursor_open, in (item, system, sample) order),
 * read once, so memory grows with systems x items, not attempts. */
json_t *compare_build(const um_run_data *base, store_cursor *base_attempts,
		      const um_run_data *cur, store_cursor *cur_attempts, const um_compare_opts *o,
		      um_error *err);
/* Renderings of that object; caller frees. */
char *compare_text(const json_t *cmp);
char *compare_markdown(const json_t *cmp);
char *compare_junit(const json_t *cmp);

#endif
