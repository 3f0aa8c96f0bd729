/*
 * compare.c - two runs, system by system, with the gates a nightly CI
 * pipeline fails on (the rules are in compare.h). The comparison is a pure
 * function of the two stored runs, rendered from its JSON object only: a
 * terminal table, Markdown (a CI step summary) and JUnit XML (one test case
 * per system and gate, the failing items listed).
 */
#include "report/compare.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "base/util.h"
#include "report/stats.h"

#define COMPARE_DEFAULT_LEVEL 0.95
#define COMPARE_FLIPS 20000 /* Monte Carlo sign flips when not exact, as the report */

/* Reals rounded to 6 significant digits, as in report.json. */
static json_t *cmp_real(double v)
{
	char buf[32];

	if (!isfinite(v))
		return json_null();
	snprintf(buf, sizeof(buf), "%.6g", v);
	return json_real(strtod(buf, NULL));
}

/* The store's order of a run's attempts: (item, system, sample). */
static int cmp_key(const um_attempt_rec *a, const um_attempt_rec *b)
{
	int c = strcmp(a->item_id, b->item_id);

	if (!c)
		c = strcmp(a->system, b->system);
	return c ? c : (a->sample > b->sample) - (a->sample < b->sample);
}

typedef struct pair_acc {
	size_t n_pairs, n_items, k_item, max_k, cap_d;
	double *d, sum_b, sum_n; /* d: per item, mean new - mean base */
	char *cur_item;
	double right_b, right_n;  /* sums of the scores (store_attempt_value) */
	uint64_t only_b, only_n;  /* full credit (1) on one side only */
	int partial;              /* a score strictly between 0 and 1 was seen */
	int64_t cost_b, cost_n;
	um_counts lat_b, lat_n;   /* latencies of the pairs without a cached side */
	size_t n_lat;
	json_t *failing; /* [{item_id, sample}] base right, new wrong */
} pair_acc;

static void pair_close_item(pair_acc *p)
{
	if (!p->cur_item)
		return;
	um_xgrow((void **)&p->d, &p->cap_d, p->n_items + 1, sizeof(*p->d));
	p->d[p->n_items] = (p->sum_n - p->sum_b) / (double)p->k_item;
	if (p->k_item > p->max_k)
		p->max_k = p->k_item;
	p->n_items++;
}

static void pair_add(pair_acc *p, const um_attempt_rec *b, const um_attempt_rec *n)
{
	double xb = store_attempt_value(b), xn = store_attempt_value(n);

	if (!p->cur_item || strcmp(p->cur_item, b->item_id) != 0) {
		pair_close_item(p);
		free(p->cur_item);
		p->cur_item = um_xstrdup(b->item_id);
		p->sum_b = p->sum_n = 0;
		p->k_item = 0;
	}
	p->sum_b += xb;
	p->sum_n += xn;
	p->k_item++;
	p->n_pairs++;
	p->right_b += xb;
	p->right_n += xn;
	p->only_b += xb == 1.0 && xn != 1.0;
	p->only_n += xb != 1.0 && xn == 1.0;
	p->partial |= store_attempt_partial(b) || store_attempt_partial(n);
	p->cost_b += b->cost_micro;
	p->cost_n += n->cost_micro;
	if (!b->cached && !n->cached) {
		stats_counts_add(&p->lat_b, b->latency_ms);
		stats_counts_add(&p->lat_n, n->latency_ms);
		p->n_lat++;
	}
	if (xb == 1.0 && xn != 1.0)
		json_array_append_new(p->failing, json_pack("{s:s, s:i}", "item_id", b->item_id,
							    "sample", b->sample));
}

static void pair_release(pair_acc *p)
{
	free(p->d);
	free(p->cur_item);
	stats_counts_release(&p->lat_b);
	stats_counts_release(&p->lat_n);
	json_decref(p->failing);
}

/* A system both runs hold that is compared, and its pairs. */
typedef struct cmp_sys {
	const char *name; /* the base run's */
	pair_acc p;
} cmp_sys;

/* The next graded attempt of a side (*have 0 at its end): 0, or -1. */
static int next_graded(store_cursor *c, um_attempt_rec *a, int *have, um_error *err)
{
	int r;

	while ((r = store_cursor_next(c, a, err)) == 1)
		if (store_attempt_graded(a) && a->item_id)
			break;
	*have = r == 1;
	return r < 0 ? -1 : 0;
}

/* Merge-join the two runs' graded attempts on (item, system, sample), both
 * read in that order: each system's pairs come in (item, sample) order. */
static int pair_runs(store_cursor *cb, store_cursor *cn, cmp_sys *sys, size_t n_sys,
		     um_error *err)
{
	um_attempt_rec b, n;
	int hb, hn;
	size_t last = 0, k;

	if (next_graded(cb, &b, &hb, err) < 0 || next_graded(cn, &n, &hn, err) < 0)
		return -1;
	while (hb && hn) {
		int c = cmp_key(&b, &n);

		if (c == 0 && n_sys) {
			if (!um_streq(sys[last].name, b.system))
				for (k = 0; k < n_sys; k++)
					if (um_streq(sys[k].name, b.system))
						last = k;
			if (um_streq(sys[last].name, b.system))
				pair_add(&sys[last].p, &b, &n);
		}
		if (c <= 0 && next_graded(cb, &b, &hb, err) < 0)
			return -1;
		if (c >= 0 && next_graded(cn, &n, &hn, err) < 0)
			return -1;
	}
	return 0;
}

static json_t *gate(const char *name, int pass, const char *why, json_t *failing)
{
	json_t *g = json_pack("{s:s, s:b, s:s}", "gate", name, "pass", pass, "reason", why);

	if (failing)
		json_object_set(g, "failing_items", failing);
	return g;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : (a > 0 ? INFINITY : 1.0);
}

/* The gates of one system from its paired figures. */
/* The accuracy gate of one system (s holds its figures, p_holm set). */
static json_t *accuracy_gate(const json_t *s, const um_compare_opts *o, double level,
			     size_t family)
{
	double est = 0, lo = 0, hi = 0, ph = 1;
	char why[320];
	int n = (int)json_integer_value(json_object_get(s, "n_items")), sig, pass;

	jpath_num(s, "difference.value", &est);
	jpath_num(s, "difference.ci_lo", &lo);
	jpath_num(s, "difference.ci_hi", &hi);
	jpath_num(s, "test.p_holm", &ph);
	sig = n > 0 && hi < 0 && ph < 1.0 - level;
	pass = !(n > 0 && -est * 100.0 > o->max_drop_pp && sig);
	if (!n)
		snprintf(why, sizeof(why), "no item graded in both runs");
	else
		snprintf(why, sizeof(why),
			 "accuracy %+.1f pp (interval %+.1f to %+.1f pp, sign-flip p=%.3g after "
			 "Holm over %zu systems); fails on a significant drop of more than %.1f pp",
			 est * 100.0, lo * 100.0, hi * 100.0, ph, family, o->max_drop_pp);
	return gate("accuracy", pass, why,
		    pass ? NULL : (json_t *)json_object_get(s, "right_before_wrong_now"));
}

/* The cost and latency gates of one system. */
static json_t *system_gates(const pair_acc *p, const um_compare_opts *o, int64_t p50b,
			    int64_t p50n)
{
	json_t *gates = json_array();
	double r;
	char why[256];

	if (o->max_cost_ratio > 0) {
		r = ratio((double)p->cost_n, (double)p->cost_b);
		snprintf(why, sizeof(why), "cost per paired attempt x%.3g (limit x%.3g)", r,
			 o->max_cost_ratio);
		json_array_append_new(gates, gate("cost", !p->n_pairs || r <= o->max_cost_ratio,
						  why, NULL));
	}
	if (o->max_latency_ratio > 0) {
		r = ratio((double)p50n, (double)p50b);
		snprintf(why, sizeof(why), "median latency %lld ms -> %lld ms, x%.3g (limit x%.3g)",
			 (long long)p50b, (long long)p50n, r, o->max_latency_ratio);
		json_array_append_new(gates, gate("latency", !p->n_lat || r <= o->max_latency_ratio,
						  why, NULL));
	}
	return gates;
}

/* The paired figures of one system over the (item, sample) pairs both runs
 * graded, as the report pairs two systems: a t interval over the per-item
 * mean differences and the sign-flip permutation test over items (McNemar
 * only when every item has one pair). The accuracy gate is added by
 * compare_build once the p-values of all systems are known (Holm). */
static json_t *compare_system(const um_run_data *base, const char *name, pair_acc *p,
			      const um_compare_opts *o, double level)
{
	um_pdiff t;
	double pv;
	int exact = 1;
	int64_t p50b, p50n;
	json_t *s, *diff;

	pair_close_item(p);
	if (!p->d) /* no item paired */
		um_xgrow((void **)&p->d, &p->cap_d, 1, sizeof(*p->d));
	t = stats_paired_t(p->d, p->n_items, level);
	pv = stats_signflip_p(p->d, p->n_items, um_hash64(name, strlen(name), base->run.seed),
			      COMPARE_FLIPS, &exact);
	p50b = stats_counts_percentile(&p->lat_b, 50);
	p50n = stats_counts_percentile(&p->lat_n, 50);
	s = json_object();
	json_object_set_new(s, "system", json_string(name));
	json_object_set_new(s, "n_pairs", json_integer((json_int_t)p->n_pairs));
	json_object_set_new(s, "n_items", json_integer((json_int_t)p->n_items));
	json_object_set_new(s, "accuracy_base",
			    p->n_pairs ? cmp_real(p->right_b / (double)p->n_pairs) : json_null());
	json_object_set_new(s, "accuracy_new",
			    p->n_pairs ? cmp_real(p->right_n / (double)p->n_pairs) : json_null());
	diff = json_object();
	json_object_set_new(diff, "value", p->n_items ? cmp_real(t.est) : json_null());
	json_object_set_new(diff, "ci_lo", p->n_items ? cmp_real(t.lo) : json_null());
	json_object_set_new(diff, "ci_hi", p->n_items ? cmp_real(t.hi) : json_null());
	json_object_set_new(diff, "se", p->n_items ? cmp_real(t.se) : json_null());
	json_object_set_new(diff, "df", json_integer((json_int_t)t.df));
	json_object_set_new(s, "difference", diff);
	json_object_set_new(s, "test",
			    json_pack("{s:s, s:o}", "method",
				      exact ? "sign-flip permutation over items, exact"
					    : "sign-flip permutation over items, Monte Carlo",
				      "p", p->n_items ? cmp_real(pv) : json_null()));
	json_object_set_new(s, "only_base_correct", json_integer((json_int_t)p->only_b));
	json_object_set_new(s, "only_new_correct", json_integer((json_int_t)p->only_n));
	/* McNemar treats pairs as independent and 0/1: only right with one pair
	 * an item and no partial credit */
	json_object_set_new(s, "mcnemar_p", p->n_items && p->max_k == 1 && !p->partial
						    ? cmp_real(stats_mcnemar_exact(p->only_b, p->only_n))
						    : json_null());
	json_object_set_new(s, "right_before_wrong_now", json_incref(p->failing));
	json_object_set_new(s, "cost_base_micro", json_integer(p->cost_b));
	json_object_set_new(s, "cost_new_micro", json_integer(p->cost_n));
	json_object_set_new(s, "latency_p50_base_ms", p->n_lat ? json_integer(p50b) : json_null());
	json_object_set_new(s, "latency_p50_new_ms", p->n_lat ? json_integer(p50n) : json_null());
	json_object_set_new(s, "gates", system_gates(p, o, p50b, p50n));
	return s;
}

/* Holm over the systems' sign-flip p-values, then each accuracy gate. */
static void accuracy_gates(json_t *systems, const um_compare_opts *o, double level)
{
	size_t n = json_array_size(systems), i, fam = 0;
	double *pv = um_xcalloc(n + 1, sizeof(double)), *adj = um_xcalloc(n + 1, sizeof(double));
	json_t *s;

	json_array_foreach(systems, i, s) {
		double v;
		pv[i] = jpath_num(s, "test.p", &v) ? v : NAN;
		fam += !isnan(pv[i]);
	}
	stats_holm(pv, n, adj);
	json_array_foreach(systems, i, s) {
		json_t *test = json_object_get(s, "test");
		json_object_set_new(test, "p_holm", isnan(adj[i]) ? json_null() : cmp_real(adj[i]));
		json_array_insert_new(json_object_get(s, "gates"), 0, accuracy_gate(s, o, level, fam));
	}
	free(pv);
	free(adj);
}

static json_t *run_ref(const um_run_data *d)
{
	const um_run_info *r = &d->run;

	return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "run_id", r->run_id, "suite",
			 r->suite_name, "status", r->status, "suite_sha256", r->suite_sha256,
			 "scaffold_sha256", r->scaffold_sha256, "dataset_sha256", r->dataset_sha256,
			 "notes", r->notes_json);
}

static int wanted(const um_compare_opts *o, const char *name)
{
	int k;

	if (!o->n_systems)
		return 1;
	for (k = 0; k < o->n_systems; k++)
		if (um_streq(o->systems[k], name))
			return 1;
	return 0;
}

json_t *compare_build(const um_run_data *base, store_cursor *base_attempts,
		      const um_run_data *cur, store_cursor *cur_attempts, const um_compare_opts *o,
		      um_error *err)
{
	double level = o->level > 0 ? o->level : COMPARE_DEFAULT_LEVEL;
	json_t *out, *systems, *only, *g;
	cmp_sys *sys;
	size_t i, j, k, n_sys = 0, failed = 0;

	if (!(level > 0 && level < 1)) {
		um_fail(err, UM_ERR_USAGE, "confidence level %g is not between 0 and 1", level);
		return NULL;
	}
	systems = json_array();
	only = json_array();
	sys = um_xcalloc(base->n_systems + 1, sizeof(*sys));
	for (i = 0; i < base->n_systems; i++) {
		const char *name = base->systems[i].name;
		int shared = 0;
		for (j = 0; j < cur->n_systems; j++)
			shared |= um_streq(cur->systems[j].name, name);
		if (!wanted(o, name))
			continue;
		if (!shared) {
			json_array_append_new(only, json_string(name));
			continue;
		}
		sys[n_sys].name = name;
		sys[n_sys++].p.failing = json_array();
	}
	if (pair_runs(base_attempts, cur_attempts, sys, n_sys, err) < 0) {
		for (i = 0; i < n_sys; i++)
			pair_release(&sys[i].p);
		free(sys);
		json_decref(systems);
		json_decref(only);
		return NULL;
	}
	for (i = 0; i < n_sys; i++) {
		json_array_append_new(systems, compare_system(base, sys[i].name, &sys[i].p, o, level));
		pair_release(&sys[i].p);
	}
	free(sys);
	for (k = 0; k < (size_t)o->n_systems; k++) {
		int found = 0;
		json_array_foreach(systems, i, g) found |= um_streq(
			json_string_value(json_object_get(g, "system")), o->systems[k]);
		if (!found) {
			json_decref(systems);
			json_decref(only);
			um_fail(err, UM_ERR_NOTFOUND, "--system %s: not in both runs", o->systems[k]);
			return NULL;
		}
	}
	accuracy_gates(systems, o, level);
	json_array_foreach(systems, i, g) {
		json_t *x;
		json_array_foreach(json_object_get(g, "gates"), j, x) failed +=
			!json_is_true(json_object_get(x, "pass"));
	}
	out = json_object();
	json_object_set_new(out, "base", run_ref(base));
	json_object_set_new(out, "new", run_ref(cur));
	json_object_set_new(out, "same_dataset", json_boolean(um_streq(base->run.dataset_sha256,
								       cur->run.dataset_sha256)));
	json_object_set_new(out, "same_scaffold",
			    json_boolean(um_streq(base->run.scaffold_sha256, cur->run.scaffold_sha256)));
	json_object_set_new(out, "level", cmp_real(level));
	json_object_set_new(out, "thresholds",
			    json_pack("{s:o, s:o, s:o}", "max_drop_pp", cmp_real(o->max_drop_pp),
				      "max_cost_ratio",
				      o->max_cost_ratio > 0 ? cmp_real(o->max_cost_ratio) : json_null(),
				      "max_latency_ratio",
				      o->max_latency_ratio > 0 ? cmp_real(o->max_latency_ratio)
							       : json_null()));
	json_object_set_new(out, "systems", systems);
	json_object_set_new(out, "only_in_base", only);
	json_object_set_new(out, "failed_gates", json_integer((json_int_t)failed));
	json_object_set_new(out, "regression", json_boolean(failed > 0));
	return out;
}

/* ---- renderings ---------------------------------------------------------- */

static void pct(char *out, size_t n, const json_t *o, const char *path, int sign)
{
	double v;

	if (jpath_num(o, path, &v))
		snprintf(out, n, sign ? "%+.1f" : "%.1f", v * 100.0);
	else
		snprintf(out, n, "-");
}

/* The percentage cells of one system's row. */
typedef struct row_cells {
	char base[16], cur[16], diff[16], lo[16], hi[16];
	double p;
} row_cells;

static void row_cells_of(const json_t *s, row_cells *c)
{
	pct(c->base, sizeof(c->base), s, "accuracy_base", 0);
	pct(c->cur, sizeof(c->cur), s, "accuracy_new", 0);
	pct(c->diff, sizeof(c->diff), s, "difference.value", 1);
	pct(c->lo, sizeof(c->lo), s, "difference.ci_lo", 1);
	pct(c->hi, sizeof(c->hi), s, "difference.ci_hi", 1);
	c->p = 1;
	jpath_num(s, "test.p_holm", &c->p);
}

static const char *gate_mark(const json_t *s)
{
	const json_t *g;
	size_t i;

	json_array_foreach(json_object_get(s, "gates"), i, g) if (!json_is_true(
		json_object_get(g, "pass"))) return "FAIL";
	return "ok";
}

char *compare_text(const json_t *cmp)
{
	um_buf b = UM_BUF_INIT;
	const json_t *s;
	size_t i;

	um_buf_init(&b, 0);
	um_buf_printf(&b, "compare %s -> %s\n", jpath_str(cmp, "base.run_id"),
		      jpath_str(cmp, "new.run_id"));
	um_buf_printf(&b, "%-16s %6s %8s %8s %8s %18s %9s %s\n", "system", "pairs", "base %",
		      "new %", "diff pp", "interval pp", "p (Holm)", "gates");
	json_array_foreach(json_object_get(cmp, "systems"), i, s) {
		row_cells c;
		char iv[40];
		row_cells_of(s, &c);
		snprintf(iv, sizeof(iv), "[%s, %s]", c.lo, c.hi);
		um_buf_printf(&b, "%-16s %6lld %8s %8s %8s %18s %9.3g %s\n",
			      jpath_str(s, "system"), jpath_int(s, "n_pairs"), c.base, c.cur, c.diff,
			      iv, c.p, gate_mark(s));
	}
	um_buf_printf(&b, "%s: %lld gate(s) failed\n",
		      json_is_true(json_object_get(cmp, "regression")) ? "REGRESSION" : "no regression",
		      jpath_int(cmp, "failed_gates"));
	return um_buf_detach(&b);
}

char *compare_markdown(const json_t *cmp)
{
	um_buf b = UM_BUF_INIT;
	const json_t *s, *g, *it;
	size_t i, j, k;

	um_buf_init(&b, 0);
	um_buf_printf(&b, "## umpire compare: `%s` → `%s`\n\n", jpath_str(cmp, "base.run_id"),
		      jpath_str(cmp, "new.run_id"));
	um_buf_printf(&b, "%s\n\n", json_is_true(json_object_get(cmp, "regression"))
					     ? "**Regression**: at least one gate failed."
					     : "No regression: every gate passed.");
	if (!json_is_true(json_object_get(cmp, "same_dataset")))
		um_buf_puts(&b, "Note: the two runs used different datasets; only shared items "
				"are paired.\n\n");
	um_buf_puts(&b, "| System | Pairs | Base | New | Difference (pp) | Interval (pp) | "
			"p (sign-flip, Holm) | Gates |\n|---|---|---|---|---|---|---|---|\n");
	json_array_foreach(json_object_get(cmp, "systems"), i, s) {
		row_cells c;
		row_cells_of(s, &c);
		um_buf_printf(&b, "| %s | %lld | %s%% | %s%% | %s | [%s, %s] | %.3g | %s |\n",
			      jpath_str(s, "system"), jpath_int(s, "n_pairs"), c.base, c.cur, c.diff,
			      c.lo, c.hi, c.p, gate_mark(s));
	}
	um_buf_puts(&b, "\n");
	json_array_foreach(json_object_get(cmp, "systems"), i, s)
		json_array_foreach(json_object_get(s, "gates"), j, g) {
		if (json_is_true(json_object_get(g, "pass")))
			continue;
		um_buf_printf(&b, "- **%s / %s failed**: %s", jpath_str(s, "system"),
			      jpath_str(g, "gate"), jpath_str(g, "reason"));
		json_array_foreach(json_object_get(g, "failing_items"), k, it)
			um_buf_printf(&b, "%s `%s`#%lld", k ? "," : "; right before, wrong now:",
				      jpath_str(it, "item_id"), jpath_int(it, "sample"));
		um_buf_puts(&b, "\n");
	}
	return um_buf_detach(&b);
}

static void xml_escaped(um_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': um_buf_puts(b, "&amp;"); break;
		case '<': um_buf_puts(b, "&lt;"); break;
		case '>': um_buf_puts(b, "&gt;"); break;
		case '"': um_buf_puts(b, "&quot;"); break;
		case '\'': um_buf_puts(b, "&apos;"); break;
		default:
			/* XML 1.0 allows no control characters but tab and newlines */
			if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r')
				um_buf_putc(b, '?');
			else
				um_buf_putc(b, *s);
		}
	}
}

char *compare_junit(const json_t *cmp)
{
	um_buf b = UM_BUF_INIT;
	const json_t *s, *g, *it;
	size_t i, j, k, tests = 0;

	um_buf_init(&b, 0);
	json_array_foreach(json_object_get(cmp, "systems"), i, s)
		tests += json_array_size(json_object_get(s, "gates"));
	um_buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	um_buf_puts(&b, "  <testsuite name=\"umpire compare ");
	xml_escaped(&b, jpath_str(cmp, "base.run_id"));
	um_buf_puts(&b, " -&gt; ");
	xml_escaped(&b, jpath_str(cmp, "new.run_id"));
	um_buf_printf(&b, "\" tests=\"%zu\" failures=\"%lld\" errors=\"0\">\n", tests,
		      jpath_int(cmp, "failed_gates"));
	json_array_foreach(json_object_get(cmp, "systems"), i, s)
		json_array_foreach(json_object_get(s, "gates"), j, g) {
		um_buf_puts(&b, "    <testcase classname=\"");
		xml_escaped(&b, jpath_str(s, "system"));
		um_buf_puts(&b, "\" name=\"");
		xml_escaped(&b, jpath_str(g, "gate"));
		um_buf_puts(&b, "\">");
		if (json_is_true(json_object_get(g, "pass"))) {
			um_buf_puts(&b, "<system-out>");
			xml_escaped(&b, jpath_str(g, "reason"));
			um_buf_puts(&b, "</system-out></testcase>\n");
			continue;
		}
		um_buf_puts(&b, "\n      <failure message=\"");
		xml_escaped(&b, jpath_str(g, "reason"));
		um_buf_puts(&b, "\" type=\"regression\">");
		json_array_foreach(json_object_get(g, "failing_items"), k, it) {
			um_buf_puts(&b, k ? "\n" : "right in the base run, wrong now:\n");
			xml_escaped(&b, jpath_str(it, "item_id"));
			um_buf_printf(&b, " sample %lld", jpath_int(it, "sample"));
		}
		um_buf_puts(&b, "</failure>\n    </testcase>\n");
	}
	um_buf_puts(&b, "  </testsuite>\n</testsuites>\n");
	return um_buf_detach(&b);
}
