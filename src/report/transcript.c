/*
 * transcript.c - the attempts of a run as the transcript view shows them
 * (see transcript.h). Read with two prepared queries per run (calls joined
 * with their request bodies; tool steps through store_load_tool_steps) and
 * nothing else, so the same store always gives the same object. Bodies are
 * kept as received (cut to TRANSCRIPT_TEXT_MAX); the chat messages of a
 * request and the text and tool calls of a response are picked out of the
 * OpenAI and Anthropic shapes when the body parses, for reading.
 */
#include "report/transcript.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jpath.h"
#include "base/util.h"
#include "grade/regrade.h"

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t need, i;
	unsigned cp;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

json_t *transcript_text(const char *s, size_t len, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	um_buf b = UM_BUF_INIT;
	size_t i = 0;
	json_t *o;

	if (!s)
		return json_null();
	um_buf_init(&b, 0);
	while (i < len) {
		size_t k = utf8_seq(u + i, len - i);
		if (i + (k ? k : 1) > max)
			break;
		if (k) {
			um_buf_append(&b, u + i, k);
			i += k;
		} else {
			um_buf_puts(&b, "\xEF\xBF\xBD");
			i++;
		}
	}
	o = json_object();
	json_object_set_new(o, "text", json_stringn(um_buf_str(&b), b.len));
	json_object_set_new(o, "bytes", json_integer((json_int_t)len));
	um_buf_release(&b);
	return o;
}

static json_t *text_of(const char *s)
{
	return transcript_text(s, s ? strlen(s) : 0, TRANSCRIPT_TEXT_MAX);
}

/* The text of a message content: a string, or the text blocks of an array. */
static json_t *content_text(const json_t *c)
{
	um_buf b = UM_BUF_INIT;
	const json_t *blk;
	json_t *out;
	size_t i;

	if (json_is_string(c))
		return text_of(json_string_value(c));
	um_buf_init(&b, 0);
	json_array_foreach(c, i, blk) {
		const char *t = json_string_value(json_object_get(blk, "text"));
		if (!t)
			t = json_string_value(json_object_get(blk, "content"));
		if (t)
			um_buf_printf(&b, "%s%s", b.len ? "\n" : "", t);
		else if (json_is_string(json_object_get(blk, "type")))
			um_buf_printf(&b, "%s[%s]", b.len ? "\n" : "",
				      json_string_value(json_object_get(blk, "type")));
	}
	out = transcript_text(um_buf_str(&b), b.len, TRANSCRIPT_TEXT_MAX);
	um_buf_release(&b);
	return out;
}

static void add_message(json_t *arr, const char *role, json_t *text)
{
	json_t *m = json_object();

	json_object_set_new(m, "role", json_string(role ? role : "?"));
	json_object_set_new(m, "text", text);
	json_array_append_new(arr, m);
}

/* The chat messages of a request body (system prompt first), or NULL. */
static json_t *request_messages(const json_t *body)
{
	const json_t *msgs = json_object_get(body, "messages"), *m;
	json_t *out;
	size_t i;

	if (!json_is_array(msgs))
		return NULL;
	out = json_array();
	if (json_object_get(body, "system"))
		add_message(out, "system", content_text(json_object_get(body, "system")));
	json_array_foreach(msgs, i, m)
		add_message(out, json_string_value(json_object_get(m, "role")),
			    content_text(json_object_get(m, "content")));
	return out;
}

static void add_tool_call(json_t *arr, const char *name, const json_t *args)
{
	json_t *t = json_object();
	char *a = json_is_string(args) ? um_xstrdup(json_string_value(args))
				       : json_dumps(args, JSON_COMPACT | JSON_SORT_KEYS);

	json_object_set_new(t, "name", json_string(name ? name : "?"));
	json_object_set_new(t, "arguments", text_of(a ? a : ""));
	json_array_append_new(arr, t);
	free(a);
}

/* The reply of a response body: {text, tool_calls}, or NULL when it has
 * neither an OpenAI choice nor an Anthropic content array. */
static json_t *response_reply(const json_t *body)
{
	const json_t *msg = json_object_get(json_array_get(json_object_get(body, "choices"), 0),
					    "message"), *x;
	json_t *out, *calls;
	size_t i;

	if (!json_is_object(msg) && !json_is_array(json_object_get(body, "content")))
		return NULL;
	out = json_object();
	calls = json_array();
	if (json_is_object(msg)) {
		json_object_set_new(out, "text", content_text(json_object_get(msg, "content")));
		json_array_foreach(json_object_get(msg, "tool_calls"), i, x)
			add_tool_call(calls, jpath_str(x, "function.name"),
				      jpath_get(x, "function.arguments"));
	} else {
		json_object_set_new(out, "text", content_text(json_object_get(body, "content")));
		json_array_foreach(json_object_get(body, "content"), i, x)
			if (um_streq(json_string_value(json_object_get(x, "type")), "tool_use"))
				add_tool_call(calls, json_string_value(json_object_get(x, "name")),
					      json_object_get(x, "input"));
	}
	json_object_set_new(out, "tool_calls", calls);
	return out;
}

static json_t *blob_text(sqlite3_stmt *q, int col)
{
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return json_null();
	return transcript_text(sqlite3_column_blob(q, col), (size_t)sqlite3_column_bytes(q, col),
			       TRANSCRIPT_TEXT_MAX);
}

/* The parsed body in column col, or NULL. */
static json_t *blob_json(sqlite3_stmt *q, int col)
{
	const void *p = sqlite3_column_blob(q, col);

	if (!p)
		return NULL;
	return json_loadb(p, (size_t)sqlite3_column_bytes(q, col), 0, NULL);
}

static json_t *one_call(sqlite3_stmt *q)
{
	json_t *c = json_object(), *req = blob_json(q, 7), *resp = blob_json(q, 6), *x;

	json_object_set_new(c, "try", json_integer(sqlite3_column_int(q, 0)));
	json_object_set_new(c, "turn", json_integer(sqlite3_column_int(q, 1)));
	json_object_set_new(c, "http_status", json_integer(sqlite3_column_int(q, 2)));
	json_object_set_new(c, "error", sqlite3_column_text(q, 3)
						? json_string((const char *)sqlite3_column_text(q, 3))
						: json_null());
	json_object_set_new(c, "latency_ms", json_integer(sqlite3_column_int64(q, 4)));
	json_object_set_new(c, "cost_micro", json_integer(sqlite3_column_int64(q, 5)));
	json_object_set_new(c, "response", blob_text(q, 6));
	json_object_set_new(c, "request", blob_text(q, 7));
	x = req ? request_messages(req) : NULL;
	json_object_set_new(c, "messages", x ? x : json_null());
	x = resp ? response_reply(resp) : NULL;
	json_object_set_new(c, "reply", x ? x : json_null());
	if (req)
		json_decref(req);
	if (resp)
		json_decref(resp);
	return c;
}

static json_t *load_calls(sqlite3_stmt *q, const char *run_id, const char *attempt_id,
			  um_error *err)
{
	json_t *arr = json_array();
	int rc;

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, attempt_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(arr, one_call(q));
	if (rc != SQLITE_DONE) {
		json_decref(arr);
		um_fail(err, UM_ERR_DB, "cannot read the calls of attempt %s", attempt_id);
		return NULL;
	}
	return arr;
}

static json_t *one_step(const um_tool_step *t)
{
	static const char *const phases[] = {"setup", "agent", "verify", "oracle"};
	json_t *o = json_object();

	json_object_set_new(o, "phase", json_string(phases[t->phase]));
	json_object_set_new(o, "turn", json_integer(t->turn));
	json_object_set_new(o, "seq", json_integer(t->seq));
	json_object_set_new(o, "tool", t->tool ? json_string(t->tool) : json_null());
	json_object_set_new(o, "command", text_of(t->command));
	json_object_set_new(o, "exit_code", t->has_exit ? json_integer(t->exit_code) : json_null());
	json_object_set_new(o, "signal", json_integer(t->signal));
	json_object_set_new(o, "timed_out", json_boolean(t->timed_out));
	json_object_set_new(o, "duration_ms", json_integer(t->duration_ms));
	json_object_set_new(o, "stdout", transcript_text(t->out, t->out_len, TRANSCRIPT_TEXT_MAX));
	json_object_set_new(o, "stderr", transcript_text(t->err, t->err_len, TRANSCRIPT_TEXT_MAX));
	json_object_set_new(o, "stdout_bytes", json_integer(t->out_bytes));
	json_object_set_new(o, "stderr_bytes", json_integer(t->err_bytes));
	json_object_set_new(o, "truncated", json_boolean(t->truncated));
	json_object_set_new(o, "error", t->error ? json_string(t->error) : json_null());
	return o;
}

static json_t *jstr_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* The attempt's row: identity, grade and what the extractor matched. */
static json_t *attempt_head(const um_run_data *d, const um_attempt_rec *a)
{
	const um_item_rec *it = regrade_find_item(d, a->item_id);
	json_t *o = json_object(), *dj;

	json_object_set_new(o, "id", json_string(a->attempt_id));
	json_object_set_new(o, "item", json_string(a->item_id));
	json_object_set_new(o, "system", json_string(a->system));
	json_object_set_new(o, "sample", json_integer(a->sample));
	json_object_set_new(o, "category", jstr_or_null(it ? it->category : NULL));
	json_object_set_new(o, "status", json_string(a->status == UM_ATT_DONE ? "done" : "error"));
	json_object_set_new(o, "score", store_attempt_graded(a) ? json_integer(a->score)
								 : json_null());
	if (a->outcome) /* judged suites: no grade, neither wrong nor an error */
		json_object_set_new(o, "outcome", json_string(a->outcome));
	json_object_set_new(o, "extracted", jstr_or_null(a->extracted));
	json_object_set_new(o, "perm", jstr_or_null(a->perm));
	json_object_set_new(o, "error_class", jstr_or_null(a->error_class));
	json_object_set_new(o, "error_message", jstr_or_null(a->error_msg));
	json_object_set_new(o, "finish_reason", jstr_or_null(a->finish_reason));
	json_object_set_new(o, "response_text", text_of(a->response_text));
	json_object_set_new(o, "cost_micro", json_integer(a->cost_micro));
	json_object_set_new(o, "latency_ms", json_integer(a->latency_ms));
	json_object_set_new(o, "question", it ? text_of(it->question) : json_null());
	json_object_set_new(o, "choices", it && it->choices_json
						  ? json_loads(it->choices_json, 0, NULL)
						  : NULL);
	if (!json_object_get(o, "choices"))
		json_object_set_new(o, "choices", json_null());
	json_object_set_new(o, "correct_choice", it ? json_integer(it->correct) : json_null());
	dj = a->detail_json ? json_loads(a->detail_json, 0, NULL) : NULL;
	json_object_set_new(o, "detail", dj ? dj : json_null());
	return o;
}

json_t *transcript_build(um_store *st, const um_run_data *d, um_error *err)
{
	sqlite3_stmt *q = NULL;
	json_t *out, *arr;
	size_t i;

	if (sqlite3_prepare_v2(store_db(st),
			       "SELECT c.try_no, c.turn, c.http_status, c.error, c.latency_ms, "
			       "c.cost_micro, " STORE_CALL_BODY ", r.body FROM calls c "
			       STORE_CALL_BODY_JOIN " LEFT JOIN "
			       "requests r ON r.body_sha256 = c.request_hash WHERE c.run_id = ?1 "
			       "AND c.attempt_id = ?2 ORDER BY c.id",
			       -1, &q, NULL) != SQLITE_OK) {
		um_fail(err, UM_ERR_DB, "cannot read transcripts: %s", sqlite3_errmsg(store_db(st)));
		return NULL;
	}
	arr = json_array();
	for (i = 0; i < d->n_attempts; i++) {
		const um_attempt_rec *a = &d->attempts[i];
		json_t *o = attempt_head(d, a), *calls, *steps;
		um_tool_step *ts = NULL;
		size_t n = 0, k;

		json_array_append_new(arr, o);
		if (!(calls = load_calls(q, d->run.run_id, a->attempt_id, err)) ||
		    store_load_tool_steps(st, d->run.run_id, a->attempt_id, &ts, &n, err) < 0) {
			if (calls)
				json_decref(calls);
			json_decref(arr);
			sqlite3_finalize(q);
			return NULL;
		}
		json_object_set_new(o, "calls", calls);
		steps = json_array();
		for (k = 0; k < n; k++)
			json_array_append_new(steps, one_step(&ts[k]));
		json_object_set_new(o, "steps", steps);
		store_tool_steps_free(ts, n);
	}
	sqlite3_finalize(q);
	out = json_object();
	json_object_set_new(out, "run_id", json_string(d->run.run_id ? d->run.run_id : ""));
	json_object_set_new(out, "attempts", arr);
	return out;
}
