/*
 * provider_anthropic.c - the Anthropic messages wire.
 *
 * Body, built in named steps: the system messages joined (blank line
 * between) into "system"; the rest as {"role","content"}, tool calls as
 * tool_use blocks (after the thinking blocks the model returned with them,
 * which the API wants back in a tool loop), each run of tool results as one
 * user message of tool_result blocks; only the parameters the messages API
 * accepts (max_tokens, temperature, top_p, top_k, stop -> stop_sequences,
 * metadata), anything else not sent and named. The harness adds nothing:
 * Anthropic requires max_tokens, and a scaffold without it is an error.
 * reasoning.effort becomes adaptive thinking, "thinking": {"type":
 * "adaptive"} and "output_config": {"effort": E}, where the model takes it
 * (Opus 4.6 on); else reasoning.budget_tokens becomes "thinking": {"type":
 * "enabled", "budget_tokens": N} where the model thinks
 * (provider_util_claude_thinking); with thinking on, the API refuses
 * temperature and top_k, and top_p below 0.95, so those are not sent.
 *
 * Response: text blocks concatenated, tool_use blocks as tool calls,
 * thinking / redacted_thinking blocks kept (with their signatures); usage
 * input_tokens + cache_read_input_tokens + cache_creation_input_tokens is
 * the whole input, of which the read part is cached and the creation part
 * written to the cache. A stream (message_start, content_block_start /
 * _delta / _stop, message_delta, message_stop) is folded back into that
 * message; an error event is an error.
 */
#include "exec/provider_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/jscan.h"
#include "base/util.h"

/* Parameters the Anthropic messages API accepts, and their names there. */
static const struct {
	const char *neutral;
	const char *wire;
} anthropic_params[] = {
    {"max_tokens", "max_tokens"}, {"metadata", "metadata"},
    {"stop", "stop_sequences"},	  {"stop_sequences", "stop_sequences"},
    {"temperature", "temperature"}, {"top_k", "top_k"},
    {"top_p", "top_p"},
};

/* The thinking blocks of a neutral assistant message, in Anthropic's shape. */
static void anthropic_thinking_blocks(const json_t *m, json_t *blocks)
{
	json_t *t;
	size_t i;

	json_array_foreach(json_object_get(m, "thinking"), i, t)
	{
		json_t *red = json_object_get(t, "redacted"), *sig = json_object_get(t, "signature");

		if (json_is_string(red))
			json_array_append_new(blocks, json_pack("{s:s,s:O}", "type",
								"redacted_thinking", "data", red));
		else if (json_is_string(json_object_get(t, "text")) && json_is_string(sig))
			json_array_append_new(blocks,
					      json_pack("{s:s,s:O,s:O}", "type", "thinking",
							"thinking", json_object_get(t, "text"),
							"signature", sig));
	}
}

/* An assistant message with tool calls as Anthropic content blocks: its
 * thinking, the text (when there is any), then one tool_use per call whose
 * input is the arguments parsed as a JSON object, or {} when they are not. */
static json_t *anthropic_tool_use(const json_t *m)
{
	json_t *content = json_object_get(m, "content"), *blocks = json_array(), *tc;
	size_t i;

	anthropic_thinking_blocks(m, blocks);
	if (json_is_string(content) && json_string_length(content) > 0)
		json_array_append_new(blocks,
				      json_pack("{s:s,s:O}", "type", "text", "text", content));
	json_array_foreach(json_object_get(m, "tool_calls"), i, tc)
	{
		json_array_append_new(blocks,
				      json_pack("{s:s,s:O,s:O,s:o}", "type", "tool_use", "id",
						json_object_get(tc, "id"), "name",
						json_object_get(tc, "name"), "input",
						provider_util_tool_input(tc)));
	}
	return json_pack("{s:s,s:o}", "role", "assistant", "content", blocks);
}

static json_t *anthropic_tools(const json_t *tools)
{
	json_t *list = json_array(), *t;
	size_t i;

	json_array_foreach(tools, i, t)
	{
		json_t *d = json_pack("{s:O,s:O}", "name", json_object_get(t, "name"),
				      "input_schema", json_object_get(t, "parameters"));

		if (json_object_get(t, "description"))
			json_object_set(d, "description", json_object_get(t, "description"));
		json_array_append_new(list, d);
	}
	return list;
}

static json_t *anthropic_text_part(const json_t *p)
{
	return json_pack("{s:s,s:O}", "type", "text", "text", json_object_get(p, "text"));
}

/* An image part as a base64 source block. */
static json_t *anthropic_image_part(const json_t *p)
{
	return json_pack("{s:s,s:{s:s,s:O,s:O}}", "type", "image", "source", "type", "base64",
			 "media_type", json_object_get(p, "media_type"), "data",
			 json_object_get(p, "data"));
}

/* Step 1: the conversation (everything but the system text). NULL on error. */
static json_t *anthropic_messages(prov_job *j)
{
	json_t *msgs = json_array(), *m;
	json_t *results = NULL; /* blocks of the user message that collects tool results */
	size_t i;

	json_array_foreach(j->messages, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");

		if (strcmp(role, "system") == 0)
			continue;
		if (strcmp(role, "tool") == 0) {
			/* Consecutive results go back together, in one user message. */
			if (!results) {
				results = json_array();
				json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", "user",
								      "content", results));
			}
			json_array_append_new(results, json_pack("{s:s,s:O,s:O}", "type",
								 "tool_result", "tool_use_id",
								 json_object_get(m, "tool_call_id"),
								 "content", content));
			continue;
		}
		results = NULL;
		if (strcmp(role, "assistant") == 0 && provider_util_has_tool_calls(m)) {
			json_array_append_new(msgs, anthropic_tool_use(m));
		} else if (strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0) {
			json_array_append_new(
			    msgs, json_is_array(content)
				      ? json_pack("{s:s,s:o}", "role", role, "content",
						  provider_util_parts(content, anthropic_text_part,
								      anthropic_image_part))
				      : json_pack("{s:s,s:O}", "role", role, "content", content));
		} else {
			um_fail(j->err, UM_ERR_INVALID,
				"system \"%s\": messages[%zu].role \"%s\" has no Anthropic "
				"equivalent (system, user, assistant, tool)",
				j->sys->name, i, role);
			json_decref(msgs);
			return NULL;
		}
	}
	if (json_array_size(msgs) == 0) {
		um_fail(j->err, UM_ERR_INVALID,
			"system \"%s\": Anthropic needs at least one user or assistant message",
			j->sys->name);
		json_decref(msgs);
		return NULL;
	}
	return msgs;
}

/* Step 2: what the parameters require before any is mapped. */
static int anthropic_check_params(prov_job *j)
{
	json_t *mt = j->params ? json_object_get(j->params, "max_tokens") : NULL;

	if (!mt || json_is_null(mt))
		return um_fail(j->err, UM_ERR_INVALID,
			       "system \"%s\": params has no max_tokens; Anthropic requires "
			       "max_tokens and the harness injects no default (state it in the "
			       "scaffold's params)",
			       j->sys->name);
	if (json_object_get(j->params, "stop") && json_object_get(j->params, "stop_sequences"))
		return um_fail(j->err, UM_ERR_INVALID,
			       "system \"%s\": params sets both stop and stop_sequences",
			       j->sys->name);
	/* (a budget is not sent where an effort goes, adaptive) */
	if (j->budget >= 0 && j->sys->caps.budget &&
	    !models_effort_taken(&j->sys->caps, j->effort) && json_is_integer(mt) &&
	    j->budget >= json_integer_value(mt))
		return um_fail(j->err, UM_ERR_INVALID,
			       "system \"%s\": reasoning.budget_tokens (%lld) must be below "
			       "max_tokens (%lld) for Anthropic's extended thinking",
			       j->sys->name, (long long)j->budget,
			       (long long)json_integer_value(mt));
	return 0;
}

/* With thinking on, a sampling parameter the API refuses is not sent. */
static int anthropic_thinking_refuses(const char *key, const json_t *v)
{
	if (strcmp(key, "temperature") == 0 || strcmp(key, "top_k") == 0)
		return 1;
	return strcmp(key, "top_p") == 0 && json_is_number(v) && json_number_value(v) < 0.95;
}

/* Step 3: the parameters the messages API takes, under their names there. */
static int anthropic_params_map(prov_job *j, json_t *body, int thinking)
{
	const char *key;
	json_t *v;
	size_t k;
	/* temperature goes unless thinking or the capabilities keep it out */
	int temp = json_object_get(j->params, "temperature") && !thinking;

	json_object_foreach(j->params, key, v)
	{
		for (k = 0; k < UM_ARRAY_LEN(anthropic_params); k++)
			if (strcmp(key, anthropic_params[k].neutral) == 0)
				break;
		if (k == UM_ARRAY_LEN(anthropic_params) ||
		    (thinking && anthropic_thinking_refuses(key, v)) ||
		    provider_util_caps_refuse(j, key, temp)) {
			provider_util_not_sent(j, key);
			continue;
		}
		if (strcmp(anthropic_params[k].wire, "stop_sequences") == 0) {
			if (json_is_string(v)) {
				json_object_set_new(body, "stop_sequences", json_pack("[O]", v));
				continue;
			}
			if (!json_is_array(v))
				return um_fail(j->err, UM_ERR_INVALID,
					       "system \"%s\": params.%s is %s; expected a string "
					       "or a list of strings",
					       j->sys->name, key, provider_util_json_kind(v));
		}
		json_object_set_new(body, anthropic_params[k].wire, json_deep_copy(v));
	}
	return 0;
}

/* Step 4: the reasoning settings; returns whether thinking is on. */
static int anthropic_reasoning(prov_job *j, json_t *body)
{
	json_t *oc, *thinking = provider_util_claude_thinking(j, &oc);

	if (oc)
		json_object_set_new(body, "output_config", oc);
	if (!thinking)
		return 0;
	json_object_set_new(body, "thinking", thinking);
	return 1;
}

json_t *provider_anthropic_body(prov_job *j)
{
	json_t *body = json_object(), *msgs;
	char *system;
	int n_system = 0, thinking;

	system = provider_util_system_text(j, "Anthropic", &n_system);
	if (!system)
		goto fail;
	msgs = anthropic_messages(j);
	if (!msgs || anthropic_check_params(j) < 0) {
		json_decref(msgs);
		goto fail;
	}
	thinking = anthropic_reasoning(j, body);
	if (anthropic_params_map(j, body, thinking) < 0) {
		json_decref(msgs);
		goto fail;
	}
	if (n_system)
		json_object_set_new(body, "system", json_string(system));
	if (j->tools)
		json_object_set_new(body, "tools", anthropic_tools(j->tools));
	if (j->stream)
		json_object_set_new(body, "stream", json_true());
	json_object_set_new(body, "messages", msgs);
	json_object_set_new(body, "model", json_string(j->sys->model));
	free(system);
	return body;
fail:
	free(system);
	json_decref(body);
	return NULL;
}

/* ---- parsing ------------------------------------------------------------ */

static int anthropic_tool_block(const json_t *blk, size_t i, um_completion *c, um_error *err)
{
	json_t *id = json_object_get(blk, "id"), *name = json_object_get(blk, "name");
	json_t *input = json_object_get(blk, "input");
	char *args;

	if (!json_is_string(id) || !json_is_string(name))
		return um_fail(err, UM_ERR_PROTOCOL, "content[%zu].%s is %s, not a string", i,
			       json_is_string(id) ? "name" : "id",
			       provider_util_json_kind(json_is_string(id) ? name : id));
	if (!json_is_object(input))
		return um_fail(err, UM_ERR_PROTOCOL, "content[%zu].input is %s, not an object", i,
			       provider_util_json_kind(input));
	if (!c->tool_calls)
		c->tool_calls = json_array();
	args = json_canonical(input);
	json_array_append_new(c->tool_calls, json_pack("{s:O,s:O,s:s}", "id", id, "name", name,
						       "arguments", args));
	free(args);
	return 0;
}

/* One content block: text into *text, tool_use into the calls, thinking kept. */
static int anthropic_block(const json_t *blk, size_t i, um_buf *text, um_completion *c,
			   um_error *err)
{
	json_t *bt = json_object_get(blk, "type"), *s;
	const char *t;

	if (!json_is_object(blk))
		return um_fail(err, UM_ERR_PROTOCOL, "content[%zu] is %s, not an object", i,
			       provider_util_json_kind(blk));
	if (!json_is_string(bt))
		return um_fail(err, UM_ERR_PROTOCOL, "content[%zu].type is %s, not a string", i,
			       provider_util_json_kind(bt));
	t = json_string_value(bt);
	if (strcmp(t, "text") == 0) {
		s = json_object_get(blk, "text");
		if (!json_is_string(s))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "content[%zu].text is %s, not a string", i,
				       provider_util_json_kind(s));
		um_buf_append(text, json_string_value(s), json_string_length(s));
	} else if (strcmp(t, "tool_use") == 0) {
		return anthropic_tool_block(blk, i, c, err);
	} else if (strcmp(t, "thinking") == 0) {
		s = json_object_get(blk, "thinking");
		if (!json_is_string(s))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "content[%zu].thinking is %s, not a string", i,
				       provider_util_json_kind(s));
		provider_util_add_thinking(c, json_string_value(s),
				      json_string_value(json_object_get(blk, "signature")), NULL);
	} else if (strcmp(t, "redacted_thinking") == 0 &&
		   json_is_string(json_object_get(blk, "data"))) {
		provider_util_add_thinking(c, NULL, NULL,
				      json_string_value(json_object_get(blk, "data")));
	}
	/* Other block kinds (server tool results, ...) carry no answer. */
	return 0;
}

static int anthropic_usage(const json_t *root, um_completion *c, um_error *err)
{
	json_t *usage = json_object_get(root, "usage");
	int64_t input, read, creation;

	if (!json_is_object(usage))
		return um_fail(err, UM_ERR_PROTOCOL, "usage is %s, not an object",
			       provider_util_json_kind(usage));
	if (provider_util_get_count(usage, "input_tokens", "usage.", 1, &input, err) < 0 ||
	    provider_util_get_count(usage, "output_tokens", "usage.", 1, &c->tokens_out, err) < 0 ||
	    provider_util_get_count(usage, "cache_read_input_tokens", "usage.", 0, &read, err) < 0 ||
	    provider_util_get_count(usage, "cache_creation_input_tokens", "usage.", 0, &creation, err) <
		0)
		return -1;
	c->tokens_in = input + read + creation;
	c->tokens_cached = read;
	c->tokens_cache_write = creation;
	return 0;
}

int provider_anthropic_parse(const json_t *root, um_completion *c, um_error *err)
{
	json_t *type = json_object_get(root, "type"), *content, *blk;
	um_buf text = UM_BUF_INIT;
	size_t i;

	if (type && !(json_is_string(type) && strcmp(json_string_value(type), "message") == 0)) {
		if (json_is_string(type))
			return um_fail(err, UM_ERR_PROTOCOL, "type is \"%s\", not \"message\"",
				       json_string_value(type));
		return um_fail(err, UM_ERR_PROTOCOL, "type is %s, not a string",
			       provider_util_json_kind(type));
	}
	content = json_object_get(root, "content");
	if (!json_is_array(content))
		return um_fail(err, UM_ERR_PROTOCOL, "content is %s, not an array",
			       provider_util_json_kind(content));
	um_buf_init(&text, 0);
	json_array_foreach(content, i, blk)
	{
		if (anthropic_block(blk, i, &text, c, err) < 0) {
			um_buf_release(&text);
			return -1;
		}
	}
	c->content = um_buf_detach(&text);
	if (anthropic_usage(root, c, err) < 0)
		return -1;
	if (provider_util_get_string(root, "model", "", 0, &c->served_model, err) < 0 ||
	    provider_util_get_string(root, "stop_reason", "", 0, &c->finish_reason, err) < 0 ||
	    provider_util_get_string(root, "id", "", 0, &c->response_id, err) < 0)
		return -1;
	return 0;
}

/* ---- the fast path ------------------------------------------------------
 * What provider_anthropic_parse does with an ordinary answer, from the jscan
 * nodes: text blocks (and blocks that carry no answer) only; tool use,
 * thinking, escaped type names and every failure give up. */

/* Is string node v exactly word (no escape)? */
static int fast_is(const jscan *j, int v, const char *word)
{
	return jscan_type_of(j, v) == JSCAN_STR && !j->nodes[v].esc &&
	       j->nodes[v].n == strlen(word) && memcmp(j->nodes[v].s, word, j->nodes[v].n) == 0;
}

static int fast_blocks(const jscan *j, int content, um_completion *c)
{
	um_buf text = UM_BUF_INIT;
	int b;

	if (jscan_type_of(j, content) != JSCAN_ARR)
		return -1;
	um_buf_init(&text, 0);
	for (b = j->nodes[content].child; b >= 0; b = j->nodes[b].next) {
		int type = jscan_get(j, b, "type"), t = jscan_get(j, b, "text");
		char *piece;

		if (jscan_type_of(j, b) != JSCAN_OBJ || jscan_type_of(j, type) != JSCAN_STR ||
		    j->nodes[type].esc || fast_is(j, type, "tool_use") ||
		    fast_is(j, type, "thinking") || fast_is(j, type, "redacted_thinking") ||
		    (fast_is(j, type, "text") && jscan_type_of(j, t) != JSCAN_STR)) {
			um_buf_release(&text);
			return -1;
		}
		if (!fast_is(j, type, "text"))
			continue; /* other kinds carry no answer */
		piece = jscan_strdup(j, t);
		um_buf_puts(&text, piece);
		free(piece);
	}
	c->content = um_buf_detach(&text);
	return 0;
}

int provider_anthropic_parse_fast(const char *body, size_t len, um_completion *c)
{
	jscan *j = provider_util_fast_open(body, len, c);
	int type, usage, ok;
	int64_t input = 0, read = 0, creation = 0;

	if (!j)
		return 0;
	type = jscan_get(j, 0, "type");
	usage = jscan_get(j, 0, "usage");
	ok = (type < 0 || fast_is(j, type, "message")) && jscan_type_of(j, usage) == JSCAN_OBJ &&
	     fast_blocks(j, jscan_get(j, 0, "content"), c) == 0 &&
	     provider_util_fast_count(j, usage, "input_tokens", 1, &input) == 0 &&
	     provider_util_fast_count(j, usage, "output_tokens", 1, &c->tokens_out) == 0 &&
	     provider_util_fast_count(j, usage, "cache_read_input_tokens", 0, &read) == 0 &&
	     provider_util_fast_count(j, usage, "cache_creation_input_tokens", 0, &creation) == 0 &&
	     provider_util_fast_string(j, 0, "model", &c->served_model) == 0 &&
	     provider_util_fast_string(j, 0, "stop_reason", &c->finish_reason) == 0 &&
	     provider_util_fast_string(j, 0, "id", &c->response_id) == 0;
	c->tokens_in = input + read + creation;
	c->tokens_cached = read;
	c->tokens_cache_write = creation;
	return provider_util_fast_close(j, c, ok);
}

/* ---- streams ------------------------------------------------------------ */

typedef struct anthropic_fold {
	json_t *msg;      /* from message_start, completed as events come */
	json_t *partial;  /* per block index: the tool input JSON text so far */
	int stopped;
} anthropic_fold;

/* content_block_delta: text, thinking, signature or tool-input pieces. */
static int anthropic_fold_delta(anthropic_fold *f, const json_t *ev, um_error *err)
{
	json_t *idx = json_object_get(ev, "index"), *d = json_object_get(ev, "delta"), *blk;
	static const struct {
		const char *type, *field, *block_key;
	} kinds[] = {
		{"text_delta", "text", "text"},
		{"thinking_delta", "thinking", "thinking"},
		{"signature_delta", "signature", "signature"},
		{"input_json_delta", "partial_json", NULL},
	};
	const char *t = json_string_value(json_object_get(d, "type")), *old;
	char ikey[24];
	size_t i, k;

	blk = json_is_integer(idx) ? json_array_get(json_object_get(f->msg, "content"),
						    (size_t)json_integer_value(idx))
				   : NULL;
	if (!blk || !t)
		return um_fail(err, UM_ERR_PROTOCOL,
			       "stream: content_block_delta for a block that was not started");
	i = (size_t)json_integer_value(idx);
	for (k = 0; k < UM_ARRAY_LEN(kinds); k++) {
		json_t *piece = json_object_get(d, kinds[k].field), *into;
		const char *key = kinds[k].block_key;

		if (strcmp(t, kinds[k].type) != 0)
			continue;
		if (!json_is_string(piece))
			return um_fail(err, UM_ERR_PROTOCOL, "stream: %s.%s is %s, not a string",
				       t, kinds[k].field, provider_util_json_kind(piece));
		into = key ? blk : f->partial;
		if (!key) {
			snprintf(ikey, sizeof(ikey), "%zu", i);
			key = ikey;
		}
		old = json_string_value(json_object_get(into, key));
		json_object_set_new(into, key,
				    json_sprintf("%s%s", old ? old : "", json_string_value(piece)));
		return 0;
	}
	return 0; /* a delta kind this fold does not know: nothing to keep */
}

/* content_block_stop: a tool_use block gets its input parsed from the pieces. */
static int anthropic_fold_stop(anthropic_fold *f, const json_t *ev, um_error *err)
{
	json_t *idx = json_object_get(ev, "index"), *blk, *in;
	const char *text;
	char key[24];

	if (!json_is_integer(idx))
		return 0;
	blk = json_array_get(json_object_get(f->msg, "content"), (size_t)json_integer_value(idx));
	snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(idx));
	text = json_string_value(json_object_get(f->partial, key));
	if (!blk || !text || !*text)
		return 0;
	in = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(in)) {
		json_decref(in);
		return um_fail(err, UM_ERR_PROTOCOL,
			       "stream: the input of tool_use block %s is not a JSON object", key);
	}
	json_object_set_new(blk, "input", in);
	return 0;
}

/* message_delta: the stop reason and the final output count. */
static void anthropic_fold_message_delta(anthropic_fold *f, const json_t *ev)
{
	json_t *d = json_object_get(ev, "delta"), *u = json_object_get(ev, "usage"), *usage;
	const char *key;
	json_t *v;

	if (json_is_string(json_object_get(d, "stop_reason")))
		json_object_set(f->msg, "stop_reason", json_object_get(d, "stop_reason"));
	usage = json_object_get(f->msg, "usage");
	if (!json_is_object(usage)) {
		usage = json_object();
		json_object_set_new(f->msg, "usage", usage);
	}
	json_object_foreach(u, key, v)
	{
		if (!json_is_null(v))
			json_object_set(usage, key, v);
	}
}

static int anthropic_fold_event(void *ctx, const char *event, const char *data, um_error *err)
{
	anthropic_fold *f = ctx;
	json_t *ev = provider_util_json_loadb(data, strlen(data), JSON_REJECT_DUPLICATES, NULL);
	const char *t = json_string_value(json_object_get(ev, "type"));
	int rc = 0;

	(void)event;
	if (!json_is_object(ev) || !t) {
		json_decref(ev);
		return um_fail(err, UM_ERR_PROTOCOL,
			       "stream: an event's data is not a JSON object with a type");
	}
	if (strcmp(t, "error") == 0) {
		json_t *e = json_object_get(ev, "error");
		rc = um_fail(err, UM_ERR_PROTOCOL, "stream: error event: %s: %s",
			     json_string_value(json_object_get(e, "type"))
				 ? json_string_value(json_object_get(e, "type"))
				 : "?",
			     json_string_value(json_object_get(e, "message"))
				 ? json_string_value(json_object_get(e, "message"))
				 : "");
	} else if (strcmp(t, "message_start") == 0 &&
		   json_is_object(json_object_get(ev, "message"))) {
		json_decref(f->msg);
		f->msg = json_deep_copy(json_object_get(ev, "message"));
		if (!json_is_array(json_object_get(f->msg, "content")))
			json_object_set_new(f->msg, "content", json_array());
	} else if (!f->msg && strcmp(t, "ping") != 0) {
		rc = um_fail(err, UM_ERR_PROTOCOL, "stream: %s before message_start", t);
	} else if (strcmp(t, "content_block_start") == 0) {
		json_t *b = json_object_get(ev, "content_block");
		json_array_append_new(json_object_get(f->msg, "content"),
				      json_is_object(b) ? json_deep_copy(b) : json_object());
	} else if (strcmp(t, "content_block_delta") == 0) {
		rc = anthropic_fold_delta(f, ev, err);
	} else if (strcmp(t, "content_block_stop") == 0) {
		rc = anthropic_fold_stop(f, ev, err);
	} else if (strcmp(t, "message_delta") == 0) {
		anthropic_fold_message_delta(f, ev);
	} else if (strcmp(t, "message_stop") == 0) {
		f->stopped = 1;
	}
	json_decref(ev);
	return rc;
}

json_t *provider_anthropic_unstream(const char *body, size_t len, um_error *err)
{
	anthropic_fold f = {NULL, json_object(), 0};
	json_t *out = NULL;

	if (provider_util_sse_each(body, len, anthropic_fold_event, &f, err) == 0) {
		if (!f.stopped || !f.msg)
			um_fail(err, UM_ERR_PROTOCOL, "stream ended before message_stop");
		else
			out = json_incref(f.msg);
	}
	json_decref(f.msg);
	json_decref(f.partial);
	return out;
}

int provider_anthropic_token(const json_t *ev)
{
	const char *t = json_string_value(json_object_get(ev, "type"));

	return t && strcmp(t, "content_block_delta") == 0;
}
