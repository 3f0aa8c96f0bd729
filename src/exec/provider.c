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

#include <curl/curl.h>
#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/redact.h"
#include "base/buf.h"
#include "base/util.h"
#include "exec/provider_impl.h"

/* Longest error text kept by provider_error_message(). */
#define PROVIDER_ERRMSG_MAX 1024

static const char *json_kind(const json_t *v)
{
	return provider_util_json_kind(v);
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

#define B64_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="

/* Content parts of a user message: text parts and base64 images of the four
 * media types every family takes. */
static int neutral_parts(const um_system *sys, size_t i, const json_t *parts, um_error *err)
{
	static const char *const types[] = {"image/png", "image/jpeg", "image/gif", "image/webp"};
	const json_t *p, *v;
	size_t k, t;

	if (json_array_size(parts) == 0)
		return um_fail(err, UM_ERR_INVALID, "system \"%s\": messages[%zu].content is an "
			       "empty array", sys->name, i);
	json_array_foreach(parts, k, p)
	{
		const char *type = json_string_value(json_object_get(p, "type"));

		if (type && strcmp(type, "text") == 0) {
			if (!json_is_string(json_object_get(p, "text")))
				return um_fail(err, UM_ERR_INVALID,
					       "system \"%s\": messages[%zu].content[%zu].text is "
					       "%s, not a string",
					       sys->name, i, k, json_kind(json_object_get(p, "text")));
			continue;
		}
		if (!type || strcmp(type, "image") != 0)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].content[%zu] is neither a text "
				       "nor an image part",
				       sys->name, i, k);
		v = json_object_get(p, "media_type");
		for (t = 0; t < 4 && !(json_is_string(v) &&
				       strcmp(json_string_value(v), types[t]) == 0);
		     t++)
			;
		if (t == 4)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].content[%zu].media_type is "
				       "not image/png, image/jpeg, image/gif or image/webp",
				       sys->name, i, k);
		v = json_object_get(p, "data");
		if (!json_is_string(v) || json_string_length(v) == 0 ||
		    json_string_length(v) % 4 != 0 ||
		    strspn(json_string_value(v), B64_ALPHABET) != json_string_length(v))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu].content[%zu].data is not "
				       "base64 text",
				       sys->name, i, k);
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
	if (json_is_array(content)) {
		if (strcmp(r, "user") != 0)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": messages[%zu] is a %s message with content "
				       "parts; only user messages carry images",
				       sys->name, i, r);
		return neutral_parts(sys, i, content, err);
	}
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
	if (*params && (json_object_get(*params, "stream") ||
			json_object_get(*params, "stream_options")))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": params may not set stream or stream_options; "
			       "streaming is a setting of the system (stream: true in models.yaml), "
			       "so every system gets the same body",
			       sys->name);
	if (*params && json_object_get(*params, "tools"))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": params may not set \"tools\"; tools come from "
			       "the scaffold's tools",
			       sys->name);
	return 0;
}

/* Checks the neutral "reasoning": {"effort": word, "budget_tokens": n}. */
static int neutral_reasoning(const um_system *sys, const json_t *neutral, const char **effort,
			     int64_t *budget, um_error *err)
{
	json_t *r = json_object_get(neutral, "reasoning"), *e, *b;
	const char *key;
	json_t *v;

	*effort = NULL;
	*budget = -1;
	if (!r || json_is_null(r))
		return 0;
	if (!json_is_object(r))
		return um_fail(err, UM_ERR_INVALID, "system \"%s\": reasoning is %s, not a map",
			       sys->name, json_kind(r));
	json_object_foreach(r, key, v)
	{
		if (strcmp(key, "effort") != 0 && strcmp(key, "budget_tokens") != 0)
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": reasoning.%s is not a reasoning setting "
				       "(effort, budget_tokens)",
				       sys->name, key);
	}
	e = json_object_get(r, "effort");
	b = json_object_get(r, "budget_tokens");
	if (e && (!json_is_string(e) || json_string_length(e) == 0))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": reasoning.effort is %s, not a word", sys->name,
			       json_kind(e));
	if (b && (!json_is_integer(b) || json_integer_value(b) < 0))
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": reasoning.budget_tokens is %s, not a count of "
			       "tokens",
			       sys->name, json_kind(b));
	*effort = e ? json_string_value(e) : NULL;
	*budget = b ? json_integer_value(b) : -1;
	return 0;
}

/* ---- what the families share ------------------------------------------- */

/* The family's body for the job. */
static json_t *provider_family_body(prov_job *j)
{
	switch (j->sys->provider) {
	case UM_PROV_ANTHROPIC:
		return provider_anthropic_body(j);
	case UM_PROV_GEMINI:
		return provider_gemini_body(j);
	case UM_PROV_BEDROCK:
		return provider_bedrock_body(j);
	case UM_PROV_OPENAI:
	case UM_PROV_AZURE:
		break;
	}
	return provider_openai_body(j);
}

/* ---- URLs --------------------------------------------------------------- */

/* A system's request URL is the same for each of its requests, and
 * libcurl's parser takes ~13k instructions to join it: each thread keeps
 * the last few it joined, keyed by everything provider_url reads. */
#define URL_MEMO 8
typedef struct {
	char *key[URL_MEMO], *url[URL_MEMO];
	size_t key_len[URL_MEMO];
	int next;
} url_memo;

static pthread_key_t url_memo_key;
static int url_memo_ok;
static pthread_once_t url_memo_once = PTHREAD_ONCE_INIT;

static void url_memo_free(void *p)
{
	url_memo *m = p;
	int i;

	for (i = 0; i < URL_MEMO; i++) {
		free(m->key[i]);
		free(m->url[i]);
	}
	free(m);
}

static void url_memo_init(void)
{
	url_memo_ok = pthread_key_create(&url_memo_key, url_memo_free) == 0;
}

/* This thread's memo, or NULL (then every URL is joined). */
static url_memo *url_memo_get(void)
{
	url_memo *m;

	pthread_once(&url_memo_once, url_memo_init);
	if (!url_memo_ok)
		return NULL;
	m = pthread_getspecific(url_memo_key);
	if (!m) {
		m = um_xcalloc(1, sizeof(*m));
		if (pthread_setspecific(url_memo_key, m) != 0) {
			free(m);
			return NULL;
		}
	}
	return m;
}

static char *provider_url_join(const char *base, const char *const *segs, int n_segs,
			       int encode, const char *query);

/* base joined with path segments (each percent-encoded when `encode`) and a
 * query, with libcurl's URL parser (once per thread and distinct inputs).
 * NULL when libcurl refuses. */
static char *provider_url(const char *base, const char *const *segs, int n_segs, int encode,
			  const char *query)
{
	url_memo *m = url_memo_get();
	um_buf k = UM_BUF_INIT;
	char *url = NULL;
	int i;

	if (!m)
		return provider_url_join(base, segs, n_segs, encode, query);
	/* the inputs, each ended by a NUL (none holds one); a query's absence
	 * and an empty one differ by the leading flag */
	um_buf_init(&k, 0);
	um_buf_append(&k, encode ? (query ? "eq" : "e-") : (query ? "rq" : "r-"), 3);
	um_buf_append(&k, base, strlen(base) + 1);
	for (i = 0; i < n_segs; i++)
		um_buf_append(&k, segs[i], strlen(segs[i]) + 1);
	if (query)
		um_buf_append(&k, query, strlen(query) + 1);
	for (i = 0; i < URL_MEMO; i++)
		if (m->key[i] && m->key_len[i] == k.len && memcmp(m->key[i], k.data, k.len) == 0) {
			url = um_xstrdup(m->url[i]);
			break;
		}
	if (!url && (url = provider_url_join(base, segs, n_segs, encode, query))) {
		i = m->next;
		m->next = (m->next + 1) % URL_MEMO;
		free(m->key[i]);
		free(m->url[i]);
		m->key_len[i] = k.len;
		m->key[i] = um_buf_detach(&k);
		m->url[i] = um_xstrdup(url);
	}
	um_buf_release(&k);
	return url;
}

static char *provider_url_join(const char *base, const char *const *segs, int n_segs,
			       int encode, const char *query)
{
	CURLU *h = curl_url();
	char *path = NULL, *url = NULL, *out = NULL;
	um_buf p = UM_BUF_INIT;
	int i;

	if (!h)
		return NULL;
	um_buf_init(&p, 0);
	if (curl_url_set(h, CURLUPART_URL, base, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto done;
	um_buf_puts(&p, path);
	while (p.len && p.data[p.len - 1] == '/')
		p.data[--p.len] = '\0';
	for (i = 0; i < n_segs; i++) {
		if (encode && i % 2 == 1) {
			char *e = curl_easy_escape(NULL, segs[i], 0);
			if (!e)
				goto done;
			um_buf_puts(&p, e);
			curl_free(e);
		} else {
			um_buf_puts(&p, segs[i]);
		}
	}
	if (curl_url_set(h, CURLUPART_PATH, um_buf_str(&p), 0) != CURLUE_OK ||
	    (query && curl_url_set(h, CURLUPART_QUERY, query, 0) != CURLUE_OK) ||
	    curl_url_get(h, CURLUPART_URL, &url, 0) != CURLUE_OK)
		goto done;
	out = um_xstrdup(url);
	for (i = 0; out[i]; i++) /* %3a -> %3A: the form AWS signs and documents */
		if (out[i] == '%' && out[i + 1] && out[i + 2]) {
			out[i + 1] = (char)(out[i + 1] >= 'a' && out[i + 1] <= 'f' ? out[i + 1] - 32
										: out[i + 1]);
			out[i + 2] = (char)(out[i + 2] >= 'a' && out[i + 2] <= 'f' ? out[i + 2] - 32
										: out[i + 2]);
		}
done:
	curl_free(path);
	curl_free(url);
	um_buf_release(&p);
	curl_url_cleanup(h);
	return out;
}

/* The request URL of sys: the family's path (odd segments are names to
 * encode: the deployment, the model) and query. */
static char *provider_request_url(const um_system *sys, int stream)
{
	char *query, *url;

	switch (sys->provider) {
	case UM_PROV_ANTHROPIC: {
		const char *segs[] = {"/messages"};
		return provider_url(sys->base_url, segs, 1, 0, NULL);
	}
	case UM_PROV_AZURE: {
		const char *segs[] = {"/openai/deployments/",
				      sys->deployment ? sys->deployment : sys->model,
				      "/chat/completions"};
		query = um_xasprintf("api-version=%s", sys->api_version);
		url = provider_url(sys->base_url, segs, 3, 1, query);
		free(query);
		return url;
	}
	case UM_PROV_GEMINI: {
		const char *segs[] = {"/models/", sys->model,
				      stream ? ":streamGenerateContent" : ":generateContent"};
		return provider_url(sys->base_url, segs, 3, 1, stream ? "alt=sse" : NULL);
	}
	case UM_PROV_BEDROCK: {
		const char *segs[] = {"/model/", sys->model,
				      stream ? "/converse-stream" : "/converse"};
		return provider_url(sys->base_url, segs, 3, 1, NULL);
	}
	case UM_PROV_OPENAI:
		break;
	}
	{
		const char *segs[] = {"/chat/completions"};
		return provider_url(sys->base_url, segs, 1, 0, NULL);
	}
}

static void add_header(um_wire_request *w, char *line)
{
	w->headers = um_xrealloc(w->headers, sizeof(char *) * (size_t)(w->n_headers + 1));
	w->headers[w->n_headers++] = line;
}

/* The value of environment variable name, checked; *out NULL when unset
 * and optional. */
static int provider_env(const char *name, const char *what, int required,
			const char **out, um_error *err)
{
	const char *v = getenv(name);

	*out = NULL;
	if (!v || !*v) {
		if (!required)
			return 0;
		return um_fail(err, UM_ERR_INVALID,
			       "environment variable %s (%s) is not set", name, what);
	}
	if (has_line_break(v))
		return um_fail(err, UM_ERR_INVALID,
			       "environment variable %s holds a line break", name);
	*out = v;
	redact_add(v); /* read at send: make sure it is never written or printed */
	return 0;
}

/* Bedrock without an API key: SigV4 from the AWS variables. */
static int provider_sigv4(const um_system *sys, um_wire_request *out, um_error *err)
{
	const char *id, *secret, *token;

	if (provider_env("AWS_ACCESS_KEY_ID", "bedrock signing", 1, &id, err) < 0 ||
	    provider_env("AWS_SECRET_ACCESS_KEY", "bedrock signing", 1, &secret, err) < 0 ||
	    provider_env("AWS_SESSION_TOKEN", "bedrock signing", 0, &token, err) < 0)
		return -1;
	if (strchr(id, ':'))
		return um_fail(err, UM_ERR_INVALID,
			       "AWS_ACCESS_KEY_ID holds a ':'");
	out->aws_sigv4 = um_xasprintf("aws:amz:%s:bedrock", sys->region);
	out->userpwd = um_xasprintf("%s:%s", id, secret);
	if (token)
		add_header(out, um_xasprintf("x-amz-security-token: %s", token));
	return 0;
}

/* The family's authentication and protocol headers. */
static int provider_auth(const um_system *sys, um_wire_request *out, um_error *err)
{
	const char *key = NULL;

	if (sys->api_key_env &&
	    provider_env(sys->api_key_env, "api_key_env", 1, &key, err) < 0)
		return -1;
	switch (sys->provider) {
	case UM_PROV_ANTHROPIC:
		if (key)
			add_header(out, um_xasprintf("x-api-key: %s", key));
		add_header(out, um_xasprintf("anthropic-version: %s", sys->anthropic_version
									  ? sys->anthropic_version
									  : "2023-06-01"));
		return 0;
	case UM_PROV_AZURE:
		if (key)
			add_header(out, um_xasprintf("api-key: %s", key));
		return 0;
	case UM_PROV_GEMINI:
		if (key)
			add_header(out, um_xasprintf("x-goog-api-key: %s", key));
		return 0;
	case UM_PROV_BEDROCK:
		if (!key)
			return provider_sigv4(sys, out, err);
		break;
	case UM_PROV_OPENAI:
		break;
	}
	if (key)
		add_header(out, um_xasprintf("Authorization: Bearer %s", key));
	return 0;
}

/* The body as sent (encoded once), its hash, its parity hash (without model
 * and the stream switch), and the list of what was not sent. */
static void provider_seal(json_t *body, prov_job *j, um_wire_request *out)
{
	static const char *const not_parity[] = {"model", "stream", "stream_options", NULL};
	size_t k;

	out->body = json_canonical_sealed(body, not_parity, &out->body_len, out->body_sha256,
					  out->body_hash);
	if (j->n_drop) {
		um_buf list = UM_BUF_INIT;

		um_buf_init(&list, 0);
		qsort(j->drop, j->n_drop, sizeof(*j->drop), cmp_str);
		for (k = 0; k < j->n_drop; k++)
			um_buf_printf(&list, "%s%s", k ? "," : "", j->drop[k]);
		out->dropped = um_buf_detach(&list);
	}
}

int provider_build(const um_system *sys, const json_t *neutral, um_wire_request *out, um_error *err)
{
	prov_job j;
	json_t *body;
	int i;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	j.sys = sys;
	j.err = err;
	j.stream = sys->stream;
	if (neutral_split(sys, neutral, &j.messages, &j.params, &j.tools, err) < 0 ||
	    neutral_reasoning(sys, neutral, &j.effort, &j.budget, err) < 0)
		return -1;
	for (i = 0; i < sys->n_headers; i++)
		if (has_line_break(sys->header_names[i]) || has_line_break(sys->header_values[i]))
			return um_fail(err, UM_ERR_INVALID,
				       "system \"%s\": header %s holds a line break", sys->name,
				       sys->header_names[i]);
	add_header(out, um_xstrdup("Content-Type: application/json"));
	if (provider_auth(sys, out, err) < 0) {
		wire_request_release(out);
		return -1;
	}
	body = provider_family_body(&j);
	if (!body) {
		free(j.drop);
		wire_request_release(out);
		return -1;
	}
	provider_seal(body, &j, out);
	free(j.drop);
	json_decref(body);
	out->stream = sys->stream;
	out->url = provider_request_url(sys, sys->stream);
	if (!out->url) {
		wire_request_release(out);
		return um_fail(err, UM_ERR_INVALID,
			       "system \"%s\": base_url '%s' cannot be joined with the "
			       "provider's path",
			       sys->name, sys->base_url ? sys->base_url : "");
	}
	if (sys->stream)
		add_header(out, um_xstrdup(sys->provider == UM_PROV_BEDROCK
						   ? "Accept: application/vnd.amazon.eventstream"
						   : "Accept: text/event-stream"));
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
	if (json_is_array(c->thinking) && json_array_size(c->thinking) > 0)
		json_object_set_new(m, "thinking", json_deep_copy(c->thinking));
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

static void wipe_free(char *s)
{
	volatile char *p = s;

	while (p && *p)
		*p++ = '\0';
	free(s);
}

void wire_request_release(um_wire_request *w)
{
	int i;

	if (!w)
		return;
	free(w->url);
	free(w->body);
	for (i = 0; i < w->n_headers; i++)
		wipe_free(w->headers[i]);
	free(w->headers);
	free(w->dropped);
	free(w->aws_sigv4);
	wipe_free(w->userpwd);
	memset(w, 0, sizeof(*w));
}

/* ---- streams ------------------------------------------------------------ */

/* Is the body an SSE stream rather than a JSON document? */
static int provider_is_sse(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	if (i >= len || body[i] == '{' || body[i] == '[')
		return 0;
	return body[i] == ':' || (len - i >= 5 && memcmp(body + i, "data:", 5) == 0) ||
	       (len - i >= 6 && memcmp(body + i, "event:", 6) == 0);
}

static int scan_openai(const char *buf, size_t len, size_t *used)
{
	return provider_util_sse_scan(buf, len, used, provider_openai_token);
}

static int scan_anthropic(const char *buf, size_t len, size_t *used)
{
	return provider_util_sse_scan(buf, len, used, provider_anthropic_token);
}

static int scan_gemini(const char *buf, size_t len, size_t *used)
{
	return provider_util_sse_scan(buf, len, used, provider_gemini_token);
}

void provider_submit_opts(const um_system *sys, const um_wire_request *w, um_submit_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->aws_sigv4 = w->aws_sigv4;
	o->userpwd = w->userpwd;
	if (!w->stream)
		return;
	o->stall_ms = sys->stall_ms;
	o->token_scan = sys->provider == UM_PROV_ANTHROPIC ? scan_anthropic
			: sys->provider == UM_PROV_GEMINI  ? scan_gemini
			: sys->provider == UM_PROV_BEDROCK ? provider_bedrock_scan
							   : scan_openai;
}

/* ---- parsing ----------------------------------------------------------- */

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

/* A streamed body put back together as the family's JSON response. */
static json_t *provider_unstream(um_provider p, const char *body, size_t len, um_error *err)
{
	switch (p) {
	case UM_PROV_ANTHROPIC:
		return provider_anthropic_unstream(body, len, err);
	case UM_PROV_GEMINI:
		return provider_gemini_unstream(body, len, err);
	case UM_PROV_BEDROCK:
		um_fail(err, UM_ERR_PROTOCOL, "a Converse response is JSON or an event stream, not SSE");
		return NULL;
	case UM_PROV_OPENAI:
	case UM_PROV_AZURE:
		break;
	}
	return provider_openai_unstream(body, len, err);
}

static int provider_family_parse(um_provider p, const json_t *root, um_completion *c,
				 um_error *err)
{
	switch (p) {
	case UM_PROV_ANTHROPIC:
		return provider_anthropic_parse(root, c, err);
	case UM_PROV_GEMINI:
		return provider_gemini_parse(root, c, err);
	case UM_PROV_BEDROCK:
		return provider_bedrock_parse(root, c, err);
	case UM_PROV_OPENAI:
	case UM_PROV_AZURE:
		break;
	}
	return provider_openai_parse(root, c, err);
}

int provider_parse(um_provider p, const char *body, size_t len, um_completion *out, um_error *err)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!body || len == 0)
		return um_fail(err, UM_ERR_PROTOCOL, "response body is empty");
	if (p == UM_PROV_BEDROCK && body[0] == '\0') {
		/* an event stream: its first byte is the high byte of a length below 16 MiB */
		root = provider_bedrock_unstream(body, len, err);
		if (!root)
			return -1;
	} else if ((p == UM_PROV_OPENAI || p == UM_PROV_AZURE)
			   ? provider_openai_parse_fast(body, len, out)
			   : p == UM_PROV_ANTHROPIC && provider_anthropic_parse_fast(body, len, out)) {
		return 0; /* an ordinary answer, read without jansson */
	} else if (provider_is_sse(body, len)) {
		root = provider_unstream(p, body, len, err);
		if (!root)
			return -1;
	} else {
		root = provider_util_json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
						&jerr);
		if (!root)
			return um_fail(err, UM_ERR_PROTOCOL,
				       "response is not JSON (line %d, column %d: %s)", jerr.line,
				       jerr.column, jerr.text);
	}
	if (!json_is_object(root)) {
		rc =
		    um_fail(err, UM_ERR_PROTOCOL, "response is %s, not an object", json_kind(root));
	} else {
		rc = provider_family_parse(p, root, out, err);
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
	json_decref(c->thinking);
	json_decref(c->routing);
	memset(c, 0, sizeof(*c));
}

/* The message of an error body: {"error":{"message"}}, {"error":"text"}
 * or Bedrock's {"message"} / {"Message"}. Borrowed from root. */
static json_t *error_message_of(json_t *root)
{
	json_t *e = json_object_get(root, "error"), *msg = NULL;

	if (json_is_object(e))
		msg = json_object_get(e, "message");
	else if (json_is_string(e))
		msg = e;
	if (!msg)
		msg = json_object_get(root, "message");
	if (!msg)
		msg = json_object_get(root, "Message");
	return json_is_string(msg) && json_string_length(msg) > 0 ? msg : NULL;
}

char *provider_error_message(const char *body, size_t len)
{
	json_t *root, *msg;
	char *out = NULL;
	size_t n;

	if (!body || len == 0)
		return NULL;
	root = json_loadb(body, len, 0, NULL);
	msg = json_is_object(root) ? error_message_of(root) : NULL;
	if (!msg)
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

const char *provider_error_class(um_provider p, long http_status, const char *body, size_t len)
{
	/* the documented code first, then the messages each family uses */
	static const char *const phrases[] = {
		"context_length_exceeded",	  /* OpenAI, Azure: error.code */
		"maximum context length",	  /* OpenAI, vLLM, SGLang */
		"prompt is too long",		  /* Anthropic */
		"exceeds the maximum number of tokens", /* Gemini */
		"input is too long",		  /* Bedrock */
		"too many input tokens",	  /* Bedrock */
		"context window",		  /* ollama, OpenRouter */
	};
	json_t *root, *e, *code;
	const char *msg;
	char *lower;
	size_t i;
	int hit = 0;

	(void)p;
	if (http_status != 400 && http_status != 413 && http_status != 422)
		return NULL;
	root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	if (!json_is_object(root)) {
		json_decref(root);
		return NULL;
	}
	e = json_object_get(root, "error");
	code = json_object_get(e, "code");
	hit = json_is_string(code) && strcmp(json_string_value(code), phrases[0]) == 0;
	msg = json_string_value(error_message_of(root));
	lower = um_xstrdup(msg ? msg : "");
	for (char *q = lower; *q; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	for (i = 1; !hit && i < UM_ARRAY_LEN(phrases); i++)
		hit = strstr(lower, phrases[i]) != NULL;
	free(lower);
	json_decref(root);
	return hit ? "context_overflow" : NULL;
}
