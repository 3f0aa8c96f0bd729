/*
 * provider_impl.h - what the wire families (provider_openai.c,
 * provider_anthropic.c, provider_gemini.c, provider_bedrock.c) share with
 * provider.c, and what each of them offers it. Not for use outside exec/.
 *
 * A family builds its body from a prov_job: the neutral request already
 * checked (messages, params, tools), the reasoning settings, the stream
 * switch, and a list to which it adds every parameter it does not send.
 * It parses a 2xx JSON body into a um_completion, and puts a stream (SSE;
 * Bedrock's binary event stream) back together into the JSON body the
 * non-streamed call would have returned, so one parser serves both.
 */
#ifndef UMPIRE_PROVIDER_IMPL_H
#define UMPIRE_PROVIDER_IMPL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "exec/provider.h"
#include "load/models.h"

typedef struct prov_job {
	const um_system *sys;
	json_t *messages;       /* borrowed, checked */
	json_t *params;         /* borrowed; NULL when none */
	json_t *tools;          /* borrowed; NULL when none */
	const char *effort;     /* reasoning.effort, or NULL */
	int64_t budget;         /* reasoning.budget_tokens, or -1 */
	int stream;
	const char **drop;      /* names not sent (borrowed strings) */
	size_t n_drop, cap_drop;
	um_error *err;
} prov_job;

/* ---- shared (provider_util.c) ---- */
void provider_util_not_sent(prov_job *j, const char *name);
/* 1 when the model's capabilities leave the sampling parameter key out:
 * temperature, top_p and top_k when it takes none (no_sampling); top_p when
 * it takes temperature or top_p but not both (one_sampler) and temperature
 * is sent (temperature_sent). */
int provider_util_caps_refuse(const prov_job *j, const char *key, int temperature_sent);
/* Claude's thinking (Anthropic's API; Bedrock's additionalModelRequestFields)
 * from the reasoning settings: where the model takes an effort (adaptive
 * thinking) and knows the scaffold's (models_effort_taken), {"type": "adaptive"} and
 * *output_config {"effort": E}; else, where it takes a budget,
 * {"type": "enabled", "budget_tokens": N}. What is left out is named not
 * sent. Returns the thinking object (new reference) or NULL when off. */
json_t *provider_util_claude_thinking(prov_job *j, json_t **output_config);
const char *provider_util_json_kind(const json_t *v);
int provider_util_has_tool_calls(const json_t *m);
/* A user message's content parts (checked by the neutral request:
 * [{"type":"text","text"} | {"type":"image","media_type","data"}], data in
 * base64) in a family's own form: text() and image() make one wire part
 * each. New reference. */
typedef json_t *(*prov_part_fn)(const json_t *part);
json_t *provider_util_parts(const json_t *parts, prov_part_fn text, prov_part_fn image);
/* A tool call's arguments as an object ({} when they are not one). New ref. */
json_t *provider_util_tool_input(const json_t *tc);
/* The name of the tool call tool_call_id among the assistant messages
 * before index `before` (for wires whose results carry a name), or NULL. */
const char *provider_util_tool_name(const json_t *messages, size_t before, const char *tool_call_id);
/* Joined text of the system messages (blank line between); *n counts them.
 * Error (message not text) names the family. Caller frees; NULL on error. */
char *provider_util_system_text(prov_job *j, const char *family, int *n);
int provider_util_get_string(const json_t *obj, const char *key, const char *path, int required,
			char **out, um_error *err);
int provider_util_get_count(const json_t *obj, const char *key, const char *path, int required,
		       int64_t *out, um_error *err);
/* Adds {"text","signature"?} or {"redacted"} to c->thinking. */
void provider_util_add_thinking(um_completion *c, const char *text, const char *signature,
			   const char *redacted);

/* json_loadb, but every \u0000 escape is read as U+FFFD: a NUL in an answer
 * (valid JSON that jansson refuses) is stored and graded, whether the answer
 * came whole, as SSE events or as event-stream messages. */
json_t *provider_util_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *jerr);

/* SSE: calls fn for each event (its name or NULL, its data lines joined).
 * Returns what fn returns first that is not 0, else 0. */
typedef int (*prov_sse_fn)(void *ctx, const char *event, const char *data, um_error *err);
int provider_util_sse_each(const char *body, size_t len, prov_sse_fn fn, void *ctx, um_error *err);
/* The engine's first-token detector over SSE data lines: tok decides on
 * one event's parsed JSON. */
int provider_util_sse_scan(const char *buf, size_t len, size_t *used, int (*tok)(const json_t *ev));

/* Token counts above this are not plausible and could overflow sums. */
#define PROVIDER_TOKENS_MAX ((int64_t)1 << 50)

/* The fast paths (base/jscan.h) read members as provider_util_get_count
 * and provider_util_get_string do, and give up (-1) where those would fail. */
struct jscan;
int provider_util_fast_count(const struct jscan *j, int obj, const char *key, int required,
			     int64_t *out);
int provider_util_fast_string(const struct jscan *j, int obj, const char *key, char **out);
/* The body read (jscan_parse) when it is an object whose routing is absent or
 * null (routing is the full parse's), c emptied; NULL: leave it to the full
 * parse. Caller ends with provider_util_fast_close. */
struct jscan *provider_util_fast_open(const char *body, size_t len, um_completion *c);
/* Frees j; when !ok, also the strings filled into c (c emptied). Returns ok. */
int provider_util_fast_close(struct jscan *j, um_completion *c, int ok);

/* ---- the families ---- */
json_t *provider_openai_body(prov_job *j);
int provider_openai_parse(const json_t *root, um_completion *c, um_error *err);
/* provider_openai_parse of an ordinary answer straight from the body, with
 * no jansson values (base/jscan.h): 1 when it filled c, the same completion
 * the full parse gives; 0 (c left empty) for everything else, errors
 * included, which the full parse then reads and names. */
int provider_openai_parse_fast(const char *body, size_t len, um_completion *c);
json_t *provider_openai_unstream(const char *body, size_t len, um_error *err);
int provider_openai_token(const json_t *ev);

json_t *provider_anthropic_body(prov_job *j);
int provider_anthropic_parse(const json_t *root, um_completion *c, um_error *err);
/* provider_anthropic_parse of an ordinary answer (text blocks only, no tool
 * use or thinking, no routing) straight from the body: 1 when it filled c,
 * the same completion the full parse gives; 0 (c left empty) otherwise. */
int provider_anthropic_parse_fast(const char *body, size_t len, um_completion *c);
json_t *provider_anthropic_unstream(const char *body, size_t len, um_error *err);
int provider_anthropic_token(const json_t *ev);

json_t *provider_gemini_body(prov_job *j);
int provider_gemini_parse(const json_t *root, um_completion *c, um_error *err);
json_t *provider_gemini_unstream(const char *body, size_t len, um_error *err);
int provider_gemini_token(const json_t *ev);

json_t *provider_bedrock_body(prov_job *j);
int provider_bedrock_parse(const json_t *root, um_completion *c, um_error *err);
/* ConverseStream: the event stream folded into the Converse response. */
json_t *provider_bedrock_unstream(const char *body, size_t len, um_error *err);
int provider_bedrock_scan(const char *buf, size_t len, size_t *used);

#endif
