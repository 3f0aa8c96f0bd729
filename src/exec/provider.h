/*
 * provider.h - mapping between umpire's neutral request and the wire
 * formats of the providers: OpenAI chat completions (also Azure OpenAI and
 * the OpenAI-compatible presets), Anthropic messages, Gemini
 * generateContent and Bedrock Converse (docs/models.md has the table).
 * One file per wire family: provider_openai.c, provider_anthropic.c,
 * provider_gemini.c, provider_bedrock.c; this file's provider.c holds what
 * they share.
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
 *
 * The neutral request may carry "reasoning": {"effort": "high",
 * "budget_tokens": 8000} (from the scaffold); each family maps it to its
 * own parameter where the model's capabilities (um_system.caps) allow it,
 * and names what it could not send in `dropped` ("reasoning.effort").
 * A streamed system (stream: true in models.yaml) gets the same body plus
 * the family's stream switch; the parity hash leaves the switch out, and a
 * streamed response is put back together into the same completion.
 */
#ifndef UMPIRE_PROVIDER_H
#define UMPIRE_PROVIDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "exec/engine.h"
#include "load/models.h"

typedef struct um_wire_request {
	char *url;              /* base_url joined with the family's path and query */
	char *body;             /* what is sent */
	size_t body_len;
	char **headers;         /* "Name: value" lines, including auth */
	int n_headers;
	char body_hash[65];     /* sha256 of the body without model, stream, stream_options */
	char body_sha256[65];   /* sha256 of the body as sent */
	char *dropped;          /* comma list of params this provider cannot carry (e.g. "seed"), or NULL */
	int stream;             /* the response will be an SSE stream */
	char *aws_sigv4;        /* bedrock without an API key: "aws:amz:REGION:bedrock" (the
				 * engine signs each try with SigV4, sigv4.c), or NULL */
	char *userpwd;          /* with aws_sigv4: "ACCESS_KEY_ID:SECRET" from the environment */
} um_wire_request;

typedef struct um_completion {
	char *content;          /* assistant text (concatenated text blocks) */
	int64_t tokens_in;      /* all input tokens, cached included */
	int64_t tokens_cached;  /* subset read from a prompt cache */
	int64_t tokens_cache_write; /* subset written to a prompt cache (Anthropic, Bedrock) */
	int64_t tokens_out;     /* all output tokens, reasoning included (as billed) */
	int64_t tokens_reasoning; /* reasoning subset where the provider reports it, else 0 */
	char *served_model;     /* "model" of the response */
	char *fingerprint;      /* system_fingerprint (OpenAI); NULL otherwise */
	char *finish_reason;    /* finish_reason / stop_reason */
	char *response_id;
	json_t *tool_calls;     /* normalised [{"id","name","arguments"}], or NULL */
	json_t *thinking;       /* [{"text","signature"?}] or [{"redacted"}] blocks, or NULL */
	json_t *routing;        /* orchestrator-reported routing metadata if present, or NULL */
} um_completion;

/* Build the wire request for sys. Reads the API key from the environment
 * (missing variable: UM_ERR_INVALID naming it). Caller releases. */
int provider_build(const um_system *sys, const json_t *neutral, um_wire_request *out,
		   um_error *err);
void wire_request_release(um_wire_request *w);

/* Parse a 2xx response body: a JSON document, or an SSE stream (told apart
 * by its first byte), which is put back together first. Anything that is
 * not what the API promises (not JSON, missing choices/content, wrong
 * types, a stream cut short or carrying an error event) is UM_ERR_PROTOCOL
 * with the reason; never a crash. Caller releases. */
int provider_parse(um_provider p, const char *body, size_t len, um_completion *out,
		   um_error *err);
void completion_release(um_completion *c);

/* Pull a short error message out of an API error body ({"error":{"message"}},
 * or Bedrock's {"message"}), for the calls table. Caller frees; NULL if none. */
char *provider_error_message(const char *body, size_t len);

/* The error class of a refused request when it is one umpire tells apart:
 * "context_overflow" when the provider says the prompt is longer than the
 * model's context (each family's documented code or message); else NULL. */
const char *provider_error_class(um_provider p, long http_status, const char *body, size_t len);

/* The engine options for sending w for sys: SigV4 signing, the stall
 * timeout and the first-token detector of a streamed response. */
void provider_submit_opts(const um_system *sys, const um_wire_request *w, um_submit_opts *o);

/* The neutral assistant message for a parsed completion: {"role":
 * "assistant","content": c->content (or ""), "tool_calls": c->tool_calls}
 * (tool_calls only when there are some). New reference. */
json_t *provider_assistant_message(const um_completion *c);

/* The neutral result of one tool call: {"role":"tool","tool_call_id",
 * "name","content"} (name omitted when NULL). New reference. */
json_t *provider_tool_message(const char *tool_call_id, const char *name, const char *content);

/* Canonical compact JSON (sorted keys) and its sha256. Caller frees. */
char *json_canonical(const json_t *v);
/* The same text from json_dumps itself (the reference the tests compare
 * json_canonical with). Caller frees. */
char *json_canonical_jansson(const json_t *v);

/* json_canonical of the object obj, from one encoding, with the sha256 of
 * that text and the sha256 of the canonical text of obj without the
 * top-level keys in skip (NULL-terminated). Sets *len. Caller frees. */
char *json_canonical_sealed(const json_t *obj, const char *const *skip, size_t *len,
			    char sha[65], char sha_without[65]);

#endif
