/*
 * test_report.c - the report on a small hand-made run whose numbers are
 * worked out in the comments: accuracy and intervals, money rounding,
 * paired McNemar, claim verdicts; byte-identical text whatever the input
 * order; markdown and summary rendered from the object; bad input refused.
 *
 * The run: 10 items (q01..q05 Physics, q06..q10 Chemistry), one sample.
 *   conductor (orchestrator): right on q01..q08          -> 8/10
 *   atlas (baseline):         right on q01, q02, q09     -> 3/10
 *   borealis (baseline):      right on q01..q06, wrong q07..q09,
 *                             q10 is an http_429 error   -> 6/9 graded
 */
#include <dirent.h>
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

#include "report/plan.h"
#include "report/report.h"
#include "report/stats.h"
#include "store/store.h"
#include "base/util.h"

#define N_ITEMS 10

static void add_system(um_run_data *d, const char *name, const char *role)
{
	um_system_rec *r;

	d->systems = um_xrealloc(d->systems, (d->n_systems + 1) * sizeof(*r));
	r = &d->systems[d->n_systems++];
	memset(r, 0, sizeof(*r));
	r->name = um_xstrdup(name);
	r->role = um_xstrdup(role);
	r->provider = um_xstrdup("openai");
	r->base_url = um_xstrdup("http://127.0.0.1:1/v1");
	r->model = um_xasprintf("%s-model", name);
	r->config_json = um_xstrdup("{}");
}

static void add_item(um_run_data *d, int i)
{
	um_item_rec *r;

	d->items = um_xrealloc(d->items, (d->n_items + 1) * sizeof(*r));
	r = &d->items[d->n_items++];
	memset(r, 0, sizeof(*r));
	r->item_id = um_xasprintf("q%02d", i + 1);
	r->category = um_xstrdup(i < 5 ? "Physics" : "Chemistry");
	r->question = um_xstrdup("Which?");
	r->choices_json = um_xstrdup("[\"a\",\"b\",\"c\",\"d\"]");
}

/* score 1/0, or -1 for an infrastructure error */
static void add_attempt(um_run_data *d, const char *sys, int i, int score, int64_t cost,
			int64_t latency)
{
	um_attempt_rec *a;

	d->attempts = um_xrealloc(d->attempts, (d->n_attempts + 1) * sizeof(*a));
	a = &d->attempts[d->n_attempts++];
	memset(a, 0, sizeof(*a));
	a->attempt_id = um_xasprintf("%s-q%02d-0", sys, i + 1);
	a->item_id = um_xasprintf("q%02d", i + 1);
	a->system = um_xstrdup(sys);
	a->sample = 0;
	a->perm = um_xstrdup("0,1,2,3");
	a->neutral_hash = um_xasprintf("neutral-q%02d", i + 1);
	a->request_hash = um_xasprintf("wire-q%02d", i + 1);
	a->cost_micro = cost;
	a->latency_ms = latency;
	a->tokens_in = 100;
	a->tokens_cached = 10;
	a->tokens_out = 20;
	a->n_calls = 1;
	if (score >= 0) {
		a->status = UM_ATT_DONE;
		a->score = score;
		a->response_text = um_xstrdup("Answer: A");
		a->extracted = um_xstrdup("A");
		a->served_model = um_xstrdup(i < 5 ? "sub-a" : "sub-b");
		a->fingerprint = um_xstrdup("fp1");
	} else {
		a->status = UM_ATT_ERROR;
		a->score = -1;
		a->error_class = um_xstrdup("http_429");
		a->error_msg = um_xstrdup("HTTP 429 | rate limited\nafter 3 tries");
		a->tokens_in = a->tokens_cached = a->tokens_out = 0;
		a->n_calls = 3;
	}
}

static void add_ttft(um_run_data *d, const char *sys, int64_t ms)
{
	d->ttft = um_xrealloc(d->ttft, (d->n_ttft + 1) * sizeof(*d->ttft));
	d->ttft[d->n_ttft].system = um_xstrdup(sys);
	d->ttft[d->n_ttft++].ttft_ms = ms;
}

static void add_claim(um_run_data *d, const char *sys, double value, const char *source)
{
	um_claim_rec *c;

	d->claims = um_xrealloc(d->claims, (d->n_claims + 1) * sizeof(*c));
	c = &d->claims[d->n_claims++];
	memset(c, 0, sizeof(*c));
	c->system = um_xstrdup(sys);
	c->benchmark = um_xstrdup("demo");
	c->value = value;
	c->source = um_xstrdup(source);
}

/* order 0: natural; 1: everything reversed; 2: interleaved */
static void build(um_run_data *d, int order)
{
	static const char *const sys[] = {"atlas", "borealis", "conductor"};
	static const char *const roles[] = {"baseline", "baseline", "orchestrator"};
	int i, k, idx[N_ITEMS], sidx[3];

	memset(d, 0, sizeof(*d));
	d->run.run_id = um_xstrdup("run-1");
	d->run.suite_name = um_xstrdup("demo");
	d->run.suite_version = um_xstrdup("1.0");
	d->run.suite_kind = um_xstrdup("mcq");
	d->run.suite_sha256 = um_xstrdup("11");
	d->run.scaffold_sha256 = um_xstrdup("22");
	d->run.models_sha256 = um_xstrdup("33");
	d->run.dataset_sha256 = um_xstrdup("44");
	d->run.harness_version = um_xstrdup("0.1.0");
	d->run.git_describe = um_xstrdup("v0.1.0");
	d->run.lib_versions = um_xstrdup("{\"sqlite\": \"3.40.1\", \"jansson\": \"2.14\"}");
	d->run.seed = 42;
	d->run.repeats = 1;
	d->run.started_ms = 1000;
	d->run.finished_ms = 2000;
	d->run.status = um_xstrdup("incomplete");
	d->n_calls = 32;

	for (i = 0; i < N_ITEMS; i++)
		idx[i] = order == 1 ? N_ITEMS - 1 - i : order == 2 ? (i * 3) % N_ITEMS : i;
	for (k = 0; k < 3; k++)
		sidx[k] = order == 0 ? k : order == 1 ? 2 - k : (k + 1) % 3;

	for (k = 0; k < 3; k++)
		add_system(d, sys[sidx[k]], roles[sidx[k]]);
	for (i = 0; i < N_ITEMS; i++)
		add_item(d, idx[i]);
	for (i = 0; i < N_ITEMS; i++) {
		for (k = 0; k < 3; k++) {
			int q = idx[i], s = sidx[k];
			if (s == 0)
				add_attempt(d, "atlas", q, q == 0 || q == 1 || q == 8, 10, 50);
			else if (s == 1)
				add_attempt(d, "borealis", q, q == 9 ? -1 : q < 6, q == 9 ? 0 : 7,
					    300);
			else
				add_attempt(d, "conductor", q, q < 8, 100, 100 * (q + 1));
		}
	}
	if (order == 1) {
		add_claim(d, "ghost", 70.0, "https://example.org/ghost");
		add_claim(d, "conductor", 40.0, "https://example.org/low");
		add_claim(d, "conductor", 80.0, "https://example.org/c");
		add_claim(d, "atlas", 90.0, "https://example.org/a");
	} else {
		add_claim(d, "atlas", 90.0, "https://example.org/a");
		add_claim(d, "conductor", 80.0, "https://example.org/c");
		add_claim(d, "conductor", 40.0, "https://example.org/low");
		add_claim(d, "ghost", 70.0, "https://example.org/ghost");
	}
}

static json_t *build_report(const um_run_data *d)
{
	um_error err = {0};
	json_t *r = report_build(d, NULL, &err);

	if (!r)
		fail_msg("report_build: %s", err.msg);
	return r;
}

static void assert_near(double got, double want, double tol)
{
	if (!(fabs(got - want) <= tol))
		fail_msg("got %.15g, want %.15g", got, want);
}

static const json_t *path(const json_t *o, const char *p)
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

static double num(const json_t *o, const char *p)
{
	const json_t *v = path(o, p);

	if (!json_is_number(v))
		fail_msg("%s is not a number", p);
	return json_number_value(v);
}

static long long inum(const json_t *o, const char *p)
{
	const json_t *v = path(o, p);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", p);
	return (long long)json_integer_value(v);
}

static const char *str(const json_t *o, const char *p)
{
	const json_t *v = path(o, p);

	if (!json_is_string(v))
		fail_msg("%s is not a string", p);
	return json_string_value(v);
}

static void test_numbers(void **state)
{
	um_run_data d;
	json_t *r;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);

	assert_int_equal(inum(r, "umpire_report"), 1);
	assert_null(json_object_get(r, "generated_at"));
	assert_string_equal(str(r, "run.run_id"), "run-1");
	assert_string_equal(str(r, "run.suite.kind"), "mcq");
	assert_string_equal(str(r, "run.sha256.scaffold"), "22");
	assert_string_equal(str(r, "run.lib_versions.jansson"), "2.14");
	assert_int_equal(inum(r, "run.seed"), 42);
	assert_int_equal(inum(r, "items"), 10);
	assert_int_equal(inum(r, "calls"), 32);
	assert_true(json_is_false(json_object_get(r, "complete")));

	/* systems sorted by name */
	assert_string_equal(str(r, "systems.0.name"), "atlas");
	assert_string_equal(str(r, "systems.1.name"), "borealis");
	assert_string_equal(str(r, "systems.2.name"), "conductor");

	/* conductor 8/10. One sample per item: design effect 1, n_eff 10, the
	 * normal quantile. Wilson 8/10 = [.490162, .943318]; Jeffreys, the
	 * Beta(8.5, 2.5) quantiles at .025 and .975 = [.497225, .955941]
	 * (mpmath.betainc); the interval is their union. se = sqrt(.8 * .2 *
	 * 10/9 / 10) = .133333. */
	assert_string_equal(str(r, "systems.2.role"), "orchestrator");
	assert_int_equal(inum(r, "systems.2.correct"), 8);
	assert_int_equal(inum(r, "systems.2.attempts.graded"), 10);
	assert_int_equal(inum(r, "systems.2.attempts.planned"), 10);
	assert_near(num(r, "systems.2.accuracy.value"), 0.8, 1e-9);
	assert_near(num(r, "systems.2.accuracy.ci_lo"), 0.490162, 1e-6);
	assert_near(num(r, "systems.2.accuracy.ci_hi"), 0.955941, 1e-6);
	assert_near(num(r, "systems.2.accuracy.se"), 0.133333, 1e-6);
	assert_near(num(r, "systems.2.accuracy.n_eff"), 10.0, 0);
	assert_near(num(r, "systems.2.accuracy.design_effect"), 1.0, 0);
	assert_int_equal(inum(r, "systems.2.accuracy.df"), 0);
	assert_null(json_object_get(path(r, "systems.2"), "pass_at_k"));
	/* 10 x 100 micro-USD; per item 100, per correct 1000/8 = 125 */
	assert_int_equal(inum(r, "systems.2.cost_micro"), 1000);
	assert_int_equal(inum(r, "systems.2.cost_per_item_micro"), 100);
	assert_int_equal(inum(r, "systems.2.cost_per_correct_micro"), 125);
	/* latencies 100..1000: nearest rank 5 and 9 */
	assert_int_equal(inum(r, "systems.2.latency_ms.p50"), 500);
	assert_int_equal(inum(r, "systems.2.latency_ms.p90"), 900);
	assert_int_equal(inum(r, "systems.2.tokens.in"), 1000);
	assert_int_equal(inum(r, "systems.2.tokens.cached"), 100);
	assert_int_equal(inum(r, "systems.2.tokens.out"), 200);
	assert_string_equal(str(r, "systems.2.served_models.0.model"), "sub-a");
	assert_int_equal(inum(r, "systems.2.served_models.0.attempts"), 5);
	assert_string_equal(str(r, "systems.2.served_models.1.model"), "sub-b");
	assert_int_equal(json_array_size(path(r, "systems.2.fingerprints")), 1);
	/* per category, sorted: Chemistry (q06..q10: 3/5), Physics (5/5) */
	assert_string_equal(str(r, "systems.2.categories.0.name"), "Chemistry");
	assert_int_equal(inum(r, "systems.2.categories.0.n"), 5);
	assert_int_equal(inum(r, "systems.2.categories.0.correct"), 3);
	assert_int_equal(inum(r, "systems.2.categories.0.latency_p50_ms"), 800);
	assert_int_equal(inum(r, "systems.2.categories.1.correct"), 5);
	assert_near(num(r, "systems.2.categories.1.accuracy.ci_hi"), 1.0, 0);

	/* atlas 3/10: 100 micro-USD, per correct 33.3 -> 33 */
	assert_int_equal(inum(r, "systems.0.cost_per_correct_micro"), 33);
	/* Wilson 3/10 [.107791, .603222], Jeffreys Beta(3.5, 7.5) [.0926946,
	 * .605818]: the union */
	assert_near(num(r, "systems.0.accuracy.ci_lo"), 0.0926946, 1e-6);
	assert_near(num(r, "systems.0.accuracy.ci_hi"), 0.605818, 1e-6);

	/* borealis: 6 of 9 graded, one http_429 error with 3 calls */
	assert_int_equal(inum(r, "systems.1.attempts.graded"), 9);
	assert_int_equal(inum(r, "systems.1.attempts.errors"), 1);
	assert_int_equal(inum(r, "systems.1.attempts.not_attempted"), 0);
	assert_int_equal(inum(r, "systems.1.attempts.errors_by_class.http_429"), 1);
	assert_near(num(r, "systems.1.accuracy.value"), 6.0 / 9.0, 1e-6);
	/* whole suite: 6 / (10 items x 1 repeat) */
	assert_near(num(r, "systems.1.accuracy_whole_suite"), 0.6, 1e-9);
	/* 9 x 7 = 63 micro-USD; per item 7; per correct 10.5 rounds up to 11 */
	assert_int_equal(inum(r, "systems.1.cost_micro"), 63);
	assert_int_equal(inum(r, "systems.1.cost_per_item_micro"), 7);
	assert_int_equal(inum(r, "systems.1.cost_per_correct_micro"), 11);
	assert_int_equal(inum(r, "systems.1.calls"), 12);
	assert_int_equal(inum(r, "systems.1.retries"), 2);
	assert_int_equal(inum(r, "infrastructure_errors.total"), 1);
	assert_string_equal(str(r, "infrastructure_errors.groups.0.first_item_id"), "q10");

	/* paired: conductor vs atlas. Only conductor right on q03..q08 (b=6),
	 * only atlas on q09 (c=1): McNemar 2 * 8/128 = 0.125, and the sign-flip
	 * test over the seven non-zero items gives the same (16 of 128 sign
	 * vectors with |sum| >= 5). Per-item differences 0,0,1,1,1,1,1,1,-1,0:
	 * mean .5, sd^2 = 4.5/9, se = sqrt(.05), t(9) = 2.262157: .5 -/+ .505834,
	 * clamped at 1. MDE (2.262157 + t(9, .8) = .883404) * se = .703369. */
	assert_string_equal(str(r, "paired.mode"), "orchestrator_vs_baselines");
	assert_int_equal(json_array_size(path(r, "paired.comparisons")), 2);
	assert_string_equal(str(r, "paired.comparisons.0.system_a"), "conductor");
	assert_string_equal(str(r, "paired.comparisons.0.system_b"), "atlas");
	assert_int_equal(inum(r, "paired.comparisons.0.n_pairs"), 10);
	assert_int_equal(inum(r, "paired.comparisons.0.only_a_correct"), 6);
	assert_int_equal(inum(r, "paired.comparisons.0.only_b_correct"), 1);
	assert_near(num(r, "paired.comparisons.0.mcnemar_p"), 0.125, 1e-9);
	assert_near(num(r, "paired.comparisons.0.difference.value"), 0.5, 1e-9);
	assert_near(num(r, "paired.comparisons.0.difference.ci_lo"), -0.00583372, 1e-6);
	assert_near(num(r, "paired.comparisons.0.difference.ci_hi"), 1.0, 0);
	assert_near(num(r, "paired.comparisons.0.difference.se"), sqrt(0.05), 1e-6);
	assert_near(num(r, "paired.comparisons.0.mde"), 0.703369, 1e-6);
	assert_near(num(r, "paired.comparisons.0.test.p"), 0.125, 1e-9);
	/* Holm over the two comparisons: .125 * 2, then max(.25, .5 * 1) */
	assert_near(num(r, "paired.comparisons.0.test.p_holm"), 0.25, 1e-9);
	assert_true(json_is_false(path(r, "paired.comparisons.0.test.significant")));
	assert_near(num(r, "paired.comparisons.1.test.p"), 0.5, 1e-9);
	assert_near(num(r, "paired.comparisons.1.test.p_holm"), 0.5, 1e-9);
	/* conductor vs borealis: 9 pairs (q10 failed for borealis); b=2 (q07,
	 * q08), c=0: p = 2 * 1/4 */
	assert_string_equal(str(r, "paired.comparisons.1.system_b"), "borealis");
	assert_int_equal(inum(r, "paired.comparisons.1.n_pairs"), 9);
	assert_int_equal(inum(r, "paired.comparisons.1.only_a_correct"), 2);
	assert_int_equal(inum(r, "paired.comparisons.1.only_b_correct"), 0);
	assert_near(num(r, "paired.comparisons.1.mcnemar_p"), 0.5, 1e-9);
	assert_near(num(r, "paired.comparisons.1.accuracy_a"), 8.0 / 9.0, 1e-6);

	/* claims, sorted by system then value; p is the larger of the score
	 * test's and the Jeffreys tail's (2 * min(F, 1 - F), F the Beta cdf):
	 * atlas 90%: Jeffreys 2 * 1.953471e-6 (mpmath) -> below claim
	 * conductor 40%: score z = .4 / sqrt(.024), p = .00982327 -> above
	 * conductor 80%: z = 0, p = 1 -> reproduced
	 * ghost: no such system -> not measured
	 * Holm over the three: 3.90694e-6 * 3, .00982327 * 2, 1. */
	assert_int_equal(json_array_size(path(r, "claims")), 4);
	assert_string_equal(str(r, "claims.0.system"), "atlas");
	assert_string_equal(str(r, "claims.0.verdict"), "below claim");
	assert_near(num(r, "claims.0.measured.percent"), 30.0, 1e-9);
	assert_near(num(r, "claims.0.measured.ci_lo"), 9.26946, 1e-4);
	assert_near(num(r, "claims.0.measured.ci_hi"), 60.5818, 1e-4);
	assert_near(num(r, "claims.0.p_value"), 3.90694e-06, 1e-10);
	assert_near(num(r, "claims.0.p_holm"), 3 * 3.90694e-06, 1e-10);
	assert_near(num(r, "claims.1.claimed_percent"), 40.0, 0);
	assert_string_equal(str(r, "claims.1.verdict"), "above claim");
	assert_near(num(r, "claims.1.measured.ci_lo"), 49.0162, 1e-4);
	assert_near(num(r, "claims.1.p_value"), 0.00982327, 1e-8);
	assert_near(num(r, "claims.1.p_holm"), 0.0196465, 1e-7); /* 6 digits */
	assert_string_equal(str(r, "claims.2.verdict"), "reproduced");
	assert_near(num(r, "claims.2.p_value"), 1.0, 1e-9);
	assert_string_equal(str(r, "claims.3.system"), "ghost");
	assert_string_equal(str(r, "claims.3.verdict"), "not measured");
	assert_true(json_is_null(path(r, "claims.3.measured")));

	json_decref(r);
	store_run_data_free(&d);
}


static um_attempt_rec *find_attempt(um_run_data *d, const char *sys, const char *item)
{
	size_t i;

	for (i = 0; i < d->n_attempts; i++)
		if (!strcmp(d->attempts[i].system, sys) && !strcmp(d->attempts[i].item_id, item))
			return &d->attempts[i];
	return NULL;
}

static void test_parity_and_model_swap(void **state)
{
	um_run_data d;
	um_attempt_rec *a;
	json_t *r;
	char *md;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);
	assert_true(json_is_true(path(r, "parity.identical")));
	assert_int_equal(inum(r, "parity.groups_checked"), N_ITEMS);
	assert_int_equal(inum(r, "parity.deviations"), 0);
	/* conductor was served by sub-a and sub-b: flagged; atlas too (same fixture) */
	assert_true(json_is_true(path(r, "systems.2.possible_model_swap")));
	json_decref(r);

	/* one system got a different prompt for q03; another a different body for q04 */
	a = find_attempt(&d, "borealis", "q03");
	free(a->neutral_hash);
	a->neutral_hash = um_xstrdup("tampered");
	a = find_attempt(&d, "atlas", "q04");
	free(a->request_hash);
	a->request_hash = um_xstrdup("other-body");
	r = build_report(&d);
	assert_false(json_is_true(path(r, "parity.identical")));
	assert_int_equal(inum(r, "parity.deviations"), 2);
	assert_string_equal(str(r, "parity.deviation_list.0.item_id"), "q03");
	assert_string_equal(str(r, "parity.deviation_list.0.kind"), "neutral");
	assert_string_equal(str(r, "parity.deviation_list.0.systems.1.system"), "borealis");
	assert_true(json_is_true(path(r, "parity.deviation_list.0.systems.1.deviates")));
	assert_false(json_is_true(path(r, "parity.deviation_list.0.systems.0.deviates")));
	assert_string_equal(str(r, "parity.deviation_list.1.kind"), "wire:openai");
	md = report_markdown(r);
	assert_non_null(strstr(md, "2 deviation(s)"));
	assert_non_null(strstr(md, "item q03, sample 0 (neutral)"));
	assert_non_null(strstr(md, "Possible silent model swap"));
	free(md);
	json_decref(r);
	store_run_data_free(&d);
}


/* Cells of one markdown table row: the number of unescaped '|' minus one,
 * or -1 when the row does not start and end with exactly one '|'. */
static int md_row_cells(const char *line, size_t len)
{
	size_t i;
	int bars = 0;

	if (len < 2 || line[0] != '|' || line[len - 1] != '|' || line[1] == '|' ||
	    (line[len - 2] == '|' && line[len - 3] != '\\'))
		return -1;
	for (i = 0; i < len; i++) {
		if (line[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		bars += line[i] == '|';
	}
	return bars - 1;
}

/* Every table of a markdown text (a header line followed by a "|---" line,
 * then rows up to the first blank line): each row starts and ends with one
 * '|' and has as many cells as its header. Returns the number of tables. */
static int check_md_tables(const char *md)
{
	const char *p = md;
	int tables = 0;

	while (*p) {
		const char *e = strchr(p, '\n'), *next;
		size_t len;
		int head;

		if (!e)
			break;
		next = e + 1;
		len = (size_t)(e - p);
		if (strncmp(next, "|---", 4) != 0 || len == 0) {
			p = next;
			continue;
		}
		head = md_row_cells(p, len);
		if (head < 1)
			fail_msg("table header is not a row: %.*s", (int)len, p);
		tables++;
		for (p = next; *p && *p != '\n'; p = e + 1) {
			int cells;
			e = strchr(p, '\n');
			if (!e)
				e = p + strlen(p);
			cells = md_row_cells(p, (size_t)(e - p));
			if (cells != head)
				fail_msg("table row with %d cells, header has %d: %.*s", cells,
					 head, (int)(e - p), p);
			if (!*e)
				return tables;
		}
	}
	return tables;
}

static void test_claimed_gaps(void **state)
{
	um_run_data d;
	json_t *r, *gaps, *g;
	size_t i;
	int seen_small = 0, seen_repro = 0;
	char *md;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);
	gaps = json_object_get(r, "claimed_gaps");
	/* conductor (orchestrator) claims 40 and 80, atlas (baseline) 90: two gaps */
	assert_int_equal(json_array_size(gaps), 2);
	json_array_foreach(gaps, i, g) {
		double claimed = json_number_value(json_object_get(g, "claimed_gap_pp"));
		double lo = num(g, "measured.ci_lo"), hi = num(g, "measured.ci_hi");
		const char *v = json_string_value(json_object_get(g, "verdict"));
		assert_string_equal(json_string_value(json_object_get(g, "orchestrator")), "conductor");
		assert_string_equal(json_string_value(json_object_get(g, "baseline")), "atlas");
		double p = num(g, "p_value"), adj = num(g, "p_holm");
		assert_true(claimed == -10.0 || claimed == -50.0);
		/* the t-test inverts the interval: outside exactly when p < .05 */
		assert_true((claimed < lo || claimed > hi) == (p < 0.05));
		/* measured +50 [-0.58, +100], se sqrt(.05), t(9): claimed -10 gives
		 * t = 2.683282, p = .0250; -50 gives t = 4.472136, p = .00155;
		 * Holm: .00155 * 2, then max(.0250, .0031) */
		if (claimed == -10.0)
			assert_near(adj, p, 1e-12);
		else
			assert_near(adj, 2.0 * p, 1e-12);
		if (adj < 0.05)
			assert_string_equal(v, claimed < lo ? "larger than claimed"
							    : "smaller than claimed");
		else
			assert_string_equal(v, "reproduced");
		seen_small += adj < 0.05;
		seen_repro += adj >= 0.05;
	}
	assert_true(seen_small == 2 && seen_repro == 0);
	md = report_markdown(r);
	assert_non_null(strstr(md, "### Claimed gaps"));
	assert_true(check_md_tables(md) >= 6);
	assert_null(strstr(md, "||\n"));
	free(md);
	json_decref(r);
	store_run_data_free(&d);
}

static void test_deterministic(void **state)
{
	um_run_data d0, d1, d2;
	json_t *r0, *r0b, *r1, *r2;
	char *t0, *t0b, *t1, *t2;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d0, 0);
	build(&d1, 1);
	build(&d2, 2);
	r0 = build_report(&d0);
	r0b = build_report(&d0);
	r1 = build_report(&d1);
	r2 = build_report(&d2);
	t0 = report_json_text(r0);
	t0b = report_json_text(r0b);
	t1 = report_json_text(r1);
	t2 = report_json_text(r2);
	assert_string_equal(t0, t0b);
	assert_string_equal(t0, t1);
	assert_string_equal(t0, t2);
	/* canonical form: sorted keys, 2-space indent, trailing newline */
	assert_true(strncmp(t0, "{\n  \"calls\": 32,\n", 17) == 0);
	assert_int_equal(t0[strlen(t0) - 1], '\n');
	assert_int_not_equal(t0[strlen(t0) - 2], '\n');
	/* money and time are integers, never reals */
	assert_null(strstr(t0, "\"cost_micro\": 1000.0"));
	assert_non_null(strstr(t0, "\"cost_micro\": 1000,"));

	/* parsing the text back gives the same text and the same markdown */
	{
		json_t *back = json_loads(t0, 0, NULL);
		char *tb, *m0, *mb;
		assert_non_null(back);
		tb = report_json_text(back);
		assert_string_equal(tb, t0);
		m0 = report_markdown(r0);
		mb = report_markdown(back);
		assert_string_equal(m0, mb);
		free(tb);
		free(m0);
		free(mb);
		json_decref(back);
	}

	free(t0);
	free(t0b);
	free(t1);
	free(t2);
	json_decref(r0);
	json_decref(r0b);
	json_decref(r1);
	json_decref(r2);
	store_run_data_free(&d0);
	store_run_data_free(&d1);
	store_run_data_free(&d2);
}

static void test_generated_at(void **state)
{
	um_run_data d;
	um_error err = {0};
	json_t *r;
	char *t1, *t2;

	(void)state;
	build(&d, 0);
	setenv("SOURCE_DATE_EPOCH", "86400", 1);
	r = build_report(&d);
	assert_string_equal(str(r, "generated_at"), "1970-01-02T00:00:00Z");
	t1 = report_json_text(r);
	json_decref(r);
	r = build_report(&d);
	t2 = report_json_text(r);
	assert_string_equal(t1, t2);
	json_decref(r);
	free(t1);
	free(t2);

	setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
	assert_null(report_build(&d, NULL, &err));
	assert_int_equal(err.code, UM_ERR_USAGE);
	assert_non_null(strstr(err.msg, "SOURCE_DATE_EPOCH"));
	unsetenv("SOURCE_DATE_EPOCH");
	store_run_data_free(&d);
}

static void test_no_orchestrator(void **state)
{
	um_run_data d;
	json_t *r;
	size_t i;
	char *md;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 2);
	for (i = 0; i < d.n_systems; i++) {
		free(d.systems[i].role);
		d.systems[i].role = um_xstrdup("baseline");
	}
	r = build_report(&d);
	/* No orchestrator and no reference: every pair, by name (never the
	 * most accurate system picked after the fact). */
	assert_string_equal(str(r, "paired.mode"), "all_pairs");
	assert_true(json_is_null(path(r, "paired.reference")));
	assert_int_equal(json_array_size(path(r, "paired.comparisons")), 3);
	assert_string_equal(str(r, "paired.comparisons.0.system_a"), "atlas");
	assert_string_equal(str(r, "paired.comparisons.0.system_b"), "borealis");
	assert_string_equal(str(r, "paired.comparisons.2.system_a"), "borealis");
	assert_string_equal(str(r, "paired.comparisons.2.system_b"), "conductor");
	md = report_markdown(r);
	assert_non_null(strstr(md, "No orchestrator and no reference"));
	free(md);
	json_decref(r);
	/* a reference named by the user: it against every other system */
	{
		um_report_opts o = {0.95, "conductor", 0};
		um_error err = {0};
		r = report_build(&d, &o, &err);
		assert_non_null(r);
		assert_string_equal(str(r, "paired.mode"), "reference_vs_others");
		assert_string_equal(str(r, "paired.reference"), "conductor");
		assert_int_equal(json_array_size(path(r, "paired.comparisons")), 2);
		assert_string_equal(str(r, "paired.comparisons.0.system_a"), "conductor");
		assert_string_equal(str(r, "paired.comparisons.0.system_b"), "atlas");
		assert_near(num(r, "paired.comparisons.0.test.p"), 0.125, 1e-9);
		json_decref(r);
		o.reference = "nobody";
		assert_null(report_build(&d, &o, &err));
		assert_int_equal(err.code, UM_ERR_USAGE);
		assert_non_null(strstr(err.msg, "nobody"));
	}
	store_run_data_free(&d);
}

static void test_complete_and_repeats(void **state)
{
	um_run_data d;
	json_t *r;
	size_t i;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	/* replace borealis' error by a graded wrong answer: complete */
	for (i = 0; i < d.n_attempts; i++) {
		um_attempt_rec *a = &d.attempts[i];
		if (a->status == UM_ATT_ERROR) {
			a->status = UM_ATT_DONE;
			a->score = 0;
		}
	}
	r = build_report(&d);
	assert_true(json_is_true(json_object_get(r, "complete")));
	assert_int_equal(inum(r, "infrastructure_errors.total"), 0);
	json_decref(r);

	/* claim 2 repeats: nothing of sample 1 exists, so the run is
	 * incomplete and whole-suite accuracy halves */
	d.run.repeats = 2;
	r = build_report(&d);
	assert_true(json_is_false(json_object_get(r, "complete")));
	assert_int_equal(inum(r, "systems.2.attempts.planned"), 20);
	assert_int_equal(inum(r, "systems.2.attempts.not_attempted"), 10);
	assert_near(num(r, "systems.2.accuracy_whole_suite"), 0.4, 1e-9);
	assert_near(num(r, "systems.2.accuracy.value"), 0.8, 1e-9);
	json_decref(r);
	store_run_data_free(&d);
}

static void make_error(um_run_data *d, const char *id, const char *cls)
{
	size_t i;

	for (i = 0; i < d->n_attempts; i++) {
		um_attempt_rec *a = &d->attempts[i];
		if (strcmp(a->attempt_id, id) != 0)
			continue;
		a->status = UM_ATT_ERROR;
		a->score = -1;
		a->error_class = cls ? um_xstrdup(cls) : NULL;
		a->error_msg = um_xasprintf("failed: %s", id);
		return;
	}
	fail_msg("no attempt %s", id);
}

static void test_error_groups(void **state)
{
	int order;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	for (order = 0; order < 3; order++) {
		um_run_data d;
		json_t *r;

		build(&d, order);
		make_error(&d, "atlas-q05-0", "http_500");
		make_error(&d, "atlas-q03-0", "timeout");
		make_error(&d, "atlas-q04-0", "http_500");
		make_error(&d, "atlas-q07-0", NULL);
		r = build_report(&d);
		assert_int_equal(inum(r, "infrastructure_errors.total"), 5);
		assert_int_equal(json_array_size(path(r, "infrastructure_errors.groups")), 4);
		/* by system, then class; the first attempt in item order */
		assert_string_equal(str(r, "infrastructure_errors.groups.0.error_class"),
				    "http_500");
		assert_int_equal(inum(r, "infrastructure_errors.groups.0.count"), 2);
		assert_string_equal(str(r, "infrastructure_errors.groups.0.first_item_id"),
				    "q04");
		assert_string_equal(str(r, "infrastructure_errors.groups.0.first_message"),
				    "failed: atlas-q04-0");
		assert_string_equal(str(r, "infrastructure_errors.groups.1.error_class"),
				    "timeout");
		assert_string_equal(str(r, "infrastructure_errors.groups.2.error_class"),
				    "unknown");
		assert_string_equal(str(r, "infrastructure_errors.groups.3.system"), "borealis");
		assert_int_equal(inum(r, "systems.0.attempts.errors_by_class.http_500"), 2);
		assert_int_equal(inum(r, "systems.0.attempts.errors_by_class.unknown"), 1);
		assert_int_equal(inum(r, "systems.0.attempts.graded"), 6);
		/* atlas' paired count shrinks to the 6 items graded for both */
		assert_int_equal(inum(r, "paired.comparisons.0.n_pairs"), 6);
		json_decref(r);
		store_run_data_free(&d);
	}
}

static void test_repeats_cluster(void **state)
{
	um_run_data d;
	json_t *r;
	size_t i, n;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	/* a second sample of every attempt, with the same score: the samples
	 * of an item agree perfectly */
	d.run.repeats = 2;
	n = d.n_attempts;
	for (i = 0; i < n; i++) {
		/* copied first: add_attempt moves d.attempts */
		char *sys = um_xstrdup(d.attempts[i].system);
		int q = atoi(d.attempts[i].item_id + 1) - 1;
		int score = d.attempts[i].status == UM_ATT_DONE ? (int)d.attempts[i].score : -1;
		int64_t cost = d.attempts[i].cost_micro, lat = d.attempts[i].latency_ms;

		add_attempt(&d, sys, q, score, cost, lat);
		d.attempts[d.n_attempts - 1].sample = 1;
		free(d.attempts[d.n_attempts - 1].attempt_id);
		d.attempts[d.n_attempts - 1].attempt_id = um_xasprintf("%s-q%02d-1", sys, q + 1);
		free(sys);
	}
	r = build_report(&d);
	/* conductor 16/20 over 10 items: cluster-robust variance 10/9 * 4 *
	 * 1.6 / 400 = .0177778 over the binomial .16/20 = .008 is 2.22, kept at
	 * the most two repeats can cost (2): n_eff 10, t with 9 df */
	assert_near(num(r, "systems.2.accuracy.value"), 0.8, 1e-9);
	assert_near(num(r, "systems.2.accuracy.design_effect"), 2.0, 0);
	assert_near(num(r, "systems.2.accuracy.n_eff"), 10.0, 0);
	assert_int_equal(inum(r, "systems.2.accuracy.df"), 9);
	/* pass@k: k = 1 and 2; all-or-nothing items, so both are .8 */
	assert_int_equal(json_array_size(path(r, "systems.2.pass_at_k")), 2);
	assert_int_equal(inum(r, "systems.2.pass_at_k.1.k"), 2);
	assert_near(num(r, "systems.2.pass_at_k.1.pass_at_k.value"), 0.8, 1e-9);
	assert_near(num(r, "systems.2.pass_at_k.1.pass_hat_k.value"), 0.8, 1e-9);
	assert_true(num(r, "systems.2.pass_at_k.1.pass_at_k.se") > 0);
	/* McNemar is withheld with repeats; the sign-flip test is the same as
	 * with one sample (the per-item differences did not change) */
	assert_true(json_is_null(path(r, "paired.comparisons.0.mcnemar_p")));
	assert_near(num(r, "paired.comparisons.0.test.p"), 0.125, 1e-9);
	assert_int_equal(inum(r, "paired.comparisons.0.n_pairs"), 20);
	/* the samples agree: no variance within an item */
	assert_near(num(r, "paired.comparisons.0.variance.within"), 0.0, 1e-12);
	assert_near(num(r, "paired.comparisons.0.variance.between"), 0.5, 1e-6);
	json_decref(r);
	store_run_data_free(&d);
}

/* Partial credit: accuracy is the mean score (rewards clamped to [0, 1]),
 * "correct" counts full scores, pass@k and McNemar are withheld, and a 0/1
 * run's report has no "scoring" member at all. */
static void test_partial_scores(void **state)
{
	um_run_data d;
	json_t *r;
	char *md;
	size_t i;
	int seen = 0;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);
	assert_null(json_object_get(r, "scoring"));
	json_decref(r);
	for (i = 0; i < d.n_attempts; i++) {
		um_attempt_rec *a = &d.attempts[i];
		int q = atoi(a->item_id + 1) - 1;
		if (strcmp(a->system, "conductor") != 0)
			continue;
		a->has_reward = 1;
		/* 0, .1, ... .8, and 1.5 counted as 1; -0.5 would count 0 */
		a->reward = q == 9 ? 1.5 : q == 0 ? -0.5 : q / 10.0;
		a->score = a->reward >= 1.0;
	}
	r = build_report(&d);
	assert_string_equal(str(r, "scoring"), "partial");
	assert_near(num(r, "systems.2.accuracy.value"), 0.46, 1e-12);
	assert_near(num(r, "systems.2.accuracy_whole_suite"), 0.46, 1e-12);
	assert_int_equal(inum(r, "systems.2.correct"), 1);
	assert_true(num(r, "systems.2.accuracy.ci_lo") < 0.46);
	assert_true(num(r, "systems.2.accuracy.ci_hi") > 0.46);
	/* Chemistry (q06..q10): .5 .6 .7 .8 1; Physics: 0 .1 .2 .3 .4 */
	assert_near(num(r, "systems.2.categories.0.accuracy.value"), 0.72, 1e-12);
	assert_near(num(r, "systems.2.categories.1.accuracy.value"), 0.2, 1e-12);
	for (i = 0; i < json_array_size(path(r, "paired.comparisons")); i++) {
		const json_t *c = json_array_get(path(r, "paired.comparisons"), i);
		assert_true(json_is_null(json_object_get(c, "mcnemar_p")));
		if (strcmp(json_string_value(json_object_get(c, "system_a")), "conductor") == 0) {
			/* borealis' q10 failed: 9 pairs without conductor's 1 */
			assert_near(num(c, "accuracy_a"),
				    strcmp(str(c, "system_b"), "atlas") == 0 ? 0.46 : 3.6 / 9.0,
				    1e-12);
			seen++;
		}
	}
	assert_true(seen > 0);
	md = report_markdown(r);
	assert_non_null(strstr(md, "Scores are partial (each attempt scores in [0, 1])"));
	free(md);
	json_decref(r);
	d.run.repeats = 2;
	r = build_report(&d);
	assert_null(path(r, "systems.2.pass_at_k"));
	json_decref(r);
	store_run_data_free(&d);
}

/* Reasoning tokens, cache writes and times to first token: keys only where
 * there are some (a run without them reports as before), and a table of
 * report.md only then. */
static void test_provider_extras(void **state)
{
	static const int64_t ms[] = {500, 100, 400, 200, 300, 900, 600, 800, 700, 1000};
	um_run_data d;
	json_t *r;
	char *md, *plain_md, *plain_json, *t;
	size_t i;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);
	for (i = 0; i < 3; i++) {
		const json_t *sys = json_array_get(json_object_get(r, "systems"), i);
		assert_null(json_object_get(sys, "ttft_ms"));
		assert_null(path(sys, "tokens.reasoning"));
		assert_null(path(sys, "tokens.cache_write"));
	}
	plain_md = report_markdown(r);
	plain_json = report_json_text(r);
	assert_null(strstr(plain_md, "Streams, reasoning and prompt caches"));
	json_decref(r);

	/* zero counts and a system outside the run change nothing */
	add_ttft(&d, "ghost", 5);
	r = build_report(&d);
	t = report_json_text(r);
	assert_string_equal(t, plain_json);
	free(t);
	json_decref(r);

	for (i = 0; i < UM_ARRAY_LEN(ms); i++)
		add_ttft(&d, "conductor", ms[i]);
	for (i = 0; i < d.n_attempts; i++) {
		if (strcmp(d.attempts[i].system, "atlas") == 0)
			d.attempts[i].tokens_reasoning = 12;
		if (strcmp(d.attempts[i].system, "borealis") == 0)
			d.attempts[i].tokens_cache_write = 4;
	}
	r = build_report(&d);
	assert_int_equal(inum(r, "systems.0.tokens.reasoning"), 120);
	assert_null(path(r, "systems.0.tokens.cache_write"));
	assert_null(path(r, "systems.0.ttft_ms"));
	assert_int_equal(inum(r, "systems.1.tokens.cache_write"), 40);
	assert_int_equal(inum(r, "systems.2.ttft_ms.calls"), 10);
	assert_int_equal(inum(r, "systems.2.ttft_ms.p50"), 500);
	assert_int_equal(inum(r, "systems.2.ttft_ms.p90"), 900);
	assert_null(path(r, "systems.2.tokens.reasoning"));
	md = report_markdown(r);
	assert_non_null(strstr(md, "### Streams, reasoning and prompt caches\n"));
	assert_non_null(strstr(md, "| atlas | - | - | 120 | 100 | - |\n"));
	assert_non_null(strstr(md, "| borealis | - | - | - | 90 | 40 |\n"));
	assert_non_null(strstr(md, "| conductor | 10 | 500 / 900 | - | 100 | - |\n"));
	assert_int_equal(check_md_tables(md), check_md_tables(plain_md) + 1);
	free(md);
	free(plain_md);
	free(plain_json);
	json_decref(r);
	store_run_data_free(&d);
}

static void test_plan(void **state)
{
	um_run_data d;
	json_t *r;
	char *t, row[160];
	uint64_t g;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);
	/* conductor vs atlas: one sample per item, so all of the per-item
	 * variance (4.5/9 = .5) is "between" and only 1 repeat can be planned */
	assert_near(num(r, "paired.comparisons.0.variance.between"), 0.5, 1e-6);
	assert_true(json_is_null(path(r, "paired.comparisons.0.variance.within")));
	t = plan_target_mde_text(r, 10.0);
	g = stats_items_needed(0.5, 0.0, 1, 0.1, 0.95, 0.8);
	snprintf(row, sizeof(row), "| conductor | atlas | 10 | 70.3 | %llu | ? | ? | ? |",
		 (unsigned long long)g);
	assert_non_null(strstr(t, row));
	assert_non_null(strstr(t, "10.0 pp (95% level, 80% power)"));
	free(t);
	json_decref(r);
	store_run_data_free(&d);
}

static void test_markdown_and_summary(void **state)
{
	um_run_data d;
	json_t *r;
	char *md, *sum;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	build(&d, 0);
	r = build_report(&d);
	md = report_markdown(r);
	assert_non_null(strstr(md, "# umpire report: demo 1.0\n"));
	assert_non_null(strstr(md, "| suite | `11` |"));
	assert_non_null(strstr(md, "## Systems\n"));
	assert_non_null(strstr(md, "| System | Role | Model | Accuracy (95% CI) |"));
	/* conductor: 80.0% [53.9, 100.0], n 10, 0 errors, $0.0010, per correct
	 * $0.0001 (125 micro-USD), p50/p90 */
	assert_non_null(strstr(md, "| conductor | orchestrator | conductor-model | "
				   "80.0% [49.0, 95.6] | 10.0 | 80.0% | 10 | 0 | "
				   "1000 / 200 | 0.0010 | 0.0001 | 500 / 900 |"));
	assert_non_null(strstr(md, "## Accuracy by category\n"));
	assert_non_null(strstr(md, "| Chemistry | conductor | 5 | 3 | 60.0% ["));
	assert_non_null(strstr(md, "## Paired comparisons\n"));
	assert_non_null(strstr(md, "| conductor | atlas | 10 | 80.0% | 30.0% | "
				   "+50.0 [-0.6, +100.0] | 70.3 | 6 | 1 | 0.125 | 0.25 |"));
	assert_non_null(strstr(md, "## Claims\n"));
	assert_non_null(strstr(md, "| atlas | demo | 90.0% | 30.0% [9.3, 60.6] | below claim |"));
	assert_non_null(strstr(md, "| ghost | demo | 70.0% | not measured | not measured |"));
	assert_non_null(strstr(md, "## Infrastructure errors\n"));
	assert_true(check_md_tables(md) >= 6);
	/* the '|' in the message is escaped, the newline flattened */
	assert_non_null(strstr(md, "| borealis | http_429 | 1 | q10 #0 | "
				   "HTTP 429 \\| rate limited after 3 tries |"));

	sum = report_summary_text(r);
	assert_non_null(strstr(sum, "run run-1: demo 1.0, incomplete\n"));
	assert_non_null(strstr(sum, "system     role          accuracy  95% CI          "
				    "n eff"));
	/* the same interval and n_eff as report.md's row above */
	assert_non_null(strstr(sum, "conductor  orchestrator     80.0%  [49.0, 95.6]    "
				    "10.0                10       0      0.0010      500\n"));
	assert_non_null(strstr(sum, "borealis   baseline         66.7%"));
	free(sum);
	free(md);
	json_decref(r);

	/* renderers cope with an object that is not a report */
	r = json_object();
	md = report_markdown(r);
	sum = report_summary_text(r);
	assert_non_null(strstr(md, "## Systems"));
	assert_non_null(strstr(sum, "system"));
	free(md);
	free(sum);
	json_decref(r);
	store_run_data_free(&d);
}

/* Through the store: writing the run and loading it back gives the same
 * report, byte for byte. */
/* Routing events, a cached attempt and attempts of a system and an item
 * the run does not list, added to the store; then the report read one
 * attempt at a time equals the report of the loaded run, byte for byte. */
static void stream_matches_loaded(um_store *st, const um_run_data *d)
{
	um_routing_rec ev[3];
	um_attempt_rec extra;
	um_call_rec call;
	um_run_data back, meta;
	um_error err = {0};
	json_t *r1, *r2;
	char *t1, *t2;
	size_t i, k = 0;

	memset(ev, 0, sizeof(ev));
	for (i = 0; i < 3; i++) {
		ev[i].source = i == 2 ? "self-report" : "proxy";
		ev[i].attribution = "traceparent";
		ev[i].sub_model = i ? "m-b" : "m-a";
		ev[i].cost_micro = 100 * (int64_t)(i + 1);
		ev[i].status = i == 1 ? 500 : 200;
	}
	assert_int_equal(store_begin(st, &err), 0);
	for (i = 0; i < d->n_attempts; i++)
		if (strcmp(d->attempts[i].system, "conductor") == 0 && k++ % 2 == 0)
			assert_int_equal(store_put_attempt_routing(st, "run-1",
								   d->attempts[i].attempt_id,
								   d->attempts[i].n_calls, ev,
								   1 + k % 3, &err),
					 0);
	assert_int_equal(store_put_cached(st, "run-1", d->attempts[1].attempt_id, 1, &err), 0);
	memset(&call, 0, sizeof(call));
	call.http_status = 200;
	call.ttft_ms = -1;
	extra = d->attempts[0];
	extra.attempt_id = "orphan-system";
	extra.system = "not-listed";
	assert_int_equal(store_put_attempt(st, "run-1", &extra, &call, 1, &err), 0);
	extra.attempt_id = "orphan-item";
	extra.system = d->attempts[0].system;
	extra.item_id = "zz-not-listed";
	assert_int_equal(store_put_attempt(st, "run-1", &extra, &call, 1, &err), 0);
	assert_int_equal(store_commit(st, &err), 0);

	assert_int_equal(store_load_run(st, "run-1", &back, &err), 0);
	assert_int_equal(store_read_begin(st, &err), 0);
	assert_int_equal(store_load_run_meta(st, "run-1", &meta, &err), 0);
	assert_int_equal(meta.n_attempts, 0);
	r1 = build_report(&back);
	r2 = report_build_store(st, &meta, NULL, &err);
	store_read_end(st);
	assert_non_null(r2);
	t1 = report_json_text(r1);
	t2 = report_json_text(r2);
	assert_string_equal(t1, t2);
	assert_non_null(path(r2, "routing_log"));
	assert_non_null(path(r2, "cached_attempts"));
	assert_int_equal(inum(r2, "orphan_attempts"), 2);
	free(t1);
	free(t2);
	t1 = report_markdown(r1);
	t2 = report_markdown(r2);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	json_decref(r1);
	json_decref(r2);
	store_run_data_free(&back);
	store_run_data_free(&meta);
}

static void test_store_roundtrip(void **state)
{
	char dir[256], *db, *p;
	const char *tmp = getenv("TMPDIR");
	um_run_data d, back;
	um_store *st;
	um_error err = {0};
	int existed;
	size_t i;
	json_t *r1, *r2;
	char *t1, *t2;
	static const char *const suffix[] = {"", "-wal", "-shm"};

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	snprintf(dir, sizeof(dir), "%s/umpire-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	db = um_xasprintf("%s/u.db", dir);
	build(&d, 1);
	assert_int_equal(store_open(db, &st, &err), 0);
	assert_int_equal(store_begin(st, &err), 0);
	assert_int_equal(store_run_begin(st, &d.run, &existed, &err), 0);
	assert_int_equal(store_run_finish(st, d.run.run_id, d.run.finished_ms, d.run.status,
					  &err),
			 0);
	for (i = 0; i < d.n_systems; i++)
		assert_int_equal(store_put_system(st, "run-1", &d.systems[i], &err), 0);
	for (i = 0; i < d.n_items; i++)
		assert_int_equal(store_put_item(st, "run-1", &d.items[i], &err), 0);
	for (i = 0; i < d.n_claims; i++)
		assert_int_equal(store_put_claim(st, "run-1", &d.claims[i], &err), 0);
	for (i = 0; i < d.n_attempts; i++) {
		um_attempt_rec *a = &d.attempts[i];
		um_call_rec calls[3];
		int k;

		memset(calls, 0, sizeof(calls));
		for (k = 0; k < 3; k++)
			calls[k].ttft_ms = -1;
		/* the successful call carries what only some providers report */
		if (a->status == UM_ATT_DONE) {
			calls[0].http_status = 200;
			calls[0].tokens_reasoning = a->tokens_reasoning = 7;
			if (strcmp(a->system, "atlas") == 0)
				calls[0].tokens_cache_write = a->tokens_cache_write = 3;
			if (strcmp(a->system, "conductor") == 0) {
				calls[0].ttft_ms = 10 * (int64_t)(i + 1);
				add_ttft(&d, "conductor", calls[0].ttft_ms);
			}
		}
		assert_int_equal(store_put_attempt(st, "run-1", a, calls, a->n_calls, &err), 0);
	}
	assert_int_equal(store_commit(st, &err), 0);
	assert_int_equal(store_load_run(st, "run-1", &back, &err), 0);

	r1 = build_report(&d);
	r2 = build_report(&back);
	t1 = report_json_text(r1);
	t2 = report_json_text(r2);
	assert_string_equal(t1, t2);
	stream_matches_loaded(st, &d);
	store_close(st);
	/* the loaded sums and times to first token are the ones written */
	assert_int_equal(inum(r2, "systems.0.tokens.cache_write"), 30);
	assert_int_equal(inum(r2, "systems.2.tokens.reasoning"), 70);
	assert_int_equal(inum(r2, "systems.2.ttft_ms.calls"), 10);
	assert_null(path(r2, "systems.0.ttft_ms"));
	free(t1);
	free(t2);
	json_decref(r1);
	json_decref(r2);
	store_run_data_free(&d);
	store_run_data_free(&back);
	for (i = 0; i < 3; i++) {
		p = um_xasprintf("%s%s", db, suffix[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
	free(db);
}

static void test_write(void **state)
{
	char dir[256], *sub, *p, *data, *want;
	const char *tmp = getenv("TMPDIR");
	um_run_data d;
	um_error err = {0};
	json_t *r;
	size_t len;

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	snprintf(dir, sizeof(dir), "%s/umpire-report-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	sub = um_xasprintf("%s/reports/run-1", dir);
	build(&d, 0);
	r = build_report(&d);
	assert_int_equal(report_write(r, sub, &err), 0);

	p = um_xasprintf("%s/report.json", sub);
	assert_int_equal(um_read_file(p, &data, &len, &err), 0);
	want = report_json_text(r);
	assert_string_equal(data, want);
	free(data);
	free(want);
	unlink(p);
	free(p);
	p = um_xasprintf("%s/report.md", sub);
	assert_int_equal(um_read_file(p, &data, &len, &err), 0);
	want = report_markdown(r);
	assert_string_equal(data, want);
	free(data);
	free(want);
	unlink(p);
	free(p);

	/* a directory that cannot be created */
	p = um_xasprintf("%s/file", dir);
	assert_int_equal(um_write_file(p, "x", 1, 0644, &err), 0);
	free(sub);
	sub = um_xasprintf("%s/file/sub", dir);
	assert_int_equal(report_write(r, sub, &err), -1);
	assert_int_equal(err.code, UM_ERR_IO);
	unlink(p);
	free(p);

	p = um_xasprintf("%s/reports/run-1", dir);
	rmdir(p);
	free(p);
	p = um_xasprintf("%s/reports", dir);
	rmdir(p);
	free(p);
	rmdir(dir);
	free(sub);
	json_decref(r);
	store_run_data_free(&d);
}

static void test_bad_input(void **state)
{
	um_run_data d;
	um_report_opts o = {1.5, NULL, 0};
	um_error err = {0};

	(void)state;
	unsetenv("SOURCE_DATE_EPOCH");
	assert_null(report_build(NULL, NULL, &err));
	assert_int_equal(err.code, UM_ERR_INTERNAL);

	build(&d, 0);
	assert_null(report_build(&d, &o, &err));
	assert_int_equal(err.code, UM_ERR_USAGE);
	o.level = NAN;
	assert_null(report_build(&d, &o, &err));

	/* a 90% level is accepted and recorded */
	o.level = 0.90;
	{
		json_t *r = report_build(&d, &o, &err);
		char *md;
		assert_non_null(r);
		assert_near(num(r, "level"), 0.9, 1e-12);
		/* narrower than the 95% interval */
		assert_true(num(r, "systems.0.accuracy.ci_lo") > 0.0926946);
		md = report_markdown(r);
		assert_non_null(strstr(md, "Accuracy (90% CI)"));
		free(md);
		json_decref(r);
	}

	/* duplicate item ids */
	free(d.items[1].item_id);
	d.items[1].item_id = um_xstrdup(d.items[0].item_id);
	memset(&err, 0, sizeof(err));
	assert_null(report_build(&d, NULL, &err));
	assert_int_equal(err.code, UM_ERR_INVALID);
	assert_non_null(strstr(err.msg, "q01"));
	store_run_data_free(&d);

	/* attempts for unknown systems or items are counted, not scored;
	 * unparseable lib_versions are kept as text; an empty run works */
	build(&d, 0);
	free(d.attempts[0].system);
	d.attempts[0].system = um_xstrdup("nobody");
	free(d.run.lib_versions);
	d.run.lib_versions = um_xstrdup("{not json");
	{
		json_t *r = build_report(&d);
		assert_int_equal(inum(r, "orphan_attempts"), 1);
		assert_string_equal(str(r, "run.lib_versions"), "{not json");
		json_decref(r);
	}
	store_run_data_free(&d);
	memset(&d, 0, sizeof(d));
	{
		json_t *r = build_report(&d);
		char *md = report_markdown(r), *sum = report_summary_text(r);
		assert_true(json_is_false(json_object_get(r, "complete")));
		assert_int_equal(json_array_size(path(r, "systems")), 0);
		assert_non_null(strstr(md, "No comparisons."));
		free(md);
		free(sum);
		json_decref(r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_parity_and_model_swap),
		cmocka_unit_test(test_claimed_gaps),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_generated_at),
		cmocka_unit_test(test_no_orchestrator),
		cmocka_unit_test(test_complete_and_repeats),
		cmocka_unit_test(test_error_groups),
		cmocka_unit_test(test_repeats_cluster),
		cmocka_unit_test(test_partial_scores),
		cmocka_unit_test(test_provider_extras),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_markdown_and_summary),
		cmocka_unit_test(test_store_roundtrip),
		cmocka_unit_test(test_write),
		cmocka_unit_test(test_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
