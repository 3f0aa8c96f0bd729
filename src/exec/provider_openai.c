/*
 * provider_openai.c - the OpenAI chat completions wire, also spoken by
 * Azure OpenAI and the OpenAI-compatible presets (OpenRouter, vLLM,
 * SGLang, ollama).
 *
 * Body: the scaffold's params at top level + "messages" + "model", with
 * what the model's capabilities exclude taken out: temperature and top_p
 * for models that reject sampling parameters (the o-series and gpt-5
 * families), max_tokens renamed max_completion_tokens where the model
 * wants that, reasoning.effort sent as "reasoning_effort" where it is
 * accepted; reasoning.budget_tokens has no OpenAI parameter and is never
 * sent. Streamed: "stream": true and "stream_options": {"include_usage":
 * true}, so the last chunk carries the usage.
 *
 * Response: choices[0].message (content, tool_calls, and the reasoning
 * text some servers return as reasoning_content or reasoning), usage with
 * prompt_tokens_details.cached_tokens and
 * completion_tokens_details.reasoning_tokens. A stream of
 * chat.completion.chunk events is folded back into that shape: content
 * and reasoning deltas concatenated, tool calls gathered by index, the
 * usage of the chunk that has one, ended by "data: [DONE]".
 */
#include "exec/provider_impl.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jscan.h"
#include "base/util.h"

static json_t *openai_text_part(const json_t *p)
{
	return json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(p, "text"));
}

/* An image part as a data URL. */
static json_t *openai_image_part(const json_t *p)
{
	char *url = um_xasprintf("data:%s;base64,%s",
				 json_string_value(json_object_get(p, "media_type")),
				 json_string_value(json_object_get(p, "data")));
	json_t *o = json_pack("{s:s,s:{s:s}}", "type", "image_url", "image_url", "url", url);

	free(url);
	return o;
}

/* One neutral message in OpenAI's shape. Plain messages go as they are
 * (less the reasoning kept for other wires); tool calls get their "type"
 * and "function" wrapper; a tool result keeps role, tool_call_id, content. */
static json_t *openai_message(const json_t *m)
{
	const char *role = json_string_value(json_object_get(m, "role"));
	json_t *content = json_object_get(m, "content"), *out, *calls, *tc;
	size_t i;

	if (strcmp(role, "tool") == 0)
		return json_pack("{s:s,s:O,s:O}", "role", "tool", "tool_call_id",
				 json_object_get(m, "tool_call_id"), "content", content);
	if (!provider_util_has_tool_calls(m)) {
		out = json_deep_copy(m);
		json_object_del(out, "tool_calls"); /* null or [] */
		json_object_del(out, "thinking");
		if (json_is_array(content))
			json_object_set_new(out, "content",
					    provider_util_parts(content, openai_text_part,
								openai_image_part));
		return out;
	}
	calls = json_array();
	json_array_foreach(json_object_get(m, "tool_calls"), i, tc)
	{
		json_array_append_new(calls,
				      json_pack("{s:O,s:s,s:{s:O,s:O}}", "id",
						json_object_get(tc, "id"), "type", "function",
						"function", "name", json_object_get(tc, "name"),
						"arguments", json_object_get(tc, "arguments")));
	}
	/* No text beside the calls is sent as null, as the API itself returns it. */
	if (!json_is_string(content) || json_string_length(content) == 0)
		content = json_null();
	return json_pack("{s:s,s:O,s:o}", "role", "assistant", "content", content, "tool_calls",
			 calls);
}

static json_t *openai_tools(const json_t *tools)
{
	json_t *list = json_array(), *t;
	size_t i;

	json_array_foreach(tools, i, t)
	{
		json_t *fn = json_pack("{s:O,s:O}", "name", json_object_get(t, "name"),
				       "parameters", json_object_get(t, "parameters"));

		if (json_object_get(t, "description"))
			json_object_set(fn, "description", json_object_get(t, "description"));
		json_array_append_new(list, json_pack("{s:s,s:o}", "type", "function", "function", fn));
	}
	return list;
}

/* The params as the model's capabilities allow them. */
static int openai_apply_caps(prov_job *j, json_t *body)
{
	const um_caps *caps = &j->sys->caps;
	static const char *const sampling[] = {"temperature", "top_p"};
	size_t i;

	for (i = 0; i < UM_ARRAY_LEN(sampling); i++)
		if (json_object_get(body, sampling[i]) &&
		    provider_util_caps_refuse(j, sampling[i],
					      json_object_get(body, "temperature") != NULL)) {
			json_object_del(body, sampling[i]);
			provider_util_not_sent(j, sampling[i]);
		}
	if (caps->max_completion && json_object_get(body, "max_tokens")) {
		if (json_object_get(body, "max_completion_tokens"))
			return um_fail(j->err, UM_ERR_INVALID,
				       "system \"%s\": params sets both max_tokens and "
				       "max_completion_tokens",
				       j->sys->name);
		json_object_set(body, "max_completion_tokens", json_object_get(body, "max_tokens"));
		json_object_del(body, "max_tokens");
	}
	if (j->effort) {
		if (models_effort_taken(caps, j->effort))
			json_object_set_new(body, "reasoning_effort", json_string(j->effort));
		else
			provider_util_not_sent(j, "reasoning.effort");
	}
	if (j->budget >= 0)
		provider_util_not_sent(j, "reasoning.budget_tokens");
	return 0;
}

json_t *provider_openai_body(prov_job *j)
{
	json_t *body = j->params ? json_deep_copy(j->params) : json_object(), *msgs, *m;
	size_t i;

	if (json_object_get(body, "model") || json_object_get(body, "messages")) {
		json_decref(body);
		um_fail(j->err, UM_ERR_INVALID,
			"system \"%s\": params may not set \"model\" or \"messages\"",
			j->sys->name);
		return NULL;
	}
	if (openai_apply_caps(j, body) < 0) {
		json_decref(body);
		return NULL;
	}
	msgs = json_array();
	json_array_foreach(j->messages, i, m) json_array_append_new(msgs, openai_message(m));
	json_object_set_new(body, "messages", msgs);
	if (j->tools)
		json_object_set_new(body, "tools", openai_tools(j->tools));
	if (j->stream) {
		json_object_set_new(body, "stream", json_true());
		json_object_set_new(body, "stream_options", json_pack("{s:b}", "include_usage", 1));
	}
	json_object_set_new(body, "model", json_string(j->sys->model));
	return body;
}

/* ---- parsing ------------------------------------------------------------ */

static int openai_tool_call(size_t i, const json_t *tc, json_t *out, um_error *err)
{
	json_t *fn = json_object_get(tc, "function");
	json_t *id = json_object_get(tc, "id");
	json_t *name = json_object_get(fn, "name");
	json_t *args = json_object_get(fn, "arguments");

	if (!json_is_object(tc))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls[%zu] is %s, not an object", i,
			       provider_util_json_kind(tc));
	if (!json_is_string(id))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls[%zu].id is %s, not a string", i,
			       provider_util_json_kind(id));
	if (!json_is_object(fn))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls[%zu].function is %s, not an object",
			       i, provider_util_json_kind(fn));
	if (!json_is_string(name))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls[%zu].function.name is %s, not a "
			       "string",
			       i, provider_util_json_kind(name));
	if (!json_is_string(args))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls[%zu].function.arguments is %s, not "
			       "a string",
			       i, provider_util_json_kind(args));
	json_array_append_new(out,
			      json_pack("{s:O,s:O,s:O}", "id", id, "name", name, "arguments", args));
	return 0;
}

static int openai_tool_calls(const json_t *arr, um_completion *c, um_error *err)
{
	json_t *tc;
	size_t i;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls is %s, not an array",
			       provider_util_json_kind(arr));
	if (json_array_size(arr) == 0)
		return 0;
	c->tool_calls = json_array();
	json_array_foreach(arr, i, tc)
	{
		if (openai_tool_call(i, tc, c->tool_calls, err) < 0)
			return -1;
	}
	return 0;
}

/* choices[0].message: text, tool calls, reasoning text. */
static int openai_message_parse(const json_t *ch, um_completion *c, um_error *err)
{
	json_t *msg = json_object_get(ch, "message"), *content, *why;

	if (!json_is_object(msg))
		return um_fail(err, UM_ERR_PROTOCOL, "choices[0].message is %s, not an object",
			       provider_util_json_kind(msg));
	if (openai_tool_calls(json_object_get(msg, "tool_calls"), c, err) < 0)
		return -1;
	content = json_object_get(msg, "content");
	if (json_is_string(content)) {
		c->content = um_xstrndup(json_string_value(content), json_string_length(content));
	} else if ((!content || json_is_null(content)) &&
		   (c->tool_calls || json_is_string(json_object_get(msg, "refusal")))) {
		/* A tool call or a refusal carries no text; both are answers. */
		c->content = um_xstrdup("");
	} else {
		return um_fail(err, UM_ERR_PROTOCOL, "choices[0].message.content is %s%s",
			       provider_util_json_kind(content),
			       content && !json_is_null(content) ? ", not a string"
								 : " and there are no tool_calls");
	}
	/* vLLM, SGLang, DeepSeek: reasoning_content; OpenRouter: reasoning */
	why = json_object_get(msg, "reasoning_content");
	if (!json_is_string(why))
		why = json_object_get(msg, "reasoning");
	if (json_is_string(why) && json_string_length(why) > 0)
		provider_util_add_thinking(c, json_string_value(why), NULL, NULL);
	return 0;
}

static int openai_usage(const json_t *root, um_completion *c, um_error *err)
{
	json_t *usage = json_object_get(root, "usage"), *det;

	if (!json_is_object(usage))
		return um_fail(err, UM_ERR_PROTOCOL, "usage is %s, not an object",
			       provider_util_json_kind(usage));
	if (provider_util_get_count(usage, "prompt_tokens", "usage.", 1, &c->tokens_in, err) < 0 ||
	    provider_util_get_count(usage, "completion_tokens", "usage.", 1, &c->tokens_out, err) < 0)
		return -1;
	det = json_object_get(usage, "prompt_tokens_details");
	if (det && !json_is_null(det)) {
		if (!json_is_object(det))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "usage.prompt_tokens_details is %s, not an object",
				       provider_util_json_kind(det));
		if (provider_util_get_count(det, "cached_tokens", "usage.prompt_tokens_details.", 0,
				       &c->tokens_cached, err) < 0)
			return -1;
		if (c->tokens_cached > c->tokens_in)
			return um_fail(err, UM_ERR_PROTOCOL,
				       "usage.prompt_tokens_details.cached_tokens (%lld) exceeds "
				       "usage.prompt_tokens (%lld)",
				       (long long)c->tokens_cached, (long long)c->tokens_in);
	}
	det = json_object_get(usage, "completion_tokens_details");
	if (det && !json_is_null(det)) {
		if (!json_is_object(det))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "usage.completion_tokens_details is %s, not an object",
				       provider_util_json_kind(det));
		if (provider_util_get_count(det, "reasoning_tokens", "usage.completion_tokens_details.",
				       0, &c->tokens_reasoning, err) < 0)
			return -1;
		if (c->tokens_reasoning > c->tokens_out)
			return um_fail(err, UM_ERR_PROTOCOL,
				       "usage.completion_tokens_details.reasoning_tokens (%lld) "
				       "exceeds usage.completion_tokens (%lld)",
				       (long long)c->tokens_reasoning, (long long)c->tokens_out);
	}
	return 0;
}

int provider_openai_parse(const json_t *root, um_completion *c, um_error *err)
{
	json_t *choices = json_object_get(root, "choices"), *ch;

	if (!json_is_array(choices))
		return um_fail(err, UM_ERR_PROTOCOL, "choices is %s, not an array",
			       provider_util_json_kind(choices));
	if (json_array_size(choices) == 0)
		return um_fail(err, UM_ERR_PROTOCOL, "choices is empty");
	ch = json_array_get(choices, 0);
	if (!json_is_object(ch))
		return um_fail(err, UM_ERR_PROTOCOL, "choices[0] is %s, not an object",
			       provider_util_json_kind(ch));
	if (openai_message_parse(ch, c, err) < 0 ||
	    provider_util_get_string(ch, "finish_reason", "choices[0].", 0, &c->finish_reason, err) < 0 ||
	    openai_usage(root, c, err) < 0)
		return -1;
	if (provider_util_get_string(root, "model", "", 0, &c->served_model, err) < 0 ||
	    provider_util_get_string(root, "system_fingerprint", "", 0, &c->fingerprint, err) < 0 ||
	    provider_util_get_string(root, "id", "", 0, &c->response_id, err) < 0)
		return -1;
	return 0;
}

/* ---- the fast path ------------------------------------------------------
 * What provider_openai_parse does with an ordinary answer, read from the
 * jscan nodes: every step that could fail, or that builds JSON values (tool
 * calls, reasoning text, routing), gives up instead, and the full parse
 * takes the body. */

/* usage's details: missing or null, or an object whose count (optional)
 * does not exceed the total. */
static int fast_details(const jscan *j, int usage, const char *key, const char *count,
			int64_t total, int64_t *out)
{
	int d = jscan_get(j, usage, key);

	*out = 0;
	if (d < 0 || j->nodes[d].type == JSCAN_NULL)
		return 0;
	if (j->nodes[d].type != JSCAN_OBJ || provider_util_fast_count(j, d, count, 0, out) < 0 || *out > total)
		return -1;
	return 0;
}

static int fast_message(const jscan *j, int msg, um_completion *c)
{
	int tc = jscan_get(j, msg, "tool_calls"), content = jscan_get(j, msg, "content");
	int why = jscan_get(j, msg, "reasoning_content");

	if (jscan_type_of(j, msg) != JSCAN_OBJ || (tc >= 0 && j->nodes[tc].type != JSCAN_NULL) ||
	    jscan_type_of(j, content) != JSCAN_STR)
		return -1;
	if (jscan_type_of(j, why) != JSCAN_STR)
		why = jscan_get(j, msg, "reasoning");
	if (jscan_type_of(j, why) == JSCAN_STR && j->nodes[why].n > 0)
		return -1; /* reasoning text: thinking blocks, the full parse's */
	c->content = jscan_strdup(j, content);
	return 0;
}

int provider_openai_parse_fast(const char *body, size_t len, um_completion *c)
{
	jscan *j = provider_util_fast_open(body, len, c);
	int ch, usage, ok;

	if (!j)
		return 0;
	ch = jscan_index(j, jscan_get(j, 0, "choices"), 0);
	usage = jscan_get(j, 0, "usage");
	ok = jscan_type_of(j, ch) == JSCAN_OBJ && jscan_type_of(j, usage) == JSCAN_OBJ &&
	     fast_message(j, jscan_get(j, ch, "message"), c) == 0 &&
	     provider_util_fast_string(j, ch, "finish_reason", &c->finish_reason) == 0 &&
	     provider_util_fast_count(j, usage, "prompt_tokens", 1, &c->tokens_in) == 0 &&
	     provider_util_fast_count(j, usage, "completion_tokens", 1, &c->tokens_out) == 0 &&
	     fast_details(j, usage, "prompt_tokens_details", "cached_tokens", c->tokens_in,
			  &c->tokens_cached) == 0 &&
	     fast_details(j, usage, "completion_tokens_details", "reasoning_tokens",
			  c->tokens_out, &c->tokens_reasoning) == 0 &&
	     provider_util_fast_string(j, 0, "model", &c->served_model) == 0 &&
	     provider_util_fast_string(j, 0, "system_fingerprint", &c->fingerprint) == 0 &&
	     provider_util_fast_string(j, 0, "id", &c->response_id) == 0;
	return provider_util_fast_close(j, c, ok);
}

/* ---- streams ------------------------------------------------------------ */

typedef struct openai_fold {
	json_t *root;    /* id, model, system_fingerprint, usage */
	um_buf text, why;
	int have_text;
	json_t *calls;   /* by index: {"id","type","function":{"name","arguments"}} */
	int done;
} openai_fold;

static int openai_fold_call(openai_fold *f, const json_t *d, um_error *err)
{
	json_t *idx = json_object_get(d, "index"), *slot, *fn, *dfn = json_object_get(d, "function");
	json_int_t i;
	const char *keys[] = {"name", "arguments"};
	size_t k;

	if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
	    json_integer_value(idx) > 1024)
		return um_fail(err, UM_ERR_PROTOCOL,
			       "stream: a tool call delta has no valid index (%s)",
			       provider_util_json_kind(idx));
	i = json_integer_value(idx);
	while ((json_int_t)json_array_size(f->calls) <= i)
		json_array_append_new(f->calls, json_pack("{s:s,s:{}}", "type", "function",
							  "function"));
	slot = json_array_get(f->calls, (size_t)i);
	fn = json_object_get(slot, "function");
	if (json_is_string(json_object_get(d, "id")))
		json_object_set(slot, "id", json_object_get(d, "id"));
	for (k = 0; json_is_object(dfn) && k < UM_ARRAY_LEN(keys); k++) {
		json_t *piece = json_object_get(dfn, keys[k]);
		const char *old = json_string_value(json_object_get(fn, keys[k]));

		if (!json_is_string(piece))
			continue;
		json_object_set_new(fn, keys[k],
				    json_sprintf("%s%s", old ? old : "", json_string_value(piece)));
	}
	return 0;
}

static int openai_fold_delta(openai_fold *f, const json_t *ch, um_error *err)
{
	json_t *d = json_object_get(ch, "delta"), *v, *tc;
	size_t i;

	if (json_is_string(json_object_get(ch, "finish_reason")))
		json_object_set(f->root, "finish_reason", json_object_get(ch, "finish_reason"));
	if (!d || json_is_null(d))
		return 0;
	if (!json_is_object(d))
		return um_fail(err, UM_ERR_PROTOCOL, "stream: choices[0].delta is %s, not an object",
			       provider_util_json_kind(d));
	v = json_object_get(d, "content");
	if (json_is_string(v)) {
		um_buf_append(&f->text, json_string_value(v), json_string_length(v));
		f->have_text = 1;
	}
	v = json_object_get(d, "reasoning_content");
	if (!json_is_string(v))
		v = json_object_get(d, "reasoning");
	if (json_is_string(v))
		um_buf_append(&f->why, json_string_value(v), json_string_length(v));
	if (json_is_string(json_object_get(d, "refusal")))
		json_object_set(f->root, "refusal", json_object_get(d, "refusal"));
	json_array_foreach(json_object_get(d, "tool_calls"), i, tc)
	{
		if (openai_fold_call(f, tc, err) < 0)
			return -1;
	}
	return 0;
}

static int openai_fold_event(void *ctx, const char *event, const char *data, um_error *err)
{
	openai_fold *f = ctx;
	json_t *ev, *choices;
	static const char *const keep[] = {"id", "model", "system_fingerprint", "routing"};
	size_t i;
	int rc = 0;

	(void)event;
	if (f->done)
		return 0;
	if (strcmp(data, "[DONE]") == 0) {
		f->done = 1;
		return 0;
	}
	ev = provider_util_json_loadb(data, strlen(data), JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(ev)) {
		json_decref(ev);
		return um_fail(err, UM_ERR_PROTOCOL, "stream: an event's data is not a JSON object");
	}
	if (json_object_get(ev, "error")) {
		char *m = json_dumps(json_object_get(ev, "error"), JSON_COMPACT);
		rc = um_fail(err, UM_ERR_PROTOCOL, "stream: error event: %.200s", m ? m : "?");
		free(m);
		json_decref(ev);
		return rc;
	}
	for (i = 0; i < UM_ARRAY_LEN(keep); i++)
		if (json_object_get(ev, keep[i]) && !json_is_null(json_object_get(ev, keep[i])))
			json_object_set(f->root, keep[i], json_object_get(ev, keep[i]));
	if (json_is_object(json_object_get(ev, "usage")))
		json_object_set(f->root, "usage", json_object_get(ev, "usage"));
	choices = json_object_get(ev, "choices");
	if (choices && !json_is_array(choices))
		rc = um_fail(err, UM_ERR_PROTOCOL, "stream: choices is %s, not an array",
			     provider_util_json_kind(choices));
	else if (json_array_size(choices) > 0)
		rc = openai_fold_delta(f, json_array_get(choices, 0), err);
	json_decref(ev);
	return rc;
}

json_t *provider_openai_unstream(const char *body, size_t len, um_error *err)
{
	openai_fold f;
	json_t *msg, *out = NULL;

	memset(&f, 0, sizeof(f));
	f.root = json_object();
	f.calls = json_array();
	um_buf_init(&f.text, 0);
	um_buf_init(&f.why, 0);
	if (provider_util_sse_each(body, len, openai_fold_event, &f, err) != 0)
		goto done;
	if (!f.done) {
		um_fail(err, UM_ERR_PROTOCOL, "stream ended before \"data: [DONE]\"");
		goto done;
	}
	msg = json_pack("{s:s}", "role", "assistant");
	json_object_set_new(msg, "content",
			    f.have_text ? json_string(um_buf_str(&f.text)) : json_null());
	if (json_array_size(f.calls))
		json_object_set(msg, "tool_calls", f.calls);
	if (f.why.len)
		json_object_set_new(msg, "reasoning_content", json_string(um_buf_str(&f.why)));
	if (json_object_get(f.root, "refusal")) {
		json_object_set(msg, "refusal", json_object_get(f.root, "refusal"));
		json_object_del(f.root, "refusal");
	}
	out = json_deep_copy(f.root);
	json_object_del(out, "finish_reason");
	json_object_set_new(out, "choices",
			    json_pack("[{s:i,s:o,s:O}]", "index", 0, "message", msg,
				      "finish_reason",
				      json_object_get(f.root, "finish_reason")
					  ? json_object_get(f.root, "finish_reason")
					  : json_null()));
done:
	json_decref(f.root);
	json_decref(f.calls);
	um_buf_release(&f.text);
	um_buf_release(&f.why);
	return out;
}

int provider_openai_token(const json_t *ev)
{
	json_t *d = json_object_get(json_array_get(json_object_get(ev, "choices"), 0), "delta");
	json_t *c = json_object_get(d, "content"), *r = json_object_get(d, "reasoning_content");

	if (!json_is_string(r))
		r = json_object_get(d, "reasoning");
	return (json_is_string(c) && json_string_length(c) > 0) ||
	       (json_is_string(r) && json_string_length(r) > 0) ||
	       json_array_size(json_object_get(d, "tool_calls")) > 0;
}
