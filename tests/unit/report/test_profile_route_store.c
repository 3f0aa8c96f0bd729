/*
 * test_profile_route_store.c - `umpire profile export` and `umpire
 * route-eval` read a stored run one attempt at a time (profile_build_store,
 * route_eval_store); their text must be byte for byte that of the same runs
 * loaded whole (profile_build, route_eval_json_opts), which is what these
 * commands printed before they streamed.
 *
 * The runs are made to touch every path of the sums: an orchestrator whose
 * attempts have proxy events (several, one with none), self-reported
 * events, an event with no attempt and one not attributed; errors, judge
 * outcomes, partial scores (rewards with many decimals, so the order of
 * the floating-point sums shows), several samples, an attempt whose item
 * is not in the run (an orphan), three categories, and a second run
 * pooled with the first with fewer systems and items.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "report/profile.h"
#include "report/route.h"
#include "store/store.h"
#include "base/util.h"

static const char *const cats[] = {"Physics", "Chemistry", "Biology"};

/* A deterministic stream of small numbers. */
static uint64_t next(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return *x >> 33;
}

static void put_run(um_store *s, const char *run_id, int n_sys, int n_items, int samples,
		    uint64_t seed)
{
	static const char *const names[] = {"conductor", "atlas", "borealis", "cirrus"};
	um_run_info ri = {0};
	um_error err = {0};
	uint64_t x = seed;
	int existed, i, k, m;

	ri.run_id = (char *)run_id;
	ri.suite_name = "sci";
	ri.suite_version = "1";
	ri.suite_kind = "mcq";
	ri.suite_sha256 = ri.scaffold_sha256 = ri.models_sha256 = ri.dataset_sha256 = "aa";
	ri.harness_version = "0";
	ri.seed = seed;
	ri.repeats = samples;
	ri.status = "complete";
	assert_int_equal(store_run_begin(s, &ri, &existed, &err), 0);
	assert_int_equal(store_begin(s, &err), 0);
	for (k = 0; k < n_sys; k++) {
		um_system_rec sr = {0};

		sr.name = sr.model = (char *)names[k];
		sr.role = k == 0 ? "orchestrator" : "baseline";
		sr.provider = "openai";
		sr.config_json = "{}";
		assert_int_equal(store_put_system(s, run_id, &sr, &err), 0);
	}
	for (i = 0; i < n_items; i++) {
		um_item_rec it = {0};
		char id[16];

		snprintf(id, sizeof(id), "q%02d", i);
		it.item_id = id;
		it.category = (char *)cats[i % 3];
		it.question = "Which?";
		it.choices_json = "[\"a\",\"b\"]";
		assert_int_equal(store_put_item(s, run_id, &it, &err), 0);
	}
	/* item n_items is not in the run: its attempts are orphans */
	for (i = 0; i <= n_items; i++)
		for (k = 0; k < n_sys; k++)
			for (m = 0; m < samples; m++) {
				um_attempt_rec a = {0};
				char aid[64], item[16];
				uint64_t r = next(&x) % 20;

				snprintf(item, sizeof(item), "q%02d", i);
				snprintf(aid, sizeof(aid), "%s/%s/%s/%d", run_id, names[k], item, m);
				a.attempt_id = aid;
				a.item_id = item;
				a.system = (char *)names[k];
				a.sample = m;
				a.perm = "0,1";
				a.request_hash = a.neutral_hash = "feed";
				a.cost_micro = 100 + (int64_t)(next(&x) % 5000) * (k + 1);
				a.latency_ms = 10 + (int64_t)(next(&x) % 300);
				a.tokens_in = 40 + (int64_t)(next(&x) % 50);
				a.tokens_out = (int64_t)(next(&x) % 30);
				a.n_calls = 1;
				if (r == 0) {
					a.status = UM_ATT_ERROR;
					a.score = -1;
					a.error_class = "timeout";
					a.error_msg = "timed out";
				} else if (r == 1) {
					a.score = 0;
					a.outcome = "judge_error";
				} else {
					a.score = r > 9;
					if (r % 4 == 0) {
						a.has_reward = 1;
						a.reward = (double)(next(&x) % 1000003) / 1000003.0;
					}
				}
				assert_int_equal(store_put_attempt(s, run_id, &a, NULL, 0, &err), 0);
				if (k != 0 || (i + m) % 5 == 0)
					continue;
				/* the orchestrator's downstream calls, as the proxy saw them */
				for (r = 0; r < 1 + (uint64_t)(i + m) % 3; r++) {
					um_routing_rec e = {0};

					e.attempt_id = aid;
					e.source = r == 2 ? "self-report" : "proxy";
					e.attribution = "traceparent";
					e.sub_model = (char *)names[1 + r];
					e.cost_micro = 1 + (int64_t)(next(&x) % 777);
					assert_int_equal(store_put_routing_event(s, run_id, &e, &err), 0);
				}
			}
	{
		um_routing_rec e = {0};

		e.attempt_id = "";
		e.source = "proxy";
		e.attribution = "none";
		e.sub_model = "atlas";
		e.cost_micro = 555;
		assert_int_equal(store_put_routing_event(s, run_id, &e, &err), 0);
	}
	assert_int_equal(store_commit(s, &err), 0);
}

typedef struct fixture {
	char dir[64], *path;
	um_store *st;
} fixture;

static int setup(void **state)
{
	fixture *f = um_xcalloc(1, sizeof(*f));
	um_error err = {0};

	snprintf(f->dir, sizeof(f->dir), "/tmp/umpire-stream.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	f->path = um_xasprintf("%s/s.db", f->dir);
	if (store_open(f->path, &f->st, &err) < 0)
		return -1;
	put_run(f->st, "r1", 4, 23, 3, 11);
	put_run(f->st, "r2", 2, 7, 2, 12);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	static const char *const ext[] = {"", "-wal", "-shm"};
	size_t i;

	store_close(f->st);
	for (i = 0; i < UM_ARRAY_LEN(ext); i++) {
		char *p = um_xasprintf("%s%s", f->path, ext[i]);
		unlink(p);
		free(p);
	}
	rmdir(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Loaded whole and loaded without attempts (the meta) for each id. */
static void load_both(um_store *st, const char *const *ids, size_t n, um_run_data *full,
		      um_run_data *meta)
{
	um_error err = {0};
	size_t i;

	for (i = 0; i < n; i++) {
		if (store_load_run(st, ids[i], &full[i], &err) < 0 ||
		    store_load_run_meta(st, ids[i], &meta[i], &err) < 0)
			fail_msg("%s", err.msg);
		assert_true(full[i].n_attempts > 0 && full[i].n_routing > 0);
		assert_int_equal(meta[i].n_attempts, 0);
	}
}

static void free_runs(um_run_data *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_run_data_free(&v[i]);
}

/* The two texts are the same (must holds in the first); frees both. */
static void same_text(char *ta, char *tb, const char *must)
{
	assert_string_equal(ta, tb);
	if (must)
		assert_non_null(strstr(ta, must));
	free(ta);
	free(tb);
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2) | JSON_REAL_PRECISION(6));
}

static void check_profile(um_store *st, const char *const *ids, size_t n)
{
	um_run_data full[2], meta[2];
	const um_run_data *pf[2], *pm[2];
	um_error err = {0};
	json_t *a, *b;
	size_t i;

	load_both(st, ids, n, full, meta);
	for (i = 0; i < n; i++) {
		pf[i] = &full[i];
		pm[i] = &meta[i];
	}
	assert_non_null(a = profile_build(pf, n, &err));
	assert_int_equal(store_read_begin(st, &err), 0);
	b = profile_build_store(st, pm, n, &err);
	store_read_end(st);
	if (!b)
		fail_msg("profile_build_store: %s", err.msg);
	same_text(profile_json_text(a), profile_json_text(b), "\"true_cost\": {");
	same_text(profile_csv_text(a), profile_csv_text(b), NULL);
	json_decref(a);
	json_decref(b);
	free_runs(full, n);
	free_runs(meta, n);
}

static void test_profile_one_run(void **state)
{
	static const char *const ids[] = {"r1"};

	check_profile(((fixture *)*state)->st, ids, 1);
}

static void test_profile_pooled(void **state)
{
	static const char *const ids[] = {"r2", "r1"};

	check_profile(((fixture *)*state)->st, ids, 2);
}

static void check_route(um_store *st, const char *id, const um_route_opts *o)
{
	um_run_data full, meta;
	um_error err = {0};
	json_t *a, *b;

	load_both(st, &id, 1, &full, &meta);
	assert_non_null(a = route_eval_json_opts(&full, o, &err));
	assert_int_equal(store_read_begin(st, &err), 0);
	b = route_eval_store(st, &meta, o, &err);
	store_read_end(st);
	if (!b)
		fail_msg("route_eval_store: %s", err.msg);
	same_text(dump(a), dump(b), "\"cost_basis\": \"true\"");
	same_text(route_eval_markdown(a), route_eval_markdown(b), NULL);
	json_decref(a);
	json_decref(b);
	store_run_data_free(&full);
	store_run_data_free(&meta);
}

static void test_route(void **state)
{
	um_store *st = ((fixture *)*state)->st;
	um_route_opts o = {11, 200, 0};

	check_route(st, "r1", &o);
	o.methods = 1;
	check_route(st, "r1", &o);
	o.seed = 5;
	check_route(st, "r2", &o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_one_run),
		cmocka_unit_test(test_profile_pooled),
		cmocka_unit_test(test_route),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
