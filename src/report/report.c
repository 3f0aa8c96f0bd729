/*
 * report.c - the report of a run, as a pure function of the stored data.
 *
 * report_build() turns an um_run_data into one JSON object (docs/report.md
 * documents every field). It never looks at the clock (generated_at comes
 * from SOURCE_DATE_EPOCH only) and sorts every input it reads, so the same
 * data in any order gives byte-identical report_json_text(). Reals are
 * rounded to 6 significant digits when they are put into the object, so the
 * object in memory equals the object parsed back from report.json, and the
 * markdown and terminal renderings (report_md.c, which read only the object)
 * agree with the file whichever of the two they are given.
 *
 * Money is integer micro-USD and time integer milliseconds throughout;
 * per-item and per-correct costs are integer divisions rounded half up.
 */
#include "report/report.h"
#include "report/route.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "report/judged.h"
#include "report/scicode.h"
#include "report/stats.h"
#include "base/util.h"

#define REPORT_FORMAT 1
#define REPORT_POWER 0.8   /* of the minimum detectable difference */
#define REPORT_FLIPS 20000 /* Monte Carlo sign flips, when not exact */

/* ---- small helpers ---------------------------------------------------- */

static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
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
		v = 0.0; /* no "-0.0" in the text */
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

/* Integer division rounded half up, for non-negative money; 0 divisor: null. */
static json_t *jmoney_div(int64_t total, uint64_t by)
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

static void count_key(json_t *o, const char *key)
{
	json_t *cur = json_object_get(o, key);

	json_object_set_new(o, key, jint((cur ? json_integer_value(cur) : 0) + 1));
}

/* ---- sorted views of the input ---------------------------------------- */

static int cmp_system(const void *a, const void *b)
{
	const um_system_rec *x = *(const um_system_rec *const *)a;
	const um_system_rec *y = *(const um_system_rec *const *)b;
	return strcmp_null(x->name, y->name);
}

static int cmp_item(const void *a, const void *b)
{
	const um_item_rec *x = *(const um_item_rec *const *)a;
	const um_item_rec *y = *(const um_item_rec *const *)b;
	return strcmp_null(x->item_id, y->item_id);
}

static int cmp_attempt(const void *a, const void *b)
{
	const um_attempt_rec *x = *(const um_attempt_rec *const *)a;
	const um_attempt_rec *y = *(const um_attempt_rec *const *)b;
	int c;

	if ((c = strcmp_null(x->item_id, y->item_id)))
		return c;
	if ((c = strcmp_null(x->system, y->system)))
		return c;
	if (x->sample != y->sample)
		return (x->sample > y->sample) - (x->sample < y->sample);
	return strcmp_null(x->attempt_id, y->attempt_id);
}

static int cmp_claim(const void *a, const void *b)
{
	const um_claim_rec *x = *(const um_claim_rec *const *)a;
	const um_claim_rec *y = *(const um_claim_rec *const *)b;
	int c;

	if ((c = strcmp_null(x->system, y->system)))
		return c;
	if ((c = strcmp_null(x->benchmark, y->benchmark)))
		return c;
	if (x->value != y->value)
		return (x->value > y->value) - (x->value < y->value);
	if ((c = strcmp_null(x->source, y->source)))
		return c;
	return strcmp_null(x->note, y->note);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp_null(*(const char *const *)a, *(const char *const *)b);
}

/* Pointers to the n records of size sz at base, sorted with cmp. */
static const void **sorted_ptrs(const void *base, size_t n, size_t sz,
				int (*cmp)(const void *, const void *))
{
	const void **v = um_xmalloc((n ? n : 1) * sizeof(*v));
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = (const char *)base + i * sz;
	qsort(v, n, sizeof(*v), cmp);
	return v;
}

/* Repository repair, summed over a system's attempts. */
typedef struct swe_tally {
	int64_t tasks, submitted, resolved_sub, not_applied, timed_out, predicted, resolved;
	int64_t vendor_compared, vendor_agree;
	json_t *strategies, *rules, *vendor_only, *umpire_only; /* instance ids */
} swe_tally;

/* ---- working state ---------------------------------------------------- */

/*
 * The report is summed while the attempts go past once, in (item, system,
 * sample) order (from the store one row at a time, or from loaded data
 * sorted so): per system and per system x category running sums, counts of
 * latencies, and per system x item graded counts; the attempts of one item
 * are held together (block) for the paired comparisons and the parity
 * check. The only part that grows with the attempts is each system's graded
 * values (8 bytes an attempt), so the item-clustered variance is computed
 * in the same order as before, to the last bit.
 */

/* One system's attempts of one category. */
typedef struct rep_cat {
	uint64_t n, correct, errors;
	int64_t cost;
	um_counts lat;          /* latencies of the graded */
} rep_cat;

/* The agent loop's details summed over a system's graded attempts. */
typedef struct agent_tally {
	json_t *stops, *broken;
	int64_t turns, calls, malformed, n, oracle;
	int64_t replayed, replay_agree, rewarded, full;
	double reward_sum;
	swe_tally sw;
} agent_tally;

/* Code attempts' verdicts summed over a system. */
typedef struct code_tally {
	json_t *ends, *broken;
	int64_t n, no_prog, run, passed, oracle;
} code_tally;

/* An orchestrator's routing events summed over its attempts. */
typedef struct rlog_tally {
	json_t *by_cat, *methods;
	int64_t obs_calls, rep_calls, obs_cost, rep_cost, obs_fail;
	uint64_t with_events, mismatched;
} rlog_tally;

typedef struct rep_sys {
	const um_system_rec *rec;
	uint64_t n_att;         /* attempts of known items */
	uint64_t graded, correct, errors; /* correct: full credit (score 1) */
	uint64_t outcomes;      /* ended ungraded, not errors (context overflow, judge error) */
	double score_sum;                 /* of store_attempt_value over the graded */
	int64_t cost, tin, tcached, tout, calls, retries, cached, reasoning, cache_write;
	um_acc acc; /* valid when graded > 0 */
	double *vals;           /* graded values in (item, sample) order */
	size_t n_vals, cap_vals;
	size_t *item_graded;    /* per item: graded attempts (vals in groups) */
	uint64_t *item_correct; /* per item: full-credit attempts */
	rep_cat *cats;          /* per category */
	um_counts lat, ttft;    /* uncached graded latencies; streamed calls' ttft */
	json_t *served, *fps;   /* served model / fingerprint -> attempts */
	json_t *by_class, *outcomes_o, *errs; /* errs: class -> first error, count */
	agent_tally ag;
	code_tally cd;
	judged_tally *jt;
	scicode_tally *sct;
	rlog_tally rl;
} rep_sys;

/* The paired comparison of systems a and b, summed item by item. */
typedef struct rep_pairs {
	size_t a, b;
	double *ma, *mb, *d;
	size_t n_items, n_pairs;
	uint64_t b_only, c_only; /* pairs where only a (b) or only b (c) has full credit */
	double ra, rb;    /* sums of the scores */
	double var_w, inv_k; /* pooled within-item variance; mean of 1/pairs */
	double ss_w;
	size_t df_w;
} rep_pairs;

/* One attempt of the item being read (known system). */
typedef struct blk_row {
	size_t sys;
	int sample, graded;
	double v;
	char *neutral, *request; /* NULL when unhashed (then not in parity) */
} blk_row;

typedef struct rep_state {
	const um_run_data *d;
	double level, z;
	const um_item_rec **items;
	size_t n_items;
	const char **cats; /* distinct categories, sorted */
	size_t n_cats;
	size_t *cat_of;    /* per item */
	rep_sys *sys;
	size_t n_sys;
	uint64_t repeats, planned; /* planned per system */
	uint64_t orphans;
	const char *reference; /* the user's reference system, or NULL */
	int methods;           /* REPORT_METHODS or an earlier one */
	int partial;           /* some graded attempt scored strictly between 0 and 1 */
	int judged;            /* a judged suite's run (report/judged.h) */
	int scicode;           /* a scicode suite's run (report/scicode.h) */
	rep_pairs *pairs;      /* the comparisons the report makes */
	size_t n_pairs;
	char *blk_item;        /* the block's item id, NULL before the first */
	size_t blk_it;         /* its index, SIZE_MAX when not an item of the run */
	blk_row *blk;
	size_t n_blk, cap_blk;
	json_t *devs;          /* parity: deviations listed (first 100) */
	uint64_t n_dev, groups, unhashed;
	json_t *cache;         /* streamed: cached attempts (NULL: from d) */
	um_route_acc *route;   /* streamed: router baselines (NULL: from d) */
	uint64_t routing, unattributed; /* routing events in all, without attempt */
} rep_state;

static size_t find_item(const rep_state *r, const char *id)
{
	size_t lo = 0, hi = r->n_items;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp_null(r->items[mid]->item_id, id);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static size_t find_sys(const rep_state *r, const char *name)
{
	size_t lo = 0, hi = r->n_sys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp_null(r->sys[mid].rec->name, name);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static size_t find_cat(const rep_state *r, const char *cat)
{
	size_t lo = 0, hi = r->n_cats;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp_null(r->cats[mid], cat);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return SIZE_MAX;
}

static void agent_tally_release(agent_tally *t)
{
	json_decref(t->stops);
	json_decref(t->broken);
	json_decref(t->sw.strategies);
	json_decref(t->sw.vendor_only);
	json_decref(t->sw.umpire_only);
	json_decref(t->sw.rules);
	memset(t, 0, sizeof(*t));
}

static void sys_release(rep_sys *rs, size_t n_cats)
{
	size_t c;

	free(rs->vals);
	free(rs->item_graded);
	free(rs->item_correct);
	for (c = 0; c < n_cats && rs->cats; c++)
		stats_counts_release(&rs->cats[c].lat);
	free(rs->cats);
	stats_counts_release(&rs->lat);
	stats_counts_release(&rs->ttft);
	json_decref(rs->served);
	json_decref(rs->fps);
	json_decref(rs->by_class);
	json_decref(rs->outcomes_o);
	json_decref(rs->errs);
	agent_tally_release(&rs->ag);
	json_decref(rs->cd.ends);
	json_decref(rs->cd.broken);
	if (rs->jt)
		json_decref(judged_tally_finish(rs->jt));
	if (rs->sct)
		json_decref(scicode_tally_finish(rs->sct));
	json_decref(rs->rl.by_cat);
	json_decref(rs->rl.methods);
}

static void blk_clear(rep_state *r)
{
	size_t i;

	for (i = 0; i < r->n_blk; i++) {
		free(r->blk[i].neutral);
		free(r->blk[i].request);
	}
	r->n_blk = 0;
}

static void rep_release(rep_state *r)
{
	size_t i;

	for (i = 0; i < r->n_sys; i++)
		sys_release(&r->sys[i], r->n_cats);
	for (i = 0; i < r->n_pairs; i++) {
		free(r->pairs[i].ma);
		free(r->pairs[i].mb);
		free(r->pairs[i].d);
	}
	free(r->pairs);
	blk_clear(r);
	free(r->blk);
	free(r->blk_item);
	json_decref(r->devs);
	json_decref(r->cache);
	route_acc_free(r->route);
	free(r->sys);
	free(r->items);
	free(r->cats);
	free(r->cat_of);
	memset(r, 0, sizeof(*r));
}

/* A system's running sums, empty. */
static void sys_init(rep_state *r, rep_sys *rs)
{
	rs->item_graded = um_xcalloc(r->n_items + 1, sizeof(*rs->item_graded));
	rs->item_correct = um_xcalloc(r->n_items + 1, sizeof(*rs->item_correct));
	rs->cats = um_xcalloc(r->n_cats + 1, sizeof(*rs->cats));
	rs->served = json_object();
	rs->fps = json_object();
	rs->by_class = json_object();
	rs->outcomes_o = json_object();
	rs->errs = json_object();
	rs->ag.stops = json_object();
	rs->ag.broken = json_array();
	rs->ag.sw.strategies = json_object();
	rs->ag.sw.vendor_only = json_array();
	rs->ag.sw.umpire_only = json_array();
	rs->cd.ends = json_object();
	rs->cd.broken = json_array();
	rs->jt = r->judged ? judged_tally_new() : NULL;
	rs->sct = r->scicode && !r->judged ? scicode_tally_new(r->items, r->n_items, r->repeats)
					   : NULL;
	rs->rl.by_cat = json_object();
	rs->rl.methods = json_object();
}

/* The run's items, sorted, checked, and their distinct categories. */
static int rep_items(rep_state *r, const um_run_data *d, um_error *err)
{
	size_t i;

	r->items = (const um_item_rec **)sorted_ptrs(d->items, d->n_items, sizeof(*d->items),
						      cmp_item);
	r->n_items = d->n_items;
	for (i = 0; i < r->n_items; i++) {
		if (!r->items[i]->item_id || !r->items[i]->category)
			return um_fail(err, UM_ERR_INVALID, "report: item without id or category");
		if (i && strcmp(r->items[i - 1]->item_id, r->items[i]->item_id) == 0)
			return um_fail(err, UM_ERR_INVALID, "report: item '%s' appears twice",
				       r->items[i]->item_id);
	}
	r->cats = um_xmalloc((r->n_items ? r->n_items : 1) * sizeof(*r->cats));
	for (i = 0; i < r->n_items; i++)
		r->cats[i] = r->items[i]->category;
	qsort(r->cats, r->n_items, sizeof(*r->cats), cmp_str);
	for (i = 0; i < r->n_items; i++)
		if (r->n_cats == 0 || strcmp(r->cats[r->n_cats - 1], r->cats[i]) != 0)
			r->cats[r->n_cats++] = r->cats[i];
	r->cat_of = um_xmalloc((r->n_items + 1) * sizeof(*r->cat_of));
	for (i = 0; i < r->n_items; i++)
		r->cat_of[i] = find_cat(r, r->items[i]->category);
	return 0;
}

/* The run's systems, sorted by name, each named once. */
static int rep_systems(rep_state *r, const um_run_data *d, um_error *err)
{
	const um_system_rec **systems = (const um_system_rec **)sorted_ptrs(
		d->systems, d->n_systems, sizeof(*d->systems), cmp_system);
	size_t i;

	r->sys = um_xcalloc(d->n_systems ? d->n_systems : 1, sizeof(*r->sys));
	for (i = 0; i < d->n_systems; i++) {
		r->sys[i].rec = systems[i];
		if (!systems[i]->name || (i && strcmp(systems[i - 1]->name, systems[i]->name) == 0)) {
			if (systems[i]->name)
				um_fail(err, UM_ERR_INVALID, "report: system '%s' appears twice",
					systems[i]->name);
			else
				um_fail(err, UM_ERR_INVALID, "report: system without a name");
			free(systems);
			return -1;
		}
	}
	free(systems);
	r->n_sys = d->n_systems;
	for (i = 0; i < r->n_sys; i++)
		sys_init(r, &r->sys[i]);
	return 0;
}

static void pairs_plan(rep_state *r);

static int rep_init(rep_state *r, const um_run_data *d, const um_report_opts *opts, double level,
		    um_error *err)
{
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->level = level;
	r->z = stats_z_for_level(level);
	r->repeats = d->run.repeats > 0 ? (uint64_t)d->run.repeats : 1;
	r->judged = um_streq(d->run.suite_kind, "judged");
	r->scicode = um_streq(d->run.suite_kind, "scicode");
	r->reference = opts ? opts->reference : NULL;
	r->methods = opts && opts->methods ? opts->methods : REPORT_METHODS;
	r->blk_it = SIZE_MAX;
	r->devs = json_array();
	if (rep_items(r, d, err) < 0 || rep_systems(r, d, err) < 0) {
		rep_release(r);
		return -1;
	}
	r->planned = r->n_items * r->repeats;
	pairs_plan(r);
	return 0;
}

static int is_graded(const um_attempt_rec *a)
{
	return store_attempt_graded(a);
}

/* Ended without a grade, and neither wrong nor an infrastructure error. */
static int is_outcome(const um_attempt_rec *a)
{
	return a->status == UM_ATT_DONE && a->outcome;
}

static const char *error_class_of(const um_attempt_rec *a)
{
	return a->error_class ? a->error_class : "unknown";
}

/* ---- per-system section ------------------------------------------------ */

/* {value, <lo>, <hi>} of an interval, nulls when there is no data. */
static json_t *interval_obj(um_interval iv, int valid, const char *lo, const char *hi)
{
	json_t *o = json_object();

	set(o, "value", valid ? jreal(iv.est) : json_null());
	set(o, lo, valid ? jreal(iv.lo) : json_null());
	set(o, hi, valid ? jreal(iv.hi) : json_null());
	return o;
}

/* The names counted in o, sorted, with their counts or without. */
static json_t *distinct_counts(const json_t *o, int with_counts)
{
	size_t n = json_object_size(o), i = 0;
	const char **v = um_xmalloc((n ? n : 1) * sizeof(*v)), *k;
	json_t *out = json_array(), *c;

	json_object_foreach((json_t *)o, k, c)
		v[i++] = k;
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		if (with_counts) {
			json_t *e = json_object();
			set(e, "model", json_string(v[i]));
			set(e, "attempts", json_incref(json_object_get(o, v[i])));
			json_array_append_new(out, e);
		} else {
			json_array_append_new(out, json_string(v[i]));
		}
	}
	free(v);
	return out;
}

/* {value, ci_lo, ci_hi, se, n_eff, design_effect, df, items} of an
 * accuracy (docs/report.md, "Methods"); nulls when nothing was graded. */
static json_t *acc_obj(const um_acc *a, int valid)
{
	um_interval iv = {a->est, a->lo, a->hi};
	json_t *o = interval_obj(iv, valid, "ci_lo", "ci_hi");

	set(o, "se", valid && !isnan(a->se) ? jreal(a->se) : json_null());
	set(o, "n_eff", valid ? jreal(a->n_eff) : json_null());
	set(o, "design_effect", valid ? jreal(a->deff) : json_null());
	set(o, "df", jint((int64_t)a->df));
	set(o, "items", jint((int64_t)a->items));
	return o;
}

static json_t *category_section(const rep_state *r, const rep_sys *rs)
{
	json_t *arr = json_array();
	size_t *len = um_xcalloc(r->n_items + 1, sizeof(*len)), c, i, at, m;
	double *x = um_xmalloc((rs->n_vals + 1) * sizeof(*x));

	for (c = 0; c < r->n_cats; c++) {
		const rep_cat *rc = &rs->cats[c];
		json_t *o = json_object();
		um_acc acc;

		/* the category's graded values, item by item in item order */
		for (i = 0, at = 0, m = 0; i < r->n_items; at += rs->item_graded[i++]) {
			len[i] = r->cat_of[i] == c ? rs->item_graded[i] : 0;
			memcpy(x + m, rs->vals + at, len[i] * sizeof(*x));
			m += len[i];
		}
		acc = stats_accuracy_grouped(x, len, r->n_items, r->level);
		set(o, "name", json_string(r->cats[c]));
		set(o, "n", jint((int64_t)rc->n));
		set(o, "correct", jint((int64_t)rc->correct));
		set(o, "errors", jint((int64_t)rc->errors));
		set(o, "accuracy", acc_obj(&acc, rc->n > 0));
		set(o, "cost_micro", jint(rc->cost));
		set(o, "latency_p50_ms",
		    rc->n ? jint(stats_counts_percentile(&rc->lat, 50)) : json_null());
		json_array_append_new(arr, o);
	}
	free(len);
	free(x);
	return arr;
}

/* {value, ci_lo, ci_hi, se} of the mean of per-item values v[0..m). */
static json_t *item_mean_obj(const double *v, size_t m, double level, int methods)
{
	um_interval iv = methods >= 2 ? stats_item_mean(v, m, level) : stats_item_mean_v1(v, m, level);
	json_t *o = interval_obj(iv, m > 0, "ci_lo", "ci_hi");
	double ss = 0.0;
	size_t i;

	for (i = 0; i < m; i++)
		ss += (v[i] - iv.est) * (v[i] - iv.est);
	set(o, "se", m > 1 ? jreal(sqrt(ss / (double)(m - 1) / (double)m)) : json_null());
	return o;
}

/* pass@k and pass^k (unbiased, per item from its graded samples, averaged
 * over the items with at least k) for k = 1 .. repeats (at most 10 values
 * and repeats itself); NULL when the run has one sample per item, or has
 * partial credit (the estimators count passes: they need 0/1 scores). */
static json_t *pass_k_section(const rep_state *r, const rep_sys *rs)
{
	const size_t *n = rs->item_graded;
	const uint64_t *c = rs->item_correct;
	double *at, *hat;
	json_t *arr;
	uint64_t k;
	size_t i;

	if (r->repeats < 2 || r->partial)
		return NULL;
	at = um_xmalloc((r->n_items + 1) * sizeof(*at));
	hat = um_xmalloc((r->n_items + 1) * sizeof(*hat));
	arr = json_array();
	for (k = 1; k <= r->repeats; k++) {
		json_t *o;
		size_t m = 0;

		if (k > 10 && k != r->repeats)
			continue;
		for (i = 0; i < r->n_items; i++)
			if (n[i] >= k) {
				at[m] = stats_pass_at_k(n[i], c[i], k);
				hat[m] = stats_pass_hat_k(n[i], c[i], k);
				m++;
			}
		o = json_object();
		set(o, "k", jint((int64_t)k));
		set(o, "items", jint((int64_t)m));
		set(o, "pass_at_k", item_mean_obj(at, m, r->level, r->methods));
		set(o, "pass_hat_k", item_mean_obj(hat, m, r->level, r->methods));
		json_array_append_new(arr, o);
	}
	free(at);
	free(hat);
	return arr;
}


/* Count one attempt's repository-repair details (a no-op for others). */
static void swe_count(swe_tally *t, const um_attempt_rec *a, json_t *dj)
{
	const char *st = json_string_value(json_object_get(dj, "patch_strategy"));
	json_t *v;

	if (!json_object_get(dj, "patch_submitted"))
		return;
	t->tasks++;
	t->resolved += a->score > 0;
	/* the official formula's denominator: every entry of the predictions
	 * file, empty patches included */
	t->predicted += !um_streq(json_string_value(json_object_get(dj, "stop_reason")),
				  "no_prediction");
	if (json_is_true(json_object_get(dj, "patch_submitted"))) {
		t->submitted++;
		t->resolved_sub += a->score > 0;
		if (st) {
			v = json_object_get(t->strategies, st);
			json_object_set_new(t->strategies, st, jint((v ? json_integer_value(v) : 0) + 1));
		} else {
			t->not_applied++;
		}
	}
	t->timed_out += json_is_true(json_object_get(dj, "tests_timed_out"));
	if (json_is_boolean(json_object_get(dj, "vendor_resolved"))) {
		/* the vendor's own verdict beside umpire's */
		int vendor = json_is_true(json_object_get(dj, "vendor_resolved")), ours = a->score > 0;
		t->vendor_compared++;
		t->vendor_agree += vendor == ours;
		if (vendor && !ours)
			json_array_append_new(t->vendor_only, jstr(a->item_id));
		if (ours && !vendor)
			json_array_append_new(t->umpire_only, jstr(a->item_id));
	}
	if (!t->rules && json_is_object(json_object_get(dj, "rules")))
		t->rules = json_incref(json_object_get(dj, "rules"));
}

/* The three denominators, each labelled, and how patches applied. */
static json_t *swe_json(swe_tally *t)
{
	json_t *w = json_object();

	set(w, "tasks", jint(t->tasks));
	set(w, "resolved", jint(t->resolved));
	set(w, "patches_submitted", jint(t->submitted));
	set(w, "predictions", jint(t->predicted));
	set(w, "resolved_over_tasks", jreal((double)t->resolved / (double)t->tasks));
	set(w, "resolved_over_submitted",
	    t->submitted ? jreal((double)t->resolved_sub / (double)t->submitted) : json_null());
	set(w, "resolved_official",
	    t->predicted ? jreal((double)t->resolved / (double)t->predicted) : json_null());
	set(w, "patch_strategies", t->strategies);
	set(w, "patches_not_applied", jint(t->not_applied));
	set(w, "tests_timed_out", jint(t->timed_out));
	set(w, "rules", t->rules ? t->rules : json_null());
	if (t->vendor_compared) {
		json_t *v = json_object();
		set(v, "compared", jint(t->vendor_compared));
		set(v, "agree", jint(t->vendor_agree));
		set(v, "vendor_only_pass", t->vendor_only);
		set(v, "umpire_only_pass", t->umpire_only);
		set(w, "vendor_agreement", v);
	} else {
		json_decref(t->vendor_only);
		json_decref(t->umpire_only);
	}
	t->strategies = t->rules = t->vendor_only = t->umpire_only = NULL;
	return w;
}

/* Oracle mode: the attempt's task is broken when its reference solution
 * failed. Attempts are in item order: repeats of the same task are skipped. */
static void broken_add(json_t *broken, const um_attempt_rec *a)
{
	if (a->score <= 0 &&
	    !um_streq(json_string_value(json_array_get(broken, json_array_size(broken) - 1)),
		      a->item_id))
		json_array_append_new(broken, jstr(a->item_id));
}

/* Agentic attempts carry detail_json: turns, tool calls, malformed calls,
 * why the agent stopped. Summed per system (dj: a graded attempt's
 * details, code attempts left to code_add). */
static void agent_add(agent_tally *t, const um_attempt_rec *a, json_t *dj)
{
	const char *stop;

	t->n++;
	t->turns += json_integer_value(json_object_get(dj, "turns"));
	t->calls += json_integer_value(json_object_get(dj, "tool_calls"));
	t->malformed += json_integer_value(json_object_get(dj, "malformed_tool_calls"));
	stop = json_string_value(json_object_get(dj, "stop_reason"));
	if (stop && *stop)
		count_key(t->stops, stop);
	if (json_is_number(json_object_get(dj, "reward"))) {
		/* reward files (Harbor): fractional rewards keep their value */
		double r = json_number_value(json_object_get(dj, "reward"));
		t->rewarded++;
		t->reward_sum += r;
		t->full += r >= 1.0;
	}
	if (json_is_integer(json_object_get(dj, "replayed_score"))) {
		t->replayed++;
		t->replay_agree += json_integer_value(json_object_get(dj, "replayed_score")) ==
				   a->score;
	}
	swe_count(&t->sw, a, dj);
	if (json_is_true(json_object_get(dj, "oracle"))) {
		t->oracle = 1;
		broken_add(t->broken, a);
	}
}

/* The agent section of a system; NULL when it had no agentic attempt. */
static json_t *agent_json(agent_tally *t)
{
	json_t *o;

	if (!t->n)
		return NULL;
	o = json_object();
	set(o, "attempts", jint(t->n));
	set(o, "turns_total", jint(t->turns));
	set(o, "turns_mean", jreal((double)t->turns / (double)t->n));
	set(o, "tool_calls", jint(t->calls));
	set(o, "malformed_tool_calls", jint(t->malformed));
	set(o, "stop_reasons", json_incref(t->stops));
	if (t->rewarded) {
		json_t *rw = json_object();
		set(rw, "attempts", jint(t->rewarded));
		set(rw, "mean_reward", jreal(t->reward_sum / (double)t->rewarded));
		set(rw, "full_reward_share", jreal((double)t->full / (double)t->rewarded));
		set(o, "rewards", rw);
	}
	if (t->replayed) {
		/* replay mode: the same commands again, the same verdict? */
		json_t *rp = json_object();
		set(rp, "attempts", jint(t->replayed));
		set(rp, "same_verdict", jint(t->replay_agree));
		set(o, "replay", rp);
	}
	if (t->sw.tasks)
		set(o, "swe", swe_json(&t->sw)); /* takes its objects */
	if (t->oracle) /* a task whose reference solution fails its own tests is broken */
		set(o, "broken_tasks", json_incref(t->broken));
	return o;
}

/* What only some providers report, each key present only when there is
 * something to say (so a run without them reports as before): reasoning
 * tokens (part of tokens.out) and prompt-cache writes (part of tokens.in),
 * and the time to first token of the streamed calls that succeeded. */
static void provider_extras(const rep_sys *rs, json_t *o, json_t *tok)
{
	if (rs->reasoning > 0)
		set(tok, "reasoning", jint(rs->reasoning));
	if (rs->cache_write > 0)
		set(tok, "cache_write", jint(rs->cache_write));
	if (rs->ttft.total) {
		json_t *t = json_object();

		set(t, "calls", jint((int64_t)rs->ttft.total));
		set(t, "p50", jint(stats_counts_percentile(&rs->ttft, 50)));
		set(t, "p90", jint(stats_counts_percentile(&rs->ttft, 90)));
		set(o, "ttft_ms", t);
	}
}

/* Code attempts (detail verdict code_tests, docs/code.md): how each ended,
 * by the verdict of its first failing test ("passed" when none failed,
 * "no_program" when the answer held none), and the tests run and passed. */
static void code_add(code_tally *t, const um_attempt_rec *a, json_t *dj)
{
	const char *end = "passed", *v;
	json_t *tj;
	size_t k;

	t->n++;
	if (json_is_false(json_object_get(dj, "program"))) {
		t->no_prog++;
		end = "no_program";
	}
	json_array_foreach(json_object_get(dj, "tests"), k, tj) {
		v = json_string_value(json_object_get(tj, "v"));
		if (!v || !strcmp(v, "not_run"))
			continue;
		t->run++;
		if (!strcmp(v, "passed"))
			t->passed++;
		else if (!strcmp(end, "passed"))
			end = v;
	}
	count_key(t->ends, end);
	if (json_is_true(json_object_get(dj, "oracle"))) {
		t->oracle = 1; /* a problem whose reference program fails is broken */
		broken_add(t->broken, a);
	}
}

/* The code section of a system; NULL when it had no code attempt. */
static json_t *code_json(const code_tally *t)
{
	json_t *o;

	if (!t->n)
		return NULL;
	o = json_object();
	set(o, "attempts", jint(t->n));
	set(o, "no_program", jint(t->no_prog));
	set(o, "tests_run", jint(t->run));
	set(o, "tests_passed", jint(t->passed));
	set(o, "ended_by", json_incref(t->ends));
	if (t->oracle)
		set(o, "broken_problems", json_incref(t->broken));
	return o;
}

/* A system's attempts counted: planned, graded, errors (by class), not
 * attempted, and the outcomes when there are any (judged suites). Steals
 * by_class and outcomes. */
static json_t *attempts_obj(const rep_state *r, const rep_sys *rs, json_t *by_class,
			    json_t *outcomes)
{
	json_t *att = json_object();
	uint64_t done = rs->graded + rs->errors + rs->outcomes;

	set(att, "planned", jint((int64_t)r->planned));
	set(att, "graded", jint((int64_t)rs->graded));
	set(att, "errors", jint((int64_t)rs->errors));
	set(att, "not_attempted", jint((int64_t)(r->planned > done ? r->planned - done : 0)));
	set(att, "errors_by_class", by_class);
	if (rs->outcomes)
		set(att, "outcomes", outcomes); /* judged suites: docs/judged.md */
	else
		json_decref(outcomes);
	return att;
}

/* What a suite kind adds to a system's section: judged answers, or the
 * agent loop's behaviour. */
static void kind_section(rep_sys *rs, json_t *o)
{
	json_t *ag, *cs;

	if (rs->jt) {
		set(o, "judged", judged_tally_finish(rs->jt));
		rs->jt = NULL;
		return;
	}
	if (rs->sct) {
		set(o, "scicode", scicode_tally_finish(rs->sct));
		rs->sct = NULL;
		return;
	}
	ag = agent_json(&rs->ag);
	if (ag)
		set(o, "agent", ag);
	cs = code_json(&rs->cd);
	if (cs)
		set(o, "code", cs);
}

static json_t *system_section(rep_state *r, rep_sys *rs)
{
	json_t *o = json_object(), *tok = json_object(), *lat_o = json_object(), *acc, *served;
	uint64_t g = rs->graded;

	rs->acc = stats_accuracy_grouped(rs->vals, rs->item_graded, r->n_items, r->level);
	set(o, "name", jstr(rs->rec->name));
	set(o, "role", jstr(rs->rec->role));
	set(o, "provider", jstr(rs->rec->provider));
	set(o, "model", jstr(rs->rec->model));
	set(o, "dropped_params", jstr(rs->rec->dropped_params));
	served = distinct_counts(rs->served, 1);
	/* one system answered by more than one model id within a run: the
	 * endpoint may have swapped the model under the benchmark */
	set(o, "possible_model_swap", json_boolean(json_array_size(served) > 1));
	set(o, "served_models", served);
	set(o, "fingerprints", distinct_counts(rs->fps, 0));
	kind_section(rs, o);

	set(o, "attempts",
	    attempts_obj(r, rs, json_incref(rs->by_class), json_incref(rs->outcomes_o)));

	set(o, "correct", jint((int64_t)rs->correct));
	set(o, "accuracy", acc_obj(&rs->acc, g > 0));
	if ((acc = pass_k_section(r, rs)))
		set(o, "pass_at_k", acc);
	set(o, "accuracy_whole_suite",
	    r->planned ? jreal(rs->score_sum / (double)r->planned) : json_null());

	set(tok, "in", jint(rs->tin));
	set(tok, "cached", jint(rs->tcached));
	set(tok, "out", jint(rs->tout));
	provider_extras(rs, o, tok);
	set(o, "tokens", tok);
	set(o, "cost_micro", jint(rs->cost));
	set(o, "cost_per_item_micro", jmoney_div(rs->cost, g));
	set(o, "cost_per_correct_micro", jmoney_div(rs->cost, rs->correct));
	set(lat_o, "p50", rs->lat.total ? jint(stats_counts_percentile(&rs->lat, 50)) : json_null());
	set(lat_o, "p90", rs->lat.total ? jint(stats_counts_percentile(&rs->lat, 90)) : json_null());
	if (rs->cached)
		set(o, "cached_attempts", jint(rs->cached));
	set(o, "latency_ms", lat_o);
	set(o, "calls", jint(rs->calls));
	set(o, "retries", jint(rs->retries));
	set(o, "categories", category_section(r, rs));
	return o;
}

/* ---- reading the attempts ------------------------------------------------ */

/* The first error of each class of a system, and how many. */
static void error_add(rep_sys *rs, const um_attempt_rec *a)
{
	const char *cls = error_class_of(a);
	json_t *e = json_object_get(rs->errs, cls);

	count_key(rs->by_class, cls);
	rs->errors++;
	if (e) {
		json_object_set_new(e, "count", jint(json_integer_value(json_object_get(e, "count")) + 1));
		return;
	}
	e = json_object();
	set(e, "count", jint(1));
	set(e, "first_item_id", jstr(a->item_id));
	set(e, "first_sample", jint(a->sample));
	set(e, "first_message", jstr(a->error_msg));
	json_object_set_new(rs->errs, cls, e);
}

/* A graded attempt into its system's and category's sums. */
static void graded_add(rep_sys *rs, const um_attempt_rec *a, size_t it, rep_cat *rc)
{
	double v = store_attempt_value(a);

	um_xgrow((void **)&rs->vals, &rs->cap_vals, rs->n_vals + 1, sizeof(*rs->vals));
	rs->vals[rs->n_vals++] = v;
	rs->item_graded[it]++;
	rs->item_correct[it] += a->score > 0;
	rs->score_sum += v;
	rs->graded++;
	rs->correct += a->score > 0;
	/* a cached answer took no call: its latency says nothing */
	if (!a->cached)
		stats_counts_add(&rs->lat, a->latency_ms);
	rc->n++;
	rc->correct += a->score > 0;
	stats_counts_add(&rc->lat, a->latency_ms);
}

/* The details of a graded attempt into the agent or the code tally. */
static void details_add(rep_sys *rs, const um_attempt_rec *a)
{
	json_t *dj = json_loads(a->detail_json, 0, NULL);

	if (um_streq(json_string_value(json_object_get(dj, "verdict")), "code_tests"))
		code_add(&rs->cd, a, dj);
	else if (json_is_object(dj))
		agent_add(&rs->ag, a, dj);
	if (dj)
		json_decref(dj);
}

/* An attempt of a known system and item into the system's sums. */
static void sys_add(rep_state *r, rep_sys *rs, const um_attempt_rec *a, size_t it)
{
	rep_cat *rc = &rs->cats[r->cat_of[it]];

	rs->n_att++;
	rs->tin += a->tokens_in;
	rs->tcached += a->tokens_cached;
	rs->tout += a->tokens_out;
	rs->cost += a->cost_micro;
	rs->calls += a->n_calls;
	rs->retries += a->n_calls > 1 ? a->n_calls - 1 : 0;
	rs->cached += a->cached != 0;
	rs->reasoning += a->tokens_reasoning;
	rs->cache_write += a->tokens_cache_write;
	rc->cost += a->cost_micro;
	if (a->served_model)
		count_key(rs->served, a->served_model);
	if (a->fingerprint)
		count_key(rs->fps, a->fingerprint);
	if (is_graded(a)) {
		graded_add(rs, a, it, rc);
		r->partial |= store_attempt_partial(a);
	} else if (is_outcome(a)) {
		count_key(rs->outcomes_o, a->outcome);
		rs->outcomes++;
	} else {
		error_add(rs, a);
		rc->errors++;
	}
	if (rs->jt)
		judged_tally_add(rs->jt, a, r->items[it]);
	else if (rs->sct)
		scicode_tally_add(rs->sct, a);
	else if (a->detail_json && is_graded(a))
		details_add(rs, a);
}

/* ---- paired comparisons ------------------------------------------------ */

/* The per-item means of two systems over the (item, sample) pairs graded for
 * both, and the pooled within-item variance of the attempt differences:
 * rep_pairs, filled item by item (pairs_item) as the attempts are read. */
static void pairs_flush(rep_pairs *p, double sa, double sb, double sdd, size_t k)
{
	double m = (sa - sb) / (double)k;

	p->ma[p->n_items] = sa / (double)k;
	p->mb[p->n_items] = sb / (double)k;
	p->d[p->n_items] = p->ma[p->n_items] - p->mb[p->n_items];
	p->inv_k += 1.0 / (double)k;
	p->ss_w += sdd - (double)k * m * m;
	p->df_w += k - 1;
	p->n_items++;
}

/* The rows of system s in the block (they are together, by sample). */
static void blk_span(const rep_state *r, size_t s, size_t *lo, size_t *hi)
{
	size_t i = 0;

	while (i < r->n_blk && r->blk[i].sys != s)
		i++;
	*lo = i;
	while (i < r->n_blk && r->blk[i].sys == s)
		i++;
	*hi = i;
}

/* Merge-join on sample of the item's rows of p's two systems. */
static void pairs_item(rep_state *r, rep_pairs *p)
{
	size_t i, ie, j, je, k = 0;
	double sum_a = 0, sum_b = 0, sdd = 0;

	blk_span(r, p->a, &i, &ie);
	blk_span(r, p->b, &j, &je);
	while (i < ie && j < je) {
		const blk_row *x = &r->blk[i], *y = &r->blk[j];
		double xa, yb;

		if (x->sample != y->sample) {
			if (x->sample < y->sample)
				i++;
			else
				j++;
			continue;
		}
		i++;
		j++;
		if (!x->graded || !y->graded)
			continue;
		xa = x->v;
		yb = y->v;
		sum_a += xa;
		sum_b += yb;
		sdd += (xa - yb) * (xa - yb);
		k++;
		p->n_pairs++;
		p->ra += xa;
		p->rb += yb;
		p->b_only += xa == 1.0 && yb != 1.0;
		p->c_only += xa != 1.0 && yb == 1.0;
	}
	if (k)
		pairs_flush(p, sum_a, sum_b, sdd, k);
}

static void pairs_want(rep_state *r, size_t a, size_t b)
{
	size_t i;
	rep_pairs *p;

	for (i = 0; i < r->n_pairs; i++)
		if (r->pairs[i].a == a && r->pairs[i].b == b)
			return;
	r->pairs = um_xrealloc(r->pairs, (r->n_pairs + 1) * sizeof(*r->pairs));
	p = &r->pairs[r->n_pairs++];
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->b = b;
	p->ma = um_xcalloc(r->n_items + 1, sizeof(double));
	p->mb = um_xcalloc(r->n_items + 1, sizeof(double));
	p->d = um_xcalloc(r->n_items + 1, sizeof(double));
}

/* The comparisons paired_section and claimed_gaps_section will make. */
static void pairs_plan(rep_state *r)
{
	size_t i, j, ref = r->reference ? find_sys(r, r->reference) : SIZE_MAX;
	int any_orch = 0;

	for (i = 0; i < r->n_sys; i++)
		any_orch |= um_streq(r->sys[i].rec->role, "orchestrator");
	for (i = 0; i < r->n_sys; i++)
		for (j = 0; j < r->n_sys; j++) {
			int orch_base = um_streq(r->sys[i].rec->role, "orchestrator") &&
					um_streq(r->sys[j].rec->role, "baseline");
			if (i == j)
				continue;
			if (ref != SIZE_MAX ? i == ref
			    : any_orch	    ? orch_base
					    : i < j)
				pairs_want(r, i, j);
			else if (orch_base && r->d->n_claims)
				pairs_want(r, i, j);
		}
}

static const rep_pairs *pairs_find(const rep_state *r, const rep_sys *sa, const rep_sys *sb)
{
	size_t a = (size_t)(sa - r->sys), b = (size_t)(sb - r->sys), i;

	for (i = 0; i < r->n_pairs; i++)
		if (r->pairs[i].a == a && r->pairs[i].b == b)
			return &r->pairs[i];
	return NULL;
}

/* The difference's variance split into between items and within an item
 * (per attempt), for planning (stats_items_needed). */
static json_t *variance_obj(const rep_pairs *p, const um_pdiff *t)
{
	json_t *v = json_object();
	double var_d = isnan(t->se) ? NAN : t->se * t->se * (double)t->n;

	if (isnan(var_d)) {
		set(v, "between", json_null());
		set(v, "within", json_null());
		return v;
	}
	if (isnan(p->var_w)) {
		/* one pair per item: the split is unknown; all of it between */
		set(v, "between", jreal(var_d));
		set(v, "within", json_null());
		return v;
	}
	set(v, "between", jreal(fmax(0.0, var_d - p->var_w * p->inv_k)));
	set(v, "within", jreal(p->var_w));
	return v;
}

static json_t *paired_one(const rep_state *r, const rep_sys *sa, const rep_sys *sb)
{
	json_t *o = json_object(), *diff, *test;
	const rep_pairs *pp = pairs_find(r, sa, sb);
	rep_pairs p;
	um_pdiff t;
	char key[512];
	int exact = 1;
	double pv;

	assert(pp); /* pairs_plan asked for it */
	p = *pp;
	p.var_w = p.df_w ? p.ss_w / (double)p.df_w : NAN;
	if (p.n_items)
		p.inv_k /= (double)p.n_items;
	t = stats_paired_t(p.d, p.n_items, r->level);
	snprintf(key, sizeof(key), "%s\n%s", sa->rec->name, sb->rec->name);
	pv = stats_signflip_p(p.d, p.n_items, um_hash64(key, strlen(key), r->d->run.seed),
			      REPORT_FLIPS, &exact);

	set(o, "system_a", jstr(sa->rec->name));
	set(o, "system_b", jstr(sb->rec->name));
	set(o, "n_pairs", jint((int64_t)p.n_pairs));
	set(o, "n_items", jint((int64_t)p.n_items));
	set(o, "accuracy_a", p.n_pairs ? jreal(p.ra / (double)p.n_pairs) : json_null());
	set(o, "accuracy_b", p.n_pairs ? jreal(p.rb / (double)p.n_pairs) : json_null());
	diff = json_object();
	set(diff, "value", p.n_items ? jreal(t.est) : json_null());
	set(diff, "ci_lo", p.n_items ? jreal(t.lo) : json_null());
	set(diff, "ci_hi", p.n_items ? jreal(t.hi) : json_null());
	set(diff, "se", isnan(t.se) ? json_null() : jreal(t.se));
	set(diff, "df", jint((int64_t)t.df));
	set(o, "difference", diff);
	set(o, "mde", isnan(t.se) ? json_null()
				  : jreal(stats_mde(t.se, t.df, r->level, REPORT_POWER)));
	set(o, "variance", variance_obj(&p, &t));
	test = json_object();
	set(test, "method", json_string(exact ? "sign-flip permutation over items, exact"
					      : "sign-flip permutation over items, Monte Carlo"));
	set(test, "p", p.n_items ? jreal(pv) : json_null());
	set(o, "test", test);
	set(o, "only_a_correct", jint((int64_t)p.b_only));
	set(o, "only_b_correct", jint((int64_t)p.c_only));
	/* McNemar treats pairs as independent and 0/1: only right with one
	 * sample and no partial credit */
	set(o, "mcnemar_p", r->repeats == 1 && !r->partial
				    ? jreal(stats_mcnemar_exact(p.b_only, p.c_only))
				    : json_null());
	return o;
}

/* Holm over a family of objects: reads the p at path of each, writes
 * "p_holm" and "significant" (p_holm < 1 - level) beside it. */
static void holm_family(json_t *arr, const char *path, json_t *(*where)(json_t *),
			double level)
{
	size_t n = json_array_size(arr), i;
	double *p = um_xmalloc((n ? n : 1) * sizeof(*p));
	json_t *e;

	json_array_foreach(arr, i, e)
		if (!jpath_num(e, path, &p[i]))
			p[i] = NAN;
	stats_holm(p, n, p);
	json_array_foreach(arr, i, e) {
		json_t *w = where ? where(e) : e;
		if (!w)
			continue;
		set(w, "p_holm", isnan(p[i]) ? json_null() : jreal(p[i]));
		set(w, "significant",
		    isnan(p[i]) ? json_null() : json_boolean(p[i] < 1.0 - level));
	}
	free(p);
}

static json_t *test_of(json_t *o)
{
	return json_object_get(o, "test");
}

static json_t *paired_section(const rep_state *r, um_error *err)
{
	json_t *o = json_object(), *arr = json_array();
	size_t i, j, ref = SIZE_MAX;
	int any_orch = 0;

	for (i = 0; i < r->n_sys; i++)
		any_orch |= um_streq(r->sys[i].rec->role, "orchestrator");
	if (r->reference && (ref = find_sys(r, r->reference)) == SIZE_MAX) {
		um_fail(err, UM_ERR_USAGE, "reference system '%s' is not in the run",
			r->reference);
		json_decref(o);
		json_decref(arr);
		return NULL;
	}
	if (ref != SIZE_MAX) {
		/* The user's reference, named before the results were seen. */
		set(o, "mode", json_string("reference_vs_others"));
		set(o, "reference", jstr(r->sys[ref].rec->name));
		for (i = 0; i < r->n_sys; i++)
			if (i != ref)
				json_array_append_new(arr, paired_one(r, &r->sys[ref], &r->sys[i]));
	} else if (any_orch) {
		set(o, "mode", json_string("orchestrator_vs_baselines"));
		set(o, "reference", json_null());
		for (i = 0; i < r->n_sys; i++) {
			if (!um_streq(r->sys[i].rec->role, "orchestrator"))
				continue;
			for (j = 0; j < r->n_sys; j++)
				if (um_streq(r->sys[j].rec->role, "baseline"))
					json_array_append_new(
						arr, paired_one(r, &r->sys[i], &r->sys[j]));
		}
	} else {
		/* No orchestrator and no reference: every pair, so that no
		 * system is made the reference after its results are seen. */
		set(o, "mode", json_string("all_pairs"));
		set(o, "reference", json_null());
		for (i = 0; i < r->n_sys; i++)
			for (j = i + 1; j < r->n_sys; j++)
				json_array_append_new(arr, paired_one(r, &r->sys[i], &r->sys[j]));
	}
	holm_family(arr, "test.p", test_of, r->level);
	set(o, "comparisons", arr);
	return o;
}

/* ---- claims ------------------------------------------------------------ */

const char *report_claim_verdict(double claimed, double measured, double p_adj, double alpha)
{
	if (!(p_adj < alpha))
		return "reproduced";
	return measured < claimed ? "below claim" : "above claim";
}

/* The verdicts of a family once its p-values are Holm-adjusted. */
static void claim_verdicts(json_t *arr, double level)
{
	json_t *c;
	size_t i;

	holm_family(arr, "p_value", NULL, level);
	json_array_foreach(arr, i, c) {
		double claimed = 0, measured = 0, adj;
		if (!jpath_num(c, "p_holm", &adj))
			continue;
		jpath_num(c, "claimed_percent", &claimed);
		jpath_num(c, "measured.percent", &measured);
		set(c, "verdict",
		    json_string(report_claim_verdict(claimed, measured, adj, 1.0 - level)));
	}
}

static json_t *claims_section(const rep_state *r)
{
	const um_run_data *d = r->d;
	const um_claim_rec **cl = (const um_claim_rec **)sorted_ptrs(
		d->claims, d->n_claims, sizeof(*d->claims), cmp_claim);
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < d->n_claims; i++) {
		const um_claim_rec *c = cl[i];
		size_t s = find_sys(r, c->system);
		const rep_sys *rs = s == SIZE_MAX ? NULL : &r->sys[s];
		json_t *o = json_object();
		double p0 = c->value / 100.0;

		set(o, "system", jstr(c->system));
		set(o, "benchmark", jstr(c->benchmark));
		set(o, "claimed_percent", jreal(c->value));
		set(o, "source", jstr(c->source));
		set(o, "note", jstr(c->note));
		if (!rs || !rs->graded) {
			set(o, "measured", json_null());
			set(o, "verdict", json_string("not measured"));
			set(o, "p_value", json_null());
		} else {
			/* The accuracy interval and the test it inverts. */
			json_t *m = json_object();
			double p = p0 >= 0.0 && p0 <= 1.0 ? stats_accuracy_p(&rs->acc, p0) : NAN;

			set(m, "percent", jreal(100.0 * rs->acc.est));
			set(m, "ci_lo", jreal(100.0 * rs->acc.lo));
			set(m, "ci_hi", jreal(100.0 * rs->acc.hi));
			set(m, "n", jint((int64_t)rs->graded));
			set(m, "n_eff", jreal(rs->acc.n_eff));
			set(m, "correct", jint((int64_t)rs->correct));
			set(o, "measured", m);
			set(o, "verdict", json_string("reproduced"));
			set(o, "p_value", isnan(p) ? json_null() : jreal(p));
		}
		json_array_append_new(arr, o);
	}
	claim_verdicts(arr, r->level);
	free(cl);
	return arr;
}

/* ---- infrastructure errors ---------------------------------------------- */

/* Vendor tables compare an orchestrator with baselines: the claimed gap
 * (orchestrator minus baseline, same benchmark) is checked against the
 * paired difference measured on the same items, by the t-test its interval
 * inverts, Holm-adjusted over the report's gaps. */
static json_t *gap_entry(const rep_state *r, const um_claim_rec *ci, const um_claim_rec *cj,
			 const rep_sys *si, const rep_sys *sj)
{
	json_t *pair = paired_one(r, si, sj), *diff = json_object_get(pair, "difference");
	json_t *o = json_object(), *m;
	double claimed = ci->value - cj->value, est, se, df;

	set(o, "benchmark", jstr(ci->benchmark));
	set(o, "orchestrator", jstr(ci->system));
	set(o, "baseline", jstr(cj->system));
	set(o, "claimed_gap_pp", jreal(claimed));
	if (!jpath_num(diff, "value", &est)) {
		set(o, "measured", json_null());
		set(o, "verdict", json_string("not measured"));
		set(o, "p_value", json_null());
		json_decref(pair);
		return o;
	}
	m = json_object();
	set(m, "gap_pp", jreal(100.0 * est));
	set(m, "ci_lo", jreal(100.0 * json_number_value(json_object_get(diff, "ci_lo"))));
	set(m, "ci_hi", jreal(100.0 * json_number_value(json_object_get(diff, "ci_hi"))));
	set(m, "n_pairs", json_incref(json_object_get(pair, "n_pairs")));
	set(m, "n_items", json_incref(json_object_get(pair, "n_items")));
	set(o, "measured", m);
	set(o, "verdict", json_string("reproduced"));
	se = jpath_num(diff, "se", &se) ? se : NAN;
	df = (double)jpath_int(diff, "df");
	est = stats_t_test_p(est, se, df, claimed / 100.0);
	set(o, "p_value", isnan(est) ? json_null() : jreal(est));
	json_decref(pair);
	return o;
}

static json_t *claimed_gaps_section(const rep_state *r)
{
	const um_run_data *d = r->d;
	const um_claim_rec **cl = (const um_claim_rec **)sorted_ptrs(
		d->claims, d->n_claims, sizeof(*d->claims), cmp_claim);
	json_t *arr = json_array(), *g;
	size_t i, j;

	for (i = 0; i < d->n_claims; i++) {
		size_t si = find_sys(r, cl[i]->system);
		if (si == SIZE_MAX || !um_streq(r->sys[si].rec->role, "orchestrator") ||
		    !r->sys[si].graded)
			continue;
		for (j = 0; j < d->n_claims; j++) {
			size_t sj = find_sys(r, cl[j]->system);
			if (sj == SIZE_MAX || sj == si ||
			    !um_streq(r->sys[sj].rec->role, "baseline") || !r->sys[sj].graded ||
			    !um_streq(cl[i]->benchmark, cl[j]->benchmark))
				continue;
			json_array_append_new(arr,
					      gap_entry(r, cl[i], cl[j], &r->sys[si], &r->sys[sj]));
		}
	}
	holm_family(arr, "p_value", NULL, r->level);
	json_array_foreach(arr, i, g) {
		double adj, claimed = 0, est = 0;
		if (!jpath_num(g, "p_holm", &adj))
			continue;
		jpath_num(g, "claimed_gap_pp", &claimed);
		jpath_num(g, "measured.gap_pp", &est);
		set(g, "verdict", json_string(!(adj < 1.0 - r->level) ? "reproduced"
					      : est < claimed	      ? "smaller than claimed"
								      : "larger than claimed"));
	}
	free(cl);
	return arr;
}

static json_t *errors_section(const rep_state *r, uint64_t *total)
{
	json_t *arr = json_array();
	size_t s, i;

	*total = 0;
	for (s = 0; s < r->n_sys; s++) {
		const rep_sys *rs = &r->sys[s];
		size_t n = json_object_size(rs->errs);
		const char **cls = um_xmalloc((n ? n : 1) * sizeof(*cls)), *k;
		json_t *e;

		i = 0;
		json_object_foreach(rs->errs, k, e)
			cls[i++] = k;
		qsort(cls, n, sizeof(*cls), cmp_str);
		for (i = 0; i < n; i++) {
			json_t *o = json_object();

			e = json_object_get(rs->errs, cls[i]);
			set(o, "system", jstr(rs->rec->name));
			set(o, "error_class", json_string(cls[i]));
			set(o, "count", json_incref(json_object_get(e, "count")));
			set(o, "first_item_id", json_incref(json_object_get(e, "first_item_id")));
			set(o, "first_sample", json_incref(json_object_get(e, "first_sample")));
			set(o, "first_message", json_incref(json_object_get(e, "first_message")));
			json_array_append_new(arr, o);
			*total += (uint64_t)json_integer_value(json_object_get(e, "count"));
		}
		free(cls);
	}
	return arr;
}

/* ---- the report -------------------------------------------------------- */

static int generated_at(json_t *o, um_error *err)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end, buf[64];
	long long v;
	time_t t;
	struct tm tm;

	if (!sde || !*sde)
		return 0;
	errno = 0;
	v = strtoll(sde, &end, 10);
	if (errno || *end || v < 0)
		return um_fail(err, UM_ERR_USAGE,
			       "SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970", sde);
	t = (time_t)v;
	if (!gmtime_r(&t, &tm) || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return um_fail(err, UM_ERR_USAGE, "SOURCE_DATE_EPOCH='%s' is out of range", sde);
	set(o, "generated_at", json_string(buf));
	return 0;
}

/* How the run was made, when it was not a plain whole run (docs/report.md):
 * a --limit subset, one shard of several, a stop at the --max-cost budget,
 * systems stopped by the circuit breaker. "partial" is true when the run
 * covers less than its plan by design or by a stop. */
static void run_notes_section(json_t *o, const um_run_info *ri)
{
	json_t *notes = ri->notes_json ? json_loads(ri->notes_json, 0, NULL) : NULL;

	if (!json_is_object(notes) || !json_object_size(notes)) {
		if (notes)
			json_decref(notes);
		return;
	}
	set(o, "partial", json_boolean(json_object_get(notes, "shard") ||
				       json_object_get(notes, "stopped") ||
				       json_object_get(notes, "breaker")));
	set(o, "notes", notes);
}

/* Attempts answered from the response cache, listed (only when any are). */
static json_t *cache_section(const um_run_data *d)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; i < d->n_attempts; i++) {
		const um_attempt_rec *a = &d->attempts[i];
		if (a->cached)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i}", "item_id",
							     a->item_id, "system", a->system,
							     "sample", a->sample));
	}
	if (!json_array_size(arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *run_section(const um_run_info *ri)
{
	json_t *o = json_object(), *suite = json_object(), *sha = json_object(), *libs = NULL;

	set(o, "run_id", jstr(ri->run_id));
	set(suite, "name", jstr(ri->suite_name));
	set(suite, "version", jstr(ri->suite_version));
	set(suite, "kind", jstr(ri->suite_kind));
	set(o, "suite", suite);
	set(sha, "suite", jstr(ri->suite_sha256));
	set(sha, "scaffold", jstr(ri->scaffold_sha256));
	set(sha, "models", jstr(ri->models_sha256));
	set(sha, "dataset", jstr(ri->dataset_sha256));
	set(o, "sha256", sha);
	set(o, "harness_version", jstr(ri->harness_version));
	set(o, "git_describe", jstr(ri->git_describe));
	if (ri->lib_versions) {
		libs = json_loads(ri->lib_versions, JSON_DECODE_ANY, NULL);
		if (!libs)
			libs = json_string(ri->lib_versions);
	}
	set(o, "lib_versions", libs);
	/* A seed above INT64_MAX does not fit a JSON integer portably. */
	if (ri->seed <= (uint64_t)INT64_MAX) {
		set(o, "seed", jint((int64_t)ri->seed));
	} else {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, ri->seed);
		set(o, "seed", json_string(buf));
	}
	set(o, "repeats", jint(ri->repeats));
	set(o, "status", jstr(ri->status));
	run_notes_section(o, ri);
	return o;
}


/* ---- parity ------------------------------------------------------------ */

/* Block rows (of one item) by sample, then system. */
static int cmp_par(const void *x, const void *y)
{
	const blk_row *a = *(const blk_row *const *)x, *b = *(const blk_row *const *)y;

	if (a->sample != b->sample)
		return a->sample < b->sample ? -1 : 1;
	return (a->sys > b->sys) - (a->sys < b->sys);
}

static const char *par_provider(const rep_state *r, const blk_row *row)
{
	const char *p = r->sys[row->sys].rec->provider;

	return p ? p : "";
}

/* Systems in rows[lo, hi) whose hash (neutral, or wire within provider)
 * differs from the group's most common one become one deviation entry. */
static void parity_group(rep_state *r, const blk_row *const *rows, size_t lo, size_t hi,
			 const char *provider)
{
	const char *first = NULL, *mode = NULL;
	size_t i, j, best = 0, members = 0;
	int differs = 0;
	json_t *sys, *d;

	for (i = lo; i < hi; i++) {
		const char *h = provider ? rows[i]->request : rows[i]->neutral;
		size_t k = 0;
		if (provider && strcmp(par_provider(r, rows[i]), provider) != 0)
			continue;
		members++;
		if (!first)
			first = h;
		else if (!um_streq(first, h))
			differs = 1;
		for (j = lo; j < hi; j++) {
			const char *h2 = provider ? rows[j]->request : rows[j]->neutral;
			if ((!provider || !strcmp(par_provider(r, rows[j]), provider)) &&
			    um_streq(h, h2))
				k++;
		}
		if (k > best) {
			best = k;
			mode = h;
		}
	}
	if (members < 2 || !differs)
		return;
	r->n_dev++;
	if (json_array_size(r->devs) >= 100)
		return;
	sys = json_array();
	for (i = lo; i < hi; i++) {
		const char *h = provider ? rows[i]->request : rows[i]->neutral;
		json_t *e;
		if (provider && strcmp(par_provider(r, rows[i]), provider) != 0)
			continue;
		e = json_object();
		set(e, "system", jstr(r->sys[rows[i]->sys].rec->name));
		set(e, "hash", jstr(h));
		set(e, "deviates", json_boolean(!um_streq(h, mode)));
		json_array_append_new(sys, e);
	}
	d = json_object();
	set(d, "item_id", jstr(r->blk_item));
	set(d, "sample", jint(rows[lo]->sample));
	set(d, "kind", provider ? json_sprintf("wire:%s", provider) : json_string("neutral"));
	set(d, "systems", sys);
	json_array_append_new(r->devs, d);
}

/* From the stored request hashes of the item just read: did every system
 * get the same request for every sample, apart from the model field? The
 * neutral hash (messages + params) must agree across all systems; the wire
 * hash (body without model) across systems of one provider. */
static void parity_item(rep_state *r)
{
	static const char *const providers[] = {"openai", "anthropic"};
	const blk_row **rows = um_xmalloc((r->n_blk + 1) * sizeof(*rows));
	size_t n = 0, i, j, p;

	for (i = 0; i < r->n_blk; i++)
		if (r->blk[i].neutral)
			rows[n++] = &r->blk[i];
	qsort(rows, n, sizeof(*rows), cmp_par);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && rows[j]->sample == rows[i]->sample; j++)
			;
		if (j - i < 2)
			continue;
		r->groups++;
		parity_group(r, rows, i, j, NULL);
		for (p = 0; p < UM_ARRAY_LEN(providers); p++)
			parity_group(r, rows, i, j, providers[p]);
	}
	free(rows);
}

static json_t *parity_section(rep_state *r)
{
	json_t *o = json_object();

	set(o, "groups_checked", jint((int64_t)r->groups));
	set(o, "attempts_without_hash", jint((int64_t)r->unhashed));
	set(o, "deviations", jint((int64_t)r->n_dev));
	set(o, "deviation_list", json_incref(r->devs));
	set(o, "identical", json_boolean(r->n_dev == 0 && r->groups > 0));
	return o;
}

/* ---- routing log ---------------------------------------------------------- */

static int cmp_rout(const void *a, const void *b)
{
	return strcmp(((const um_routing_rec *)a)->attempt_id,
		      ((const um_routing_rec *)b)->attempt_id);
}

/* An orchestrator's attempt and its routing events into its tally. */
static void rlog_add(rlog_tally *t, const char *cat, const um_routing_rec *evs, size_t n)
{
	int64_t n_obs = 0, n_rep = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const um_routing_rec *ev = &evs[i];

		if (um_streq(ev->source, "proxy")) {
			json_t *cm = json_object_get(t->by_cat, cat);
			n_obs++;
			t->obs_cost += ev->cost_micro;
			t->obs_fail += ev->status < 200 || ev->status >= 300;
			count_key(t->methods, ev->attribution);
			if (!cm) {
				cm = json_object();
				json_object_set_new(t->by_cat, cat, cm);
			}
			count_key(cm, ev->sub_model ? ev->sub_model : "?");
		} else {
			n_rep++;
			t->rep_cost += ev->cost_micro;
		}
	}
	t->obs_calls += n_obs;
	t->rep_calls += n_rep;
	t->with_events += n_obs > 0;
	t->mismatched += n_rep > 0 && n_obs != n_rep;
}

/* What an orchestrator did downstream, from the routing events: sub-calls per
 * item, which sub-models served which categories, the true cost (its own bill
 * plus what its sub-calls cost) against the headline cost, and how its own
 * routing report reconciles with what the proxy observed. NULL when the run
 * has no routing events. */
static json_t *routing_log_section(const rep_state *r)
{
	json_t *out, *systems;
	size_t si;

	if (!r->routing)
		return NULL;
	out = json_object();
	systems = json_array();
	for (si = 0; si < r->n_sys; si++) {
		const rep_sys *rs = &r->sys[si];
		const rlog_tally *t = &rs->rl;
		int64_t billed = rs->cost, n_att = (int64_t)rs->n_att;
		json_t *o;

		if (!um_streq(rs->rec->role, "orchestrator"))
			continue;
		o = json_object();
		set(o, "system", jstr(rs->rec->name));
		set(o, "attempts", jint(n_att));
		set(o, "attempts_with_observed_calls", jint((int64_t)t->with_events));
		set(o, "attribution", json_incref(t->methods));
		set(o, "observed_calls", jint(t->obs_calls));
		set(o, "observed_failed_calls", jint(t->obs_fail));
		set(o, "reported_calls", jint(t->rep_calls));
		set(o, "attempts_reported_differently", jint((int64_t)t->mismatched));
		set(o, "calls_per_item",
		    n_att ? jreal((double)t->obs_calls / (double)n_att) : json_null());
		set(o, "headline_cost_micro", jint(billed));
		set(o, "downstream_cost_micro", jint(t->obs_cost));
		set(o, "reported_downstream_cost_micro", jint(t->rep_cost));
		set(o, "true_cost_micro", jint(billed + t->obs_cost));
		set(o, "headline_cost_per_item_micro", jmoney_div(billed, (uint64_t)n_att));
		set(o, "true_cost_per_item_micro", jmoney_div(billed + t->obs_cost, (uint64_t)n_att));
		set(o, "headline_cost_per_correct_micro",
		    rs->correct ? jmoney_div(billed, rs->correct) : json_null());
		set(o, "true_cost_per_correct_micro",
		    rs->correct ? jmoney_div(billed + t->obs_cost, rs->correct) : json_null());
		set(o, "sub_models_by_category", json_incref(t->by_cat));
		json_array_append_new(systems, o);
	}
	set(out, "unattributed_events", jint((int64_t)r->unattributed));
	set(out, "systems", systems);
	return out;
}

/* ---- the attempts, one at a time ------------------------------------------ */

/* The item just read: its paired comparisons and parity groups. */
static void blk_flush(rep_state *r)
{
	size_t i;

	if (r->blk_it != SIZE_MAX)
		for (i = 0; i < r->n_pairs; i++)
			pairs_item(r, &r->pairs[i]);
	parity_item(r);
	blk_clear(r);
}

/* An attempt of a known system into the item's block. */
static void blk_add(rep_state *r, const um_attempt_rec *a, size_t s, size_t it)
{
	blk_row *row;
	int hashed = a->neutral_hash && a->request_hash;

	r->unhashed += !hashed;
	if (it == SIZE_MAX && !hashed)
		return;
	um_xgrow((void **)&r->blk, &r->cap_blk, r->n_blk + 1, sizeof(*r->blk));
	row = &r->blk[r->n_blk++];
	row->sys = s; /* an unknown item's rows count for parity only */
	row->sample = a->sample;
	row->graded = it != SIZE_MAX && is_graded(a);
	row->v = row->graded ? store_attempt_value(a) : 0.0;
	row->neutral = hashed ? um_xstrdup(a->neutral_hash) : NULL;
	row->request = hashed ? um_xstrdup(a->request_hash) : NULL;
}

/* One attempt, in (item, system, sample) order, with its routing events. */
static void rep_add(rep_state *r, const um_attempt_rec *a, const um_routing_rec *evs, size_t n)
{
	size_t it, s = find_sys(r, a->system);

	if (!a->item_id) { /* not an item of the run, nor of any block */
		r->orphans++;
		return;
	}
	if (!r->blk_item || strcmp(r->blk_item, a->item_id) != 0) {
		if (r->blk_item)
			blk_flush(r);
		free(r->blk_item);
		r->blk_item = um_xstrdup(a->item_id);
		r->blk_it = find_item(r, a->item_id);
	}
	it = r->blk_it;
	if (r->cache && a->cached)
		json_array_append_new(r->cache,
				      json_pack("{s:s, s:s, s:i}", "item_id", a->item_id, "system",
						a->system, "sample", a->sample));
	if (r->route) {
		/* summed as integers: the same double as adding each one's (< 2^53) */
		int64_t down;
		int has = store_proxy_cost(evs, n, &down);

		route_acc_add(r->route, a, (double)down, has);
	}
	if (s != SIZE_MAX)
		blk_add(r, a, s, it);
	if (it == SIZE_MAX || s == SIZE_MAX) {
		r->orphans++;
		return;
	}
	sys_add(r, &r->sys[s], a, it);
	if (um_streq(r->sys[s].rec->role, "orchestrator"))
		rlog_add(&r->sys[s].rl, r->cats[r->cat_of[it]], evs, n);
}

static void rep_add_ttft(void *ctx, const char *system, int64_t ttft_ms)
{
	rep_state *r = ctx;
	size_t s = find_sys(r, system);

	/* a system not in the run's list is left out, as an orphan attempt is */
	if (s != SIZE_MAX && ttft_ms >= 0)
		stats_counts_add(&r->sys[s].ttft, ttft_ms);
}

/* Loaded data read as the store would stream it: attempts sorted, each with
 * its routing events (d->routing is ordered by attempt id). */
static void rep_feed_loaded(rep_state *r, const um_run_data *d)
{
	const um_attempt_rec **atts = (const um_attempt_rec **)sorted_ptrs(
		d->attempts, d->n_attempts, sizeof(*d->attempts), cmp_attempt);
	size_t i;

	for (i = 0; i < d->n_attempts; i++) {
		const um_routing_rec *ev = NULL, *end;
		um_routing_rec key;

		memset(&key, 0, sizeof(key));
		key.attempt_id = atts[i]->attempt_id;
		if (d->n_routing && atts[i]->attempt_id)
			ev = bsearch(&key, d->routing, d->n_routing, sizeof(*d->routing), cmp_rout);
		/* back up to the first event of this attempt */
		while (ev && ev > d->routing && !strcmp(ev[-1].attempt_id, key.attempt_id))
			ev--;
		for (end = ev; end && end < d->routing + d->n_routing &&
			       !strcmp(end->attempt_id, key.attempt_id);
		     end++)
			;
		rep_add(r, atts[i], ev, ev ? (size_t)(end - ev) : 0);
	}
	if (r->blk_item)
		blk_flush(r);
	free(atts);
	for (i = 0; i < d->n_ttft; i++)
		rep_add_ttft(r, d->ttft[i].system, d->ttft[i].ttft_ms);
	r->routing = d->n_routing;
	for (i = 0; i < d->n_routing; i++)
		r->unattributed += !d->routing[i].attempt_id || !*d->routing[i].attempt_id;
}

/* The checks and state every report starts with; o gets generated_at. */
static int report_begin(rep_state *r, const um_run_data *d, const um_report_opts *opts,
			json_t *o, um_error *err)
{
	double level = opts && opts->level != 0.0 ? opts->level : REPORT_DEFAULT_LEVEL;

	if (!d)
		return um_fail(err, UM_ERR_INTERNAL, "report_build: no run data");
	if (!(level > 0.0 && level < 1.0))
		return um_fail(err, UM_ERR_USAGE, "confidence level %g is not between 0 and 1",
			       level);
	if (generated_at(o, err) < 0 || rep_init(r, d, opts, level, err) < 0)
		return -1;
	if (r->methods < 1 || r->methods > REPORT_METHODS) {
		um_fail(err, UM_ERR_USAGE, "statistical methods %d: this umpire has 1 to %d",
			r->methods, REPORT_METHODS);
		rep_release(r);
		return -1;
	}
	return 0;
}

/* The report object from the sums of every attempt; releases r. */
static json_t *report_finish(rep_state *r, json_t *o, um_error *err)
{
	const um_run_data *d = r->d;
	json_t *systems, *pr, *e, *cache, *rl, *rt;
	um_route_opts ro = {d->run.seed, 0, r->methods};
	uint64_t n_errors;
	size_t i;
	int complete;

	set(o, "umpire_report", jint(REPORT_FORMAT));
	if (r->methods >= 2)
		set(o, "methods", jint(r->methods));
	set(o, "run", run_section(&d->run));
	set(o, "level", jreal(r->level));
	set(o, "items", jint((int64_t)r->n_items));
	if (r->partial) /* absent for 0/1 runs: their reports stay as they were */
		set(o, "scoring", json_string("partial"));
	set(o, "calls", jint((int64_t)d->n_calls));

	systems = json_array();
	complete = r->n_sys > 0 && r->n_items > 0;
	for (i = 0; i < r->n_sys; i++) {
		json_array_append_new(systems, system_section(r, &r->sys[i]));
		if (r->sys[i].errors || r->sys[i].graded + r->sys[i].outcomes < r->planned)
			complete = 0;
	}
	set(o, "systems", systems);
	set(o, "complete", json_boolean(complete));
	set(o, "parity", parity_section(r));
	if (!(pr = paired_section(r, err)))
		goto fail;
	set(o, "paired", pr);
	set(o, "claims", claims_section(r));
	set(o, "claimed_gaps", claimed_gaps_section(r));
	e = json_object();
	set(e, "groups", errors_section(r, &n_errors));
	set(e, "total", jint((int64_t)n_errors));
	set(o, "infrastructure_errors", e);
	set(o, "orphan_attempts", jint((int64_t)r->orphans));
	cache = r->cache ? (json_array_size(r->cache) ? json_incref(r->cache) : NULL)
			 : cache_section(d);
	if (cache)
		set(o, "cached_attempts", cache);
	if ((rl = routing_log_section(r)))
		set(o, "routing_log", rl);
	if (r->route) {
		rt = route_acc_json(r->route, &ro);
		r->route = NULL;
	} else {
		rt = route_eval_json_opts(d, &ro, err);
	}
	if (!rt)
		goto fail;
	set(o, "routing", rt);
	rep_release(r);
	return o;
fail:
	rep_release(r);
	json_decref(o);
	return NULL;
}

json_t *report_build(const um_run_data *d, const um_report_opts *opts, um_error *err)
{
	json_t *o = json_object();
	rep_state r;

	if (report_begin(&r, d, opts, o, err) < 0) {
		json_decref(o);
		return NULL;
	}
	rep_feed_loaded(&r, d);
	return report_finish(&r, o, err);
}

static int rep_scan_row(void *ctx, const um_attempt_rec *a, const um_routing_rec *evs, size_t n)
{
	rep_add(ctx, a, evs, n);
	return 0;
}

json_t *report_build_store(um_store *st, const um_run_data *meta, const um_report_opts *opts,
			   um_error *err)
{
	json_t *o = json_object();
	um_run_counts cnt;
	rep_state r;
	int extras = 0;

	if (report_begin(&r, meta, opts, o, err) < 0) {
		json_decref(o);
		return NULL;
	}
	r.cache = json_array();
	if (!(r.route = route_acc_new(meta, err)) ||
	    store_run_counts(st, meta->run.run_id, &cnt, err) < 0 ||
	    store_scan_calls(st, meta->run.run_id, rep_add_ttft, &r, &extras, err) < 0 ||
	    store_scan_attempts(st, meta->run.run_id,
				(cnt.routing ? STORE_SCAN_ROUTING : 0) |
					(extras ? STORE_SCAN_CALL_TOKENS : 0),
				rep_scan_row, &r, err) != 0) {
		rep_release(&r);
		json_decref(o);
		return NULL;
	}
	if (r.blk_item)
		blk_flush(&r);
	r.routing = cnt.routing;
	r.unattributed = cnt.unattributed;
	return report_finish(&r, o, err);
}

int report_methods_of(const json_t *report)
{
	json_t *m = json_object_get(report, "methods");

	return json_is_integer(m) ? (int)json_integer_value(m) : 1;
}

char *report_json_text(const json_t *report)
{
	char *s = json_dumps(report, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(6));
	char *out;

	if (!s)
		return um_xstrdup("null\n");
	out = um_xasprintf("%s\n", s);
	free(s);
	return out;
}
