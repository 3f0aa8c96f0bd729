/*
 * scirun.c - scicode attempts (scirun.h; docs/scicode.md).
 *
 * One attempt is one main problem. Its first request (the first step
 * SciCode asks) is the neutral request the runner sends for every system;
 * each answer's code is taken out (grade/scicode.h) and the next step's
 * prompt carries it, as SciCode's loop carries the model's own earlier
 * answers, so later requests differ between systems. The steps SciCode
 * gives (the suite's `given`) are never asked: their code, as SciCode's
 * prompts show it (the named function or class of the step's file, put
 * through Python's ast.unparse), is worked out once in the sandbox at
 * setup. Each call is stored with its turn (0, 1, ... over the asked
 * steps). When the last step has been answered, every asked step is graded
 * on the worker pool and the attempt is written through rc->finish: score 1
 * when every asked step passed, the steps' verdicts in its detail.
 */
#include "run/scirun.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "exec/workers.h"
#include "grade/scicode.h"
#include "run/coderun.h"
#include "run/run_ctx.h"

typedef struct sci_job sci_job;

struct scirun {
	char ***given;          /* per item: per step the given code, or NULL */
	char *h5;               /* the test data's absolute path (a bind's source) */
	um_sci_env env;
	sci_job *jobs;          /* queued or running; freed at teardown */
};

typedef struct sci_att {
	char **code;            /* per step: the code of its answer, or the given code */
	int k;                  /* the step asked now */
	um_completion sum;      /* the last answer's text, every answer's tokens */
	int64_t latency_ms;
} sci_att;

struct sci_job {
	sci_job *prev, *next;
	attempt *a;
	char *detail;
	int score, failed;
	um_error err;
};

static const um_sci_item *item_of(const attempt *a)
{
	return a->rc->suite->items[a->p->item].sci;
}

/* The first step from k on that SciCode asks (n_steps when none). */
static int next_asked(const um_sci_item *c, int k)
{
	while (k < c->n_steps && c->steps[k].given)
		k++;
	return k;
}

int scirun_setup(run_ctx *rc, um_error *err)
{
	const char *parent = NULL;
	const sandbox_spec *base = coderun_sandbox(rc, &parent);
	scirun *sr;
	size_t i;
	int k;

	if (!base)
		return um_fail(err, UM_ERR_INTERNAL, "scicode: the sandbox is not set up");
	sr = rc->sci = um_xcalloc(1, sizeof(*sr));
	sr->env.base = base;
	sr->env.work_parent = parent;
	sr->h5 = realpath(rc->suite->sci.h5_path, NULL);
	if (!sr->h5)
		return um_fail(err, UM_ERR_IO, "%s: cannot resolve the test data's path",
			       rc->suite->sci.h5_path);
	sr->env.h5_host = sr->h5;
	sr->env.time_limit_ms = rc->suite->sci.time_limit_ms;
	sr->env.memory_mb = rc->suite->sci.memory_mb;
	sr->env.background = rc->scaffold->sci_background;
	sr->env.inspect_counting = rc->suite->sci.inspect_counting;
	sr->given = um_xcalloc(rc->suite->n_items ? rc->suite->n_items : 1, sizeof(char **));
	for (i = 0; i < rc->suite->n_items; i++) {
		const um_sci_item *c = rc->suite->items[i].sci;

		sr->given[i] = um_xcalloc((size_t)c->n_steps, sizeof(char *));
		for (k = 0; k < c->n_steps; k++)
			if (c->steps[k].given &&
			    scicode_given_code(&c->steps[k], base, parent, &sr->given[i][k], err) < 0)
				return um_error_prefix(err, "%s: given", rc->suite->path);
	}
	return 0;
}

/* The neutral request of step k of item `item`, code[i] for i < k. */
static json_t *step_request(run_ctx *rc, size_t item, int sample, int k,
			    const char *const *code, um_error *err)
{
	const um_item *it = &rc->suite->items[item];
	char *prev, *next, num[24];
	um_vars v = {0};
	json_t *msgs;

	scicode_prompt_parts(it->sci, k, code, rc->scaffold->sci_background, &prev, &next);
	snprintf(num, sizeof(num), "%d", sample);
	um_vars_set(&v, "previous_steps", prev);
	um_vars_set(&v, "next_step", next);
	um_vars_set(&v, "dependencies", it->sci->dependencies);
	um_vars_set(&v, "item_id", it->id);
	um_vars_set(&v, "step", it->sci->steps[k].number);
	um_vars_set(&v, "sample", num);
	msgs = scaffold_render_messages(rc->scaffold, &v, err);
	free(prev);
	free(next);
	return msgs ? scaffold_request(rc->scaffold, msgs) : NULL;
}

/* The code array of a new attempt: the given steps' code in place. */
static sci_att *att_new(run_ctx *rc, size_t item)
{
	const um_sci_item *c = rc->suite->items[item].sci;
	sci_att *st = um_xcalloc(1, sizeof(*st));
	int k;

	st->code = um_xcalloc((size_t)c->n_steps, sizeof(char *));
	for (k = 0; k < c->n_steps; k++)
		if (rc->sci && rc->sci->given[item][k])
			st->code[k] = um_xstrdup(rc->sci->given[item][k]);
	st->k = next_asked(c, 0);
	return st;
}

static void att_free(const um_sci_item *c, sci_att *st)
{
	int k;

	if (!st)
		return;
	for (k = 0; k < c->n_steps; k++)
		free(st->code[k]);
	free(st->code);
	completion_release(&st->sum);
	free(st);
}

json_t *scirun_neutral(run_ctx *rc, const um_planned *p, um_error *err)
{
	sci_att *st = att_new(rc, p->item);
	json_t *req = NULL;

	if (st->k >= rc->suite->items[p->item].sci->n_steps)
		um_fail(err, UM_ERR_INVALID, "%s: problem %s: every step is given, none is asked",
			rc->suite->path, rc->suite->items[p->item].id);
	else
		req = step_request(rc, p->item, p->sample, st->k, (const char *const *)st->code,
				   err);
	att_free(rc->suite->items[p->item].sci, st);
	return req;
}

void scirun_attempt_release(attempt *a)
{
	att_free(item_of(a), a->sci);
	a->sci = NULL;
}

/* ---- grading ---------------------------------------------------------------- */

static void job_unlink(scirun *sr, sci_job *j)
{
	if (j->prev)
		j->prev->next = j->next;
	else if (sr->jobs == j)
		sr->jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
}

static void job_run(void *ctx)
{
	sci_job *j = ctx;
	attempt *a = j->a;
	json_t *d = NULL;

	if (scicode_grade(item_of(a), (const char *const *)a->sci->code, &a->rc->sci->env, &d,
			  &j->score, &j->err) < 0) {
		j->failed = 1;
		return;
	}
	if (a->rc->oracle)
		json_object_set_new(d, "oracle", json_true());
	j->detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
}

/* The code of the last step asked, stored as the attempt's extracted text. */
static const char *last_code(const attempt *a)
{
	const um_sci_item *c = item_of(a);
	int k;

	for (k = c->n_steps - 1; k >= 0; k--)
		if (!c->steps[k].given)
			return a->sci->code[k];
	return NULL;
}

static void job_done(void *ctx)
{
	sci_job *j = ctx;
	attempt *a = j->a;
	run_ctx *rc = a->rc;
	um_try t;

	job_unlink(rc->sci, j);
	memset(&t, 0, sizeof(t));
	t.http_status = 200;
	t.latency_ms = a->sci->latency_ms;
	if (j->failed) {
		char *msg = um_xasprintf("%s: the steps' tests could not run: %s",
					 rc->models->systems[a->p->system].name, j->err.msg);
		rc->finish(a, UM_ATT_ERROR, NULL, "sandbox", msg, &t);
		free(msg);
	} else {
		const char *lc = last_code(a);

		a->g_score = j->score;
		a->g_detail = j->detail;
		j->detail = NULL;
		a->g_extracted = lc ? um_xstrdup(lc) : NULL;
		rc->finish(a, UM_ATT_DONE, &a->sci->sum, NULL, NULL, &t);
	}
	free(j->detail);
	free(j);
}

static void grade_steps(attempt *a)
{
	scirun *sr = a->rc->sci;
	sci_job *j = um_xcalloc(1, sizeof(*j));

	j->a = a;
	j->next = sr->jobs;
	if (sr->jobs)
		sr->jobs->prev = j;
	sr->jobs = j;
	workers_submit(a->rc->workers, job_run, job_done, j);
}

/* ---- the loop over the steps ------------------------------------------------ */

/* The answer's text and tokens join the attempt's sum. */
static void note_answer(sci_att *st, const um_completion *c, int64_t latency_ms)
{
	free(st->sum.content);
	free(st->sum.served_model);
	free(st->sum.finish_reason);
	free(st->sum.fingerprint);
	st->sum.content = um_xstrdup(c->content ? c->content : "");
	st->sum.served_model = c->served_model ? um_xstrdup(c->served_model) : NULL;
	st->sum.finish_reason = c->finish_reason ? um_xstrdup(c->finish_reason) : NULL;
	st->sum.fingerprint = c->fingerprint ? um_xstrdup(c->fingerprint) : NULL;
	st->sum.tokens_in += c->tokens_in;
	st->sum.tokens_cached += c->tokens_cached;
	st->sum.tokens_out += c->tokens_out;
	st->sum.tokens_reasoning += c->tokens_reasoning;
	st->latency_ms += latency_ms;
}

void scirun_answer(attempt *a, const um_try *t, const um_completion *c)
{
	run_ctx *rc = a->rc;
	const um_sci_item *it = item_of(a);
	sci_att *st;
	json_t *req;
	um_error err = {0};

	if (!a->sci)
		a->sci = att_new(rc, a->p->item);
	st = a->sci;
	note_answer(st, c, t->latency_ms);
	free(st->code[st->k]);
	st->code[st->k] = scicode_extract(c->content);
	st->k = next_asked(it, st->k + 1);
	if (st->k >= it->n_steps) {
		grade_steps(a);
		return;
	}
	a->turn++;
	req = step_request(rc, a->p->item, a->p->sample, st->k, (const char *const *)st->code,
			   &err);
	if (!req || rc->resubmit(a, req, &err) < 0) {
		char *msg = um_xasprintf("step %s: %s", it->steps[st->k].number, err.msg);
		rc->finish(a, UM_ATT_ERROR, NULL, "request", msg, t);
		free(msg);
	}
	if (req)
		json_decref(req);
}

void scirun_oracle(attempt *a)
{
	const um_sci_item *it = item_of(a);
	sci_att *st = a->sci = att_new(a->rc, a->p->item);

	for (; st->k < it->n_steps; st->k = next_asked(it, st->k + 1)) {
		const char *gold = it->steps[st->k].gold;
		um_completion c;

		memset(&c, 0, sizeof(c));
		/* the answer SciCode's gold mode gives its own loop */
		c.content = gold ? um_xasprintf("Blah blah\n```python\n%s\n```\n", gold)
				 : um_xstrdup("(this step has no ground_truth_code)");
		c.served_model = (char *)"reference-solution";
		note_answer(st, &c, 0);
		free(st->code[st->k]);
		st->code[st->k] = scicode_extract(c.content);
		free(c.content);
	}
	grade_steps(a);
}

char *scirun_item_json(const run_ctx *rc, size_t item)
{
	const um_sci_item *c = rc->suite->items[item].sci;
	json_t *o = json_object(), *given = json_array();
	char *text;
	int k, asked = 0;

	for (k = 0; k < c->n_steps; k++) {
		if (c->steps[k].given)
			json_array_append_new(given, json_string(c->steps[k].number));
		else
			asked++;
	}
	json_object_set_new(o, "steps", json_integer(c->n_steps));
	json_object_set_new(o, "asked", json_integer(asked));
	json_object_set_new(o, "given", given);
	/* the steps a problem counts: its asked ones, or all under inspect_ai's */
	json_object_set_new(o, "counted",
			    json_integer(rc->suite->sci.inspect_counting ? c->n_steps : asked));
	json_object_set_new(o, "name", json_string(c->name));
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

void scirun_teardown(run_ctx *rc)
{
	scirun *sr = rc->sci;
	size_t i;
	int k;

	if (!sr)
		return;
	while (sr->jobs) {
		sci_job *j = sr->jobs;
		job_unlink(sr, j);
		free(j->detail);
		free(j);
	}
	for (i = 0; sr->given && i < rc->suite->n_items; i++) {
		for (k = 0; sr->given[i] && k < rc->suite->items[i].sci->n_steps; k++)
			free(sr->given[i][k]);
		free(sr->given[i]);
	}
	free(sr->given);
	free(sr->h5);
	free(sr);
	rc->sci = NULL;
}
