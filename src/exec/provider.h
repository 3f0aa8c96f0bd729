/*
 * provider.h - mapping between umpire's neutral request and the wire
 * formats of OpenAI chat completions and Anthropic messages.
 *
 * The neutral request is built once per (item, sample) from suite +
 * scaffold: {"messages": [{"role","content"}...], "params": {...}}. Only the
 * model field and the endpoint differ between systems of one provider.
 *
 * Agent turns add "tools": [{"name","description","parameters"}] and two
 * kinds of message (format: docs/terminal.md):
 *   {"role":"assistant","content":"text, empty or null",
 *    "tool_calls":[{"id","name","arguments": "JSON text"}]}
 *   {"role":"tool","tool_call_id","name","content":"result text"}
 * OpenAI: tools become [{"type":"function","function":{...}}], tool calls
 * get the "function" wrapper (content null when there is no text), a
 * result is {"role":"tool","tool_call_id","content"}. Anthropic: tools
 * become [{"name","description","input_schema"}], an assistant message
 * becomes a text block (if any) and tool_use blocks whose input is the
 * arguments parsed as an object ({} when they are not one), and each run
 * of consecutive results becomes one user message of tool_result blocks.
 * Bodies are serialised with sorted keys and no spaces, so the body without
 * its model field hashes the same for every system of a provider.
 */
#ifndef UMPIRE_PROVIDER_H
#define UMPIRE_PROVIDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "load/models.h"

typedef struct um_wire_request {
	char *url;              /* base_url + "/chat/completions" or "/messages" */
	char *body;             /* what is sent */
	size_t body_len;
	char **headers;         /* "Name: value" lines, including auth */
	int n_headers;
	char body_hash[65];     /* sha256 of the body with the model field removed */
	char *dropped;          /* comma list of params this provider cannot carry (e.g. "seed"), or NULL */
} um_wire_request;

typedef struct um_completion {
	char *content;          /* assistant text (concatenated text blocks) */
	int64_t tokens_in;      /* all input tokens, cached included */
	int64_t tokens_cached;  /* cached subset */
	int64_t tokens_out;
	char *served_model;     /* "model" of the response */
	char *fingerprint;      /* system_fingerprint (OpenAI); NULL otherwise */
	char *finish_reason;    /* finish_reason / stop_reason */
	char *response_id;
	json_t *tool_calls;     /* normalised [{"id","name","arguments"}], or NULL */
	json_t *routing;        /* orchestrator-reported routing metadata if present, or NULL */
} um_completion;

/* Build the wire request for sys. Reads the API key from the environment
 * (missing variable: UM_ERR_INVALID naming it). Caller releases. */
int provider_build(const um_system *sys, const json_t *neutral, um_wire_request *out,
		   um_error *err);
void wire_request_release(um_wire_request *w);

/* Parse a 2xx response body. Anything that is not what the API promises
 * (not JSON, missing choices/content, wrong types) is UM_ERR_PROTOCOL with
 * the reason; never a crash. Caller releases. */
int provider_parse(um_provider p, const char *body, size_t len, um_completion *out,
		   um_error *err);
void completion_release(um_completion *c);

/* Pull a short error message out of an API error body ({"error":{"message"}}
 * for both providers), for the calls table. Caller frees; NULL if none. */
char *provider_error_message(const char *body, size_t len);

/* The neutral assistant message for a parsed completion: {"role":
 * "assistant","content": c->content (or ""), "tool_calls": c->tool_calls}
 * (tool_calls only when there are some). New reference. */
json_t *provider_assistant_message(const um_completion *c);

/* The neutral result of one tool call: {"role":"tool","tool_call_id",
 * "name","content"} (name omitted when NULL). New reference. */
json_t *provider_tool_message(const char *tool_call_id, const char *name, const char *content);

/* Canonical compact JSON (sorted keys) and its sha256. Caller frees. */
char *json_canonical(const json_t *v);

#endif
