/*
 * sim.c - the simulated model pool (see sim.h and docs/simulator.md).
 *
 * One libmicrohttpd daemon on 127.0.0.1, a thread per connection, so each
 * handler can simply block: simulated latency is a timed wait on a
 * condition that stopping signals, and an orchestrator runs a libcurl multi loop
 * over its members inside its own handler thread.
 *
 * Recognising the question: at load, every suite item is indexed by a
 * rolling hash of the first SIM_WINDOW bytes of its (trimmed) question, or
 * by the hash of the whole question when it is shorter. A prompt is then
 * scanned once with the same rolling hash (and line by line for the short
 * ones), each hit is confirmed with memcmp at the spot, so recognition is
 * linear in the prompt. The label of a choice is whatever stands before its
 * text on its line: "(A) text", "A) text", "A. text", "A: text".
 *
 * Determinism: the answer (right or wrong, which label, the wording, the
 * token counts) is drawn from an rng seeded by hash(seed, model, messages
 * text). Faults and latency come from a second rng that also mixes in how
 * many times this exact (model, body) has been seen, so a retry of a
 * request that failed can succeed, and a fresh simulator replays a run
 * exactly.
 *
 * Agent turns: a request that offers tools is one turn of a terminal task.
 * Tasks are indexed like questions, by their instruction, and found in the
 * first user message. Whether the model is "skilled" at a task is drawn
 * once from hash(seed, model, task id) against its accuracy for the task's
 * category; the turn's position is the number of tool results that answer
 * well-formed calls. A skilled model runs the reference solution as one
 * bash command and then submits; an unskilled one looks around (ls, cat
 * the files the instruction names) and submits without solving.
 */
#include "serve/sim.h"

#include <ctype.h>
#include <errno.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "serve/httpd.h"
#include "base/util.h"
#include "load/image.h"
#include "load/models.h"
#include "grade/code.h"
#include "serve/sim_scicode.h"
#include "load/yml.h"

#define SIM_WINDOW 40                      /* bytes of a question that are indexed */
#define SIM_MAX_BODY (64u * 1024u * 1024u) /* request bodies above this get 413 (images) */
#define SIM_MAX_UPSTREAM_BODY (64u * 1024u * 1024u)
#define SIM_MAX_DEPTH 64                   /* JSON nesting accepted in a request */
#define SIM_MAX_LATENCY_MS 600000.0        /* cap for one simulated delay */
#define SIM_UPSTREAM_TIMEOUT_MS 300000L    /* per member call of an orchestrator */
#define SIM_RK_BASE 1099511628211ULL       /* rolling-hash base (odd) */
#define SIM_IMAGE_TOKENS 85                /* input tokens an image costs (OpenAI's low detail) */

typedef struct sim_faults {
	double rate_429, rate_500, rate_stall, rate_malformed, rate_truncated;
	int64_t retry_after_s;
	double stall_s;
} sim_faults;

typedef struct sim_acc {
	char *category;
	double p;
} sim_acc;

typedef struct sim_model {
	char *name;
	int orchestrator;
	/* plain models */
	double acc_default;
	sim_acc *acc;
	size_t n_acc;
	double out_mean, out_spread, cached_fraction, format_misses;
	double malformed_tool_calls; /* share of agent turns whose call has broken arguments */
	int64_t context_tokens;      /* judged prompts above this are refused (0: no limit) */
	int judge;                   /* judges answers (docs/simulator.md, "Judged suites") */
	double judge_errors, judge_flips; /* replies out of format; verdicts turned round */
	/* rate_limit: a bucket of burst_s seconds' requests, refilled at the
	 * limit's rate (guarded by um_sim.lock); 0: none */
	double rl_per_ms, rl_cap, rl_left;
	int64_t rl_ms;
	/* both */
	double lat_median, lat_spread;
	sim_faults faults;
	uint64_t name_hash; /* hash(seed, name) */
	/* orchestrators */
	char **members;
	size_t n_members;
	char *upstream;         /* from the pool; NULL = this server */
	int upstream_anthropic; /* 0: openai, 1: anthropic */
	int64_t coord_in, coord_out;
} sim_model;

typedef struct sim_slot {
	uint64_t key; /* 0 = empty */
	size_t item;
} sim_slot;

/* An index of texts to find in prompts (questions, or task instructions):
 * open addressing, several slots may share a key. */
typedef struct sim_keys {
	int tasks;      /* 0: suite->items[].question, 1: suite->tasks[].instruction */
	sim_slot *win;  /* texts >= SIM_WINDOW bytes, keyed by their first window */
	size_t win_cap; /* power of two */
	sim_slot *line; /* shorter texts, keyed by the whole trimmed text */
	size_t line_cap;
} sim_keys;

typedef struct sim_occ {
	uint64_t key; /* 0 = empty */
	uint64_t count;
} sim_occ;

struct um_sim {
	const um_suite *suite;
	char *pool_path;
	uint64_t seed;
	double latency_scale;
	double item_difficulty; /* weight of the latent item effect, 0..1 */
	sim_model *models;
	size_t n_models;

	sim_keys questions; /* suite items, by question (judged: or last user message) */
	char **item_keys;   /* judged items with messages: their last user message */
	sim_keys tasks;     /* terminal tasks, by instruction */
	uint64_t rk_pow;    /* SIM_RK_BASE^(SIM_WINDOW-1) */

	char *upstream_override;
	struct MHD_Daemon *daemon;
	int port;
	char base_url[64];
	atomic_int stopping;
	pthread_mutex_t stop_lock; /* with stop_cond: wakes sleepers when stopping */
	pthread_cond_t stop_cond;  /* on CLOCK_MONOTONIC */

	pthread_mutex_t lock; /* guards occ and stats */
	sim_occ *occ;
	size_t occ_cap, occ_len;
	um_sim_stats stats;
};

/* ------------------------------------------------------------------ */
/* Pool file */

static const char *const pool_keys[] = {"umpire", "seed", "latency_scale", "item_difficulty",
					"models", "orchestrators", NULL};
static const char *const model_keys[] = {"name", "accuracy", "latency_ms", "tokens",
					 "cached_fraction", "format_misses",
					 "malformed_tool_calls", "faults", "context_tokens", "judge",
					 "rate_limit", NULL};
static const char *const rate_limit_keys[] = {"requests_per_minute", "burst_s", NULL};
static const char *const judge_keys[] = {"errors", "flips", NULL};
static const char *const orch_keys[] = {"name", "members", "upstream", "upstream_provider",
					"coordinator_tokens", "latency_ms", "faults", NULL};
static const char *const latency_keys[] = {"median", "spread", NULL};
static const char *const tokens_keys[] = {"output_mean", "output_spread", NULL};
static const char *const coord_keys[] = {"input", "output", NULL};
static const char *const fault_keys[] = {"rate_429", "retry_after_s", "rate_500", "rate_stall",
					 "stall_s", "rate_malformed", "rate_truncated", NULL};
static const char *const provider_names[] = {"openai", "anthropic", NULL};

static int sim_name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._:-", *s))
			return 0;
	return 1;
}

static sim_model *sim_find(const um_sim *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_models; i++)
		if (strcmp(s->models[i].name, name) == 0)
			return &s->models[i];
	return NULL;
}

static int pool_latency(const yml_doc *d, const yml_node *m, sim_model *md, um_error *err)
{
	const yml_node *n = yml_get(m, "latency_ms");

	md->lat_median = 500;
	md->lat_spread = 0.3;
	if (!n)
		return 0;
	if (yml_expect(d, n, YML_MAP, "latency_ms", err) < 0 ||
	    yml_check_keys(d, n, latency_keys, "latency_ms", err) < 0 ||
	    yml_double(d, n, "median", 1, 0, SIM_MAX_LATENCY_MS, &md->lat_median, err) < 0 ||
	    yml_double(d, n, "spread", 0, 0, 5, &md->lat_spread, err) < 0)
		return -1;
	return 0;
}

/* rate_limit: {requests_per_minute, burst_s}: what a provider's limit
 * does to requests past it (docs/simulator.md). */
static int pool_rate_limit(const yml_doc *d, const yml_node *m, sim_model *md, um_error *err)
{
	const yml_node *n = yml_get(m, "rate_limit");
	int64_t rpm = 0;
	double burst = 1;

	if (!n || yml_is_null(n))
		return 0;
	if (yml_expect(d, n, YML_MAP, "rate_limit", err) < 0 ||
	    yml_check_keys(d, n, rate_limit_keys, "rate_limit", err) < 0 ||
	    yml_int(d, n, "requests_per_minute", 1, 1, 100000000, &rpm, err) < 0 ||
	    yml_double(d, n, "burst_s", 0, 0.01, 60, &burst, err) < 0)
		return -1;
	md->rl_per_ms = (double)rpm / 60000.0;
	md->rl_cap = md->rl_left = fmax(1, md->rl_per_ms * burst * 1000.0);
	md->rl_ms = um_mono_ms();
	return 0;
}

static int pool_faults(const yml_doc *d, const yml_node *m, sim_faults *f, um_error *err)
{
	const yml_node *n = yml_get(m, "faults");
	double sum;

	memset(f, 0, sizeof(*f));
	f->retry_after_s = 1;
	f->stall_s = 30;
	if (!n)
		return 0;
	if (yml_expect(d, n, YML_MAP, "faults", err) < 0 ||
	    yml_check_keys(d, n, fault_keys, "faults", err) < 0 ||
	    yml_double(d, n, "rate_429", 0, 0, 1, &f->rate_429, err) < 0 ||
	    yml_int(d, n, "retry_after_s", 0, 0, 3600, &f->retry_after_s, err) < 0 ||
	    yml_double(d, n, "rate_500", 0, 0, 1, &f->rate_500, err) < 0 ||
	    yml_double(d, n, "rate_stall", 0, 0, 1, &f->rate_stall, err) < 0 ||
	    yml_double(d, n, "stall_s", 0, 0, 86400, &f->stall_s, err) < 0 ||
	    yml_double(d, n, "rate_malformed", 0, 0, 1, &f->rate_malformed, err) < 0 ||
	    yml_double(d, n, "rate_truncated", 0, 0, 1, &f->rate_truncated, err) < 0)
		return -1;
	sum = f->rate_429 + f->rate_500 + f->rate_stall + f->rate_malformed + f->rate_truncated;
	if (sum > 1.0 + 1e-9)
		return yml_fail(d, n, UM_ERR_INVALID, err,
				"fault rates add up to %g; their sum must not exceed 1", sum);
	return 0;
}

static int pool_name(um_sim *s, const yml_doc *d, const yml_node *m, sim_model *md,
		     um_error *err)
{
	const yml_node *n;

	if (yml_str(d, m, "name", 1, &md->name, err) < 0)
		return -1;
	n = yml_get(m, "name");
	if (!sim_name_ok(md->name))
		return yml_fail(d, n, UM_ERR_INVALID, err,
				"model name '%s' must match [A-Za-z0-9._:-]+", md->name);
	/* the new model is already counted in n_models: look only before it */
	for (size_t i = 0; i + 1 < s->n_models; i++)
		if (strcmp(s->models[i].name, md->name) == 0)
			return yml_fail(d, n, UM_ERR_INVALID, err,
					"model name '%s' is defined twice", md->name);
	md->name_hash = um_hash64(md->name, strlen(md->name), s->seed);
	return 0;
}

static int pool_model(um_sim *s, const yml_doc *d, const yml_node *m, sim_model *md,
		      um_error *err)
{
	const yml_node *acc, *tok;
	size_t i;

	if (yml_expect(d, m, YML_MAP, "model", err) < 0 ||
	    yml_check_keys(d, m, model_keys, "model", err) < 0 || pool_name(s, d, m, md, err) < 0)
		return -1;

	md->acc_default = 0.5;
	acc = yml_get(m, "accuracy");
	if (!acc)
		return yml_fail(d, m, UM_ERR_INVALID, err, "model '%s': missing key 'accuracy'",
				md->name);
	if (yml_expect(d, acc, YML_MAP, "accuracy", err) < 0)
		return -1;
	md->acc = um_xcalloc(acc->n ? acc->n : 1, sizeof(*md->acc));
	for (i = 0; i < acc->n; i++) {
		const char *key = acc->keys[i]->scalar;
		double p;

		if (yml_node_double(d, acc->items[i], "accuracy", 0, 1, &p, err) < 0)
			return -1;
		if (strcmp(key, "default") == 0) {
			md->acc_default = p;
			continue;
		}
		md->acc[md->n_acc].category = um_xstrdup(key);
		md->acc[md->n_acc].p = p;
		md->n_acc++;
	}

	if (pool_latency(d, m, md, err) < 0)
		return -1;
	md->out_mean = 300;
	md->out_spread = 0.3;
	tok = yml_get(m, "tokens");
	if (tok && (yml_expect(d, tok, YML_MAP, "tokens", err) < 0 ||
		    yml_check_keys(d, tok, tokens_keys, "tokens", err) < 0 ||
		    yml_double(d, tok, "output_mean", 1, 1, 1e7, &md->out_mean, err) < 0 ||
		    yml_double(d, tok, "output_spread", 0, 0, 5, &md->out_spread, err) < 0))
		return -1;
	if (yml_double(d, m, "cached_fraction", 0, 0, 1, &md->cached_fraction, err) < 0 ||
	    yml_double(d, m, "format_misses", 0, 0, 1, &md->format_misses, err) < 0 ||
	    yml_double(d, m, "malformed_tool_calls", 0, 0, 1, &md->malformed_tool_calls, err) < 0 ||
	    yml_int(d, m, "context_tokens", 0, 1, INT64_MAX / 8, &md->context_tokens, err) < 0)
		return -1;
	tok = yml_get(m, "judge");
	if (tok && !yml_is_null(tok)) {
		md->judge = 1;
		if (yml_expect(d, tok, YML_MAP, "judge", err) < 0 ||
		    yml_check_keys(d, tok, judge_keys, "judge", err) < 0 ||
		    yml_double(d, tok, "errors", 0, 0, 1, &md->judge_errors, err) < 0 ||
		    yml_double(d, tok, "flips", 0, 0, 1, &md->judge_flips, err) < 0)
			return -1;
	}
	if (pool_rate_limit(d, m, md, err) < 0)
		return -1;
	return pool_faults(d, m, &md->faults, err);
}

static int pool_orchestrator(um_sim *s, const yml_doc *d, const yml_node *m, sim_model *md,
			     um_error *err)
{
	const yml_node *mem, *up, *ct;
	size_t i, j;

	md->orchestrator = 1;
	if (yml_expect(d, m, YML_MAP, "orchestrator", err) < 0 ||
	    yml_check_keys(d, m, orch_keys, "orchestrator", err) < 0 ||
	    pool_name(s, d, m, md, err) < 0)
		return -1;

	up = yml_get(m, "upstream");
	if (up && !yml_is_null(up)) {
		const char *why;
		int secret;

		if (yml_node_str(d, up, "upstream", &md->upstream, err) < 0)
			return -1;
		/* read as a system's base_url is (libcurl's URL parser) */
		if ((why = models_url_check(md->upstream, &secret)))
			return yml_fail(d, up, UM_ERR_INVALID, err, "upstream %s%s%s", why,
					secret ? "" : ": ", secret ? "" : md->upstream);
	}
	if (yml_enum(d, m, "upstream_provider", 0, provider_names, &md->upstream_anthropic,
		     err) < 0)
		return -1;

	mem = yml_get(m, "members");
	if (!mem)
		return yml_fail(d, m, UM_ERR_INVALID, err,
				"orchestrator '%s': missing key 'members'", md->name);
	if (yml_expect(d, mem, YML_SEQ, "members", err) < 0)
		return -1;
	if (mem->n == 0)
		return yml_fail(d, mem, UM_ERR_INVALID, err, "members must not be empty");
	md->members = um_xcalloc(mem->n, sizeof(char *));
	for (i = 0; i < mem->n; i++) {
		if (yml_node_str(d, mem->items[i], "member", &md->members[i], err) < 0)
			return -1;
		md->n_members++;
		for (j = 0; j < i; j++)
			if (strcmp(md->members[j], md->members[i]) == 0)
				return yml_fail(d, mem->items[i], UM_ERR_INVALID, err,
						"member '%s' is listed twice", md->members[i]);
	}

	ct = yml_get(m, "coordinator_tokens");
	if (ct && (yml_expect(d, ct, YML_MAP, "coordinator_tokens", err) < 0 ||
		   yml_check_keys(d, ct, coord_keys, "coordinator_tokens", err) < 0 ||
		   yml_int(d, ct, "input", 0, 0, 1000000000, &md->coord_in, err) < 0 ||
		   yml_int(d, ct, "output", 0, 0, 1000000000, &md->coord_out, err) < 0))
		return -1;
	if (pool_latency(d, m, md, err) < 0)
		return -1;
	return pool_faults(d, m, &md->faults, err);
}

/* Members served by this pool must exist and be plain models. */
static int pool_check_members(um_sim *s, const yml_doc *d, const yml_node *orchs,
			      um_error *err)
{
	size_t i, j, k = 0;

	for (i = 0; i < s->n_models; i++) {
		sim_model *o = &s->models[i];
		const yml_node *on, *mem;

		if (!o->orchestrator)
			continue;
		on = orchs->items[k++];
		if (o->upstream)
			continue;
		mem = yml_get(on, "members");
		for (j = 0; j < o->n_members; j++) {
			sim_model *t = sim_find(s, o->members[j]);

			if (!t)
				return yml_fail(d, mem->items[j], UM_ERR_INVALID, err,
						"member '%s' is not a model of this pool",
						o->members[j]);
			if (t->orchestrator)
				return yml_fail(d, mem->items[j], UM_ERR_INVALID, err,
						"member '%s' is an orchestrator; members must be "
						"plain models", o->members[j]);
		}
	}
	return 0;
}

static int pool_parse(um_sim *s, const yml_doc *d, um_error *err)
{
	const yml_node *root = d->root, *models, *orchs;
	int64_t seed = 0;
	size_t i, total;

	if (yml_check_schema(d, "pool", err) < 0 ||
	    yml_check_keys(d, root, pool_keys, "pool", err) < 0 ||
	    yml_int(d, root, "seed", 0, 0, INT64_MAX, &seed, err) < 0)
		return -1;
	s->seed = (uint64_t)seed;
	s->latency_scale = 1.0;
	if (yml_double(d, root, "latency_scale", 0, 0, 1000, &s->latency_scale, err) < 0 ||
	    yml_double(d, root, "item_difficulty", 0, 0, 1, &s->item_difficulty, err) < 0)
		return -1;

	models = yml_get(root, "models");
	orchs = yml_get(root, "orchestrators");
	if (yml_is_null(orchs))
		orchs = NULL;
	if (!models)
		return yml_fail(d, root, UM_ERR_INVALID, err, "missing key 'models'");
	if (yml_expect(d, models, YML_SEQ, "models", err) < 0)
		return -1;
	if (models->n == 0)
		return yml_fail(d, models, UM_ERR_INVALID, err, "models must not be empty");
	if (orchs && yml_expect(d, orchs, YML_SEQ, "orchestrators", err) < 0)
		return -1;
	total = models->n + (orchs ? orchs->n : 0);
	s->models = um_xcalloc(total, sizeof(*s->models));
	for (i = 0; i < models->n; i++) {
		s->n_models++;
		if (pool_model(s, d, models->items[i], &s->models[s->n_models - 1], err) < 0)
			return -1;
	}
	for (i = 0; orchs && i < orchs->n; i++) {
		s->n_models++;
		if (pool_orchestrator(s, d, orchs->items[i], &s->models[s->n_models - 1], err) <
		    0)
			return -1;
	}
	if (orchs && pool_check_members(s, d, orchs, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Question index */

static size_t sim_trim_span(const char **p, size_t len)
{
	const char *a = *p, *e = a + len;

	while (a < e && isspace((unsigned char)*a))
		a++;
	while (e > a && isspace((unsigned char)e[-1]))
		e--;
	*p = a;
	return (size_t)(e - a);
}

static uint64_t sim_rk(const char *p, size_t n)
{
	uint64_t h = 0;
	size_t i;

	for (i = 0; i < n; i++)
		h = h * SIM_RK_BASE + (unsigned char)p[i];
	return h ? h : 1;
}

static uint64_t sim_rk_fix(uint64_t h)
{
	return h ? h : 1;
}

static void slot_put(sim_slot *t, size_t cap, uint64_t key, size_t item)
{
	size_t i = (size_t)um_mix64(key) & (cap - 1);

	while (t[i].key)
		i = (i + 1) & (cap - 1);
	t[i].key = key;
	t[i].item = item;
}

static size_t pow2_above(size_t n)
{
	size_t c = 16;

	while (c < n * 2 + 1)
		c *= 2;
	return c;
}

/* The text keyed by entry i of index k (may be NULL). */
static const char *sim_key_text(const um_sim *s, const sim_keys *k, size_t i)
{
	if (k->tasks)
		return s->suite->tasks[i].instruction;
	if (s->item_keys && s->item_keys[i])
		return s->item_keys[i];
	return s->suite->items[i].question;
}

/* Judged items that bring their own messages are known by the last one. */
static void sim_item_keys(um_sim *s)
{
	size_t i;

	if (!s->suite || !s->suite->n_items)
		return;
	s->item_keys = um_xcalloc(s->suite->n_items, sizeof(char *));
	for (i = 0; i < s->suite->n_items; i++) {
		json_t *m = s->suite->items[i].messages
				    ? json_loads(s->suite->items[i].messages, 0, NULL)
				    : NULL;
		const char *c = json_string_value(
			json_object_get(json_array_get(m, json_array_size(m) - 1), "content"));

		if (c)
			s->item_keys[i] = um_xstrdup(c);
		json_decref(m);
	}
}

static void sim_index_keys(um_sim *s, sim_keys *k, int tasks)
{
	size_t i, n_keys = 0;

	if (s->suite)
		n_keys = tasks ? s->suite->n_tasks : s->suite->n_items;
	k->tasks = tasks;
	k->win_cap = pow2_above(n_keys);
	k->line_cap = k->win_cap;
	k->win = um_xcalloc(k->win_cap, sizeof(*k->win));
	k->line = um_xcalloc(k->line_cap, sizeof(*k->line));
	for (i = 0; i < n_keys; i++) {
		const char *q = sim_key_text(s, k, i);
		size_t n;

		if (!q)
			continue;
		n = sim_trim_span(&q, strlen(q));
		if (n == 0)
			continue;
		if (n >= SIM_WINDOW)
			slot_put(k->win, k->win_cap, sim_rk(q, SIM_WINDOW), i);
		else
			slot_put(k->line, k->line_cap, sim_rk(q, n), i);
	}
}

static void sim_index(um_sim *s)
{
	size_t i;

	s->rk_pow = 1;
	for (i = 0; i + 1 < SIM_WINDOW; i++)
		s->rk_pow *= SIM_RK_BASE;
	sim_item_keys(s);
	sim_index_keys(s, &s->questions, 0);
	sim_index_keys(s, &s->tasks, 1);
}

/* Consider entry `it` found at text[pos]: keep the longest confirmed one. */
static void sim_consider(const um_sim *s, const sim_keys *k, const char *text, size_t len,
			 size_t pos, size_t it, long *best, size_t *best_len, size_t *best_end)
{
	const char *q = sim_key_text(s, k, it);
	size_t n = sim_trim_span(&q, strlen(q));

	if (n > len - pos || memcmp(text + pos, q, n) != 0)
		return;
	if (*best < 0 || n > *best_len) {
		*best = (long)it;
		*best_len = n;
		*best_end = pos + n;
	}
}

static void sim_probe(const um_sim *s, const sim_keys *k, int line, uint64_t key,
		      const char *text, size_t len, size_t pos, long *best, size_t *best_len,
		      size_t *best_end)
{
	const sim_slot *t = line ? k->line : k->win;
	size_t cap = line ? k->line_cap : k->win_cap;
	size_t i = (size_t)um_mix64(key) & (cap - 1);

	for (; t[i].key; i = (i + 1) & (cap - 1))
		if (t[i].key == key)
			sim_consider(s, k, text, len, pos, t[i].item, best, best_len, best_end);
}

/* The entry of index k whose text appears in text (longest wins), or -1. */
static long sim_find_key(const um_sim *s, const sim_keys *k, const char *text, size_t len,
			 size_t *q_end)
{
	long best = -1;
	size_t best_len = 0, best_end = 0, i;

	*q_end = 0;
	if (!s->suite || (k->tasks ? s->suite->n_tasks : s->suite->n_items) == 0)
		return -1;
	if (len >= SIM_WINDOW) {
		uint64_t h = 0;

		for (i = 0; i < SIM_WINDOW; i++)
			h = h * SIM_RK_BASE + (unsigned char)text[i];
		for (i = 0;; i++) {
			sim_probe(s, k, 0, sim_rk_fix(h), text, len, i, &best, &best_len,
				  &best_end);
			if (i + SIM_WINDOW >= len)
				break;
			h = (h - (unsigned char)text[i] * s->rk_pow) * SIM_RK_BASE +
			    (unsigned char)text[i + SIM_WINDOW];
		}
	}
	/* short questions: one whole trimmed line of the prompt */
	for (i = 0; i < len;) {
		const char *ls = text + i, *nl = memchr(ls, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - ls) : len - i;
		const char *t = ls;
		size_t tl = sim_trim_span(&t, ll);

		if (tl > 0 && tl < SIM_WINDOW)
			sim_probe(s, k, 1, sim_rk(t, tl), text, len, (size_t)(t - text), &best,
				  &best_len, &best_end);
		i += ll + 1;
	}
	*q_end = best_end;
	return best;
}

/* The label written before text[occ] on its line ("(A) ", "A) ", "A. ",
 * "A: "), copied to out; 0 when there is none. */
static int sim_label_before(const char *text, size_t occ, char out[4])
{
	size_t e = occ, le, lb;
	char delim;

	while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '\t'))
		e--;
	if (e == 0)
		return 0;
	delim = text[e - 1];
	if (!strchr(").:]", delim))
		return 0;
	le = --e;
	lb = le;
	while (lb > 0 && isalnum((unsigned char)text[lb - 1]) && le - lb < 4)
		lb--;
	if (lb == le || le - lb > 3)
		return 0;
	if (lb > 0 && !strchr(" \t\n([*-", text[lb - 1]))
		return 0;
	memcpy(out, text + lb, le - lb);
	out[le - lb] = '\0';
	return 1;
}

/* Find where choice text c is shown, at the end of a line with a label
 * before it; search from `from` first, then the whole prompt. */
static int sim_choice_label(const char *text, size_t len, size_t from, const char *c,
			    char out[4])
{
	size_t n = strlen(c), pass;

	n = sim_trim_span(&c, n);
	if (n == 0)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		size_t pos = pass ? 0 : from;

		while (pos < len) {
			const char *hit = memmem(text + pos, len - pos, c, n);
			size_t at, after;

			if (!hit)
				break;
			at = (size_t)(hit - text);
			after = at + n;
			while (after < len && (text[after] == ' ' || text[after] == '\t' ||
					       text[after] == '\r'))
				after++;
			if ((after == len || text[after] == '\n') &&
			    sim_label_before(text, at, out))
				return 1;
			pos = at + 1;
		}
		if (from == 0)
			break;
	}
	return 0;
}

typedef struct sim_reco {
	long item;
	char correct[4];
	char wrong[UM_MAX_CHOICES][4];
	int n_wrong;
} sim_reco;

static void sim_recognise_full(const um_sim *s, const char *text, size_t len, sim_reco *r)
{
	const um_item *it;
	size_t q_end = 0;
	int i;

	memset(r, 0, sizeof(*r));
	r->item = sim_find_key(s, &s->questions, text, len, &q_end);
	if (r->item < 0)
		return;
	it = &s->suite->items[r->item];
	if (it->correct < 0 || it->correct >= it->n_choices ||
	    !sim_choice_label(text, len, q_end, it->choices[it->correct], r->correct)) {
		r->item = -1;
		return;
	}
	for (i = 0; i < it->n_choices; i++) {
		char l[4];

		if (i == it->correct || !it->choices[i])
			continue;
		if (sim_choice_label(text, len, q_end, it->choices[i], l) &&
		    strcmp(l, r->correct) != 0)
			memcpy(r->wrong[r->n_wrong++], l, 4);
	}
	if (r->n_wrong == 0) {
		/* labels not found: assume consecutive letters */
		for (i = 0; i < it->n_choices && i < 26; i++) {
			char l[4] = {(char)('A' + i), 0, 0, 0};

			if (strcmp(l, r->correct) != 0)
				memcpy(r->wrong[r->n_wrong++], l, 4);
		}
		if (r->n_wrong == 0) {
			char l[4] = {r->correct[0] == 'A' ? 'B' : 'A', 0, 0, 0};

			memcpy(r->wrong[r->n_wrong++], l, 4);
		}
	}
}

long sim_recognise(const um_sim *s, const char *text, size_t len, char label[4])
{
	sim_reco r;

	sim_recognise_full(s, text, len, &r);
	if (r.item >= 0)
		memcpy(label, r.correct, 4);
	else
		label[0] = '\0';
	return r.item;
}

/* ------------------------------------------------------------------ */
/* Answers */

/* First reasoning line: before and after the category name. */
static const char *const reason_first[][2] = {
	{"Let me recall the key ", " principles that apply here."},
	{"This turns on a standard ", " result, so work through it step by step."},
	{"First, identify the quantities given and what is being asked in this ", " problem."},
	{"Restating the problem: the ", " setting constrains which options remain possible."},
	{"The relevant ", " background narrows things down quickly."},
};
static const char *const reason_second[] = {
	"Checking each option against these constraints rules out all but one.",
	"Comparing the options, only one is consistent with the reasoning above.",
	"Eliminating the choices that contradict the given conditions leaves one candidate.",
	"Estimating orders of magnitude confirms the choice below.",
	"Double-checking the edge cases does not change the conclusion.",
};

typedef struct sim_answer {
	char *content; /* caller frees */
	int64_t tokens_in, tokens_cached, tokens_out;
} sim_answer;

static double sim_accuracy(const sim_model *m, const char *category)
{
	size_t i;

	for (i = 0; category && i < m->n_acc; i++)
		if (strcmp(m->acc[i].category, category) == 0)
			return m->acc[i].p;
	return m->acc_default;
}

/*
 * The latent item effect (docs/simulator.md, "Item difficulty"): an item's
 * easiness v is uniform on [0, 1) from hash(pool seed, item id), the same
 * for every model and sample. With probability item_difficulty an attempt
 * is right when v < accuracy, else when its own uniform u is: accuracy stays
 * the marginal rate, two attempts of one item agree more often (their
 * correlation is item_difficulty^2), and an item hard for one model is hard
 * for the others.
 */
static double sim_correct_draw(const um_sim *s, const char *item_id, double u, double u_mix)
{
	uint64_t h;

	if (!(s->item_difficulty > 0.0) || !item_id || !(u_mix < s->item_difficulty))
		return u;
	h = um_hash64(item_id, strlen(item_id), s->seed ^ 0x6974656d64696666ULL);
	return (double)(h >> 11) * 0x1.0p-53;
}

static uint64_t sim_content_seed(const um_sim *s, const sim_model *m, const char *text,
				 size_t len)
{
	return um_hash64(text, len, m->name_hash ^ s->seed);
}

static int64_t sim_input_tokens(size_t text_len, size_t n_messages)
{
	return (int64_t)(text_len / 4 + 4 * n_messages + 3);
}

/* A label other than `label`, for a first answer the model then revises. */
static const char *sim_other_label(const sim_reco *reco, const char *label, uint64_t pick)
{
	static const char *const abcd[] = {"A", "B", "C", "D"};
	int i;

	if (reco->item >= 0) {
		if (strcmp(reco->correct, label) != 0)
			return reco->correct;
		for (i = 0; i < reco->n_wrong; i++)
			if (strcmp(reco->wrong[(pick + (uint64_t)i) % (uint64_t)reco->n_wrong], label))
				return reco->wrong[(pick + (uint64_t)i) % (uint64_t)reco->n_wrong];
	}
	for (i = 0; i < 4; i++)
		if (strcmp(abcd[(pick + (uint64_t)i) % 4], label) != 0)
			return abcd[(pick + (uint64_t)i) % 4];
	return "A";
}

/* A wrong program for a code item: wrong output or a runtime error, in
 * the item's I/O style (docs/simulator.md, "Code answers"). */
static void sim_wrong_program(const um_code_item *c, um_code_lang lang, uint64_t pick, um_buf *b)
{
	int crash = (pick & 1) != 0;

	if (lang == UM_CODE_CPP) {
		um_buf_puts(b, crash ? "#include <cstdlib>\nint main() { std::abort(); }\n"
				     : "#include <cstdio>\nint main() { std::puts(\"-1\"); }\n");
		return;
	}
	if (c->io == UM_CODE_STDIN) {
		um_buf_puts(b, crash ? "n = int(input().split()[0])\nprint(10 // (n - n))\n"
				     : "data = input()\nprint(-1)\n");
		return;
	}
	if (strstr(c->starter_code, "class Solution"))
		um_buf_printf(b, "class Solution:\n    def %s(self, *args):\n        return %s\n",
			      c->func_name, crash ? "[][0]" : "None");
	else
		um_buf_printf(b, "def %s(*args):\n    return %s\n", c->func_name,
			      crash ? "[][0]" : "None");
}

/* The answer to a code prompt: the item's reference program when the draw
 * is right (an item without one can only be answered wrong), else a wrong
 * one; a format miss leaves the fences out (nothing to extract) or shows a
 * wrong draft before the final block (the last block is graded). */
static void sim_code_answer(const um_item *it, um_code_lang lang, int right, int miss,
			    double u_fmt_kind, uint64_t pick, um_buf *b)
{
	const um_code_item *c = it->code;
	const char *tag = lang == UM_CODE_CPP ? "cpp" : "python";
	um_buf prog = UM_BUF_INIT;

	um_buf_init(&prog, 0);
	if (right && c->solution)
		um_buf_puts(&prog, c->solution);
	else
		sim_wrong_program(c, lang, pick, &prog);
	um_buf_printf(b, "%s\n\n", c->io == UM_CODE_STDIN
					 ? "The program reads the input and prints the answer."
					 : "The method below computes the result directly.");
	if (miss && u_fmt_kind < 0.5) {
		um_buf_printf(b, "%s\n", um_buf_str(&prog));
	} else {
		if (miss) {
			um_buf_printf(b, "A first draft:\n\n```%s\n", tag);
			sim_wrong_program(c, lang, pick >> 1, b);
			um_buf_puts(b, "```\n\nThat fails an edge case; the final version:\n\n");
		}
		um_buf_printf(b, "```%s\n%s%s```\n", tag, um_buf_str(&prog),
			      prog.len && um_buf_str(&prog)[prog.len - 1] == '\n' ? "" : "\n");
	}
	um_buf_release(&prog);
}

/* An answer's token counts: input from the prompt's size, output drawn
 * from the model's distribution (z a standard normal draw). */
static void sim_answer_tokens(const sim_model *m, size_t len, size_t n_messages, double z,
			      sim_answer *a)
{
	a->tokens_in = sim_input_tokens(len, n_messages);
	a->tokens_cached = (int64_t)floor((double)a->tokens_in * m->cached_fraction);
	a->tokens_out = (int64_t)llround(m->out_mean * exp(m->out_spread * z));
	if (a->tokens_out < 1)
		a->tokens_out = 1;
}

/* ---- judged suites ---------------------------------------------------- */

static int sim_judged(const um_sim *s)
{
	return s->suite && s->suite->kind && strcmp(s->suite->kind, "judged") == 0;
}

/* A wrong answer near the right one: a number off by half again, else
 * another phrase. */
static char *sim_wrong_answer(const char *answer, uint64_t pick)
{
	static const char *const others[] = {"none of these", "it cannot be determined",
					     "the opposite holds", "a different result"};
	char *end;
	double x = strtod(answer, &end);

	if (end != answer && *end == '\0')
		return um_xasprintf("%.6g", x * 1.5 + 1.0);
	return um_xstrdup(others[pick % 4]);
}

/* A Graphwalks reply: the node list on its last line; a wrong one leaves a
 * node out (or, for an empty list, names one that is not there). */
static void sim_graphwalks_text(const char *answer, int right, uint64_t pick, um_buf *b)
{
	json_t *nodes = json_loads(answer, 0, NULL);
	size_t n = json_array_size(nodes), skip = right || n == 0 ? (size_t)-1 : pick % n, i;
	int first = 1;

	um_buf_puts(b, "Walking the edges from the start node, level by level.\nFinal Answer: [");
	for (i = 0; i < n; i++) {
		if (i == skip)
			continue;
		um_buf_printf(b, "%s%s", first ? "" : ", ",
			      json_string_value(json_array_get(nodes, i)));
		first = 0;
	}
	if (!right && n == 0)
		um_buf_puts(b, "0000000000");
	um_buf_puts(b, "]");
	json_decref(nodes);
}

static void sim_judged_text(const um_sim *s, const um_item *it, int right, um_rng *r, um_buf *b)
{
	const char *grader = it->grader ? it->grader : s->suite->judged.grader;
	uint64_t pick = um_rng_next(r);
	int conf = right ? 70 + (int)um_rng_below(r, 26) : 35 + (int)um_rng_below(r, 50);
	char *wrong;

	if (grader && strcmp(grader, "mrcr") == 0) {
		size_t n = strlen(it->answer);
		/* wrong: the right text cut short, or no prefix at all */
		if (right)
			um_buf_printf(b, "%s%s", it->prefix ? it->prefix : "", it->answer);
		else if (pick % 3 == 0)
			um_buf_puts(b, it->answer);
		else
			um_buf_printf(b, "%s%.*s", it->prefix ? it->prefix : "", (int)(n / 2),
				      it->answer);
		return;
	}
	if (grader && strcmp(grader, "graphwalks") == 0) {
		sim_graphwalks_text(it->answer, right, pick, b);
		return;
	}
	wrong = right ? NULL : sim_wrong_answer(it->answer, pick);
	if (grader && strcmp(grader, "similarity") == 0) {
		um_buf_puts(b, right ? it->answer : wrong);
	} else {
		um_buf_printf(b, "Explanation: working from the %s background, one result fits.\n",
			      it->category ? it->category : "domain");
		um_buf_printf(b, "Exact Answer: %s\nConfidence: %d%%", right ? it->answer : wrong,
			      conf);
	}
	free(wrong);
}

/* The text after the last "Exact Answer:" in text (a response quoted in
 * a judge's prompt), trimmed, or NULL. Caller frees. */
static char *sim_quoted_answer(const char *text)
{
	const char *p = text, *last = NULL;

	while ((p = strstr(p, "Exact Answer:")) != NULL) {
		last = p + strlen("Exact Answer:");
		p = last;
	}
	return last ? um_trim(um_xstrndup(last, strcspn(last, "\n"))) : NULL;
}

static int sim_confidence_in(const char *text)
{
	const char *p = text, *last = NULL;

	while ((p = strstr(p, "Confidence:")) != NULL)
		last = p += strlen("Confidence:");
	return last ? atoi(last) : -1;
}

/* A judge's reply: the item from the question in its prompt, the verdict
 * from the quoted response's answer line, in the format the prompt asks
 * for (a JSON score when it names "extracted_answer", else HLE's fields). */
static void sim_judge_reply(const um_sim *s, const sim_model *m, const char *text, size_t len,
			    um_rng *r, um_buf *b)
{
	size_t q_end = 0;
	long item = sim_find_key(s, &s->questions, text, len, &q_end);
	char *got = sim_quoted_answer(text);
	const char *ans = item >= 0 ? s->suite->items[item].answer : NULL;
	int yes = got && ans && strcasecmp(got, ans) == 0, conf = sim_confidence_in(text);
	double u_err = um_rng_uniform(r), u_flip = um_rng_uniform(r);

	if (u_flip < m->judge_flips)
		yes = !yes;
	if (u_err < m->judge_errors)
		um_buf_puts(b, "The response looks reasonable to me.");
	else if (strstr(text, "extracted_answer"))
		um_buf_printf(b, "{\"extracted_answer\": \"%s\", \"score\": %d}",
			      got ? got : "", yes);
	else
		um_buf_printf(b, "extracted_final_answer: %s\n\nreasoning: compared with the "
				 "correct answer.\n\ncorrect: %s\n\nconfidence: %d",
			      got ? got : "None", yes ? "yes" : "no", conf >= 0 ? conf : 100);
	free(got);
}

static void sim_judged_answer(const um_sim *s, const sim_model *m, const char *text, size_t len,
			      size_t n_messages, sim_answer *a)
{
	um_rng r;
	double u_correct, z, u_mix;
	um_buf b;
	size_t q_end = 0;
	long item;

	um_rng_seed(&r, sim_content_seed(s, m, text, len));
	u_correct = um_rng_uniform(&r);
	z = um_rng_normal(&r);
	u_mix = um_rng_uniform(&r);
	um_buf_init(&b, 0);
	if (m->judge) {
		sim_judge_reply(s, m, text, len, &r, &b);
	} else if ((item = sim_find_key(s, &s->questions, text, len, &q_end)) >= 0) {
		const um_item *it = &s->suite->items[item];
		int right = sim_correct_draw(s, it->id, u_correct, u_mix) <
			    sim_accuracy(m, it->category);

		sim_judged_text(s, it, right, &r, &b);
	} else {
		um_buf_puts(&b, "I do not recognise this question.");
	}
	a->content = um_buf_detach(&b);
	sim_answer_tokens(m, len, n_messages, z, a);
}

static void sim_model_answer(const um_sim *s, const sim_model *m, const char *text, size_t len,
			     size_t n_messages, sim_answer *a)
{
	um_rng r;
	sim_reco reco;
	double u_correct, u_fmt, u_fmt_kind, z, u_mix;
	uint64_t pick_wrong, pick_any, t1, t2;
	const char *cat = NULL;
	char label[4] = {0}, lower[4];
	um_buf b;
	size_t i;

	if (sim_judged(s)) {
		sim_judged_answer(s, m, text, len, n_messages, a);
		return;
	}
	/* every draw is made, in a fixed order, whatever the path */
	um_rng_seed(&r, sim_content_seed(s, m, text, len));
	u_correct = um_rng_uniform(&r);
	pick_wrong = um_rng_next(&r);
	pick_any = um_rng_next(&r);
	u_fmt = um_rng_uniform(&r);
	u_fmt_kind = um_rng_uniform(&r);
	t1 = um_rng_below(&r, UM_ARRAY_LEN(reason_first));
	t2 = um_rng_below(&r, UM_ARRAY_LEN(reason_second));
	z = um_rng_normal(&r);
	u_mix = um_rng_uniform(&r); /* last, so the draws before it keep their values */

	um_buf_init(&b, 0);
	if (s->suite && um_streq(s->suite->kind, "scicode")) {
		size_t si = 0;
		const um_sci_step *st = sim_sci_find(s->suite, text, len, &si);

		if (st) { /* each step drawn on its own (its number keys the item effect) */
			sim_sci_answer(st, sim_correct_draw(s, st->number, u_correct, u_mix) <
						   sim_accuracy(m, s->suite->items[si].category),
				       &b);
			goto done;
		}
	}
	{
		size_t q_end = 0;
		long ci = s->suite && um_streq(s->suite->kind, "code")
				  ? sim_find_key(s, &s->questions, text, len, &q_end)
				  : -1;

		if (ci >= 0 && s->suite->items[ci].code) {
			const um_item *it = &s->suite->items[ci];
			sim_code_answer(it, s->suite->code.language,
					sim_correct_draw(s, it->id, u_correct, u_mix) <
						sim_accuracy(m, it->category),
					u_fmt < m->format_misses, u_fmt_kind, pick_wrong, &b);
			goto done;
		}
	}
	sim_recognise_full(s, text, len, &reco);
	if (reco.item >= 0) {
		cat = s->suite->items[reco.item].category;
		if (sim_correct_draw(s, s->suite->items[reco.item].id, u_correct, u_mix) <
		    sim_accuracy(m, cat))
			memcpy(label, reco.correct, 4);
		else
			memcpy(label, reco.wrong[pick_wrong % (uint64_t)reco.n_wrong], 4);
	} else {
		label[0] = (char)('A' + pick_any % 4);
		label[1] = '\0';
	}
	for (i = 0; i < 4; i++)
		lower[i] = (char)tolower((unsigned char)label[i]);

	um_buf_printf(&b, "%s%s%s", reason_first[t1][0], cat ? cat : "domain",
		      reason_first[t1][1]);
	um_buf_printf(&b, " %s\n\n", reason_second[t2]);
	if (u_fmt < m->format_misses) {
		if (u_fmt_kind < 1.0 / 3)
			um_buf_printf(&b, "answer: %s", lower);
		else if (u_fmt_kind < 2.0 / 3)
			um_buf_printf(&b, "The answer is (%s).", label);
		else /* a change of mind: first-match and last-match extractors disagree */
			um_buf_printf(&b, "Answer: %s\n\nOn reflection that does not hold up.\n\n"
					  "Answer: %s",
				      sim_other_label(&reco, label, pick_any), label);
	} else {
		um_buf_printf(&b, "Answer: %s", label);
	}
done:
	a->content = um_buf_detach(&b);
	sim_answer_tokens(m, len, n_messages, z, a);
}

/* The letter an answer text gives: the last "answer: X" (any case, optional
 * "(" or "$"), else the last standalone capital letter. 0 when none. */
static char sim_extract_letter(const char *t)
{
	const char *p, *last = NULL;
	char found = 0;
	size_t n = strlen(t), i;

	for (p = t; (p = strcasestr(p, "answer")) != NULL; p += 6) {
		const char *q = p + 6;

		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '\t' || *q == '$' || *q == '(')
			q++;
		if (isalpha((unsigned char)*q) && !isalnum((unsigned char)q[1]))
			last = q;
	}
	if (last)
		return (char)toupper((unsigned char)*last);
	for (i = 0; i < n; i++) {
		if (isupper((unsigned char)t[i]) && (i == 0 || !isalnum((unsigned char)t[i - 1])) &&
		    !isalnum((unsigned char)t[i + 1]))
			found = t[i];
	}
	return found;
}

/* ------------------------------------------------------------------ */
/* Requests */

typedef enum { SIM_OPENAI, SIM_ANTHROPIC } sim_provider;

typedef struct sim_req {
	um_buf body;
	int too_big;
} sim_req;

static void sim_stat_add(um_sim *s, uint64_t *field, uint64_t n)
{
	pthread_mutex_lock(&s->lock);
	*field += n;
	pthread_mutex_unlock(&s->lock);
}

/* A request to m under its rate limit: 0 when it is within it, else the
 * milliseconds until one would be. */
static int64_t sim_rate_limited(um_sim *s, sim_model *m)
{
	int64_t now, wait = 0;

	if (m->rl_per_ms <= 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	now = um_mono_ms();
	m->rl_left += (double)(now - m->rl_ms) * m->rl_per_ms;
	if (m->rl_left > m->rl_cap)
		m->rl_left = m->rl_cap;
	m->rl_ms = now;
	if (m->rl_left >= 1)
		m->rl_left -= 1;
	else
		wait = (int64_t)ceil((1 - m->rl_left) / m->rl_per_ms);
	if (wait)
		s->stats.limited_429++;
	pthread_mutex_unlock(&s->lock);
	return wait;
}

/* How many times (model, body) was seen before this one. */
static uint64_t sim_occurrence(um_sim *s, const sim_model *m, const char *body, size_t len)
{
	uint64_t key = um_hash64(body, len, m->name_hash), n;
	size_t i;

	if (key == 0)
		key = 1;
	pthread_mutex_lock(&s->lock);
	if ((s->occ_len + 1) * 2 > s->occ_cap) {
		size_t ncap = s->occ_cap ? s->occ_cap * 2 : 1024, j;
		sim_occ *nt = um_xcalloc(ncap, sizeof(*nt));

		for (j = 0; j < s->occ_cap; j++) {
			if (!s->occ[j].key)
				continue;
			i = (size_t)um_mix64(s->occ[j].key) & (ncap - 1);
			while (nt[i].key)
				i = (i + 1) & (ncap - 1);
			nt[i] = s->occ[j];
		}
		free(s->occ);
		s->occ = nt;
		s->occ_cap = ncap;
	}
	i = (size_t)um_mix64(key) & (s->occ_cap - 1);
	while (s->occ[i].key && s->occ[i].key != key)
		i = (i + 1) & (s->occ_cap - 1);
	if (!s->occ[i].key) {
		s->occ[i].key = key;
		s->occ_len++;
	}
	n = s->occ[i].count++;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Sleep ms (one timed wait on the stop condition, not a wake-up every few
 * milliseconds: a thousand sleeping connections must not keep the CPUs
 * busy); returns -1 as soon as the sim is stopping. */
static int sim_sleep(um_sim *s, double ms)
{
	struct timespec end;
	int64_t ns = (int64_t)(ms * 1e6);
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)(ns / 1000000000);
	end.tv_nsec += (long)(ns % 1000000000);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->stop_lock);
	while (!atomic_load(&s->stopping) &&
	       pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &end) != ETIMEDOUT)
		;
	if (atomic_load(&s->stopping))
		rc = -1;
	pthread_mutex_unlock(&s->stop_lock);
	return rc;
}

static char *sim_json_dump(json_t *j)
{
	char *out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!out)
		abort(); /* only on allocation failure */
	return out;
}

static char *sim_error_json(sim_provider p, unsigned status, const char *code, const char *msg)
{
	const char *type;
	json_t *j;
	char *out;

	if (p == SIM_ANTHROPIC) {
		switch (status) {
		case 404:
			type = "not_found_error";
			break;
		case 413:
			type = "request_too_large";
			break;
		case 429:
			type = "rate_limit_error";
			break;
		case 500:
		case 502:
			type = "api_error";
			break;
		default:
			type = "invalid_request_error";
		}
		j = json_pack("{s:s, s:{s:s, s:s}}", "type", "error", "error", "type", type,
			      "message", msg);
	} else {
		switch (status) {
		case 429:
			type = "rate_limit_error";
			break;
		case 500:
		case 502:
			type = "server_error";
			break;
		default:
			type = "invalid_request_error";
		}
		j = json_pack("{s:{s:s, s:s, s:n, s:o}}", "error", "message", msg, "type", type,
			      "param", "code", code ? json_string(code) : json_null());
	}
	out = sim_json_dump(j);
	json_decref(j);
	return out;
}

static enum MHD_Result sim_respond(struct MHD_Connection *c, unsigned status, char *body,
				   size_t len, const char *ctype, int64_t retry_after)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	char ra[32];

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (retry_after >= 0) {
		snprintf(ra, sizeof(ra), "%lld", (long long)retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* 429 past a rate limit, as OpenAI answers it: Retry-After in whole seconds,
 * retry-after-ms exact, and no requests left. */
static enum MHD_Result sim_respond_limited(struct MHD_Connection *c, sim_provider p,
					   int64_t wait_ms)
{
	char *body = sim_error_json(p, 429, "rate_limit_exceeded",
				    "Rate limit reached for requests (simulated)");
	struct MHD_Response *r;
	enum MHD_Result rc;
	char v[32];

	r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	snprintf(v, sizeof(v), "%lld", (long long)((wait_ms + 999) / 1000));
	MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, v);
	snprintf(v, sizeof(v), "%lld", (long long)wait_ms);
	MHD_add_response_header(r, "retry-after-ms", v);
	MHD_add_response_header(r, "x-ratelimit-remaining-requests", "0");
	rc = MHD_queue_response(c, 429, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result sim_respond_error(struct MHD_Connection *c, sim_provider p,
					 unsigned status, const char *code, const char *msg)
{
	char *body = sim_error_json(p, status, code, msg);

	return sim_respond(c, status, body, strlen(body), "application/json", -1);
}

/* Append the text of one content value (string or array of text parts). */
static int sim_content_text(const json_t *content, um_buf *t)
{
	size_t i;
	json_t *part;

	if (!content || json_is_null(content))
		return 0;
	if (json_is_string(content)) {
		um_buf_append(t, json_string_value(content), json_string_length(content));
		um_buf_putc(t, '\n');
		return 0;
	}
	if (!json_is_array(content))
		return -1;
	json_array_foreach(content, i, part) {
		json_t *txt = json_object_get(part, "text");
		const char *type = json_string_value(json_object_get(part, "type"));

		if (!json_is_object(part))
			return -1;
		if (json_is_string(txt)) {
			um_buf_append(t, json_string_value(txt), json_string_length(txt));
			um_buf_putc(t, '\n');
		} else if (type && strcmp(type, "tool_result") == 0 &&
			   sim_content_text(json_object_get(part, "content"), t) < 0) {
			return -1; /* an Anthropic tool result: its text counts too */
		}
	}
	return 0;
}

/* One base64 image: its media type one of the four, its bytes decodable
 * and starting as that type's do. NULL when good, else why not. */
static const char *sim_image_bytes_check(const char *media_type, const char *b64, size_t len)
{
	size_t cap = len / 4 * 3 + 3, got = 0;
	unsigned char *bin;
	const char *sniffed, *why = NULL;

	if (!media_type || (strcmp(media_type, "image/png") && strcmp(media_type, "image/jpeg") &&
			    strcmp(media_type, "image/gif") && strcmp(media_type, "image/webp")))
		return "image: media type must be image/png, image/jpeg, image/gif or image/webp";
	bin = um_xmalloc(cap);
	if (sodium_base642bin(bin, cap, b64, len, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || got == 0)
		why = "image: data is not valid base64";
	else if (!(sniffed = image_sniff(bin, got)) || strcmp(sniffed, media_type) != 0)
		why = "image: the bytes are not an image of the media type given";
	free(bin);
	return why;
}

/* An image part of either dialect, checked; 1 when part is one, 0 when it
 * is not an image part, -1 with *why. */
static int sim_image_part(sim_provider p, const json_t *part, const char **why)
{
	const char *type = json_string_value(json_object_get(part, "type"));

	if (type && strcmp(type, p == SIM_ANTHROPIC ? "image_url" : "image") == 0) {
		*why = p == SIM_ANTHROPIC ? "image_url: not a Messages content block (send an "
					    "image block with a base64 source)"
					  : "image: not a chat completions content part (send an "
					    "image_url part with a data: URL)";
		return -1;
	}
	if (p != SIM_ANTHROPIC && type && strcmp(type, "image_url") == 0) {
		const char *url = json_string_value(
		    json_object_get(json_object_get(part, "image_url"), "url"));
		const char *semi = url ? strstr(url, ";base64,") : NULL;
		char mt[32];

		if (!url || strncmp(url, "data:", 5) != 0 || !semi ||
		    (size_t)(semi - url - 5) >= sizeof(mt)) {
			*why = "image_url: the simulator fetches nothing; send a data: URL "
			       "with base64 bytes";
			return -1;
		}
		memcpy(mt, url + 5, (size_t)(semi - url - 5));
		mt[semi - url - 5] = '\0';
		*why = sim_image_bytes_check(mt, semi + 8, strlen(semi + 8));
		return *why ? -1 : 1;
	}
	if (p == SIM_ANTHROPIC && type && strcmp(type, "image") == 0) {
		const json_t *src = json_object_get(part, "source");
		const char *st = json_string_value(json_object_get(src, "type"));
		const json_t *data = json_object_get(src, "data");

		if (!st || strcmp(st, "base64") != 0 || !json_is_string(data)) {
			*why = "image: source must be {type: base64, media_type, data}";
			return -1;
		}
		*why = sim_image_bytes_check(json_string_value(json_object_get(src, "media_type")),
					     json_string_value(data), json_string_length(data));
		return *why ? -1 : 1;
	}
	return 0;
}

/* Every image part of the messages checked, and counted into *n. */
static int sim_images_check(sim_provider p, const json_t *req, size_t *n, const char **why)
{
	const json_t *m, *part;
	size_t i, j;

	*n = 0;
	json_array_foreach(json_object_get(req, "messages"), i, m) {
		json_array_foreach(json_object_get(m, "content"), j, part) {
			int r = sim_image_part(p, part, why);

			if (r < 0)
				return -1;
			*n += (size_t)r;
		}
	}
	return 0;
}

/* The messages' text, joined by newlines; -1 with *why when malformed. */
static int sim_messages_text(sim_provider p, const json_t *req, um_buf *t, size_t *n_msgs,
			     const char **why)
{
	const json_t *msgs = json_object_get(req, "messages");
	json_t *m;
	size_t i;

	if (p == SIM_ANTHROPIC && json_object_get(req, "system") &&
	    sim_content_text(json_object_get(req, "system"), t) < 0) {
		*why = "system: expected a string or an array of text blocks";
		return -1;
	}
	if (!json_is_array(msgs) || json_array_size(msgs) == 0) {
		*why = "messages: expected a non-empty array";
		return -1;
	}
	json_array_foreach(msgs, i, m) {
		if (!json_is_object(m) || !json_is_string(json_object_get(m, "role"))) {
			*why = "messages: each message needs a string role";
			return -1;
		}
		if (sim_content_text(json_object_get(m, "content"), t) < 0) {
			*why = "messages: content must be a string or an array of parts";
			return -1;
		}
	}
	*n_msgs = json_array_size(msgs);
	return 0;
}

static json_t *sim_usage_json(sim_provider p, int64_t in, int64_t cached, int64_t out)
{
	if (p == SIM_ANTHROPIC)
		return json_pack("{s:I, s:I, s:I, s:I}", "input_tokens", (json_int_t)(in - cached),
				 "cache_creation_input_tokens", (json_int_t)0,
				 "cache_read_input_tokens", (json_int_t)cached, "output_tokens",
				 (json_int_t)out);
	return json_pack("{s:I, s:I, s:I, s:{s:I}}", "prompt_tokens", (json_int_t)in,
			 "completion_tokens", (json_int_t)out, "total_tokens",
			 (json_int_t)(in + out), "prompt_tokens_details", "cached_tokens",
			 (json_int_t)cached);
}

static json_t *sim_response_json(const um_sim *s, sim_provider p, const sim_model *m,
				 const char *id, const sim_answer *a)
{
	json_t *usage = sim_usage_json(p, a->tokens_in, a->tokens_cached, a->tokens_out);
	char fp[16];

	if (p == SIM_ANTHROPIC)
		return json_pack("{s:s, s:s, s:s, s:s, s:[{s:s, s:s}], s:s, s:n, s:o}", "id", id,
				 "type", "message", "role", "assistant", "model", m->name,
				 "content", "type", "text", "text", a->content, "stop_reason",
				 "end_turn", "stop_sequence", "usage", usage);
	snprintf(fp, sizeof(fp), "fp_%08x",
		 (unsigned)(um_hash64(m->name, strlen(m->name), s->seed) & 0xffffffffu));
	return json_pack("{s:s, s:s, s:i, s:s, s:s, s:[{s:i, s:{s:s, s:s}, s:n, s:s}], s:o}",
			 "id", id, "object", "chat.completion", "created", 0, "model", m->name,
			 "system_fingerprint", fp, "choices", "index", 0, "message", "role",
			 "assistant", "content", a->content, "logprobs", "finish_reason", "stop",
			 "usage", usage);
}

/* 1 when the JSON text nests arrays and objects at most max deep. Bodies
 * are parsed, copied and dumped recursively on a small thread stack, so
 * deeper ones are refused before parsing. */
static int sim_json_depth_ok(const char *p, size_t len, int max)
{
	int depth = 0, in_str = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = p[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return 0;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 1;
}

/* ------------------------------------------------------------------ */
/* Orchestrators */

typedef struct sim_call {
	CURL *h;
	struct curl_slist *hdrs;
	char *body;
	um_buf resp;
	int64_t t0, latency_ms;
	long status;
	int done;
	char letter;
	char *program;          /* the member's program (code prompts), or NULL */
	int64_t tin, tcached, tout;
} sim_call;

static size_t sim_curl_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
	um_buf *b = ud;

	if (um_buf_append(b, ptr, size * nmemb) < 0)
		return 0;
	return size * nmemb;
}

static int64_t sim_json_int(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* A message for the other dialect: image parts become data URLs (for an
 * OpenAI member) or base64 image blocks (for an Anthropic one); everything
 * else is kept. New reference. */
static json_t *sim_member_message(const json_t *m, int to_anthropic)
{
	const json_t *content = json_object_get(m, "content"), *part;
	json_t *out = json_deep_copy(m), *parts;
	size_t i;

	if (!json_is_array(content))
		return out;
	parts = json_array();
	json_array_foreach(content, i, part) {
		const char *type = json_string_value(json_object_get(part, "type"));
		const json_t *src = json_object_get(part, "source");
		const char *url = json_string_value(
		    json_object_get(json_object_get(part, "image_url"), "url"));
		const char *semi = url ? strstr(url, ";base64,") : NULL;

		if (to_anthropic && type && strcmp(type, "image_url") == 0 && semi &&
		    strncmp(url, "data:", 5) == 0) {
			char *mt = um_xstrndup(url + 5, (size_t)(semi - url - 5));

			json_array_append_new(parts, json_pack("{s:s,s:{s:s,s:s,s:s}}", "type",
							       "image", "source", "type", "base64",
							       "media_type", mt, "data", semi + 8));
			free(mt);
		} else if (!to_anthropic && type && strcmp(type, "image") == 0 &&
			   json_is_string(json_object_get(src, "media_type")) &&
			   json_is_string(json_object_get(src, "data"))) {
			char *u = um_xasprintf(
			    "data:%s;base64,%s",
			    json_string_value(json_object_get(src, "media_type")),
			    json_string_value(json_object_get(src, "data")));

			json_array_append_new(parts, json_pack("{s:s,s:{s:s}}", "type", "image_url",
							       "image_url", "url", u));
			free(u);
		} else {
			json_array_append(parts, (json_t *)part);
		}
	}
	json_object_set_new(out, "content", parts);
	return out;
}

/* The body a member receives: the same request, in the upstream's dialect. */
static char *sim_member_body(const json_t *req, sim_provider in, int up_anthropic,
			     const char *member)
{
	static const char *const keep[] = {"temperature", "top_p", "max_tokens", "stop", NULL};
	json_t *out;
	char *dump;
	size_t i;

	if ((in == SIM_ANTHROPIC) == (up_anthropic != 0)) {
		out = json_deep_copy(req);
		json_object_set_new(out, "model", json_string(member));
	} else if (up_anthropic) {
		/* openai -> anthropic: system messages move to "system" */
		json_t *msgs = json_array(), *m;
		um_buf sys = UM_BUF_INIT;

		out = json_object();
		json_object_set_new(out, "model", json_string(member));
		json_array_foreach(json_object_get(req, "messages"), i, m) {
			const char *role = json_string_value(json_object_get(m, "role"));

			if (role && strcmp(role, "system") == 0) {
				sim_content_text(json_object_get(m, "content"), &sys);
				continue;
			}
			json_array_append_new(msgs, sim_member_message(m, 1));
		}
		if (sys.len)
			json_object_set_new(out, "system", json_string(um_buf_str(&sys)));
		um_buf_release(&sys);
		json_object_set_new(out, "messages", msgs);
		for (i = 0; keep[i]; i++)
			if (json_object_get(req, keep[i]))
				json_object_set(out, keep[i], json_object_get(req, keep[i]));
		if (!json_object_get(out, "max_tokens"))
			json_object_set_new(out, "max_tokens", json_integer(4096));
	} else {
		/* anthropic -> openai: "system" becomes the first message */
		json_t *msgs = json_array(), *m;
		const json_t *sys = json_object_get(req, "system");

		out = json_object();
		json_object_set_new(out, "model", json_string(member));
		if (sys) {
			um_buf t = UM_BUF_INIT;

			sim_content_text(sys, &t);
			json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system",
							      "content", um_buf_str(&t)));
			um_buf_release(&t);
		}
		json_array_foreach(json_object_get(req, "messages"), i, m)
			json_array_append_new(msgs, sim_member_message(m, 0));
		json_object_set_new(out, "messages", msgs);
		for (i = 0; keep[i]; i++)
			if (json_object_get(req, keep[i]))
				json_object_set(out, keep[i], json_object_get(req, keep[i]));
	}
	dump = sim_json_dump(out);
	json_decref(out);
	return dump;
}

/* Read a member's answer: letter and usage; -1 when the body is unusable. */
static int sim_member_parse(sim_call *c, int anthropic)
{
	json_t *j = NULL;
	const json_t *usage;
	um_buf text = UM_BUF_INIT;
	int rc = -1;

	if (sim_json_depth_ok(c->resp.data, c->resp.len, SIM_MAX_DEPTH))
		j = json_loadb(c->resp.data ? c->resp.data : "", c->resp.len, 0, NULL);
	if (!json_is_object(j))
		goto out;
	usage = json_object_get(j, "usage");
	if (anthropic) {
		if (sim_content_text(json_object_get(j, "content"), &text) < 0 || !text.len)
			goto out;
		c->tcached = sim_json_int(usage, "cache_read_input_tokens");
		c->tin = sim_json_int(usage, "input_tokens") + c->tcached +
			 sim_json_int(usage, "cache_creation_input_tokens");
		c->tout = sim_json_int(usage, "output_tokens");
	} else {
		const json_t *msg = json_object_get(
			json_array_get(json_object_get(j, "choices"), 0), "message");

		if (sim_content_text(json_object_get(msg, "content"), &text) < 0 || !text.len)
			goto out;
		c->tin = sim_json_int(usage, "prompt_tokens");
		c->tcached = sim_json_int(json_object_get(usage, "prompt_tokens_details"),
					  "cached_tokens");
		c->tout = sim_json_int(usage, "completion_tokens");
	}
	c->letter = sim_extract_letter(um_buf_str(&text));
	c->program = code_extract(um_buf_str(&text));
	rc = 0;
out:
	um_buf_release(&text);
	json_decref(j);
	return rc;
}

static char *sim_upstream_url(um_sim *s, const sim_model *o)
{
	const char *base = s->upstream_override ? s->upstream_override : o->upstream;
	char *b = base ? um_xstrdup(base) : um_xasprintf("%s/v1", s->base_url), *url;
	size_t n = strlen(b);

	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	url = um_xasprintf("%s%s", b, o->upstream_anthropic ? "/messages" : "/chat/completions");
	free(b);
	return url;
}

/* Call every member in parallel. Returns 0, or -1 when the sim stopped.
 * traceparent (may be NULL) is the incoming W3C trace header, forwarded
 * unchanged so a recording proxy between the orchestrator and its members
 * can attribute each member call to the caller's trace. */
static int sim_fan_out(um_sim *s, const sim_model *o, const json_t *req, sim_provider p,
		       const char *parent, const char *traceparent, sim_call *calls)
{
	char *url = sim_upstream_url(s, o), *hparent, *htrace = NULL;
	CURLM *multi = curl_multi_init();
	size_t i;
	int running = 0, rc = 0;

	hparent = um_xasprintf("X-Umpire-Parent: %s", parent);
	if (traceparent)
		htrace = um_xasprintf("traceparent: %s", traceparent);
	for (i = 0; i < o->n_members; i++) {
		sim_call *c = &calls[i];

		um_buf_init(&c->resp, SIM_MAX_UPSTREAM_BODY);
		c->body = sim_member_body(req, p, o->upstream_anthropic, o->members[i]);
		c->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
		c->hdrs = curl_slist_append(c->hdrs, "Expect:");
		c->hdrs = curl_slist_append(c->hdrs, hparent);
		if (htrace)
			c->hdrs = curl_slist_append(c->hdrs, htrace);
		if (o->upstream_anthropic)
			c->hdrs = curl_slist_append(c->hdrs, "anthropic-version: 2023-06-01");
		c->h = curl_easy_init();
		curl_easy_setopt(c->h, CURLOPT_URL, url);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdrs);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, sim_curl_write);
		curl_easy_setopt(c->h, CURLOPT_WRITEDATA, &c->resp);
		curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, SIM_UPSTREAM_TIMEOUT_MS);
		curl_easy_setopt(c->h, CURLOPT_PRIVATE, c);
		c->t0 = um_mono_ms();
		curl_multi_add_handle(multi, c->h);
	}
	sim_stat_add(s, &s->stats.upstream_calls, o->n_members);

	do {
		CURLMsg *msg;
		int left;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			sim_call *c = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			c->done = 1;
			c->latency_ms = um_mono_ms() - c->t0;
			if (msg->data.result == CURLE_OK)
				curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
			else
				c->status = 0;
		}
		if (!running)
			break;
		if (atomic_load(&s->stopping)) {
			rc = -1;
			break;
		}
		curl_multi_poll(multi, NULL, 0, 50, NULL);
	} while (1);

	for (i = 0; i < o->n_members; i++) {
		sim_call *c = &calls[i];

		curl_multi_remove_handle(multi, c->h);
		curl_easy_cleanup(c->h);
		curl_slist_free_all(c->hdrs);
		c->h = NULL;
		c->hdrs = NULL;
		if (!c->done)
			c->latency_ms = um_mono_ms() - c->t0;
		if (c->status == 200 && sim_member_parse(c, o->upstream_anthropic) < 0)
			c->status = -1; /* 200 with an unusable body */
	}
	curl_multi_cleanup(multi);
	free(htrace);
	free(hparent);
	free(url);
	return rc;
}

static void sim_calls_free(sim_call *calls, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(calls[i].body);
		free(calls[i].program);
		um_buf_release(&calls[i].resp);
	}
	free(calls);
}

/* ------------------------------------------------------------------ */
/* Agent turns */

#define SIM_AGENT_MAX_FILES 3   /* files an unskilled agent reads */

static int sim_wrong_edit(const char *solution, char **cmd);
#define SIM_AGENT_FILE_MAX 128  /* longest token taken for a file name */

static const char *const agent_solve_text[] = {
	"I know how to do this. I will write the whole solution as one script and run it.",
	"This is a familiar kind of task; one script should do it. Running it now.",
	"The steps are clear, so I will put them in a single script and execute it.",
};
static const char *const agent_look_text[] = {
	"Let me start by looking at the working directory.",
	"First, let me see what is in the working directory.",
	"I will look around before changing anything.",
};
static const char *const agent_read_text[] = {
	"Let me read the files the task mentions.",
	"Next, the files named in the task.",
};
static const char *const agent_find_text[] = {
	"Let me see which files are there.",
	"Let me list the files below the working directory.",
};
static const char agent_done_text[] = "I have submitted the task; there is nothing more to do.";

/* One tool call found in the conversation so far. */
typedef struct sim_prev_call {
	const char *id; /* borrowed from the request */
	int ok;         /* well formed: bash with a command, submit without arguments */
} sim_prev_call;

/* What an agent turn needs from the conversation so far. */
typedef struct sim_agent_hist {
	um_buf first_user; /* the first user message's text */
	sim_prev_call *calls;
	size_t n_calls, cap_calls;
	size_t steps;   /* tool results that answer well-formed (or unknown) calls */
	size_t results; /* all tool results */
	int submitted;  /* a well-formed submit was called */
} sim_agent_hist;

/* The turn to answer with. */
typedef struct sim_turn {
	const char *text; /* reasoning shown beside the call, or NULL */
	const char *tool; /* "bash" or "submit"; NULL: text only (the task is over) */
	char *args;       /* the arguments' JSON text, owned */
	int malformed;    /* args are cut short: not valid JSON */
	char call_id[40];
	int64_t tokens_in, tokens_cached, tokens_out;
} sim_turn;

static void sim_hist_call(sim_agent_hist *h, const json_t *id, const json_t *name,
			  const json_t *args)
{
	const char *n = json_string_value(name);
	int ok = 0;

	if (n && json_is_object(args)) {
		if (strcmp(n, "bash") == 0) {
			const json_t *c = json_object_get(args, "command");

			ok = json_is_string(c) && json_string_length(c) > 0;
		} else if (strcmp(n, "submit") == 0 && json_object_size(args) == 0) {
			ok = 1;
			h->submitted = 1;
		}
	}
	um_xgrow((void **)&h->calls, &h->cap_calls, h->n_calls + 1, sizeof(*h->calls));
	h->calls[h->n_calls].id = json_string_value(id);
	h->calls[h->n_calls].ok = ok;
	h->n_calls++;
}

static void sim_hist_result(sim_agent_hist *h, const json_t *id)
{
	const char *s = json_string_value(id);
	size_t i;
	int ok = 1; /* a result for a call we cannot see still moves the agent on */

	for (i = h->n_calls; s && i-- > 0;) {
		if (h->calls[i].id && strcmp(h->calls[i].id, s) == 0) {
			ok = h->calls[i].ok;
			break;
		}
	}
	h->results++;
	h->steps += ok != 0;
}

/* Read the conversation of an agent request (already checked to be an
 * array of objects with a string role). Caller releases with
 * sim_hist_release. */
static void sim_agent_history(sim_provider p, const json_t *req, sim_agent_hist *h)
{
	const json_t *m, *c, *blk;
	size_t i, j;
	int have_user = 0;

	memset(h, 0, sizeof(*h));
	um_buf_init(&h->first_user, SIM_MAX_BODY);
	json_array_foreach(json_object_get(req, "messages"), i, m) {
		const char *role = json_string_value(json_object_get(m, "role"));
		const json_t *content = json_object_get(m, "content");

		if (strcmp(role, "user") == 0 && !have_user) {
			sim_content_text(content, &h->first_user);
			have_user = 1;
		}
		if (p == SIM_OPENAI) {
			if (strcmp(role, "tool") == 0) {
				sim_hist_result(h, json_object_get(m, "tool_call_id"));
				continue;
			}
			if (strcmp(role, "assistant") != 0)
				continue;
			json_array_foreach(json_object_get(m, "tool_calls"), j, c) {
				const json_t *fn = json_object_get(c, "function");
				const char *a = json_string_value(json_object_get(fn, "arguments"));
				json_t *args = a ? json_loads(a, 0, NULL) : NULL;

				sim_hist_call(h, json_object_get(c, "id"),
					      json_object_get(fn, "name"), args);
				json_decref(args);
			}
			continue;
		}
		if (!json_is_array(content))
			continue;
		json_array_foreach(content, j, blk) {
			const char *type = json_string_value(json_object_get(blk, "type"));

			if (!type)
				continue;
			if (strcmp(role, "assistant") == 0 && strcmp(type, "tool_use") == 0)
				sim_hist_call(h, json_object_get(blk, "id"),
					      json_object_get(blk, "name"),
					      json_object_get(blk, "input"));
			else if (strcmp(role, "user") == 0 && strcmp(type, "tool_result") == 0)
				sim_hist_result(h, json_object_get(blk, "tool_use_id"));
		}
	}
}

static void sim_hist_release(sim_agent_hist *h)
{
	um_buf_release(&h->first_user);
	free(h->calls);
}

static int sim_file_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '/' || c == '-';
}

/* Is tok (n bytes) a plausible file name: "name.ext" or a path with one? */
static int sim_file_like(const char *tok, size_t n)
{
	const char *dot = NULL, *slash = NULL, *p;
	size_t ext, base;
	int letter = 0;

	if (n < 3 || n > SIM_AGENT_FILE_MAX || tok[0] == '-' || (n > 1 && tok[0] == '/' &&
								 tok[1] == '/'))
		return 0;
	for (p = tok; p < tok + n; p++) {
		if (*p == '.')
			dot = p;
		else if (*p == '/')
			slash = p;
	}
	if (!dot || (slash && slash > dot))
		return 0;
	ext = (size_t)(tok + n - dot - 1);
	base = (size_t)(dot - (slash ? slash + 1 : tok));
	if (ext == 0 || ext > 6 || base == 0 || (base < 2 && !slash))
		return 0; /* "e.g", "i.e", "x." */
	for (p = dot + 1; p < tok + n; p++) {
		if (!isalnum((unsigned char)*p))
			return 0;
		letter |= isalpha((unsigned char)*p) != 0;
	}
	return letter;
}

/* The files the instruction names, as "cat -- 'a' 'b'", or NULL. */
static char *sim_cat_command(const char *text, size_t len)
{
	const char *files[SIM_AGENT_MAX_FILES];
	size_t lens[SIM_AGENT_MAX_FILES], n = 0, i = 0, k;
	um_buf b;

	while (i < len && n < SIM_AGENT_MAX_FILES) {
		size_t start, tl;
		int dup = 0;

		while (i < len && !sim_file_char(text[i]))
			i++;
		start = i;
		while (i < len && sim_file_char(text[i]))
			i++;
		tl = i - start;
		while (tl > 0 && (text[start + tl - 1] == '.' || text[start + tl - 1] == '-'))
			tl--; /* the end of a sentence */
		if (start > 0 && text[start - 1] == ':')
			continue; /* a URL's or a host:port's tail */
		if (!sim_file_like(text + start, tl))
			continue;
		for (k = 0; k < n; k++)
			dup |= lens[k] == tl && memcmp(files[k], text + start, tl) == 0;
		if (dup)
			continue;
		files[n] = text + start;
		lens[n++] = tl;
	}
	if (n == 0)
		return NULL;
	um_buf_init(&b, 0);
	um_buf_puts(&b, "cat --");
	for (k = 0; k < n; k++)
		um_buf_printf(&b, " '%.*s'", (int)lens[k], files[k]);
	return um_buf_detach(&b);
}

/* The reference solution as one bash command: written to a file through a
 * quoted here-document (so nothing in it is expanded, and commands in it
 * that read stdin do not eat the script), then run in /work. */
static char *sim_solution_command(const char *solution)
{
	char delim[32] = "UMPIRE_EOF";
	size_t n = strlen(solution);
	int k = 0;

	while (strstr(solution, delim))
		snprintf(delim, sizeof(delim), "UMPIRE_EOF_%d", ++k);
	return um_xasprintf("cat > /tmp/umpire-solution.sh <<'%s'\n%s%s%s\n"
			    "bash /tmp/umpire-solution.sh",
			    delim, solution, n && solution[n - 1] == '\n' ? "" : "\n", delim);
}

static char *sim_args_json(const char *command)
{
	json_t *j = command ? json_pack("{s:s}", "command", command) : json_object();
	char *out = sim_json_dump(j);

	json_decref(j);
	return out;
}

/* Decide the turn of `player` (a plain model, or an orchestrator without a
 * member in this pool, which then plays unskilled). text is the messages'
 * text; every draw is made in a fixed order, whatever the path. */
static void sim_agent_turn(const um_sim *s, const sim_model *player, sim_provider p,
			   const sim_agent_hist *h, const char *text, size_t len, size_t n_msgs,
			   sim_turn *t)
{
	um_rng r;
	double u_malformed, u_skill = 1.0, z;
	uint64_t pick, id_bits;
	const um_task *task = NULL;
	size_t q_end;
	long ti;
	int skilled = 0;
	char *command = NULL;

	memset(t, 0, sizeof(*t));
	um_rng_seed(&r, sim_content_seed(s, player, text, len) ^ um_mix64(h->results + 0xa6e7ULL));
	u_malformed = um_rng_uniform(&r);
	pick = um_rng_next(&r);
	id_bits = um_rng_next(&r);
	z = um_rng_normal(&r);

	ti = sim_find_key(s, &s->tasks, um_buf_str(&h->first_user), h->first_user.len, &q_end);
	if (ti >= 0) {
		task = &s->suite->tasks[ti];
		/* skill is a property of (model, task): the same on every turn */
		um_rng_seed(&r, um_hash64(task->id, strlen(task->id),
					  player->name_hash ^ 0x5c111edULL));
		u_skill = um_rng_uniform(&r);
		/* the item effect: a task hard for one model is hard for all */
		u_skill = sim_correct_draw(s, task->id, u_skill, um_rng_uniform(&r));
		skilled = task->solution && *task->solution &&
			  u_skill < sim_accuracy(player, task->category);
	}

	if (h->submitted) {
		t->text = agent_done_text;
	} else if (skilled && h->steps == 0) {
		t->text = agent_solve_text[pick % UM_ARRAY_LEN(agent_solve_text)];
		t->tool = "bash";
		command = sim_solution_command(task->solution);
	} else if (!skilled && h->steps == 0) {
		t->text = agent_look_text[pick % UM_ARRAY_LEN(agent_look_text)];
		t->tool = "bash";
		command = um_xstrdup("ls -la");
	} else if (!skilled && h->steps == 1 && task && sim_wrong_edit(task->solution, &command)) {
		/* a repository task: touch the file the fix is in, without fixing it */
		t->text = agent_solve_text[pick % UM_ARRAY_LEN(agent_solve_text)];
		t->tool = "bash";
	} else if (!skilled && h->steps == 1) {
		command = sim_cat_command(um_buf_str(&h->first_user), h->first_user.len);
		if (command) {
			t->text = agent_read_text[pick % UM_ARRAY_LEN(agent_read_text)];
		} else {
			t->text = agent_find_text[pick % UM_ARRAY_LEN(agent_find_text)];
			command = um_xstrdup("find . -maxdepth 2 -type f | head -n 50");
		}
		t->tool = "bash";
	} else {
		t->tool = "submit"; /* no text beside it */
	}
	if (t->tool) {
		t->args = sim_args_json(command);
		if (u_malformed < player->malformed_tool_calls) {
			t->args[strlen(t->args) - 1] = '\0'; /* drop the closing brace */
			t->malformed = 1;
		}
		snprintf(t->call_id, sizeof(t->call_id), "%s%016llx",
			 p == SIM_ANTHROPIC ? "toolu_" : "call_", (unsigned long long)id_bits);
	}
	free(command);
	t->tokens_in = sim_input_tokens(len, n_msgs);
	t->tokens_cached = (int64_t)floor((double)t->tokens_in * player->cached_fraction);
	t->tokens_out = (int64_t)llround(player->out_mean * exp(player->out_spread * z));
	if (t->tokens_out < 1)
		t->tokens_out = 1;
}


/* For a repository task (its solution applies a gold patch): a plausible
 * wrong edit, a "TODO" comment added at the top of the first file the gold
 * patch changes, in that file's comment syntax. 1 and *cmd set when it is
 * such a task. */
static int sim_wrong_edit(const char *solution, char **cmd)
{
	const char *p, *e, *dot;
	char file[256];
	size_t n;

	if (!solution || !um_has_prefix(solution, "git apply <<'UMPIRE_GOLD_PATCH'"))
		return 0;
	p = strstr(solution, "\n+++ b/");
	if (!p)
		return 0;
	p += 7;
	e = strchr(p, '\n');
	n = e ? (size_t)(e - p) : strlen(p);
	if (n == 0 || n >= sizeof(file))
		return 0;
	memcpy(file, p, n);
	file[n] = '\0';
	if (strchr(file, '\'') || strstr(file, ".."))
		return 0;
	dot = strrchr(file, '.');
	*cmd = um_xasprintf("sed -i '1i %s' '%s'",
			    dot && (!strcmp(dot, ".c") || !strcmp(dot, ".h") || !strcmp(dot, ".js") ||
				    !strcmp(dot, ".ts") || !strcmp(dot, ".go"))
				    ? "/* TODO: handle the reported case */"
				    : "# TODO: handle the reported case",
			    file);
	return 1;
}

/* The response for an agent turn of model m (the name it answers under). */
static json_t *sim_agent_response(const um_sim *s, sim_provider p, const sim_model *m,
				  const char *id, const json_t *req, const char *text, size_t len,
				  size_t n_msgs)
{
	const sim_model *player = m;
	sim_agent_hist h;
	sim_turn t;
	sim_answer a = {0};
	json_t *resp;

	/* An orchestrator plays its first member, under its own name (when
	 * the member is not a plain model of this pool: unskilled, as itself). */
	if (m->orchestrator) {
		const sim_model *first = sim_find(s, m->members[0]);

		if (first && !first->orchestrator)
			player = first;
	}
	sim_agent_history(p, req, &h);
	sim_agent_turn(s, player, p, &h, text, len, n_msgs, &t);
	sim_hist_release(&h);

	a.content = (char *)(t.text ? t.text : "");
	a.tokens_in = t.tokens_in;
	a.tokens_cached = t.tokens_cached;
	a.tokens_out = t.tokens_out;
	if (m->orchestrator) {
		a.tokens_in += m->coord_in;
		a.tokens_out += m->coord_out;
	}
	resp = sim_response_json(s, p, m, id, &a);
	if (t.tool) {
		json_t *input = NULL;

		if (p == SIM_ANTHROPIC) {
			json_t *blocks = json_array();

			input = t.malformed ? json_pack("{s:s}", "arguments", t.args)
					    : json_loads(t.args, 0, NULL);
			if (t.text)
				json_array_append_new(blocks, json_pack("{s:s, s:s}", "type",
									"text", "text", t.text));
			json_array_append_new(blocks,
					      json_pack("{s:s, s:s, s:s, s:o}", "type", "tool_use",
							"id", t.call_id, "name", t.tool, "input",
							input ? input : json_object()));
			json_object_set_new(resp, "content", blocks);
			json_object_set_new(resp, "stop_reason", json_string("tool_use"));
		} else {
			json_t *ch = json_array_get(json_object_get(resp, "choices"), 0);
			json_t *msg = json_object_get(ch, "message");

			if (!t.text)
				json_object_set_new(msg, "content", json_null());
			json_object_set_new(
				msg, "tool_calls",
				json_pack("[{s:s, s:s, s:{s:s, s:s}}]", "id", t.call_id, "type",
					  "function", "function", "name", t.tool, "arguments",
					  t.args));
			json_object_set_new(ch, "finish_reason", json_string("tool_calls"));
		}
	}
	if (m->orchestrator && player != m)
		json_object_set_new(
			resp, "routing",
			json_pack("{s:[{s:s, s:I, s:I, s:I, s:i, s:i}], s:s}", "calls", "model",
				  player->name, "tokens_in", (json_int_t)t.tokens_in,
				  "tokens_cached", (json_int_t)t.tokens_cached, "tokens_out",
				  (json_int_t)t.tokens_out, "latency_ms", 0, "status", 200,
				  "strategy", "delegate"));
	free(t.args);
	return resp;
}

/* 1 when the request offers tools (an agent turn), 0 when not, -1 with
 * *why when "tools" is malformed. */
static int sim_agent_request(const json_t *req, const char **why)
{
	const json_t *tools = json_object_get(req, "tools"), *t;
	size_t i;

	if (!tools || json_is_null(tools))
		return 0;
	if (!json_is_array(tools)) {
		*why = "tools: expected an array";
		return -1;
	}
	json_array_foreach(tools, i, t) {
		if (!json_is_object(t)) {
			*why = "tools: each tool must be an object";
			return -1;
		}
	}
	return json_array_size(tools) > 0;
}

long sim_recognise_task(const um_sim *s, const char *text, size_t len)
{
	size_t end;

	return sim_find_key(s, &s->tasks, text ? text : "", text ? len : 0, &end);
}

/* ------------------------------------------------------------------ */
/* The handler */

typedef enum { SIM_FAULT_NONE, SIM_FAULT_429, SIM_FAULT_500, SIM_FAULT_STALL,
	       SIM_FAULT_MALFORMED, SIM_FAULT_TRUNCATED } sim_fault;

static sim_fault sim_pick_fault(const sim_faults *f, double u)
{
	double acc = 0;

	if (u < (acc += f->rate_429))
		return SIM_FAULT_429;
	if (u < (acc += f->rate_500))
		return SIM_FAULT_500;
	if (u < (acc += f->rate_stall))
		return SIM_FAULT_STALL;
	if (u < (acc += f->rate_malformed))
		return SIM_FAULT_MALFORMED;
	if (u < (acc += f->rate_truncated))
		return SIM_FAULT_TRUNCATED;
	return SIM_FAULT_NONE;
}

/* The request body as the API promises it: a JSON object within the size
 * and depth limits, naming a model of the pool, not streamed. Returns the
 * parsed body (caller frees) and *m, or NULL with the error response already
 * queued in *rc. */
static json_t *sim_parse_request(um_sim *s, struct MHD_Connection *conn, sim_provider p,
				 sim_req *rq, const sim_model **m, enum MHD_Result *rc)
{
	json_t *req;
	json_error_t jerr;
	const json_t *jm;
	char msgbuf[256];

	if (rq->too_big) {
		*rc = sim_respond_error(conn, p, 413, NULL, "request body exceeds 64 MiB");
		return NULL;
	}
	if (!sim_json_depth_ok(rq->body.data, rq->body.len, SIM_MAX_DEPTH)) {
		*rc = sim_respond_error(conn, p, 400, NULL, "request body nests too deeply");
		return NULL;
	}
	req = json_loadb(rq->body.data ? rq->body.data : "", rq->body.len, 0, &jerr);
	if (!req) {
		snprintf(msgbuf, sizeof(msgbuf), "request body is not valid JSON: %s", jerr.text);
		*rc = sim_respond_error(conn, p, 400, NULL, msgbuf);
		return NULL;
	}
	if (!json_is_object(req)) {
		*rc = sim_respond_error(conn, p, 400, NULL, "request body must be a JSON object");
		goto fail;
	}
	jm = json_object_get(req, "model");
	if (!json_is_string(jm)) {
		*rc = sim_respond_error(conn, p, 400, NULL, "model: expected a string");
		goto fail;
	}
	*m = sim_find(s, json_string_value(jm));
	if (!*m) {
		snprintf(msgbuf, sizeof(msgbuf), "The model '%.100s' does not exist",
			 json_string_value(jm));
		*rc = sim_respond_error(conn, p, 404, "model_not_found", msgbuf);
		goto fail;
	}
	if (json_is_true(json_object_get(req, "stream"))) {
		*rc = sim_respond_error(conn, p, 400, NULL,
					"stream: streaming is not supported by the simulator");
		goto fail;
	}
	return req;
fail:
	json_decref(req);
	return NULL;
}

/* The orchestrator's answer: fan the request out to every member over HTTP,
 * majority-vote their letters, and report the sub-calls in a `routing`
 * member. Returns the response, or NULL with *rc set (502 when every member
 * failed, MHD_NO when the connection must be dropped). */
/* Code prompts: the program most members wrote (the first of the most
 * common, byte for byte), in one fenced block. 0 when no member wrote one. */
static int sim_vote_program(const sim_call *calls, size_t n, int ok, um_buf *out)
{
	size_t i, j, best = n;
	int best_votes = 0;

	for (i = 0; i < n; i++) {
		int votes = 0;

		if (calls[i].status != 200 || !calls[i].program)
			continue;
		for (j = 0; j < n; j++)
			votes += calls[j].status == 200 && um_streq(calls[j].program, calls[i].program);
		if (votes > best_votes)
			best_votes = votes, best = i;
	}
	if (best == n)
		return 0;
	um_buf_printf(out,
		      "Consulted %d of %zu pool models; the program below has %d vote%s.\n\n"
		      "```python\n%s\n```\n",
		      ok, n, best_votes, best_votes == 1 ? "" : "s", calls[best].program);
	return 1;
}

static json_t *sim_orchestrate(um_sim *s, struct MHD_Connection *conn, sim_provider p,
			       const sim_model *m, const char *id, uint64_t h, json_t *req,
			       sim_answer *a, enum MHD_Result *rc)
{
	sim_call *calls = um_xcalloc(m->n_members, sizeof(*calls));
	const char *parent = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	const char *trace = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "traceparent");
	int counts[26] = {0}, best = -1, ok = 0;
	json_t *routing, *resp;
	um_buf content = UM_BUF_INIT;
	size_t i;

	if (!parent)
		parent = trace;
	if (sim_fan_out(s, m, req, p, parent ? parent : id, trace, calls) < 0) {
		sim_calls_free(calls, m->n_members);
		*rc = MHD_NO;
		return NULL;
	}
	a->tokens_in = m->coord_in;
	a->tokens_out = m->coord_out;
	routing = json_array();
	for (i = 0; i < m->n_members; i++) {
		sim_call *c = &calls[i];

		json_array_append_new(
			routing,
			json_pack("{s:s, s:I, s:I, s:I, s:I, s:i}", "model", m->members[i],
				  "tokens_in", (json_int_t)c->tin, "tokens_cached",
				  (json_int_t)c->tcached, "tokens_out", (json_int_t)c->tout,
				  "latency_ms", (json_int_t)c->latency_ms, "status",
				  (int)c->status));
		if (c->status != 200)
			continue;
		ok++;
		a->tokens_in += c->tin;
		a->tokens_cached += c->tcached;
		a->tokens_out += c->tout;
		if (c->letter >= 'A' && c->letter <= 'Z' &&
		    ++counts[c->letter - 'A'] > (best >= 0 ? counts[best] : 0))
			best = c->letter - 'A';
	}
	um_buf_init(&content, 0);
	if (ok && sim_vote_program(calls, m->n_members, ok, &content)) {
		sim_calls_free(calls, m->n_members);
		goto answered;
	}
	sim_calls_free(calls, m->n_members);
	if (ok == 0) {
		json_decref(routing);
		um_buf_release(&content);
		*rc = sim_respond_error(conn, p, 502, NULL, "every member of the orchestrator failed");
		return NULL;
	}
	if (best < 0) /* nobody gave a letter: guess, deterministically */
		best = (int)(h % 4);
	um_buf_printf(&content,
		      "Consulted %d of %zu pool models; the final choice has %d vote%s.\n\n"
		      "Answer: %c",
		      ok, m->n_members, counts[best], counts[best] == 1 ? "" : "s", 'A' + best);
answered:
	a->content = um_buf_detach(&content);
	resp = sim_response_json(s, p, m, id, a);
	json_object_set_new(resp, "routing",
			    json_pack("{s:o, s:s}", "calls", routing, "strategy", "majority"));
	return resp;
}

/* Send a 200 response, mangled as the fault says (an HTML error page for
 * malformed, half the body for truncated). */
static enum MHD_Result sim_deliver(um_sim *s, struct MHD_Connection *conn, json_t *resp,
				   sim_fault fault)
{
	char *out = sim_json_dump(resp);

	if (fault == SIM_FAULT_MALFORMED) {
		sim_stat_add(s, &s->stats.faults_malformed, 1);
		free(out);
		out = um_xstrdup("<html><head><title>502 Bad Gateway</title></head>"
				 "<body>upstream connect error (simulated)</body></html>\n");
	} else if (fault == SIM_FAULT_TRUNCATED) {
		sim_stat_add(s, &s->stats.faults_truncated, 1);
		out[strlen(out) / 2] = '\0';
	}
	return sim_respond(conn, 200, out, strlen(out), "application/json", -1);
}

/* One API request: parse, draw the fault and latency for this occurrence,
 * answer an error fault at once, wait out the latency, then answer as an
 * agent (tool calls), a single model, or an orchestrator. */
static enum MHD_Result sim_api(um_sim *s, struct MHD_Connection *conn, sim_provider p,
			       sim_req *rq)
{
	json_t *req, *resp = NULL;
	const sim_model *m = NULL;
	um_buf text = UM_BUF_INIT;
	size_t n_msgs = 0, n_images = 0;
	const char *why = NULL;
	uint64_t occ, h;
	um_rng r;
	sim_fault fault;
	double latency;
	sim_answer a = {0};
	char id[64], *out;
	enum MHD_Result rc = MHD_NO;
	int agent;
	int64_t wait;

	sim_stat_add(s, &s->stats.requests, 1);
	if (!(req = sim_parse_request(s, conn, p, rq, &m, &rc)))
		return rc;
	um_buf_init(&text, SIM_MAX_BODY);
	if (sim_messages_text(p, req, &text, &n_msgs, &why) < 0 ||
	    sim_images_check(p, req, &n_images, &why) < 0 ||
	    (agent = sim_agent_request(req, &why)) < 0) {
		um_buf_release(&text);
		json_decref(req);
		return sim_respond_error(conn, p, 400, NULL, why);
	}

	if (m->context_tokens > 0 && sim_input_tokens(text.len, n_msgs) > m->context_tokens) {
		char msg[160];

		snprintf(msg, sizeof(msg),
			 "This model's maximum context length is %lld tokens; the prompt is "
			 "too long (simulated)", (long long)m->context_tokens);
		um_buf_release(&text);
		json_decref(req);
		out = sim_error_json(p, 400, "context_length_exceeded", msg);
		return sim_respond(conn, 400, out, strlen(out), "application/json", 0);
	}
	if ((wait = sim_rate_limited(s, &s->models[m - s->models])) > 0) {
		um_buf_release(&text);
		json_decref(req);
		return sim_respond_limited(conn, p, wait);
	}
	/* faults and latency: per HTTP request */
	occ = sim_occurrence(s, m, rq->body.data, rq->body.len);
	h = sim_content_seed(s, m, um_buf_str(&text), text.len);
	um_rng_seed(&r, um_mix64(h ^ um_mix64(occ + 0x51ab5eedULL)));
	fault = sim_pick_fault(&m->faults, um_rng_uniform(&r));
	latency = m->lat_median * exp(m->lat_spread * um_rng_normal(&r)) * s->latency_scale;
	if (latency > SIM_MAX_LATENCY_MS)
		latency = SIM_MAX_LATENCY_MS;
	snprintf(id, sizeof(id), "%s%016llx%04llx", p == SIM_ANTHROPIC ? "msg_" : "chatcmpl-",
		 (unsigned long long)h, (unsigned long long)(occ & 0xffff));

	switch (fault) {
	case SIM_FAULT_429:
		sim_stat_add(s, &s->stats.faults_429, 1);
		out = sim_error_json(p, 429, "rate_limit_exceeded",
				     "Rate limit reached (simulated); retry after the delay");
		rc = sim_respond(conn, 429, out, strlen(out), "application/json",
				 m->faults.retry_after_s);
		goto done;
	case SIM_FAULT_500:
		sim_stat_add(s, &s->stats.faults_500, 1);
		rc = sim_respond_error(conn, p, 500, NULL, "The server had an error (simulated)");
		goto done;
	case SIM_FAULT_STALL:
		sim_stat_add(s, &s->stats.faults_stall, 1);
		if (sim_sleep(s, m->faults.stall_s * 1000.0) < 0) {
			rc = MHD_NO;
			goto done;
		}
		latency = 0;
		break;
	default:
		break;
	}

	if (sim_sleep(s, latency) < 0) {
		rc = MHD_NO;
		goto done;
	}

	if (agent) {
		/* tool calls: no fan-out, an orchestrator plays its first member */
		resp = sim_agent_response(s, p, m, id, req, um_buf_str(&text), text.len, n_msgs);
	} else if (!m->orchestrator) {
		sim_model_answer(s, m, um_buf_str(&text), text.len, n_msgs, &a);
		a.tokens_in += SIM_IMAGE_TOKENS * (int64_t)n_images;
		resp = sim_response_json(s, p, m, id, &a);
	} else if (!(resp = sim_orchestrate(s, conn, p, m, id, h, req, &a, &rc))) {
		goto done;
	}
	rc = sim_deliver(s, conn, resp, fault);
done:
	free(a.content);
	json_decref(resp);
	json_decref(req);
	um_buf_release(&text);
	return rc;
}

static int sim_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static enum MHD_Result sim_handler(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version,
				   const char *upload_data, size_t *upload_data_size,
				   void **con_cls)
{
	um_sim *s = cls;
	sim_req *rq = *con_cls;
	sim_provider p;
	int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;

	(void)version;
	if (!rq) {
		rq = um_xcalloc(1, sizeof(*rq));
		um_buf_init(&rq->body, SIM_MAX_BODY);
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!rq->too_big && um_buf_append(&rq->body, upload_data, *upload_data_size) < 0) {
			rq->too_big = 1;
			um_buf_release(&rq->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}

	if (strcmp(url, "/health") == 0) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return sim_respond_error(conn, SIM_OPENAI, 405, NULL,
						 "method not allowed; use GET");
		return sim_respond(conn, 200, um_xstrdup("ok"), 2, "text/plain", -1);
	}
	if (sim_ends_with(url, "/chat/completions"))
		p = SIM_OPENAI;
	else if (sim_ends_with(url, "/messages"))
		p = SIM_ANTHROPIC;
	else
		return sim_respond_error(conn, SIM_OPENAI, 404, NULL, "unknown request URL");
	if (!is_post)
		return sim_respond_error(conn, p, 405, NULL, "method not allowed; use POST");
	return sim_api(s, conn, p, rq);
}

static void sim_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	sim_req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!rq)
		return;
	um_buf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ------------------------------------------------------------------ */
/* Lifecycle */

static void sim_stop_init(um_sim *s)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
}

int sim_load(const char *pool_path, const um_suite *suite, um_sim **out, um_error *err)
{
	um_sim *s;
	yml_doc *d;

	*out = NULL;
	if (um_global_init(err) < 0)
		return -1;
	d = yml_load_file(pool_path, err);
	if (!d)
		return -1;
	s = um_xcalloc(1, sizeof(*s));
	s->suite = suite;
	s->pool_path = um_xstrdup(pool_path);
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->stopping, 0);
	sim_stop_init(s);
	if (pool_parse(s, d, err) < 0) {
		yml_doc_free(d);
		sim_free(s);
		return -1;
	}
	yml_doc_free(d);
	sim_index(s);
	*out = s;
	return 0;
}

void sim_set_latency_scale(um_sim *s, double scale)
{
	s->latency_scale = scale < 0 ? 0 : scale;
}

void sim_set_upstream(um_sim *s, const char *base_url)
{
	free(s->upstream_override);
	s->upstream_override = base_url && *base_url ? um_xstrdup(base_url) : NULL;
}

int sim_start(um_sim *s, int port, um_error *err)
{
	const httpd_opts ho = {
		.connection_limit = 8192,
		.thread_stack = 256 * 1024,
		.backlog = 4096,
		.completed = sim_completed,
		.completed_cls = s,
		.what = "simulator",
	};

	if (s->daemon)
		return um_fail(err, UM_ERR_STATE, "the simulator is already running");
	atomic_store(&s->stopping, 0);
	return httpd_start_local(port, sim_handler, s, &ho, &s->daemon, &s->port, s->base_url,
				 sizeof(s->base_url), err);
}

int sim_port(const um_sim *s)
{
	return s->port;
}

const char *sim_base_url(const um_sim *s)
{
	return s->base_url;
}

void sim_get_stats(const um_sim *s, um_sim_stats *out)
{
	um_sim *w = (um_sim *)s; /* the lock is not part of the value */

	pthread_mutex_lock(&w->lock);
	*out = s->stats;
	pthread_mutex_unlock(&w->lock);
}

void sim_stop(um_sim *s)
{
	if (!s || !s->daemon)
		return;
	pthread_mutex_lock(&s->stop_lock);
	atomic_store(&s->stopping, 1);
	pthread_cond_broadcast(&s->stop_cond);
	pthread_mutex_unlock(&s->stop_lock);
	MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}

size_t sim_model_count(const um_sim *s)
{
	return s->n_models;
}

void sim_free(um_sim *s)
{
	size_t i, j;

	if (!s)
		return;
	sim_stop(s);
	for (i = 0; i < s->n_models; i++) {
		sim_model *m = &s->models[i];

		free(m->name);
		for (j = 0; j < m->n_acc; j++)
			free(m->acc[j].category);
		free(m->acc);
		for (j = 0; j < m->n_members; j++)
			free(m->members[j]);
		free(m->members);
		free(m->upstream);
	}
	free(s->models);
	free(s->questions.win);
	free(s->questions.line);
	for (i = 0; s->item_keys && s->suite && i < s->suite->n_items; i++)
		free(s->item_keys[i]);
	free(s->item_keys);
	free(s->tasks.win);
	free(s->tasks.line);
	free(s->occ);
	free(s->upstream_override);
	free(s->pool_path);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->stop_cond);
	pthread_mutex_destroy(&s->stop_lock);
	free(s);
}
