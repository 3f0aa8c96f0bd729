/*
 * route.c - router baselines: does an orchestrator beat a trivial router
 * built from its own pool? Definitions: docs/routing.md.
 *
 * From a run's graded attempts we build, per system and item, the mean
 * score over samples and the mean cost of an attempt (the true cost, with
 * the downstream calls the recording proxy attributed to the attempt, when
 * there are any). On the items graded for every system:
 *
 *  - each system is a point (cost per item, accuracy);
 *  - the oracle routes each item to the baseline that did best on it;
 *  - the zero router is the non-decreasing concave frontier of the
 *    baselines' points (routing a fraction of the items to one system and
 *    the rest to another reaches any point on a segment), summarised by its
 *    AIQ, the frontier's mean accuracy over the points' cost range;
 *  - the profile router picks, per category, the baseline maximising
 *    accuracy - lambda x cost, fitted on one half of the items and measured
 *    on the other, for each lambda of a fixed grid;
 *  - each orchestrator is compared with the frontier at its own cost, with
 *    a paired bootstrap over items (every resample recomputes the baselines'
 *    frontier and the orchestrator's point on the same items).
 *
 * Everything is a pure function of the data and the seed: inputs are
 * sorted, the random generator is seeded, reals are rounded to 6
 * significant digits as they enter the JSON, and the markdown is rendered
 * from the JSON alone.
 */
#include "report/route.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "base/util.h"
#include "report/stats.h"

#define RT_LEVEL 0.95
#define RT_EPS 1e-9 /* accuracies closer than this are equal */

const double route_lambda_grid[] = {0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5,
				    0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 100.0};
const size_t route_lambda_grid_len = UM_ARRAY_LEN(route_lambda_grid);

/* ---- the cost-quality frontier ----------------------------------------- */

static int cmp_cq(const void *x, const void *y)
{
	const um_cq_point *a = x, *b = y;

	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->acc != b->acc)
		return a->acc > b->acc ? -1 : 1;
	return (a->tag > b->tag) - (a->tag < b->tag);
}

/* > 0 when p lies above the line through a and b (b left of a-p's chord). */
static double cross(const um_cq_point *a, const um_cq_point *b, const um_cq_point *p)
{
	return (b->cost - a->cost) * (p->acc - a->acc) - (b->acc - a->acc) * (p->cost - a->cost);
}

size_t route_hull(const um_cq_point *pts, size_t n, um_cq_point *out)
{
	um_cq_point *s;
	double best = -INFINITY;
	size_t i, m = 0, k = 0;

	if (n == 0)
		return 0;
	s = um_xmalloc(n * sizeof(*s));
	for (i = 0; i < n; i++)
		if (isfinite(pts[i].cost) && isfinite(pts[i].acc))
			s[m++] = pts[i];
	qsort(s, m, sizeof(*s), cmp_cq);
	/* By cost, then best first: a point that is not more accurate than
	 * every cheaper one is dominated. What remains rises in both cost and
	 * accuracy; the upper hull of it (monotone chain) is the frontier. */
	for (i = 0; i < m; i++) {
		if (!(s[i].acc > best))
			continue;
		best = s[i].acc;
		while (k >= 2 && cross(&out[k - 2], &out[k - 1], &s[i]) >= 0.0)
			k--;
		out[k++] = s[i];
	}
	free(s);
	return k;
}

double route_hull_at(const um_cq_point *h, size_t n, double x)
{
	size_t i;

	if (n == 0)
		return NAN;
	if (x <= h[0].cost)
		return h[0].acc;
	for (i = 0; i + 1 < n; i++)
		if (x <= h[i + 1].cost) {
			double t = (x - h[i].cost) / (h[i + 1].cost - h[i].cost);
			return h[i].acc + t * (h[i + 1].acc - h[i].acc);
		}
	return h[n - 1].acc;
}

double route_hull_cost_for(const um_cq_point *h, size_t n, double acc)
{
	size_t i;

	if (n == 0 || !isfinite(acc))
		return NAN;
	if (acc <= h[0].acc + RT_EPS)
		return h[0].cost;
	if (acc > h[n - 1].acc + RT_EPS)
		return NAN;
	for (i = 0; i + 1 < n; i++)
		if (acc <= h[i + 1].acc + RT_EPS) {
			double t = (acc - h[i].acc) / (h[i + 1].acc - h[i].acc);
			if (t > 1.0)
				t = 1.0;
			return h[i].cost + t * (h[i + 1].cost - h[i].cost);
		}
	return h[n - 1].cost;
}

double route_hull_mean(const um_cq_point *h, size_t n, double lo, double hi)
{
	double x0, f0, area = 0.0;
	size_t i;

	if (n == 0)
		return NAN;
	if (!(hi > lo))
		return route_hull_at(h, n, lo);
	/* The frontier is linear between consecutive vertices: trapezoids. */
	x0 = lo;
	f0 = route_hull_at(h, n, lo);
	for (i = 0; i < n; i++) {
		if (h[i].cost <= lo || h[i].cost >= hi)
			continue;
		area += (h[i].cost - x0) * (f0 + h[i].acc) / 2.0;
		x0 = h[i].cost;
		f0 = h[i].acc;
	}
	area += (hi - x0) * (f0 + route_hull_at(h, n, hi)) / 2.0;
	return area / (hi - lo);
}

double route_aiq(const um_cq_point *pts, size_t n)
{
	um_cq_point *h;
	double lo = INFINITY, hi = -INFINITY, r;
	size_t i, k;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++)
		if (isfinite(pts[i].cost) && isfinite(pts[i].acc)) {
			lo = fmin(lo, pts[i].cost);
			hi = fmax(hi, pts[i].cost);
		}
	h = um_xmalloc(n * sizeof(*h));
	k = route_hull(pts, n, h);
	r = k ? route_hull_mean(h, k, lo, hi) : NAN;
	free(h);
	return r;
}

/* The AIQ as a maximum of linear statistics. Over [lo, hi] the frontier
 * is that of a chain of points, strictly increasing in cost, starting at a
 * cheapest one: between consecutive members c_a < c_b it mixes them
 * linearly (each gets (c_b - c_a) / 2 of the area), after the last it stays
 * there. Any chain is a feasible router, so its mean accuracy is at most the
 * frontier's, and the frontier's own vertices form one: the AIQ is the
 * largest chain mean. Writes the chains' weights (room for 2^(n-1) * n rows
 * of n) and returns how many; 0 when more than AIQ_CHAIN_BITS points are
 * dearer than the cheapest. */
#define AIQ_CHAIN_BITS 12

static size_t aiq_chains(const double *cost, size_t n, double *W)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t *up = um_xmalloc((n + 1) * sizeof(*up)), n_up = 0, m = 0, i, j, s;
	uint64_t mask;

	for (i = 0; i < n; i++) {
		lo = fmin(lo, cost[i]);
		hi = fmax(hi, cost[i]);
	}
	for (i = 0; i < n; i++)
		if (cost[i] > lo)
			up[n_up++] = i;
	if (n_up > AIQ_CHAIN_BITS) {
		free(up);
		return 0;
	}
	/* the dearer points in cost order */
	for (i = 1; i < n_up; i++)
		for (j = i; j > 0 && cost[up[j]] < cost[up[j - 1]]; j--) {
			size_t t = up[j];
			up[j] = up[j - 1];
			up[j - 1] = t;
		}
	for (s = 0; s < n; s++) {
		if (cost[s] > lo)
			continue;
		if (!(hi > lo)) {
			/* one cost: the AIQ is the best accuracy */
			memset(&W[m * n], 0, n * sizeof(*W));
			W[m++ * n + s] = 1.0;
			continue;
		}
		for (mask = 0; mask < ((uint64_t)1 << n_up); mask++) {
			double *w = &W[m * n], prev_c = lo;
			size_t prev = s;
			int ok = 1;

			memset(w, 0, n * sizeof(*w));
			for (i = 0; i < n_up && ok; i++) {
				double c = cost[up[i]];
				if (!(mask >> i & 1))
					continue;
				ok = c > prev_c;
				w[prev] += 0.5 * (c - prev_c);
				w[up[i]] += 0.5 * (c - prev_c);
				prev = up[i];
				prev_c = c;
			}
			if (!ok)
				continue;
			w[prev] += hi - prev_c;
			for (j = 0; j < n; j++)
				w[j] /= hi - lo;
			m++;
		}
	}
	free(up);
	return m;
}

um_interval route_aiq_ci(const double *const *base, const double *cost, size_t n_base, size_t n,
			 double per_item, double level, uint64_t seed, unsigned n_boot)
{
	um_interval r = {NAN, NAN, NAN};
	double *W;
	size_t m;

	if (n_base == 0 || n_base > AIQ_CHAIN_BITS + 1)
		return r;
	W = um_xmalloc(((size_t)1 << (n_base - 1)) * n_base * n_base * sizeof(*W));
	m = aiq_chains(cost, n_base, W);
	if (m)
		r = stats_max_linear(base, n_base, n, W, m, per_item, level, seed, n_boot);
	free(W);
	return r;
}

/* ---- the split ---------------------------------------------------------- */

typedef struct split_key {
	uint64_t h;
	const char *id;
	size_t idx;
} split_key;

/* One-sided p that mean(w * a + (1 - w) * b - o) > 0 over n items (b may be
 * NULL when w == 1), by a paired t-test. */
static double mixture_gain_p(const double *o, const double *a, const double *b, double w,
			     size_t n)
{
	double *d = um_xmalloc(n * sizeof(*d)), p;
	size_t k;
	um_pdiff t;

	for (k = 0; k < n; k++)
		d[k] = w * a[k] + (b ? (1.0 - w) * b[k] : 0.0) - o[k];
	t = stats_paired_t(d, n, RT_LEVEL);
	free(d);
	if (!(t.se > 0.0))
		return t.est > RT_EPS ? 0.0 : 1.0;
	p = 0.5 * stats_t_sf2(t.est / t.se, t.df);
	return t.est > 0.0 ? p : 1.0 - p;
}

double route_below_p(const double *orch, double orch_cost, const double *const *base,
		     const double *base_cost, size_t n_base, size_t n)
{
	double best = 1.0;
	size_t i, j, m = 0, cheapest = 0;

	if (n < 2 || n_base == 0)
		return NAN;
	for (i = 0; i < n_base; i++) {
		if (base_cost[i] < base_cost[cheapest])
			cheapest = i;
		if (base_cost[i] <= orch_cost) {
			best = fmin(best, mixture_gain_p(orch, base[i], NULL, 1.0, n));
			m++;
		}
		for (j = 0; j < n_base; j++) {
			double w;
			if (!(base_cost[i] <= orch_cost && orch_cost < base_cost[j]))
				continue;
			w = (base_cost[j] - orch_cost) / (base_cost[j] - base_cost[i]);
			best = fmin(best, mixture_gain_p(orch, base[i], base[j], w, n));
			m++;
		}
	}
	if (m == 0) {
		best = mixture_gain_p(orch, base[cheapest], NULL, 1.0, n);
		m = 1;
	}
	return fmin(1.0, best * (double)m);
}

static int cmp_split(const void *x, const void *y)
{
	const split_key *a = x, *b = y;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	return strcmp(a->id, b->id);
}

void route_split(const char *const *ids, size_t n, uint64_t seed, unsigned char *is_eval)
{
	split_key *k = um_xmalloc((n ? n : 1) * sizeof(*k));
	size_t i, n_train = (n + 1) / 2;

	for (i = 0; i < n; i++) {
		k[i].id = ids[i] ? ids[i] : "";
		k[i].h = um_hash64(k[i].id, strlen(k[i].id), seed);
		k[i].idx = i;
	}
	qsort(k, n, sizeof(*k), cmp_split);
	for (i = 0; i < n; i++)
		is_eval[k[i].idx] = i >= n_train;
	free(k);
}

/* ---- JSON helpers ------------------------------------------------------- */

static json_t *jreal(double v)
{
	char buf[64];

	if (!isfinite(v))
		return json_null();
	snprintf(buf, sizeof(buf), "%.6g", v);
	v = strtod(buf, NULL);
	if (v == 0.0)
		v = 0.0;
	return json_real(v);
}

static json_t *jint(int64_t v)
{
	return json_integer((json_int_t)v);
}

/* Money: a mean cost in micro-USD rounded to an integer; null if not finite. */
static json_t *jmicro(double v)
{
	return isfinite(v) ? jint((int64_t)llround(v)) : json_null();
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* ---- the data ------------------------------------------------------------ */

typedef struct rt_sys {
	const um_system_rec *rec;
	int orch;
	int has_events;          /* the proxy attributed calls to its attempts */
	uint64_t graded;
	/* per item of the run: sums over graded samples */
	double *sum_score, *sum_cost, *sum_billed;
	unsigned *cnt;
	/* per common item: means */
	double *m, *c, *b;
} rt_sys;

struct rt_state {
	const um_item_rec **items;
	size_t n_items;
	rt_sys *all;             /* every system, sorted by name */
	size_t n_all;
	size_t *use;             /* systems with a graded attempt (indices into all) */
	size_t n_use;
	size_t *common;          /* items graded for every used system */
	size_t n_common;
	const char **cats;       /* distinct categories of the common items, sorted */
	size_t n_cats;
	size_t *cat_of;          /* per common item */
	size_t *base, *orch;     /* indices into all */
	size_t n_base, n_orch;
};
typedef struct rt_state rt_state;

static int cmp_sys_ptr(const void *x, const void *y)
{
	const um_system_rec *a = *(const um_system_rec *const *)x;
	const um_system_rec *b = *(const um_system_rec *const *)y;

	return strcmp_null(a->name, b->name);
}

static int cmp_item_ptr(const void *x, const void *y)
{
	const um_item_rec *a = *(const um_item_rec *const *)x;
	const um_item_rec *b = *(const um_item_rec *const *)y;

	return strcmp_null(a->item_id, b->item_id);
}

static int cmp_att_id(const void *x, const void *y)
{
	const um_attempt_rec *a = *(const um_attempt_rec *const *)x;
	const um_attempt_rec *b = *(const um_attempt_rec *const *)y;

	return strcmp_null(a->attempt_id, b->attempt_id);
}

static int cmp_cstr(const void *x, const void *y)
{
	return strcmp_null(*(const char *const *)x, *(const char *const *)y);
}

static void rt_release(rt_state *r)
{
	size_t i;

	for (i = 0; i < r->n_all; i++) {
		free(r->all[i].sum_score);
		free(r->all[i].sum_cost);
		free(r->all[i].sum_billed);
		free(r->all[i].cnt);
		free(r->all[i].m);
		free(r->all[i].c);
		free(r->all[i].b);
	}
	free(r->all);
	free(r->items);
	free(r->use);
	free(r->common);
	free(r->cats);
	free(r->cat_of);
	free(r->base);
	free(r->orch);
}

static size_t find_sys(const rt_state *r, const char *name)
{
	size_t lo = 0, hi = r->n_all;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp_null(r->all[mid].rec->name, name);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static size_t find_item(const rt_state *r, const char *id)
{
	size_t lo = 0, hi = r->n_items;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp_null(r->items[mid]->item_id, id);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

/* Downstream cost the proxy attributed to each attempt of d. */
static void proxy_costs(const um_run_data *d, double *down, unsigned char *has)
{
	const um_attempt_rec **by_id = um_xmalloc((d->n_attempts + 1) * sizeof(*by_id));
	size_t i;

	for (i = 0; i < d->n_attempts; i++)
		by_id[i] = &d->attempts[i];
	qsort(by_id, d->n_attempts, sizeof(*by_id), cmp_att_id);
	for (i = 0; i < d->n_routing; i++) {
		const um_routing_rec *e = &d->routing[i];
		um_attempt_rec key = {0};
		const um_attempt_rec *kp = &key, **hit;

		if (!um_streq(e->source, "proxy") || !e->attempt_id || !*e->attempt_id)
			continue;
		key.attempt_id = e->attempt_id;
		hit = bsearch(&kp, by_id, d->n_attempts, sizeof(*by_id), cmp_att_id);
		if (hit) {
			down[*hit - d->attempts] += (double)e->cost_micro;
			has[*hit - d->attempts] = 1;
		}
	}
	free(by_id);
}

/* The run's items sorted by id; each must have an id, a category and no twin. */
static int rt_items(rt_state *r, const um_run_data *d, um_error *err)
{
	size_t i;

	r->n_items = d->n_items;
	r->items = um_xmalloc((d->n_items + 1) * sizeof(*r->items));
	for (i = 0; i < d->n_items; i++) {
		r->items[i] = &d->items[i];
		if (!d->items[i].item_id || !d->items[i].category)
			return um_fail(err, UM_ERR_INVALID,
				       "route-eval: an item has no id or category");
	}
	qsort(r->items, r->n_items, sizeof(*r->items), cmp_item_ptr);
	for (i = 1; i < r->n_items; i++)
		if (!strcmp(r->items[i - 1]->item_id, r->items[i]->item_id))
			return um_fail(err, UM_ERR_INVALID, "route-eval: item '%s' appears twice",
				       r->items[i]->item_id);
	return 0;
}

/* The run's systems sorted by name, with per-item sums to fill. */
static int rt_systems(rt_state *r, const um_run_data *d, um_error *err)
{
	const um_system_rec **sp = um_xmalloc((d->n_systems + 1) * sizeof(*sp));
	size_t i;

	for (i = 0; i < d->n_systems; i++)
		sp[i] = &d->systems[i];
	qsort(sp, d->n_systems, sizeof(*sp), cmp_sys_ptr);
	r->all = um_xcalloc(d->n_systems + 1, sizeof(*r->all));
	r->n_all = d->n_systems;
	for (i = 0; i < r->n_all; i++) {
		rt_sys *rs = &r->all[i];
		rs->rec = sp[i];
		rs->orch = um_streq(sp[i]->role, "orchestrator");
		rs->sum_score = um_xcalloc(r->n_items + 1, sizeof(double));
		rs->sum_cost = um_xcalloc(r->n_items + 1, sizeof(double));
		rs->sum_billed = um_xcalloc(r->n_items + 1, sizeof(double));
		rs->cnt = um_xcalloc(r->n_items + 1, sizeof(unsigned));
	}
	free(sp);
	for (i = 0; i < r->n_all; i++)
		if (!r->all[i].rec->name ||
		    (i && !strcmp(r->all[i - 1].rec->name, r->all[i].rec->name)))
			return um_fail(err, UM_ERR_INVALID,
				       "route-eval: a system has no name or appears twice");
	return 0;
}

/* Add one attempt to its system's sums of its item (graded attempts of
 * known systems and items only): down is what the proxy attributed to it
 * downstream, has whether it attributed anything. */
void route_acc_add(um_route_acc *r, const um_attempt_rec *a, double down, int has)
{
	size_t si = find_sys(r, a->system), it = find_item(r, a->item_id);
	rt_sys *rs;

	if (si == SIZE_MAX || it == SIZE_MAX || !store_attempt_graded(a))
		return;
	rs = &r->all[si];
	rs->sum_score[it] += store_attempt_value(a);
	rs->sum_billed[it] += (double)a->cost_micro;
	rs->sum_cost[it] += (double)a->cost_micro + down;
	rs->cnt[it]++;
	rs->graded++;
	rs->has_events |= has;
}

/* The systems used, the items graded for all of them and their means. */
static void rt_common(rt_state *r)
{
	size_t i, s, k;

	r->use = um_xmalloc((r->n_all + 1) * sizeof(*r->use));
	r->base = um_xmalloc((r->n_all + 1) * sizeof(*r->base));
	r->orch = um_xmalloc((r->n_all + 1) * sizeof(*r->orch));
	for (s = 0; s < r->n_all; s++) {
		if (!r->all[s].graded)
			continue;
		r->use[r->n_use++] = s;
		if (r->all[s].orch)
			r->orch[r->n_orch++] = s;
		else
			r->base[r->n_base++] = s;
	}
	r->common = um_xmalloc((r->n_items + 1) * sizeof(*r->common));
	for (i = 0; i < r->n_items; i++) {
		int every = r->n_use > 0;
		for (s = 0; s < r->n_use; s++)
			every &= r->all[r->use[s]].cnt[i] > 0;
		if (every)
			r->common[r->n_common++] = i;
	}
	for (s = 0; s < r->n_use; s++) {
		rt_sys *rs = &r->all[r->use[s]];
		rs->m = um_xmalloc((r->n_common + 1) * sizeof(double));
		rs->c = um_xmalloc((r->n_common + 1) * sizeof(double));
		rs->b = um_xmalloc((r->n_common + 1) * sizeof(double));
		for (k = 0; k < r->n_common; k++) {
			size_t it = r->common[k];
			rs->m[k] = rs->sum_score[it] / rs->cnt[it];
			rs->c[k] = rs->sum_cost[it] / rs->cnt[it];
			rs->b[k] = rs->sum_billed[it] / rs->cnt[it];
		}
	}
}

/* The distinct categories of the common items and each item's. */
static void rt_cats(rt_state *r)
{
	size_t k;

	r->cats = um_xmalloc((r->n_common + 1) * sizeof(*r->cats));
	r->cat_of = um_xmalloc((r->n_common + 1) * sizeof(*r->cat_of));
	for (k = 0; k < r->n_common; k++)
		r->cats[k] = r->items[r->common[k]]->category;
	qsort(r->cats, r->n_common, sizeof(*r->cats), cmp_cstr);
	for (k = 0; k < r->n_common; k++)
		if (!r->n_cats || strcmp(r->cats[r->n_cats - 1], r->cats[k]))
			r->cats[r->n_cats++] = r->cats[k];
	for (k = 0; k < r->n_common; k++) {
		const char *c = r->items[r->common[k]]->category;
		const char **hit = bsearch(&c, r->cats, r->n_cats, sizeof(*r->cats), cmp_cstr);
		r->cat_of[k] = (size_t)(hit - r->cats);
	}
}

um_route_acc *route_acc_new(const um_run_data *d, um_error *err)
{
	rt_state *r = um_xcalloc(1, sizeof(*r));

	if (!d) {
		um_fail(err, UM_ERR_INTERNAL, "route_eval_json: no run data");
		free(r);
		return NULL;
	}
	if (rt_items(r, d, err) < 0 || rt_systems(r, d, err) < 0) {
		route_acc_free(r);
		return NULL;
	}
	return r;
}

void route_acc_free(um_route_acc *r)
{
	if (!r)
		return;
	rt_release(r);
	free(r);
}

/* A system's point over the common items weighted by w (NULL: all 1). */
static um_cq_point sys_point(const rt_state *r, const rt_sys *rs, const double *w, int billed)
{
	um_cq_point p = {0.0, 0.0, 0};
	double ws = 0.0, sa = 0.0, sc = 0.0;
	size_t k;

	for (k = 0; k < r->n_common; k++) {
		double x = w ? w[k] : 1.0;
		ws += x;
		sa += x * rs->m[k];
		sc += x * (billed ? rs->b[k] : rs->c[k]);
	}
	p.acc = ws > 0 ? sa / ws : NAN;
	p.cost = ws > 0 ? sc / ws : NAN;
	return p;
}

/* The baselines' points (tag = index into r->base) and their frontier;
 * hull needs room for n_base. Returns the number of vertices. */
static size_t base_frontier(const rt_state *r, const double *w, um_cq_point *pts,
			    um_cq_point *hull)
{
	size_t j;

	for (j = 0; j < r->n_base; j++) {
		pts[j] = sys_point(r, &r->all[r->base[j]], w, 0);
		pts[j].tag = (int)j;
	}
	return route_hull(pts, r->n_base, hull);
}

/* ---- the routers ---------------------------------------------------------- */

static void cost_range(const um_cq_point *p, size_t n, double *lo, double *hi)
{
	size_t i;

	*lo = INFINITY;
	*hi = -INFINITY;
	for (i = 0; i < n; i++) {
		*lo = fmin(*lo, p[i].cost);
		*hi = fmax(*hi, p[i].cost);
	}
}

static json_t *range_json(double lo, double hi)
{
	json_t *a = json_array();

	json_array_append_new(a, jmicro(lo));
	json_array_append_new(a, jmicro(hi));
	return a;
}

static json_t *frontier_json(const rt_state *r, const um_cq_point *h, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();
		set(o, "system", json_string(r->all[r->base[h[i].tag]].rec->name));
		set(o, "accuracy", jreal(h[i].acc));
		set(o, "cost_per_item_micro", jmicro(h[i].cost));
		json_array_append_new(a, o);
	}
	return a;
}

/* Per item the baseline with the highest mean score (cheapest on ties,
 * then first by name). */
static size_t oracle_pick(const rt_state *r, size_t k)
{
	size_t j, best = 0;

	for (j = 1; j < r->n_base; j++) {
		const rt_sys *a = &r->all[r->base[j]], *b = &r->all[r->base[best]];
		if (a->m[k] > b->m[k] || (a->m[k] == b->m[k] && a->c[k] < b->c[k]))
			best = j;
	}
	return best;
}

static um_cq_point oracle_point(const rt_state *r, size_t *picks)
{
	um_cq_point p = {0.0, 0.0, -1};
	size_t k;

	for (k = 0; k < r->n_common; k++) {
		size_t j = oracle_pick(r, k);
		p.acc += r->all[r->base[j]].m[k];
		p.cost += r->all[r->base[j]].c[k];
		if (picks)
			picks[j]++;
	}
	p.acc /= (double)r->n_common;
	p.cost /= (double)r->n_common;
	return p;
}

/* Means over the common items with the flag set (by category, or all when
 * cat is SIZE_MAX). Returns the number of items. */
static size_t half_means(const rt_state *r, const rt_sys *rs, const unsigned char *in, size_t cat,
			 double *acc, double *cost)
{
	size_t k, n = 0;
	double sa = 0, sc = 0;

	for (k = 0; k < r->n_common; k++) {
		if (!in[k] || (cat != SIZE_MAX && r->cat_of[k] != cat))
			continue;
		sa += rs->m[k];
		sc += rs->c[k];
		n++;
	}
	*acc = n ? sa / (double)n : 0.0;
	*cost = n ? sc / (double)n : 0.0;
	return n;
}

/* Fit the routing table (a baseline index per category) on the training
 * items for one lambda, cost measured in units of scale. */
static void profile_fit(const rt_state *r, const unsigned char *train, double lambda, double scale,
			size_t *route)
{
	size_t c, j;

	for (c = 0; c < r->n_cats; c++) {
		size_t best = SIZE_MAX;
		double best_u = 0, best_cost = 0;

		for (j = 0; j < r->n_base; j++) {
			const rt_sys *rs = &r->all[r->base[j]];
			double acc, cost, u;

			/* A category with no training item: the system's
			 * figures over the whole training half. */
			if (!half_means(r, rs, train, c, &acc, &cost))
				half_means(r, rs, train, SIZE_MAX, &acc, &cost);
			u = acc - lambda * cost / scale;
			if (best == SIZE_MAX || u > best_u || (u == best_u && cost < best_cost)) {
				best = j;
				best_u = u;
				best_cost = cost;
			}
		}
		route[c] = best;
	}
}

static void pct_interval(double *v, size_t n, double *lo, double *hi);

/* The profile router's working set: the split, the fitted route of every
 * lambda (n_grid x n_cats baseline indices) and the cost scale. */
typedef struct rt_profile {
	unsigned char *is_eval, *train;
	size_t *routes;
	size_t n_train, n_eval;
	double scale;
} rt_profile;

static void profile_split(const rt_state *r, uint64_t seed, rt_profile *pf)
{
	const char **ids = um_xmalloc((r->n_common + 1) * sizeof(*ids));
	size_t k, j;

	pf->is_eval = um_xmalloc(r->n_common + 1);
	pf->train = um_xmalloc(r->n_common + 1);
	for (k = 0; k < r->n_common; k++)
		ids[k] = r->items[r->common[k]]->item_id;
	route_split(ids, r->n_common, seed, pf->is_eval);
	pf->n_train = 0;
	for (k = 0; k < r->n_common; k++) {
		pf->train[k] = !pf->is_eval[k];
		pf->n_train += pf->train[k];
	}
	pf->n_eval = r->n_common - pf->n_train;
	pf->scale = 0;
	for (j = 0; j < r->n_base; j++) {
		double acc, cost;
		half_means(r, &r->all[r->base[j]], pf->train, SIZE_MAX, &acc, &cost);
		pf->scale = fmax(pf->scale, cost);
	}
	if (!(pf->scale > 0))
		pf->scale = 1.0;
	pf->routes = um_xmalloc((route_lambda_grid_len * r->n_cats + 1) * sizeof(*pf->routes));
	for (k = 0; k < route_lambda_grid_len; k++)
		profile_fit(r, pf->train, route_lambda_grid[k], pf->scale,
			    pf->routes + k * r->n_cats);
	free(ids);
}

static void profile_release(rt_profile *pf)
{
	free(pf->is_eval);
	free(pf->train);
	free(pf->routes);
}

/* The router's point for every lambda over the evaluation items weighted by
 * w (w[k] is 0 for training items). */
static void profile_points(const rt_state *r, const rt_profile *pf, const double *w,
			   um_cq_point *pts)
{
	size_t g, k;

	for (g = 0; g < route_lambda_grid_len; g++) {
		const size_t *route = pf->routes + g * r->n_cats;
		double sa = 0, sc = 0, ws = 0;

		for (k = 0; k < r->n_common; k++) {
			const rt_sys *rs;
			if (!pf->is_eval[k] || w[k] == 0.0)
				continue;
			rs = &r->all[r->base[route[r->cat_of[k]]]];
			sa += w[k] * rs->m[k];
			sc += w[k] * rs->c[k];
			ws += w[k];
		}
		pts[g].acc = ws > 0 ? sa / ws : NAN;
		pts[g].cost = ws > 0 ? sc / ws : NAN;
		pts[g].tag = (int)g;
	}
}

/* AIQ of the profile router and of the zero router over the evaluation
 * items weighted by w, each over its own cost range. */
static void profile_aiqs(const rt_state *r, const rt_profile *pf, const double *w,
			 um_cq_point *pts, um_cq_point *hull, double *aiq_p, double *aiq_z)
{
	size_t n_grid = route_lambda_grid_len, nh;
	double lo, hi;

	profile_points(r, pf, w, pts);
	nh = route_hull(pts, n_grid, hull);
	cost_range(pts, n_grid, &lo, &hi);
	*aiq_p = route_hull_mean(hull, nh, lo, hi);
	nh = base_frontier(r, w, pts, hull);
	cost_range(pts, r->n_base, &lo, &hi);
	*aiq_z = route_hull_mean(hull, nh, lo, hi);
}

/* The basic (reverse percentile) bootstrap interval of est from its
 * resamples v (sorted in place): [2 est - q97.5, 2 est - q2.5], in [0, 1].
 * An AIQ is a frontier, a maximum, biased upward; the percentile interval
 * carries that bias twice, the basic one corrects it once (docs/report.md,
 * "Calibration", for what remains at exact ties). */
static void basic_interval(double *v, size_t n, double est, double ci[2])
{
	double lo, hi;

	pct_interval(v, n, &lo, &hi);
	ci[0] = fmax(0.0, fmin(1.0, 2.0 * est - hi));
	ci[1] = fmax(0.0, fmin(1.0, 2.0 * est - lo));
}

/* Percentile bootstrap over the evaluation items of both AIQs (seeded, its
 * own stream so the orchestrators' resamples stay as they were). */
static void profile_boot(const rt_state *r, const rt_profile *pf, uint64_t seed, unsigned n_boot,
			 const double est[2], double ci_p[2], double ci_z[2])
{
	size_t n_grid = route_lambda_grid_len, k, i, *eval = um_xmalloc((pf->n_eval + 1) * sizeof(*eval));
	double *w = um_xmalloc((r->n_common + 1) * sizeof(*w));
	double *ap = um_xmalloc(n_boot * sizeof(*ap)), *az = um_xmalloc(n_boot * sizeof(*az));
	um_cq_point *pts = um_xmalloc((n_grid + r->n_base) * sizeof(*pts));
	um_cq_point *hull = um_xmalloc((n_grid + r->n_base) * sizeof(*hull));
	um_rng rng;
	unsigned b;

	for (k = 0, i = 0; k < r->n_common; k++)
		if (pf->is_eval[k])
			eval[i++] = k;
	um_rng_seed(&rng, seed ^ 0x70726f66696c6521ULL);
	for (b = 0; b < n_boot; b++) {
		memset(w, 0, (r->n_common + 1) * sizeof(*w));
		for (i = 0; i < pf->n_eval; i++)
			w[eval[um_rng_below(&rng, pf->n_eval)]] += 1.0;
		profile_aiqs(r, pf, w, pts, hull, &ap[b], &az[b]);
	}
	basic_interval(ap, n_boot, est[0], ci_p);
	basic_interval(az, n_boot, est[1], ci_z);
	free(eval);
	free(w);
	free(ap);
	free(az);
	free(pts);
	free(hull);
}

static json_t *ci_json(const double ci[2])
{
	json_t *a = json_array();

	json_array_append_new(a, jreal(ci[0]));
	json_array_append_new(a, jreal(ci[1]));
	return a;
}

/* points[] of the profile router: per lambda its point and routes. */
static json_t *profile_points_json(const rt_state *r, const rt_profile *pf, const um_cq_point *pts)
{
	json_t *points = json_array();
	size_t g, c;

	for (g = 0; g < route_lambda_grid_len; g++) {
		json_t *p = json_object(), *routes = json_object();

		for (c = 0; c < r->n_cats; c++)
			set(routes, r->cats[c],
			    json_string(r->all[r->base[pf->routes[g * r->n_cats + c]]].rec->name));
		set(p, "lambda", jreal(route_lambda_grid[g]));
		set(p, "accuracy", jreal(pts[g].acc));
		set(p, "cost_per_item_micro", jmicro(pts[g].cost));
		set(p, "routes", routes);
		json_array_append_new(points, p);
	}
	return points;
}

static json_t *profile_router(const rt_state *r, uint64_t seed, unsigned n_boot)
{
	size_t n_grid = route_lambda_grid_len, k, g, nh, nz;
	um_cq_point *pts = um_xmalloc((n_grid + r->n_base) * sizeof(*pts));
	um_cq_point *hull = um_xmalloc((n_grid + r->n_base) * sizeof(*hull));
	um_cq_point *bp = um_xmalloc((r->n_base + 1) * sizeof(*bp));
	um_cq_point *zh = um_xmalloc((r->n_base + 1) * sizeof(*zh));
	double *w_eval = um_xmalloc((r->n_common + 1) * sizeof(*w_eval));
	double lo1, hi1, lo2, hi2, lo, hi, ci_p[2], ci_z[2];
	json_t *o = json_object(), *split = json_object(), *grid, *fr, *z, *common;
	rt_profile pf;

	profile_split(r, seed, &pf);
	for (k = 0; k < r->n_common; k++)
		w_eval[k] = pf.is_eval[k] ? 1.0 : 0.0;
	profile_points(r, &pf, w_eval, pts);
	set(o, "points", profile_points_json(r, &pf, pts));
	nh = route_hull(pts, n_grid, hull);
	cost_range(pts, n_grid, &lo1, &hi1);
	nz = base_frontier(r, w_eval, bp, zh);
	cost_range(bp, r->n_base, &lo2, &hi2);
	/* Both frontiers are defined from their cheapest point on (flat to the
	 * right), so they can be compared from the later start to the later end. */
	lo = fmax(lo1, lo2);
	hi = fmax(hi1, hi2);
	{
		double est[2] = {route_hull_mean(hull, nh, lo1, hi1), route_hull_mean(zh, nz, lo2, hi2)};
		profile_boot(r, &pf, seed, n_boot, est, ci_p, ci_z);
	}

	set(split, "rule", json_string("items ordered by um_hash64(item_id, seed); the first "
				       "half (rounded up) trains, the rest evaluates"));
	set(split, "train_items", jint((int64_t)pf.n_train));
	set(split, "eval_items", jint((int64_t)pf.n_eval));
	set(o, "split", split);
	set(o, "cost_scale_micro", jmicro(pf.scale));
	grid = json_array();
	for (g = 0; g < n_grid; g++)
		json_array_append_new(grid, jreal(route_lambda_grid[g]));
	set(o, "lambda_grid", grid);
	fr = json_array();
	for (g = 0; g < nh; g++) {
		json_t *v = json_object();
		set(v, "lambda", jreal(route_lambda_grid[hull[g].tag]));
		set(v, "accuracy", jreal(hull[g].acc));
		set(v, "cost_per_item_micro", jmicro(hull[g].cost));
		json_array_append_new(fr, v);
	}
	set(o, "frontier", fr);
	set(o, "cost_range_micro", range_json(lo1, hi1));
	set(o, "aiq", jreal(route_hull_mean(hull, nh, lo1, hi1)));
	set(o, "aiq_ci", ci_json(ci_p));
	z = json_object();
	set(z, "frontier", frontier_json(r, zh, nz));
	set(z, "cost_range_micro", range_json(lo2, hi2));
	set(z, "aiq", jreal(route_hull_mean(zh, nz, lo2, hi2)));
	set(z, "aiq_ci", ci_json(ci_z));
	set(o, "zero_router_eval", z);
	common = json_object();
	set(common, "cost_range_micro", range_json(lo, hi));
	set(common, "profile_router", jreal(route_hull_mean(hull, nh, lo, hi)));
	set(common, "zero_router", jreal(route_hull_mean(zh, nz, lo, hi)));
	set(o, "aiq_common", common);

	profile_release(&pf);
	free(pts);
	free(hull);
	free(bp);
	free(zh);
	free(w_eval);
	return o;
}

/* ---- orchestrators against the frontier ----------------------------------- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Percentile interval of v (sorted in place): the 2.5th and 97.5th. */
static void pct_interval(double *v, size_t n, double *lo, double *hi)
{
	size_t a, b;

	qsort(v, n, sizeof(*v), cmp_double);
	a = (size_t)floor((1.0 - RT_LEVEL) / 2.0 * (double)n);
	b = (size_t)ceil((1.0 + RT_LEVEL) / 2.0 * (double)n);
	b = b ? b - 1 : 0;
	if (a >= n)
		a = n - 1;
	if (b >= n)
		b = n - 1;
	*lo = v[a];
	*hi = v[b];
}

static void usd(char *out, size_t n, double micro)
{
	long long m = isfinite(micro) ? llround(micro) : 0;
	unsigned long long a = m < 0 ? 0ULL - (unsigned long long)m : (unsigned long long)m;

	snprintf(out, n, "$%s%llu.%06llu", m < 0 ? "-" : "", a / 1000000ULL, a % 1000000ULL);
}

/* Reals as the JSON will hold them, so the sentence agrees with the numbers. */
static double r6(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6g", v);
	return strtod(buf, NULL);
}

/* route_below_p for orchestrator oi against the baselines on the common
 * items (costs as the orchestrator's point reads them). */
static double orch_below_p(const rt_state *r, size_t oi)
{
	const double **m = um_xmalloc((r->n_base + 1) * sizeof(*m));
	double *cost = um_xmalloc((r->n_base + 1) * sizeof(*cost)), p;
	const rt_sys *rs = &r->all[r->orch[oi]];
	size_t j;

	for (j = 0; j < r->n_base; j++) {
		m[j] = r->all[r->base[j]].m;
		cost[j] = sys_point(r, &r->all[r->base[j]], NULL, 0).cost;
	}
	p = route_below_p(rs->m, sys_point(r, rs, NULL, 0).cost, m, cost, r->n_base, r->n_common);
	free(m);
	free(cost);
	return p;
}

/* The sentence's verdict part: the bootstrap difference and the test. */
static void answer_verdict(um_buf *ans, double diff, double dlo, double dhi, double below)
{
	um_buf_printf(ans, "; difference %+.1f pp [%+.1f, %+.1f]: ", 100.0 * r6(diff),
		      100.0 * r6(dlo), 100.0 * r6(dhi));
	if (dlo > 0)
		um_buf_puts(ans, "it beats its own pool's frontier");
	else if (below < 1.0 - RT_LEVEL)
		um_buf_printf(ans, "it is below its own pool's frontier (p = %.3g, paired test "
				   "against the best mixture of baselines, Bonferroni over the "
				   "mixtures), so a trivial router of the same models does better "
				   "for the money",
			      r6(below));
	else
		um_buf_printf(ans, "not a significant %s over its own pool's frontier",
			      diff >= 0 ? "lead" : "deficit");
}

static json_t *orchestrator_entry(const rt_state *r, size_t oi, const um_cq_point *hull, size_t nh,
				  double *fronts, double *diffs, unsigned n_boot)
{
	const rt_sys *rs = &r->all[r->orch[oi]];
	json_t *o = json_object();
	um_cq_point p = sys_point(r, rs, NULL, 0), pb = sys_point(r, rs, NULL, 1);
	um_buf ans = UM_BUF_INIT;
	char c1[48], c2[48];

	set(o, "system", json_string(rs->rec->name));
	set(o, "accuracy", jreal(p.acc));
	set(o, "cost_basis", json_string(rs->has_events ? "true" : "billed"));
	set(o, "cost_per_item_micro", jmicro(p.cost));
	set(o, "billed_cost_per_item_micro", jmicro(pb.cost));
	set(o, "true_cost_per_item_micro", rs->has_events ? jmicro(p.cost) : json_null());
	usd(c1, sizeof(c1), p.cost);
	um_buf_printf(&ans, "%s: %.1f%% at %s/item (%s)", rs->rec->name, 100.0 * r6(p.acc), c1,
		      rs->has_events ? "true cost: own bill plus the downstream calls the proxy "
				       "recorded"
				     : "billed cost; no proxy routing events");

	if (nh == 0) {
		set(o, "frontier_accuracy", json_null());
		set(o, "cheaper_than_every_baseline", json_null());
		set(o, "difference", json_null());
		set(o, "verdict", json_string("no baselines"));
		set(o, "below_p", json_null());
		set(o, "cost_to_reach_micro", json_null());
		set(o, "reachable", json_null());
		um_buf_puts(&ans, "; the run has no baseline to build a router from");
	} else {
		double f = route_hull_at(hull, nh, p.cost), diff = p.acc - f;
		double flo, fhi, dlo, dhi, reach = route_hull_cost_for(hull, nh, p.acc);
		double below = orch_below_p(r, oi);
		int cheaper = p.cost < hull[0].cost;
		const char *verdict;
		json_t *fa = json_object(), *dj = json_object();

		pct_interval(fronts, n_boot, &flo, &fhi);
		pct_interval(diffs, n_boot, &dlo, &dhi);
		/* "below" needs the test: the bootstrap interval of a frontier (a
		 * maximum, biased upward) reads ties as "below" */
		verdict = dlo > 0 ? "beats the frontier"
			: below < 1.0 - RT_LEVEL ? "below the frontier"
						 : "no significant difference";
		set(o, "below_p", isnan(below) ? json_null() : jreal(below));
		set(fa, "value", jreal(f));
		set(fa, "ci_lo", jreal(flo));
		set(fa, "ci_hi", jreal(fhi));
		set(o, "frontier_accuracy", fa);
		set(o, "cheaper_than_every_baseline", json_boolean(cheaper));
		set(dj, "value", jreal(diff));
		set(dj, "ci_lo", jreal(dlo));
		set(dj, "ci_hi", jreal(dhi));
		set(o, "difference", dj);
		set(o, "verdict", json_string(verdict));
		set(o, "reachable", json_boolean(isfinite(reach)));
		set(o, "cost_to_reach_micro", isfinite(reach) ? jmicro(reach) : json_null());

		if (cheaper) {
			usd(c2, sizeof(c2), hull[0].cost);
			um_buf_printf(&ans,
				      "; it costs less than every baseline, and the baselines' "
				      "frontier at its cheapest (%s/item) reaches "
				      "%.1f%% [%.1f, %.1f]",
				      c2, 100.0 * r6(f), 100.0 * r6(flo), 100.0 * r6(fhi));
		} else {
			um_buf_printf(&ans,
				      "; the baselines' frontier reaches %.1f%% [%.1f, %.1f] "
				      "at that cost",
				      100.0 * r6(f), 100.0 * r6(flo), 100.0 * r6(fhi));
		}
		answer_verdict(&ans, diff, dlo, dhi, below);
		if (isfinite(reach)) {
			usd(c2, sizeof(c2), reach);
			um_buf_printf(&ans, "; the frontier reaches %.1f%% at %s/item",
				      100.0 * r6(p.acc), c2);
		} else {
			um_buf_printf(&ans, "; no mix of the baselines reaches %.1f%%",
				      100.0 * r6(p.acc));
		}
	}
	set(o, "answer", json_string(um_buf_str(&ans)));
	um_buf_release(&ans);
	return o;
}

/* Resample items with replacement; for each resample, the zero router's
 * AIQ (aiq, may be NULL), every orchestrator's point and the baselines'
 * frontier at its cost on the same items. */
static void bootstrap(const rt_state *r, uint64_t seed, unsigned n_boot, double **fronts,
		      double **diffs, double *aiq)
{
	double *w = um_xmalloc((r->n_common + 1) * sizeof(*w)), lo, hi;
	um_cq_point *pts = um_xmalloc((r->n_base + 1) * sizeof(*pts));
	um_cq_point *hull = um_xmalloc((r->n_base + 1) * sizeof(*hull));
	um_rng rng;
	unsigned b;
	size_t k, o, nh;

	um_rng_seed(&rng, seed);
	for (b = 0; b < n_boot; b++) {
		memset(w, 0, (r->n_common + 1) * sizeof(*w));
		for (k = 0; k < r->n_common; k++)
			w[um_rng_below(&rng, r->n_common)] += 1.0;
		nh = base_frontier(r, w, pts, hull);
		if (aiq) {
			cost_range(pts, r->n_base, &lo, &hi);
			aiq[b] = route_hull_mean(hull, nh, lo, hi);
		}
		for (o = 0; o < r->n_orch; o++) {
			um_cq_point p = sys_point(r, &r->all[r->orch[o]], w, 0);
			double f = route_hull_at(hull, nh, p.cost);
			fronts[o][b] = f;
			diffs[o][b] = p.acc - f;
		}
	}
	free(w);
	free(pts);
	free(hull);
}

/* ---- the section ------------------------------------------------------------ */

json_t *route_eval_json(const um_run_data *d, uint64_t seed, um_error *err)
{
	um_route_opts o = {seed, UM_ROUTE_RESAMPLES, 0};

	return route_eval_json_opts(d, &o, err);
}

/* seed, resamples, level, the items used and the systems left out. */
static void header_json(const rt_state *r, json_t *o, uint64_t seed, unsigned n_boot)
{
	json_t *items = json_object(), *arr = json_array();
	size_t i;

	if (seed <= (uint64_t)INT64_MAX) {
		set(o, "seed", jint((int64_t)seed));
	} else {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, seed);
		set(o, "seed", json_string(buf));
	}
	set(o, "resamples", jint(n_boot));
	set(o, "level", jreal(RT_LEVEL));
	set(items, "total", jint((int64_t)r->n_items));
	set(items, "used", jint((int64_t)r->n_common));
	set(items, "dropped", jint((int64_t)(r->n_items - r->n_common)));
	set(o, "items", items);
	for (i = 0; i < r->n_all; i++)
		if (!r->all[i].graded)
			json_array_append_new(arr, json_string(r->all[i].rec->name));
	set(o, "excluded_systems", arr);
}

static json_t *singles_json(const rt_state *r, const um_cq_point *hull, size_t nh)
{
	json_t *arr = json_array();
	size_t i, j;

	for (i = 0; r->n_common && i < r->n_use; i++) {
		const rt_sys *rs = &r->all[r->use[i]];
		um_cq_point p = sys_point(r, rs, NULL, 0), pb = sys_point(r, rs, NULL, 1);
		json_t *s = json_object();
		int on = 0;

		for (j = 0; !rs->orch && j < nh; j++)
			on |= r->base[hull[j].tag] == r->use[i];
		set(s, "name", json_string(rs->rec->name));
		set(s, "role", json_string(rs->rec->role ? rs->rec->role : "baseline"));
		set(s, "accuracy", jreal(p.acc));
		set(s, "cost_per_item_micro", jmicro(p.cost));
		set(s, "billed_cost_per_item_micro", jmicro(pb.cost));
		set(s, "cost_basis", json_string(rs->has_events ? "true" : "billed"));
		set(s, "on_frontier", rs->orch ? json_null() : json_boolean(on));
		json_array_append_new(arr, s);
	}
	return arr;
}

/* The zero router's AIQ interval (aiq_ci, aiq_ci_method): the simultaneous
 * one of route_aiq_ci over the baselines' per-item means (valid where
 * baselines tie, where a bootstrap of the maximum is not), its draws seeded
 * by a stream of the run seed; the basic bootstrap interval of the
 * resamples aiq_boot when there are too many baselines for its chains.
 * per_item is the fewest graded samples per item of any baseline. */
static void zero_aiq_ci(const rt_state *r, const um_cq_point *pts, uint64_t seed, unsigned n_boot,
			double *aiq_boot, double est, int methods, json_t *z)
{
	const double **base = um_xmalloc(r->n_base * sizeof(*base));
	double *cost = um_xmalloc(r->n_base * sizeof(*cost)), per_item = INFINITY, ci[2];
	um_interval iv;
	size_t j, k;

	for (j = 0; j < r->n_base; j++) {
		const rt_sys *rs = &r->all[r->base[j]];
		double n = 0.0;

		base[j] = rs->m;
		cost[j] = pts[j].cost;
		for (k = 0; k < r->n_common; k++)
			n += rs->cnt[r->common[k]];
		per_item = fmin(per_item, n / (double)r->n_common);
	}
	iv = (um_interval){NAN, NAN, NAN};
	if (methods >= 2)
		iv = route_aiq_ci(base, cost, r->n_base, r->n_common, per_item, RT_LEVEL,
				  seed ^ UINT64_C(0x41495121c1a551e5), n_boot);
	if (methods < 2) {
		basic_interval(aiq_boot, n_boot, est, ci);
	} else if (isfinite(iv.lo) && isfinite(iv.hi)) {
		ci[0] = iv.lo;
		ci[1] = iv.hi;
		set(z, "aiq_ci_method", json_string("max-t"));
	} else {
		basic_interval(aiq_boot, n_boot, est, ci);
		set(z, "aiq_ci_method", json_string("basic bootstrap"));
	}
	set(z, "aiq_ci", ci_json(ci));
	free(base);
	free(cost);
}

/* best_single, oracle, zero_router (with its AIQ's interval) and
 * profile_router, from the baselines' points pts (room for n_base + 1). */
static void routers_json(const rt_state *r, json_t *o, um_cq_point *pts, const um_cq_point *hull,
			 size_t nh, uint64_t seed, unsigned n_boot, double *aiq_boot, int methods)
{
	size_t best = 0, j, *picks = um_xcalloc(r->n_base, sizeof(*picks));
	um_cq_point orc = oracle_point(r, picks);
	json_t *bs = json_object(), *oj = json_object(), *pk = json_array();
	json_t *z = json_object();
	double lo, hi;

	for (j = 1; j < r->n_base; j++)
		if (pts[j].acc > pts[best].acc ||
		    (pts[j].acc == pts[best].acc && pts[j].cost < pts[best].cost))
			best = j;
	set(bs, "system", json_string(r->all[r->base[best]].rec->name));
	set(bs, "accuracy", jreal(pts[best].acc));
	set(bs, "cost_per_item_micro", jmicro(pts[best].cost));
	set(o, "best_single", bs);

	set(oj, "accuracy", jreal(orc.acc));
	set(oj, "cost_per_item_micro", jmicro(orc.cost));
	for (j = 0; j < r->n_base; j++) {
		json_t *e = json_object();
		set(e, "system", json_string(r->all[r->base[j]].rec->name));
		set(e, "items", jint((int64_t)picks[j]));
		json_array_append_new(pk, e);
	}
	set(oj, "picks", pk);
	set(o, "oracle", oj);
	free(picks);

	cost_range(pts, r->n_base, &lo, &hi);
	set(z, "frontier", frontier_json(r, hull, nh));
	set(z, "cost_range_micro", range_json(lo, hi));
	set(z, "aiq", jreal(route_hull_mean(hull, nh, lo, hi)));
	zero_aiq_ci(r, pts, seed, n_boot, aiq_boot, route_hull_mean(hull, nh, lo, hi), methods, z);
	pts[r->n_base] = orc;
	set(z, "aiq_with_oracle", jreal(route_aiq(pts, r->n_base + 1)));
	set(o, "zero_router", z);

	set(o, "profile_router", r->n_common >= 2 ? profile_router(r, seed, n_boot) : json_null());
}

json_t *route_acc_json(um_route_acc *rp, const um_route_opts *opts)
{
	rt_state r = *rp;
	json_t *o, *arr;
	uint64_t seed = opts ? opts->seed : 0;
	unsigned n_boot = opts && opts->resamples ? opts->resamples : UM_ROUTE_RESAMPLES;
	um_cq_point *pts = NULL, *hull = NULL;
	double **fronts, **diffs, *aiq = um_xmalloc(n_boot * sizeof(*aiq));
	size_t i, nh = 0;
	int have_base;

	free(rp);
	rt_common(&r);
	rt_cats(&r);
	have_base = r.n_base > 0 && r.n_common > 0;
	o = json_object();
	header_json(&r, o, seed, n_boot);
	pts = um_xmalloc((r.n_base + 2) * sizeof(*pts));
	hull = um_xmalloc((r.n_base + 2) * sizeof(*hull));
	if (have_base)
		nh = base_frontier(&r, NULL, pts, hull);
	set(o, "systems", singles_json(&r, hull, nh));

	/* One bootstrap for the orchestrators and the zero router's AIQ. */
	fronts = um_xcalloc(r.n_orch + 1, sizeof(*fronts));
	diffs = um_xcalloc(r.n_orch + 1, sizeof(*diffs));
	for (i = 0; i < r.n_orch; i++) {
		fronts[i] = um_xmalloc(n_boot * sizeof(double));
		diffs[i] = um_xmalloc(n_boot * sizeof(double));
	}
	if (have_base)
		bootstrap(&r, seed, n_boot, fronts, diffs, aiq);

	if (!have_base) {
		set(o, "best_single", json_null());
		set(o, "oracle", json_null());
		set(o, "zero_router", json_null());
		set(o, "profile_router", json_null());
	} else {
		routers_json(&r, o, pts, hull, nh, seed, n_boot, aiq,
			     opts && opts->methods ? opts->methods : 2 /* REPORT_METHODS */);
	}

	arr = json_array();
	for (i = 0; i < r.n_orch; i++) {
		if (r.n_common)
			json_array_append_new(
				arr, orchestrator_entry(&r, i, hull, nh, fronts[i], diffs[i], n_boot));
		free(fronts[i]);
		free(diffs[i]);
	}
	set(o, "orchestrators", arr);
	free(fronts);
	free(diffs);
	free(aiq);
	free(pts);
	free(hull);
	rt_release(&r);
	return o;
}

json_t *route_eval_json_opts(const um_run_data *d, const um_route_opts *opts, um_error *err)
{
	um_route_acc *r = route_acc_new(d, err);
	double *down;
	unsigned char *has;
	size_t i;

	if (!r)
		return NULL;
	down = um_xcalloc(d->n_attempts + 1, sizeof(*down));
	has = um_xcalloc(d->n_attempts + 1, 1);
	proxy_costs(d, down, has);
	for (i = 0; i < d->n_attempts; i++)
		route_acc_add(r, &d->attempts[i], down[i], has[i]);
	free(down);
	free(has);
	return route_acc_json(r, opts);
}

/* One scanned attempt with the downstream cost of its proxy events. */
static int scan_row(void *ctx, const um_attempt_rec *a, const um_routing_rec *evs, size_t n)
{
	int64_t down;
	int has = store_proxy_cost(evs, n, &down);

	/* the same double as summing each event's cost as a double (report.c):
	 * integers, exact below 2^53 micro-USD */
	route_acc_add(ctx, a, (double)down, has);
	return 0;
}

json_t *route_eval_store(um_store *st, const um_run_data *meta, const um_route_opts *opts,
			 um_error *err)
{
	um_route_acc *r = route_acc_new(meta, err);
	um_run_counts cnt;

	if (!r)
		return NULL;
	if (store_run_counts(st, meta->run.run_id, &cnt, err) < 0 ||
	    store_scan_attempts(st, meta->run.run_id, cnt.routing ? STORE_SCAN_ROUTING : 0,
				scan_row, r, err) != 0) {
		route_acc_free(r);
		return NULL;
	}
	return route_acc_json(r, opts);
}

/* ---- markdown (from the JSON only) ------------------------------------------ */

static void md_text(um_buf *b, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			um_buf_puts(b, "\\|");
		else if (*s == '\n' || *s == '\r' || *s == '\t')
			um_buf_putc(b, ' ');
		else
			um_buf_putc(b, *s);
	}
}

static void md_cell(um_buf *b, const char *s)
{
	um_buf_puts(b, " ");
	md_text(b, s);
	um_buf_puts(b, " |");
}

static void md_pct(um_buf *b, const json_t *o, const char *path)
{
	const json_t *x = jpath_get(o, path);
	char t[32];

	if (json_is_number(x))
		snprintf(t, sizeof(t), "%.1f%%", 100.0 * json_number_value(x));
	else
		snprintf(t, sizeof(t), "-");
	md_cell(b, t);
}

/* "62.0% [55.1, 70.3]": a proportion and its bootstrap interval (an array). */
static void pct_ci_text(char *t, size_t n, const json_t *o, const char *path, const char *ci)
{
	const json_t *x = jpath_get(o, path), *c = jpath_get(o, ci);

	if (!json_is_number(x))
		snprintf(t, n, "-");
	else if (json_array_size(c) == 2)
		snprintf(t, n, "%.1f%% [%.1f, %.1f]", 100.0 * json_number_value(x),
			 100.0 * json_number_value(json_array_get(c, 0)),
			 100.0 * json_number_value(json_array_get(c, 1)));
	else
		snprintf(t, n, "%.1f%%", 100.0 * json_number_value(x));
}

static void md_usd(um_buf *b, const json_t *o, const char *path)
{
	const json_t *x = jpath_get(o, path);
	char t[48];

	if (json_is_integer(x))
		usd(t, sizeof(t), (double)json_integer_value(x));
	else
		snprintf(t, sizeof(t), "-");
	md_cell(b, t);
}

static void usd_of(char *out, size_t n, const json_t *x)
{
	if (json_is_integer(x))
		usd(out, n, (double)json_integer_value(x));
	else
		snprintf(out, n, "-");
}

/* The profile router's row of the routers table. */
static void md_profile_row(um_buf *b, const json_t *pr)
{
	const json_t *pc = json_object_get(pr, "aiq_common");
	char lo[48], hi[48], t[128];

	usd_of(lo, sizeof(lo), json_array_get(json_object_get(pc, "cost_range_micro"), 0));
	usd_of(hi, sizeof(hi), json_array_get(json_object_get(pc, "cost_range_micro"), 1));
	um_buf_puts(b, "| Profile router (evaluation half) | - |");
	snprintf(t, sizeof(t), "%s to %s", lo, hi);
	md_cell(b, t);
	md_pct(b, pc, "profile_router");
	um_buf_puts(b, " zero router on the same items and cost range: AIQ ");
	if (json_is_number(json_object_get(pc, "zero_router")))
		um_buf_printf(b, "%.1f%%",
			      100.0 * json_number_value(json_object_get(pc, "zero_router")));
	else
		um_buf_puts(b, "-");
	pct_ci_text(t, sizeof(t), pr, "aiq", "aiq_ci");
	um_buf_printf(b, "; each on its own cost range, AIQ %s against ", t);
	pct_ci_text(t, sizeof(t), pr, "zero_router_eval.aiq", "zero_router_eval.aiq_ci");
	um_buf_printf(b, "%s (bootstrap over the evaluation items) |\n", t);
}

static void md_routers(um_buf *b, const json_t *s)
{
	const json_t *bs = json_object_get(s, "best_single"), *orc = json_object_get(s, "oracle");
	const json_t *z = json_object_get(s, "zero_router");
	const json_t *pr = json_object_get(s, "profile_router");
	const json_t *e;
	size_t i;
	char lo[48], hi[48], t[128];

	if (!json_is_object(z)) {
		um_buf_puts(b, "No router baselines: the run has no baseline graded on the items "
			       "used.\n\n");
		return;
	}
	um_buf_puts(b, "| Router | Accuracy | Cost / item | AIQ | Note |\n"
		       "|---|---:|---:|---:|---|\n");
	um_buf_puts(b, "| Best single system |");
	md_pct(b, bs, "accuracy");
	md_usd(b, bs, "cost_per_item_micro");
	md_cell(b, "-");
	md_cell(b, jpath_str(bs, "system"));
	um_buf_puts(b, "\n| Oracle (best baseline per item) |");
	md_pct(b, orc, "accuracy");
	md_usd(b, orc, "cost_per_item_micro");
	md_cell(b, "-");
	um_buf_puts(b, " picks:");
	json_array_foreach(json_object_get(orc, "picks"), i, e) {
		um_buf_printf(b, "%s ", i ? "," : "");
		md_text(b, jpath_str(e, "system"));
		um_buf_printf(b, " %lld",
			      (long long)json_integer_value(json_object_get(e, "items")));
	}
	usd_of(lo, sizeof(lo), json_array_get(json_object_get(z, "cost_range_micro"), 0));
	usd_of(hi, sizeof(hi), json_array_get(json_object_get(z, "cost_range_micro"), 1));
	um_buf_puts(b, " |\n| Zero router (baselines' frontier) | - |");
	snprintf(t, sizeof(t), "%s to %s", lo, hi);
	md_cell(b, t);
	pct_ci_text(t, sizeof(t), z, "aiq", "aiq_ci");
	md_cell(b, t);
	um_buf_puts(b, " with the oracle as a point: AIQ ");
	if (json_is_number(json_object_get(z, "aiq_with_oracle")))
		um_buf_printf(b, "%.1f%%",
			      100.0 * json_number_value(json_object_get(z, "aiq_with_oracle")));
	else
		um_buf_puts(b, "-");
	um_buf_puts(b, " |\n");
	if (json_is_object(pr))
		md_profile_row(b, pr);
	um_buf_puts(b, "\nThe zero router's frontier:");
	json_array_foreach(json_object_get(z, "frontier"), i, e) {
		char c[48];
		usd_of(c, sizeof(c), json_object_get(e, "cost_per_item_micro"));
		um_buf_printf(b, "%s ", i ? "," : "");
		md_text(b, jpath_str(e, "system"));
		um_buf_printf(b, " (%.1f%% at %s)",
			      100.0 * json_number_value(json_object_get(e, "accuracy")), c);
	}
	um_buf_puts(b, ". Mixing two neighbouring systems reaches any point between them.\n\n");

	if (!json_is_object(pr))
		return;
	usd_of(t, sizeof(t), json_object_get(pr, "cost_scale_micro"));
	um_buf_printf(b,
		      "The profile router sends each category to the baseline maximising "
		      "accuracy - lambda x cost (cost in units of %s/item), fitted on %lld "
		      "items and measured on the other %lld:\n\n",
		      t, (long long)json_integer_value(jpath_get(pr, "split.train_items")),
		      (long long)json_integer_value(jpath_get(pr, "split.eval_items")));
	um_buf_puts(b, "| lambda | Accuracy | Cost / item | Routes |\n|---:|---:|---:|---|\n");
	json_array_foreach(json_object_get(pr, "points"), i, e) {
		const char *k;
		const json_t *v;
		size_t n = 0;

		um_buf_printf(b, "| %g |", json_number_value(json_object_get(e, "lambda")));
		md_pct(b, e, "accuracy");
		md_usd(b, e, "cost_per_item_micro");
		um_buf_puts(b, " ");
		json_object_foreach((json_t *)json_object_get(e, "routes"), k, v) {
			um_buf_puts(b, n++ ? ", " : "");
			md_text(b, k);
			um_buf_puts(b, " -> ");
			md_text(b, json_string_value(v));
		}
		um_buf_puts(b, " |\n");
	}
	um_buf_puts(b, "\n");
}

char *route_eval_markdown(const json_t *s)
{
	um_buf b = UM_BUF_INIT;
	const json_t *e;
	size_t i;

	um_buf_puts(&b, "## Routing and routers\n\n");
	um_buf_printf(&b,
		      "Does the orchestrator beat a trivial router built from its own pool? Over "
		      "the %lld items graded for every system (%lld dropped), each system is a "
		      "point (mean cost per item, accuracy); mixing two baselines reaches any "
		      "point between them, so the baselines' frontier is what routing without "
		      "any skill achieves. Intervals: %lld paired bootstrap resamples of the "
		      "items, seed ",
		      (long long)json_integer_value(jpath_get(s, "items.used")),
		      (long long)json_integer_value(jpath_get(s, "items.dropped")),
		      (long long)json_integer_value(json_object_get(s, "resamples")));
	if (json_is_string(json_object_get(s, "seed")))
		um_buf_printf(&b, "%s.\n\n", jpath_str(s, "seed"));
	else
		um_buf_printf(&b, "%lld.\n\n",
			      (long long)json_integer_value(json_object_get(s, "seed")));
	if (json_array_size(json_object_get(s, "excluded_systems"))) {
		um_buf_puts(&b, "Left out (nothing graded):");
		json_array_foreach(json_object_get(s, "excluded_systems"), i, e) {
			um_buf_puts(&b, i ? ", " : " ");
			md_text(&b, json_string_value(e));
		}
		um_buf_puts(&b, ".\n\n");
	}
	if (json_integer_value(jpath_get(s, "items.used")) == 0) {
		um_buf_puts(&b, "No item was graded for every system, so there is nothing to "
				"compare.\n");
		return um_buf_detach(&b);
	}
	if (json_array_size(json_object_get(s, "orchestrators")) == 0)
		um_buf_puts(&b, "No orchestrator in this run.\n\n");
	json_array_foreach(json_object_get(s, "orchestrators"), i, e) {
		um_buf_puts(&b, "- **");
		md_text(&b, jpath_str(e, "verdict"));
		um_buf_puts(&b, "**: ");
		md_text(&b, jpath_str(e, "answer"));
		um_buf_puts(&b, ".\n");
	}
	if (json_array_size(json_object_get(s, "orchestrators")))
		um_buf_puts(&b, "\n");

	um_buf_puts(&b, "| System | Role | Accuracy | Cost / item | Cost basis | On the baselines' "
			"frontier |\n|---|---|---:|---:|---|---|\n");
	json_array_foreach(json_object_get(s, "systems"), i, e) {
		const json_t *on = json_object_get(e, "on_frontier");
		um_buf_puts(&b, "|");
		md_cell(&b, jpath_str(e, "name"));
		md_cell(&b, jpath_str(e, "role"));
		md_pct(&b, e, "accuracy");
		md_usd(&b, e, "cost_per_item_micro");
		md_cell(&b, jpath_str(e, "cost_basis"));
		md_cell(&b, json_is_boolean(on) ? (json_is_true(on) ? "yes" : "no") : "-");
		um_buf_puts(&b, "\n");
	}
	um_buf_puts(&b, "\n");
	md_routers(&b, s);
	return um_buf_detach(&b);
}
