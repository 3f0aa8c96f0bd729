/*
 * runner.c - one evaluation run, end to end.
 *
 * Flow: load suite (and its dataset, pin checked), scaffold and models;
 * build the plan; open the store and begin (or resume) the run; start the
 * built-in simulator when models.yaml names a pool and UMPIRE_SIM_URL is not
 * already set; check every system can build its request (keys present)
 * before any call is made; then feed each system's attempts to the engine,
 * a few windows ahead of its concurrency, and grade and store each attempt
 * as its last HTTP try completes.
 *
 * The neutral request of an (item, sample) is rendered once and shared by
 * every system; providers only add the model field and their envelope.
 * Writes are batched: one transaction is kept open and committed every
 * 4,096 attempts or 250 ms (record.c), and once in a quiet spell, when every
 * call is out waiting, with a checkpoint of the log (quiet_checkpoint), so
 * SIGKILL loses at most that window, and the
 * UNIQUE (run, item, system, sample) constraint plus the upsert mean a
 * resumed run never duplicates an attempt.
 */
#include "run/runner.h"
#include "run/agent.h"
#include "run/coderun.h"
#include "run/guard.h"
#include "run/judging.h"
#include "run/record.h"
#include "run/run_ctx.h"
#include "run/scirun.h"

#include <archive.h>
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <microhttpd.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "exec/engine.h"
#include "grade/grade.h"
#include "load/models.h"
#include "load/plan.h"
#include "exec/provider.h"
#include "load/scaffold.h"
#include "store/store.h"
#include "load/suite.h"
#include "umpire_config.h"
#include "base/util.h"

#define FEED_FACTOR 2
/* attempts built per turn of the event loop while the lanes have room */
#define FEED_BURST 64
/* The loop's tick (progress throttles itself to its own interval): a quiet
 * spell is seen within two of them. */
#define RUNNER_TICK_MS 100

static void runner_feed(run_ctx *rc);

const char *umpire_version(void)
{
	return UMPIRE_VERSION;
}

char *umpire_lib_versions_json(void)
{
	json_t *o = json_object();
	char pcre[64] = "";
	char *text;

	pcre2_config(PCRE2_CONFIG_VERSION, pcre);
	json_object_set_new(o, "libcurl", json_string(curl_version_info(CURLVERSION_NOW)->version));
	json_object_set_new(o, "sqlite", json_string(sqlite3_libversion()));
	json_object_set_new(o, "libyaml", json_string(yaml_get_version_string()));
	json_object_set_new(o, "libarchive", json_string(archive_version_details()));
	json_object_set_new(o, "jansson", json_string(jansson_version_str()));
	json_object_set_new(o, "pcre2", json_string(pcre));
	json_object_set_new(o, "libsodium", json_string(sodium_version_string()));
	json_object_set_new(o, "libmicrohttpd", json_string(MHD_get_version()));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int already_done(const run_ctx *rc, const char *id)
{
	return rc->n_done_ids &&
	       bsearch(&id, rc->done_ids, rc->n_done_ids, sizeof(char *), cmp_str) != NULL;
}

static void set_var_choice(um_vars *v, char *label_names[], int i, const char *text)
{
	label_names[i][0] = (char)('A' + i);
	label_names[i][1] = '\0';
	um_vars_set(v, label_names[i], text);
}

/* The neutral request of a code item: the scaffold's messages over the
 * problem, {{format}} being the with- or without-starter text. */
static json_t *build_code_neutral(run_ctx *rc, const um_planned *p, um_error *err)
{
	const um_item *it = &rc->suite->items[p->item];
	const um_code_item *c = it->code;
	const um_scaffold *sc = rc->scaffold;
	um_vars fv = {0}, v = {0};
	char *format = NULL, sample[16];
	json_t *msgs, *req;

	um_vars_set(&fv, "starter_code", c->starter_code);
	if (scaffold_render_text(c->starter_code[0] ? sc->code_with_starter
						    : sc->code_without_starter,
				 &fv, &format, err) < 0)
		return NULL;
	snprintf(sample, sizeof(sample), "%d", p->sample);
	um_vars_set(&v, "question", it->question);
	um_vars_set(&v, "title", c->title);
	um_vars_set(&v, "format", format);
	um_vars_set(&v, "starter_code", c->starter_code);
	um_vars_set(&v, "item_id", it->id);
	um_vars_set(&v, "category", it->category);
	um_vars_set(&v, "platform", c->platform);
	um_vars_set(&v, "date", c->date);
	um_vars_set(&v, "sample", sample);
	msgs = scaffold_render_messages(sc, &v, err);
	free(format);
	if (!msgs)
		return NULL;
	req = json_object();
	json_object_set_new(req, "messages", msgs);
	json_object_set(req, "params", sc->params);
	if (sc->reasoning)
		json_object_set(req, "reasoning", sc->reasoning);
	return req;
}

/* The neutral request for (item, sample): {"messages": [...], "params": {...}}. */
static json_t *build_neutral(run_ctx *rc, const um_planned *p, um_error *err)
{
	const um_item *it = &rc->suite->items[p->item];
	const um_scaffold *sc = rc->scaffold;
	const char *labels = sc->labels ? sc->labels : "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const char *cfmt = sc->choice_format ? sc->choice_format : "({{label}}) {{text}}";
	char label_store[UM_MAX_CHOICES][2], *label_names[UM_MAX_CHOICES];
	char lab[2] = {0, 0}, sample[16], labels_used[UM_MAX_CHOICES + 1];
	um_buf choices = UM_BUF_INIT, label_list = UM_BUF_INIT;
	um_vars v = {0};
	json_t *msgs, *req = NULL;
	int i;

	if (it->code)
		return build_code_neutral(rc, p, err);
	if (it->sci)
		return scirun_neutral(rc, p, err);
	if (!strcmp(rc->suite->kind, "judged"))
		return judging_neutral(rc, p, err);
	if ((int)strlen(labels) < it->n_choices) {
		um_fail(err, UM_ERR_INVALID, "%s: item %s has %d choices but the scaffold has only %zu labels",
			sc->path, it->id, it->n_choices, strlen(labels));
		return NULL;
	}
	um_buf_init(&choices, 0);
	um_buf_init(&label_list, 0);
	for (i = 0; i < it->n_choices; i++)
		label_names[i] = label_store[i];
	for (i = 0; i < it->n_choices; i++) {
		const char *text = it->choices[p->perm[i]];
		um_vars cv = {0};
		char *line;

		lab[0] = labels[i];
		labels_used[i] = labels[i];
		um_vars_set(&cv, "label", lab);
		um_vars_set(&cv, "text", text);
		if (scaffold_render_text(cfmt, &cv, &line, err) < 0)
			goto out;
		if (i)
			um_buf_putc(&choices, '\n');
		um_buf_puts(&choices, line);
		free(line);
		um_buf_printf(&label_list, i ? ", %c" : "%c", labels[i]);
	}
	labels_used[it->n_choices] = '\0';
	snprintf(sample, sizeof(sample), "%d", p->sample);
	um_vars_set(&v, "question", it->question);
	um_vars_set(&v, "choices", um_buf_str(&choices));
	um_vars_set(&v, "labels", labels_used);
	um_vars_set(&v, "label_list", um_buf_str(&label_list));
	um_vars_set(&v, "category", it->category ? it->category : "");
	um_vars_set(&v, "subcategory", it->subcategory ? it->subcategory : "");
	um_vars_set(&v, "item_id", it->id);
	um_vars_set(&v, "sample", sample);
	for (i = 0; i < it->n_choices; i++)
		set_var_choice(&v, label_names, i, it->choices[p->perm[i]]);
	msgs = scaffold_render_messages(sc, &v, err);
	if (!msgs)
		goto out;
	if (it->n_images && scaffold_attach_images(it, sc->path, msgs, 0, err) < 0) {
		json_decref(msgs);
		goto out;
	}
	req = scaffold_request(sc, msgs);
out:
	um_buf_release(&choices);
	um_buf_release(&label_list);
	return req;
}

static json_t *neutral_for(run_ctx *rc, const um_planned *p, um_error *err)
{
	size_t slot = (size_t)p->sample * rc->suite->n_items + p->item;

	if (!rc->neutral[slot]) {
		char *canon;

		if (!(rc->neutral[slot] = build_neutral(rc, p, err)))
			return NULL;
		/* hashed once per (item, sample), shared by every system */
		canon = json_canonical(rc->neutral[slot]);
		um_sha256_hex(canon, strlen(canon), rc->neutral_hash[slot]);
		free(canon);
	}
	return rc->neutral[slot];
}

static void neutral_unref(run_ctx *rc, const um_planned *p)
{
	size_t slot = (size_t)p->sample * rc->suite->n_items + p->item;

	if (--rc->neutral_refs[slot] <= 0 && rc->neutral[slot]) {
		json_decref(rc->neutral[slot]);
		rc->neutral[slot] = NULL;
	}
}


static void attempt_free(attempt *a)
{
	size_t i;

	if (a->prev)
		a->prev->next = a->next;
	else if (a->rc->live == a)
		a->rc->live = a->next;
	if (a->next)
		a->next->prev = a->prev;

	for (i = 0; i < a->n_calls; i++)
		record_call_release(&a->calls[i]);
	free(a->calls);
	free(a->g_extracted);
	free(a->g_detail);
	if (a->answer) {
		completion_release(a->answer);
		free(a->answer);
	}
	free(a->parity_hash);
	free(a->cache_body);
	free(a->extracted_text);
	free(a->detail_json);
	scirun_attempt_release(a);
	free(a);
}






/* ---- routing log ------------------------------------------------------------ */

static void runner_orch_begin(run_ctx *rc, const um_planned *p)
{
	if (!rc->o->routing || rc->models->systems[p->system].role != UM_ROLE_ORCHESTRATOR)
		return;
	evq_flight_begin(rc->o->routing, p->id);
}

static void runner_orch_end(run_ctx *rc, const um_planned *p)
{
	if (!rc->o->routing || rc->models->systems[p->system].role != UM_ROLE_ORCHESTRATOR)
		return;
	evq_flight_end(rc->o->routing);
}

/* Routing metadata the orchestrator reports about itself ({"calls": [{model,
 * tokens_in, tokens_cached, tokens_out, latency_ms, status}]}, or the array
 * alone) becomes self-report events, priced at the upstream's price when the
 * model is known, for reconciliation against what the proxy observed. */
static void store_self_report(run_ctx *rc, const attempt *a, const json_t *routing)
{
	const json_t *calls = json_is_array(routing) ? routing : json_object_get(routing, "calls");
	const json_t *c;
	size_t i;

	if (!json_is_array(calls))
		return;
	json_array_foreach(calls, i, c) {
		um_routing_rec r;
		const char *model = json_string_value(json_object_get(c, "model"));
		const um_models *up = rc->o->routing_upstreams;
		int k = model && up ? models_find(up, model) : -1;
		char *detail = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);

		memset(&r, 0, sizeof(r));
		r.attempt_id = (char *)a->p->id;
		r.source = (char *)"self-report";
		r.attribution = (char *)"self-report";
		r.sub_model = (char *)model;
		r.tokens_in = json_integer_value(json_object_get(c, "tokens_in"));
		r.tokens_cached = json_integer_value(json_object_get(c, "tokens_cached"));
		r.tokens_out = json_integer_value(json_object_get(c, "tokens_out"));
		r.latency_ms = json_integer_value(json_object_get(c, "latency_ms"));
		r.status = (long)json_integer_value(json_object_get(c, "status"));
		if (json_is_integer(json_object_get(c, "cost_micro")))
			r.cost_micro = json_integer_value(json_object_get(c, "cost_micro"));
		else if (k >= 0)
			r.cost_micro = pricing_cost_micro(&up->systems[k].pricing,
							  r.tokens_in, r.tokens_cached, 0,
							  r.tokens_out);
		r.at_ms = um_wall_ms();
		r.detail_json = detail;
		r.call_id = (int64_t)a->n_calls; /* the try that carried it */
		record_hold_event(rc, &r);
		free(detail);
	}
}

/* The end of a run: the producers of routing events (a recording proxy the
 * command started) are stopped, and what they sent last is stored. */
static void finish_routing(run_ctx *rc)
{
	if (!rc->o->routing)
		return;
	if (!rc->in_tx && rc->store && !rc->failed && store_begin(rc->store, NULL) == 0)
		rc->in_tx = 1;
	if (rc->o->routing_quiesce)
		rc->o->routing_quiesce(rc->o->routing_ctx);
	if (rc->store)
		record_drain_routing(rc);
}

/* An interrupted run: attempts still in flight that made tries are written
 * as infrastructure errors with every try and every sub-call they made, so
 * what was spent is on record; --resume runs them again. */
static void write_unfinished(run_ctx *rc)
{
	attempt *a;

	for (a = rc->live; a && rc->store && !rc->failed; a = a->next) {
		const um_planned *p = a->p;
		um_attempt_rec r;
		char perm[UM_MAX_CHOICES * 4];
		char *msg;

		if (!a->n_calls || a->cached)
			continue;
		memset(&r, 0, sizeof(r));
		plan_perm_to_string(p->perm, p->n_choices, perm, sizeof(perm));
		msg = um_xasprintf("interrupted before the attempt finished (%zu tr%s recorded)",
				   a->n_calls, a->n_calls == 1 ? "y" : "ies");
		r.attempt_id = (char *)p->id;
		r.item_id = rc->suite->items[p->item].id;
		r.system = rc->models->systems[p->system].name;
		r.sample = p->sample;
		r.status = UM_ATT_ERROR;
		r.perm = perm;
		r.request_hash = a->parity_hash && a->parity_hash[0] ? a->parity_hash : NULL;
		r.neutral_hash = a->neutral_hash;
		r.score = -1;
		r.n_calls = (int)a->n_calls;
		r.cost_micro = a->spent_micro;
		r.finished_ms = um_wall_ms();
		r.error_class = (char *)"interrupted";
		r.error_msg = msg;
		record_put_attempt(rc, p, &r, a->calls, (int)a->n_calls);
		free(msg);
	}
}

/* A cached attempt's calls to store: only those really made, the judge's
 * (turn -1), moved to the front. Their number. */
static int cached_calls(attempt *a)
{
	size_t i, k = 0;

	for (i = 0; i < a->n_calls; i++) {
		if (a->calls[i].turn >= 0)
			continue;
		if (i != k) {
			um_call_rec t = a->calls[k];
			a->calls[k] = a->calls[i];
			a->calls[i] = t;
		}
		k++;
	}
	return (int)k;
}

/* Write the attempt's final row and its calls; free it. */
static void finish_attempt(attempt *a, um_att_status status, const um_completion *c,
			   const um_mcq_grade *g, const char *error_class, const char *error_msg,
			   const um_try *t)
{
	run_ctx *rc = a->rc;
	const um_planned *p = a->p;
	const um_item *it = &rc->suite->items[p->item];
	um_attempt_rec r;
	char perm[UM_MAX_CHOICES * 4];
	lane *ln = &rc->lanes[p->system];
	size_t i;
	int n_write;

	memset(&r, 0, sizeof(r));
	plan_perm_to_string(p->perm, p->n_choices, perm, sizeof(perm));
	r.attempt_id = (char *)p->id;
	r.item_id = it->id;
	r.system = rc->models->systems[p->system].name;
	r.sample = p->sample;
	r.status = status;
	r.perm = perm;
	r.request_hash = a->parity_hash;
	r.neutral_hash = a->neutral_hash;
	r.score = -1;
	r.n_calls = (int)a->n_calls;
	for (i = 0; i < a->n_calls; i++)
		r.n_calls -= a->calls[i].turn < 0; /* the judge's calls are not the system's */
	r.cost_micro = a->spent_micro;
	r.latency_ms = t ? t->latency_ms : 0;
	r.finished_ms = um_wall_ms();
	if (status == UM_ATT_DONE && !g) {
		/* judged (judging.c): the grade is in the attempt */
		r.extracted = a->g_extracted;
		r.score = a->g_score;
		r.has_reward = a->g_has_reward;
		r.reward = a->g_reward;
		r.detail_json = a->g_detail;
		r.outcome = (char *)a->g_outcome;
	}
	if (status == UM_ATT_DONE && g) {
		r.extracted = a->extracted_text ? a->extracted_text
			      : g->found       ? (char *)g->extracted
					       : NULL;
		r.detail_json = a->detail_json;
		r.score = g->score;
	}
	if (status == UM_ATT_DONE && c) {
		r.response_text = c->content;
		r.tokens_in = c->tokens_in;
		r.tokens_cached = c->tokens_cached;
		r.tokens_out = c->tokens_out;
		r.served_model = c->served_model;
		r.fingerprint = c->fingerprint;
		r.finish_reason = c->finish_reason;
	} else {
		r.error_class = (char *)error_class;
		r.error_msg = (char *)error_msg;
	}
	if (a->cached)
		r.n_calls = 0; /* no call was made: the answer is a stored one */
	/* the row, its calls and its sub-calls in one transaction, written
	 * with the rest of its commit; a cached answer's judge calls (judged
	 * suites) are calls made, the rest not. The calls become the queue's. */
	n_write = a->cached ? cached_calls(a) : (int)a->n_calls;
	record_queue_attempt(rc, p, &r, a->calls, n_write, (int)a->n_calls,
			     a->cached ? a->cache_call : -1);
	a->calls = NULL;
	a->n_calls = 0;
	guard_on_finish(rc, p->system, status == UM_ATT_DONE, a->spent_micro,
			t ? t->http_status : 0, error_msg);
	rc->since_commit++;
	if (status == UM_ATT_DONE)
		rc->done++;
	else
		rc->errors++;
	ln->outstanding--;
	rc->activity++;
	runner_orch_end(rc, p);
	attempt_free(a);
	record_commit_if_due(rc, 0);
	runner_feed(rc);
}

/* judging.c's way to write an attempt it graded (rc->finish). */
static void finish_judged(attempt *a, um_att_status status, const um_completion *c,
			  const char *error_class, const char *error_msg, const um_try *t)
{
	finish_attempt(a, status, c, NULL, error_class, error_msg, t);
}

/* The orchestrator's own account of its routing: where models.yaml says (a
 * JSON pointer or a response header), else a top-level "routing" member
 * when there is one (parsed, borrowed). */
static void store_routing_of(run_ctx *rc, const attempt *a, const um_system *sys,
			     const um_try *t, json_t *parsed)
{
	json_t *rj = NULL;

	if (sys->routing_header) {
		char *v = engine_header_value(t->headers, sys->routing_header);
		rj = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;
		free(v);
	} else if (sys->routing_pointer) {
		json_t *body = json_loadb(t->body, t->body_len, 0, NULL);
		json_t *at = body ? (json_t *)jpath_pointer(body, sys->routing_pointer) : NULL;
		rj = at ? json_incref(at) : NULL;
		if (body)
			json_decref(body);
	} else if (parsed) {
		rj = json_incref(parsed);
	}
	if (rj) {
		store_self_report(rc, a, rj);
		json_decref(rj);
	}
}

/* on_try, step 1: the try becomes a call record of the attempt. */
static um_call_rec *try_record_call(attempt *a, const um_try *t)
{
	um_call_rec *cr;

	um_xgrow((void **)&a->calls, &a->cap_calls, a->n_calls + 1, sizeof(*a->calls));
	cr = &a->calls[a->n_calls++];
	memset(cr, 0, sizeof(*cr));
	cr->attempt_id = um_xstrdup(a->p->id);
	cr->try_no = t->try_no;
	cr->turn = a->turn; /* scicode: the step's turn; else 0 */
	cr->http_status = t->http_status;
	cr->curl_code = t->curl_code;
	cr->started_ms = t->started_ms;
	cr->latency_ms = t->latency_ms;
	cr->ttft_ms = t->ttft_ms;
	cr->request_hash = um_xstrdup(a->body_sha);
	if (t->body && t->body_len) {
		cr->response_body = um_xstrndup(t->body, t->body_len);
		cr->response_len = t->body_len;
	}
	/* the sub-calls observed so far came with this try */
	record_tag_routing(a->rc, a->p->id, (int)a->n_calls);
	return cr;
}

/* on_try, step 2: a transport or HTTP failure (engine_try_kind decides
 * what is worth another try). Returns UM_TRY_RETRY or UM_TRY_DONE, or -1
 * when the try got a 2xx. */
static int try_failed(attempt *a, const um_try *t, um_call_rec *cr)
{
	const um_system *sys = &a->rc->models->systems[a->p->system];
	char *msg, *api;

	if (engine_try_kind(t) == UM_TRYK_OK)
		return -1;
	if (t->curl_code != CURLE_OK || t->body_truncated) {
		cr->error = um_xstrdup(t->error ? t->error : "transport error");
	} else {
		api = provider_error_message(t->body, t->body_len);
		cr->error = um_xasprintf("HTTP %ld%s%s", t->http_status, api ? ": " : "",
					 api ? api : "");
		free(api);
	}
	if (t->retryable && !t->last_chance)
		return UM_TRY_RETRY;
	if (!strcmp(a->rc->suite->kind, "judged") && judging_overflow(t)) {
		/* neither a wrong answer nor an infrastructure error */
		a->g_outcome = "context_overflow";
		a->g_score = 0;
		finish_attempt(a, UM_ATT_DONE, NULL, NULL, NULL, NULL, t);
		return UM_TRY_DONE;
	}
	msg = um_xasprintf("%s: %s (try %d, %s)", sys->name, cr->error, t->try_no,
			   t->retryable ? "retries exhausted" : "not retryable");
	finish_attempt(a, UM_ATT_ERROR, NULL, NULL, record_call_error_class(sys, t), msg, t);
	free(msg);
	return UM_TRY_DONE;
}

/* A code attempt graded (coderun.c calls back, in the loop thread). */
static void finish_code(attempt *a, const coderun_outcome *o)
{
	um_mcq_grade g;
	um_try t;

	memset(&t, 0, sizeof(t));
	t.latency_ms = o->latency_ms;
	t.http_status = o->http_status;
	if (o->error_msg) {
		finish_attempt(a, UM_ATT_ERROR, NULL, NULL, o->error_class, o->error_msg, &t);
		return;
	}
	memset(&g, 0, sizeof(g));
	g.found = o->program != NULL;
	g.chosen = -1;
	g.score = o->score;
	a->extracted_text = o->program ? um_xstrdup(o->program) : NULL;
	a->detail_json = o->detail_json ? um_xstrdup(o->detail_json) : NULL;
	finish_attempt(a, UM_ATT_DONE, o->c, &g, NULL, NULL, &t);
}

/* on_try, step 3: grade the answer and finish the attempt. */
static void try_grade(attempt *a, const um_try *t, um_completion *c)
{
	run_ctx *rc = a->rc;
	const um_system *sys = &rc->models->systems[a->p->system];
	const um_item *it = &rc->suite->items[a->p->item];
	um_error perr = {0};
	um_mcq_grade g;
	char *msg;

	if (it->code) {
		coderun_grade(rc, a, c, t->latency_ms, t->http_status, finish_code);
		return;
	}
	if (it->sci) {
		scirun_answer(a, t, c);
		return;
	}
	if (!strcmp(rc->suite->kind, "judged")) {
		judging_grade(a, t, c);
		return;
	}
	if (grade_mcq(&rc->scaffold->extract,
		      rc->scaffold->labels ? rc->scaffold->labels : "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
		      a->p->perm, a->p->n_choices, it->correct, c->content, &g, &perr) < 0) {
		msg = um_xasprintf("%s: grading failed: %s", sys->name, perr.msg);
		finish_attempt(a, UM_ATT_ERROR, NULL, NULL, "grader", msg, t);
		free(msg);
	} else {
		finish_attempt(a, UM_ATT_DONE, c, &g, NULL, NULL, t);
	}
}

static int on_try(void *ctx, const um_try *t)
{
	attempt *a = ctx;
	run_ctx *rc = a->rc;
	const um_system *sys = &rc->models->systems[a->p->system];
	um_call_rec *cr = try_record_call(a, t);
	um_completion c;
	um_error perr = {0};
	char *msg;
	int v = try_failed(a, t, cr);

	if (v >= 0)
		return v;
	memset(&c, 0, sizeof(c));
	if (provider_parse(sys->provider, t->body ? t->body : "", t->body_len, &c, &perr) < 0) {
		cr->error = um_xstrdup(perr.msg);
		completion_release(&c);
		if (!t->last_chance)
			return UM_TRY_RETRY;
		msg = um_xasprintf("%s: response body not as the API promises: %s", sys->name,
				   perr.msg);
		finish_attempt(a, UM_ATT_ERROR, NULL, NULL, "protocol", msg, t);
		free(msg);
		return UM_TRY_DONE;
	}
	cr->tokens_in = c.tokens_in;
	cr->tokens_cached = c.tokens_cached;
	cr->tokens_out = c.tokens_out;
	cr->tokens_cache_write = c.tokens_cache_write;
	cr->tokens_reasoning = c.tokens_reasoning;
	cr->cost_micro = a->cached ? 0 /* no call was made */
				   : pricing_cost_micro(&sys->pricing, c.tokens_in, c.tokens_cached,
							c.tokens_cache_write, c.tokens_out);
	if (!a->cached) /* what a call costs of a remaining-tokens budget */
		engine_lane_note_tokens(rc->eng, rc->lanes[a->p->system].engine_lane,
					c.tokens_in + c.tokens_out);
	cr->served_model = um_xstrdup(c.served_model);
	store_routing_of(rc, a, sys, t, c.routing);
	a->spent_micro += cr->cost_micro;
	rc->spent_micro += cr->cost_micro;
	try_grade(a, t, &c);
	completion_release(&c);
	return UM_TRY_DONE;
}

/* The body sent, stored with each image's base64 replaced by a reference
 * to its row in images (stored once by record_items). */
static int put_request(run_ctx *rc, const um_planned *p, const json_t *neutral,
		       const um_wire_request *w, um_error *err)
{
	const um_item *it = rc->suite->n_items ? &rc->suite->items[p->item] : NULL;
	const char *b64[UM_IMAGE_MAX_PER_ITEM], *sha[UM_IMAGE_MAX_PER_ITEM];
	const json_t *m, *part;
	size_t i, j, n = 0, len;
	char *body;
	int stored;

	if (!it || !it->n_images)
		return store_put_request(rc->store, w->body_sha256, w->body, w->body_len, err);
	json_array_foreach(json_object_get(neutral, "messages"), i, m) {
		if (!json_is_array(json_object_get(m, "content")))
			continue;
		json_array_foreach(json_object_get(m, "content"), j, part) {
			const char *d = json_string_value(json_object_get(part, "data"));

			if (d && n < (size_t)it->n_images) {
				b64[n] = d;
				sha[n] = it->images[n].sha256;
				n++;
			}
		}
	}
	body = store_elide_images(w->body, w->body_len, b64, sha, n, &len);
	stored = store_put_request(rc->store, w->body_sha256, body, len, err);
	free(body);
	return stored;
}

/* The attempt is submitted: on the live list, counted in its lane. */
static void go_live(run_ctx *rc, attempt *a)
{
	a->next = rc->live;
	if (rc->live)
		rc->live->prev = a;
	rc->live = a;
	rc->lanes[a->p->system].outstanding++;
	rc->activity++;
	record_attempt_started(rc, a->p);
}

/* Send the attempt's request w on its system's lane; on_try gets the answer. */
static int send_wire(run_ctx *rc, attempt *a, const um_wire_request *w, um_error *err)
{
	/* W3C trace context: trace-id = attempt id, so an orchestrator that
	 * propagates it lets the recording proxy attribute its sub-calls.
	 * Metadata only: the body, and so parity, is untouched. */
	const um_planned *p = a->p;
	const um_system *sys = &rc->models->systems[p->system];
	const char **hdrs = um_xcalloc((size_t)w->n_headers + 1, sizeof(char *));
	uint64_t span = um_hash64(p->id, strlen(p->id), 0x7370616eULL) | 1;
	um_submit_opts so;
	char *tp;
	int h, rcs;

	tp = um_xasprintf("traceparent: 00-%s-%016llx-01", p->id, (unsigned long long)span);
	for (h = 0; h < w->n_headers; h++)
		hdrs[h] = w->headers[h];
	hdrs[w->n_headers] = tp;
	provider_submit_opts(sys, w, &so);
	rcs = engine_submit_opts(rc->eng, rc->lanes[p->system].engine_lane, w->url, w->body,
				 w->body_len, hdrs, w->n_headers + 1, &so, on_try, a, err);
	free(tp);
	free(hdrs);
	return rcs;
}

/* A scicode attempt's next step (rc->resubmit): the request built for the
 * attempt's system, stored and sent; its answer comes back through on_try. */
static int submit_turn(attempt *a, const json_t *neutral, um_error *err)
{
	run_ctx *rc = a->rc;
	const um_system *sys = &rc->models->systems[a->p->system];
	um_wire_request w;
	int r = -1;

	memset(&w, 0, sizeof(w));
	if (provider_build(sys, neutral, &w, err) < 0)
		return um_error_prefix(err, "system %s", sys->name);
	memcpy(a->body_sha, w.body_sha256, sizeof(w.body_sha256));
	if (record_ensure_tx(rc) == 0 && put_request(rc, a->p, neutral, &w, err) == 0)
		r = send_wire(rc, a, &w, err);
	wire_request_release(&w);
	return r;
}

/* --oracle on a code suite: the problem's reference program is the answer
 * (no call is made), graded like any; a problem whose own program fails is
 * broken. One without a `solution` has no program to run. */
static int submit_oracle(run_ctx *rc, const um_planned *p)
{
	const um_code_item *c = rc->suite->items[p->item].code;
	attempt *a = um_xcalloc(1, sizeof(*a));
	um_completion comp;

	if (rc->suite->items[p->item].sci) { /* each step's ground_truth_code */
		neutral_unref(rc, p);
		a->rc = rc;
		a->p = p;
		a->parity_hash = um_xstrdup("");
		go_live(rc, a);
		scirun_oracle(a);
		return 0;
	}
	memset(&comp, 0, sizeof(comp));
	/* LiveCodeBench Pro's extraction wants a ```cpp block */
	comp.content = c->solution ? um_xasprintf("```%s\n%s\n```\n", c->judge_dir ? "cpp" : "",
						  c->solution)
				   : um_xstrdup("(this problem has no reference program)");
	comp.served_model = um_xstrdup("reference-solution");
	neutral_unref(rc, p);
	a->rc = rc;
	a->p = p;
	a->parity_hash = um_xstrdup("");
	go_live(rc, a);
	coderun_grade(rc, a, &comp, 0, 200, finish_code);
	completion_release(&comp);
	return 0;
}

static int submit_one(run_ctx *rc, size_t idx, um_error *err)
{
	const um_planned *p = &rc->plan.a[idx];
	const um_system *sys = &rc->models->systems[p->system];
	um_wire_request w;
	attempt *a;
	json_t *neutral;

	if (rc->oracle && (rc->suite->items[p->item].code || rc->suite->items[p->item].sci))
		return submit_oracle(rc, p);
	neutral = neutral_for(rc, p, err);

	if (!neutral)
		return -1;
	memset(&w, 0, sizeof(w));
	if (provider_build(sys, neutral, &w, err) < 0) {
		neutral_unref(rc, p);
		return um_error_prefix(err, "system %s", sys->name);
	}
	a = um_xcalloc(1, sizeof(*a));
	memcpy(a->neutral_hash, rc->neutral_hash[(size_t)p->sample * rc->suite->n_items + p->item],
	       sizeof(a->neutral_hash));
	a->rc = rc;
	a->p = p;
	a->parity_hash = um_xstrdup(w.body_hash);
	memcpy(a->body_sha, w.body_sha256, sizeof(w.body_sha256));
	if (record_ensure_tx(rc) < 0 || put_request(rc, p, neutral, &w, err) < 0) {
		neutral_unref(rc, p);
		attempt_free(a);
		wire_request_release(&w);
		return -1;
	}
	neutral_unref(rc, p);
	guard_on_submit(rc, p->system, w.body_len);
	switch (guard_cache_try(rc, a, err)) {
	case -1:
		attempt_free(a);
		wire_request_release(&w);
		return -1;
	case 1:
		goto submitted; /* answered by runner_feed from the stored response */
	}
	if (send_wire(rc, a, &w, err) < 0) {
		attempt_free(a);
		wire_request_release(&w);
		return -1;
	}
submitted:
	wire_request_release(&w);
	go_live(rc, a);
	runner_orch_begin(rc, p);
	return 0;
}

/* Grade the attempts the cache answered, as if their stored response had
 * just arrived (outermost feed only: grading feeds again). */
static void drain_cache(run_ctx *rc)
{
	while (rc->cache_ready && !rc->failed) {
		attempt *a = rc->cache_ready;
		um_try t;

		rc->cache_ready = a->cache_next;
		memset(&t, 0, sizeof(t));
		t.try_no = 1;
		t.http_status = 200;
		t.started_ms = um_wall_ms();
		t.body = a->cache_body ? a->cache_body : "";
		t.body_len = a->cache_len;
		t.retry_after_ms = -1;
		t.last_chance = 1;
		on_try(a, &t);
	}
}

/* Has lane s started more attempts than some other lane that still has
 * work and room? */
static int feed_behind(const run_ctx *rc, int s)
{
	int k;

	for (k = 0; k < rc->models->n_systems; k++) {
		const lane *o = &rc->lanes[k];
		if (k != s && o->todo && !o->tripped && o->cursor < o->n_todo &&
		    o->outstanding < o->feed_cap && o->cursor < rc->lanes[s].cursor)
			return 1;
	}
	return 0;
}

/* Once every lane's attempts are submitted in a run whose attempts are one
 * call each (no judge, agent turns or SciCode steps to follow), the engine
 * closes connections as their calls end instead of keeping them for more. */
static void feed_exhausted(run_ctx *rc)
{
	int s;

	if (rc->no_more || rc->judge >= 0 || rc->suite->n_tasks ||
	    !strcmp(rc->suite->kind, "scicode"))
		return;
	for (s = 0; s < rc->models->n_systems; s++)
		if (rc->lanes[s].todo && rc->lanes[s].cursor < rc->lanes[s].n_todo)
			return;
	rc->no_more = 1;
	engine_no_more_requests(rc->eng);
}

/* Submits up to burst attempts (every system in turn under a budget, so
 * that the systems stay on the same items when the money runs out); 1 when
 * it stopped at burst with more it could submit now. */
static int runner_feed_some(run_ctx *rc, int burst)
{
	int s, outer = !rc->feeding, moved, left = burst;

	if (rc->failed)
		return 0;
	rc->feeding = 1;
	do {
		moved = 0;
		for (s = 0; s < rc->models->n_systems && left > 0; s++) {
			lane *ln = &rc->lanes[s];
			while (!rc->failed && left > 0 && ln->cursor < ln->n_todo &&
			       ln->outstanding < ln->feed_cap && guard_may_submit(rc, s)) {
				size_t idx;

				if (rc->o->max_cost_micro > 0 && feed_behind(rc, s))
					break;
				idx = ln->todo[ln->cursor++];
				moved = 1;
				left--;
				if ((rc->suite->n_tasks ? agent_submit(rc, idx, &rc->fail_err)
							: submit_one(rc, idx, &rc->fail_err)) < 0) {
					rc->failed = 1;
					engine_stop(rc->eng);
					break;
				}
			}
		}
	} while (moved && left > 0 && rc->o->max_cost_micro > 0 && !rc->failed);
	if (outer) {
		drain_cache(rc);
		rc->feeding = 0;
	}
	if (left > 0 && !rc->failed)
		feed_exhausted(rc);
	return left == 0 && !rc->failed;
}

static void runner_feed(run_ctx *rc)
{
	runner_feed_some(rc, INT_MAX);
}

/* The engine's feed hook: a batch per turn of the loop, so the first
 * requests of a wide run are connected and sent while the later ones are
 * still being built. */
static int feed_hook(void *ctx)
{
	return runner_feed_some(ctx, FEED_BURST);
}

static void report_progress(run_ctx *rc, int force)
{
	um_progress pr;
	um_engine_stats es;
	int64_t now = um_mono_ms();
	int every = rc->o->progress_ms > 0 ? rc->o->progress_ms : 250;

	if (!rc->o->progress || (!force && now - rc->last_progress < every))
		return;
	rc->last_progress = now;
	engine_get_stats(rc->eng, &es);
	pr.total = rc->total;
	pr.done = rc->done;
	pr.errors = rc->errors;
	pr.skipped = rc->skipped;
	pr.in_flight = es.in_flight;
	pr.waiting_retry = es.sleeping;
	pr.spent_micro = rc->spent_micro;
	pr.elapsed_ms = now - rc->started_mono;
	rc->o->progress(rc->o->progress_ctx, &pr);
}

/* Real time for the lease, whatever SOURCE_DATE_EPOCH says. */
static int64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Renew the run's lease every UM_LEASE_BEAT_MS; a lease taken over by
 * another process stops this one. */
static void lease_beat(run_ctx *rc)
{
	int64_t now = um_mono_ms();

	if (!rc->leased || rc->failed || now - rc->last_beat < UM_LEASE_BEAT_MS)
		return;
	rc->last_beat = now;
	if (record_ensure_tx(rc) < 0)
		return;
	if (store_lease_renew(rc->store, rc->run_id, real_ms(), &rc->fail_err) < 0) {
		rc->failed = 1;
		rc->leased = 0;
		engine_stop(rc->eng);
	}
}

/* A quiet spell (no attempt started or finished for a whole tick: every
 * call is out, waiting on the provider) commits what is open and copies the
 * log into the file then, once, instead of all of it after the last answer
 * (1,008 calls at 500 ms: the requests' pages are copied while they wait). */
static void quiet_checkpoint(run_ctx *rc)
{
	if (rc->activity != rc->activity_seen) {
		rc->activity_seen = rc->activity;
		rc->quiet_done = 0;
		return;
	}
	if (rc->quiet_done || rc->failed || !rc->store)
		return;
	rc->quiet_done = 1;
	record_commit_if_due(rc, 1);
	if (!rc->failed && !rc->in_tx && store_checkpoint(rc->store, &rc->fail_err) < 0) {
		rc->failed = 1;
		engine_stop(rc->eng);
	}
}

static void tick(void *ctx)
{
	run_ctx *rc = ctx;

	if (rc->o->interrupted && *rc->o->interrupted)
		engine_stop(rc->eng);
	lease_beat(rc);
	record_drain_routing(rc);
	record_commit_if_due(rc, 0);
	quiet_checkpoint(rc);
	report_progress(rc, 0);
}

/* --oracle / --predictions: one pseudo-system that calls no model. text is
 * what the run records as its "models file". */
static um_models *pseudo_models(const char *name, const char *model, const char *text)
{
	um_models *m = um_xcalloc(1, sizeof(*m));

	m->path = um_xasprintf("(%s)", name);
	m->systems = um_xcalloc(1, sizeof(um_system));
	m->n_systems = 1;
	m->systems[0].name = um_xstrdup(name);
	m->systems[0].role = UM_ROLE_BASELINE;
	m->systems[0].base_url = um_xasprintf("%s:", name);
	m->systems[0].base_url_raw = um_xasprintf("%s:", name);
	m->systems[0].model = um_xstrdup(model);
	m->systems[0].concurrency = 4;
	m->text = um_xstrdup(text);
	um_sha256_hex(text, strlen(text), m->sha256);
	return m;
}

/* Published patches (--predictions), loaded by the command: the patches by
 * instance id, and the name of the system that made them. */
static int load_predictions(run_ctx *rc, const um_predictions *pr)
{
	char name[96];
	size_t k;

	snprintf(name, sizeof(name), "pred-%s", pr->model && *pr->model ? pr->model : "file");
	for (k = 0; name[k]; k++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
			    name[k]))
			name[k] = '-';
	/* what the run records as its "models file": the normalised predictions */
	rc->models = pseudo_models(name, pr->model && *pr->model ? pr->model : "predictions",
				   pr->text);
	rc->predictions = json_incref(pr->patches);
	rc->vendor = pr->vendor ? json_incref(pr->vendor) : NULL;
	return 0;
}

/* --replay RUN: the commands every graded agentic attempt of RUN ran, to run
 * them again in fresh sandboxes and verify, with no model. The suite must be
 * the one RUN used (same task files). One pseudo-system per system of RUN. */
static int load_replay(run_ctx *rc, const char *run_id, um_error *err)
{
	um_store *st = NULL;
	um_run_data d;
	um_buf text;
	size_t i, k;
	int rv = -1;

	memset(&d, 0, sizeof(d));
	if (store_open_existing(rc->o->db_path, &st, err) < 0 ||
	    store_load_run(st, run_id, &d, err) < 0)
		goto out;
	if (!um_streq(d.run.dataset_sha256, rc->suite->dataset_sha256) ||
	    !um_streq(d.run.suite_name, rc->suite->name)) {
		um_fail(err, UM_ERR_STATE,
			"--replay %s: the run used suite %s with task files %.12s, this is %s with "
			"%.12s",
			run_id, d.run.suite_name, d.run.dataset_sha256 ? d.run.dataset_sha256 : "-",
			rc->suite->name, rc->suite->dataset_sha256);
		goto out;
	}
	rc->replay = json_object();
	rc->models = um_xcalloc(1, sizeof(um_models));
	rc->models->path = um_xasprintf("(replay of %s)", run_id);
	rc->models->systems = um_xcalloc(d.n_systems ? d.n_systems : 1, sizeof(um_system));
	um_buf_init(&text, 0);
	um_buf_printf(&text, "replay of run %s:", run_id);
	for (i = 0; i < d.n_systems; i++) {
		um_system *s = &rc->models->systems[rc->models->n_systems++];
		s->name = um_xasprintf("replay-%s", d.systems[i].name);
		s->role = um_streq(d.systems[i].role, "orchestrator") ? UM_ROLE_ORCHESTRATOR
								       : UM_ROLE_BASELINE;
		s->base_url = um_xstrdup("replay:");
		s->base_url_raw = um_xstrdup("replay:");
		s->model = um_xstrdup(d.systems[i].model);
		s->concurrency = 4;
		um_buf_printf(&text, " %s", d.systems[i].name);
	}
	um_buf_putc(&text, '\n');
	rc->models->text = um_buf_detach(&text);
	um_sha256_hex(rc->models->text, strlen(rc->models->text), rc->models->sha256);
	for (i = 0; i < d.n_attempts; i++) {
		const um_attempt_rec *a = &d.attempts[i];
		um_tool_step *steps = NULL;
		size_t n = 0;
		json_t *cmds, *entry;
		char *key;

		if (a->status != UM_ATT_DONE || !a->detail_json)
			continue;
		if (store_load_tool_steps(st, run_id, a->attempt_id, &steps, &n, err) < 0)
			goto out;
		cmds = json_array();
		for (k = 0; k < n; k++)
			if (steps[k].phase == UM_PHASE_AGENT && um_streq(steps[k].tool, "bash"))
				json_array_append_new(cmds, json_string(steps[k].command));
		store_tool_steps_free(steps, n);
		entry = json_pack("{s:s, s:i, s:o}", "of", a->attempt_id, "score", a->score,
				  "commands", cmds);
		key = um_xasprintf("%s\x1f%d\x1f%s", a->item_id, a->sample, a->system);
		json_object_set_new(rc->replay, key, entry);
		free(key);
	}
	rc->oracle = 1; /* no model is called */
	rv = 0;
out:
	store_run_data_free(&d);
	store_close(st);
	return rv;
}

static int load_inputs(run_ctx *rc, um_error *err)
{
	const um_run_opts *o = rc->o;
	const char *want;
	int i, j;

	if (suite_load(o->suite_path, &rc->suite, err) < 0)
		return -1;
	if (scaffold_load(o->scaffold_path ? o->scaffold_path : rc->suite->scaffold_path,
			  &rc->scaffold, err) < 0)
		return -1;
	want = strcmp(rc->suite->kind, "mcq") == 0      ? "mcq"
	       : strcmp(rc->suite->kind, "code") == 0   ? "code"
	       : strcmp(rc->suite->kind, "judged") == 0 ? "judged"
	       : strcmp(rc->suite->kind, "scicode") == 0 ? "scicode"
							: "agent";
	if (strcmp(rc->scaffold->kind, want) != 0)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: a %s suite needs a scaffold of kind %s, and %s is of kind %s",
			       o->suite_path, rc->suite->kind, want, rc->scaffold->path,
			       rc->scaffold->kind);
	if (suite_code_window(rc->suite, o->date_from, o->date_to, err) < 0)
		return -1;
	rc->oracle = o->oracle;
	if (o->oracle) {
		if (!rc->suite->n_tasks && strcmp(rc->suite->kind, "code") != 0 &&
		    strcmp(rc->suite->kind, "scicode") != 0)
			return um_fail(err, UM_ERR_USAGE, "--oracle runs reference solutions: "
							  "terminal, swe, code and scicode suites "
							  "only");
		rc->models = pseudo_models("oracle", "reference-solution",
					   "oracle: each task's reference solution, no model\n");
		return 0;
	}
	if (o->replay_run) {
		if (!rc->suite->n_tasks)
			return um_fail(err, UM_ERR_USAGE,
				       "--replay re-runs stored commands: terminal and swe suites only");
		return load_replay(rc, o->replay_run, err);
	}
	if (o->predictions) {
		if (strcmp(rc->suite->kind, "swe") != 0)
			return um_fail(err, UM_ERR_USAGE, "--predictions grades patches: swe suites only");
		rc->oracle = 1; /* no model is called */
		return load_predictions(rc, o->predictions);
	}
	if (!o->models_path)
		return um_fail(err, UM_ERR_USAGE, "--models FILE is required (or --oracle)");
	/* variables are checked for the systems that run (expand_endpoints) */
	if (models_load_flags(o->models_path, UM_MODELS_DEFER_ENV, &rc->models, err) < 0)
		return -1;
	for (i = 0; i < o->n_systems; i++) {
		if (models_find(rc->models, o->systems[i]) < 0)
			return um_fail(err, UM_ERR_USAGE, "--system %s: no such system in %s",
				       o->systems[i], o->models_path);
		for (j = 0; j < i; j++)
			if (strcmp(o->systems[i], o->systems[j]) == 0)
				return um_fail(err, UM_ERR_USAGE, "--system %s given twice",
					       o->systems[i]);
	}
	rc->judge = -1;
	return strcmp(rc->suite->kind, "judged") == 0 ? judging_check(rc, err) : 0;
}

/* Base URLs name ${VARIABLES} (the simulator's and the proxy's addresses,
 * set by the command that started them); expand them now, for the selected
 * systems only: a variable of a system not run is not needed. */
static int expand_endpoints(run_ctx *rc, const int *sel, int n_sel, um_error *err)
{
	int k;

	if (rc->oracle)
		return 0;
	for (k = 0; k < n_sel; k++)
		if (models_expand_system(rc->models, sel[k], err) < 0)
			return -1;
	return 0;
}

static char *system_config_json(const um_system *s)
{
	json_t *o = json_object(), *h = json_object(), *pr = json_object();
	char *text;
	int i;

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "role", json_string(models_role_name(s->role)));
	json_object_set_new(o, "provider", json_string(models_provider_name(s->provider)));
	json_object_set_new(o, "base_url", json_string(s->base_url_raw ? s->base_url_raw
								       : s->base_url));
	json_object_set_new(o, "model", json_string(s->model));
	/* the name of the variable, never its value */
	json_object_set_new(o, "api_key_env", s->api_key_env ? json_string(s->api_key_env)
							     : json_null());
	for (i = 0; i < s->n_headers; i++)
		json_object_set_new(h, s->header_names[i], json_string(s->header_values[i]));
	json_object_set_new(o, "headers", h);
	json_object_set_new(pr, "input_micro_per_mtok", json_integer(s->pricing.input));
	json_object_set_new(pr, "cached_input_micro_per_mtok",
			    json_integer(s->pricing.cached_input));
	json_object_set_new(pr, "output_micro_per_mtok", json_integer(s->pricing.output));
	json_object_set_new(pr, "long_threshold_tokens", json_integer(s->pricing.long_threshold));
	json_object_set_new(pr, "long_multiplier_milli",
			    json_integer(s->pricing.long_multiplier_milli));
	json_object_set_new(o, "pricing", pr);
	json_object_set_new(o, "concurrency", json_integer(s->concurrency));
	json_object_set_new(o, "timeout_ms", json_integer(s->timeout_ms));
	json_object_set_new(o, "max_retries", json_integer(s->max_retries));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* Build one request per selected system before any call: a missing key
 * or a param the provider cannot carry without a default fails here. */
static int preflight(run_ctx *rc, const int *sel, int n_sel, char **dropped, um_error *err)
{
	int k;

	for (k = 0; k < n_sel; k++) {
		const um_system *sys = &rc->models->systems[sel[k]];
		um_planned p0 = rc->plan.a[0];
		um_wire_request w;
		json_t *neutral;

		if (rc->oracle)
			return 0;
		if (rc->suite->n_tasks) {
			if (agent_preflight(rc, sys, &dropped[sel[k]], err) < 0)
				return um_error_prefix(err, "system %s", sys->name);
			continue;
		}
		p0.system = sel[k];
		neutral = build_neutral(rc, &p0, err);
		if (!neutral)
			return -1;
		memset(&w, 0, sizeof(w));
		if (provider_build(sys, neutral, &w, err) < 0) {
			json_decref(neutral);
			return um_error_prefix(err, "system %s", sys->name);
		}
		dropped[sel[k]] = um_xstrdup(w.dropped);
		wire_request_release(&w);
		json_decref(neutral);
	}
	return 0;
}

/* The hashes of an item's images as items.images_json holds them, or NULL. */
static char *images_json_of(const um_item *it)
{
	json_t *list;
	char *s;
	int k;

	if (!it->n_images)
		return NULL;
	list = json_array();
	for (k = 0; k < it->n_images; k++)
		json_array_append_new(list, json_string(it->images[k].sha256));
	s = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return s;
}

/* A resumed run: every item shows the images it showed when the run began
 * (the dataset pin covers the data file, not the files it names). */
static int check_item_images(run_ctx *rc, um_error *err)
{
	size_t i;

	for (i = 0; i < rc->suite->n_items; i++) {
		const um_item *it = &rc->suite->items[i];
		char *now, *was;
		int found, same;

		if (rc->keep && !rc->keep[i])
			continue;
		if ((found = store_item_images(rc->store, rc->run_id, it->id, &was, err)) < 0)
			return -1;
		now = images_json_of(it);
		same = !found || (now && was ? strcmp(now, was) == 0 : now == was);
		if (!same)
			um_fail(err, UM_ERR_STATE,
				"run '%s': item %s shows other images than when the run began "
				"(recorded %s, now %s); start a new run", rc->run_id, it->id,
				was ? was : "none", now ? now : "none");
		free(now);
		free(was);
		if (!same)
			return -1;
	}
	return 0;
}

/* An item's images into the store (once per hash) and the list of their
 * hashes for its row (*json: caller frees). */
static int record_images(run_ctx *rc, const um_item *it, char **json, um_error *err)
{
	int k;

	for (k = 0; k < it->n_images; k++) {
		const um_image *im = &it->images[k];
		char *b64, *bytes;
		int r;

		if (image_base64(im, &b64, &bytes, err) < 0)
			return um_error_prefix(err, "item %s", it->id);
		r = store_put_image(rc->store, im->sha256, im->media_type, bytes, im->size, err);
		free(b64);
		free(bytes);
		if (r < 0)
			return -1;
	}
	*json = images_json_of(it);
	return 0;
}

/* A new run's items (the --limit subset only) and claims. */
static int record_items(run_ctx *rc, um_error *err)
{
	size_t i;
	int k;

	for (i = 0; i < rc->suite->n_tasks; i++) {
		const um_task *t = &rc->suite->tasks[i];
		um_item_rec r;

		if (rc->keep && !rc->keep[i])
			continue; /* outside the --limit subset */
		char *ch = um_xasprintf("{\"task_sha256\":\"%s\",\"difficulty\":%s%s%s}",
					t->sha256, t->difficulty ? "\"" : "",
					t->difficulty ? t->difficulty : "null",
					t->difficulty ? "\"" : "");
		r.item_id = t->id;
		r.category = t->category;
		r.subcategory = t->difficulty;
		r.question = t->instruction;
		r.choices_json = ch;
		r.correct = 0;
		r.images_json = NULL;
		if (store_put_item(rc->store, rc->run_id, &r, err) < 0) {
			free(ch);
			return -1;
		}
		free(ch);
	}
	for (i = 0; i < rc->suite->n_items; i++) {
		const um_item *it = &rc->suite->items[i];
		json_t *ch;
		um_item_rec r;
		int c;

		if (rc->keep && !rc->keep[i])
			continue; /* outside the --limit subset */
		if (it->code) {
			ch = json_pack("{s:s, s:s, s:s, s:i, s:i}", "date", it->code->date, "io",
				       it->code->io == UM_CODE_CALL ? "call" : "stdin", "platform",
				       it->code->platform, "tests", it->code->n_tests, "public",
				       it->code->n_public);
			goto put;
		}
		if (!strcmp(rc->suite->kind, "judged") || it->sci) {
			r.item_id = it->id;
			r.category = it->category;
			r.subcategory = it->subcategory;
			r.question = it->question ? it->question : it->messages;
			r.choices_json = it->sci ? scirun_item_json(rc, i) : judging_item_json(rc, i);
			r.correct = 0;
			r.images_json = NULL;
			c = it->n_images ? record_images(rc, it, &r.images_json, err) : 0;
			if (c == 0)
				c = store_put_item(rc->store, rc->run_id, &r, err);
			free(r.choices_json);
			free(r.images_json);
			if (c < 0)
				return -1;
			continue;
		}
		ch = json_array();
		for (c = 0; c < it->n_choices; c++)
			json_array_append_new(ch, json_string(it->choices[c]));
	put:
		r.item_id = it->id;
		r.category = it->category;
		r.subcategory = it->subcategory;
		r.question = it->question;
		r.choices_json = json_dumps(ch, JSON_COMPACT);
		r.correct = it->code ? 0 : it->correct;
		json_decref(ch);
		r.images_json = NULL;
		if (it->n_images && record_images(rc, it, &r.images_json, err) < 0) {
			free(r.choices_json);
			return -1;
		}
		if (store_put_item(rc->store, rc->run_id, &r, err) < 0) {
			free(r.choices_json);
			free(r.images_json);
			return -1;
		}
		free(r.choices_json);
		free(r.images_json);
	}
	for (k = 0; k < rc->suite->n_claims; k++) {
		const um_claim *cl = &rc->suite->claims[k];
		um_claim_rec r;

		r.system = cl->system;
		r.benchmark = cl->benchmark ? cl->benchmark : rc->suite->name;
		r.source = cl->source;
		r.note = cl->note;
		r.value = cl->value;
		if (store_put_claim(rc->store, rc->run_id, &r, err) < 0)
			return -1;
	}
	return 0;
}

/* record_run, step: the systems of the run, with their configuration. */
static int record_systems(run_ctx *rc, const int *sel, int n_sel, char **dropped,
			  um_error *err)
{
	int k;

	for (k = 0; k < n_sel; k++) {
		const um_system *s = &rc->models->systems[sel[k]];
		um_system_rec r;
		char *cfg = system_config_json(s);
		int rv;

		r.name = s->name;
		r.role = (char *)models_role_name(s->role);
		r.provider = (char *)models_provider_name(s->provider);
		r.base_url = s->base_url_raw ? s->base_url_raw : s->base_url;
		r.model = s->model;
		r.config_json = cfg;
		r.dropped_params = dropped[sel[k]];
		rv = store_put_system(rc->store, rc->run_id, &r, err);
		free(cfg);
		if (rv < 0)
			return -1;
	}
	return 0;
}

/* record_run, step: this process becomes the run's owner (a live owner
 * refuses; a stale one is taken over, and said so); a resumed run loses
 * the routing events of tries that never committed. */
static int record_lease(run_ctx *rc, int existed, um_error *err)
{
	um_lease_prev prev;
	int n;

	if (store_lease_take(rc->store, rc->run_id, real_ms(), UM_LEASE_STALE_MS, &prev, err) < 0)
		return -1;
	rc->leased = 1;
	rc->last_beat = um_mono_ms();
	if (prev.took_over && rc->o->notice) {
		char *m = um_xasprintf("run '%s': took over the lease of process %ld on %s (gone, "
				       "or silent for %lld s)",
				       rc->run_id, prev.pid, prev.host,
				       (long long)((real_ms() - prev.heartbeat_ms) / 1000));
		rc->o->notice(rc->o->notice_ctx, m);
		free(m);
	}
	if (!existed)
		return 0;
	n = store_routing_discard_orphans(rc->store, rc->run_id, err);
	if (n < 0)
		return -1;
	if (n > 0 && rc->o->notice) {
		char *m = um_xasprintf("run '%s': discarded %d routing event%s of attempts that "
				       "never committed",
				       rc->run_id, n, n == 1 ? "" : "s");
		rc->o->notice(rc->o->notice_ctx, m);
		free(m);
	}
	return 0;
}

static void run_info_fill(run_ctx *rc, um_run_info *ri, char *libs)
{
	memset(ri, 0, sizeof(*ri));
	ri->run_id = rc->run_id;
	ri->suite_name = rc->suite->name;
	ri->suite_version = rc->suite->version;
	ri->suite_kind = rc->suite->kind;
	ri->suite_sha256 = rc->suite->sha256;
	ri->scaffold_sha256 = rc->scaffold->sha256;
	ri->models_sha256 = rc->models->sha256;
	ri->dataset_sha256 = rc->suite->dataset_sha256;
	ri->suite_text = rc->suite->text;
	ri->scaffold_text = rc->scaffold->text;
	ri->models_text = rc->models->text;
	ri->harness_version = (char *)umpire_version();
	ri->git_describe = (char *)UMPIRE_GIT_DESCRIBE;
	ri->lib_versions = libs;
	ri->seed = rc->suite->seed;
	ri->repeats = rc->plan.repeats;
	ri->started_ms = um_wall_ms();
	ri->status = (char *)"running";
}

/* Create or reopen the run, in one transaction with its lease. */
static int record_run(run_ctx *rc, const int *sel, int n_sel, char **dropped, um_error *err)
{
	um_run_info ri;
	um_lease_prev prev;
	int existed = 0;
	char *libs = umpire_lib_versions_json();

	run_info_fill(rc, &ri, libs);
	/* refuse a live owner before waiting for the write lock */
	if (store_lease_check(rc->store, rc->run_id, real_ms(), UM_LEASE_STALE_MS, &prev, err) < 0 ||
	    store_begin(rc->store, err) < 0)
		goto fail;
	if (store_run_begin(rc->store, &ri, &existed, err) < 0)
		goto rollback;
	if (rc->o->resume && !existed) {
		um_fail(err, UM_ERR_NOTFOUND, "--resume %s: no such run in %s", rc->run_id,
			rc->o->db_path);
		goto rollback;
	}
	if (record_lease(rc, existed, err) < 0 || record_systems(rc, sel, n_sel, dropped, err) < 0)
		goto rollback;
	if (!existed && record_items(rc, err) < 0)
		goto rollback;
	if (existed && check_item_images(rc, err) < 0)
		goto rollback;
	if (store_commit(rc->store, err) < 0)
		goto fail;
	free(libs);
	return 0;
rollback:
	rc->leased = 0;
	store_rollback(rc->store);
fail:
	free(libs);
	return -1;
}

/* --dry-run: every planned attempt's request built and measured, nothing
 * sent and nothing stored. */
static json_t *dry_run_estimate(run_ctx *rc, um_error *err)
{
	json_t *est = json_object();
	size_t i;

	json_object_set_new(est, "systems", json_object());
	for (i = 0; i < rc->plan.n; i++) {
		const um_planned *p = &rc->plan.a[i];
		const um_system *sys = &rc->models->systems[p->system];
		size_t len = 0;

		if (!rc->suite->n_tasks && !rc->oracle) {
			json_t *neutral = build_neutral(rc, p, err);
			um_wire_request w;

			if (!neutral) {
				json_decref(est);
				return NULL;
			}
			memset(&w, 0, sizeof(w));
			if (provider_build(sys, neutral, &w, err) < 0) {
				json_decref(neutral);
				json_decref(est);
				um_error_prefix(err, "system %s", sys->name);
				return NULL;
			}
			len = w.body_len;
			wire_request_release(&w);
			json_decref(neutral);
		}
		guard_estimate_add(est, sys, rc->scaffold->params, len);
	}
	json_object_set_new(est, "attempts", json_integer((json_int_t)rc->plan.n));
	json_object_set_new(est, "units", json_integer((json_int_t)rc->n_kept));
	json_object_set_new(est, "repeats", json_integer(rc->plan.repeats));
	json_object_set_new(est, "run_id", json_string(rc->run_id));
	json_object_set_new(est, "suite", json_string(rc->suite->name));
	return est;
}

static void default_run_id(run_ctx *rc)
{
	time_t t = (time_t)(um_wall_ms() / 1000);
	struct tm tm;
	char stamp[32];

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(rc->run_id, sizeof(rc->run_id), "%s-%s", rc->suite->name, stamp);
}

static int valid_run_id(const char *id)
{
	const char *p;

	if (!id || !*id || strlen(id) >= 128 || id[0] == '.')
		return 0;
	for (p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

static void ctx_release(run_ctx *rc)
{
	size_t i;
	int s;

	coderun_teardown(rc); /* no test runs on past this */
	scirun_teardown(rc);
	finish_routing(rc);
	write_unfinished(rc);
	if (rc->suite && rc->suite->n_tasks)
		agent_teardown_run(rc);
	while (rc->live)
		attempt_free(rc->live);
	if (rc->store)
		record_flush(rc); /* what finished before a failure or a stop */
	if (rc->leased && (rc->in_tx || record_ensure_tx(rc) == 0))
		store_lease_release(rc->store, rc->run_id, NULL);
	if (rc->in_tx)
		store_commit(rc->store, NULL);
	record_release_held(rc);
	if (rc->store)
		store_close(rc->store);
	engine_free(rc->eng); /* waits for engine_close_idle's thread */
	if (rc->neutral) {
		size_t slots = rc->suite->n_items * (size_t)rc->plan.repeats;
		for (i = 0; i < slots; i++)
			if (rc->neutral[i])
				json_decref(rc->neutral[i]);
		free(rc->neutral);
	}
	free(rc->neutral_refs);
	free(rc->neutral_hash);
	free(rc->keep);
	if (rc->trips)
		json_decref(rc->trips);
	if (rc->lanes && rc->models)
		for (s = 0; s < rc->models->n_systems; s++)
			free(rc->lanes[s].todo);
	free(rc->lanes);
	for (i = 0; i < rc->n_done_ids; i++)
		free(rc->done_ids[i]);
	free(rc->done_ids);
	plan_release(&rc->plan);
	if (rc->scaffold)
		scaffold_free(rc->scaffold);
	if (rc->models)
		models_free(rc->models);
	if (rc->suite)
		suite_free(rc->suite);
	if (rc->predictions)
		json_decref(rc->predictions);
	if (rc->vendor)
		json_decref(rc->vendor);
	if (rc->replay)
		json_decref(rc->replay);
}

/* The plan of the selected systems, cut to the --limit / --shard subset,
 * and the run's id. */
static int make_plan(run_ctx *rc, int *sel, int *n_sel, um_error *err)
{
	const um_run_opts *o = rc->o;
	int k;

	rc->subset = o->subset;
	if (rc->subset.seed == UINT64_MAX)
		rc->subset.seed = rc->suite->seed;
	if (!o->n_systems && rc->judge >= 0)
		(*n_sel)--; /* the judge is no system under test */
	for (k = 0; k < *n_sel; k++)
		sel[k] = o->n_systems ? models_find(rc->models, o->systems[k])
				      : k + (rc->judge >= 0 && k >= rc->judge);
	if (plan_build(rc->suite, rc->models, sel, *n_sel, o->repeats ? o->repeats : rc->suite->repeats,
		       &rc->plan, err) < 0 ||
	    plan_subset(&rc->plan, rc->suite, &rc->subset, &rc->keep, &rc->n_kept, err) < 0)
		return -1;
	if (!o->run_id) {
		default_run_id(rc);
		return 0;
	}
	if (!valid_run_id(o->run_id))
		return um_fail(err, UM_ERR_USAGE,
			       "run id '%s': use letters, digits, '-', '_' and '.' (not first)",
			       o->run_id);
	snprintf(rc->run_id, sizeof(rc->run_id), "%s", o->run_id);
	return 0;
}

/* One engine lane per selected system, fed a few windows ahead. */
static void setup_lanes(run_ctx *rc, const int *sel, int n_sel)
{
	int k;

	rc->lanes = um_xcalloc((size_t)rc->models->n_systems, sizeof(lane));
	for (k = 0; k < n_sel; k++) {
		const um_system *s = &rc->models->systems[sel[k]];
		um_lane_opts lo = record_lane_opts(s);
		lane *ln = &rc->lanes[sel[k]];

		if (rc->o->routing && rc->models->proxy_attribution == 2 &&
		    s->role == UM_ROLE_ORCHESTRATOR)
			lo.concurrency = 1; /* single-flight attribution needs one at a time */
		ln->engine_lane = engine_add_lane(rc->eng, &lo);
		ln->feed_cap = s->concurrency * FEED_FACTOR;
		if (ln->feed_cap < 4)
			ln->feed_cap = 4;
		ln->todo = um_xcalloc(rc->plan.n, sizeof(size_t));
	}
}

/* After the engine: the run's status, notes and the caller's figures. */
static int finish_run(run_ctx *rc, um_run_result *res, um_error *err)
{
	size_t remaining = 0;
	um_engine_stats es;
	int k;

	res->interrupted = rc->o->interrupted && *rc->o->interrupted;
	for (k = 0; k < rc->models->n_systems; k++)
		if (rc->lanes[k].todo)
			remaining += rc->lanes[k].n_todo - rc->lanes[k].cursor +
				     (size_t)rc->lanes[k].outstanding;
	res->complete = rc->errors == 0 && remaining == 0;
	if (guard_end_notes(rc, res, err) < 0)
		return -1;
	if (store_run_finish(rc->store, rc->run_id, um_wall_ms(),
			     res->complete ? "complete" : "incomplete", err) < 0)
		return -1;
	snprintf(res->run_id, sizeof(res->run_id), "%s", rc->run_id);
	res->attempts_total = rc->total;
	res->attempts_done = rc->done;
	res->attempts_error = rc->errors;
	res->attempts_skipped = rc->skipped;
	res->spent_micro = rc->spent_micro;
	engine_get_stats(rc->eng, &es);
	res->max_in_flight = es.max_in_flight_seen;
	res->http_tries = es.tries;
	return 0;
}

/* The lanes (the judge's too), the CI guards and the shared requests' slots. */
static int setup_engine_side(run_ctx *rc, const int *sel, int n_sel, um_error *err)
{
	size_t slots = rc->suite->n_items * (size_t)rc->plan.repeats;

	setup_lanes(rc, sel, n_sel);
	if (judging_setup(rc, err) < 0)
		return -1;
	guard_setup(rc);
	if (guard_begin_notes(rc, err) < 0)
		return -1;
	rc->neutral = um_xcalloc(slots, sizeof(json_t *));
	rc->neutral_refs = um_xcalloc(slots, sizeof(int));
	rc->neutral_hash = um_xcalloc(slots, sizeof(*rc->neutral_hash));
	return 0;
}

/* The engine, its lanes, and what the suite's kind needs before the first
 * attempt (agentic tasks, code and scicode sandboxes). */
static int start_engine(run_ctx *rc, const int *sel, int n_sel, um_error *err)
{
	um_engine_opts eo;

	memset(&eo, 0, sizeof(eo));
	eo.max_in_flight = rc->o->jobs > 0 ? rc->o->jobs : 1024;
	eo.seed = um_hash64(rc->run_id, strlen(rc->run_id), rc->suite->seed);
	if (engine_new(&eo, &rc->eng, err) < 0)
		return -1;
	if (setup_engine_side(rc, sel, n_sel, err) < 0)
		return -1;
	if (rc->suite->n_tasks && agent_setup_run(rc, err) < 0)
		return -1;
	if ((!strcmp(rc->suite->kind, "code") || !strcmp(rc->suite->kind, "scicode")) &&
	    coderun_setup(rc, err) < 0)
		return -1;
	if (!strcmp(rc->suite->kind, "scicode") && scirun_setup(rc, err) < 0)
		return -1;
	return 0;
}

/* Each planned attempt not already stored goes on its system's lane; the
 * neutral requests of multiple-choice items are counted by their users. */
static void queue_todo(run_ctx *rc)
{
	size_t i;

	rc->total = rc->plan.n;
	for (i = 0; i < rc->plan.n; i++) {
		const um_planned *p = &rc->plan.a[i];
		lane *ln = &rc->lanes[p->system];

		if (already_done(rc, p->id)) {
			rc->skipped++;
			continue;
		}
		ln->todo[ln->n_todo++] = i;
		if (!rc->suite->n_tasks)
			rc->neutral_refs[(size_t)p->sample * rc->suite->n_items + p->item]++;
	}
}

int runner_run(const um_run_opts *o, um_run_result *res, um_error *err)
{
	run_ctx rc;
	int *sel = NULL, n_sel, k, rv = -1;
	char **dropped = NULL;

	memset(&rc, 0, sizeof(rc));
	memset(res, 0, sizeof(*res));
	rc.o = o;
	rc.feed = runner_feed;
	rc.finish = finish_judged;
	rc.resubmit = submit_turn;
	rc.judge = -1;
	if (um_global_init(err) < 0)
		return -1;
	if (load_inputs(&rc, err) < 0)
		goto out;

	n_sel = o->n_systems ? o->n_systems : rc.models->n_systems;
	sel = um_xcalloc((size_t)n_sel, sizeof(int));
	if (make_plan(&rc, sel, &n_sel, err) < 0)
		goto out;

	if (expand_endpoints(&rc, sel, n_sel, err) < 0)
		goto out;
	dropped = um_xcalloc((size_t)rc.models->n_systems, sizeof(char *));
	if (preflight(&rc, sel, n_sel, dropped, err) < 0)
		goto out;
	if (o->dry_run) {
		res->estimate = dry_run_estimate(&rc, err);
		snprintf(res->run_id, sizeof(res->run_id), "%s", rc.run_id);
		rv = res->estimate ? 0 : -1;
		goto out;
	}
	if ((o->resume ? store_open_existing : store_open)(o->db_path, &rc.store, err) < 0)
		goto out;
	if (record_run(&rc, sel, n_sel, dropped, err) < 0)
		goto out;
	if (store_done_attempts(rc.store, rc.run_id, &rc.done_ids, &rc.n_done_ids, err) < 0)
		goto out;
	if (rc.n_done_ids) /* qsort(NULL, 0, ...) is undefined */
		qsort(rc.done_ids, rc.n_done_ids, sizeof(char *), cmp_str);
	record_index_plan(&rc);

	if (start_engine(&rc, sel, n_sel, err) < 0)
		goto out;
	queue_todo(&rc);
	rc.started_mono = um_mono_ms();
	rc.last_commit = rc.started_mono;
	engine_set_feed_hook(rc.eng, feed_hook, &rc);
	if (!rc.failed &&
	    engine_run(rc.eng, tick, &rc, RUNNER_TICK_MS, err) < 0)
		goto out;
	/* every answer is in: the connections close beside the final commit
	 * and the store's checkpoint (worker threads may still wake the
	 * engine, which it allows) */
	engine_close_idle(rc.eng);
	record_drain_routing(&rc);
	record_commit_if_due(&rc, 1);
	report_progress(&rc, 1);
	if (rc.failed) {
		*err = rc.fail_err;
		goto out;
	}

	if (finish_run(&rc, res, err) < 0)
		goto out;
	rv = 0;
out:
	if (rv < 0 && rc.run_id[0])
		snprintf(res->run_id, sizeof(res->run_id), "%s", rc.run_id);
	if (dropped) {
		for (k = 0; rc.models && k < rc.models->n_systems; k++)
			free(dropped[k]);
		free(dropped);
	}
	free(sel);
	ctx_release(&rc);
	return rv;
}
