/*
 * provider_bedrock.c - the Amazon Bedrock Converse wire.
 *
 * Sent to base_url + "/model/{modelId}/converse" (the model id
 * percent-encoded: it holds ':'), signed with AWS Signature Version 4 for
 * each try by the engine (sigv4.c: libcurl's CURLOPT_AWS_SIGV4 does not
 * encode the path twice as Bedrock checks it, so it fails on every model
 * id with a ':') from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and
 * AWS_SESSION_TOKEN as x-amz-security-token), or with a Bedrock API key as
 * a bearer token when api_key_env is given. The model is in the URL, not the body.
 *
 * Body: "system": [{"text"}]; "messages": [{"role", "content": [blocks]}]
 * with text blocks, an assistant's tool calls as toolUse blocks (after the
 * reasoningContent blocks it returned with them), each run of tool
 * results as one user message of toolResult blocks; tools as
 * "toolConfig": {"tools": [{"toolSpec": {"name", "description",
 * "inputSchema": {"json"}}}]}; "inferenceConfig" with maxTokens,
 * temperature, topP, stopSequences; anything else is not sent. A thinking
 * budget goes to the model as additionalModelRequestFields.thinking (Claude
 * on Bedrock), with the sampling parameters Claude refuses while thinking
 * left out as for Anthropic.
 *
 * Response: output.message.content blocks (text, toolUse, reasoningContent
 * {reasoningText {text, signature}} or {redactedContent}), stopReason,
 * usage inputTokens (without the cache), cacheReadInputTokens,
 * cacheWriteInputTokens, outputTokens. ConverseStream (a binary AWS event
 * stream, not SSE) is not supported: models.c refuses stream: true here.
 */
#include "exec/provider_impl.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"

static const struct {
	const char *neutral;
	const char *wire;
} bedrock_params[] = {
    {"max_tokens", "maxTokens"},       {"temperature", "temperature"},
    {"top_p", "topP"},		       {"stop", "stopSequences"},
    {"stop_sequences", "stopSequences"},
};

static json_t *bedrock_text(const json_t *s)
{
	return json_pack("{s:O}", "text", s);
}

/* An assistant message as content blocks. */
static json_t *bedrock_assistant(const json_t *m)
{
	json_t *blocks = json_array(), *content = json_object_get(m, "content"), *tc, *t;
	size_t i;

	if (provider_util_has_tool_calls(m))
		json_array_foreach(json_object_get(m, "thinking"), i, t)
		{
			if (json_is_string(json_object_get(t, "redacted")))
				json_array_append_new(
				    blocks, json_pack("{s:{s:O}}", "reasoningContent",
						      "redactedContent",
						      json_object_get(t, "redacted")));
			else if (json_is_string(json_object_get(t, "signature")))
				json_array_append_new(
				    blocks,
				    json_pack("{s:{s:{s:O,s:O}}}", "reasoningContent",
					      "reasoningText", "text", json_object_get(t, "text"),
					      "signature", json_object_get(t, "signature")));
		}
	if (json_is_string(content) && json_string_length(content) > 0)
		json_array_append_new(blocks, bedrock_text(content));
	json_array_foreach(json_object_get(m, "tool_calls"), i, tc)
	{
		json_array_append_new(blocks, json_pack("{s:{s:O,s:O,s:o}}", "toolUse", "toolUseId",
							json_object_get(tc, "id"), "name",
							json_object_get(tc, "name"), "input",
							provider_util_tool_input(tc)));
	}
	if (json_array_size(blocks) == 0)
		json_array_append_new(blocks, json_pack("{s:s}", "text", ""));
	return json_pack("{s:s,s:o}", "role", "assistant", "content", blocks);
}

/* Step 1: messages. NULL on error. */
static json_t *bedrock_messages(prov_job *j)
{
	json_t *msgs = json_array(), *m, *results = NULL;
	size_t i;

	json_array_foreach(j->messages, i, m)
	{
		const char *role = json_string_value(json_object_get(m, "role"));
		json_t *content = json_object_get(m, "content");

		if (strcmp(role, "system") == 0)
			continue;
		if (strcmp(role, "tool") == 0) {
			if (!results) {
				results = json_array();
				json_array_append_new(msgs, json_pack("{s:s,s:o}", "role", "user",
								      "content", results));
			}
			json_array_append_new(
			    results, json_pack("{s:{s:O,s:[o]}}", "toolResult", "toolUseId",
					       json_object_get(m, "tool_call_id"), "content",
					       bedrock_text(content)));
			continue;
		}
		results = NULL;
		if (strcmp(role, "assistant") == 0) {
			json_array_append_new(msgs, bedrock_assistant(m));
		} else if (strcmp(role, "user") == 0 && json_is_string(content)) {
			json_array_append_new(msgs, json_pack("{s:s,s:[o]}", "role", "user",
							      "content", bedrock_text(content)));
		} else {
			um_fail(j->err, UM_ERR_INVALID,
				"system \"%s\": messages[%zu] (role \"%s\") has no Converse "
				"equivalent (text from system, user, assistant, tool)",
				j->sys->name, i, role);
			json_decref(msgs);
			return NULL;
		}
	}
	if (json_array_size(msgs) == 0) {
		um_fail(j->err, UM_ERR_INVALID,
			"system \"%s\": Converse needs at least one user or assistant message",
			j->sys->name);
		json_decref(msgs);
		return NULL;
	}
	return msgs;
}

/* Step 2: inferenceConfig and the model's own fields. */
static int bedrock_config(prov_job *j, json_t *body)
{
	json_t *cfg = json_object(), *v;
	int thinking = j->budget >= 0 && j->sys->caps.budget;
	const char *key;
	size_t k;

	if (j->effort)
		provider_util_not_sent(j, "reasoning.effort");
	if (j->budget >= 0 && !thinking)
		provider_util_not_sent(j, "reasoning.budget_tokens");
	json_object_foreach(j->params, key, v)
	{
		for (k = 0; k < UM_ARRAY_LEN(bedrock_params); k++)
			if (strcmp(key, bedrock_params[k].neutral) == 0)
				break;
		if (k == UM_ARRAY_LEN(bedrock_params) ||
		    ((thinking || j->sys->caps.no_sampling) &&
		     (strcmp(key, "temperature") == 0 ||
		      (strcmp(key, "top_p") == 0 &&
		       (j->sys->caps.no_sampling ||
			(json_is_number(v) && json_number_value(v) < 0.95)))))) {
			provider_util_not_sent(j, key);
			continue;
		}
		if (strcmp(bedrock_params[k].wire, "stopSequences") == 0 && json_is_string(v))
			json_object_set_new(cfg, "stopSequences", json_pack("[O]", v));
		else
			json_object_set_new(cfg, bedrock_params[k].wire, json_deep_copy(v));
	}
	if (json_object_size(cfg))
		json_object_set_new(body, "inferenceConfig", cfg);
	else
		json_decref(cfg);
	if (thinking)
		json_object_set_new(body, "additionalModelRequestFields",
				    json_pack("{s:{s:s,s:I}}", "thinking", "type", "enabled",
					      "budget_tokens", (json_int_t)j->budget));
	return 0;
}

static json_t *bedrock_tools(const json_t *tools)
{
	json_t *list = json_array(), *t;
	size_t i;

	json_array_foreach(tools, i, t)
	{
		json_t *spec = json_pack("{s:O,s:{s:O}}", "name", json_object_get(t, "name"),
					 "inputSchema", "json", json_object_get(t, "parameters"));

		if (json_object_get(t, "description"))
			json_object_set(spec, "description", json_object_get(t, "description"));
		json_array_append_new(list, json_pack("{s:o}", "toolSpec", spec));
	}
	return json_pack("{s:o}", "tools", list);
}

json_t *provider_bedrock_body(prov_job *j)
{
	json_t *body = json_object(), *msgs;
	char *system;
	int n_system = 0;

	system = provider_util_system_text(j, "Converse", &n_system);
	msgs = system ? bedrock_messages(j) : NULL;
	if (!msgs || bedrock_config(j, body) < 0) {
		free(system);
		json_decref(msgs);
		json_decref(body);
		return NULL;
	}
	if (n_system)
		json_object_set_new(body, "system", json_pack("[{s:s}]", "text", system));
	if (j->tools)
		json_object_set_new(body, "toolConfig", bedrock_tools(j->tools));
	json_object_set_new(body, "messages", msgs);
	free(system);
	return body;
}

/* ---- parsing ------------------------------------------------------------ */

static int bedrock_tool_use(const json_t *tu, size_t i, um_completion *c, um_error *err)
{
	json_t *id = json_object_get(tu, "toolUseId"), *name = json_object_get(tu, "name");
	json_t *input = json_object_get(tu, "input");
	char *args;

	if (!json_is_string(id) || !json_is_string(name))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "output.message.content[%zu].toolUse.%s is %s, not a string", i,
			       json_is_string(id) ? "name" : "toolUseId",
			       provider_util_json_kind(json_is_string(id) ? name : id));
	if (!json_is_object(input))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "output.message.content[%zu].toolUse.input is %s, not an object", i,
			       provider_util_json_kind(input));
	if (!c->tool_calls)
		c->tool_calls = json_array();
	args = json_canonical(input);
	json_array_append_new(c->tool_calls, json_pack("{s:O,s:O,s:s}", "id", id, "name", name,
						       "arguments", args));
	free(args);
	return 0;
}

static int bedrock_block(const json_t *blk, size_t i, um_buf *text, um_completion *c,
			 um_error *err)
{
	json_t *t = json_object_get(blk, "text"), *rc = json_object_get(blk, "reasoningContent");

	if (!json_is_object(blk))
		return um_fail(err, UM_ERR_PROTOCOL, "output.message.content[%zu] is %s", i,
			       provider_util_json_kind(blk));
	if (t) {
		if (!json_is_string(t))
			return um_fail(err, UM_ERR_PROTOCOL,
				       "output.message.content[%zu].text is %s, not a string", i,
				       provider_util_json_kind(t));
		um_buf_append(text, json_string_value(t), json_string_length(t));
	}
	if (json_object_get(blk, "toolUse") &&
	    bedrock_tool_use(json_object_get(blk, "toolUse"), i, c, err) < 0)
		return -1;
	if (json_is_object(rc)) {
		json_t *rt = json_object_get(rc, "reasoningText");
		if (json_is_string(json_object_get(rt, "text")))
			provider_util_add_thinking(
			    c, json_string_value(json_object_get(rt, "text")),
			    json_string_value(json_object_get(rt, "signature")), NULL);
		else if (json_is_string(json_object_get(rc, "redactedContent")))
			provider_util_add_thinking(
			    c, NULL, NULL,
			    json_string_value(json_object_get(rc, "redactedContent")));
	}
	return 0;
}

static int bedrock_usage(const json_t *root, um_completion *c, um_error *err)
{
	json_t *u = json_object_get(root, "usage");
	int64_t input;

	if (!json_is_object(u))
		return um_fail(err, UM_ERR_PROTOCOL, "usage is %s, not an object",
			       provider_util_json_kind(u));
	if (provider_util_get_count(u, "inputTokens", "usage.", 1, &input, err) < 0 ||
	    provider_util_get_count(u, "outputTokens", "usage.", 1, &c->tokens_out, err) < 0 ||
	    provider_util_get_count(u, "cacheReadInputTokens", "usage.", 0, &c->tokens_cached, err) <
		0 ||
	    provider_util_get_count(u, "cacheWriteInputTokens", "usage.", 0, &c->tokens_cache_write,
			       err) < 0)
		return -1;
	c->tokens_in = input + c->tokens_cached + c->tokens_cache_write;
	return 0;
}

int provider_bedrock_parse(const json_t *root, um_completion *c, um_error *err)
{
	json_t *msg = json_object_get(json_object_get(root, "output"), "message"), *content, *blk;
	um_buf text = UM_BUF_INIT;
	size_t i;

	if (!json_is_object(msg))
		return um_fail(err, UM_ERR_PROTOCOL, "output.message is %s, not an object",
			       provider_util_json_kind(msg));
	content = json_object_get(msg, "content");
	if (!json_is_array(content))
		return um_fail(err, UM_ERR_PROTOCOL, "output.message.content is %s, not an array",
			       provider_util_json_kind(content));
	um_buf_init(&text, 0);
	json_array_foreach(content, i, blk)
	{
		if (bedrock_block(blk, i, &text, c, err) < 0) {
			um_buf_release(&text);
			return -1;
		}
	}
	c->content = um_buf_detach(&text);
	if (bedrock_usage(root, c, err) < 0 ||
	    provider_util_get_string(root, "stopReason", "", 0, &c->finish_reason, err) < 0)
		return -1;
	return 0;
}
