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
 * temperature, topP, stopSequences; anything else is not sent. Claude's
 * thinking (an effort, adaptive, or a budget: provider_util_claude_thinking)
 * goes to the model as additionalModelRequestFields.thinking and
 * .output_config, with the sampling parameters Claude refuses while thinking
 * left out as for Anthropic.
 *
 * Response: output.message.content blocks (text, toolUse, reasoningContent
 * {reasoningText {text, signature}} or {redactedContent}), stopReason,
 * usage inputTokens (without the cache), cacheReadInputTokens,
 * cacheWriteInputTokens, outputTokens.
 *
 * Streamed (stream: true): the same body to ".../converse-stream", whose
 * answer is a binary AWS event stream (eventstream.c checks its framing and
 * CRCs), not SSE. Its events (messageStart, contentBlockStart with a
 * toolUse's id and name, contentBlockDelta with text, toolUse.input
 * fragments or reasoningContent text / signature / redactedContent,
 * contentBlockStop, messageStop with stopReason, metadata with usage) are
 * folded back into the Converse response, so one parser serves both; an
 * exception message (throttlingException, modelStreamErrorException, ...),
 * a bad CRC or a stream that ends before messageStop and metadata is a
 * protocol error. The first token is the first contentBlockDelta.
 */
#include "exec/provider_impl.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/util.h"
#include "exec/eventstream.h"

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

static json_t *bedrock_text_of(const json_t *p)
{
	return bedrock_text(json_object_get(p, "text"));
}

/* An image part as Converse's image block: format from the media type
 * (image/png -> png), the bytes base64 as the JSON API carries them. */
static json_t *bedrock_image_part(const json_t *p)
{
	const char *mt = json_string_value(json_object_get(p, "media_type"));

	return json_pack("{s:{s:s,s:{s:O}}}", "image", "format", mt + strlen("image/"), "source",
			 "bytes", json_object_get(p, "data"));
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
		} else if (strcmp(role, "user") == 0 && json_is_array(content)) {
			json_array_append_new(
			    msgs, json_pack("{s:s,s:o}", "role", "user", "content",
					    provider_util_parts(content, bedrock_text_of,
								bedrock_image_part)));
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
	json_t *cfg = json_object(), *v, *oc;
	/* Claude's thinking goes in the model's own fields (other models take
	 * neither setting: both are then named not sent) */
	json_t *thinking = provider_util_claude_thinking(j, &oc);
	int temp = json_object_get(j->params, "temperature") && !thinking;
	const char *key;
	size_t k;

	json_object_foreach(j->params, key, v)
	{
		for (k = 0; k < UM_ARRAY_LEN(bedrock_params); k++)
			if (strcmp(key, bedrock_params[k].neutral) == 0)
				break;
		if (k == UM_ARRAY_LEN(bedrock_params) || provider_util_caps_refuse(j, key, temp) ||
		    (thinking && (strcmp(key, "temperature") == 0 ||
				  (strcmp(key, "top_p") == 0 && json_is_number(v) &&
				   json_number_value(v) < 0.95)))) {
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
	if (thinking) {
		json_t *extra = json_pack("{s:o}", "thinking", thinking);

		if (oc)
			json_object_set_new(extra, "output_config", oc);
		json_object_set_new(body, "additionalModelRequestFields", extra);
	}
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

/* ---- ConverseStream ----------------------------------------------------- */

/* What the stream has said so far: one entry per content block index. */
typedef struct br_acc {
	json_t *blocks;  /* [{"kind", "toolUseId"?, "name"?, "redacted"?}] */
	um_buf *text;    /* per block: text, tool input JSON or reasoning text */
	um_buf *sig;     /* per block: reasoning signature */
	size_t n;
	json_t *stop;    /* messageStop payload */
	json_t *meta;    /* metadata payload */
} br_acc;

#define BR_MAX_BLOCKS 1024

/* The block named by ev's contentBlockIndex, grown into existence. */
static json_t *br_block(br_acc *a, const json_t *ev, size_t *idx, um_error *err)
{
	json_t *i = json_object_get(ev, "contentBlockIndex");
	json_int_t k = json_is_integer(i) ? json_integer_value(i) : -1;

	if (k < 0 || k >= BR_MAX_BLOCKS) {
		um_fail(err, UM_ERR_PROTOCOL,
			"ConverseStream: contentBlockIndex is %s, not a block number below %d",
			provider_util_json_kind(i), BR_MAX_BLOCKS);
		return NULL;
	}
	while (a->n <= (size_t)k) {
		a->text = um_xrealloc(a->text, sizeof(um_buf) * (a->n + 1));
		a->sig = um_xrealloc(a->sig, sizeof(um_buf) * (a->n + 1));
		um_buf_init(&a->text[a->n], 0);
		um_buf_init(&a->sig[a->n], 0);
		json_array_append_new(a->blocks, json_object());
		a->n++;
	}
	*idx = (size_t)k;
	return json_array_get(a->blocks, (size_t)k);
}

/* Sets the block's kind, refusing a block that changes kind. */
static int br_kind(json_t *b, const char *kind, um_error *err)
{
	const char *was = json_string_value(json_object_get(b, "kind"));

	if (was && strcmp(was, kind) != 0)
		return um_fail(err, UM_ERR_PROTOCOL,
			       "ConverseStream: a %s block receives a %s delta", was, kind);
	json_object_set_new(b, "kind", json_string(kind));
	return 0;
}

static void br_put(um_buf *b, const json_t *s)
{
	if (json_is_string(s))
		um_buf_append(b, json_string_value(s), json_string_length(s));
}

static int br_start(br_acc *a, const json_t *ev, um_error *err)
{
	json_t *tu = json_object_get(json_object_get(ev, "start"), "toolUse"), *b;
	size_t k;

	if (!(b = br_block(a, ev, &k, err)))
		return -1;
	if (!tu)
		return 0;
	if (!json_is_string(json_object_get(tu, "toolUseId")) ||
	    !json_is_string(json_object_get(tu, "name")))
		return um_fail(err, UM_ERR_PROTOCOL,
			       "ConverseStream: contentBlockStart.start.toolUse needs string "
			       "toolUseId and name");
	if (br_kind(b, "toolUse", err) < 0)
		return -1;
	json_object_set(b, "toolUseId", json_object_get(tu, "toolUseId"));
	json_object_set(b, "name", json_object_get(tu, "name"));
	return 0;
}

static int br_delta(br_acc *a, const json_t *ev, um_error *err)
{
	json_t *d = json_object_get(ev, "delta"), *b, *v;
	size_t k;

	if (!(b = br_block(a, ev, &k, err)))
		return -1;
	if (!json_is_object(d))
		return um_fail(err, UM_ERR_PROTOCOL, "ConverseStream: contentBlockDelta.delta is %s",
			       provider_util_json_kind(d));
	if ((v = json_object_get(d, "text"))) {
		if (!json_is_string(v) || br_kind(b, "text", err) < 0)
			return json_is_string(v) ? -1
						 : um_fail(err, UM_ERR_PROTOCOL,
							   "ConverseStream: delta.text is %s",
							   provider_util_json_kind(v));
		br_put(&a->text[k], v);
	} else if ((v = json_object_get(d, "toolUse"))) {
		if (!json_is_string(json_object_get(v, "input")) || br_kind(b, "toolUse", err) < 0)
			return json_is_string(json_object_get(v, "input"))
				   ? -1
				   : um_fail(err, UM_ERR_PROTOCOL,
					     "ConverseStream: delta.toolUse.input is not a string");
		br_put(&a->text[k], json_object_get(v, "input"));
	} else if (json_is_object(v = json_object_get(d, "reasoningContent"))) {
		if (br_kind(b, "reasoning", err) < 0)
			return -1;
		br_put(&a->text[k], json_object_get(v, "text"));
		br_put(&a->sig[k], json_object_get(v, "signature"));
		if (json_is_string(json_object_get(v, "redactedContent")))
			json_object_set(b, "redacted", json_object_get(v, "redactedContent"));
	}
	return 0;
}

/* One decoded message: an event folded into a, or an exception refused. */
static int br_message(br_acc *a, const es_message *m, um_error *err)
{
	size_t tl = 0, ml = 0;
	const char *type = es_header_value(m, ":event-type", &tl), *msg;
	json_t *ev;
	int rc = 0;

	if (es_header_is(m, ":message-type", "exception")) {
		type = es_header_value(m, ":exception-type", &tl);
		ev = json_loadb(m->payload, m->payload_len, 0, NULL);
		msg = json_string_value(json_object_get(ev, "message"));
		rc = um_fail(err, UM_ERR_PROTOCOL, "ConverseStream exception %.*s: %s", (int)tl,
			     type ? type : "(untyped)", msg ? msg : "(no message)");
		json_decref(ev);
		return rc;
	}
	if (es_header_is(m, ":message-type", "error")) {
		type = es_header_value(m, ":error-code", &tl);
		msg = es_header_value(m, ":error-message", &ml);
		return um_fail(err, UM_ERR_PROTOCOL, "ConverseStream error %.*s: %.*s", (int)tl,
			       type ? type : "", (int)ml, msg ? msg : "");
	}
	if (!es_header_is(m, ":message-type", "event") || !type)
		return um_fail(err, UM_ERR_PROTOCOL,
			       "ConverseStream: a message that is not an event, exception or error");
	ev = provider_util_json_loadb(m->payload, m->payload_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(ev))
		rc = um_fail(err, UM_ERR_PROTOCOL, "ConverseStream: the %.*s event is not a JSON object",
			     (int)tl, type);
	else if (tl == 17 && memcmp(type, "contentBlockStart", tl) == 0)
		rc = br_start(a, ev, err);
	else if (tl == 17 && memcmp(type, "contentBlockDelta", tl) == 0)
		rc = br_delta(a, ev, err);
	else if (tl == 11 && memcmp(type, "messageStop", tl) == 0) {
		json_decref(a->stop);
		a->stop = json_incref(ev);
	} else if (tl == 8 && memcmp(type, "metadata", tl) == 0) {
		json_decref(a->meta);
		a->meta = json_incref(ev);
	}
	json_decref(ev);
	return rc;
}

/* Block k as Converse returns it whole. New reference, or NULL (err). */
static json_t *br_whole_block(br_acc *a, size_t k, um_error *err)
{
	json_t *b = json_array_get(a->blocks, k), *input, *r;
	const char *kind = json_string_value(json_object_get(b, "kind"));

	if (!kind || strcmp(kind, "text") == 0)
		return json_pack("{s:s%}", "text", um_buf_str(&a->text[k]), a->text[k].len);
	if (strcmp(kind, "toolUse") == 0) {
		if (!json_object_get(b, "toolUseId")) {
			um_fail(err, UM_ERR_PROTOCOL,
				"ConverseStream: block %zu has toolUse deltas but no start", k);
			return NULL;
		}
		input = a->text[k].len ? json_loadb(um_buf_str(&a->text[k]), a->text[k].len,
						    JSON_REJECT_DUPLICATES, NULL)
				       : json_object();
		if (!input) {
			um_fail(err, UM_ERR_PROTOCOL,
				"ConverseStream: block %zu's tool input is not JSON", k);
			return NULL;
		}
		return json_pack("{s:{s:O,s:O,s:o}}", "toolUse", "toolUseId",
				 json_object_get(b, "toolUseId"), "name", json_object_get(b, "name"),
				 "input", input);
	}
	if (json_object_get(b, "redacted"))
		return json_pack("{s:{s:O}}", "reasoningContent", "redactedContent",
				 json_object_get(b, "redacted"));
	r = json_pack("{s:s%}", "text", um_buf_str(&a->text[k]), a->text[k].len);
	if (a->sig[k].len)
		json_object_set_new(r, "signature",
				    json_stringn(um_buf_str(&a->sig[k]), a->sig[k].len));
	return json_pack("{s:{s:o}}", "reasoningContent", "reasoningText", r);
}

/* The Converse response the folded stream adds up to, or NULL (err). */
static json_t *br_whole(br_acc *a, um_error *err)
{
	json_t *content = json_array(), *root;
	size_t k;

	if (!a->stop || !a->meta) {
		json_decref(content);
		um_fail(err, UM_ERR_PROTOCOL, "ConverseStream: the stream ended before %s",
			a->stop ? "its metadata event" : "messageStop");
		return NULL;
	}
	for (k = 0; k < a->n; k++) {
		json_t *blk = br_whole_block(a, k, err);

		if (!blk) {
			json_decref(content);
			return NULL;
		}
		json_array_append_new(content, blk);
	}
	root = json_pack("{s:{s:{s:s,s:o}}}", "output", "message", "role", "assistant", "content",
			 content);
	if (json_object_get(a->stop, "stopReason"))
		json_object_set(root, "stopReason", json_object_get(a->stop, "stopReason"));
	if (json_object_get(a->meta, "usage"))
		json_object_set(root, "usage", json_object_get(a->meta, "usage"));
	return root;
}

json_t *provider_bedrock_unstream(const char *body, size_t len, um_error *err)
{
	br_acc a = {json_array(), NULL, NULL, 0, NULL, NULL};
	json_t *root = NULL;
	size_t at = 0, k;
	int64_t n = 1;

	while (at < len && n > 0) {
		es_message m;

		n = es_decode(body + at, len - at, at, &m, err);
		if (n == 0)
			um_fail(err, UM_ERR_PROTOCOL,
				"ConverseStream: the stream was cut short inside a message (byte %zu)",
				at);
		if (n <= 0 || br_message(&a, &m, err) < 0) {
			n = -1;
			break;
		}
		at += (size_t)n;
	}
	if (n > 0)
		root = br_whole(&a, err);
	for (k = 0; k < a.n; k++) {
		um_buf_release(&a.text[k]);
		um_buf_release(&a.sig[k]);
	}
	free(a.text);
	free(a.sig);
	json_decref(a.blocks);
	json_decref(a.stop);
	json_decref(a.meta);
	return root;
}

int provider_bedrock_scan(const char *buf, size_t len, size_t *used)
{
	es_message m;
	int64_t n;
	um_error err;

	*used = 0;
	while ((n = es_decode(buf + *used, len - *used, 0, &m, &err)) > 0) {
		*used += (size_t)n;
		if (es_header_is(&m, ":event-type", "contentBlockDelta"))
			return 1;
	}
	if (n < 0)
		*used = len; /* a framing error: the parse of the whole body says so */
	return 0;
}
