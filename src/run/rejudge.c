/*
 * rejudge.c - the stored answers of a judged run judged again (rejudge.h).
 *
 * Each attempt's question, reference answer and answer type come from the
 * run's stored item (a bundle made without --include-data has them hashed:
 * such a store cannot be judged again, and says so), its answer from the
 * stored response text. The judge's reply is read as strictly as in a run.
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

typedef struct rj_ctx {
	um_rejudge *out;
	const um_system *js;
	um_judge_format f;
} rj_ctx;

typedef struct rj_att {
	rj_ctx *c;
	um_rejudge_sys *rs;
	int stored;             /* the stored score; -1: the stored reply was out of format */
} rj_att;

static int on_try(void *ctx, const um_try *t)
{
	rj_att *a = ctx;
	um_completion comp;
	um_judge_verdict v;
	um_error e = {0};

	a->c->out->calls++;
	if (engine_try_kind(t) != UM_TRYK_OK) {
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
		if (!t->last_chance)
			return UM_TRY_RETRY;
		a->rs->failed++;
		free(a);
		return UM_TRY_DONE;
	}
	a->c->out->cost_micro += pricing_cost_micro(&a->c->js->pricing, comp.tokens_in,
						    comp.tokens_cached, comp.tokens_cache_write,
						    comp.tokens_out);
	memset(&v, 0, sizeof(v));
	if (judge_parse(a->c->f, comp.content ? comp.content : "", &v, &e) < 0) {
		a->rs->judge_errors++;
	} else if (a->stored < 0) {
		a->rs->recovered++;
		a->rs->correct_new_recovered += v.correct == 1;
	} else {
		a->rs->judged++;
		a->rs->correct_stored += a->stored == 1;
		a->rs->correct_new += v.correct == 1;
		a->rs->changed += v.correct != a->stored;
	}
	judge_verdict_release(&v);
	completion_release(&comp);
	free(a);
	return UM_TRY_DONE;
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
	provider_submit_opts(c->js, &w, &so);
	r = engine_submit_opts(eng, lane, w.url, w.body, w.body_len,
			       (const char *const *)w.headers, w.n_headers, &so, on_try, ra, err);
	wire_request_release(&w);
	if (r < 0)
		free(ra);
	return r;
}

int rejudge_run(const um_run_data *d, const um_scaffold *sc, um_models *models, int jobs,
		um_rejudge *out, um_error *err)
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
	if (models_expand_system(models, k, err) < 0 ||
	    judge_format_parse(sc->judge.format, &c.f, err) < 0)
		return -1;
	c.out = out;
	c.js = &models->systems[k];
	out->n_systems = d->n_systems;
	out->systems = um_xcalloc(d->n_systems ? d->n_systems : 1, sizeof(*out->systems));
	for (i = 0; i < d->n_systems; i++)
		out->systems[i].name = um_xstrdup(d->systems[i].name);
	memset(&eo, 0, sizeof(eo));
	eo.seed = 1;
	if (engine_new(&eo, &eng, err) < 0)
		return -1;
	lo.concurrency = jobs > 0 ? jobs : c.js->concurrency;
	lo.timeout_ms = c.js->timeout_ms;
	lo.max_retries = c.js->max_retries;
	lane = engine_add_lane(eng, &lo);
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
out:
	engine_free(eng);
	return rc;
}

void rejudge_release(um_rejudge *r)
{
	size_t i;

	for (i = 0; i < r->n_systems; i++)
		free(r->systems[i].name);
	free(r->systems);
	memset(r, 0, sizeof(*r));
}
