/*
 * provider.c - the neutral request mapped onto the wire formats of OpenAI
 * chat completions and Anthropic messages, and their responses mapped back.
 *
 * Building: the neutral request {"messages": [...], "params": {...}} becomes
 *   OpenAI:    params at top level + "messages" + "model";
 *   Anthropic: system messages joined (blank line between) into "system",
 *              the rest as {"role","content"}, and only the parameters the
 *              messages API accepts (max_tokens, temperature, top_p, top_k,
 *              stop -> stop_sequences, metadata). Anything else is not sent
 *              and is named in `dropped`, so the report can say so.
 * The harness adds nothing the scaffold did not state: Anthropic requires
 * max_tokens, and a scaffold without it is an error, not a silent default.
 * Agent turns carry "tools" and tool-call / tool-result messages; both
 * mappings are described in provider.h. Each message is checked first, so
 * a malformed one (a result without tool_call_id, tool_calls that are not
 * a list) is an error naming its index, whichever the provider.
 *
 * Bodies are canonical JSON (compact, sorted keys, reals with the fewest
 * digits that read back to the same double), so two systems of one provider
 * that differ only in model send bodies whose hash without "model" is equal.
 *
 * Parsing: a 2xx body is checked against what the API promises; any
 * deviation is UM_ERR_PROTOCOL naming the member and what was found there
 * ("choices[0].message.content is a number"). No input crashes it.
 */
#include "exec/provider.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

/* Longest error text kept by provider_error_message(). */
#define PROVIDER_ERRMSG_MAX 1024
/* Token counts above this are not plausible and could overflow sums. */
#define PROVIDER_TOKENS_MAX ((int64_t)1 << 50)

/* ---- canonical JSON ---------------------------------------------------- */

/* Fewest significant digits (1..17) with which %g reads back as d. */
static int real_digits(double d)
{
	char tmp[40];
	int p;

	for (p = 1; p < 17; p++) {
		snprintf(tmp, sizeof(tmp), "%.*g", p, d);
		if (strtod(tmp, NULL) == d)
			return p;
	}
	return 17;
}

static void max_real_digits(const json_t *v, int *p)
{
	const char *key;
	json_t *child;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_REAL: {
		int d = real_digits(json_real_value(v));
		if (d > *p)
			*p = d;
		break;
	}
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, child) max_real_digits(child, p);
		break;
	case JSON_ARRAY:
		json_array_foreach(v, i, child) max_real_digits(child, p);
		break;
	default:
		break;
	}
}

char *json_canonical(const json_t *v)
{
	int digits = 1;

	if (!v)
		return NULL;
	/* One precision for the whole document: the largest any real needs.
	 * Every real then reads back exactly, and the choice depends only on
	 * the values, so equal documents give equal bytes. */
	max_real_digits(v, &digits);
	return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY |
				 JSON_REAL_PRECISION(digits));
}

static const char *json_kind(const json_t *v)
{
	if (!v)
		return "missing";
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "of an unknown type";
}

/* ---- building ---------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int has_line_break(const char *s)
{
	return strchr(s, '\r') || strchr(s, '\n');
}

/* Checks one tool call of an assistant message: {"id","name","arguments"}. */
static int neutral_tool_call(const um_system *sys, size_t i, size_t k, const json_t *tc,
			     um_error *err)
{
	static const char *const keys[] = {"id", "name", "arguments"};
	size_t j;

	if (!json_is_object(tc))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": messages[%zu].tool_calls[%zu] is %s, not an object",
			       sys->name, i, k, json_kind(tc));
	for (j = 0; j < UM_ARRAY_LEN(keys); j++) {
		json_t *v = json_object_get(tc, keys[j]);

		if (!json_is_string(v))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].tool_calls[%zu].%s is %s, "
				       "not a string",
				       sys->name, i, k, keys[j], json_kind(v));
		if (j < 2 && json_string_length(v) == 0)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].tool_calls[%zu].%s is empty",
				       sys->name, i, k, keys[j]);
	}
	return 0;
}

/* Checks one message of the neutral request (see provider.h). */
static int neutral_message(const um_system *sys, size_t i, const json_t *m, um_error *err)
{
	json_t *role = json_object_get(m, "role"), *content, *calls, *id, *tc;
	const char *r;
	size_t k;

	if (!json_is_object(m))
		return um_fail(err, UM_ERR_INVALID, "system \"%s\": messages[%zu] is %s", sys->name,
			       i, json_kind(m));
	if (!json_is_string(role))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": messages[%zu].role is %s, not a string", sys->name,
			       i, json_kind(role));
	r = json_string_value(role);
	content = json_object_get(m, "content");
	calls = json_object_get(m, "tool_calls");
	if (calls && !json_is_null(calls)) {
		if (strcmp(r, "assistant") != 0)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu] is a %s message with "
				       "tool_calls; only assistant messages carry tool calls",
				       sys->name, i, r);
		if (!json_is_array(calls))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].tool_calls is %s, not an "
				       "array",
				       sys->name, i, json_kind(calls));
		json_array_foreach(calls, k, tc)
		{
			if (neutral_tool_call(sys, i, k, tc, err) < 0)
				return -1;
		}
		if (json_array_size(calls) > 0) {
			/* The text beside tool calls may be empty or absent. */
			if (content && !json_is_null(content) && !json_is_string(content))
				return um_fail(err, UM_ERR_INVALID,
					       "system \"%s\": messages[%zu] has tool_calls and "
					       "content that is %s; expected text or null",
					       sys->name, i, json_kind(content));
			return 0;
		}
	}
	if (strcmp(r, "tool") == 0) {
		id = json_object_get(m, "tool_call_id");
		if (!json_is_string(id) || json_string_length(id) == 0)
			return um_fail(
			    err, UM_ERR_INVALID,
			    "system \"%s\": messages[%zu] is a \"tool\" result without a "
			    "tool_call_id (tool_call_id is %s)",
			    sys->name, i, json_is_string(id) ? "empty" : json_kind(id));
		if (!json_is_string(content))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu] is a tool result whose "
				       "content is %s, not text",
				       sys->name, i, json_kind(content));
		if (json_object_get(m, "name") && !json_is_string(json_object_get(m, "name")))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].name is %s, not a string",
				       sys->name, i, json_kind(json_object_get(m, "name")));
		return 0;
	}
	if (!content)
		return um_fail(err, UM_ERR_INVALID, "system \"%s\": messages[%zu] has no content",
			       sys->name, i);
	return 0;
}

/* Checks the tool definitions: [{"name","description","parameters"}]. */
static int neutral_tools(const um_system *sys, const json_t *tools, um_error *err)
{
	json_t *t, *name, *desc, *params, *u;
	size_t i, j;

	if (!json_is_array(tools))
		return um_fail(err, UM_ERR_INVALID, "system \"%s\": tools is %s, not a list",
			       sys->name, json_kind(tools));
	json_array_foreach(tools, i, t)
	{
		if (!json_is_object(t))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": tools[%zu] is %s, not an object", sys->name,
				       i, json_kind(t));
		name = json_object_get(t, "name");
		desc = json_object_get(t, "description");
		params = json_object_get(t, "parameters");
		if (!json_is_string(name))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": tools[%zu].name is %s, not a string",
				       sys->name, i, json_kind(name));
		if (json_string_length(name) == 0)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": tools[%zu].name is empty", sys->name, i);
		if (desc && !json_is_string(desc))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": tools[%zu].description is %s, not a string",
				       sys->name, i, json_kind(desc));
		if (!json_is_object(params))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": tools[%zu].parameters is %s, not a JSON "
				       "schema object",
				       sys->name, i, json_kind(params));
		for (j = 0; j < i; j++) {
			u = json_array_get(tools, j);
			if (json_equal(json_object_get(u, "name"), name))
				return um_fail(err, UM_ERR_INVALID,
					       "system \"%s\": tools[%zu] repeats the name \"%s\"",
					       sys->name, i, json_string_value(name));
		}
	}
	return 0;
}

/* Checks the neutral request's shape; *messages, *params and *tools are
 * borrowed (*params and *tools are NULL when absent, null or empty). */
static int neutral_split(const um_system *sys, const json_t *neutral, json_t **messages,
			 json_t **params, json_t **tools, um_error *err)
{
	json_t *m;
	size_t i;

	if (!json_is_object(neutral))
		return um_fail(err, UM_ERR_INTERNAL,
			       "system \"%s\": neutral request is %s, not an object", sys->name,
			       json_kind(neutral));
	*messages = json_object_get(neutral, "messages");
	if (!json_is_array(*messages) || json_array_size(*messages) == 0)
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": the request has no messages (messages is %s)",
			       sys->name, json_kind(*messages));
	json_array_foreach(*messages, i, m)
	{
		if (neutral_message(sys, i, m, err) < 0)
			return -1;
	}
	*tools = json_object_get(neutral, "tools");
	if (*tools && json_is_null(*tools))
		*tools = NULL;
	if (*tools && neutral_tools(sys, *tools, err) < 0)
		return -1;
	if (*tools && json_array_size(*tools) == 0)
		*tools = NULL; /* nothing to offer: sent as a request without tools */
	*params = json_object_get(neutral, "params");
	if (*params && !json_is_null(*params) && !json_is_object(*params))
		return um_fail(err, UM_ERR_INVALID, "system \"%s\": params is %s, not a map",
			       sys->name, json_kind(*params));
	if (*params && json_is_null(*params))
		*params = NULL;
	if (*params && json_is_true(json_object_get(*params, "stream")))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": params.stream is true; streamed responses are not "
			       "supported",
			       sys->name);
	if (*params && json_object_get(*params, "tools"))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": params may not set \"tools\"; tools come from "
			       "the scaffold's tools",
			       sys->name);
	return 0;
}

/* Does message m carry a non-empty tool_calls array? */
static int has_tool_calls(const json_t *m)
{
	json_t *calls = json_object_get(m, "tool_calls");

	return json_is_array(calls) && json_array_size(calls) > 0;
}

/* One neutral message in OpenAI's shape. Plain messages go as they are;
 * tool calls get their "type" and "function" wrapper; a tool result keeps
 * only role, tool_call_id and content. */
static json_t *openai_message(const json_t *m)
{
	const char *role = json_string_value(json_object_get(m, "role"));
	json_t *content = json_object_get(m, "content"), *out, *calls, *tc;
	size_t i;

	if (strcmp(role, "tool") == 0)
		return json_pack("{s:s,s:O,s:O}", "role", "tool", "tool_call_id",
				 json_object_get(m, "tool_call_id"), "content", content);
	if (!has_tool_calls(m)) {
		out = json_deep_copy(m);
		json_object_del(out, "tool_calls"); /* null or [] */
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

static json_t *openai_body(const um_system *sys, json_t *messages, json_t *params, json_t *tools,
			   um_error *err)
{
	json_t *body = params ? json_deep_copy(params) : json_object(), *msgs, *m, *t;
	size_t i;

	if (json_object_get(body, "model") || json_object_get(body, "messages")) {
		json_decref(body);
		um_fail(err, UM_ERR_INVALID,
			"system \"%s\": params may not set \"model\" or \"messages\"", sys->name);
		return NULL;
	}
	msgs = json_array();
	json_array_foreach(messages, i, m) json_array_append_new(msgs, openai_message(m));
	json_object_set_new(body, "messages", msgs);
	if (tools) {
		json_t *list = json_array();

		json_array_foreach(tools, i, t)
		{
			json_t *fn = json_pack("{s:O,s:O}", "name", json_object_get(t, "name"),
					       "parameters", json_object_get(t, "parameters"));

			if (json_object_get(t, "description"))
				json_object_set(fn, "description",
						json_object_get(t, "description"));
			json_array_append_new(
			    list, json_pack("{s:s,s:o}", "type", "function", "function", fn));
		}
		json_object_set_new(body, "tools", list);
	}
	json_object_set_new(body, "model", json_string(sys->model));
	return body;
}

/* Parameters the Anthropic messages API accepts, and their names there. */
static const struct {
	const char *neutral;
	const char *wire;
} anthropic_params[] = {
    {"max_tokens", "max_tokens"}, {"metadata", "metadata"},
    {"stop", "stop_sequences"},	  {"stop_sequences", "stop_sequences"},
    {"stream", "stream"},	  {"temperature", "temperature"},
    {"top_k", "top_k"},		  {"top_p", "top_p"},
};

/* An assistant message with tool calls as Anthropic content blocks: the
 * text (when there is any), then one tool_use per call whose input is the
 * arguments parsed as a JSON object, or {} when they are not one. */
static json_t *anthropic_tool_use(const json_t *m)
{
	json_t *content = json_object_get(m, "content"), *blocks = json_array(), *tc;
	size_t i;

	if (json_is_string(content) && json_string_length(content) > 0)
		json_array_append_new(blocks,
				      json_pack("{s:s,s:O}", "type", "text", "text", content));
	json_array_foreach(json_object_get(m, "tool_calls"), i, tc)
	{
		const char *args = json_string_value(json_object_get(tc, "arguments"));
		json_t *input = json_loads(args, JSON_REJECT_DUPLICATES, NULL);

		if (!json_is_object(input)) {
			json_decref(input);
			input = json_object();
		}
		json_array_append_new(blocks,
				      json_pack("{s:s,s:O,s:O,s:o}", "type", "tool_use", "id",
						json_object_get(tc, "id"), "name",
						json_object_get(tc, "name"), "input", input));
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

static json_t *anthropic_body(const um_system *sys, json_t *messages, json_t *params, json_t *tools,
			      char **dropped, um_error *err)
{
	json_t *body = json_object(), *msgs = json_array(), *m, *v;
	json_t *results = NULL; /* blocks of the user message that collects tool results */
	um_buf system = UM_BUF_INIT;
	const char **drop = NULL;
	size_t n_drop = 0, cap_drop = 0, i, k;
	const char *key;
	int n_system = 0;

	um_buf_init(&system, 0);
	json_array_foreach(messages, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");

		if (strcmp(role, "system") == 0) {
			if (!json_is_string(content)) {
				um_fail(err, UM_ERR_INVALID,
					"system \"%s\": messages[%zu] is a system message whose "
					"content is %s; Anthropic takes system text only",
					sys->name, i, json_kind(content));
				goto fail;
			}
			if (n_system++)
				um_buf_puts(&system, "\n\n");
			um_buf_puts(&system, json_string_value(content));
		} else if (strcmp(role, "tool") == 0) {
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
		} else if (strcmp(role, "assistant") == 0 && has_tool_calls(m)) {
			json_array_append_new(msgs, anthropic_tool_use(m));
			results = NULL;
		} else if (strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0) {
			json_array_append_new(
			    msgs, json_pack("{s:s,s:O}", "role", role, "content", content));
			results = NULL;
		} else {
			um_fail(err, UM_ERR_INVALID,
				"system \"%s\": messages[%zu].role \"%s\" has no Anthropic "
				"equivalent (system, user, assistant, tool)",
				sys->name, i, role);
			goto fail;
		}
	}
	if (json_array_size(msgs) == 0) {
		um_fail(err, UM_ERR_INVALID,
			"system \"%s\": Anthropic needs at least one user or assistant message",
			sys->name);
		goto fail;
	}
	if (!params || !json_object_get(params, "max_tokens") ||
	    json_is_null(json_object_get(params, "max_tokens"))) {
		um_fail(err, UM_ERR_INVALID,
			"system \"%s\": params has no max_tokens; Anthropic requires max_tokens "
			"and the harness injects no default (state it in the scaffold's params)",
			sys->name);
		goto fail;
	}
	if (json_object_get(params, "stop") && json_object_get(params, "stop_sequences")) {
		um_fail(err, UM_ERR_INVALID,
			"system \"%s\": params sets both stop and stop_sequences", sys->name);
		goto fail;
	}
	json_object_foreach(params, key, v)
	{
		for (k = 0; k < UM_ARRAY_LEN(anthropic_params); k++)
			if (strcmp(key, anthropic_params[k].neutral) == 0)
				break;
		if (k == UM_ARRAY_LEN(anthropic_params)) {
			um_xgrow((void **)&drop, &cap_drop, n_drop + 1, sizeof(*drop));
			drop[n_drop++] = key;
			continue;
		}
		if (strcmp(anthropic_params[k].wire, "stop_sequences") == 0) {
			if (json_is_string(v)) {
				json_object_set_new(body, "stop_sequences", json_pack("[O]", v));
				continue;
			}
			if (!json_is_array(v)) {
				um_fail(err, UM_ERR_INVALID,
					"system \"%s\": params.%s is %s; expected a string or a "
					"list of strings",
					sys->name, key, json_kind(v));
				goto fail;
			}
		}
		json_object_set_new(body, anthropic_params[k].wire, json_deep_copy(v));
	}
	if (n_system)
		json_object_set_new(body, "system", json_string(um_buf_str(&system)));
	if (tools)
		json_object_set_new(body, "tools", anthropic_tools(tools));
	json_object_set_new(body, "messages", msgs);
	json_object_set_new(body, "model", json_string(sys->model));
	msgs = NULL;
	if (n_drop) {
		um_buf list = UM_BUF_INIT;

		um_buf_init(&list, 0);
		qsort(drop, n_drop, sizeof(*drop), cmp_str);
		for (k = 0; k < n_drop; k++)
			um_buf_printf(&list, "%s%s", k ? "," : "", drop[k]);
		*dropped = um_buf_detach(&list);
	}
	free(drop);
	um_buf_release(&system);
	return body;
fail:
	free(drop);
	um_buf_release(&system);
	json_decref(msgs);
	json_decref(body);
	return NULL;
}

static void add_header(um_wire_request *w, char *line)
{
	w->headers = um_xrealloc(w->headers, sizeof(char *) * (size_t)(w->n_headers + 1));
	w->headers[w->n_headers++] = line;
}

static char *join_url(const char *base, const char *path)
{
	size_t n = strlen(base);

	if (n && base[n - 1] == '/')
		n--;
	return um_xasprintf("%.*s%s", (int)n, base, path);
}

int provider_build(const um_system *sys, const json_t *neutral, um_wire_request *out, um_error *err)
{
	json_t *messages, *params, *tools, *body = NULL;
	const char *key = NULL;
	char *text;
	int i;

	memset(out, 0, sizeof(*out));
	if (neutral_split(sys, neutral, &messages, &params, &tools, err) < 0)
		return -1;
	if (sys->api_key_env) {
		key = getenv(sys->api_key_env);
		if (!key || !*key)
			return um_fail(
			    err, UM_ERR_INVALID,
			    "system \"%s\": environment variable %s (api_key_env) is not "
			    "set",
			    sys->name, sys->api_key_env);
		if (has_line_break(key))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": environment variable %s holds a line break",
				       sys->name, sys->api_key_env);
	}
	for (i = 0; i < sys->n_headers; i++)
		if (has_line_break(sys->header_names[i]) || has_line_break(sys->header_values[i]))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": header %s holds a line break", sys->name,
				       sys->header_names[i]);

	if (sys->provider == UM_PROV_ANTHROPIC)
		body = anthropic_body(sys, messages, params, tools, &out->dropped, err);
	else
		body = openai_body(sys, messages, params, tools, err);
	if (!body)
		return -1;

	out->body = json_canonical(body);
	out->body_len = strlen(out->body);
	json_object_del(body, "model");
	text = json_canonical(body);
	um_sha256_hex(text, strlen(text), out->body_hash);
	free(text);
	json_decref(body);

	add_header(out, um_xstrdup("Content-Type: application/json"));
	if (sys->provider == UM_PROV_ANTHROPIC) {
		out->url = join_url(sys->base_url, "/messages");
		if (key)
			add_header(out, um_xasprintf("x-api-key: %s", key));
		add_header(out, um_xasprintf("anthropic-version: %s", sys->anthropic_version
									  ? sys->anthropic_version
									  : "2023-06-01"));
	} else {
		out->url = join_url(sys->base_url, "/chat/completions");
		if (key)
			add_header(out, um_xasprintf("Authorization: Bearer %s", key));
	}
	for (i = 0; i < sys->n_headers; i++)
		add_header(out,
			   um_xasprintf("%s: %s", sys->header_names[i], sys->header_values[i]));
	return 0;
}

json_t *provider_assistant_message(const um_completion *c)
{
	json_t *m = json_pack("{s:s,s:s}", "role", "assistant", "content",
			      c->content ? c->content : "");

	if (json_is_array(c->tool_calls) && json_array_size(c->tool_calls) > 0)
		json_object_set_new(m, "tool_calls", json_deep_copy(c->tool_calls));
	return m;
}

json_t *provider_tool_message(const char *tool_call_id, const char *name, const char *content)
{
	json_t *m = json_pack("{s:s,s:s,s:s}", "role", "tool", "tool_call_id",
			      tool_call_id ? tool_call_id : "", "content", content ? content : "");

	if (name)
		json_object_set_new(m, "name", json_string(name));
	return m;
}

void wire_request_release(um_wire_request *w)
{
	int i;

	if (!w)
		return;
	free(w->url);
	free(w->body);
	for (i = 0; i < w->n_headers; i++)
		free(w->headers[i]);
	free(w->headers);
	free(w->dropped);
	memset(w, 0, sizeof(*w));
}

/* ---- parsing ----------------------------------------------------------- */

/* A string member: required or optional (missing/null -> NULL). */
static int get_string(const json_t *obj, const char *key, const char *path, int required,
		      char **out, um_error *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (json_is_string(v)) {
		*out = um_xstrndup(json_string_value(v), json_string_length(v));
		return 0;
	}
	if ((!v || json_is_null(v)) && !required)
		return 0;
	return um_fail(err, UM_ERR_PROTOCOL, "%s%s is %s, not a string", path, key, json_kind(v));
}

/* A token count: a non-negative integer; optional ones may be missing or null (0). */
static int get_count(const json_t *obj, const char *key, const char *path, int required,
		     int64_t *out, um_error *err)
{
	json_t *v = json_object_get(obj, key);

	*out = 0;
	if ((!v || json_is_null(v)) && !required)
		return 0;
	if (!json_is_integer(v))
		return um_fail(err, UM_ERR_PROTOCOL, "%s%s is %s, not an integer", path, key,
			       json_is_real(v) ? "a fractional number" : json_kind(v));
	if (json_integer_value(v) < 0)
		return um_fail(err, UM_ERR_PROTOCOL, "%s%s is negative (%lld)", path, key,
			       (long long)json_integer_value(v));
	if (json_integer_value(v) > PROVIDER_TOKENS_MAX)
		return um_fail(err, UM_ERR_PROTOCOL, "%s%s is implausibly large (%lld)", path, key,
			       (long long)json_integer_value(v));
	*out = json_integer_value(v);
	return 0;
}

static int get_routing(const json_t *root, um_completion *c, um_error *err)
{
	json_t *r = json_object_get(root, "routing");

	if (!r || json_is_null(r))
		return 0;
	if (!json_is_object(r) && !json_is_array(r))
		return um_fail(err, UM_ERR_PROTOCOL, "routing is %s, not an object or array",
			       json_kind(r));
	c->routing = json_deep_copy(r);
	return 0;
}

static int openai_tool_calls(const json_t *arr, um_completion *c, um_error *err)
{
	json_t *tc, *out;
	size_t i;

	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "choices[0].message.tool_calls is %s, not an array", json_kind(arr));
	if (json_array_size(arr) == 0)
		return 0;
	out = json_array();
	c->tool_calls = out;
	json_array_foreach(arr, i, tc)
	{
		json_t *fn = json_object_get(tc, "function");
		json_t *id = json_object_get(tc, "id");
		json_t *name = json_object_get(fn, "name");
		json_t *args = json_object_get(fn, "arguments");

		if (!json_is_object(tc))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "choices[0].message.tool_calls[%zu] is %s, not an object", i,
				       json_kind(tc));
		if (!json_is_string(id))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "choices[0].message.tool_calls[%zu].id is %s, not a string",
				       i, json_kind(id));
		if (!json_is_object(fn))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "choices[0].message.tool_calls[%zu].function is %s, not an "
				       "object",
				       i, json_kind(fn));
		if (!json_is_string(name))
			return um_fail(
			    err, UM_ERR_PROTOCOL,
			    "choices[0].message.tool_calls[%zu].function.name is %s, not "
			    "a string",
			    i, json_kind(name));
		if (!json_is_string(args))
			return um_fail(
			    err, UM_ERR_PROTOCOL,
			    "choices[0].message.tool_calls[%zu].function.arguments is %s, "
			    "not a string",
			    i, json_kind(args));
		json_array_append_new(
		    out, json_pack("{s:O,s:O,s:O}", "id", id, "name", name, "arguments", args));
	}
	return 0;
}

static int openai_parse(const json_t *root, um_completion *c, um_error *err)
{
	json_t *choices = json_object_get(root, "choices"), *ch, *msg, *content, *usage, *det;

	if (!json_is_array(choices))
		return um_fail(err, UM_ERR_PROTOCOL, "choices is %s, not an array",
			       json_kind(choices));
	if (json_array_size(choices) == 0)
		return um_fail(err, UM_ERR_PROTOCOL, "choices is empty");
	ch = json_array_get(choices, 0);
	if (!json_is_object(ch))
		return um_fail(err, UM_ERR_PROTOCOL, "choices[0] is %s, not an object",
			       json_kind(ch));
	msg = json_object_get(ch, "message");
	if (!json_is_object(msg))
		return um_fail(err, UM_ERR_PROTOCOL, "choices[0].message is %s, not an object",
			       json_kind(msg));
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
			       json_kind(content),
			       content && !json_is_null(content) ? ", not a string"
								 : " and there are no tool_calls");
	}
	if (get_string(ch, "finish_reason", "choices[0].", 0, &c->finish_reason, err) < 0)
		return -1;

	usage = json_object_get(root, "usage");
	if (!json_is_object(usage))
		return um_fail(err, UM_ERR_PROTOCOL, "usage is %s, not an object",
			       json_kind(usage));
	if (get_count(usage, "prompt_tokens", "usage.", 1, &c->tokens_in, err) < 0 ||
	    get_count(usage, "completion_tokens", "usage.", 1, &c->tokens_out, err) < 0)
		return -1;
	det = json_object_get(usage, "prompt_tokens_details");
	if (det && !json_is_null(det)) {
		if (!json_is_object(det))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "usage.prompt_tokens_details is %s, not an object",
				       json_kind(det));
		if (get_count(det, "cached_tokens", "usage.prompt_tokens_details.", 0,
			      &c->tokens_cached, err) < 0)
			return -1;
		if (c->tokens_cached > c->tokens_in)
			return um_fail(err, UM_ERR_PROTOCOL,
				       "usage.prompt_tokens_details.cached_tokens (%lld) exceeds "
				       "usage.prompt_tokens (%lld)",
				       (long long)c->tokens_cached, (long long)c->tokens_in);
	}
	if (get_string(root, "model", "", 0, &c->served_model, err) < 0 ||
	    get_string(root, "system_fingerprint", "", 0, &c->fingerprint, err) < 0 ||
	    get_string(root, "id", "", 0, &c->response_id, err) < 0)
		return -1;
	return 0;
}

static int anthropic_parse(const json_t *root, um_completion *c, um_error *err)
{
	json_t *type = json_object_get(root, "type"), *content, *blk, *usage;
	int64_t input, read, creation;
	um_buf text = UM_BUF_INIT;
	size_t i;

	if (type && !(json_is_string(type) && strcmp(json_string_value(type), "message") == 0)) {
		if (json_is_string(type))
			return um_fail(err, UM_ERR_PROTOCOL, "type is \"%s\", not \"message\"",
				       json_string_value(type));
		return um_fail(err, UM_ERR_PROTOCOL, "type is %s, not a string", json_kind(type));
	}
	content = json_object_get(root, "content");
	if (!json_is_array(content))
		return um_fail(err, UM_ERR_PROTOCOL, "content is %s, not an array",
			       json_kind(content));
	um_buf_init(&text, 0);
	json_array_foreach(content, i, blk)
	{
		json_t *bt = json_object_get(blk, "type");
		const char *t;

		if (!json_is_object(blk)) {
			um_fail(err, UM_ERR_PROTOCOL, "content[%zu] is %s, not an object", i,
				json_kind(blk));
			goto fail;
		}
		if (!json_is_string(bt)) {
			um_fail(err, UM_ERR_PROTOCOL, "content[%zu].type is %s, not a string", i,
				json_kind(bt));
			goto fail;
		}
		t = json_string_value(bt);
		if (strcmp(t, "text") == 0) {
			json_t *s = json_object_get(blk, "text");
			if (!json_is_string(s)) {
				um_fail(err, UM_ERR_PROTOCOL,
					"content[%zu].text is %s, not a string", i, json_kind(s));
				goto fail;
			}
			um_buf_append(&text, json_string_value(s), json_string_length(s));
		} else if (strcmp(t, "tool_use") == 0) {
			json_t *id = json_object_get(blk, "id"),
			       *name = json_object_get(blk, "name");
			json_t *input_v = json_object_get(blk, "input");
			char *args;

			if (!json_is_string(id) || !json_is_string(name)) {
				um_fail(err, UM_ERR_PROTOCOL, "content[%zu].%s is %s, not a string",
					i, json_is_string(id) ? "name" : "id",
					json_kind(json_is_string(id) ? name : id));
				goto fail;
			}
			if (!json_is_object(input_v)) {
				um_fail(err, UM_ERR_PROTOCOL,
					"content[%zu].input is %s, not an object", i,
					json_kind(input_v));
				goto fail;
			}
			if (!c->tool_calls)
				c->tool_calls = json_array();
			args = json_canonical(input_v);
			json_array_append_new(
			    c->tool_calls,
			    json_pack("{s:O,s:O,s:s}", "id", id, "name", name, "arguments", args));
			free(args);
		}
		/* Other block kinds (thinking, redacted_thinking, ...) carry no answer. */
	}
	c->content = um_buf_detach(&text);

	usage = json_object_get(root, "usage");
	if (!json_is_object(usage))
		return um_fail(err, UM_ERR_PROTOCOL, "usage is %s, not an object",
			       json_kind(usage));
	if (get_count(usage, "input_tokens", "usage.", 1, &input, err) < 0 ||
	    get_count(usage, "output_tokens", "usage.", 1, &c->tokens_out, err) < 0 ||
	    get_count(usage, "cache_read_input_tokens", "usage.", 0, &read, err) < 0 ||
	    get_count(usage, "cache_creation_input_tokens", "usage.", 0, &creation, err) < 0)
		return -1;
	c->tokens_in = input + read + creation;
	c->tokens_cached = read;
	if (get_string(root, "model", "", 0, &c->served_model, err) < 0 ||
	    get_string(root, "stop_reason", "", 0, &c->finish_reason, err) < 0 ||
	    get_string(root, "id", "", 0, &c->response_id, err) < 0)
		return -1;
	return 0;
fail:
	um_buf_release(&text);
	return -1;
}

int provider_parse(um_provider p, const char *body, size_t len, um_completion *out, um_error *err)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!body || len == 0)
		return um_fail(err, UM_ERR_PROTOCOL, "response body is empty");
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root)
		return um_fail(err, UM_ERR_PROTOCOL,
			       "response is not JSON (line %d, column %d: %s)", jerr.line,
			       jerr.column, jerr.text);
	if (!json_is_object(root)) {
		rc =
		    um_fail(err, UM_ERR_PROTOCOL, "response is %s, not an object", json_kind(root));
	} else {
		rc = p == UM_PROV_ANTHROPIC ? anthropic_parse(root, out, err)
					    : openai_parse(root, out, err);
		if (rc == 0)
			rc = get_routing(root, out, err);
	}
	json_decref(root);
	if (rc < 0)
		completion_release(out);
	return rc;
}

void completion_release(um_completion *c)
{
	if (!c)
		return;
	free(c->content);
	free(c->served_model);
	free(c->fingerprint);
	free(c->finish_reason);
	free(c->response_id);
	json_decref(c->tool_calls);
	json_decref(c->routing);
	memset(c, 0, sizeof(*c));
}

char *provider_error_message(const char *body, size_t len)
{
	json_t *root, *e, *msg = NULL;
	char *out = NULL;
	size_t n;

	if (!body || len == 0)
		return NULL;
	root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root))
		goto done;
	e = json_object_get(root, "error");
	if (json_is_object(e))
		msg = json_object_get(e, "message");
	else if (json_is_string(e))
		msg = e;
	if (!json_is_string(msg) || json_string_length(msg) == 0)
		goto done;
	n = json_string_length(msg);
	if (n > PROVIDER_ERRMSG_MAX) {
		/* Cut on a UTF-8 character boundary. */
		n = PROVIDER_ERRMSG_MAX;
		while (n > 0 && ((unsigned char)json_string_value(msg)[n] & 0xC0) == 0x80)
			n--;
	}
	out = um_xstrndup(json_string_value(msg), n);
	/* Keep the calls table one line per error. */
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
done:
	json_decref(root);
	return out;
}
