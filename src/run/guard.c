/*
 * guard.c - the run's CI controls.
 *
 * Budget (--max-cost): before an attempt starts, the projected spend is what
 * has been spent plus, for every attempt in flight and the new one, an upper
 * bound of its cost: the request's size at about 4 bytes a token plus the
 * scaffold's max_tokens at the system's prices (or the costliest attempt of
 * the system seen so far, when that is more). When that would pass the
 * budget the attempt waits for those in flight; when even spent + one
 * attempt would pass it, no system starts another attempt (so the systems
 * stay on the same items), what is in flight finishes, and the run's notes
 * say it stopped and how much was not started. A system whose cost cannot
 * be bounded (no max_tokens, agentic attempts) is priced at its costliest
 * attempt so far, or, before its first one ends, at the costliest any system
 * has had; while no cost is known at all, one attempt runs at a time. For
 * agentic attempts (many calls each) this is a projection, not a bound.
 *
 * Circuit breaker: 401 and 403 are never retried (the engine treats them as
 * final); after one, the system runs one attempt at a time, and after
 * breaker_after of them in a row it starts no more attempts (those already
 * handed to the engine still end, as errors), while the others go on.
 *
 * Cache: for systems that opted in, a request whose exact bytes were
 * answered with a 2xx before (any run in the store) is answered from that
 * stored response; the attempt is marked cached, costs nothing and makes no
 * call.
 */
#include "run/guard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "run/run_ctx.h"

#define GUARD_BREAKER_DEFAULT 3

void guard_setup(run_ctx *rc)
{
	const um_run_opts *o = rc->o;
	int s, k;

	for (s = 0; s < rc->models->n_systems; s++) {
		lane *ln = &rc->lanes[s];
		ln->max_seen = -1;
		ln->bound = -1;
		for (k = 0; k < o->n_cache_systems; k++)
			if (!strcmp(o->cache_systems[k], "all") ||
			    !strcmp(o->cache_systems[k], rc->models->systems[s].name))
				ln->use_cache = 1;
	}
	rc->trips = json_array();
}

static json_t *guard_plan_notes(const run_ctx *rc)
{
	const um_plan_subset *sub = &rc->subset;
	size_t units = rc->suite->n_tasks ? rc->suite->n_tasks : rc->suite->n_items;
	json_t *n = json_object();

	if (sub->limit > 0 && rc->n_kept < units)
		json_object_set_new(n, "limit",
				    json_pack("{s:I, s:I, s:I, s:s}", "n", (json_int_t)rc->n_kept,
					      "of", (json_int_t)units, "seed",
					      (json_int_t)(sub->seed & INT64_MAX), "stratified_by",
					      "category"));
	if (sub->shard_count > 0)
		json_object_set_new(n, "shard", json_pack("{s:i, s:[i]}", "count", sub->shard_count,
							  "indices", sub->shard_index));
	if (!strcmp(rc->suite->kind, "code")) {
		const um_code_rules *c = &rc->suite->code;
		json_object_set_new(
			n, "window",
			json_pack("{s:o, s:o, s:I, s:I}", "from",
				  c->date_from[0] ? json_string(c->date_from) : json_null(), "to",
				  c->date_to[0] ? json_string(c->date_to) : json_null(), "items",
				  (json_int_t)rc->suite->n_items, "of",
				  (json_int_t)c->n_before_window));
	}
	return n;
}

static int guard_write(run_ctx *rc, json_t *notes, um_error *err)
{
	char *text = json_dumps(notes, JSON_COMPACT | JSON_SORT_KEYS);
	int rv = store_set_run_notes(rc->store, rc->run_id, text, err);

	free(text);
	return rv;
}

int guard_begin_notes(run_ctx *rc, um_error *err)
{
	json_t *want = guard_plan_notes(rc), *had = NULL;
	char *text = NULL;
	int rv = -1;
	static const char *const keys[] = {"limit", "shard", "window"};
	size_t i;

	if (store_get_run_notes(rc->store, rc->run_id, &text, err) < 0)
		goto out;
	had = text ? json_loads(text, 0, NULL) : json_object();
	if (!had)
		had = json_object();
	for (i = 0; text && i < UM_ARRAY_LEN(keys); i++) {
		json_t *a = json_object_get(had, keys[i]), *b = json_object_get(want, keys[i]);
		if (!json_equal(a ? a : json_null(), b ? b : json_null())) {
			um_fail(err, UM_ERR_STATE,
				"run '%s' was made with another --%s; resume it with the same one",
				rc->run_id, strcmp(keys[i], "window") ? keys[i] : "date-from/--date-to");
			goto out;
		}
	}
	rv = guard_write(rc, want, err);
out:
	free(text);
	if (had)
		json_decref(had);
	json_decref(want);
	return rv;
}

/* The cost one attempt of the lane is expected not to pass: the upper
 * bound from max_tokens, or the costliest attempt seen when that is more
 * (an orchestrator may spend past its own max_tokens); -1 unknown. */
static int64_t lane_unit(const lane *ln)
{
	return ln->max_seen > ln->bound ? ln->max_seen : ln->bound;
}

/* The lane's unit, or, while it knows none, the largest any lane knows
 * (systems on one suite cost alike more than they differ); -1: none known. */
static int64_t lane_estimate(const run_ctx *rc, const lane *ln)
{
	int64_t u = lane_unit(ln), best = -1;
	int k;

	if (u >= 0)
		return u;
	for (k = 0; k < rc->models->n_systems; k++)
		if (rc->lanes[k].todo && lane_unit(&rc->lanes[k]) > best)
			best = lane_unit(&rc->lanes[k]);
	return best;
}

int guard_may_submit(run_ctx *rc, int s)
{
	lane *ln = &rc->lanes[s];
	int64_t projected = rc->spent_micro, unit;
	int k, in_flight = 0;

	if (ln->tripped || rc->budget_stopped)
		return 0;
	if (ln->auth_streak > 0 && ln->outstanding > 0)
		return 0; /* after a 401/403, one attempt at a time until one succeeds */
	if (rc->o->max_cost_micro <= 0)
		return 1;
	for (k = 0; k < rc->models->n_systems; k++)
		in_flight += rc->lanes[k].outstanding;
	unit = lane_estimate(rc, ln);
	if (unit < 0 && in_flight > 0)
		return 0; /* no cost known anywhere: one probe at a time */
	if (unit < 0)
		unit = 0;
	if (rc->spent_micro + unit > rc->o->max_cost_micro) {
		rc->budget_stopped = 1; /* even alone it would pass the budget */
		return 0;
	}
	for (k = 0; k < rc->models->n_systems; k++) {
		int64_t u = lane_estimate(rc, &rc->lanes[k]);
		if (rc->lanes[k].outstanding > 0 && u > 0)
			projected += rc->lanes[k].outstanding * u;
	}
	/* over budget with what is in flight: wait for it to finish */
	return projected + unit <= rc->o->max_cost_micro;
}

int64_t guard_attempt_bound(const um_system *sys, const json_t *params, size_t body_len)
{
	static const char *const keys[] = {"max_tokens", "max_completion_tokens",
					   "max_output_tokens"};
	int64_t out = -1;
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(keys); i++)
		if (json_is_integer(json_object_get(params, keys[i])))
			out = json_integer_value(json_object_get(params, keys[i]));
	if (out < 0)
		return -1;
	return pricing_cost_micro(&sys->pricing, (int64_t)(body_len + 3) / 4, 0, 0, out);
}

void guard_on_submit(run_ctx *rc, int s, size_t body_len)
{
	lane *ln = &rc->lanes[s];
	int64_t b = guard_attempt_bound(&rc->models->systems[s], rc->scaffold->params, body_len);

	if (b > ln->bound)
		ln->bound = b;
}

void guard_on_finish(run_ctx *rc, int s, int done, int64_t cost_micro, long http_status,
		     const char *error_msg)
{
	lane *ln = &rc->lanes[s];
	int after = rc->o->breaker_after > 0 ? rc->o->breaker_after : GUARD_BREAKER_DEFAULT;
	const um_system *sys = &rc->models->systems[s];
	size_t left;

	if (cost_micro > ln->max_seen)
		ln->max_seen = cost_micro;
	if (http_status == 401 || http_status == 403) {
		ln->auth_streak++;
	} else {
		ln->auth_streak = 0;
		return;
	}
	(void)done;
	if (ln->tripped || ln->auth_streak < after)
		return;
	ln->tripped = 1;
	ln->trip_status = http_status;
	left = ln->n_todo - ln->cursor;
	ln->cursor = ln->n_todo;
	json_array_append_new(rc->trips,
			      json_pack("{s:s, s:i, s:i, s:I, s:s, s:s?}", "system", sys->name,
					"http_status", (int)http_status, "after", after,
					"not_started", (json_int_t)left, "message",
					error_msg ? error_msg : "", "api_key_env", sys->api_key_env));
}

void guard_on_finish_class(run_ctx *rc, int s, int64_t cost_micro, const char *error_class,
			   const char *error_msg)
{
	long status = 0;

	if (error_class && !strncmp(error_class, "http_", 5))
		status = strtol(error_class + 5, NULL, 10);
	guard_on_finish(rc, s, !error_class, cost_micro, status, error_msg);
}

int guard_cache_try(run_ctx *rc, struct attempt *a, um_error *err)
{
	int rv;

	if (!rc->lanes[a->p->system].use_cache || !strcmp(rc->suite->kind, "scicode"))
		return 0; /* scicode: later steps' prompts hold earlier answers, sent anew */
	rv = store_cache_lookup(rc->store, a->body_sha, &a->cache_call, &a->cache_body,
				&a->cache_len, err);
	if (rv != 0)
		return rv < 0 ? -1 : 0;
	a->cached = 1;
	a->cache_next = rc->cache_ready;
	rc->cache_ready = a;
	rc->cache_hits++;
	return 1;
}

int guard_end_notes(run_ctx *rc, um_run_result *res, um_error *err)
{
	json_t *notes = guard_plan_notes(rc), *t;
	size_t left = 0, i;
	int s, rv;

	for (s = 0; s < rc->models->n_systems; s++)
		if (rc->lanes[s].todo && !rc->lanes[s].tripped)
			left += rc->lanes[s].n_todo - rc->lanes[s].cursor;
	res->budget_stopped = rc->budget_stopped;
	res->cached = rc->cache_hits;
	res->not_started = left;
	if (rc->budget_stopped)
		json_object_set_new(notes, "stopped",
				    json_pack("{s:s, s:I, s:I, s:I}", "reason", "max_cost",
					      "max_cost_micro", (json_int_t)rc->o->max_cost_micro,
					      "spent_micro", (json_int_t)rc->spent_micro,
					      "not_started", (json_int_t)left));
	if (json_array_size(rc->trips)) {
		json_t *keep = json_array();
		json_array_foreach(rc->trips, i, t) {
			size_t used = strlen(res->breaker);
			const char *env = json_string_value(json_object_get(t, "api_key_env"));
			res->not_started += (size_t)json_integer_value(json_object_get(t, "not_started"));
			snprintf(res->breaker + used, sizeof(res->breaker) - used,
				 "system %s stopped after %lld authentication errors in a row (HTTP "
				 "%lld); %lld of its attempts not started; check its API key%s%s%s\n",
				 json_string_value(json_object_get(t, "system")),
				 (long long)json_integer_value(json_object_get(t, "after")),
				 (long long)json_integer_value(json_object_get(t, "http_status")),
				 (long long)json_integer_value(json_object_get(t, "not_started")),
				 env ? " ($" : "", env ? env : "", env ? ")" : "");
			json_array_append_new(keep, json_pack("{s:O, s:O, s:O, s:O}", "system",
							      json_object_get(t, "system"), "http_status",
							      json_object_get(t, "http_status"), "after",
							      json_object_get(t, "after"), "not_started",
							      json_object_get(t, "not_started")));
		}
		json_object_set_new(notes, "breaker", keep);
	}
	rv = guard_write(rc, notes, err);
	json_decref(notes);
	return rv;
}

void guard_estimate_add(json_t *est, const um_system *sys, const json_t *params,
			size_t body_len)
{
	json_t *systems = json_object_get(est, "systems"), *e = json_object_get(systems, sys->name);
	int64_t tokens = (int64_t)(body_len + 3) / 4;
	int64_t bound = body_len ? guard_attempt_bound(sys, params, body_len) : -1;
	int64_t in_cost = pricing_cost_micro(&sys->pricing, tokens, 0, 0, 0);

	if (!systems) {
		systems = json_object();
		json_object_set_new(est, "systems", systems);
	}
	if (!e) {
		e = json_pack("{s:i, s:i, s:i, s:i, s:b}", "attempts", 0, "prompt_tokens", 0,
			      "input_cost_micro", 0, "max_cost_micro", 0, "bounded", 1);
		json_object_set_new(systems, sys->name, e);
	}
#define GUARD_ADD(k, v) \
	json_object_set_new(e, k, json_integer(json_integer_value(json_object_get(e, k)) + (v)))
	GUARD_ADD("attempts", 1);
	GUARD_ADD("prompt_tokens", tokens);
	GUARD_ADD("input_cost_micro", in_cost);
	if (bound >= 0)
		GUARD_ADD("max_cost_micro", bound);
	else
		json_object_set_new(e, "bounded", json_false());
#undef GUARD_ADD
}
