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

/* ---- working state ---------------------------------------------------- */

typedef struct rep_att {
	const um_attempt_rec *a;
	size_t item;   /* index into rep.items */
	size_t cat;    /* index into rep.cats */
} rep_att;

typedef struct rep_sys {
	const um_system_rec *rec;
	rep_att *att;  /* sorted by (item, sample) */
	size_t n_att;
	uint64_t graded, correct, errors; /* correct: full credit (score 1) */
	uint64_t outcomes;      /* ended ungraded, not errors (context overflow, judge error) */
	double score_sum;                 /* of store_attempt_value over the graded */
	int64_t cost;
	um_acc acc; /* valid when graded > 0 */
	int64_t *ttft; /* times to first token of its streamed calls */
	size_t n_ttft;
} rep_sys;

typedef struct rep_state {
	const um_run_data *d;
	double level, z;
	const um_item_rec **items;
	size_t n_items;
	const char **cats; /* distinct categories, sorted */
	size_t n_cats;
	rep_sys *sys;
	size_t n_sys;
	uint64_t repeats, planned; /* planned per system */
	uint64_t orphans;
	const char *reference; /* the user's reference system, or NULL */
	int methods;           /* REPORT_METHODS or an earlier one */
	int partial;           /* some graded attempt scored strictly between 0 and 1 */
	int judged;            /* a judged suite's run (report/judged.h) */
	int scicode;           /* a scicode suite's run (report/scicode.h) */
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

static void rep_release(rep_state *r)
{
	size_t i;

	for (i = 0; i < r->n_sys; i++) {
		free(r->sys[i].att);
		free(r->sys[i].ttft);
	}
	free(r->sys);
	free(r->items);
	free(r->cats);
}

/* Times to first token dealt to their systems (a system not in the run's
 * list is left out, as an orphan attempt is). */
static void rep_deal_ttft(rep_state *r)
{
	const um_run_data *d = r->d;
	size_t i, *cap = um_xcalloc(r->n_sys ? r->n_sys : 1, sizeof(*cap));

	for (i = 0; i < d->n_ttft; i++) {
		size_t s = find_sys(r, d->ttft[i].system);
		rep_sys *rs;

		if (s == SIZE_MAX || d->ttft[i].ttft_ms < 0)
			continue;
		rs = &r->sys[s];
		um_xgrow((void **)&rs->ttft, &cap[s], rs->n_ttft + 1, sizeof(*rs->ttft));
		rs->ttft[rs->n_ttft++] = d->ttft[i].ttft_ms;
	}
	free(cap);
}

static int rep_init(rep_state *r, const um_run_data *d, double level, um_error *err)
{
	const um_system_rec **systems;
	const um_attempt_rec **atts;
	size_t i, *cap;

	memset(r, 0, sizeof(*r));
	r->d = d;
	r->level = level;
	r->z = stats_z_for_level(level);
	r->repeats = d->run.repeats > 0 ? (uint64_t)d->run.repeats : 1;

	r->items = (const um_item_rec **)sorted_ptrs(d->items, d->n_items, sizeof(*d->items),
						      cmp_item);
	r->n_items = d->n_items;
	for (i = 0; i < r->n_items; i++) {
		if (!r->items[i]->item_id || !r->items[i]->category) {
			um_fail(err, UM_ERR_INVALID, "report: item without id or category");
			goto fail;
		}
		if (i && strcmp(r->items[i - 1]->item_id, r->items[i]->item_id) == 0) {
			um_fail(err, UM_ERR_INVALID, "report: item '%s' appears twice",
				r->items[i]->item_id);
			goto fail;
		}
	}
	r->planned = r->n_items * r->repeats;
	r->judged = um_streq(d->run.suite_kind, "judged");
	r->scicode = um_streq(d->run.suite_kind, "scicode");

	r->cats = um_xmalloc((r->n_items ? r->n_items : 1) * sizeof(*r->cats));
	for (i = 0; i < r->n_items; i++)
		r->cats[i] = r->items[i]->category;
	qsort(r->cats, r->n_items, sizeof(*r->cats), cmp_str);
	for (i = 0; i < r->n_items; i++)
		if (r->n_cats == 0 || strcmp(r->cats[r->n_cats - 1], r->cats[i]) != 0)
			r->cats[r->n_cats++] = r->cats[i];

	systems = (const um_system_rec **)sorted_ptrs(d->systems, d->n_systems,
						      sizeof(*d->systems), cmp_system);
	r->sys = um_xcalloc(d->n_systems ? d->n_systems : 1, sizeof(*r->sys));
	r->n_sys = d->n_systems;
	for (i = 0; i < r->n_sys; i++) {
		r->sys[i].rec = systems[i];
		if (!systems[i]->name) {
			free(systems);
			um_fail(err, UM_ERR_INVALID, "report: system without a name");
			goto fail;
		}
		if (i && strcmp(systems[i - 1]->name, systems[i]->name) == 0) {
			um_fail(err, UM_ERR_INVALID, "report: system '%s' appears twice",
				systems[i]->name);
			free(systems);
			goto fail;
		}
	}
	free(systems);

	/* Attempts in (item, system, sample) order, dealt to their systems. */
	atts = (const um_attempt_rec **)sorted_ptrs(d->attempts, d->n_attempts,
						    sizeof(*d->attempts), cmp_attempt);
	cap = um_xcalloc(r->n_sys ? r->n_sys : 1, sizeof(*cap));
	for (i = 0; i < d->n_attempts; i++) {
		const um_attempt_rec *a = atts[i];
		size_t it = find_item(r, a->item_id), s = find_sys(r, a->system);
		rep_sys *rs;
		rep_att *ra;

		if (it == SIZE_MAX || s == SIZE_MAX) {
			r->orphans++;
			continue;
		}
		rs = &r->sys[s];
		um_xgrow((void **)&rs->att, &cap[s], rs->n_att + 1, sizeof(*rs->att));
		ra = &rs->att[rs->n_att++];
		ra->a = a;
		ra->item = it;
		ra->cat = find_cat(r, r->items[it]->category);
		r->partial |= store_attempt_graded(a) && store_attempt_partial(a);
	}
	free(cap);
	free(atts);
	rep_deal_ttft(r);
	return 0;
fail:
	rep_release(r);
	return -1;
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

/* Distinct non-null strings of the attempts with their counts, sorted. */
static json_t *distinct_counts(const rep_sys *rs, int fingerprint, int with_counts)
{
	const char **v = um_xmalloc((rs->n_att ? rs->n_att : 1) * sizeof(*v));
	size_t n = 0, i, j;
	json_t *out = json_array();

	for (i = 0; i < rs->n_att; i++) {
		const char *s = fingerprint ? rs->att[i].a->fingerprint
					    : rs->att[i].a->served_model;
		if (s)
			v[n++] = s;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && strcmp(v[i], v[j]) == 0; j++)
			;
		if (with_counts) {
			json_t *o = json_object();
			set(o, "model", json_string(v[i]));
			set(o, "attempts", jint((int64_t)(j - i)));
			json_array_append_new(out, o);
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
	size_t cap = rs->n_att ? rs->n_att : 1, c, i;
	int64_t *lat = um_xmalloc(cap * sizeof(*lat));
	double *scores = um_xmalloc(cap * sizeof(*scores));
	size_t *cluster = um_xmalloc(cap * sizeof(*cluster));

	for (c = 0; c < r->n_cats; c++) {
		uint64_t n = 0, correct = 0, errors = 0;
		int64_t cost = 0;
		json_t *o = json_object();
		um_acc acc;

		for (i = 0; i < rs->n_att; i++) {
			const um_attempt_rec *a = rs->att[i].a;
			if (rs->att[i].cat != c)
				continue;
			cost += a->cost_micro;
			if (is_graded(a)) {
				scores[n] = store_attempt_value(a);
				cluster[n] = rs->att[i].item;
				lat[n++] = a->latency_ms;
				correct += a->score > 0;
			} else if (!is_outcome(a)) {
				errors++;
			}
		}
		acc = stats_accuracy(scores, cluster, n, r->level);
		set(o, "name", json_string(r->cats[c]));
		set(o, "n", jint((int64_t)n));
		set(o, "correct", jint((int64_t)correct));
		set(o, "errors", jint((int64_t)errors));
		set(o, "accuracy", acc_obj(&acc, n > 0));
		set(o, "cost_micro", jint(cost));
		set(o, "latency_p50_ms", n ? jint(stats_percentile_i64(lat, n, 50)) : json_null());
		json_array_append_new(arr, o);
	}
	free(lat);
	free(scores);
	free(cluster);
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
	uint64_t *n = um_xcalloc(r->n_items + 1, sizeof(*n));
	uint64_t *c = um_xcalloc(r->n_items + 1, sizeof(*c)), k;
	double *at = um_xmalloc((r->n_items + 1) * sizeof(*at));
	double *hat = um_xmalloc((r->n_items + 1) * sizeof(*hat));
	json_t *arr;
	size_t i;

	if (r->repeats < 2 || r->partial) {
		free(n);
		free(c);
		free(at);
		free(hat);
		return NULL;
	}
	arr = json_array();
	for (i = 0; i < rs->n_att; i++)
		if (is_graded(rs->att[i].a)) {
			n[rs->att[i].item]++;
			c[rs->att[i].item] += rs->att[i].a->score > 0;
		}
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
	free(n);
	free(c);
	free(at);
	free(hat);
	return arr;
}

/* Repository repair, summed over a system's attempts. */
typedef struct swe_tally {
	int64_t tasks, submitted, resolved_sub, not_applied, timed_out, predicted, resolved;
	int64_t vendor_compared, vendor_agree;
	json_t *strategies, *rules, *vendor_only, *umpire_only; /* instance ids */
} swe_tally;

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
 * why the agent stopped. Summed per system; NULL when there are none. */
static json_t *agent_section(const rep_sys *rs)
{
	json_t *o, *stops = json_object(), *broken = json_array();
	int64_t turns = 0, calls = 0, malformed = 0, n = 0, oracle = 0;
	int64_t replayed = 0, replay_agree = 0, rewarded = 0, full = 0;
	double reward_sum = 0;
	swe_tally sw = {0};
	size_t i;

	sw.strategies = json_object();
	sw.vendor_only = json_array();
	sw.umpire_only = json_array();
	for (i = 0; i < rs->n_att; i++) {
		const um_attempt_rec *a = rs->att[i].a;
		json_t *dj, *v;
		const char *stop;

		if (!a->detail_json || !is_graded(a))
			continue;
		dj = json_loads(a->detail_json, 0, NULL);
		if (!json_is_object(dj) ||
		    um_streq(json_string_value(json_object_get(dj, "verdict")), "code_tests")) {
			if (dj) /* code attempts have their own section */
				json_decref(dj);
			continue;
		}
		n++;
		turns += json_integer_value(json_object_get(dj, "turns"));
		calls += json_integer_value(json_object_get(dj, "tool_calls"));
		malformed += json_integer_value(json_object_get(dj, "malformed_tool_calls"));
		stop = json_string_value(json_object_get(dj, "stop_reason"));
		if (stop && *stop) {
			v = json_object_get(stops, stop);
			json_object_set_new(stops, stop,
					    jint((v ? json_integer_value(v) : 0) + 1));
		}
		if (json_is_number(json_object_get(dj, "reward"))) {
			/* reward files (Harbor): fractional rewards keep their value */
			double r = json_number_value(json_object_get(dj, "reward"));
			rewarded++;
			reward_sum += r;
			full += r >= 1.0;
		}
		if (json_is_integer(json_object_get(dj, "replayed_score"))) {
			replayed++;
			replay_agree += json_integer_value(json_object_get(dj, "replayed_score")) ==
					a->score;
		}
		swe_count(&sw, a, dj);
		if (json_is_true(json_object_get(dj, "oracle"))) {
			oracle = 1;
			broken_add(broken, a);
		}
		json_decref(dj);
	}
	if (!n) {
		json_decref(stops);
		json_decref(broken);
		json_decref(sw.strategies);
		json_decref(sw.vendor_only);
		json_decref(sw.umpire_only);
		return NULL;
	}
	o = json_object();
	set(o, "attempts", jint(n));
	set(o, "turns_total", jint(turns));
	set(o, "turns_mean", jreal((double)turns / (double)n));
	set(o, "tool_calls", jint(calls));
	set(o, "malformed_tool_calls", jint(malformed));
	set(o, "stop_reasons", stops);
	if (rewarded) {
		json_t *rw = json_object();
		set(rw, "attempts", jint(rewarded));
		set(rw, "mean_reward", jreal(reward_sum / (double)rewarded));
		set(rw, "full_reward_share", jreal((double)full / (double)rewarded));
		set(o, "rewards", rw);
	}
	if (replayed) {
		/* replay mode: the same commands again, the same verdict? */
		json_t *rp = json_object();
		set(rp, "attempts", jint(replayed));
		set(rp, "same_verdict", jint(replay_agree));
		set(o, "replay", rp);
	}
	if (sw.tasks) {
		set(o, "swe", swe_json(&sw));
	} else {
		json_decref(sw.strategies);
		json_decref(sw.vendor_only);
		json_decref(sw.umpire_only);
		if (sw.rules)
			json_decref(sw.rules);
	}
	if (oracle) {
		/* a task whose reference solution fails its own tests is broken */
		set(o, "broken_tasks", broken);
	} else {
		json_decref(broken);
	}
	return o;
}

/* What only some providers report, each key present only when there is
 * something to say (so a run without them reports as before): reasoning
 * tokens (part of tokens.out) and prompt-cache writes (part of tokens.in),
 * and the time to first token of the streamed calls that succeeded. */
static void provider_extras(const rep_sys *rs, json_t *o, json_t *tok)
{
	int64_t reasoning = 0, written = 0;
	size_t i;

	for (i = 0; i < rs->n_att; i++) {
		reasoning += rs->att[i].a->tokens_reasoning;
		written += rs->att[i].a->tokens_cache_write;
	}
	if (reasoning > 0)
		set(tok, "reasoning", jint(reasoning));
	if (written > 0)
		set(tok, "cache_write", jint(written));
	if (rs->n_ttft) {
		json_t *t = json_object();

		set(t, "calls", jint((int64_t)rs->n_ttft));
		set(t, "p50", jint(stats_percentile_i64(rs->ttft, rs->n_ttft, 50)));
		set(t, "p90", jint(stats_percentile_i64(rs->ttft, rs->n_ttft, 90)));
		set(o, "ttft_ms", t);
	}
}

/* Code attempts (detail verdict code_tests, docs/code.md): how each ended,
 * by the verdict of its first failing test ("passed" when none failed,
 * "no_program" when the answer held none), and the tests run and passed.
 * NULL when there are none. */
static json_t *code_section(const rep_sys *rs)
{
	json_t *o, *ends = json_object(), *broken = json_array();
	int64_t n = 0, no_prog = 0, run = 0, passed = 0, oracle = 0;
	size_t i, k;

	for (i = 0; i < rs->n_att; i++) {
		const um_attempt_rec *a = rs->att[i].a;
		const char *end = "passed", *v;
		json_t *dj, *t, *c;

		if (!a->detail_json || !is_graded(a))
			continue;
		dj = json_loads(a->detail_json, 0, NULL);
		if (!um_streq(json_string_value(json_object_get(dj, "verdict")), "code_tests")) {
			if (dj)
				json_decref(dj);
			continue;
		}
		n++;
		if (json_is_false(json_object_get(dj, "program"))) {
			no_prog++;
			end = "no_program";
		}
		json_array_foreach(json_object_get(dj, "tests"), k, t) {
			v = json_string_value(json_object_get(t, "v"));
			if (!v || !strcmp(v, "not_run"))
				continue;
			run++;
			if (!strcmp(v, "passed"))
				passed++;
			else if (!strcmp(end, "passed"))
				end = v;
		}
		c = json_object_get(ends, end);
		json_object_set_new(ends, end, jint((c ? json_integer_value(c) : 0) + 1));
		if (json_is_true(json_object_get(dj, "oracle"))) {
			oracle = 1; /* a problem whose reference program fails is broken */
			broken_add(broken, a);
		}
		json_decref(dj);
	}
	if (!n) {
		json_decref(ends);
		json_decref(broken);
		return NULL;
	}
	o = json_object();
	set(o, "attempts", jint(n));
	set(o, "no_program", jint(no_prog));
	set(o, "tests_run", jint(run));
	set(o, "tests_passed", jint(passed));
	set(o, "ended_by", ends);
	if (oracle)
		set(o, "broken_problems", broken);
	else
		json_decref(broken);
	return o;
}

static json_t *scicode_section(const rep_state *r, const rep_sys *rs)
{
	const um_attempt_rec **atts = um_xmalloc((rs->n_att ? rs->n_att : 1) * sizeof(*atts));
	json_t *o;
	size_t i;

	for (i = 0; i < rs->n_att; i++)
		atts[i] = rs->att[i].a;
	o = scicode_report_system(atts, rs->n_att, r->items, r->n_items, r->repeats);
	free(atts);
	return o;
}

static json_t *judged_section(const rep_state *r, const rep_sys *rs)
{
	const um_attempt_rec **atts = um_xmalloc((rs->n_att ? rs->n_att : 1) * sizeof(*atts));
	size_t *item_of = um_xmalloc((rs->n_att ? rs->n_att : 1) * sizeof(*item_of));
	json_t *o;
	size_t i;

	for (i = 0; i < rs->n_att; i++) {
		atts[i] = rs->att[i].a;
		item_of[i] = rs->att[i].item;
	}
	o = judged_report_system(atts, item_of, rs->n_att, r->items);
	free(atts);
	free(item_of);
	return o;
}

static void count_key(json_t *o, const char *key)
{
	json_t *cur = json_object_get(o, key);

	json_object_set_new(o, key, jint((cur ? json_integer_value(cur) : 0) + 1));
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
static void kind_section(const rep_state *r, const rep_sys *rs, json_t *o)
{
	json_t *ag, *cs;

	if (r->judged) {
		set(o, "judged", judged_section(r, rs));
		return;
	}
	if (r->scicode) {
		set(o, "scicode", scicode_section(r, rs));
		return;
	}
	ag = agent_section(rs);
	if (ag)
		set(o, "agent", ag);
	cs = code_section(rs);
	if (cs)
		set(o, "code", cs);
}

static json_t *system_section(rep_state *r, rep_sys *rs)
{
	json_t *o = json_object(), *by_class = json_object(), *outcomes = json_object();
	json_t *tok = json_object(), *lat_o = json_object(), *acc;
	size_t n = rs->n_att, i, g = 0;
	double *scores = um_xmalloc((n ? n : 1) * sizeof(*scores));
	size_t *cluster = um_xmalloc((n ? n : 1) * sizeof(*cluster));
	int64_t *lat = um_xmalloc((n ? n : 1) * sizeof(*lat));
	int64_t tin = 0, tcached = 0, tout = 0, calls = 0, retries = 0, cached = 0;
	size_t n_lat = 0;

	rs->cost = 0;
	for (i = 0; i < n; i++) {
		const um_attempt_rec *a = rs->att[i].a;

		tin += a->tokens_in;
		tcached += a->tokens_cached;
		tout += a->tokens_out;
		rs->cost += a->cost_micro;
		calls += a->n_calls;
		retries += a->n_calls > 1 ? a->n_calls - 1 : 0;
		cached += a->cached != 0;
		if (is_graded(a)) {
			scores[g] = store_attempt_value(a);
			rs->score_sum += scores[g];
			cluster[g] = rs->att[i].item;
			/* a cached answer took no call: its latency says nothing */
			if (!a->cached)
				lat[n_lat++] = a->latency_ms;
			rs->correct += a->score > 0;
			g++;
		} else if (is_outcome(a)) {
			count_key(outcomes, a->outcome);
			rs->outcomes++;
		} else {
			count_key(by_class, error_class_of(a));
			rs->errors++;
		}
	}
	rs->graded = g;
	rs->acc = stats_accuracy(scores, cluster, g, r->level);

	set(o, "name", jstr(rs->rec->name));
	set(o, "role", jstr(rs->rec->role));
	set(o, "provider", jstr(rs->rec->provider));
	set(o, "model", jstr(rs->rec->model));
	set(o, "dropped_params", jstr(rs->rec->dropped_params));
	{
		json_t *served = distinct_counts(rs, 0, 1);
		/* one system answered by more than one model id within a run: the
		 * endpoint may have swapped the model under the benchmark */
		set(o, "possible_model_swap", json_boolean(json_array_size(served) > 1));
		set(o, "served_models", served);
	}
	set(o, "fingerprints", distinct_counts(rs, 1, 0));
	kind_section(r, rs, o);

	set(o, "attempts", attempts_obj(r, rs, by_class, outcomes));

	set(o, "correct", jint((int64_t)rs->correct));
	set(o, "accuracy", acc_obj(&rs->acc, g > 0));
	if ((acc = pass_k_section(r, rs)))
		set(o, "pass_at_k", acc);
	set(o, "accuracy_whole_suite",
	    r->planned ? jreal(rs->score_sum / (double)r->planned) : json_null());

	set(tok, "in", jint(tin));
	set(tok, "cached", jint(tcached));
	set(tok, "out", jint(tout));
	provider_extras(rs, o, tok);
	set(o, "tokens", tok);
	set(o, "cost_micro", jint(rs->cost));
	set(o, "cost_per_item_micro", jmoney_div(rs->cost, g));
	set(o, "cost_per_correct_micro", jmoney_div(rs->cost, rs->correct));
	set(lat_o, "p50", n_lat ? jint(stats_percentile_i64(lat, n_lat, 50)) : json_null());
	set(lat_o, "p90", n_lat ? jint(stats_percentile_i64(lat, n_lat, 90)) : json_null());
	if (cached)
		set(o, "cached_attempts", jint(cached));
	set(o, "latency_ms", lat_o);
	set(o, "calls", jint(calls));
	set(o, "retries", jint(retries));
	set(o, "categories", category_section(r, rs));

	free(scores);
	free(cluster);
	free(lat);
	return o;
}

/* ---- paired comparisons ------------------------------------------------ */

/* The per-item means of two systems over the (item, sample) pairs graded for
 * both, and the pooled within-item variance of the attempt differences. */
typedef struct rep_pairs {
	double *ma, *mb, *d;
	size_t n_items, n_pairs;
	uint64_t b, c;    /* pairs where only a (b) or only b (c) has full credit */
	double ra, rb;    /* sums of the scores */
	double var_w, inv_k; /* pooled within-item variance; mean of 1/pairs */
} rep_pairs;

static void pairs_flush(rep_pairs *p, double sa, double sb, double sdd, size_t k, double *ss_w,
			size_t *df_w)
{
	double m = (sa - sb) / (double)k;

	p->ma[p->n_items] = sa / (double)k;
	p->mb[p->n_items] = sb / (double)k;
	p->d[p->n_items] = p->ma[p->n_items] - p->mb[p->n_items];
	p->inv_k += 1.0 / (double)k;
	*ss_w += sdd - (double)k * m * m;
	*df_w += k - 1;
	p->n_items++;
}

/* Merge-join on (item, sample); both lists are sorted that way. */
static void pairs_collect(const rep_sys *sa, const rep_sys *sb, rep_pairs *p)
{
	size_t i = 0, j = 0, cur = SIZE_MAX, k = 0, cap, df_w = 0;
	double sum_a = 0, sum_b = 0, sdd = 0, ss_w = 0;

	memset(p, 0, sizeof(*p));
	cap = (sa->n_att < sb->n_att ? sa->n_att : sb->n_att) + 1;
	p->ma = um_xcalloc(cap, sizeof(double));
	p->mb = um_xcalloc(cap, sizeof(double));
	p->d = um_xcalloc(cap, sizeof(double));
	while (i < sa->n_att && j < sb->n_att) {
		const rep_att *x = &sa->att[i], *y = &sb->att[j];
		double xa, yb;

		if (x->item != y->item || x->a->sample != y->a->sample) {
			if (x->item < y->item ||
			    (x->item == y->item && x->a->sample < y->a->sample))
				i++;
			else
				j++;
			continue;
		}
		i++;
		j++;
		if (!is_graded(x->a) || !is_graded(y->a))
			continue;
		xa = store_attempt_value(x->a);
		yb = store_attempt_value(y->a);
		if (x->item != cur) {
			if (cur != SIZE_MAX)
				pairs_flush(p, sum_a, sum_b, sdd, k, &ss_w, &df_w);
			cur = x->item;
			sum_a = sum_b = sdd = 0;
			k = 0;
		}
		sum_a += xa;
		sum_b += yb;
		sdd += (xa - yb) * (xa - yb);
		k++;
		p->n_pairs++;
		p->ra += xa;
		p->rb += yb;
		p->b += xa == 1.0 && yb != 1.0;
		p->c += xa != 1.0 && yb == 1.0;
	}
	if (cur != SIZE_MAX)
		pairs_flush(p, sum_a, sum_b, sdd, k, &ss_w, &df_w);
	p->var_w = df_w ? ss_w / (double)df_w : NAN;
	if (p->n_items)
		p->inv_k /= (double)p->n_items;
}

static void pairs_release(rep_pairs *p)
{
	free(p->ma);
	free(p->mb);
	free(p->d);
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
	rep_pairs p;
	um_pdiff t;
	char key[512];
	int exact = 1;
	double pv;

	pairs_collect(sa, sb, &p);
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
	set(o, "only_a_correct", jint((int64_t)p.b));
	set(o, "only_b_correct", jint((int64_t)p.c));
	/* McNemar treats pairs as independent and 0/1: only right with one
	 * sample and no partial credit */
	set(o, "mcnemar_p", r->repeats == 1 && !r->partial ? jreal(stats_mcnemar_exact(p.b, p.c))
							     : json_null());
	pairs_release(&p);
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

/* Error attempts of one system by (class, position in item/sample order). */
static int cmp_error(const void *x, const void *y)
{
	const rep_att *const *a = x, *const *b = y;
	int c = strcmp(error_class_of((*a)->a), error_class_of((*b)->a));

	if (c)
		return c;
	return (*a > *b) - (*a < *b);
}


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
	size_t s, i, j;

	*total = 0;
	for (s = 0; s < r->n_sys; s++) {
		const rep_sys *rs = &r->sys[s];
		const rep_att **e = um_xmalloc((rs->n_att ? rs->n_att : 1) * sizeof(*e));
		size_t n = 0;

		for (i = 0; i < rs->n_att; i++)
			if (!is_graded(rs->att[i].a) && !is_outcome(rs->att[i].a))
				e[n++] = &rs->att[i];
		qsort(e, n, sizeof(*e), cmp_error);
		for (i = 0; i < n; i = j) {
			const char *cls = error_class_of(e[i]->a);
			json_t *o = json_object();

			for (j = i; j < n && strcmp(error_class_of(e[j]->a), cls) == 0; j++)
				;
			set(o, "system", jstr(rs->rec->name));
			set(o, "error_class", json_string(cls));
			set(o, "count", jint((int64_t)(j - i)));
			set(o, "first_item_id", jstr(e[i]->a->item_id));
			set(o, "first_sample", jint(e[i]->a->sample));
			set(o, "first_message", jstr(e[i]->a->error_msg));
			json_array_append_new(arr, o);
			*total += j - i;
		}
		free(e);
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

typedef struct par_row {
	const um_attempt_rec *a;
	const char *provider;
} par_row;

static int cmp_par(const void *x, const void *y)
{
	const par_row *a = x, *b = y;
	int c = strcmp(a->a->item_id, b->a->item_id);

	if (c)
		return c;
	if (a->a->sample != b->a->sample)
		return a->a->sample < b->a->sample ? -1 : 1;
	return strcmp(a->a->system, b->a->system);
}

/* Systems in rows[lo, hi) whose hash (neutral, or wire within provider)
 * differs from the group's most common one become one deviation entry. */
static void parity_group(const par_row *rows, size_t lo, size_t hi, const char *provider,
			 json_t *devs, uint64_t *n_dev)
{
	const char *first = NULL, *mode = NULL;
	size_t i, j, best = 0, members = 0;
	int differs = 0;
	json_t *sys;

	for (i = lo; i < hi; i++) {
		const char *h = provider ? rows[i].a->request_hash : rows[i].a->neutral_hash;
		size_t k = 0;
		if (provider && strcmp(rows[i].provider, provider) != 0)
			continue;
		members++;
		if (!first)
			first = h;
		else if (!um_streq(first, h))
			differs = 1;
		for (j = lo; j < hi; j++) {
			const char *h2 = provider ? rows[j].a->request_hash : rows[j].a->neutral_hash;
			if ((!provider || !strcmp(rows[j].provider, provider)) && um_streq(h, h2))
				k++;
		}
		if (k > best) {
			best = k;
			mode = h;
		}
	}
	if (members < 2 || !differs)
		return;
	(*n_dev)++;
	if (json_array_size(devs) >= 100)
		return;
	sys = json_array();
	for (i = lo; i < hi; i++) {
		const char *h = provider ? rows[i].a->request_hash : rows[i].a->neutral_hash;
		json_t *e;
		if (provider && strcmp(rows[i].provider, provider) != 0)
			continue;
		e = json_object();
		set(e, "system", jstr(rows[i].a->system));
		set(e, "hash", jstr(h));
		set(e, "deviates", json_boolean(!um_streq(h, mode)));
		json_array_append_new(sys, e);
	}
	{
		json_t *d = json_object();
		set(d, "item_id", jstr(rows[lo].a->item_id));
		set(d, "sample", jint(rows[lo].a->sample));
		set(d, "kind", provider ? json_sprintf("wire:%s", provider) : json_string("neutral"));
		set(d, "systems", sys);
		json_array_append_new(devs, d);
	}
}

/* From the stored request hashes: did every system get the same request
 * for every (item, sample), apart from the model field? The neutral hash
 * (messages + params) must agree across all systems; the wire hash (body
 * without model) across systems of one provider. */
static json_t *parity_section(const rep_state *r)
{
	const um_run_data *d = r->d;
	par_row *rows = um_xcalloc(d->n_attempts ? d->n_attempts : 1, sizeof(*rows));
	json_t *o = json_object(), *devs = json_array();
	uint64_t n_dev = 0, groups = 0, unhashed = 0;
	size_t n = 0, i, j;
	static const char *const providers[] = {"openai", "anthropic"};

	for (i = 0; i < d->n_attempts; i++) {
		const um_attempt_rec *a = &d->attempts[i];
		size_t si = find_sys(r, a->system);
		if (si >= r->n_sys)
			continue;
		if (!a->neutral_hash || !a->request_hash) {
			unhashed++;
			continue;
		}
		rows[n].a = a;
		rows[n].provider = r->sys[si].rec->provider ? r->sys[si].rec->provider : "";
		n++;
	}
	qsort(rows, n, sizeof(*rows), cmp_par);
	for (i = 0; i < n; i = j) {
		size_t p;
		for (j = i; j < n && !strcmp(rows[j].a->item_id, rows[i].a->item_id) &&
			    rows[j].a->sample == rows[i].a->sample;
		     j++)
			;
		if (j - i < 2)
			continue;
		groups++;
		parity_group(rows, i, j, NULL, devs, &n_dev);
		for (p = 0; p < UM_ARRAY_LEN(providers); p++)
			parity_group(rows, i, j, providers[p], devs, &n_dev);
	}
	set(o, "groups_checked", jint((int64_t)groups));
	set(o, "attempts_without_hash", jint((int64_t)unhashed));
	set(o, "deviations", jint((int64_t)n_dev));
	set(o, "deviation_list", devs);
	set(o, "identical", json_boolean(n_dev == 0 && groups > 0));
	free(rows);
	return o;
}


/* ---- routing log ---------------------------------------------------------- */

static int cmp_rout(const void *a, const void *b)
{
	return strcmp(((const um_routing_rec *)a)->attempt_id,
		      ((const um_routing_rec *)b)->attempt_id);
}

/* What an orchestrator did downstream, from the routing events: sub-calls per
 * item, which sub-models served which categories, the true cost (its own bill
 * plus what its sub-calls cost) against the headline cost, and how its own
 * routing report reconciles with what the proxy observed. NULL when the run
 * has no routing events. */
static json_t *routing_log_section(const rep_state *r)
{
	const um_run_data *d = r->d;
	json_t *out, *systems;
	size_t si;

	if (!d->n_routing)
		return NULL;
	out = json_object();
	systems = json_array();
	for (si = 0; si < r->n_sys; si++) {
		const rep_sys *rs = &r->sys[si];
		json_t *o, *by_cat, *methods;
		int64_t obs_calls = 0, rep_calls = 0, obs_cost = 0, rep_cost = 0, obs_fail = 0;
		uint64_t graded = 0, correct = 0, with_events = 0, mismatched = 0;
		int64_t billed = 0;
		size_t i;

		if (!um_streq(rs->rec->role, "orchestrator"))
			continue;
		o = json_object();
		by_cat = json_object();
		methods = json_object();
		for (i = 0; i < rs->n_att; i++) {
			const um_attempt_rec *a = rs->att[i].a;
			const char *cat = r->cats[rs->att[i].cat];
			int64_t n_obs = 0, n_rep = 0;
			um_routing_rec key;
			const um_routing_rec *ev;

			billed += a->cost_micro;
			if (is_graded(a)) {
				graded++;
				correct += a->score > 0;
			}
			memset(&key, 0, sizeof(key));
			key.attempt_id = a->attempt_id;
			ev = bsearch(&key, d->routing, d->n_routing, sizeof(*d->routing), cmp_rout);
			/* back up to the first event of this attempt */
			while (ev && ev > d->routing && !strcmp(ev[-1].attempt_id, a->attempt_id))
				ev--;
			for (; ev && ev < d->routing + d->n_routing &&
			       !strcmp(ev->attempt_id, a->attempt_id);
			     ev++) {
				if (um_streq(ev->source, "proxy")) {
					json_t *cm, *cur;
					n_obs++;
					obs_cost += ev->cost_micro;
					obs_fail += ev->status < 200 || ev->status >= 300;
					cur = json_object_get(methods, ev->attribution);
					json_object_set_new(methods, ev->attribution,
							    jint((cur ? json_integer_value(cur) : 0) + 1));
					cm = json_object_get(by_cat, cat);
					if (!cm) {
						cm = json_object();
						json_object_set_new(by_cat, cat, cm);
					}
					cur = json_object_get(cm, ev->sub_model ? ev->sub_model : "?");
					json_object_set_new(cm, ev->sub_model ? ev->sub_model : "?",
							    jint((cur ? json_integer_value(cur) : 0) + 1));
				} else {
					n_rep++;
					rep_cost += ev->cost_micro;
				}
			}
			obs_calls += n_obs;
			rep_calls += n_rep;
			with_events += n_obs > 0;
			mismatched += n_rep > 0 && n_obs != n_rep;
		}
		set(o, "system", jstr(rs->rec->name));
		set(o, "attempts", jint((int64_t)rs->n_att));
		set(o, "attempts_with_observed_calls", jint((int64_t)with_events));
		set(o, "attribution", methods);
		set(o, "observed_calls", jint(obs_calls));
		set(o, "observed_failed_calls", jint(obs_fail));
		set(o, "reported_calls", jint(rep_calls));
		set(o, "attempts_reported_differently", jint((int64_t)mismatched));
		set(o, "calls_per_item", rs->n_att ? jreal((double)obs_calls / (double)rs->n_att)
						  : json_null());
		set(o, "headline_cost_micro", jint(billed));
		set(o, "downstream_cost_micro", jint(obs_cost));
		set(o, "reported_downstream_cost_micro", jint(rep_cost));
		set(o, "true_cost_micro", jint(billed + obs_cost));
		set(o, "headline_cost_per_item_micro", jmoney_div(billed, rs->n_att));
		set(o, "true_cost_per_item_micro", jmoney_div(billed + obs_cost, rs->n_att));
		set(o, "headline_cost_per_correct_micro", correct ? jmoney_div(billed, correct)
								  : json_null());
		set(o, "true_cost_per_correct_micro",
		    correct ? jmoney_div(billed + obs_cost, correct) : json_null());
		set(o, "sub_models_by_category", by_cat);
		json_array_append_new(systems, o);
	}
	{
		uint64_t unattributed = 0;
		size_t i;
		for (i = 0; i < d->n_routing; i++)
			unattributed += !d->routing[i].attempt_id || !*d->routing[i].attempt_id;
		set(out, "unattributed_events", jint((int64_t)unattributed));
	}
	set(out, "systems", systems);
	return out;
}

json_t *report_build(const um_run_data *d, const um_report_opts *opts, um_error *err)
{
	json_t *o, *systems;
	double level = opts && opts->level != 0.0 ? opts->level : REPORT_DEFAULT_LEVEL;
	uint64_t n_errors;
	size_t i;
	int complete;
	rep_state r;

	if (!d) {
		um_fail(err, UM_ERR_INTERNAL, "report_build: no run data");
		return NULL;
	}
	if (!(level > 0.0 && level < 1.0)) {
		um_fail(err, UM_ERR_USAGE, "confidence level %g is not between 0 and 1", level);
		return NULL;
	}
	o = json_object();
	if (generated_at(o, err) < 0) {
		json_decref(o);
		return NULL;
	}
	if (rep_init(&r, d, level, err) < 0) {
		json_decref(o);
		return NULL;
	}
	r.reference = opts ? opts->reference : NULL;
	r.methods = opts && opts->methods ? opts->methods : REPORT_METHODS;
	if (r.methods < 1 || r.methods > REPORT_METHODS) {
		um_fail(err, UM_ERR_USAGE, "statistical methods %d: this umpire has 1 to %d",
			r.methods, REPORT_METHODS);
		rep_release(&r);
		json_decref(o);
		return NULL;
	}

	set(o, "umpire_report", jint(REPORT_FORMAT));
	if (r.methods >= 2)
		set(o, "methods", jint(r.methods));
	set(o, "run", run_section(&d->run));
	set(o, "level", jreal(level));
	set(o, "items", jint((int64_t)r.n_items));
	if (r.partial) /* absent for 0/1 runs: their reports stay as they were */
		set(o, "scoring", json_string("partial"));
	set(o, "calls", jint((int64_t)d->n_calls));

	systems = json_array();
	complete = r.n_sys > 0 && r.n_items > 0;
	for (i = 0; i < r.n_sys; i++) {
		json_array_append_new(systems, system_section(&r, &r.sys[i]));
		if (r.sys[i].errors || r.sys[i].graded + r.sys[i].outcomes < r.planned)
			complete = 0;
	}
	set(o, "systems", systems);
	set(o, "complete", json_boolean(complete));
	set(o, "parity", parity_section(&r));
	{
		json_t *pr = paired_section(&r, err);
		if (!pr) {
			rep_release(&r);
			json_decref(o);
			return NULL;
		}
		set(o, "paired", pr);
	}
	set(o, "claims", claims_section(&r));
	set(o, "claimed_gaps", claimed_gaps_section(&r));
	{
		json_t *e = json_object();
		set(e, "groups", errors_section(&r, &n_errors));
		set(e, "total", jint((int64_t)n_errors));
		set(o, "infrastructure_errors", e);
	}
	set(o, "orphan_attempts", jint((int64_t)r.orphans));
	{
		json_t *cache = cache_section(d);
		if (cache)
			set(o, "cached_attempts", cache);
	}
	{
		json_t *rl = routing_log_section(&r);
		if (rl)
			set(o, "routing_log", rl);
	}
	rep_release(&r);
	{
		um_route_opts ro = {d->run.seed, 0, r.methods};
		json_t *rt = route_eval_json_opts(d, &ro, err);
		if (!rt) {
			json_decref(o);
			return NULL;
		}
		set(o, "routing", rt);
	}
	return o;
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
