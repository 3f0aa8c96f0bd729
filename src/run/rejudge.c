/*
 * rejudge.c - the stored answers of a judged run judged again (rejudge.h).
 *
 * Each attempt's question, reference answer and answer type come from the
 * run's stored item (a bundle made without --include-data has them hashed:
 * such a store cannot be judged again, and says so), its answer from the
 * stored response text. The judge's reply is read as strictly as in a run.
 * Every try of the judge is kept (the attempt it judged again, its request
 * and reply, tokens, cost and the verdict read) and, with a store, recorded
 * as one rescore at the end, in one transaction (store schema 10).
 */
#include "run/rejudge.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "exec/engine.h"
#include "exec/provider.h"
#include "grade/judge.h"
#include "grade/regrade.h"
#include "run/judging.h"
#include "run/record.h"

/* One try of the judge, owned. */
typedef struct rj_call {
	char *attempt_id, *error, *body, *extracted;
	char req_sha[65];
	size_t body_len;
	int try_no, verdict;
	long http_status;
	int64_t started_ms, latency_ms, tokens_in, tokens_out, cost_micro;
} rj_call;

typedef struct rj_ctx {
	um_rejudge *out;
	const um_system *js;
	um_engine *eng;         /* and the judge's lane, to note each call's tokens */
	int lane;
	um_judge_format f;
	rj_call *calls;         /* every try, in the order they ended */
	size_t n_calls, cap_calls;
	char **bodies;          /* the requests sent, by index of submission */
	char (*body_sha)[65];
	size_t *body_len;
	size_t n_bodies, cap_bodies, cap_sha, cap_len;
} rj_ctx;

typedef struct rj_att {
	rj_ctx *c;
	um_rejudge_sys *rs;
	int stored;             /* the stored score; -1: the stored reply was out of format */
	const char *attempt_id; /* borrowed from the run data */
	size_t body;            /* its request, in c->bodies */
} rj_att;

static rj_call *rj_keep(rj_att *a, const um_try *t, const char *error)
{
	rj_ctx *c = a->c;
	rj_call *k;

	um_xgrow((void **)&c->calls, &c->cap_calls, c->n_calls + 1, sizeof(*c->calls));
	k = &c->calls[c->n_calls++];
	memset(k, 0, sizeof(*k));
	k->attempt_id = um_xstrdup(a->attempt_id);
	k->error = error ? um_xstrdup(error) : NULL;
	if (t->body) {
		k->body = um_xstrndup(t->body, t->body_len);
		k->body_len = t->body_len;
	}
	memcpy(k->req_sha, c->body_sha[a->body], 65);
	k->try_no = t->try_no;
	k->http_status = t->http_status;
	k->started_ms = t->started_ms;
	k->latency_ms = t->latency_ms;
	k->verdict = -1;
	return k;
}

static int on_try(void *ctx, const um_try *t)
{
	rj_att *a = ctx;
	um_completion comp;
	um_judge_verdict v;
	um_error e = {0};
	rj_call *k;

	a->c->out->calls++;
	if (engine_try_kind(t) != UM_TRYK_OK) {
		rj_keep(a, t, engine_try_class(t));
		if (t->retryable && !t->last_chance)
			return UM_TRY_RETRY;
		a->rs->failed++;
		free(a);
		return UM_TRY_DONE;
	}
	memset(&comp, 0, sizeof(comp));
	if (provider_parse(a->c->js->provider, t->body ? t->body : "", t->body_len, &comp, &e) <
	    0) {
		completion_release(&comp);
		rj_keep(a, t, "protocol");
		if (!t->last_chance)
			return UM_TRY_RETRY;
		a->rs->failed++;
		free(a);
		return UM_TRY_DONE;
	}
	k = rj_keep(a, t, NULL);
	k->tokens_in = comp.tokens_in;
	k->tokens_out = comp.tokens_out;
	engine_lane_note_tokens(a->c->eng, a->c->lane, comp.tokens_in + comp.tokens_out);
	k->cost_micro = pricing_cost_micro(&a->c->js->pricing, comp.tokens_in, comp.tokens_cached,
					   comp.tokens_cache_write, comp.tokens_out);
	a->c->out->cost_micro += k->cost_micro;
	memset(&v, 0, sizeof(v));
	if (judge_parse(a->c->f, comp.content ? comp.content : "", &v, &e) < 0) {
		k->error = um_xasprintf("judge_error: %s", e.msg);
		a->rs->judge_errors++;
		goto done;
	}
	k->verdict = v.correct == 1;
	k->extracted = v.extracted ? um_xstrdup(v.extracted) : NULL;
	if (a->stored < 0) {
		a->rs->recovered++;
		a->rs->correct_new_recovered += v.correct == 1;
	} else {
		a->rs->judged++;
		a->rs->correct_stored += a->stored == 1;
		a->rs->correct_new += v.correct == 1;
		a->rs->changed += v.correct != a->stored;
	}
done:
	judge_verdict_release(&v);
	completion_release(&comp);
	free(a);
	return UM_TRY_DONE;
}

/* The request about to be sent, kept for the record; its index. */
static size_t rj_body(rj_ctx *c, const um_wire_request *w)
{
	size_t i = c->n_bodies;

	um_xgrow((void **)&c->bodies, &c->cap_bodies, i + 1, sizeof(*c->bodies));
	um_xgrow((void **)&c->body_sha, &c->cap_sha, i + 1, sizeof(*c->body_sha));
	um_xgrow((void **)&c->body_len, &c->cap_len, i + 1, sizeof(*c->body_len));
	c->bodies[i] = um_xstrndup(w->body, w->body_len);
	memcpy(c->body_sha[i], w->body_sha256, 65);
	c->body_len[i] = w->body_len;
	return c->n_bodies++;
}

/* One attempt's judge request submitted; 1 when the attempt is not judged. */
static int submit(um_engine *eng, int lane, rj_ctx *c, const um_run_data *d,
		  const um_scaffold *sc, const um_attempt_rec *a, um_rejudge_sys *rs,
		  um_error *err)
{
	const um_item_rec *it = regrade_find_item(d, a->item_id);
	json_t *ij = it ? json_loads(it->choices_json, 0, NULL) : NULL, *n;
	um_wire_request w;
	um_submit_opts so;
	rj_att *ra;
	int r;

	if (a->status != UM_ATT_DONE || um_streq(a->outcome, "context_overflow") ||
	    (ij && !um_streq(json_string_value(json_object_get(ij, "grader")), "judge"))) {
		if (ij)
			json_decref(ij);
		return 1;
	}
	if (!ij)
		return um_fail(err, UM_ERR_STATE,
			       "attempt %s: its item's reference answer is not in the store (a "
			       "bundle made without --include-data cannot be judged again)",
			       a->attempt_id);
	n = judging_judge_request(sc, it->question, a->response_text ? a->response_text : "",
				  json_string_value(json_object_get(ij, "answer")),
				  json_string_value(json_object_get(ij, "answer_type")), err);
	json_decref(ij);
	if (!n)
		return -1;
	memset(&w, 0, sizeof(w));
	r = provider_build(c->js, n, &w, err);
	json_decref(n);
	if (r < 0) {
		wire_request_release(&w);
		return -1;
	}
	ra = um_xcalloc(1, sizeof(*ra));
	ra->c = c;
	ra->rs = rs;
	ra->stored = um_streq(a->outcome, "judge_error") ? -1 : a->score;
	ra->attempt_id = a->attempt_id;
	ra->body = rj_body(c, &w);
	provider_submit_opts(c->js, &w, &so);
	r = engine_submit_opts(eng, lane, w.url, w.body, w.body_len,
			       (const char *const *)w.headers, w.n_headers, &so, on_try, ra, err);
	wire_request_release(&w);
	if (r < 0)
		free(ra);
	return r;
}

/* The per-system table as JSON (the rescore's summary_json). */
static char *rj_summary(const um_rejudge *r)
{
	json_t *a = json_array();
	char *t;
	size_t i;

	for (i = 0; i < r->n_systems; i++) {
		const um_rejudge_sys *x = &r->systems[i];

		json_array_append_new(
			a, json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "system",
				     x->name, "judged", (json_int_t)x->judged, "correct_stored",
				     (json_int_t)x->correct_stored, "correct_rejudged",
				     (json_int_t)x->correct_new, "changed", (json_int_t)x->changed,
				     "judge_errors", (json_int_t)x->judge_errors, "recovered",
				     (json_int_t)x->recovered, "recovered_correct",
				     (json_int_t)x->correct_new_recovered, "failed",
				     (json_int_t)x->failed));
	}
	t = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	return t;
}

/* The rescore, its requests and its calls into the store, in one
 * transaction; the rescore's id into out->rescore_id. */
static int rj_record(rj_ctx *c, const um_run_data *d, const um_scaffold *sc, um_store *st,
		     um_error *err)
{
	um_rescore_rec r;
	char *summary = rj_summary(c->out);
	size_t i;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	r.run_id = d->run.run_id;
	r.created_ms = um_wall_ms();
	r.scaffold = sc->name;
	r.scaffold_sha256 = sc->sha256;
	r.scaffold_text = sc->text;
	r.judge_system = c->js->name;
	r.judge_model = c->js->model;
	r.judge_provider = models_provider_name(c->js->provider);
	r.judge_format = sc->judge.format;
	r.calls = (int64_t)c->out->calls;
	r.cost_micro = c->out->cost_micro;
	r.summary_json = summary;
	if (store_begin(st, err) < 0)
		goto out;
	if (store_put_rescore(st, &r, &c->out->rescore_id, err) < 0)
		goto fail;
	for (i = 0; i < c->n_bodies; i++)
		if (store_put_request(st, c->body_sha[i], c->bodies[i], c->body_len[i], err) < 0)
			goto fail;
	for (i = 0; i < c->n_calls; i++) {
		const rj_call *k = &c->calls[i];
		um_rescore_call_rec cr = {
			k->attempt_id,	k->try_no,     k->http_status, k->error,
			k->started_ms,	k->latency_ms, k->tokens_in,   k->tokens_out,
			k->cost_micro,	k->req_sha,    k->body,	       k->body_len,
			k->verdict,	k->extracted,
		};

		if (store_put_rescore_call(st, c->out->rescore_id, &cr, err) < 0)
			goto fail;
	}
	rc = store_commit(st, err);
	if (rc == 0)
		goto out;
fail:
	store_rollback(st);
	free(c->out->rescore_id);
	c->out->rescore_id = NULL;
out:
	free(summary);
	return rc;
}

static void rj_free(rj_ctx *c)
{
	size_t i;

	for (i = 0; i < c->n_calls; i++) {
		free(c->calls[i].attempt_id);
		free(c->calls[i].error);
		free(c->calls[i].body);
		free(c->calls[i].extracted);
	}
	for (i = 0; i < c->n_bodies; i++)
		free(c->bodies[i]);
	free(c->calls);
	free(c->bodies);
	free(c->body_sha);
	free(c->body_len);
}

int rejudge_run(const um_run_data *d, const um_scaffold *sc, um_models *models, int jobs,
		um_store *st, um_rejudge *out, um_error *err)
{
	um_engine_opts eo;
	um_lane_opts lo;
	um_engine *eng = NULL;
	rj_ctx c;
	size_t i;
	int k, lane, rc = -1;

	memset(out, 0, sizeof(*out));
	if (strcmp(d->run.suite_kind, "judged") != 0 || strcmp(sc->kind, "judged") != 0 ||
	    !sc->judge.system)
		return um_fail(err, UM_ERR_USAGE,
			       "judging again takes a run of a judged suite and a judged scaffold "
			       "that names a judge (%s)", sc->path);
	k = models_find(models, sc->judge.system);
	if (k < 0)
		return um_fail(err, UM_ERR_USAGE, "%s: judge.system '%s' is not a system of %s",
			       sc->path, sc->judge.system, models->path);
	if (models_expand_system(models, k, err) < 0)
		return -1;
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.js = &models->systems[k];
	c.f = UM_JUDGE_FIELDS;
	if (judge_format_parse(sc->judge.format, &c.f, err) < 0)
		return -1;
	out->n_systems = d->n_systems;
	out->systems = um_xcalloc(d->n_systems ? d->n_systems : 1, sizeof(*out->systems));
	for (i = 0; i < d->n_systems; i++)
		out->systems[i].name = um_xstrdup(d->systems[i].name);
	memset(&eo, 0, sizeof(eo));
	eo.seed = 1;
	if (engine_new(&eo, &eng, err) < 0)
		return -1;
	lo = record_lane_opts(c.js);
	if (jobs > 0)
		lo.concurrency = jobs;
	lane = engine_add_lane(eng, &lo);
	c.eng = eng;
	c.lane = lane;
	for (i = 0; i < d->n_attempts; i++) {
		size_t s;

		for (s = 0; s < d->n_systems; s++)
			if (!strcmp(d->systems[s].name, d->attempts[i].system))
				break;
		if (s == d->n_systems)
			continue;
		if (submit(eng, lane, &c, d, sc, &d->attempts[i], &out->systems[s], err) < 0)
			goto out;
	}
	rc = engine_run(eng, NULL, NULL, 100, err);
	if (rc == 0 && st)
		rc = rj_record(&c, d, sc, st, err);
out:
	engine_free(eng);
	rj_free(&c);
	return rc;
}

void rejudge_release(um_rejudge *r)
{
	size_t i;

	for (i = 0; i < r->n_systems; i++)
		free(r->systems[i].name);
	free(r->systems);
	free(r->rescore_id);
	memset(r, 0, sizeof(*r));
}
