/*
 * test_profile.c - capability profiles on hand-made runs whose numbers are
 * worked out below; pooling across runs; true cost from proxy events;
 * agreement with the store's capability_profile view; canonical text and
 * the export -> load -> export round trip; CSV quoting; and garbage profile
 * files refused with the JSON path of the problem.
 *
 * Run r1 (suite "sci", one sample; cost micro-USD, latency ms):
 *   atlas      p1 1 (100, 10)  p2 0 (101, 30)  p3 1 (102, 20)  Physics
 *              c1 1 (103, 40)  c2 error (7)                     Chemistry
 *   conductor  right on all five, 1000 each; the proxy saw 300 + 200 of
 *              downstream calls for p1 and 400 for p3, none in Chemistry
 * atlas Physics: n 3, correct 2, cost 303, 101/item, 151.5 -> 152/correct,
 *   p50 = 20 (rank 2 of 10, 20, 30), p90 = 30.
 * atlas all: n 4, correct 3, errors 1, cost 413, 103.25 -> 103/item,
 *   137.67 -> 138/correct, p50 20, p90 40; tokens in 200 (50/item), out 28.
 * conductor all: cost 5000, downstream 900 over 2 attempts, true cost 5900,
 *   1180/item; Physics true 3900 -> 1300/item; Chemistry: watched, nothing
 *   downstream, true cost 2000 -> 1000/item.
 * Run r2 ("sci2"): atlas and dune on p9 (Physics) and b1 (Biology); the
 *   conductor answers p9 with no proxy watching, so pooled rows that include
 *   r2 have no true cost (half true, half billed would be neither).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "report/profile.h"
#include "report/stats.h"
#include "store/store.h"
#include "base/util.h"

#define FIX FIXTURES "/profile/"

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.15g, want %.15g", got, want);
}

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

static long long ji(const json_t *o, const char *p)
{
	const json_t *x = jp(o, p);

	if (!json_is_integer(x))
		fail_msg("%s is not an integer", p);
	return (long long)json_integer_value(x);
}

static const char *js(const json_t *o, const char *p)
{
	const char *s = json_string_value(jp(o, p));

	if (!s)
		fail_msg("%s is not a string", p);
	return s;
}

/* The row of system x category. */
static const json_t *row(const json_t *prof, const char *sys, const char *cat)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(prof, "profiles"), i, r)
		if (!strcmp(js(r, "system"), sys) && !strcmp(js(r, "category"), cat))
			return r;
	return NULL;
}

/* ---- hand-made runs ------------------------------------------------------ */

static void run_init(um_run_data *d, const char *id, const char *suite)
{
	memset(d, 0, sizeof(*d));
	d->run.run_id = um_xstrdup(id);
	d->run.suite_name = um_xstrdup(suite);
	d->run.suite_version = um_xstrdup("1.0");
	d->run.suite_kind = um_xstrdup("mcq");
	d->run.suite_sha256 = um_xstrdup("aa");
	d->run.scaffold_sha256 = um_xstrdup("bb");
	d->run.models_sha256 = um_xstrdup("cc");
	d->run.dataset_sha256 = um_xstrdup("dd");
	d->run.harness_version = um_xstrdup("0.1.0");
	d->run.git_describe = um_xstrdup("v0.1.0");
	d->run.lib_versions = um_xstrdup("{}");
	d->run.seed = 1;
	d->run.repeats = 1;
	d->run.status = um_xstrdup("complete");
}

static void add_system(um_run_data *d, const char *name, const char *role, const char *model)
{
	um_system_rec *r;

	d->systems = um_xrealloc(d->systems, (d->n_systems + 1) * sizeof(*r));
	r = &d->systems[d->n_systems++];
	memset(r, 0, sizeof(*r));
	r->name = um_xstrdup(name);
	r->role = um_xstrdup(role);
	r->provider = um_xstrdup("openai");
	r->base_url = um_xstrdup("http://127.0.0.1:1/v1");
	r->model = um_xstrdup(model);
	r->config_json = um_xstrdup("{}");
}

static void add_item(um_run_data *d, const char *id, const char *cat)
{
	um_item_rec *r;

	d->items = um_xrealloc(d->items, (d->n_items + 1) * sizeof(*r));
	r = &d->items[d->n_items++];
	memset(r, 0, sizeof(*r));
	r->item_id = um_xstrdup(id);
	r->category = um_xstrdup(cat);
	r->question = um_xstrdup("Which?");
	r->choices_json = um_xstrdup("[\"a\",\"b\"]");
}

static void add_attempt(um_run_data *d, const char *sys, const char *item, int score,
			int64_t cost, int64_t latency)
{
	um_attempt_rec *a;

	d->attempts = um_xrealloc(d->attempts, (d->n_attempts + 1) * sizeof(*a));
	a = &d->attempts[d->n_attempts++];
	memset(a, 0, sizeof(*a));
	a->attempt_id = um_xasprintf("%s-%s-%s", d->run.run_id, sys, item);
	a->item_id = um_xstrdup(item);
	a->system = um_xstrdup(sys);
	a->perm = um_xstrdup("0,1");
	a->request_hash = um_xstrdup("feed");
	a->neutral_hash = um_xstrdup("beef");
	a->cost_micro = cost;
	a->latency_ms = latency;
	a->n_calls = 1;
	if (score >= 0) {
		a->status = UM_ATT_DONE;
		a->score = score;
		a->tokens_in = 50;
		a->tokens_out = 7;
		a->response_text = um_xstrdup("Answer: A");
	} else {
		a->status = UM_ATT_ERROR;
		a->score = -1;
		a->error_class = um_xstrdup("timeout");
		a->error_msg = um_xstrdup("timed out");
	}
}

static void add_event(um_run_data *d, const char *attempt_id, const char *source, int64_t cost)
{
	um_routing_rec *e;

	d->routing = um_xrealloc(d->routing, (d->n_routing + 1) * sizeof(*e));
	e = &d->routing[d->n_routing++];
	memset(e, 0, sizeof(*e));
	e->attempt_id = um_xstrdup(attempt_id);
	e->source = um_xstrdup(source);
	e->attribution = um_xstrdup("path");
	e->sub_model = um_xstrdup("sim-atlas");
	e->cost_micro = cost;
}

static void run1(um_run_data *d)
{
	static const char *const items[] = {"p1", "p2", "p3", "c1", "c2"};
	int i;

	run_init(d, "r1", "sci");
	add_system(d, "conductor", "orchestrator", "conductor-1");
	add_system(d, "atlas", "baseline", "atlas-1");
	for (i = 0; i < 5; i++)
		add_item(d, items[i], i < 3 ? "Physics" : "Chemistry");
	add_attempt(d, "atlas", "p1", 1, 100, 10);
	add_attempt(d, "atlas", "p2", 0, 101, 30);
	add_attempt(d, "atlas", "p3", 1, 102, 20);
	add_attempt(d, "atlas", "c1", 1, 103, 40);
	add_attempt(d, "atlas", "c2", -1, 7, 0);
	for (i = 0; i < 5; i++)
		add_attempt(d, "conductor", items[i], 1, 1000, 100 + i);
	add_event(d, "r1-conductor-p1", "proxy", 300);
	add_event(d, "r1-conductor-p1", "proxy", 200);
	add_event(d, "r1-conductor-p3", "proxy", 400);
	add_event(d, "r1-conductor-p2", "self-report", 9999); /* not a bill */
	add_event(d, "", "proxy", 777);                        /* not attributed */
	add_event(d, "zzz", "proxy", 555);                     /* no such attempt */
}

static void run2(um_run_data *d, const char *atlas_model)
{
	run_init(d, "r2", "sci2");
	add_system(d, "atlas", "baseline", atlas_model);
	add_system(d, "dune", "baseline", "dune-1");
	add_system(d, "conductor", "orchestrator", "conductor-1");
	add_item(d, "p9", "Physics");
	add_item(d, "b1", "Biology");
	add_attempt(d, "atlas", "p9", 1, 200, 50);
	add_attempt(d, "atlas", "b1", 0, 200, 60);
	add_attempt(d, "dune", "p9", 0, 20, 5);
	add_attempt(d, "dune", "b1", 1, 20, 6);
	add_attempt(d, "conductor", "p9", 1, 1000, 90);
}

static json_t *build(const um_run_data *const *runs, size_t n)
{
	um_error err = {0};
	json_t *p = profile_build(runs, n, &err);

	if (!p)
		fail_msg("profile_build: %s", err.msg);
	return p;
}

/* ---- tests --------------------------------------------------------------- */

static void test_numbers(void **state)
{
	um_run_data d;
	const um_run_data *rd = &d;
	json_t *p;
	const json_t *r;
	um_interval w = stats_wilson(2, 3, 1.959963984540054);
	um_error err = {0};

	(void)state;
	run1(&d);
	p = build(&rd, 1);
	assert_int_equal(ji(p, "umpire_profile"), 1);
	assert_int_equal(json_array_size(jp(p, "runs")), 1);
	assert_string_equal(js(p, "runs.0.run_id"), "r1");
	assert_int_equal(ji(p, "runs.0.items"), 5);
	assert_int_equal(json_array_size(jp(p, "profiles")), 6);
	/* order: by system, the pooled row first */
	assert_string_equal(js(p, "profiles.0.system"), "atlas");
	assert_string_equal(js(p, "profiles.0.category"), "all");
	assert_string_equal(js(p, "profiles.1.category"), "Chemistry");
	assert_string_equal(js(p, "profiles.2.category"), "Physics");
	assert_string_equal(js(p, "profiles.3.system"), "conductor");
	if (profile_validate(p, "built", &err) < 0)
		fail_msg("%s", err.msg);

	r = row(p, "atlas", "Physics");
	assert_int_equal(ji(r, "n"), 3);
	assert_int_equal(ji(r, "correct"), 2);
	assert_int_equal(ji(r, "errors"), 0);
	assert_near(json_real_value(jp(r, "accuracy.value")), 2.0 / 3.0, 1e-6);
	assert_near(json_real_value(jp(r, "accuracy.wilson_lo")), w.lo, 1e-6);
	assert_near(json_real_value(jp(r, "accuracy.wilson_hi")), w.hi, 1e-6);
	assert_int_equal(ji(r, "cost.total_micro"), 303);
	assert_int_equal(ji(r, "cost.per_item_micro"), 101);
	assert_int_equal(ji(r, "cost.per_correct_micro"), 152);
	assert_int_equal(ji(r, "latency_ms.p50"), 20);
	assert_int_equal(ji(r, "latency_ms.p90"), 30);
	assert_true(json_is_null(jp(r, "true_cost")));
	assert_string_equal(js(r, "runs.0"), "r1");
	assert_string_equal(js(r, "suites.0"), "sci");
	assert_string_equal(js(r, "model"), "atlas-1");
	assert_string_equal(js(r, "role"), "baseline");

	r = row(p, "atlas", "Chemistry");
	assert_int_equal(ji(r, "n"), 1);
	assert_int_equal(ji(r, "errors"), 1);
	assert_int_equal(ji(r, "cost.total_micro"), 110);
	assert_int_equal(ji(r, "latency_ms.p50"), 40);

	r = row(p, "atlas", "all");
	assert_int_equal(ji(r, "n"), 4);
	assert_int_equal(ji(r, "correct"), 3);
	assert_int_equal(ji(r, "errors"), 1);
	assert_int_equal(ji(r, "cost.total_micro"), 413);
	assert_int_equal(ji(r, "cost.per_item_micro"), 103);
	assert_int_equal(ji(r, "cost.per_correct_micro"), 138);
	assert_int_equal(ji(r, "latency_ms.p50"), 20);
	assert_int_equal(ji(r, "latency_ms.p90"), 40);
	assert_int_equal(ji(r, "tokens.in"), 200);
	assert_int_equal(ji(r, "tokens.in_per_item"), 50);
	assert_int_equal(ji(r, "tokens.out"), 28);
	assert_int_equal(ji(r, "tokens.out_per_item"), 7);

	/* the orchestrator's true cost: proxy events only, attributed ones only */
	r = row(p, "conductor", "all");
	assert_int_equal(ji(r, "cost.total_micro"), 5000);
	assert_int_equal(ji(r, "cost.per_item_micro"), 1000);
	assert_int_equal(ji(r, "true_cost.downstream_micro"), 900);
	assert_int_equal(ji(r, "true_cost.attempts_with_events"), 2);
	assert_int_equal(ji(r, "true_cost.total_micro"), 5900);
	assert_int_equal(ji(r, "true_cost.per_item_micro"), 1180);
	assert_int_equal(ji(r, "true_cost.per_correct_micro"), 1180);
	assert_int_equal(ji(row(p, "conductor", "Physics"), "true_cost.per_item_micro"), 1300);
	assert_int_equal(ji(row(p, "conductor", "Physics"), "true_cost.attempts_with_events"), 2);
	/* watched in the run, nothing downstream in this category */
	r = row(p, "conductor", "Chemistry");
	assert_int_equal(ji(r, "true_cost.downstream_micro"), 0);
	assert_int_equal(ji(r, "true_cost.attempts_with_events"), 0);
	assert_int_equal(ji(r, "true_cost.total_micro"), 2000);
	assert_int_equal(ji(r, "true_cost.per_item_micro"), 1000);

	/* nothing correct: per correct is null; nothing graded: nulls */
	d.attempts[3].status = UM_ATT_ERROR; /* atlas c1 */
	d.attempts[3].score = -1;
	json_decref(p);
	p = build(&rd, 1);
	r = row(p, "atlas", "Chemistry");
	assert_int_equal(ji(r, "n"), 0);
	assert_true(json_is_null(jp(r, "accuracy.value")));
	assert_true(json_is_null(jp(r, "cost.per_item_micro")));
	assert_true(json_is_null(jp(r, "cost.per_correct_micro")));
	assert_true(json_is_null(jp(r, "latency_ms.p50")));
	assert_int_equal(profile_validate(p, "x", &err), 0);
	json_decref(p);
	store_run_data_free(&d);
}

static void test_merge(void **state)
{
	um_run_data a, b;
	const um_run_data *ab[2] = {&a, &b}, *ba[2] = {&b, &a};
	json_t *p, *q;
	const json_t *r;
	char *tp, *tq;

	(void)state;
	run1(&a);
	run2(&b, "atlas-1");
	p = build(ab, 2);
	q = build(ba, 2);
	tp = profile_json_text(p);
	tq = profile_json_text(q);
	assert_string_equal(tp, tq); /* the order of the runs does not matter */
	assert_string_equal(js(p, "runs.0.run_id"), "r1");
	assert_string_equal(js(p, "runs.1.run_id"), "r2");

	r = row(p, "atlas", "Physics");
	assert_int_equal(ji(r, "n"), 4);
	assert_int_equal(ji(r, "correct"), 3);
	assert_int_equal(ji(r, "cost.total_micro"), 503);
	assert_int_equal(json_array_size(jp(r, "runs")), 2);
	assert_string_equal(js(r, "runs.1"), "r2");
	assert_string_equal(js(r, "suites.0"), "sci");
	assert_string_equal(js(r, "suites.1"), "sci2");
	r = row(p, "atlas", "all");
	assert_int_equal(ji(r, "n"), 6);
	assert_int_equal(ji(r, "correct"), 4);
	/* categories only where a run had them for the system */
	r = row(p, "atlas", "Biology");
	assert_non_null(r);
	assert_int_equal(json_array_size(jp(r, "runs")), 1);
	assert_string_equal(js(r, "runs.0"), "r2");
	assert_non_null(row(p, "dune", "Physics"));
	assert_null(row(p, "dune", "Chemistry"));
	assert_int_equal(json_array_size(jp(p, "profiles")), 6 + 1 + 3 + 1);
	/* the conductor: true cost only where every pooled run was watched */
	assert_int_equal(ji(row(p, "conductor", "all"), "n"), 6);
	assert_true(json_is_null(jp(row(p, "conductor", "all"), "true_cost")));
	assert_true(json_is_null(jp(row(p, "conductor", "Physics"), "true_cost")));
	assert_true(json_is_null(jp(row(p, "conductor", "Biology"), "true_cost")));
	assert_int_equal(ji(row(p, "conductor", "Chemistry"), "true_cost.total_micro"), 2000);
	free(tp);
	free(tq);
	json_decref(p);
	json_decref(q);
	store_run_data_free(&b);

	/* one name, two models: refused */
	{
		um_error err = {0};
		run2(&b, "atlas-2");
		assert_null(profile_build(ab, 2, &err));
		assert_int_equal(err.code, UM_ERR_INVALID);
		assert_non_null(strstr(err.msg, "atlas"));
		assert_non_null(strstr(err.msg, "model"));
		assert_non_null(strstr(err.msg, "atlas-2"));
		store_run_data_free(&b);
		run2(&b, "atlas-1");
		add_system(&b, "dune", "baseline", "dune-1");
		assert_null(profile_build(ab + 1, 1, &err));
		assert_non_null(strstr(err.msg, "lists system dune twice"));
		store_run_data_free(&b);
	}
	/* a run twice, no run, a category named like the pooled row */
	{
		um_error err = {0};
		const um_run_data *aa[2] = {&a, &a};
		assert_null(profile_build(aa, 2, &err));
		assert_non_null(strstr(err.msg, "r1"));
		assert_null(profile_build(aa, 0, &err));
		assert_null(profile_build(NULL, 1, &err));
		free(a.items[0].category);
		a.items[0].category = um_xstrdup("all");
		assert_null(profile_build(aa, 1, &err));
		assert_int_equal(err.code, UM_ERR_INVALID);
		assert_non_null(strstr(err.msg, "'all'"));
	}
	store_run_data_free(&a);
}

/* The same numbers as the store's capability_profile view. */
static void test_agrees_with_view(void **state)
{
	char dir[] = "/tmp/umpire-profile.XXXXXX", *path;
	um_store *s = NULL;
	um_error err = {0};
	um_run_data d, back;
	const um_run_data *rb = &back;
	sqlite3_stmt *st;
	json_t *p;
	size_t i;
	int existed, rows = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = um_xasprintf("%s/p.db", dir);
	assert_int_equal(store_open(path, &s, &err), 0);
	run1(&d);
	assert_int_equal(store_run_begin(s, &d.run, &existed, &err), 0);
	assert_int_equal(store_begin(s, &err), 0);
	for (i = 0; i < d.n_systems; i++)
		assert_int_equal(store_put_system(s, "r1", &d.systems[i], &err), 0);
	for (i = 0; i < d.n_items; i++)
		assert_int_equal(store_put_item(s, "r1", &d.items[i], &err), 0);
	for (i = 0; i < d.n_attempts; i++)
		if (store_put_attempt(s, "r1", &d.attempts[i], NULL, 0, &err) < 0)
			fail_msg("%s", err.msg);
	for (i = 0; i < d.n_routing; i++)
		if (store_put_routing_event(s, "r1", &d.routing[i], &err) < 0)
			fail_msg("%s", err.msg);
	assert_int_equal(store_commit(s, &err), 0);
	memset(&back, 0, sizeof(back));
	assert_int_equal(store_load_run(s, "r1", &back, &err), 0);
	p = build(&rb, 1);
	/* the true cost survives the store */
	assert_int_equal(ji(row(p, "conductor", "all"), "true_cost.total_micro"), 5900);

	assert_int_equal(sqlite3_prepare_v2(store_db(s),
					    "SELECT system, category, n, correct, accuracy, "
					    "wilson_lo, wilson_hi, errors, cost_micro, "
					    "cost_per_item_micro, cost_per_correct_micro, "
					    "latency_p50_ms, latency_p90_ms, tokens_in, tokens_out "
					    "FROM capability_profile WHERE run_id = 'r1'",
					    -1, &st, NULL),
			 SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const json_t *r = row(p, (const char *)sqlite3_column_text(st, 0),
				      (const char *)sqlite3_column_text(st, 1));
		int c;

		assert_non_null(r);
		rows++;
		assert_int_equal(ji(r, "n"), sqlite3_column_int64(st, 2));
		assert_int_equal(ji(r, "correct"), sqlite3_column_int64(st, 3));
		for (c = 4; c <= 6; c++) {
			static const char *const k[] = {"accuracy.value", "accuracy.wilson_lo",
							"accuracy.wilson_hi"};
			if (sqlite3_column_type(st, c) == SQLITE_NULL)
				assert_true(json_is_null(jp(r, k[c - 4])));
			else
				assert_near(json_number_value(jp(r, k[c - 4])),
					    sqlite3_column_double(st, c), 1e-6);
		}
		assert_int_equal(ji(r, "errors"), sqlite3_column_int64(st, 7));
		assert_int_equal(ji(r, "cost.total_micro"), sqlite3_column_int64(st, 8));
		assert_int_equal(ji(r, "cost.per_item_micro"), sqlite3_column_int64(st, 9));
		assert_int_equal(ji(r, "cost.per_correct_micro"), sqlite3_column_int64(st, 10));
		assert_int_equal(ji(r, "latency_ms.p50"), sqlite3_column_int64(st, 11));
		assert_int_equal(ji(r, "latency_ms.p90"), sqlite3_column_int64(st, 12));
		assert_int_equal(ji(r, "tokens.in"), sqlite3_column_int64(st, 13));
		assert_int_equal(ji(r, "tokens.out"), sqlite3_column_int64(st, 14));
	}
	sqlite3_finalize(st);
	assert_int_equal(rows, 4); /* the view has no pooled row */

	json_decref(p);
	store_run_data_free(&back);
	store_run_data_free(&d);
	store_close(s);
	{
		char *wal = um_xasprintf("%s-wal", path), *shm = um_xasprintf("%s-shm", path);
		unlink(path);
		unlink(wal);
		unlink(shm);
		free(wal);
		free(shm);
	}
	rmdir(dir);
	free(path);
}

static void test_roundtrip(void **state)
{
	char dir[] = "/tmp/umpire-profile.XXXXXX", *path;
	um_run_data a, b;
	const um_run_data *ab[2] = {&a, &b};
	um_error err = {0};
	json_t *p, *back;
	char *t1, *t2, *c1, *c2, *f;
	size_t flen;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = um_xasprintf("%s/p.json", dir);
	run1(&a);
	run2(&b, "atlas-1");
	p = build(ab, 2);
	t1 = profile_json_text(p);
	assert_int_equal(um_write_file(path, t1, strlen(t1), 0644, &err), 0);
	back = profile_load(path, &err);
	if (!back)
		fail_msg("profile_load: %s", err.msg);
	t2 = profile_json_text(back);
	assert_string_equal(t1, t2);
	c1 = profile_csv_text(p);
	c2 = profile_csv_text(back);
	assert_string_equal(c1, c2);
	assert_true(t1[strlen(t1) - 1] == '\n');

	/* a file written elsewhere in canonical form reads back to its own bytes */
	json_decref(back);
	back = profile_load(FIX "valid.json", &err);
	if (!back)
		fail_msg("profile_load: %s", err.msg);
	free(t2);
	t2 = profile_json_text(back);
	assert_int_equal(um_read_file(FIX "valid.json", &f, &flen, &err), 0);
	assert_string_equal(t2, f);
	free(f);

	unlink(path);
	rmdir(dir);
	free(path);
	free(t1);
	free(t2);
	free(c1);
	free(c2);
	json_decref(p);
	json_decref(back);
	store_run_data_free(&a);
	store_run_data_free(&b);
}

static void test_csv(void **state)
{
	um_error err = {0};
	json_t *p = profile_load(FIX "valid.json", &err);
	char *csv, *line, *save = NULL, *sum;
	int n = 0;

	(void)state;
	assert_non_null(p);
	csv = profile_csv_text(p);
	assert_true(um_has_prefix(csv, "system,role,provider,model,category,n,correct,errors,"
				       "accuracy,wilson_lo,wilson_hi,"));
	/* a category holding a comma and quotes is quoted, quotes doubled */
	assert_non_null(strstr(csv, ",\"Earth, \"\"Space\"\"\",4,3,0,0.75,0.300642,0.954413,"));
	/* nulls are empty fields; the true cost is there for the orchestrator */
	assert_non_null(strstr(csv, "conductor,orchestrator,openai,conductor-1,all,0,0,4,,,,"
				    "400,90,,,0,,,50,,,50,,,night-1,demo-science\n"));
	for (line = strtok_r(csv, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		n++;
	assert_int_equal(n, 1 + 3);
	free(csv);

	sum = profile_summary_text(p);
	assert_non_null(strstr(sum, "1 run (night-1), 2 systems, 1 category, 3 rows"));
	assert_non_null(strstr(sum, "conductor"));
	free(sum);
	json_decref(p);
}

static void expect_bad(const char *file, um_err code, const char *want1, const char *want2)
{
	um_error err = {0};
	char *path = um_xasprintf("%s%s", FIX, file);
	json_t *p = profile_load(path, &err);

	if (p)
		fail_msg("%s loaded", file);
	if (err.code != code)
		fail_msg("%s: code %d (%s), want %d", file, err.code, err.msg, code);
	if (!strstr(err.msg, want1) || (want2 && !strstr(err.msg, want2)))
		fail_msg("%s: message '%s' lacks '%s' / '%s'", file, err.msg, want1,
			 want2 ? want2 : "");
	if (!strstr(err.msg, file))
		fail_msg("%s: message '%s' does not name the file", file, err.msg);
	free(path);
}

static void test_garbage(void **state)
{
	um_error err = {0};

	(void)state;
	expect_bad("not_json.json", UM_ERR_SYNTAX, "not_json.json:3:", "not valid JSON");
	expect_bad("empty.json", UM_ERR_SYNTAX, "not valid JSON", NULL);
	expect_bad("duplicate_key.json", UM_ERR_SYNTAX, "duplicate", NULL);
	expect_bad("wrong_version.json", UM_ERR_INVALID, "$.umpire_profile:",
		   "version 2 is not supported");
	expect_bad("version_string.json", UM_ERR_INVALID, "$.umpire_profile:",
		   "expected an integer, got a string");
	expect_bad("unknown_key.json", UM_ERR_INVALID, "$.profiles[1].latency_ms:",
		   "unknown key 'p99'");
	expect_bad("wrong_type.json", UM_ERR_INVALID, "$.profiles[0].n:",
		   "expected an integer, got a string");
	expect_bad("missing_key.json", UM_ERR_INVALID, "$.runs[0]:", "missing key 'repeats'");
	expect_bad("out_of_range.json", UM_ERR_INVALID, "$.profiles[0].accuracy.value:",
		   "between 0 and 1");
	expect_bad("correct_above_n.json", UM_ERR_INVALID, "$.profiles[0]:", "exceeds n");
	expect_bad("duplicate_row.json", UM_ERR_INVALID, "$.profiles[3]:", "repeats $.profiles[0]");
	expect_bad("true_cost_number.json", UM_ERR_INVALID, "$.profiles[2].true_cost:",
		   "expected an object or null, got an integer");
	expect_bad("runs_not_strings.json", UM_ERR_INVALID, "$.profiles[0].runs[1]:",
		   "expected a string");
	expect_bad("top_array.json", UM_ERR_INVALID, "$:", "expected an object, got an array");
	expect_bad("no_such_file.json", UM_ERR_IO, "no_such_file.json", NULL);

	/* validate() on objects directly */
	assert_int_equal(profile_validate(NULL, NULL, &err), -1);
	assert_non_null(strstr(err.msg, "profile: $:"));
	{
		json_t *o = json_pack("{s:i}", "umpire_profile", 1);
		assert_int_equal(profile_validate(o, "mem", &err), -1);
		assert_non_null(strstr(err.msg, "mem: $: missing key"));
		json_decref(o);
		o = json_pack("{s:s}", "other", "x");
		assert_int_equal(profile_validate(o, "mem", &err), -1);
		assert_non_null(strstr(err.msg, "not an umpire profile"));
		json_decref(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_agrees_with_view),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
