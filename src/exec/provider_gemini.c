/*
 * provider_gemini.c - the Gemini API's generateContent wire.
 *
 * Sent to base_url + "/models/{model}:generateContent" (streamed:
 * ":streamGenerateContent?alt=sse") with the key in x-goog-api-key. The
 * model is in the URL, not the body.
 *
 * Body: the system messages as "systemInstruction": {"parts": [{"text"}]};
 * the others as "contents": [{"role": "user" | "model", "parts": [...]}],
 * an assistant's tool calls as functionCall parts (with the
 * thoughtSignature the model gave them, which Gemini wants back), each run
 * of tool results as one user turn of functionResponse parts whose
 * response is {"content": text}; tools as [{"functionDeclarations": [...]}];
 * parameters in "generationConfig": max_tokens -> maxOutputTokens,
 * temperature, top_p -> topP, top_k -> topK, stop / stop_sequences ->
 * stopSequences, seed, presence_penalty -> presencePenalty,
 * frequency_penalty -> frequencyPenalty; anything else is not sent.
 * Reasoning goes in generationConfig.thinkingConfig: effort as
 * thinkingLevel (Gemini 3), budget_tokens as thinkingBudget (2.5), never
 * both (the API refuses that: the level wins), with includeThoughts so the
 * thought summaries are recorded.
 *
 * Response: candidates[0].content.parts (text parts joined, thought parts
 * kept as thinking, functionCall parts as tool calls, their ids made up
 * from their position when Gemini gives none), finishReason, and
 * usageMetadata: promptTokenCount (cachedContentTokenCount of it cached),
 * candidatesTokenCount + thoughtsTokenCount as output (thoughts are billed
 * as output), thoughtsTokenCount as reasoning. A stream is a series of such
 * responses; their parts are concatenated and the last usage kept.
 */
#include "exec/provider_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

static const struct {
	const char *neutral;
	const char *wire;
} gemini_params[] = {
    {"max_tokens", "maxOutputTokens"}, {"temperature", "temperature"},
    {"top_p", "topP"},		       {"top_k", "topK"},
    {"stop", "stopSequences"},	       {"stop_sequences", "stopSequences"},
    {"seed", "seed"},		       {"presence_penalty", "presencePenalty"},
    {"frequency_penalty", "frequencyPenalty"},
};

static json_t *gemini_text_part(const json_t *s)
{
	return json_pack("{s:O}", "text", s);
}

static json_t *gemini_text_of(const json_t *p)
{
	return gemini_text_part(json_object_get(p, "text"));
}

/* An image part inline, as the REST API's inlineData. */
static json_t *gemini_image_part(const json_t *p)
{
	return json_pack("{s:{s:O,s:O}}", "inlineData", "mimeType",
			 json_object_get(p, "media_type"), "data", json_object_get(p, "data"));
}

/* An assistant message as a "model" turn: text, then functionCall parts. */
static json_t *gemini_model_turn(const json_t *m)
{
	json_t *parts = json_array(), *content = json_object_get(m, "content"), *tc;
	size_t i;

	if (json_is_string(content) && json_string_length(content) > 0)
		json_array_append_new(parts, gemini_text_part(content));
	json_array_foreach(json_object_get(m, "tool_calls"), i, tc)
	{
		json_t *part = json_pack("{s:{s:O,s:o}}", "functionCall", "name",
					 json_object_get(tc, "name"), "args",
					 provider_util_tool_input(tc));

		if (json_is_string(json_object_get(tc, "signature")))
			json_object_set(part, "thoughtSignature", json_object_get(tc, "signature"));
		json_array_append_new(parts, part);
	}
	if (json_array_size(parts) == 0)
		json_array_append_new(parts, json_pack("{s:s}", "text", ""));
	return json_pack("{s:s,s:o}", "role", "model", "parts", parts);
}

/* Step 1: contents. NULL on error. */
static json_t *gemini_contents(prov_job *j)
{
	json_t *contents = json_array(), *m, *results = NULL;
	size_t i;

	json_array_foreach(j->messages, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");

		if (strcmp(role, "system") == 0)
			continue;
		if (strcmp(role, "tool") == 0) {
			const char *id = json_string_value(json_object_get(m, "tool_call_id"));
			const char *name = json_string_value(json_object_get(m, "name"));

			if (!name)
				name = provider_util_tool_name(j->messages, i, id);
			if (!results) {
				results = json_array();
				json_array_append_new(contents, json_pack("{s:s,s:o}", "role",
									  "user", "parts", results));
			}
			json_array_append_new(results,
					      json_pack("{s:{s:s,s:{s:O}}}", "functionResponse",
							"name", name ? name : "", "response",
							"content", content));
			continue;
		}
		results = NULL;
		if (strcmp(role, "assistant") == 0) {
			json_array_append_new(contents, gemini_model_turn(m));
		} else if (strcmp(role, "user") == 0 && json_is_string(content)) {
			json_array_append_new(contents,
					      json_pack("{s:s,s:[o]}", "role", "user", "parts",
							gemini_text_part(content)));
		} else if (strcmp(role, "user") == 0 && json_is_array(content)) {
			json_array_append_new(
			    contents, json_pack("{s:s,s:o}", "role", "user", "parts",
						provider_util_parts(content, gemini_text_of,
								    gemini_image_part)));
		} else {
			um_fail(j->err, UM_ERR_INVALID,
				"system \"%s\": messages[%zu] (role \"%s\") has no Gemini "
				"equivalent (text from system, user, assistant, tool)",
				j->sys->name, i, role);
			json_decref(contents);
			return NULL;
		}
	}
	if (json_array_size(contents) == 0) {
		um_fail(j->err, UM_ERR_INVALID,
			"system \"%s\": Gemini needs at least one user or assistant message",
			j->sys->name);
		json_decref(contents);
		return NULL;
	}
	return contents;
}

/* Step 2: generationConfig from the params. */
static int gemini_generation_config(prov_job *j, json_t *cfg)
{
	const char *key;
	json_t *v;
	size_t k;

	if (json_object_get(j->params, "stop") && json_object_get(j->params, "stop_sequences"))
		return um_fail(j->err, UM_ERR_INVALID,
			       "system \"%s\": params sets both stop and stop_sequences",
			       j->sys->name);
	json_object_foreach(j->params, key, v)
	{
		for (k = 0; k < UM_ARRAY_LEN(gemini_params); k++)
			if (strcmp(key, gemini_params[k].neutral) == 0)
				break;
		if (k == UM_ARRAY_LEN(gemini_params) ||
		    provider_util_caps_refuse(j, key,
					      json_object_get(j->params, "temperature") != NULL)) {
			provider_util_not_sent(j, key);
			continue;
		}
		if (strcmp(gemini_params[k].wire, "stopSequences") == 0 && json_is_string(v)) {
			json_object_set_new(cfg, "stopSequences", json_pack("[O]", v));
			continue;
		}
		json_object_set_new(cfg, gemini_params[k].wire, json_deep_copy(v));
	}
	return 0;
}

/* Step 3: thinkingConfig from the reasoning settings. */
static void gemini_thinking(prov_job *j, json_t *cfg)
{
	json_t *tc = json_object();
	int level = models_effort_taken(&j->sys->caps, j->effort);

	if (j->effort && !level)
		provider_util_not_sent(j, "reasoning.effort");
	if (level)
		json_object_set_new(tc, "thinkingLevel", json_string(j->effort));
	if (j->budget >= 0) {
		if (level || !j->sys->caps.budget)
			provider_util_not_sent(j, "reasoning.budget_tokens");
		else
			json_object_set_new(tc, "thinkingBudget", json_integer(j->budget));
	}
	if (json_object_size(tc) == 0) {
		json_decref(tc);
		return;
	}
	json_object_set_new(tc, "includeThoughts", json_true());
	json_object_set_new(cfg, "thinkingConfig", tc);
}

static json_t *gemini_tools(const json_t *tools)
{
	json_t *decls = json_array(), *t;
	size_t i;

	json_array_foreach(tools, i, t)
	{
		json_t *d = json_pack("{s:O,s:O}", "name", json_object_get(t, "name"), "parameters",
				      json_object_get(t, "parameters"));

		if (json_object_get(t, "description"))
			json_object_set(d, "description", json_object_get(t, "description"));
		json_array_append_new(decls, d);
	}
	return json_pack("[{s:o}]", "functionDeclarations", decls);
}

json_t *provider_gemini_body(prov_job *j)
{
	json_t *body = json_object(), *cfg = json_object(), *contents;
	char *system;
	int n_system = 0;

	system = provider_util_system_text(j, "Gemini", &n_system);
	contents = system ? gemini_contents(j) : NULL;
	if (!contents || gemini_generation_config(j, cfg) < 0) {
		free(system);
		json_decref(contents);
		json_decref(cfg);
		json_decref(body);
		return NULL;
	}
	gemini_thinking(j, cfg);
	if (n_system)
		json_object_set_new(body, "systemInstruction",
				    json_pack("{s:[{s:s}]}", "parts", "text", system));
	if (json_object_size(cfg))
		json_object_set_new(body, "generationConfig", cfg);
	else
		json_decref(cfg);
	if (j->tools)
		json_object_set_new(body, "tools", gemini_tools(j->tools));
	json_object_set_new(body, "contents", contents);
	free(system);
	return body;
}

/* ---- parsing ------------------------------------------------------------ */

static int gemini_call_part(const json_t *fc, const json_t *part, size_t k, um_completion *c,
			    um_error *err)
{
	json_t *name = json_object_get(fc, "name"), *args = json_object_get(fc, "args");
	json_t *id = json_object_get(fc, "id"), *call;
	char *text, made[40];

	if (!json_is_string(name))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "candidates[0].content.parts[%zu].functionCall.name is %s, not a "
			       "string",
			       k, provider_util_json_kind(name));
	if (args && !json_is_null(args) && !json_is_object(args))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "candidates[0].content.parts[%zu].functionCall.args is %s, not an "
			       "object",
			       k, provider_util_json_kind(args));
	if (!c->tool_calls)
		c->tool_calls = json_array();
	snprintf(made, sizeof(made), "call_%zu", json_array_size(c->tool_calls));
	text = json_is_object(args) ? json_canonical(args) : um_xstrdup("{}");
	call = json_pack("{s:s,s:O,s:s}", "id", json_is_string(id) ? json_string_value(id) : made,
			 "name", name, "arguments", text);
	if (json_is_string(json_object_get(part, "thoughtSignature")))
		json_object_set(call, "signature", json_object_get(part, "thoughtSignature"));
	json_array_append_new(c->tool_calls, call);
	free(text);
	return 0;
}

static int gemini_parts(const json_t *parts, um_buf *text, um_completion *c, um_error *err)
{
	json_t *part;
	size_t k;

	if (!json_is_array(parts))
		return um_fail(err, UM_ERR_PROTOCOL, "candidates[0].content.parts is %s, not an array",
			       provider_util_json_kind(parts));
	json_array_foreach(parts, k, part)
	{
		json_t *t = json_object_get(part, "text"), *fc = json_object_get(part, "functionCall");

		if (!json_is_object(part))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "candidates[0].content.parts[%zu] is %s, not an object", k,
				       provider_util_json_kind(part));
		if (t && !json_is_string(t))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "candidates[0].content.parts[%zu].text is %s, not a string",
				       k, provider_util_json_kind(t));
		if (t && json_is_true(json_object_get(part, "thought")))
			provider_util_add_thinking(c, json_string_value(t),
					      json_string_value(
						  json_object_get(part, "thoughtSignature")),
					      NULL);
		else if (t)
			um_buf_append(text, json_string_value(t), json_string_length(t));
		if (fc && (!json_is_object(fc) || gemini_call_part(fc, part, k, c, err) < 0))
			return json_is_object(fc)
				   ? -1
				   : um_fail(err, UM_ERR_PROTOCOL,
					     "candidates[0].content.parts[%zu].functionCall is %s",
					     k, provider_util_json_kind(fc));
	}
	return 0;
}

static int gemini_usage(const json_t *root, um_completion *c, um_error *err)
{
	json_t *u = json_object_get(root, "usageMetadata");
	int64_t cand = 0, thoughts = 0;

	if (!json_is_object(u))
		return um_fail(err, UM_ERR_PROTOCOL, "usageMetadata is %s, not an object",
			       provider_util_json_kind(u));
	if (provider_util_get_count(u, "promptTokenCount", "usageMetadata.", 1, &c->tokens_in, err) <
		0 ||
	    provider_util_get_count(u, "candidatesTokenCount", "usageMetadata.", 0, &cand, err) < 0 ||
	    provider_util_get_count(u, "thoughtsTokenCount", "usageMetadata.", 0, &thoughts, err) < 0 ||
	    provider_util_get_count(u, "cachedContentTokenCount", "usageMetadata.", 0,
			       &c->tokens_cached, err) < 0)
		return -1;
	if (c->tokens_cached > c->tokens_in)
		return um_fail(err, UM_ERR_PROTOCOL,
			       "usageMetadata.cachedContentTokenCount (%lld) exceeds "
			       "promptTokenCount (%lld)",
			       (long long)c->tokens_cached, (long long)c->tokens_in);
	c->tokens_out = cand + thoughts;
	c->tokens_reasoning = thoughts;
	return 0;
}

int provider_gemini_parse(const json_t *root, um_completion *c, um_error *err)
{
	json_t *cands = json_object_get(root, "candidates"), *cand, *content;
	um_buf text = UM_BUF_INIT;

	if (!json_is_array(cands) || json_array_size(cands) == 0) {
		json_t *fb = json_object_get(json_object_get(root, "promptFeedback"), "blockReason");
		if (json_is_string(fb))
			return um_fail(err, UM_ERR_PROTOCOL, "the prompt was blocked (%s)",
				       json_string_value(fb));
		return um_fail(err, UM_ERR_PROTOCOL, "candidates is %s",
			       json_is_array(cands) ? "empty" : provider_util_json_kind(cands));
	}
	cand = json_array_get(cands, 0);
	content = json_object_get(cand, "content");
	if (!json_is_object(content))
		return um_fail(err, UM_ERR_PROTOCOL, "candidates[0].content is %s, not an object",
			       provider_util_json_kind(content));
	um_buf_init(&text, 0);
	if (gemini_parts(json_object_get(content, "parts"), &text, c, err) < 0) {
		um_buf_release(&text);
		return -1;
	}
	c->content = um_buf_detach(&text);
	if (gemini_usage(root, c, err) < 0 ||
	    provider_util_get_string(cand, "finishReason", "candidates[0].", 0, &c->finish_reason,
				err) < 0 ||
	    provider_util_get_string(root, "modelVersion", "", 0, &c->served_model, err) < 0 ||
	    provider_util_get_string(root, "responseId", "", 0, &c->response_id, err) < 0)
		return -1;
	return 0;
}

/* ---- streams ------------------------------------------------------------ */

typedef struct gemini_fold {
	json_t *root;   /* the last chunk, less its candidates */
	json_t *parts;  /* every chunk's parts, in order */
	json_t *finish;
	int chunks;
} gemini_fold;

/* Appends a chunk's part; a text part continues the text part before it
 * when both are answer text or both thought, as one response would hold it. */
static void gemini_fold_part(gemini_fold *f, json_t *p)
{
	size_t n = json_array_size(f->parts);
	json_t *last = n ? json_array_get(f->parts, n - 1) : NULL;
	json_t *t = json_object_get(p, "text"), *lt = json_object_get(last, "text");

	if (json_is_string(t) && json_is_string(lt) && !json_object_get(last, "functionCall") &&
	    json_is_true(json_object_get(p, "thought")) ==
		json_is_true(json_object_get(last, "thought"))) {
		json_object_set_new(last, "text", json_sprintf("%s%s", json_string_value(lt),
							       json_string_value(t)));
		if (json_object_get(p, "thoughtSignature"))
			json_object_set(last, "thoughtSignature",
					json_object_get(p, "thoughtSignature"));
		return;
	}
	json_array_append_new(f->parts, json_deep_copy(p));
}

static int gemini_fold_event(void *ctx, const char *event, const char *data, um_error *err)
{
	gemini_fold *f = ctx;
	json_t *ev = provider_util_json_loadb(data, strlen(data), JSON_REJECT_DUPLICATES, NULL), *cand, *p;
	const char *key;
	json_t *v;
	size_t i;

	(void)event;
	if (!json_is_object(ev)) {
		json_decref(ev);
		return um_fail(err, UM_ERR_PROTOCOL, "stream: an event's data is not a JSON object");
	}
	if (json_object_get(ev, "error")) {
		json_decref(ev);
		return um_fail(err, UM_ERR_PROTOCOL, "stream: error event");
	}
	f->chunks++;
	cand = json_array_get(json_object_get(ev, "candidates"), 0);
	json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), i, p)
		gemini_fold_part(f, p);
	if (json_is_string(json_object_get(cand, "finishReason")))
		json_object_set(f->finish, "finishReason", json_object_get(cand, "finishReason"));
	json_object_foreach(ev, key, v)
	{
		if (strcmp(key, "candidates") != 0)
			json_object_set(f->root, key, v);
	}
	json_decref(ev);
	return 0;
}

json_t *provider_gemini_unstream(const char *body, size_t len, um_error *err)
{
	gemini_fold f = {json_object(), json_array(), json_object(), 0};
	json_t *out = NULL, *cand;

	if (provider_util_sse_each(body, len, gemini_fold_event, &f, err) != 0)
		goto done;
	if (!json_object_get(f.finish, "finishReason")) {
		um_fail(err, UM_ERR_PROTOCOL, "stream ended before a chunk with finishReason");
		goto done;
	}
	cand = json_pack("{s:{s:s,s:O},s:O}", "content", "role", "model", "parts", f.parts,
			 "finishReason", json_object_get(f.finish, "finishReason"));
	out = json_deep_copy(f.root);
	json_object_set_new(out, "candidates", json_pack("[o]", cand));
done:
	json_decref(f.root);
	json_decref(f.parts);
	json_decref(f.finish);
	return out;
}

int provider_gemini_token(const json_t *ev)
{
	json_t *cand = json_array_get(json_object_get(ev, "candidates"), 0), *p;
	size_t i;

	json_array_foreach(json_object_get(json_object_get(cand, "content"), "parts"), i, p)
	{
		json_t *t = json_object_get(p, "text");
		if ((json_is_string(t) && json_string_length(t) > 0) ||
		    json_object_get(p, "functionCall"))
			return 1;
	}
	return 0;
}
