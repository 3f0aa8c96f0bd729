/*
 * regrade.c - re-grading from stored transcripts (see regrade.h).
 */
#include "grade/regrade.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grade/code.h"
#include "grade/cpjudge.h"
#include "grade/scicode.h"
#include "grade/answer.h"
#include "grade/grade.h"
#include "grade/judge.h"
#include "load/models.h"
#include "load/plan.h"
#include "exec/provider.h"
#include "grade/swe_grade.h"
#include "load/task.h"
#include "base/util.h"

#define MAX_LOGGED 100

static void note(um_regrade *r, const um_attempt_rec *a, const char *field, const char *stored,
		 const char *now)
{
	r->mismatches++;
	if (r->mismatches <= MAX_LOGGED)
		um_buf_printf(&r->log, "attempt %s (%s, item %s, sample %d): %s: stored '%s', "
				       "recomputed '%s'\n",
			      a->attempt_id, a->system, a->item_id, a->sample, field,
			      stored ? stored : "(null)", now ? now : "(null)");
}

const um_item_rec *regrade_find_item(const um_run_data *d, const char *id)
{
	size_t lo = 0, hi = d->n_items;

	while (lo < hi) { /* items are ordered by item_id */
		size_t mid = (lo + hi) / 2;
		int c = strcmp(d->items[mid].item_id, id);
		if (c == 0)
			return &d->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int sys_index(const um_run_data *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_systems; i++)
		if (!strcmp(d->systems[i].name, name))
			return (int)i;
	return -1;
}

/* A verdict v re-derived for attempt a: counted for its system (unless it
 * ended in an outcome), and a difference from the stored score noted. */
static void tally(um_regrade *r, const um_attempt_rec *a, int si, int v)
{
	char s1[16], s2[16];

	if (si >= 0 && !a->outcome) {
		um_regrade_sys *rs = &r->systems[si];
		rs->graded++;
		rs->correct_stored += a->score == 1;
		rs->correct_new += v == 1;
		rs->changed += v != a->score;
	}
	if (v != a->score) {
		snprintf(s1, sizeof(s1), "%d", a->score);
		snprintf(s2, sizeof(s2), "%d", v);
		note(r, a, "score", s1, s2);
	}
}

/* Every 2xx response of the attempt, in order: each that parses is summed
 * (an agent's turns), and the last one's text must be the stored answer. */
static void check_transcript(um_regrade *r, sqlite3_stmt *q, const um_run_data *d,
			     const um_attempt_rec *a, int si)
{
	um_provider prov = UM_PROV_OPENAI;
	int64_t tin = 0, tout = 0;
	char *last = NULL, stored[48], now[48];
	int parsed = 0, rc;

	if (a->n_calls == 0)
		return; /* oracle / predictions: no model was called */
	if (si >= 0 && models_provider_from_name(d->systems[si].provider, &prov) < 0)
		prov = UM_PROV_OPENAI;
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, d->run.run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, a->attempt_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(q, 0);
		int n = sqlite3_column_bytes(q, 0);
		um_completion c;
		um_error perr = {0};

		memset(&c, 0, sizeof(c));
		if (b && provider_parse(prov, b, (size_t)n, &c, &perr) == 0) {
			parsed++;
			tin += c.tokens_in;
			tout += c.tokens_out;
			free(last);
			last = um_xstrdup(c.content ? c.content : "");
		}
		completion_release(&c);
	}
	if (!parsed) {
		note(r, a, "transcript", "a parseable 2xx response", "none recorded");
		return;
	}
	r->transcripts++;
	if (!um_streq(last, a->response_text ? a->response_text : ""))
		note(r, a, "response_text", a->response_text, last);
	if (tin != a->tokens_in || tout != a->tokens_out) {
		snprintf(stored, sizeof(stored), "%lld/%lld", (long long)a->tokens_in,
			 (long long)a->tokens_out);
		snprintf(now, sizeof(now), "%lld/%lld", (long long)tin, (long long)tout);
		note(r, a, "tokens in/out", stored, now);
	}
	free(last);
}

/* Verdict step: every stored command's output must still hash to what was
 * recorded; *ver and *parser get the verifier's and the parser command's
 * step. */
static void check_step_hashes(um_regrade *r, const um_attempt_rec *a, um_tool_step *steps,
			      size_t n, um_tool_step **ver, um_tool_step **parser)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char h[65];
		um_sha256 sh;

		um_sha256_init(&sh);
		um_sha256_update(&sh, steps[i].out ? steps[i].out : "", steps[i].out_len);
		um_sha256_update(&sh, steps[i].err ? steps[i].err : "", steps[i].err_len);
		um_sha256_final_hex(&sh, h);
		if (steps[i].output_sha256[0] && strcmp(h, steps[i].output_sha256) != 0) {
			char what[64];
			snprintf(what, sizeof(what), "tool step %d (%s) output_sha256", steps[i].seq,
				 steps[i].tool ? steps[i].tool : "?");
			note(r, a, what, steps[i].output_sha256, h);
		}
		if (um_streq(steps[i].tool, "verifier"))
			*ver = &steps[i];
		if (um_streq(steps[i].tool, "log_parser"))
			*parser = &steps[i];
	}
}

/* Verdict step: the stored test log (or parser command output) parsed again
 * as the attempt's details say. 0 with *res filled, or -1. */
static int reparse_swe_log(const json_t *dj, const um_tool_step *ver,
			   const um_tool_step *parser, swe_results *res, um_error *err)
{
	const char *fmt_name = json_string_value(json_object_get(dj, "log_parser"));
	swe_log_format fmt;
	swe_dialect dialect;
	um_buf log;

	swe_results_init(res);
	if (!fmt_name || swe_log_format_parse(fmt_name, &fmt, err) < 0 ||
	    swe_dialect_parse(json_string_value(json_object_get(dj, "log_dialect")), &dialect,
			      err) < 0)
		return -1;
	if (fmt == SWE_LOG_COMMAND) {
		if (!parser)
			return -1;
		return swe_parse_log(fmt, parser->out ? parser->out : "", parser->out_len, res, err);
	}
	um_buf_init(&log, 0);
	um_buf_append(&log, ver->out ? ver->out : "", ver->out_len);
	um_buf_putc(&log, '\n');
	um_buf_append(&log, ver->err ? ver->err : "", ver->err_len);
	swe_parse_log_dialect(fmt, dialect, um_buf_str(&log), log.len, res, err);
	um_buf_release(&log);
	return 0;
}

/* Verdict step: a repository-repair attempt resolved again from its stored
 * test log and the name lists in its details. 1, 0, or -1. */
static int swe_verdict(const json_t *dj, const um_tool_step *ver, const um_tool_step *parser,
		       um_error *err)
{
	const json_t *f2p = json_object_get(dj, "fail_to_pass_names");
	const json_t *p2p = json_object_get(dj, "pass_to_pass_names");
	const char *match =
		json_string_value(json_object_get(json_object_get(dj, "rules"), "test_name_match"));
	swe_results res;
	swe_resolution reso;
	swe_name_list l1, l2;
	char **n1, **n2;
	size_t k;
	int out;

	if (!json_is_string(json_object_get(dj, "patch_strategy")) || !ver || ver->timed_out)
		return 0;
	if (!json_is_array(f2p) || !json_is_array(p2p))
		return -1;
	if (reparse_swe_log(dj, ver, parser, &res, err) < 0) {
		swe_results_release(&res);
		return -1;
	}
	n1 = um_xcalloc(json_array_size(f2p) + 1, sizeof(char *));
	n2 = um_xcalloc(json_array_size(p2p) + 1, sizeof(char *));
	for (k = 0; k < json_array_size(f2p); k++)
		n1[k] = (char *)json_string_value(json_array_get(f2p, k));
	for (k = 0; k < json_array_size(p2p); k++)
		n2[k] = (char *)json_string_value(json_array_get(p2p, k));
	l1.names = n1;
	l1.n = json_array_size(f2p);
	l2.names = n2;
	l2.n = json_array_size(p2p);
	out = swe_resolve(&res, &l1, &l2,
			  um_streq(match, "whitespace") ? SWE_MATCH_WHITESPACE : SWE_MATCH_EXACT,
			  &reso);
	swe_resolution_release(&reso);
	swe_results_release(&res);
	free(n1);
	free(n2);
	return out;
}

/* A scicode attempt: each asked step's answer is the last parseable 2xx
 * response of its turn; the score from the stored verdicts once every
 * step's code is what its answer gives again. */
static int scicode_verdict(um_store *st, const um_run_data *d, const um_attempt_rec *a,
			   const json_t *dj, um_error *err)
{
	sqlite3_stmt *q = NULL;
	char **texts = NULL;
	size_t n = 0, cap = 0, i;
	um_provider prov = UM_PROV_OPENAI;
	int si = sys_index(d, a->system), out;

	if (!st || a->n_calls == 0) /* oracle: no answer to read again */
		return scicode_verdict_from_detail(dj, NULL, 0);
	if (si >= 0 && models_provider_from_name(d->systems[si].provider, &prov) < 0)
		prov = UM_PROV_OPENAI;
	if (sqlite3_prepare_v2(store_db(st),
			       "SELECT c.turn, " STORE_CALL_BODY " FROM calls c " STORE_CALL_BODY_JOIN
			       " WHERE c.run_id = ?1 AND c.attempt_id = ?2 AND c.turn >= 0 AND "
			       "c.http_status BETWEEN 200 AND 299 ORDER BY c.id",
			       -1, &q, NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "cannot read the steps' answers: %s",
			       sqlite3_errmsg(store_db(st)));
	sqlite3_bind_text(q, 1, d->run.run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, a->attempt_id, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		size_t turn = (size_t)sqlite3_column_int(q, 0);
		const void *b = sqlite3_column_blob(q, 1);
		um_completion c;
		um_error perr = {0};

		memset(&c, 0, sizeof(c));
		if (turn < 10000 && b &&
		    provider_parse(prov, b, (size_t)sqlite3_column_bytes(q, 1), &c, &perr) == 0) {
			if (turn >= n) {
				um_xgrow((void **)&texts, &cap, turn + 1, sizeof(*texts));
				memset(texts + n, 0, (turn + 1 - n) * sizeof(*texts));
				n = turn + 1;
			}
			free(texts[turn]);
			texts[turn] = um_xstrdup(c.content ? c.content : "");
		}
		completion_release(&c);
	}
	sqlite3_finalize(q);
	for (i = 0; i < n && texts[i]; i++)
		;
	out = i == n && n ? scicode_verdict_from_detail(dj, (const char *const *)texts, n) : -1;
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	return out;
}

/* Agentic attempts: the verdict again, from the stored verifier output and
 * the attempt's details (no command is run). -1 when it cannot be derived. */
static int agent_verdict(um_regrade *r, um_store *st, const um_run_data *d,
			 const um_attempt_rec *a, json_t *dj, um_error *err)
{
	const char *kind = json_string_value(json_object_get(dj, "verdict"));
	um_tool_step *steps = NULL, *ver = NULL, *parser = NULL;
	size_t n = 0;
	int out;

	if (um_streq(kind, "code_tests")) /* the verdicts stored; the program extracted again */
		return cpjudge_verdict_from_detail(dj, a->response_text, a->extracted);
	if (um_streq(kind, "scicode_steps")) /* the steps' verdicts; each step's code again */
		return scicode_verdict(st, d, a, dj, err);
	if (um_streq(kind, "reward_file")) {
		json_t *rw = json_object_get(dj, "reward");
		return json_is_number(rw) && json_number_value(rw) >= 1.0;
	}
	if (!st || store_load_tool_steps(st, d->run.run_id, a->attempt_id, &steps, &n, err) < 0)
		return -1;
	check_step_hashes(r, a, steps, n, &ver, &parser);
	if (um_streq(kind, "swe_tests"))
		out = swe_verdict(dj, ver, parser, err);
	else if (!ver)
		out = -1;
	else if (um_streq(kind, "pytest"))
		out = !ver->timed_out && task_pytest_passed(ver->out ? ver->out : "");
	else
		out = !ver->timed_out && ver->has_exit && ver->exit_code == 0;
	store_tool_steps_free(steps, n);
	return out;
}
/* A judged attempt's verdict from its stored judge reply (the last 2xx
 * call of turn -1), read again with the provider and format its details
 * name: 1 or 0, 2 for a reply out of format, -1 when there is none. */
static int judged_reread(sqlite3_stmt *jq, const um_run_data *d, const um_attempt_rec *a,
			 const json_t *judge)
{
	const char *pname = json_string_value(json_object_get(judge, "provider"));
	um_provider prov = UM_PROV_OPENAI;
	um_judge_format f;
	char *last = NULL;
	int out = -1;
	um_error e = {0};

	if (!jq || (pname && models_provider_from_name(pname, &prov) < 0) ||
	    judge_format_parse(json_string_value(json_object_get(judge, "format")), &f, &e) < 0)
		return -1;
	sqlite3_reset(jq);
	sqlite3_bind_text(jq, 1, d->run.run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(jq, 2, a->attempt_id, -1, SQLITE_STATIC);
	while (sqlite3_step(jq) == SQLITE_ROW) {
		const void *b = sqlite3_column_blob(jq, 0);
		um_completion c;

		memset(&c, 0, sizeof(c));
		if (b && provider_parse(prov, b, (size_t)sqlite3_column_bytes(jq, 0), &c, &e) == 0) {
			free(last);
			last = um_xstrdup(c.content ? c.content : "");
		}
		completion_release(&c);
	}
	if (last) {
		um_judge_verdict v;

		memset(&v, 0, sizeof(v));
		out = judge_parse(f, last, &v, &e) < 0 ? 2 : v.correct;
		judge_verdict_release(&v);
	}
	free(last);
	return out;
}

/* A judged attempt graded again: a grader that calls no model on the
 * stored answer, the judge's stored reply read again. *v: the score (0 or
 * 1, or -1 when it cannot be derived: a judge's verdict without the store);
 * *outcome the outcome it gives (a static string or NULL). */
static void judged_verdict(sqlite3_stmt *jq, const um_run_data *d, const um_attempt_rec *a,
			   const json_t *dj, const um_item_rec *it, int *v, const char **outcome)
{
	const char *grader = json_string_value(json_object_get(dj, "grader"));
	json_t *ij = it ? json_loads(it->choices_json, 0, NULL) : NULL;
	um_answer_grade g;
	um_error e = {0};

	*v = -1;
	*outcome = NULL;
	if (um_streq(grader, "judge")) {
		int r = judged_reread(jq, d, a, json_object_get(dj, "judge"));
		*v = r == 2 ? 0 : r;
		*outcome = r == 2 ? "judge_error" : NULL;
	} else if (!ij) {
		*v = -3; /* the reference answer was left out of a bundle (--include-data) */
	} else if (answer_grade(grader, a->response_text,
				      json_string_value(json_object_get(ij, "answer")),
				      json_string_value(json_object_get(ij, "prefix")),
				      json_number_value(json_object_get(ij, "rel_tol")),
				      json_number_value(json_object_get(ij, "abs_tol")), &g, &e) == 0) {
		*v = g.score;
		if (g.fractional && a->has_reward && g.value != a->reward)
			*v = -2; /* a different fractional score */
		answer_grade_release(&g);
	}
	if (ij)
		json_decref(ij);
}

/* Judged attempts: the transcript, then the grade again. */
static void judged_check(um_regrade *r, sqlite3_stmt *q, sqlite3_stmt *jq,
			 const um_run_data *d, const um_attempt_rec *a, const json_t *dj, int si)
{
	const um_item_rec *it = regrade_find_item(d, a->item_id);
	const char *outcome = NULL;
	int v;

	if (q)
		check_transcript(r, q, d, a, si);
	judged_verdict(jq, d, a, dj, it, &v, &outcome);
	if (v == -3) {
		r->no_data++;
		return;
	}
	if (v == -1 && !jq && um_streq(json_string_value(json_object_get(dj, "grader")), "judge"))
		v = a->score; /* no store: the judge's verdict stands as stored */
	if (v < 0) {
		note(r, a, "verdict", "derivable from the stored answer",
		     v == -2 ? "another fractional score" : "not derivable");
		return;
	}
	if (!um_streq(outcome, a->outcome))
		note(r, a, "outcome", a->outcome, outcome);
	tally(r, a, si, v);
}

static void judged_attempt(um_regrade *r, sqlite3_stmt *q, sqlite3_stmt *jq,
			   const um_run_data *d, const um_attempt_rec *a, int si)
{
	json_t *dj = a->detail_json ? json_loads(a->detail_json, 0, NULL) : NULL;

	if (!dj) {
		note(r, a, "details", "a judged attempt's grader", "none");
		return;
	}
	judged_check(r, q, jq, d, a, dj, si);
	json_decref(dj);
}

/* An agentic attempt: its transcript, then the verdict again. */
static void agentic_attempt(um_regrade *r, um_store *st, sqlite3_stmt *q, const um_run_data *d,
			    const um_attempt_rec *a, int si)
{
	json_t *dj = json_loads(a->detail_json, 0, NULL);
	um_error verr = {0};
	int v;

	if (q)
		check_transcript(r, q, d, a, si);
	v = dj ? agent_verdict(r, st, d, a, dj, &verr) : -1;
	if (dj)
		json_decref(dj);
	if (v < 0)
		note(r, a, "verdict", "derivable from the stored transcript",
		     verr.msg[0] ? verr.msg : "not derivable");
	else
		tally(r, a, si, v);
}

/* What re-grading one attempt needs: the run, the scaffold, the statements
 * reading transcripts (NULL: none read). */
typedef struct rg_ctx {
	um_store *st;
	const um_run_data *d;
	const um_scaffold *sc;
	const char *labels;
	sqlite3_stmt *q, *jq;
	um_regrade *out;
	um_error *err;
} rg_ctx;

static int rg_begin(rg_ctx *c, um_store *st, const um_run_data *d, const um_scaffold *sc,
		    um_regrade *out, um_error *err)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	c->st = st;
	c->d = d;
	c->sc = sc;
	c->labels = sc->labels ? sc->labels : "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	c->out = out;
	c->err = err;
	memset(out, 0, sizeof(*out));
	um_buf_init(&out->log, 0);
	out->n_systems = d->n_systems;
	out->systems = um_xcalloc(d->n_systems ? d->n_systems : 1, sizeof(um_regrade_sys));
	for (i = 0; i < d->n_systems; i++)
		out->systems[i].name = um_xstrdup(d->systems[i].name);
	if (st && sqlite3_prepare_v2(store_db(st),
				     "SELECT " STORE_CALL_BODY " FROM calls c " STORE_CALL_BODY_JOIN
				     " WHERE c.run_id = ?1 AND c.attempt_id = ?2 AND "
				     "c.http_status BETWEEN 200 AND 299 AND c.turn >= 0 ORDER BY c.id",
				     -1, &c->q, NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "cannot read transcripts: %s",
			       sqlite3_errmsg(store_db(st)));
	/* the judge's replies (judged suites): calls of turn -1 */
	if (st && !strcmp(d->run.suite_kind, "judged") &&
	    sqlite3_prepare_v2(store_db(st),
			       "SELECT " STORE_CALL_BODY " FROM calls c " STORE_CALL_BODY_JOIN
			       " WHERE c.run_id = ?1 AND c.attempt_id = ?2 AND "
			       "c.http_status BETWEEN 200 AND 299 AND c.turn = -1 ORDER BY c.id",
			       -1, &c->jq, NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "cannot read the judge's replies: %s",
			       sqlite3_errmsg(store_db(st)));
	return 0;
}

static void rg_end(rg_ctx *c)
{
	sqlite3_finalize(c->q);
	sqlite3_finalize(c->jq);
}

/* Re-grade one attempt; -1 only when the work cannot be done. */
static int rg_attempt(rg_ctx *c, const um_attempt_rec *a)
{
	const um_run_data *d = c->d;
	um_regrade *out = c->out;
	const um_item_rec *it = regrade_find_item(d, a->item_id);
	int si = sys_index(d, a->system), perm[UM_MAX_CHOICES], n = 0;
	um_mcq_grade g;

	if (a->status != UM_ATT_DONE)
		return 0;
	out->checked++;
	if (um_streq(a->outcome, "context_overflow"))
		return 0; /* no answer: the provider refused the prompt */
	if (!strcmp(d->run.suite_kind, "judged")) {
		judged_attempt(out, c->q, c->jq, d, a, si);
		return 0;
	}
	if (a->detail_json) {
		agentic_attempt(out, c->st, c->q, d, a, si);
		return 0;
	}
	if (c->sc->extract.code == NULL)
		return 0; /* not an mcq scaffold */
	if (!it) {
		note(out, a, "item", a->item_id, "no such item in the run");
		return 0;
	}
	if (plan_perm_from_string(a->perm, perm, UM_MAX_CHOICES, &n) < 0) {
		note(out, a, "perm", a->perm, "not a permutation");
		return 0;
	}
	if (c->q)
		check_transcript(out, c->q, d, a, si);
	if (grade_mcq(&c->sc->extract, c->labels, perm, n, it->correct, a->response_text, &g,
		      c->err) < 0)
		return -1;
	if (!um_streq(g.found ? g.extracted : NULL, a->extracted))
		note(out, a, "extracted", a->extracted, g.found ? g.extracted : NULL);
	tally(out, a, si, g.score);
	return 0;
}

int regrade_run(um_store *st, const um_run_data *d, const um_scaffold *sc, um_regrade *out,
		um_error *err)
{
	rg_ctx c;
	size_t i;
	int rc = rg_begin(&c, st, d, sc, out, err);

	for (i = 0; rc == 0 && i < d->n_attempts; i++)
		rc = rg_attempt(&c, &d->attempts[i]);
	rg_end(&c);
	return rc;
}

static int rg_scan_row(void *ctx, const um_attempt_rec *a, const um_routing_rec *evs, size_t n)
{
	(void)evs;
	(void)n;
	return rg_attempt(ctx, a) < 0 ? -1 : 0;
}

int regrade_run_store(um_store *st, const um_run_data *meta, const um_scaffold *sc,
		      int transcripts, um_regrade *out, um_error *err)
{
	rg_ctx c;
	int rc = rg_begin(&c, transcripts ? st : NULL, meta, sc, out, err);

	if (rc == 0)
		rc = store_scan_attempts(st, meta->run.run_id, STORE_SCAN_TEXT, rg_scan_row, &c,
					 err) < 0 ? -1 : 0;
	rg_end(&c);
	return rc;
}

void regrade_release(um_regrade *r)
{
	size_t i;

	for (i = 0; i < r->n_systems; i++)
		free(r->systems[i].name);
	free(r->systems);
	um_buf_release(&r->log);
	memset(r, 0, sizeof(*r));
}

/* ---- recorded rescores (schema 10) --------------------------------------- */

static void rescore_note(um_regrade *r, const char *id, const char *what)
{
	r->mismatches++;
	if (r->mismatches <= MAX_LOGGED)
		um_buf_printf(&r->log, "  rescore %s: %s\n", id, what);
}

/* One recorded judge reply read again: the verdict and the answer it gives
 * against the stored ones. */
static void rescore_reply(um_regrade *r, const char *id, um_provider prov, um_judge_format f,
			  sqlite3_stmt *q)
{
	const void *b = sqlite3_column_blob(q, 0);
	const char *ex = (const char *)sqlite3_column_text(q, 3);
	int verdict = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_int(q, 2);
	um_completion c;
	um_judge_verdict v;
	um_error e = {0};
	char what[256];
	int got = -1;

	memset(&c, 0, sizeof(c));
	memset(&v, 0, sizeof(v));
	if (b && provider_parse(prov, b, (size_t)sqlite3_column_bytes(q, 0), &c, &e) == 0 &&
	    judge_parse(f, c.content ? c.content : "", &v, &e) == 0)
		got = v.correct == 1;
	r->rescore_calls++;
	if (got != verdict || (got >= 0 && !um_streq(v.extracted, ex))) {
		snprintf(what, sizeof(what), "attempt %s try %d: the stored verdict %d (answer "
			 "'%.40s'), the reply read again gives %d (answer '%.40s')",
			 (const char *)sqlite3_column_text(q, 4), sqlite3_column_int(q, 5), verdict,
			 ex ? ex : "", got, v.extracted ? v.extracted : "");
		rescore_note(r, id, what);
	}
	judge_verdict_release(&v);
	completion_release(&c);
}

/* One rescore: its scaffold's bytes against their hash, its replies read
 * again, its calls and cost against their rows. */
static int rescore_one(um_store *st, um_regrade *r, sqlite3_stmt *h, um_error *err)
{
	const char *id = (const char *)sqlite3_column_text(h, 0);
	const char *text = (const char *)sqlite3_column_text(h, 1);
	const char *sha = (const char *)sqlite3_column_text(h, 2);
	um_provider prov = UM_PROV_OPENAI;
	um_judge_format f;
	sqlite3_stmt *q = NULL;
	int64_t n = 0, cost = 0;
	char got[65], what[160];

	um_sha256_hex(text ? text : "", text ? strlen(text) : 0, got);
	if (!um_streq(got, sha))
		rescore_note(r, id, "its scaffold's bytes do not hash to the recorded sha256");
	if (models_provider_from_name((const char *)sqlite3_column_text(h, 3), &prov) < 0 ||
	    judge_format_parse((const char *)sqlite3_column_text(h, 4), &f, err) < 0)
		return um_fail(err, UM_ERR_INVALID, "rescore %s: unknown judge provider or format",
			       id);
	if (sqlite3_prepare_v2(store_db(st), "SELECT response_body, error, verdict, extracted, "
			       "attempt_id, try_no, cost_micro FROM rescore_calls WHERE rescore_id = ?1 "
			       "ORDER BY attempt_id, try_no", -1, &q, NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "rescore_calls: %s", sqlite3_errmsg(store_db(st)));
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *e = (const char *)sqlite3_column_text(q, 1);

		n++;
		cost += sqlite3_column_int64(q, 6);
		if (!e || strncmp(e, "judge_error", 11) == 0)
			rescore_reply(r, id, prov, f, q);
	}
	sqlite3_finalize(q);
	if (n != sqlite3_column_int64(h, 5) || cost != sqlite3_column_int64(h, 6)) {
		snprintf(what, sizeof(what), "%lld calls costing %lld micro-USD stored, the rescore "
			 "says %lld and %lld", (long long)n, (long long)cost,
			 (long long)sqlite3_column_int64(h, 5), (long long)sqlite3_column_int64(h, 6));
		rescore_note(r, id, what);
	}
	r->rescores++;
	return 0;
}

int regrade_rescores(um_store *st, const char *run_id, um_regrade *r, um_error *err)
{
	sqlite3_stmt *h = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(store_db(st), "SELECT rescore_id, scaffold_text, scaffold_sha256, "
			       "judge_provider, judge_format, calls, cost_micro FROM rescores WHERE "
			       "run_id = ?1 ORDER BY rescore_id", -1, &h, NULL) != SQLITE_OK)
		return um_fail(err, UM_ERR_DB, "rescores: %s", sqlite3_errmsg(store_db(st)));
	sqlite3_bind_text(h, 1, run_id, -1, SQLITE_TRANSIENT);
	while (rc == 0 && sqlite3_step(h) == SQLITE_ROW)
		rc = rescore_one(st, r, h, err);
	sqlite3_finalize(h);
	return rc;
}
