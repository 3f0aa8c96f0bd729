/*
 * rejudge.c - the stored answers of a judged run judged again (rejudge.h).
 *
 * Each attempt's question, reference answer and answer type come from the
 * run's stored item (a bundle made without --include-data has them hashed:
 * such a store cannot be judged again, and says so), its answer from the
 * stored response text. The judge's reply is read as strictly as in a run.
 *
 * Memory is bounded by the systems, the items and the judge's concurrency,
 * not by the answers: the attempts are read from the store one at a time
 * and fed to the engine a window at a time (at most RJ_WINDOW times the
 * judge's concurrency queued or in flight), each request is written to the
 * store as it is sent and each try of the judge (the attempt it judged
 * again, its reply, tokens, cost and the verdict read) as it ends, in
 * transactions committed every RJ_COMMIT_EVERY tries or RJ_COMMIT_MS. The
 * rescore row is put first with summary_json "null" and its calls and cost
 * kept up to date at each commit; the table replaces "null" when the last
 * call is written (store schema 10). One that fails is removed; one that
 * is interrupted keeps "null".
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

#define RJ_WINDOW 4 /* queued or in flight: this many times the judge's concurrency */
#define RJ_BURST 64 /* requests built per turn of the engine's loop */

typedef struct rj_ctx {
	um_rejudge *out;
	const um_run_data *d;
	const um_scaffold *sc;
	const um_system *js;
	um_engine *eng;         /* and the judge's lane, to note each call's tokens */
	int lane;
	um_judge_format f;
	json_t **items;         /* each item of d's choices_json, parsed (NULL: unreadable) */
	um_store *st;
	store_cursor *cur;      /* the run's attempts, read as they are fed */
	int exhausted, failed, in_tx;
	size_t outstanding, window, since_commit;
	int64_t last_commit;
	um_error fail_err;
} rj_ctx;

typedef struct rj_att {
	rj_ctx *c;
	um_rejudge_sys *rs;
	int stored;             /* the stored score; -1: the stored reply was out of format */
	char *attempt_id;
	char req_sha[65];       /* its request, in requests */
} rj_att;

static void rj_fail(rj_ctx *c)
{
	c->failed = 1;
	engine_stop(c->eng);
}

/* The rescore's calls and cost so far (and, at the end, r's table) with the
 * open transaction, committed when due (force: now). */
static int rj_commit(rj_ctx *c, const um_rescore_rec *fin, int force)
{
	int64_t now = um_mono_ms();
	um_rescore_rec r;

	if (!c->in_tx || c->failed)
		return c->failed ? -1 : 0;
	if (!force && !record_commit_due(c->since_commit, c->last_commit, now))
		return 0;
	memset(&r, 0, sizeof(r));
	if (fin)
		r = *fin;
	else
		r.created_ms = -1;
	r.calls = (int64_t)c->out->calls;
	r.cost_micro = c->out->cost_micro;
	if (store_update_rescore(c->st, c->out->rescore_id, &r, &c->fail_err) < 0 ||
	    store_commit(c->st, &c->fail_err) < 0) {
		rj_fail(c);
		return -1;
	}
	c->in_tx = 0;
	c->since_commit = 0;
	c->last_commit = now;
	return 0;
}

static int rj_ensure_tx(rj_ctx *c)
{
	if (c->failed)
		return -1;
	if (c->in_tx)
		return 0;
	if (store_begin(c->st, &c->fail_err) < 0) {
		rj_fail(c);
		return -1;
	}
	c->in_tx = 1;
	return 0;
}

static void rj_tick(void *ctx)
{
	rj_commit(ctx, NULL, 0);
}

/* One try of the judge into the store as it ends. */
static void rj_put(rj_att *a, const um_try *t, um_rescore_call_rec *cr)
{
	rj_ctx *c = a->c;

	cr->attempt_id = a->attempt_id;
	cr->try_no = t->try_no;
	cr->http_status = t->http_status;
	cr->started_ms = t->started_ms;
	cr->latency_ms = t->latency_ms;
	cr->request_hash = a->req_sha;
	cr->response_body = t->body;
	cr->response_len = t->body ? t->body_len : 0;
	if (rj_ensure_tx(c) < 0)
		return;
	if (store_put_rescore_call(c->st, c->out->rescore_id, cr, &c->fail_err) < 0) {
		rj_fail(c);
		return;
	}
	c->since_commit++;
	rj_commit(c, NULL, 0);
}

/* A try that got no reply read: kept with its error class. */
static void rj_put_error(rj_att *a, const um_try *t, const char *error)
{
	um_rescore_call_rec cr;

	memset(&cr, 0, sizeof(cr));
	cr.error = error;
	cr.verdict = -1;
	rj_put(a, t, &cr);
}

static int rj_feed_some(rj_ctx *c, int burst);

/* The attempt judged (or given up on): its slot to the next one. */
static int rj_done(rj_att *a)
{
	rj_ctx *c = a->c;

	free(a->attempt_id);
	free(a);
	c->outstanding--;
	rj_feed_some(c, RJ_BURST);
	return UM_TRY_DONE;
}

static void rj_abandon(void *ctx)
{
	rj_att *a = ctx;

	free(a->attempt_id);
	free(a);
}

static int on_try(void *ctx, const um_try *t)
{
	rj_att *a = ctx;
	um_completion comp;
	um_judge_verdict v;
	um_rescore_call_rec cr;
	um_error e = {0};
	char *why = NULL;

	a->c->out->calls++;
	if (engine_try_kind(t) != UM_TRYK_OK) {
		rj_put_error(a, t, engine_try_class(t));
		if (t->retryable && !t->last_chance)
			return UM_TRY_RETRY;
		a->rs->failed++;
		return rj_done(a);
	}
	memset(&comp, 0, sizeof(comp));
	if (provider_parse(a->c->js->provider, t->body ? t->body : "", t->body_len, &comp, &e) <
	    0) {
		completion_release(&comp);
		rj_put_error(a, t, "protocol");
		if (!t->last_chance)
			return UM_TRY_RETRY;
		a->rs->failed++;
		return rj_done(a);
	}
	memset(&cr, 0, sizeof(cr));
	cr.verdict = -1;
	cr.tokens_in = comp.tokens_in;
	cr.tokens_out = comp.tokens_out;
	engine_lane_note_tokens(a->c->eng, a->c->lane, comp.tokens_in + comp.tokens_out);
	cr.cost_micro = pricing_cost_micro(&a->c->js->pricing, comp.tokens_in, comp.tokens_cached,
					   comp.tokens_cache_write, comp.tokens_out);
	a->c->out->cost_micro += cr.cost_micro;
	memset(&v, 0, sizeof(v));
	if (judge_parse(a->c->f, comp.content ? comp.content : "", &v, &e) < 0) {
		why = um_xasprintf("judge_error: %s", e.msg);
		cr.error = why;
		a->rs->judge_errors++;
		goto done;
	}
	cr.verdict = v.correct == 1;
	cr.extracted = v.extracted;
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
	rj_put(a, t, &cr);
	free(why);
	judge_verdict_release(&v);
	completion_release(&comp);
	return rj_done(a);
}

/* The request about to be sent, into the store. */
static int rj_body(rj_ctx *c, const um_wire_request *w)
{
	if (rj_ensure_tx(c) < 0)
		return -1;
	if (store_put_request(c->st, w->body_sha256, w->body, w->body_len, &c->fail_err) < 0) {
		rj_fail(c);
		return -1;
	}
	return 0;
}

/* The system of d that a stored attempt is of, or NULL. */
static um_rejudge_sys *rj_system(rj_ctx *c, const char *name)
{
	size_t s;

	for (s = 0; s < c->d->n_systems; s++)
		if (!strcmp(c->d->systems[s].name, name))
			return &c->out->systems[s];
	return NULL;
}

/* The parsed choices of an attempt's item (NULL: not stored or unreadable);
 * *judged 0 when the item is graded otherwise. */
static json_t *rj_item(rj_ctx *c, const char *item_id, const um_item_rec **it, int *judged)
{
	json_t *ij;

	*it = item_id ? regrade_find_item(c->d, item_id) : NULL;
	ij = *it ? c->items[*it - c->d->items] : NULL;
	*judged = !ij || um_streq(json_string_value(json_object_get(ij, "grader")), "judge");
	return ij;
}

/* One attempt's judge request submitted; 1 when the attempt is not judged. */
static int submit(rj_ctx *c, const um_attempt_rec *a)
{
	um_rejudge_sys *rs = rj_system(c, a->system ? a->system : "");
	const um_item_rec *it;
	json_t *ij, *n;
	um_wire_request w;
	um_submit_opts so;
	um_error *err = &c->fail_err;
	rj_att *ra;
	int r, judged;

	if (!rs || a->status != UM_ATT_DONE || um_streq(a->outcome, "context_overflow"))
		return 1;
	ij = rj_item(c, a->item_id, &it, &judged);
	if (!judged)
		return 1;
	if (!ij)
		return um_fail(err, UM_ERR_STATE,
			       "attempt %s: its item's reference answer is not in the store (a "
			       "bundle made without --include-data cannot be judged again)",
			       a->attempt_id);
	n = judging_judge_request(c->sc, it->question, a->response_text ? a->response_text : "",
				  json_string_value(json_object_get(ij, "answer")),
				  json_string_value(json_object_get(ij, "answer_type")), err);
	if (!n)
		return -1;
	memset(&w, 0, sizeof(w));
	r = provider_build(c->js, n, &w, err);
	json_decref(n);
	if (r < 0 || rj_body(c, &w) < 0) {
		wire_request_release(&w);
		return -1;
	}
	ra = um_xcalloc(1, sizeof(*ra));
	ra->c = c;
	ra->rs = rs;
	ra->stored = um_streq(a->outcome, "judge_error") ? -1 : a->score;
	ra->attempt_id = um_xstrdup(a->attempt_id);
	memcpy(ra->req_sha, w.body_sha256, 65);
	provider_submit_opts(c->js, &w, &so);
	r = engine_submit_opts(c->eng, c->lane, w.url, w.body, w.body_len,
			       (const char *const *)w.headers, w.n_headers, &so, on_try, ra, err);
	wire_request_release(&w);
	if (r < 0) {
		rj_abandon(ra);
		return -1;
	}
	c->outstanding++;
	return 0;
}

/* Up to burst attempts read from the store and submitted, while the window
 * has room; 1 when it stopped at burst with more it could submit now. */
static int rj_feed_some(rj_ctx *c, int burst)
{
	while (!c->failed && !c->exhausted && burst > 0 && c->outstanding < c->window) {
		um_attempt_rec a;
		int r = store_cursor_next(c->cur, &a, &c->fail_err);

		if (r <= 0) {
			c->exhausted = 1;
			if (r < 0)
				rj_fail(c);
			break;
		}
		r = submit(c, &a);
		if (r < 0) {
			rj_fail(c);
			break;
		}
		burst -= r == 0;
	}
	return burst == 0 && !c->failed && !c->exhausted && c->outstanding < c->window;
}

static int feed_hook(void *ctx)
{
	return rj_feed_some(ctx, RJ_BURST);
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

/* The rescore as it begins: its row, not finished (summary_json "null"),
 * and its id into out->rescore_id. */
static int rj_begin(rj_ctx *c, um_error *err)
{
	um_rescore_rec r;

	memset(&r, 0, sizeof(r));
	r.run_id = c->d->run.run_id;
	r.created_ms = um_wall_ms();
	r.scaffold = c->sc->name;
	r.scaffold_sha256 = c->sc->sha256;
	r.scaffold_text = c->sc->text;
	r.judge_system = c->js->name;
	r.judge_model = c->js->model;
	r.judge_provider = models_provider_name(c->js->provider);
	r.judge_format = c->sc->judge.format;
	r.summary_json = "null";
	if (store_begin(c->st, err) < 0)
		return -1;
	if (store_put_rescore(c->st, &r, &c->out->rescore_id, err) < 0 ||
	    store_commit(c->st, err) < 0) {
		store_rollback(c->st);
		return -1;
	}
	c->last_commit = um_mono_ms();
	return 0;
}

/* The last calls and the table written: the rescore finished. */
static int rj_finish(rj_ctx *c)
{
	char *summary = rj_summary(c->out);
	um_rescore_rec r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.created_ms = um_wall_ms();
	r.summary_json = summary;
	rc = rj_ensure_tx(c);
	if (rc == 0)
		rc = rj_commit(c, &r, 1);
	free(summary);
	return rc;
}

/* A rescore that failed removed, with what it wrote. */
static void rj_undo(rj_ctx *c)
{
	um_error e = {0};

	if (c->in_tx)
		store_rollback(c->st);
	c->in_tx = 0;
	if (store_begin(c->st, &e) == 0 &&
	    (store_delete_rescore(c->st, c->out->rescore_id, &e) < 0 ||
	     store_commit(c->st, &e) < 0))
		store_rollback(c->st);
	free(c->out->rescore_id);
	c->out->rescore_id = NULL;
}

static json_t **rj_items(const um_run_data *d)
{
	json_t **v = um_xcalloc(d->n_items + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < d->n_items; i++)
		v[i] = json_loads(d->items[i].choices_json ? d->items[i].choices_json : "", 0,
				  NULL);
	return v;
}

static void rj_free(rj_ctx *c)
{
	size_t i;

	if (c->items)
		for (i = 0; i < c->d->n_items; i++)
			if (c->items[i])
				json_decref(c->items[i]);
	free(c->items);
	store_cursor_close(c->cur);
}

/* The judge, its engine and lane, and the table's systems. */
static int rj_setup(rj_ctx *c, um_models *models, int jobs, um_error *err)
{
	const um_run_data *d = c->d;
	um_engine_opts eo;
	um_lane_opts lo;
	size_t i;
	int k;

	k = models_find(models, c->sc->judge.system);
	if (k < 0)
		return um_fail(err, UM_ERR_USAGE, "%s: judge.system '%s' is not a system of %s",
			       c->sc->path, c->sc->judge.system, models->path);
	if (models_expand_system(models, k, err) < 0)
		return -1;
	c->js = &models->systems[k];
	c->f = UM_JUDGE_FIELDS;
	if (judge_format_parse(c->sc->judge.format, &c->f, err) < 0)
		return -1;
	c->out->n_systems = d->n_systems;
	c->out->systems = um_xcalloc(d->n_systems ? d->n_systems : 1, sizeof(*c->out->systems));
	for (i = 0; i < d->n_systems; i++)
		c->out->systems[i].name = um_xstrdup(d->systems[i].name);
	memset(&eo, 0, sizeof(eo));
	eo.seed = 1;
	if (engine_new(&eo, &c->eng, err) < 0)
		return -1;
	lo = record_lane_opts(c->js);
	if (jobs > 0)
		lo.concurrency = jobs;
	c->lane = engine_add_lane(c->eng, &lo);
	c->window = (size_t)(lo.concurrency > 0 ? lo.concurrency : 1) * RJ_WINDOW;
	if (c->window < 16)
		c->window = 16;
	engine_set_abandon(c->eng, rj_abandon);
	engine_set_feed_hook(c->eng, feed_hook, c);
	c->items = rj_items(d);
	return store_cursor_open(c->st, d->run.run_id, STORE_SCAN_TEXT, &c->cur, err);
}

int rejudge_run(const um_run_data *d, const um_scaffold *sc, um_models *models, int jobs,
		um_store *st, um_rejudge *out, um_error *err)
{
	rj_ctx c;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (strcmp(d->run.suite_kind, "judged") != 0 || strcmp(sc->kind, "judged") != 0 ||
	    !sc->judge.system)
		return um_fail(err, UM_ERR_USAGE,
			       "judging again takes a run of a judged suite and a judged scaffold "
			       "that names a judge (%s)", sc->path);
	memset(&c, 0, sizeof(c));
	c.out = out;
	c.d = d;
	c.sc = sc;
	c.st = st;
	if (rj_setup(&c, models, jobs, err) < 0 || rj_begin(&c, err) < 0)
		goto out;
	rj_feed_some(&c, RJ_BURST);
	if (!c.failed)
		rc = engine_run(c.eng, rj_tick, &c, 100, err);
	if (rc == 0 && !c.failed)
		rc = rj_finish(&c);
	if (c.failed) {
		*err = c.fail_err;
		rc = -1;
	}
	if (rc < 0 && out->rescore_id)
		rj_undo(&c);
out:
	engine_free(c.eng);
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
