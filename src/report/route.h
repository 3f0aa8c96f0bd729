/*
 * route.h - router baselines for an orchestrator, as pure functions of a
 * stored run: is a learned coordinator better than a trivial router built
 * from the same pool? Definitions and output: docs/routing.md.
 *
 * Costs are mean micro-USD per item (doubles inside, integers in the JSON),
 * accuracies mean scores in [0, 1]. Only graded attempts count; per item a
 * system's score is the mean over its samples and its cost the mean cost of
 * an attempt (plus the downstream calls the recording proxy attributed to
 * the attempt, when there are any: the "true cost").
 */
#ifndef UMPIRE_ROUTE_H
#define UMPIRE_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/error.h"
#include "report/stats.h"
#include "store/store.h"

#define UM_ROUTE_RESAMPLES 1000

/* A point of the cost-quality plane. tag is the caller's (a system index). */
typedef struct um_cq_point {
	double cost;
	double acc;
	int tag;
} um_cq_point;

/* The zero router: the non-decreasing concave frontier of n points (any
 * mixture of two systems is reachable by routing a fraction of the items).
 * Writes its vertices to out (room for n), cost and accuracy both strictly
 * increasing, starting at the cheapest point (the most accurate one among
 * equally cheap points); dominated and collinear points are left out.
 * Returns the number of vertices (0 when n == 0). */
size_t route_hull(const um_cq_point *pts, size_t n, um_cq_point *out);

/* Accuracy of the frontier at cost x: interpolated between vertices, flat
 * after the last one; below the first vertex's cost the first vertex's
 * accuracy (the cheapest the pool can do). NAN when n == 0. */
double route_hull_at(const um_cq_point *hull, size_t n, double x);

/* Least cost at which the frontier reaches accuracy acc; NAN when acc is
 * above the frontier's best (not reachable). */
double route_hull_cost_for(const um_cq_point *hull, size_t n, double acc);

/* Mean of the frontier over [lo, hi] (its area divided by hi - lo); the
 * frontier's value at lo when hi <= lo. NAN when n == 0. */
double route_hull_mean(const um_cq_point *hull, size_t n, double lo, double hi);

/* AIQ of n points: the mean of their frontier over [min cost, max cost] of
 * the points; with a single point (or equal costs) the best accuracy. NAN
 * when n == 0. */
double route_aiq(const um_cq_point *pts, size_t n);

/* The AIQ of n_base baselines with its interval: base[j][0..n) per-item
 * mean scores over per_item samples, cost[j] costs per item (taken as
 * given). The AIQ is the largest of the linear statistics its frontier can
 * be (one per chain of baselines in increasing cost from a cheapest one),
 * and the interval that of stats_max_linear: simultaneous, valid at ties
 * where a bootstrap of the maximum is not (docs/report.md, "The
 * frontier"). All NAN when n_base is 0 or above 13 (too many chains). */
um_interval route_aiq_ci(const double *const *base, const double *cost, size_t n_base, size_t n,
			 double per_item, double level, uint64_t seed, unsigned n_boot);

/* The profile router's split: ids ordered by um_hash64(id, seed) (ties by
 * id), the first ceil(n/2) train and the rest evaluate. Sets is_eval[i] to
 * 1 for the evaluation half. Depends only on the set of ids and the seed. */
void route_split(const char *const *ids, size_t n, uint64_t seed, unsigned char *is_eval);

/* The lambda grid of the profile router (cost in units of the most
 * expensive system's training cost per item). */
extern const double route_lambda_grid[];
extern const size_t route_lambda_grid_len;

/* The "below the frontier" test. A frontier point at the orchestrator's
 * cost is a mixture of at most two baselines; the candidates are every
 * baseline no dearer than the orchestrator and every pair of baselines that
 * brackets its cost, mixed to exactly that cost (with none, the cheapest
 * baseline, as route_hull_at reads the frontier left of its start). For
 * each, a one-sided paired t-test over items that the mixture is more
 * accurate than the orchestrator; the p returned is the smallest, times the
 * number of candidates (Bonferroni, at most 1), so that choosing the best
 * mixture after seeing the data is paid for. orch[k] and base[j][k] are
 * per-item mean scores over n items, costs per item. NAN when n < 2 or
 * there is no baseline. */
double route_below_p(const double *orch, double orch_cost, const double *const *base,
		     const double *base_cost, size_t n_base, size_t n);

typedef struct um_route_opts {
	uint64_t seed;       /* profile-router split and bootstrap */
	unsigned resamples;  /* bootstrap resamples, >= 1 (0: UM_ROUTE_RESAMPLES) */
	int methods;         /* report methods (report.h); < 2: the zero router's
			      * AIQ by the basic bootstrap */
} um_route_opts;

/* The "Routing and routers" section (docs/routing.md): single systems, best
 * single system, oracle, zero router with AIQ, profile router, and each
 * orchestrator against its pool's frontier with paired-bootstrap 95%
 * intervals. Deterministic for (d, seed). New reference, or NULL with err. */
json_t *route_eval_json(const um_run_data *d, uint64_t seed, um_error *err);
json_t *route_eval_json_opts(const um_run_data *d, const um_route_opts *opts, um_error *err);

/* The same fed one attempt at a time (memory: systems x items): new takes
 * the run's systems and items from d (its attempts are not read); add each
 * attempt once, in (item, system, sample) order, with the downstream cost
 * the proxy attributed to it (has: it attributed any call); json makes the
 * section and frees the accumulator. */
typedef struct rt_state um_route_acc;
um_route_acc *route_acc_new(const um_run_data *d, um_error *err);
void route_acc_add(um_route_acc *r, const um_attempt_rec *a, double down, int has);
json_t *route_acc_json(um_route_acc *r, const um_route_opts *opts);
void route_acc_free(um_route_acc *r);
/* route_eval_json_opts of a stored run read one attempt at a time
 * (store_scan_attempts, no text columns, with the routing events when the
 * run has any): meta is the run without its attempts (store_load_run_meta).
 * Call inside store_read_begin / store_read_end for one snapshot. */
json_t *route_eval_store(um_store *st, const um_run_data *meta, const um_route_opts *opts,
			 um_error *err);

/* Markdown of that section, from the JSON only, starting with the heading
 * "## Routing and routers". Caller frees. */
char *route_eval_markdown(const json_t *section);

#endif
