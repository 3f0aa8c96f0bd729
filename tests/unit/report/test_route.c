/*
 * test_route.c - router baselines against hand-computed cases: the
 * frontier (dominated points, ties, one point, equal costs), AIQ, the
 * oracle and the best single system on a tiny run, the orchestrator against
 * the frontier (between vertices, cheaper than every baseline, beyond
 * reach), true cost from proxy events, the profile router's split (stable,
 * half/half, never fitted on the evaluation half), a bootstrap that is
 * deterministic for a seed, and degenerate runs.
 *
 * The tiny run (one sample, costs in micro-USD per attempt):
 *          i1 (A) i2 (A) i3 (B) i4 (B)   cost    point
 *   a        1      1      0      0     10000   (10000, 0.50)
 *   b        1      0      1      0      2000   ( 2000, 0.50)
 *   c        0      0      0      1      1000   ( 1000, 0.25)
 *   o (orchestrator) 1 1 1 0             20000   (20000, 0.75)
 * Oracle: i1 -> b (a ties, b cheaper), i2 -> a, i3 -> b, i4 -> c:
 *   accuracy 1, cost (2000 + 10000 + 2000 + 1000) / 4 = 3750.
 * Frontier: c, b (a is dominated by b). AIQ over [1000, 10000]:
 *   ((0.25 + 0.5) / 2 * 1000 + 0.5 * 8000) / 9000 = 4375 / 9000.
 * With the oracle as a point: c, oracle (b falls under the chord):
 *   ((0.25 + 1) / 2 * 2750 + 1 * 6250) / 9000 = 7968.75 / 9000.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/route.h"
#include "report/stats.h"
#include "store/store.h"
#include "base/util.h"

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.15g, want %.15g", got, want);
}

/* "a.b.0.c": object keys and array indices. */
static const json_t *jp(const json_t *o, const char *p)
{
	char key[64];

	while (o && *p) {
		size_t n = strcspn(p, ".");
		memcpy(key, p, n);
		key[n] = '\0';
		if (json_is_array(o))
			o = json_array_get(o, (size_t)atoi(key));
		else
			o = json_object_get(o, key);
		p += n;
		if (*p == '.')
			p++;
	}
	return o;
}

static double jnum(const json_t *o, const char *p)
{
	const json_t *x = jp(o, p);

	if (!json_is_number(x))
		fail_msg("%s is not a number", p);
	return json_number_value(x);
}

static long long jintv(const json_t *o, const char *p)
{
	const json_t *x = jp(o, p);

	if (!json_is_integer(x))
		fail_msg("%s is not an integer", p);
	return (long long)json_integer_value(x);
}

static const char *jstrv(const json_t *o, const char *p)
{
	const char *s = json_string_value(jp(o, p));

	if (!s)
		fail_msg("%s is not a string", p);
	return s;
}

/* ---- building runs ------------------------------------------------------ */

static void run_init(um_run_data *d)
{
	memset(d, 0, sizeof(*d));
	d->run.run_id = um_xstrdup("r1");
	d->run.suite_name = um_xstrdup("tiny");
	d->run.seed = 7;
	d->run.repeats = 1;
	d->run.status = um_xstrdup("complete");
}

static void add_system(um_run_data *d, const char *name, const char *role)
{
	um_system_rec *r;

	d->systems = um_xrealloc(d->systems, (d->n_systems + 1) * sizeof(*r));
	r = &d->systems[d->n_systems++];
	memset(r, 0, sizeof(*r));
	r->name = um_xstrdup(name);
	r->role = um_xstrdup(role);
	r->provider = um_xstrdup("openai");
	r->model = um_xstrdup(name);
}

static void add_item(um_run_data *d, const char *id, const char *cat)
{
	um_item_rec *r;

	d->items = um_xrealloc(d->items, (d->n_items + 1) * sizeof(*r));
	r = &d->items[d->n_items++];
	memset(r, 0, sizeof(*r));
	r->item_id = um_xstrdup(id);
	r->category = um_xstrdup(cat);
}

/* score 0/1, or -1 for an infrastructure error */
static void add_attempt(um_run_data *d, const char *sys, const char *item, int sample, int score,
			int64_t cost)
{
	um_attempt_rec *a;

	d->attempts = um_xrealloc(d->attempts, (d->n_attempts + 1) * sizeof(*a));
	a = &d->attempts[d->n_attempts++];
	memset(a, 0, sizeof(*a));
	a->attempt_id = um_xasprintf("%s/%s/%d", sys, item, sample);
	a->item_id = um_xstrdup(item);
	a->system = um_xstrdup(sys);
	a->sample = sample;
	a->cost_micro = cost;
	a->latency_ms = 100;
	a->status = score >= 0 ? UM_ATT_DONE : UM_ATT_ERROR;
	a->score = score;
}

static void add_event(um_run_data *d, const char *attempt_id, const char *source, int64_t cost)
{
	um_routing_rec *e;

	d->routing = um_xrealloc(d->routing, (d->n_routing + 1) * sizeof(*e));
	e = &d->routing[d->n_routing++];
	memset(e, 0, sizeof(*e));
	e->attempt_id = um_xstrdup(attempt_id);
	e->source = um_xstrdup(source);
	e->sub_model = um_xstrdup("sub");
	e->cost_micro = cost;
}

static void tiny_run(um_run_data *d, int64_t o_cost, const char *o_scores)
{
	static const char *const items[] = {"i1", "i2", "i3", "i4"};
	static const char *const sc[] = {"1100", "1010", "0001"};
	static const char *const names[] = {"a", "b", "c"};
	static const int64_t costs[] = {10000, 2000, 1000};
	int i, s;

	run_init(d);
	add_system(d, "o", "orchestrator");
	for (s = 0; s < 3; s++)
		add_system(d, names[s], "baseline");
	for (i = 0; i < 4; i++)
		add_item(d, items[i], i < 2 ? "A" : "B");
	for (i = 0; i < 4; i++) {
		for (s = 0; s < 3; s++)
			add_attempt(d, names[s], items[i], 0, sc[s][i] == '1', costs[s]);
		add_attempt(d, "o", items[i], 0, o_scores[i] == '1', o_cost);
	}
}

static json_t *eval(const um_run_data *d, uint64_t seed, unsigned resamples)
{
	um_route_opts o = {seed, resamples, 0};
	um_error err = {0};
	json_t *j = route_eval_json_opts(d, &o, &err);

	if (!j)
		fail_msg("route_eval_json: %s", err.msg);
	return j;
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(6));
}

/* ---- the frontier ----------------------------------------------------------- */

static size_t hull_of(const um_cq_point *p, size_t n, um_cq_point *out)
{
	return route_hull(p, n, out);
}

static void test_hull_dominated(void **state)
{
	/* C lies under the chord A-B; D costs more than B for less. */
	um_cq_point p[] = {{3, 0.9, 1}, {2, 0.6, 2}, {1, 0.5, 0}, {4, 0.8, 3}}, h[4];
	size_t n;

	(void)state;
	n = hull_of(p, 4, h);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].tag, 0);
	assert_int_equal(h[1].tag, 1);
	/* between vertices, flat beyond, the first vertex below */
	assert_near(route_hull_at(h, n, 2), 0.7, 1e-12);
	assert_near(route_hull_at(h, n, 10), 0.9, 1e-12);
	assert_near(route_hull_at(h, n, 0.5), 0.5, 1e-12);
	/* [1, 3]: (0.5 + 0.9) / 2 * 2 / 2 = 0.7 */
	assert_near(route_hull_mean(h, n, 1, 3), 0.7, 1e-12);
	/* AIQ over [1, 4]: (1.4 + 0.9) / 3 */
	assert_near(route_aiq(p, 4), 2.3 / 3.0, 1e-12);
	/* least cost for an accuracy */
	assert_near(route_hull_cost_for(h, n, 0.7), 2.0, 1e-12);
	assert_near(route_hull_cost_for(h, n, 0.3), 1.0, 1e-12);
	assert_near(route_hull_cost_for(h, n, 0.9), 3.0, 1e-12);
	assert_true(isnan(route_hull_cost_for(h, n, 0.95)));
}

static void test_hull_concave(void **state)
{
	/* A(0, .2) B(1, .6) C(2, .7) D(3, .95): C falls under B-D. */
	um_cq_point p[] = {{0, 0.2, 0}, {1, 0.6, 1}, {2, 0.7, 2}, {3, 0.95, 3}}, h[4];
	size_t n;

	(void)state;
	n = hull_of(p, 4, h);
	assert_int_equal(n, 3);
	assert_int_equal(h[0].tag, 0);
	assert_int_equal(h[1].tag, 1);
	assert_int_equal(h[2].tag, 3);
	/* (0.4 + 1.55) / 3 */
	assert_near(route_aiq(p, 4), 0.65, 1e-12);
	/* a collinear middle point is not a vertex */
	{
		um_cq_point q[] = {{0, 0.0, 0}, {1, 0.5, 1}, {2, 1.0, 2}};
		assert_int_equal(hull_of(q, 3, h), 2);
		assert_int_equal(h[1].tag, 2);
		assert_near(route_aiq(q, 3), 0.5, 1e-12);
	}
}

static void test_hull_ties_and_equal_costs(void **state)
{
	um_cq_point h[4];

	(void)state;
	/* equal cost: the more accurate point only */
	{
		um_cq_point p[] = {{2, 0.3, 0}, {2, 0.7, 1}};
		assert_int_equal(hull_of(p, 2, h), 1);
		assert_int_equal(h[0].tag, 1);
		assert_near(route_aiq(p, 2), 0.7, 1e-12);
	}
	/* equal accuracy: the cheaper one; the dearer one still widens the range */
	{
		um_cq_point p[] = {{4, 0.5, 0}, {2, 0.5, 1}, {1, 0.25, 2}};
		assert_int_equal(hull_of(p, 3, h), 2);
		assert_int_equal(h[0].tag, 2);
		assert_int_equal(h[1].tag, 1);
		/* ((0.25 + 0.5) / 2 * 1 + 0.5 * 2) / 3 */
		assert_near(route_aiq(p, 3), 1.375 / 3.0, 1e-12);
	}
	/* identical points count once */
	{
		um_cq_point p[] = {{1, 0.5, 0}, {1, 0.5, 1}, {3, 0.9, 2}, {3, 0.9, 3}};
		assert_int_equal(hull_of(p, 4, h), 2);
		assert_near(route_aiq(p, 4), 0.7, 1e-12);
	}
	/* a single point */
	{
		um_cq_point p[] = {{5, 0.4, 0}};
		assert_int_equal(hull_of(p, 1, h), 1);
		assert_near(route_aiq(p, 1), 0.4, 1e-12);
		assert_near(route_hull_at(h, 1, 100), 0.4, 1e-12);
		assert_near(route_hull_cost_for(h, 1, 0.4), 5, 1e-12);
		assert_true(isnan(route_hull_cost_for(h, 1, 0.41)));
	}
	/* nothing */
	assert_int_equal(route_hull(NULL, 0, h), 0);
	assert_true(isnan(route_aiq(NULL, 0)));
	assert_true(isnan(route_hull_at(h, 0, 1)));
	assert_true(isnan(route_hull_mean(h, 0, 0, 1)));
	/* non-finite points are ignored */
	{
		um_cq_point p[] = {{NAN, 0.9, 0}, {1, 0.5, 1}};
		assert_int_equal(hull_of(p, 2, h), 1);
		assert_int_equal(h[0].tag, 1);
	}
}

/* ---- the tiny run ------------------------------------------------------------- */

static void test_oracle_and_zero_router(void **state)
{
	um_run_data d;
	json_t *j;

	(void)state;
	tiny_run(&d, 20000, "1110");
	j = eval(&d, 1, 200);
	assert_int_equal(jintv(j, "items.used"), 4);
	assert_int_equal(jintv(j, "items.dropped"), 0);
	/* single systems, sorted by name */
	assert_string_equal(jstrv(j, "systems.0.name"), "a");
	assert_string_equal(jstrv(j, "systems.3.name"), "o");
	assert_int_equal(jintv(j, "systems.1.cost_per_item_micro"), 2000);
	assert_near(jnum(j, "systems.1.accuracy"), 0.5, 1e-9);
	assert_true(json_is_false(jp(j, "systems.0.on_frontier")));
	assert_true(json_is_true(jp(j, "systems.1.on_frontier")));
	assert_true(json_is_true(jp(j, "systems.2.on_frontier")));
	assert_true(json_is_null(jp(j, "systems.3.on_frontier")));
	/* best single: a and b tie at 50%, b is cheaper */
	assert_string_equal(jstrv(j, "best_single.system"), "b");
	/* the oracle */
	assert_near(jnum(j, "oracle.accuracy"), 1.0, 1e-9);
	assert_int_equal(jintv(j, "oracle.cost_per_item_micro"), 3750);
	assert_string_equal(jstrv(j, "oracle.picks.0.system"), "a");
	assert_int_equal(jintv(j, "oracle.picks.0.items"), 1);
	assert_int_equal(jintv(j, "oracle.picks.1.items"), 2);
	assert_int_equal(jintv(j, "oracle.picks.2.items"), 1);
	/* the zero router */
	assert_int_equal(json_array_size(jp(j, "zero_router.frontier")), 2);
	assert_string_equal(jstrv(j, "zero_router.frontier.0.system"), "c");
	assert_string_equal(jstrv(j, "zero_router.frontier.1.system"), "b");
	assert_int_equal(jintv(j, "zero_router.cost_range_micro.0"), 1000);
	assert_int_equal(jintv(j, "zero_router.cost_range_micro.1"), 10000);
	assert_near(jnum(j, "zero_router.aiq"), 4375.0 / 9000.0, 1e-6);
	assert_near(jnum(j, "zero_router.aiq_with_oracle"), 7968.75 / 9000.0, 1e-6);
	/* the orchestrator costs more than any baseline: frontier flat at 50% */
	assert_int_equal(json_array_size(jp(j, "orchestrators")), 1);
	assert_string_equal(jstrv(j, "orchestrators.0.system"), "o");
	assert_string_equal(jstrv(j, "orchestrators.0.cost_basis"), "billed");
	assert_true(json_is_null(jp(j, "orchestrators.0.true_cost_per_item_micro")));
	assert_near(jnum(j, "orchestrators.0.frontier_accuracy.value"), 0.5, 1e-9);
	assert_near(jnum(j, "orchestrators.0.difference.value"), 0.25, 1e-9);
	assert_true(json_is_false(jp(j, "orchestrators.0.reachable")));
	assert_true(json_is_null(jp(j, "orchestrators.0.cost_to_reach_micro")));
	assert_non_null(strstr(jstrv(j, "orchestrators.0.answer"), "no mix of the baselines"));
	assert_non_null(strstr(jstrv(j, "orchestrators.0.answer"), "o: 75.0% at $0.020000/item"));
	assert_true(jnum(j, "orchestrators.0.difference.ci_lo") <=
		    jnum(j, "orchestrators.0.difference.ci_hi"));
	json_decref(j);
	store_run_data_free(&d);
}

static void test_orchestrator_between_vertices(void **state)
{
	um_run_data d;
	json_t *j;

	(void)state;
	/* o: 50% at 1500/item; the frontier at 1500 is 0.25 + 0.5 x 0.25 */
	tiny_run(&d, 1500, "1010");
	j = eval(&d, 1, 200);
	assert_near(jnum(j, "orchestrators.0.frontier_accuracy.value"), 0.375, 1e-9);
	assert_near(jnum(j, "orchestrators.0.difference.value"), 0.125, 1e-9);
	assert_true(json_is_true(jp(j, "orchestrators.0.reachable")));
	assert_int_equal(jintv(j, "orchestrators.0.cost_to_reach_micro"), 2000);
	assert_true(json_is_false(jp(j, "orchestrators.0.cheaper_than_every_baseline")));
	assert_non_null(strstr(jstrv(j, "orchestrators.0.answer"), "at $0.002000/item"));
	json_decref(j);
	store_run_data_free(&d);

	/* cheaper than every baseline: compared with the frontier's start */
	tiny_run(&d, 500, "0000");
	j = eval(&d, 1, 200);
	assert_true(json_is_true(jp(j, "orchestrators.0.cheaper_than_every_baseline")));
	assert_near(jnum(j, "orchestrators.0.frontier_accuracy.value"), 0.25, 1e-9);
	assert_near(jnum(j, "orchestrators.0.difference.value"), -0.25, 1e-9);
	assert_int_equal(jintv(j, "orchestrators.0.cost_to_reach_micro"), 1000);
	assert_non_null(strstr(jstrv(j, "orchestrators.0.answer"), "costs less than every"));
	json_decref(j);
	store_run_data_free(&d);
}

static void test_true_cost(void **state)
{
	um_run_data d;
	json_t *j;
	int i;

	(void)state;
	tiny_run(&d, 1500, "1010");
	/* the proxy saw 5000 of downstream calls per attempt; self-reports and
	 * unattributed events do not count */
	for (i = 1; i <= 4; i++) {
		char *id = um_xasprintf("o/i%d/0", i);
		add_event(&d, id, "proxy", 3000);
		add_event(&d, id, "proxy", 2000);
		add_event(&d, id, "self-report", 99999);
		free(id);
	}
	add_event(&d, "", "proxy", 88888);
	j = eval(&d, 1, 200);
	assert_string_equal(jstrv(j, "orchestrators.0.cost_basis"), "true");
	assert_int_equal(jintv(j, "orchestrators.0.cost_per_item_micro"), 6500);
	assert_int_equal(jintv(j, "orchestrators.0.billed_cost_per_item_micro"), 1500);
	assert_int_equal(jintv(j, "orchestrators.0.true_cost_per_item_micro"), 6500);
	/* at 6500 the frontier is b's 50% */
	assert_near(jnum(j, "orchestrators.0.frontier_accuracy.value"), 0.5, 1e-9);
	assert_non_null(strstr(jstrv(j, "orchestrators.0.answer"), "true cost"));
	assert_string_equal(jstrv(j, "systems.3.cost_basis"), "true");
	assert_string_equal(jstrv(j, "systems.0.cost_basis"), "billed");
	json_decref(j);
	store_run_data_free(&d);
}

/* ---- the profile router ----------------------------------------------------------- */

static void test_split(void **state)
{
	const char *ids[40], *rev[40];
	unsigned char e1[40], e2[40], e3[40], e4[40];
	size_t i, n_eval = 0, differ = 0;

	(void)state;
	for (i = 0; i < 40; i++)
		ids[i] = rev[39 - i] = um_xasprintf("item-%02zu", i);
	route_split(ids, 40, 11, e1);
	route_split(ids, 40, 11, e2);
	route_split(rev, 40, 11, e3);
	route_split(ids, 40, 12, e4);
	for (i = 0; i < 40; i++) {
		assert_int_equal(e1[i], e2[i]);      /* same seed, same split */
		assert_int_equal(e1[i], e3[39 - i]); /* whatever the order of the ids */
		n_eval += e1[i];
		differ += e1[i] != e4[i];
	}
	assert_int_equal(n_eval, 20);
	assert_true(differ > 0); /* the seed matters */
	/* odd counts: the training half is the larger */
	route_split(ids, 7, 11, e1);
	for (i = 0, n_eval = 0; i < 7; i++)
		n_eval += e1[i];
	assert_int_equal(n_eval, 3);
	route_split(ids, 1, 11, e1);
	assert_int_equal(e1[0], 0);
	for (i = 0; i < 40; i++)
		free((char *)ids[i]);
}

static void test_profile_router_never_sees_eval(void **state)
{
	const char *ids[20];
	unsigned char is_eval[20];
	um_run_data d;
	json_t *j;
	size_t i, g;
	const uint64_t seed = 99;

	(void)state;
	run_init(&d);
	add_system(&d, "x", "baseline");
	add_system(&d, "y", "baseline");
	for (i = 0; i < 20; i++) {
		ids[i] = um_xasprintf("t%02zu", i);
		add_item(&d, ids[i], "A");
	}
	route_split(ids, 20, seed, is_eval);
	/* x is right exactly on the training half, y exactly on the evaluation
	 * half: over all items both score 50% and y, being cheaper, would win
	 * a fit that had seen the evaluation items. */
	for (i = 0; i < 20; i++) {
		add_attempt(&d, "x", ids[i], 0, !is_eval[i], 2000);
		add_attempt(&d, "y", ids[i], 0, is_eval[i], 1000);
	}
	j = eval(&d, seed, 50);
	assert_int_equal(jintv(j, "profile_router.split.train_items"), 10);
	assert_int_equal(jintv(j, "profile_router.split.eval_items"), 10);
	assert_int_equal(json_array_size(jp(j, "profile_router.points")),
			 route_lambda_grid_len);
	assert_near(jnum(j, "profile_router.points.0.lambda"), 0.0, 0);
	assert_string_equal(jstrv(j, "profile_router.points.0.routes.A"), "x");
	assert_near(jnum(j, "profile_router.points.0.accuracy"), 0.0, 1e-12);
	assert_int_equal(jintv(j, "profile_router.points.0.cost_per_item_micro"), 2000);
	/* a large lambda buys the cheap system, which is right on the eval half */
	g = route_lambda_grid_len - 1;
	{
		char p[64];
		snprintf(p, sizeof(p), "profile_router.points.%zu.routes.A", g);
		assert_string_equal(jstrv(j, p), "y");
		snprintf(p, sizeof(p), "profile_router.points.%zu.accuracy", g);
		assert_near(jnum(j, p), 1.0, 1e-12);
	}
	/* the zero router on the evaluation items: y dominates x there */
	assert_int_equal(json_array_size(jp(j, "profile_router.zero_router_eval.frontier")), 1);
	assert_string_equal(jstrv(j, "profile_router.zero_router_eval.frontier.0.system"), "y");
	/* no orchestrator */
	assert_int_equal(json_array_size(jp(j, "orchestrators")), 0);
	json_decref(j);
	store_run_data_free(&d);
	for (i = 0; i < 20; i++)
		free((char *)ids[i]);
}

static void test_profile_router_categories(void **state)
{
	um_run_data d;
	json_t *j;

	(void)state;
	/* in the tiny run a is best on category A, b and c share B */
	tiny_run(&d, 20000, "1110");
	j = eval(&d, 3, 50);
	assert_non_null(jp(j, "profile_router.points.0.routes.A"));
	assert_non_null(jp(j, "profile_router.points.0.routes.B"));
	assert_int_equal(jintv(j, "profile_router.split.train_items") +
				 jintv(j, "profile_router.split.eval_items"),
			 4);
	assert_true(json_is_number(jp(j, "profile_router.aiq")));
	assert_true(json_is_number(jp(j, "profile_router.aiq_common.zero_router")));
	json_decref(j);
	store_run_data_free(&d);
}

/* ---- the bootstrap ------------------------------------------------------------------ */

static void random_run(um_run_data *d, uint64_t rs)
{
	static const char *const names[] = {"p", "q", "r", "z"};
	static const int64_t costs[] = {900, 3000, 12000, 9000};
	static const double acc[] = {0.4, 0.6, 0.8, 0.75};
	um_rng rng;
	int i, s;

	um_rng_seed(&rng, rs);
	run_init(d);
	for (s = 0; s < 4; s++)
		add_system(d, names[s], s == 3 ? "orchestrator" : "baseline");
	for (i = 0; i < 30; i++) {
		char id[16];
		snprintf(id, sizeof(id), "k%02d", i);
		add_item(d, id, i % 3 ? "P" : "Q");
		for (s = 0; s < 4; s++) {
			add_attempt(d, names[s], id, 0, um_rng_uniform(&rng) < acc[s], costs[s]);
			add_attempt(d, names[s], id, 1, um_rng_uniform(&rng) < acc[s], costs[s]);
		}
	}
}

static void test_bootstrap_deterministic(void **state)
{
	um_run_data d;
	json_t *a, *b, *c;
	char *ta, *tb, *tc;

	(void)state;
	random_run(&d, 5);
	a = eval(&d, 2024, 300);
	b = eval(&d, 2024, 300);
	c = eval(&d, 2025, 300);
	ta = dump(a);
	tb = dump(b);
	tc = dump(c);
	assert_string_equal(ta, tb);
	assert_int_equal(jintv(a, "seed"), 2024);
	assert_int_equal(jintv(a, "resamples"), 300);
	/* another seed moves the intervals, not the point estimates */
	assert_true(strcmp(ta, tc) != 0);
	assert_near(jnum(a, "orchestrators.0.difference.value"),
		    jnum(c, "orchestrators.0.difference.value"), 0);
	assert_true(jnum(a, "orchestrators.0.difference.ci_lo") <=
		    jnum(a, "orchestrators.0.difference.ci_hi"));
	assert_true(jnum(a, "orchestrators.0.frontier_accuracy.ci_lo") <=
		    jnum(a, "orchestrators.0.frontier_accuracy.ci_hi"));
	/* the AIQs carry bootstrap intervals, seeded like the rest */
	assert_true(jnum(a, "zero_router.aiq_ci.0") <= jnum(a, "zero_router.aiq_ci.1"));
	assert_true(jnum(a, "profile_router.aiq_ci.0") <= jnum(a, "profile_router.aiq_ci.1"));
	assert_true(jnum(a, "profile_router.zero_router_eval.aiq_ci.0") <=
		    jnum(a, "profile_router.zero_router_eval.aiq_ci.1"));
	assert_true(json_is_number(jp(a, "orchestrators.0.below_p")));
	assert_near(jnum(a, "zero_router.aiq"), jnum(c, "zero_router.aiq"), 0);
	/* the zero router's is route_aiq_ci's simultaneous interval over the
	 * baselines' per-item means (2 samples per item), holding the AIQ */
	assert_string_equal(jstrv(a, "zero_router.aiq_ci_method"), "max-t");
	assert_true(jnum(a, "zero_router.aiq_ci.0") <= jnum(a, "zero_router.aiq"));
	assert_true(jnum(a, "zero_router.aiq") <= jnum(a, "zero_router.aiq_ci.1"));
	{
		static const char *const bn[] = {"p", "q", "r"};
		double m[3][30], cost[3] = {900e-6, 3000e-6, 12000e-6};
		const double *mp[3] = {m[0], m[1], m[2]};
		um_interval iv0, iv1;
		size_t at, j;

		memset(m, 0, sizeof(m));
		for (at = 0; at < d.n_attempts; at++)
			for (j = 0; j < 3; j++)
				if (!strcmp(d.attempts[at].system, bn[j]))
					m[j][atoi(d.attempts[at].item_id + 1)] +=
						d.attempts[at].score / 2.0;
		/* the seed stream differs; the critical value is a Monte Carlo
		 * figure, so the bounds agree to a few draws' error */
		iv0 = route_aiq_ci(mp, cost, 3, 30, 2.0, 0.95, 1, 300);
		iv1 = route_aiq_ci(mp, cost, 3, 30, 2.0, 0.95, 2, 300);
		assert_near(iv0.est, jnum(a, "zero_router.aiq"), 1e-6); /* 6 digits */
		assert_near(jnum(a, "zero_router.aiq_ci.1"), iv0.hi, 1e-6);
		assert_near(jnum(a, "zero_router.aiq_ci.0"), iv0.lo, fabs(iv0.lo - iv1.lo) + 0.01);
	}
	/* the default wrapper records its seed and 1000 resamples */
	{
		um_error err = {0};
		json_t *w = route_eval_json(&d, 77, &err);
		assert_non_null(w);
		assert_int_equal(jintv(w, "seed"), 77);
		assert_int_equal(jintv(w, "resamples"), UM_ROUTE_RESAMPLES);
		json_decref(w);
	}
	/* input order does not matter */
	{
		um_attempt_rec t = d.attempts[0];
		um_system_rec u = d.systems[0];
		json_t *e;
		char *te;

		d.attempts[0] = d.attempts[d.n_attempts - 1];
		d.attempts[d.n_attempts - 1] = t;
		d.systems[0] = d.systems[3];
		d.systems[3] = u;
		e = eval(&d, 2024, 300);
		te = dump(e);
		assert_string_equal(ta, te);
		free(te);
		json_decref(e);
	}
	free(ta);
	free(tb);
	free(tc);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	store_run_data_free(&d);
}

/* The AIQ is the largest chain mean: route_aiq_ci's estimate equals
 * route_aiq on random pools, ties in cost (the cheapest too) included; its
 * interval holds the estimate; too many baselines give NAN. */
static void test_aiq_chains(void **state)
{
	double x[6][40], cost[6];
	const double *xp[6];
	um_cq_point pts[6];
	um_rng rng;
	int t;
	size_t j, i;

	(void)state;
	um_rng_seed(&rng, 99);
	for (t = 0; t < 200; t++) {
		size_t nb = 1 + (size_t)um_rng_below(&rng, 6);
		um_interval iv;
		for (j = 0; j < nb; j++) {
			double sum = 0.0, p = um_rng_uniform(&rng);
			for (i = 0; i < 40; i++) {
				x[j][i] = um_rng_uniform(&rng) < p ? 1.0 : 0.0;
				sum += x[j][i];
			}
			xp[j] = x[j];
			/* costs on a coarse grid, so that ties happen */
			cost[j] = 1.0 + (double)um_rng_below(&rng, t % 3 ? 4 : 1);
			pts[j].cost = cost[j];
			pts[j].acc = sum / 40.0;
			pts[j].tag = (int)j;
		}
		iv = route_aiq_ci(xp, cost, nb, 40, 1.0, 0.95, (uint64_t)t, 200);
		if (fabs(iv.est - route_aiq(pts, nb)) > 1e-12)
			fail_msg("pool %d: chains give %.12f, route_aiq %.12f", t, iv.est,
				 route_aiq(pts, nb));
		assert_true(iv.lo <= iv.est && iv.est <= iv.hi && iv.lo >= 0.0 && iv.hi <= 1.0);
	}
	{
		double *many[14], c14[14];
		um_interval iv;
		for (j = 0; j < 14; j++) {
			many[j] = x[0];
			c14[j] = 1.0 + (double)j;
		}
		iv = route_aiq_ci((const double *const *)many, c14, 14, 40, 1.0, 0.95, 1, 100);
		assert_true(isnan(iv.lo) && isnan(iv.hi));
	}
}

static void test_below_p(void **state)
{
	/* 8 items; baselines x (cost 1) and y (cost 3); the orchestrator costs 2 */
	static const double orch[] = {0, 1, 0, 1, 0, 1, 0, 1};
	static const double same[] = {0, 1, 0, 1, 0, 1, 0, 1};
	static const double better[] = {1, 1, 1, 1, 1, 1, 1, 1};
	const double *base[2];
	double cost[2] = {1.0, 3.0}, p, one;

	(void)state;
	/* a tie: every candidate mixture equals the orchestrator, p = 1 */
	base[0] = same;
	base[1] = same;
	assert_near(route_below_p(orch, 2.0, base, cost, 2, 8), 1.0, 0);
	/* x right everywhere, cheaper: candidates x alone and the x-y mixture
	 * at cost 2 (half each); x alone: d = 1,0,1,0,... mean .5, se =
	 * sqrt(2/7/8), t = 2.645751 (df 7), one-sided p = .016626; times the 2
	 * candidates */
	base[0] = better;
	base[1] = same;
	p = route_below_p(orch, 2.0, base, cost, 2, 8);
	one = 0.5 * stats_t_sf2(0.5 / sqrt(2.0 / 7.0 / 8.0), 7);
	assert_near(p, 2.0 * one, 1e-12);
	assert_true(p < 0.05);
	/* dearer than the orchestrator, y alone is no candidate: only the
	 * cheapest baseline is when none is cheaper */
	base[0] = same;
	base[1] = better;
	cost[0] = 5.0;
	cost[1] = 4.0;
	p = route_below_p(orch, 2.0, base, cost, 2, 8);
	assert_near(p, one, 1e-12);
	/* the orchestrator better than everything: nothing is significant */
	base[0] = orch;
	base[1] = orch;
	assert_true(route_below_p(better, 2.0, base, cost, 2, 8) > 0.5);
	assert_true(isnan(route_below_p(orch, 2.0, base, cost, 2, 1)));
	assert_true(isnan(route_below_p(orch, 2.0, base, cost, 0, 8)));
}

/* ---- degenerate runs, markdown ------------------------------------------------------ */

static void test_degenerate(void **state)
{
	um_run_data d;
	json_t *j;
	um_error err = {0};

	(void)state;
	/* no baselines */
	run_init(&d);
	add_system(&d, "o", "orchestrator");
	add_item(&d, "i1", "A");
	add_attempt(&d, "o", "i1", 0, 1, 10);
	j = eval(&d, 1, 10);
	assert_true(json_is_null(jp(j, "zero_router")));
	assert_true(json_is_null(jp(j, "oracle")));
	assert_string_equal(jstrv(j, "orchestrators.0.verdict"), "no baselines");
	assert_non_null(strstr(jstrv(j, "orchestrators.0.answer"), "no baseline"));
	json_decref(j);
	store_run_data_free(&d);

	/* a system with nothing graded is left out; an item a system missed is dropped */
	tiny_run(&d, 1500, "1010");
	add_system(&d, "ghost", "baseline");
	add_attempt(&d, "ghost", "i1", 0, -1, 0);
	d.attempts[0].status = UM_ATT_ERROR; /* a on i1 */
	d.attempts[0].score = -1;
	j = eval(&d, 1, 10);
	assert_string_equal(jstrv(j, "excluded_systems.0"), "ghost");
	assert_int_equal(jintv(j, "items.used"), 3);
	assert_int_equal(jintv(j, "items.dropped"), 1);
	json_decref(j);
	store_run_data_free(&d);

	/* one item: no profile router (it needs two halves) */
	run_init(&d);
	add_system(&d, "a", "baseline");
	add_item(&d, "i1", "A");
	add_attempt(&d, "a", "i1", 0, 1, 10);
	j = eval(&d, 1, 10);
	assert_true(json_is_null(jp(j, "profile_router")));
	assert_near(jnum(j, "zero_router.aiq"), 1.0, 1e-12);
	json_decref(j);
	store_run_data_free(&d);

	/* garbage: a duplicated item, an item without category, no data */
	tiny_run(&d, 1500, "1010");
	free(d.items[1].item_id);
	d.items[1].item_id = um_xstrdup("i1");
	assert_null(route_eval_json(&d, 1, &err));
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "i1"));
	store_run_data_free(&d);
	tiny_run(&d, 1500, "1010");
	free(d.items[2].category);
	d.items[2].category = NULL;
	assert_null(route_eval_json(&d, 1, &err));
	assert_int_equal(err.code, UM_ERR_INVALID);
	store_run_data_free(&d);
	assert_null(route_eval_json(NULL, 1, &err));

	/* empty run; a run where no item was graded for everybody */
	run_init(&d);
	j = eval(&d, 1, 10);
	assert_int_equal(jintv(j, "items.used"), 0);
	assert_int_equal(json_array_size(jp(j, "orchestrators")), 0);
	{
		char *md = route_eval_markdown(j);
		assert_non_null(strstr(md, "nothing to compare"));
		free(md);
	}
	json_decref(j);
	store_run_data_free(&d);
	run_init(&d);
	add_system(&d, "a", "baseline");
	add_system(&d, "o", "orchestrator");
	add_item(&d, "i1", "A");
	add_item(&d, "i2", "A");
	add_attempt(&d, "a", "i1", 0, 1, 10);
	add_attempt(&d, "o", "i2", 0, 1, 10);
	j = eval(&d, 1, 10);
	assert_int_equal(jintv(j, "items.dropped"), 2);
	assert_true(json_is_null(jp(j, "zero_router")));
	{
		char *md = route_eval_markdown(j);
		assert_non_null(strstr(md, "nothing to compare"));
		free(md);
	}
	json_decref(j);
	store_run_data_free(&d);

	/* no orchestrator */
	tiny_run(&d, 1500, "1010");
	free(d.systems[0].role);
	d.systems[0].role = um_xstrdup("baseline");
	j = eval(&d, 1, 10);
	assert_int_equal(json_array_size(jp(j, "orchestrators")), 0);
	/* o (1500, 0.5) now dominates b (2000, 0.5) */
	assert_int_equal(json_array_size(jp(j, "zero_router.frontier")), 2);
	assert_string_equal(jstrv(j, "zero_router.frontier.1.system"), "o");
	{
		char *md = route_eval_markdown(j);
		assert_non_null(strstr(md, "No orchestrator in this run"));
		free(md);
	}
	json_decref(j);
	store_run_data_free(&d);
}

static void test_markdown(void **state)
{
	um_run_data d;
	json_t *j, *back;
	char *md, *md2, *text;

	(void)state;
	tiny_run(&d, 1500, "1010");
	j = eval(&d, 1, 100);
	md = route_eval_markdown(j);
	assert_non_null(strstr(md, "## Routing and routers"));
	assert_non_null(strstr(md, "| a |"));
	assert_non_null(strstr(md, "| b |"));
	assert_non_null(strstr(md, "| c |"));
	assert_non_null(strstr(md, "| o | orchestrator |"));
	assert_non_null(strstr(md, "o: 50.0% at $0.001500/item"));
	assert_non_null(strstr(md, "Oracle"));
	assert_non_null(strstr(md, "Profile router"));
	/* rendered from the JSON only: the parsed text gives the same markdown */
	text = dump(j);
	back = json_loads(text, 0, NULL);
	assert_non_null(back);
	md2 = route_eval_markdown(back);
	assert_string_equal(md, md2);
	free(md);
	free(md2);
	free(text);
	json_decref(back);
	json_decref(j);
	store_run_data_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hull_dominated),
		cmocka_unit_test(test_hull_concave),
		cmocka_unit_test(test_hull_ties_and_equal_costs),
		cmocka_unit_test(test_oracle_and_zero_router),
		cmocka_unit_test(test_orchestrator_between_vertices),
		cmocka_unit_test(test_true_cost),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_profile_router_never_sees_eval),
		cmocka_unit_test(test_profile_router_categories),
		cmocka_unit_test(test_bootstrap_deterministic),
		cmocka_unit_test(test_aiq_chains),
		cmocka_unit_test(test_below_p),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_markdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
