/*
 * judging.c - judged attempts (judging.h; docs/judged.md).
 *
 * A judged item's request is the scaffold's messages rendered with the
 * question, or the item's own messages sent as they are (MRCR's long
 * conversations), or CharXiv's own prompt (a scaffold with charxiv.source,
 * load/cxprompt.h: the text, then the chart), with the scaffold's params
 * every way: the same bytes for every system. Its answer is graded here. A grader that calls no model
 * (grade/answer.h) finishes the attempt at once; the judge grader renders
 * the scaffold's judge prompt and sends it to the judge's system on a lane
 * of its own. That call is one more call of the attempt in the store (turn
 * -1), with its own cost, which is the judge's and never the system's; its
 * reply is read strictly (grade/judge.h): a reply out of format is the
 * outcome judge_error, a judge that cannot be reached an infrastructure
 * error of the attempt (judge_<class>), retried by --resume.
 */
#include "run/judging.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "grade/answer.h"
#include "grade/judge.h"
#include "load/cxprompt.h"
#include "load/judged.h"
#include "run/record.h"
#include "run/run_ctx.h"

#define JUDGE_TURN (-1)

/* With charxiv.source every item is one of CharXiv's questions: a question
 * of one of its four answer types, not a conversation of its own. */
static int charxiv_items_ok(const run_ctx *rc, um_error *err)
{
	size_t i;

	for (i = 0; rc->scaffold->charxiv && i < rc->suite->n_items; i++) {
		const um_item *it = &rc->suite->items[i];

		if (it->messages || !judged_charxiv_inst(it->answer_type))
			return um_fail(err, UM_ERR_INVALID,
				       "%s: item %s %s, and scaffold %s sends CharXiv's prompts, "
				       "which need a question of one of CharXiv's answer types "
				       "(text-in-chart, text-in-general, number-in-chart, "
				       "number-in-general)",
				       rc->suite->path, it->id,
				       it->messages ? "brings its own messages"
				       : it->answer_type ? "has another answer type"
							 : "has no answer type",
				       rc->scaffold->path);
	}
	return 0;
}

const char *judging_grader(const run_ctx *rc, size_t item)
{
	const um_item *it = &rc->suite->items[item];

	return it->grader ? it->grader : rc->suite->judged.grader;
}

int judging_check(run_ctx *rc, um_error *err)
{
	const um_scaffold *sc = rc->scaffold;
	int any_judge = 0;
	size_t i;

	rc->judge = -1;
	if (charxiv_items_ok(rc, err) < 0)
		return -1;
	for (i = 0; i < rc->suite->n_items; i++) {
		const um_item *it = &rc->suite->items[i];
		const char *g = judging_grader(rc, i);
		char why[256];

		any_judge |= strcmp(g, "judge") == 0;
		if (!answer_item_ok(g, it->answer, why, sizeof(why)))
			return um_fail(err, UM_ERR_INVALID, "%s: item %s: %s", rc->suite->path,
				       it->id, why);
	}
	if (!sc->judge.system) {
		if (any_judge)
			return um_fail(err, UM_ERR_INVALID,
				       "%s: items are graded by a judge, and scaffold %s names none "
				       "(judge.system)", rc->suite->path, sc->path);
		return 0;
	}
	if (!rc->models)
		return 0;
	rc->judge = models_find(rc->models, sc->judge.system);
	if (rc->judge < 0)
		return um_fail(err, UM_ERR_INVALID,
			       "%s: judge.system '%s' is not a system of %s", sc->path,
			       sc->judge.system, rc->models->path);
	for (i = 0; i < (size_t)rc->o->n_systems; i++)
		if (strcmp(rc->o->systems[i], sc->judge.system) == 0)
			return um_fail(err, UM_ERR_USAGE,
				       "--system %s: that system is the judge (%s), not a system "
				       "under test", sc->judge.system, sc->path);
	return 0;
}

json_t *judging_judge_request(const um_scaffold *sc, const char *question, const char *response,
			      const char *answer, const char *answer_type, um_error *err)
{
	const um_judge_cfg *j = &sc->judge;
	const char *instr = scaffold_judge_instructions(sc, answer_type);
	json_t *msgs = json_array(), *req;
	char *text = NULL;

	if (sc->charxiv) {
		/* CharXiv's one user message: the prefix and its category's rules */
		if (!judged_charxiv_inst(answer_type)) {
			json_decref(msgs);
			um_fail(err, UM_ERR_INVALID, "answer type '%s' is none of CharXiv's four",
				answer_type ? answer_type : "");
			return NULL;
		}
		text = cxprompt_grading(sc->charxiv, judged_charxiv_inst(answer_type), question,
					answer, response);
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content",
						      text));
		free(text);
		req = json_object();
		json_object_set_new(req, "messages", msgs);
		json_object_set(req, "params", j->params);
		return req;
	}
	if (j->system_prompt) {
		if (judge_render(j->system_prompt, question, response, answer, instr, &text, err) <
		    0) {
			json_decref(msgs);
			return NULL;
		}
		json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content",
						      text));
		free(text);
	}
	if (judge_render(j->prompt, question, response, answer, instr, &text, err) < 0) {
		json_decref(msgs);
		return NULL;
	}
	json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "user", "content", text));
	free(text);
	req = json_object();
	json_object_set_new(req, "messages", msgs);
	json_object_set(req, "params", j->params);
	return req;
}

/* The judge's neutral request for an answer to item it. */
static json_t *judge_neutral(run_ctx *rc, const um_item *it, const char *response,
			     um_error *err)
{
	return judging_judge_request(rc->scaffold, it->question ? it->question : it->messages,
				     response, it->answer, it->answer_type, err);
}

int judging_setup(run_ctx *rc, um_error *err)
{
	const um_system *js;
	um_lane_opts lo;
	um_wire_request w;
	json_t *n;
	size_t i;
	int rc_b;

	if (rc->judge < 0)
		return 0;
	js = &rc->models->systems[rc->judge];
	if (models_expand_system(rc->models, rc->judge, err) < 0)
		return um_error_prefix(err, "judge %s", js->name);
	for (i = 0; i < rc->suite->n_items; i++)
		if (strcmp(judging_grader(rc, i), "judge") == 0)
			break;
	if (i == rc->suite->n_items)
		i = 0;
	n = judge_neutral(rc, &rc->suite->items[i], "", err);
	if (!n)
		return -1;
	memset(&w, 0, sizeof(w));
	rc_b = provider_build(js, n, &w, err);
	json_decref(n);
	wire_request_release(&w);
	if (rc_b < 0)
		return um_error_prefix(err, "judge %s", js->name);
	if (rc->eng) {
		lo = record_lane_opts(js);
		rc->judge_lane = engine_add_lane(rc->eng, &lo);
	}
	return 0;
}

void judging_decimals(const char *answer, char *out, size_t size)
{
	const char *dot = answer ? strchr(answer, '.') : NULL;
	size_t n = 0;

	/* CharXiv's rule: the text between the first '.' and the next one (or
	 * the end), counted in code points; 0 for an answer with no '.' */
	for (const char *p = dot ? dot + 1 : ""; *p && *p != '.'; p++)
		n += ((unsigned char)*p & 0xC0) != 0x80;
	snprintf(out, size, "%zu", n);
}

json_t *judging_neutral(run_ctx *rc, const um_planned *p, um_error *err)
{
	const um_item *it = &rc->suite->items[p->item];
	const um_scaffold *sc = rc->scaffold;
	json_t *msgs, *req;
	char sample[24], decimals[24] = "0", *instr = NULL;
	um_vars v = {0}, dv = {0};

	um_vars_set(&dv, "decimals", decimals);
	if (sc->charxiv) {
		char *text;

		if (!judged_charxiv_inst(it->answer_type) || !it->question) {
			um_fail(err, UM_ERR_INVALID, "item %s: not one of CharXiv's questions", it->id);
			return NULL;
		}
		text = cxprompt_question(sc->charxiv, judged_charxiv_inst(it->answer_type),
					 it->question, it->answer);

		msgs = json_pack("[{s:s, s:s}]", "role", "user", "content", text);
		free(text);
	} else if (it->messages) {
		msgs = json_loads(it->messages, 0, NULL);
		if (!msgs) {
			um_fail(err, UM_ERR_INTERNAL, "item %s: messages do not parse", it->id);
			return NULL;
		}
	} else {
		judging_decimals(it->answer, decimals, sizeof(decimals));
		if (scaffold_render_text(scaffold_answer_instructions(sc, it->answer_type), &dv,
					 &instr, err) < 0)
			return NULL;
		um_vars_set(&v, "answer_instructions", instr);
		um_vars_set(&v, "decimals", decimals);
		snprintf(sample, sizeof(sample), "%d", p->sample);
		um_vars_set(&v, "question", it->question);
		um_vars_set(&v, "item_id", it->id);
		um_vars_set(&v, "category", it->category ? it->category : "");
		um_vars_set(&v, "subcategory", it->subcategory ? it->subcategory : "");
		um_vars_set(&v, "answer_type", it->answer_type ? it->answer_type : "");
		um_vars_set(&v, "sample", sample);
		msgs = scaffold_render_messages(sc, &v, err);
		free(instr);
		if (!msgs)
			return NULL;
	}
	/* a chart (CharXiv) joins the last user message, as an mcq item's does */
	if (it->n_images &&
	    scaffold_attach_images(it, it->messages ? it->id : sc->path, msgs, sc->charxiv != NULL,
				   err) < 0) {
		json_decref(msgs);
		return NULL;
	}
	req = scaffold_request(sc, msgs);
	return req;
}

char *judging_item_json(const run_ctx *rc, size_t item)
{
	const um_item *it = &rc->suite->items[item];
	const um_judged_rules *r = &rc->suite->judged;
	json_t *o = json_object();
	int bin = judged_context_bin(r, it->context_chars);
	char label[48], *text;

	json_object_set_new(o, "answer", json_string(it->answer));
	json_object_set_new(o, "grader", json_string(judging_grader(rc, item)));
	if (it->prefix)
		json_object_set_new(o, "prefix", json_string(it->prefix));
	if (it->answer_type)
		json_object_set_new(o, "answer_type", json_string(it->answer_type));
	if (strcmp(judging_grader(rc, item), "numeric") == 0) {
		json_object_set_new(o, "rel_tol", json_real(r->rel_tol));
		json_object_set_new(o, "abs_tol", json_real(r->abs_tol));
	}
	json_object_set_new(o, "context_chars", json_integer(it->context_chars));
	if (bin >= 0) {
		judged_bin_label(r, bin, label, sizeof(label));
		json_object_set_new(o, "context_bin", json_integer(bin));
		json_object_set_new(o, "context_bin_label", json_string(label));
	}
	if (it->messages)
		json_object_set_new(o, "multi_turn", json_true());
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

/* The phrases with which providers refuse a prompt longer than the model's
 * context (OpenAI's code context_length_exceeded, Anthropic's "prompt is
 * too long", Gemini's and Bedrock's wording), in a 400 or 413 body. */
int judging_overflow(const um_try *t)
{
	static const char *const phrases[] = {
		"context_length_exceeded", "maximum context length", "prompt is too long",
		"input is too long", "exceeds the context window", "input token count", NULL,
	};
	char *low;
	int i, hit = 0;

	if ((t->http_status != 400 && t->http_status != 413) || !t->body)
		return 0;
	low = um_xstrndup(t->body, t->body_len < 65536 ? t->body_len : 65536);
	for (i = 0; low[i]; i++)
		if (low[i] >= 'A' && low[i] <= 'Z')
			low[i] = (char)(low[i] - 'A' + 'a');
	for (i = 0; phrases[i] && !hit; i++)
		hit = strstr(low, phrases[i]) != NULL;
	free(low);
	return hit;
}

/* ---- the judge's call ------------------------------------------------------- */

static void judge_detail(attempt *a, const um_system *js, const um_judge_verdict *v,
			 const char *error, int stated)
{
	json_t *d = json_object(), *j = json_object();

	json_object_set_new(d, "grader", json_string("judge"));
	json_object_set_new(j, "system", json_string(js->name));
	json_object_set_new(j, "model", json_string(js->model));
	/* what verify needs to read the judge's reply again */
	json_object_set_new(j, "provider", json_string(models_provider_name(js->provider)));
	json_object_set_new(j, "format", json_string(a->rc->scaffold->judge.format));
	json_object_set_new(j, "cost_micro", json_integer(a->judge_cost));
	if (v) {
		json_object_set_new(j, "correct", json_boolean(v->correct));
		if (v->confidence >= 0)
			json_object_set_new(j, "confidence", json_integer(v->confidence));
		if (v->extracted)
			json_object_set_new(j, "extracted", json_string(v->extracted));
	}
	if (error)
		json_object_set_new(j, "error", json_string(error));
	json_object_set_new(d, "judge", j);
	/* the confidence for calibration: what the judge read, else what the
	 * response states itself */
	if (v && v->confidence >= 0)
		json_object_set_new(d, "confidence", json_integer(v->confidence));
	else if (stated >= 0)
		json_object_set_new(d, "confidence", json_integer(stated));
	free(a->g_detail);
	a->g_detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
}

static void judge_finish(attempt *a, um_att_status st, const char *cls, const char *msg)
{
	run_ctx *rc = a->rc;
	um_try t;
	um_completion *c = a->answer;

	memset(&t, 0, sizeof(t));
	t.http_status = 200;
	t.latency_ms = a->answer_latency;
	a->answer = NULL;
	rc->finish(a, st, st == UM_ATT_DONE ? c : NULL, cls, msg, &t);
	completion_release(c);
	free(c);
}

static um_call_rec *judge_call_rec(attempt *a, const um_try *t, const char *body_sha)
{
	um_call_rec *cr;

	um_xgrow((void **)&a->calls, &a->cap_calls, a->n_calls + 1, sizeof(*a->calls));
	cr = &a->calls[a->n_calls++];
	memset(cr, 0, sizeof(*cr));
	cr->attempt_id = um_xstrdup(a->p->id);
	cr->try_no = t->try_no;
	cr->turn = JUDGE_TURN;
	cr->http_status = t->http_status;
	cr->curl_code = t->curl_code;
	cr->started_ms = t->started_ms;
	cr->latency_ms = t->latency_ms;
	cr->ttft_ms = t->ttft_ms;
	cr->request_hash = um_xstrdup(body_sha);
	if (t->body && t->body_len) {
		cr->response_body = um_xstrndup(t->body, t->body_len);
		cr->response_len = t->body_len;
	}
	return cr;
}

/* The judge's try failed (not a 2xx): retry, or an infrastructure error. */
static int judge_failed(attempt *a, const um_system *js, const um_try *t, um_call_rec *cr)
{
	char *msg, *api, *cls;

	if (t->curl_code != 0 || t->body_truncated) {
		cr->error = um_xstrdup(t->error ? t->error : "transport error");
	} else {
		api = provider_error_message(t->body, t->body_len);
		cr->error = um_xasprintf("HTTP %ld%s%s", t->http_status, api ? ": " : "",
					 api ? api : "");
		free(api);
	}
	if (t->retryable && !t->last_chance)
		return UM_TRY_RETRY;
	msg = um_xasprintf("judge %s: %s (try %d)", js->name, cr->error, t->try_no);
	cls = um_xasprintf("judge_%s", record_call_error_class(js, t));
	judge_finish(a, UM_ATT_ERROR, cls, msg);
	free(cls);
	free(msg);
	return UM_TRY_DONE;
}

static int on_judge_try(void *ctx, const um_try *t)
{
	attempt *a = ctx;
	run_ctx *rc = a->rc;
	const um_system *js = &rc->models->systems[rc->judge];
	um_call_rec *cr = judge_call_rec(a, t, a->judge_sha);
	um_completion c;
	um_judge_verdict v;
	um_judge_format f = UM_JUDGE_FIELDS;
	um_error perr = {0};
	int stated = a->answer ? judge_stated_confidence(a->answer->content) : -1;

	if (engine_try_kind(t) != UM_TRYK_OK)
		return judge_failed(a, js, t, cr);
	memset(&c, 0, sizeof(c));
	if (provider_parse(js->provider, t->body ? t->body : "", t->body_len, &c, &perr) < 0) {
		cr->error = um_xstrdup(perr.msg);
		completion_release(&c);
		if (!t->last_chance)
			return UM_TRY_RETRY;
		judge_finish(a, UM_ATT_ERROR, "judge_protocol", perr.msg);
		return UM_TRY_DONE;
	}
	cr->tokens_in = c.tokens_in;
	cr->tokens_cached = c.tokens_cached;
	cr->tokens_out = c.tokens_out;
	engine_lane_note_tokens(rc->eng, rc->judge_lane, c.tokens_in + c.tokens_out);
	cr->cost_micro = pricing_cost_micro(&js->pricing, c.tokens_in, c.tokens_cached,
					    c.tokens_cache_write, c.tokens_out);
	cr->served_model = um_xstrdup(c.served_model);
	a->judge_cost += cr->cost_micro;
	rc->spent_micro += cr->cost_micro; /* real money: the budget and the progress line count it */
	judge_format_parse(rc->scaffold->judge.format, &f, &perr);
	memset(&v, 0, sizeof(v));
	if (judge_parse(f, c.content ? c.content : "", &v, &perr) < 0) {
		judge_detail(a, js, NULL, perr.msg, stated);
		a->g_outcome = "judge_error";
		a->g_score = 0;
	} else {
		judge_detail(a, js, &v, NULL, stated);
		a->g_score = v.correct;
		free(a->g_extracted);
		a->g_extracted = v.extracted ? um_xstrdup(v.extracted) : NULL;
	}
	judge_verdict_release(&v);
	completion_release(&c);
	judge_finish(a, UM_ATT_DONE, NULL, NULL);
	return UM_TRY_DONE;
}

/* Ask the judge about answer c; the attempt finishes in on_judge_try. */
static int judge_submit(attempt *a, const um_try *t, um_completion *c, um_error *err)
{
	run_ctx *rc = a->rc;
	const um_system *js = &rc->models->systems[rc->judge];
	const um_item *it = &rc->suite->items[a->p->item];
	json_t *n = judge_neutral(rc, it, c->content ? c->content : "", err);
	um_wire_request w;
	um_submit_opts so;
	int r;

	if (!n)
		return -1;
	memset(&w, 0, sizeof(w));
	r = provider_build(js, n, &w, err);
	json_decref(n);
	if (r < 0 || record_ensure_tx(rc) < 0 ||
	    store_put_request(rc->store, w.body_sha256, w.body, w.body_len, err) < 0) {
		wire_request_release(&w);
		return -1;
	}
	memcpy(a->judge_sha, w.body_sha256, sizeof(a->judge_sha));
	a->answer = um_xmalloc(sizeof(*a->answer));
	*a->answer = *c; /* the attempt owns the answer now */
	memset(c, 0, sizeof(*c));
	a->answer_latency = t->latency_ms;
	provider_submit_opts(js, &w, &so);
	r = engine_submit_opts(rc->eng, rc->judge_lane, w.url, w.body, w.body_len,
			       (const char *const *)w.headers, w.n_headers, &so, on_judge_try, a,
			       err);
	wire_request_release(&w);
	if (r < 0) {
		*c = *a->answer;
		free(a->answer);
		a->answer = NULL;
	}
	return r;
}

void judging_grade(attempt *a, const um_try *t, um_completion *c)
{
	run_ctx *rc = a->rc;
	const um_item *it = &rc->suite->items[a->p->item];
	const char *g = judging_grader(rc, a->p->item);
	um_answer_grade ag;
	um_error err = {0};
	char *msg;

	if (strcmp(g, "judge") == 0) {
		if (judge_submit(a, t, c, &err) == 0)
			return;
		msg = um_xasprintf("judge: %s", err.msg);
		rc->finish(a, UM_ATT_ERROR, NULL, "judge_request", msg, t);
		free(msg);
		return;
	}
	if (answer_grade(g, c->content, it->answer, it->prefix, rc->suite->judged.rel_tol,
			 rc->suite->judged.abs_tol, &ag, &err) < 0) {
		msg = um_xasprintf("grading failed: %s", err.msg);
		rc->finish(a, UM_ATT_ERROR, NULL, "grader", msg, t);
		free(msg);
		return;
	}
	a->g_score = ag.score;
	a->g_has_reward = ag.fractional;
	a->g_reward = ag.value;
	a->g_extracted = ag.extracted;
	ag.extracted = NULL;
	{
		json_t *d = json_pack("{s:s}", "grader", g);
		int stated = judge_stated_confidence(c->content);

		if (stated >= 0)
			json_object_set_new(d, "confidence", json_integer(stated));
		a->g_detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(d);
	}
	rc->finish(a, UM_ATT_DONE, c, NULL, NULL, t);
}
