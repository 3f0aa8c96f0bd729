/*
 * claims.c - vendor claims tables against measured runs (see claims.h).
 */
#include "report/claims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "report/report.h"
#include "report/stats.h"
#include "base/util.h"
#include "load/yml.h"

#define CLAIMS_ALPHA 0.05 /* the report's default level, 95% */

static void bench_release(um_claims_bench *b)
{
	int i;

	for (i = 0; i < b->n_entries; i++) {
		free(b->entries[i].system);
		free(b->entries[i].measured_as);
		free(b->entries[i].note);
		free(b->entries[i].denominator);
	}
	free(b->entries);
	free(b->name);
	free(b->suite);
}

void claims_free(um_claims_table *t)
{
	int i;

	if (!t)
		return;
	for (i = 0; i < t->n_benches; i++)
		bench_release(&t->benches[i]);
	free(t->benches);
	free(t->path);
	free(t->title);
	free(t->source);
	free(t);
}

/* Room for every claim and each of its conflicting readings. */
static size_t count_entries(const yml_node *cl)
{
	size_t i, n = 0;

	for (i = 0; i < cl->n; i++) {
		const yml_node *c = cl->items[i]->kind == YML_MAP ? yml_get(cl->items[i], "conflicting")
								  : NULL;
		n += 1 + (c && c->kind == YML_SEQ ? c->n : 0);
	}
	return n ? n : 1;
}

/* `conflicting: [54.2, ...]`: other transcriptions' readings of the claim
 * just loaded, each an entry of its own after it. */
static int load_conflicting(const yml_doc *d, const yml_node *en, um_claims_bench *b,
			    um_error *err)
{
	const yml_node *c = yml_get(en, "conflicting");
	const um_claims_entry *e = &b->entries[b->n_entries - 1];
	size_t i;

	if (!c)
		return 0;
	if (yml_expect(d, c, YML_SEQ, "conflicting", err) < 0)
		return -1;
	if (c->n == 0)
		return yml_fail(d, c, UM_ERR_INVALID, err, "'conflicting' lists no value");
	for (i = 0; i < c->n; i++) {
		um_claims_entry *o = &b->entries[b->n_entries++];

		o->system = um_xstrdup(e->system);
		o->measured_as = um_xstrdup(e->measured_as);
		o->note = um_xstrdup(e->note);
		o->denominator = um_xstrdup(e->denominator);
		o->conflicting = 1;
		if (yml_node_double(d, c->items[i], "conflicting value", 0.0, 100.0, &o->value,
				    err) < 0)
			return -1;
	}
	return 0;
}

static int load_bench(const yml_doc *d, const yml_node *n, um_claims_bench *b, um_error *err)
{
	static const char *const keys[] = {"name", "suite", "claims", NULL};
	static const char *const ekeys[] = {"system",	   "value",	  "measured_as", "note",
					    "denominator", "conflicting", NULL};
	static const char *const denoms[] = {"whole_suite", "submitted", "official", "sub_steps",
					     NULL};
	const yml_node *cl;
	size_t i;
	int k;

	if (yml_expect(d, n, YML_MAP, "benchmark", err) < 0 ||
	    yml_check_keys(d, n, keys, "benchmark", err) < 0 ||
	    yml_str(d, n, "name", 1, &b->name, err) < 0 || yml_str(d, n, "suite", 0, &b->suite, err) < 0)
		return -1;
	cl = yml_get(n, "claims");
	if (!cl)
		return yml_fail(d, n, UM_ERR_INVALID, err, "benchmark '%s' has no 'claims'", b->name);
	if (yml_expect(d, cl, YML_SEQ, "claims", err) < 0)
		return -1;
	b->entries = um_xcalloc(count_entries(cl), sizeof(*b->entries));
	for (i = 0; i < cl->n; i++) {
		um_claims_entry *e = &b->entries[b->n_entries++];
		const yml_node *en = cl->items[i];
		if (yml_expect(d, en, YML_MAP, "claim", err) < 0 ||
		    yml_check_keys(d, en, ekeys, "claim", err) < 0 ||
		    yml_str(d, en, "system", 1, &e->system, err) < 0 ||
		    yml_double(d, en, "value", 1, 0.0, 100.0, &e->value, err) < 0 ||
		    yml_str(d, en, "measured_as", 0, &e->measured_as, err) < 0 ||
		    yml_str(d, en, "note", 0, &e->note, err) < 0)
			return -1;
		k = 0;
		if (yml_enum(d, en, "denominator", 0, denoms, &k, err) < 0)
			return -1;
		e->denominator = um_xstrdup(denoms[k]);
		if (load_conflicting(d, en, b, err) < 0)
			return -1;
	}
	return 0;
}

int claims_load(const char *path, um_claims_table **out, um_error *err)
{
	static const char *const keys[] = {"umpire", "title", "source", "benchmarks", NULL};
	yml_doc *d = yml_load_file(path, err);
	um_claims_table *t;
	const yml_node *bs;
	size_t i;

	*out = NULL;
	if (!d)
		return -1;
	t = um_xcalloc(1, sizeof(*t));
	t->path = um_xstrdup(path);
	if (yml_check_schema(d, "claims table", err) < 0 || yml_check_keys(d, d->root, keys, "claims table", err) < 0 ||
	    yml_str(d, d->root, "title", 1, &t->title, err) < 0 ||
	    yml_str(d, d->root, "source", 1, &t->source, err) < 0)
		goto fail;
	bs = yml_get(d->root, "benchmarks");
	if (!bs) {
		yml_fail(d, d->root, UM_ERR_INVALID, err, "missing 'benchmarks'");
		goto fail;
	}
	if (yml_expect(d, bs, YML_SEQ, "benchmarks", err) < 0)
		goto fail;
	t->benches = um_xcalloc(bs->n ? bs->n : 1, sizeof(*t->benches));
	for (i = 0; i < bs->n; i++)
		if (load_bench(d, bs->items[i], &t->benches[t->n_benches++], err) < 0)
			goto fail;
	yml_doc_free(d);
	*out = t;
	return 0;
fail:
	yml_doc_free(d);
	claims_free(t);
	return -1;
}

static const json_t *find_system(const json_t *report, const char *name)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(report, "systems"), i, s)
		if (um_streq(json_string_value(json_object_get(s, "name")), name))
			return s;
	return NULL;
}

static double num(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

/* The accuracy of a report's system as stats_accuracy gave it. */
static um_acc acc_of(const json_t *acc)
{
	um_acc a;

	memset(&a, 0, sizeof(a));
	a.est = num(acc, "value");
	a.lo = num(acc, "ci_lo");
	a.hi = num(acc, "ci_hi");
	a.n_eff = num(acc, "n_eff");
	a.df = num(acc, "df");
	a.items = (size_t)json_integer_value(json_object_get(acc, "items"));
	a.n = a.n_eff > 0 ? (size_t)ceil(a.n_eff) : 0;
	return a;
}

/* A repository-repair score over another denominator (submitted patches,
 * or the official formula's predictions), as an accuracy of k of n
 * independent tasks. 0, or -1 when the report does not have it. */
static int swe_acc(const json_t *s, const char *denominator, um_acc *a)
{
	const json_t *w = json_object_get(json_object_get(s, "agent"), "swe");
	int sub = um_streq(denominator, "submitted");
	double rate = num(w, sub ? "resolved_over_submitted" : "resolved_official");
	json_int_t n = json_integer_value(json_object_get(w, sub ? "patches_submitted"
								  : "predictions"));
	double *v;
	size_t i, k, *cl;

	if (!json_is_object(w) || n <= 0 || rate < 0)
		return -1;
	k = (size_t)llround(rate * (double)n);
	v = um_xcalloc((size_t)n, sizeof(double));
	cl = um_xcalloc((size_t)n, sizeof(size_t));
	for (i = 0; i < (size_t)n; i++) {
		v[i] = i < k ? 1.0 : 0.0;
		cl[i] = i; /* each task its own cluster */
	}
	*a = stats_accuracy(v, cl, (size_t)n, 0.95);
	free(v);
	free(cl);
	return 0;
}

static json_t *row(const um_claims_entry *e, const json_t *report)
{
	const char *name = e->measured_as ? e->measured_as : e->system;
	const json_t *s = report ? find_system(report, name) : NULL;
	const json_t *acc = s ? json_object_get(s, "accuracy") : NULL;
	const char *den = e->denominator ? e->denominator : "whole_suite";
	json_t *o = json_object();
	um_acc a;
	int have;

	/* compared on the denominator the source used */
	if (um_streq(den, "sub_steps")) /* scicode: steps passed over steps asked */
		acc = s ? json_object_get(json_object_get(s, "scicode"), "sub_step_interval") : NULL;
	if (um_streq(den, "whole_suite") || um_streq(den, "sub_steps")) {
		have = acc && json_is_number(json_object_get(acc, "value"));
		if (have)
			a = acc_of(acc);
	} else {
		have = s && swe_acc(s, den, &a) == 0;
	}
	json_object_set_new(o, "system", json_string(e->system));
	json_object_set_new(o, "measured_as", json_string(name));
	json_object_set_new(o, "claimed_percent", json_real(e->value));
	json_object_set_new(o, "reading", json_string(e->conflicting ? "conflicting" : "published"));
	json_object_set_new(o, "denominator", json_string(den));
	json_object_set_new(o, "note", e->note ? json_string(e->note) : json_null());
	if (!have) {
		json_object_set_new(o, "measured", json_null());
		json_object_set_new(o, "verdict", json_string("not measured"));
		json_object_set_new(o, "p_value", json_null());
	} else {
		/* the accuracy interval and the test it inverts */
		double p = stats_accuracy_p(&a, e->value / 100.0);
		json_t *m = json_object();
		json_object_set_new(m, "percent", json_real(100.0 * a.est));
		json_object_set_new(m, "ci_lo", json_real(100.0 * a.lo));
		json_object_set_new(m, "ci_hi", json_real(100.0 * a.hi));
		if (um_streq(den, "whole_suite"))
			json_object_set(m, "n", json_object_get(json_object_get(s, "attempts"), "graded"));
		else if (um_streq(den, "sub_steps"))
			json_object_set(m, "n", json_object_get(json_object_get(s, "scicode"), "steps"));
		else
			json_object_set_new(m, "n", json_integer((json_int_t)a.n));
		json_object_set_new(o, "measured", m);
		json_object_set_new(o, "p_value", isnan(p) ? json_null() : json_real(p));
	}
	return o;
}

/* Holm over every measured row of the table; verdicts from the adjusted p. */
static void table_verdicts(json_t *benches)
{
	size_t n = 0, i, k, at = 0;
	const json_t *bo;
	json_t *r;
	double *p;

	json_array_foreach(benches, i, bo)
		n += json_array_size(json_object_get(bo, "rows"));
	p = um_xmalloc((n ? n : 1) * sizeof(*p));
	json_array_foreach(benches, i, bo)
		json_array_foreach(json_object_get(bo, "rows"), k, r) {
			const json_t *pv = json_object_get(r, "p_value");
			p[at++] = json_is_number(pv) ? json_number_value(pv) : NAN;
		}
	stats_holm(p, n, p);
	at = 0;
	json_array_foreach(benches, i, bo)
		json_array_foreach(json_object_get(bo, "rows"), k, r) {
			double adj = p[at++];
			if (isnan(adj)) {
				if (!json_object_get(r, "verdict"))
					json_object_set_new(r, "verdict", json_string("not measured"));
				json_object_set_new(r, "p_holm", json_null());
				continue;
			}
			json_object_set_new(r, "p_holm", json_real(adj));
			json_object_set_new(
				r, "verdict",
				json_string(report_claim_verdict(
					num(r, "claimed_percent"),
					num(json_object_get(r, "measured"), "percent"), adj,
					CLAIMS_ALPHA)));
		}
	free(p);
}

json_t *claims_evaluate(const um_claims_table *t, um_store *st, um_error *err)
{
	json_t *out = json_object(), *benches = json_array();
	int i, k;

	json_object_set_new(out, "title", json_string(t->title));
	json_object_set_new(out, "source", json_string(t->source));
	for (i = 0; i < t->n_benches; i++) {
		const um_claims_bench *b = &t->benches[i];
		json_t *bo = json_object(), *rows = json_array(), *rep = NULL;
		char *run_id = NULL;
		um_error lerr = {0};

		if (b->suite && st) {
			run_id = store_latest_run_of_suite(st, b->suite, &lerr);
			if (!run_id && lerr.code != UM_ERR_NOTFOUND) {
				*err = lerr;
				json_decref(bo);
				json_decref(rows);
				json_decref(benches);
				json_decref(out);
				return NULL;
			}
		}
		if (run_id) {
			um_run_data d;
			/* the run's report, its attempts read one at a time */
			memset(&d, 0, sizeof(d));
			if (store_read_begin(st, err) == 0 &&
			    store_load_run_meta(st, run_id, &d, err) == 0)
				rep = report_build_store(st, &d, NULL, err);
			store_read_end(st);
			if (!rep) {
				store_run_data_free(&d);
				free(run_id);
				json_decref(bo);
				json_decref(rows);
				json_decref(benches);
				json_decref(out);
				return NULL;
			}
			store_run_data_free(&d);
		}
		for (k = 0; k < b->n_entries; k++)
			json_array_append_new(rows, row(&b->entries[k], rep));
		json_object_set_new(bo, "name", json_string(b->name));
		json_object_set_new(bo, "suite", b->suite ? json_string(b->suite) : json_null());
		json_object_set_new(bo, "run_id", run_id ? json_string(run_id) : json_null());
		json_object_set_new(bo, "rows", rows);
		json_array_append_new(benches, bo);
		if (rep)
			json_decref(rep);
		free(run_id);
	}
	table_verdicts(benches);
	json_object_set_new(out, "benchmarks", benches);
	return out;
}

char *claims_markdown(const json_t *ev)
{
	um_buf b = UM_BUF_INIT;
	const json_t *bench, *r;
	size_t i, k;

	um_buf_printf(&b, "# Claims: %s\n\nSource: %s\n\n",
		      json_string_value(json_object_get(ev, "title")),
		      json_string_value(json_object_get(ev, "source")));
	um_buf_puts(&b, "p is the test the measured interval inverts; the verdict follows its Holm "
			"adjustment over the table (docs/report.md, \"Methods\").\n\n");
	um_buf_puts(&b, "| Benchmark | System | Claimed | Measured (95% CI) | Verdict | p | Holm p | "
			"Run |\n|---|---|---:|---:|---|---:|---:|---|\n");
	json_array_foreach(json_object_get(ev, "benchmarks"), i, bench) {
		const char *run = json_string_value(json_object_get(bench, "run_id"));
		json_array_foreach(json_object_get(bench, "rows"), k, r) {
			const json_t *m = json_object_get(r, "measured");
			um_buf_printf(&b, "| %s | %s%s | %.1f%% | ",
				      json_string_value(json_object_get(bench, "name")),
				      json_string_value(json_object_get(r, "system")),
				      um_streq(json_string_value(json_object_get(r, "reading")),
					       "conflicting")
					      ? " (conflicting reading)"
					      : "",
				      num(r, "claimed_percent"));
			const char *den = json_string_value(json_object_get(r, "denominator"));
			if (json_is_object(m))
				um_buf_printf(&b, "%.1f%% [%.1f, %.1f]%s | ", num(m, "percent"),
					      num(m, "ci_lo"), num(m, "ci_hi"),
					      um_streq(den, "submitted") ? " over submitted patches"
					      : um_streq(den, "official") ? " by the official formula"
					      : um_streq(den, "sub_steps") ? " over sub-steps"
									 : "");
			else
				um_buf_puts(&b, "not measured | ");
			um_buf_printf(&b, "%s | ", json_string_value(json_object_get(r, "verdict")));
			if (json_is_number(json_object_get(r, "p_value")))
				um_buf_printf(&b, "%.3g | %.3g | ", num(r, "p_value"), num(r, "p_holm"));
			else
				um_buf_puts(&b, "- | - | ");
			um_buf_printf(&b, "%s |\n", run ? run : "");
		}
	}
	return um_buf_detach(&b);
}
