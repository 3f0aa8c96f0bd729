/*
 * profile.c - capability profiles: per system x category of one or more
 * runs, accuracy with its Wilson interval, errors, tokens, cost per item and
 * per correct answer, latency percentiles, and for a system whose calls went
 * through the recording proxy the true cost (its own bill plus the
 * downstream calls the proxy saw). Format: docs/profile.md.
 *
 * The numbers follow the store's capability_profile view exactly (graded
 * attempts give n, correct and latency; every attempt, errors included,
 * gives tokens and cost; money per item and per correct answer are integer
 * divisions rounded half up), pooled over the runs given. The object is
 * canonical: rows sorted by system then category (the pooled "all" row
 * first), reals rounded to 6 significant digits when they enter it, so the
 * same runs give the same bytes and a file read back prints the same bytes.
 *
 * The loader checks a file against a table of the format (the same rules as
 * docs/profile.schema.json) and names the JSON path of the first problem.
 */
#include "report/profile.h"
#include "base/jpath.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "report/stats.h"
#include "base/util.h"

#define PF_Z95 1.959963984540054

/* ---- small helpers ---------------------------------------------------- */

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp_null(*(const char *const *)a, *(const char *const *)b);
}

/* A real rounded to 6 significant digits, or null when not finite. */
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

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* total / by rounded half up (symmetric for negatives); null when by == 0. */
static json_t *jdiv(int64_t total, uint64_t by)
{
	if (by == 0)
		return json_null();
	if (total >= 0)
		return jint((int64_t)(((uint64_t)total * 2 + by) / (2 * by)));
	return jint(-(int64_t)(((uint64_t)(-total) * 2 + by) / (2 * by)));
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v ? v : json_null());
}

/* Append s to a growable list of borrowed strings. */
static void push_str(const char ***v, size_t *n, size_t *cap, const char *s)
{
	um_xgrow((void **)v, cap, *n + 1, sizeof(**v));
	(*v)[(*n)++] = s;
}

/* Sort and drop duplicates in place; returns the new count. */
static size_t uniq_strs(const char **v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(v[k - 1], v[i]) != 0)
			v[k++] = v[i];
	return k;
}

static json_t *str_array(const char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* ---- building --------------------------------------------------------- */

typedef struct pf_row {
	const char *system, *category;
	const um_system_rec *rec;
	int all;
	uint64_t n, correct, errors, with_events;
	size_t watched, unwatched; /* contributing runs where the proxy saw the system */
	int64_t tin, tout, cost, downstream;
	um_counts lat;             /* latencies of the graded, as value counts */
	const char **runs, **suites;
	size_t n_runs, cap_runs, n_suites, cap_suites;
} pf_row;

typedef struct pf_state {
	pf_row *rows;
	size_t n_rows, cap_rows;
} pf_state;

static size_t row_get(pf_state *s, const um_system_rec *rec, const char *cat, int all)
{
	pf_row *r;
	size_t i;

	for (i = 0; i < s->n_rows; i++)
		if (s->rows[i].all == all && !strcmp(s->rows[i].system, rec->name) &&
		    !strcmp(s->rows[i].category, cat))
			return i;
	um_xgrow((void **)&s->rows, &s->cap_rows, s->n_rows + 1, sizeof(*s->rows));
	r = &s->rows[s->n_rows];
	memset(r, 0, sizeof(*r));
	r->system = rec->name;
	r->category = cat;
	r->rec = rec;
	r->all = all;
	return s->n_rows++;
}

static void row_add_source(pf_row *r, const um_run_data *d, int watched)
{
	if (watched)
		r->watched++;
	else
		r->unwatched++;
	push_str(&r->runs, &r->n_runs, &r->cap_runs, d->run.run_id);
	if (d->run.suite_name)
		push_str(&r->suites, &r->n_suites, &r->cap_suites, d->run.suite_name);
}

static void row_add_attempt(pf_row *r, const um_attempt_rec *a, int has_events,
			    int64_t downstream)
{
	r->tin += a->tokens_in;
	r->tout += a->tokens_out;
	r->cost += a->cost_micro;
	if (has_events) {
		r->with_events++;
		r->downstream += downstream;
	}
	if (store_attempt_graded(a)) {
		r->n++;
		r->correct += a->score > 0;
		stats_counts_add(&r->lat, a->latency_ms);
	} else if (!a->outcome) { /* an outcome (judged suites) is no error */
		r->errors++;
	}
}

static void state_release(pf_state *s)
{
	size_t i;

	for (i = 0; i < s->n_rows; i++) {
		stats_counts_release(&s->rows[i].lat);
		free(s->rows[i].runs);
		free(s->rows[i].suites);
	}
	free(s->rows);
}

static int cmp_row(const void *x, const void *y)
{
	const pf_row *a = x, *b = y;
	int c = strcmp(a->system, b->system);

	if (c)
		return c;
	if (a->all != b->all)
		return b->all - a->all;
	return strcmp(a->category, b->category);
}

static int cmp_attempt_id(const void *x, const void *y)
{
	const um_attempt_rec *a = *(const um_attempt_rec *const *)x;
	const um_attempt_rec *b = *(const um_attempt_rec *const *)y;

	return strcmp_null(a->attempt_id, b->attempt_id);
}

static int cmp_item_ptr(const void *x, const void *y)
{
	const um_item_rec *a = *(const um_item_rec *const *)x;
	const um_item_rec *b = *(const um_item_rec *const *)y;

	return strcmp_null(a->item_id, b->item_id);
}

/* Downstream cost seen by the proxy for each attempt of d (index into
 * d->attempts), with a flag saying whether any event names it. */
static void proxy_costs(const um_run_data *d, int64_t *down, unsigned char *has)
{
	const um_attempt_rec **by_id = um_xmalloc((d->n_attempts + 1) * sizeof(*by_id));
	size_t i;

	for (i = 0; i < d->n_attempts; i++)
		by_id[i] = &d->attempts[i];
	qsort(by_id, d->n_attempts, sizeof(*by_id), cmp_attempt_id);
	for (i = 0; i < d->n_routing; i++) {
		const um_routing_rec *e = &d->routing[i];
		um_attempt_rec key = {0};
		const um_attempt_rec *kp = &key, **hit;
		size_t idx;

		if (!um_streq(e->source, "proxy") || !e->attempt_id || !*e->attempt_id)
			continue;
		key.attempt_id = e->attempt_id;
		hit = bsearch(&kp, by_id, d->n_attempts, sizeof(*by_id), cmp_attempt_id);
		if (!hit)
			continue;
		idx = (size_t)(*hit - d->attempts);
		down[idx] += e->cost_micro;
		has[idx] = 1;
	}
	free(by_id);
}

/* One run being added: its items by id with their category's index, and
 * the row of every system x category (index n_cats: the pooled row), so an
 * attempt finds its two rows without a search of the rows. */
typedef struct pf_run {
	pf_state *s;
	const um_run_data *d;
	const um_item_rec **items;  /* sorted by id */
	size_t *cat_of;             /* per sorted item: index into cats */
	const char **cats;          /* distinct, sorted */
	size_t n_cats;
	size_t *row_of;             /* [system * (n_cats + 1) + cat] */
	unsigned char *watched;     /* per system of d */
} pf_run;

static void run_release(pf_run *pr)
{
	free(pr->items);
	free(pr->cat_of);
	free(pr->cats);
	free(pr->row_of);
	free(pr->watched);
}

/* The run's items must have an id and a category other than "all". */
static int run_items(pf_run *pr, um_error *err)
{
	const um_run_data *d = pr->d;
	size_t i;

	pr->items = um_xmalloc((d->n_items + 1) * sizeof(*pr->items));
	pr->cats = um_xmalloc((d->n_items + 1) * sizeof(*pr->cats));
	pr->cat_of = um_xmalloc((d->n_items + 1) * sizeof(*pr->cat_of));
	for (i = 0; i < d->n_items; i++) {
		pr->items[i] = &d->items[i];
		pr->cats[i] = d->items[i].category;
		if (!d->items[i].item_id || !d->items[i].category)
			return um_fail(err, UM_ERR_INVALID, "run %s: an item has no id or category",
				       d->run.run_id);
		if (!strcmp(d->items[i].category, UM_PROFILE_ALL))
			return um_fail(err, UM_ERR_INVALID,
				       "run %s: item %s has the category '%s', which profiles "
				       "reserve for the row pooling every category",
				       d->run.run_id, d->items[i].item_id, UM_PROFILE_ALL);
	}
	qsort(pr->items, d->n_items, sizeof(*pr->items), cmp_item_ptr);
	pr->n_cats = uniq_strs(pr->cats, d->n_items);
	for (i = 0; i < d->n_items; i++) {
		const char *c = pr->items[i]->category;
		const char **hit = bsearch(&c, pr->cats, pr->n_cats, sizeof(*pr->cats), cmp_str);

		pr->cat_of[i] = (size_t)(hit - pr->cats);
	}
	return 0;
}

/* A system listed by the run has a row for every category of the run,
 * even with nothing graded, so a profile shows what was planned. */
static int run_begin(pf_run *pr, pf_state *s, const um_run_data *d, um_error *err)
{
	size_t i, c, w;

	memset(pr, 0, sizeof(*pr));
	pr->s = s;
	pr->d = d;
	if (run_items(pr, err) < 0)
		return -1;
	w = pr->n_cats + 1;
	pr->row_of = um_xmalloc((d->n_systems * w + 1) * sizeof(*pr->row_of));
	pr->watched = um_xcalloc(d->n_systems + 1, 1);
	for (i = 0; i < d->n_systems; i++) {
		const um_system_rec *sr = &d->systems[i];

		if (!sr->name)
			return um_fail(err, UM_ERR_INVALID, "run %s: a system has no name",
				       d->run.run_id);
		pr->row_of[i * w + pr->n_cats] = row_get(s, sr, UM_PROFILE_ALL, 1);
		for (c = 0; c < pr->n_cats; c++)
			pr->row_of[i * w + c] = row_get(s, sr, pr->cats[c], 0);
	}
	return 0;
}

static size_t run_find_system(const pf_run *pr, const char *name)
{
	size_t i;

	for (i = 0; i < pr->d->n_systems; i++)
		if (um_streq(pr->d->systems[i].name, name))
			return i;
	return SIZE_MAX;
}

/* One attempt of the run, with the downstream cost the proxy attributed to
 * it (has: it attributed any call). A system is "watched" in the run when
 * the proxy attributed any downstream call to one of its attempts (orphans
 * by item included): its true cost is then known in every category (an
 * attempt without events had no downstream). */
static void run_attempt(pf_run *pr, const um_attempt_rec *a, int has, int64_t down)
{
	size_t si = run_find_system(pr, a->system), w = pr->n_cats + 1;
	um_item_rec key = {0};
	const um_item_rec *kp = &key, **it;
	size_t k;

	if (si != SIZE_MAX && has)
		pr->watched[si] = 1;
	key.item_id = a->item_id;
	it = a->item_id ? bsearch(&kp, pr->items, pr->d->n_items, sizeof(*pr->items),
				  cmp_item_ptr)
			: NULL;
	if (si == SIZE_MAX || !it)
		return; /* orphan: the report leaves it out too */
	k = (size_t)(it - pr->items);
	row_add_attempt(&pr->s->rows[pr->row_of[si * w + pr->n_cats]], a, has, down);
	row_add_attempt(&pr->s->rows[pr->row_of[si * w + pr->cat_of[k]]], a, has, down);
}

/* After the run's attempts: each of its rows names it as a source. */
static void run_end(pf_run *pr)
{
	const um_run_data *d = pr->d;
	size_t i, c, w = pr->n_cats + 1;

	for (i = 0; i < d->n_systems; i++)
		for (c = 0; c < w; c++)
			row_add_source(&pr->s->rows[pr->row_of[i * w + c]], d, pr->watched[i]);
}

/* Feeds the attempts of d to run_attempt (d itself, or its store). */
typedef int (*pf_feed_fn)(void *ctx, pf_run *pr, um_error *err);

static int add_run(pf_state *s, const um_run_data *d, pf_feed_fn feed, void *ctx, um_error *err)
{
	pf_run pr;
	int rc = -1;

	if (run_begin(&pr, s, d, err) == 0 && feed(ctx, &pr, err) == 0) {
		run_end(&pr);
		rc = 0;
	}
	run_release(&pr);
	return rc;
}

/* The attempts and routing events loaded with the run. */
static int feed_loaded(void *ctx, pf_run *pr, um_error *err)
{
	const um_run_data *d = pr->d;
	int64_t *down = um_xcalloc(d->n_attempts + 1, sizeof(*down));
	unsigned char *has = um_xcalloc(d->n_attempts + 1, 1);
	size_t i;

	(void)ctx;
	(void)err;
	proxy_costs(d, down, has);
	for (i = 0; i < d->n_attempts; i++)
		run_attempt(pr, &d->attempts[i], has[i], down[i]);
	free(down);
	free(has);
	return 0;
}

static json_t *run_entry(const um_run_data *d)
{
	json_t *o = json_object();

	set(o, "run_id", jstr(d->run.run_id));
	set(o, "suite_name", jstr(d->run.suite_name));
	set(o, "suite_version", jstr(d->run.suite_version));
	set(o, "suite_kind", jstr(d->run.suite_kind));
	set(o, "suite_sha256", jstr(d->run.suite_sha256));
	set(o, "dataset_sha256", jstr(d->run.dataset_sha256));
	set(o, "harness_version", jstr(d->run.harness_version));
	set(o, "items", jint((int64_t)d->n_items));
	set(o, "repeats", jint(d->run.repeats));
	set(o, "status", jstr(d->run.status));
	return o;
}

static json_t *row_json(pf_row *r)
{
	json_t *o = json_object(), *acc = json_object(), *tok = json_object();
	json_t *cost = json_object(), *lat = json_object();
	um_interval w = stats_wilson(r->correct, r->n, PF_Z95);

	set(o, "system", jstr(r->system));
	set(o, "role", jstr(r->rec->role));
	set(o, "provider", jstr(r->rec->provider));
	set(o, "model", jstr(r->rec->model));
	set(o, "category", jstr(r->category));
	set(o, "n", jint((int64_t)r->n));
	set(o, "correct", jint((int64_t)r->correct));
	set(o, "errors", jint((int64_t)r->errors));

	set(acc, "value", r->n ? jreal(w.est) : json_null());
	set(acc, "wilson_lo", r->n ? jreal(w.lo) : json_null());
	set(acc, "wilson_hi", r->n ? jreal(w.hi) : json_null());
	set(o, "accuracy", acc);

	set(tok, "in", jint(r->tin));
	set(tok, "out", jint(r->tout));
	set(tok, "in_per_item", jdiv(r->tin, r->n));
	set(tok, "out_per_item", jdiv(r->tout, r->n));
	set(o, "tokens", tok);

	set(cost, "total_micro", jint(r->cost));
	set(cost, "per_item_micro", jdiv(r->cost, r->n));
	set(cost, "per_correct_micro", jdiv(r->cost, r->correct));
	set(o, "cost", cost);

	/* Only when every run pooled here watched the system: a mix of true
	 * and billed costs would be neither. */
	if (r->watched && !r->unwatched) {
		json_t *t = json_object();
		int64_t total = r->cost + r->downstream;

		set(t, "downstream_micro", jint(r->downstream));
		set(t, "attempts_with_events", jint((int64_t)r->with_events));
		set(t, "total_micro", jint(total));
		set(t, "per_item_micro", jdiv(total, r->n));
		set(t, "per_correct_micro", jdiv(total, r->correct));
		set(o, "true_cost", t);
	} else {
		set(o, "true_cost", json_null());
	}

	set(lat, "p50", r->lat.total ? jint(stats_counts_percentile(&r->lat, 50)) : json_null());
	set(lat, "p90", r->lat.total ? jint(stats_counts_percentile(&r->lat, 90)) : json_null());
	set(o, "latency_ms", lat);

	r->n_runs = uniq_strs(r->runs, r->n_runs);
	r->n_suites = uniq_strs(r->suites, r->n_suites);
	set(o, "runs", str_array(r->runs, r->n_runs));
	set(o, "suites", str_array(r->suites, r->n_suites));
	return o;
}

static int cmp_run_ptr(const void *x, const void *y)
{
	const um_run_data *a = *(const um_run_data *const *)x;
	const um_run_data *b = *(const um_run_data *const *)y;

	return strcmp_null(a->run.run_id, b->run.run_id);
}

/* The first of role, provider, model on which a and b differ, or NULL;
 * *va and *vb get the two values. */
static const char *system_mismatch(const um_system_rec *a, const um_system_rec *b,
				   const char **va, const char **vb)
{
	if (!um_streq(a->role, b->role)) {
		*va = a->role;
		*vb = b->role;
		return "role";
	}
	if (!um_streq(a->provider, b->provider)) {
		*va = a->provider;
		*vb = b->provider;
		return "provider";
	}
	if (!um_streq(a->model, b->model)) {
		*va = a->model;
		*vb = b->model;
		return "model";
	}
	return NULL;
}

typedef struct pf_sysref {
	const um_system_rec *rec;
	const char *run_id;
} pf_sysref;

static int cmp_sysref(const void *x, const void *y)
{
	const pf_sysref *a = x, *b = y;
	int c = strcmp_null(a->rec->name, b->rec->name);

	return c ? c : strcmp_null(a->run_id, b->run_id);
}

/* Every run naming a system must agree on what it is: profiles pool
 * attempts by system name. Sorted by (name, run), equal neighbours suffice. */
static int check_systems(const um_run_data **runs, size_t n, um_error *err)
{
	pf_sysref *v;
	size_t i, k, m = 0;
	int rc = 0;

	for (i = 0; i < n; i++)
		m += runs[i]->n_systems;
	v = um_xmalloc((m + 1) * sizeof(*v));
	for (i = 0, m = 0; i < n; i++)
		for (k = 0; k < runs[i]->n_systems; k++) {
			v[m].rec = &runs[i]->systems[k];
			v[m++].run_id = runs[i]->run.run_id;
		}
	qsort(v, m, sizeof(*v), cmp_sysref);
	for (i = 1; i < m && rc == 0; i++) {
		const pf_sysref *a = &v[i - 1], *b = &v[i];
		const char *what, *va = NULL, *vb = NULL;

		if (!um_streq(a->rec->name, b->rec->name))
			continue;
		if (um_streq(a->run_id, b->run_id)) {
			rc = um_fail(err, UM_ERR_INVALID, "run %s lists system %s twice", a->run_id,
				     a->rec->name);
			break;
		}
		what = system_mismatch(a->rec, b->rec, &va, &vb);
		if (what)
			rc = um_fail(err, UM_ERR_INVALID,
				     "system %s has %s '%s' in run %s but '%s' in run %s; "
				     "profiles pool attempts by system name, so a name must "
				     "mean one system",
				     a->rec->name, what, va ? va : "(none)", a->run_id,
				     vb ? vb : "(none)", b->run_id);
	}
	free(v);
	return rc;
}

/* The profile of the n runs, whose attempts feed gives to each run's
 * accumulator in turn. */
static json_t *build(const um_run_data *const *runs_in, size_t n, pf_feed_fn feed, void *ctx,
		     um_error *err)
{
	const um_run_data **runs;
	pf_state s = {0};
	json_t *o = NULL, *jr, *jp;
	size_t i;

	if (!runs_in || n == 0) {
		um_fail(err, UM_ERR_USAGE, "a profile needs at least one run");
		return NULL;
	}
	runs = um_xmalloc(n * sizeof(*runs));
	for (i = 0; i < n; i++) {
		runs[i] = runs_in[i];
		if (!runs[i] || !runs[i]->run.run_id) {
			um_fail(err, UM_ERR_INVALID, "profile: a run has no id");
			goto out;
		}
	}
	qsort(runs, n, sizeof(*runs), cmp_run_ptr);
	for (i = 1; i < n; i++)
		if (!strcmp(runs[i - 1]->run.run_id, runs[i]->run.run_id)) {
			um_fail(err, UM_ERR_USAGE, "run %s is given twice", runs[i]->run.run_id);
			goto out;
		}
	if (check_systems(runs, n, err) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (add_run(&s, runs[i], feed, ctx, err) < 0)
			goto out;

	qsort(s.rows, s.n_rows, sizeof(*s.rows), cmp_row);
	o = json_object();
	set(o, "umpire_profile", jint(UM_PROFILE_FORMAT));
	jr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(jr, run_entry(runs[i]));
	set(o, "runs", jr);
	jp = json_array();
	for (i = 0; i < s.n_rows; i++)
		json_array_append_new(jp, row_json(&s.rows[i]));
	set(o, "profiles", jp);
out:
	state_release(&s);
	free(runs);
	return o;
}

json_t *profile_build(const um_run_data *const *runs, size_t n, um_error *err)
{
	return build(runs, n, feed_loaded, NULL, err);
}

/* A stored run's attempts one row at a time, with their routing events
 * when the run has any. */
typedef struct pf_scan {
	pf_run *pr;
	um_store *st;
} pf_scan;

static int scan_row(void *ctx, const um_attempt_rec *a, const um_routing_rec *evs, size_t n)
{
	int64_t down;
	int has = store_proxy_cost(evs, n, &down);

	run_attempt(((pf_scan *)ctx)->pr, a, has, down);
	return 0;
}

static int feed_store(void *ctx, pf_run *pr, um_error *err)
{
	pf_scan x = {pr, ctx};
	um_run_counts cnt;

	if (store_run_counts(x.st, pr->d->run.run_id, &cnt, err) < 0)
		return -1;
	return store_scan_attempts(x.st, pr->d->run.run_id, cnt.routing ? STORE_SCAN_ROUTING : 0,
				   scan_row, &x, err) != 0
		       ? -1
		       : 0;
}

json_t *profile_build_store(um_store *st, const um_run_data *const *metas, size_t n,
			    um_error *err)
{
	return build(metas, n, feed_store, st, err);
}

char *profile_json_text(const json_t *profile)
{
	char *s = json_dumps(profile, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	char *out;

	if (!s)
		return um_xstrdup("null\n");
	out = um_xasprintf("%s\n", s);
	free(s);
	return out;
}

/* ---- validation ------------------------------------------------------- */

enum {
	T_INT = 1u << 0,
	T_NUM = 1u << 1, /* integer or real */
	T_STR = 1u << 2,
	T_NULL = 1u << 3,
	T_OBJ = 1u << 4,
	T_ARR = 1u << 5,
};

enum { R_ANY = 0, R_NONNEG, R_UNIT, R_NONEMPTY };

typedef struct pf_spec {
	const char *key;
	unsigned types;
	int range;
	const struct pf_spec *sub; /* fields of an object, or of the elements of an array */
	unsigned elem;             /* element types of an array */
} pf_spec;

#define END_SPEC {NULL, 0, 0, NULL, 0}

static const pf_spec spec_run[] = {
	{"dataset_sha256", T_STR | T_NULL, R_ANY, NULL, 0},
	{"harness_version", T_STR | T_NULL, R_ANY, NULL, 0},
	{"items", T_INT, R_NONNEG, NULL, 0},
	{"repeats", T_INT, R_NONNEG, NULL, 0},
	{"run_id", T_STR, R_NONEMPTY, NULL, 0},
	{"status", T_STR | T_NULL, R_ANY, NULL, 0},
	{"suite_kind", T_STR | T_NULL, R_ANY, NULL, 0},
	{"suite_name", T_STR | T_NULL, R_ANY, NULL, 0},
	{"suite_sha256", T_STR | T_NULL, R_ANY, NULL, 0},
	{"suite_version", T_STR | T_NULL, R_ANY, NULL, 0},
	END_SPEC,
};

static const pf_spec spec_acc[] = {
	{"value", T_NUM | T_NULL, R_UNIT, NULL, 0},
	{"wilson_hi", T_NUM | T_NULL, R_UNIT, NULL, 0},
	{"wilson_lo", T_NUM | T_NULL, R_UNIT, NULL, 0},
	END_SPEC,
};

static const pf_spec spec_tokens[] = {
	{"in", T_INT, R_NONNEG, NULL, 0},
	{"in_per_item", T_INT | T_NULL, R_NONNEG, NULL, 0},
	{"out", T_INT, R_NONNEG, NULL, 0},
	{"out_per_item", T_INT | T_NULL, R_NONNEG, NULL, 0},
	END_SPEC,
};

static const pf_spec spec_cost[] = {
	{"per_correct_micro", T_INT | T_NULL, R_ANY, NULL, 0},
	{"per_item_micro", T_INT | T_NULL, R_ANY, NULL, 0},
	{"total_micro", T_INT, R_ANY, NULL, 0},
	END_SPEC,
};

static const pf_spec spec_true_cost[] = {
	{"attempts_with_events", T_INT, R_NONNEG, NULL, 0},
	{"downstream_micro", T_INT, R_ANY, NULL, 0},
	{"per_correct_micro", T_INT | T_NULL, R_ANY, NULL, 0},
	{"per_item_micro", T_INT | T_NULL, R_ANY, NULL, 0},
	{"total_micro", T_INT, R_ANY, NULL, 0},
	END_SPEC,
};

static const pf_spec spec_latency[] = {
	{"p50", T_INT | T_NULL, R_NONNEG, NULL, 0},
	{"p90", T_INT | T_NULL, R_NONNEG, NULL, 0},
	END_SPEC,
};

static const pf_spec spec_row[] = {
	{"accuracy", T_OBJ, R_ANY, spec_acc, 0},
	{"category", T_STR, R_NONEMPTY, NULL, 0},
	{"correct", T_INT, R_NONNEG, NULL, 0},
	{"cost", T_OBJ, R_ANY, spec_cost, 0},
	{"errors", T_INT, R_NONNEG, NULL, 0},
	{"latency_ms", T_OBJ, R_ANY, spec_latency, 0},
	{"model", T_STR | T_NULL, R_ANY, NULL, 0},
	{"n", T_INT, R_NONNEG, NULL, 0},
	{"provider", T_STR | T_NULL, R_ANY, NULL, 0},
	{"role", T_STR | T_NULL, R_ANY, NULL, 0},
	{"runs", T_ARR, R_ANY, NULL, T_STR},
	{"suites", T_ARR, R_ANY, NULL, T_STR},
	{"system", T_STR, R_NONEMPTY, NULL, 0},
	{"tokens", T_OBJ, R_ANY, spec_tokens, 0},
	{"true_cost", T_OBJ | T_NULL, R_ANY, spec_true_cost, 0},
	END_SPEC,
};

static const pf_spec spec_top[] = {
	{"profiles", T_ARR, R_ANY, spec_row, T_OBJ},
	{"runs", T_ARR, R_ANY, spec_run, T_OBJ},
	{"umpire_profile", T_INT, R_ANY, NULL, 0},
	END_SPEC,
};

typedef struct pf_val {
	const char *name;
	um_error *err;
} pf_val;

static int vfail(const pf_val *v, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int vfail(const pf_val *v, const char *path, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return um_fail(v->err, UM_ERR_INVALID, "%s: %s: %s", v->name, path, msg);
}

static unsigned type_of(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		return T_INT | T_NUM;
	case JSON_REAL:
		return T_NUM;
	case JSON_STRING:
		return T_STR;
	case JSON_NULL:
		return T_NULL;
	case JSON_OBJECT:
		return T_OBJ;
	case JSON_ARRAY:
		return T_ARR;
	default:
		return 0; /* true / false */
	}
}

static const char *type_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_STRING:
		return "a string";
	case JSON_NULL:
		return "null";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	default:
		return "a boolean";
	}
}

static void expected(char *out, size_t n, unsigned types)
{
	static const struct {
		unsigned t;
		const char *name;
	} names[] = {
		{T_INT, "an integer"}, {T_NUM, "a number"}, {T_STR, "a string"},
		{T_OBJ, "an object"},  {T_ARR, "an array"}, {T_NULL, "null"},
	};
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < UM_ARRAY_LEN(names); i++) {
		if (!(types & names[i].t))
			continue;
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s",
					len ? " or " : "", names[i].name);
	}
}

static int check_value(const pf_val *v, const json_t *j, unsigned types, int range,
		       const pf_spec *sub, unsigned elem, const char *path);

static int check_object(const pf_val *v, const json_t *o, const pf_spec *fields,
			const char *path)
{
	const char *key;
	const json_t *val;
	const pf_spec *f;
	char sub[512];

	json_object_foreach((json_t *)o, key, val) {
		for (f = fields; f->key; f++)
			if (!strcmp(f->key, key))
				break;
		if (!f->key)
			return vfail(v, path, "unknown key '%s'", key);
	}
	for (f = fields; f->key; f++) {
		val = json_object_get(o, f->key);
		if (!val)
			return vfail(v, path, "missing key '%s'", f->key);
		snprintf(sub, sizeof(sub), "%s.%s", path, f->key);
		if (check_value(v, val, f->types, f->range, f->sub, f->elem, sub) < 0)
			return -1;
	}
	return 0;
}

static int check_value(const pf_val *v, const json_t *j, unsigned types, int range,
		       const pf_spec *sub, unsigned elem, const char *path)
{
	char want[128], p[512];
	size_t i;

	if (!(type_of(j) & types)) {
		expected(want, sizeof(want), types);
		return vfail(v, path, "expected %s, got %s", want, type_name(j));
	}
	if (json_is_number(j)) {
		double x = json_number_value(j);
		if (range == R_NONNEG && x < 0)
			return vfail(v, path, "must not be negative, got %g", x);
		if (range == R_UNIT && !(x >= 0.0 && x <= 1.0))
			return vfail(v, path, "must be between 0 and 1, got %g", x);
	}
	if (json_is_string(j) && range == R_NONEMPTY && !*json_string_value(j))
		return vfail(v, path, "must not be empty");
	if (json_is_object(j) && sub)
		return check_object(v, j, sub, path);
	if (json_is_array(j)) {
		for (i = 0; i < json_array_size(j); i++) {
			snprintf(p, sizeof(p), "%s[%zu]", path, i);
			if (check_value(v, json_array_get(j, i), elem, R_ANY, sub, 0, p) < 0)
				return -1;
		}
	}
	return 0;
}

/* Relations the table cannot say: counts agree, no row twice. */
static int check_rows(const pf_val *v, const json_t *rows)
{
	size_t i, k;
	char path[64];

	for (i = 0; i < json_array_size(rows); i++) {
		const json_t *r = json_array_get(rows, i);
		json_int_t n = json_integer_value(json_object_get(r, "n"));
		json_int_t c = json_integer_value(json_object_get(r, "correct"));

		snprintf(path, sizeof(path), "$.profiles[%zu]", i);
		if (c > n)
			return vfail(v, path, "correct (%lld) exceeds n (%lld)", (long long)c,
				     (long long)n);
		for (k = 0; k < i; k++) {
			const json_t *q = json_array_get(rows, k);
			if (um_streq(json_string_value(json_object_get(r, "system")),
				     json_string_value(json_object_get(q, "system"))) &&
			    um_streq(json_string_value(json_object_get(r, "category")),
				     json_string_value(json_object_get(q, "category"))))
				return vfail(v, path,
					     "system %s, category %s repeats $.profiles[%zu]",
					     json_string_value(json_object_get(r, "system")),
					     json_string_value(json_object_get(r, "category")), k);
		}
	}
	return 0;
}

int profile_validate(const json_t *p, const char *name, um_error *err)
{
	pf_val v = {name ? name : "profile", err};
	const json_t *ver;

	if (!json_is_object(p))
		return vfail(&v, "$", "expected an object, got %s",
			     p ? type_name(p) : "nothing");
	/* The version first: another version may have other keys. */
	ver = json_object_get(p, "umpire_profile");
	if (!ver)
		return vfail(&v, "$", "missing key 'umpire_profile' (not an umpire profile?)");
	if (!json_is_integer(ver))
		return vfail(&v, "$.umpire_profile", "expected an integer, got %s",
			     type_name(ver));
	if (json_integer_value(ver) != UM_PROFILE_FORMAT)
		return vfail(&v, "$.umpire_profile",
			     "format version %lld is not supported (this umpire reads %d)",
			     (long long)json_integer_value(ver), UM_PROFILE_FORMAT);
	if (check_object(&v, p, spec_top, "$") < 0)
		return -1;
	return check_rows(&v, json_object_get(p, "profiles"));
}

json_t *profile_load(const char *path, um_error *err)
{
	char *data = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *j;

	if (um_read_file(path, &data, &len, err) < 0)
		return NULL;
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
	free(data);
	if (!j) {
		um_fail_at(err, UM_ERR_SYNTAX, path, je.line > 0 ? je.line : 1,
			   je.column > 0 ? je.column : 0, "not valid JSON: %s", je.text);
		return NULL;
	}
	if (profile_validate(j, path, err) < 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- CSV -------------------------------------------------------------- */

static void csv_field(um_buf *b, const char *s)
{
	const char *p;

	if (!strpbrk(s, ",\"\r\n")) {
		um_buf_puts(b, s);
		return;
	}
	um_buf_putc(b, '"');
	for (p = s; *p; p++) {
		if (*p == '"')
			um_buf_putc(b, '"');
		um_buf_putc(b, *p);
	}
	um_buf_putc(b, '"');
}

/* One cell from a JSON value: strings as they are, numbers as in the JSON
 * text (6 significant digits for reals), arrays joined with ';', null empty. */
static void csv_value(um_buf *b, const json_t *j)
{
	char tmp[64];

	if (json_is_string(j)) {
		csv_field(b, json_string_value(j));
	} else if (json_is_integer(j)) {
		um_buf_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(j));
	} else if (json_is_real(j)) {
		snprintf(tmp, sizeof(tmp), "%.6g", json_real_value(j));
		um_buf_puts(b, tmp);
	} else if (json_is_array(j)) {
		um_buf s = UM_BUF_INIT;
		size_t i;
		for (i = 0; i < json_array_size(j); i++) {
			const char *x = json_string_value(json_array_get(j, i));
			if (i)
				um_buf_putc(&s, ';');
			um_buf_puts(&s, x ? x : "");
		}
		csv_field(b, um_buf_str(&s));
		um_buf_release(&s);
	}
}

static const struct {
	const char *column, *path;
} csv_columns[] = {
	{"system", "system"},
	{"role", "role"},
	{"provider", "provider"},
	{"model", "model"},
	{"category", "category"},
	{"n", "n"},
	{"correct", "correct"},
	{"errors", "errors"},
	{"accuracy", "accuracy.value"},
	{"wilson_lo", "accuracy.wilson_lo"},
	{"wilson_hi", "accuracy.wilson_hi"},
	{"tokens_in", "tokens.in"},
	{"tokens_out", "tokens.out"},
	{"tokens_in_per_item", "tokens.in_per_item"},
	{"tokens_out_per_item", "tokens.out_per_item"},
	{"cost_micro", "cost.total_micro"},
	{"cost_per_item_micro", "cost.per_item_micro"},
	{"cost_per_correct_micro", "cost.per_correct_micro"},
	{"true_cost_micro", "true_cost.total_micro"},
	{"true_cost_per_item_micro", "true_cost.per_item_micro"},
	{"true_cost_per_correct_micro", "true_cost.per_correct_micro"},
	{"downstream_cost_micro", "true_cost.downstream_micro"},
	{"latency_p50_ms", "latency_ms.p50"},
	{"latency_p90_ms", "latency_ms.p90"},
	{"runs", "runs"},
	{"suites", "suites"},
};

char *profile_csv_text(const json_t *profile)
{
	um_buf b = UM_BUF_INIT;
	const json_t *rows = json_object_get(profile, "profiles"), *r;
	size_t i, c;

	for (c = 0; c < UM_ARRAY_LEN(csv_columns); c++)
		um_buf_printf(&b, "%s%s", c ? "," : "", csv_columns[c].column);
	um_buf_putc(&b, '\n');
	json_array_foreach(rows, i, r) {
		for (c = 0; c < UM_ARRAY_LEN(csv_columns); c++) {
			if (c)
				um_buf_putc(&b, ',');
			csv_value(&b, jpath_get(r, csv_columns[c].path));
		}
		um_buf_putc(&b, '\n');
	}
	return um_buf_detach(&b);
}

/* ---- terminal summary ------------------------------------------------- */

static void usd6(char *out, size_t n, const json_t *j)
{
	long long m;
	unsigned long long a;

	if (!json_is_integer(j)) {
		snprintf(out, n, "-");
		return;
	}
	m = (long long)json_integer_value(j);
	a = m < 0 ? 0ULL - (unsigned long long)m : (unsigned long long)m;
	snprintf(out, n, "%s%llu.%06llu", m < 0 ? "-" : "", a / 1000000ULL, a % 1000000ULL);
}

char *profile_summary_text(const json_t *profile)
{
	um_buf b = UM_BUF_INIT;
	const json_t *runs = json_object_get(profile, "runs");
	const json_t *rows = json_object_get(profile, "profiles"), *r;
	const char **sys = um_xmalloc((json_array_size(rows) + 1) * sizeof(*sys));
	const char **cat = um_xmalloc((json_array_size(rows) + 1) * sizeof(*cat));
	size_t i, n_sys = 0, n_cat = 0, ws = strlen("system"), wc = strlen("category");

	json_array_foreach(rows, i, r) {
		const char *s = json_string_value(json_object_get(r, "system"));
		const char *c = json_string_value(json_object_get(r, "category"));
		sys[n_sys++] = s;
		if (strcmp(c, UM_PROFILE_ALL) != 0)
			cat[n_cat++] = c;
		if (strlen(s) > ws)
			ws = strlen(s);
		if (strlen(c) > wc)
			wc = strlen(c);
	}
	n_sys = uniq_strs(sys, n_sys);
	n_cat = uniq_strs(cat, n_cat);
	um_buf_printf(&b, "umpire profile format %d: %zu run%s (", UM_PROFILE_FORMAT,
		      json_array_size(runs), json_array_size(runs) == 1 ? "" : "s");
	json_array_foreach(runs, i, r)
		um_buf_printf(&b, "%s%s", i ? ", " : "",
			      json_string_value(json_object_get(r, "run_id")));
	um_buf_printf(&b, "), %zu system%s, %zu categor%s, %zu rows\n", n_sys,
		      n_sys == 1 ? "" : "s", n_cat, n_cat == 1 ? "y" : "ies",
		      json_array_size(rows));
	um_buf_printf(&b, "%-*s  %-*s  %6s  %8s  %-14s  %6s  %12s  %13s  %7s\n", (int)ws, "system",
		      (int)wc, "category", "n", "accuracy", "Wilson 95%", "errors", "USD/item",
		      "true USD/item", "p50 ms");
	json_array_foreach(rows, i, r) {
		const json_t *acc = json_object_get(r, "accuracy");
		char a[16], ci[40], c1[32], c2[32], p50[24];

		if (json_is_number(json_object_get(acc, "value"))) {
			snprintf(a, sizeof(a), "%.1f%%",
				 100.0 * json_number_value(json_object_get(acc, "value")));
			snprintf(ci, sizeof(ci), "[%.1f, %.1f]",
				 100.0 * json_number_value(json_object_get(acc, "wilson_lo")),
				 100.0 * json_number_value(json_object_get(acc, "wilson_hi")));
		} else {
			snprintf(a, sizeof(a), "-");
			snprintf(ci, sizeof(ci), "-");
		}
		usd6(c1, sizeof(c1), jpath_get(r, "cost.per_item_micro"));
		usd6(c2, sizeof(c2), jpath_get(r, "true_cost.per_item_micro"));
		if (json_is_integer(jpath_get(r, "latency_ms.p50")))
			snprintf(p50, sizeof(p50), "%lld",
				 (long long)json_integer_value(jpath_get(r, "latency_ms.p50")));
		else
			snprintf(p50, sizeof(p50), "-");
		um_buf_printf(&b, "%-*s  %-*s  %6lld  %8s  %-14s  %6lld  %12s  %13s  %7s\n",
			      (int)ws,
			      json_string_value(json_object_get(r, "system")), (int)wc,
			      json_string_value(json_object_get(r, "category")),
			      (long long)json_integer_value(json_object_get(r, "n")), a, ci,
			      (long long)json_integer_value(json_object_get(r, "errors")), c1, c2,
			      p50);
	}
	free(sys);
	free(cat);
	return um_buf_detach(&b);
}
